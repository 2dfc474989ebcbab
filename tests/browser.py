"""Open an HTML file in headless Chromium and watch what it does.

Debian's ``chromium`` package (``/usr/bin/chromium``) driven by Playwright for Python, never
Playwright's own browser download. Every visit gets a fresh profile, and every request the
page makes is recorded; anything but the file itself is aborted, so a page that tries to
load something from the network is caught, not served.

Tests call :func:`require_browser` first: without Chromium or Playwright they are skipped
with the reason, unless ``FACTLINKS_REQUIRE_BROWSER=1`` (CI) turns the skip into a failure.

Example::

    with chromium() as browser, browser.visit(tmp_path / "report.html") as seen:
        assert seen.page.locator("h1").inner_text() == "Citation health report"
    assert not seen.errors and not seen.foreign_requests
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
INSTALL_HINT = "apt-get install -y chromium; pip install playwright (no 'playwright install')"


def missing() -> str | None:
    """Why no browser test can run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (Debian package 'chromium')"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed"
    return None


def require_browser() -> None:
    """Skip the calling test when the browser is missing; fail instead under CI's switch."""
    reason = missing()
    if reason is None:
        return
    message = f"headless Chromium unavailable: {reason}; install with: {INSTALL_HINT}"
    if os.environ.get("FACTLINKS_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (FACTLINKS_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@dataclass
class Visit:
    """One page opened from a file, and what it did."""

    page: Page
    url: str
    """The ``file://`` URL of the page."""
    requests: list[str] = field(default_factory=list)
    """Every request the page made, the file itself included."""
    foreign_requests: list[str] = field(default_factory=list)
    """Requests for anything but the file itself (all of them were aborted)."""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    """Uncaught exceptions in the page's script."""
    dialogs: list[str] = field(default_factory=list)
    """alert/confirm/prompt dialogs the page opened (dismissed at once)."""

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions together."""
        return [*self.console_errors, *self.page_errors]


class Chromium:
    """A running headless Chromium with a fresh profile; :meth:`visit` opens pages in it."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context

    @contextmanager
    def visit(
        self, path: Path, *, width: int = 1280, height: int = 900, dark: bool = False
    ) -> Iterator[Visit]:
        """Open ``path`` in a new page of ``width`` x ``height`` CSS pixels; close it after."""
        from playwright.sync_api import Dialog, Request, Route

        url = path.resolve().as_uri()
        page = self.context.new_page()
        try:
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(color_scheme="dark" if dark else "light")
            seen = Visit(page=page, url=url)

            def on_route(route: Route) -> None:
                if route.request.url == url:
                    route.continue_()
                else:
                    route.abort("blockedbyclient")

            def on_request(request: Request) -> None:
                seen.requests.append(request.url)
                if request.url != url:
                    seen.foreign_requests.append(request.url)

            def on_dialog(dialog: Dialog) -> None:
                seen.dialogs.append(dialog.message)
                dialog.dismiss()

            page.route("**/*", on_route)
            page.on("request", on_request)
            page.on("dialog", on_dialog)
            page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    seen.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.goto(url, wait_until="load")
            yield seen
        finally:
            page.close()


@contextmanager
def chromium() -> Iterator[Chromium]:
    """Start Debian's Chromium, headless, with a fresh user data dir; skip if it is missing."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="factlinks-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            offline=True,
            service_workers="block",
        )
        try:
            context.route("**/*", lambda route: route.abort("blockedbyclient"))
            yield Chromium(context)
        finally:
            context.close()


@contextmanager
def visit(
    path: Path, *, width: int = 1280, height: int = 900, dark: bool = False
) -> Iterator[Visit]:
    """Open ``path`` in a Chromium of its own (see :meth:`Chromium.visit`)."""
    with chromium() as browser, browser.visit(path, width=width, height=height, dark=dark) as seen:
        yield seen
