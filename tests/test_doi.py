"""DOIs checked as DOIs: the DOI system's answers, what they do to a verdict, a whole check.

Unit tests mock doi.org with respx; the integration test runs a local DOI resolver and
registration agency (:mod:`doi_resolver`) and a local web of landing pages (:mod:`farm`).
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from pathlib import Path

import httpx
import jsonschema
import pytest
import respx

from doi_resolver import DoiResolver, Registered
from factlinks import CheckOptions, OptionsError, Source, Status
from factlinks._classify import Verdict
from factlinks._cli import main
from factlinks._doi.check import CSL_JSON, DoiChecker, contact_note
from factlinks._doi.verdict import doi_verdict, is_doi_url
from factlinks._fetch import Fetcher, make_client
from factlinks._models import DoiCheck, TitleEvidence
from factlinks._options import RetryPolicy
from factlinks._report.load import load_report
from farm import Farm, Reply

HANDBOOK = "10.1000/182"


def _check(options: CheckOptions, doi: str, title: str | None) -> DoiCheck:
    async def run() -> DoiCheck:
        async with make_client(options) as client:

            async def no_wait(seconds: float) -> None:
                return None

            fetcher = Fetcher(client, options, sleep=no_wait)
            return await DoiChecker(fetcher.fetch, options.doi_resolver).check(doi, title)

    return asyncio.run(run())


def _handle(doi: str, target: str) -> httpx.Response:
    values = [{"index": 1, "type": "URL", "data": {"format": "string", "value": target}}]
    return httpx.Response(200, json={"responseCode": 1, "handle": doi, "values": values})


# -- the DOI system's answers -----------------------------------------------------------------


@respx.mock
def test_a_registered_doi_with_its_title_is_verified() -> None:
    api = respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=_handle(HANDBOOK, "https://www.doi.org/hb.html")
    )
    cn = respx.get(f"https://doi.org/{HANDBOOK}").mock(
        return_value=httpx.Response(
            302, headers={"Location": "https://api.crossref.org/v1/works/10.1000/182/transform"}
        )
    )
    respx.get("https://api.crossref.org/v1/works/10.1000/182/transform").mock(
        return_value=httpx.Response(
            200,
            json={"title": "The DOI Handbook", "subtitle": ["Edition 5"]},
            headers={"Content-Type": CSL_JSON},
        )
    )
    options = CheckOptions(contact="editor@example.org")
    check = _check(options, HANDBOOK, "The DOI handbook: edition 5")
    assert check.registered is True
    assert check.target == "https://www.doi.org/hb.html"
    assert check.metadata_title == "The DOI Handbook"
    assert check.title is not None
    assert check.title.matched
    assert check.verified
    assert "registered, resolving to https://www.doi.org/hb.html" in check.detail
    sent = cn.calls.last.request
    assert sent.headers["Accept"] == CSL_JSON
    assert sent.headers["User-Agent"].endswith("(mailto:editor@example.org)")
    assert api.calls.last.request.headers["Accept"] == "application/json"


@respx.mock
def test_a_doi_the_handle_api_does_not_know_is_not_registered() -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=httpx.Response(404, json={"responseCode": 100, "handle": HANDBOOK})
    )
    check = _check(CheckOptions(), HANDBOOK, "The DOI Handbook")
    assert check.registered is False
    assert not check.verified
    assert check.detail == "the handle API at https://doi.org answered: not registered"
    assert len(respx.calls) == 1  # no metadata asked for a DOI that is not there


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        pytest.param(
            httpx.Response(503), "the handle API did not answer|HTTP 503", id="server-error"
        ),
        pytest.param(
            httpx.Response(404, text="<h1>Not Found</h1>", headers={"Content-Type": "text/html"}),
            "gave no handle answer (HTTP 404)",
            id="a-mirror-without-the-api",
        ),
        pytest.param(
            httpx.Response(200, json=["not", "a", "handle"]),
            "gave no handle answer (HTTP 200)",
            id="not-a-handle-record",
        ),
    ],
)
@respx.mock
def test_an_answer_that_is_not_the_handle_api_s_tells_nothing(
    reply: httpx.Response, said: str
) -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=reply
    )
    respx.get(f"https://doi.org/{HANDBOOK}").mock(return_value=httpx.Response(503))
    options = CheckOptions(retry=RetryPolicy(attempts=1))
    check = _check(options, HANDBOOK, "The DOI Handbook")
    assert check.registered is None
    assert not check.verified
    assert any(part in check.detail for part in said.split("|"))


@respx.mock
def test_metadata_from_the_agency_shows_registration_when_the_handle_api_does_not() -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=httpx.Response(404, html="<h1>Not Found</h1>")
    )
    respx.get(f"https://doi.org/{HANDBOOK}").mock(
        return_value=httpx.Response(
            200,
            content=json.dumps({"DOI": HANDBOOK, "title": "The DOI Handbook"}).encode(),
            headers={"Content-Type": CSL_JSON},
        )
    )
    check = _check(CheckOptions(retry=RetryPolicy(attempts=1)), HANDBOOK, "The DOI Handbook")
    assert (check.registered, check.verified) == (True, True)
    assert "gave no handle answer (HTTP 404)" in check.detail
    assert check.detail.endswith("names the title 'The DOI Handbook', so it is registered")


@respx.mock
def test_an_agency_without_content_negotiation_gives_no_metadata() -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=_handle(HANDBOOK, "https://journal.example/a")
    )
    respx.get(f"https://doi.org/{HANDBOOK}").mock(
        return_value=httpx.Response(302, headers={"Location": "https://journal.example/a"})
    )
    respx.get("https://journal.example/a").mock(
        return_value=httpx.Response(200, html="<title>The DOI Handbook</title>")
    )
    check = _check(CheckOptions(), HANDBOOK, "The DOI Handbook")
    assert (check.registered, check.metadata_title, check.title) == (True, None, None)
    assert not check.verified  # registered, but its title was not seen
    assert "gave no CSL-JSON metadata" in check.detail


@respx.mock
def test_a_title_given_as_a_list_and_another_title() -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=_handle(HANDBOOK, "https://journal.example/a")
    )
    respx.get(f"https://doi.org/{HANDBOOK}").mock(
        return_value=httpx.Response(
            200, json={"title": ["", "Erratum"]}, headers={"Content-Type": "application/json"}
        )
    )
    check = _check(CheckOptions(), HANDBOOK, "The DOI Handbook")
    assert check.metadata_title == "Erratum"
    assert check.other_title
    assert not check.verified


@respx.mock
def test_without_a_title_to_look_for_registration_is_enough() -> None:
    respx.get(f"https://doi.org/api/handles/{HANDBOOK}", params={"type": "URL"}).mock(
        return_value=_handle(HANDBOOK, "https://journal.example/a")
    )
    check = _check(CheckOptions(), HANDBOOK, None)
    assert check.verified
    assert len(respx.calls) == 1


@respx.mock
def test_the_resolver_is_a_setting() -> None:
    mirror = "http://mirror.example:8080/doi"
    respx.get(f"{mirror}/api/handles/10.1000/a%23b", params={"type": "URL"}).mock(
        return_value=httpx.Response(404, json={"responseCode": 100, "handle": "10.1000/a#b"})
    )
    check = _check(CheckOptions(doi_resolver=mirror), "10.1000/a#b", "T")
    assert check.registered is False
    assert check.resolver == mirror
    options = CheckOptions(doi_resolver=mirror)
    assert options.transport_url("https://dx.doi.org/10.1000/x?y=1") == f"{mirror}/10.1000/x?y=1"
    assert options.transport_url("https://example.org/") == "https://example.org/"
    assert CheckOptions().transport_url("https://doi.org/10.1000/x") == "https://doi.org/10.1000/x"


@respx.mock
def test_a_doi_is_sent_as_doi_org_writes_it() -> None:
    """Brackets, colons and semicolons as they are; only what a URL cannot hold encoded."""
    sici = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    written = "10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0"
    route = respx.get(f"https://doi.org/api/handles/{written}?type=URL").mock(
        return_value=httpx.Response(404, json={"responseCode": 100, "handle": sici})
    )
    assert _check(CheckOptions(), sici, "T").registered is False
    assert route.called


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contact": "not an address"}, "contact must be an e-mail address"),
        ({"doi_resolver": "doi.org"}, "doi_resolver must be an http or https URL"),
        ({"doi_resolver": "https://doi.org/?x=1"}, "doi_resolver must be an http or https URL"),
    ],
)
def test_bad_doi_settings_are_refused(changes: dict[str, str], message: str) -> None:
    with pytest.raises(OptionsError, match=message):
        CheckOptions(**changes)  # type: ignore[arg-type]


# -- what the DOI system's answer does to a verdict -------------------------------------------

_PAGE = "https://journal.example/a"
_DOI_URL = "https://doi.org/10.1000/182"


def _evidence(matched: bool) -> TitleEvidence:
    return TitleEvidence("The DOI Handbook", matched, 100.0 if matched else 20.0, found="Other")


_REGISTERED = DoiCheck(
    HANDBOOK,
    "https://doi.org",
    True,
    _PAGE,
    "The DOI Handbook",
    "The DOI Handbook",
    _evidence(True),
    "registered",
)
_UNKNOWN = DoiCheck(HANDBOOK, "https://doi.org", None, detail="no answer")
_GONE = DoiCheck(HANDBOOK, "https://doi.org", False, detail="not registered")
_OTHER = DoiCheck(
    HANDBOOK,
    "https://doi.org",
    True,
    _PAGE,
    "The DOI Handbook",
    "Other",
    _evidence(False),
    "registered",
)


@pytest.mark.parametrize(
    ("url", "landing", "check", "status"),
    [
        (_DOI_URL, Status.BLOCKED, _REGISTERED, Status.OK),
        (_PAGE, Status.BLOCKED, _REGISTERED, Status.OK),
        (_DOI_URL, Status.UNVERIFIABLE, _REGISTERED, Status.OK),
        (_DOI_URL, Status.DRIFTED, _REGISTERED, Status.OK),
        (_PAGE, Status.DRIFTED, _REGISTERED, Status.DRIFTED),
        (_DOI_URL, Status.DEAD, _REGISTERED, Status.DEAD),
        (_DOI_URL, Status.UNREACHABLE, _REGISTERED, Status.UNREACHABLE),
        (_PAGE, Status.MOVED, _REGISTERED, Status.MOVED),
        (_DOI_URL, Status.OK, _GONE, Status.DEAD),
        (_PAGE, Status.OK, _GONE, Status.DEAD),
        (_DOI_URL, Status.OK, _OTHER, Status.DRIFTED),
        (_DOI_URL, Status.BLOCKED, _OTHER, Status.DRIFTED),
        (_DOI_URL, Status.BLOCKED, _UNKNOWN, Status.BLOCKED),
        (_DOI_URL, Status.OK, _UNKNOWN, Status.OK),
    ],
)
def test_doi_verdict(url: str, landing: Status, check: DoiCheck, status: Status) -> None:
    source = Source("s", url, title="The DOI Handbook", doi=HANDBOOK)
    verdict = doi_verdict(Verdict(landing, "Landing said so."), check, source)
    assert verdict.status is status
    assert "Landing said so." in verdict.reason or verdict.status in (Status.DRIFTED, Status.DEAD)
    if status is Status.OK and landing is not Status.OK:
        assert verdict.reason.startswith("Verified through the DOI system: 10.1000/182 is ")


def test_a_run_without_a_contact_is_told_how_to_join_the_polite_pool() -> None:
    (note,) = contact_note(3, CheckOptions())
    assert note.startswith("3 DOIs were checked without a contact address: set contact = ")
    assert contact_note(0, CheckOptions()) == ()
    assert contact_note(1, CheckOptions(contact="a@b.example")) == ()
    assert contact_note(1, CheckOptions(doi_resolver="http://127.0.0.1:9")) == ()


def test_is_doi_url() -> None:
    assert is_doi_url(Source("s", "https://dx.doi.org/10.1000/ABC"))
    assert is_doi_url(Source("s", "https://doi.org/10.1000/abc", doi="10.1000/ABC"))
    assert not is_doi_url(Source("s", "https://doi.org/10.1000/abc", doi="10.1000/other"))
    assert not is_doi_url(Source("s", _PAGE, doi=HANDBOOK))


# -- a whole check, on a local web and a local DOI resolver -----------------------------------

_REGISTRY = """\
[[source]]
id = "landing-ok"
doi = "10.5555/landing-ok"
title = "Reference Rot in Scholarly Statements"

[[source]]
id = "bot-wall"
url = "https://dx.doi.org/10.5555/BOT-WALL"
title = "Scholarly Context Not Found"

[[source]]
id = "same-doi-again"
url = "https://doi.org/10.5555/LANDING-OK"
title = "Reference Rot in Scholarly Statements"

[[source]]
id = "not-registered"
doi = "doi:10.5555/never-registered"
title = "A Paper That Was Never Registered"

[[source]]
id = "other-title"
doi = "10.5555/other-title"
title = "The Expected Title"

[[source]]
id = "publisher-and-doi"
url = "https://journal.example.org/article/7"
doi = "10.5555/publisher"
title = "Persistent Identifiers in Practice"

[[source]]
id = "script-shell"
doi = "10.5555/script"
title = "A Landing Page Built by Script"

[[source]]
id = "no-negotiation"
doi = "10.5555/no-cn"
title = "An Agency Without Content Negotiation"

[[source]]
id = "landing-gone"
doi = "10.5555/gone"
title = "A Registered DOI Whose Page Is Gone"
"""

_WALL = Reply.html("<title>Just a moment...</title><p>Checking your browser</p>", status=403)


@pytest.mark.integration
def test_check_dois_through_a_local_resolver(tmp_path: Path) -> None:
    registry = tmp_path / "sources.toml"
    registry.write_text(_REGISTRY, "utf-8")
    out = tmp_path / "out"
    journal = "https://journal.example.org"
    dois = {
        "10.5555/landing-ok": Registered(f"{journal}/rot", "Reference rot in scholarly statements"),
        "10.5555/bot-wall": Registered(f"{journal}/wall", "Scholarly Context Not Found"),
        "10.5555/other-title": Registered(f"{journal}/other", "Corrigendum to an earlier paper"),
        "10.5555/publisher": Registered(
            f"{journal}/article/7", "Persistent identifiers in practice"
        ),
        "10.5555/script": Registered(f"{journal}/app", "A landing page built by script"),
        "10.5555/no-cn": Registered(f"{journal}/no-cn", "ignored", negotiable=False),
        "10.5555/gone": Registered(f"{journal}/gone", "A registered DOI whose page is gone"),
    }
    with Farm() as farm, DoiResolver(dois) as resolver:
        farm.add_host(
            "journal.example.org",
            {
                "/rot": Reply.html("<h1>Reference Rot in Scholarly Statements</h1>"),
                "/wall": _WALL,
                "/other": Reply.html("<h1>Corrigendum to an earlier paper</h1>"),
                "/article/7": Reply.html("<h1>Persistent Identifiers in Practice</h1>"),
                "/app": Reply.html("<div id='root'></div><script src='/app.js'></script>"),
                "/no-cn": _WALL,
            },
        )
        argv = ["check", str(registry), "--out", str(out), "--format", "json,md", "--no-archive"]
        argv += ["--timeout", "3", "--doi-resolver", resolver.url]
        argv += ["--contact", "editor@example.org", *farm.remap_args()]
        code = main(argv)
        resolver_requests = resolver.resolver.requests
    assert code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    results = {s["id"]: s for s in report["sources"]}
    assert {key: value["status"] for key, value in results.items()} == {
        "landing-ok": "ok",
        "same-doi-again": "ok",
        "bot-wall": "ok",  # the bot wall does not hide a registered DOI with its title
        "not-registered": "dead",
        "other-title": "drifted",
        "publisher-and-doi": "ok",
        "script-shell": "ok",  # verified in the metadata; the page is built by script
        "no-negotiation": "blocked",  # registered, but nothing showed the title
        "landing-gone": "dead",  # registered, but a reader following it gets a 404
    }
    assert results["bot-wall"]["reason"].startswith(
        "Verified through the DOI system: 10.5555/BOT-WALL is registered and its metadata"
    )
    assert "is not registered" in results["not-registered"]["reason"]
    assert "'Corrigendum to an earlier paper'" in results["other-title"]["reason"]
    handles = [r for r in resolver_requests if r.path.startswith("/api/handles/")]
    assert len(handles) == 8  # one registration look-up per DOI, however often it is cited
    assert all("mailto:editor@example.org" in r.headers["user-agent"] for r in resolver_requests)
    assert not any("factlinks-probe" in r.path for r in resolver_requests)
    assert not any("contact address" in note for note in report["notes"])  # --contact given
    # report.json holds what the DOI system said, valid by the schema, and it loads back
    schema = resources.files("factlinks").joinpath("report.schema.json").read_text("utf-8")
    jsonschema.validate(report, json.loads(schema))
    wall = results["bot-wall"]["doi_check"]
    assert (wall["doi"], wall["registered"], wall["verified"]) == ("10.5555/BOT-WALL", True, True)
    assert wall["title"]["where"] == "doi metadata"
    assert results["not-registered"]["doi_check"]["registered"] is False
    loaded = {r.source.id: r for r in load_report(report).results}
    for key, item in results.items():
        check = loaded[key].doi_check
        assert check is not None
        assert check.verified is item["doi_check"]["verified"]
        assert check.detail == item["doi_check"]["detail"]
