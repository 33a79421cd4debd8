"""POST /v1/recommend/speech's request: the recording (raw body or multipart) and its options.

The body is already in memory (BodyLimit reads it to count it), so multipart is split here, in
memory too: a recording never touches the disk, unlike a spooled upload would past 1 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import HeaderParser

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.gateway import schemas

# The media types the page, phones and scripts send; any other audio/* is tried as well.
AUDIO_MEDIA_TYPES = ["audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav", "audio/x-wav", "audio/flac",
                     "audio/aac", "video/webm", "video/mp4", "application/octet-stream"]
MULTIPART = "multipart/form-data"
_LIST_FIELDS = {"genres", "exclude_song_ids"}


class BadRecording(Exception):
    """A request the gateway refuses before any upstream call: (HTTP status, error code, message)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Recording:
    audio: bytes
    content_type: str
    options: schemas.SpeechOptions


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = HeaderParser().parsestr(f"Content-Type: {content_type}\r\n\r\n")
    params = {k.lower(): v for k, v in (message.get_params() or [])[1:]}
    return message.get_content_type(), params


def accepted_audio_type(media_type: str) -> bool:
    return media_type in AUDIO_MEDIA_TYPES or media_type.startswith("audio/")


def split_multipart(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """(headers, data) of each part; BadRecording(400) when the body is not multipart with this boundary."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise BadRecording(400, "bad_request", "the multipart body is malformed (no closing boundary)")
    parts = []
    for section in sections[1:-1]:
        head, separator, data = section.partition(b"\r\n\r\n")
        if not separator:
            raise BadRecording(400, "bad_request", "a multipart part has no header/body separator")
        headers = HeaderParser().parsestr(head.decode("utf-8", errors="replace").strip() + "\r\n\r\n")
        parts.append(({k.lower(): v for k, v in headers.items()}, data))
    return parts


def _disposition_name(headers: dict[str, str]) -> str | None:
    message = HeaderParser().parsestr(f"Content-Disposition: {headers.get('content-disposition', '')}\r\n\r\n")
    return message.get_param("name", header="content-disposition")


def read_recording(content_type: str, body: bytes, query: schemas.SpeechOptions, max_audio_bytes: int) -> Recording:
    """The recording and its options; query parameters first, multipart fields on top of them."""
    media_type, params = _media_type(content_type or "")
    fields: dict[str, object] = query.model_dump(exclude_unset=True)
    if media_type == MULTIPART:
        if not params.get("boundary"):
            raise BadRecording(400, "bad_request", "multipart/form-data without a boundary")
        audio, audio_type = None, ""
        for headers, data in split_multipart(body, params["boundary"]):
            name = _disposition_name(headers)
            if name == "audio":
                audio, audio_type = data, headers.get("content-type", "")
            elif name in _LIST_FIELDS:
                fields.setdefault(name, [])
                fields[name] = [*fields[name], data.decode("utf-8", errors="replace")]  # type: ignore[list-item]
            elif name:
                fields[name] = data.decode("utf-8", errors="replace")
        if audio is None:
            raise RequestValidationError([{"loc": ("body", "audio"), "msg": "Field required: the recording",
                                           "type": "missing"}])
    elif accepted_audio_type(media_type):
        audio, audio_type = body, content_type
    else:
        raise BadRecording(415, "unsupported_media_type",
                           f"Content-Type {media_type or '(none)'} is not a recording: send the audio as the body "
                           f"with its audio/* type, or as the 'audio' field of a {MULTIPART} body")
    try:
        options = schemas.SpeechOptions.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    if not audio:
        raise BadRecording(415, "unsupported_audio", "the recording is empty")
    if len(audio) > max_audio_bytes:
        raise BadRecording(413, "audio_too_large",
                           f"the recording has {len(audio)} bytes; the limit is {max_audio_bytes}")
    return Recording(audio, audio_type, options)


def openapi_request_body() -> dict:
    """The request body as OpenAPI says it: any of the audio types, or multipart with the options."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    option_props = schemas.SpeechOptions.model_json_schema()
    form = {"type": "object", "required": ["audio"],
            "properties": {"audio": {"type": "string", "format": "binary",
                                     "description": "the recording (webm/opus, ogg/opus, mp4/aac, wav, mp3, flac)"},
                           **option_props["properties"]},
            "additionalProperties": False}
    return {"required": True,
            "description": "a recording of at most 30 s: the body itself (with its Content-Type), or the 'audio' "
                           "field of a multipart form whose other fields are the options",
            "content": {**{t: binary for t in AUDIO_MEDIA_TYPES}, MULTIPART: {"schema": form}}}
