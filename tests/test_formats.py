"""Every command and every format through click's CliRunner, as a user's shell would run them.

The figures the outputs are held to come from outside convcalc:
- AlexNet (CS231n's 227×227 table, seed 002): 62,378,344 parameters, 1,135,256,096 MACs;
  its first conv: 96×55×55, 34,944 parameters.
- Conv2d(3, 10, 5, padding=2) on 3×32×32, by hand: O = (32 + 4 − 5)/1 + 1 = 32;
  params = 5·5·3·10 + 10 = 760; MACs = 10·32·32·3·5·5 = 768,000; FLOPs twice that.
- LeNet-5 of PyTorch's tutorial: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters
  (6·1·5·5+6, 16·6·5·5+16, 400·120+120, 120·84+84, 84·10+10).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from convcalc.cli import cli
from convcalc.rendering import FORMATS

ALEXNET_PARAMS, ALEXNET_MACS = 62_378_344, 1_135_256_096
LENET_PARAMS = 156 + 2_416 + 48_120 + 10_164 + 850
ROOT = Path(__file__).resolve().parents[1]
CONV = "nn.Conv2d(3, 10, kernel_size=5, padding=2)"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


class _Tags(HTMLParser):
    """Counts opening and closing tags, so a test can tell the HTML is well nested."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: dict[str, int] = {}
        self.broken = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.seen[tag] = self.seen.get(tag, 0) + 1
        if tag not in ("br", "hr", "meta", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.broken = True


def html_tags(text: str) -> dict[str, int]:
    parser = _Tags()
    parser.feed(text)
    assert not parser.broken and not parser.stack, "the HTML is not well nested"
    return parser.seen


def numbers(text: str) -> set[int]:
    """Every integer written in the text, with or without thousands separators."""
    return {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\d|\d", text)}


def test_formats_are_the_issues_six() -> None:
    assert set(FORMATS) == {"table", "markdown", "latex", "html", "json", "csv"}


# --- summary -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_in_every_format(fmt: str) -> None:
    code, out, err = invoke("summary", "alexnet", "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        data = json.loads(out)
        assert (data["totals"]["params"], data["totals"]["macs"]) == (ALEXNET_PARAMS, ALEXNET_MACS)
        assert data["rows"][0]["output_shape"] == [96, 55, 55]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == 21 and not out.endswith("\n\n")  # no blank line at the end of the file
        assert sum(int(r["params"]) for r in rows) == ALEXNET_PARAMS
        assert sum(int(r["macs"]) for r in rows) == ALEXNET_MACS
        assert (rows[0]["output_shape"], rows[0]["params"]) == ("96x55x55", "34944")
    else:
        assert {ALEXNET_PARAMS, ALEXNET_MACS, 34_944} <= numbers(out)
        if fmt == "html":
            assert html_tags(out)["tr"] == 1 + 21 + 1  # header, 21 layers, total
        elif fmt == "latex":
            assert out.startswith(r"\begin{tabular}") and out.rstrip().endswith(r"\end{tabular}")
            assert out.isascii(), "LaTeX output must compile without unicode support"
            assert "96x55x55" in out
        elif fmt == "markdown":
            table = [line for line in out.splitlines() if line.startswith("|")]
            assert len(table) == 1 + 1 + 21 + 1 and set(table[1]) <= set("|-: ")
        else:
            assert "96×55×55" in out and out.startswith("alexnet: input 3×227×227")


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_human_is_rounded_in_every_table_format(fmt: str) -> None:
    code, out, _ = invoke("summary", "alexnet", "--human", "--format", fmt)
    assert code == 0
    if fmt == "json":  # data formats keep every digit
        assert json.loads(out)["totals"]["params"] == ALEXNET_PARAMS
    elif fmt == "csv":
        assert sum(int(r["params"]) for r in csv.DictReader(io.StringIO(out))) == ALEXNET_PARAMS
    else:
        assert "62.38 M" in out and "62,378,344" not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_summary_of_a_spec_file_with_depth(fmt: str) -> None:
    # resnet18 at depth 0: stem (conv1, bn1, relu, maxpool), layer1..layer4, avgpool, flatten, fc = 11 rows;
    # torchvision documents 11,689,512 parameters.
    code, out, _ = invoke("summary", "resnet18", "--depth", "0", "--format", fmt)
    assert code == 0
    if fmt == "json":
        data = json.loads(out)
        assert [r["path"] for r in data["rows"]][4:8] == ["layer1", "layer2", "layer3", "layer4"]
        assert data["totals"]["params"] == 11_689_512
    elif fmt == "csv":
        assert [r["path"] for r in csv.DictReader(io.StringIO(out))][4:8] == ["layer1", "layer2", "layer3", "layer4"]
    else:
        assert "layer1" in out and "layer1.0" not in out and 11_689_512 in numbers(out)


def test_summary_with_verify_in_every_format() -> None:
    for fmt in FORMATS:
        code, out, err = invoke("summary", "lenet5", "--verify", "--format", fmt)
        assert (code, err) == (0, ""), fmt
        if fmt == "json":
            data = json.loads(out)
            assert data["verify"]["ok"] and data["summary"]["totals"]["params"] == LENET_PARAMS
        elif fmt == "csv":  # the summary's rows, a blank line, then torch's beside convcalc's
            summary, verified = out.split("\n\n", 1)
            assert sum(int(r["params"]) for r in csv.DictReader(io.StringIO(summary))) == LENET_PARAMS
            assert sum(int(r["torch_params"]) for r in csv.DictReader(io.StringIO(verified))) == LENET_PARAMS
        else:
            assert numbers(out) >= {LENET_PARAMS}, fmt


# --- layer -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_layer_in_every_format(fmt: str) -> None:
    code, out, err = invoke("layer", CONV, "--input", "3x32x32", "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        row = json.loads(out)["rows"][0]
        assert (row["output_shape"], row["params"], row["macs"], row["flops"]) == ([10, 32, 32], 760, 768_000, 1_536_000)
    elif fmt == "csv":
        (row,) = csv.DictReader(io.StringIO(out))
        assert (row["output_shape"], row["params"], row["macs"]) == ("10x32x32", "760", "768000")
    else:
        assert {760, 768_000, 1_536_000} <= numbers(out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_layer_explain_in_every_format(fmt: str) -> None:
    code, out, err = invoke("layer", CONV, "--input", "3x32x32", "--explain", "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        data = json.loads(out)
        steps = {s["quantity"]: s["working"] for s in data["steps"]}
        assert "O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32  (height and width alike)" in steps["output size"]
        assert steps["parameters"][0].startswith("params = kh·kw·Cin·Cout + Cout = 5·5·3·10 + 10 = 760")
        assert data["report"]["rows"][0]["params"] == 760
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert ["FLOPs", "FLOPs = 2·Cout·Oh·Ow·Cin·kh·kw = 2·10·32·32·3·5·5 = 1,536,000"] in [list(r.values()) for r in rows]
    elif fmt == "latex":
        assert out.isascii() and "$$" not in out
        assert r"5$\cdot$5$\cdot$3$\cdot$10 + 10 = 760" in out
        assert r"O = $\lfloor$(32 + 2$\cdot$2 $-$ 5)/1$\rfloor$ + 1 = 32" in out
        assert out.count("$") % 2 == 0
    else:
        assert "2·10·32·32·3·5·5 = 1,536,000" in out
        assert "convention:" in out
        if fmt == "html":
            # output size, parameters, MACs, FLOPs, with bias, neurons, activations, inference peak, receptive field
            assert html_tags(out)["dt"] == 9


# --- verify ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_in_every_format(fmt: str) -> None:
    code, out, err = invoke("verify", "lenet5", "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        data = json.loads(out)
        assert data["ok"] and data["totals"]["params"] == {"convcalc": LENET_PARAMS, "torch": LENET_PARAMS, "ok": True}
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert sum(int(r["torch_params"]) for r in rows) == LENET_PARAMS
        assert rows[0]["output_shape"] == rows[0]["torch_output_shape"] == "6x28x28"  # (32 − 5)/1 + 1 = 28
        assert all(r["ok"] == "True" for r in rows)
    else:
        assert LENET_PARAMS in numbers(out)
        if fmt == "latex":
            assert out.isascii() and "6x28x28" in out
        elif fmt == "html":
            assert html_tags(out)["tr"] == 1 + 12 + 1  # header, LeNet-5's 12 rows, total
        else:
            assert "6×28×28 ✓" in out


def test_verify_shows_a_disagreement_in_every_format(monkeypatch) -> None:
    """A convcalc figure that torch contradicts is marked in every format, and exits 1."""
    from convcalc.layers.conv import Conv2d

    real = Conv2d.effect

    def off_by_one(self, shape):  # a planted bug: one parameter too many on every conv
        from convcalc.records import replace

        e = real(self, shape)
        return replace(e, biases=e.biases + 1)

    monkeypatch.setattr(Conv2d, "effect", off_by_one)
    for fmt in FORMATS:
        code, out, _ = invoke("verify", "lenet5", "--format", fmt)
        assert code == 1, fmt
        if fmt == "json":
            assert json.loads(out)["rows"][0]["params"] == {"convcalc": 157, "torch": 156, "ok": False}
        elif fmt == "csv":
            first = next(csv.DictReader(io.StringIO(out)))
            assert (first["ok"], first["params"], first["torch_params"]) == ("False", "157", "156")
        elif fmt == "latex":
            assert "157 vs torch 156" in out
        else:
            assert "157 ≠ 156 ✗" in out


# --- the commands without formats --------------------------------------------------------------


def test_check_marks_answers_and_exits_1_on_a_wrong_one(tmp_path) -> None:
    answers = tmp_path / "a.toml"
    # 760 by hand (see the module docstring); 750 forgets the biases.
    answers.write_text('[[question]]\nid = "right"\nspec = "nn.Conv2d(3, 10, 5, padding=2)"\ninput = "3x32x32"\n'
                       'params = 760\n\n[[question]]\nid = "wrong"\nspec = "nn.Conv2d(3, 10, 5, padding=2)"\n'
                       'input = "3x32x32"\nparams = 750\n', encoding="utf-8")
    code, out, err = invoke("check", str(answers))
    assert (code, err) == (1, "")
    assert "✓ right params" in out and "✗ wrong params: 750, true 760" in out
    assert "5·5·3·10 + 10 = 760" in out  # the working of the wrong one


def test_check_of_a_bad_file_exits_2(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[question]\n", encoding="utf-8")
    code, out, err = invoke("check", str(bad))
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_solve_lists_fits_and_misfits() -> None:
    # 7 wide, kernel 3, stride 3: (7 − 3)/3 + 1 = 2.33 with no padding; padding 1: (7 + 2 − 3)/3 + 1 = 3 exactly.
    code, out, err = invoke("solve", "--input", "7", "--kernel", "3", "--stride", "3")
    assert (code, err) == (0, "")
    assert "2.33" in out and "(7 + 2·1 − 3)/3 + 1 = 3" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_models_in_every_format(fmt: str) -> None:
    code, out, err = invoke("models", "alexnet", "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        assert json.loads(out) == [{"name": "alexnet", "input": "3x227x227", "params": ALEXNET_PARAMS,
                                    "macs": ALEXNET_MACS}]
    elif fmt == "csv":
        assert list(csv.DictReader(io.StringIO(out))) == [
            {"name": "alexnet", "input": "3x227x227", "params": str(ALEXNET_PARAMS), "macs": str(ALEXNET_MACS)}]
    else:
        assert {ALEXNET_PARAMS, ALEXNET_MACS} <= numbers(out) and "alexnet" in out


@pytest.mark.parametrize("args", [
    ["summary", "alexnet", "--input", "3x0x227"],
    ["summary", "no_such_net"],
    ["summary", "alexnet", "--format", "docx"],
    ["summary", "alexnet", "--depth", "-1"],
    ["layer", "nn.Conv2d(3, 10, 5)", "--input", "4x32x32"],
    ["layer", "__import__('os').system('true')", "--input", "3x8x8"],
    ["verify", "alexnet", "--device", "tpu"],
    ["check", "/no/such/file.toml"],
    ["solve", "--input", "7"],
    ["models", "zzz*"],
])
def test_errors_are_one_line_and_exit_2_through_clirunner(args: list[str]) -> None:
    code, out, err = invoke(*args)
    assert code == 2, (args, out, err)
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


# --- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example_that_works(command: str, monkeypatch, tmp_path) -> None:
    # the examples name files under examples/; draw's, plot's and web's write files
    monkeypatch.chdir(tmp_path if command in ("draw", "plot", "web") else ROOT)
    if command == "web":
        from convcalc.web import WebError, runtime

        try:
            runtime()
        except WebError as error:
            pytest.skip(f"no Pyodide runtime here: {error}")
    code, out, _ = invoke(command, "--help")
    assert code == 0 and "Usage: convcalc " + command in out
    lines = out.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    examples = [line.strip() for line in lines[heading + 1:] if line.strip().startswith("convcalc ")]
    assert examples, f"`convcalc {command} --help` shows no example"
    for example in examples:
        if "--serve" in example:  # a server runs until it is stopped
            continue
        argv = shlex.split(example)
        assert argv[:2] == ["convcalc", command]
        code, out, err = invoke(*argv[1:])
        assert err == "" and out, example
        assert code == (1 if command == "check" else 0), example  # check's example file holds the seeds' slips
