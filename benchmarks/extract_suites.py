"""Precision and recall of the URL readers on the committed URL-extractor suites.

Reads ``tests/fixtures/url_suites/*.toml`` (linkify-it's fixtures, cmark-gfm's autolink
examples, twitter-text's conformance cases, the CommonMark spec's examples, lychee's
Markdown and HTML extractor tests, the tests of Django's urlize, urlextract, pypi-simple,
Rinku, Scrapy's link extractor, muffet, markdown-link-extractor and markdown-it-py's
linkify, issue 11's cases), runs each in-scope case through the
reader its table names (text rules, Markdown or HTML reader) and prints, per suite, the
cases, precision and recall, then each case that fails (``-v``).

    python benchmarks/extract_suites.py [-v]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from url_suites import all_scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failing case")
    args = parser.parse_args()
    scores = all_scores()
    print(f"{'suite':<28} {'cases':>5} {'precision':>9} {'recall':>6}")
    for score in scores:
        print(f"{score.suite:<28} {score.cases:>5} {score.precision:>9.3f} {score.recall:>6.3f}")
    tp = sum(s.true_pos for s in scores)
    fp = sum(s.false_pos for s in scores)
    fn = sum(s.false_neg for s in scores)
    cases = sum(s.cases for s in scores)
    print(f"{'all':<28} {cases:>5} {tp / (tp + fp):>9.3f} {tp / (tp + fn):>6.3f}")
    if args.verbose:
        for score in scores:
            for miss in score.misses:
                print(miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
