"""The demo catalog: its shape, and that none of its lyrics are in the training corpora."""

from __future__ import annotations

import json
from collections import Counter

from services.common.labels import EMOTIONS
from services.ingest.demo import GENRES, INTENDED, LYRICS, SONG_META
from tests.training.test_corpora import char_trigrams
from training.corpora import load_kote_soft, load_project
from training.splits import normalize

META = json.loads(SONG_META.read_text(encoding="utf-8"))
LYRIC_LINES = json.loads(LYRICS.read_text(encoding="utf-8"))
INTENDED_EMOTION = dict(line.split("\t") for line in INTENDED.read_text(encoding="utf-8").splitlines()[1:])


def test_song_meta_has_the_kakao_arena_fields():
    genres = json.loads(GENRES.read_text(encoding="utf-8"))
    fields = {"id", "album_id", "artist_id_basket", "artist_name_basket", "song_name", "album_name",
              "song_gn_gnr_basket", "song_gn_dtl_gnr_basket", "issue_date"}
    for song in META:
        assert fields <= set(song), song
        assert len(song["issue_date"]) == 8 and song["issue_date"].isdigit()
        assert all(code in genres for code in song["song_gn_gnr_basket"] + song["song_gn_dtl_gnr_basket"])
    assert len({s["id"] for s in META}) == len(META)


def test_at_least_240_songs_40_per_emotion_with_8_to_20_lines():
    counts = Counter(INTENDED_EMOTION.values())
    print("demo songs per intended emotion:", dict(counts))
    assert len(INTENDED_EMOTION) >= 240 and all(counts[e] >= 40 for e in EMOTIONS)
    assert set(INTENDED_EMOTION) == set(LYRIC_LINES)
    assert all(8 <= len(lines) <= 20 for lines in LYRIC_LINES.values())
    artists = Counter(s["artist_name_basket"][0] for s in META if str(s["id"]) in LYRIC_LINES)
    assert sum(1 for n in artists.values() if n >= 2) >= 40  # artists with several songs: variety matters


def test_demo_lyrics_are_not_in_the_training_corpora():
    training = load_project("lyrics") + load_project("conversation") + load_project("mixed") + load_project("hard") \
        + load_kote_soft()
    training_lines = {normalize(line) for e in training for line in e.text.split(" / ")}
    demo_lines = {normalize(line) for lines in LYRIC_LINES.values() for line in lines if len(normalize(line)) >= 8}
    shared = demo_lines & training_lines
    assert not shared, sorted(shared)[:5]
    fragments = [char_trigrams(e.text.replace(" / ", "")) for e in load_project("lyrics")]
    for song_id, lines in LYRIC_LINES.items():
        song = char_trigrams("".join(lines))
        worst = max(len(song & f) / len(song | f) for f in fragments)
        assert worst < 0.3, (song_id, worst)
