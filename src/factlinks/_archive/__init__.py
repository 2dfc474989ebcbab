"""Archive copies of dead and drifted sources: archive *services* and the *rescue strategy*.

- :mod:`.interface`: the seam. :class:`ArchiveService` (look up the capture of a URL near a
  date; recognise a capture URL), the :class:`Capture` it names, and the look-up cache
  (:class:`ArchiveCache`, :class:`LookupAnswer`, :class:`InMemoryArchiveCache`).
- :mod:`.wayback`: :class:`WaybackService`, the Wayback Machine's availability API.
- :mod:`.rescue`: :class:`ArchiveRescuer`: rank captures, prefer one at or before the citation
  date, verify it; it works with any :class:`ArchiveService`.

A new service is one module implementing :class:`ArchiveService` and one line in
:data:`SERVICES`. Example::

    service = make_service(options, fetch=fetcher.fetch, cache=InMemoryArchiveCache())
    if service is not None:
        rescuer = ArchiveRescuer(service, fetch=fetcher.fetch, verify=verify)
"""

from __future__ import annotations

from collections.abc import Callable

from .._errors import OptionsError
from .._models import ArchiveCopy
from .._options import CheckOptions
from .interface import (
    ArchiveCache,
    ArchiveService,
    Capture,
    Fetch,
    InMemoryArchiveCache,
    LookupAnswer,
)
from .rescue import EARLIER_AT_LEAST, ArchiveRescuer, Verify
from .wayback import DEFAULT_ARCHIVE_API, WAYBACK_HOSTS, WaybackService

__all__ = [
    "DEFAULT_ARCHIVE_API",
    "EARLIER_AT_LEAST",
    "SERVICES",
    "WAYBACK_HOSTS",
    "ArchiveCache",
    "ArchiveCopy",
    "ArchiveRescuer",
    "ArchiveService",
    "Capture",
    "Fetch",
    "InMemoryArchiveCache",
    "LookupAnswer",
    "Verify",
    "WaybackService",
    "make_service",
]

SERVICES: dict[str, Callable[..., ArchiveService]] = {
    WaybackService.name: WaybackService.from_options,
}
"""Archive services by name. Each is called as ``factory(options, fetch=..., cache=...)``."""


def make_service(
    options: CheckOptions,
    *,
    fetch: Fetch,
    cache: ArchiveCache,
    name: str | None = None,
) -> ArchiveService | None:
    """The archive service ``name`` (default: ``options.archive_service``) for ``options``;
    ``None`` when archive look-ups are off.

    Look-ups are off when ``options.archive_api`` is ``None`` (``--no-archive``).

    Raises:
        OptionsError: no service is registered under ``name``.
    """
    if options.archive_api is None:
        return None
    name = options.archive_service if name is None else name
    factory = SERVICES.get(name)
    if factory is None:
        known = ", ".join(sorted(SERVICES))
        raise OptionsError(f"unknown archive service {name!r} (known: {known})")
    return factory(options, fetch=fetch, cache=cache)
