"""Tests of the registry loader: ``factlinks.load_sources`` and ``factlinks.parse_sources``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import factlinks
from factlinks import (
    CheckOptions,
    Kind,
    Registry,
    RegistryError,
    Status,
    load_sources,
    parse_sources,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCES_TOML = ROOT / "sources.toml"
FACTSHEET = ROOT / "examples" / "factsheet-ki.txt"

PATH = "conf/sources.toml"
"""The file name passed to ``parse_sources``; every error message must start with it."""

HEADER = "# factlinks registry\n\n"
"""Two lines before the first ``[[source]]``, so line numbers in messages are not trivially 1."""


def source_toml(**values: str | None) -> str:
    """A ``[[source]]`` table; values are raw TOML, ``None`` leaves a key out."""
    fields: dict[str, str | None] = {
        "id": '"kfw-318"',
        "url": '"https://example.org/docs/report.pdf"',
        **values,
    }
    body = "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)
    return "[[source]]\n" + body


def registry_toml(*sources: str, settings: str = "") -> str:
    text = HEADER
    if settings:
        text += f"[settings]\n{settings}\n\n"
    return text + "\n".join(sources)


def parse(text: str) -> Registry:
    return parse_sources(text, path=PATH)


# -- the repository's own registry ---------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_registry() -> Registry:
    return load_sources(SOURCES_TOML)


def test_repository_registry_loads(repo_registry: Registry) -> None:
    assert isinstance(repo_registry, Registry)
    assert len(repo_registry) == 23
    ids = [source.id for source in repo_registry]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9._-]+", source_id) for source_id in ids)
    assert repo_registry.path == str(SOURCES_TOML)
    assert dict(repo_registry.settings) == {}


def test_repository_registry_every_source_is_cited_in_the_fact_sheet(
    repo_registry: Registry,
) -> None:
    assert {source.cited_in for source in repo_registry} == {("factsheet-ki",)}
    assert all(source.citation for source in repo_registry)
    assert all(source.skip is None for source in repo_registry)


def test_repository_registry_kinds_follow_the_urls(repo_registry: Registry) -> None:
    for source in repo_registry:
        is_pdf_url = urlsplit(source.url).path.lower().endswith(".pdf")
        assert (source.kind is Kind.PDF) == is_pdf_url, source.id
        assert source.kind in (Kind.PDF, Kind.ANY), source.id
    assert sum(source.kind is Kind.PDF for source in repo_registry) == 8


def test_repository_registry_titles(repo_registry: Registry) -> None:
    titled = [source for source in repo_registry if source.title is not None]
    assert len(titled) == 8
    for source in titled:
        assert source.title == source.title.strip()
        assert source.title
    kfw = repo_registry.get("kfw-fokus-318")
    assert kfw is not None
    assert kfw.title == (
        "Künstliche Intelligenz: hohe Wachstumschancen, aber geringe Verbreitung im Mittelstand"
    )
    assert kfw.kind is Kind.PDF


def test_repository_registry_urls(repo_registry: Registry) -> None:
    for source in repo_registry:
        assert not any(char.isspace() for char in source.url), source.id
        assert source.url.startswith("https://"), source.id
        assert source.host, source.id
    urls = [source.url for source in repo_registry]
    assert len(set(urls)) == len(urls)
    saarland = repo_registry.get("uni-saarland-ki-mittelstand-2019")
    assert saarland is not None
    # The percent-encoded combining diaeresis is kept byte-exact, not normalised.
    assert "Universita%CC%88t" in saarland.url


_URL_RE = re.compile(r"https?://\S+")


def factsheet_urls(text: str) -> list[str]:
    """Every URL of the fact sheet, in order, with URLs wrapped across lines joined.

    A URL is wrapped when it ends its line with ``/`` or ``-`` (a fragment) and the next line
    starts with a word that is not a new URL or a bullet: that word is the rest of the URL.
    """
    lines = text.splitlines()
    urls: list[str] = []
    for number, line in enumerate(lines):
        for match in _URL_RE.finditer(line):
            url = match.group()
            last_on_line = not line[match.end() :].strip()
            if last_on_line and url.endswith(("/", "-")) and number + 1 < len(lines):
                words = lines[number + 1].split()
                if words and not words[0].startswith(("http://", "https://", "\u2022")):
                    url += words[0]
            urls.append(url)
    return urls


def test_factsheet_url_joiner_joins_wrapped_urls() -> None:
    text = (
        "\u2022 KI-Trainer (BMWK): \n"
        " https://www.example.de/MD/Praxis/KI-Trainer/ \n"
        " ki-trainer.html\n"
        "\n"
        " https://www.example.de/DE/Austausch- \n"
        " mit-der-Praxis/zentren.html\n"
        "https://www.example.de/transfer/\n"
        "https://www.example.de/next.html\n"
        "https://www.example.de/KI-Monitor_2021.pdf\n"
        " Digitale Mindestanforderungen\n"
    )
    assert factsheet_urls(text) == [
        "https://www.example.de/MD/Praxis/KI-Trainer/ki-trainer.html",
        "https://www.example.de/DE/Austausch-mit-der-Praxis/zentren.html",
        "https://www.example.de/transfer/",
        "https://www.example.de/next.html",
        "https://www.example.de/KI-Monitor_2021.pdf",
    ]


def test_registry_and_factsheet_cite_the_same_urls(repo_registry: Registry) -> None:
    document = factsheet_urls(FACTSHEET.read_text(encoding="utf-8"))
    registry = [source.url for source in repo_registry]
    assert set(document) - set(registry) == set(), "cited but not in the registry"
    assert set(registry) - set(document) == set(), "in the registry but not cited"
    # Two URLs are wrapped in the running text; the joined forms are what the registry holds.
    joined = [
        "https://www.mittelstand-digital.de/MD/Navigation/DE/Praxis/KI-Trainer/ki-trainer.html",
        "https://www.bmas.de/DE/Arbeit/Digitalisierung-der-Arbeitswelt/Austausch-mit-der-"
        "betrieblichen-Praxis/Zukunftszentren/zukunftszentren.html",
    ]
    for url in joined:
        assert document.count(url) == 2
        assert url in registry


def test_registry_order_follows_the_factsheet_url_lists(repo_registry: Registry) -> None:
    lines = FACTSHEET.read_text(encoding="utf-8").splitlines()
    listed = [line.strip() for line in lines if line.startswith(("http://", "https://"))]
    assert [source.url for source in repo_registry] == list(dict.fromkeys(listed))


# -- invalid registries --------------------------------------------------------------------------


def bad(
    text: str,
    *fragments: str,
    key: str | None,
    source_id: str | None = None,
    id: str,
) -> object:
    return pytest.param(text, fragments, key, source_id, id=id)


BAD_REGISTRIES = [
    # -- TOML syntax
    bad(
        HEADER + '[[source]]\nid = "kfw-318"\ntitle = "unterminated\n',
        f"{PATH}:5:22: invalid TOML",
        key=None,
        id="toml-syntax-error-line-column",
    ),
    bad(
        HEADER + "[[source]]\nid = kfw\n",
        f"{PATH}:4:6: invalid TOML",
        key=None,
        id="toml-bare-value-line-column",
    ),
    # -- unknown keys, with the closest key suggested
    bad(
        registry_toml(source_toml(titel='"KI im Mittelstand"')),
        f"{PATH}:3:",
        "unknown key 'titel'",
        "did you mean 'title'?",
        key="titel",
        source_id="kfw-318",
        id="unknown-source-key",
    ),
    bad(
        registry_toml(source_toml(cited='["factsheet-ki"]')),
        "unknown key 'cited'",
        "did you mean 'cited_in'?",
        key="cited",
        source_id="kfw-318",
        id="unknown-source-key-cited",
    ),
    bad(
        registry_toml(source_toml(publisher='"KfW"')),
        "unknown key 'publisher'",
        "valid keys: id, url, title, kind, citation, cited_in, accessed, skip",
        key="publisher",
        source_id="kfw-318",
        id="unknown-source-key-no-close-match",
    ),
    bad(
        registry_toml(source_toml(), settings="timout = 10"),
        "[settings]",
        "unknown key 'timout'",
        "did you mean 'timeout'?",
        key="timout",
        id="unknown-settings-key",
    ),
    bad(
        registry_toml(source_toml(), settings="failon = ['dead']"),
        "[settings]",
        "unknown key 'failon'",
        "did you mean 'fail_on'?",
        key="failon",
        id="unknown-settings-key-fail-on",
    ),
    bad(
        HEADER + '[[sources]]\nid = "kfw-318"\nurl = "https://example.org/"\n',
        "unknown top-level key 'sources'",
        "did you mean 'source'?",
        key="sources",
        id="unknown-top-level-key",
    ),
    bad(
        HEADER + "[setting]\ntimeout = 5\n",
        "unknown top-level key 'setting'",
        "did you mean 'settings'?",
        key="setting",
        id="unknown-top-level-key-settings",
    ),
    # -- required keys and unique ids
    bad(
        registry_toml(source_toml(id=None)),
        f"{PATH}:3:",
        "source #1",
        "missing required key 'id'",
        key="id",
        id="missing-id",
    ),
    bad(
        registry_toml(source_toml(url=None)),
        f"{PATH}:3:",
        "missing required key 'url'",
        key="url",
        source_id="kfw-318",
        id="missing-url",
    ),
    bad(
        registry_toml(
            source_toml(),
            source_toml(id='"other"', url='"https://example.org/other"'),
            source_toml(url='"https://example.org/again.pdf"'),
        ),
        f"{PATH}:11:",
        "duplicate id",
        "also line 3)",
        key="id",
        source_id="kfw-318",
        id="duplicate-id",
    ),
    # -- wrong types
    bad(
        registry_toml(source_toml(url="42")),
        "'url' must be a string",
        "int 42",
        key="url",
        source_id="kfw-318",
        id="type-url-int",
    ),
    bad(
        registry_toml(source_toml(id="318")),
        "source #1",
        "'id' must be a string",
        key="id",
        id="type-id-int",
    ),
    bad(
        registry_toml(source_toml(title='["KI", "im Mittelstand"]')),
        "'title' must be a string",
        "list",
        key="title",
        source_id="kfw-318",
        id="type-title-list",
    ),
    bad(
        registry_toml(source_toml(cited_in="3")),
        "'cited_in' must be a list of strings",
        key="cited_in",
        source_id="kfw-318",
        id="type-cited-in-int",
    ),
    bad(
        registry_toml(source_toml(cited_in='["factsheet-ki", 2]')),
        "'cited_in' must be a list of strings",
        key="cited_in",
        source_id="kfw-318",
        id="type-cited-in-list-of-int",
    ),
    bad(
        registry_toml(source_toml(accessed='"2021-02-15"')),
        "'accessed' must be a date (e.g. 2021-02-15)",
        "str '2021-02-15'",
        key="accessed",
        source_id="kfw-318",
        id="type-accessed-string",
    ),
    bad(
        registry_toml(source_toml(accessed="10:30:00")),
        "'accessed' must be a date",
        key="accessed",
        source_id="kfw-318",
        id="type-accessed-time",
    ),
    bad(
        registry_toml(source_toml(citation="2021")),
        "'citation' must be a string",
        key="citation",
        source_id="kfw-318",
        id="type-citation-int",
    ),
    bad(
        registry_toml(source_toml(kind="1")),
        "'kind' must be a string",
        key="kind",
        source_id="kfw-318",
        id="type-kind-int",
    ),
    bad(
        registry_toml(source_toml(skip="1")),
        "'skip' must be true or a reason string",
        key="skip",
        source_id="kfw-318",
        id="type-skip-int",
    ),
    bad(
        registry_toml(settings='concurrency = "4"'),
        "[settings]",
        "'concurrency' must be a positive integer",
        key="concurrency",
        id="type-concurrency-string",
    ),
    bad(
        registry_toml(settings="concurrency = true"),
        "'concurrency' must be a positive integer",
        key="concurrency",
        id="type-concurrency-bool",
    ),
    bad(
        registry_toml(settings="concurrency = 0"),
        "'concurrency' must be a positive integer, not 0",
        key="concurrency",
        id="type-concurrency-zero",
    ),
    bad(
        registry_toml(settings="per_host = 1.5"),
        "'per_host' must be a positive integer",
        key="per_host",
        id="type-per-host-float",
    ),
    bad(
        registry_toml(settings="timeout = -1"),
        "'timeout' must be a positive number of seconds",
        key="timeout",
        id="type-timeout-negative",
    ),
    bad(
        registry_toml(settings="timeout = true"),
        "'timeout' must be a positive number of seconds",
        key="timeout",
        id="type-timeout-bool",
    ),
    bad(
        registry_toml(settings='fail_on = ["dead", "gone"]'),
        "[settings]",
        "fail_on",
        "unknown status 'gone'",
        key="fail_on",
        id="type-fail-on-unknown-status",
    ),
    bad(
        registry_toml(settings='fail_on = "dead"'),
        "'fail_on' must be a list of status names",
        key="fail_on",
        id="type-fail-on-string",
    ),
    bad(
        registry_toml(settings="user_agent = 7"),
        "'user_agent' must be a string",
        key="user_agent",
        id="type-user-agent-int",
    ),
    bad(
        HEADER + "settings = 5\n",
        "'settings' must be a table",
        key="settings",
        id="type-settings-not-a-table",
    ),
    bad(
        HEADER + "source = 5\n",
        "'source' must be an array of tables ([[source]])",
        key="source",
        id="type-source-not-an-array",
    ),
    # -- URLs
    bad(
        registry_toml(source_toml(url='"file:///etc/passwd"')),
        "'url' must be http or https, not file",
        key="url",
        source_id="kfw-318",
        id="url-file",
    ),
    bad(
        registry_toml(source_toml(url='"javascript:alert(1)"')),
        "'url' must be http or https, not javascript",
        key="url",
        source_id="kfw-318",
        id="url-javascript",
    ),
    bad(
        registry_toml(source_toml(url='"data:text/html,<h1>KI</h1>"')),
        "'url' must be http or https, not data",
        key="url",
        source_id="kfw-318",
        id="url-data",
    ),
    bad(
        registry_toml(source_toml(url='"ftp://ftp.example.org/report.pdf"')),
        "'url' must be http or https, not ftp",
        key="url",
        source_id="kfw-318",
        id="url-ftp",
    ),
    bad(
        registry_toml(source_toml(url='"mailto:research@example.org"')),
        "'url' must be http or https, not mailto",
        key="url",
        source_id="kfw-318",
        id="url-mailto",
    ),
    bad(
        registry_toml(source_toml(url='"www.example.org/report.pdf"')),
        "'url' must be http or https, not no scheme",
        "'www.example.org/report.pdf'",
        key="url",
        source_id="kfw-318",
        id="url-no-scheme",
    ),
    bad(
        registry_toml(source_toml(url='"https:///report.pdf"')),
        "'url' has no host name",
        key="url",
        source_id="kfw-318",
        id="url-no-host",
    ),
    bad(
        registry_toml(source_toml(url='"https://example.org:99999/"')),
        "'url' has an invalid port",
        key="url",
        source_id="kfw-318",
        id="url-invalid-port",
    ),
    bad(
        registry_toml(source_toml(url='"https://example.org/KI-Trainer/ ki-trainer.html"')),
        "'url' contains white space (a URL wrapped across lines?)",
        key="url",
        source_id="kfw-318",
        id="url-inner-space",
    ),
    bad(
        registry_toml(source_toml(url='"https://example.org/Austausch-\\n mit-der-Praxis.html"')),
        "'url' contains white space",
        key="url",
        source_id="kfw-318",
        id="url-wrapped-newline",
    ),
    bad(
        registry_toml(source_toml(url='" https://example.org/report.pdf "')),
        "'url' contains white space",
        key="url",
        source_id="kfw-318",
        id="url-surrounding-space",
    ),
    # -- ids
    bad(
        registry_toml(source_toml(id='"KfW-318"')),
        "'id' may only hold lower-case letters, digits, '.', '_' and '-'",
        key="id",
        source_id="KfW-318",
        id="id-upper-case",
    ),
    bad(
        registry_toml(source_toml(id='"kfw 318"')),
        "'id' may only hold lower-case letters",
        key="id",
        source_id="kfw 318",
        id="id-space",
    ),
    bad(
        registry_toml(source_toml(id='"kfw/318"')),
        "'id' may only hold lower-case letters",
        key="id",
        source_id="kfw/318",
        id="id-slash",
    ),
    # -- kind
    bad(
        registry_toml(source_toml(kind='"PDF "')),
        "'kind' must be one of 'pdf', 'html', 'any'",
        "not 'PDF '",
        "did you mean 'pdf'?",
        key="kind",
        source_id="kfw-318",
        id="kind-upper-case-trailing-space",
    ),
    bad(
        registry_toml(source_toml(kind='"pfd"')),
        "'kind' must be one of 'pdf', 'html', 'any'",
        "did you mean 'pdf'?",
        key="kind",
        source_id="kfw-318",
        id="kind-typo",
    ),
    bad(
        registry_toml(source_toml(kind='"htm"')),
        "did you mean 'html'?",
        key="kind",
        source_id="kfw-318",
        id="kind-typo-html",
    ),
    # -- title
    bad(
        registry_toml(source_toml(title='""')),
        "'title' is empty",
        "leave it out",
        key="title",
        source_id="kfw-318",
        id="title-empty",
    ),
    bad(
        registry_toml(source_toml(title='"   "')),
        "'title' is empty",
        key="title",
        source_id="kfw-318",
        id="title-blank",
    ),
    # -- proposed_title (extract --write proposes it; the first check settles it)
    bad(
        registry_toml(source_toml(proposed_title='"  "')),
        "'proposed_title' is empty",
        key="proposed_title",
        source_id="kfw-318",
        id="proposed-title-blank",
    ),
    bad(
        registry_toml(source_toml(proposed_title="true")),
        "'proposed_title' must be a string",
        key="proposed_title",
        source_id="kfw-318",
        id="proposed-title-not-a-string",
    ),
    bad(
        registry_toml(source_toml(title='"KI"', proposed_title='"KI im Mittelstand"')),
        "both 'title' and 'proposed_title'",
        "remove 'proposed_title'",
        key="proposed_title",
        source_id="kfw-318",
        id="proposed-title-beside-a-title",
    ),
    bad(
        registry_toml(source_toml(proposed_titel='"KI im Mittelstand"')),
        "did you mean 'proposed_title'?",
        key="proposed_titel",
        source_id="kfw-318",
        id="proposed-title-typo",
    ),
]


@pytest.mark.parametrize(("text", "fragments", "key", "source_id"), BAD_REGISTRIES)
def test_invalid_registry_is_rejected(
    text: str, fragments: tuple[str, ...], key: str | None, source_id: str | None
) -> None:
    with pytest.raises(RegistryError) as info:
        parse(text)
    error = info.value
    message = str(error)
    assert message.startswith(PATH), message
    assert error.path == PATH
    assert error.key == key
    assert error.source_id == source_id
    if key is not None:
        assert re.search(rf"\b{re.escape(key)}\b", message), message
    if source_id is not None:
        assert repr(source_id) in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert isinstance(error, factlinks.FactlinksError)


def test_toml_error_message_drops_tomllib_position_suffix() -> None:
    with pytest.raises(RegistryError) as info:
        parse(HEADER + "[[source]]\nid = kfw\n")
    assert "(at line" not in str(info.value)


def test_first_error_in_file_order_is_reported() -> None:
    text = registry_toml(
        source_toml(id='"good"'),
        source_toml(id='"bad"', kind='"pfd"'),
        source_toml(id='"worse"', url='"ftp://example.org/"'),
    )
    with pytest.raises(RegistryError) as info:
        parse(text)
    assert info.value.source_id == "bad"
    assert f"{PATH}:7:" in str(info.value)


def test_unknown_key_in_source_without_id_names_the_source_number() -> None:
    text = registry_toml(source_toml(id='"good"'), source_toml(id=None, urll='"https://x.org/"'))
    with pytest.raises(RegistryError) as info:
        parse(text)
    message = str(info.value)
    assert "source #2: unknown key 'urll'; did you mean 'url'?" in message
    assert "'source #2'" not in message
    assert info.value.source_id is None


def test_settings_max_redirects_zero_is_accepted() -> None:
    registry = parse(registry_toml(settings="max_redirects = 0"))
    assert registry.options().max_redirects == 0


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        pytest.param('user_agent = ""', "user_agent", id="user-agent-empty"),
        pytest.param('user_agent = "   "', "user_agent", id="user-agent-blank"),
        pytest.param('fail_on = ["ok"]', "fail_on", id="fail-on-ok"),
        pytest.param("timeout = nan", "timeout", id="timeout-nan"),
    ],
)
def test_settings_rejected_by_check_options_fail_at_load_time(setting: str, key: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse(registry_toml(settings=setting))
    assert info.value.key == key


@pytest.mark.parametrize(
    "setting",
    [
        pytest.param('user_agent = ""', id="user-agent-empty"),
        pytest.param('fail_on = ["ok"]', id="fail-on-ok"),
        pytest.param("timeout = nan", id="timeout-nan"),
    ],
)
def test_settings_rejected_by_check_options_raise_registry_error(setting: str) -> None:
    # Raised while parsing, before Registry.options() is ever called.
    with pytest.raises(RegistryError, match=re.escape(f"{PATH}: [settings]: ")):
        parse(registry_toml(settings=setting))


# -- valid registries ----------------------------------------------------------------------------


def test_minimal_source_gets_defaults() -> None:
    registry = parse(registry_toml(source_toml()))
    (source,) = registry
    assert source == factlinks.Source(id="kfw-318", url="https://example.org/docs/report.pdf")
    assert source.title is None
    assert source.kind is Kind.ANY
    assert source.citation is None
    assert source.cited_in == ()
    assert source.accessed is None
    assert source.skip is None
    assert source.host == "example.org"


def test_all_source_keys() -> None:
    text = registry_toml(
        source_toml(
            title='"  Künstliche Intelligenz  "',
            kind='"pdf"',
            citation='"KfW Research Nr. 318 (2021)"',
            cited_in='["factsheet-ki", "newsletter-2021"]',
            accessed="2021-02-15",
        )
    )
    (source,) = parse(text)
    assert source.title == "Künstliche Intelligenz"
    assert source.kind is Kind.PDF
    assert source.citation == "KfW Research Nr. 318 (2021)"
    assert source.cited_in == ("factsheet-ki", "newsletter-2021")
    assert source.accessed == dt.date(2021, 2, 15)


def test_proposed_title_is_read_stripped_and_is_not_a_title() -> None:
    (source,) = parse(registry_toml(source_toml(proposed_title='" KI im Mittelstand "')))
    assert source.proposed_title == "KI im Mittelstand"
    assert source.title is None  # a proposal is never checked as a title


def test_appended_proposed_title_sits_where_the_title_goes() -> None:
    from factlinks._registry import TomlFormat

    source = factlinks.Source(
        "kfw-318",
        "https://example.org/a.pdf",
        proposed_title='KI "im" Mittelstand',
        citation="KfW (2021): KI im Mittelstand.",
    )
    text = TomlFormat().append(HEADER, [source])
    assert text.splitlines()[5:7] == [
        'url = "https://example.org/a.pdf"',
        'proposed_title = "KI \\"im\\" Mittelstand"',
    ]
    assert parse(text)[0] == source


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2021-02-15", dt.date(2021, 2, 15), id="date"),
        pytest.param("2021-02-15T10:30:00", dt.date(2021, 2, 15), id="local-datetime"),
        pytest.param("2021-02-15T23:30:00+01:00", dt.date(2021, 2, 15), id="offset-datetime"),
    ],
)
def test_accessed_is_a_date(value: str, expected: dt.date) -> None:
    (source,) = parse(registry_toml(source_toml(accessed=value)))
    assert source.accessed == expected
    assert type(source.accessed) is dt.date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("true", "skipped in the registry", id="true"),
        pytest.param('"host blocks bots"', "host blocks bots", id="reason"),
        pytest.param("false", None, id="false"),
    ],
)
def test_skip(value: str, expected: str | None) -> None:
    (source,) = parse(registry_toml(source_toml(skip=value)))
    assert source.skip == expected


def test_cited_in_string_is_one_element() -> None:
    (source,) = parse(registry_toml(source_toml(cited_in='"factsheet-ki"')))
    assert source.cited_in == ("factsheet-ki",)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("pdf", Kind.PDF), ("html", Kind.HTML), ("any", Kind.ANY)],
)
def test_kinds(kind: str, expected: Kind) -> None:
    (source,) = parse(registry_toml(source_toml(kind=f'"{kind}"')))
    assert source.kind is expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/",
        "https://example.org:8443/a?b=c&d=e#f",
        "HTTPS://Example.org/Report.PDF",
        "https://www.uni-saarland.de/Universita%CC%88t.pdf",
        "https://127.0.0.1:8001/report.pdf",
    ],
)
def test_valid_urls_are_kept_as_written(url: str) -> None:
    (source,) = parse(registry_toml(source_toml(url=f'"{url}"')))
    assert source.url == url


def test_ids_may_use_digits_dots_underscores_and_hyphens() -> None:
    (source,) = parse(registry_toml(source_toml(id='"kfw_2021.nr-318"')))
    assert source.id == "kfw_2021.nr-318"


def test_registry_is_a_sequence_of_sources_in_file_order() -> None:
    text = registry_toml(
        source_toml(id='"first"', url='"https://a.example/"'),
        source_toml(id='"second"', url='"https://b.example/"'),
        source_toml(id='"third"', url='"https://c.example/"'),
    )
    registry = parse(text)
    assert len(registry) == 3
    assert [source.id for source in registry] == ["first", "second", "third"]
    assert registry[0].id == "first"
    assert registry[-1].id == "third"
    assert [source.id for source in registry[1:]] == ["second", "third"]
    second = registry.get("second")
    assert second is not None
    assert second.url == "https://b.example/"
    assert registry.get("fourth") is None
    assert registry.path == PATH


def test_inline_array_of_tables_is_accepted() -> None:
    text = 'source = [{ id = "a", url = "https://a.example/" }, { id = "b", url = "http://b.x/" }]'
    assert [source.id for source in parse(text)] == ["a", "b"]


def test_empty_registry() -> None:
    registry = parse("")
    assert len(registry) == 0
    assert registry.options() == CheckOptions()


def test_default_path_is_string_marker() -> None:
    with pytest.raises(RegistryError, match=r"^<string>:"):
        parse_sources('[[source]]\nid = "a"\n')
    assert parse_sources("").path == "<string>"


def test_settings_are_applied_by_options() -> None:
    settings = "\n".join(
        [
            'user_agent = "factlinks-test/1.0"',
            "concurrency = 4",
            "per_host = 1",
            "timeout = 12",
            "max_bytes = 1000000",
            "max_redirects = 3",
            "max_pages = 2",
            'fail_on = ["dead", " Drifted ", "unreachable"]',
        ]
    )
    registry = parse(registry_toml(source_toml(), settings=settings))
    options = registry.options()
    assert options.user_agent == "factlinks-test/1.0"
    assert options.concurrency == 4
    assert options.per_host == 1
    assert options.timeout == 12.0
    assert isinstance(options.timeout, float)
    assert options.max_bytes == 1_000_000
    assert options.max_redirects == 3
    assert options.max_pages == 2
    assert options.fail_on == frozenset({Status.DEAD, Status.DRIFTED, Status.UNREACHABLE})
    assert registry.settings["timeout"] == 12.0


def test_settings_override_base_and_keep_the_rest() -> None:
    registry = parse(registry_toml(settings="timeout = 2.5"))
    base = CheckOptions(timeout=60, max_pages=9, probe_soft_404=False)
    options = registry.options(base)
    assert options.timeout == 2.5
    assert options.max_pages == 9
    assert options.probe_soft_404 is False
    assert base.timeout == 60


def test_no_settings_gives_default_options() -> None:
    registry = parse(registry_toml(source_toml()))
    assert dict(registry.settings) == {}
    assert registry.options() == CheckOptions()


def test_empty_fail_on_fails_on_nothing() -> None:
    registry = parse(registry_toml(settings="fail_on = []"))
    assert registry.options().fail_on == frozenset()


# -- files ---------------------------------------------------------------------------------------


def test_load_sources_from_path_and_str(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(registry_toml(source_toml(title='"Künstliche Intelligenz"')), "utf-8")
    from_path = load_sources(path)
    from_str = load_sources(str(path))
    assert from_path.sources == from_str.sources
    assert from_path.path == str(path)
    assert from_path[0].title == "Künstliche Intelligenz"


def test_load_sources_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(registry_toml(source_toml(kind='"pfd"')), "utf-8")
    with pytest.raises(RegistryError) as info:
        load_sources(path)
    assert str(info.value).startswith(f"{path}:3: source 'kfw-318': 'kind'")
    assert info.value.path == str(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(RegistryError, match=r"no such file$") as info:
        load_sources(path)
    assert str(info.value) == f"{path}: no such file"
    assert info.value.path == str(path)


def test_directory_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read") as info:
        load_sources(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: ")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    text = registry_toml(source_toml(title='"Künstliche Intelligenz"'))
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RegistryError, match="not UTF-8 text") as info:
        load_sources(path)
    assert str(info.value).startswith(f"{path}:6: ")  # the title line, of the first bad byte
    assert info.value.path == str(path)


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(registry_toml(source_toml()).replace("\n", "\r\n").encode("utf-8"))
    assert load_sources(path)[0].url == "https://example.org/docs/report.pdf"


def test_utf8_file_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + registry_toml(source_toml()).encode("utf-8"))
    assert load_sources(path)[0].id == "kfw-318"


def test_archive_url_is_accepted_and_checked() -> None:
    ok = parse(
        '[[source]]\nid = "a"\nurl = "https://a.example/x.pdf"\n'
        'archive_url = "https://web.archive.org/web/2021/https://a.example/x.pdf"\n'
    )
    assert ok[0].archive_url == "https://web.archive.org/web/2021/https://a.example/x.pdf"
    with pytest.raises(RegistryError, match="'archive_url' must be http or https"):
        parse('[[source]]\nid = "a"\nurl = "https://a.example/"\narchive_url = "ftp://x/y"\n')


# -- every bad input a clear RegistryError (issue 9) --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a = " + "[" * 100_000, id="deep-array-unclosed"),
        pytest.param("a = " + "[" * 5_000 + "]" * 5_000, id="deep-array-closed"),
        pytest.param("a = " + "{b = " * 100_000, id="deep-inline-tables"),
        pytest.param(source_toml(title="[" * 3_000 + "]" * 3_000), id="deep-title"),
        pytest.param("a = [" + "{b = [" * 2_000, id="deep-mixed"),
    ],
)
def test_deeply_nested_toml_is_a_registry_error(text: str) -> None:
    with pytest.raises(RegistryError, match=r"invalid TOML: nested too deeply") as info:
        parse(text)
    assert str(info.value).startswith(f"{PATH}: ")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a = 1" + "0" * 5_000, id="integer-of-5000-digits"),
        pytest.param("a = -1_" + "0" * 5_000, id="negative-with-underscore"),
        pytest.param(source_toml(title="1" + "2" * 4_400), id="title-of-4400-digits"),
    ],
)
def test_integers_python_will_not_convert_are_a_registry_error(text: str) -> None:
    with pytest.raises(RegistryError, match=rf"^{re.escape(PATH)}: invalid TOML: .*digits"):
        parse(text)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        pytest.param("http://[::1/x", "is not a valid URL", id="unclosed-bracket"),
        pytest.param("http://::1]/x", "is not a valid URL", id="lone-closing-bracket"),
        pytest.param("http://[zz]/", "is not a valid URL", id="bracketed-not-an-address"),
        pytest.param("http://[v1.x]/", "is not a valid URL", id="ipvfuture"),
        pytest.param("http://a:99999/", "has an invalid port", id="port-too-large"),
        pytest.param("http://a:-1/", "has an invalid port", id="negative-port"),
        pytest.param("http://a:http/", "has an invalid port", id="port-not-a-number"),
        pytest.param("http://[::1]:99999/", "has an invalid port", id="ipv6-port-too-large"),
        pytest.param("http://xn--a.\u00fc/", "Invalid IDNA hostname", id="bad-idna"),
        pytest.param("http://\u2100/", "is not a valid URL", id="nfkc-netloc"),
        pytest.param("http://\u00ad.example/", "Invalid IDNA hostname", id="soft-hyphen-host"),
        pytest.param("http://1.2.3.999/", "Invalid IPv4 address", id="bad-ipv4"),
        pytest.param("http://a.example/\\u0000", "non-printable", id="nul"),
        pytest.param("http://a.example/\\u007f", "non-printable", id="del"),
        pytest.param("http://a.example/" + "x" * 70_000, "URL too long", id="too-long"),
        pytest.param("http://@/", "has no host name", id="only-userinfo"),
    ],
)
@pytest.mark.parametrize("key", ["url", "archive_url"])
def test_urls_the_http_client_refuses_are_registry_errors(key: str, url: str, why: str) -> None:
    values = {"archive_url": f'"{url}"'} if key == "archive_url" else {"url": f'"{url}"'}
    with pytest.raises(RegistryError, match=re.escape(why)) as info:
        parse(registry_toml(source_toml(**values)))
    message = str(info.value)
    assert message.startswith(f"{PATH}:3: source 'kfw-318': {key!r} ")
    assert len(message) < 300  # a 70,000-character URL is not copied into the message
    assert (info.value.source_id, info.value.key) == ("kfw-318", key)


def test_a_url_with_a_lone_surrogate_is_a_registry_error() -> None:
    text = registry_toml(source_toml(url='"https://example.org/\ud800"'))
    with pytest.raises(RegistryError, match="cannot be encoded"):
        parse(text)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('"K\u00fcnstliche Intelligenz/1.0"', id="non-ascii"),
        pytest.param('"a\\nX-Injected: 1"', id="newline"),
        pytest.param('"a\\u0000b"', id="nul"),
        pytest.param('"a\\tb"', id="tab"),
    ],
)
def test_a_user_agent_that_is_no_http_header_is_a_registry_error(value: str) -> None:
    with pytest.raises(RegistryError, match="printable ASCII") as info:
        parse(registry_toml(source_toml(), settings=f"user_agent = {value}"))
    assert info.value.key == "user_agent"


def test_an_id_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(RegistryError, match="'id' may only hold"):
        parse(registry_toml(source_toml(id='"kfw-318\\n"')))


@pytest.mark.parametrize(
    ("values", "key"),
    [
        pytest.param({"title": "[" + "1, " * 50_000 + "]"}, "title", id="long-list-as-title"),
        pytest.param({"id": '"' + "x" * 50_000 + 'Y"'}, "id", id="long-bad-id"),
        pytest.param({"k" * 50_000: '"x"'}, "k" * 50_000, id="long-unknown-key"),
        pytest.param({"kind": '"' + "p" * 50_000 + '"'}, "kind", id="long-bad-kind"),
    ],
)
def test_error_messages_quote_long_values_shortened(values: dict[str, str], key: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse(registry_toml(source_toml(**values)))
    assert len(str(info.value)) < 400
    assert info.value.key == key


def test_a_leading_byte_order_mark_in_text_is_ignored() -> None:
    assert parse("\ufeff" + registry_toml(source_toml()))[0].id == "kfw-318"


def test_a_file_larger_than_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factlinks._registry.interface, "MAX_REGISTRY_BYTES", 1_000)
    path = tmp_path / "sources.toml"
    path.write_text(registry_toml(source_toml(citation='"' + "x" * 2_000 + '"')), "utf-8")
    with pytest.raises(RegistryError, match=r"too large for a registry") as info:
        load_sources(path)
    assert str(info.value).startswith(f"{path}: ")


def test_an_endless_file_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    if not Path("/dev/zero").exists():  # pragma: no cover - POSIX only
        pytest.skip("no /dev/zero")
    monkeypatch.setattr(factlinks._registry.interface, "MAX_REGISTRY_BYTES", 10_000)
    with pytest.raises(RegistryError, match="too large"):
        load_sources("/dev/zero")


@pytest.mark.parametrize(
    ("data", "line"),
    [
        pytest.param(b'[[source]]\nid = "a\xff"\n', 2, id="invalid-byte"),
        pytest.param(b'[[source]]\nid = "a"\nurl = "\xe2\x82"\n', 3, id="truncated-sequence"),
        pytest.param(b"\xff\xfe[\x00[\x00", 1, id="utf-16-bom"),
    ],
)
def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path, data: bytes, line: int) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(data)
    with pytest.raises(RegistryError, match=rf"^{re.escape(str(path))}:{line}: not UTF-8 text"):
        load_sources(path)


def test_nul_bytes_are_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b'[[source]]\nid = "a"\x00\n')
    with pytest.raises(RegistryError, match=rf"^{re.escape(str(path))}:2:\d+: invalid TOML"):
        load_sources(path)


def test_a_name_with_a_nul_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load_sources("sources\x00.toml")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a = " + "[" * 100_000, id="unclosed"),
        pytest.param("a = " + "[" * 5_000 + "]" * 5_000, id="closed"),
        pytest.param("a = 1" + "0" * 5_000, id="huge-integer"),
    ],
)
def test_edits_of_a_file_tomlkit_cannot_read_are_a_registry_error(text: str) -> None:
    fmt = factlinks._registry.TomlFormat()
    edit = factlinks._registry.Edit("a", "url", "https://b.example/", old="https://a.example/")
    with pytest.raises(RegistryError, match=r"^conf/sources\.toml: invalid TOML"):
        fmt.apply_edits(text, [edit], path=PATH)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'[[source]]\nid = "a"\nurl = "http://[::1/x"\n', id="bad-brackets"),
        pytest.param(b"a = " + b"[" * 100_000, id="deep-nesting"),
        pytest.param(b"a = 1" + b"0" * 5_000, id="huge-integer"),
        pytest.param(b'[[source]]\nid = "\xff"\n', id="not-utf8"),
        pytest.param(b'[settings]\nuser_agent = "\xc3\xbc"\n', id="non-ascii-user-agent"),
        pytest.param(bytes(range(256)) * 4, id="binary-garbage"),
    ],
)
@pytest.mark.parametrize("command", ["check", "fix"])
def test_the_cli_exits_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, command: str
) -> None:
    from factlinks._cli import main

    path = tmp_path / "sources.toml"
    path.write_bytes(data)
    argv = [command, str(path), "--out", str(tmp_path / "out"), "--no-state", "--no-archive"]
    assert main(argv if command == "check" else [command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"factlinks: error: {path}")
    assert "Traceback" not in err
    assert "internal error" not in err
    assert not (tmp_path / "out").exists()


def test_cited_url_is_accepted_and_checked() -> None:
    ok = parse(
        '[[source]]\nid = "a"\nurl = "https://new.example/x.pdf"\n'
        'cited_url = "https://old.example/x.pdf"\n'
    )
    assert ok[0].cited_url == "https://old.example/x.pdf"
    with pytest.raises(RegistryError, match="'cited_url' must be http or https"):
        parse('[[source]]\nid = "a"\nurl = "https://a.example/"\ncited_url = "ftp://x/y"\n')
    with pytest.raises(RegistryError, match="cited_url"):
        parse('[[source]]\nid = "a"\nurl = "https://a.example/"\ncited_url = 3\n')
