"""Moving catalogs: an old local-mode store is migrated into Edge; `moodtune catalog copy` moves a
catalog between engines (Edge -> local mode -> Edge) and resumes a copy that was stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models

from services.common import catalog
from services.common.catalog.client import ClientStore, is_local_mode_store
from services.common.catalog.edge import EdgeStore, is_edge_shard
from services.common.settings import CommonSettings
from tests.integration.test_catalog_store import songs

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
OLD = songs(120, seed=5)


def write_old_store(path: Path, songs_=OLD) -> None:
    """What earlier versions wrote at MOODTUNE_QDRANT_PATH: qdrant-client's local mode, the old schema calls."""
    client = QdrantClient(path=str(path))
    client.create_collection("songs", vectors_config={"emotion": models.VectorParams(
        size=6, distance=models.Distance.COSINE)})
    client.upsert("songs", points=[models.PointStruct(id=s.song_id, vector={"emotion": s.probabilities},
                                                      payload=s.payload()) for s in songs_], wait=True)
    client.close()
    assert is_local_mode_store(path)


def env_for(path: Path) -> dict:
    return {**os.environ, "MOODTUNE_QDRANT_PATH": str(path), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}


def everything(store) -> dict[int, tuple]:
    points, offset, out = [], None, {}
    while True:
        points, offset = store.scroll(offset, 50)
        out.update({p.id: (p.vectors, p.payload) for p in points})
        if offset is None:
            return out


def test_an_old_local_mode_store_is_migrated_into_edge_when_opened(tmp_path):
    path = tmp_path / "qdrant"
    write_old_store(path)
    with catalog.connect(CommonSettings(qdrant_path=path)) as store:
        assert store.engine == "qdrant-edge" and store.count() == len(OLD)
        by_id = {s.song_id: s for s in store.retrieve([s.song_id for s in OLD])}
        for old in OLD:
            assert by_id[old.song_id].title == old.title
            assert by_id[old.song_id].probabilities == pytest.approx(old.probabilities, abs=1e-6)
        (hits,) = store.search([OLD[0].probabilities], 1)
        assert hits[0].song_id == OLD[0].song_id
    assert is_edge_shard(path) and is_local_mode_store(tmp_path / "qdrant.local-mode-backup")
    with ClientStore.local_mode(tmp_path / "qdrant.local-mode-backup") as backup:
        assert backup.count() == len(OLD)  # kept as it was


def test_the_cli_and_make_run_say_what_they_migrate(tmp_path):
    path = tmp_path / "qdrant"
    write_old_store(path)
    info = subprocess.run([MOODTUNE, "catalog", "info"], env=env_for(path), capture_output=True, text=True, timeout=120)
    assert info.returncode == 0, info.stderr
    assert "from an earlier version" in info.stderr and "qdrant.local-mode-backup" in info.stderr
    assert "engine:           qdrant-edge" in info.stdout and f"songs:            {len(OLD)}" in info.stdout
    assert "emotion (6)" in info.stdout and "catalog version:  unknown" in info.stdout
    # scripts/run.sh counts the catalog this way (an already migrated store: no second migration)
    count = subprocess.run([sys.executable, "-m", "services.common.catalog.count"], env=env_for(path),
                           capture_output=True, text=True, timeout=120)
    assert count.returncode == 0 and count.stdout.strip() == str(len(OLD)) and "earlier version" not in count.stderr


def test_a_damaged_old_store_is_put_back_with_the_command_that_rebuilds_it(tmp_path):
    path = tmp_path / "qdrant"
    write_old_store(path)
    (path / "collection" / "songs" / "storage.sqlite").write_bytes(b"not a database" * 100)
    run = subprocess.run([sys.executable, "-m", "services.common.catalog.count"], env=env_for(path),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr and run.stdout == ""
    assert "moodtune ingest --demo" in run.stderr and "cannot be read" in run.stderr
    assert is_local_mode_store(path) and not (tmp_path / "qdrant.local-mode-backup").exists()


def test_copy_edge_to_local_mode_and_back_keeps_counts_and_vectors(tmp_path):
    with EdgeStore(tmp_path / "a") as a:
        a.ensure_schema()
        a.upsert(OLD)
        original = everything(a)
    there = subprocess.run([MOODTUNE, "catalog", "copy", "--from", str(tmp_path / "a"), "--to",
                            f"local:{tmp_path / 'b'}", "--batch", "32"], capture_output=True, text=True, timeout=120)
    assert there.returncode == 0, there.stderr
    assert f"copied {len(OLD)} songs" in there.stdout and f"{len(OLD)}/{len(OLD)}" in there.stderr
    back = subprocess.run([MOODTUNE, "catalog", "copy", "--from", f"local:{tmp_path / 'b'}", "--to",
                           str(tmp_path / "c")], capture_output=True, text=True, timeout=120)
    assert back.returncode == 0, back.stderr
    for location in (f"local:{tmp_path / 'b'}", str(tmp_path / "c")):
        with catalog.open_location(location) as store:
            copied = everything(store)
        assert copied.keys() == original.keys()
        for song_id, (vectors, payload) in original.items():
            assert copied[song_id][1] == payload
            assert copied[song_id][0]["emotion"] == pytest.approx(vectors["emotion"], abs=1e-6)


def test_a_stopped_copy_resumes_where_it_stopped(tmp_path):
    class Stop(Exception):
        pass

    def stop_after_two_pages(done, total):
        if done >= 40:
            raise Stop

    with EdgeStore(tmp_path / "a") as source, EdgeStore(tmp_path / "b") as target:
        source.ensure_schema()
        source.upsert(OLD)
        with pytest.raises(Stop):
            catalog.copy_catalog(source, target, batch=20, progress=stop_after_two_pages)
        assert target.count() == 40
        result = catalog.copy_catalog(source, target, batch=20)
        assert (result.skipped, result.copied, result.target_count) == (40, len(OLD) - 40, len(OLD))
        assert everything(target).keys() == everything(source).keys()


def test_copy_refuses_bad_arguments_with_a_message(tmp_path):
    same = subprocess.run([MOODTUNE, "catalog", "copy", "--from", "x", "--to", "x"], capture_output=True, text=True)
    assert same.returncode == 2 and "the same catalog" in same.stderr
    empty = subprocess.run([MOODTUNE, "catalog", "copy", "--from", str(tmp_path / "none"), "--to", str(tmp_path / "t")],
                           capture_output=True, text=True, timeout=60)
    assert empty.returncode == 1 and "holds no songs" in empty.stderr and "Traceback" not in empty.stderr
