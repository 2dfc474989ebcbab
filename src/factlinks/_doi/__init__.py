"""DOIs checked as DOIs: their names, and the DOI system's answers about them."""

from __future__ import annotations

from .names import DOI_HOSTS, doi_from_url, doi_key, doi_url, on_resolver, parse_doi

__all__ = ["DOI_HOSTS", "doi_from_url", "doi_key", "doi_url", "on_resolver", "parse_doi"]
