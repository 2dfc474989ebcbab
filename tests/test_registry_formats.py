"""The registry seam: choosing a format, and the ``sources.toml`` format's read, edit and append."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

import factlinks
from factlinks import Kind, Registry, RegistryError, Source
from factlinks._registry import (
    FORMATS,
    Edit,
    RegistryFormat,
    TomlFormat,
    format_for,
    load_sources,
    parse_sources,
)

TOML = TomlFormat()
REGISTRY_URL = "https://old.example.org/reports/2021.pdf"

REGISTRY = """\
# The widget fact sheet's citations.

[settings]
timeout = 20  # seconds

[[source]]
id       = "report"   # cited twice
url      = "https://old.example.org/reports/2021.pdf"  # as printed
kind     = "pdf"

# The ministry relaunched its site in 2024.
  [[source]]
  id = "study"
  url = 'https://ministry.example.org/study.pdf'
  archive_url = "https://web.archive.org/web/2021/https://ministry.example.org/study.pdf"
"""


class _BibFormat(RegistryFormat):
    """A toy format: ``<source{id, url}`` lines, read only."""

    name = "bib"
    suffixes = (".toybib", ".txt")

    def sniff(self, text: str) -> bool:
        return text.lstrip().startswith("<")

    def parse(self, text: str, *, path: str | os.PathLike[str] = "<string>") -> Registry:
        sources = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith("<source{"):
                source_id, url = line.removeprefix("<source{").rstrip("}").split(", ")
                sources.append(Source(source_id, url, line=number, column=1))
        return Registry(tuple(sources), {}, os.fspath(path))

    def apply_edits(
        self, text: str, edits: Sequence[Edit], *, path: str | os.PathLike[str] = "<string>"
    ) -> str:
        raise RegistryError(f"{path}: read only", path=os.fspath(path))

    def append(
        self,
        text: str,
        sources: Sequence[Source],
        *,
        path: str | os.PathLike[str] = "<string>",
        notes: Mapping[str, str] | None = None,
    ) -> str:
        return text + "".join(f"<source{{{s.id}, {s.url}}}\n" for s in sources)


@pytest.fixture
def with_bib(monkeypatch: pytest.MonkeyPatch) -> _BibFormat:
    bib = _BibFormat()
    monkeypatch.setitem(FORMATS, bib.name, bib)  # the one line that registers a format
    return bib


# -- format_for -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("sources.toml", None, id="suffix-alone"),
        pytest.param("conf/SOURCES.TOML", REGISTRY, id="suffix-any-case"),
        pytest.param("sources.toml", "", id="empty-file"),
        pytest.param("sources.toml", "{not toml", id="suffix-wins-when-no-format-claims-content"),
        pytest.param("<string>", REGISTRY, id="no-suffix-content-decides"),
        pytest.param("sources.conf", "# comment\n[settings]\n", id="unknown-suffix-content"),
    ],
)
def test_format_for_toml(name: str, text: str | None) -> None:
    assert isinstance(format_for(name, text), TomlFormat)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("refs.xyz", None, id="unknown-suffix-without-content"),
        pytest.param("refs.xml", "<?xml version='1.0'?>\n<refs/>\n", id="xml"),
        pytest.param("refs.json", '[\n  {"id": "kfw"}\n]\n', id="json-array"),
        pytest.param("<string>", '{"source": []}', id="json-object"),
    ],
)
def test_format_for_names_the_file_when_no_format_fits(name: str, text: str | None) -> None:
    with pytest.raises(RegistryError) as info:
        format_for(name, text)
    assert str(info.value).startswith(f"{name}: not a registry file"), info.value
    assert "toml (.toml)" in str(info.value)
    assert info.value.path == name


def test_load_sources_refuses_a_file_in_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "refs.xml"
    path.write_text("<?xml version='1.0'?>\n<refs/>\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"refs\.xml: not a registry file"):
        factlinks.load_sources(path)


def test_a_toml_suffix_with_broken_content_still_says_invalid_toml() -> None:
    with pytest.raises(RegistryError, match=r"^sources\.toml:1:1: invalid TOML"):
        parse_sources("{not toml", path="sources.toml")


def test_a_registered_format_is_chosen_by_suffix_and_by_content(with_bib: _BibFormat) -> None:
    bib_text = "<source{kfw, https://kfw.example/318.pdf}\n"
    assert format_for("refs.toybib") is with_bib
    assert format_for("refs.toybib", bib_text) is with_bib
    assert format_for("<string>", bib_text) is with_bib
    # .txt is claimed by the toy format, but TOML content is confirmed as TOML
    assert isinstance(format_for("sources.txt", REGISTRY), TomlFormat)
    assert format_for("sources.toml", REGISTRY) is FORMATS["toml"]
    registry = parse_sources(bib_text, path="refs.toybib")
    assert [(s.id, s.url, s.line) for s in registry] == [("kfw", "https://kfw.example/318.pdf", 1)]


def test_load_sources_goes_through_the_registered_format(
    with_bib: _BibFormat, tmp_path: Path
) -> None:
    path = tmp_path / "refs.toybib"
    path.write_text("<source{a, https://a.example/}\n", encoding="utf-8")
    assert load_sources(path).get("a") == Source("a", "https://a.example/")
    assert with_bib.load(path).path == str(path)


# -- reading: where each source is ------------------------------------------------------------


def test_toml_sources_know_their_line_and_column() -> None:
    registry = TOML.parse(REGISTRY, path="sources.toml")
    assert [(s.id, s.line, s.column) for s in registry] == [("report", 6, 1), ("study", 12, 3)]
    assert [(s.line, s.column) for s in parse_sources(REGISTRY)] == [(6, 1), (12, 3)]


def test_inline_source_tables_have_no_position() -> None:
    registry = TOML.parse('source = [{id = "a", url = "https://a.example/"}]\n')
    assert (registry[0].line, registry[0].column) == (None, None)


def test_the_position_does_not_count_in_equality_or_hash() -> None:
    source = TOML.parse(REGISTRY)[0]
    plain = dataclasses.replace(source, line=None, column=None)
    assert source == plain
    assert hash(source) == hash(plain)
    assert Source("a", "https://a.example/", line=3) == Source("a", "https://a.example/")


# -- editing ----------------------------------------------------------------------------------


def _changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    return [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]


def test_apply_edits_changes_only_the_value() -> None:
    edit = Edit("report", "url", "https://new.example.org/2021.pdf", old=REGISTRY_URL)
    new = TOML.apply_edits(REGISTRY, [edit], path="sources.toml")
    assert _changed_lines(REGISTRY, new) == [
        (
            'url      = "https://old.example.org/reports/2021.pdf"  # as printed\n',
            'url      = "https://new.example.org/2021.pdf"  # as printed\n',
        )
    ]


def test_apply_edits_keeps_literal_quoting_and_crlf() -> None:
    text = REGISTRY.replace("\n", "\r\n")
    edit = Edit(
        "study",
        "url",
        "https://ministry.example.org/new.pdf",
        old="https://ministry.example.org/study.pdf",
    )
    new = TOML.apply_edits(text, [edit])
    assert new == text.replace("study.pdf'", "new.pdf'")


def test_apply_edits_adds_a_key_after_url_aligned_like_it() -> None:
    edit = Edit("report", "archive_url", "https://web.archive.org/web/2021/x")
    new = TOML.apply_edits(REGISTRY, [edit])
    assert new == REGISTRY.replace(
        "# as printed\n", '# as printed\narchive_url = "https://web.archive.org/web/2021/x"\n'
    )


def test_apply_edits_removes_a_key_with_its_line() -> None:
    archive = "https://web.archive.org/web/2021/https://ministry.example.org/study.pdf"
    new = TOML.apply_edits(REGISTRY, [Edit("study", "archive_url", None, old=archive)])
    assert new == REGISTRY.replace(f'  archive_url = "{archive}"\n', "")
    assert TOML.parse(new).get("study") == Source("study", "https://ministry.example.org/study.pdf")


def test_no_edits_give_the_text_back_byte_for_byte() -> None:
    assert TOML.apply_edits(REGISTRY, []) == REGISTRY


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            Edit("nope", "url", "https://x.example/"),
            "sources.toml: no source with id 'nope'",
            id="unknown-id",
        ),
        pytest.param(
            Edit("report", "url", "https://x.example/", old="https://other.example/"),
            "sources.toml: source 'report': 'url' is "
            "'https://old.example.org/reports/2021.pdf', not 'https://other.example/' as planned",
            id="stale-old-value",
        ),
        pytest.param(
            Edit("report", "url", "https://x.example/"),
            "not None as planned",
            id="old-none-means-absent",
        ),
    ],
)
def test_apply_edits_refuses_an_edit_it_cannot_apply(edit: Edit, message: str) -> None:
    with pytest.raises(RegistryError) as info:
        TOML.apply_edits(REGISTRY, [edit], path="sources.toml")
    assert message in str(info.value)
    assert info.value.source_id == edit.source_id


def test_apply_edits_refuses_broken_toml() -> None:
    with pytest.raises(RegistryError, match=r"^sources\.toml: invalid TOML"):
        TOML.apply_edits("[[source]\n", [], path="sources.toml")


def test_edit_is_a_frozen_value() -> None:
    edit = Edit("a", "url", "https://a.example/")
    assert edit.old is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        edit.value = "x"  # type: ignore[misc]


# -- appending --------------------------------------------------------------------------------


def test_append_writes_each_source_under_its_note() -> None:
    sources = [
        Source("b", "https://b.example/x.pdf", kind=Kind.PDF, cited_in=("doc",)),
        Source("c", "https://c.example/"),
    ]
    new = TOML.append(REGISTRY, sources, notes={"b": "Added by hand."})
    assert new == REGISTRY + (
        "\n# Added by hand.\n"
        '[[source]]\nid = "b"\nurl = "https://b.example/x.pdf"\nkind = "pdf"\n'
        'cited_in = ["doc"]\n'
        '\n[[source]]\nid = "c"\nurl = "https://c.example/"\n'
    )


@pytest.mark.parametrize(
    ("text", "joint"),
    [
        pytest.param("", "\n\n", id="empty"),
        pytest.param('a = "b"\n', "\n", id="one-newline"),
        pytest.param('a = "b"\n\n', "\n", id="blank-line-kept"),
        pytest.param('a = "b"', "\n", id="no-final-newline"),
    ],
)
def test_append_only_adds_text_at_the_end(text: str, joint: str) -> None:
    new = TOML.append(text, [Source("c", "https://c.example/")])
    assert new == text + joint + '[[source]]\nid = "c"\nurl = "https://c.example/"\n'


def test_append_of_nothing_is_the_text() -> None:
    assert TOML.append(REGISTRY, []) == REGISTRY


def test_every_field_appended_reads_back() -> None:
    source = Source(
        "all",
        'https://a.example/q?x="1"&y=\\',
        title='Ein "Titel" \x7f mit\tTab und \u2028 Ümlaut',
        kind=Kind.HTML,
        citation="KfW (2021)",
        cited_in=("doc-a", "doc b"),
        accessed=dt.date(2021, 2, 15),
        skip="paywalled",
        archive_url="https://web.archive.org/web/2021/https://a.example/",
    )
    text = TOML.append("", [source], notes={"all": "two\nlines"})
    assert "# two\n# lines\n[[source]]\n" in text
    assert TOML.parse(text)[0] == source
