"""The report's payload: packed JSON that cannot break out of its script element.

The data travels as ``base64(zlib(JSON))`` inside ``<script type="application/octet-stream"
id="sovprof-data">``.  The base64 alphabet has no ``<``, ``&`` or quote, so no name in a
profile can end the element or start markup; the JSON text itself also escapes ``<``,
``>``, ``&`` and U+2028/2029 so that it stays safe wherever it is pasted.  The report's
JS decodes it with ``atob`` → ``DecompressionStream("deflate")`` → ``JSON.parse``;
:func:`unpack` does the same steps in Python.

Packing conventions (memray-style): every name goes through one string table
(:class:`StringTable`) and tables are integer columns; long id columns are stored
delta-coded (:func:`delta_encode`), which the JS undoes with a running sum.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

PAYLOAD_ID = "sovprof-data"
ENCODING = "zlib+base64"
FORMAT_VERSION = 1

_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")
_PAYLOAD_RE = re.compile(
    r'<script type="application/octet-stream" id="' + PAYLOAD_ID + r'"[^>]*>([^<]*)</script>'
)


class StringTable:
    """Interns strings; the report refers to every name by its index here."""

    __slots__ = ("_ids", "strings")

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._ids: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        idx = self._ids.get(text)
        if idx is None:
            idx = len(self.strings)
            self._ids[text] = idx
            self.strings.append(text)
        return idx

    def __len__(self) -> int:
        return len(self.strings)


def delta_encode(values: Iterable[int]) -> list[int]:
    """``[5, 7, 8]`` → ``[5, 2, 1]`` (the JS restores it with a running sum)."""
    out: list[int] = []
    prev = 0
    for v in values:
        out.append(v - prev)
        prev = v
    return out


def delta_decode(values: Sequence[int]) -> list[int]:
    out: list[int] = []
    acc = 0
    for v in values:
        acc += v
        out.append(acc)
    return out


def safe_json(data: Any) -> str:
    """JSON text with ``<``, ``>``, ``&`` and U+2028/2029 written as ``\\uXXXX``.

    NaN and infinities become ``null`` (JSON has neither).
    """
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode(
        "utf-8"
    )
    return _UNSAFE_RE.sub(lambda m: _UNSAFE[m.group(0)], text)


def pack(data: Any, level: int = 6) -> str:
    """The payload text: base64 of the zlib-compressed :func:`safe_json` of ``data``."""
    raw = safe_json(data).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, level)).decode("ascii")


def unpack(text: str) -> Any:
    """Decode a payload exactly as the report's JS does: base64 → inflate → JSON."""
    raw = zlib.decompress(base64.b64decode(text.strip(), validate=True))
    return json.loads(raw.decode("utf-8"))


def extract_payload(html: str) -> str:
    """The payload text of a report's HTML (ValueError when there is none)."""
    m = _PAYLOAD_RE.search(html)
    if m is None:
        raise ValueError("not a sovprof report: no data element")
    return m.group(1)


def read_report(html: str) -> dict[str, Any]:
    """The decoded data of a report's HTML."""
    data = unpack(extract_payload(html))
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError("not a sovprof report of a version this one understands")
    return data
