"""The catalog store's contract, run unchanged against both engines: Qdrant Edge (the embedded
default) and qdrant-client's local mode (the stand-in for a Qdrant server: same client code path)."""

from __future__ import annotations

import numpy as np
import pytest

from services.common import catalog
from services.common.catalog import Genre, SearchFilter, Song
from services.common.catalog.client import ClientStore
from services.common.catalog.edge import EdgeStore

ENGINES = ["edge", "local-mode"]
GENRES = [Genre("GN0100", "발라드"), Genre("GN0200", "댄스"), Genre("GN0300", "랩/힙합")]


def open_engine(kind: str, path):
    return EdgeStore(path / "edge") if kind == "edge" else ClientStore.local_mode(path / "local")


def songs(n: int, seed: int = 0) -> list[Song]:
    rng = np.random.default_rng(seed)
    vectors = rng.dirichlet(np.full(6, 0.5), size=n)
    return [Song(song_id=i + 1, title=f"곡 {i + 1}", artists=[f"가수 {i % 7}"], album=f"앨범 {i // 5}",
                 genres=[GENRES[i % 3]] + ([GENRES[(i + 1) % 3]] if i % 4 == 0 else []),
                 issue_year=1990 + i % 30, probabilities=v.tolist(), label="joy", highlight="한 줄",
                 source_url=f"https://example/{i + 1}", model_version="m1", melon_song_id=1000 + i)
            for i, v in enumerate(vectors)]


CATALOG = songs(300)
PROBES = np.random.default_rng(1).dirichlet(np.full(6, 0.5), size=5)


@pytest.fixture(params=ENGINES)
def store(request, tmp_path):
    s = open_engine(request.param, tmp_path)
    s.ensure_schema()
    s.upsert(CATALOG)
    yield s
    s.close()


def exact_top(vector, limit, keep=lambda song: True) -> list[int]:
    """Exact cosine ranking over CATALOG, the reference both engines must reproduce."""
    q = np.asarray(vector) / np.linalg.norm(vector)
    scored = [(float(np.dot(q, np.asarray(s.probabilities) / np.linalg.norm(s.probabilities))), s.song_id)
              for s in CATALOG if keep(s)]
    return [i for _, i in sorted(scored, key=lambda t: (-t[0], t[1]))[:limit]]


def test_a_new_store_is_empty_and_searches_return_nothing(tmp_path):
    for kind in ENGINES:
        with open_engine(kind, tmp_path) as s:
            assert s.count() == 0
            s.ensure_schema()
            assert s.count() == 0 and s.search([PROBES[0]], 5) == [[]]
            assert s.retrieve([1, 2]) == []


def test_search_is_the_exact_cosine_ranking(store):
    results = store.search(list(PROBES), 20)
    assert len(results) == len(PROBES)
    for probe, hits in zip(PROBES, results):
        assert [h.song_id for h in hits] == exact_top(probe, 20)
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
        want = next(s for s in CATALOG if s.song_id == hits[0].song_id)
        assert hits[0].song.title == want.title
        assert hits[0].song.probabilities == pytest.approx(want.probabilities, abs=1e-6)


def test_songs_come_back_with_their_payload_and_probabilities(store):
    original = {s.song_id: s for s in CATALOG}
    for song in store.retrieve([3, 150, 299]):
        want = original[song.song_id]
        assert song.probabilities == pytest.approx(want.probabilities, abs=1e-6)
        assert (song.title, song.artists, song.genres, song.issue_year, song.melon_song_id, song.ingested_at) == \
            (want.title, want.artists, want.genres, want.issue_year, want.melon_song_id, want.ingested_at)
    assert [s.song_id for s in store.retrieve([5, 100_000])] == [5]


def test_genre_filter_matches_any_code_of_the_nested_list(store):
    f = SearchFilter(genres=("GN0200",))
    (hits,) = store.search([PROBES[0]], 30, f)
    assert [h.song_id for h in hits] == exact_top(PROBES[0], 30, lambda s: any(g.code == "GN0200" for g in s.genres))


def test_year_range_and_exclusions(store):
    excluded = frozenset(exact_top(PROBES[1], 3))
    f = SearchFilter(year_from=2000, year_to=2005, exclude=excluded)
    (hits,) = store.search([PROBES[1]], 25, f)
    ids = [h.song_id for h in hits]
    assert ids == exact_top(PROBES[1], 25, lambda s: 2000 <= s.issue_year <= 2005 and s.song_id not in excluded)
    assert not excluded & set(ids) and all(2000 <= h.song.issue_year <= 2005 for h in hits)
    (open_ended,) = store.search([PROBES[1]], 300, SearchFilter(year_from=2015))
    assert open_ended and all(h.song.issue_year >= 2015 for h in open_ended)
    assert len(open_ended) == sum(1 for s in CATALOG if s.issue_year >= 2015)


def test_ids_only_search(store):
    (hits,) = store.search([PROBES[2]], 10, with_songs=False)
    assert [h.song_id for h in hits] == exact_top(PROBES[2], 10) and all(h.song is None for h in hits)


def test_re_upsert_overwrites_instead_of_duplicating(store):
    changed = [Song(**{**s.__dict__, "title": "바뀐 제목"}) for s in CATALOG[:50]]
    store.upsert(changed)
    store.ensure_schema()  # idempotent too
    assert store.count() == len(CATALOG)
    assert {s.title for s in store.retrieve([1, 50])} == {"바뀐 제목"}


def test_scroll_pages_through_every_point_in_id_order(store):
    seen, offset = [], None
    while True:
        points, offset = store.scroll(offset, 64)
        seen += [p.id for p in points]
        if offset is None:
            break
    assert seen == sorted(s.song_id for s in CATALOG)
    assert set(store.scroll(None, 1)[0][0].vectors) == {catalog.VECTOR}


def test_delete_removes_points_from_counts_and_searches(store):
    gone = exact_top(PROBES[3], 2)
    store.delete(gone)
    assert store.count() == len(CATALOG) - 2 and store.retrieve(gone) == []
    (hits,) = store.search([PROBES[3]], 5)
    assert not set(gone) & {h.song_id for h in hits}


def test_info_names_the_schema(store):
    info = store.info()
    assert info.points == len(CATALOG) and info.vectors == {"emotion": 6}
    # Local mode filters by scanning and keeps no payload index; a server and Edge keep all three.
    assert set(info.payload_indexes) == (set() if info.engine == "qdrant-local-mode" else set(catalog.INDEXED))


def test_both_engines_agree_on_every_query(tmp_path):
    edge, local = open_engine("edge", tmp_path), open_engine("local-mode", tmp_path)
    for s in (edge, local):
        s.ensure_schema()
        s.upsert(CATALOG)
    filters = [None, SearchFilter(genres=("GN0100", "GN0300")), SearchFilter(year_from=1995, exclude=frozenset({1, 2}))]
    for f in filters:
        a, b = edge.search(list(PROBES), 40, f), local.search(list(PROBES), 40, f)
        assert [[h.song_id for h in r] for r in a] == [[h.song_id for h in r] for r in b]
        assert [h.score for r in a for h in r] == pytest.approx([h.score for r in b for h in r], abs=1e-5)
    assert edge.count() == local.count()
    edge.close()
    local.close()


def test_a_named_vector_added_later_joins_an_existing_store(tmp_path):
    """The next vectors (lyrics, audio_emotion, audio, taste) join a catalog that already holds songs."""
    with EdgeStore(tmp_path / "edge") as s:
        s.ensure_schema()
        s.upsert(CATALOG[:10])
        s.ensure_schema({"emotion": 6, "lyrics": 6})
        assert s.info().vectors == {"emotion": 6, "lyrics": 6} and s.count() == 10
        s.upsert_points([catalog.StoredPoint(1, {"emotion": [1, 0, 0, 0, 0, 0], "lyrics": [0, 1, 0, 0, 0, 0]}, {})])
        (hit,) = s.search([[0, 1, 0, 0, 0, 0]], 1, using="lyrics", with_songs=False)[0]
        assert hit.song_id == 1


@pytest.mark.slow
def test_a_bulk_load_builds_the_index_and_a_reopened_store_keeps_it(tmp_path):
    """Above ~20,000 songs the embedded store searches an HNSW graph: built once after the bulk load."""
    n = 30_000
    vectors = np.random.default_rng(2).dirichlet(np.full(6, 0.5), size=n)
    with EdgeStore(tmp_path / "edge") as s:
        s.ensure_schema()
        for start in range(0, n, 10_000):
            s.upsert_points([catalog.StoredPoint(start + i + 1, {"emotion": v.tolist()}, {"issue_year": 2000})
                             for i, v in enumerate(vectors[start:start + 10_000])])
        assert s.info().indexed != "yes"  # batches never build it
        s.finish_bulk_load()
        assert s.info().indexed == "yes" and s.info().indexed_vectors == n
        before = [h.song_id for h in s.search(list(PROBES), 60, with_songs=False)[0]]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = PROBES[0] / np.linalg.norm(PROBES[0])
    exact = set((np.argsort(-(unit @ q))[:60] + 1).tolist())
    assert len(exact & set(before)) >= 59  # approximate, but (nearly) exact in 6 dimensions
    with EdgeStore(tmp_path / "edge") as s:
        assert s.count() == n and s.info().indexed == "yes"
        assert [h.song_id for h in s.search(list(PROBES), 60, with_songs=False)[0]] == before


def test_a_second_process_gets_a_clear_error_not_a_crash(tmp_path):
    with EdgeStore(tmp_path / "edge") as s:
        s.ensure_schema()
        with pytest.raises(catalog.CatalogUnavailable, match="open in another process"):
            EdgeStore(tmp_path / "edge")
