"""Loaders for every corpus the model learns from, each mapped to the six emotions.

Every loader returns Examples with the canonical label index. The maps:

- The project's own TSVs (training/data/conversation/*.tsv, training/data/lyrics/*.tsv):
  `text<TAB>emotion[<TAB>genre]`, emotion one of the six ids. Lyric lines are joined by " / ".
- KOTE (`ID<TAB>text<TAB>label indices`): the rule in shared/data/kote/README.md:
  없음 with at most 3 labels -> neutral; otherwise the group with the most labels wins when it has
  at least 2 and the runner-up at most half as many; anything else is ambiguous and dropped.
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
from dataclasses import dataclass
from pathlib import Path

from services.common.labels import EMOTIONS, emotion_index

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # canonical index
    source: str  # conversation, lyrics, kote, aihub, short-dialogue

    @property
    def emotion(self) -> str:
        return EMOTIONS[self.label]


# --- the project's own corpora -------------------------------------------------------------------


def load_project_tsv(path: Path, source: str) -> list[Example]:
    examples = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row_number, row in enumerate(reader, start=2):
            text = (row.get("text") or "").strip()
            if not text:
                continue
            try:
                label = emotion_index(row.get("emotion") or "")
            except ValueError as exc:
                raise ValueError(f"{path}:{row_number}: {exc}") from exc
            examples.append(Example(text, label, source))
    return examples


def load_project(kind: str, data_dir: Path = DATA_DIR) -> list[Example]:
    """kind: "conversation" or "lyrics"; every TSV in training/data/<kind>/."""
    files = sorted((data_dir / kind).glob("*.tsv"))
    if not files:
        raise FileNotFoundError(f"no {kind} corpus in {data_dir / kind}")
    return [example for path in files for example in load_project_tsv(path, kind)]


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


def load_kote(path: Path) -> list[Example]:
    """A KOTE TSV file (ID, text, comma-separated label indices), or a directory holding val.tsv;
    ambiguous comments dropped."""
    path = Path(path)
    if path.is_dir():
        path = path / "val.tsv"
    examples = []
    with open(path, encoding="utf-8", newline="") as f:
        for line_number, line in enumerate(f, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path}:{line_number}: expected 3 tab-separated fields")
            _, text, labels = parts
            emotion = kote_emotion([int(i) for i in labels.split(",") if i.strip()])
            if emotion and text.strip():
                examples.append(Example(text.strip(), emotion_index(emotion), "kote"))
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
