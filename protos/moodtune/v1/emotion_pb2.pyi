from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Emotion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMOTION_UNSPECIFIED: _ClassVar[Emotion]
    EMOTION_ANGER: _ClassVar[Emotion]
    EMOTION_TENSION: _ClassVar[Emotion]
    EMOTION_SADNESS: _ClassVar[Emotion]
    EMOTION_PEACE: _ClassVar[Emotion]
    EMOTION_JOY: _ClassVar[Emotion]
    EMOTION_NEUTRAL: _ClassVar[Emotion]
EMOTION_UNSPECIFIED: Emotion
EMOTION_ANGER: Emotion
EMOTION_TENSION: Emotion
EMOTION_SADNESS: Emotion
EMOTION_PEACE: Emotion
EMOTION_JOY: Emotion
EMOTION_NEUTRAL: Emotion

class EmotionScores(_message.Message):
    __slots__ = ("probabilities", "label", "confidence")
    PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    probabilities: _containers.RepeatedScalarFieldContainer[float]
    label: Emotion
    confidence: float
    def __init__(self, probabilities: _Optional[_Iterable[float]] = ..., label: _Optional[_Union[Emotion, str]] = ..., confidence: _Optional[float] = ...) -> None: ...
