"""factlinks: keep the citations of published documents healthy.

Load a registry of cited sources, check each one over HTTP, verify that the document still
carries the expected title, classify it, and write reports::

    import factlinks

    sources = factlinks.load_sources("sources.toml")
    report = factlinks.check(sources)
    for result in report.results:
        print(result.id, result.status, result.new_url)
    factlinks.write_report(report, "factlinks-report", formats=["json", "md"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # what type checkers and the API reference read; at run time: __getattr__
    from ._archive import ArchiveService, Capture
    from ._confirm import SettledTitles, settled_sources, write_settled_titles
    from ._errors import (
        DocumentError,
        FactlinksError,
        OfflineError,
        OptionsError,
        RegistryError,
        ReportError,
        StateError,
    )
    from ._extract import (
        CitedUrl,
        RegistryDiff,
        add_to_registry,
        compare_with_registry,
        extract_urls,
        sources_from_documents,
    )
    from ._history import SCHEMA_VERSION as HISTORY_SCHEMA_VERSION
    from ._history import (
        HistoryBackend,
        HistoryStore,
        PastResult,
        ResultRow,
        SourceHistory,
        StoredArchive,
        StoredVerification,
        open_history,
    )
    from ._hosts import HostSettings
    from ._merge import merge_histories, merge_reports
    from ._models import (
        DEFAULT_FAIL_ON,
        ArchiveCopy,
        Brief,
        DocFormat,
        DoiCheck,
        Failure,
        FailureKind,
        FetchResult,
        History,
        Hop,
        Inspection,
        Kind,
        Probe,
        ProbeVerdict,
        Problem,
        ProblemKind,
        Report,
        ResultStore,
        ReusedVerdict,
        Shard,
        Source,
        SourceResult,
        Status,
        TitleCandidate,
        TitleEvidence,
    )
    from ._options import CheckOptions, Remap, RetryPolicy
    from ._pipeline import Runtime, check, check_async
    from ._registry import Registry, RegistryFormat, load_sources, parse_sources
    from ._report import (
        SCHEMA_TAG,
        RenderFailure,
        load_report,
        render_json,
        render_markdown,
        write_report,
    )
    from ._shard import Sharded, select_shard


__all__ = [
    "DEFAULT_FAIL_ON",
    "HISTORY_SCHEMA_VERSION",
    "SCHEMA_TAG",
    "ArchiveCopy",
    "ArchiveService",
    "Brief",
    "Capture",
    "CheckOptions",
    "CitedUrl",
    "DocFormat",
    "DocumentError",
    "DoiCheck",
    "FactlinksError",
    "Failure",
    "FailureKind",
    "FetchResult",
    "History",
    "HistoryBackend",
    "HistoryStore",
    "Hop",
    "HostSettings",
    "Inspection",
    "Kind",
    "OfflineError",
    "OptionsError",
    "PastResult",
    "Probe",
    "ProbeVerdict",
    "Problem",
    "ProblemKind",
    "Registry",
    "RegistryDiff",
    "RegistryError",
    "RegistryFormat",
    "Remap",
    "RenderFailure",
    "Report",
    "ReportError",
    "ResultRow",
    "ResultStore",
    "RetryPolicy",
    "ReusedVerdict",
    "Runtime",
    "SettledTitles",
    "Shard",
    "Sharded",
    "Source",
    "SourceHistory",
    "SourceResult",
    "StateError",
    "Status",
    "StoredArchive",
    "StoredVerification",
    "TitleCandidate",
    "TitleEvidence",
    "__version__",
    "add_to_registry",
    "check",
    "check_async",
    "compare_with_registry",
    "extract_urls",
    "load_report",
    "load_sources",
    "merge_histories",
    "merge_reports",
    "open_history",
    "parse_sources",
    "render_json",
    "render_markdown",
    "select_shard",
    "settled_sources",
    "sources_from_documents",
    "write_report",
    "write_settled_titles",
]


_EXPORTS: dict[str, tuple[str, str]] = {
    "ArchiveCopy": ("._models", "ArchiveCopy"),
    "ArchiveService": ("._archive", "ArchiveService"),
    "Brief": ("._models", "Brief"),
    "Capture": ("._archive", "Capture"),
    "CheckOptions": ("._options", "CheckOptions"),
    "CitedUrl": ("._extract", "CitedUrl"),
    "DEFAULT_FAIL_ON": ("._models", "DEFAULT_FAIL_ON"),
    "DocFormat": ("._models", "DocFormat"),
    "DocumentError": ("._errors", "DocumentError"),
    "DoiCheck": ("._models", "DoiCheck"),
    "FactlinksError": ("._errors", "FactlinksError"),
    "Failure": ("._models", "Failure"),
    "FailureKind": ("._models", "FailureKind"),
    "FetchResult": ("._models", "FetchResult"),
    "HISTORY_SCHEMA_VERSION": ("._history", "SCHEMA_VERSION"),
    "History": ("._models", "History"),
    "HostSettings": ("._hosts", "HostSettings"),
    "HistoryBackend": ("._history", "HistoryBackend"),
    "HistoryStore": ("._history", "HistoryStore"),
    "Hop": ("._models", "Hop"),
    "Inspection": ("._models", "Inspection"),
    "Kind": ("._models", "Kind"),
    "OfflineError": ("._errors", "OfflineError"),
    "OptionsError": ("._errors", "OptionsError"),
    "PastResult": ("._history", "PastResult"),
    "Probe": ("._models", "Probe"),
    "ProbeVerdict": ("._models", "ProbeVerdict"),
    "Problem": ("._models", "Problem"),
    "ProblemKind": ("._models", "ProblemKind"),
    "Registry": ("._registry", "Registry"),
    "RegistryDiff": ("._extract", "RegistryDiff"),
    "RegistryError": ("._errors", "RegistryError"),
    "RegistryFormat": ("._registry", "RegistryFormat"),
    "Remap": ("._options", "Remap"),
    "RenderFailure": ("._report", "RenderFailure"),
    "Report": ("._models", "Report"),
    "ReportError": ("._errors", "ReportError"),
    "ResultRow": ("._history", "ResultRow"),
    "ResultStore": ("._models", "ResultStore"),
    "RetryPolicy": ("._options", "RetryPolicy"),
    "ReusedVerdict": ("._models", "ReusedVerdict"),
    "Runtime": ("._pipeline", "Runtime"),
    "SCHEMA_TAG": ("._report", "SCHEMA_TAG"),
    "SettledTitles": ("._confirm", "SettledTitles"),
    "Shard": ("._models", "Shard"),
    "Sharded": ("._shard", "Sharded"),
    "Source": ("._models", "Source"),
    "SourceHistory": ("._history", "SourceHistory"),
    "SourceResult": ("._models", "SourceResult"),
    "StateError": ("._errors", "StateError"),
    "Status": ("._models", "Status"),
    "StoredArchive": ("._history", "StoredArchive"),
    "StoredVerification": ("._history", "StoredVerification"),
    "TitleCandidate": ("._models", "TitleCandidate"),
    "TitleEvidence": ("._models", "TitleEvidence"),
    "add_to_registry": ("._extract", "add_to_registry"),
    "check": ("._pipeline", "check"),
    "check_async": ("._pipeline", "check_async"),
    "compare_with_registry": ("._extract", "compare_with_registry"),
    "extract_urls": ("._extract", "extract_urls"),
    "load_report": ("._report", "load_report"),
    "load_sources": ("._registry", "load_sources"),
    "merge_histories": ("._merge", "merge_histories"),
    "merge_reports": ("._merge", "merge_reports"),
    "open_history": ("._history", "open_history"),
    "parse_sources": ("._registry", "parse_sources"),
    "render_json": ("._report", "render_json"),
    "render_markdown": ("._report", "render_markdown"),
    "select_shard": ("._shard", "select_shard"),
    "settled_sources": ("._confirm", "settled_sources"),
    "sources_from_documents": ("._extract", "sources_from_documents"),
    "write_report": ("._report", "write_report"),
    "write_settled_titles": ("._confirm", "write_settled_titles"),
}
"""Where each public name lives: ``(module, name)``. The package imports a module only when
one of its names is first asked for (PEP 562), so ``import factlinks`` is cheap and a parse
worker (``python -m factlinks._inspect.worker``) loads only what it parses with."""


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'factlinks' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value  # asked once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
