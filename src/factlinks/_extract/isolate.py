"""Read one document in a parse worker, under the same time and memory limits as ``check``.

The worker is ``python -m factlinks._inspect.worker`` (see :mod:`factlinks._inspect.worker`),
the process ``check`` parses fetched documents in. Here it is started for one document, given
one :class:`ReadRequest`, and ended: a document that hangs the parser is cut after
``timeout`` seconds, one that needs more than ``memory`` bytes of address space ends its own
worker, and either way the caller gets a :class:`~factlinks.DocumentError` naming the file,
never a hang or an exhausted machine. The worker's own output goes nowhere, so a parser's
warnings never reach the user's terminal.
"""

from __future__ import annotations

import os
import pickle
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .._errors import DocumentError
from .._inspect.worker import READY, died, frame
from .interface import CitedUrl, Reader

__all__ = ["ReadRequest", "read_isolated"]

_WORKER_MODULE = "factlinks._inspect.worker"
_START_TIMEOUT = 60.0
"""Seconds a worker may take to start (its imports), not charged to the document."""
_HEADER = 4


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """Read the file at ``path`` with ``reader``, in the worker: what it sends back."""

    path: str
    reader: Reader
    document: str

    def run(self) -> tuple[str, list[CitedUrl] | str]:
        """``("ok", urls)``, or ``("error", message)`` for a document that cannot be read."""
        try:
            data = Path(self.path).read_bytes()
            return ("ok", self.reader(data, self.document))
        except DocumentError as exc:
            return ("error", str(exc))
        except OSError as exc:
            return ("error", f"cannot read: {exc.strerror or exc}")


def _start(memory: int) -> subprocess.Popen[bytes]:
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", _WORKER_MODULE, str(memory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        bufsize=0,
    )


def _frames(data: bytes) -> list[bytes]:
    frames = []
    while len(data) >= _HEADER:
        size = int.from_bytes(data[:_HEADER], "big")
        if len(data) < _HEADER + size:
            break
        frames.append(data[_HEADER : _HEADER + size])
        data = data[_HEADER + size :]
    return frames


def _wait_ready(process: subprocess.Popen[bytes]) -> bool:
    """True once the worker says it is ready (imports done), within the start-up time."""
    stdout = process.stdout
    assert stdout is not None
    expected = frame(READY)
    received = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + _START_TIMEOUT
        while len(received) < len(expected):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return False
            chunk = os.read(stdout.fileno(), len(expected) - len(received))
            if not chunk:
                return False
            received += chunk
    return received == expected


def read_isolated(request: ReadRequest, *, timeout: float, memory: int) -> list[CitedUrl]:
    """The URLs ``request`` finds, read in a worker process with ``timeout`` and ``memory``.

    Raises:
        DocumentError: the document cannot be read, took longer than ``timeout`` seconds, or
            needed more than ``memory`` bytes; the message names the file.
    """
    name = request.path
    payload = frame(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
    process = _start(memory)
    try:
        if not _wait_ready(process):
            raise DocumentError(f"{name}: the parse worker did not start")
        output, _ = process.communicate(payload, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DocumentError(
            f"{name}: reading the document took longer than {timeout:g} s (the parse limit)"
        ) from None
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
    frames = _frames(output)
    if not frames:
        raise DocumentError(f"{name}: {died(process.returncode, memory)}")
    status, value = pickle.loads(frames[0])
    if status == "ok":
        outcome, found = value
        if outcome == "ok":
            return list(found)
        raise DocumentError(f"{name}: {found}")
    raise DocumentError(f"{name}: the document cannot be read ({value})")
