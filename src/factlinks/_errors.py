"""Run-level errors.

A failing citation is never an exception: it is a :class:`~factlinks.SourceResult` with a
status. Only problems that stop the whole run raise, and all of them derive from one base::

    FactlinksError
    ├── RegistryError        the registry (sources.toml) cannot be read or is invalid
    ├── OptionsError         a check option is invalid (bad --remap rule, negative timeout, ...)
    ├── OfflineError         no source could be reached at all: the checker's own network is down
    ├── ReportError          a report cannot be written, or a saved report cannot be read
    ├── StateError           the history database is locked by another run, or unusable
    └── DocumentError        a document to extract cited URLs from cannot be read
"""

from __future__ import annotations

__all__ = [
    "DocumentError",
    "FactlinksError",
    "OfflineError",
    "OptionsError",
    "RegistryError",
    "ReportError",
    "StateError",
]


class FactlinksError(Exception):
    """Base of every exception factlinks raises on purpose."""


class RegistryError(FactlinksError):
    """The registry file is missing, is not valid TOML, or breaks a rule of the format.

    The message names the file and, where there is one, the source id, the key and the line.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        source_id: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.source_id = source_id
        self.key = key


class OptionsError(FactlinksError):
    """A check option has an invalid value."""


class OfflineError(FactlinksError):
    """No host answered at all; the run says nothing about the citations."""


class ReportError(FactlinksError):
    """A report could not be written or read."""


class DocumentError(FactlinksError):
    """A document given to ``factlinks extract`` cannot be read or parsed."""


class StateError(FactlinksError):
    """The history database cannot be used: locked by another run, corrupt, or too new."""
