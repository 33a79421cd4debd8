"""Every selector for Melon's pages, in one place: a site change is one edit here.

As public crawlers describe the pages:
- song detail  /song/detail.htm?songId=N: lyrics in div#d_video_summary (class lyric), lines
  separated by <br>, a leading HTML comment; div.lyric_none when the song has no lyrics; the title
  in div.song_name after a strong.none label ("곡명"); artists in div.artist a span; album,
  release date and genre as dt/dd pairs in div.meta dl.list.
- album  /album/detail.htm?albumId=N: songs carry their ids in data-song-no attributes and in
  melon.play.playSong('...', songId) links.
"""

import re

SONG_PATH = "/song/detail.htm?songId={song_id}"
ALBUM_PATH = "/album/detail.htm?albumId={album_id}"

LYRICS = "div#d_video_summary"
NO_LYRICS = "div.lyric_none"
TITLE_TEXTS = "div.song_name::text"  # the text nodes beside the strong.none label
ARTISTS = "div.artist a span::text"
META_TERMS = "div.meta dl.list dt"
META_VALUES = "div.meta dl.list dd"
META_ALBUM, META_RELEASED, META_GENRE = "앨범", "발매일", "장르"

ALBUM_SONG_ROWS = "[data-song-no]"
ALBUM_SONG_ID_ATTR = "data-song-no"
ALBUM_SONG_TITLE = "div.ellipsis a::text, a.fc_gray::text"
PLAY_SONG = re.compile(r"playSong\('[^']*'\s*,\s*(\d+)\)")
