"""Sharding a registry (``_shard.py``): the key, the plan, ``--shard K/N`` and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

import factlinks
from conftest import make_source
from factlinks import OptionsError
from factlinks._cli import main
from factlinks._registry import Registry
from factlinks._shard import (
    parse_shard,
    registry_digest,
    select_shard,
    shard_key,
    shard_note,
    shard_plan,
)


@pytest.mark.parametrize(
    ("url", "extra", "key"),
    [
        pytest.param("https://www.kfw.de/a.pdf", {}, "kfw.de", id="www-and-bare-are-one-site"),
        pytest.param("https://kfw.de/b", {}, "kfw.de", id="bare-domain"),
        pytest.param("https://a.b.example.co.uk/x", {}, "example.co.uk", id="two-label-suffix"),
        pytest.param("https://alice.github.io/p", {}, "alice.github.io", id="private-suffix"),
        pytest.param("https://WWW.KFW.DE./c", {}, "kfw.de", id="case-and-trailing-dot"),
        pytest.param("http://192.0.2.7:8080/x", {}, "192.0.2.7", id="ipv4-is-its-own-key"),
        pytest.param("http://[2001:db8::1]/x", {}, "2001:db8::1", id="ipv6-is-its-own-key"),
        pytest.param("http://localhost:9/x", {}, "localhost", id="single-label-own-key"),
        pytest.param("https://doi.org/10.1000/182", {}, "doi:10.1000", id="doi-url-by-prefix"),
        pytest.param(
            "https://dx.doi.org/10.5555/12345678", {}, "doi:10.5555", id="dx-doi-by-prefix"
        ),
        pytest.param(
            "https://journal.example.org/article/7",
            {"doi": "10.1000/7"},
            "example.org",
            id="landing-url-with-doi-by-its-domain",
        ),
    ],
)
def test_shard_key(url: str, extra: dict[str, str], key: str) -> None:
    assert shard_key(make_source(url, **extra)) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/4", (1, 4)), ("4/4", (4, 4)), (" 2 / 3 ", (2, 3)), ("1/1", (1, 1))],
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text, {}) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("0/4", "K must be a whole number from 1 to 4", id="zero"),
        pytest.param("5/4", "K must be a whole number from 1 to 4", id="past-n"),
        pytest.param("x/y", "expected K/N", id="not-numbers"),
        pytest.param("2", "expected K/N", id="no-slash"),
        pytest.param("1/0", "expected K/N", id="no-shards"),
        pytest.param("-1/4", "K must be", id="negative"),
        pytest.param("1/99999", "N a whole number from 1 to 10000", id="too-many"),
        pytest.param("\u0661/\u0664", "expected K/N", id="non-ascii-digits"),
    ],
)
def test_bad_shard_values_are_clear_errors(text: str, says: str) -> None:
    with pytest.raises(OptionsError, match=says):
        parse_shard(text, {})


def test_auto_takes_the_indexed_job_index() -> None:
    assert parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "0"}) == (1, 4)
    assert parse_shard("AUTO/4", {"JOB_COMPLETION_INDEX": "3"}) == (4, 4)
    with pytest.raises(OptionsError, match="auto needs JOB_COMPLETION_INDEX"):
        parse_shard("auto/4", {})
    with pytest.raises(OptionsError, match="completions must be 4"):
        parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "4"})
    with pytest.raises(OptionsError, match="not an index from 0 to 3"):
        parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "one"})


def _registry(hosts: list[str]) -> Registry:
    return Registry(
        tuple(make_source(f"https://{h}/{i}", id=f"s{i}") for i, h in enumerate(hosts)),
        path="sources.toml",
        notes=("a registry note",),
    )


def test_plan_keeps_a_domain_together_and_balances_largest_first() -> None:
    # Domain sizes 5, 3, 2, 2, 1, 1 into 2 shards: 5 | 3, 2, then 2 -> the lighter, ...
    hosts = ["a.de"] * 5 + ["www.b.de", "b.de", "docs.b.de"] + ["c.de"] * 2 + ["d.de"] * 2
    hosts += ["e.de", "f.de"]
    sources = _registry(hosts).sources
    plan = shard_plan(sources, 2)
    by_key: dict[str, set[int]] = {}
    for source, shard in zip(sources, plan, strict=True):
        by_key.setdefault(shard_key(source), set()).add(shard)
    assert all(len(shards) == 1 for shards in by_key.values())
    assert sorted([plan.count(1), plan.count(2)]) == [7, 7]
    assert by_key["a.de"] == {1}  # largest first, ties: the lowest index
    assert by_key["b.de"] == {2}


def test_a_sources_shard_does_not_depend_on_its_place_in_the_registry() -> None:
    hosts = [f"h{i % 37}.example{i % 37}.co.uk" for i in range(500)]
    sources = list(_registry(hosts).sources)
    plan = dict(zip((s.id for s in sources), shard_plan(sources, 7), strict=True))
    shuffled = sources[::3] + sources[1::3] + sources[2::3]
    again = dict(zip((s.id for s in shuffled), shard_plan(shuffled, 7), strict=True))
    assert again == plan
    assert len(set(plan.values())) == 7


def test_more_shards_than_domains_leaves_shards_empty() -> None:
    sources = _registry(["a.de", "a.de", "b.de"]).sources
    assert shard_plan(sources, 4) == [1, 1, 2]


def test_select_shard_keeps_settings_path_and_notes() -> None:
    registry = _registry(["a.de", "b.de", "a.de", "c.de"])
    part = select_shard(registry, 1, 2)
    assert [s.id for s in part.registry] == ["s0", "s2"]
    assert part.registry.path == "sources.toml"
    assert part.registry.notes == ("a registry note",)
    assert part.shard.positions == (0, 2)
    assert part.shard.registry_sources == 4
    assert part.shard.registry_digest == registry_digest(registry.sources)
    assert part.for_results(["s2", "s0"]).positions == (2, 0)
    assert "2 of the registry's 4 sources" in shard_note(part.shard)
    with pytest.raises(OptionsError):
        select_shard(registry, 3, 2)


def test_digest_tells_registries_apart() -> None:
    one = _registry(["a.de", "b.de"]).sources
    other = _registry(["a.de", "c.de"]).sources
    assert registry_digest(one) != registry_digest(other)
    assert registry_digest(one) == registry_digest(_registry(["a.de", "b.de"]).sources)
    assert registry_digest(one).startswith("sha256:")


# -- the command line ----------------------------------------------------------------------------

_TOML = """
[[source]]
id = "a1"
url = "https://www.a-example.de/1"

[[source]]
id = "b1"
url = "https://b-example.de/1"

[[source]]
id = "a2"
url = "https://a-example.de/2"
"""


@pytest.mark.parametrize("value", ["0/4", "5/4", "x/y", "auto/2"])
def test_cli_bad_shard_exits_2(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOB_COMPLETION_INDEX", raising=False)
    (tmp_path / "sources.toml").write_text(_TOML, encoding="utf-8")
    assert main(["check", "--shard", value, "--no-state", "--no-archive"]) == 2
    err = capsys.readouterr().err
    assert f"--shard {value!r}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "factlinks-report").exists()


def test_cli_shard_with_documents_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "doc.md").write_text("See <https://a-example.de/x>.\n", encoding="utf-8")
    assert main(["check", "doc.md", "--shard", "1/2", "--no-archive"]) == 2
    assert "--shard cuts a registry" in capsys.readouterr().err


@respx.mock(assert_all_mocked=True)
def test_cli_checks_only_its_shard_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, respx_mock: respx.MockRouter
) -> None:
    (tmp_path / "sources.toml").write_text(_TOML, encoding="utf-8")
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "0")
    respx_mock.get(url__regex=r"/factlinks-probe-").respond(404)
    respx_mock.get(url__regex=r"https://(www\.)?a-example\.de/\d").respond(200, html="<p>a</p>")
    argv = ["check", "--shard", "auto/2", "--no-state", "--no-archive", "--format", "json,md"]
    assert main(argv) == 0
    data = json.loads((tmp_path / "factlinks-report" / "report.json").read_text("utf-8"))
    assert [s["id"] for s in data["sources"]] == ["a1", "a2"]  # one domain, two host names
    assert data["shard"]["index"] == 1
    assert data["shard"]["count"] == 2
    assert data["shard"]["positions"] == [0, 2]
    assert data["shard"]["registry_sources"] == 3
    assert data["notes"][0].startswith("Shard 1 of 2: 2 of the registry's 3 sources")
    markdown = (tmp_path / "factlinks-report" / "report.md").read_text("utf-8")
    assert "Shard 1 of 2" in markdown
    report = factlinks.load_report(tmp_path / "factlinks-report" / "report.json")
    assert report.shard is not None
    assert report.shard.positions == (0, 2)
    assert not any(str(call.request.url).startswith("https://b.") for call in respx_mock.calls)


@respx.mock(assert_all_mocked=True)
def test_cli_shard_with_only_lists_its_sources_skipped_or_checked(
    tmp_path: Path, respx_mock: respx.MockRouter
) -> None:
    (tmp_path / "sources.toml").write_text(_TOML, encoding="utf-8")
    respx_mock.get(url__regex=r"/factlinks-probe-").respond(404)
    respx_mock.get("https://a-example.de/2").respond(200, html="<p>a</p>")
    argv = ["check", "--shard", "1/2", "--only", "a2", "--only", "b1", "--no-state"]
    assert main([*argv, "--no-archive"]) == 0  # b1 is in the other shard: not an error here
    data = json.loads((tmp_path / "factlinks-report" / "report.json").read_text("utf-8"))
    assert [(s["id"], s["status"]) for s in data["sources"]] == [("a1", "skipped"), ("a2", "ok")]


def test_the_suffix_list_is_read_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PSL comes from inside the package: reading it opens no connection."""
    import socket
    import sys

    from factlinks import _domains

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Public Suffix List must not be downloaded")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    _domains._suffixes.cache_clear()
    try:
        assert shard_key(make_source("https://www.bbc.co.uk/news")) == "bbc.co.uk"
    finally:
        _domains._suffixes.cache_clear()
    assert "publicsuffixlist.update" not in sys.modules
