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
from ._version import __version__

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
