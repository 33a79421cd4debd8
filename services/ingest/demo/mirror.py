"""An offline mirror of Melon-style album and song pages, generated from the demo catalog.

The pages have the structure public crawlers describe (services/ingest/selectors.py),
including what makes real pages awkward: a leading HTML comment in the lyrics,
HTML entities, credit lines above some lyrics, a robots.txt. A few songs are
broken on purpose (mirror_faults.json): pages without lyrics, a malformed page,
a missing page, a song missing from its album page.

    python -m services.ingest.demo.mirror [--port 8765]   # serve it until Ctrl-C
"""

from __future__ import annotations

import argparse
import html
import json
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from services.ingest.demo import FAULTS, GENRES, LYRICS, SONG_META

ROBOTS = "User-agent: *\nDisallow: /private/\n"


def melon_id(catalog_id: int) -> int:
    """The mirror's Melon songId for a catalog song: a different number, as on the real site."""
    return 30_000_000 + catalog_id * 7


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass
class Mirror:
    song_meta: list[dict]
    genres: dict[str, str]
    lyrics: dict[str, list[str]]
    faults: dict[str, str]
    albums: dict[int, list[dict]] = field(default_factory=dict)
    songs: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Mirror":
        faults = {k: v for k, v in json.loads(FAULTS.read_text(encoding="utf-8")).items() if k.isdigit()}
        mirror = cls(
            json.loads(SONG_META.read_text(encoding="utf-8")),
            json.loads(GENRES.read_text(encoding="utf-8")),
            json.loads(LYRICS.read_text(encoding="utf-8")),
            faults,
        )
        albums = defaultdict(list)
        for song in mirror.song_meta:
            albums[song["album_id"]].append(song)
            mirror.songs[melon_id(song["id"])] = song
        mirror.albums = dict(albums)
        return mirror

    def fault(self, song: dict) -> str:
        return self.faults.get(str(song["id"]), "")

    def album_page(self, album_id: int) -> str | None:
        songs = self.albums.get(album_id)
        if not songs:
            return None
        rows = []
        for number, song in enumerate(songs, start=1):
            if self.fault(song) == "not-on-album":
                continue
            sid, title = melon_id(song["id"]), esc(song["song_name"])
            rows.append(
                f'<tr data-song-no="{sid}"><td class="no">{number}</td><td><div class="wrap_song_info">'
                f'<div class="ellipsis"><span><a href="javascript:melon.play.playSong(\'19030101\',{sid});" '
                f'title="{title} 재생">{title}</a></span></div></div></td></tr>'
            )
        # A bonus track that is not in the song list: the spider must pick by title, not by position.
        rows.append(f'<tr data-song-no="{album_id}99"><td><div class="ellipsis"><span>'
                    f'<a href="javascript:melon.play.playSong(\'1\',{album_id}99);">Bonus Track (Remix)</a>'
                    f"</span></div></td></tr>")
        name = esc(songs[0]["album_name"])
        return (f"<html><head><title>{name} - 멜론</title></head><body><div class='section_info'>"
                f"<div class='song_name'>{name}</div></div><table><tbody>{''.join(rows)}</tbody></table></body></html>")

    def song_page(self, sid: int) -> str | None:
        song = self.songs.get(sid)
        if song is None or self.fault(song) == "missing":
            return None
        if self.fault(song) == "malformed":
            return "<html><body><div class='wrap_info'><div class='entry'><p>점검 중입니다</div"
        codes = song["song_gn_gnr_basket"]
        genre = ", ".join(self.genres.get(c, c) for c in codes)
        date = song["issue_date"]
        released = f"{date[:4]}.{date[4:6]}.{date[6:]}"
        artists = "".join(
            f'<a href="javascript:melon.link.goArtistDetail(\'{aid}\');" class="artist_name" title="{esc(a)}">'
            f"<span>{esc(a)}</span></a>"
            for aid, a in zip(song["artist_id_basket"], song["artist_name_basket"])
        )
        lines = self.lyrics.get(str(song["id"]))
        if lines is None or self.fault(song) == "no-lyrics":
            lyric_html = '<div class="lyric_none"><p>가사 준비중</p></div>'
        else:
            credits = [f"작사 : {song['artist_name_basket'][0]}", "작곡 : 모드튠 작곡팀"] if song["id"] % 5 == 0 else []
            body = "<br>\n".join(esc(line) for line in credits + lines)
            lyric_html = f'<div class="lyric" id="d_video_summary"><!-- height:auto; 로 변경시, 확장됨 -->{body}</div>'
        return (
            f"<html><head><title>{esc(song['song_name'])} - 멜론</title></head><body>"
            f"<div class='section_info'><div class='wrap_info'><div class='entry'><div class='info'>"
            f"<div class='song_name'><strong class='none'>곡명</strong>{esc(song['song_name'])}</div>"
            f"<div class='artist'>{artists}</div></div>"
            f"<div class='meta'><dl class='list'><dt>앨범</dt><dd><a>{esc(song['album_name'])}</a></dd>"
            f"<dt>발매일</dt><dd>{released}</dd><dt>장르</dt><dd>{esc(genre)}</dd></dl></div>"
            f"</div></div></div><div class='section_lyric'><div class='wrap_lyric'>{lyric_html}</div></div>"
            f"</body></html>"
        )

    def respond(self, path: str) -> tuple[int, str]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        page = None
        if url.path == "/robots.txt":
            return 200, ROBOTS
        if url.path == "/album/detail.htm" and query.get("albumId", "").isdigit():
            page = self.album_page(int(query["albumId"]))
        elif url.path == "/song/detail.htm" and query.get("songId", "").isdigit():
            page = self.song_page(int(query["songId"]))
        return (200, page) if page is not None else (404, "<html><body>페이지를 찾을 수 없습니다</body></html>")


def _handler(mirror: Mirror):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            status, body = mirror.respond(self.path)
            data = body.encode("utf-8")
            self.send_response(status)
            kind = "text/plain" if self.path == "/robots.txt" else "text/html"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet: the crawler reports what matters
            pass

    return Handler


@contextmanager
def serve_mirror(port: int = 0, mirror: Mirror | None = None):
    """Serves the mirror on 127.0.0.1 in a background thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(mirror or Mirror.load()))
    thread = threading.Thread(target=server.serve_forever, name="mirror", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with serve_mirror(args.port) as url:
        print(f"demo mirror on {url} (Ctrl-C stops it)")
        threading.Event().wait()


if __name__ == "__main__":
    main()
