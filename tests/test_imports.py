"""The symbolic paths never import torch, and the command line loads only what it needs.

These are the paths the benchmark (benchmarks/run.py) times: the CLI summary, every zoo
model in process, a 10,000-layer chain, and VGG-16 at 10,000×10,000. Each runs in a fresh
interpreter so that nothing imported by another test can hide an import.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Never imported by a symbolic path: torch (the bridge only), matplotlib (plots only), and what only slows start-up.
HEAVY = ("torch", "numpy", "pandas", "tabulate", "importlib.metadata", "matplotlib")


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)


def assert_runs_light(code: str, also: tuple[str, ...] = ()) -> None:
    done = python(code + f"\nloaded = [m for m in {HEAVY + also!r} if m in sys.modules]\nassert not loaded, loaded\n")
    assert done.returncode == 0, done.stderr


def test_import_and_summary_leave_torch_and_click_unloaded() -> None:
    assert_runs_light(
        "import sys, convcalc\n"
        "r = convcalc.summary('alexnet')\n"
        "assert r.totals.params == 62378344\n"  # CS231n's table (seed 002)
        "r.to_json(); str(r); r.to_markdown(); r.to_csv()\n",
        also=("click",),
    )


def test_every_zoo_model_deep_chains_and_huge_inputs_stay_symbolic() -> None:
    assert_runs_light(
        "import sys, convcalc as cc\n"
        "for name in cc.models.list(): cc.summary(name)\n"
        "chain = cc.Sequential(*[cc.Conv2d(8, 8, 3, padding=1) for _ in range(10_000)])\n"
        "assert len(cc.summary(chain, (8, 16, 16)).rows) == 10_000\n"
        "big = cc.summary('vgg16', (3, 10_000, 10_000))\n"
        "assert big.rows[0].output_shape == (64, 10_000, 10_000)\n"  # 3×3 conv, padding 1: size kept
    )


def test_every_cli_command_stays_symbolic() -> None:
    assert_runs_light(
        "import sys, io, contextlib\n"
        "from convcalc.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['summary', 'alexnet']) == 0\n"
        "    assert main(['summary', 'resnet50', '--format', 'latex', '--depth', '1']) == 0\n"
        "    assert main(['layer', 'nn.Conv2d(3, 10, 5, padding=2)', '--input', '3x32x32', '--explain']) == 0\n"
        "    assert main(['check', 'examples/homework.toml']) == 1\n"  # it holds the seeds' two slips
        "    assert main(['solve', '--input', '7', '--kernel', '3', '--stride', '3']) == 0\n"
        "    assert main(['models']) == 0\n"
        "    assert main(['draw', 'resnet18', '-o', '-']) == 0\n"  # the pictures are written by convcalc itself
        "    assert main(['summary', 'googlenet', '--format', 'mermaid']) == 0\n"
    )


def test_the_console_script_summary_stays_light() -> None:
    """`convcalc summary alexnet` as the installed script runs it (pyproject's entry point), alone in
    its interpreter: click is loaded to read the command line, and nothing heavy besides."""
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["convcalc"]
    module, _, name = entry.partition(":")
    assert_runs_light(
        "import sys, io, contextlib\n"
        f"from {module} import {name} as main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['summary', 'alexnet']) == 0\n"
        "assert '62,378,344' in out.getvalue()\n"  # AlexNet's parameters, CS231n's table (seed 002)
    )


def test_defining_the_commands_loads_no_library() -> None:
    """cli.py imports at module level only what defining the commands needs; each command loads
    the library and the renderers when it runs, so `convcalc --help` costs click and no more."""
    assert_runs_light(
        "import sys, convcalc.cli\n",
        also=("convcalc.api", "convcalc.analysis", "convcalc.models", "convcalc.parsing", "convcalc.rendering", "json"),
    )
