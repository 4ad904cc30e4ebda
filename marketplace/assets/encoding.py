"""Text encodings of uploaded CSV and JSON Lines files.

Supported: UTF-8 (RFC 3629), UTF-8 with a byte-order mark, GBK and GB 18030-2005. Labels follow
the WHATWG Encoding Standard §4.2 (``gb2312``, ``cp936``, ``x-gbk`` … all mean GBK).

Detection is exact rather than statistical: a file is UTF-8 if it has the UTF-8 BOM or decodes
strictly as UTF-8, else GBK if it decodes strictly as GBK, else GB 18030. Strict decoders are
deterministic, streaming and cannot mislabel a file they accept; a statistical detector
(charset-normalizer) only looks at samples and may pick a single-byte code page for short Chinese
text. Python's GB 18030 codec decodes every GBK byte pair to the same character (checked over all
pairs), so the GBK-first rule only names the file, it never changes the text.

Byte offsets are 0-based positions in the uploaded bytes; lines are 1-based and count ``\\n``.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO, Protocol

from marketplace.errors import UnsupportedMediaType

__all__ = ["BOM", "CHUNK", "DecodeFailure", "Utf8Scan", "canonical_encoding", "line_of",
           "transcode"]

BOM = codecs.BOM_UTF8
CHUNK = 1 << 20
_SLICE = 256 << 10  # decode in slices: smaller temporary strings, fewer page faults

_LABELS = {
    **dict.fromkeys(("utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8",
                     "x-unicode20utf8"), "utf-8"),
    **dict.fromkeys(("utf-8-sig", "utf_8_sig"), "utf-8-sig"),
    **dict.fromkeys(("gbk", "gb2312", "gb_2312", "gb_2312-80", "chinese", "csgb2312",
                     "csiso58gb231280", "iso-ir-58", "cp936", "windows-936", "x-gbk"), "gbk"),
    "gb18030": "gb18030",
}


def canonical_encoding(label: str) -> str:
    """Map a declared charset label to utf-8, utf-8-sig, gbk or gb18030; else 415."""
    key = label.strip().lower()
    name = _LABELS.get(key) or _LABELS.get(key.replace("_", "-"))
    if name is None:
        raise UnsupportedMediaType(
            "Unsupported text encoding; use UTF-8, GBK or GB18030.", encoding=label[:40])
    return name


class DecodeFailure(Exception):
    """The bytes at ``offset`` are not valid in ``encoding``."""

    def __init__(self, encoding: str, offset: int) -> None:
        super().__init__(f"invalid {encoding} at byte {offset}")
        self.encoding = encoding
        self.offset = offset


def _failure_offset(err: UnicodeDecodeError, chunk_start: int, chunk_len: int) -> int:
    """Absolute offset of a decode error: ``err.object`` is the decoder's pending bytes + chunk."""
    return chunk_start - (len(err.object) - chunk_len) + err.start


class Utf8Scan:
    """Streaming checks over the raw upload: UTF-8 BOM, first NUL byte, first invalid UTF-8 byte."""

    def __init__(self, decode_limit: int | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._offset = 0
        self._start = b""
        self.has_bom = False
        self.nul_at: int | None = None
        self.invalid_at: int | None = None
        # Bytes decoded so far; with ``decode_limit`` set, decoding stops there and
        # :meth:`complete_from` decodes the rest later (NUL and BOM checks always see it all).
        self.decode_limit = decode_limit
        self.decoded = 0

    def feed(self, chunk: bytes) -> None:
        """Check the next chunk (any size; multi-byte characters may straddle chunks)."""
        if len(self._start) < len(BOM):
            self._start += chunk[: len(BOM) - len(self._start)]
            self.has_bom = self._start == BOM
        if self.nul_at is None and b"\x00" in chunk:
            self.nul_at = self._offset + chunk.index(b"\x00")
        if self.decoded == self._offset:  # not deferred yet
            take = len(chunk)
            if self.decode_limit is not None:
                take = max(0, min(take, self.decode_limit - self._offset))
            self._decode(chunk[:take] if take < len(chunk) else chunk, self._offset)
            self.decoded += take
        self._offset += len(chunk)

    def _decode(self, chunk: bytes, at: int) -> None:
        if self.invalid_at is not None or (chunk.isascii() and not self._decoder.getstate()[0]):
            return
        view = memoryview(chunk)
        for start in range(0, len(chunk), _SLICE):
            piece = view[start:start + _SLICE]
            try:
                self._decoder.decode(piece)
            except UnicodeDecodeError as err:
                self.invalid_at = _failure_offset(err, at + start, len(piece))
                return

    @property
    def deferred(self) -> bool:
        """True while bytes past ``decode_limit`` await :meth:`complete_from`."""
        return self.invalid_at is None and self.decoded < self._offset

    def complete_from(self, src: BinaryIO) -> None:
        """Decode the deferred rest from ``src`` (the stored upload), then :meth:`finish`."""
        src.seek(self.decoded)
        while self.invalid_at is None and (chunk := src.read(CHUNK)):
            self._decode(chunk, self.decoded)
            self.decoded += len(chunk)
        self.decoded = self._offset
        self.finish()

    def finish(self) -> None:
        """End of input: a multi-byte sequence cut off by EOF is invalid."""
        if self.invalid_at is None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError as err:
                self.invalid_at = _failure_offset(err, self._offset, 0)


class _Sink(Protocol):
    def write(self, chunk: bytes | memoryview) -> None: ...


def transcode(src: BinaryIO, encoding: str, sink: _Sink, chunk_size: int = CHUNK) -> None:
    """Copy ``src`` (in ``encoding``) to ``sink`` as UTF-8 without a BOM; DecodeFailure if bad.

    ``utf-8-sig`` input must already be known valid: its bytes are copied without the BOM.
    """
    if encoding == "utf-8-sig":
        start = b""
        while len(start) < len(BOM) and (more := src.read(len(BOM) - len(start))):
            start += more
        sink.write(start.removeprefix(BOM))
        while chunk := src.read(chunk_size):
            sink.write(chunk)
        return
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    while True:
        chunk = src.read(chunk_size)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as err:
            raise DecodeFailure(encoding, _failure_offset(err, offset, len(chunk))) from None
        if text:
            sink.write(text.encode("utf-8"))
        if not chunk:
            return
        offset += len(chunk)


def line_of(src: BinaryIO, offset: int, chunk_size: int = CHUNK) -> int:
    """1-based line number of byte ``offset`` in ``src`` (newlines before it, plus one)."""
    newlines = 0
    remaining = offset
    while remaining > 0 and (chunk := src.read(min(chunk_size, remaining))):
        newlines += chunk.count(b"\n")
        remaining -= len(chunk)
    return newlines + 1
