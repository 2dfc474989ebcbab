"""Run ``factlinks`` under an audit hook that keeps it on loopback and logs what it tried.

Usage: ``python tests/hostile_run.py LOG -- factlinks-arguments...``

Before the CLI is imported, :func:`sys.addaudithook` installs a hook on ``socket.connect``
and ``socket.getaddrinfo``:

- a connection to any address but 127.0.0.1 / ::1 is logged to ``LOG`` (one JSON object a
  line: ``{"event": "connect", "address": "169.254.169.254", "port": 80}``) and refused
  (``ConnectionRefusedError``) before it leaves the machine;
- a name lookup of anything that is not an address literal (``inet_aton`` spellings
  included: ``2852039166``, ``0xa9fea9fe``) is logged and answered "no such host", so no DNS
  query leaves the machine either. Numeric spellings go through, so that the address they
  stand for reaches ``connect`` and is logged there.

So the hostile farm can check "no connection to a link-local address was even attempted"
on the fixed code and still never touches the network on code that would connect.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
import sys
from typing import Any, TextIO

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _literal(host: str) -> bool:
    """True for an address in any spelling the C library reads without asking DNS."""
    try:
        ipaddress.ip_address(host.strip("[]").partition("%")[0])
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True


def _hook(log: TextIO) -> Any:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            address = args[1]
            if not isinstance(address, tuple):
                return  # AF_UNIX
            host = str(address[0])
            if host in LOOPBACK:
                return
            log.write(json.dumps({"event": "connect", "address": host, "port": address[1]}))
            log.write("\n")
            raise ConnectionRefusedError(errno.ECONNREFUSED, "refused by the hostile farm")
        if event == "socket.getaddrinfo":
            raw = args[0]
            host = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
            if raw is None or host in LOOPBACK or _literal(host):
                return
            log.write(json.dumps({"event": "getaddrinfo", "host": host}) + "\n")
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    return hook


def main(argv: list[str]) -> int:
    """Install the hook, then run the CLI with the arguments after ``--``."""
    log_path, separator, *rest = argv
    if separator != "--":
        raise SystemExit("usage: hostile_run.py LOG -- ARGS...")
    log = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives as long as the process
    sys.addaudithook(_hook(log))
    from factlinks._cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
