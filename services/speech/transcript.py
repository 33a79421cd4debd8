"""Vosk's words -> the text a person said: unknown-word tokens and noise markers dropped, single spaces."""

from __future__ import annotations

import re
from collections.abc import Iterable

# "[unk]", "<unk>", "[noise]", "[laughter]", and the numbered markers the Korean model emits ("[50]").
_MARKER = re.compile(r"^(?:\[[^\]]*\]|<[^>]*>)$")
_INLINE_MARKER = re.compile(r"\[[^\]]*\]|<[^>]*>")


def kept_words(words: Iterable[dict]) -> list[dict]:
    """The recogniser's word entries ({"word", "conf", ...}) without markers or empty words."""
    kept = []
    for entry in words:
        word = _INLINE_MARKER.sub("", str(entry.get("word", ""))).strip()
        if not word or _MARKER.match(str(entry.get("word", "")).strip()):
            continue
        kept.append({**entry, "word": word})
    return kept


def clean_text(text: str) -> str:
    """The same cleaning for a plain string (Vosk's "text" field): markers out, spaces collapsed."""
    return " ".join(_INLINE_MARKER.sub(" ", text).split())


def assemble(words: Iterable[dict]) -> tuple[str, float]:
    """(text, mean confidence) of the words kept; ("", 0.0) when none is."""
    kept = kept_words(words)
    if not kept:
        return "", 0.0
    text = clean_text(" ".join(w["word"] for w in kept))
    confidence = sum(float(w.get("conf", 0.0)) for w in kept) / len(kept)
    return text, confidence
