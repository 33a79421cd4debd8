"""Loaders on small fixtures in each real format, and the project's own corpora checked mechanically."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from services.common.labels import EMOTIONS
from training.corpora import (
    HARD_FORMS, KOTE_DIR, KOTE_LABELS, kote_distribution, load_aihub, load_hard_tsv, load_kote, load_kote_soft,
    load_mixed_tsv, load_project, load_project_tsv, load_short_dialogue,
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
    assert (KOTE_DIR / "LICENSE").read_text().startswith("MIT") or "MIT" in (KOTE_DIR / "LICENSE").read_text()
    counts = Counter(emotions(load_kote(KOTE_DIR)))
    assert counts == {"anger": 1759, "joy": 997, "sadness": 247, "peace": 126, "tension": 96, "neutral": 44}


def label(name: str) -> int:
    return KOTE_LABELS.index(name)


def test_kote_soft_targets_count_labels_per_group():
    # Two anger labels and one sadness label: 2/3 anger, 1/3 sadness.
    target = kote_distribution([label("화남/분노"), label("짜증"), label("슬픔")])
    assert [round(t, 3) for t in target] == [0.667, 0.0, 0.333, 0.0, 0.0, 0.0]
    # 없음 weighs 3 for neutral; unmapped labels (존경, 놀람) count for nothing.
    target = kote_distribution([label("없음"), label("기쁨"), label("존경"), label("놀람")])
    assert [round(t, 3) for t in target] == [0.0, 0.0, 0.0, 0.0, 0.25, 0.75]
    assert kote_distribution([label("존경"), label("비장함")]) is None


def test_kote_soft_keeps_the_ambiguous_comments_with_the_rule_label_where_defined():
    hard, soft = load_kote(KOTE_DIR), load_kote_soft(KOTE_DIR)
    by_text = {e.text: e for e in hard}
    assert len(soft) == 4991 and sum(e.ambiguous for e in soft) == len(soft) - len(hard)
    for e in soft:
        assert abs(sum(e.target) - 1.0) < 1e-9 and min(e.target) >= 0.0
        if not e.ambiguous:
            assert e.label == by_text[e.text].label
    sample = load_kote_soft(FIXTURES / "kote_sample.tsv")
    ambiguous = next(e for e in sample if e.text == "애매한 댓글")  # one sadness and one joy label
    assert ambiguous.ambiguous and ambiguous.target[2] == ambiguous.target[4] == 0.5


def test_kote_rejects_bad_label_indices(tmp_path):
    bad = tmp_path / "kote.tsv"
    bad.write_text("1\t좋다\t42\n2\t싫다\t6,99\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"kote.tsv:2: labels '6,99' are not indices"):
        load_kote_soft(bad)


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


@pytest.mark.parametrize(("weights", "message"), [
    ("sadness=0.6", "expected two emotion=weight pairs"),
    ("sadness=0.6,surprise=0.4", "unknown emotion 'surprise'"),
    ("sadness=0.6,neutral=0.4", "neutral is not a feeling to mix"),
    ("sadness=0.6,peace=0.5", "they sum to 1.1"),
    ("sadness=0.3,peace=0.7", "the first emotion must weigh at least as much"),
    ("sadness=1,peace=0", "strictly between 0 and 1"),
    ("sadness=0.5,sadness=0.5", "sadness twice"),
    ("sadness=abc,peace=0.4", "is not a number"),
])
def test_mixed_tsv_rejects_bad_weights_with_file_and_line(tmp_path, weights, message):
    bad = tmp_path / "mixed.tsv"
    bad.write_text(f"text\tweights\n시원섭섭해\tsadness=0.5,peace=0.5\n뭐지\t{weights}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"mixed.tsv:3: .*{message}"):
        load_mixed_tsv(bad)


def test_mixed_tsv_gives_the_weights_as_target(tmp_path):
    good = tmp_path / "mixed.tsv"
    good.write_text("text\tweights\n졸업하니 시원하면서도 섭섭해\tpeace=0.6,sadness=0.4\n", encoding="utf-8")
    (example,) = load_mixed_tsv(good)
    assert example.emotion == "peace" and example.target == (0.0, 0.0, 0.4, 0.6, 0.0, 0.0)


def test_hard_tsv_rejects_unknown_forms_and_a_missing_column(tmp_path):
    bad = tmp_path / "hard.tsv"
    bad.write_text("text\temotion\tform\n안 슬퍼\tpeace\tnegation\n헐\ttension\tshout\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"hard.tsv:3: unknown form 'shout'"):
        load_hard_tsv(bad)
    bad.write_text("text\temotion\n안 슬퍼\tpeace\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"hard.tsv:1: the header lacks form"):
        load_hard_tsv(bad)


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


def near_duplicate_pairs(texts: list[str], threshold: float,
                         against: list[str] | None = None) -> list[tuple[str, str, float]]:
    """Pairs whose character 3-gram Jaccard similarity reaches the threshold (inverted index, not n²):
    within `texts`, or with `against` given, each of `texts` against each of `against`."""
    others = texts if against is None else against
    grams = [char_trigrams(t) for t in texts]
    other_grams = grams if against is None else [char_trigrams(t) for t in others]
    postings: dict[str, list[int]] = {}
    for i, g in enumerate(other_grams):
        for gram in g:
            postings.setdefault(gram, []).append(i)
    pairs = []
    for i, g in enumerate(grams):
        shared = Counter(j for gram in g for j in postings.get(gram, ()) if against is not None or j > i)
        for j, n in shared.items():
            similarity = n / (len(g) + len(other_grams[j]) - n)
            if similarity >= threshold:
                pairs.append((texts[i], others[j], similarity))
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


@pytest.fixture(scope="module")
def mixed():
    return load_project("mixed")


@pytest.fixture(scope="module")
def hard():
    return load_project("hard")


def test_two_feelings_corpus_covers_every_ordered_pair(mixed):
    assert len(mixed) >= 600
    pairs = Counter(tuple(EMOTIONS[i] for i in sorted(range(6), key=lambda i: -e.target[i])[:2]) for e in mixed)
    non_neutral = [x for x in EMOTIONS if x != "neutral"]
    ordered = [(a, b) for a in non_neutral for b in non_neutral if a != b]
    print("two-feelings lines per ordered pair:", {f"{a}>{b}": pairs[(a, b)] for a, b in ordered})
    # Ties (0.5/0.5) count for the pair in the order the line names them: the label is the first.
    named = Counter((e.emotion, EMOTIONS[next(i for i, t in enumerate(e.target) if t and i != e.label)]) for e in mixed)
    assert all(named[pair] >= 30 for pair in ordered), {p: named[p] for p in ordered if named[p] < 30}
    for e in mixed:
        assert sum(t > 0 for t in e.target) == 2 and abs(sum(e.target) - 1) < 1e-9 and e.target[5] == 0


def test_hard_forms_corpus_size_and_coverage(hard):
    assert len(hard) >= 600
    forms = Counter(e.tag for e in hard)
    print("hard forms:", dict(forms), "emotions:", dict(Counter(emotions(hard))))
    assert set(forms) == set(HARD_FORMS) and min(forms.values()) >= 20, forms
    assert set(emotions(hard)) == set(EMOTIONS)
    assert all(e.emotion == "neutral" for e in hard if e.tag == "neutral-emotionword")


def test_corpora_have_no_near_duplicates(conversation, lyrics, mixed, hard):
    """Within and across all the project's corpora."""
    every = conversation + lyrics + mixed + hard
    texts = [e.text for e in every]
    pairs = near_duplicate_pairs(texts, 0.5)
    assert not pairs, pairs[:5]
    assert len(deduplicate(every)) == len(texts)


def test_written_corpora_are_not_copied_from_kote(mixed, hard):
    kote = [e.text for e in load_kote_soft(KOTE_DIR)]
    written = [e.text for e in mixed + hard]
    # A text of under four distinct 3-grams (ㅋㅋㅋ👍) matches any laughter, and a one-word text (대박) is
    # everyone's: for those only identity counts, and only from four characters on.
    pairs = near_duplicate_pairs([t for t in written if len(char_trigrams(t)) >= 4], 0.5, against=kote)
    assert not pairs, pairs[:5]
    kote_keys = {normalize(t) for t in kote}
    assert not [t for t in written if len(normalize(t)) >= 4 and normalize(t) in kote_keys]
