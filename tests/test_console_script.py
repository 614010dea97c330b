"""What the ``convcalc`` console script shows for a command line: output, one-line errors, exit status.

The console script and ``python -m convcalc`` are :func:`convcalc.cli.main`, the click
commands defined once. These argument lists are the commonest ``summary`` commands, each
option spelled both ways, the commonest mistakes (found while computing or by click), and a
few other commands; each must give its exit status, and either its output with nothing on
stderr, or nothing on stdout and exactly one line ``error: …``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from convcalc import cli

ROOT = Path(__file__).resolve().parents[1]

#: argv, exit status, a fragment of the output (status 0) or of the one error line (status 2).
#: Counts come from their sources: AlexNet's 62,378,344 parameters from CS231n's table (seed 002),
#: the MNIST LeNet's 536,710 from its slide (seed 001), LeNet-5's 61,706 as the lectures count it
#: (every C3 map wired to all six inputs: 156 + 2,416 + 48,120 + 10,164 + 850), VGG-11's 132,863,336
#: and ResNet-18's 11.69 M (11,689,512) from torchvision's model cards.
CASES = [
    (["summary", "alexnet"], 0, "62,378,344"),
    (["summary", "lenet5", "--format", "markdown"], 0, "|-----|"),
    (["summary", "--format=json", "vgg11", "--batch", "4"], 0, '"params": 132863336'),
    (["summary", "resnet18", "--depth", "1", "--human", "--dtype", "float16"], 0, "11.69 M (22.30 MiB as float16)"),
    (["summary", "resnet18", "--depth=0", "--format", "csv"], 0, "index,path,kind,depth,"),
    (["summary", "lenet5", "--input", "1x28x28", "--format", "latex"], 2, "layer 8 (fc1) Linear: in_features=400"),
    (["summary", "lenet5", "--input=1x32x32", "--format", "html"], 0, "61,706"),
    (["summary", "examples/lenet_mnist.txt"], 0, "536,710"),
    (["summary", "alexnett"], 2, "unknown model 'alexnett'; did you mean alexnet?"),
    (["summary", "alexnet", "--input", "3x8x8"], 2, "kernel 11 does not fit input 8x8"),
    (["summary", "alexnet", "--batch", "0"], 2, "batch must be a positive int, got 0"),
    (["summary", "alexnet", "--dtype", "float33"], 2, "unknown dtype 'float33'"),
    (["summary", "no/such/file.txt"], 2, "no such file: no/such/file.txt"),
    ([], 0, "Usage: convcalc [OPTIONS] COMMAND"),
    (["--help"], 0, "Usage: convcalc [OPTIONS] COMMAND"),
    (["summary"], 2, "Missing argument 'MODEL'"),
    (["summary", "--help"], 0, "Usage: convcalc summary [OPTIONS] MODEL"),
    (["summary", "alexnet", "--verify"], 0, "ok: all rows agree with torch"),
    (["summary", "alexnet", "--debug"], 2, "No such option '--debug'"),  # --debug belongs before the command
    (["summary", "alexnet", "extra"], 2, "unexpected extra argument (extra)"),
    (["summary", "alexnet", "--batch", "two"], 2, "'two' is not a valid integer"),
    (["summary", "alexnet", "--batch", "-1"], 2, "batch must be a positive int, got -1"),
    (["summary", "alexnet", "--depth", "1.5"], 2, "'1.5' is not a valid integer"),
    (["summary", "alexnet", "--format", "yaml"], 2, "'yaml' is not one of 'table', 'markdown'"),
    (["summary", "alexnet", "--format"], 2, "Option '--format' requires an argument"),
    (["summary", "alexnet", "--human=yes"], 2, "Option '--human' does not take a value"),
    (["summary", "alexnet", "--batch", "2", "--batch", "3"], 0, "batch 3"),  # the last one given, as click reads it
    (["summary", "alexnet", "--inpt", "3x227x227"], 2, "No such option '--inpt'. (Did you mean one of: '--fit', '--input', '--train'?)"),
    (["summary", "mypkg.nets:Net", "--input", "3x32x32"], 2, "cannot import mypkg.nets for 'mypkg.nets:Net'"),
    (["models"], 0, "alexnet"),
    (["layer", "nn.ReLU()", "--input", "3x4x4"], 0, "output shape      3×4×4"),
]


@pytest.mark.parametrize(("argv", "status", "fragment"), CASES, ids=[" ".join(argv) or "(none)" for argv, _, _ in CASES])
def test_what_a_command_line_shows(argv: list[str], status: int, fragment: str, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == status, (code, out, err)
    if status == 0:
        assert err == "" and out.endswith("\n") and not out.endswith("\n\n"), err
        assert fragment in out, f"{fragment!r} not in the output"
    else:
        assert out == "" and err.count("\n") == 1 and err.startswith("error: ") and err.endswith("\n"), err
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_the_console_script_and_python_m_are_the_click_cli() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"convcalc": "convcalc.cli:main"}
    assert "from .cli import main" in (ROOT / "convcalc" / "__main__.py").read_text(encoding="utf-8")


def test_a_closed_pipe_is_not_an_error() -> None:
    """`convcalc summary resnet152 --format json | head -1`: the reader leaves early (the JSON is far
    larger than a pipe's buffer, so the write does fail); no traceback, no message, exit 0."""
    reader = subprocess.Popen([sys.executable, "-m", "convcalc", "summary", "resnet152", "--format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""
