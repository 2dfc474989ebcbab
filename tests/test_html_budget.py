"""HTML is parsed within a memory budget: only a bounded prefix of markup (issue 9, point 2)."""

from __future__ import annotations

import tracemalloc

import pytest

from factlinks._inspect import analyse, html
from factlinks._inspect.html import MAX_PARSE_BYTES, html_candidates, parse_prefix

TITLE = "Budgeted Parsing of Hostile Pages"
HEAD = f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"


def page(body: str) -> bytes:
    return (HEAD + body + "</body></html>").encode()


def test_a_small_page_is_parsed_whole() -> None:
    data = page("<p>short</p>")
    assert parse_prefix(data) is data


def test_markup_is_cut_at_the_limit() -> None:
    data = page("<p>filler text</p>" * 200_000)
    prefix = parse_prefix(data)
    assert len(prefix) == MAX_PARSE_BYTES
    assert data.startswith(prefix)
    assert len(parse_prefix(data, 1000)) == 1000


@pytest.mark.parametrize("tag", ["script", "style", "SCRIPT", "Style"])
def test_scripts_and_styles_do_not_count_against_the_limit(tag: str) -> None:
    big = f"<{tag} type='x'>" + "var a = 1;" * 300_000 + f"</{tag} >"
    data = (
        "<html><head>" + big + f'<meta property="og:title" content="{TITLE}"></head>'
        "<body>" + big + f"<h1>{TITLE}</h1></body></html>"
    ).encode()
    prefix = parse_prefix(data)
    assert b"var a" not in prefix
    titles, _ = html_candidates(data, "text/html")
    assert [(t.where, t.text) for t in titles] == [("og:title", TITLE), ("<h1>", TITLE)]


def test_an_unclosed_script_ends_the_markup() -> None:
    data = page("<p>before</p><script>" + "x" * 2 * MAX_PARSE_BYTES + "<p>after</p>")
    prefix = parse_prefix(data)
    assert prefix.endswith(b"<p>before</p>")


def test_many_script_openings_are_one_linear_pass() -> None:
    data = page("<script></script>" * 200_000 + "<p>text</p>" * 100_000)
    prefix = parse_prefix(data)
    assert len(prefix) == MAX_PARSE_BYTES
    assert b"<script" not in prefix


HOSTILE = {
    "a-million-tiny-tags": page("<b></b>" * 1_000_000),
    "100k-nested-divs": page("<div>" * 100_000 + "deep" + "</div>" * 100_000),
    "a-5-MB-attribute": page('<p data-x="' + "A" * 5_000_000 + '">x</p>'),
    "unclosed-comment": page("<!--" + "x" * 5_000_000),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_page_still_shows_its_title(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head and the first part of the body are what is read (a small limit: fast)."""
    monkeypatch.setattr(html, "MAX_PARSE_BYTES", 100_000)
    inspection, evidence = analyse(
        HOSTILE[name], "text/html", truncated=False, expected_title=TITLE, max_pages=3
    )
    assert evidence is not None
    assert evidence.matched
    assert inspection.display_title == TITLE


def test_a_5_mb_page_is_parsed_within_the_budget() -> None:
    """Python allocations while parsing stay far below what the whole page would need."""
    data = page("<p>Some ordinary paragraph text with words.</p>\n" * 110_000)
    tracemalloc.start()
    try:
        _, evidence = analyse(data, "text/html", truncated=False, expected_title=TITLE, max_pages=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert evidence is not None
    assert evidence.matched
    # Parsing the 5 MB whole allocated over 150 MB; the prefix needs a fraction of that.
    assert peak < 80 * 2**20, f"{peak / 2**20:.0f} MiB"
