"""``factlinks extract`` on Markdown: read as Markdown (markdown-it-py), not as plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

import factlinks
from factlinks._cli import main
from factlinks._extract.markdown import read_markdown, read_markdown_with_code

FENCE = "`" * 3


def urls(text: str, *, include_code: bool = False) -> list[str]:
    read = read_markdown_with_code if include_code else read_markdown
    return [cited.url for cited in read(text.encode("utf-8"), "notes")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[KfW](https://www.kfw.de/a.pdf)", ["https://www.kfw.de/a.pdf"], id="link"),
        pytest.param(
            '[KfW](https://www.kfw.de/a.pdf "Fokus Nr. 318")',
            ["https://www.kfw.de/a.pdf"],
            id="title-in-the-destination-is-not-the-url",
        ),
        pytest.param(
            "[KfW](<https://www.kfw.de/a.pdf> 'Fokus')",
            ["https://www.kfw.de/a.pdf"],
            id="angle-destination-with-title",
        ),
        pytest.param(
            "[Studie [2021] (PDF)](https://a.example/s.pdf)",
            ["https://a.example/s.pdf"],
            id="nested-brackets-in-the-link-text",
        ),
        pytest.param(
            "[t](https://en.example/wiki/Foo_(bar))",
            ["https://en.example/wiki/Foo_(bar)"],
            id="balanced-brackets-in-the-destination",
        ),
        pytest.param("[t](http://x.example/210)trololo", ["http://x.example/210"], id="trololo"),
        pytest.param(
            "[v1](https://a.example/v1.) and <https://b.example/end.>",
            ["https://a.example/v1.", "https://b.example/end."],
            id="explicit-targets-are-not-trimmed",
        ),
        pytest.param(
            "See https://a.example/page.html. Or (https://b.example/x), fine.",
            ["https://a.example/page.html", "https://b.example/x"],
            id="bare-urls-are-trimmed-by-the-text-rules",
        ),
        pytest.param(
            "see https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/\nki-trainer.html",
            ["https://www.mittelstand-digital.de/MD/Praxis/KI-Trainer/ki-trainer.html"],
            id="bare-url-wrapped-onto-the-next-line",
        ),
        pytest.param("<https://a.example/q?a=1>", ["https://a.example/q?a=1"], id="autolink"),
        pytest.param(
            "A [study][s] and [another].\n\n[s]: https://a.example/s\n"
            '[another]: <https://b.example/b> "B"\n[unused]: https://c.example/c.\n',
            [
                "https://a.example/s",  # the links, where they are used
                "https://b.example/b",
                "https://a.example/s",  # the definitions, where they are
                "https://b.example/b",
                "https://c.example/c.",  # a definition no link uses is cited too
            ],
            id="reference-links-and-definitions",
        ),
        pytest.param(
            "![chart](https://img.example/c.png) <img src='https://img.example/d.png'>",
            [],
            id="images-are-not-citations",
        ),
        pytest.param(
            "[![build](https://img.example/badge.svg)](https://ci.example/run)",
            ["https://ci.example/run"],
            id="an-image-in-a-link-leaves-the-target",
        ),
        pytest.param(
            "[https://text.example/](https://target.example/)",
            ["https://target.example/"],
            id="link-text-that-looks-like-a-url-is-not-cited",
        ),
        pytest.param(
            "Run `curl https://code.example/api` first; see https://doc.example/api",
            ["https://doc.example/api"],
            id="code-span-left-out",
        ),
        pytest.param(
            f"Text.\n\n{FENCE}sh\ncurl https://fence.example/x\n{FENCE}\n\n"
            "    https://indented.example/y\n\nhttps://after.example/",
            ["https://after.example/"],
            id="code-blocks-left-out",
        ),
        pytest.param(
            '<div>\n<a href="https://html.example/a">A</a> <img src="https://img.example/i">\n'
            '<a href="#top">top</a> <map><area href="https://area.example/?a=1&amp;b=2."></map>\n'
            "</div>\n\nand <A HREF='https://inline.example/b'>b</a>.",
            [
                "https://html.example/a",
                "https://area.example/?a=1&b=2.",
                "https://inline.example/b",
            ],
            id="html-in-markdown-is-read-as-html",
        ),
        pytest.param(
            "[m](mailto:a@b.example) [r](report.pdf) [f](ftp://f.example/) [#](#top)",
            [],
            id="only-http",
        ),
        pytest.param(
            "[t](https://a.example/?a=1&amp;b=\\*2)",
            ["https://a.example/?a=1&b=*2"],
            id="entities-and-escapes-are-decoded",
        ),
        pytest.param(
            "[t](https://a.example/Studie-Ü.pdf)",
            ["https://a.example/Studie-Ü.pdf"],
            id="destination-as-written-not-percent-encoded",
        ),
        pytest.param(
            "# https://heading.example/\n\n| a | b |\n|---|---|\n| https://cell.example/ | x |",
            ["https://heading.example/", "https://cell.example/"],
            id="headings-and-table-cells",
        ),
        pytest.param(
            "https://b.example/ [a](https://a.example/) https://b.example/",
            ["https://b.example/", "https://a.example/", "https://b.example/"],
            id="in-order-duplicates-kept-by-the-reader",
        ),
        pytest.param(
            "[a](<https://a.example/a b>) <a href='https://h.example/x y'>h</a>",
            ["https://a.example/a%20b", "https://h.example/x%20y"],
            id="a-space-in-a-target-is-percent-encoded",
        ),
    ],
)
def test_read_markdown(text: str, expected: list[str]) -> None:
    assert urls(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Run `curl https://code.example/api` first",
            ["https://code.example/api"],
            id="code-span",
        ),
        pytest.param(
            f"{FENCE}\ncurl https://fence.example/x.\n{FENCE}\n\n    https://indented.example/y",
            ["https://fence.example/x", "https://indented.example/y"],
            id="code-blocks-by-the-text-rules",
        ),
    ],
)
def test_code_is_read_with_include_code(text: str, expected: list[str]) -> None:
    assert urls(text) == []
    assert urls(text, include_code=True) == expected


def test_where_gives_the_line_of_each_url() -> None:
    text = (
        "# Notes\n"  # 1
        "\n"
        "A [link](https://a.example/) and\n"  # 3
        "a bare https://b.example/ here.\n"  # 4
        "\n"
        f"{FENCE}\n"  # 6
        "https://code.example/\n"  # 7
        f"{FENCE}\n"
        "\n"
        "[r]: https://r.example/\n"  # 10
    )
    found = read_markdown_with_code(text.encode("utf-8"), "notes")
    assert [(c.url, c.where) for c in found] == [
        ("https://a.example/", "line 3 link"),
        ("https://b.example/", "line 4"),
        ("https://code.example/", "line 7"),
        ("https://r.example/", "line 10 reference"),
    ]
    assert {c.document for c in found} == {"notes"}


def test_windows_1252_markdown_is_read() -> None:
    data = "[Übersicht](https://a.example/x) \u2013 https://b.example/".encode("cp1252")
    assert [c.url for c in read_markdown(data, "notes")] == [
        "https://a.example/x",
        "https://b.example/",
    ]


def test_extract_reads_markdown_files_and_include_code_reads_their_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "brief.md"
    doc.write_text(
        "# Brief\n\nSee [the study](https://a.example/s.pdf) and `https://code.example/`.\n",
        encoding="utf-8",
    )
    assert main(["extract", str(doc)]) == 0
    assert capsys.readouterr().out == "https://a.example/s.pdf\n"
    assert main(["extract", "--include-code", "-v", str(doc)]) == 0
    assert capsys.readouterr().out == (
        "https://a.example/s.pdf\tbrief: line 3 link\nhttps://code.example/\tbrief: line 3\n"
    )
    assert [c.url for c in factlinks.extract_urls(doc, include_code=True)] == [
        "https://a.example/s.pdf",
        "https://code.example/",
    ]


def test_the_same_text_named_txt_is_read_as_text(tmp_path: Path) -> None:
    doc = tmp_path / "brief.txt"
    doc.write_text("`https://code.example/` [v](https://a.example/v1.)", encoding="utf-8")
    assert [c.url for c in factlinks.extract_urls(doc)] == [
        "https://code.example/",
        "https://a.example/v1",
    ]


def test_html_the_tokenizer_gives_up_on_keeps_the_links_before_it() -> None:
    text = "<div><a href='https://a.example/'>a</a> <![ bogus <a href='https://b.example/'>\n"
    text += "\nand <![ x and [c](https://c.example/)"
    assert urls(text) == ["https://a.example/", "https://c.example/"]


# -- issue 11.3: the text each URL is cited with ---------------------------------------------


def test_each_url_carries_the_text_it_is_cited_with() -> None:
    text = (
        "- Müller, A. (2021): Künstliche Intelligenz im Mittelstand. https://a.example/ki.pdf\n"
        "- [Der *KI-Monitor* `2021`](https://b.example/monitor) und <https://c.example/>\n"
        "- [![Plattform Lernende Systeme](logo.svg)](https://d.example/)\n\n"
        "Siehe [den Bericht][bmwk] und [hier][def].\n\n"
        "[bmwk]: https://e.example/bericht.pdf\n"
        '[def]: https://f.example/ "Digitalisierungsindex 2021"\n'
        "[unused]: https://g.example/\n"
    )
    assert [(c.url, c.text) for c in read_markdown(text.encode(), "brief")] == [
        (
            "https://a.example/ki.pdf",
            "Müller, A. (2021): Künstliche Intelligenz im Mittelstand. https://a.example/ki.pdf",
        ),
        ("https://b.example/monitor", "Der KI-Monitor 2021"),
        ("https://c.example/", "Der KI-Monitor 2021 und https://c.example/"),
        ("https://d.example/", "Plattform Lernende Systeme"),
        ("https://e.example/bericht.pdf", "den Bericht"),
        ("https://f.example/", "hier"),
        ("https://e.example/bericht.pdf", "den Bericht"),  # the definition: its link's text
        ("https://f.example/", "Digitalisierungsindex 2021"),  # the definition's own title
        ("https://g.example/", ""),
    ]


def test_text_is_collapsed_across_lines() -> None:
    text = "[Künstliche\nIntelligenz   im\n  Mittelstand](https://a.example/)\n"
    (cited,) = read_markdown(text.encode(), "brief")
    assert cited.text == "Künstliche Intelligenz im Mittelstand"
