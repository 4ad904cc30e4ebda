"""Turn an upload request into one readable byte stream, without buffering it.

Two shapes are accepted: the raw file as the body (``Content-Type: text/csv``,
``application/x-ndjson``, ``application/vnd.apache.parquet`` or ``application/octet-stream``),
or ``multipart/form-data`` (RFC 7578) whose first file part is the upload. Multipart bodies are
decoded incrementally with Werkzeug's sans-IO decoder; a body that ends before the closing
boundary is a 400, so a truncated upload can never be registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from flask import Request
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from marketplace.errors import BadRequest, UnsupportedMediaType, ValidationFailed

CHUNK = 1 << 20
_FORMATS_BY_MIMETYPE = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/vnd.apache.parquet": "parquet",
    "application/octet-stream": None,
}


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str | None
    fmt: str | None
    encoding: str | None
    expected_size: int | None = None  # the raw body's Content-Length (multipart: unknown)


class MultipartFileStream:
    """``read(n)`` over the data of the first file part of a multipart body."""

    def __init__(self, source: BinaryIO, boundary: bytes) -> None:
        self._source = source
        self._decoder = MultipartDecoder(boundary, max_parts=32)
        self._pending = bytearray()
        self._in_file = False
        self._file_done = False
        self._complete = False
        self.filename: str | None = None
        self._advance_to_file()

    def _next(self) -> object:
        try:
            event = self._decoder.next_event()
            while isinstance(event, NeedData):
                chunk = self._source.read(CHUNK)
                self._decoder.receive_data(chunk or None)
                event = self._decoder.next_event()
        except ValueError as exc:
            raise BadRequest("The multipart body is truncated or malformed.") from exc
        return event

    def _advance_to_file(self) -> None:
        while self.filename is None:
            event = self._next()
            if isinstance(event, File):
                self.filename = event.filename or "upload"
                self._in_file = True
            elif isinstance(event, Epilogue):
                raise ValidationFailed(errors={"file": ["The form has no file part."]})
            elif isinstance(event, Field | Data):
                continue

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        while len(self._pending) < want and not self._complete:
            event = self._next()
            if isinstance(event, Data) and self._in_file:
                self._pending += event.data
                if not event.more_data:
                    self._in_file, self._file_done = False, True
            elif isinstance(event, Epilogue):
                if not self._file_done:
                    raise BadRequest("The multipart body is truncated or malformed.")
                self._complete = True
        out = bytes(self._pending[:want])
        del self._pending[:want]
        return out


def upload_from_request(request: Request, fmt: str | None, encoding: str | None,
                        filename: str | None) -> Upload:
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset")
    declared = encoding or (charset.lower() if charset else None)
    if mimetype == "multipart/form-data":
        boundary = request.mimetype_params.get("boundary", "")
        if not boundary or len(boundary) > 70:
            raise BadRequest("The multipart body has no valid boundary.")
        stream = MultipartFileStream(request.stream, boundary.encode("latin-1"))
        return Upload(stream, filename or stream.filename, fmt, declared)
    if mimetype not in _FORMATS_BY_MIMETYPE:
        allowed = ", ".join(sorted([*_FORMATS_BY_MIMETYPE, "multipart/form-data"]))
        raise UnsupportedMediaType(f"Upload one of: {allowed}.")
    return Upload(request.stream, filename, fmt or _FORMATS_BY_MIMETYPE[mimetype], declared,
                  request.content_length)
