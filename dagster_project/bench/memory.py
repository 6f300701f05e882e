"""Peak RSS of a process tree, sampled: the build runs Dagster in this process and dbt as a child,
so neither ru_maxrss of this process nor of its finished children is the tree's peak."""
from __future__ import annotations

import threading

import psutil


class TreePeak:
    """`with TreePeak() as peak: ...`, then `peak.mb`: the largest sum of RSS over this process
    and all its descendants, sampled every `interval` seconds."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while True:
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak_bytes / 2**20
