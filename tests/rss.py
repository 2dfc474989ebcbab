"""The resident memory of a whole process tree, sampled from ``/proc`` (Linux only).

Used by the memory test (``tests/test_memory_bound.py``) and the benchmarks
(``benchmarks/crawl.py``, ``benchmarks/memory.py``). Only the standard library.
"""

from __future__ import annotations

import os
import threading

__all__ = ["TreeSampler"]


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants from /proc.

    Shared pages are counted once per process, so the sum is an upper bound. Use it as
    ``sampler = TreeSampler(pid); sampler.start(); ...; sampler.stop()`` and read
    :attr:`peak_bytes`.
    """

    def __init__(self, root: int, interval: float = 0.01) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._halt = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self) -> int:
        """Take one sample now; return the tree's RSS in bytes."""
        pids = self._tree()
        total = sum(self._rss(pid) for pid in pids)
        self.peak_bytes = max(self.peak_bytes, total)
        self.peak_processes = max(self.peak_processes, len(pids))
        self.samples += 1
        return total

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(name))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += children.get(pid, [])
        return tree

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                return int(handle.read().split()[1]) * self._page
        except (OSError, ValueError, IndexError):
            return 0
