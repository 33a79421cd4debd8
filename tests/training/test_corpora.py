"""Loaders on small fixtures in each real format, and the project's own corpora checked mechanically."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from services.common.labels import EMOTIONS
from training.corpora import (
    load_aihub, load_kote, load_project, load_project_tsv, load_short_dialogue,
)
from training.splits import deduplicate, normalize, split, split_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"


def emotions(examples):
    return [e.emotion for e in examples]


def test_kote_rule_keeps_clear_comments_and_drops_ambiguous_ones():
    examples = load_kote(FIXTURES / "kote_sample.tsv")
    assert emotions(examples) == ["anger", "neutral", "tension", "joy", "sadness", "peace", "anger"]
    assert "애매한 댓글" not in [e.text for e in examples]  # one sadness and one joy label: ambiguous


def test_kote_validation_split_gives_the_readme_counts():
    kote = Path(__file__).resolve().parents[3] / "shared" / "data" / "kote" / "val.tsv"
    if not kote.exists():
        pytest.skip("KOTE is not part of the repository; it lies in ../shared on the team's machines")
    counts = Counter(emotions(load_kote(kote)))
    assert counts == {"anger": 1759, "joy": 997, "sadness": 247, "peace": 126, "tension": 96, "neutral": 44}


def test_aihub_map_by_emotion_code():
    examples = load_aihub(FIXTURES / "aihub_sample.json")
    assert emotions(examples) == ["anger", "peace", "tension", "joy", "sadness"]  # X99 dropped
    assert examples[0].text.startswith("일은 왜 해도")


def test_short_dialogue_from_csv_and_xlsx(tmp_path):
    from_csv = load_short_dialogue(FIXTURES / "short_dialogue_sample.csv")
    assert emotions(from_csv) == ["tension", "anger", "neutral", "joy", "tension", "sadness", "anger"]

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    with open(FIXTURES / "short_dialogue_sample.csv", encoding="utf-8") as f:
        for row in csv.reader(f):
            sheet.append(row)
    workbook.save(tmp_path / "sample.xlsx")
    assert load_short_dialogue(tmp_path / "sample.xlsx") == from_csv


def test_project_tsv_rejects_unknown_emotions(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\temotion\n좋아\tjoy\n뭐지\tsurprise\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:3: unknown emotion 'surprise'"):
        load_project_tsv(bad, "conversation")


def test_splits_are_stable_disjoint_and_deduplicated():
    assert split_of("오늘 너무 행복해 ㅋㅋ") == split_of("오늘  너무 행복해ㅋㅋㅋㅋ!!")
    assert normalize("아 진짜 ㅠㅠ 힘들다...") == normalize("아진짜 힘들다")
    examples = load_project("conversation")
    parts = split(examples)
    keys = {name: {normalize(e.text) for e in part} for name, part in parts.items()}
    assert not keys["train"] & keys["dev"] and not keys["train"] & keys["test"] and not keys["dev"] & keys["test"]
    assert sum(len(p) for p in parts.values()) == len(deduplicate(examples))
    assert 0.06 < len(parts["test"]) / len(deduplicate(examples)) < 0.14


# --- the project's own corpora -------------------------------------------------------------------


def char_trigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 3] for i in range(len(compact) - 2)}


def near_duplicate_pairs(texts: list[str], threshold: float) -> list[tuple[str, str, float]]:
    """Pairs whose character 3-gram Jaccard similarity reaches the threshold (inverted index, not n²)."""
    grams = [char_trigrams(t) for t in texts]
    postings: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for gram in g:
            postings.setdefault(gram, []).append(i)
    pairs = []
    for i, g in enumerate(grams):
        shared = Counter(j for gram in g for j in postings[gram] if j > i)
        for j, n in shared.items():
            similarity = n / (len(g) + len(grams[j]) - n)
            if similarity >= threshold:
                pairs.append((texts[i], texts[j], similarity))
    return pairs


@pytest.fixture(scope="module")
def conversation():
    return load_project("conversation")


@pytest.fixture(scope="module")
def lyrics():
    return load_project("lyrics")


def test_conversation_corpus_size_and_shape(conversation):
    counts = Counter(emotions(conversation))
    print("conversation per emotion:", dict(counts))
    assert all(counts[e] >= 400 for e in EMOTIONS), counts
    lengths = [len(e.text.split()) for e in conversation]
    assert min(lengths) >= 3 and max(lengths) <= 60


def test_lyrics_corpus_size_and_shape(lyrics):
    counts = Counter(emotions(lyrics))
    print("lyrics per emotion:", dict(counts))
    assert all(counts[e] >= 80 for e in EMOTIONS), counts
    lines = [len(e.text.split(" / ")) for e in lyrics]
    assert min(lines) >= 4 and max(lines) <= 12


def test_corpora_have_no_near_duplicates(conversation, lyrics):
    texts = [e.text for e in conversation + lyrics]
    pairs = near_duplicate_pairs(texts, 0.5)
    assert not pairs, pairs[:5]
    assert len(deduplicate(conversation + lyrics)) == len(texts)
