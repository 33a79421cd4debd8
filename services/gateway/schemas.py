"""The JSON API's request and response bodies (they also make the OpenAPI docs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Emotion = Literal["anger", "tension", "sadness", "peace", "joy", "neutral"]
# Song ids travel as int64 over gRPC, but JSON readers (the page's JavaScript, and JSON Schema tools
# comparing as doubles) are exact only up to 2**53 - 1: the API's ids stay within that.
MAX_SONG_ID = 2**53 - 1
SongId = Annotated[int, Field(ge=1, le=MAX_SONG_ID)]
TEXT_MAX = 1000
# Python's whitespace (what str.strip() removes), spelled out for the schema: JSON Schema's \s is
# ECMAScript's, which differs (it lacks U+001C..U+001F and U+0085, and has U+FEFF).
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_ONLY_WHITESPACE = f"[^{WHITESPACE}]"


def _utf8(value):
    """JSON may carry escaped lone surrogates ("\\ud800"), which no UTF-8 transport (gRPC) can."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains an unpaired surrogate: not valid Unicode text") from None
    elif isinstance(value, list):
        for item in value:
            _utf8(item)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    _valid_text = field_validator("*", mode="before")(classmethod(lambda cls, v: _utf8(v)))


class Filter(Strict):
    """When both years are given, year_from must not be after year_to (422 otherwise)."""

    genres: list[str] = Field(default_factory=list, max_length=50, description="genre codes, e.g. GN0100")
    year_from: int | None = Field(None, ge=1900, le=2100)
    year_to: int | None = Field(None, ge=1900, le=2100)
    exclude_song_ids: list[SongId] = Field(default_factory=list, max_length=1000)


class TextBody(Strict):
    # The schema says what the validator checks: 1 to 1,000 characters, at least one of them not
    # whitespace (the text is trimmed before it is classified).
    text: str = Field(..., description="how you feel: 1 to 1,000 characters, not only whitespace",
                      examples=["오늘 발표 망쳐서 너무 속상해"],
                      json_schema_extra={"minLength": 1, "maxLength": TEXT_MAX,
                                         "pattern": NOT_ONLY_WHITESPACE.encode("unicode_escape").decode()})

    @field_validator("text")
    @classmethod
    def trimmed_length(cls, value: str) -> str:
        if len(value) > TEXT_MAX:
            raise ValueError(f"text has {len(value)} characters; the limit is {TEXT_MAX}")
        value = value.strip()
        if not value:
            raise ValueError("text is empty: write how you feel")
        return value


class RecommendBody(TextBody):
    limit: int = Field(5, ge=1, le=50)
    mode: Literal["match", "regulate"] = Field("match", description="match: 지금 기분 그대로; regulate: 기분 전환")
    target: Literal["peace", "joy"] = Field("peace", description="regulate only: where the songs lead")
    user_id: str | None = Field(None, min_length=1, max_length=128)
    filter: Filter = Field(default_factory=Filter)


class SpeechOptions(Strict):
    """/v1/recommend/speech's options: /v1/recommend's, flat (query parameters or form fields)."""

    limit: int = Field(5, ge=1, le=50)
    mode: Literal["match", "regulate"] = Field("match", description="match: 지금 기분 그대로; regulate: 기분 전환")
    target: Literal["peace", "joy"] = Field("peace", description="regulate only: where the songs lead")
    user_id: str | None = Field(None, min_length=1, max_length=128)
    genres: list[str] = Field(default_factory=list, max_length=50, description="genre codes, e.g. GN0100")
    year_from: int | None = Field(None, ge=1900, le=2100)
    year_to: int | None = Field(None, ge=1900, le=2100)
    exclude_song_ids: list[SongId] = Field(default_factory=list, max_length=1000)


class SimilarOptions(Strict):
    """GET /v1/songs/{id}/similar's query parameters. When both years are given, year_from must not
    be after year_to (422 otherwise, from the recommender)."""

    limit: int = Field(5, ge=1, le=50)
    same_emotion: bool = Field(False, description="only songs whose top emotion is the song's own")
    genres: list[str] = Field(default_factory=list, max_length=50, description="genre codes, e.g. GN0100")
    year_from: int | None = Field(None, ge=1900, le=2100)
    year_to: int | None = Field(None, ge=1900, le=2100)


class FeedbackBody(Strict):
    user_id: str = Field(..., min_length=1, max_length=128)
    song_id: SongId
    feedback: Literal["liked", "disliked", "skipped"]


class Emotions(BaseModel):
    label: Emotion
    confidence: float
    probabilities: dict[Emotion, float]


class Genre(BaseModel):
    code: str
    name: str


class SongOut(BaseModel):
    song_id: int
    title: str
    artists: list[str]
    album: str
    year: int | None
    genres: list[Genre]
    emotions: Emotions
    highlight: str
    source_url: str
    # sound (issue 14)
    signals: list[Literal["lyrics", "sound"]] = Field(default_factory=list, description="the signals the song has")
    instrumental: bool = Field(False, description="in the catalog on its sound alone")
    preview: bool = Field(False, description="GET /v1/songs/{song_id}/preview plays a clip of it")
    audio_model_version: str = ""


class RecommendationOut(BaseModel):
    song: SongOut
    similarity: float
    reason: str
    matched: Emotion
    aim: Emotions | None = None


class RecommendOut(BaseModel):
    emotion: Emotions
    songs: list[RecommendationOut]
    mode: Literal["match", "regulate"]
    model_version: str
    catalog_version: str
    cached: bool


class SimilarOut(BaseModel):
    """Songs that sound like `song`, best first, never `song` itself."""

    song: SongOut
    songs: list[RecommendationOut]
    audio_model_version: str
    catalog_version: str
    space: Literal["audio", "taste"] = Field(
        "audio", description="audio: nearest by sound; taste: the song has no sound, so songs found in the same playlists")


class TranscriptOut(BaseModel):
    text: str = Field(..., description="what was heard, cleaned; never empty (422 no_speech instead)")
    confidence: float = Field(..., ge=0, le=1, description="mean per-word confidence of the recogniser")
    seconds: float = Field(..., ge=0, description="the recording's duration")


class SpeechRecommendOut(RecommendOut):
    transcript: TranscriptOut


class ClassifyOut(BaseModel):
    emotion: Emotions
    model_version: str
    cached: bool


class FeedbackOut(BaseModel):
    recorded: bool


class ErrorDetail(BaseModel):
    code: str = Field(..., examples=["unavailable"], description="stable, for programs")
    message: str = Field(..., examples=["the classifier is unavailable"], description="for people")


class ErrorOut(BaseModel):
    """Every error answer. 422s for invalid requests also list each problem in `detail`."""

    error: ErrorDetail
    detail: list[dict] | None = Field(None, description="422 invalid_request: where and what, per problem")


class StatusOut(BaseModel):
    status: Literal["ok", "ready"]
