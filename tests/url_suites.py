"""The public URL-extractor suites in ``tests/fixtures/url_suites/``, scored.

Each table holds cases (``text``, the expected ``urls``, ``scope``); a case out of scope says
``why``. A case says which reader it goes through (``reader``): ``"text"`` (the default) runs
the text URL rules (:func:`factlinks._extract.urls.urls_in_text`) over the text, ``"markdown"``
and ``"html"`` hand the text, encoded as UTF-8, to the Markdown and HTML readers
(:func:`factlinks._extract.markdown.read_markdown`, :func:`factlinks._extract.html.read_html`).
:func:`score` runs them over the in-scope cases of a suite: a URL found and expected is a true
positive, found and not expected a false positive, expected and not found a false negative.
Only the standard library and factlinks, so the module serves the test and
``benchmarks/extract_suites.py`` alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factlinks._extract.html import read_html
from factlinks._extract.interface import CitedUrl
from factlinks._extract.markdown import read_markdown
from factlinks._extract.urls import urls_in_text

SUITES = Path(__file__).resolve().parent / "fixtures" / "url_suites"
TABLES = (
    "linkify_it.toml",
    "cmark_gfm.toml",
    "issue_11.toml",
    "twitter_text.toml",
    "django_urlize.toml",
    "urlextract.toml",
    "commonmark_spec.toml",
    "lychee_markdown.toml",
    "lychee_html.toml",
    "pypi_simple.toml",
    "rinku.toml",
    "scrapy.toml",
    "markdown_link_extractor.toml",
    "markdown_it_py_linkify.toml",
    "muffet.toml",
    "bleach.toml",
)
PLACES = ("line", "paragraph", "example", "number", "test")
"""The keys that say where a case is in its suite, the first a case has is shown."""


def _text(text: str) -> list[CitedUrl]:
    return urls_in_text(text, "suite")


def _markdown(text: str) -> list[CitedUrl]:
    return read_markdown(text.encode("utf-8"), "suite")


def _html(text: str) -> list[CitedUrl]:
    return read_html(text.encode("utf-8"), "suite")


READERS = {"text": _text, "markdown": _markdown, "html": _html}


@dataclass(frozen=True, slots=True)
class Case:
    suite: str
    where: str
    text: str
    urls: tuple[str, ...]
    in_scope: bool
    why: str
    reader: str = "text"


@dataclass(frozen=True, slots=True)
class Miss:
    case: Case
    found: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.case.where}: {self.case.text!r}: expected {self.case.urls}, found {self.found}"
        )


@dataclass(frozen=True, slots=True)
class Score:
    suite: str
    cases: int
    true_pos: int
    false_pos: int
    false_neg: int
    misses: tuple[Miss, ...]

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_pos + self.false_neg
        return self.true_pos / expected if expected else 1.0


def load_cases(table: str) -> list[Case]:
    data: dict[str, Any] = tomllib.loads((SUITES / table).read_text("utf-8"))
    cases = []
    for raw in data["case"]:
        place = next((raw[key] for key in PLACES if key in raw), None)
        cases.append(
            Case(
                suite=raw["suite"],
                where=f"{table}:{raw['suite']}#{place}",
                text=raw["text"],
                urls=tuple(raw["urls"]),
                in_scope=raw["scope"] == "in",
                why=raw.get("why", ""),
                reader=raw.get("reader", "text"),
            )
        )
    return cases


def found_urls(text: str, reader: str = "text") -> tuple[str, ...]:
    return tuple(dict.fromkeys(cited.url for cited in READERS[reader](text)))


def score(suite: str, cases: list[Case]) -> Score:
    true_pos = false_pos = false_neg = 0
    misses = []
    chosen = [case for case in cases if case.suite == suite and case.in_scope]
    for case in chosen:
        found = found_urls(case.text, case.reader)
        hits = set(found) & set(case.urls)
        true_pos += len(hits)
        false_pos += len(set(found) - hits)
        false_neg += len(set(case.urls) - hits)
        if set(found) != set(case.urls):
            misses.append(Miss(case, found))
    return Score(suite, len(chosen), true_pos, false_pos, false_neg, tuple(misses))


def all_scores() -> list[Score]:
    scores = []
    for table in TABLES:
        cases = load_cases(table)
        for suite in dict.fromkeys(case.suite for case in cases):
            scores.append(score(suite, cases))
    return scores
