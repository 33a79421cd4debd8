from moodtune.v1 import emotion_pb2 as _emotion_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TextKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEXT_KIND_UNSPECIFIED: _ClassVar[TextKind]
    TEXT_KIND_UTTERANCE: _ClassVar[TextKind]
    TEXT_KIND_LYRICS: _ClassVar[TextKind]
TEXT_KIND_UNSPECIFIED: TextKind
TEXT_KIND_UTTERANCE: TextKind
TEXT_KIND_LYRICS: TextKind

class ClassifyRequest(_message.Message):
    __slots__ = ("texts", "kind")
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    kind: TextKind
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., kind: _Optional[_Union[TextKind, str]] = ...) -> None: ...

class ClassifyResult(_message.Message):
    __slots__ = ("scores", "highlight", "windows")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHT_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    scores: _emotion_pb2.EmotionScores
    highlight: str
    windows: int
    def __init__(self, scores: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ..., highlight: _Optional[str] = ..., windows: _Optional[int] = ...) -> None: ...

class ClassifyResponse(_message.Message):
    __slots__ = ("results", "model_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ClassifyResult]
    model_version: str
    def __init__(self, results: _Optional[_Iterable[_Union[ClassifyResult, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("split", "examples", "macro_f1", "accuracy", "ece", "f1_per_class")
    class F1PerClassEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    MACRO_F1_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    ECE_FIELD_NUMBER: _ClassVar[int]
    F1_PER_CLASS_FIELD_NUMBER: _ClassVar[int]
    split: str
    examples: int
    macro_f1: float
    accuracy: float
    ece: float
    f1_per_class: _containers.ScalarMap[str, float]
    def __init__(self, split: _Optional[str] = ..., examples: _Optional[int] = ..., macro_f1: _Optional[float] = ..., accuracy: _Optional[float] = ..., ece: _Optional[float] = ..., f1_per_class: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "version", "labels", "max_length", "backbone", "evaluations", "execution_provider", "input_prefix", "audio")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    BACKBONE_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    INPUT_PREFIX_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    max_length: int
    backbone: str
    evaluations: _containers.RepeatedCompositeFieldContainer[Evaluation]
    execution_provider: str
    input_prefix: str
    audio: AudioModelInfo
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., max_length: _Optional[int] = ..., backbone: _Optional[str] = ..., evaluations: _Optional[_Iterable[_Union[Evaluation, _Mapping]]] = ..., execution_provider: _Optional[str] = ..., input_prefix: _Optional[str] = ..., audio: _Optional[_Union[AudioModelInfo, _Mapping]] = ...) -> None: ...

class MelFrames(_message.Message):
    __slots__ = ("bands", "frames", "values")
    BANDS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    bands: int
    frames: int
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, bands: _Optional[int] = ..., frames: _Optional[int] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class EncodedAudio(_message.Message):
    __slots__ = ("data", "format")
    DATA_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    format: str
    def __init__(self, data: _Optional[bytes] = ..., format: _Optional[str] = ...) -> None: ...

class AudioItem(_message.Message):
    __slots__ = ("mel", "audio")
    MEL_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    mel: MelFrames
    audio: EncodedAudio
    def __init__(self, mel: _Optional[_Union[MelFrames, _Mapping]] = ..., audio: _Optional[_Union[EncodedAudio, _Mapping]] = ...) -> None: ...

class ClassifyAudioRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AudioItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AudioItem, _Mapping]]] = ...) -> None: ...

class AudioResult(_message.Message):
    __slots__ = ("scores", "embedding", "frames")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    scores: _emotion_pb2.EmotionScores
    embedding: _containers.RepeatedScalarFieldContainer[float]
    frames: int
    def __init__(self, scores: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ..., embedding: _Optional[_Iterable[float]] = ..., frames: _Optional[int] = ...) -> None: ...

class ClassifyAudioResponse(_message.Message):
    __slots__ = ("results", "model_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AudioResult]
    model_version: str
    def __init__(self, results: _Optional[_Iterable[_Union[AudioResult, _Mapping]]] = ..., model_version: _Optional[str] = ...) -> None: ...

class AudioModelInfo(_message.Message):
    __slots__ = ("name", "version", "labels", "embedding_dim", "bands", "sample_rate", "hop_size", "frames", "min_frames", "db_convention", "quantization", "execution_provider", "evaluations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    HOP_SIZE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    MIN_FRAMES_FIELD_NUMBER: _ClassVar[int]
    DB_CONVENTION_FIELD_NUMBER: _ClassVar[int]
    QUANTIZATION_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    embedding_dim: int
    bands: int
    sample_rate: int
    hop_size: int
    frames: int
    min_frames: int
    db_convention: str
    quantization: str
    execution_provider: str
    evaluations: _containers.RepeatedCompositeFieldContainer[Evaluation]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., embedding_dim: _Optional[int] = ..., bands: _Optional[int] = ..., sample_rate: _Optional[int] = ..., hop_size: _Optional[int] = ..., frames: _Optional[int] = ..., min_frames: _Optional[int] = ..., db_convention: _Optional[str] = ..., quantization: _Optional[str] = ..., execution_provider: _Optional[str] = ..., evaluations: _Optional[_Iterable[_Union[Evaluation, _Mapping]]] = ...) -> None: ...
