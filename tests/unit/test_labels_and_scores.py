import pytest

from moodtune.v1 import emotion_pb2
from services.common.labels import EMOTIONS, emotion_index, from_proto_enum, to_proto_enum
from services.common.scores import scores_from_proto, scores_to_proto


def test_canonical_order_matches_design_and_proto():
    assert EMOTIONS == ("anger", "tension", "sadness", "peace", "joy", "neutral")
    for i, name in enumerate(EMOTIONS):
        assert emotion_pb2.Emotion.Name(to_proto_enum(i)) == f"EMOTION_{name.upper()}"
        assert from_proto_enum(to_proto_enum(i)) == i


def test_korean_names_map_to_the_same_index():
    assert [emotion_index(k) for k in ["분노", "긴장", "슬픔", "평화", "기쁨", "중립"]] == list(range(6))
    with pytest.raises(ValueError, match="unknown emotion"):
        emotion_index("놀람")
    with pytest.raises(ValueError):
        from_proto_enum(0)


def test_scores_round_trip_and_top_label():
    message = scores_to_proto([0.1, 0.05, 0.6, 0.1, 0.1, 0.05])
    assert message.label == emotion_pb2.EMOTION_SADNESS
    assert message.confidence == pytest.approx(0.6)
    assert scores_from_proto(message) == pytest.approx((0.1, 0.05, 0.6, 0.1, 0.1, 0.05))
    with pytest.raises(ValueError):
        scores_to_proto([0.5, 0.5])
