"""The history: what earlier runs saw of each source, behind one seam.

- :mod:`.interface`: :class:`HistoryBackend` (the Protocol a backend implements), the rows
  and histories it deals in, and its error, :class:`~factlinks.StateError`.
- :mod:`.codec`: the one encoding of a result into a row, and of a row into columns.
- :mod:`.sql`: the tables, their versions and the queries every SQL backend shares.
- :mod:`.sqlite`: the SQLite backend (``.factlinks/state.db``).
- :mod:`.postgres`: the PostgreSQL backend (``postgresql://...``, the ``postgresql`` extra).

A new backend is one module implementing :class:`HistoryBackend` plus one line in
:data:`BACKENDS`; :func:`open_history` picks it by the URL scheme.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from .._errors import StateError
from . import postgres, sqlite
from .interface import (
    RECENT_RUNS,
    HistoryBackend,
    PastResult,
    ResultRow,
    SourceHistory,
    StoredArchive,
    StoredVerification,
)
from .sql import SCHEMA_VERSION
from .sqlite import HistoryStore, SqliteHistory, StoredArchiveCache

__all__ = [
    "BACKENDS",
    "RECENT_RUNS",
    "SCHEMA_VERSION",
    "HistoryBackend",
    "HistoryStore",
    "PastResult",
    "ResultRow",
    "SourceHistory",
    "SqliteHistory",
    "StoredArchive",
    "StoredArchiveCache",
    "StoredVerification",
    "open_history",
]

BACKENDS: dict[str, Callable[[str, str | None], HistoryBackend]] = {
    "path": sqlite.open_path,
    "sqlite": sqlite.open_url,
    **dict.fromkeys(("postgresql", "postgres"), postgres.open_url),
}
"""How to open a history, by URL scheme (``"path"``: a plain file path); each factory gets
the whole path or URL and the run id (or ``None``), and returns the backend open."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def open_history(
    path_or_url: str | os.PathLike[str], *, run_id: str | None = None
) -> HistoryBackend:
    """Open the history at ``path_or_url``: a file path or ``sqlite:///path`` for SQLite,
    ``postgresql://user@host/db`` for PostgreSQL.

    Example::

        with factlinks.open_history(".factlinks/state.db") as history:
            report = factlinks.check(sources, runtime=factlinks.Runtime(history=history))

    Parameters:
        path_or_url: a path to a SQLite file (created if missing), or a URL whose scheme is
            one of :data:`BACKENDS` (``sqlite:///relative/path``, ``sqlite:////absolute/path``,
            ``postgresql://user@host:port/database?sslmode=require``: any libpq URL).
        run_id: the run this process records into, shared with the other processes (the
            shards of one CI run) that record with the same id; ``None``: a run of its own.

    Returns:
        The backend, open (and locked, for SQLite); close it, or use it as a context manager.

    Raises:
        StateError: the scheme is not supported, or the backend cannot be opened (locked,
            corrupt, from a newer factlinks, a server that cannot be reached or refuses the
            login, psycopg not installed).
    """
    text = os.fspath(path_or_url)
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else "path"
    factory = BACKENDS.get(scheme) if scheme != "path" or match is None else None
    if factory is None:
        supported = ", ".join(f"{name}://" for name in sorted(BACKENDS) if name != "path")
        raise StateError(
            f"{text}: no history backend for {scheme}:// (supported: a file path, {supported})"
        )
    return factory(text, run_id)
