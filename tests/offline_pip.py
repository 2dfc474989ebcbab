"""An environment in which pip installs factlinks without touching the network.

pre-commit's hook environment (tests/test_precommit.py), the action's install step
(tests/test_action.py) and the wheel check (tests/test_release.py) each install factlinks
with pip into a fresh virtual environment. Here pip may not use an index (``PIP_NO_INDEX``;
the machine's pip.conf, which may name mirrors, is not read), builds factlinks without
isolation with the hatchling of the test environment, and finds every dependency already
installed on ``PYTHONPATH``: a folder of links to the test environment's packages with
factlinks (and the ``.pth`` files of editable installs) left out, so what runs is the
factlinks that pip installed, not this checkout's.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable
from pathlib import Path


def offline_pip_env(deps: Path, *, drop: Iterable[str] = ()) -> dict[str, str]:
    """``os.environ`` for an offline pip, with the dependency links made in ``deps`` (an
    empty folder); ``drop`` names more variables (or prefixes ending in ``_``) to leave out."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    for entry in purelib.iterdir():
        name = entry.name.lower()
        if "factlinks" in name or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    prefixes = ("PIP_", *(d for d in drop if d.endswith("_")))
    names = {"COVERAGE_PROCESS_START", "VIRTUAL_ENV", *(d for d in drop if not d.endswith("_"))}
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k not in names}
    env.update(
        PIP_NO_INDEX="1",
        PIP_CONFIG_FILE=os.devnull,  # no index or find-links from the machine's pip.conf
        PIP_NO_BUILD_ISOLATION="0",  # pip reads a "no-" option's variable inverted: off
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONPATH=str(deps),
    )
    return env
