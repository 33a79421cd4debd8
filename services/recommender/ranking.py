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
    signals: dict[str, str] | None = None  # Song.signals: which signal heard which emotion (issue 14)


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


def match(query: np.ndarray, pool: list[Candidate], limit: int, bonus: np.ndarray | None = None) -> list[Pick]:
    """MMR over the pool, one song per artist while enough artists remain (vectorised: one
    matrix of the pool, each step one dot product against the song just chosen). Ranked by the
    emotion fit + each candidate's taste + `bonus` (a user's pull in the sound space, `sound_bonus`);
    `similarity` stays the emotion cosine."""
    if not pool or limit < 1:
        return []
    query = np.asarray(query, dtype=np.float64)
    chosen, relevance = _mmr(query, pool, limit, bonus=bonus)
    picks = []
    for i in chosen:
        c = pool[i]
        matched = matched_emotion(query, c.vector)
        reason = signal_reason(matched, c.signals or {}) or f"{subject(KOREAN[EMOTIONS[matched]])} 닮았어요"
        reason += TASTE_REASON if c.taste >= TASTE_REASON_MIN else ""
        picks.append(Pick(c.song_id, float(relevance[i]), matched, reason))
    return picks


def _mmr(query: np.ndarray, pool: list[Candidate], limit: int, used_artists: set[str] | None = None,
         mmr_lambda: float = MMR_LAMBDA, bonus: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    """(indices chosen in order, each candidate's cosine to the query): MMR with artist variety over
    the fit (cosine + taste + bonus)."""
    vectors = np.asarray([c.vector for c in pool], dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    relevance = vectors @ query / (norms * np.linalg.norm(query) + 1e-12)
    fit = relevance + np.fromiter((c.taste for c in pool), float, len(pool))  # emotion first, taste second
    if bonus is not None:  # a user's pull in the sound space (sound_bonus)
        fit = fit + bonus
    unit = vectors / (norms[:, None] + 1e-12)
    redundancy = np.zeros(len(pool))  # each candidate's highest cosine to a chosen song
    available = np.ones(len(pool), dtype=bool)
    chosen: list[int] = []
    used_artists = set(used_artists or ())
    while available.any() and len(chosen) < limit:
        fresh = available & np.fromiter((not used_artists.intersection(c.artists) for c in pool), bool, len(pool))
        options = fresh if fresh.any() else available  # the catalog may not have enough artists
        score = np.where(options, mmr_lambda * fit - (1 - mmr_lambda) * redundancy, -np.inf)
        best = int(np.argmax(score))  # the first of equals, in pool order
        chosen.append(best)
        available[best] = False
        used_artists.update(pool[best].artists)
        np.maximum(redundancy, unit @ unit[best], out=redundancy)
    return chosen, relevance


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


# --- sound (issue 14) ------------------------------------------------------------------------------
# Adjectives for the reason line, by canonical emotion: "멜로디가 평화로워요".
FEELS = {"anger": "거칠어요", "tension": "긴장돼요", "sadness": "슬퍼요", "peace": "평화로워요", "joy": "기뻐요",
         "neutral": "담담해요"}
SIMILAR_MMR_LAMBDA = 0.8  # songs that sound alike: closer first, but not five takes of one sound
# Feedback in the sound space: a candidate's relevance moves by these times its cosine to the mean
# liked (disliked) embedding, centred on the pool's songs with sound so that sound itself is no bonus.
# Emotion cosines within one feeling differ by hundredths; sound cosines by tenths: 0.1 reorders
# songs of the same feeling by how they sound without crossing feelings.
AUDIO_LIKE_WEIGHT, AUDIO_DISLIKE_WEIGHT = 0.1, 0.1


def sound_bonus(audio: list[list[float] | None], liked: list[list[float]], disliked: list[list[float]]) -> np.ndarray:
    """Per candidate (its `audio` embedding, None without sound): +like pull - dislike push, 0 without sound."""
    bonus = np.zeros(len(audio))
    have = [i for i, a in enumerate(audio) if a is not None]
    if not have:
        return bonus
    heard = np.asarray([audio[i] for i in have], dtype=np.float64)
    heard /= np.linalg.norm(heard, axis=1, keepdims=True) + 1e-12
    total = np.zeros(len(have))
    for vectors, weight in ((liked, AUDIO_LIKE_WEIGHT), (disliked, -AUDIO_DISLIKE_WEIGHT)):
        if vectors:
            mean = np.mean(np.asarray(vectors, dtype=np.float64), axis=0)
            cos = heard @ (mean / (np.linalg.norm(mean) + 1e-12))
            total += weight * (cos - cos.mean())
    bonus[have] = total
    return bonus


def signal_reason(matched: int, signals: dict[str, str]) -> str | None:
    """Which of a song's signals carry the matched emotion: "가사와 멜로디 모두 슬픔", "멜로디가 평화로워요",
    "가사가 슬퍼요"; None for a song with lyrics only (the plain reason says it) or when neither does."""
    emotion = EMOTIONS[matched]
    lyrics, sound = signals.get("lyrics"), signals.get("sound")
    if sound is None:
        return None
    if lyrics == emotion and sound == emotion:
        return f"가사와 멜로디 모두 {KOREAN[emotion]}"
    if sound == emotion:
        return f"멜로디가 {FEELS[emotion]}"
    if lyrics == emotion:
        return f"가사가 {FEELS[emotion]}"
    return None


def similar(query: np.ndarray, pool: list[Candidate], limit: int, artists: tuple[str, ...] = ()) -> list[tuple[int, float]]:
    """(song id, cosine) of the songs that sound most like `query` (an `audio` embedding), MMR-ranked,
    other artists than the song's own (`artists`) and than each other first."""
    if not pool or limit < 1:
        return []
    chosen, relevance = _mmr(np.asarray(query, dtype=np.float64), pool, limit, set(artists), SIMILAR_MMR_LAMBDA)
    return [(pool[i].song_id, float(relevance[i])) for i in chosen]


def similar_reason(own: str, other: str, by_taste: bool = False) -> str:
    """"멜로디가 닮았어요 · 둘 다 슬픔", or with the other song's own feeling when it differs; found by
    taste (the song has no sound): "같은 플레이리스트에 자주 담겨요 · …"."""
    why = "같은 플레이리스트에 자주 담겨요" if by_taste else "멜로디가 닮았어요"
    if own == other:
        return f"{why} · 둘 다 {KOREAN[other]}"
    return f"{why} · {KOREAN[other]}"
