"""The README stays true: its console output is what the CLI prints, and CI runs its test command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from convcalc import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_blocks() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for each ```console block of the README."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        lines = body.splitlines()
        blocks.append((lines[0].removeprefix("$ "), lines[1:]))
    return blocks


def test_readme_console_output_is_real(capsys) -> None:
    assert console_blocks(), "the README shows the CLI at work"
    for command, shown in console_blocks():
        code = cli.main(shlex.split(command)[1:])
        out, err = capsys.readouterr()
        printed = (out + err).splitlines()
        for line in shown:
            if line != "…":
                assert line in printed, f"`{command}` no longer prints: {line}"
        assert code == (2 if shown[0].startswith("error:") else 1 if "✗" in "".join(shown) else 0)


def test_readme_python_examples_run() -> None:
    block = re.search(r"### 3\. A library call from a notebook\n\n```python\n(.*?)```", README, flags=re.S)
    assert block
    done = subprocess.run([sys.executable, "-c", block.group(1)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    doctest_block = re.search(r"### 2\. Checking homework answers.*?```python\n(.*?)```", README, flags=re.S)
    assert doctest_block
    import doctest

    parser = doctest.DocTestParser()
    test = parser.get_doctest(doctest_block.group(1), {}, "README", "README.md", 0)
    result = doctest.DocTestRunner().run(test)
    assert result.failed == 0


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if "pytest" in line and not line.startswith("#"))
    assert f"```bash\n{command}\n```" in README
    assert "torch==2.13.0" in command
    assert "```bash\npip install . && convcalc summary alexnet\n```" in README


def test_examples_run() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "custom_network.py")], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert "SeparableConv2d(32, 64, 3, padding=1)" in done.stdout


def test_the_custom_layer_example_runs() -> None:
    """examples/custom_layer.py, as the README's "Layers of your own" points to it: the swish row in a summary,
    in verify and read back from torch (Conv2d(3, 8, 3) on 32×32 gives 8·30·30 = 7,200 elements, 4 FLOPs each)."""
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "custom_layer.py")], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("28,800") >= 3 and "ok: all rows agree with torch" in done.stdout
    assert "Swish(beta=2.0)" in done.stdout and "TorchSwish()" in done.stdout
