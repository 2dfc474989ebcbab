"""The history contract on every backend (SQLite and a real PostgreSQL), and PostgreSQL's own.

The ``backend`` fixture runs each contract test on SQLite and on the session's PostgreSQL
server (a fresh database per test). Shards: several processes that record into one run id
(``--run-id``, ``FACTLINKS_RUN_ID``) make one run; on PostgreSQL they do it at the same time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from conftest import Backend
from factlinks import (
    PastResult,
    ResultRow,
    SourceHistory,
    StateError,
    Status,
    StoredArchive,
    StoredVerification,
    open_history,
)
from factlinks._cli import main
from factlinks._history.postgres import PostgresHistory, redacted
from factlinks._history.sql import SCHEMA_VERSION
from farm import Host, Reply, closed_port
from pg_server import PgServer

DAY0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
REGISTRY = "/srv/docs/sources.toml"


def rows(prefix: str, count: int, status: Status = Status.OK) -> list[ResultRow]:
    return [
        ResultRow(
            source_id=f"{prefix}-{n}",
            url=f"https://{prefix}.example/{n}",
            status=status,
            checked_at=DAY0,
            http_status=200,
            etag=f'"{prefix}{n}"',
        )
        for n in range(count)
    ]


def record(
    location: str,
    part: list[ResultRow],
    *,
    run_id: str | None = None,
    when: dt.datetime = DAY0,
    registry: str | None = REGISTRY,
) -> object:
    with open_history(location, run_id=run_id) as store:
        return store.record_run(
            started_at=when,
            finished_at=when + dt.timedelta(minutes=1),
            tool_version="t",
            registry=registry,
            rows=part,
        )


# -- the contract ----------------------------------------------------------------------------


def test_runs_are_kept_and_read_back_newest_first(backend: Backend) -> None:
    location = backend.location()
    record(location, rows("a", 2, Status.UNREACHABLE))
    record(location, rows("a", 1, Status.DEAD), when=DAY0 + dt.timedelta(days=1))
    record(location, rows("b", 1), registry="/elsewhere/sources.toml")
    record(location, [], when=DAY0 + dt.timedelta(days=2))  # every source skipped: still a run
    with open_history(location) as store:
        assert store.runs() == 4
        history = store.history("a-0", "https://a.example/0")
        assert history.recent == (Status.UNREACHABLE, Status.DEAD)
        assert history.last is not None
        assert history.last.status is Status.DEAD
        assert [f.status for f in history.failures] == [Status.UNREACHABLE, Status.DEAD]
        assert history.first_seen == DAY0.date()
        assert store.history("a-0", "https://a.example/moved") == SourceHistory()
        latest = {row.source_id: row.status for row in store.latest_results(REGISTRY)}
        assert latest == {"a-0": Status.DEAD, "a-1": Status.UNREACHABLE}
        assert len(store.latest_results()) == 3


def test_the_archive_cache_keeps_and_replaces_answers(backend: Backend) -> None:
    with open_history(backend.location()) as store:
        assert store.archive_answer("wayback https://x.example/", "2021-02-15") is None
        store.store_archive_answer("wayback https://x.example/", "2021-02-15", {"found": False})
        store.store_archive_answer("wayback https://x.example/", "2021-02-15", {"found": "ü"})
        assert store.archive_answer("wayback https://x.example/", "2021-02-15") == {"found": "ü"}
        assert store.runs() == 0  # a look-up is no run


def test_the_shards_of_one_run_id_make_one_run(backend: Backend) -> None:
    location = backend.location()
    record(location, rows("a", 2, Status.UNREACHABLE), when=DAY0 - dt.timedelta(days=1))
    for shard, offset in (("a", 5), ("b", 0), ("c", 9)):
        part = rows(shard, 2, Status.DEAD)
        record(location, part, run_id="nightly-7", when=DAY0 + dt.timedelta(minutes=offset))
    with open_history(location, run_id="nightly-7") as store:
        assert store.runs() == 2
        assert len(store.latest_results(REGISTRY)) == 6
        # Reading for the run being written leaves it out: a retried shard sees the runs before.
        assert store.history("a-0", "https://a.example/0").recent == (Status.UNREACHABLE,)
    with open_history(location) as store:
        assert store.history("a-0", "https://a.example/0").recent == (
            Status.UNREACHABLE,
            Status.DEAD,
        )


def test_a_shard_recorded_again_replaces_its_part(backend: Backend) -> None:
    location = backend.location()
    first = record(location, rows("a", 3, Status.UNREACHABLE), run_id="r1")
    again = record(location, rows("a", 3), run_id="r1", when=DAY0 + dt.timedelta(hours=1))
    assert first == again
    with open_history(location) as store:
        assert store.runs() == 1
        assert {row.status for row in store.latest_results()} == {Status.OK}
        assert store.history("a-2", "https://a.example/2").recent == (Status.OK,)


def test_a_run_id_of_another_registry_is_refused(backend: Backend) -> None:
    location = backend.location()
    record(location, rows("a", 1), run_id="r1")
    with pytest.raises(StateError, match=r"run id 'r1' in .* is a run of /srv/docs/sources.toml"):
        record(location, rows("b", 1), run_id="r1", registry="/other/sources.toml")
    with open_history(location) as store:
        assert [row.source_id for row in store.latest_results()] == ["a-0"]


def test_a_run_that_cannot_be_stored_leaves_nothing_of_it(backend: Backend) -> None:
    location = backend.location()
    record(location, rows("a", 2))
    broken = [*rows("b", 3), ResultRow(None, "https://b.example/x", Status.OK, DAY0)]  # type: ignore[arg-type]
    with pytest.raises(StateError, match="while recording the run"):
        record(location, broken)
    with open_history(location) as store:
        assert store.runs() == 1
        assert sorted(row.source_id for row in store.latest_results()) == ["a-0", "a-1"]


_KILLED_IN_THE_MIDDLE = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from factlinks import ResultRow, Status, open_history

    location, marker = sys.argv[1:3]
    when = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    store = open_history(location)
    insert = store._execute_many

    def insert_then_hang(sql, params):
        insert(sql, params)  # the rows are written, the transaction is still open ...
        Path(marker).touch()
        time.sleep(600)  # ... when the process is killed

    store._execute_many = insert_then_hang
    rows = [ResultRow(f"b-{n}", f"https://b.example/{n}", Status.DEAD, when) for n in range(50)]
    store.record_run(started_at=when, finished_at=when, tool_version="t", registry=None,
                     rows=rows)
    """
)


def test_a_process_killed_while_recording_loses_nothing(backend: Backend, tmp_path: Path) -> None:
    location = backend.location()
    record(location, rows("a", 2))
    marker = tmp_path / "inserted"
    process = subprocess.Popen([sys.executable, "-c", _KILLED_IN_THE_MIDDLE, location, marker])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the recording process never reached its insert"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    with open_history(location) as store:  # the lock, or the session, died with the process
        assert store.runs() == 1
        assert sorted(row.source_id for row in store.latest_results()) == ["a-0", "a-1"]
        assert store.history("b-0", "https://b.example/0") == SourceHistory()
        store.record_run(
            started_at=DAY0, finished_at=DAY0, tool_version="t", registry=None, rows=rows("c", 1)
        )
        assert store.runs() == 2


def _night(night: int) -> list[ResultRow]:
    """Night ``night`` of a registry whose sources fail, recover, move and change URL."""
    cycle = [Status.OK, Status.UNREACHABLE, Status.DEAD, Status.MOVED, Status.DRIFTED]
    made = []
    for n in range(20):
        status = cycle[(n + night * (n % 3)) % len(cycle)]
        good = status in (Status.OK, Status.MOVED)
        made.append(
            ResultRow(
                source_id=f"s{n}",
                url=f"https://h{n % 4}.example/{n}" + ("/v2" if n % 7 == 0 and night > 2 else ""),
                status=status,
                checked_at=DAY0 + dt.timedelta(days=night, seconds=n),
                http_status=200 if good else None,
                etag=f'"{n}.{night}"' if good else None,
                verification=StoredVerification(status, f"night {night}") if good else None,
                archive=None
                if good
                else StoredArchive(
                    f"https://web.archive.org/web/2021/{n}", "20210215093000", None, "ü"
                ),
            )
        )
    return made


def _unnumbered(history: SourceHistory) -> SourceHistory:
    """``history`` without the runs' numbers: they only have to grow (PostgreSQL's skip some)."""

    def plain(past: PastResult | None) -> PastResult | None:
        return None if past is None else dataclasses.replace(past, run_id=0)

    return dataclasses.replace(
        history,
        last=plain(history.last),
        last_good=plain(history.last_good),
        failures=tuple(dataclasses.replace(past, run_id=0) for past in history.failures),
    )


def test_both_backends_tell_the_same_history(tmp_path: Path, postgres: PgServer) -> None:
    """The same nights recorded into SQLite and PostgreSQL read back the same, source by source."""
    places = [str(tmp_path / "state.db"), postgres.create_database()]
    for location in places:
        for night in range(6):
            run_id = f"night-{night}" if night % 2 else None  # some nights as shards of a run id
            for part in (_night(night)[:10], _night(night)[10:]) if run_id else (_night(night),):
                record(location, part, run_id=run_id, when=DAY0 + dt.timedelta(days=night))
    told = []
    for location in places:
        with open_history(location) as store:
            told.append(
                (
                    store.runs(),
                    sorted(store.latest_results(REGISTRY), key=lambda row: row.source_id),
                    [_unnumbered(store.history(r.source_id, r.url)) for r in _night(5)],
                    [_unnumbered(store.history(r.source_id, r.url)) for r in _night(0)],
                )
            )
    assert told[0] == told[1]
    assert told[0][0] == 6
    assert any(len(history.failures) >= 2 for history in told[0][2])  # not a trivial history


# -- shards writing one run into PostgreSQL at once --------------------------------------------

_SHARD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from factlinks import ResultRow, Status, open_history

    location, run_id, shard, start = sys.argv[1:5]
    began = dt.datetime(2026, 11, 1, 3, int(shard), tzinfo=dt.UTC)
    rows = [
        ResultRow(f"s{shard}-{n}", f"https://s{shard}.example/{n}", Status.OK, began)
        for n in range(500)
    ]
    with open_history(location, run_id=run_id) as store:
        Path(f"{start}.{shard}").touch()  # connected: ready
        while not Path(start).exists():
            time.sleep(0.005)
        store.record_run(started_at=began, finished_at=began + dt.timedelta(minutes=1),
                         tool_version="t", registry="/srv/docs/sources.toml", rows=rows)
    """
)


def test_four_shards_writing_one_run_at_once_record_it_whole(
    postgres: PgServer, tmp_path: Path
) -> None:
    location = postgres.create_database()  # new: the four also create its tables at once
    start = tmp_path / "start"
    shards = [
        subprocess.Popen(
            [sys.executable, "-c", _SHARD, location, "nightly-42", str(shard), start],
            stderr=subprocess.PIPE,
            text=True,
        )
        for shard in range(1, 5)
    ]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        Path(f"{start}.{shard}").exists() for shard in range(1, 5)
    ):
        assert all(p.poll() is None for p in shards), [p.communicate()[1] for p in shards]
        time.sleep(0.01)
    start.touch()  # all four are connected and holding: go
    errors = [p.communicate(timeout=120)[1] for p in shards]
    assert [p.returncode for p in shards] == [0, 0, 0, 0], errors
    with open_history(location) as store:
        assert store.runs() == 1
        latest = store.latest_results(REGISTRY)
        assert sorted(row.source_id for row in latest) == sorted(
            f"s{shard}-{n}" for shard in range(1, 5) for n in range(500)
        )
        assert store.history("s3-499", "https://s3.example/499").last is not None
    with psycopg.connect(location) as db:
        [(started, finished, key)] = db.execute(
            "SELECT started_at, finished_at, run_key FROM runs"
        ).fetchall()
    assert (started, finished, key) == (
        "2026-11-01T03:01:00+00:00",
        "2026-11-01T03:05:00+00:00",
        "nightly-42",
    )


@pytest.mark.integration
def test_four_cli_shards_with_a_run_id_record_one_run(
    postgres: PgServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    location = postgres.create_database()
    ids = [f"page-{n}" for n in range(12)]
    registry = tmp_path / "sources.toml"
    registry.write_text(
        "".join(f'[[source]]\nid = "{i}"\nurl = "https://docs.example.org/{i}"\n\n' for i in ids)
    )
    routes = {f"/{i}": Reply.html(f"<h1>{i}</h1>") for i in ids}
    with Host("docs.example.org", routes) as host:
        shards = []
        for shard in range(4):
            argv = ["check", str(registry), "--state", location, "--no-archive", "-q"]
            argv += ["--out", str(tmp_path / f"out{shard}"), "--remap", host.remap_rule()]
            argv += [arg for i in ids[shard::4] for arg in ("--only", i)]
            env = dict(os.environ)
            if shard % 2:  # two take the id from the environment, two from the option
                env["FACTLINKS_RUN_ID"] = "ci-1234"
            else:
                argv += ["--run-id", "ci-1234"]
            script = f"import sys; from factlinks._cli import main; sys.exit(main({argv!r}))"
            shards.append(subprocess.Popen([sys.executable, "-c", script], env=env))
        assert [p.wait(timeout=180) for p in shards] == [0, 0, 0, 0]
    with open_history(location) as store:
        assert store.runs() == 1
        assert sorted(r.source_id for r in store.latest_results(str(registry))) == sorted(ids)
    # fix reads the merged run like any other
    assert main(["fix", str(registry), "--state", location]) == 0
    capsys.readouterr()


# -- PostgreSQL's own --------------------------------------------------------------------------

_OPENER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from factlinks import open_history

    location, start = sys.argv[1:3]
    while not Path(start).exists():
        time.sleep(0.002)
    open_history(location).close()
    """
)


def test_shards_that_open_a_new_database_at_once_create_its_tables_once(
    postgres: PgServer, tmp_path: Path
) -> None:
    location = postgres.create_database()
    start = tmp_path / "start"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, location, start], stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    time.sleep(1.0)  # let them all start and wait (not an assertion: only more overlap)
    start.touch()
    errors = [p.communicate(timeout=120)[1] for p in openers]
    assert [p.returncode for p in openers] == [0] * 6, errors
    with psycopg.connect(location) as db:
        assert db.execute("SELECT version FROM factlinks_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_postgresql_keeps_the_schema_version_and_refuses_a_newer_one(postgres: PgServer) -> None:
    location = postgres.create_database()
    with open_history(location) as store:
        assert isinstance(store, PostgresHistory)
    with psycopg.connect(location, autocommit=True) as db:
        assert db.execute("SELECT version FROM factlinks_schema").fetchall() == [(SCHEMA_VERSION,)]
        db.execute("UPDATE factlinks_schema SET version = 99")
    knows = rf"newer factlinks \(schema 99, this one knows {SCHEMA_VERSION}\)"
    with pytest.raises(StateError, match=knows):
        open_history(location)
    with pytest.raises(StateError, match="newer factlinks") as error:
        open_history(location.replace("postgresql://", "postgres://"))
    assert "factlinks-test-password" not in str(error.value)
    assert ":***@" in str(error.value)


def test_postgresql_over_the_unix_socket(postgres: PgServer) -> None:
    location = postgres.create_database()
    record(location, rows("a", 1))
    with open_history(postgres.socket_url(location.rsplit("/", 1)[1])) as store:
        assert store.runs() == 1
        assert isinstance(store, PostgresHistory)
        assert "connect_timeout=10" in store.db.info.dsn  # never wait forever for a server
    with open_history(location + "?connect_timeout=3") as store:
        assert isinstance(store, PostgresHistory)
        assert "connect_timeout=3" in store.db.info.dsn  # the URL's own wins


def test_a_server_that_cannot_be_reached_is_a_state_error() -> None:
    location = f"postgresql://factlinks:secret@127.0.0.1:{closed_port()}/factlinks"
    with pytest.raises(StateError, match="cannot reach the PostgreSQL server of") as error:
        open_history(location)
    assert "secret" not in str(error.value)
    assert "Connection refused" in str(error.value)


def test_a_refused_login_and_a_missing_database_say_so(postgres: PgServer) -> None:
    with pytest.raises(StateError, match="PostgreSQL refused the login to") as error:
        open_history(postgres.url(password="wrong"))
    assert "password authentication failed" in str(error.value)
    assert "wrong" not in str(error.value)
    with pytest.raises(StateError, match=r'database "no_such_db" does not exist \(create it'):
        open_history(postgres.url("no_such_db"))


def test_the_cli_says_when_the_server_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\nskip = true\n')
    location = f"postgresql://u@127.0.0.1:{closed_port()}/db"
    assert main(["check", str(registry), "--state", location]) == 2
    assert "cannot reach the PostgreSQL server of postgresql://u@127.0.0.1" in (
        capsys.readouterr().err
    )


def test_without_psycopg_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(StateError, match=r"pip install 'factlinks\[postgresql\]'"):
        open_history("postgresql://factlinks@db.example/factlinks")


def test_a_connection_lost_while_recording_is_a_state_error(postgres: PgServer) -> None:
    location = postgres.create_database()
    with open_history(location) as store:
        assert isinstance(store, PostgresHistory)
        [row] = store.db.execute("SELECT pg_backend_pid() AS pid").fetchall()
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (row["pid"],))
        with pytest.raises(StateError, match="while recording the run in postgresql://"):
            store.record_run(
                started_at=DAY0, finished_at=DAY0, tool_version="t", registry=None, rows=[]
            )
    with open_history(location) as store:
        assert store.runs() == 0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@db/x", "postgresql://u:***@db/x"),
        ("postgres://u@db/x?password=secret&sslmode=require", "postgres://u@db/x?password=***&sslmode=require"),
        ("postgresql://db/x", "postgresql://db/x"),
    ],
)  # fmt: skip
def test_passwords_never_appear_in_messages(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_a_url_libpq_cannot_read_is_a_state_error() -> None:
    with pytest.raises(StateError, match=r"postgresql://u:\*\*\*@db/x\?sslmode=sideways"):
        open_history("postgresql://u:secret@db/x?sslmode=sideways&nonsense=1")


@pytest.mark.parametrize(
    ("sqlstate", "said"),
    [
        ("53100", "the database server is out of disk space or memory while recording"),
        ("42501", "permission denied while recording"),
        ("25006", "the database is read-only while recording"),
        ("57P01", "the database server shut down or cancelled the statement while recording"),
        ("23505", "postgresql://db/x: PostgreSQL error while recording the run: the server"),
    ],
)
def test_storage_errors_name_their_cause(sqlstate: str, said: str) -> None:
    from factlinks._history.postgres import storage_message

    error = psycopg.errors.lookup(sqlstate)("the server said no")  # as psycopg raises it
    message = storage_message(error, "recording the run", "postgresql://db/x")
    assert message.startswith(said)
    assert "the server said no" in message
