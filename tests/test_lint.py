"""The type checker and the linter pass: mypy over convcalc (settings in pyproject.toml), ruff over the repository.

Both run here, as part of the suite `.ci/run` runs, at the versions the test extra pins. A
``# type: ignore`` is allowed only with its reason beside it (checked below), and mypy reports
any that no longer hides an error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_mypy_passes() -> None:
    done = run("mypy", "--no-incremental")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_passes() -> None:
    done = run("ruff", "check", "--no-cache", "convcalc", "tests", "benchmarks", "examples")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_type_ignore_says_why() -> None:
    bare = []
    for path in sorted((ROOT / "convcalc").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"# type: ignore(\[[^\]]*\])?(.*)", line)
            if match and not match.group(2).strip().startswith("#"):
                bare.append(f"{path.relative_to(ROOT)}:{number}")
    assert bare == [], "a # type: ignore needs its reason beside it (`# type: ignore[code]  # why`)"
