"""The recommender's work, independent of gRPC: classify (cached), search (cached), pick.

The gRPC servicer and `moodtune recommend` both drive this class.
"""

from __future__ import annotations

import collections
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from types import EllipsisType

import grpc
import numpy as np
from prometheus_client import Counter

from services.classifier.client import Classifier
from services.common.catalog import CatalogStore, CatalogUnavailable, Genre, SearchFilter, Song
from services.common.catalog.schema import AUDIO_VECTOR, TASTE
from services.common.labels import EMOTIONS, INDEX
from services.recommender import ranking, taste
from services.recommender.cache import Cache, normalise_text
from services.recommender.local_cache import LocalCache

log = logging.getLogger(__name__)

CLASSIFIER_CALLS = Counter("moodtune_recommender_classifier_calls_total", "sentences sent to the classifier")
QDRANT_QUERIES = Counter("moodtune_recommender_qdrant_queries_total", "searches sent to Qdrant")
LOCAL_HITS = Counter("moodtune_recommender_local_cache_hits_total",
                     "user-less requests answered from the in-process cache of final picks")

MATCH, REGULATE = "match", "regulate"
FEEDBACK_KINDS = ("liked", "disliked", "skipped")
MAX_TEXT, MAX_LIMIT = 1000, 50


class InvalidRequest(ValueError):
    """The request breaks a rule; the message says which."""


class ClassifierUnavailable(RuntimeError):
    pass


class UpstreamTimeout(RuntimeError):
    pass


class SongNotFound(LookupError):
    pass


class SongHasNoSound(LookupError):
    """SimilarSongs for a song the catalog holds neither sound nor taste for (FAILED_PRECONDITION)."""


@dataclass(frozen=True)
class Filter:
    genres: tuple[str, ...] = ()
    year_from: int = 0
    year_to: int = 0
    exclude: tuple[int, ...] = ()

    def search_filter(self, extra_exclude: set[int] = frozenset()) -> SearchFilter:
        return SearchFilter(tuple(self.genres), self.year_from, self.year_to,
                            frozenset(self.exclude) | frozenset(extra_exclude))


@dataclass(frozen=True)
class Request:
    text: str
    limit: int = 5
    mode: str = MATCH
    user_id: str = ""
    filter: Filter = Filter()
    target: str = "peace"

    def validated(self) -> "Request":
        text = self.text.strip()
        if not text:
            raise InvalidRequest("text is empty: write how you feel")
        if len(text) > MAX_TEXT:
            raise InvalidRequest(f"text has {len(text)} characters after trimming; the limit is {MAX_TEXT}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {self.limit}")
        if self.mode not in (MATCH, REGULATE):
            raise InvalidRequest(f"mode must be {MATCH!r} or {REGULATE!r}, not {self.mode!r}")
        if self.target not in ("peace", "joy"):
            raise InvalidRequest(f"target must be 'peace' or 'joy', not {self.target!r}")
        if len(self.user_id) > 128:
            raise InvalidRequest("user_id is longer than 128 characters")
        f = self.filter
        if f.year_from and f.year_to and f.year_from > f.year_to:
            raise InvalidRequest(f"year_from {f.year_from} is after year_to {f.year_to}")
        if len(f.genres) > 50 or len(f.exclude) > 1000:
            raise InvalidRequest("filter is too large (at most 50 genres and 1,000 excluded songs)")
        return Request(text, self.limit, self.mode, self.user_id, f, self.target)

    def pool_key(self) -> str:
        """Everything that decides the candidate pool; never the user (pools are shared, picks are not)."""
        return json.dumps([normalise_text(self.text), self.mode, self.limit, self.target,
                           sorted(self.filter.genres), self.filter.year_from, self.filter.year_to,
                           sorted(self.filter.exclude)], ensure_ascii=False)


@dataclass
class Chosen:
    song: Song
    similarity: float
    reason: str
    matched: str
    aim: list[float] | None = None


@dataclass
class Result:
    emotion: list[float]
    songs: list[Chosen]
    model_version: str
    catalog_version: str
    cached: bool
    mode: str = MATCH


def _song_to_json(song: Song) -> dict:
    return asdict(song)


def _song_from_json(raw: dict) -> Song:
    raw = dict(raw)
    raw["genres"] = [Genre(**g) for g in raw["genres"]]
    return Song(**raw)


@dataclass
class SimilarResult:
    song: Song
    songs: list[Chosen]
    audio_model_version: str
    catalog_version: str
    space: str = AUDIO_VECTOR  # the named vector the neighbours were found in: audio, or taste without sound


#: SimilarSongs' spaces, first that the song has wins: its sound, else its playlists (issue 17).
SIMILAR_SPACES = (AUDIO_VECTOR, TASTE)


@dataclass
class Recommender:
    classifier: Classifier
    catalog: CatalogStore
    cache: Cache
    pool_size: int = 60
    local_cache_size: int = 4096
    taste_weight: float = taste.TASTE_WEIGHT  # 0 turns taste off (services/recommender/taste.py)
    # Final picks of user-less requests; only ever filled while Redis answers the catalog version.
    _final: LocalCache[Result] = field(init=False)

    def __post_init__(self) -> None:
        self._final = LocalCache(self.local_cache_size, self.cache.pool_ttl_s)

    # --- classification --------------------------------------------------------------------

    def classify(self, text: str) -> tuple[list[float], str, bool]:
        """(six probabilities, model version, from cache)."""
        version = self.classifier.model_version
        cached = self.cache.get_classification(version, text)
        if cached is not None:
            return cached, version, True
        CLASSIFIER_CALLS.inc()
        try:
            (result,) = self.classifier.classify([text])
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise UpstreamTimeout("the classifier did not answer in time") from exc
            raise ClassifierUnavailable(f"the classifier is unavailable ({code.name if code else exc})") from exc
        probabilities = list(result.probabilities)
        self.cache.set_classification(self.classifier.model_version, text, probabilities)
        return probabilities, self.classifier.model_version, False

    # --- Qdrant ------------------------------------------------------------------------------

    def _search(self, vectors: list[np.ndarray], limit: int, qfilter: SearchFilter) -> list[list[Song]]:
        QDRANT_QUERIES.inc()
        try:
            results = self.catalog.search(vectors, limit, qfilter)
        except CatalogUnavailable:
            raise
        except Exception as exc:  # anything else the engine raises: still "the catalog is down" to callers
            raise CatalogUnavailable(f"the catalog (Qdrant) is unavailable: {exc}") from exc
        return [[hit.song for hit in hits] for hits in results]

    def song(self, song_id: int) -> Song:
        try:
            songs = self.catalog.retrieve([song_id])
        except CatalogUnavailable:
            raise
        except Exception as exc:
            raise CatalogUnavailable(f"the catalog (Qdrant) is unavailable: {exc}") from exc
        if not songs:
            raise SongNotFound(f"song {song_id} is not in the catalog")
        return songs[0]

    # --- recommend ---------------------------------------------------------------------------

    def _pools(self, request: Request, current: np.ndarray, version: str) -> tuple[list[list[Song]], bool]:
        cached = self.cache.get_pool(version, request.pool_key())
        if cached is not None:
            return [[_song_from_json(s) for s in pool] for pool in cached], True
        qfilter = request.filter.search_filter()
        if request.mode == MATCH:
            pools = self._search([current], max(self.pool_size, request.limit * 4), qfilter)
        else:
            aims = ranking.regulate_aims(current, INDEX[request.target], request.limit)
            pools = self._search(aims, request.limit * 3, qfilter)
        self.cache.set_pool(version, request.pool_key(), [[_song_to_json(s) for s in pool] for pool in pools])
        return pools, False

    def _final_key(self, request: Request, known_version: str | None) -> tuple | None:
        # Personal picks depend on the user's state; everyone else asking the same gets the same answer.
        if request.user_id or known_version is None:
            return None
        return known_version, self.classifier.model_version, request.pool_key()

    def cached_answer(self, request: Request, known_version: str | None) -> Result | None:
        """The answer already given to this validated, user-less request under this catalog version."""
        key = self._final_key(request, known_version)
        hit = None if key is None else self._final.get(key)
        if hit is None:
            return None
        LOCAL_HITS.inc()
        return replace(hit, cached=True)

    def recommend(self, request: Request, known_version: "str | None | EllipsisType" = ...) -> Result:
        """`known_version`: the catalog version the caller has just read (None: Redis is down; ... = read it)."""
        request = request.validated()
        if known_version is ...:
            known_version = self.cache.known_catalog_version()
            if (hit := self.cached_answer(request, known_version)) is not None:
                return hit
        result = self._recommend(request, known_version or "0")
        if (key := self._final_key(request, known_version)) is not None:
            self._final.put(key, result)
        return result

    def _recommend(self, request: Request, version: str) -> Result:
        probabilities, model_version, classification_cached = self.classify(request.text)
        current = np.asarray(probabilities)
        pools, pool_cached = self._pools(request, current, version)

        liked, disliked, recent = self.cache.user_state(request.user_id) if request.user_id else ({}, {}, [])
        excluded = set(disliked) | set(recent)
        pools = [[s for s in pool if s.song_id not in excluded] for pool in pools]
        if request.user_id and any(len(pool) < request.limit for pool in pools) and excluded:
            # The shared pool ran dry for this user: search again past what they have heard.
            pool_cached = False
            vectors = [current] if request.mode == MATCH else ranking.regulate_aims(
                current, INDEX[request.target], request.limit)
            size = max(self.pool_size, request.limit * 4) if request.mode == MATCH else request.limit * 3
            pools = self._search(vectors, size, request.filter.search_filter(excluded))

        by_id = {s.song_id: s for pool in pools for s in pool}
        boost = self._taste(liked, by_id)
        candidates = [[ranking.Candidate(s.song_id, np.asarray(s.probabilities), tuple(s.artists),
                                         boost.get(s.song_id, 0.0), s.signals) for s in pool]
                      for pool in pools]
        if request.mode == MATCH:
            query = ranking.personal_query(current, list(map(np.asarray, liked.values())),
                                           list(map(np.asarray, disliked.values())))
            bonus = self._sound_bonus(request.user_id, pools[0]) if request.user_id else None
            picks = ranking.match(query, candidates[0], request.limit, bonus)
        else:
            picks = ranking.regulate(current, INDEX[request.target], candidates, request.limit)
        if request.user_id:
            self.cache.add_recent(request.user_id, [p.song_id for p in picks])
        chosen = [Chosen(by_id[p.song_id], p.similarity, p.reason, EMOTIONS[p.matched],
                         None if p.aim is None else list(map(float, p.aim))) for p in picks]
        return Result(probabilities, chosen, model_version, version,
                      cached=classification_cached and pool_cached, mode=request.mode)

    def _taste(self, liked: dict[int, list[float]], candidates: dict[int, Song]) -> dict[int, float]:
        """Each candidate's taste term for this listener; empty without likes (taste.py)."""
        if not liked or self.taste_weight <= 0:
            return {}
        try:
            return taste.boosts(self.catalog, liked, candidates, self.taste_weight)
        except CatalogUnavailable:
            raise
        except Exception as exc:
            raise CatalogUnavailable(f"the catalog (Qdrant) is unavailable: {exc}") from exc

    # --- feedback ----------------------------------------------------------------------------

    def feedback(self, user_id: str, song_id: int, kind: str) -> None:
        if not user_id.strip() or len(user_id) > 128:
            raise InvalidRequest("user_id must be 1 to 128 characters")
        if kind not in FEEDBACK_KINDS:
            raise InvalidRequest(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}, not {kind!r}")
        points = self._points([song_id])
        if not points:
            raise SongNotFound(f"song {song_id} is not in the catalog")
        song = Song.from_point(points[0])
        # Songs with sound are also remembered by their sound (issue 14): under the audio model's version.
        self.cache.record_feedback(user_id, song_id, kind, song.probabilities,
                                   points[0].vectors.get(AUDIO_VECTOR), song.audio_model_version)

    # --- sound (issue 14) ------------------------------------------------------------------------

    def _points(self, ids: list[int]):
        try:
            return self.catalog.retrieve_points(ids)
        except CatalogUnavailable:
            raise
        except Exception as exc:
            raise CatalogUnavailable(f"the catalog (Qdrant) is unavailable: {exc}") from exc

    def _sound_bonus(self, user_id: str, pool: list[Song]) -> np.ndarray | None:
        """Each candidate's pull in the `audio` space from the user's liked and disliked songs, or None
        when the user has no feedback on songs with sound (ranking.sound_bonus has the weights)."""
        versions = collections.Counter(s.audio_model_version for s in pool if s.audio_model_version)
        if not versions:
            return None
        version = versions.most_common(1)[0][0]
        liked, disliked = self.cache.user_audio(user_id, version)
        if not liked and not disliked:
            return None
        heard = {p.id: p.vectors[AUDIO_VECTOR] for p in self._points(
            [s.song_id for s in pool if s.audio_model_version == version]) if p.vectors.get(AUDIO_VECTOR)}
        return ranking.sound_bonus([heard.get(s.song_id) for s in pool], liked, disliked)

    def similar(self, song_id: int, limit: int = 5, filter: Filter = Filter(), same_emotion: bool = False) -> SimilarResult:
        """Songs that sound like `song_id`: nearest by `audio`, MMR re-ranked for artist variety. A song
        without sound falls back to `taste` (songs found in the same playlists); with neither it is refused."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if len(filter.genres) > 50 or len(filter.exclude) > 1000:
            raise InvalidRequest("filter is too large (at most 50 genres and 1,000 excluded songs)")
        if filter.year_from and filter.year_to and filter.year_from > filter.year_to:
            raise InvalidRequest(f"year_from {filter.year_from} is after year_to {filter.year_to}")
        points = self._points([song_id])
        if not points:
            raise SongNotFound(f"song {song_id} is not in the catalog")
        song = Song.from_point(points[0])
        space = next((name for name in SIMILAR_SPACES if points[0].vectors.get(name)), None)
        if space is None:
            raise SongHasNoSound(f"song {song_id} has no sound in the catalog and is in no playlist, "
                                 "so nothing can be found that sounds like it")
        query = points[0].vectors[space]
        version = self.cache.known_catalog_version() or "0"
        qfilter = replace(filter.search_filter({song_id}), labels=(song.label,) if same_emotion else ())
        # The pool depends on the space and on the audio model that made the embeddings: both are in the key.
        key = json.dumps(["similar", song_id, space, song.audio_model_version, limit, same_emotion,
                          sorted(filter.genres), filter.year_from, filter.year_to, sorted(filter.exclude)])
        pool = self.cache.get_pool(version, key)
        if pool is None:
            QDRANT_QUERIES.inc()
            (hits,) = self.catalog.search([query], max(self.pool_size // 2, limit * 4), qfilter, using=space)
            pool = [{"song": _song_to_json(h.song), "vector": h.vectors[space]} for h in hits if h.vectors.get(space)]
            self.cache.set_pool(version, key, pool)
        songs = {p["song"]["song_id"]: _song_from_json(p["song"]) for p in pool}
        candidates = [ranking.Candidate(p["song"]["song_id"], np.asarray(p["vector"]), tuple(p["song"]["artists"]))
                      for p in pool]
        chosen = []
        for similar_id, cosine in ranking.similar(np.asarray(query), candidates, limit, tuple(song.artists)):
            other = songs[similar_id]
            reason = ranking.similar_reason(song.label, other.label, by_taste=space == TASTE)
            chosen.append(Chosen(other, cosine, reason, other.label))
        return SimilarResult(song, chosen, song.audio_model_version, version, space)
