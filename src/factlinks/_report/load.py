"""Read a saved ``report.json`` back into a typed :class:`~factlinks.Report`.

The data is checked against the committed schema (``factlinks/report.schema.json``) by a small
validator for the part of JSON Schema that file uses, so a report with a wrong field fails with
a :class:`~factlinks.ReportError` that names the file, the source and the field, instead of
failing somewhere in a renderer. What ``report.json`` does not carry comes back empty: response
bodies and headers, hashes, the title candidates' places, the probe's redirects, an archive
copy's recorded status, and a source's ``skip`` and ``archive_url``. A report written before
sources carried their DOI, authors and year reads as sources without them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from .._errors import ReportError
from .._models import (
    ArchiveCopy,
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
    ReusedVerdict,
    Shard,
    Source,
    SourceResult,
    Status,
    TitleCandidate,
    TitleEvidence,
)
from .json import SCHEMA_TAG

__all__ = ["load_report"]

FROM_REPORT = "report.json"
"""The ``where`` of a document's title candidate read back from a report (it keeps no place)."""

_Path = tuple[str | int, ...]


class _Invalid(Exception):
    """A place in the report and what is wrong there."""

    def __init__(self, path: _Path, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def load_report(report: str | os.PathLike[str] | Mapping[str, Any]) -> Report:
    """Read a saved ``report.json`` (a path, or the data already parsed) into a :class:`Report`.

    Rendering the result again gives the same ``report.json``, and the same Markdown, HTML
    and JUnit reports as the run that wrote it.

    Example::

        report = factlinks.load_report("factlinks-report/report.json")
        print(len(report.failures), "failing")

    Parameters:
        report: the path of a ``report.json``, or its contents as :func:`json.load` gives them.

    Raises:
        ReportError: the file is missing or is not JSON, the data is not a
            ``factlinks.report/1`` report, or a field has the wrong type; the message names the
            file, the source (index and id) and the field.
    """
    if isinstance(report, Mapping):
        return _from_data(report, "<report>")
    name = os.fspath(report)
    return _from_data(_read(name), name)


def _read(name: str) -> object:
    try:
        raw = Path(name).read_bytes()
    except FileNotFoundError:
        raise ReportError(f"{name}: no such report file") from None
    except OSError as exc:
        raise ReportError(f"{name}: cannot read the report: {exc.strerror or exc}") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ReportError(f"{name}: not a JSON report (not UTF-8: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{name}:{exc.lineno}:{exc.colno}: not a JSON report ({exc.msg})"
        ) from None


def _from_data(data: object, name: str) -> Report:
    if not isinstance(data, Mapping):
        raise ReportError(f"{name}: not a {SCHEMA_TAG} report (the JSON is not an object)")
    tag = data.get("schema")
    if tag != SCHEMA_TAG:
        found = f"schema {tag!r}" if tag is not None else "no 'schema' tag"
        raise ReportError(
            f"{name}: not a {SCHEMA_TAG} report ({found}); "
            "run 'factlinks check --format json' again to write one"
        )
    try:
        _check(data, _schema(), ())
        return _report(data)
    except _Invalid as invalid:
        raise ReportError(f"{name}: {_place(data, invalid.path)}{invalid.problem}") from None


def _place(data: Mapping[str, Any], path: _Path) -> str:
    """``source 'x' (sources[3]): 'title.score' `` for ``("sources", 3, "title", "score")``."""
    where = ""
    if len(path) >= 2 and path[0] == "sources" and isinstance(path[1], int):
        item = data["sources"][path[1]]
        source_id = item.get("id") if isinstance(item, Mapping) else None
        named = f"source {source_id!r} " if isinstance(source_id, str) else ""
        where, path = f"{named}(sources[{path[1]}]): ", path[2:]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return where + (f"{field!r} " if field else "")


# -- the schema, checked -----------------------------------------------------------------------


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = _schema()["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ARTICLES = {"object": "an object", "array": "a list", "integer": "an integer", "null": "null"}


def _describe(schema: Mapping[str, Any]) -> str:
    """What ``schema`` asks for, in words: ``"a string or null"``, ``"one of 'ok', ..."``."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return " or ".join(_describe(branch) for branch in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if "pattern" in schema and schema["pattern"] == "^https?://":
        return "an http(s) URL"
    types = schema.get("type", [])
    names = [types] if isinstance(types, str) else types
    return " or ".join(_ARTICLES.get(n, f"a {n}") for n in names) or "valid"


def _check(value: object, schema: Mapping[str, Any], path: _Path) -> None:
    """Raise :class:`_Invalid` at the first place where ``value`` breaks ``schema``."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        _any_of(value, schema, path)
        return
    if not _fits(value, schema):
        raise _Invalid(path, f"must be {_describe(schema)}, not {_shown(value)}")
    if isinstance(value, Mapping):
        _check_object(value, schema, path)
    elif isinstance(value, list):
        _check_array(value, schema, path)
    elif isinstance(value, str) and schema.get("format") in _FORMATS:
        _parsed(value, schema["format"], path)


def _fits(value: object, schema: Mapping[str, Any]) -> bool:
    """The checks on ``value`` itself: type, enum, const, pattern, bounds."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_TYPES[n](value) for n in names):
            return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "const" in schema and value != schema["const"]:
        return False
    if isinstance(value, str):
        pattern: str = schema.get("pattern", "")
        return re.search(pattern, value) is not None and len(value) >= schema.get("minLength", 0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low: float = schema.get("minimum", value)
        high: float = schema.get("maximum", value)
        return low <= value <= high
    return True


def _any_of(value: object, schema: Mapping[str, Any], path: _Path) -> None:
    deeper: list[_Invalid] = []
    for branch in schema["anyOf"]:
        try:
            _check(value, branch, path)
        except _Invalid as invalid:
            if _fits(value, _resolve(branch)):  # the branch's type fits; something inside not
                deeper.append(invalid)
        else:
            return
    if len(deeper) == 1:
        raise deeper[0]
    raise _Invalid(path, f"must be {_describe(schema)}, not {_shown(value)}")


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any], path: _Path) -> None:
    for key in schema.get("required", ()):
        if key not in value:
            raise _Invalid(path, f"is missing the field {key!r}")
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        subs = [properties[key]] if key in properties else []
        subs += [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
        if not subs and extra is False:
            raise _Invalid(path, f"has an unknown field {key!r}")
        for sub in subs or ([extra] if isinstance(extra, Mapping) else []):
            _check(item, sub, (*path, key))


def _check_array(value: list[Any], schema: Mapping[str, Any], path: _Path) -> None:
    if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) < len(
        value
    ):
        raise _Invalid(path, "must not list an item twice")
    if "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], (*path, index))


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the typed report, rebuilt -----------------------------------------------------------------

_FORMATS: dict[str, tuple[Callable[[str], Any], str]] = {
    "date-time": (dt.datetime.fromisoformat, "an ISO 8601 time"),
    "date": (dt.date.fromisoformat, "an ISO 8601 date"),
}


def _parsed(value: str, fmt: str, path: _Path) -> Any:
    """``value`` read as the schema's ``format`` (``date-time`` or ``date``)."""
    parse, what = _FORMATS[fmt]
    try:
        return parse(value)
    except ValueError:
        raise _Invalid(path, f"must be {what}, not {_shown(value)}") from None


def _moment(value: str | None, path: _Path) -> dt.datetime | None:
    return None if value is None else _parsed(value, "date-time", path)


def _report(data: Mapping[str, Any]) -> Report:
    return Report(
        results=tuple(_result(item, ("sources", i)) for i, item in enumerate(data["sources"])),
        started_at=_parsed(data["started_at"], "date-time", ("started_at",)),
        finished_at=_parsed(data["finished_at"], "date-time", ("finished_at",)),
        tool_version=data["tool"]["version"],
        fail_on=frozenset(Status(s) for s in data["fail_on"]),
        registry=data["registry"],
        notes=tuple(data.get("notes", ())),
        shard=_shard(data.get("shard")),
    )


def _shard(data: Mapping[str, Any] | None) -> Shard | None:
    """Which shard the report is of (absent: a whole run's report)."""
    if data is None:
        return None
    return Shard(
        index=data["index"],
        count=data["count"],
        registry_sources=data["registry_sources"],
        registry_digest=data["registry_digest"],
        positions=tuple(data["positions"]),
    )


def _result(item: Mapping[str, Any], path: _Path) -> SourceResult:
    title = item["title"]
    accessed = item["accessed"]
    source = Source(
        id=item["id"],
        url=item["url"],
        title=title["expected"] if title is not None else None,
        kind=Kind(item["kind"]),
        citation=item["citation"],
        cited_in=tuple(item["cited_in"]),
        accessed=None if accessed is None else dt.date.fromisoformat(accessed),
        # Absent in reports written before sources were named (read as none); the
        # ``reference`` is derived from them, so its copy in the report is not read.
        doi=item.get("doi"),
        authors=tuple(item.get("authors", ())),
        year=item.get("year"),
        proposed_title=item.get("proposed_title"),
        # Absent in reports written before the registry line was kept (read as unknown).
        line=item.get("line"),
        column=item.get("column"),
    )
    return SourceResult(
        source=source,
        status=Status(item["status"]),
        reason=item["reason"],
        checked_at=dt.datetime.fromisoformat(item["checked_at"]),
        fetch=_fetch(item, source.url),
        inspection=_inspection(item["document"]),
        title=_title(title),
        probe=_probe(item["probe"]),
        new_url=item["new_url"],
        history=_history(item["history"], (*path, "history")),
        archive=_archive(item["archive"]),
        error=_internal(item["error"]),
        doi_check=_doi_check(item.get("doi_check")),
        reused=_reused(item.get("reused"), (*path, "reused")),
    )


def _reused(reused: Mapping[str, Any] | None, path: _Path) -> ReusedVerdict | None:
    """Set for a verdict reused from an earlier check (absent in reports before 0.x: none)."""
    if reused is None:
        return None
    return ReusedVerdict(
        due=_parsed(reused["due"], "date-time", (*path, "due")),
        http_status=reused["http_status"],
        final_url=reused["final_url"],
    )


def _internal(error: Mapping[str, Any] | None) -> Failure | None:
    """The check's own error (a bug), which the JSON keeps in ``error`` like a fetch's."""
    if error is None or error["kind"] != FailureKind.INTERNAL.value:
        return None
    return Failure(FailureKind.INTERNAL, error["message"])


def _fetch(item: Mapping[str, Any], url: str) -> FetchResult | None:
    """The answer, or ``None`` for a source that was not fetched (no ``final_url``)."""
    if item["final_url"] is None:
        return None
    error = item["error"]
    if error is not None and error["kind"] == FailureKind.INTERNAL.value:
        error = None  # the check's own error, not the fetch's: see _internal
    return FetchResult(
        url=url,
        final_url=item["final_url"],
        status_code=item["http_status"],
        redirects=tuple(Hop(h["url"], h["status"], h["location"]) for h in item["redirects"]),
        content_type=item["content_type"],
        bytes=item["bytes"] or 0,
        truncated=item["truncated"],
        elapsed_ms=item["elapsed_ms"] or 0,
        attempts=item["attempts"],
        failure=None if error is None else Failure(FailureKind(error["kind"]), error["message"]),
    )


def _inspection(document: Mapping[str, Any] | None) -> Inspection | None:
    if document is None:
        return None
    title = document["title"]
    return Inspection(
        format=DocFormat(document["format"]),
        titles=() if title is None else (TitleCandidate(FROM_REPORT, title),),
        pages=document["pages"],
        problem=None
        if document["problem"] is None
        else Problem(ProblemKind.OTHER, document["problem"]),
    )


def _title(title: Mapping[str, Any] | None) -> TitleEvidence | None:
    """The title check, or ``None`` when there was none (a title expected, but no score)."""
    if title is None or title["score"] is None:
        return None
    return TitleEvidence(
        expected=title["expected"],
        matched=title["matched"],
        score=title["score"],
        where=title["where"],
        snippet=title["snippet"],
        found=title["found"],
    )


def _probe(probe: Mapping[str, Any] | None) -> Probe | None:
    if probe is None:
        return None
    return Probe(
        url=probe["url"],
        status_code=probe["http_status"],
        final_url=probe["final_url"],
        redirects=(),
        similarity=probe["similarity"],
        verdict=ProbeVerdict(probe["verdict"]),
    )


def _history(history: Mapping[str, Any] | None, path: _Path) -> History | None:
    if history is None:
        return None
    previous = history["previous_status"]
    return History(
        previous_status=None if previous is None else Status(previous),
        first_failure=_moment(history["first_failure"], (*path, "first_failure")),
        consecutive_failures=history["consecutive_failures"],
        last_success=_moment(history["last_success"], (*path, "last_success")),
        changed=history["changed"],
        not_modified=_moment(history["not_modified_since"], (*path, "not_modified_since")),
        recent=tuple(Status(s) for s in history.get("recent", ())),
    )


def _doi_check(check: Mapping[str, Any] | None) -> DoiCheck | None:
    if check is None:
        return None
    title = check["title"]
    expected = check["expected_title"]
    return DoiCheck(
        doi=check["doi"],
        resolver=check["resolver"],
        registered=check["registered"],
        target=check["target"],
        expected_title=expected,
        metadata_title=check["metadata_title"],
        title=None
        if title is None or expected is None
        else TitleEvidence(
            expected=expected,
            matched=title["matched"],
            score=title["score"],
            where=title["where"],
            snippet=title["snippet"],
            found=title["found"],
        ),
        detail=check["detail"],
    )


def _archive(archive: Mapping[str, Any] | None) -> ArchiveCopy | None:
    if archive is None:
        return None
    return ArchiveCopy(
        url=archive["url"],
        timestamp=archive["timestamp"],
        captured_status=None,
        verified=archive["verified"],
        detail=archive["detail"],
    )
