"""The console script's click-free path for plain ``summary`` commands says exactly what click's says.

convcalc.fastpath reads the plainest ``convcalc summary MODEL [options]`` itself, so that
the commonest command does not pay for importing click. The click CLI stays the definition:
here both run the same argument lists, and the output, errors and exit status must be equal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from convcalc import cli, fastpath

ROOT = Path(__file__).resolve().parents[1]

#: Read by the fast path itself (plain_summary accepts them).
PLAIN = [
    ["summary", "alexnet"],
    ["summary", "lenet5", "--format", "markdown"],
    ["summary", "--format=json", "vgg11", "--batch", "4"],
    ["summary", "resnet18", "--depth", "1", "--human", "--dtype", "float16"],
    ["summary", "resnet18", "--depth=0", "--format", "csv"],
    ["summary", "lenet5", "--input", "1x28x28", "--format", "latex"],
    ["summary", "lenet5", "--input=1x32x32", "--format", "html"],
    ["summary", "examples/lenet_mnist.txt"],
    # Errors found while computing: the fast path hands them to click, which reports them.
    ["summary", "alexnett"],
    ["summary", "alexnet", "--input", "3x8x8"],
    ["summary", "alexnet", "--batch", "0"],
    ["summary", "alexnet", "--dtype", "float33"],
    ["summary", "no/such/file.txt"],
]

#: Left to click: help, other commands, flags the fast path does not read, values click must judge.
TO_CLICK = [
    [],
    ["--help"],
    ["summary"],
    ["summary", "--help"],
    ["summary", "alexnet", "--verify"],
    ["summary", "alexnet", "--debug"],
    ["summary", "alexnet", "extra"],
    ["summary", "alexnet", "--batch", "two"],
    ["summary", "alexnet", "--batch", "-1"],
    ["summary", "alexnet", "--depth", "1.5"],
    ["summary", "alexnet", "--format", "yaml"],
    ["summary", "alexnet", "--format"],
    ["summary", "alexnet", "--human=yes"],
    ["summary", "alexnet", "--batch", "2", "--batch", "3"],
    ["summary", "alexnet", "--inpt", "3x227x227"],
    ["summary", "mypkg.nets:Net", "--input", "3x32x32"],
    ["models"],
    ["layer", "nn.ReLU()", "--input", "3x4x4"],
]


def _run(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", PLAIN + TO_CLICK, ids=" ".join)
def test_both_paths_say_the_same(argv: list[str], capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert _run(fastpath.main, argv, capsys) == _run(cli.main, argv, capsys)


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_plain_summaries_are_read_without_click(argv: list[str]) -> None:
    assert fastpath.plain_summary(argv) is not None


@pytest.mark.parametrize("argv", TO_CLICK, ids=" ".join)
def test_everything_else_goes_to_click(argv: list[str]) -> None:
    assert fastpath.plain_summary(argv) is None


def test_the_console_script_path_never_imports_click() -> None:
    code = ("import sys, io, contextlib\n"
            "from convcalc.fastpath import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    assert main(['summary', 'alexnet', '--format', 'markdown']) == 0\n"
            "assert '62,378,344' in out.getvalue()\n"  # AlexNet's parameters, CS231n's table (seed 002)
            "assert 'click' not in sys.modules and 'torch' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr


def test_a_closed_pipe_is_not_an_error() -> None:
    """`convcalc summary resnet152 --format json | head -1`: the reader leaves early (the JSON is far
    larger than a pipe's buffer, so the write does fail); no traceback, no message, exit 0."""
    script = ("import sys; from convcalc.fastpath import main; "
              "sys.exit(main(['summary', 'resnet152', '--format', 'json']))")
    reader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""
