"""Tests of the test-support modules ``farm`` (local HTTP hosts) and ``pdfgen`` (PDF files)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from pypdf import PdfReader

import farm
import pdfgen
from farm import Farm, Host, Reply, Request


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # trust_env=False: never route 127.0.0.1 through a proxy from the environment.
    with httpx.Client(trust_env=False, timeout=5.0) as c:
        yield c


def apply_rules(rules: list[str], url: str) -> str:
    for rule in rules:
        pattern, replacement = rule.split(" ", 1)
        url = re.sub(pattern, replacement, url)
    return url


def wait_until(condition: object, timeout: float = 2.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


# -- farm ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_replies_and_helpers(client: httpx.Client) -> None:
    routes: dict[str, farm.Route] = {
        "/": Reply.html("<p>Hallo Welt</p>", title="Start & Ziel"),
        "/doc.pdf": Reply.pdf(b"%PDF-fake", headers={"X-Extra": "1"}),
        "/custom": Reply(status=203, headers={"X-Test": "yes"}, body=b"abc", content_type="a/b"),
        "/old": Reply.redirect("/new", status=308),
        "/gone": Reply.not_found(),
        "/full": Reply.html("<!DOCTYPE html><html><body>own</body></html>"),
    }
    with Host("www.example.org", routes) as host:
        assert host.base_url == f"http://127.0.0.1:{host.port}"
        page = client.get(host.url("/"))
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-length"] == str(len(page.content))
        assert "<title>Start &amp; Ziel</title>" in page.text
        assert "<p>Hallo Welt</p>" in page.text

        pdf = client.get(host.url("/doc.pdf"))
        assert pdf.content == b"%PDF-fake"
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["x-extra"] == "1"

        custom = client.get(host.url("/custom"))
        assert (custom.status_code, custom.content) == (203, b"abc")
        assert custom.headers["x-test"] == "yes"
        assert custom.headers["content-type"] == "a/b"

        old = client.get(host.url("/old"))
        assert old.status_code == 308
        assert old.headers["location"] == "/new"

        gone = client.get(host.url("/gone"))
        assert gone.status_code == 404
        assert "Not Found" in gone.text

        assert client.get(host.url("/full")).text == "<!DOCTYPE html><html><body>own</body></html>"


@pytest.mark.integration
def test_head_sends_length_without_body(client: httpx.Client) -> None:
    with Host("h.example", {"/x": Reply(body=b"12345")}) as host:
        response = client.head(host.url("/x"))
        assert response.status_code == 200
        assert response.headers["content-length"] == "5"
        assert response.content == b""
        # The keep-alive connection is still usable after a HEAD.
        assert client.get(host.url("/x")).content == b"12345"
        assert [r.method for r in host.requests] == ["HEAD", "GET"]


@pytest.mark.integration
def test_fallback_default_and_custom(client: httpx.Client) -> None:
    with Host("a.example") as host:
        response = client.get(host.url("/nothing/here"))
        assert response.status_code == 404
        assert "Not Found" in response.text
    with Host("b.example", fallback=Reply(status=410, body=b"gone")) as host:
        response = client.get(host.url("/anything?x=1"))
        assert (response.status_code, response.content) == (410, b"gone")


@pytest.mark.integration
def test_reply_sequence_last_repeats(client: httpx.Client) -> None:
    replies = [Reply(status=503), Reply(status=429), Reply(body=b"ok")]
    with Host("flaky.example", {"/f": replies}) as host:
        statuses = [client.get(host.url("/f")).status_code for _ in range(5)]
        assert statuses == [503, 429, 200, 200, 200]


@pytest.mark.integration
def test_callable_route_sees_request(client: httpx.Client) -> None:
    def route(request: Request) -> Reply:
        return Reply(body=f"{request.method} {request.path} {request.headers['x-probe']}".encode())

    with Host("c.example", {"/echo": route}) as host:
        response = client.get(host.url("/echo?a=1"), headers={"X-Probe": "Wert"})
        assert response.content == b"GET /echo?a=1 Wert"
        (seen,) = host.requests
        assert seen.headers["host"] == f"127.0.0.1:{host.port}"
        assert all(key == key.lower() for key in seen.headers)


@pytest.mark.integration
def test_broken_callable_route_gives_500(client: httpx.Client) -> None:
    def route(request: Request) -> Reply:
        raise RuntimeError("boom")

    with Host("d.example", {"/x": route}) as host:
        assert client.get(host.url("/x")).status_code == 500
        assert [str(e) for e in host.errors] == ["boom"]


@pytest.mark.integration
def test_query_matching(client: httpx.Client) -> None:
    routes: dict[str, farm.Route] = {
        "/search?q=exact": Reply(body=b"exact"),
        "/search": Reply(body=b"plain"),
    }
    with Host("q.example", routes) as host:
        assert client.get(host.url("/search?q=exact")).content == b"exact"
        assert client.get(host.url("/search?q=other")).content == b"plain"
        assert client.get(host.url("/search")).content == b"plain"
        host.add("/search?q=other", Reply(body=b"added"))
        assert client.get(host.url("/search?q=other")).content == b"added"
        assert [r.path for r in host.requests][-1] == "/search?q=other"
        host.clear_requests()
        assert host.requests == []


@pytest.mark.integration
def test_delay_does_not_block_other_requests() -> None:
    delay = 0.3
    routes: dict[str, farm.Route] = {"/slow": Reply(body=b"slow", delay=delay), "/fast": Reply()}
    with Host("slow.example", routes) as host:
        results: dict[str, float] = {}

        def fetch_slow() -> None:
            started = time.monotonic()
            with httpx.Client(trust_env=False) as c:
                assert c.get(host.url("/slow")).content == b"slow"
            results["slow"] = time.monotonic() - started

        thread = threading.Thread(target=fetch_slow)
        thread.start()
        wait_until(lambda: len(host.requests) == 1)  # the slow request is being delayed
        with httpx.Client(trust_env=False) as c:
            assert c.get(host.url("/fast")).status_code == 200
        assert "slow" not in results  # the fast answer came while the slow one was delayed
        thread.join()
        assert results["slow"] >= delay


@pytest.mark.integration
def test_stop_interrupts_delay_and_closes_connections(client: httpx.Client) -> None:
    host = Host("stop.example", {"/hang": Reply(delay=30.0), "/": Reply()}).start()
    assert client.get(host.url("/")).status_code == 200
    wait_until(lambda: host.open_connections == 1)  # kept alive

    errors: list[Exception] = []

    def fetch_hanging() -> None:
        try:
            with httpx.Client(trust_env=False) as c:
                c.get(host.url("/hang"))
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=fetch_hanging)
    thread.start()
    wait_until(lambda: len(host.requests) == 2)
    url = host.url("/")
    host.stop()
    thread.join(timeout=15)  # the delay is 30 s: only an interrupted reply ends before
    assert not thread.is_alive()
    assert len(errors) == 1
    wait_until(lambda: host.open_connections == 0)
    with pytest.raises(httpx.TransportError):
        client.get(url)
    host.stop()  # idempotent


@pytest.mark.integration
def test_client_disconnect_mid_response_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    big = b"x" * (16 * 1024 * 1024)
    with Host("big.example", {"/big": Reply(body=big), "/": Reply(body=b"ok")}) as host:
        with socket.create_connection(("127.0.0.1", host.port)) as sock:
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: big.example\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
        wait_until(lambda: host.open_connections == 0)
        # Also a client that goes away before the reply is sent.
        host.add("/late", Reply(delay=0.05))
        with socket.create_connection(("127.0.0.1", host.port)) as sock:
            sock.sendall(b"GET /late HTTP/1.1\r\nHost: big.example\r\n\r\n")
            wait_until(lambda: len(host.requests) == 2)
        wait_until(lambda: host.open_connections == 0)
        with httpx.Client(trust_env=False) as c:
            assert c.get(host.url("/")).content == b"ok"
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


@pytest.mark.integration
@pytest.mark.parametrize(
    ("url", "expected_path"),
    [
        ("https://www.kfw.de/foo?x=1#frag", "/foo?x=1#frag"),
        ("http://www.kfw.de/", "/"),
        ("https://www.kfw.de", ""),
        ("https://www.kfw.de?x=1", "?x=1"),
        ("https://www.kfw.de:443/p", "/p"),
        ("https://www.kfw.de#top", "#top"),
    ],
)
def test_remap_rule_matches(url: str, expected_path: str) -> None:
    with Host("www.kfw.de") as host:
        rule = host.remap_rule()
        assert apply_rules([rule], url) == host.base_url + expected_path


@pytest.mark.integration
@pytest.mark.parametrize(
    "url",
    [
        "https://www.kfw.de.evil.com/x",
        "https://www.kfw.dex/",
        "https://wwwxkfw.de/",
        "https://sub.www.kfw.de/",
        "ftp://www.kfw.de/",
        "https://example.com/?u=http%3A%2F%2Fwww.kfw.de",
    ],
)
def test_remap_rule_leaves_other_urls(url: str) -> None:
    with Host("www.kfw.de") as host:
        assert apply_rules([host.remap_rule()], url) == url


@pytest.mark.integration
def test_farm_remaps_and_serves(client: httpx.Client) -> None:
    with Farm() as f:
        kfw = f.add_host("www.kfw.de", {"/a": Reply(body=b"kfw")})
        bund = f.add_host("www.bund.de", {"/b": Reply(body=b"bund")})
        assert f["www.kfw.de"] is kfw
        assert f.hosts == [kfw, bund]
        assert f.remap_rules() == [kfw.remap_rule(), bund.remap_rule()]
        assert f.remap_args() == ["--remap", kfw.remap_rule(), "--remap", bund.remap_rule()]
        rules = f.remap_rules()
        assert client.get(apply_rules(rules, "https://www.kfw.de/a")).content == b"kfw"
        assert client.get(apply_rules(rules, "http://www.bund.de/b")).content == b"bund"
        assert client.get(apply_rules(rules, "https://www.bund.de/a")).status_code == 404
        with pytest.raises(ValueError, match="already in the farm"):
            f.add_host("www.kfw.de")
    with pytest.raises(RuntimeError, match="not running"):
        _ = kfw.port


@pytest.mark.integration
def test_closed_port_rule_refuses(client: httpx.Client) -> None:
    assert 0 < farm.closed_port() < 65536
    with Farm() as f:
        rule = f.closed_port_rule("dead.example")
        url = apply_rules([rule], "https://dead.example/x")
        assert url.startswith("http://127.0.0.1:")
        with pytest.raises(httpx.ConnectError):
            client.get(url)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="not a host name"):
        Host("https://www.kfw.de")
    with pytest.raises(ValueError, match="must start with '/'"):
        Host("ok.example", {"no-slash": Reply()})
    with pytest.raises(ValueError, match="must not be empty"):
        Host("ok.example", {"/empty": []})
    with pytest.raises(TypeError, match="expected Reply"):
        Host("ok.example", {"/bad": [Reply(), "x"]})  # type: ignore[list-item]


# -- pdfgen ----------------------------------------------------------------------------------


def read_pdf(data: bytes, caplog: pytest.LogCaptureFixture) -> PdfReader:
    """Parse strictly and fail on any warning (``warnings`` or pypdf's logger)."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = PdfReader(BytesIO(data), strict=True)
        for page in reader.pages:
            page.extract_text()
        _ = reader.metadata, reader.xmp_metadata
    assert caplog.records == []
    return reader


DASH = "\u2013"  # en dash, written as an escape to keep ruff's RUF001 quiet
GERMAN = f"Förderkredit für Äpfel, Öl und Übergröße {DASH} 2021{DASH}2024 (Stand: 1.\\2.)"


def test_pdf_text_title_producer(caplog: pytest.LogCaptureFixture) -> None:
    data = pdfgen.make_pdf(
        [f"Erste Zeile\n{GERMAN}", "Seite zwei\n\nnach Leerzeile"],
        title=f"Förderung {DASH} Überblick",
        producer="pdfgen",
    )
    assert data.startswith(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    assert data.endswith(b"%%EOF\n")
    reader = read_pdf(data, caplog)
    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text()
    assert first.splitlines() == ["Erste Zeile", GERMAN]
    assert "nach Leerzeile" in reader.pages[1].extract_text()
    assert reader.metadata is not None
    assert reader.metadata.title == f"Förderung {DASH} Überblick"
    assert reader.metadata.producer == "pdfgen"
    assert reader.xmp_metadata is None


def test_pdf_ascii_title_and_xmp(caplog: pytest.LogCaptureFixture) -> None:
    data = pdfgen.make_pdf(
        ["x"], title="Plain (ASCII) title", xmp_title=f"XMP {DASH} <Titel> & Übersicht"
    )
    assert b"/Title (Plain \\(ASCII\\) title)" in data
    reader = read_pdf(data, caplog)
    assert reader.metadata is not None
    assert reader.metadata.title == "Plain (ASCII) title"
    assert reader.metadata.producer is None
    assert reader.xmp_metadata is not None
    assert reader.xmp_metadata.dc_title == {"x-default": f"XMP {DASH} <Titel> & Übersicht"}


def test_pdf_xref_offsets_are_exact() -> None:
    data = pdfgen.make_pdf(["a", "b", "c"], title="t", xmp_title="x", producer="p")
    startxref = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert data[startxref:].startswith(b"xref\n")
    lines = data[startxref:].split(b"\n")
    count = int(lines[1].split()[1])
    entries = data[startxref + len(lines[0]) + len(lines[1]) + 2 :][: 20 * count]
    assert entries.startswith(b"0000000000 65535 f \n")
    for number in range(1, count):
        entry = entries[20 * number : 20 * (number + 1)]
        assert entry.endswith(b" 00000 n \n")
        assert data[int(entry[:10]) :].startswith(b"%d 0 obj\n" % number)
    assert f"/Size {count} ".encode() in data


def test_pdf_without_text(caplog: pytest.LogCaptureFixture) -> None:
    reader = read_pdf(pdfgen.make_pdf_without_text(3), caplog)
    assert len(reader.pages) == 3
    assert all(page.extract_text() == "" for page in reader.pages)
    assert reader.metadata is not None
    assert reader.metadata.title is None


def test_pdf_is_deterministic_and_validates() -> None:
    assert pdfgen.make_pdf(["same"], title="t") == pdfgen.make_pdf(["same"], title="t")
    with pytest.raises(ValueError, match="WinAnsiEncoding"):
        pdfgen.make_pdf(["Emoji 🙂"])
    with pytest.raises(ValueError, match="at least one page"):
        pdfgen.make_pdf([])
    with pytest.raises(ValueError, match="at least one page"):
        pdfgen.make_pdf_without_text(0)
    with pytest.raises(TypeError):
        pdfgen.make_pdf("not a list")


@pytest.mark.integration
def test_pdf_served_by_farm(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    data = pdfgen.make_pdf(["Zinssatz 2,5 %"], title="Merkblatt")
    with Farm() as f:
        host = f.add_host("www.kfw.de", {"/merkblatt.pdf": Reply.pdf(data)})
        url = apply_rules(f.remap_rules(), "https://www.kfw.de/merkblatt.pdf")
        reader = read_pdf(client.get(url).content, caplog)
        assert reader.pages[0].extract_text() == "Zinssatz 2,5 %"
        assert host.requests[0].path == "/merkblatt.pdf"
