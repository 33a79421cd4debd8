from moodtune.v1 import emotion_pb2 as _emotion_pb2
from moodtune.v1 import speech_pb2 as _speech_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODE_UNSPECIFIED: _ClassVar[Mode]
    MODE_MATCH: _ClassVar[Mode]
    MODE_REGULATE: _ClassVar[Mode]

class Feedback(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEEDBACK_UNSPECIFIED: _ClassVar[Feedback]
    FEEDBACK_LIKED: _ClassVar[Feedback]
    FEEDBACK_DISLIKED: _ClassVar[Feedback]
    FEEDBACK_SKIPPED: _ClassVar[Feedback]
MODE_UNSPECIFIED: Mode
MODE_MATCH: Mode
MODE_REGULATE: Mode
FEEDBACK_UNSPECIFIED: Feedback
FEEDBACK_LIKED: Feedback
FEEDBACK_DISLIKED: Feedback
FEEDBACK_SKIPPED: Feedback

class RecommendFilter(_message.Message):
    __slots__ = ("genres", "year_from", "year_to", "exclude_song_ids")
    GENRES_FIELD_NUMBER: _ClassVar[int]
    YEAR_FROM_FIELD_NUMBER: _ClassVar[int]
    YEAR_TO_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_SONG_IDS_FIELD_NUMBER: _ClassVar[int]
    genres: _containers.RepeatedScalarFieldContainer[str]
    year_from: int
    year_to: int
    exclude_song_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, genres: _Optional[_Iterable[str]] = ..., year_from: _Optional[int] = ..., year_to: _Optional[int] = ..., exclude_song_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class RecommendRequest(_message.Message):
    __slots__ = ("text", "limit", "mode", "user_id", "filter", "target")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    text: str
    limit: int
    mode: Mode
    user_id: str
    filter: RecommendFilter
    target: _emotion_pb2.Emotion
    def __init__(self, text: _Optional[str] = ..., limit: _Optional[int] = ..., mode: _Optional[_Union[Mode, str]] = ..., user_id: _Optional[str] = ..., filter: _Optional[_Union[RecommendFilter, _Mapping]] = ..., target: _Optional[_Union[_emotion_pb2.Emotion, str]] = ...) -> None: ...

class Genre(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Song(_message.Message):
    __slots__ = ("song_id", "title", "artists", "album", "year", "genres", "emotions", "highlight", "melon_song_id", "source_url", "signals", "audio_model_version", "instrumental", "preview")
    SONG_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTISTS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    EMOTIONS_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHT_FIELD_NUMBER: _ClassVar[int]
    MELON_SONG_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENTAL_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    song_id: int
    title: str
    artists: _containers.RepeatedScalarFieldContainer[str]
    album: str
    year: int
    genres: _containers.RepeatedCompositeFieldContainer[Genre]
    emotions: _emotion_pb2.EmotionScores
    highlight: str
    melon_song_id: int
    source_url: str
    signals: _containers.RepeatedScalarFieldContainer[str]
    audio_model_version: str
    instrumental: bool
    preview: bool
    def __init__(self, song_id: _Optional[int] = ..., title: _Optional[str] = ..., artists: _Optional[_Iterable[str]] = ..., album: _Optional[str] = ..., year: _Optional[int] = ..., genres: _Optional[_Iterable[_Union[Genre, _Mapping]]] = ..., emotions: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ..., highlight: _Optional[str] = ..., melon_song_id: _Optional[int] = ..., source_url: _Optional[str] = ..., signals: _Optional[_Iterable[str]] = ..., audio_model_version: _Optional[str] = ..., instrumental: _Optional[bool] = ..., preview: _Optional[bool] = ...) -> None: ...

class Recommendation(_message.Message):
    __slots__ = ("song", "similarity", "reason", "matched", "aim")
    SONG_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    AIM_FIELD_NUMBER: _ClassVar[int]
    song: Song
    similarity: float
    reason: str
    matched: _emotion_pb2.Emotion
    aim: _emotion_pb2.EmotionScores
    def __init__(self, song: _Optional[_Union[Song, _Mapping]] = ..., similarity: _Optional[float] = ..., reason: _Optional[str] = ..., matched: _Optional[_Union[_emotion_pb2.Emotion, str]] = ..., aim: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ...) -> None: ...

class RecommendResponse(_message.Message):
    __slots__ = ("emotion", "songs", "model_version", "catalog_version", "cached", "mode")
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    SONGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    emotion: _emotion_pb2.EmotionScores
    songs: _containers.RepeatedCompositeFieldContainer[Recommendation]
    model_version: str
    catalog_version: str
    cached: bool
    mode: Mode
    def __init__(self, emotion: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ..., songs: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ..., model_version: _Optional[str] = ..., catalog_version: _Optional[str] = ..., cached: _Optional[bool] = ..., mode: _Optional[_Union[Mode, str]] = ...) -> None: ...

class FeedbackRequest(_message.Message):
    __slots__ = ("user_id", "song_id", "feedback")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SONG_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    song_id: int
    feedback: Feedback
    def __init__(self, user_id: _Optional[str] = ..., song_id: _Optional[int] = ..., feedback: _Optional[_Union[Feedback, str]] = ...) -> None: ...

class FeedbackResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class ClassifyTextRequest(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class ClassifyTextResponse(_message.Message):
    __slots__ = ("emotion", "model_version", "cached")
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    emotion: _emotion_pb2.EmotionScores
    model_version: str
    cached: bool
    def __init__(self, emotion: _Optional[_Union[_emotion_pb2.EmotionScores, _Mapping]] = ..., model_version: _Optional[str] = ..., cached: _Optional[bool] = ...) -> None: ...

class GetSongRequest(_message.Message):
    __slots__ = ("song_id",)
    SONG_ID_FIELD_NUMBER: _ClassVar[int]
    song_id: int
    def __init__(self, song_id: _Optional[int] = ...) -> None: ...

class RecommendSpeechRequest(_message.Message):
    __slots__ = ("audio", "options")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    audio: _speech_pb2.TranscribeRequest
    options: RecommendRequest
    def __init__(self, audio: _Optional[_Union[_speech_pb2.TranscribeRequest, _Mapping]] = ..., options: _Optional[_Union[RecommendRequest, _Mapping]] = ...) -> None: ...

class RecommendSpeechResponse(_message.Message):
    __slots__ = ("transcript", "recommendation")
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    transcript: _speech_pb2.Transcript
    recommendation: RecommendResponse
    def __init__(self, transcript: _Optional[_Union[_speech_pb2.Transcript, _Mapping]] = ..., recommendation: _Optional[_Union[RecommendResponse, _Mapping]] = ...) -> None: ...

class SimilarSongsRequest(_message.Message):
    __slots__ = ("song_id", "limit", "filter", "same_emotion")
    SONG_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SAME_EMOTION_FIELD_NUMBER: _ClassVar[int]
    song_id: int
    limit: int
    filter: RecommendFilter
    same_emotion: bool
    def __init__(self, song_id: _Optional[int] = ..., limit: _Optional[int] = ..., filter: _Optional[_Union[RecommendFilter, _Mapping]] = ..., same_emotion: _Optional[bool] = ...) -> None: ...

class SimilarSongsResponse(_message.Message):
    __slots__ = ("song", "songs", "audio_model_version", "catalog_version", "space")
    SONG_FIELD_NUMBER: _ClassVar[int]
    SONGS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    song: Song
    songs: _containers.RepeatedCompositeFieldContainer[Recommendation]
    audio_model_version: str
    catalog_version: str
    space: str
    def __init__(self, song: _Optional[_Union[Song, _Mapping]] = ..., songs: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ..., audio_model_version: _Optional[str] = ..., catalog_version: _Optional[str] = ..., space: _Optional[str] = ...) -> None: ...
