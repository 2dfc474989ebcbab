"""Real HTTP servers on 127.0.0.1 that stand in for real web hosts.

A :class:`Host` is a small threaded HTTP/1.1 server bound to ``127.0.0.1`` on a free port. It
pretends to be a real host (``name``, e.g. ``"www.kfw.de"``) and answers requests from a table
of routes. :meth:`Host.remap_rule` returns a ``"REGEX REPLACEMENT"`` rule that rewrites URLs of
the real host to the local server, so the code under test can be pointed at the stand-in
without touching DNS. A :class:`Farm` manages several hosts at once.

Only the standard library is used, so the module is usable from tests and benchmarks alike.
"""

from __future__ import annotations

import contextlib
import http.server
import re
import selectors
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape as _escape_html
from types import TracebackType
from typing import Any, Self, TypeAlias

__all__ = [
    "Farm",
    "Host",
    "RawWriter",
    "Reply",
    "Request",
    "Route",
    "closed_port",
    "make_remap_rule",
]

LOCALHOST = "127.0.0.1"
"""The only address the servers bind to."""


@dataclass(frozen=True)
class Request:
    """A request as seen by a :class:`Host`.

    ``path`` is the raw request target including the query string; ``headers`` has lower-case
    names (repeated headers are joined with ``", "``).
    """

    method: str
    path: str
    headers: dict[str, str]


RawWriter: TypeAlias = Callable[[socket.socket, threading.Event], None]
"""Writes a whole answer to the connection itself: ``(connection, stopping)``.

For answers that HTTP framing cannot express (a broken status line, a body that trickles, a
connection reset mid-body). ``stopping`` is set when the host stops; a writer that waits or
trickles must wait on it (``stopping.wait(seconds)``) so that stop() ends it at once.
"""


@dataclass(frozen=True)
class Reply:
    """A canned HTTP response.

    ``delay`` is the number of seconds to wait before the status line is sent. ``content_type``
    sets the ``Content-Type`` header when given (it wins over a ``Content-Type`` in
    ``headers``). ``Content-Length`` is always sent (computed from ``body``) unless ``headers``
    already contains one. With ``raw``, nothing of that is sent: after the request has been
    read (and ``delay`` waited out), ``raw`` writes the answer to the socket itself, and the
    connection is closed when it returns.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    content_type: str | None = None
    raw: RawWriter | None = None

    @classmethod
    def html(
        cls,
        text_or_html: str,
        status: int = 200,
        title: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Return an HTML reply (UTF-8).

        A complete document (anything containing ``<html``) is served verbatim; otherwise the
        text is placed unescaped in the ``<body>`` of a minimal document, so both plain text and
        HTML fragments work. ``title`` (escaped) becomes the ``<title>`` of such a document.
        """
        if "<html" in text_or_html.lower():
            document = text_or_html
        else:
            head = '<meta charset="utf-8">'
            if title is not None:
                head += f"<title>{_escape_html(title)}</title>"
            document = (
                f"<!DOCTYPE html>\n<html><head>{head}</head>\n"
                f"<body>\n{text_or_html}\n</body></html>\n"
            )
        return cls(
            status=status,
            headers=dict(headers or {}),
            body=document.encode("utf-8"),
            content_type="text/html; charset=utf-8",
        )

    @classmethod
    def pdf(cls, data: bytes, headers: Mapping[str, str] | None = None) -> Reply:
        """Return a ``200`` reply carrying ``data`` as ``application/pdf``."""
        return cls(body=data, headers=dict(headers or {}), content_type="application/pdf")

    @classmethod
    def redirect(cls, location: str, status: int = 301) -> Reply:
        """Return a redirect to ``location`` (sent verbatim in the ``Location`` header)."""
        link = f'<a href="{_escape_html(location)}">moved</a>'
        body = f"<!DOCTYPE html>\n<html><body>{link}</body></html>\n"
        return cls(
            status=status,
            headers={"Location": location},
            body=body.encode("utf-8"),
            content_type="text/html; charset=utf-8",
        )

    @classmethod
    def not_found(cls) -> Reply:
        """Return a ``404`` HTML page saying "Not Found"."""
        return cls.html("<h1>Not Found</h1>", status=404, title="Not Found")


Route: TypeAlias = Reply | Sequence[Reply] | Callable[[Request], Reply]
"""What a path is answered with.

A :class:`Reply`; a sequence of replies served in order (the last one repeats forever; every
request, HEAD included, advances the sequence); or a callable receiving the :class:`Request`.
"""


class _Served:
    """A route plus the state needed to serve it (position in a reply sequence)."""

    def __init__(self, route: Route) -> None:
        self._func: Callable[[Request], Reply] | None = None
        self._replies: tuple[Reply, ...] = ()
        if isinstance(route, Reply):
            self._replies = (route,)
        elif callable(route):
            self._func = route
        else:
            replies = tuple(route)
            if not replies:
                raise ValueError("a reply sequence must not be empty")
            for item in replies:
                if not isinstance(item, Reply):
                    raise TypeError(f"expected Reply, got {type(item).__name__}")
            self._replies = replies
        self._index = 0
        self._lock = threading.Lock()

    def reply(self, request: Request) -> Reply:
        if self._func is not None:
            result = self._func(request)
            if not isinstance(result, Reply):
                raise TypeError(f"route returned {type(result).__name__}, expected Reply")
            return result
        with self._lock:
            reply = self._replies[min(self._index, len(self._replies) - 1)]
            self._index += 1
        return reply


def _check_name(name: str) -> None:
    if not name or "/" in name or any(ch.isspace() for ch in name):
        raise ValueError(f"not a host name: {name!r}")


def make_remap_rule(name: str, target_base_url: str) -> str:
    """Return a ``"REGEX REPLACEMENT"`` rule mapping ``http(s)://name`` to ``target_base_url``.

    The regex matches ``http://name`` and ``https://name`` (with an optional explicit port,
    which is dropped) at the start of the URL and only when followed by ``/``, ``?``, ``#``,
    ``:`` or the end of the string, so ``name.evil.com`` is not matched, and neither is a URL
    that merely contains it (an archive snapshot of it). Use it as
    ``re.sub(*rule.split(" ", 1), url)``.
    """
    _check_name(name)
    pattern = rf"^https?://{re.escape(name)}(?::\d+)?(?=[/?#:]|$)"
    return f"{pattern} {target_base_url}"


def closed_port() -> int:
    """Return a port on 127.0.0.1 where (very probably) nothing listens.

    A socket is bound to port 0, its port read and the socket closed again without listening.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
    return port


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, host: Host) -> None:
        self.farm_host = host
        super().__init__((LOCALHOST, 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept; on a TLS host, wrap the connection (the handshake runs in its handler)."""
        conn, address = self.socket.accept()
        tls = self.farm_host.tls
        if tls is not None:
            conn = tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which may hang on reverse DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = LOCALHOST
        self.server_port = int(self.socket.getsockname()[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: errors are connection problems caused by clients or by stop()."""


def _serve_until_woken(server: _Server, wake: socket.socket) -> None:
    """Accept connections until ``wake`` becomes readable (no polling, so stop() is instant)."""
    with selectors.DefaultSelector() as selector:
        selector.register(server.socket, selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        while True:
            ready = selector.select()
            if any(key.fileobj is wake for key, _ in ready):
                return
            server.handle_request()  # the listening socket is readable: accept and dispatch


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Do not log to stderr."""

    def handle(self) -> None:
        host = self.server.farm_host
        if not host._register(self.connection):
            return  # accepted while the host was stopping
        try:
            super().handle()
        except OSError:  # client went away (reset, broken pipe, timeout, shut down by stop())
            self.close_connection = True
        finally:
            host._unregister(self.connection)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        host = self.server.farm_host
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = Request(method=self.command, path=self.path, headers=headers)
        host._record(request)
        try:
            reply = host._reply_for(request)
        except Exception as exc:  # a broken callable route: answer 500, keep the error
            host._record_error(exc)
            reply = Reply(
                status=500,
                body=f"route raised {exc!r}\n".encode(),
                content_type="text/plain; charset=utf-8",
            )
        if reply.delay > 0 and host._stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.raw is not None:
            self._write_raw(reply.raw, host._stopping)
        else:
            self._send(reply, send_body=send_body)

    def _send(self, reply: Reply, *, send_body: bool) -> None:
        """Send ``reply``: status line, headers (Content-Length added), body."""
        try:
            self.send_response(reply.status)
            names: set[str] = set()
            for name, value in reply.headers.items():
                lname = name.lower()
                if reply.content_type is not None and lname == "content-type":
                    continue
                names.add(lname)
                self.send_header(name, value)
            if reply.content_type is not None:
                self.send_header("Content-Type", reply.content_type)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if send_body and reply.body:
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _write_raw(self, write: RawWriter, stopping: threading.Event) -> None:
        """Let ``write`` answer on the socket itself; the connection closes after it."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            write(self.connection, stopping)


class Host:
    """A local HTTP server standing in for the real host ``name``.

    ``routes`` maps request paths to :data:`Route` values. A request target is first looked up
    exactly (query string included), then without its query string; if neither is a route,
    ``fallback`` answers (default: :meth:`Reply.not_found`). The server runs on
    ``127.0.0.1:<free port>`` in a daemon thread once :meth:`start` is called (or the host is
    used as a context manager). With ``tls`` (a server-side ``ssl.SSLContext`` holding the
    host's certificate), it speaks HTTPS and :attr:`base_url` starts with ``https://``.
    """

    def __init__(
        self,
        name: str,
        routes: Mapping[str, Route] | None = None,
        fallback: Route | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        _check_name(name)
        self.name = name
        self.tls = tls
        self._lock = threading.Lock()
        self._routes: dict[str, _Served] = {}
        self._fallback = _Served(fallback if fallback is not None else Reply.not_found())
        self._requests: list[Request] = []
        self._errors: list[Exception] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        for path, route in (routes or {}).items():
            self.add(path, route)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind to a free port on 127.0.0.1 and start serving; return ``self``."""
        if self._server is not None:
            raise RuntimeError(f"host {self.name} already started")
        if self._stopping.is_set():
            raise RuntimeError(f"host {self.name} was stopped and cannot be restarted")
        self._server = _Server(self)
        self._wake = socket.socketpair()
        self._thread = threading.Thread(
            target=_serve_until_woken,
            args=(self._server, self._wake[0]),
            name=f"farm-host-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and all open connections (idempotent).

        Replies still waiting out their ``delay`` are abandoned at once.
        """
        self._stopping.set()
        server, self._server = self._server, None
        if server is None:
            return
        if self._wake is not None:
            self._wake[1].send(b"x")
        if self._thread is not None:
            self._thread.join()
        server.server_close()
        if self._wake is not None:
            for sock in self._wake:
                sock.close()
            self._wake = None
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The local port (the host must be started)."""
        if self._server is None:
            raise RuntimeError(f"host {self.name} is not running")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """``"http://127.0.0.1:PORT"`` (``https`` with ``tls``; no trailing slash)."""
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://{LOCALHOST}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Return the local URL for ``path`` (``base_url + path``)."""
        return self.base_url + path

    def real_url(self, path: str = "/", scheme: str = "https") -> str:
        """Return the URL on the real host this server stands for, e.g. ``https://NAME/path``."""
        return f"{scheme}://{self.name}{path}"

    def remap_rule(self) -> str:
        """Return the ``"REGEX REPLACEMENT"`` rule mapping ``http(s)://NAME`` to :attr:`base_url`.

        See :func:`make_remap_rule`.
        """
        return make_remap_rule(self.name, self.base_url)

    # -- routes and bookkeeping ----------------------------------------------------------------

    def add(self, path: str, route: Route) -> None:
        """Add or replace the route for ``path`` (must start with ``/``; may include a query)."""
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/': {path!r}")
        served = _Served(route)
        with self._lock:
            self._routes[path] = served

    @property
    def requests(self) -> list[Request]:
        """A snapshot of the requests received so far, in arrival order.

        A request is recorded as soon as it has been read, before its reply's ``delay``.
        """
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[Exception]:
        """Exceptions raised by callable routes (each was answered with a 500)."""
        with self._lock:
            return list(self._errors)

    @property
    def open_connections(self) -> int:
        """The number of client connections currently open (e.g. kept alive)."""
        with self._lock:
            return len(self._connections)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def _reply_for(self, request: Request) -> Reply:
        with self._lock:
            served = self._routes.get(request.path)
            if served is None:
                served = self._routes.get(request.path.partition("?")[0], self._fallback)
        return served.reply(request)

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _record_error(self, exc: Exception) -> None:
        with self._lock:
            self._errors.append(exc)

    def _register(self, conn: socket.socket) -> bool:
        """Track ``conn`` so stop() can close it; False if the host is already stopping."""
        with self._lock:
            self._connections.add(conn)
        # stop() sets _stopping before it snapshots _connections: a connection registered after
        # the snapshot sees the flag here and is dropped by its handler.
        return not self._stopping.is_set()

    def _unregister(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "not running"
        return f"<Host {self.name} {where}>"


class Farm:
    """Several :class:`Host` servers, stopped together when the farm is closed."""

    def __init__(self) -> None:
        self._hosts: dict[str, Host] = {}

    def add_host(
        self,
        name: str,
        routes: Mapping[str, Route] | None = None,
        fallback: Route | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> Host:
        """Create and start a host standing in for ``name``; return it."""
        if name in self._hosts:
            raise ValueError(f"host {name!r} already in the farm")
        host = Host(name, routes, fallback, tls=tls).start()
        self._hosts[name] = host
        return host

    def __getitem__(self, name: str) -> Host:
        return self._hosts[name]

    @property
    def hosts(self) -> list[Host]:
        """The hosts in the order they were added."""
        return list(self._hosts.values())

    def remap_rules(self) -> list[str]:
        """One :meth:`Host.remap_rule` per host."""
        return [host.remap_rule() for host in self._hosts.values()]

    def remap_args(self) -> list[str]:
        """Command line arguments ``["--remap", rule, "--remap", rule, ...]`` for all hosts."""
        args: list[str] = []
        for rule in self.remap_rules():
            args += ["--remap", rule]
        return args

    def closed_port_rule(self, name: str) -> str:
        """A remap rule sending ``name`` to a port on 127.0.0.1 where nothing listens."""
        return make_remap_rule(name, f"http://{LOCALHOST}:{closed_port()}")

    def stop(self) -> None:
        """Stop all hosts."""
        for host in self._hosts.values():
            host.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
