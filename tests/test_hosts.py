"""Per-host settings: matching, validation of ``[[host]]``, secrets from the environment only,
headers per hop, accepted codes, pacing, ``User-Agent``, ``skip`` and ``exclude`` (respx).

The loopback tests (real servers, cross-host redirects, ``robots.txt``) are in
``test_hosts_loopback.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import respx

import factlinks
from conftest import CheckRunner, SleepRecorder, make_source
from factlinks import CheckOptions, HostSettings, OptionsError, RegistryError, RetryPolicy, Status
from factlinks._classify import classify
from factlinks._cli import main
from factlinks._fetch import Fetcher, make_client
from factlinks._hosts import HostTable, Pacer, match_host
from factlinks._models import FetchResult
from factlinks._options import DEFAULT_USER_AGENT
from factlinks._registry.sidecar import SIDECAR_NAME

ONE_TRY = RetryPolicy(attempts=1)
SECRET = "s3cr3t-Value-never-in-a-file"


# -- matching ---------------------------------------------------------------------------------


RULES = (
    HostSettings("*.example.org"),
    HostSettings("www.example.org"),
    HostSettings("*.docs.example.org"),
    HostSettings("*.example.org.uk"),
    HostSettings("bücher.example"),
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("www.example.org", "www.example.org", id="exact-beats-pattern"),
        pytest.param("api.example.org", "*.example.org", id="pattern-matches-subdomain"),
        pytest.param("a.b.example.org", "*.example.org", id="pattern-matches-deeper-subdomain"),
        pytest.param("example.org", None, id="pattern-does-not-match-its-apex"),
        pytest.param("x.docs.example.org", "*.docs.example.org", id="more-labels-win"),
        pytest.param("notexample.org", None, id="no-match-on-a-suffix-of-a-label"),
        pytest.param("WWW.Example.ORG.", "www.example.org", id="case-and-trailing-dot"),
        pytest.param("xn--bcher-kva.example", "xn--bcher-kva.example", id="idna-form"),
        pytest.param("other.test", None, id="no-match"),
    ],
)
def test_the_most_specific_table_applies(host: str, expected: str | None) -> None:
    rule = match_host(RULES, host)
    assert (rule.match if rule else None) == expected


def test_on_a_tie_the_first_table_wins() -> None:
    first = HostSettings("*.example.org", rps=1)
    second = HostSettings("*.example.org", rps=2)
    assert match_host([first, second], "a.example.org") is first


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"match": "*example.org"}, "match must be a host name", id="bad-glob"),
        pytest.param({"match": "a.*.org"}, "match must be a host name", id="inner-glob"),
        pytest.param({"match": ""}, "match must be a host name", id="empty"),
        pytest.param({"accept": frozenset({1000})}, "accept: 1000", id="accept-range"),
        pytest.param({"accept": frozenset({99})}, "accept: 99", id="accept-low"),
        pytest.param({"rps": 0.0}, "rps must be a positive", id="rps-zero"),
        pytest.param({"user_agent": "bad\nagent"}, "user_agent must be printable", id="ua"),
        pytest.param({"headers": {"User-Agent": "UA"}}, "use user_agent", id="ua-header"),
        pytest.param({"headers": {"Host": "H"}}, "cannot be set per host", id="host-header"),
        pytest.param({"headers": {"Bad Name": "X"}}, "not an HTTP header name", id="name"),
    ],
)
def test_host_settings_refuse_bad_values(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"match": "example.org", **changes}
    with pytest.raises(OptionsError, match=message):
        HostSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("literal", [SECRET, "Bearer abc", "ghp_abcDEF123", "lower_case"])
def test_a_literal_header_value_is_refused_without_being_quoted(literal: str) -> None:
    with pytest.raises(OptionsError, match="name of an environment variable") as caught:
        HostSettings("example.org", headers={"Authorization": literal})
    assert literal not in str(caught.value)


# -- the registry -----------------------------------------------------------------------------


def _load(tmp_path: Path, text: str) -> factlinks.Registry:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return factlinks.load_sources(path)


HOSTS_TOML = """\
[settings]
exclude = ['^https://intranet\\.', '\\.zip$']

[[source]]
id = "a"
url = "https://www.example.org/a"

[[host]]
match = "*.example.org"
headers = { Authorization = "EXAMPLE_TOKEN" }
accept = [403, 999]
rps = 2
user_agent = "Mozilla/5.0 (compatible; factlinks)"
robots = true

[[host]]
match = "login.example.net"
skip = "behind a login"
"""


def test_host_tables_and_exclude_reach_the_options(tmp_path: Path) -> None:
    options = _load(tmp_path, HOSTS_TOML).options()
    first, second = options.hosts
    assert first == HostSettings(
        "*.example.org",
        headers={"Authorization": "EXAMPLE_TOKEN"},
        accept=frozenset({403, 999}),
        rps=2.0,
        user_agent="Mozilla/5.0 (compatible; factlinks)",
        robots=True,
    )
    assert (first.line, second.line) == (8, 16)
    assert second.skip == "behind a login"
    assert options.exclude == ("^https://intranet\\.", "\\.zip$")
    assert options.excluded_by("https://x.org/file.zip") == "\\.zip$"
    assert options.excluded_by("https://x.org/file.pdf") is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            'match = "a.org"\nhedaers = {}',
            r"sources\.toml:3: \[\[host\]\] 'a\.org': unknown key 'hedaers'; "
            r"did you mean 'headers'\?",
            id="unknown-key",
        ),
        pytest.param(
            'match = "a.org"\naccept = "403"',
            r"sources\.toml:3: \[\[host\]\] 'a\.org': 'accept' must be a list",
            id="accept-type",
        ),
        pytest.param(
            'match = "a.org"\nrps = -1',
            r"sources\.toml:3: \[\[host\]\] 'a\.org': 'rps' must be a positive",
            id="rps-range",
        ),
        pytest.param(
            'match = "a.org"\nrobots = "yes"',
            r"sources\.toml:3: \[\[host\]\] 'a\.org': 'robots' must be true or false",
            id="robots-type",
        ),
        pytest.param(
            "rps = 1",
            r"sources\.toml:3: \[\[host\]\] #1: missing required key 'match'",
            id="no-match",
        ),
        pytest.param(
            'match = "a*.org"',
            r"sources\.toml:3: \[\[host\]\] 'a\*\.org': match must be a host name",
            id="bad-match",
        ),
        pytest.param(
            'match = "a.org"\nheaders = { X-Key = 42 }',
            r"sources\.toml:3: .*must be the name of an environment variable \(a string\)",
            id="header-type",
        ),
    ],
)
def test_host_errors_name_the_file_the_line_and_the_key(table: str, message: str) -> None:
    text = '[[source]]\nid = "a"\nurl = "https://a.org/"\n'.replace("\n", "\n", 1)
    text = f"# registry\n\n[[host]]\n{table}\n\n{text}"
    with pytest.raises(RegistryError, match=message):
        factlinks.parse_sources(text, path="sources.toml")


def test_a_secret_in_the_file_is_an_error_that_does_not_repeat_it() -> None:
    text = f'[[host]]\nmatch = "api.example.org"\nheaders = {{ Authorization = "{SECRET}" }}\n'
    with pytest.raises(RegistryError) as caught:
        factlinks.parse_sources(text, path="sources.toml")
    message = str(caught.value)
    assert message.startswith("sources.toml:1: [[host]] 'api.example.org': headers: ")
    assert "'Authorization'" in message
    assert "environment variable" in message
    assert SECRET not in message
    assert caught.value.key == "headers"


def test_a_duplicate_match_is_an_error() -> None:
    text = '[[host]]\nmatch = "a.org"\n\n[[host]]\nmatch = "A.org."\n'
    with pytest.raises(RegistryError, match=r"sources\.toml:4: .*duplicate match \(also line 1\)"):
        factlinks.parse_sources(text, path="sources.toml")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param('"x"', "'exclude' must be a list of regular expressions", id="type"),
        pytest.param('["(unclosed"]', "not a valid regular expression", id="regex"),
    ],
)
def test_a_bad_exclude_is_an_error(value: str, message: str) -> None:
    with pytest.raises(RegistryError, match=r"sources\.toml: \[settings\]: .*" + message):
        factlinks.parse_sources(f"[settings]\nexclude = {value}\n", path="sources.toml")


def test_a_bib_takes_its_host_tables_from_the_factlinks_toml_beside_it(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@online{A, title = {Alpha}, url = {https://docs.example.org/a}}\n", "utf-8")
    (tmp_path / SIDECAR_NAME).write_text(
        '[settings]\nexclude = ["/private/"]\n\n[[host]]\nmatch = "docs.example.org"\n'
        'accept = [403]\n\n[[host]]\nmatch = "x.org"\nbogus = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match=r"factlinks\.toml:8: \[\[host\]\] 'x\.org'"):
        factlinks.load_sources(bib)
    (tmp_path / SIDECAR_NAME).write_text(
        '[settings]\nexclude = ["/private/"]\n\n[[host]]\nmatch = "docs.example.org"\n'
        "accept = [403]\n",
        encoding="utf-8",
    )
    options = factlinks.load_sources(bib).options()
    assert [rule.match for rule in options.hosts] == ["docs.example.org"]
    assert options.hosts[0].accept == {403}
    assert options.exclude == ("/private/",)


# -- values from the environment --------------------------------------------------------------


def test_header_values_come_from_the_environment() -> None:
    rule = HostSettings("*.example.org", headers={"Authorization": "EXAMPLE_TOKEN"})
    table = HostTable([rule], {"EXAMPLE_TOKEN": SECRET})
    assert table.headers_for("https://api.example.org/x") == {"Authorization": SECRET}
    assert table.headers_for("https://example.org/x") == {}
    assert table.headers_for("https://evil.test/?api.example.org") == {}


@pytest.mark.parametrize(
    ("environ", "state"), [({}, "is not set"), ({"EXAMPLE_TOKEN": ""}, "is empty")]
)
def test_an_unset_variable_stops_the_run_with_its_name(environ: dict[str, str], state: str) -> None:
    rule = HostSettings(
        "api.example.org", headers={"Authorization": "EXAMPLE_TOKEN"}, path="s.toml", line=7
    )
    message = (
        r"s\.toml:7: \[\[host\]\] 'api\.example\.org': header 'Authorization' takes its value "
        rf"from the environment variable EXAMPLE_TOKEN, which {state}"
    )
    with pytest.raises(OptionsError, match=message):
        HostTable([rule], environ)


def test_a_variable_with_a_line_break_is_refused() -> None:
    rule = HostSettings("a.org", headers={"X-Key": "KEY"})
    with pytest.raises(OptionsError, match="line break"):
        HostTable([rule], {"KEY": "a\r\nInjected: 1"})


def test_the_cli_exits_2_when_a_header_variable_is_unset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FACTLINKS_TEST_TOKEN", raising=False)
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "a"\nurl = "https://api.example.org/a"\n\n'
        '[[host]]\nmatch = "api.example.org"\nheaders = { X-Key = "FACTLINKS_TEST_TOKEN" }\n',
        encoding="utf-8",
    )
    code = main(["check", str(registry), "--out", str(tmp_path / "out"), "--no-state"])
    err = capsys.readouterr().err
    assert code == 2
    assert "sources.toml:5: [[host]] 'api.example.org'" in err
    assert "FACTLINKS_TEST_TOKEN, which is not set" in err
    assert not (tmp_path / "out").exists()


# -- the fetcher: headers per hop, User-Agent, pacing ------------------------------------------


def _fetch(
    options: CheckOptions, url: str, environ: dict[str, str], sleeps: SleepRecorder
) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(options) as client:
            fetcher = Fetcher(
                client, options, sleep=sleeps, hosts=HostTable(options.hosts, environ)
            )
            return await fetcher.fetch(url)

    return asyncio.run(go())


def test_headers_go_to_the_matching_host_only_even_across_a_redirect(
    sleeps: SleepRecorder,
) -> None:
    rule = HostSettings("a.test", headers={"X-Key": "A_KEY"}, user_agent="AgentA/1.0")
    options = CheckOptions(timeout=5, retry=ONE_TRY, hosts=(rule,))
    with respx.mock(assert_all_called=True) as router:
        first = router.get("https://a.test/doc").respond(
            302, headers={"Location": "https://b.test/doc"}
        )
        second = router.get("https://b.test/doc").respond(
            302, headers={"Location": "https://a.test/final"}
        )
        third = router.get("https://a.test/final").respond(200, text="ok")
        result = _fetch(options, "https://a.test/doc", {"A_KEY": SECRET}, sleeps)
    assert result.status_code == 200
    for route in (first, third):
        assert route.calls.last.request.headers["X-Key"] == SECRET
        assert route.calls.last.request.headers["User-Agent"] == "AgentA/1.0"
    sent = second.calls.last.request.headers
    assert "X-Key" not in sent
    assert SECRET not in str(sent.raw)
    assert sent["User-Agent"] == DEFAULT_USER_AGENT


def test_a_host_user_agent_keeps_the_contact(sleeps: SleepRecorder) -> None:
    rule = HostSettings("a.test", user_agent="AgentA/1.0")
    options = CheckOptions(timeout=5, retry=ONE_TRY, hosts=(rule,), contact="me@example.org")
    with respx.mock() as router:
        route = router.get("https://a.test/").respond(200)
        _fetch(options, "https://a.test/", {}, sleeps)
    assert route.calls.last.request.headers["User-Agent"] == "AgentA/1.0 (mailto:me@example.org)"


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wake (in the order asked, which is the order of the targets here) at now + seconds."""
        target = self.now + seconds
        self.waits.append(seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, target)


def test_the_pacer_spaces_a_burst_evenly() -> None:
    time = FakeTime()
    pacer = Pacer(time.monotonic, time.sleep)
    sent: list[tuple[str, float]] = []

    async def one(host: str) -> None:
        await pacer.wait(host, 0.5)
        sent.append((host, time.now))

    async def burst() -> None:
        await asyncio.gather(*(one("a") for _ in range(4)), one("b"))

    asyncio.run(burst())
    starts = sorted(at for host, at in sent if host == "a")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps
    assert all(gap >= 0.5 - 1e-9 for gap in gaps)
    assert ("b", 0.0) in sent  # another host does not wait for this one's budget
    assert time.waits == [0.5, 1.0, 1.5]


def test_the_fetcher_paces_requests_to_a_host_with_rps() -> None:
    time = FakeTime()
    options = CheckOptions(
        timeout=5, retry=ONE_TRY, hosts=(HostSettings("*.a.test", rps=4),), per_host=4
    )
    arrivals: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        arrivals.append(request.url.host)
        return httpx.Response(200)

    async def go() -> None:
        async with make_client(options) as client:
            fetcher = Fetcher(
                client,
                options,
                sleep=time.sleep,
                monotonic=time.monotonic,
                hosts=HostTable(options.hosts, {}),
            )
            urls = [f"https://x.a.test/{n}" for n in range(3)] + ["https://other.test/"]
            await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    with respx.mock() as router:
        router.route().mock(side_effect=record)
        asyncio.run(go())
    assert sorted(arrivals) == ["other.test", *["x.a.test"] * 3]
    # The first request to x.a.test goes at once, the next two 1/4 s and 2/4 s later; the
    # other host waits for nothing.
    assert time.waits == [0.25, 0.5]


# -- accepted codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "accept", "status"),
    [
        pytest.param(403, frozenset({403}), Status.OK, id="403-accepted"),
        pytest.param(999, frozenset({403, 999}), Status.OK, id="999-accepted"),
        pytest.param(403, frozenset(), Status.BLOCKED, id="403-not-accepted"),
        pytest.param(404, frozenset({403}), Status.DEAD, id="other-code-unchanged"),
    ],
)
def test_accepted_codes_count_as_reachable(
    code: int, accept: frozenset[int], status: Status
) -> None:
    source = make_source("https://a.test/x", title="A title")
    fetch = FetchResult(url=source.url, final_url=source.url, status_code=code)
    verdict = classify(source, fetch, accept=accept)
    assert verdict.status is status
    if status is Status.OK:
        assert "accepted for this host" in verdict.reason


def test_accept_applies_by_the_host_that_answered(run_check: CheckRunner) -> None:
    options = CheckOptions(
        timeout=5,
        retry=ONE_TRY,
        probe_soft_404=False,
        hosts=(HostSettings("a.test", accept=frozenset({999})),),
    )
    with respx.mock() as router:
        router.get("https://a.test/x").respond(999)
        router.get("https://b.test/y").respond(302, headers={"Location": "https://a.test/x"})
        router.get("https://c.test/z").respond(999)
        report = run_check(
            [
                make_source("https://a.test/x", id="a"),
                make_source("https://b.test/y", id="b"),
                make_source("https://c.test/z", id="c"),
            ],
            options,
        )
    statuses = {r.source.id: r.status for r in report.results}
    assert statuses == {"a": Status.OK, "b": Status.OK, "c": Status.BLOCKED}


# -- skip and exclude -------------------------------------------------------------------------


def test_skip_and_exclude_skip_without_a_request(run_check: CheckRunner) -> None:
    options = CheckOptions(
        timeout=5,
        retry=ONE_TRY,
        probe_soft_404=False,
        exclude=(r"\.zip$",),
        hosts=(HostSettings("*.login.test", skip="behind a login"),),
    )
    with respx.mock() as router:
        fine = router.get("https://ok.test/").respond(200)
        report = run_check(
            [
                make_source("https://ok.test/", id="fine"),
                make_source("https://ok.test/big.zip", id="zip"),
                make_source("https://www.login.test/a", id="login"),
            ],
            options,
        )
    by_id = {r.source.id: r for r in report.results}
    assert by_id["fine"].status is Status.OK
    assert fine.call_count == 1
    assert by_id["zip"].status is Status.SKIPPED
    assert by_id["zip"].reason == "Skipped: the URL matches '\\\\.zip$' of [settings] exclude."
    assert by_id["login"].status is Status.SKIPPED
    assert by_id["login"].reason == "Skipped: behind a login ([[host]] '*.login.test')."


def test_headers_never_reach_the_archive_service(
    sleeps: SleepRecorder, clock: Callable[[], dt.datetime], executor: object
) -> None:
    rule = HostSettings("a.test", headers={"X-Key": "A_KEY"})
    options = CheckOptions(
        timeout=5,
        retry=ONE_TRY,
        probe_soft_404=False,
        hosts=(rule,),
        archive_api="https://archive.test/wayback/available",
    )
    with respx.mock() as router:
        dead = router.get("https://a.test/gone").respond(404)
        archive = router.get(url__startswith="https://archive.test/").respond(
            200, json={"archived_snapshots": {}}
        )
        report = asyncio.run(
            factlinks.check_async(
                [make_source("https://a.test/gone")],
                options,
                runtime=factlinks.Runtime(
                    sleep=sleeps,
                    clock=clock,
                    executor=executor,  # type: ignore[arg-type]
                    strict=True,
                    environ={"A_KEY": SECRET},
                ),
            )
        )
    assert report.results[0].status is Status.DEAD
    assert dead.calls.last.request.headers["X-Key"] == SECRET
    assert archive.called
    assert all("X-Key" not in call.request.headers for call in archive.calls)


def test_options_with_host_tables_pickle_and_compare() -> None:
    import pickle

    options = CheckOptions(hosts=(HostSettings("a.org", headers={"X-Key": "KEY"}, rps=1),))
    assert pickle.loads(pickle.dumps(options)) == options
    assert len({options.hosts[0], HostSettings("a.org", headers={"X-Key": "KEY"}, rps=1)}) == 1


def test_validate_reports_a_host_error_with_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "a"\nurl = "https://a.org/"\n\n[[host]]\nmatch = "a.org"\nrsp = 2\n',
        encoding="utf-8",
    )
    code = main(["validate", str(registry)])
    out = capsys.readouterr()
    assert code == 1
    assert "sources.toml:5: [[host]] 'a.org': unknown key 'rsp'; did you mean 'rps'?" in (
        out.out + out.err
    )
