"""Replace a file atomically: every file factlinks writes goes through here."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["default_mode", "replace_atomically"]


def default_mode() -> int:
    """The permissions a new file gets under the process umask (read by setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def replace_atomically(target: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file next to ``target``, flush it to disk, give it
    ``mode`` and rename it over ``target``: a reader sees the old file or the new one, never
    half of one. The temporary file is removed if anything fails.

    Raises:
        OSError: the folder or the file cannot be written.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, mode)  # mkstemp makes the file private (0600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # flush the rename too, where the platform allows it
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
