"""How songs are chosen, as pure functions over vectors (no I/O, tested on their own).

MATCH     the songs closest to the sentence by cosine, re-ranked for variety: maximal
          marginal relevance, and no artist twice while the pool allows.
REGULATE  a path from the listener's emotions to a target (the iso principle of music
          therapy: start where the listener is, move gradually): song i aims at the
          normalised mix (1 - t) * current + t * target, t = i / (limit - 1), each pick
          the best song not yet used.
Personal  a user's liked songs pull the query towards them and disliked ones push it away.
Taste     a candidate's `taste` term (taste.py: its playlist taste against the listener's) is added
          to its emotion fit when ranking, in both modes; 0 leaves the ranking to emotion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.labels import EMOTIONS, KOREAN, NUM_EMOTIONS

MMR_LAMBDA = 0.9  # relevance first: with six dimensions, variety is mostly a matter of artists
LIKE_WEIGHT, DISLIKE_WEIGHT = 0.35, 0.25
# A pick whose taste term is at least this (taste cosine 0.5 at the default weight 0.1) says so.
TASTE_REASON_MIN, TASTE_REASON = 0.05, " · 좋아한 노래들과 결이 비슷해요"


@dataclass(frozen=True)
class Candidate:
    song_id: int
    vector: np.ndarray  # probabilities, canonical order
    artists: tuple[str, ...]
    taste: float = 0.0  # added to the emotion fit when ranking (services/recommender/taste.py); 0 = emotion only


@dataclass(frozen=True)
class Pick:
    song_id: int
    similarity: float
    matched: int  # canonical index
    reason: str
    aim: np.ndarray | None = None


def _has_final_consonant(word: str) -> bool:
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def subject(word: str) -> str:
    """분노가, 슬픔이: the subject particle that fits the word."""
    return word + ("이" if _has_final_consonant(word) else "가")


def towards(word: str) -> str:
    """평화로, 기쁨으로 (a final ㄹ takes 로 too)."""
    final_l = (ord(word[-1]) - 0xAC00) % 28 == 8
    return word + ("으로" if _has_final_consonant(word) and not final_l else "로")


def normalise(v: np.ndarray) -> np.ndarray:
    v = np.clip(np.asarray(v, dtype=np.float64), 0.0, None)
    return v / v.sum() if v.sum() > 0 else np.full(NUM_EMOTIONS, 1.0 / NUM_EMOTIONS)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def matched_emotion(query: np.ndarray, song: np.ndarray) -> int:
    """The emotion both carry most: the largest term of their dot product."""
    return int(np.argmax(np.asarray(query) * np.asarray(song)))


def personal_query(query: np.ndarray, liked: list[np.ndarray], disliked: list[np.ndarray]) -> np.ndarray:
    """The query moved towards the mean of liked songs and away from disliked ones."""
    q = np.asarray(query, dtype=np.float64).copy()
    if liked:
        q += LIKE_WEIGHT * np.mean(liked, axis=0)
    if disliked:
        q -= DISLIKE_WEIGHT * np.mean(disliked, axis=0)
    return normalise(q)


def match(query: np.ndarray, pool: list[Candidate], limit: int) -> list[Pick]:
    """MMR over the pool, one song per artist while enough artists remain (vectorised: one
    matrix of the pool, each step one dot product against the song just chosen)."""
    if not pool or limit < 1:
        return []
    query = np.asarray(query, dtype=np.float64)
    vectors = np.asarray([c.vector for c in pool], dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    relevance = vectors @ query / (norms * np.linalg.norm(query) + 1e-12)
    fit = relevance + np.fromiter((c.taste for c in pool), float, len(pool))  # emotion first, taste second
    unit = vectors / (norms[:, None] + 1e-12)
    redundancy = np.zeros(len(pool))  # each candidate's highest cosine to a chosen song
    available = np.ones(len(pool), dtype=bool)
    chosen: list[int] = []
    used_artists: set[str] = set()
    while available.any() and len(chosen) < limit:
        fresh = available & np.fromiter((not used_artists.intersection(c.artists) for c in pool), bool, len(pool))
        options = fresh if fresh.any() else available  # the catalog may not have enough artists
        score = np.where(options, MMR_LAMBDA * fit - (1 - MMR_LAMBDA) * redundancy, -np.inf)
        best = int(np.argmax(score))  # the first of equals, in pool order
        chosen.append(best)
        available[best] = False
        used_artists.update(pool[best].artists)
        np.maximum(redundancy, unit @ unit[best], out=redundancy)
    picks = []
    for i in chosen:
        c = pool[i]
        matched = matched_emotion(query, c.vector)
        reason = f"{subject(KOREAN[EMOTIONS[matched]])} 닮았어요" + (TASTE_REASON if c.taste >= TASTE_REASON_MIN else "")
        picks.append(Pick(c.song_id, float(relevance[i]), matched, reason))
    return picks


def regulate_aims(current: np.ndarray, target: int, limit: int) -> list[np.ndarray]:
    """The emotion mix each song aims at, from where the listener is to the target."""
    goal = np.zeros(NUM_EMOTIONS)
    goal[target] = 1.0
    current = normalise(current)
    steps = [0.0] if limit == 1 else [i / (limit - 1) for i in range(limit)]
    return [normalise((1 - t) * current + t * goal) for t in steps]


def regulate(current: np.ndarray, target: int, pools: list[list[Candidate]], limit: int) -> list[Pick]:
    """One pick per aim: the best song for that aim that is not yet used."""
    aims = regulate_aims(current, target, limit)
    used: set[int] = set()
    picks = []
    for step, (aim, pool) in enumerate(zip(aims, pools), start=1):
        options = [c for c in pool if c.song_id not in used]
        if not options:
            continue
        best = max(options, key=lambda c: cosine(aim, c.vector) + c.taste)
        used.add(best.song_id)
        top = int(np.argmax(aim))
        reason = f"{step}/{limit}단계 · {KOREAN[EMOTIONS[int(np.argmax(current))]]}에서 {towards(KOREAN[EMOTIONS[target]])}"
        reason += TASTE_REASON if best.taste >= TASTE_REASON_MIN else ""
        picks.append(Pick(best.song_id, cosine(aim, best.vector), top, reason, aim))
    return picks
