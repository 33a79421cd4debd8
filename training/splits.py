"""Stable train/dev/test splits and de-duplication.

A text's split is decided by a hash of its normalized form, so it never moves
when the corpus grows, and two texts that differ only in spacing, punctuation,
laughter (ㅋㅋ/ㅎㅎ) or crying (ㅠㅠ) marks fall into the same split; then only the
first of them is kept.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from training.corpora import Example

SPLITS = ("train", "dev", "test")
# Out of 20 hash buckets: 2 test (10%), 2 dev (10%), the rest train.
_TEST_BUCKETS, _DEV_BUCKETS, _BUCKETS = 2, 2, 20

_NOISE = re.compile(r"[\sㅋㅎㅠㅜㄷ.,!?~…;:'\"“”‘’()\[\]{}^_\-/]+")


def normalize(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFC", text).lower())


def split_of(text: str) -> str:
    bucket = int.from_bytes(hashlib.sha1(normalize(text).encode("utf-8")).digest()[:8], "big") % _BUCKETS
    if bucket < _TEST_BUCKETS:
        return "test"
    if bucket < _TEST_BUCKETS + _DEV_BUCKETS:
        return "dev"
    return "train"


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """Keeps the first example of each normalized text."""
    seen: set[str] = set()
    kept = []
    for example in examples:
        key = normalize(example.text)
        if key and key not in seen:
            seen.add(key)
            kept.append(example)
    return kept


def split(examples: Iterable[Example]) -> dict[str, list[Example]]:
    result: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for example in deduplicate(examples):
        result[split_of(example.text)].append(example)
    return result
