"""Vectorised column builders on pyarrow: strings from small dictionaries, padded numbers,
dates and timestamps from integer days/seconds, money from integer cents, and the mess masks."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STR = pa.string()
NULL_STR = pa.scalar(None, STR)
EPOCH = np.datetime64("1970-01-01", "D")
DAY = 86400


def days(d) -> int:
    """A date as days since 1970-01-01."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def take(values: Sequence[str | None], idx) -> pa.Array:
    """values[idx] as a string array (idx < 0 gives null)."""
    idx = np.asarray(idx, dtype=np.int64)
    dictionary = pa.array(list(values), STR)
    if len(idx) and idx.min() < 0:
        return dictionary.take(pa.array(idx, mask=idx < 0))
    return dictionary.take(pa.array(idx))


def const(value: str | None, n: int) -> pa.Array:
    return take([value], np.zeros(n, dtype=np.int64))


def cat(*parts, sep: str = "") -> pa.Array:
    """Element-wise concatenation; plain str parts broadcast. Null in any part gives null."""
    arrays = [p if not isinstance(p, str) else pa.scalar(p, STR) for p in parts]
    return pc.binary_join_element_wise(*arrays, sep)


def num(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), STR)


def padded(values, width: int) -> pa.Array:
    return pc.utf8_lpad(num(values), width=width, padding="0")


def null_where(arr: pa.Array, mask) -> pa.Array:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)


def where(mask, a: pa.Array, b: pa.Array) -> pa.Array:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return b
    if mask.all():
        return a
    return pc.if_else(pa.array(mask), a, b)


def date32(day_numbers, mask=None) -> pa.Array:
    d = np.asarray(day_numbers, dtype=np.int64).astype(np.int32)
    return pa.array(d, type=pa.int32(), mask=mask).cast(pa.date32())


def timestamp(seconds, mask=None) -> pa.Array:
    s = np.asarray(seconds, dtype=np.int64)
    return pa.array(s, type=pa.int64(), mask=mask).cast(pa.timestamp("s"))


def money(cents, mask=None) -> pa.Array:
    """Integer cents as decimal128(18, 2) (exact; built from the 128-bit buffer directly)."""
    c = np.asarray(cents, dtype=np.int64)
    buf = np.empty((len(c), 2), dtype=np.int64)
    buf[:, 0] = c
    buf[:, 1] = np.where(c < 0, -1, 0)
    validity = None
    if mask is not None and np.asarray(mask).any():
        validity = pa.array(~np.asarray(mask, dtype=bool)).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(c), [validity, pa.py_buffer(buf.tobytes())])


def lower(arr: pa.Array) -> pa.Array:
    return pc.utf8_lower(arr)


def upper(arr: pa.Array) -> pa.Array:
    return pc.utf8_upper(arr)


def title_email(arr: pa.Array) -> pa.Array:
    """first.last@example.com -> First.Last@Example.com (mixed-case e-mail)."""
    return pc.utf8_title(arr)


def padded_spaces(arr: pa.Array) -> pa.Array:
    return cat("  ", arr, " ")


def hex_bytes(byte_matrix: np.ndarray, sep: str, upper_case: bool = False, group: int = 1) -> pa.Array:
    """Rows of uint8 as hex text: 'aa:bb:...' (group=1) or 'aabb.ccdd.eeff' (group=2)."""
    table = [f"{b:02X}" if upper_case else f"{b:02x}" for b in range(256)]
    cols = [take(table, byte_matrix[:, k]) for k in range(byte_matrix.shape[1])]
    if group > 1:
        cols = [cat(*cols[i:i + group]) for i in range(0, len(cols), group)]
    return cat(*cols, sep=sep)


def fixed_text(char_codes: np.ndarray) -> pa.Array:
    """An (n, width) uint8 matrix of ASCII codes as strings, trailing spaces stripped."""
    n, width = char_codes.shape
    raw = np.ascontiguousarray(char_codes, dtype=np.uint8).view(f"S{width}").ravel()
    arr = pa.array(raw, type=pa.binary(width)).cast(pa.binary()).cast(STR)
    return pc.utf8_rtrim_whitespace(arr)


ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def base36_digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of ASCII base-36 digits of values (most significant first)."""
    v = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = ALNUM[v % 36]
        v //= 36
    return out
