"""Which documents to read: files as named, folders walked, and standard input (``-``).

A folder is walked recursively, in a fixed order (entries sorted by name, depth first), for the
files that match an include glob (:data:`DEFAULT_INCLUDE`: the suffixes ``extract`` reads) and
no exclude glob. Hidden files and folders (a name starting with ``.``, so ``.git`` too),
``node_modules``, ``__pycache__``, ``factlinks-report`` (the reports of ``check``, which link
every source) and Python virtual environments (a folder holding ``pyvenv.cfg``) are not walked
into; named pipes, sockets and devices are no documents. Symbolic links are followed, each
folder at most once, so a link loop ends. A file named on its own is read whatever the globs say.

Globs are matched without regard to case. A glob without ``/`` is matched against the name of
each file (and, for excludes, of each folder: ``--exclude drafts`` skips every ``drafts``
folder); one with ``/`` against the path below the walked folder, where ``*`` stays within one
path segment and ``**`` spans any number (``docs/**/*.md``).

Standard input is one document; its type is told by its bytes (PDF, HTML, Markdown, else
text), unless its name (``--name``) has a suffix that tells it.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .._errors import DocumentError
from .._registry import FORMATS
from .interface import CitedUrl

__all__ = [
    "DEFAULT_INCLUDE",
    "MAX_STDIN_BYTES",
    "SKIPPED_FOLDERS",
    "STDIN",
    "Documents",
    "find_documents",
    "is_document",
    "is_stream",
    "matches",
    "read_stdin",
    "sniff_suffix",
    "stdin_document",
]

STDIN = "-"
"""The name that stands for standard input."""
DEFAULT_INCLUDE = (
    "*.pdf",
    "*.html",
    "*.htm",
    "*.xhtml",
    "*.md",
    "*.markdown",
    "*.mdown",
    "*.mkd",
    "*.txt",
    "*.text",
)
"""The files a walked folder gives by default: the types ``extract`` has a reader for."""
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "factlinks-report"})
"""Folders never walked into (besides hidden ones and virtual environments); the reports
``check`` writes by default (``--out``) link every source and are no citing document."""
MAX_STDIN_BYTES = 256 * 1024**2
"""Standard input larger than this (256 MiB) is refused."""

_TYPE_SUFFIXES = frozenset(pattern.removeprefix("*") for pattern in DEFAULT_INCLUDE)
_HTML_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_LINK_RE = re.compile(rb"<a\s[^>]*href\s*=", re.IGNORECASE)
_MARKDOWN_RE = re.compile(
    r"^#{1,6}\s+\S|\]\(\s*<?https?://|^ {0,3}\[[^\]]+\]:\s*<?https?://"
    r"|<https?://[^\s>]+>|^ {0,3}```",
    re.MULTILINE,
)
_SNIFF_BYTES = 64 * 1024
_STDIN_LABEL = "<stdin>"

OnError = Callable[[DocumentError], None]


@dataclass(frozen=True, slots=True)
class Documents:
    """The documents found: files to read, in order, each once."""

    files: tuple[Path, ...]
    """The files, as named or as found below a named folder."""
    stdin: bool = False
    """Standard input (``-``) was named too (it is read after the files)."""


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression: ``**`` any segments, ``*`` and ``?`` within one."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        index += 1
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            body = pattern[index:end].replace("\\", "\\\\")
            parts.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
            index = end + 1
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return _glob_regex(pattern.strip("/"))


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """True when the path ``relative`` (``/``-separated, below the walked folder) matches one
    of ``patterns``: a pattern without ``/`` by the last segment, one with ``/`` by the whole
    path.

    Example::

        matches("notes/brief.MD", ["*.md"])           # True
        matches("notes/brief.md", ["drafts/**"])      # False
    """
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        subject = relative if "/" in pattern.strip("/") else name
        if _compiled(pattern).fullmatch(subject):
            return True
    return False


def _skipped_folder(entry: os.DirEntry[str]) -> bool:
    """Hidden folders, ``node_modules`` and the like, and virtual environments."""
    if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a symbolic link
    except OSError:
        return False


def _is_special(entry: os.DirEntry[str]) -> bool:
    """A named pipe, socket or device met in a walk: no document, and opening a pipe waits
    for a writer. A broken link is not special: reading it names it as an error."""
    try:
        return _stream_mode(entry.stat().st_mode)  # follows a symbolic link
    except OSError:
        return False


def _stream_mode(mode: int) -> bool:
    """Whether ``mode`` is that of neither a file nor a folder: a pipe, socket or device."""
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


@dataclass(slots=True)
class _Walk:
    """One walk of one folder: what it found, and what it met on the way."""

    root: Path
    include: Sequence[str]
    exclude: Sequence[str]
    on_error: OnError
    seen: set[tuple[int, int]] = dataclasses.field(default_factory=set)

    def files(self) -> Iterator[Path]:
        """The matching files below :attr:`root`, in order: depth first, sorted by name."""
        root = os.fspath(self.root)
        if not self._first_visit(root):
            return
        stack: list[tuple[Iterator[os.DirEntry[str]], str]] = [(self._entries(root), "")]
        while stack:
            entries, relative = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            below = f"{relative}{entry.name}"
            if _is_dir(entry):
                if self._walks_into(entry, below):
                    stack.append((self._entries(entry.path), below + "/"))
            elif self._wanted(entry.name, below) and not _is_special(entry):
                yield Path(entry.path)

    def _walks_into(self, entry: os.DirEntry[str], below: str) -> bool:
        skipped = _skipped_folder(entry) or matches(below, self.exclude)
        return not skipped and self._first_visit(entry.path)

    def _wanted(self, name: str, below: str) -> bool:
        if name.startswith(".") or not matches(below, self.include):
            return False
        return not matches(below, self.exclude)

    def _first_visit(self, folder: str) -> bool:
        try:
            info = os.stat(folder)
        except OSError as exc:
            self.on_error(DocumentError(f"{folder}: cannot read: {exc.strerror or exc}"))
            return False
        key = (info.st_dev, info.st_ino)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _entries(self, folder: str) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as entries:
                return iter(sorted(entries, key=lambda entry: entry.name))
        except OSError as exc:
            self.on_error(DocumentError(f"{folder}: cannot read: {exc.strerror or exc}"))
            return iter(())


def _raise(error: DocumentError) -> None:
    raise error


def find_documents(
    paths: Sequence[str | os.PathLike[str]],
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    on_error: OnError | None = None,
    skip_folders: Sequence[str | os.PathLike[str]] = (),
) -> Documents:
    """The documents that ``paths`` name: each file itself, each folder walked for the files
    that match ``include`` (default :data:`DEFAULT_INCLUDE`) and no ``exclude`` glob, and
    ``-`` for standard input. A file is listed once, however often it is reached. A folder
    of ``skip_folders`` is not walked into (``check``'s report folder, wherever ``--out``
    puts it: its reports link every source).

    Example::

        find_documents(["docs", "brief.pdf"], exclude=["drafts"]).files

    Raises:
        DocumentError: a path does not exist or cannot be read, or a folder holds no
            document; the message names it. With ``on_error``, each such error is passed to
            it instead and the search goes on.
    """
    report = on_error or _raise
    globs = tuple(include) if include else DEFAULT_INCLUDE
    skip = _identities(skip_folders)
    files: list[Path] = []
    seen: set[str] = set()
    stdin = False
    for path in paths:
        name = os.fspath(path)
        if name == STDIN:
            stdin = True
            continue
        for file in _expand(Path(name), globs, tuple(exclude), report, skip):
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                files.append(file)
    return Documents(tuple(files), stdin)


def _identities(folders: Sequence[str | os.PathLike[str]]) -> list[tuple[int, int]]:
    """The (device, inode) of each folder of ``folders`` that exists."""
    found = []
    for folder in folders:
        try:
            info = os.stat(folder)
        except (OSError, ValueError):
            continue
        found.append((info.st_dev, info.st_ino))
    return found


def _expand(
    path: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    on_error: OnError,
    skip: Sequence[tuple[int, int]] = (),
) -> list[Path]:
    """``path`` itself if it is a file, the documents below it if it is a folder."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        what = "no such file or folder" if isinstance(exc, FileNotFoundError) else exc.strerror
        on_error(DocumentError(f"{path}: cannot read: {what or exc}"))
        return []
    except ValueError as exc:  # a NUL in the name
        on_error(DocumentError(f"{str(path)!r}: cannot read: {exc}"))
        return []
    if not stat.S_ISDIR(mode):
        return [path]
    found = list(_Walk(path, include, exclude, on_error, set(skip)).files())
    if not found:
        on_error(
            DocumentError(f"{path}: no documents in this folder (looked for {', '.join(include)})")
        )
    return found


def is_stream(path: str | os.PathLike[str]) -> bool:
    """True for a path that names a stream, not a file or folder: a named pipe, a device
    (``<(command)`` in a shell gives ``/dev/fd/63``). Its bytes can be read once, so it is read
    as standard input is (:func:`read_stdin`), never sniffed first."""
    try:
        return _stream_mode(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_document(path: str | os.PathLike[str]) -> bool:
    """True when ``check`` should read ``path`` as documents rather than as a registry: ``-``,
    a named pipe (:func:`is_stream`), a folder, a file whose suffix is one ``extract`` reads
    and no registry format claims, or a PDF by its bytes. Anything else (a missing file too)
    is a registry for the registry loader to read or to say what is wrong with."""
    name = os.fspath(path)
    if name == STDIN or is_stream(name):
        return True
    file = Path(name)
    suffix = file.suffix.lower()
    try:
        if file.is_dir():
            return True
        if any(suffix in fmt.suffixes for fmt in FORMATS.values()):
            return False
        if suffix in _TYPE_SUFFIXES:
            return True
        with file.open("rb") as stream:
            return stream.read(1024).lstrip().startswith(b"%PDF-")
    except (OSError, ValueError):
        return False


def sniff_suffix(data: bytes, name: str) -> str:
    """The file suffix that tells ``extract`` the type of ``data``: the suffix of ``name`` when
    it is one ``extract`` reads, else ``.pdf``, ``.html`` or ``.md`` as the bytes show, else
    ``.txt``.

    Example::

        sniff_suffix(b"%PDF-1.7 ...", "stdin")   # ".pdf"
    """
    suffix = Path(name).suffix.lower()
    if suffix in _TYPE_SUFFIXES:
        return suffix
    head = data[:_SNIFF_BYTES]
    if head[:1024].lstrip().startswith(b"%PDF-"):
        return ".pdf"
    if _HTML_RE.search(head):
        return ".html"
    if _MARKDOWN_RE.search(head.decode("utf-8", errors="replace")):
        return ".md"
    return ".html" if _LINK_RE.search(head) else ".txt"


def stdin_document(name: str) -> str:
    """The document name (``cited_in``) of standard input named ``name``: without its suffix."""
    return Path(name).stem or name


def read_stdin(
    stream: BinaryIO,
    name: str,
    extract: Callable[[Path], list[CitedUrl]],
    *,
    label: str = _STDIN_LABEL,
) -> list[CitedUrl]:
    """The URLs ``extract`` finds in the document on ``stream``, named ``name``.

    The bytes go to a temporary file whose suffix :func:`sniff_suffix` chooses, so ``extract``
    (e.g. :func:`factlinks.extract_urls`) reads them by their type; the URLs found are
    :attr:`CitedUrl.document` ``name`` without its suffix, and errors name ``label``
    (``<stdin>``; a named pipe's path, see :func:`is_stream`).

    Raises:
        DocumentError: the input is over :data:`MAX_STDIN_BYTES` or cannot be read.
    """
    try:
        data = stream.read(MAX_STDIN_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_STDIN_BYTES:
        raise DocumentError(f"{label}: too large (over {MAX_STDIN_BYTES // 1024**2} MiB)")
    document = stdin_document(name)
    with tempfile.TemporaryDirectory(prefix="factlinks-stdin-") as folder:
        file = Path(folder) / f"stdin{sniff_suffix(data, name)}"
        file.write_bytes(data)
        try:
            found = extract(file)
        except DocumentError as exc:
            raise DocumentError(str(exc).replace(str(file), label)) from exc
    return [dataclasses.replace(cited, document=document) for cited in found]
