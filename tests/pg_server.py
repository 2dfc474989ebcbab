"""A real PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder.

:class:`PgServer` runs Debian's (or any) PostgreSQL binaries: ``initdb`` a cluster in a
temporary folder, ``pg_ctl start`` it listening on 127.0.0.1 (a free port) and on a unix
socket in that folder, and ``pg_ctl stop`` it at the end. The superuser is ``factlinks``
with a password (``scram-sha-256`` over TCP, so a wrong one is refused); :meth:`create_database`
gives each test a database of its own. initdb refuses to run as root: as root, every
PostgreSQL program runs as the ``postgres`` system user (``runuser``, else ``setpriv``).

Only the standard library and psycopg are used, so benchmarks can start one too. Where no
binaries are found, :func:`require_postgres` skips the test, or fails it when
``FACTLINKS_REQUIRE_POSTGRES=1`` (CI sets it).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PgServer", "find_bindir", "missing", "require_postgres"]

USER = "factlinks"
PASSWORD = "factlinks-test-password"
INSTALL_HINT = "apt-get install -y postgresql (Debian), or put pg_ctl on PATH"
_SYSTEM_USER = "postgres"


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: from PATH, else Debian's newest version."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def missing() -> str | None:
    """Why no PostgreSQL test can run here, or None when they can."""
    if find_bindir() is None:
        return "no PostgreSQL binaries (pg_ctl, initdb) on PATH or in /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no {_SYSTEM_USER!r} user to run initdb as"
    return None


def require_postgres() -> None:
    """Skip the calling test when PostgreSQL is missing; fail instead under CI's switch."""
    import pytest

    reason = missing()
    if reason is None:
        return
    message = f"PostgreSQL unavailable: {reason}; install with: {INSTALL_HINT}"
    if os.environ.get("FACTLINKS_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (FACTLINKS_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a unix socket there."""

    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries found")
        self.bindir = bindir
        self.port = _free_port()
        # In /tmp where there is one: a unix socket's path must stay under ~100 characters
        # (macOS's $TMPDIR alone is 50).
        short = "/tmp" if os.path.isdir("/tmp") else None
        self.folder = Path(tempfile.mkdtemp(prefix="factlinks-pg-", dir=short))
        self.data = self.folder / "data"
        self._names = itertools.count(1)
        self._running = False

    # -- the server --------------------------------------------------------------------------

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:  # initdb and postgres refuse root
            if shutil.which("runuser"):
                command = ["runuser", "-u", _SYSTEM_USER, "--", *command]
            else:
                command = ["setpriv", f"--reuid={_SYSTEM_USER}", f"--regid={_SYSTEM_USER}",
                           "--init-groups", *command]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder, timeout=120)

    def start(self) -> Self:
        """initdb the cluster and start the server; wait until it accepts connections."""
        if os.geteuid() == 0:
            entry = pwd.getpwnam(_SYSTEM_USER)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(password_file, pwd.getpwnam(_SYSTEM_USER).pw_uid, -1)
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={password_file}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.folder} -c fsync=off"
            " -c max_connections=50 -c shared_buffers=16MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        self._running = True
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if self._running:
            with contextlib.suppress(subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self._running = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres", *, password: str | None = PASSWORD) -> str:
        """The URL of ``database`` over TCP on 127.0.0.1, with the password (or another)."""
        login = USER if password is None else f"{USER}:{password}"
        return f"postgresql://{login}@127.0.0.1:{self.port}/{database}"

    def socket_url(self, database: str = "postgres") -> str:
        """The URL of ``database`` over the unix socket in the server's folder (no password)."""
        return f"postgresql://{USER}@/{database}?host={self.folder}&port={self.port}"

    def create_database(self) -> str:
        """A new, empty database; returns its URL (with the password)."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
