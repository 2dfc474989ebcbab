"""Replace files atomically, one or a set: every file factlinks writes goes through here.

:func:`replace_set` is the primitive: every new file is first written in full to a temporary
file in its target's folder and flushed to disk; only when all of them are written are they
renamed into place, the last one (``report.json`` for a report set) after the others are
durable. A write that fails (disk full, quota, I/O error, a rendering bug) removes the
temporary files and leaves every old file untouched.

What a reader of the folder can rely on:

- every file is whole: the old version or the new one, never half of either;
- a failed write changes nothing;
- when the file renamed last is from a run, every other file of the set is too (its rename
  happened, and was flushed, before).

The one window left is between the renames themselves: a crash (SIGKILL, power loss) in
the microseconds between two renames, or a rename that fails although the temporary file was
written, can leave some files of the set new and the others old. The last file (the
"commit" of the set) is then still old, so a reader that checks it first is not misled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

__all__ = [
    "PartlyReplacedError",
    "check_writable_dir",
    "create_atomically",
    "default_mode",
    "replace_atomically",
    "replace_set",
    "replace_set_streamed",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class PartlyReplacedError(OSError):
    """A rename failed after others of the set succeeded: ``replaced`` lists those targets."""

    replaced: tuple[Path, ...] = ()


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
        OSError: the folder or the file cannot be written (``filename`` names ``target``).
    """
    replace_set([(target, data)], mode)


def create_atomically(target: Path, data: bytes, mode: int) -> None:
    """Like :func:`replace_atomically`, but only where ``target`` does not exist yet: the file
    appears whole or not at all, and a file that appeared meanwhile is never replaced (a hard
    link is the rename that refuses to overwrite; where the file system has none, the check
    and the rename are two steps).

    Raises:
        FileExistsError: ``target`` exists; nothing was written.
        OSError: the folder or the file cannot be written (``filename`` names ``target``).
    """
    tmp = _write_temporary(target, _bytes_writer(data), mode)
    try:
        try:
            _named(target, os.link, tmp, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (FAT, some network file systems)
            if os.path.lexists(target):
                raise FileExistsError(
                    errno.EEXIST, os.strerror(errno.EEXIST), str(target)
                ) from None
            _named(target, os.replace, tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _sync_folders({target.parent})


def replace_set(files: Sequence[tuple[Path, bytes]], mode: int) -> None:
    """Replace every ``(target, data)`` of ``files``, all or nothing as far as a write can fail.

    Each ``data`` goes to a temporary file next to its target (created with ``mode``),
    flushed and fsynced; when all are written they are renamed over their targets in the
    given order, the last one after the folders of the others are flushed. See the module
    docstring for what a reader can rely on, and the window between renames.

    Raises:
        OSError: a file cannot be written; nothing was replaced, and its ``filename`` is the
            target that failed (not the temporary file). A rename that fails after others
            succeeded raises too (with the target named); the files renamed before it are new.
    """
    replace_set_streamed([(target, _bytes_writer(data)) for target, data in files], mode)


def replace_set_streamed(
    files: Sequence[tuple[Path, Callable[[IO[bytes]], None]]], mode: int
) -> None:
    """:func:`replace_set`, where each file's content is written by ``write(handle)``.

    A writer that streams (a report of a million sources) never holds the whole file in
    memory; everything else, the staging and the renames, is :func:`replace_set`'s.

    Raises:
        OSError: as :func:`replace_set`; an exception raised by a writer propagates after
            the temporary files are removed.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for target, write in files:
            staged.append((_write_temporary(target, write, mode), target))
        for index, (tmp, target) in enumerate(staged):
            if index == len(staged) - 1:
                _sync_folders({t.parent for _, t in staged[:-1]})
            try:
                _named(target, os.replace, tmp, target)
            except OSError as exc:
                if index == 0:
                    raise
                partly = PartlyReplacedError(exc.errno, exc.strerror, exc.filename)
                partly.replaced = tuple(t for _, t in staged[:index])
                raise partly from exc
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folders({target.parent for _, target in staged})


def _bytes_writer(data: bytes) -> Callable[[IO[bytes]], None]:
    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    return write


def _write_temporary(target: Path, write: Callable[[IO[bytes]], None], mode: int) -> str:
    """What ``write`` writes, in a new temporary file next to ``target``, on disk; its path."""
    fd, tmp = _named(
        target, tempfile.mkstemp, prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        os.chmod(tmp, mode)  # mkstemp makes the file private (0600)
        with os.fdopen(fd, "wb") as handle:
            _named(target, _write_all, handle, write)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _write_all(handle: IO[bytes], write: Callable[[IO[bytes]], None]) -> None:
    write(handle)
    handle.flush()  # errors of a full disk show here or in fsync, not always in write
    os.fsync(handle.fileno())


def _named(target: Path, call: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """``call(...)``, with an ``OSError`` renamed to ``target`` (not the temporary file)."""
    try:
        return call(*args, **kwargs)
    except OSError as exc:
        exc.filename = os.fspath(target)
        exc.filename2 = None
        raise


def _sync_folders(folders: set[Path]) -> None:
    """Flush renames to disk, where the platform allows it."""
    for folder in sorted(folders):
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def check_writable_dir(folder: Path, *, create: bool = False) -> None:
    """Make sure files can be created in ``folder``, or in it once it is created.

    A temporary file is created and removed again in ``folder`` or, when it does not exist
    yet, in its nearest existing ancestor (nothing is left behind unless ``create`` is set,
    which creates ``folder`` first). That catches a path that is a file, a parent that is a
    file, a read-only or full file system and missing permissions.

    Raises:
        OSError: it is not, and cannot become, a folder files can be created in.
    """
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    probe = folder
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(probe))
    fd, tmp = tempfile.mkstemp(prefix=".factlinks-probe.", suffix=".tmp", dir=probe)
    os.close(fd)
    os.unlink(tmp)
