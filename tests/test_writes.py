"""Writes that lose nothing: report sets, the history's commit point, locks, storage errors.

A report set is all new or all old; the history records a run only after its reports are
written; the one-run lock follows the database file, not its name; a full disk or a locked,
read-only or corrupt database is named as such; ``--out`` and ``--state`` are checked before
the first request.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import factlinks
import factlinks._files
from factlinks import ReportError, Source, Status
from factlinks._files import PartlyReplacedError, check_writable_dir, replace_set

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
