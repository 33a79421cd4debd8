"""The catalog's contract, independent of the engine behind it (DESIGN.md, "Qdrant").

Collection `songs`; point id = the catalog's song id, so a re-ingest overwrites instead of
duplicating. Named vectors, all cosine: `emotion` (the fused emotion search uses), `lyrics`,
`audio_emotion` and `audio` (each only on the songs that have that signal); `taste` joins later
through the same `vectors` argument of `ensure_schema`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from services.common.labels import NUM_EMOTIONS

COLLECTION = "songs"
VECTOR = "emotion"
#: The named vectors a new catalog is created with: name -> dimension (all cosine).
VECTORS: dict[str, int] = {VECTOR: NUM_EMOTIONS}
# --- sound (issue 14): the per-signal vectors beside the fused `emotion` -------------------------
LYRICS_VECTOR = "lyrics"  # 6, the lyrics' emotions (songs with lyrics)
AUDIO_EMOTION_VECTOR = "audio_emotion"  # 6, the sound's emotions (songs with sound)
AUDIO_VECTOR = "audio"  # 512, the sound embedding: "songs that sound like this"
AUDIO_DIM = 512
SIGNAL_LYRICS, SIGNAL_SOUND = "lyrics", "sound"  # the keys of `Song.signals`
#: The sound vectors ingest adds beside VECTORS (`ensure_schema(vectors={**VECTORS, **SOUND_VECTORS})`;
#: an older Edge store gets them added in place).
SOUND_VECTORS: dict[str, int] = {LYRICS_VECTOR: NUM_EMOTIONS, AUDIO_EMOTION_VECTOR: NUM_EMOTIONS, AUDIO_VECTOR: AUDIO_DIM}
# --- end sound ------------------------------------------------------------------------------------
#: Payload indexes, by engine-neutral type ("keyword" | "integer").
INDEXED: dict[str, str] = {"genres[].code": "keyword", "issue_year": "integer", "label": "keyword"}

# --- playlists (issue 17): taste and curated mood -------------------------------------------------
#: Named vector: a song's item factors from the playlist x song matrix (ALS, `services/ingest/taste.py`),
#: L2-normalised. Only songs that are in some playlist have it.
TASTE = "taste"
TASTE_DIM = 64
#: Payload key: {"probabilities": six floats (canonical order), "playlists": n}: the weighted mean of the
#: moods the text model read in the titles and tags of the n playlists the song is in (`curated.py`).
CURATED_MOOD = "curated_mood"
# --------------------------------------------------------------------------------------------------


class CatalogUnavailable(RuntimeError):
    """The catalog could not be reached, opened, or refused the operation; the message says why."""


@dataclass(frozen=True)
class Genre:
    code: str
    name: str


@dataclass(frozen=True)
class StoredPoint:
    """One point as any engine stores it: what `catalog copy` moves, losslessly (every named vector)."""

    id: int
    vectors: dict[str, list[float]]
    payload: dict

    @classmethod
    def of(cls, record) -> "StoredPoint":
        """From either engine's record or scored point (both carry id, vector, payload)."""
        vector = record.vector
        vectors = vector if isinstance(vector, dict) else ({"": vector} if vector else {})
        return cls(int(record.id), {k: list(v) for k, v in vectors.items()}, dict(record.payload or {}))


@dataclass
class Song:
    """One point's payload, plus its `emotion` vector (and, when set, the per-signal vectors)."""

    song_id: int
    title: str
    artists: list[str]
    album: str
    genres: list[Genre]
    issue_year: int | None
    probabilities: list[float]  # the vector, canonical order
    label: str
    highlight: str
    source_url: str
    model_version: str
    melon_song_id: int | None = None
    ingested_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    # Sound (issue 14). signals: the signals the song has -> the emotion each one heard most
    # ({"lyrics": "sadness", "sound": "peace"}); a point written before sound has none (= lyrics).
    signals: dict[str, str] = field(default_factory=dict)
    audio_model_version: str = ""
    preview: bool = False  # the gateway may play this song's clip (the demo's generated sound)
    # Per-signal vectors, written as named vectors, never as payload (empty = the signal is absent).
    extra_vectors: dict[str, list[float]] = field(default_factory=dict, repr=False)

    @property
    def instrumental(self) -> bool:
        """In the catalog on its sound alone."""
        return bool(self.signals) and SIGNAL_LYRICS not in self.signals

    def payload(self) -> dict:
        payload = asdict(self)
        del payload["probabilities"], payload["extra_vectors"]
        return payload

    def point(self) -> StoredPoint:
        vectors = {VECTOR: list(map(float, self.probabilities))}
        vectors.update({name: list(map(float, v)) for name, v in self.extra_vectors.items() if len(v)})
        return StoredPoint(self.song_id, vectors, self.payload())

    @classmethod
    def from_point(cls, point: StoredPoint) -> "Song":
        # Keys that are not Song fields (curated_mood, ...) stay in the point, not in the Song.
        payload = {k: v for k, v in point.payload.items() if k in _SONG_FIELDS}
        payload["genres"] = [Genre(**g) for g in payload.get("genres", [])]
        vector = point.vectors.get(VECTOR) or ()
        # Qdrant stores cosine vectors L2-normalised; the probabilities are the same direction
        # scaled to sum 1, so they come back exactly without a copy in the payload.
        total = sum(vector) or 1.0
        return cls(probabilities=[v / total for v in vector], **payload)


_SONG_FIELDS = frozenset(Song.__dataclass_fields__) - {"probabilities"}


@dataclass(frozen=True)
class SearchFilter:
    """What a search may return: any of these genre codes, a year range (0 = open), never these ids."""

    genres: tuple[str, ...] = ()
    year_from: int = 0
    year_to: int = 0
    exclude: frozenset[int] = frozenset()
    labels: tuple[str, ...] = ()  # any of these top emotions (payload `label`); empty = any

    def __bool__(self) -> bool:
        return bool(self.genres or self.year_from or self.year_to or self.exclude or self.labels)


@dataclass(frozen=True)
class Hit:
    song_id: int
    score: float
    song: Song | None  # None when the search asked for ids only
    vectors: dict[str, list[float]] = field(default_factory=dict, repr=False)  # every named vector, with the song

    @classmethod
    def of(cls, scored, with_song: bool) -> "Hit":
        """From either engine's scored point."""
        if not with_song:
            return cls(int(scored.id), scored.score, None)
        point = StoredPoint.of(scored)
        return cls(int(scored.id), scored.score, Song.from_point(point), point.vectors)


@dataclass(frozen=True)
class StoreInfo:
    engine: str  # "qdrant-edge" | "qdrant-server" | "qdrant-local-mode"
    location: str
    points: int
    vectors: dict[str, int]  # name -> dimension
    indexed_vectors: int | None  # vectors in HNSW segments; None when the engine does not say
    payload_indexes: list[str]

    @property
    def indexed(self) -> str:
        if self.indexed_vectors is None:
            return "unknown"
        return "yes" if self.points and self.indexed_vectors >= self.points else (
            "no (plain segments: exact search, fine below ~10,000 songs)" if self.points else "empty")
