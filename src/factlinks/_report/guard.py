"""One source's rendering can fail; the report of the others is still written.

Every built-in format renders each source through :func:`per_source`: when rendering a
source raises, the format puts a short fallback entry in its place (id, URL, status and
:data:`NOT_RENDERED`) and the failure is handed to whoever collects failures for the
current :func:`collect` block (:func:`~factlinks.write_report` does, and the command line
exits 3 for them: a report that lost details to a bug is never a green run).
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from .._models import SourceResult
from .._text import MAX_DETAIL_CHARS, clean_text

__all__ = ["NOT_RENDERED", "RenderFailure", "collect", "per_source"]

NOT_RENDERED = "The details of this source could not be rendered (internal error in factlinks)."
"""The note a fallback entry carries instead of the source's details."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RenderFailure:
    """A source whose details a report format could not render (a bug in factlinks)."""

    source_id: str
    """The source's id."""
    format: str
    """The report format: ``json``, ``md``, ``html``, ``junit``, ..."""
    detail: str
    """The exception, e.g. ``"ValueError: ..."``."""
    traceback: str = field(default="", repr=False, compare=False)
    """The Python traceback (shown by ``factlinks check --debug``)."""


_COLLECTOR: ContextVar[Callable[[RenderFailure], None] | None] = ContextVar(
    "factlinks_render_failures", default=None
)


@contextlib.contextmanager
def collect(on_failure: Callable[[RenderFailure], None] | None) -> Iterator[None]:
    """Within the block, hand every per-source rendering failure to ``on_failure``.

    Scoped to the block and the current context (thread, task); nothing is process-wide.
    """
    token = _COLLECTOR.set(on_failure)
    try:
        yield
    finally:
        _COLLECTOR.reset(token)


def per_source(
    format: str,
    result: SourceResult,
    render: Callable[[SourceResult], T],
    fallback: Callable[[SourceResult], T],
) -> T:
    """``render(result)``; if it raises, ``fallback(result)`` and the failure is reported."""
    try:
        return render(result)
    except Exception as exc:
        on_failure = _COLLECTOR.get()
        if on_failure is not None:
            on_failure(
                RenderFailure(
                    result.id,
                    format,
                    clean_text(f"{type(exc).__name__}: {exc}", MAX_DETAIL_CHARS),
                    "".join(traceback.format_exception(exc)),
                )
            )
        return fallback(result)
