"""The committed referential (tables, département shapes) is exactly what the build makes from the pinned packages.

Needs `npm` and the npm registry: without them the test skips, loudly; with IMPACT_REQUIRE_NPM=1 (as in
CI, `.ci/run`) it fails instead, so the tables can never drift silently.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT

SCRIPT = ROOT / "scripts" / "build-territories.py"
COMMITTED = ROOT / "seed" / "territories"


def _unavailable(problem: str) -> None:
    if os.environ.get("IMPACT_REQUIRE_NPM") == "1":
        pytest.fail(f"the referential drift check is required (IMPACT_REQUIRE_NPM=1) but {problem}")
    pytest.skip(f"referential drift check not run: {problem}")


def _content(path: Path) -> bytes:
    # Compared decompressed: another zlib may pack the same rows into other bytes.
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def test_committed_tables_are_what_the_build_makes(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        _unavailable("npm is not installed")
    build = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True, timeout=240
    )
    if build.returncode != 0 and "npm" in build.stderr and "integrity" not in build.stderr:
        _unavailable(f"npm could not fetch the package: {build.stderr[-500:]}")
    assert build.returncode == 0, build.stderr
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == [
        "LICENSE",
        "LICENSE-shapes.md",
        "department_shapes.json.gz",
        "former_codes.csv.gz",
        "territories.csv.gz",
    ]
    for name in built:
        assert _content(tmp_path / name) == _content(COMMITTED / name), (
            f"seed/territories/{name} differs from a fresh build: run `python scripts/build-territories.py`"
        )
