"""The symbolic core never needs torch (nor click or tabulate until it prints)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)


def test_import_and_summary_leave_torch_unloaded() -> None:
    done = python(
        "import sys, convcalc\n"
        "r = convcalc.summary('alexnet')\n"
        "assert r.totals.params == 62378344\n"
        "r.to_json()\n"
        "loaded = [m for m in ('torch', 'click', 'tabulate') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    assert done.returncode == 0, done.stderr


def test_cli_summary_leaves_torch_unloaded() -> None:
    done = python(
        "import sys\n"
        "from convcalc.cli import main\n"
        "assert main(['summary', 'alexnet']) == 0\n"
        "assert 'torch' not in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr
