"""What ``--help`` says after the options of each command: examples, exit codes, statuses.

The texts are built from the same constants the command line uses (the statuses, their
meanings, the default failing ones), so the help cannot drift from what the code does.
"""

from __future__ import annotations

from ._models import DEFAULT_FAIL_ON, Status

__all__ = ["EPILOGS", "STATUS_HELP"]

_EXIT_CHECK = """\
exit codes:
  0  no source in a failing status (see --fail-on)
  1  at least one source in a failing status
  2  usage or configuration error (a bad option, an invalid registry), or a document
     that could not be read; the message is on stderr and nothing is half-written
  3  internal error (a bug worth reporting: run again with --debug), or no source could
     be reached at all (the machine is offline); nothing is recorded that counts
     towards 'dead'"""

_EXIT_PLAIN = """\
exit codes:
  0  done
  2  usage or configuration error (message on stderr)
  3  internal error (run again with --debug)"""


def _statuses() -> str:
    width = max(len(status.value) for status in Status)
    failing = ",".join(s.value for s in Status if s in DEFAULT_FAIL_ON)
    lines = [f"statuses (fail the run by default: {failing}):"]
    for status in Status:
        lines.append(f"  {status.value:<{width}}  {status.description}")
    return "\n".join(lines)


STATUS_HELP = _statuses()
"""Each status with its meaning, as ``check --help`` lists them."""

_CHECK = f"""\
examples:
  factlinks check                           # ./sources.toml; reports in factlinks-report/
  factlinks check refs.bib --format json,md,html,sarif
  factlinks check --fail-on dead,drifted,moved --only kfw-fokus-318
  factlinks check --shard 2/4 --out shard-2 # one shard of a CI matrix; then: factlinks merge
  factlinks check paper.pdf notes.md        # a first look at what documents cite

{STATUS_HELP}

{_EXIT_CHECK}"""

_VALIDATE = """\
examples:
  factlinks validate                        # ./sources.toml
  factlinks validate sources.toml refs.bib  # several registries (as pre-commit passes them)

Each problem is printed as FILE:LINE: MESSAGE. Nothing is fetched: no network is needed.

exit codes:
  0  every registry is valid
  1  at least one registry is invalid or cannot be read
  2  usage error"""

_EXTRACT = """\
examples:
  factlinks extract paper.pdf               # the URLs it cites, one per line
  factlinks extract docs/ -v                # a folder, with where each URL was found
  factlinks extract docs/ --sources sources.toml --write   # register the new URLs
  factlinks extract --strict report.md      # fail when report.md cites an unregistered URL

With --strict, each cited URL that the registry lacks is printed as FILE:LINE: URL (FILE: page
N for a PDF) and the exit code is 1; URLs registered but no longer cited are not an error.

exit codes:
  0  done
  1  with --strict: a cited URL is not registered
  2  usage or configuration error, or a document that could not be read
  3  internal error (run again with --debug)"""

_FIX = f"""\
examples:
  factlinks fix                             # show the diff the last run's moved URLs give
  factlinks fix --apply                     # write it into sources.toml
  factlinks fix --report factlinks-report/report.json --archive --apply

{_EXIT_PLAIN}"""

_REPORT = f"""\
examples:
  factlinks report factlinks-report/report.json              # write report.html beside it
  factlinks report shard-1/report.json --format html,sarif --out html-report/

{_EXIT_PLAIN}"""

_INIT = f"""\
examples:
  factlinks init factsheet.pdf              # write sources.toml from what it cites
  factlinks init docs/ -o docs/sources.toml

{_EXIT_PLAIN}"""

_MERGE = f"""\
examples:
  factlinks merge merged/ shard-*/          # one report set from the shards' reports
  factlinks merge merged/ shard-*/ --state state.db --shard-state shard-*/state.db

{STATUS_HELP}

exit codes:
  0  no merged source in a failing status
  1  at least one merged source in a failing status
  2  usage error, or a shard report that cannot be read or does not belong to the run
  3  internal error (run again with --debug)"""

EPILOGS = {
    "check": _CHECK,
    "validate": _VALIDATE,
    "extract": _EXTRACT,
    "fix": _FIX,
    "report": _REPORT,
    "init": _INIT,
    "merge": _MERGE,
}
"""The text after the options of each command's ``--help``."""
