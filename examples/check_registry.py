"""Check a registry with the library only and print one line per problem.

python examples/check_registry.py sources.toml
"""

from __future__ import annotations

import sys

import factlinks


def main(path: str) -> int:
    try:
        registry = factlinks.load_sources(path)
        report = factlinks.check(registry)
    except factlinks.FactlinksError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for result in report.problems:
        print(f"{result.status:<12} {result.id:<40} {result.reason}")
        if result.new_url:
            print(f"{'':<12} {'':<40} new URL: {result.new_url}")
    print(", ".join(f"{n} {status}" for status, n in report.counts.items() if n))
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "sources.toml"))
