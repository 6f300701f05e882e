"""Counter-based randomness: every random number is a hash of (seed, stream name, keys).

A draw depends only on its keys (device index, product, export number, ...), never on how many
draws came before, so adding devices or products leaves every other record unchanged, and the same
seed gives the same numbers on every machine (splitmix64 on uint64, no global state).
"""
from __future__ import annotations

import hashlib

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def _u64(k) -> np.ndarray:
    a = np.asarray(k)
    if a.dtype.kind == "u":
        return a.astype(np.uint64)
    return a.astype(np.int64).view(np.uint64)


class Hasher:
    def __init__(self, seed: int):
        self.seed = int(seed)

    def bits(self, stream: str, *keys) -> np.ndarray:
        digest = hashlib.blake2b(f"{self.seed}|{stream}".encode(), digest_size=8).digest()
        out = np.asarray(np.uint64(int.from_bytes(digest, "little")))
        with np.errstate(over="ignore"):
            for k in keys:
                out = _mix(out ^ _mix(_u64(k) + _GOLDEN))
        return out

    def u(self, stream: str, *keys) -> np.ndarray:
        """Uniform floats in [0, 1), shaped like the broadcast of the keys."""
        return (self.bits(stream, *keys) >> _S11).astype(np.float64) * (1.0 / 9007199254740992.0)

    def ints(self, stream: str, n, *keys) -> np.ndarray:
        """Integers in [0, n) (n may be an array)."""
        return np.minimum((self.u(stream, *keys) * np.asarray(n)).astype(np.int64), np.asarray(n) - 1)

    def uniform(self, stream: str, lo, hi, *keys) -> np.ndarray:
        return np.asarray(lo) + self.u(stream, *keys) * (np.asarray(hi) - np.asarray(lo))

    def pick(self, stream: str, weights, *keys) -> np.ndarray:
        """Index into `weights` drawn with those weights."""
        w = np.asarray(weights, dtype=np.float64)
        cdf = np.cumsum(w) / w.sum()
        return np.minimum(np.searchsorted(cdf, self.u(stream, *keys), side="right"), len(w) - 1)

    def order(self, stream: str, idx: np.ndarray) -> np.ndarray:
        """`idx` shuffled deterministically (stable under additions to idx)."""
        idx = np.asarray(idx)
        return idx[np.argsort(self.bits(stream, idx), kind="stable")]
