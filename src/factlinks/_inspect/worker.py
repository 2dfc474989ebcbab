"""The parse worker: ``python -m factlinks._inspect.worker [MEMORY_BYTES]``.

Reads requests from stdin and writes answers to stdout, each a 4-byte big-endian length and a
pickle. A request is a :class:`factlinks._inspect.ParseRequest`; an answer is
``("ok", (inspection, evidence))`` or ``("error", message)``. Only the parent factlinks process
talks to it. Its address space is capped, so a ballooning document kills the worker (and the
parent reports the document as unverifiable), never the run.
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


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the input ends."""
    while (payload := read_frame(requests)) is not None:
        try:
            request = pickle.loads(payload)
            answer: tuple[str, object] = ("ok", request.run())
        except MemoryError:
            answer = ("error", "the document needs more memory than the parse limit allows")
        except RecursionError:
            answer = ("error", "the document is nested too deeply to parse")
        except Exception as exc:  # one document's failure is an answer, not a crash
            answer = ("error", f"{type(exc).__name__}: {exc}"[:300])
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
    from . import ParseRequest  # noqa: F401 - load the parsers before the limit and the work

    if len(sys.argv) > 1 and int(sys.argv[1]) > 0:
        _limit_memory(int(sys.argv[1]))
    answers.write(frame(READY))
    answers.flush()
    serve(requests, answers)


if __name__ == "__main__":
    main()
