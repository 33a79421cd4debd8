"""Writes the demo's fictional playlists (`playlists.json`, Kakao Arena `train.json` form).

    python -m services.ingest.demo.make_playlists     # rewrites services/ingest/demo/playlists.json

Nothing here is real: the listeners, their playlists, the titles, tags and like counts are made up
by this script (the titles and tags are Korean phrases written for moodtune). The process is
deterministic (one seeded `random.Random`), so the committed file is reproducible byte for byte.
It gives collaborative filtering structure to find and playlist words a mood:

- **Taste listeners** (`LISTENERS`): each has one or two favourite genres, a favourite decade and
  a few favourite artists, and makes a few playlists drawn from the catalog with weights that favour
  them. Their titles and tags name the genre, the decade or a situation (출근길, 드라이브, ...).
- **Mood playlists** (`MOOD_PLAYLISTS`): a title and tags that describe a feeling (비 오는 날 듣기
  좋은 잔잔한 노래 / 잔잔한, 힐링), drawn mostly from the songs whose lyrics were written for that
  feeling (`intended_emotion.tsv`), leaning towards their creator's favourite genre.
- Songs released in `NEW_FROM_YEAR` or later are in no playlist: they are the "new songs" that
  must fall back to emotion alone. The deliberately broken songs of `mirror_faults.json` do appear
  in playlists, so a load reports songs that are not in the catalog.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from services.ingest.demo import INTENDED, SONG_META

PLAYLISTS = Path(__file__).resolve().parent / "playlists.json"
SEED = 17
LISTENERS = 70
MOOD_PLAYLISTS = 130
NEW_FROM_YEAR = 2025

GENRE_KO = {"GN0100": "발라드", "GN0200": "댄스", "GN0300": "힙합", "GN0400": "알앤비", "GN0500": "인디",
            "GN0600": "록", "GN0700": "트로트", "GN0800": "포크"}
SITUATIONS = ["출근길", "퇴근길", "드라이브", "주말", "작업", "카페", "운동", "여행", "산책", "밤"]
TASTE_TITLES = [
    "{decade}년대 {genre} 모음", "내가 아끼는 {genre} 플레이리스트", "{artist}랑 비슷한 노래들",
    "{situation}에 듣는 {genre}", "추억의 {decade}년대 노래", "요즘 자주 듣는 {genre}", "{genre} 명곡만 골랐어요",
    "{artist} 좋아하는 사람 모여라", "{situation} 플레이리스트", "나만 알고 싶은 {genre}",
]
# Titles and tags people might write for each feeling (canonical emotion ids).
MOOD_WORDS = {
    "sadness": (["비 오는 날 혼자 듣는 슬픈 노래", "이별 후에 듣는 노래", "새벽에 듣는 우울한 노래", "눈물 나는 노래 모음",
                 "그리운 사람 생각날 때", "헤어지고 나서 매일 듣는 노래"],
                ["이별", "슬픔", "새벽감성", "눈물", "그리움", "우울"]),
    "peace": (["비 오는 날 듣기 좋은 잔잔한 노래", "마음이 편해지는 힐링 음악", "잠들기 전 듣는 잔잔한 노래",
               "카페에서 듣는 편안한 음악", "조용한 일요일 아침", "지친 하루 끝의 위로"],
              ["잔잔한", "힐링", "편안한", "휴식", "여유", "위로"]),
    "joy": (["기분 좋아지는 신나는 노래", "여행 떠날 때 신나는 노래", "행복한 주말 아침", "텐션 올리는 댄스곡",
             "설레는 봄날 노래", "파티 분위기 띄우는 노래"],
            ["신나는", "기분전환", "행복", "설렘", "파티", "여름"]),
    "anger": (["스트레스 풀리는 강렬한 노래", "화날 때 듣는 노래", "분노 폭발 록", "짜증날 때 크게 트는 노래",
               "열받을 때 소리 지르고 싶은 노래", "답답할 때 부수고 싶은 노래"],
              ["스트레스", "분노", "강렬한", "짜증", "화풀이", "열받을때"]),
    "tension": (["시험 전날 긴장될 때", "불안한 밤에 듣는 노래", "두근두근 긴장되는 순간", "면접 보러 가는 길",
                 "초조하고 떨릴 때", "마감 직전 쫄리는 노래"],
                ["긴장", "불안", "초조", "두근두근", "걱정", "떨림"]),
    "neutral": (["그냥 틀어두는 노래", "노동요 모음", "공부할 때 틀어놓는 노래", "매장 배경음악",
                 "아무 생각 없이 듣는 노래", "청소할 때 듣는 노래"],
                ["노동요", "공부", "배경음악", "매장음악", "집중", "일상"]),
}


@dataclass(frozen=True)
class DemoSong:
    id: int
    genre: str
    decade: int  # 90 for the 1990s, 0 for the 2000s, 10, 20
    year: int
    artists: tuple[str, ...]
    emotion: str | None


def demo_songs() -> list[DemoSong]:
    intended = {int(k): v for k, v in (line.split("\t") for line in INTENDED.read_text().splitlines()[1:])}
    songs = []
    for s in json.loads(SONG_META.read_text()):
        year = int(s["issue_date"][:4])
        genre = s["song_gn_gnr_basket"][0] if s["song_gn_gnr_basket"] else ""
        songs.append(DemoSong(s["id"], genre, (year // 10 * 10) % 100, year, tuple(s["artist_name_basket"]),
                              intended.get(s["id"])))
    return songs


def _decade_word(decade: int) -> str:
    return f"{decade:02d}" if decade else "2000"


def _sample(rng: random.Random, songs: list[DemoSong], weights: list[float], k: int) -> list[int]:
    """k songs without replacement, each draw by weight (Efraimidis-Spirakis keys)."""
    keyed = sorted(((rng.random() ** (1.0 / w), s.id) for s, w in zip(songs, weights) if w > 0), reverse=True)
    return [song_id for _, song_id in keyed[:k]]


def _like_cnt(rng: random.Random) -> int:
    return min(int(rng.paretovariate(1.1)) - 1, 2000)  # most playlists have few likes, a few have many


def _date(rng: random.Random) -> str:
    return (f"20{rng.randint(14, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.000")


def make_playlists(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    songs = [s for s in demo_songs() if s.year < NEW_FROM_YEAR]
    genres = sorted({s.genre for s in songs if s.genre in GENRE_KO})
    decades = sorted({s.decade for s in songs})
    playlists: list[dict] = []

    def add(title: str, tags: list[str], chosen: list[int]) -> None:
        playlists.append({"tags": tags, "id": len(playlists) + 1, "plylst_title": title, "songs": chosen,
                          "like_cnt": _like_cnt(rng), "updt_date": _date(rng)})

    for _ in range(LISTENERS):
        liked_genres = rng.sample(genres, rng.choice((1, 1, 2)))
        decade = rng.choice(decades)
        own = [s for s in songs if s.genre in liked_genres]
        artists = {a for s in rng.sample(own, min(3, len(own))) for a in s.artists}
        weights = [0.03 + 3.0 * (s.genre in liked_genres) + 2.0 * (s.decade == decade) * (s.genre in liked_genres)
                   + 5.0 * bool(artists.intersection(s.artists)) for s in songs]
        for _ in range(rng.randint(2, 5)):
            genre = GENRE_KO[rng.choice(liked_genres)]
            situation = rng.choice(SITUATIONS)
            title = rng.choice(TASTE_TITLES).format(decade=_decade_word(decade), genre=genre, situation=situation,
                                                    artist=rng.choice(sorted(artists)))
            tags = [genre, f"{_decade_word(decade)}년대", situation][: rng.randint(1, 3)]
            add(title, tags, _sample(rng, songs, weights, rng.randint(8, 20)))

    emotions = sorted(MOOD_WORDS)
    for _ in range(MOOD_PLAYLISTS):
        emotion = rng.choice(emotions)
        liked_genre = rng.choice(genres)
        titles, words = MOOD_WORDS[emotion]
        weights = [0.05 + 6.0 * (s.emotion == emotion) + 1.5 * (s.genre == liked_genre) for s in songs]
        add(rng.choice(titles), rng.sample(words, rng.randint(1, 3)), _sample(rng, songs, weights, rng.randint(8, 18)))
    return playlists


def write(path: Path = PLAYLISTS) -> None:
    rows = ",\n".join(json.dumps(p, ensure_ascii=False) for p in make_playlists())
    path.write_text(f"[\n{rows}\n]\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {PLAYLISTS}")
