"""The transcript cleaning: unknown-word tokens and noise markers out, spaces collapsed, confidence kept."""

from __future__ import annotations

import pytest

from services.speech.transcript import assemble, clean_text


def words(*pairs):
    return [{"word": w, "conf": c, "start": 0.0, "end": 0.1} for w, c in pairs]


def test_markers_and_unknown_tokens_are_dropped_with_their_confidence():
    # What the real recording came back as: "조금만 생각을 하면서 살면 덜 [50] 편을 거야".
    text, confidence = assemble(words(("조금만", 1.0), ("생각을", 0.9), ("[50]", 0.1), ("[unk]", 0.2),
                                      ("<unk>", 0.3), ("[noise]", 0.0), ("편을", 0.5), ("거야", 0.6)))
    assert text == "조금만 생각을 편을 거야"
    assert confidence == pytest.approx((1.0 + 0.9 + 0.5 + 0.6) / 4)


def test_nothing_left_is_empty_with_zero_confidence():
    assert assemble(words(("[unk]", 0.9), ("  ", 1.0), ("[laughter]", 0.5))) == ("", 0.0)
    assert assemble([]) == ("", 0.0)


@pytest.mark.parametrize(("raw", "clean"), [
    ("  오늘   너무 [unk]  좋아 ", "오늘 너무 좋아"),
    ("[50] 편을 거야", "편을 거야"),
    ("<unk>", ""),
    ("기분이[noise]좋아", "기분이 좋아"),
])
def test_plain_text_is_cleaned_the_same_way(raw, clean):
    assert clean_text(raw) == clean


def test_a_marker_glued_to_a_word_leaves_the_word():
    assert assemble(words(("기분[unk]", 0.8)))[0] == "기분"
