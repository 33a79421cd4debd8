"""Loaders for every corpus the model learns from, each mapped to the six emotions.

Every loader returns Examples with the canonical label index. The maps:

- The project's own TSVs (training/data/conversation/*.tsv, training/data/lyrics/*.tsv):
  `text<TAB>emotion[<TAB>genre]`, emotion one of the six ids. Lyric lines are joined by " / ".
- KOTE (`ID<TAB>text<TAB>label indices`, committed in training/data/kote/ with its LICENSE and README).
  The hard rule of its README: 없음 with at most 3 labels -> neutral; otherwise the group with the
  most labels wins when it has at least 2 and the runner-up at most half as many; anything else is
  ambiguous. `load_kote` keeps only the comments the rule labels (one-hot targets);
  `load_kote_soft` keeps every comment with a mapped label and gives it a distribution: each group
  counts its labels, 없음 counts KOTE_NONE_WEIGHT for neutral (a rater saw no emotion at all: as
  strong a signal as a group three raters' labels fall in, so 없음 plus two labels of one group is
  mostly neutral, as the hard rule says), the nine unmapped labels count for nothing, and a comment
  with only unmapped labels is dropped. Its `label` is the hard rule's where defined (else the
  distribution's top, with `ambiguous` set), so macro-F1 is measured against the rule.
- Two-feelings corpus (training/data/mixed/*.tsv): `text<TAB>weights`, weights like
  `sadness=0.6,peace=0.4`: two different non-neutral emotions, each in (0, 1), summing to 1,
  the first at least the second. The target is that distribution; the label is the first.
- Hard forms (training/data/hard/*.tsv): `text<TAB>emotion<TAB>form`, the form one of HARD_FORMS;
  one-hot targets, the form kept in `tag`.
- AI-Hub 감성대화 말뭉치 (JSON list of dialogues; `profile.emotion.type` E10..E69, the user's first
  line `talk.content.HS01`): 분노 E10-E19 -> anger; 슬픔 E20-E29 and 상처 E40-E49 -> sadness;
  불안 E30-E39 and 당황 E50-E59 -> tension; 기쁨 E60-E69 -> joy, except its calm sub-emotions
  감사하는 E61, 신뢰하는 E62, 편안한 E63, 만족스러운 E64, 느긋 E66, 안도 E67 -> peace.
- 한국어 단발성 대화 데이터셋 (xlsx or csv, columns Sentence and Emotion): 분노, 혐오 -> anger;
  공포, 놀람 -> tension (a startle is closer to tension than to any other of the six); 슬픔 -> sadness;
  행복 -> joy; 중립 -> neutral. It has no calm class, so it never yields peace.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from services.common.labels import EMOTIONS, emotion_index

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # canonical index (the top of the target)
    source: str  # conversation, lyrics, kote, mixed, hard, aihub, short-dialogue
    target: tuple[float, ...] = ()  # distribution over the six; empty: one-hot on label
    ambiguous: bool = False  # KOTE: the hard rule gives no label (label is the target's top)
    tag: str = ""  # hard forms: the form

    @property
    def emotion(self) -> str:
        return EMOTIONS[self.label]

    @property
    def distribution(self) -> tuple[float, ...]:
        if self.target:
            return self.target
        return tuple(1.0 if i == self.label else 0.0 for i in range(len(EMOTIONS)))

    def one_hot(self) -> "Example":
        """The same example with a one-hot target on its label (the "hard targets" configuration)."""
        return replace(self, target=())


def _rows(path: Path, columns: tuple[str, ...]):
    """(line number, row) of a project TSV with a header naming at least `columns`; blank texts skipped."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}:1: the header lacks {', '.join(missing)} (expected {' '.join(columns)})")
        for row_number, row in enumerate(reader, start=2):
            if (row.get("text") or "").strip():
                yield row_number, row


# --- the project's own corpora -------------------------------------------------------------------


def _examples(path: Path, columns: tuple[str, ...], parse) -> list[Example]:
    """parse(row) -> Example for every row; a ValueError it raises is located as `path:line`."""
    examples = []
    for row_number, row in _rows(path, columns):
        try:
            examples.append(parse(row))
        except ValueError as exc:
            raise ValueError(f"{path}:{row_number}: {exc}") from exc
    return examples


def load_project_tsv(path: Path, source: str) -> list[Example]:
    return _examples(path, ("text", "emotion"),
                     lambda row: Example(row["text"].strip(), emotion_index(row.get("emotion") or ""), source))


def parse_weights(spec: str) -> tuple[float, ...]:
    """`sadness=0.6,peace=0.4` -> a distribution over the six; ValueError says what is wrong."""
    weights = [0.0] * len(EMOTIONS)
    pairs = [p.strip() for p in spec.split(",") if p.strip()]
    if len(pairs) != 2:
        raise ValueError(f"weights {spec!r}: expected two emotion=weight pairs")
    values = []
    for pair in pairs:
        name, _, value = pair.partition("=")
        index = emotion_index(name.strip())
        if EMOTIONS[index] == "neutral":
            raise ValueError(f"weights {spec!r}: neutral is not a feeling to mix")
        if weights[index]:
            raise ValueError(f"weights {spec!r}: {name.strip()} twice")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"weights {spec!r}: {value!r} is not a number") from None
        if not 0.0 < weight < 1.0:
            raise ValueError(f"weights {spec!r}: each weight must lie strictly between 0 and 1")
        weights[index] = weight
        values.append(weight)
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"weights {spec!r}: they sum to {sum(values):g}, not 1")
    if values[0] < values[1]:
        raise ValueError(f"weights {spec!r}: the first emotion must weigh at least as much as the second")
    return tuple(weights)


def load_mixed_tsv(path: Path) -> list[Example]:
    def parse(row) -> Example:
        target = parse_weights(row.get("weights") or "")
        first = emotion_index(row["weights"].split(",")[0].split("=")[0].strip())
        return Example(row["text"].strip(), first, "mixed", target=target)

    return _examples(path, ("text", "weights"), parse)


HARD_FORMS = ("negation", "contrast", "slang", "emoji", "codemix", "oneword", "multisentence", "nospacing",
              "neutral-emotionword")


def load_hard_tsv(path: Path) -> list[Example]:
    def parse(row) -> Example:
        label = emotion_index(row.get("emotion") or "")
        form = (row.get("form") or "").strip()
        if form not in HARD_FORMS:
            raise ValueError(f"unknown form {form!r} (one of {', '.join(HARD_FORMS)})")
        return Example(row["text"].strip(), label, "hard", tag=form)

    return _examples(path, ("text", "emotion", "form"), parse)


_PROJECT_LOADERS = {"mixed": load_mixed_tsv, "hard": load_hard_tsv}


def load_project(kind: str, data_dir: Path = DATA_DIR) -> list[Example]:
    """kind: "conversation", "lyrics", "mixed" or "hard"; every TSV in training/data/<kind>/."""
    files = sorted((data_dir / kind).glob("*.tsv"))
    if not files:
        raise FileNotFoundError(f"no {kind} corpus in {data_dir / kind}")
    loader = _PROJECT_LOADERS.get(kind, lambda path: load_project_tsv(path, kind))
    return [example for path in files for example in loader(path)]


# --- KOTE ----------------------------------------------------------------------------------------

KOTE_LABELS = (
    "불평/불만 환영/호의 감동/감탄 지긋지긋 고마움 슬픔 화남/분노 존경 기대감 우쭐댐/무시함 "
    "안타까움/실망 비장함 의심/불신 뿌듯함 편안/쾌적 신기함/관심 아껴주는 부끄러움 공포/무서움 절망 "
    "한심함 역겨움/징그러움 짜증 어이없음 없음 패배/자기혐오 귀찮음 힘듦/지침 즐거움/신남 깨달음 "
    "죄책감 증오/혐오 흐뭇함(귀여움/예쁨) 당황/난처 경악 부담/안_내킴 서러움 재미없음 불쌍함/연민 놀람 "
    "행복 불안/걱정 기쁨 안심/신뢰"
).split()
KOTE_GROUPS = {
    "anger": "불평/불만 화남/분노 짜증 증오/혐오 역겨움/징그러움 어이없음 한심함 지긋지긋",
    "tension": "불안/걱정 공포/무서움 당황/난처 부담/안_내킴 경악",
    "sadness": "슬픔 서러움 절망 안타까움/실망 패배/자기혐오 힘듦/지침 죄책감 불쌍함/연민",
    "peace": "편안/쾌적 안심/신뢰 고마움 흐뭇함(귀여움/예쁨) 깨달음 아껴주는",
    "joy": "기쁨 행복 즐거움/신남 감동/감탄 뿌듯함 환영/호의 기대감",
}
_KOTE_GROUP_OF = {label: group for group, labels in KOTE_GROUPS.items() for label in labels.split()}


def kote_emotion(label_indices: list[int]) -> str | None:
    """The README's rule; None when the comment is ambiguous."""
    names = [KOTE_LABELS[i] for i in label_indices]
    if "없음" in names and len(names) <= 3:
        return "neutral"
    counts = Counter(_KOTE_GROUP_OF[n] for n in names if n in _KOTE_GROUP_OF).most_common()
    if not counts:
        return None
    top_group, top = counts[0]
    runner_up = counts[1][1] if len(counts) > 1 else 0
    if top >= 2 and runner_up * 2 <= top:
        return top_group
    return None


KOTE_NONE_WEIGHT = 3.0
KOTE_DIR = DATA_DIR / "kote"


def kote_distribution(label_indices: list[int]) -> tuple[float, ...] | None:
    """Per-group label counts (없음: KOTE_NONE_WEIGHT for neutral) as a distribution; None when no
    label maps to the six."""
    counts = [0.0] * len(EMOTIONS)
    for name in (KOTE_LABELS[i] for i in label_indices):
        if name == "없음":
            counts[emotion_index("neutral")] = KOTE_NONE_WEIGHT
        elif name in _KOTE_GROUP_OF:
            counts[emotion_index(_KOTE_GROUP_OF[name])] += 1.0
    total = sum(counts)
    return tuple(c / total for c in counts) if total else None


def _kote_rows(path: Path):
    path = Path(path)
    if path.is_dir():
        path = path / "val.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        for line_number, line in enumerate(f, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path}:{line_number}: expected 3 tab-separated fields")
            _, text, labels = parts
            try:
                indices = [int(i) for i in labels.split(",") if i.strip()]
                if any(not 0 <= i < len(KOTE_LABELS) for i in indices):
                    raise ValueError
            except ValueError:
                raise ValueError(f"{path}:{line_number}: labels {labels!r} are not indices into KOTE's 44") from None
            if text.strip():
                yield text.strip(), indices


def load_kote(path: Path = KOTE_DIR) -> list[Example]:
    """A KOTE TSV file (ID, text, comma-separated label indices), or a directory holding val.tsv;
    ambiguous comments dropped (the hard rule)."""
    return [Example(text, emotion_index(emotion), "kote")
            for text, indices in _kote_rows(path) if (emotion := kote_emotion(indices))]


def load_kote_soft(path: Path = KOTE_DIR) -> list[Example]:
    """Every KOTE comment with a mapped label, its target the label counts' distribution."""
    examples = []
    for text, indices in _kote_rows(path):
        target = kote_distribution(indices)
        if target is None:
            continue
        emotion = kote_emotion(indices)
        label = emotion_index(emotion) if emotion else max(range(len(target)), key=target.__getitem__)
        examples.append(Example(text, label, "kote", target=target, ambiguous=emotion is None))
    return examples


# --- AI-Hub 감성대화 말뭉치 -------------------------------------------------------------------------

_AIHUB_PEACE = {"E61", "E62", "E63", "E64", "E66", "E67"}
_AIHUB_DECADES = {"1": "anger", "2": "sadness", "3": "tension", "4": "sadness", "5": "tension", "6": "joy"}


def aihub_emotion(code: str) -> str | None:
    """E10..E69 -> one of the six; None for anything else."""
    if len(code) != 3 or code[0] != "E" or not code[1:].isdigit():
        return None
    if code in _AIHUB_PEACE:
        return "peace"
    return _AIHUB_DECADES.get(code[1])


def load_aihub(path: Path) -> list[Example]:
    dialogues = json.loads(Path(path).read_text(encoding="utf-8"))
    examples = []
    for dialogue in dialogues:
        code = dialogue.get("profile", {}).get("emotion", {}).get("type", "")
        text = (dialogue.get("talk", {}).get("content", {}).get("HS01") or "").strip()
        emotion = aihub_emotion(code)
        if emotion and text:
            examples.append(Example(text, emotion_index(emotion), "aihub"))
    return examples


# --- 한국어 단발성 대화 데이터셋 ----------------------------------------------------------------------

SHORT_DIALOGUE_MAP = {
    "분노": "anger", "혐오": "anger", "공포": "tension", "놀람": "tension",
    "슬픔": "sadness", "행복": "joy", "중립": "neutral",
}


def _short_dialogue_rows(path: Path) -> list[tuple[str, str]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).active
        rows = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows)]
        s, e = header.index("Sentence"), header.index("Emotion")
        return [(str(r[s] or ""), str(r[e] or "")) for r in rows]
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [(r.get("Sentence") or "", r.get("Emotion") or "") for r in csv.DictReader(f)]


def load_short_dialogue(path: Path) -> list[Example]:
    examples = []
    for text, emotion in _short_dialogue_rows(Path(path)):
        mapped = SHORT_DIALOGUE_MAP.get(emotion.strip())
        if mapped and text.strip():
            examples.append(Example(text.strip(), emotion_index(mapped), "short-dialogue"))
    return examples
