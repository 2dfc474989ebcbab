"""The documentation's links: every relative link of the README and of docs/ names a file of
the repository (and, within docs/, mkdocs checks the anchors: ``mkdocs build --strict``)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.MULTILINE | re.DOTALL)


def _relative_links(page: Path) -> list[str]:
    text = _CODE.sub("", page.read_text(encoding="utf-8"))
    links = [m[1] for m in _LINK.finditer(text)]
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:|#", link)]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_names_a_file_of_the_repository(page: Path) -> None:
    missing = [
        link
        for link in _relative_links(page)
        if not (page.parent / unquote(link.split("#", 1)[0])).exists()
    ]
    assert missing == []


def test_every_guide_is_in_the_site_navigation() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (REPO / "docs").glob("*.md"):
        assert f": {page.name}\n" in config, page.name
