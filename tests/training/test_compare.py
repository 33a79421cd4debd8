"""The comparison harness on tiny inputs: every configuration trains, is evaluated and gets a row."""

from __future__ import annotations

from tests.support.tiny_model import build_tiny_backbone
from tests.training.test_build import tiny_corpus
from training.compare import Config, compare, table


def test_tiny_comparison_writes_a_row_per_configuration(tmp_path):
    backbone = build_tiny_backbone(tmp_path / "bb")
    data = tiny_corpus(tmp_path / "data", per_emotion=12)
    configs = [Config("full adamw"), Config("frozen", freeze=True), Config("dapt", dapt=True),
               Config("adafactor", optimizer="adafactor", lr=1e-3), Config("hard targets", soft=False),
               Config("without kote", corpora=("conversation", "lyrics", "mixed", "hard"))]
    rows = compare({"e5-small": backbone}, configs, tmp_path / "work", epochs=1, dapt_steps=[5, 5, 5],
                   data_dir=data, max_steps=5)
    assert [r["config"] for r in rows] == ["full adamw", "frozen", "dapt", "adafactor", "hard targets", "without kote"]
    for row in rows:
        assert 0 <= row["figures"]["conversation"]["macro_f1"] <= 1 and row["train_seconds"] > 0
        # Every configuration is evaluated on every split, whatever it trained on.
        assert set(row["figures"]) == {"conversation", "lyrics", "kote", "mixed", "hard"}
    text = table(rows)
    assert text.count("\n") == 2 + len(configs) and "| dapt | e5-small | yes |" in text
    assert "| hard targets | e5-small | no | 13 | hard |" in text


def test_rows_are_reused_and_the_prose_around_the_table_survives(tmp_path):
    from training.compare import write_table

    backbone = build_tiny_backbone(tmp_path / "bb")
    data = tiny_corpus(tmp_path / "data", per_emotion=8)
    options = {"epochs": 1, "dapt_steps": [2, 2, 2], "data_dir": data, "max_steps": 2}
    first = compare({"e5-small": backbone}, [Config("a")], tmp_path / "work", **options)
    # Another lane's view: one row measured, one not; measured_only trains nothing.
    seen = compare({"e5-small": backbone}, [Config("a"), Config("b", freeze=True)], tmp_path / "work",
                   measured_only=True, **options)
    assert [r["config"] for r in seen] == ["a"] and seen[0]["train_seconds"] == first[0]["train_seconds"]
    # Different settings, or another seed, are a different measurement.
    assert compare({"e5-small": backbone}, [Config("a", seed=14)], tmp_path / "work", measured_only=True, **options) == []
    assert compare({"e5-small": backbone}, [Config("a")], tmp_path / "work", measured_only=True,
                   **{**options, "epochs": 2}) == []

    doc = tmp_path / "comparison.md"
    doc.write_text("# Model comparison\n\nintro\n\n<!-- comparison table -->\nold\n<!-- /comparison table -->\n\nwhy it won\n")
    write_table(doc, table(seen))
    text = doc.read_text()
    assert "intro" in text and "why it won" in text and "old" not in text and "| a | e5-small | no |" in text


def test_lanes_run_apart_and_the_table_lists_every_measured_row(tmp_path):
    """The workflow for a long comparison: two lanes (--only, --seeds), one table with all their rows."""
    from training.compare import main

    common = ["--backbone", str(build_tiny_backbone(tmp_path / "bb")),
              "--data-dir", str(tiny_corpus(tmp_path / "data", per_emotion=8)), "--epochs", "1", "--max-steps", "2",
              "--work", str(tmp_path / "work"), "--out", str(tmp_path / "comparison.md"),
              "--kote", str(tmp_path / "no-kote")]
    main([*common, "--only", "0", "--seeds", "13,14"])
    main([*common, "--only", "3"])
    rows = [line for line in (tmp_path / "comparison.md").read_text().splitlines() if "| e5-small |" in line]
    assert [(line.split(" | ")[0], line.split(" | ")[3]) for line in rows] == [
        ("| full · AdamW 1e-4 · soft targets · every corpus", "13"),
        ("| full · AdamW 1e-4 · soft targets · every corpus", "14"), ("| full · Adafactor 1e-4", "13")]
