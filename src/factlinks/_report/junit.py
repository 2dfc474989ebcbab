"""``report.junit.xml``: one test case per source, one test suite per citing document.

Failing statuses (``fail_on``) are ``<failure>``s with the reason and the URL; ``skipped``
sources are ``<skipped>``; warnings (moved, blocked, ...) pass, with the status and the
reason in ``<system-out>``, so CI systems show them without failing the build. A test case is
named by the source's id (stable from run to run); its reference (authors, year, title) and
DOI, when the registry gives them, are properties and a line of the failure text.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from .._models import Report, SourceResult, Status
from .guard import NOT_RENDERED, per_source

__all__ = ["render_junit"]

NO_DOCUMENT = "(no document)"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _case(result: SourceResult, suite: str, report: Report) -> ET.Element:
    elapsed = (result.fetch.elapsed_ms if result.fetch else 0) / 1000
    case = ET.Element("testcase", name=result.id, classname=suite, time=f"{elapsed:.3f}")
    properties = ET.SubElement(case, "properties")
    reference = result.source.reference
    named = {
        "url": result.url,
        "status": result.status.value,
        "reference": reference,
        "doi": result.source.doi,
        "new_url": result.new_url,
    }
    for name, value in named.items():
        if value:
            ET.SubElement(properties, "property", name=name, value=value)
    text = f"{result.status.value}: {result.reason}\nURL: {result.url}"
    if reference is not None:
        text += f"\nReference: {reference}"
    text += f"\n{result.status.action}"
    if result.new_url:
        text += f"\nNew URL: {result.new_url}"
    if result.archive is not None:
        text += f"\nArchive copy: {result.archive.url}"
    if result.status in report.fail_on:
        failure = ET.SubElement(
            case, "failure", message=f"{result.status.value}: {result.reason}", type=result.status
        )
        failure.text = text
    elif result.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", message=result.reason)
    elif result.status.is_problem:
        ET.SubElement(case, "system-out").text = "WARNING " + text
    return case


def _bare_case(result: SourceResult, suite: str, report: Report) -> ET.Element:
    """A source whose details could not be rendered: an error case with its id and URL."""
    case = ET.Element("testcase", name=result.id, classname=suite, time="0.000")
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="url", value=result.url)
    ET.SubElement(properties, "property", name="status", value=result.status.value)
    text = f"{result.status.value}: {NOT_RENDERED}\nURL: {result.url}"
    if result.status in report.fail_on:
        ET.SubElement(case, "failure", message=text, type=result.status).text = text
    else:
        ET.SubElement(case, "system-out").text = "WARNING " + text
    return case


def render_junit(report: Report) -> str:
    """``report.junit.xml`` as text."""
    suites: dict[str, list[SourceResult]] = defaultdict(list)
    for result in report.results:
        # Each source once (its first citing document), so the counts add up to the sources.
        suites[result.source.cited_in[0] if result.source.cited_in else NO_DOCUMENT].append(result)
    root = ET.Element(
        "testsuites",
        name="factlinks",
        tests=str(len(report.results)),
        failures=str(len(report.failures)),
        skipped=str(report.counts[Status.SKIPPED]),
        errors="0",
        time=f"{report.elapsed_s:.3f}",
        timestamp=report.started_at.isoformat(),
    )
    for name, results in suites.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(results)),
            failures=str(sum(r.status in report.fail_on for r in results)),
            skipped=str(sum(r.status is Status.SKIPPED for r in results)),
            errors="0",
            time=f"{sum((r.fetch.elapsed_ms if r.fetch else 0) for r in results) / 1000:.3f}",
            timestamp=report.started_at.isoformat(),
        )
        suite.extend(
            per_source(
                "junit",
                result,
                functools.partial(_case, suite=name, report=report),
                functools.partial(_bare_case, suite=name, report=report),
            )
            for result in results
        )
    for element in root.iter():
        element.text = _xml_text(element.text)
        for key, value in element.attrib.items():
            element.set(key, _xml_text(value) or "")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _xml_text(text: str | None) -> str | None:
    """``text`` without the characters XML 1.0 forbids (web pages do contain them)."""
    return None if text is None else _NOT_XML.sub("\ufffd", text)
