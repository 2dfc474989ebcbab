"""``factlinks.toml``: the settings and ``cited_in`` of a registry whose format has no place
for them (a ``.bib``), read from the file's folder; errors name it, the line and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factlinks import RegistryError, load_sources
from factlinks._cli import main
from factlinks._registry import FORMATS, BibtexFormat, TomlFormat
from factlinks._registry.sidecar import (
    SIDECAR_NAME,
    Sidecar,
    apply_sidecar,
    load_sidecar,
    parse_sidecar,
    sidecar_path,
)
from farm import Farm

BIB = "@online{A, title = {Alpha}, url = {https://docs.example.org/a.html}}\n"


def _folder(tmp_path: Path, sidecar: str | None) -> Path:
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    if sidecar is not None:
        (tmp_path / SIDECAR_NAME).write_text(sidecar, encoding="utf-8")
    return tmp_path / "refs.bib"


# -- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "settings", "cited_in"),
    [
        pytest.param("", {}, None, id="empty"),
        pytest.param(
            '[settings]\ntimeout = 7\nfail_on = ["dead"]\n',
            {"timeout": 7.0, "fail_on": ["dead"]},
            None,
            id="settings",
        ),
        pytest.param('[registry]\ncited_in = "thesis"\n', {}, ("thesis",), id="one-document"),
        pytest.param(
            "[registry]\ncited_in = ['thesis', 'talk']\n", {}, ("thesis", "talk"), id="list"
        ),
        pytest.param("[registry]\ncited_in = []\n", {}, (), id="cited-nowhere"),
        pytest.param("settings.per_host = 1\n", {"per_host": 1}, None, id="dotted-key"),
    ],
)
def test_a_sidecar_holds_settings_and_cited_in(
    text: str, settings: dict[str, object], cited_in: tuple[str, ...] | None
) -> None:
    assert parse_sidecar(text, path="x/factlinks.toml") == Sidecar(
        "x/factlinks.toml", settings, cited_in
    )


def test_a_bib_takes_settings_and_cited_in_from_the_factlinks_toml_beside_it(
    tmp_path: Path,
) -> None:
    path = _folder(tmp_path, '[settings]\ntimeout = 7\n\n[registry]\ncited_in = ["thesis"]\n')
    registry = load_sources(path)
    assert registry.settings == {"timeout": 7.0}
    assert registry.options().timeout == 7.0
    assert [s.cited_in for s in registry] == [("thesis",)]
    assert BibtexFormat().load(path) == registry  # the format's own load reads it too
    assert registry.path == str(path)


def test_without_a_sidecar_a_bib_has_no_settings_and_is_cited_in_itself(tmp_path: Path) -> None:
    path = _folder(tmp_path, None)
    registry = load_sources(path)
    assert registry.settings == {}
    assert [s.cited_in for s in registry] == [("refs.bib",)]
    assert load_sidecar(path) is None
    assert sidecar_path(path) == str(tmp_path / SIDECAR_NAME)
    assert apply_sidecar(registry, None) is registry


def test_a_sidecar_beside_a_sources_toml_is_ignored(tmp_path: Path) -> None:
    """``sources.toml`` holds its own settings and ``cited_in``; the ``factlinks.toml`` in the
    same folder belongs to the ``.bib`` there, so it is not even read (here: not TOML)."""
    (tmp_path / SIDECAR_NAME).write_text("[settings\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[settings]\ntimeout = 3\n\n[[source]]\nid = "a"\nurl = "https://a.example/"\n',
        encoding="utf-8",
    )
    registry = load_sources(tmp_path / "sources.toml")
    assert registry.settings == {"timeout": 3.0}
    assert [s.cited_in for s in registry] == [()]
    assert TomlFormat.holds_settings


def test_any_format_without_settings_gets_the_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader applies it, not the BibTeX format: a new format only says it has no place."""

    class Bare(TomlFormat):
        name = "bare"
        suffixes = (".bare",)
        holds_settings = False

    monkeypatch.setitem(FORMATS, "bare", Bare())
    path = tmp_path / "refs.bare"
    path.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\n', encoding="utf-8")
    (tmp_path / SIDECAR_NAME).write_text('[registry]\ncited_in = "talk"\n', encoding="utf-8")
    assert [s.cited_in for s in load_sources(path)] == [("talk",)]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[settings]\ntimout = 7\n",
            r"^factlinks\.toml:2: \[settings\]: unknown key 'timout'; did you mean 'timeout'\?$",
            id="unknown-setting",
        ),
        pytest.param(
            "# the thesis\n[settings]\n\ntimeout = -1\n",
            r"^factlinks\.toml:4: \[settings\]: 'timeout' must be a positive number",
            id="bad-setting",
        ),
        pytest.param(
            '[settings]\nfail_on = ["gone"]\n',
            r"^factlinks\.toml:2: \[settings\]: .*'gone'",
            id="bad-status",
        ),
        pytest.param(
            "[setting]\ntimeout = 7\n",
            r"^factlinks\.toml:1: unknown table 'setting'; did you mean 'settings'\?$",
            id="unknown-table",
        ),
        pytest.param(
            "[[source]]\nid = 'a'\n",
            r"^factlinks\.toml:1: unknown table 'source'; valid: settings, registry, host$",
            id="sources-belong-elsewhere",
        ),
        pytest.param(
            "[registry]\ncitedin = 'thesis'\n",
            r"^factlinks\.toml:2: \[registry\]: unknown key 'citedin'; did you mean 'cited_in'\?$",
            id="unknown-registry-key",
        ),
        pytest.param(
            "[registry]\ncited_in = [1]\n",
            r"^factlinks\.toml:2: \[registry\]: 'cited_in' must be a document name or a list",
            id="bad-cited-in",
        ),
        pytest.param(
            "registry = 'thesis'\n",
            r"^factlinks\.toml:1: 'registry' must be a table",
            id="registry-not-a-table",
        ),
        pytest.param("[settings\n", r"^factlinks\.toml:1:\d+: invalid TOML: ", id="not-toml"),
    ],
)
def test_an_error_names_the_sidecar_its_line_and_key(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as caught:
        parse_sidecar(text, path="factlinks.toml")
    assert caught.value.path == "factlinks.toml"


def test_load_sources_reports_the_sidecars_error_with_its_path(tmp_path: Path) -> None:
    path = _folder(tmp_path, "[settings]\nconcurency = 2\n")
    sidecar = str(tmp_path / SIDECAR_NAME)
    with pytest.raises(RegistryError, match=rf"^{sidecar}:2: \[settings\]: unknown key") as e:
        load_sources(path)
    assert e.value.key == "concurency"


# -- factlinks check refs.bib -----------------------------------------------------------------


@pytest.mark.integration
def test_check_uses_the_sidecar_and_command_line_flags_override_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _folder(
        tmp_path, '[settings]\nfail_on = ["unreachable"]\n[registry]\ncited_in = "thesis"\n'
    )
    out = tmp_path / "out"
    with Farm() as farm:
        farm.add_host("docs.example.org", {})  # every path answers 404: the source is dead
        argv = ["check", str(path), "--out", str(out), "--format", "json", "--no-archive"]
        argv += ["--timeout", "3", "-q", *farm.remap_args()]
        assert main(argv) == 0  # dead does not fail the run: the sidecar's fail_on
        report = json.loads((out / "report.json").read_text("utf-8"))
        assert [(s["id"], s["status"], s["cited_in"]) for s in report["sources"]] == [
            ("a", "dead", ["thesis"])
        ]
        assert main([*argv, "--fail-on", "dead"]) == 1  # the flag wins over the sidecar
    (tmp_path / SIDECAR_NAME).write_text("[settings]\nfail_on = 'dead'\n", encoding="utf-8")
    capsys.readouterr()
    assert main(argv) == 2
    assert "factlinks.toml:2: [settings]: 'fail_on' must be a list" in capsys.readouterr().err
