"""Writes that lose nothing: report sets, the history's commit point, locks, storage errors.

A report set is all new or all old; the history records a run only after its reports are
written; the one-run lock follows the database file, not its name; a full disk or a locked,
read-only or corrupt database is named as such; ``--out`` and ``--state`` are checked before
the first request.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import factlinks
import factlinks._files
from factlinks import HistoryStore, ReportError, ResultRow, Source, StateError, Status
from factlinks._cli import main
from factlinks._files import PartlyReplacedError, check_writable_dir, replace_set
from factlinks._history.sqlite import SqliteHistory, storage_message
from farm import Farm, Host, Reply, Request

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder`` (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def fail_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, n: int, error: OSError = ENOSPC
) -> list[Any]:
    """Make the ``n``-th call (1-based) of ``factlinks._files.<name>`` raise ``error``."""
    real = getattr(factlinks._files, name)
    calls: list[Any] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == n:
            raise OSError(error.errno, error.strerror)
        return real(*args, **kwargs)

    monkeypatch.setattr(factlinks._files, name, failing)
    return calls


# -- the set primitive --------------------------------------------------------------------------


def old_set(folder: Path) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    files = {"a.txt": b"old a", "b.txt": b"old b", "c.txt": b"old c"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_set_is_replaced_in_order_with_the_last_file_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_set(tmp_path)
    order: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: Path) -> None:
        order.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(factlinks._files.os, "replace", replace)
    replace_set([(tmp_path / n, f"new {n}".encode()) for n in ("c.txt", "a.txt", "b.txt")], 0o640)
    assert order == ["c.txt", "a.txt", "b.txt"]
    assert contents(tmp_path) == {n: f"new {n}".encode() for n in ("a.txt", "b.txt", "c.txt")}
    assert {oct((tmp_path / n).stat().st_mode & 0o777) for n in order} == {"0o640"}
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", [1, 2, 3], ids=["first", "middle", "last"])
def test_a_full_disk_while_writing_any_file_leaves_the_old_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    before = old_set(tmp_path)
    fail_on_call(monkeypatch, "_write_all", failing)
    names = ["a.txt", "b.txt", "c.txt"]
    with pytest.raises(OSError, match="No space left on device") as caught:
        replace_set([(tmp_path / n, b"new" * 1000) for n in names], 0o644)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(tmp_path / names[failing - 1])  # the target, not .tmp
    assert contents(tmp_path) == before
    assert leftovers(tmp_path) == []


def test_a_file_that_cannot_be_created_leaves_the_old_set(tmp_path: Path) -> None:
    before = old_set(tmp_path)
    with pytest.raises(FileNotFoundError) as caught:
        replace_set([(tmp_path / "a.txt", b"new"), (tmp_path / "no" / "b.txt", b"new")], 0o644)
    assert caught.value.filename == str(tmp_path / "no" / "b.txt")
    assert contents(tmp_path) == before
    assert leftovers(tmp_path) == []


def test_a_rename_that_fails_after_others_says_which_were_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_set(tmp_path)
    real_replace = os.replace
    calls: list[str] = []

    def replace(src: str, dst: Path) -> None:
        calls.append(src)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)

    monkeypatch.setattr(factlinks._files.os, "replace", replace)
    with pytest.raises(PartlyReplacedError) as caught:
        replace_set([(tmp_path / n, b"new") for n in ("a.txt", "b.txt", "c.txt")], 0o644)
    assert caught.value.replaced == (tmp_path / "a.txt",)
    assert caught.value.filename == str(tmp_path / "b.txt")
    assert contents(tmp_path) == {"a.txt": b"new", "b.txt": b"old b", "c.txt": b"old c"}
    assert leftovers(tmp_path) == []


def test_a_first_rename_that_fails_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = old_set(tmp_path)

    def replace(src: str, dst: Path) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(factlinks._files.os, "replace", replace)
    with pytest.raises(OSError, match="Read-only file system") as caught:
        replace_set([(tmp_path / n, b"new") for n in ("a.txt", "b.txt")], 0o644)
    assert not isinstance(caught.value, PartlyReplacedError)
    assert contents(tmp_path) == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p / "new" / "deeper", None),
        (lambda p: p, None),
        (lambda p: _file(p / "f"), errno.ENOTDIR),
        (lambda p: _file(p / "f") / "sub" / "out", errno.ENOTDIR),
    ],
    ids=["missing", "existing", "a-file", "under-a-file"],
)
def test_check_writable_dir(
    tmp_path: Path, make: Callable[[Path], Path], expected: int | None
) -> None:
    folder = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    if expected is None:
        check_writable_dir(folder)
    else:
        with pytest.raises(NotADirectoryError) as caught:
            check_writable_dir(folder)
        assert caught.value.errno == expected
    assert sorted(tmp_path.rglob("*")) == before  # probed, nothing created or left behind


def _file(path: Path) -> Path:
    path.write_text("a file", encoding="utf-8")
    return path


# -- report sets ----------------------------------------------------------------------------------


def report(*ids: str) -> factlinks.Report:
    results = tuple(
        factlinks.SourceResult(Source(id=i, url=f"https://e.org/{i}"), Status.SKIPPED, "x", NOW)
        for i in ids
    )
    return factlinks.Report(results, NOW, NOW, "0")


ALL = ["json", "md", "html", "junit"]


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_write_report_on_a_full_disk_keeps_the_old_set_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    out = tmp_path / "out"
    factlinks.write_report(report("old"), out, ALL)
    before = contents(out)
    calls = fail_on_call(monkeypatch, "_write_all", failing)
    with pytest.raises(ReportError) as caught:
        factlinks.write_report(report("new-1", "new-2"), out, ALL)
    assert len(calls) == failing  # stopped at the first failure
    message = str(caught.value)
    assert "no space left on device" in message
    assert "left as they were" in message
    assert any(str(out / name) in message for name in before)
    assert contents(out) == before
    assert leftovers(out) == []


def test_report_json_is_renamed_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_replace = os.replace

    def replace(src: str, dst: Path) -> None:
        order.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(factlinks._files.os, "replace", replace)
    written = factlinks.write_report(report("a"), tmp_path, ALL)
    assert order[-1] == "report.json"
    assert sorted(order) == sorted(p.name for p in written)
    assert written[0].name == "report.json"  # returned in the order asked for


def test_a_partly_replaced_set_is_reported_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def replace(src: str, dst: Path) -> None:
        if Path(dst).name == "report.json":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_replace(src, dst)

    monkeypatch.setattr(factlinks._files.os, "replace", replace)
    with pytest.raises(ReportError, match=r"report\.json: input/output error; only report\.md"):
        factlinks.write_report(report("a"), tmp_path, ["json", "md"])


def test_a_lone_surrogate_costs_one_character_not_the_report(tmp_path: Path) -> None:
    source = Source(id="pdf", url="https://e.org/x.pdf", title="Bericht \ud800 2021")
    result = factlinks.SourceResult(source, Status.SKIPPED, "Skipped: \ud800.", NOW)
    written = factlinks.write_report(factlinks.Report((result,), NOW, NOW, "0"), tmp_path, ALL)
    assert len(written) == 4
    for path in written:
        path.read_text(encoding="utf-8")  # valid UTF-8, whatever the renderer let through


# -- the CLI: reports before history ------------------------------------------------------------

REGISTRY = '[[source]]\nid = "{id}"\nurl = "https://docs.example.org/{id}.html"\n'


def _page(request: Request) -> Reply:
    """Every page is there, except the soft-404 probe's random siblings."""
    if "factlinks-probe" in request.path:
        return Reply.not_found()
    return Reply.html(f"<h1>Page {request.path}</h1>")


@pytest.fixture
def docs() -> Iterator[Host]:
    with Farm() as farm:
        yield farm.add_host("docs.example.org", fallback=_page)


def cli(tmp_path: Path, host: Host, ids: list[str], *extra: str) -> int:
    registry = tmp_path / "sources.toml"
    registry.write_text("".join(REGISTRY.format(id=i) for i in ids), encoding="utf-8")
    argv = ["check", str(registry), "--out", str(tmp_path / "out"), "--no-archive"]
    argv += ["--state", str(tmp_path / "state.db"), "--format", ",".join(ALL)]
    return main([*argv, "--remap", host.remap_rule(), *extra])


def runs(tmp_path: Path) -> int:
    with HistoryStore(tmp_path / "state.db") as store:
        return store.runs()


def source_ids(out: Path) -> list[str]:
    data = json.loads((out / "report.json").read_text("utf-8"))
    return [s["id"] for s in data["sources"]]


@pytest.mark.integration
def test_a_full_disk_for_the_reports_leaves_the_old_set_and_records_nothing(
    tmp_path: Path,
    docs: Host,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(tmp_path, docs, ["one"]) == 0
    before = contents(tmp_path / "out")
    fail_on_call(monkeypatch, "_write_all", 3)  # the third of four files
    code = cli(tmp_path, docs, ["one", "two"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no space left on device" in err
    assert str(tmp_path / "out" / "report.") in err
    assert "Traceback" not in err
    assert contents(tmp_path / "out") == before
    assert runs(tmp_path) == 1  # the run nobody saw is not in the history
    monkeypatch.undo()
    assert cli(tmp_path, docs, ["one", "two"]) == 0
    assert source_ids(tmp_path / "out") == ["one", "two"]
    assert runs(tmp_path) == 2


@pytest.mark.integration
def test_a_file_size_limit_in_a_real_process_leaves_the_old_set(tmp_path: Path, docs: Host) -> None:
    """``python -m factlinks check`` under RLIMIT_FSIZE: the kernel refuses the write."""
    assert cli(tmp_path, docs, ["one"]) == 0
    before = contents(tmp_path / "out")
    limit = 2 * max(len(data) for data in before.values())
    registry = tmp_path / "big.toml"
    skipped = "".join(
        f'[[source]]\nid = "s{i}"\nurl = "https://docs.example.org/{i}"\nskip = "x"\n'
        for i in range(400)
    )
    registry.write_text(REGISTRY.format(id="one") + skipped, encoding="utf-8")

    limited = (  # the soft limit only, lifted again for coverage's data file at exit
        "import resource, runpy, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, hard))\n"
        "sys.argv[0] = 'factlinks'\n"
        "try:\n"
        "    runpy.run_module('factlinks', run_name='__main__')\n"
        "finally:\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))\n"
    )
    argv = [sys.executable, "-c", limited, "check", str(registry), "--no-archive"]
    argv += ["--out", str(tmp_path / "out"), "--state", str(tmp_path / "state.db")]
    argv += ["--format", ",".join(ALL), "--remap", docs.remap_rule()]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "file too large" in proc.stderr
    assert "left as they were" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert contents(tmp_path / "out") == before
    assert runs(tmp_path) == 1


@pytest.mark.integration
def test_a_full_disk_under_the_history_names_the_cause(
    tmp_path: Path,
    docs: Host,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The reports are written; the history, which has no room, keeps the earlier runs."""
    assert cli(tmp_path, docs, ["one"]) == 0
    real_open = SqliteHistory.open

    def open_full(self: SqliteHistory) -> None:
        real_open(self)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here

    monkeypatch.setattr(SqliteHistory, "open", open_full)
    ids = [f"page-{i:03d}-{'x' * 60}" for i in range(60)]
    code = cli(tmp_path, docs, ids)
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 2
    assert f"disk full while recording the run in {tmp_path / 'state.db'}" in err
    assert "rollback" not in err
    assert "Traceback" not in err
    assert source_ids(tmp_path / "out") == ids  # the reports were written first
    assert runs(tmp_path) == 1


# -- the library: the history's commit point --------------------------------------------------


@pytest.mark.integration
def test_the_run_is_recorded_after_on_report_and_not_when_it_raises(
    tmp_path: Path, docs: Host
) -> None:
    options = factlinks.CheckOptions(remap=(factlinks.Remap.parse(docs.remap_rule()),))
    sources = [Source(id="one", url="https://docs.example.org/one.html")]
    seen: list[int] = []

    def publish(store: HistoryStore, fail: bool) -> Callable[[factlinks.Report], None]:
        def hook(report: factlinks.Report) -> None:
            seen.append(store.runs())
            if fail:
                raise ReportError("no room for the reports")

        return hook

    with HistoryStore(tmp_path / "state.db") as store:
        runtime = factlinks.Runtime(history=store, on_report=publish(store, fail=True))
        with pytest.raises(ReportError, match="no room"):
            factlinks.check(sources, options, runtime)
        assert store.runs() == 0
        runtime = factlinks.Runtime(history=store, on_report=publish(store, fail=False))
        factlinks.check(sources, options, runtime)
        assert store.runs() == 1
        factlinks.check(sources, options, factlinks.Runtime(history=store))  # no hook
        assert store.runs() == 2
    assert seen == [0, 0]  # the hook ran before the run was recorded


class _BrokenHistory(SqliteHistory):
    def history(self, source_id: str, url: str) -> factlinks.SourceHistory:
        raise StateError("I/O error while reading the history in state.db (disk I/O error)")


def test_a_history_that_fails_mid_run_stops_the_run(tmp_path: Path) -> None:
    """A storage error is the run's problem, never one source's "internal error"."""
    sources = [Source(id="one", url="https://docs.example.org/one.html")]
    with _BrokenHistory(tmp_path / "state.db") as store:
        with pytest.raises(StateError, match="I/O error while reading the history"):
            factlinks.check(sources, runtime=factlinks.Runtime(history=store))
        assert store.runs() == 0


# -- the lock follows the file ---------------------------------------------------------------


def _symlink(tmp_path: Path, db: Path) -> Path:
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link.db"
    link.symlink_to(db)
    return link


def _hard_link(tmp_path: Path, db: Path) -> Path:
    (tmp_path / "other").mkdir()
    link = tmp_path / "other" / "hard.db"
    os.link(db, link)
    return link


def _dotdot(tmp_path: Path, db: Path) -> Path:
    (tmp_path / "x").mkdir()
    return Path(os.path.relpath(tmp_path / "x" / ".." / db.name))


def _linked_folder(tmp_path: Path, db: Path) -> Path:
    (tmp_path / "alias").symlink_to(tmp_path, target_is_directory=True)
    return tmp_path / "alias" / db.name


@pytest.mark.parametrize(
    "other_name",
    [_symlink, _hard_link, _dotdot, _linked_folder],
    ids=["symlink", "hard-link", "dot-dot", "symlinked-folder"],
)
def test_a_second_run_under_another_name_is_refused(
    tmp_path: Path, other_name: Callable[[Path, Path], Path]
) -> None:
    db = tmp_path / "state.db"
    with HistoryStore(db):
        pass  # create it
    alias = other_name(tmp_path, db)
    for first, second in ((db, alias), (alias, db)):
        with HistoryStore(first), pytest.raises(StateError, match="another factlinks run"):
            HistoryStore(second).open()
        with HistoryStore(second) as again:  # released when the first closed
            assert again.runs() == 0


def test_a_symlink_to_a_database_not_yet_created_is_locked_too(tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "real.db")
    with HistoryStore(link), pytest.raises(StateError, match="another factlinks run"):
        HistoryStore(tmp_path / "real.db").open()
    assert (tmp_path / "real.db").is_file()


def test_a_database_that_cannot_be_opened_is_a_state_error(tmp_path: Path) -> None:
    (tmp_path / "state.db").mkdir()
    with pytest.raises(StateError, match=r"cannot open .*state\.db: Is a directory"):
        HistoryStore(tmp_path / "state.db").open()


# -- storage errors name their cause ---------------------------------------------------------


def rows(count: int, *, same_id: bool = False) -> list[ResultRow]:
    return [
        ResultRow("dup" if same_id else f"s{i}", f"https://e.org/{'x' * 200}/{i}", Status.OK, NOW)
        for i in range(count)
    ]


def record(store: HistoryStore, result_rows: list[ResultRow]) -> object:
    return store.record_run(
        started_at=NOW, finished_at=NOW, tool_version="0", registry=None, rows=result_rows
    )


def test_a_full_disk_while_recording_is_named_and_the_history_is_kept(tmp_path: Path) -> None:
    """Before, this read "cannot rollback - no transaction is active", hiding the cause."""
    path = tmp_path / "state.db"
    with HistoryStore(path) as store:
        record(store, rows(1))
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StateError) as caught:
            record(store, rows(200))
        assert str(caught.value) == (
            f"disk full while recording the run in {path} (database or disk is full)"
        )
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert not store.db.in_transaction
        assert store.runs() == 1  # the failed run left nothing; the store is still usable
        store.db.execute(f"PRAGMA max_page_count = {2**30}")
        record(store, rows(200))
        assert store.runs() == 2


def test_a_database_locked_by_another_program_is_named(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with HistoryStore(path) as store:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            store.db.execute("PRAGMA busy_timeout = 0")
            with pytest.raises(StateError, match="database locked by another program while"):
                record(store, rows(1))
            with pytest.raises(StateError, match="locked by another program while reading"):
                store.history("s0", "https://e.org/")
        finally:
            other.close()
        assert store.runs() == 0


def test_a_read_only_database_is_named(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "state.db") as store:
        store.db.execute("PRAGMA query_only = ON")
        with pytest.raises(StateError, match="read-only file or folder while recording the run"):
            record(store, rows(1))
        with pytest.raises(StateError, match="read-only file or folder while caching"):
            store.store_archive_answer("https://e.org/", "20260101", {"archived": None})


def test_a_database_corrupted_under_a_run_is_named(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with HistoryStore(path) as store:
        record(store, rows(50))
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # wreck the second page
    path.write_bytes(bytes(data))
    with HistoryStore(path) as store, pytest.raises(StateError) as caught:
        store.latest_results()
    assert "not a usable factlinks state database" in str(caught.value)


def test_other_sqlite_errors_keep_their_own_words(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with HistoryStore(path) as store:
        with pytest.raises(StateError, match="SQLite error while recording the run: UNIQUE"):
            record(store, rows(2, same_id=True))
        assert store.runs() == 0
    made_by_hand = sqlite3.OperationalError("something odd")
    assert storage_message(made_by_hand, "doing X", "s.db") == (
        "s.db: SQLite error while doing X: something odd"
    )


# -- --out and --state are checked before the first request ----------------------------------


@pytest.mark.parametrize(
    "make_out",
    [
        lambda p: _file(p / "out"),
        lambda p: _file(p / "out") / "reports",
        lambda p: _file(p / "out") / "a" / "b",
    ],
    ids=["a-file", "under-a-file", "deep-under-a-file"],
)
def test_a_bad_out_exits_2_before_the_first_request(
    tmp_path: Path,
    docs: Host,
    capsys: pytest.CaptureFixture[str],
    make_out: Callable[[Path], Path],
) -> None:
    out = make_out(tmp_path)
    code = cli(tmp_path, docs, ["one"], "--out", str(out))
    err = capsys.readouterr().err
    assert code == 2
    assert f"--out {out}: cannot create the reports there: Not a directory" in err
    assert "Traceback" not in err
    assert docs.requests == []
    assert not (tmp_path / "state.db").exists() or runs(tmp_path) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_out_exits_2_before_the_first_request(
    tmp_path: Path, docs: Host, capsys: pytest.CaptureFixture[str]
) -> None:  # pragma: no cover - runs only without root
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert cli(tmp_path, docs, ["one"], "--out", str(locked / "out")) == 2
    finally:
        locked.chmod(0o700)
    assert "Permission denied" in capsys.readouterr().err
    assert docs.requests == []


def test_a_missing_out_is_not_created_by_the_check_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probed, not created: a run that stops (offline, bad registry) leaves no empty folder."""
    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY.format(id="one") + 'skip = "x"\n', encoding="utf-8")
    out = tmp_path / "a" / "b" / "out"
    assert main(["check", str(registry), "--out", str(out), "--no-state"]) == 0
    assert (out / "report.json").is_file()  # created when the reports are written
    capsys.readouterr()


@pytest.mark.parametrize("under", ["file/state.db", "file/deeper/state.db"])
def test_a_state_under_a_file_exits_2_before_the_first_request(
    tmp_path: Path, docs: Host, capsys: pytest.CaptureFixture[str], under: str
) -> None:
    _file(tmp_path / "file")
    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY.format(id="one"), encoding="utf-8")
    argv = ["check", str(registry), "--out", str(tmp_path / "out")]
    code = main([*argv, "--state", str(tmp_path / under), "--remap", docs.remap_rule()])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot use {tmp_path / under}: cannot create files in" in err
    assert "Traceback" not in err
    assert docs.requests == []
    assert not (tmp_path / "out").exists()
