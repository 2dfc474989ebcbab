"""The command line: parse arguments, call the library, write files, pick the exit code.

Exit codes: 0 no source in a failing status; 1 at least one; 2 usage or configuration error;
3 internal error, or no source could be reached at all (the machine is offline).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ._archive import DEFAULT_ARCHIVE_API
from ._cli_help import EPILOGS
from ._confirm import write_settled_titles
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
    Reading,
    add_to_registry,
    cited_sources,
    compare_with_registry,
    read_documents,
    registry_text,
)
from ._extract.documents import DEFAULT_INCLUDE, find_documents, is_document
from ._files import check_writable_dir, create_atomically, default_mode
from ._fix import (
    apply_fixes,
    fit_plan,
    plan_fixes,
    results_from_history,
    results_from_report,
    unified_diff,
    write_fixed,
)
from ._history import open_history
from ._merge import merge_histories, merge_reports
from ._models import Report, SourceResult, Status
from ._options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DOI_RESOLVER,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PAGES,
    DEFAULT_PER_HOST,
    DEFAULT_TIMEOUT,
    CheckOptions,
    Remap,
    parse_statuses,
)
from ._pipeline import Runtime, check
from ._progress import Progress
from ._registry import Registry, load_sources, parse_sources
from ._report import (
    FORMATS,
    RenderFailure,
    load_report,
    render_markdown,
    write_report,
)
from ._report.annotations import github_annotations
from ._shard import Sharded, parse_shard, select_shard, shard_note
from ._text import MAX_REASON_CHARS, MAX_TITLE_CHARS, clean_text
from ._version import __version__

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILING = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

log = logging.getLogger("factlinks")
DEFAULT_STATE = ".factlinks/state.db"
DEFAULT_SOURCES = "sources.toml"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    def format_help(self) -> str:
        """The help, with the epilog (examples, exit codes) as written: not re-wrapped."""
        epilog, self.epilog = self.epilog, None
        try:
            text = super().format_help()
        finally:
            self.epilog = epilog
        return f"{text}\n{epilog}\n" if epilog else text


_DEBUG_HELP = "print the Python traceback of internal errors (bugs worth reporting)"


def _add_debug(parsers: Sequence[argparse.ArgumentParser]) -> None:
    """``--debug`` after the command too; SUPPRESS keeps a ``--debug`` given before it."""
    for sub in parsers:
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP
        )


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="factlinks",
        description="Keep the citations of published documents healthy.",
        epilog="Run 'factlinks COMMAND --help' for a command's options, examples and exit codes.",
    )
    parser.add_argument("--version", action="version", version=f"factlinks {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check_p = commands.add_parser(
        "check",
        epilog=EPILOGS["check"],
        help="check every cited source and write a health report",
        description="Check every source of a registry and write the reports. Given documents "
        "(PDF, HTML, Markdown, text, folders of them, or - for standard input) instead, check "
        "the URLs they cite, with a registry made in memory: a first look, nothing written "
        "but the reports (no history unless --state is given).",
    )
    check_p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCES",
        help=f"the registry (default: {DEFAULT_SOURCES}), or documents",
    )
    check_p.add_argument(
        "--out", default="factlinks-report", metavar="DIR", help="report folder (%(default)s)"
    )
    check_p.add_argument(
        "--format",
        default="json,md",
        metavar="LIST",
        help=f"comma-separated report formats: {', '.join(FORMATS)} (default: %(default)s)",
    )
    check_p.add_argument(
        "--fail-on",
        metavar="LIST",
        help="comma-separated statuses that fail the run (default: registry or dead,drifted)",
    )
    check_p.add_argument(
        "--concurrency", type=int, metavar="N", help=f"requests in flight ({DEFAULT_CONCURRENCY})"
    )
    check_p.add_argument(
        "--per-host",
        type=int,
        metavar="N",
        help=f"requests in flight per host ({DEFAULT_PER_HOST})",
    )
    check_p.add_argument(
        "--canary-url",
        metavar="URL",
        help="a page that is always up, asked when no source answered but all are on one "
        "domain: if it fails too, the machine is offline (exit 3)",
    )
    check_p.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help=f"seconds for one whole request, body included ({DEFAULT_TIMEOUT:g})",
    )
    check_p.add_argument(
        "--max-bytes", type=int, metavar="N", help=f"body size cap ({DEFAULT_MAX_BYTES})"
    )
    check_p.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help=f"PDF pages searched for the title at most ({DEFAULT_MAX_PAGES})",
    )
    check_p.add_argument(
        "--remap",
        action="append",
        default=[],
        metavar="'REGEX REPL'",
        help="rewrite where requests go (Python re.sub syntax; repeatable; first match wins); "
        "reports keep the cited URLs",
    )
    check_p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ID",
        help="check only this id (repeatable; checked even when it is not due)",
    )
    check_p.add_argument(
        "--recheck-after-days",
        type=int,
        metavar="N",
        help="with a history, check a source verified ok again only after N days, reusing "
        "its last verdict until then; failing ones every 3 days (7; 0: every source, every run)",
    )
    check_p.add_argument(
        "--shard",
        metavar="K/N",
        help="check only shard K of N, cut by registrable domain (auto/N: K from "
        "JOB_COMPLETION_INDEX + 1); 'factlinks merge' combines the shards' reports",
    )
    check_p.add_argument("--user-agent", metavar="S", help="the User-Agent to send")
    check_p.add_argument(
        "--contact",
        metavar="EMAIL",
        help="an e-mail address sent in the User-Agent (mailto:), as Crossref's polite pool asks",
    )
    check_p.add_argument(
        "--doi-resolver",
        metavar="URL",
        help=f"the DOI resolver to ask about DOIs (default: {DEFAULT_DOI_RESOLVER}); every "
        "request for a doi.org URL goes there",
    )
    check_p.add_argument(
        "--allow-private",
        action="store_true",
        help="follow redirects from public addresses into private and loopback networks "
        "(intranet registries); link-local and cloud-metadata addresses stay refused",
    )
    state = check_p.add_mutually_exclusive_group()
    state.add_argument(
        "--state",
        metavar="PATH",
        help=f"history database (default: {DEFAULT_STATE}; none when checking documents)",
    )
    state.add_argument(
        "--no-state",
        action="store_true",
        help="keep no history: no conditional requests, no persistence policy",
    )
    check_p.add_argument(
        "--run-id",
        metavar="ID",
        help="record into the run ID, shared with the other shards of one CI run that give "
        "the same ID (default: $FACTLINKS_RUN_ID; none: a run of its own)",
    )
    archive = check_p.add_mutually_exclusive_group()
    archive.add_argument(
        "--archive-api",
        default=DEFAULT_ARCHIVE_API,
        metavar="URL",
        help="Wayback availability API for archive copies of dead and drifted sources "
        "(default: %(default)s)",
    )
    archive.add_argument("--no-archive", action="store_true", help="look up no archive copies")
    check_p.add_argument(
        "--archive-moved", action="store_true", help="look up archive copies of moved sources too"
    )
    check_p.add_argument(
        "--archive-service",
        default="wayback",
        metavar="NAME",
        help="the archive service that --archive-api speaks (default: %(default)s)",
    )
    check_p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    check_p.add_argument("-v", "--verbose", action="store_true", help="print every result")
    _add_document_options(check_p, what="with documents: ")

    fix_p = commands.add_parser(
        "fix",
        epilog=EPILOGS["fix"],
        help="rewrite moved URLs in the registry (and add archive copies of dead ones)",
        description="Plan the registry changes the last run calls for and print them as a "
        "unified diff; --apply writes them. Comments, order and formatting are kept.",
    )
    fix_p.add_argument(
        "sources", nargs="?", default="sources.toml", help="the registry (default: %(default)s)"
    )
    origin = fix_p.add_mutually_exclusive_group()
    origin.add_argument("--report", metavar="JSON", help="a saved report.json to fix from")
    origin.add_argument(
        "--state",
        metavar="PATH",
        help=f"the history to fix from: its last run (default: {DEFAULT_STATE})",
    )
    fix_p.add_argument(
        "--archive",
        action="store_true",
        help="give dead and drifted sources an archive_url (their url stays as cited)",
    )
    fix_p.add_argument("--apply", action="store_true", help="write the changes")

    report_p = commands.add_parser(
        "report",
        epilog=EPILOGS["report"],
        help="re-render a saved report.json (as HTML, SARIF, ...)",
        description="Render a saved report.json again, e.g. as report.html or report.sarif.",
    )
    report_p.add_argument("report", metavar="REPORT_JSON", help="a report.json")
    report_p.add_argument(
        "--format",
        default="html",
        metavar="LIST",
        help=f"comma-separated report formats: {', '.join(FORMATS)} (default: %(default)s)",
    )
    report_p.add_argument("--out", metavar="DIR", help="folder (default: the report's folder)")

    extract_p = commands.add_parser(
        "extract",
        epilog=EPILOGS["extract"],
        help="list the URLs cited in documents (PDF, HTML, Markdown, text)",
        description="List the URLs cited in documents, one per line, each once. URLs that "
        "text extraction wrapped across lines are joined.",
    )
    extract_p.add_argument("documents", nargs="+", metavar="DOC", help=_DOC_HELP)
    extract_p.add_argument(
        "--sources",
        metavar="SOURCES",
        help="compare with this registry: URLs cited but not registered, and registered "
        "(cited_in the document) but no longer cited",
    )
    extract_p.add_argument(
        "--write",
        action="store_true",
        help="with --sources: append the unregistered URLs to the registry",
    )
    extract_p.add_argument(
        "--strict",
        action="store_true",
        help=f"fail (exit 1) when a document cites a URL the registry lacks, printing each "
        f"as FILE:LINE: URL; the registry is --sources (default: {DEFAULT_SOURCES})",
    )
    extract_p.add_argument(
        "-v", "--verbose", action="store_true", help="also print where each URL was found"
    )
    _add_document_options(extract_p)

    init_p = commands.add_parser(
        "init",
        epilog=EPILOGS["init"],
        help="write a commented sources.toml from the URLs documents cite",
        description="Write a registry of the URLs the documents cite: a commented "
        "sources.toml with one [[source]] per URL, each under a note saying where it was "
        "found. An existing file is not replaced without --force. Documents that cannot be "
        "read are named on stderr; the others are written, and the exit code is 2.",
    )
    init_p.add_argument("documents", nargs="+", metavar="DOC", help=_DOC_HELP)
    init_p.add_argument(
        "-o",
        "--output",
        default=DEFAULT_SOURCES,
        metavar="FILE",
        help="the registry to write (default: %(default)s)",
    )
    init_p.add_argument("--force", action="store_true", help="replace an existing file")
    _add_document_options(init_p)
    merge_p = _add_merge(commands)
    validate_p = _add_validate(commands)
    _add_debug([check_p, fix_p, report_p, extract_p, init_p, merge_p, validate_p])
    return parser


_DOC_HELP = "documents: PDF, HTML, Markdown, text; folders (read recursively); - for stdin"


def _add_validate(commands: argparse._SubParsersAction[_Parser]) -> _Parser:
    validate_p = commands.add_parser(
        "validate",
        epilog=EPILOGS["validate"],
        help="check that registries are valid, without fetching anything",
        description="Read each registry as 'check' would and report what breaks its rules: "
        "the file parses, every key is known and of the right type, ids are unique, URLs "
        "are well-formed http(s) URLs, the settings are valid. Nothing is fetched.",
    )
    validate_p.add_argument(
        "registries",
        nargs="*",
        metavar="SOURCES",
        help=f"registry files (default: {DEFAULT_SOURCES})",
    )
    validate_p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    return validate_p


def _add_merge(commands: argparse._SubParsersAction[_Parser]) -> _Parser:
    merge_p = commands.add_parser(
        "merge",
        epilog=EPILOGS["merge"],
        help="combine the reports (and histories) of the shards of one run",
        description="Combine the report.json of every shard of one run (check --shard K/N) "
        "into the report set one unsharded run would have written, in OUT.",
    )
    merge_p.add_argument("out", metavar="OUT", help="the folder for the merged reports")
    merge_p.add_argument(
        "shards", nargs="+", metavar="SHARD_DIR", help="a shard's report folder (or report.json)"
    )
    merge_p.add_argument(
        "--format",
        default="json,md",
        metavar="LIST",
        help=f"comma-separated report formats: {', '.join(FORMATS)} (default: %(default)s)",
    )
    merge_p.add_argument(
        "--fail-on", metavar="LIST", help="statuses that fail the run (default: the shards')"
    )
    merge_p.add_argument(
        "--state", metavar="PATH", help="record the merged run in this history (with --shard-state)"
    )
    merge_p.add_argument(
        "--shard-state",
        action="append",
        default=[],
        metavar="PATH",
        help="a shard's own history (repeatable, any order): where the run's rows are taken from",
    )
    merge_p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    return merge_p


def _add_document_options(parser: argparse.ArgumentParser, *, what: str = "") -> None:
    """The options that choose and name documents: shared by extract, init and check."""
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help=f"{what}in folders, read the files that match (repeatable; default: "
        f"{' '.join(DEFAULT_INCLUDE)}); a GLOB with / matches the path below the folder",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help=f"{what}in folders, leave out the files and folders that match (repeatable); "
        "hidden ones, node_modules, factlinks-report and virtual environments are always left out",
    )
    parser.add_argument(
        "--name",
        default="stdin",
        metavar="NAME",
        help=f"{what}the name of the document read from - (its cited_in; a suffix such as "
        ".md says its type, else the bytes do; default: %(default)s)",
    )
    parser.add_argument(
        "--include-code",
        action="store_true",
        help=f"{what}also the URLs in Markdown code spans and code blocks (left out by "
        "default: a URL in code is an example, not a citation)",
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _options(args: argparse.Namespace, base: CheckOptions) -> CheckOptions:
    changes: dict[str, object] = {}
    names = ("concurrency", "per_host", "timeout", "max_bytes", "max_pages", "user_agent")
    for name in (*names, "canary_url", "contact", "doi_resolver", "recheck_after_days"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.fail_on is not None:
        changes["fail_on"] = parse_statuses(_split(args.fail_on), what="--fail-on")
    if args.remap:
        changes["remap"] = tuple(Remap.parse(rule) for rule in args.remap)
    if args.only:
        changes["only"] = frozenset(args.only)
    if args.allow_private:
        changes["allow_private"] = True
    changes["archive_api"] = None if args.no_archive else args.archive_api
    changes["archive_moved"] = args.archive_moved
    changes["archive_service"] = args.archive_service
    return base.replace(**changes)


def _summary(report: Report) -> str:
    counts = report.counts
    parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
    return f"{len(report.results)} sources: {', '.join(parts) or 'none'}"


def _formats(value: str) -> list[str]:
    """The report formats of ``--format``."""
    formats = _split(value)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise OptionsError(
            f"--format: unknown format {unknown[0]!r} (valid: {', '.join(FORMATS)})"
            if unknown
            else "--format: no format given"
        )
    return formats


def _run_check(args: argparse.Namespace) -> int:
    formats = _formats(args.format)
    registry, unread = _check_registry(args)
    options = _options(args, registry.options())
    if options.only is not None:
        missing = sorted(options.only - {s.id for s in registry})
        if missing:
            where = registry.path or "the documents"
            raise OptionsError(f"--only: no source with id {missing[0]!r} in {where}")
    sharded = _sharded(args, registry)
    registry = sharded.registry if sharded else registry

    out = _writable_out(args.out)  # before the first request, not after the whole run
    written: list[Path] = []
    unrendered: list[RenderFailure] = []

    def publish(report: Report) -> None:
        """Write the report set; the history records the run only after this returned."""
        report = _as_shard(report, sharded)
        _log_internal_errors(report, debug=args.debug)
        written.extend(write_report(report, out, formats, on_render_error=unrendered.append))
        _log_render_errors(unrendered, debug=args.debug)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            _append_step_summary(summary_file, render_markdown(report))

    with Progress(len(registry), fail_on=options.fail_on, quiet=args.quiet) as bar:

        def progress(result: SourceResult) -> None:
            bar(result)
            if args.verbose:  # the terminal gets only what the web-text gate lets through
                reason = clean_text(result.reason, MAX_REASON_CHARS)
                named = result.source.reference
                named = f" ({clean_text(named, MAX_TITLE_CHARS)})" if named else ""
                log.info("%-12s %s%s  %s", result.status.value, result.id, named, reason)

        runtime = Runtime(on_result=progress, on_report=publish)
        state = None if args.no_state else _state_path(args)
        if state is None:
            report = check(registry, options, runtime)
        else:
            run_id = args.run_id or os.environ.get("FACTLINKS_RUN_ID") or None
            with open_history(state, run_id=run_id) as history:
                report = check(registry, options, replace(runtime, history=history))
    _settle_titles(registry.path, report)
    _annotate(report, written)
    if not args.quiet:
        _log_done(args, report, written, state)
    code = EXIT_INTERNAL if unrendered else _exit_code(report)
    return EXIT_USAGE if unread and code != EXIT_INTERNAL else code


def _sharded(args: argparse.Namespace, registry: Registry) -> Sharded | None:
    """The shard ``--shard`` asks for (none without it)."""
    if args.shard is None:
        return None
    if args.documents_checked:
        raise OptionsError("--shard cuts a registry; documents are checked whole")
    return select_shard(registry, *parse_shard(args.shard))


def _as_shard(report: Report, sharded: Sharded | None) -> Report:
    """``report`` saying which shard it is (in report.json, and as a note in every format)."""
    if sharded is None:
        return report
    shard = sharded.for_results([result.id for result in report.results])
    return replace(report, shard=shard, notes=(shard_note(shard), *report.notes))


def _run_merge(args: argparse.Namespace) -> int:
    formats = _formats(args.format)
    if args.shard_state and not args.state:
        raise OptionsError("--shard-state needs --state: the history to record the run in")
    if args.state and not args.shard_state:
        raise OptionsError("--state needs --shard-state: the shards' histories to take it from")
    out = _writable_out(args.out)
    reports = [load_report(_report_json(Path(folder))) for folder in args.shards]
    fail_on = None
    if args.fail_on is not None:
        fail_on = parse_statuses(_split(args.fail_on), what="--fail-on")
    report = merge_reports(reports, fail_on=fail_on)
    _log_internal_errors(report, debug=args.debug)
    unrendered: list[RenderFailure] = []
    written = write_report(report, out, formats, on_render_error=unrendered.append)
    _log_render_errors(unrendered, debug=args.debug)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        _append_step_summary(summary_file, render_markdown(report))
    if args.state:
        _merge_state(args.state, args.shard_state, report)
    _annotate(report, written)
    if not args.quiet:
        _log_outcome(f"{_summary(report)} ({len(reports)} shards merged)", report, written)
    return EXIT_INTERNAL if unrendered else _exit_code(report)


def _report_json(path: Path) -> Path:
    return path / "report.json" if path.is_dir() else path


def _merge_state(target: str, shard_states: Sequence[str], report: Report) -> None:
    """Record the merged run in ``target``, from the shards' own histories."""
    for path in shard_states:
        if "://" not in path and not Path(path).is_file():
            raise OptionsError(f"--shard-state {path}: no such history file")
    with contextlib.ExitStack() as stack:
        shards = [stack.enter_context(open_history(path)) for path in shard_states]
        history = stack.enter_context(open_history(target))
        recorded = merge_histories(history, shards, report)
    log.warning("%s: the run recorded (%d results from %d shards)", target, recorded, len(shards))


def _log_done(
    args: argparse.Namespace, report: Report, written: Sequence[Path], state: str | None
) -> None:
    """The summary line, the reports written and, for documents, what a first look left."""
    _log_outcome(_summary(report), report, written)
    if args.documents_checked:
        log.warning("%s", _first_look_note(args, state))


MAX_FAILING_LISTED = 50
"""The failing sources named at the end of a run at most; the reports list them all."""


def _log_outcome(summary: str, report: Report, written: Sequence[Path]) -> None:
    """The end of a run's output: the summary line, the failing sources, the reports."""
    log.warning("%s", summary)
    _log_failing(report)
    log.warning("reports: %s", ", ".join(str(p) for p in written))


def _log_failing(report: Report) -> None:
    """Name the failing sources (status, id, URL) in registry order, up to a limit."""
    failing = report.failures
    if not failing:
        return
    log.warning("failing (%d):", len(failing))
    width = max(len(s.value) for s in Status)
    for result in failing[:MAX_FAILING_LISTED]:
        log.warning("  %-*s %s  %s", width, result.status.value, result.id, result.source.url)
    if len(failing) > MAX_FAILING_LISTED:
        log.warning("  … and %d more: see the reports", len(failing) - MAX_FAILING_LISTED)


def _check_registry(args: argparse.Namespace) -> tuple[Registry, int]:
    """The registry ``check`` was given, or one made in memory from the documents it was
    given (``args.documents_checked`` says which), and how many documents could not be read."""
    if not args.sources and not os.path.lexists(DEFAULT_SOURCES):
        raise RegistryError(
            f"{DEFAULT_SOURCES}: no such file; to start, check documents directly "
            "(factlinks check DOC…) or write a registry from them (factlinks init DOC…)",
            path=DEFAULT_SOURCES,
        )
    paths: list[str] = args.sources or [DEFAULT_SOURCES]
    documents = [path for path in paths if is_document(path)]
    args.documents_checked = bool(documents)
    if not documents:
        if len(paths) > 1:
            raise OptionsError(f"check takes one registry, not {len(paths)}: {' '.join(paths)}")
        return load_sources(paths[0]), 0
    if len(documents) < len(paths):
        other = next(path for path in paths if path not in documents)
        raise OptionsError(f"{other}: a registry is checked on its own, not with documents")
    reading, unread = _read_documents(args, paths)
    if not reading.documents:
        raise DocumentError("no document could be read; nothing checked")
    sources, _ = cited_sources(reading.cited, today=dt.date.today(), by="check")
    if not sources:
        log.warning("factlinks: no URLs found in %s", " ".join(paths))
    return Registry(tuple(sources)), unread  # no path: there is no file to record or write


def _state_path(args: argparse.Namespace) -> str | None:
    """The history to use: ``--state``, else the default one; none for documents."""
    if args.state:
        return str(args.state)
    return None if args.documents_checked else DEFAULT_STATE


def _first_look_note(args: argparse.Namespace, state: str | None) -> str:
    kept = f"the history is in {state}" if state else "no history kept (--state PATH keeps one)"
    documents = " ".join(args.sources)
    return (
        f"checked the URLs cited in {documents} with a registry made in memory; {kept}. "
        f"To add titles, check nightly and fix moved URLs, write the registry: "
        f"factlinks init {documents}"
    )


def _settle_titles(path: str | None, report: Report) -> None:
    """Write the proposed titles the run confirmed or dropped into the registry file (none
    for an in-memory registry); one that cannot be written (a read-only checkout) keeps them
    for a later run: a warning, not a failure."""
    if path is None:
        return
    try:
        settled = write_settled_titles(path, report.results)
    except RegistryError as exc:
        log.warning("factlinks: proposed titles left as they are: %s", exc)
        return
    if settled:
        log.warning(
            "%s: %d proposed title(s) confirmed, %d kept as citation",
            path,
            len(settled.confirmed),
            len(settled.kept_as_citation),
        )


def _writable_out(out: str) -> Path:
    """``--out``, shown to take files (it is created when the reports are written); else
    exit 2 before the first request rather than after the whole run."""
    folder = Path(out)
    try:
        check_writable_dir(folder)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and exc.filename != out else ""
        raise OptionsError(
            f"--out {out}: cannot create the reports there: {exc.strerror or exc}{where}"
        ) from exc
    return folder


def _exit_code(report: Report) -> int:
    """3 when a check met a bug (never a plausible verdict, never green), 1 when citations
    fail, else 0."""
    if report.internal_errors:
        return EXIT_INTERNAL
    if report.failures:
        return EXIT_FAILING
    return EXIT_OK


def _log_internal_errors(report: Report, *, debug: bool) -> None:
    """Name the sources whose check met a bug; with ``--debug``, print each traceback."""
    bugs = [(result.id, result.error) for result in report.internal_errors if result.error]
    for source_id, error in bugs:
        log.error("factlinks: internal error while checking %s: %s", source_id, error.detail)
        if debug and error.traceback:
            log.error("%s", error.traceback.rstrip())
    if bugs and not debug:
        log.error("factlinks: run again with --debug for the tracebacks")


def _log_render_errors(failures: list[RenderFailure], *, debug: bool) -> None:
    """Name the sources a report format could not render (they are listed without details)."""
    for failure in failures:
        log.error(
            "factlinks: internal error while rendering %s in the %s report: %s",
            failure.source_id,
            failure.format,
            failure.detail,
        )
        if debug and failure.traceback:
            log.error("%s", failure.traceback.rstrip())
    if failures and not debug:
        log.error("factlinks: run again with --debug for the tracebacks")


def _annotate(report: Report, written: Sequence[Path]) -> None:
    """On a GitHub runner, annotate the first findings (also with -q: they are for the
    runner, not the terminal)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    workspace = os.environ.get("GITHUB_WORKSPACE")
    shown = [str(path) for path in written]
    for line in github_annotations(report, workspace=workspace, full_report=shown):
        print(line)


def _append_step_summary(path: str, markdown: str) -> None:
    """Add the Markdown report to the GitHub Actions job summary."""
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")
    except OSError as exc:
        raise ReportError(f"cannot append to GITHUB_STEP_SUMMARY ({path}): {exc}") from exc


def _run_report(args: argparse.Namespace) -> int:
    formats = _formats(args.format)
    report = load_report(args.report)
    out = Path(args.out) if args.out else Path(args.report).parent
    unrendered: list[RenderFailure] = []
    written = write_report(report, out, formats, on_render_error=unrendered.append)
    _log_render_errors(unrendered, debug=args.debug)
    log.warning("report: %s", ", ".join(str(p) for p in written))
    return EXIT_INTERNAL if unrendered else EXIT_OK


def _run_fix(args: argparse.Namespace) -> int:
    registry = load_sources(args.sources)
    if args.report:
        results = results_from_report(args.report)
    else:
        state = args.state or DEFAULT_STATE  # a path, or a URL for open_history: not a Path
        if "://" not in state and not Path(state).exists():
            raise OptionsError(f"no history at {state}: run 'factlinks check' first, or --report")
        with open_history(state) as history:
            results = results_from_history(history.latest_results(args.sources))
    plan = fit_plan(args.sources, plan_fixes(registry, results, archive=args.archive))
    for skipped in plan.skipped:
        log.warning("%s: %s not changed: %s", skipped.source_id, skipped.key, skipped.reason)
    old = Path(args.sources).read_text(encoding="utf-8-sig")
    new = apply_fixes(args.sources, plan)
    print(unified_diff(args.sources, old, new), end="")
    if not plan:
        log.warning("nothing to fix in %s", args.sources)
    elif args.apply:
        write_fixed(args.sources, new)
        log.warning("%s: %d change(s) written", args.sources, len(plan))
    else:
        log.warning("%d change(s) planned; run with --apply to write them", len(plan))
    return EXIT_OK


def _read_documents(args: argparse.Namespace, paths: Sequence[str]) -> tuple[Reading, int]:
    """Read the documents ``paths`` name; name each that cannot be read on stderr, and say how
    many could not."""
    errors: list[DocumentError] = []
    reading = read_documents(
        paths,
        include=args.include or None,
        exclude=args.exclude,
        include_code=args.include_code,
        stdin=getattr(sys.stdin, "buffer", None),
        stdin_name=args.name,
        on_error=errors.append,
        skip_folders=[args.out] if getattr(args, "out", None) else [],  # check's reports
    )
    for error in errors:
        log.error("factlinks: error: %s", error)
    return reading, len(errors)


def _run_validate(args: argparse.Namespace) -> int:
    """Load each registry in full; print each that breaks a rule, and how many sources the
    valid ones hold."""
    invalid = 0
    for path in args.registries or [DEFAULT_SOURCES]:
        try:
            registry = load_sources(path)
            count = sum(1 for _ in registry)  # a line-oriented file decodes each source here
            registry.options()
        except (RegistryError, OptionsError) as exc:
            message = str(exc)
            print(message if message.startswith(path) else f"{path}: {message}")
            invalid += 1
        else:
            log.info("%s: valid, %d source(s)", path, count)
    return EXIT_FAILING if invalid else EXIT_OK


def _run_extract(args: argparse.Namespace) -> int:
    if args.strict:
        return _run_extract_strict(args)
    if args.write and not args.sources:
        raise OptionsError("--write needs --sources")
    reading, unread = _read_documents(args, args.documents)
    if not args.sources:
        seen: set[str] = set()
        for item in reading.cited:
            if item.url in seen:
                continue
            seen.add(item.url)
            print(f"{item.url}\t{item.document}: {item.where}" if args.verbose else item.url)
        return EXIT_USAGE if unread else EXIT_OK
    if unread:
        log.error("factlinks: not compared with %s: a document could not be read", args.sources)
        return EXIT_USAGE
    registry = load_sources(args.sources)
    diff = compare_with_registry(reading.cited, registry, reading.documents)
    print(f"cited but not registered ({len(diff.unregistered)}):")
    for item in diff.unregistered:
        print(f"  {item.url}\t{item.document}: {item.where}")
    print(f"registered but no longer cited ({len(diff.uncited)}):")
    for source in diff.uncited:
        print(f"  {source.id}\t{source.url}")
    if args.write and diff.unregistered:
        ids = add_to_registry(args.sources, diff.unregistered)
        log.warning("added %d source(s) to %s: %s", len(ids), args.sources, ", ".join(ids))
    return EXIT_OK


def _run_extract_strict(args: argparse.Namespace) -> int:
    """``extract --strict``: name each URL the documents cite that the registry lacks, at the
    file and line (or page) where it is cited."""
    if args.write:
        raise OptionsError("--strict checks the registry; it does not --write to it")
    registry = load_sources(args.sources or DEFAULT_SOURCES)
    errors: list[DocumentError] = []
    found = find_documents(
        args.documents, include=args.include or None, exclude=args.exclude, on_error=errors.append
    )
    missing = 0
    for file in found.files:
        reading = read_documents([file], include_code=args.include_code, on_error=errors.append)
        diff = compare_with_registry(reading.cited, registry, reading.documents)
        for item in diff.unregistered:
            print(f"{_cited_at(str(file), item.where)}: {item.url} is cited but not registered")
        missing += len(diff.unregistered)
    if found.stdin:
        errors.append(DocumentError("-: --strict reads files, not standard input"))
    for error in errors:
        log.error("factlinks: error: %s", error)
    if missing:
        log.error(
            "factlinks: %d cited URL(s) not registered in %s; add them with 'factlinks "
            "extract DOC… --sources %s --write'",
            missing,
            registry.path,
            registry.path,
        )
    return EXIT_USAGE if errors else EXIT_FAILING if missing else EXIT_OK


def _cited_at(path: str, where: str) -> str:
    """``FILE:LINE`` for a URL found on a line (``line 12``, ``line 12 link``), else
    ``FILE: page 3`` and the like."""
    line = _LINE.match(where)
    return f"{path}:{line[1]}" if line else f"{path}: {where}"


_LINE = re.compile(r"line (\d+)\b")


def _exists(output: Path) -> OptionsError:
    return OptionsError(
        f"{output} exists already: --force replaces it; to add the new URLs to it, "
        f"run 'factlinks extract DOC… --sources {output} --write'"
    )


def _write_new(output: Path, text: str) -> None:
    """Write the new registry ``text`` to ``output``, validated, atomically, and only if no
    file appeared there while the documents were read."""
    parse_sources(text, path=str(output))
    try:
        create_atomically(output, text.encode("utf-8"), default_mode())
    except FileExistsError:
        raise _exists(output) from None
    except OSError as exc:
        raise RegistryError(
            f"{output}: cannot write: {exc.strerror or exc}", path=str(output)
        ) from exc


def _run_init(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() not in ("", ".toml"):
        raise OptionsError(f"--output {output}: init writes a sources.toml; name it *.toml")
    if (output.exists() or output.is_symlink()) and not args.force:
        raise _exists(output)
    reading, unread = _read_documents(args, args.documents)
    if not reading.documents:
        log.error("factlinks: no document could be read; %s not written", output)
        return EXIT_USAGE
    today = dt.date.today()
    sources, notes = cited_sources(reading.cited, today=today)
    shown = [args.name if path == "-" else path for path in args.documents]
    text = registry_text(sources, notes, shown, today=today, unread=unread, output=args.output)
    if args.force:
        write_fixed(output, text)  # validated, atomic
    else:
        _write_new(output, text)
    command = "factlinks check" + ("" if args.output == DEFAULT_SOURCES else f" {output}")
    log.warning(
        "%s: %d source(s) from %d document(s); read it, then run '%s'",
        output,
        len(sources),
        len(reading.documents),
        command,
    )
    return EXIT_USAGE if unread else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.ERROR if getattr(args, "quiet", False) else logging.INFO)
    log.propagate = False
    try:
        handlers = {
            "check": _run_check,
            "extract": _run_extract,
            "fix": _run_fix,
            "init": _run_init,
            "merge": _run_merge,
            "report": _run_report,
            "validate": _run_validate,
        }
        return handlers[args.command](args)
    except (RegistryError, OptionsError, ReportError, DocumentError, StateError) as exc:
        log.error("factlinks: error: %s", exc)
        return EXIT_USAGE
    except OfflineError as exc:
        log.error("factlinks: %s", exc)
        return EXIT_INTERNAL
    except FactlinksError as exc:
        log.error("factlinks: error: %s", exc)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        log.error("factlinks: interrupted; no report written")
        return 130
    except Exception as exc:
        log.error("factlinks: internal error: %s: %s", type(exc).__name__, exc)
        if getattr(args, "debug", False):
            log.error("%s", "".join(traceback.format_exception(exc)).rstrip())
        else:
            log.error("factlinks: run again with --debug for the traceback")
        return EXIT_INTERNAL
    finally:
        log.removeHandler(handler)
