"""DOI names: the forms citations write them in, and the URL each gets on a resolver."""

from __future__ import annotations

import pytest

from factlinks import Source
from factlinks._doi import doi_from_url, doi_key, doi_url, parse_doi


@pytest.mark.parametrize(
    ("written", "doi"),
    [
        ("10.1000/182", "10.1000/182"),
        ("  doi:10.1000/182 ", "10.1000/182"),
        ("DOI: 10.1000/182", "10.1000/182"),
        ("info:doi/10.1000/182", "10.1000/182"),
        ("https://doi.org/10.1000/182", "10.1000/182"),
        ("http://dx.doi.org/10.1000/182", "10.1000/182"),
        ("https://doi.org/10.1002/%28SICI%291097-4571", "10.1002/(SICI)1097-4571"),
        ("https://doi.org/10.1000/a%23b?locatt=mode:legacy", "10.1000/a#b"),
        ("10.1093.1/ajae/aaq063", "10.1093.1/ajae/aaq063"),
        ("10.1000/", None),
        ("11.1000/182", None),
        ("10.12/short-registrant", None),
        ("https://example.org/10.1000/182", None),
        ("10.1000/with space", None),
        ("", None),
    ],
)
def test_parse_doi_reads_the_forms_citations_write(written: str, doi: str | None) -> None:
    assert parse_doi(written) == doi


def test_doi_url_encodes_what_a_url_cannot_hold() -> None:
    assert doi_url("10.1000/182") == "https://doi.org/10.1000/182"
    assert doi_url("10.1000/a#b?c%d") == "https://doi.org/10.1000/a%23b%3Fc%25d"
    assert doi_url("10.1002/(SICI)1097", "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9/10.1002/(SICI)1097"
    )
    assert doi_from_url(doi_url("10.1000/a#b%c")) == "10.1000/a#b%c"


def test_dois_compare_without_ascii_case() -> None:
    assert doi_key("10.1000/ABC") == doi_key("10.1000/abc")
    assert doi_key("10.1000/Ä") != doi_key("10.1000/ä")


def test_a_source_on_the_doi_proxy_has_its_doi() -> None:
    assert Source("a", "https://dx.doi.org/10.1000/182").doi == "10.1000/182"
    assert Source("a", "https://example.org/", doi="doi:10.1000/182").doi == "10.1000/182"
    assert Source("a", "https://example.org/").doi is None
    with pytest.raises(ValueError, match="not a DOI"):
        Source("a", "https://example.org/", doi="n/a")
