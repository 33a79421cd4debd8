"""Lyrics: split into windows of whole lines, and aggregate window scores into one song vector.

A model reads at most a few hundred tokens, and a song is longer, so a song is
read as windows of up to `max_lines` whole lines that fit the token budget.
Every line of every song is read (a line too long for a window on its own is cut
into word chunks). The song's vector is the mean of its windows' probabilities
weighted by their tokens; its highlight is the window that expresses the song's
top emotion most strongly (DESIGN.md, "Lyrics").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Lines are separated by newlines, or by " / " when lyrics come on one line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n| / ")


@dataclass(frozen=True)
class Window:
    text: str  # its lines joined by "\n"
    tokens: int


def split_lines(lyrics: str) -> list[str]:
    return [line.strip() for line in _LINE_BREAK.split(lyrics) if line.strip()]


def _cut_long_line(line: str, budget: int, count_tokens: Callable[[str], int]) -> list[tuple[str, int]]:
    """Word chunks of a line that is longer than one window, each within the budget."""
    chunks: list[tuple[str, int]] = []
    current, current_tokens = "", 0
    for word in line.split():
        candidate = f"{current} {word}".strip()
        tokens = count_tokens(candidate)
        if tokens <= budget:
            current, current_tokens = candidate, tokens
            continue
        if current:
            chunks.append((current, current_tokens))
        # A single word longer than the budget: cut it by characters.
        while count_tokens(word) > budget:
            cut = max(1, len(word) * budget // count_tokens(word))
            chunks.append((word[:cut], count_tokens(word[:cut])))
            word = word[cut:]
        current, current_tokens = word, count_tokens(word)
    if current:
        chunks.append((current, current_tokens))
    return chunks


def split_windows(
    lyrics: str, count_tokens: Callable[[str], int], budget: int, max_lines: int
) -> list[Window]:
    """Consecutive whole lines, at most `max_lines` and `budget` tokens per window."""
    pieces: list[tuple[str, int]] = []
    for line in split_lines(lyrics):
        tokens = count_tokens(line)
        pieces.extend([(line, tokens)] if tokens <= budget else _cut_long_line(line, budget, count_tokens))

    windows: list[Window] = []
    lines: list[str] = []
    used = 0
    for line, tokens in pieces:
        if lines and (used + tokens > budget or len(lines) == max_lines):
            windows.append(Window("\n".join(lines), used))
            lines, used = [], 0
        lines.append(line)
        used += tokens
    if lines:
        windows.append(Window("\n".join(lines), used))
    return windows


def aggregate(windows: list[Window], probabilities: np.ndarray) -> tuple[np.ndarray, str]:
    """Token-weighted mean of window probabilities, and the highlight window's text."""
    weights = np.array([max(w.tokens, 1) for w in windows], dtype=np.float64)
    song = (probabilities * weights[:, None]).sum(axis=0) / weights.sum()
    song = song / song.sum()
    top = int(song.argmax())
    highlight = windows[int(probabilities[:, top].argmax())].text
    return song, highlight
