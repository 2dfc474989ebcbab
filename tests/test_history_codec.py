"""The history seam: the codec's round trips, open_history, old databases, a second backend."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import factlinks
from conftest import Backend
from factlinks import (
    CheckOptions,
    DocFormat,
    FetchResult,
    History,
    HistoryBackend,
    Inspection,
    PastResult,
    Remap,
    ResultRow,
    RetryPolicy,
    Source,
    SourceHistory,
    SourceResult,
    StateError,
    Status,
    StoredArchive,
    StoredVerification,
    TitleCandidate,
    TitleEvidence,
    open_history,
)
from factlinks._cli import main
from factlinks._fix import ReportedResult
from factlinks._history import BACKENDS, SqliteHistory
from factlinks._history.codec import (
    RESULT_COLUMNS,
    decode_row,
    decode_verification,
    encode_result,
    encode_row,
    entry_fingerprint,
)
from factlinks._models import ArchiveCopy
from farm import closed_port
from memory_history import MemoryHistory

TITLE = "Jahresbericht der Beispielstiftung 2021 \u2013 Überblick"
DAY0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
SOURCE = Source(id="annual", url="https://docs.example.org/a.pdf", title=TITLE, kind="pdf")
FETCH = FetchResult(
    url=SOURCE.url,
    final_url="https://docs.example.org/b.pdf",
    status_code=200,
    headers={"etag": '"v1"', "last-modified": "Mon, 01 Feb 2021 10:00:00 GMT"},
    sha256="bb",
)
INSPECTION = Inspection(
    DocFormat.PDF, (TitleCandidate("page 1", TITLE),), pages=3, text_sha256="aa"
)
EVIDENCE = TitleEvidence(TITLE, True, 100.0, "page 1", TITLE, TITLE)
MOVED = SourceResult(
    SOURCE,
    Status.MOVED,
    "Moved; title found in page 1.",
    DAY0,
    fetch=FETCH,
    inspection=INSPECTION,
    title=EVIDENCE,
    new_url="https://docs.example.org/b.pdf",
    archive=ArchiveCopy(
        "https://web.archive.org/web/20210215093000/x",
        "20210215093000",
        "200",
        True,
        "the archive copy shows it",
    ),
)

# The columns factlinks wrote for MOVED before the history became a subpackage (taken from
# the old ``_persistence.result_row``): the codec must keep writing exactly these.
VERIFICATION_TEXT = (
    '{"status": "moved", "reason": "Moved; title found in page 1.", "new_url": '
    '"https://docs.example.org/b.pdf", "title": {"expected": "' + TITLE + '", "matched": true, '
    '"score": 100.0, "where": "page 1", "snippet": "' + TITLE + '", "found": "' + TITLE + '"}, '
    '"inspection": {"format": "pdf", "titles": [["page 1", "' + TITLE + '"]], "pages": 3, '
    '"text_sha256": "aa"}}'
)
ARCHIVE_TEXT = (
    '{"url": "https://web.archive.org/web/20210215093000/x", "timestamp": "20210215093000", '
    '"verified": true, "detail": "the archive copy shows it"}'
)
OLD_COLUMNS = {
    "source_id": "annual",
    "url": "https://docs.example.org/a.pdf",
    "status": "moved",
    "http_status": 200,
    "final_url": "https://docs.example.org/b.pdf",
    "checked_at": "2026-11-01T03:00:00+00:00",
    "etag": '"v1"',
    "last_modified": "Mon, 01 Feb 2021 10:00:00 GMT",
    "body_sha256": "bb",
    "text_sha256": "aa",
    "verification": VERIFICATION_TEXT,
    "archive": ARCHIVE_TEXT,
}

# The schema of factlinks before this change (SCHEMA_VERSION 2), as plain DDL.
OLD_SCHEMA_V1 = """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
        tool_version TEXT NOT NULL, registry TEXT
    );
    CREATE TABLE results (
        run_id INTEGER NOT NULL REFERENCES runs(id), source_id TEXT NOT NULL,
        url TEXT NOT NULL, status TEXT NOT NULL, http_status INTEGER, final_url TEXT,
        checked_at TEXT NOT NULL, etag TEXT, last_modified TEXT, body_sha256 TEXT,
        text_sha256 TEXT, verification TEXT, PRIMARY KEY (run_id, source_id)
    );
    CREATE INDEX results_by_source ON results (source_id, run_id);
    CREATE TABLE archive_lookups (
        url TEXT NOT NULL, day TEXT NOT NULL, answer TEXT NOT NULL,
        looked_up_at TEXT NOT NULL, PRIMARY KEY (url, day)
    );
    PRAGMA user_version = 1;
"""
OLD_SCHEMA_V2 = (
    OLD_SCHEMA_V1
    + """
    ALTER TABLE results ADD COLUMN archive TEXT;
    PRAGMA user_version = 2;
"""
)


def _record(store: HistoryBackend, *rows: ResultRow, when: dt.datetime = DAY0) -> None:
    store.record_run(started_at=when, finished_at=when, tool_version="t", registry=None, rows=rows)


def _old_database(path: Path, schema: str, columns: dict[str, Any]) -> None:
    """A state.db as factlinks wrote it before the history became a subpackage."""
    db = sqlite3.connect(path)
    db.executescript(schema)
    db.execute(
        "INSERT INTO runs (started_at, finished_at, tool_version, registry)"
        " VALUES ('2026-11-01T03:00:00+00:00', '2026-11-01T03:01:00+00:00', '0.9', NULL)"
    )
    names = ", ".join(columns)
    marks = ", ".join(f":{name}" for name in columns)
    db.execute(f"INSERT INTO results (run_id, {names}) VALUES (1, {marks})", columns)
    db.commit()
    db.close()


# -- the codec ---------------------------------------------------------------------------------


def test_a_result_becomes_a_typed_row() -> None:
    row = encode_result(MOVED, SourceHistory())
    assert row == ResultRow(
        source_id="annual",
        url="https://docs.example.org/a.pdf",
        status=Status.MOVED,
        checked_at=DAY0,
        http_status=200,
        final_url="https://docs.example.org/b.pdf",
        etag='"v1"',
        last_modified="Mon, 01 Feb 2021 10:00:00 GMT",
        body_sha256="bb",
        text_sha256="aa",
        verification=StoredVerification(
            Status.MOVED,
            "Moved; title found in page 1.",
            "https://docs.example.org/b.pdf",
            EVIDENCE,
            INSPECTION,
        ),
        archive=StoredArchive(
            "https://web.archive.org/web/20210215093000/x",
            "20210215093000",
            True,
            "the archive copy shows it",
        ),
        reason="Moved; title found in page 1.",
        entry_sha256=entry_fingerprint(SOURCE),
    )


def test_the_columns_are_those_factlinks_always_wrote() -> None:
    # Schema 4 added two columns; the ones before it are written as they always were.
    added = {"reason": "Moved; title found in page 1.", "entry_sha256": entry_fingerprint(SOURCE)}
    assert encode_row(encode_result(MOVED, SourceHistory())) == {**OLD_COLUMNS, **added}
    assert (*OLD_COLUMNS, *added) == RESULT_COLUMNS


def test_a_row_survives_the_round_trip_through_each_backend(backend: Backend) -> None:
    row = encode_result(MOVED, SourceHistory())
    with open_history(backend.location()) as store:
        _record(store, row)
        assert store.latest_results() == [row]
        history = store.history("annual", SOURCE.url)
    assert history.last == PastResult.of(row, 1)
    assert history.last_good == history.last
    assert history.recent == (Status.MOVED,)
    assert decode_row(encode_row(row)) == row


def test_only_good_checks_keep_a_verification_and_the_inspection_keeps_no_problem() -> None:
    dead = SourceResult(SOURCE, Status.DEAD, "Gone.", DAY0, fetch=FETCH, inspection=INSPECTION)
    assert encode_result(dead, SourceHistory()).verification is None
    problem = factlinks.Problem(factlinks.ProblemKind.TRUNCATED, "scanned")
    ok = SourceResult(SOURCE, Status.OK, "Found.", DAY0, inspection=_with_problem(problem))
    stored = encode_result(ok, SourceHistory()).verification
    assert stored is not None
    assert stored.inspection == INSPECTION  # what is stored is what is read back


def _with_problem(problem: factlinks.Problem) -> Inspection:
    return Inspection(
        INSPECTION.format,
        INSPECTION.titles,
        pages=INSPECTION.pages,
        problem=problem,
        text_sha256=INSPECTION.text_sha256,
    )


def test_a_304_keeps_the_validators_and_verification_it_confirmed() -> None:
    good = PastResult.of(encode_result(MOVED, SourceHistory()), 1)
    previous = SourceHistory.from_results([good])
    not_modified = SourceResult(
        SOURCE,
        Status.MOVED,
        "Not modified since the check of 2026-11-01: Moved.",
        DAY0 + dt.timedelta(days=1),
        fetch=FetchResult(url=SOURCE.url, final_url=FETCH.final_url, status_code=304),
        history=History(not_modified=DAY0),
    )
    row = encode_result(not_modified, previous)
    assert (row.etag, row.last_modified, row.body_sha256) == (
        '"v1"',
        "Mon, 01 Feb 2021 10:00:00 GMT",
        "bb",
    )
    assert row.http_status == 304
    assert row.verification == good.verification  # not the reused reason


def test_rows_are_read_by_column_name(tmp_path: Path) -> None:
    """A table whose columns are in another order (an edited or rebuilt database) reads the same."""
    path = tmp_path / "state.db"
    reordered = OLD_SCHEMA_V2.replace(
        "url TEXT NOT NULL, status TEXT NOT NULL, http_status INTEGER, final_url TEXT,",
        "final_url TEXT, http_status INTEGER, status TEXT NOT NULL, url TEXT NOT NULL,",
    )
    assert reordered != OLD_SCHEMA_V2
    db = sqlite3.connect(path)
    db.executescript(reordered)
    db.close()
    row = encode_result(MOVED, SourceHistory())
    with open_history(path) as store:
        _record(store, row)
        assert store.latest_results() == [row]
        past = store.history("annual", SOURCE.url).last
    assert past == PastResult.of(row, 1)


def test_a_broken_stored_verification_is_a_state_error() -> None:
    with pytest.raises(StateError, match="stored verification"):
        decode_verification('{"status": "ok"}')
    with pytest.raises(StateError, match="stored verification"):
        decode_verification("{not json")
    with pytest.raises(StateError, match="stored result"):
        decode_row({**OLD_COLUMNS, "status": "sideways"})


def test_a_row_gives_what_fix_reads() -> None:
    assert ReportedResult.of_row(encode_result(MOVED, SourceHistory())) == ReportedResult(
        id="annual",
        status="moved",
        new_url="https://docs.example.org/b.pdf",
        archive_url="https://web.archive.org/web/20210215093000/x",
        archive_verified=True,
        url="https://docs.example.org/a.pdf",
        archive_timestamp="20210215093000",
    )


# -- databases written before this change --------------------------------------------------------


def test_a_state_db_of_schema_2_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    _old_database(path, OLD_SCHEMA_V2, OLD_COLUMNS)
    with open_history(path) as store:
        assert store.runs() == 1
        before_schema_4 = dataclasses.replace(
            encode_result(MOVED, SourceHistory()), reason=None, entry_sha256=None
        )
        assert store.latest_results() == [before_schema_4]
        history = store.history("annual", SOURCE.url)
        assert history.last is not None
        assert history.last.status is Status.MOVED
        assert history.last.verification is not None
        assert history.last.verification.inspection == INSPECTION
        _record(store, encode_result(MOVED, history), when=DAY0 + dt.timedelta(days=1))
        assert store.runs() == 2
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == factlinks.HISTORY_SCHEMA_VERSION
    db.close()


def test_a_state_db_of_schema_1_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    _old_database(path, OLD_SCHEMA_V1, {k: v for k, v in OLD_COLUMNS.items() if k != "archive"})
    with open_history(path) as store:
        [row] = store.latest_results()
        assert row.archive is None
        assert row.verification == encode_result(MOVED, SourceHistory()).verification
        _record(store, encode_result(MOVED, SourceHistory()))
        assert store.latest_results()[0].archive is not None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == factlinks.HISTORY_SCHEMA_VERSION
    db.close()


# -- open_history ------------------------------------------------------------------------------


def test_open_history_opens_sqlite_from_a_path_or_a_url(tmp_path: Path) -> None:
    with open_history(tmp_path / "a.db") as by_path:
        assert isinstance(by_path, SqliteHistory)
        assert isinstance(by_path, HistoryBackend)
        assert by_path.runs() == 0
    with open_history(str(tmp_path / "b.db")) as by_text:
        assert by_text.runs() == 0
    with open_history("sqlite:///relative/c.db") as relative:  # the tests run in tmp_path
        assert isinstance(relative, SqliteHistory)
        assert relative.path == Path("relative/c.db")
    assert (tmp_path / "relative" / "c.db").exists()
    with open_history(f"sqlite:///{tmp_path / 'd.db'}") as absolute:
        assert isinstance(absolute, SqliteHistory)
        assert absolute.path == tmp_path / "d.db"


def test_open_history_returns_the_store_open_and_locked(tmp_path: Path) -> None:
    store = open_history(tmp_path / "state.db")
    try:
        with pytest.raises(StateError, match="another factlinks run"):
            open_history(tmp_path / "state.db")
    finally:
        store.close()
    open_history(tmp_path / "state.db").close()  # released


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("mysql://user@db.example/factlinks", r"no history backend for mysql://"),
        ("MYSQL://db/x", r"no history backend for mysql://"),
        ("path:///x.db", r"no history backend for path://"),
        ("sqlite://host/x.db", r"sqlite:///relative/path or sqlite:////absolute/path"),
        ("sqlite:///", r"sqlite:///relative/path"),
    ],
)
def test_open_history_refuses_an_unknown_scheme(location: str, message: str) -> None:
    with pytest.raises(StateError, match=message) as error:
        open_history(location)
    if "no history backend" in message:
        assert "supported: a file path, postgres://, postgresql://, sqlite://" in str(error.value)


def test_the_cli_names_the_supported_schemes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\nskip = true\n')
    code = main(["check", str(registry), "--state", "mysql://db/x"])
    assert code == 2
    assert "no history backend for mysql://" in capsys.readouterr().err
    code = main(["fix", str(registry), "--state", "mysql://db/x"])
    assert code == 2
    assert "no history backend for mysql://" in capsys.readouterr().err


def test_fix_reads_the_history_named_by_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: Backend
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(f'[[source]]\nid = "annual"\nurl = "{SOURCE.url}"\n')
    location = backend.location()
    url = f"sqlite:///{location}" if backend.name == "sqlite" else location
    with open_history(location) as store:
        store.record_run(
            started_at=DAY0,
            finished_at=DAY0,
            tool_version="t",
            registry=str(registry),
            rows=[encode_result(MOVED, SourceHistory())],
        )
    assert main(["fix", str(registry), "--state", url]) == 0
    assert "https://docs.example.org/b.pdf" in capsys.readouterr().out


# -- a second backend, registered in one line ----------------------------------------------------


def test_a_second_backend_drives_the_persistence_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    memory = MemoryHistory()
    monkeypatch.setitem(BACKENDS, "memory", lambda location, run_id: memory)
    source = Source(id="gone", url="https://down.example.org/page")
    rule = f"^https://down\\.example\\.org http://127.0.0.1:{closed_port()}"
    options = CheckOptions(
        remap=(Remap.parse(rule),),
        retry=RetryPolicy(attempts=1),
        timeout=5,
        recheck_after_days=0,  # checked every run, as the policy counts runs
    )
    with open_history("memory://") as history:
        assert isinstance(history, HistoryBackend)
        for days in (0, 1, 2, 3.5):
            when = DAY0 + dt.timedelta(days=days)
            runtime = factlinks.Runtime(history=history, clock=lambda when=when: when)
            report = factlinks.check([source], options, runtime)
    assert memory.closed
    assert report.results[0].status is Status.DEAD
    assert memory.runs() == 4
    [latest] = memory.latest_results()
    assert latest.status is Status.DEAD
    assert memory.history("gone", source.url).recent == (Status.UNREACHABLE,) * 3 + (Status.DEAD,)
