"""The parse worker: ``python -m factlinks._inspect.worker [MEMORY_BYTES]``.

Reads requests from stdin and writes answers to stdout, each a 4-byte big-endian length and a
pickle. A request is a :class:`factlinks._inspect.ParseRequest`; an answer is
``("ok", (inspection, evidence))`` or ``("error", message)``. Only the parent factlinks process
talks to it. Its memory is capped, so a ballooning document ends the worker (and the parent
reports the document as unverifiable), never the run: a thread watches the resident memory
while a request runs and ends the process with :data:`MEMORY_EXIT` once it passes the limit
(PDFium and lxml allocate outside Python, where a ``MemoryError`` never comes), and the
address space is capped at the limit plus :data:`ADDRESS_SPACE_HEADROOM` as a backstop for a
single huge allocation and for systems where resident memory cannot be read.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import time
from typing import BinaryIO

_HEADER = struct.Struct(">I")
READY = b"ready"
"""The first frame a worker sends, once its imports are done."""
MEMORY_EXIT = 86
"""The exit status of a worker that ended itself for passing its memory limit."""
ADDRESS_SPACE_HEADROOM = 1024**3
"""Address space allowed above the resident-memory limit (mapped but untouched memory, such as
thread stacks and the reservations of allocators, does not count towards the limit)."""
_WATCH_INTERVAL = 0.01


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(stream: BinaryIO) -> bytes | None:
    """One length-prefixed frame, or ``None`` at end of stream."""
    header = _read_exact(stream, _HEADER.size)
    if header is None:
        return None
    return _read_exact(stream, _HEADER.unpack(header)[0])


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix."""
    return _HEADER.pack(len(payload)) + payload


def died(returncode: int | None, limit: int) -> str:
    """Why a worker that gave no answer is gone, for the report."""
    if returncode == MEMORY_EXIT:
        return f"the document needs more than {limit / 1024**2:g} MiB of memory to parse"
    return "the parser died on this document (too much memory?)"


def _limit_address_space(limit: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux), else its peak so far, else ``None``."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:  # pragma: no cover - not Linux
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):  # pragma: no cover - not POSIX
        return None


def _malloc_trim() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


class MemoryWatch:
    """Ends the process with :data:`MEMORY_EXIT` when its resident memory passes ``limit``
    while :attr:`busy` is set (checked every 10 ms)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy = threading.Event()

    def start(self) -> None:
        """Watch from a daemon thread; a no-op where resident memory cannot be read."""
        if resident_bytes() is not None:
            threading.Thread(target=self._watch, name="factlinks-memory", daemon=True).start()

    def release(self) -> None:
        """Give freed memory back to the system once a document used over half the limit,
        so what one document left behind is not charged to the next (glibc only)."""
        if (resident_bytes() or 0) > self.limit // 2:
            _malloc_trim()

    def _watch(self) -> None:
        while True:
            self.busy.wait()
            if (resident_bytes() or 0) > self.limit:
                os._exit(MEMORY_EXIT)
            time.sleep(_WATCH_INTERVAL)


def serve(requests: BinaryIO, answers: BinaryIO, watch: MemoryWatch | None = None) -> None:
    """Answer requests until the input ends."""
    while (payload := read_frame(requests)) is not None:
        if watch is not None:
            watch.busy.set()
        try:
            request = pickle.loads(payload)
            del payload  # the body is in the request now: not held twice while parsing
            answer: tuple[str, object] = ("ok", request.run())
        except MemoryError:
            answer = ("error", "the document needs more memory than the parse limit allows")
        except RecursionError:
            answer = ("error", "the document is nested too deeply to parse")
        except Exception as exc:  # one document's failure is an answer, not a crash
            answer = ("error", f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if watch is not None:
                watch.busy.clear()
                watch.release()
        answers.write(frame(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)))
        answers.flush()


def _exit_with_parent() -> None:
    """End this worker when the factlinks process that started it is gone.

    Normally the parent closes our input and we stop; a parent killed outright cannot, and a
    worker stuck in a hostile document would otherwise run on.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="factlinks-parent-watch", daemon=True).start()


def main() -> None:
    """Entry point of the worker process."""
    _exit_with_parent()
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    from . import analysis  # noqa: F401 - load the parsers before the limit and the work

    watch = None
    if len(sys.argv) > 1 and int(sys.argv[1]) > 0:
        watch = MemoryWatch(int(sys.argv[1]))
        _limit_address_space(watch.limit + ADDRESS_SPACE_HEADROOM)
        watch.start()
    answers.write(frame(READY))
    answers.flush()
    serve(requests, answers, watch)


if __name__ == "__main__":
    main()
