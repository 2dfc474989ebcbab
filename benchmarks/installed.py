"""factlinks as an installed package runs it: with its modules byte-compiled.

``pip install factlinks`` byte-compiles the package as it installs it. An editable install
(``pip install -e .``) leaves that to the first import, which writes nothing where
``PYTHONDONTWRITEBYTECODE`` is set (as on some CI machines): every process would then compile
factlinks' sources again, about 0.35 s for the main process of ``check`` and 0.13 s for each
parse worker on a 2-core machine, while the peers' own packages were byte-compiled by pip.
The benchmarks that time factlinks processes call :func:`byte_compile` first.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def byte_compile() -> Path:
    """Byte-compile the factlinks package that this interpreter imports (into its
    ``__pycache__`` folders, as pip does); the package's folder."""
    spec = importlib.util.find_spec("factlinks")
    if spec is None or spec.origin is None:
        raise SystemExit("factlinks is not installed in this interpreter")
    package = Path(spec.origin).parent
    if not compileall.compile_dir(package, quiet=1):
        raise SystemExit(f"could not byte-compile {package}")
    return package
