"""The line-oriented registry formats, JSON Lines and CSV: records read into sources, their
errors with lines, unique ids through digests, a sidecar's settings, a registry that keeps
offsets rather than sources, fix and append byte for byte, and a real check and fix."""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import factlinks
from factlinks import RegistryError, Source
from factlinks._cli import main
from factlinks._registry import (
    FORMATS,
    CsvFormat,
    Edit,
    JsonLinesFormat,
    format_for,
    load_sources,
    parse_sources,
)
from factlinks._registry import lines as lines_module
from factlinks._registry.interface import IndexedSources, read_head
from factlinks._registry.lines import IdIndex, LineSources
from farm import Farm, Reply

JSONL = JsonLinesFormat()
CSV = CsvFormat()


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


A = {"id": "a", "url": "https://a.example/"}
B = {"id": "b", "url": "https://b.example/"}


def jsonl(*tables: dict[str, object]) -> str:
    return "".join(json.dumps(table, ensure_ascii=False) + "\n" for table in tables)


# -- reading ----------------------------------------------------------------------------------


def test_a_jsonl_file_reads_every_key_of_sources_toml() -> None:
    text = (
        '{"id": "kfw", "url": "https://www.kfw.de/a.pdf", "title": " Künstliche Intelligenz ",'
        ' "kind": "pdf", "citation": "KfW 2021", "cited_in": ["factsheet"], '
        '"accessed": "2021-02-15", "archive_url": "https://web.archive.org/web/2021/x", '
        '"cited_url": "https://old.example/a.pdf", "authors": ["Zimmermann, Volker"], '
        '"year": 2021}\n'
        "\n"
        "   \n"
        '{"id": "skipped", "url": "https://b.example/", "skip": true, "title": null}\r\n'
        '{"id": "by-doi", "doi": "doi:10.1000/182", "cited_in": "thesis", "skip": "login"}'
    )
    registry = JSONL.parse(text, path="s.jsonl")
    kfw, skipped, by_doi = registry
    assert kfw == Source(
        id="kfw",
        url="https://www.kfw.de/a.pdf",
        title="Künstliche Intelligenz",
        kind="pdf",
        citation="KfW 2021",
        cited_in=("factsheet",),
        accessed=dt.date(2021, 2, 15),
        archive_url="https://web.archive.org/web/2021/x",
        cited_url="https://old.example/a.pdf",
        authors=("Zimmermann, Volker",),
        year="2021",
    )
    assert (kfw.line, skipped.line, by_doi.line) == (1, 4, 5)
    assert skipped.skip == "skipped in the registry"
    assert skipped.title is None
    assert by_doi.url == "https://doi.org/10.1000/182"
    assert by_doi.cited_in == ("thesis",)
    assert registry.path == "s.jsonl"
    assert registry.settings == {}


def test_a_csv_file_reads_its_columns_as_keys() -> None:
    text = (
        "\ufeffid, url ,title,cited_in,accessed,skip,kind,authors\r\n"
        'kfw,https://www.kfw.de/a.pdf,"Intelligenz, hohe ""Chancen""",factsheet; annex ,'
        "2021-02-15,,pdf,Zimmermann; Volker\r\n"
        "\r\n"
        ",,,,,,\r\n"
        'multi,https://b.example/,"two\nlines",,,false\r\n'
        "short,https://c.example/\r\n"
        "off,https://d.example/,,,,Yes\r\n"
        "why,https://e.example/,,,,behind a login"
    )
    kfw, multi, short, off, why = CSV.parse(text, path="s.csv")
    assert kfw.title == 'Intelligenz, hohe "Chancen"'
    assert kfw.cited_in == ("factsheet", "annex")
    assert kfw.authors == ("Zimmermann", "Volker")
    assert kfw.accessed == dt.date(2021, 2, 15)
    assert kfw.kind.value == "pdf"
    assert kfw.skip is None
    assert multi.title == "two\nlines"
    assert multi.skip is None
    assert (short.title, short.cited_in) == (None, ())
    assert off.skip == "skipped in the registry"
    assert why.skip == "behind a login"
    assert [s.line for s in (kfw, multi, short, off, why)] == [2, 5, 7, 8, 9]


def test_an_empty_file_is_an_empty_registry() -> None:
    assert len(JSONL.parse("", path="s.jsonl")) == 0
    assert len(CSV.parse("", path="s.csv")) == 0
    assert len(CSV.parse("id,url\n", path="s.csv")) == 0


def test_the_sequence_indexes_slices_and_finds_by_id() -> None:
    text = jsonl(*({"id": f"s{n}", "url": f"https://h{n % 3}.example/{n}"} for n in range(50)))
    registry = JSONL.parse(text, path="s.jsonl")
    assert isinstance(registry.sources, IndexedSources)
    assert registry[-1].id == "s49"
    assert registry[0].id == "s0"
    assert [s.id for s in registry[10:13]] == ["s10", "s11", "s12"]
    assert [s.id for s in registry[::-20]] == ["s49", "s29", "s9"]
    with pytest.raises(IndexError):
        registry[50]
    got = registry.get("s37")
    assert got is not None
    assert got.url == "https://h1.example/37"
    assert registry.get("s50") is None
    assert registry.sources.index(registry[7]) == 7
    assert "50 sources of s.jsonl" in repr(registry.sources)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '{"id": "a", "url": "https://a.example/"\n',
            r"^s\.jsonl:1:40: invalid JSON: Expecting ',' delimiter$",
            id="invalid-json-with-column",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/"}\n["b"]\n',
            r"^s\.jsonl:2: source #2 must be a JSON object \(\{\"id\": …\}\), not an array$",
            id="not-an-object",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "url": "https://b.example/"}',
            r"^s\.jsonl:1: source #1: key 'url' given twice$",
            id="key-twice",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "titel": "x"}',
            r"^s\.jsonl:1: source 'a': unknown key 'titel'; did you mean 'title'\?$",
            id="unknown-key",
        ),
        pytest.param(
            '\n\n{"url": "https://a.example/"}',
            r"^s\.jsonl:3: source #1: missing required key 'id'$",
            id="missing-id",
        ),
        pytest.param(
            '{"id": null, "url": "https://a.example/"}',
            r"^s\.jsonl:1: source #1: 'id' must be a string",
            id="null-id",
        ),
        pytest.param(
            '{"id": "a", "url": "ftp://a.example/"}',
            r"^s\.jsonl:1: source 'a': 'url' must be http or https, not ftp",
            id="ftp-url",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "accessed": "15.02.2021"}',
            r"^s\.jsonl:1: source 'a': 'accessed' must be a date \(e\.g\. 2021-02-15\), "
            r"not str '15\.02\.2021'$",
            id="bad-date",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "accessed": "2021-02-30"}',
            r"'accessed' must be a date",
            id="impossible-date",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "kind": "pfd"}',
            r"^s\.jsonl:1: source 'a': 'kind' must be one of .*did you mean 'pdf'\?$",
            id="bad-kind",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/"}\n{"id": "b", "url": "https://b.example/"}\n'
            '\n{"id": "a", "url": "https://c.example/"}',
            r"^s\.jsonl:4: source 'a': duplicate id \(also line 1\)$",
            id="duplicate-id",
        ),
        pytest.param(
            '{"id": "a", "url": "https://a.example/", "title": '
            + "[" * 100_000
            + "]" * 100_000
            + "}",
            r"^s\.jsonl:1: invalid JSON: nested too deeply$",
            id="nested-too-deeply",
        ),
    ],
)
def test_jsonl_errors_name_the_file_the_line_the_source_and_the_key(
    text: str, message: str
) -> None:
    with pytest.raises(RegistryError, match=message):
        JSONL.parse(text, path="s.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "id,urll\n",
            r"^s\.csv:1: column 2: unknown column 'urll'; did you mean 'url'\?$",
            id="unknown-column",
        ),
        pytest.param(
            "id,url,colour\n",
            r"^s\.csv:1: column 3: unknown column 'colour'; valid: id, url, ",
            id="unknown-column-no-hint",
        ),
        pytest.param(
            "id,url,id\n",
            r"^s\.csv:1: column 3: column 'id' given twice$",
            id="column-twice",
        ),
        pytest.param(
            "url,title\n",
            r"^s\.csv:1: the header has no 'id' column$",
            id="no-id-column",
        ),
        pytest.param(
            "id,title\n",
            r"^s\.csv:1: the header has no 'url' column \(nor 'doi'",
            id="no-url-column",
        ),
        pytest.param(
            "id,url\na,https://a.example/,extra\n",
            r"^s\.csv:2: source #1: the row has 3 cells, the header 2 columns$",
            id="too-many-cells",
        ),
        pytest.param(
            'id,url\na,https://a.example/\nb,"https://b.example/"x\n',
            r"^s\.csv:3: invalid CSV: ',' expected after '\"'$",
            id="bad-quoting",
        ),
        pytest.param(
            "id,url,kind\na,https://a.example/\nb,https://b.example/,web\n",
            r"^s\.csv:3: source 'b': 'kind' must be one of",
            id="bad-kind",
        ),
        pytest.param(
            "id,url\nA B,https://a.example/\n",
            r"^s\.csv:2: source 'A B': 'id' may only hold",
            id="bad-id",
        ),
        pytest.param(
            "id,url\n,https://a.example/\n",
            r"^s\.csv:2: source #1: missing required key 'id'$",
            id="missing-id",
        ),
        pytest.param(
            "id,url\na,https://a.example/\na,https://b.example/\n",
            r"^s\.csv:3: source 'a': duplicate id \(also line 2\)$",
            id="duplicate-id",
        ),
        pytest.param(
            'id,url,title\na,https://a.example/,"one\ntwo"\na,https://b.example/\n',
            r"^s\.csv:4: source 'a': duplicate id \(also line 2\)$",
            id="duplicate-after-a-multiline-row",
        ),
    ],
)
def test_csv_errors_name_the_file_the_line_the_source_and_the_key(text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        CSV.parse(text, path="s.csv")


@pytest.mark.parametrize(("form", "head"), [(JSONL, b""), (CSV, b"id,url\n")])
def test_bytes_that_are_not_utf8_are_an_error_with_the_line(
    tmp_path: Path, form: JsonLinesFormat | CsvFormat, head: bytes
) -> None:
    path = tmp_path / f"s{form.suffixes[0]}"
    good = b'{"id": "a", "url": "https://a.example/"}\n' if form is JSONL else b"a,https://a/\n"
    path.write_bytes(head + good + b'{"id": "b\xff"}\n')
    with pytest.raises(RegistryError, match=rf":{2 + bool(head)}: not UTF-8 text"):
        load_sources(path)


def test_a_line_too_long_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", 16)
    short = '{"id": "a", "url": "https://a.example/"}\n'
    long = '{"id": "b", "url": "https://b.example/", "title": "' + "x" * 200 + '"}\n'
    assert len(JSONL.parse(short * 1 + short.replace('"a"', '"c"'), path="s.jsonl")) == 2
    with pytest.raises(RegistryError, match=r"^s\.jsonl:2: line longer than"):
        JSONL.parse(short + long, path="s.jsonl")


def test_too_many_sources_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "MAX_LINE_SOURCES", 3)
    text = jsonl(*({"id": f"s{n}", "url": "https://a.example/"} for n in range(4)))
    assert len(JSONL.parse(text.split("\n", 1)[1], path="s.jsonl")) == 3
    with pytest.raises(RegistryError, match=r"^s\.jsonl:4: too many sources .*over 3\)"):
        JSONL.parse(text, path="s.jsonl")


def test_text_that_cannot_be_utf8_is_an_error() -> None:
    with pytest.raises(RegistryError, match=r"^s\.jsonl: not UTF-8 text \(surrogates not"):
        JSONL.parse('{"id": "\ud800", "url": "https://a.example/"}', path="s.jsonl")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"nope\.jsonl: no such file"):
        load_sources(tmp_path / "nope.jsonl")
    with pytest.raises(RegistryError, match=r"nope\.csv: no such file"):
        JSONL.load(tmp_path / "nope.csv")
    with pytest.raises(RegistryError, match="cannot read"):
        load_sources(tmp_path)  # a folder named like a registry
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(RegistryError, match="cannot read"):
        load_sources(tmp_path / "dir.jsonl")


# -- unique ids by digest ---------------------------------------------------------------------


def test_ids_that_share_a_digest_are_told_apart_by_reading_them_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every id gets one digest: each new id is compared with every earlier one, read back."""
    monkeypatch.setattr(lines_module, "id_digest", lambda source_id: 42)
    text = jsonl(*({"id": f"s{n}", "url": f"https://a.example/{n}"} for n in range(30)))
    registry = JSONL.parse(text, path="s.jsonl")
    assert [s.id for s in registry] == [f"s{n}" for n in range(30)]
    found = registry.get("s17")
    assert found is not None
    assert found.url == "https://a.example/17"
    assert registry.get("s30") is None
    duplicated = text + '{"id": "s12", "url": "https://b.example/"}\n'
    with pytest.raises(
        RegistryError, match=r"^s\.jsonl:31: source 's12': duplicate id \(also line 13"
    ):
        JSONL.parse(duplicated, path="s.jsonl")
    rows = (
        "id,url\n" + "".join(f"s{n},https://a.example/{n}\n" for n in range(5)) + "s3,https://x/\n"
    )
    with pytest.raises(
        RegistryError, match=r"^s\.csv:7: source 's3': duplicate id \(also line 5\)$"
    ):
        CSV.parse(rows, path="s.csv")


def test_the_id_index_grows_and_keeps_every_digest() -> None:
    index = IdIndex()
    digests = [(n * 0x9E3779B97F4A7C15) % 2**64 for n in range(5000)]
    for digest in digests:
        index.add(digest)
    assert len(index) == 5000
    assert all(list(index.candidates(d)) == [n] for n, d in enumerate(digests[::97]) if n == 0)
    assert [list(index.candidates(d)) for d in digests[:3]] == [[0], [1], [2]]
    assert list(index.candidates(12345)) == []
    assert index.nbytes() <= 5000 * 8 + 4 * 16384
    index.add(digests[1])  # the same digest again: both are candidates
    assert sorted(index.candidates(digests[1])) == [1, 5000]


def test_a_file_rewritten_in_place_after_loading_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(jsonl(A, B))
    registry = load_sources(path)
    with path.open("r+", encoding="utf-8") as file:  # same length, other id
        file.write(jsonl({"id": "z", "url": "https://a.example/"}))
    assert registry[1].id == "b"
    with pytest.raises(RegistryError, match=r"s\.jsonl:1: the file changed since it was loaded"):
        registry[0]


def test_a_file_replaced_after_loading_is_still_read_as_loaded(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(jsonl({"id": "a", "url": "https://a.example/"}))
    registry = load_sources(path)
    other = tmp_path / "new.jsonl"
    other.write_text(jsonl({"id": "zzz", "url": "https://z.example/"}))
    other.replace(path)  # as fix and extract --write do
    assert [s.id for s in registry] == ["a"]


# -- choosing the format ----------------------------------------------------------------------


def test_the_formats_are_registered_and_picked_by_suffix_and_content(tmp_path: Path) -> None:
    assert FORMATS["jsonl"] is not None
    assert FORMATS["csv"] is not None
    line = '{"id": "a", "url": "https://a.example/"}\n'
    assert format_for("s.jsonl", line).name == "jsonl"
    assert format_for("s.NDJSON", line).name == "jsonl"
    assert format_for("sources", line).name == "jsonl"  # by content alone
    assert format_for("s.csv", "id,url\n").name == "csv"
    assert format_for("s.csv").name == "csv"
    assert format_for("s.jsonl", "[[source]]\n").name == "toml"  # the content wins
    assert JSONL.sniff("\ufeff\n" + line)
    assert not JSONL.sniff('{"a": 1}\n')
    assert not JSONL.sniff("[1]\n")
    assert not JSONL.sniff("")
    assert not JSONL.sniff('{"id": \n')
    assert not JSONL.sniff("x = 1\n")
    assert CSV.sniff("\ufeffid,url,title\n")
    assert CSV.sniff("doi,id\n")
    assert not CSV.sniff("url,title\n")
    assert not CSV.sniff("id;url\n")
    assert not CSV.sniff("[[source]]\n")
    assert not CSV.sniff("id,url," + "x" * 200_000 + "\n")  # a cell over csv's field limit
    # a report is no registry of either format
    report = tmp_path / "report.json"
    report.write_text('{"schema": "factlinks.report/1"}\n')
    with pytest.raises(RegistryError, match="not a registry file"):
        load_sources(report)


def test_a_broken_first_line_is_still_read_as_the_suffix_says(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a", "url": \n')
    with pytest.raises(RegistryError, match=r"s\.jsonl:1:20: invalid JSON: Expecting value$"):
        load_sources(path)
    with pytest.raises(RegistryError, match=r"^s\.csv: no source with id 'a'$"):
        CSV.apply_edits("", [Edit("a", "url", "https://a/")], path="s.csv")


def test_a_csv_named_file_with_toml_inside_is_read_as_toml(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('[[source]]\nid = "a"\nurl = "https://a.example/"\n')
    registry = load_sources(path)
    assert isinstance(registry.sources, tuple)
    assert registry[0].id == "a"


def test_the_head_of_a_file_is_cut_after_its_last_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbfab\ncd\nef")
    assert read_head(path, 9) == "ab\ncd\n"  # 3 bytes of byte order mark, 6 of text
    assert read_head(path) == "ab\ncd\nef"
    path.write_bytes(b"abcdef")
    assert read_head(path, 3) == "abc"
    with pytest.raises(RegistryError, match="no such file"):
        read_head(tmp_path / "none")
    with pytest.raises(RegistryError, match="cannot read"):
        read_head(tmp_path)


# -- settings from factlinks.toml -------------------------------------------------------------


@pytest.mark.parametrize("name", ["sources.jsonl", "sources.csv"])
def test_settings_and_cited_in_come_from_the_sidecar(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("id,url,cited_in\na,https://a.example/,old\nb,https://b.example/,\n")
    else:
        path.write_text(jsonl(A | {"cited_in": ["old"]}, B))
    assert [s.cited_in for s in load_sources(path)] == [("old",), ()]
    (tmp_path / "factlinks.toml").write_text(
        '[settings]\ntimeout = 7\nfail_on = ["dead"]\n\n[registry]\ncited_in = ["thesis"]\n'
    )
    registry = load_sources(path)
    assert isinstance(registry.sources, LineSources)
    assert [s.cited_in for s in registry] == [("thesis",), ("thesis",)]
    assert registry[1].cited_in == ("thesis",)
    found = registry.get("a")
    assert found is not None
    assert found.cited_in == ("thesis",)
    assert registry.options().timeout == 7
    (tmp_path / "factlinks.toml").write_text("[settings]\ntimout = 7\n")
    with pytest.raises(RegistryError, match=r"factlinks\.toml:2: \[settings\]: unknown key"):
        load_sources(path)


# -- bounded memory ---------------------------------------------------------------------------


def _alive_sources() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Source)


def test_a_large_registry_keeps_offsets_not_sources(tmp_path: Path) -> None:
    """100,000 lines: the registry holds arrays of a few bytes a source and no Source; its
    iterator decodes one source at a time."""
    count = 100_000
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(f'{{"id":"s{n}","url":"https://h{n % 97}.example/{n}"}}\n')
    before = _alive_sources()
    registry = factlinks.load_sources(path)
    sources = registry.sources
    assert isinstance(sources, LineSources)
    assert len(registry) == count
    assert _alive_sources() - before <= 2
    # offsets (8 bytes) + lines (4) + digests (8) + a hash table at most half full (4 a slot)
    assert sources.nbytes() <= count * (8 + 4 + 8 + 16) + 64 * 1024
    iterator = iter(registry)
    first = [next(iterator) for _ in range(3)]
    assert [s.id for s in first] == ["s0", "s1", "s2"]
    assert _alive_sources() - before <= 6
    del first
    assert sum(1 for _ in iterator) == count - 3
    last = registry.get(f"s{count - 1}")
    assert last is not None
    assert last.line == count


# -- fix and append ---------------------------------------------------------------------------


def test_jsonl_edits_rewrite_only_the_edited_lines() -> None:
    text = (
        '{"id": "a", "url": "https://a.example/", "title": "Ä title"}\r\n'
        '{"id":"b","url":"https://b.example/old","title":"\\u00c4 escaped"}\r\n'
        '  {"id": "c", "url": "https://c.example/"}\r\n'
        "\r\n"
        '{"id": "d", "doi": "10.1000/182", "title": "x"}'
    )
    edits = [
        Edit("b", "url", "https://b.example/néw", old="https://b.example/old"),
        Edit("b", "cited_url", "https://b.example/old"),
        Edit("c", "archive_url", "https://web.archive.org/web/2020/c"),
        Edit("a", "title", None, old="Ä title"),
        Edit("d", "url", "https://d.example/"),
    ]
    new = JSONL.apply_edits(text, edits, path="s.jsonl")
    assert changed_lines(text, new) == [
        '-{"id": "a", "url": "https://a.example/", "title": "Ä title"}\r',
        '-{"id":"b","url":"https://b.example/old","title":"\\u00c4 escaped"}\r',
        '-  {"id": "c", "url": "https://c.example/"}\r',
        '+{"id": "a", "url": "https://a.example/"}\r',
        '+{"id":"b","url":"https://b.example/n\\u00e9w","cited_url":"https://b.example/old",'
        '"title":"\\u00c4 escaped"}\r',
        '+  {"id": "c", "url": "https://c.example/", "archive_url": "https://web.archive.org/web/2020/c"}\r',
        '-{"id": "d", "doi": "10.1000/182", "title": "x"}',
        '+{"id": "d", "doi": "10.1000/182", "title": "x", "url": "https://d.example/"}',
    ]  # fmt: skip
    assert [s.url for s in JSONL.parse(new, path="s.jsonl")][1] == "https://b.example/néw"
    assert JSONL.apply_edits(text, [], path="s.jsonl") == text
    with pytest.raises(RegistryError, match=r"^s\.jsonl: no source with id 'zz'$"):
        JSONL.apply_edits(text, [Edit("zz", "url", "https://z/")], path="s.jsonl")
    planned = r"^s\.jsonl:2: source 'b': 'url' is 'https://b.example/old', not 'https://x/' as"
    with pytest.raises(RegistryError, match=planned):
        JSONL.apply_edits(text, [Edit("b", "url", "https://y/", old="https://x/")], path="s.jsonl")


def test_csv_edits_rewrite_only_the_edited_rows() -> None:
    text = (
        "id,url,title\r\n"
        'a,https://a.example/old,"Title, with comma"\r\n'
        '"b","https://b.example/","B"\r\n'
        'c,https://c.example/,"two\r\nlines"\r\n'
        "d,https://d.example/\r\n"
    )
    edits = [
        Edit("a", "url", "https://a.example/new", old="https://a.example/old"),
        Edit("b", "title", None, old="B"),
        Edit("c", "title", "one line", old="two\r\nlines"),
    ]
    new = CSV.apply_edits(text, edits, path="s.csv")
    assert changed_lines(text, new) == [
        '-a,https://a.example/old,"Title, with comma"\r',
        '-"b","https://b.example/","B"\r',
        '-c,https://c.example/,"two\r',
        '-lines"\r',
        '+a,https://a.example/new,"Title, with comma"\r',
        '+"b","https://b.example/",""\r',
        "+c,https://c.example/,one line\r",
    ]
    added = CSV.apply_edits(text, [Edit("d", "archive_url", "https://w.example/d")], path="s.csv")
    assert changed_lines(text, added) == [
        "-id,url,title\r",
        "+id,url,title,archive_url\r",
        "-d,https://d.example/\r",
        "+d,https://d.example/,,https://w.example/d\r",
    ]
    assert CSV.parse(added, path="s.csv")[3].archive_url == "https://w.example/d"
    assert CSV.apply_edits(text, [], path="s.csv") == text
    with pytest.raises(RegistryError, match=r"^s\.csv: no source with id 'zz'$"):
        CSV.apply_edits(text, [Edit("zz", "url", "https://z/")], path="s.csv")
    with pytest.raises(RegistryError, match=r"^s\.csv:6: source 'd': 'title' is None, not 'x'"):
        CSV.apply_edits(text, [Edit("d", "title", "y", old="x")], path="s.csv")
    bom = CSV.apply_edits("\ufeff" + text, [Edit("d", "doi", "10.1000/1")], path="s.csv")
    assert bom.startswith("\ufeffid,url,title,doi\r\n")


def test_appending_adds_lines_at_the_end() -> None:
    new = [
        Source(id="n1", url="https://n.example/1", proposed_title="Found", cited_in=("doc",)),
        Source(id="n2", url="https://n.example/2", accessed=dt.date(2024, 1, 2), kind="pdf"),
    ]
    text = '{"id": "a", "url": "https://a.example/"}'
    appended = JSONL.append(text, new, path="s.jsonl", notes={"n1": "from doc.md"})
    assert appended == text + (
        '\n{"id": "n1", "url": "https://n.example/1", "proposed_title": "Found", '
        '"cited_in": ["doc"]}\n{"id": "n2", "url": "https://n.example/2", "kind": "pdf", '
        '"accessed": "2024-01-02"}\n'
    )
    assert [s.id for s in JSONL.parse(appended, path="s.jsonl")] == ["a", "n1", "n2"]
    assert JSONL.append(text, [], path="s.jsonl") == text
    assert JSONL.append("", new[:1], path="s.jsonl").count("\n") == 1

    csv_text = "id,url,title\r\na,https://a.example/,A\r\n"
    appended_csv = CSV.append(csv_text, new, path="s.csv")
    assert appended_csv == (
        "id,url,title,proposed_title,cited_in,kind,accessed\r\n"
        "a,https://a.example/,A\r\n"
        "n1,https://n.example/1,,Found,doc,,\r\n"
        "n2,https://n.example/2,,,,pdf,2024-01-02\r\n"
    )
    assert [s.accessed for s in CSV.parse(appended_csv, path="s.csv")][2] == dt.date(2024, 1, 2)
    assert CSV.append("", new[:1], path="s.csv") == (
        "id,url,proposed_title,cited_in\nn1,https://n.example/1,Found,doc\n"
    )
    assert CSV.append("id,url\na,https://a/", new[1:2], path="s.csv").startswith(
        "id,url,kind,accessed\na,https://a/\nn2,"
    )
    assert CSV.append(csv_text, [], path="s.csv") == csv_text
    assert JSONL.holds("archive_url")
    assert CSV.holds("cited_url")


_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,11}", fullmatch=True)
_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip() == t and t.strip() != "")
_names = _texts.filter(lambda t: ";" not in t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(_ids, st.none() | _texts, st.lists(_names, max_size=3)),
        max_size=8,
        unique_by=lambda row: row[0],
    )
)  # fmt: skip
def test_appended_sources_read_back_as_they_were(
    rows: list[tuple[str, str | None, list[str]]],
) -> None:
    sources = [
        Source(id=i, url=f"https://x.example/{n}", title=title, cited_in=tuple(cited))
        for n, (i, title, cited) in enumerate(rows)
    ]
    for form in (JSONL, CSV):
        text = form.append("", sources, path=f"s{form.suffixes[0]}")
        if not sources:
            assert text == ""
            continue
        read = list(form.parse(text, path=f"s{form.suffixes[0]}"))
        assert read == sources, form.name


# -- factlinks check FILE, factlinks fix --apply ----------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("name", ["sources.jsonl", "sources.csv"])
def test_check_and_fix_a_line_registry_against_a_local_web(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    rows = [
        {"id": "ok", "url": "https://docs.example.org/ok.html", "title": "Annual Report"},
        {"id": "moved", "url": "https://docs.example.org/old.html", "title": "Moved Page"},
        {"id": "gone", "url": "https://docs.example.org/gone.html"},
    ]
    if name.endswith(".csv"):
        text = "id,url,title\n" + "".join(
            f"{r['id']},{r['url']},{r.get('title', '')}\n" for r in rows
        )
    else:
        text = jsonl(*rows)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "factlinks.toml").write_text('[settings]\nfail_on = ["dead"]\n')
    out = tmp_path / "out"
    with Farm() as farm:
        farm.add_host(
            "docs.example.org",
            {
                "/ok.html": Reply.html("<h1>Annual Report</h1>"),
                "/old.html": Reply.redirect("/new.html"),
                "/new.html": Reply.html("<h1>Moved Page</h1>"),
            },
        )
        argv = ["check", str(path), "--out", str(out), "--timeout", "3", "--no-archive"]
        code = main([*argv, "--no-state", "--format", "json", *farm.remap_args()])
    assert code == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert {s["id"]: s["status"] for s in report["sources"]} == {
        "ok": "ok",
        "moved": "moved",
        "gone": "dead",
    }
    assert main(["fix", str(path), "--report", str(out / "report.json"), "--apply"]) == 0
    changed = changed_lines(text, path.read_text("utf-8"))
    if name.endswith(".csv"):
        assert changed == [
            "-id,url,title",
            "+id,url,title,cited_url",
            "-moved,https://docs.example.org/old.html,Moved Page",
            "+moved,https://docs.example.org/new.html,Moved Page,https://docs.example.org/old.html",
        ]
    else:
        assert changed == [
            '-{"id": "moved", "url": "https://docs.example.org/old.html", "title": "Moved Page"}',
            '+{"id": "moved", "url": "https://docs.example.org/new.html", '
            '"cited_url": "https://docs.example.org/old.html", "title": "Moved Page"}',
        ]  # fmt: skip
    assert load_sources(path).get("moved") == parse_sources(
        path.read_text("utf-8"), path=str(path)
    ).get("moved")
