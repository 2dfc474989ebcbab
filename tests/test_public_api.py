"""The public namespace: ``factlinks.__all__`` is pinned, importable, and closed over the model.

Adding a public name is a decision: add it to :data:`PUBLIC` (one literal, sorted) in the same
change. Every type a caller meets on a :class:`factlinks.SourceResult` or a
:class:`factlinks.Report` (walking the dataclass field annotations) must be exported, so that
code can name it without importing a private module.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

import factlinks

PUBLIC = [
    "ArchiveCopy",
    "ArchiveService",
    "Brief",
    "Capture",
    "CheckOptions",
    "CitedUrl",
    "DEFAULT_FAIL_ON",
    "DocFormat",
    "DocumentError",
    "DoiCheck",
    "FactlinksError",
    "Failure",
    "FailureKind",
    "FetchResult",
    "HISTORY_SCHEMA_VERSION",
    "History",
    "HistoryBackend",
    "HistoryStore",
    "Hop",
    "HostSettings",
    "Inspection",
    "Kind",
    "OfflineError",
    "OptionsError",
    "PastResult",
    "Probe",
    "ProbeVerdict",
    "Problem",
    "ProblemKind",
    "Registry",
    "RegistryDiff",
    "RegistryError",
    "RegistryFormat",
    "Remap",
    "RenderFailure",
    "Report",
    "ReportError",
    "ResultRow",
    "ResultStore",
    "RetryPolicy",
    "ReusedVerdict",
    "Runtime",
    "SCHEMA_TAG",
    "SettledTitles",
    "Shard",
    "Sharded",
    "Source",
    "SourceHistory",
    "SourceResult",
    "StateError",
    "Status",
    "StoredArchive",
    "StoredVerification",
    "TitleCandidate",
    "TitleEvidence",
    "__version__",
    "add_to_registry",
    "check",
    "check_async",
    "compare_with_registry",
    "extract_urls",
    "load_report",
    "load_sources",
    "merge_histories",
    "merge_reports",
    "open_history",
    "parse_sources",
    "render_json",
    "render_markdown",
    "select_shard",
    "settled_sources",
    "sources_from_documents",
    "write_report",
    "write_settled_titles",
]
"""``factlinks.__all__``, sorted with :func:`sorted`."""


def test_all_is_the_pinned_list() -> None:
    assert sorted(factlinks.__all__) == PUBLIC
    assert len(set(factlinks.__all__)) == len(factlinks.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_importable(name: str) -> None:
    assert hasattr(importlib.import_module("factlinks"), name), name


def _own_types(annotation: object) -> set[type]:
    """The factlinks classes named anywhere in a (resolved) annotation."""
    found: set[type] = set()
    if isinstance(annotation, type) and annotation.__module__.startswith("factlinks"):
        found.add(annotation)
    for argument in typing.get_args(annotation):
        found |= _own_types(argument)
    return found


def _reachable(*roots: type) -> set[type]:
    """Every factlinks type reachable from ``roots`` through dataclass field annotations."""
    seen: set[type] = set()
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        if dataclasses.is_dataclass(cls):
            hints = typing.get_type_hints(cls)
            for field in dataclasses.fields(cls):
                todo.extend(_own_types(hints[field.name]))
    return seen


def test_every_type_reachable_from_a_result_or_a_report_is_exported() -> None:
    reachable = _reachable(factlinks.SourceResult, factlinks.Report)
    # The walk itself works: it finds the nested types, not only the roots.
    assert {factlinks.ArchiveCopy, factlinks.Hop, factlinks.Failure} <= reachable
    missing = sorted(cls.__name__ for cls in reachable if cls.__name__ not in factlinks.__all__)
    assert missing == []
    for cls in reachable:
        assert getattr(factlinks, cls.__name__) is cls
        assert isinstance(cls, type)
        assert dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum), cls


def test_annotations_walk_unions_and_containers() -> None:
    annotation = typing.get_type_hints(factlinks.FetchResult)["redirects"]
    assert _own_types(annotation) == {factlinks.Hop}
    assert _own_types(factlinks.Status | None) == {factlinks.Status}
    assert isinstance(factlinks.Status | None, types.UnionType)


def test_import_factlinks_loads_no_stage_until_a_name_is_asked_for() -> None:
    """``import factlinks`` is cheap (PEP 562): a parse worker, which imports the package
    first, does not pay for httpx, jinja2 and the registry formats it never uses."""
    code = (
        "import sys, factlinks\n"
        "loaded = [m for m in ('httpx', 'jinja2', 'factlinks._pipeline') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert factlinks.check is factlinks._pipeline.check\n"
        "assert 'check' in dir(factlinks)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


PARSERS = ("bs4", "markdown_it", "pypdf", "pypdfium2", "bibtexparser", "pylatexenc")
"""The third-party document and bibliography parsers: imported by what reads with them."""


def test_checking_a_toml_registry_imports_no_document_or_bibtex_parser(tmp_path: Path) -> None:
    """The main process of ``check`` (and of the ``validate`` hook) sniffs and fetches; the
    parse workers parse. Loading a sources.toml and the whole check pipeline imports none of
    the parsers; the first .bib read and the first document read import theirs."""
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "a"\nurl = "https://a.example/"\n', encoding="utf-8"
    )
    (tmp_path / "refs.bib").write_text(
        "@misc{b, url = {https://b.example/}, title = {B}}\n", encoding="utf-8"
    )
    (tmp_path / "brief.html").write_text('<a href="https://c.example/">c</a>', encoding="utf-8")
    code = (
        "import sys\n"
        "import factlinks._cli, factlinks._pipeline, factlinks._parse\n"
        f"parsers = {PARSERS!r}\n"
        "factlinks.load_sources('sources.toml')\n"
        "assert not [m for m in parsers if m in sys.modules], sys.modules.keys() & set(parsers)\n"
        "factlinks.load_sources('refs.bib')\n"
        "assert {'bibtexparser', 'pylatexenc'} <= sys.modules.keys()\n"
        "from factlinks._extract import READERS\n"
        "from factlinks._models import DocFormat\n"
        "urls = READERS[DocFormat.HTML](open('brief.html', 'rb').read(), 'brief')\n"
        "assert [u.url for u in urls] == ['https://c.example/'], urls\n"
        "assert 'bs4' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_every_lazy_name_is_public_and_resolves_to_its_module() -> None:
    assert sorted(factlinks._EXPORTS) == sorted(set(factlinks.__all__) - {"__version__"})
    for name, (module, attribute) in factlinks._EXPORTS.items():
        target = importlib.import_module(module, "factlinks")
        assert getattr(factlinks, name) is getattr(target, attribute)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        factlinks.nope  # noqa: B018
