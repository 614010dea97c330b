"""The command line as a user meets it: output, exit status, one-line errors, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from convcalc import api, cli

ROOT = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_alexnet_table(capsys) -> None:
    code, out, err = run(capsys, "summary", "alexnet")
    assert (code, err) == (0, "")
    first = next(line for line in out.splitlines() if line.split()[:1] == ["1"])
    assert "features.0" in first and "96×55×55" in first and "34,944" in first and "105,415,200" in first
    assert "62,378,344" in out and "1,135,256,096" in out


def test_summary_json_contract(capsys) -> None:
    code, out, _ = run(capsys, "summary", "alexnet", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["totals"]["params"] == 62_378_344
    assert data["totals"]["macs"] == 1_135_256_096
    assert data["rows"][0]["output_shape"] == [96, 55, 55]


def test_summary_input_and_batch(capsys) -> None:
    code, out, _ = run(capsys, "summary", "lenet5", "--input", "1x32x32", "--batch", "4", "--format", "json")
    data = json.loads(out)
    assert (code, data["batch"], data["totals"]["macs"]) == (0, 4, 4 * 416_520)


@pytest.mark.parametrize("fmt", ["markdown", "latex", "html", "csv"])
def test_summary_other_formats(capsys, fmt: str) -> None:
    code, out, _ = run(capsys, "summary", "lenet5", "--format", fmt)
    assert code == 0 and "conv1" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["summary", "alexnt"], "error: unknown model 'alexnt'; did you mean alexnet?"),
        (["summary", "alexnet", "--input", "3x224x224"],
         "error: layer 16 (classifier.1) Linear: in_features=9216 but the input's last dim is 6400"),
        (["summary", "alexnet", "--input", "3x0x227"], "error: input shape '3x0x227' has a zero size"),
        (["summary", "alexnet", "--input", "banana"], "error: cannot read input shape 'banana'"),
        (["summary", "lenet5", "--input", "1x32x3²"], "error: cannot read input shape '1x32x3²'"),
        (["summary", "alexnet", "--input", "227x227"], "error: layer 1 (features.0) Conv2d: expects a 3-d input"),
        (["summary", "alexnet", "--batch", "0"], "error: batch must be a positive int, got 0"),
        (["summary", "alexnet", "--batch", "-3"], "error: batch must be a positive int, got -3"),
        (["summary", "alexnet", "--batch", "two"], "error: Invalid value for '--batch'"),
        (["summary", "alexnet", "--format", "pdf"], "error: Invalid value for '--format'"),
        (["summary"], "error: Missing argument 'MODEL'"),
        (["frobnicate"], "error: No such command 'frobnicate'"),
        (["models", "zzz*"], "error: no model matches 'zzz*'"),
        (["layer", "nn.Conv2d(3, 8, 3)", "--input", "3x32x32", "--input", "3x32x32"],
         "error: a layer takes one input; got 2 (--input 3x32x32, --input 3x32x32): give one --input"),
        (["layer", "nn.Embedding(1000, 64)", "--input", "128:float32"],
         "error: Embedding(1000, 64) reads integer ids, not float32: give them as 128:int64"),
        (["layer", "nn.Embedding(1000, 64)", "--input", "128:float32", "--explain"],
         "error: Embedding(1000, 64) reads integer ids, not float32: give them as 128:int64"),
        (["layer", "nn.Conv2d(3, 8, 3)", "--input", "3x32x32:int64"],
         "error: input 3x32x32:int64 holds int64 values, but its first layer, Conv2d(3, 8, 3), takes real values; give 3x32x32"),
        (["layer", "nn.Conv2d(3, 8, 3)", "--input", "x=3x32x32"], "error: a convcalc network takes one input, without a name"),
        (["layer", "nn.Conv2d(3, 8, 3)", "--input", "3x32x32:complex"], "error: unknown input dtype 'complex'"),
        (["verify", "lenet5", "--input", "1x32x32", "--input", "1x32x32"], "error: a convcalc network takes one input, got 2"),
        (["verify", "lenet5", "--input", "1x32x32:float16"], "error: verify runs a convcalc network in float32"),
        (["verify", "lstm_lm", "--input", "35:float32"], "error: Embedding(33278, 200) reads integer ids, not float32"),
        (["verify", "lenet5", "--input", "1x32x32:int64"], "error: input 1x32x32:int64 holds int64 values"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_bad_input_is_one_line_and_exit_2(capsys, args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_output_is_not_called_a_bug(capsys, monkeypatch) -> None:
    def full(*args, **kwargs):
        if not kwargs.get("err"):
            raise OSError(28, "No space left on device")
        print(args[0], file=sys.stderr)

    monkeypatch.setattr(cli.click, "echo", full)
    code, _, err = run(capsys, "summary", "lenet5")
    assert code == 1 and err.startswith("error: cannot write the output: [Errno 28] No space left on device")


def test_internal_errors_are_reported_as_bugs(capsys, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "summary", broken)
    code, out, err = run(capsys, "summary", "alexnet")
    assert code == 3
    assert err.startswith("error: internal error (RuntimeError: boom); this is a bug in convcalc, rerun with --debug")
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "summary", "alexnet"])


def test_layer_takes_typed_ids(capsys) -> None:
    """`layer --input 128:int64`: an Embedding's ids, 8 bytes each. By hand: the table 1000·64 = 64,000 parameters;
    the output 128·64 = 8,192 float32 elements = 32,768 bytes; the input 128·8 = 1,024 bytes (int32: 128·4 = 512)."""
    code, out, err = run(capsys, "layer", "nn.Embedding(1000, 64)", "--input", "128:int64")
    assert code == 0 and out.splitlines()[0] == "Embedding(1000, 64) on input 128:int64", err
    assert "activation bytes  32,768 (with the input: 33,792)" in out and "parameters        64,000" in out
    code, out, err = run(capsys, "layer", "nn.Embedding(1000, 64)", "--input", "128:int32", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["inputs"] == [{"name": None, "shape": [128], "dtype": "int32"}], err
    assert (data["totals"]["input_bytes"], data["totals"]["params"]) == (512, 64_000)
    code, out, err = run(capsys, "layer", "nn.Embedding(1000, 64)", "--input", "128:int64", "--explain")
    assert code == 0 and out.splitlines()[0] == "Embedding(1000, 64) on input 128:int64", err
    assert "with the input (1,024 bytes): 33,792 bytes" in out
    code, out, err = run(capsys, "layer", "nn.Embedding(1000, 64)", "--input", "128")  # a bare shape: ids, as before
    assert code == 0 and "with the input: 33,280" in out, err  # the input at the report's dtype: 128·4 = 512 bytes
    code, out, err = run(capsys, "layer", "nn.Conv2d(3, 8, 3)", "--input", "3x32x32:float16")
    # the input 3·32·32·2 = 6,144 bytes; the output 8·30·30·4 = 28,800
    assert code == 0 and "activation bytes  28,800 (with the input: 34,944)" in out, err


def test_models_lists_the_zoo(capsys) -> None:
    code, out, _ = run(capsys, "models")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("alexnet"))
    assert "3x227x227" in line and "62,378,344" in line and "1,135,256,096" in line
    code, out, _ = run(capsys, "models", "lenet*", "--format", "json")
    assert json.loads(out) == [{"name": "lenet5", "input": "1x32x32", "params": 61_706, "macs": 416_520}]


def test_models_lists_every_model(capsys) -> None:
    from convcalc import models

    code, out, _ = run(capsys, "models")
    listed = [line.split()[0] for line in out.splitlines()[2:]]
    assert code == 0 and listed == models.list()
    assert len(listed) >= 33


def zoo_names() -> list[str]:
    from convcalc import models

    return models.list()


@pytest.mark.parametrize("name", zoo_names())
def test_summary_of_every_zoo_model(capsys, name: str) -> None:
    code, out, _ = run(capsys, "summary", name, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["model"] == name and data["rows"]
    code, out, _ = run(capsys, "summary", name)
    assert code == 0 and " total " in out


def test_bare_command_shows_help(capsys) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "summary" in out


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert f"convcalc {name}" in readme, f"README does not show `convcalc {name}`"
    ctx = click.Context(cli.cli)
    assert "summary" in cli.cli.get_help(ctx)


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "convcalc", "summary", "lenet5", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["params"] == 61_706
    bad = subprocess.run([sys.executable, "-m", "convcalc", "summary", "nosuch"], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown model 'nosuch'")
