"""``report.html`` read back: its data block, and the page as Chromium draws it.

The page holds its sources once, as JSON in ``<script type="application/json"
id="report-data">``; its script draws the rows. Tests of what the page holds read
:func:`data_block`; tests of what a person sees read :func:`drawn` (the DOM after the script
ran, serialised) or drive the page in Chromium.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from browser import Chromium


def data_block(html: str) -> dict[str, Any]:
    """The sources as the page holds them: the JSON of its data block."""
    block = BeautifulSoup(html, "html.parser").select_one(
        'script[type="application/json"]#report-data'
    )
    assert block is not None, "report.html has no data block"
    data: dict[str, Any] = json.loads(block.get_text())
    return data


def rows_by_id(html: str) -> dict[str, dict[str, Any]]:
    """The rows of the data block by source id."""
    return {row["i"]: row for row in data_block(html)["rows"]}


def drawn(browser: Chromium, page: Path, html: str) -> str:
    """``html`` written to ``page`` and opened in Chromium: the DOM once the script ran.

    Fails on any script error or request.
    """
    page.write_text(html, encoding="utf-8")
    with browser.visit(page) as seen:
        content = seen.page.content()
    assert seen.errors == []
    assert seen.foreign_requests == []
    return content
