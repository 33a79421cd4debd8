import numpy as np

from services.classifier.lyrics import aggregate, split_lines, split_windows


def count_chars(text: str) -> int:
    """A stand-in token counter: one token per non-space character."""
    return len(text.replace(" ", ""))


def test_lines_split_on_newlines_and_slashes_and_drop_blanks():
    assert split_lines("첫 줄\n\n 둘째 줄 / 셋째 줄\r\n") == ["첫 줄", "둘째 줄", "셋째 줄"]


def test_windows_hold_whole_lines_within_budget_and_line_count():
    lyrics = "\n".join(f"가사 {i}번째 줄" for i in range(10))  # 6 "tokens" per line
    windows = split_windows(lyrics, count_chars, budget=13, max_lines=4)
    assert [w.text.count("\n") + 1 for w in windows] == [2, 2, 2, 2, 2]
    assert all(w.tokens <= 13 for w in windows)
    assert len(split_windows(lyrics, count_chars, budget=100, max_lines=4)) == 3  # 4 + 4 + 2 lines
    # every line is read, in order
    assert "\n".join(w.text for w in windows).split("\n") == split_lines(lyrics)


def test_a_line_longer_than_a_window_is_cut_not_dropped():
    long_line = " ".join(["아주길고길고긴"] * 10)  # 70 "tokens"
    windows = split_windows(f"짧은 줄\n{long_line}\n끝", count_chars, budget=16, max_lines=4)
    assert all(w.tokens <= 16 for w in windows)
    assert "".join(w.text for w in windows).replace("\n", "").replace(" ", "") == (
        "짧은줄" + long_line.replace(" ", "") + "끝"
    )
    giant_word = "가" * 50
    pieces = split_windows(giant_word, count_chars, budget=16, max_lines=4)
    assert "".join(w.text.replace("\n", "") for w in pieces) == giant_word


def test_aggregate_is_token_weighted_and_highlight_is_strongest_window():
    windows = split_windows("하나\n둘둘둘둘둘둘", count_chars, budget=6, max_lines=1)
    assert [w.tokens for w in windows] == [2, 6]
    probabilities = np.array([[0.9, 0, 0, 0, 0.1, 0], [0.1, 0, 0, 0, 0.9, 0]])
    song, highlight = aggregate(windows, probabilities)
    assert np.allclose(song, (2 * probabilities[0] + 6 * probabilities[1]) / 8)
    assert song.argmax() == 4 and highlight == "둘둘둘둘둘둘"
