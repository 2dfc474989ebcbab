"""The text URL rules against public URL-extractor suites (linkify-it, cmark-gfm) and issue 11.

The bar is issue 11's: precision and recall of at least 0.97 for http(s) URLs on each suite.
"""

from __future__ import annotations

import pytest

from url_suites import TABLES, all_scores, load_cases

BAR = 0.97
SCORES = {score.suite: score for score in all_scores()}


@pytest.mark.parametrize("suite", sorted(SCORES))
def test_suite_meets_the_bar(suite: str) -> None:
    score = SCORES[suite]
    misses = "\n".join(str(miss) for miss in score.misses)
    summary = (
        f"{suite}: precision {score.precision:.3f}, recall {score.recall:.3f}"
        f" over {score.cases} cases; failing:\n{misses}"
    )
    assert score.precision >= BAR, summary
    assert score.recall >= BAR, summary


def test_every_table_has_in_scope_cases_and_says_why_for_the_rest() -> None:
    for table in TABLES:
        cases = load_cases(table)
        assert any(case.in_scope for case in cases), table
        assert all(case.in_scope or case.why for case in cases), table
