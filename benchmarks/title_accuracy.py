"""Title verification accuracy on real documents: recall on true titles, specificity on wrong.

Reads the corpus manifests in ``benchmarks/title_corpus/*.toml`` (built into
``benchmarks/title_corpus/build/docs/`` by ``build.py``) and checks every document against its
true title and every wrong-title case against its document. Prints recall, specificity, a
breakdown per producer and language, every miss with its reason, documents per second and
the p50/p95/max parse time.

    python benchmarks/title_corpus/build.py          # once: download and verify the corpus
    python benchmarks/title_accuracy.py              # the matcher, in-process (timed)
    python benchmarks/title_accuracy.py --http       # end to end: local HTTP + factlinks check

``--engine pypdf,pdfium`` runs the in-process check once per PDF engine, each in its own
process (a parse worker's work, without the pipe), alternating over ``--rounds``: ``pdfium``
is factlinks as it is, ``pypdf`` the reader it replaced (``benchmarks/pypdf_inspect.py``).
Each engine's figures are printed, then a side-by-side table of checks per second (median
over the rounds), p50/p95 per check, recall, specificity and the process's peak resident
memory, against the parse worker's limit (``parse_memory``).

``--http`` serves the corpus from a loopback HTTP server and runs ``factlinks check`` on a
generated registry, as a user would; a true title counts as found when the status is ``ok``,
a wrong title as rejected when it is anything but ``ok``. ``--corpus DIR`` points at another
corpus with the same layout (a held-out set).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from factlinks import CheckOptions, DocFormat  # noqa: E402
from factlinks._inspect import analyse  # noqa: E402

CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html"}


@dataclass(frozen=True)
class Case:
    """One check: a document and a title that should (or should not) be found in it."""

    document: str
    path: Path
    format: str
    producer: str
    lang: str
    title: str
    true: bool
    """True title (should be found) or wrong title (should be rejected)."""
    expect_unverifiable: bool = False
    kind: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the checker said about one case."""

    case: Case
    accepted: bool
    status: str
    seconds: float
    detail: str


def producer_family(producer: str) -> str:
    """'pdfTeX-1.40.24' -> 'pdfTeX'; 'LibreOffice 7.4' -> 'LibreOffice'."""
    match = re.match(r"\s*([A-Za-z][A-Za-z .+/_()-]*?)[\s_-]*(?:v(?:ersion)?\s*)?\d", producer)
    family = (match.group(1) if match else producer).strip(" -_(/") or "unknown"
    return family[:40]


def load_cases(corpus: Path) -> list[Case]:
    """Every true-title and wrong-title case of the manifests in ``corpus``."""
    documents: dict[str, dict[str, str]] = {}
    wrongs: list[dict[str, str]] = []
    for manifest in sorted(corpus.glob("*.toml")):
        data = tomllib.loads(manifest.read_text("utf-8"))
        for entry in data.get("document", []):
            documents[entry["name"]] = entry
        wrongs.extend(data.get("wrong", []))
    docs_dir = corpus / "build" / "docs"
    cases = []
    for name, entry in documents.items():
        unverifiable = entry.get("expect") == "unverifiable"
        if not entry.get("title") and not unverifiable:
            continue
        cases.append(
            Case(
                name,
                docs_dir / name,
                entry["format"],
                entry.get("producer", "unknown"),
                entry.get("lang", "?"),
                entry.get("title", "") or "Any title",
                True,
                unverifiable,
                notes=entry.get("notes", ""),
            )
        )
    for wrong in wrongs:
        entry = documents[wrong["document"]]
        cases.append(
            Case(
                wrong["document"],
                docs_dir / wrong["document"],
                entry["format"],
                entry.get("producer", "unknown"),
                entry.get("lang", "?"),
                wrong["title"],
                False,
                kind=wrong.get("kind", ""),
                notes=wrong.get("notes", ""),
            )
        )
    missing = sorted({c.document for c in cases if not c.path.is_file()})
    if missing:
        sys.exit(
            f"{len(missing)} corpus documents are not built (first: {missing[0]}); "
            f"run: python {corpus / 'build.py'}"
        )
    return cases


def run_direct(cases: list[Case], max_pages: int) -> list[Outcome]:
    """Run the matcher in this process, timing each document."""
    outcomes = []
    for case in cases:
        body = case.path.read_bytes()
        started = time.perf_counter()
        inspection, evidence = analyse(
            body,
            CONTENT_TYPES.get(case.format),
            truncated=False,
            expected_title=case.title,
            max_pages=max_pages,
        )
        seconds = time.perf_counter() - started
        if inspection.problem is not None and not (evidence and evidence.matched):
            status = "unverifiable"
        elif evidence is not None and evidence.matched:
            status = "ok"
        else:
            status = "drifted"
        if evidence is None:
            detail = inspection.problem or f"format {inspection.format}"
        else:
            detail = (
                f"score {evidence.score:.0f} in {evidence.where}; "
                f"found {evidence.found!r}; snippet {evidence.snippet!r}"
            )
            if inspection.problem:
                detail += f"; problem: {inspection.problem}"
        if inspection.format not in (DocFormat.PDF, DocFormat.HTML):
            detail = f"detected as {inspection.format}; {detail}"
        outcomes.append(Outcome(case, status == "ok", status, seconds, detail[:400]))
    return outcomes


def run_http(cases: list[Case], *, concurrency: int) -> list[Outcome]:
    """Serve the corpus on loopback and run ``factlinks check`` on it."""
    from farm import Farm, Reply

    with tempfile.TemporaryDirectory() as tmp, Farm() as farm:
        routes = {}
        for case in cases:
            data = case.path.read_bytes()
            routes["/" + case.document] = Reply(
                body=data, content_type=CONTENT_TYPES.get(case.format)
            )
        host = farm.add_host("corpus.bench.example", routes)
        lines = []
        for number, case in enumerate(cases):
            lines += [
                "[[source]]",
                f'id = "c{number:05d}"',
                f"url = {json.dumps('https://corpus.bench.example/' + case.document)}",
                f"title = {json.dumps(case.title, ensure_ascii=False)}",
                f'kind = "{case.format}"',
                "",
            ]
        registry = Path(tmp) / "sources.toml"
        registry.write_text("\n".join(lines), encoding="utf-8")
        out = Path(tmp) / "out"
        command = [
            sys.executable, "-m", "factlinks", "check", str(registry), "--out", str(out),
            "--format", "json", "--no-state", "--no-archive", "-q",
            "--concurrency", str(concurrency), "--per-host", str(concurrency),
            "--fail-on", "dead", "--remap", host.remap_rule(),
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=False)
        elapsed = time.perf_counter() - started
        report = json.loads((out / "report.json").read_text("utf-8"))
    per_case = elapsed / max(1, len(cases))
    outcomes = []
    for case, result in zip(cases, report["sources"], strict=True):
        title = result.get("title") or {}
        detail = f"{result['reason']} (score {title.get('score')}, where {title.get('where')})"
        outcomes.append(
            Outcome(case, result["status"] == "ok", result["status"], per_case, detail[:400])
        )
    print(f"factlinks check over HTTP: {len(cases)} checks in {elapsed:.1f} s")
    return outcomes


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.1f} %" if total else "n/a"


def _breakdown(outcomes: Iterable[Outcome], key: str) -> list[str]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        value = getattr(outcome.case, key)
        groups[producer_family(value) if key == "producer" else value].append(outcome)
    lines = []
    for name, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        true = [o for o in items if o.case.true and not o.case.expect_unverifiable]
        wrong = [o for o in items if not o.case.true]
        recall = _rate(sum(o.accepted for o in true), len(true))
        specificity = _rate(sum(not o.accepted for o in wrong), len(wrong))
        lines.append(f"  {name:<28} recall {recall:<22} specificity {specificity}")
    return lines


def report(outcomes: list[Outcome], *, limit: float, timed: bool) -> bool:
    """Print the figures; return True when both targets are met."""
    true = [o for o in outcomes if o.case.true and not o.case.expect_unverifiable]
    unverifiable = [o for o in outcomes if o.case.expect_unverifiable]
    wrong = [o for o in outcomes if not o.case.true]
    found = sum(o.accepted for o in true)
    rejected = sum(not o.accepted for o in wrong)
    recall = found / len(true) if true else 1.0
    specificity = rejected / len(wrong) if wrong else 1.0
    formats = Counter(o.case.format for o in true)
    print(
        f"corpus: {len(true)} true titles ({formats['pdf']} PDF, {formats['html']} HTML), "
        f"{len(wrong)} wrong titles, {len(unverifiable)} expected unverifiable"
    )
    print(f"recall on true titles:      {_rate(found, len(true))}")
    print(f"specificity on wrong titles: {_rate(rejected, len(wrong))}")
    for fmt in ("pdf", "html"):
        t = [o for o in true if o.case.format == fmt]
        w = [o for o in wrong if o.case.format == fmt]
        print(
            f"  {fmt:<5} recall {_rate(sum(o.accepted for o in t), len(t)):<22} "
            f"specificity {_rate(sum(not o.accepted for o in w), len(w))}"
        )
    statuses = Counter(o.status for o in wrong)
    print(
        "wrong titles by status:     " + ", ".join(f"{k} {n}" for k, n in sorted(statuses.items()))
    )
    kinds = Counter(o.case.kind for o in wrong)
    for kind, count in sorted(kinds.items()):
        ok = sum(not o.accepted for o in wrong if o.case.kind == kind)
        print(f"  wrong titles of kind {kind:<18} rejected {_rate(ok, count)}")
    if unverifiable:
        right = sum(o.status == "unverifiable" for o in unverifiable)
        print(f"expected unverifiable:       {_rate(right, len(unverifiable))}")
    print("per producer:")
    print("\n".join(_breakdown(outcomes, "producer")))
    print("per language:")
    print("\n".join(_breakdown(outcomes, "lang")))
    misses = [o for o in true if not o.accepted] + [o for o in wrong if o.accepted]
    misses += [o for o in unverifiable if o.status != "unverifiable"]
    print(f"misses ({len(misses)}):")
    for o in misses:
        what = "true title NOT found" if o.case.true else f"wrong title ACCEPTED ({o.case.kind})"
        print(f"  - {o.case.document}: {what}: {o.case.title!r} -> {o.status}; {o.detail}")
    if timed:
        per_document: dict[str, float] = {}
        for o in outcomes:
            per_document[o.case.document] = max(per_document.get(o.case.document, 0), o.seconds)
        times = sorted(o.seconds for o in outcomes)
        total = sum(times)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        slowest = max(per_document.items(), key=lambda kv: kv[1])
        print(
            f"speed: {len(outcomes)} checks in {total:.1f} s = {len(outcomes) / total:.1f} "
            f"documents/s; parse time p50 {1000 * statistics.median(times):.0f} ms, "
            f"p95 {1000 * p95:.0f} ms, max {1000 * slowest[1]:.0f} ms ({slowest[0]})"
        )
        over = [d for d, s in per_document.items() if s > limit]
        print(f"documents over the {limit:g} s per-document limit: {len(over)}")
    return recall >= 0.98 and specificity >= 0.99


ENGINES = ("pypdf", "pdfium")


def use_engine(engine: str) -> None:
    """Make :func:`analyse` read PDFs with ``engine`` (``pdfium`` is factlinks as it is)."""
    if engine == "pypdf":
        from pypdf_inspect import PdfDocument

        import factlinks._inspect.analysis as inspect_module

        inspect_module.PdfDocument = PdfDocument  # type: ignore[misc,assignment]
    elif engine != "pdfium":
        raise SystemExit(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")


def run_child(corpus: Path, only: str | None, engine: str) -> None:
    """``--child ENGINE``: run every case with ``engine``, print the outcomes as JSON."""
    use_engine(engine)
    cases = select(load_cases(corpus), only)
    outcomes = run_direct(cases, CheckOptions().max_pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows = [[o.accepted, o.status, o.seconds, o.detail] for o in outcomes]
    json.dump({"peak": peak, "outcomes": rows}, sys.stdout)


def run_engine(args: argparse.Namespace, engine: str) -> tuple[list[Outcome], int]:
    """One round of ``engine`` in a child process: its outcomes and its peak RSS in bytes."""
    command = [sys.executable, __file__, "--child", engine, "--corpus", str(args.corpus)]
    if args.only:
        command += ["--only", args.only]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"engine {engine} failed (exit {done.returncode}):\n{done.stderr}")
    data = json.loads(done.stdout)
    cases = select(load_cases(args.corpus), args.only)
    outcomes = [
        Outcome(case, accepted, status, seconds, detail)
        for case, (accepted, status, seconds, detail) in zip(cases, data["outcomes"], strict=True)
    ]
    return outcomes, data["peak"]


def select(cases: list[Case], only: str | None) -> list[Case]:
    return [c for c in cases if c.format == only] if only else cases


def _speed(outcomes: list[Outcome], fmt: str | None = None) -> tuple[float, float, float]:
    """Checks per second, p50 and p95 in ms, over the checks of ``fmt`` (all if None)."""
    times = sorted(o.seconds for o in outcomes if fmt is None or o.case.format == fmt)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return len(times) / sum(times), 1000 * statistics.median(times), 1000 * p95


def compare(args: argparse.Namespace, engines: list[str]) -> bool:
    """Run ``engines`` side by side over ``args.rounds`` rounds; print and compare them."""
    rounds: dict[str, list[list[Outcome]]] = defaultdict(list)
    peaks: dict[str, int] = {}
    for number in range(args.rounds):
        order = engines if number % 2 == 0 else engines[::-1]
        for engine in order:
            outcomes, peak = run_engine(args, engine)
            rounds[engine].append(outcomes)
            peaks[engine] = max(peaks.get(engine, 0), peak)
            print(f"round {number + 1}: {engine} done", file=sys.stderr)
    met = {}
    for engine in engines:
        print(f"\n=== engine {engine} (first round) ===")
        met[engine] = report(rounds[engine][0], limit=CheckOptions().parse_timeout, timed=True)
    _side_by_side(rounds, peaks, engines)
    # The exit status is factlinks' own engine's, when it ran; the reference only compares.
    return met.get("pdfium", all(met.values()))


def _side_by_side(
    rounds: dict[str, list[list[Outcome]]], peaks: dict[str, int], engines: list[str]
) -> None:
    limit = CheckOptions().parse_memory
    print(f"\n=== side by side, median of {len(rounds[engines[0]])} round(s) ===")
    print(f"{'engine':<8} {'checks/s':>9} {'PDF checks/s':>13} {'PDF p50':>8} {'PDF p95':>8} "
          f"{'recall':>8} {'spec.':>8} {'peak RSS':>9}")  # fmt: skip
    rates: dict[str, float] = {}
    for engine in engines:
        runs = rounds[engine]
        every = statistics.median(_speed(r)[0] for r in runs)
        pdf = [_speed(r, "pdf") for r in runs]
        rates[engine] = statistics.median(p[0] for p in pdf)
        first = runs[0]
        true = [o for o in first if o.case.true and not o.case.expect_unverifiable]
        wrong = [o for o in first if not o.case.true]
        recall = 100 * sum(o.accepted for o in true) / max(1, len(true))
        spec = 100 * sum(not o.accepted for o in wrong) / max(1, len(wrong))
        print(
            f"{engine:<8} {every:>9.1f} {rates[engine]:>13.1f} "
            f"{statistics.median(p[1] for p in pdf):>6.0f}ms "
            f"{statistics.median(p[2] for p in pdf):>6.0f}ms "
            f"{recall:>7.1f}% {spec:>7.1f}% {peaks[engine] / 1024**2:>5.0f} MiB"
        )
    if "pypdf" in rates and "pdfium" in rates:
        print(f"PDF checks per second, pdfium / pypdf: {rates['pdfium'] / rates['pypdf']:.1f}x")
    worst = max(peaks.values())
    print(f"peak RSS of a parse process: {worst / 1024**2:.0f} MiB of the {limit / 1024**2:.0f} "
          f"MiB parse_memory limit ({'under' if worst < limit else 'OVER'})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "title_corpus")
    parser.add_argument("--http", action="store_true", help="end to end through factlinks check")
    parser.add_argument("--only", choices=["pdf", "html"], help="one format only")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--engine", help="comma-separated PDF engines to compare side by side: pypdf,pdfium"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds per engine (--engine)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.corpus, args.only, args.child)
        return 0
    options = CheckOptions()
    if args.engine:
        met = compare(args, [e.strip() for e in args.engine.split(",") if e.strip()])
        print(
            "targets (recall >= 98 %, specificity >= 99 %) with factlinks' engine:",
            "met" if met else "NOT met",
        )
        return 0 if met else 1
    cases = select(load_cases(args.corpus), args.only)
    if args.http:
        outcomes = run_http(cases, concurrency=args.concurrency)
    else:
        outcomes = run_direct(cases, options.max_pages)
    met = report(outcomes, limit=options.parse_timeout, timed=not args.http)
    if not args.http:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"peak RSS of this process (the parse work of a worker): {peak / 1024**2:.0f} MiB "
              f"of the {options.parse_memory / 1024**2:.0f} MiB parse_memory limit")  # fmt: skip
    print("targets (recall >= 98 %, specificity >= 99 %):", "met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
