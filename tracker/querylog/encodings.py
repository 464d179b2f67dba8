"""Which text encoding a CSV export is in: UTF-8, Big5 (cp950), or cp950 with Big5-HKSCS.

Taiwanese systems export Big5 as Microsoft's cp950.  A name written with a
character cp950 lacks (Hong Kong supplementary characters such as 堃 or 喆)
comes out of such systems in Big5-HKSCS bytes; reading the whole file as
Big5-HKSCS instead would change the meaning of some cp950 codes (C6A1-C8FE,
F9D6-F9FE, €), so only the characters cp950 cannot decode are read as
Big5-HKSCS: the codec :data:`CP950_HKSCS`, registered here, which pyarrow's
CSV reader uses like any other.  Bytes neither decodes are refused naming
their line (:func:`encoding_error`).
"""

from __future__ import annotations

import codecs

import pyarrow as pa

from tracker.core.errors import InvalidInput

HEAD_BYTES = 1 << 16  # the first lines, which the encoding is judged on
CP950_HKSCS = "cp950+big5hkscs"  # the name a file read with the fallback reports
_FALLBACK_ERRORS = "tracker.big5hkscs"


def _from_hkscs(error: UnicodeDecodeError) -> tuple[str, int]:
    """Error handler: the two bytes cp950 could not decode, read as Big5-HKSCS."""
    pair = error.object[error.start : error.start + 2]
    try:
        return bytes(pair).decode("big5hkscs"), error.start + 2
    except UnicodeDecodeError:
        raise error from None


class _HkscsDecoder(codecs.getincrementaldecoder("cp950")):
    """cp950's incremental decoder with the Big5-HKSCS fallback (pyarrow transcodes
    through a codec's incremental decoder, created without arguments)."""

    def __new__(cls, errors: str = "strict"):
        return super().__new__(cls, _FALLBACK_ERRORS)  # the C type takes errors in __new__


def _find_codec(name: str) -> codecs.CodecInfo | None:
    # codecs.lookup passes the name normalised: "+" becomes "_"
    if name != CP950_HKSCS.replace("+", "_"):
        return None
    cp950 = codecs.lookup("cp950")
    return codecs.CodecInfo(
        name=CP950_HKSCS,
        encode=cp950.encode,
        decode=lambda data, errors="strict": cp950.decode(data, _FALLBACK_ERRORS),
        incrementalencoder=cp950.incrementalencoder,
        incrementaldecoder=_HkscsDecoder,
    )


codecs.register_error(_FALLBACK_ERRORS, _from_hkscs)
codecs.register(_find_codec)


_ENCODINGS = ("utf-8", "cp950", CP950_HKSCS)


def encodings_to_try(buf: pa.Buffer) -> tuple[str, ...]:
    """Encodings to try, judged on the first lines: UTF-8 (strict) first, else
    cp950, else cp950 with the Big5-HKSCS fallback (each later one in turn)."""
    head = buf.slice(0, min(HEAD_BYTES, buf.size)).to_pybytes()
    if buf.size > HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    for index, encoding in enumerate(_ENCODINGS):
        try:
            head.decode(encoding)
            return _ENCODINGS[index:]
        except UnicodeDecodeError:
            pass
    raise encoding_error(buf)


def encoding_error(buf: pa.Buffer) -> InvalidInput:
    """Name the line of the bad bytes: the later failure of UTF-8 and of cp950
    (with its Big5-HKSCS fallback) is the likelier real one, since the right
    encoding reads further."""
    data = buf.to_pybytes()
    stops = []
    for encoding in ("utf-8", CP950_HKSCS):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            stops.append(exc.start)
    line = data.count(b"\n", 0, max(stops, default=0)) + 1
    return InvalidInput(
        f"第 {line} 行有無法辨識的字元：CSV 須為 UTF-8 或 Big5（CP950，可含香港增補字符集）編碼",
        f"line {line}: undecodable bytes; a CSV must be UTF-8 or Big5 (cp950, Big5-HKSCS "
        "characters allowed)",
    )


def not_utf8(buf: pa.Buffer) -> bool:
    """Whether the whole of ``buf`` is not valid UTF-8."""
    try:
        buf.to_pybytes().decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def decode_text(buf: pa.Buffer, encoding: str) -> tuple[str, str]:
    """The text of ``buf`` and the encoding that read it (cp950 falls back on Big5-HKSCS)."""
    data = buf.to_pybytes()
    for each in (encoding, CP950_HKSCS) if encoding == "cp950" else (encoding,):
        try:
            return data.decode(each).lstrip("\ufeff"), each
        except UnicodeDecodeError:
            continue
    raise encoding_error(buf)
