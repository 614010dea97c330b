"""Homework mode: layer calls and spec files as the lectures write them, explain, check and solve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import convcalc as cc
from convcalc import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(capsys, *args: str):  # type: ignore[no-untyped-def]
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- the lecture networks through spec files (numbers from the slides) --------------------------


def test_seed000_through_its_spec_file() -> None:
    report = cc.summary(str(EXAMPLES / "lecture_cnn.txt"))
    # seed 000's table: 832 / 460,800; 51,264 / 819,200; 51,400 / 51,200; 2,010 / 2,000
    assert [(r.params, r.macs) for r in report.rows if r.params] == [(832, 460_800), (51_264, 819_200),
                                                                    (51_400, 51_200), (2_010, 2_000)]
    assert [r.output_shape for r in report.rows][:2] == [(32, 24, 24), (32, 8, 8)]


def test_seed001_networks_through_spec_files() -> None:
    assert cc.summary(str(EXAMPLES / "lenet_mnist.txt")).totals.params == 536_710  # "Total for 4 layers"
    # blocks: 38,720 + 221,440 + 885,248 + 3,539,968 (the slide's 216 should be 256) + 25,214,986
    vgg = cc.summary(str(EXAMPLES / "vgg_cifar.txt"))
    assert vgg.totals.params == 38_720 + 221_440 + 885_248 + 3_539_968 + 25_214_986
    assert round(vgg.totals.params / 1e6) == 30  # "Total for 10 Layers ⇒ 30 Millions"


def test_vgg16_in_the_papers_notation() -> None:
    report = cc.summary(str(EXAMPLES / "vgg16_paper.txt"))
    assert report.totals.params == 138_357_544  # torchvision's vgg16, which keeps the paper's layers
    assert report.rows[-1].kind == "softmax" and report.output_shape == (1000,)


# --- parsing: only known calls and literals, nothing run ----------------------------------------


@pytest.mark.parametrize("text, layer", [
    ("nn.Conv2d(in_channels=1, out_channels=5, kernel_size=3, stride=1, padding=1)", cc.Conv2d(1, 5, 3, 1, 1)),
    ("nn.MaxPool2d(kernel_size=2, stride=2)", cc.MaxPool2d(2, 2)),
    ("F.max_pool2d(., kernel_size=3)", cc.MaxPool2d(3)),
    ("F.relu(.)", cc.ReLU()),
    ("F.relu(x, inplace=True)", cc.ReLU(inplace=True)),
    ("x.view(-1, 256)", cc.Reshape((256,))),
    ("nn.Linear(256, 200)", cc.Linear(256, 200)),
    ("torch.nn.ConvTranspose2d(16, 8, 3, stride=2)", cc.ConvTranspose2d(16, 8, 3, 2)),
    ("DepthwiseConv2d(32, 3, padding=1)", cc.DepthwiseConv2d(32, 3, padding=1)),
    ("nn.Conv1d(2, 4, 3)", cc.Conv1d(2, 4, 3)),
    ("nn.Conv3d(1, 2, (3, 3, 3))", cc.Conv3d(1, 2, 3)),
    ("F.avg_pool2d(., 2, 2)", cc.AvgPool2d(2, 2)),
    ("F.adaptive_avg_pool2d(., (6, 6))", cc.AdaptiveAvgPool2d(6)),
    ("torch.flatten(x, 1)", cc.Flatten(1)),
])
def test_calls_as_the_lectures_write_them(text: str, layer: cc.Layer) -> None:
    assert cc.parse_layer(text) == layer


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('touch MARKER')", "double underscores"),
    ("nn.Conv2d(3, 8, (lambda: 3)())", "nested inside another call|literals"),
    ("nn.Conv2d(*[3, 8, 3])", "starred"),
    ("nn.Conv2d(3, 8, [i for i in range(3)])", "nested inside another call|literals"),
    ("nn.Conv2d(3, 8, [i for i in (1, 2)])", "literals"),
    ("os.system('touch MARKER')", "not a layer convcalc knows"),
    ("nn.Conv2d(3, 8, 3).__class__", "double underscores"),
    ("nn.Conv2d(3, 8, kernal_size=3)", "did you mean kernel_size"),
    ("nn.Conv2d(3, 8, 3", "unbalanced brackets"),
    ("nn.Conv2D(3, 8, 3)", "did you mean Conv2d"),
    ("import os", "expected a layer call"),
])
def test_spec_text_is_refused_not_run(text: str, message: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(cc.SpecError, match=message):
        cc.parse_layer(text)
    assert not (tmp_path / "MARKER").exists()


def test_whole_number_arithmetic_as_the_tutorials_write_it() -> None:
    # PyTorch's tutorial LeNet: x.view(-1, 16 * 5 * 5) then nn.Linear(16 * 5 * 5, 120)
    assert cc.parse_layer("nn.Linear(16 * 5 * 5, 120)") == cc.Linear(400, 120)
    assert cc.parse_layer("nn.Conv2d(3, 64 // 2, 3 - 1 + 1)") == cc.Conv2d(3, 32, 3)
    for text, message in [("nn.Linear(2 ** 10, 3)", "whole-number arithmetic"), ("nn.Linear(1 // 0, 3)", "divides by zero"),
                          ("nn.Linear(10**9 * 10**9, 3)", "whole-number arithmetic"),
                          ("nn.Linear(99999999999999999 * 99999999999999999, 3)", "too large"),
                          ("nn.Conv2d(3, 8, 'a' * 3)", "whole-number arithmetic"), ("nn.Linear(2.0 * 3, 4)", "arithmetic")]:
        with pytest.raises(cc.SpecError, match=message):
            cc.parse_layer(text)


def test_spec_text_is_never_compiled_to_code(monkeypatch, tmp_path) -> None:
    """Proof that parsing runs nothing: while it parses, eval and exec raise, and compile may only
    build syntax trees (which is what ast.parse asks of it), never code that could run."""
    import ast
    import builtins

    real_compile = builtins.compile

    def trees_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError(f"compiled {source!r} to code")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def forbidden(*args, **kwargs):
        raise AssertionError("evaluated spec text")

    monkeypatch.setattr(builtins, "compile", trees_only)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "net.txt"
    spec.write_text("input 3x32x32\nnn.Conv2d(3, 8, 3, padding=1)\nF.relu(.)\nnn.MaxPool2d(2)\nx.view(-1, 8 * 16 * 16)\n"
                    "nn.Linear(2048, 10)\n")
    assert cc.summary(str(spec)).totals.params == 3 * 8 * 9 + 8 + 2048 * 10 + 10  # by hand: 230 + 20,490
    for text in ["__import__('os').system('touch MARKER')", "open('MARKER', 'w')", "nn.Conv2d(3, 8, (lambda: 3)())"]:
        with pytest.raises(cc.SpecError):
            cc.parse_layer(text)
    assert list(tmp_path.iterdir()) == [spec]


def test_spec_file_errors_name_the_line(tmp_path) -> None:
    bad = tmp_path / "net.txt"
    bad.write_text("input 1x28x28\nnn.Conv2d(1, 8, 3)\nnn.Relu()\n")
    with pytest.raises(cc.SpecError, match=r"net.txt: line 3, column 1: nn.Relu is not a layer convcalc knows; did you mean ReLU\?") as caught:
        cc.summary(str(bad))
    assert caught.value.line == 3
    for content, message in [(b"", "holds no layers"), (b"\x00\x01", "binary"), (b"# nothing\n", "holds no layers")]:
        bad.write_bytes(content)
        with pytest.raises(cc.SpecError, match=message):
            cc.summary(str(bad))


def test_hwc_inputs_are_read_when_unambiguous() -> None:
    report = cc.summary(cc.Conv2d(3, 10, 5, padding=2), "32x32x3")
    assert report.input_shape == (3, 32, 32)
    assert report.notes and "H×W×C" in report.notes[0]
    assert cc.summary(cc.Conv2d(3, 10, 5, padding=2), "3x32x32").notes == ()
    with pytest.raises(cc.ShapeError):  # 3 channels expected; 32x32x4 is neither order
        cc.summary(cc.Conv2d(3, 10, 5, padding=2), "32x32x4")


# --- explain ---------------------------------------------------------------------------------------


def test_explain_writes_the_working() -> None:
    text = cc.explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))
    # the issue's own examples, worked by hand: (32 + 4 − 5)/1 + 1 = 32; 5·5·3·10 + 10 = 760; 2·10·32·32·3·5·5
    assert "O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32" in text
    assert "params = kh·kw·Cin·Cout + Cout = 5·5·3·10 + 10 = 760" in text
    assert "FLOPs = 2·Cout·Oh·Ow·Cin·kh·kw = 2·10·32·32·3·5·5 = 1,536,000" in text
    assert "convention:" in text


def test_layer_command(capsys) -> None:
    code, out, _ = run(capsys, "layer", "nn.Conv2d(3, 10, kernel_size=5, padding=2)", "--input", "32x32x3")
    # read channels last, shown channels last: (32 + 2·2 − 5)/1 + 1 = 32, so 32×32×10
    assert code == 0 and "32×32×10" in out and "760 (750 weights + 10 biases)" in out and "H×W×C" in out
    code, out, _ = run(capsys, "layer", "nn.Linear(256, 200)", "--input", "256", "--explain")
    assert code == 0 and "params = in·out + out = 256·200 + 200 = 51,400" in out
    code, out, _ = run(capsys, "layer", "F.max_pool2d(., kernel_size=3)", "--input", "32x24x24", "--layout", "chw",
                       "--format", "json")
    assert code == 0 and json.loads(out)["rows"][0]["output_shape"] == [32, 8, 8]
    code, _, err = run(capsys, "layer", "__import__('os')", "--input", "3x3x3")
    assert code == 2 and err.startswith("error: line") is False and "double underscores" in err


# --- check -----------------------------------------------------------------------------------------


def test_check_flags_the_slides_slips(capsys) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLES / "homework.toml"))
    assert code == 1
    wrong = [line for line in out.splitlines() if line.startswith("✗")]
    # seed 001: 3·3·3·64 + 64 + 3·3·64·64 + 64 = 38,720, which is 39K; and block 4's 256 channels, not 216
    assert wrong == ["✗ seed001-vgg-block1 params: 38K, true 38,720 (39K)",
                     "✗ seed001-vgg-block4 params: 3.3M, true 3,539,968 (3.5M)"]
    assert "params = (3·3·256·512 + 512) + (3·3·512·512 + 512) = 3,539,968" in out
    assert "✓ seed004-vgg16 params: 138M" in out


@pytest.mark.parametrize("given, truth, ok", [
    ("138M", 138_357_544, True), ("3.3M", 3_539_968, False), ("3.5M", 3_539_968, True), ("38K", 38_720, False),
    ("39K", 38_720, True), ("1.5G", 1_498_376_192, True), ("1,536,000", 1_536_000, True), (760, 760, True),
    (761, 760, False), ("0.54 million", 536_710, True), ("93MB", 93_000_000, True),
])
def test_amounts_are_judged_at_their_stated_precision(given, truth: int, ok: bool) -> None:
    from convcalc.answers import parse_amount

    assert parse_amount(given, "q").matches(truth) is ok


def test_check_all_right_and_bad_files(capsys, tmp_path) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text('[[question]]\nspec = "nn.Conv2d(3, 10, 5, padding=2)"\ninput = "3x32x32"\nparams = 760\n')
    code, out, _ = run(capsys, "check", str(answers))
    assert code == 0 and "1 of 1 right" in out
    for content, message in [  # the file itself cannot be read: exit 2, nothing marked
        ("[[question]\n", "not valid TOML"),
        ("title = 'x'\n", "unknown table or key 'title'"),
        ("", "no [[question]] tables"),
    ]:
        answers.write_text(content)
        code, out, err = run(capsys, "check", str(answers))
        assert code == 2 and message in err, err
    for content, message in [  # one question cannot be read: reported as such, exit 1
        ("[[question]]\nspec = 'nn.Linear(2, 3)'\ninput = '2'\nparms = 9\n", "unknown key 'parms'; did you mean params?"),
        ("[[question]]\nspec = 'nn.Linear(2, 3)'\ninput = '2'\nparams = [9]\n", "give a whole number"),
        ("[[question]]\nmodel = 'alexnet'\nspec = 'nn.ReLU()'\nparams = 1\n", "one of them"),
        ("[[question]]\nmodel = 'alexnet'\nlayer = 99\nparams = 1\n", "layer 99 does not exist"),
    ]:
        answers.write_text(content)
        code, out, err = run(capsys, "check", str(answers))
        line = next(x for x in out.splitlines() if x.startswith("? unreadable:"))
        assert code == 1 and err == "" and message in line and str(answers) in line, out
    code, _, err = run(capsys, "check", str(tmp_path / "missing.toml"))
    assert code == 2


# --- solve -----------------------------------------------------------------------------------------


def test_solve_explains_what_does_not_fit(capsys) -> None:
    fits = cc.solve(7, 3, stride=3)
    # (7 − 3)/3 + 1 = 2.33 (doesn't fit); with padding 1, (7 + 2 − 3)/3 + 1 = 3 exactly
    assert [(f.padding, f.output, f.fits) for f in fits] == [(0, 2, False), (1, 3, True), (2, 3, True)]
    assert fits[0].working == "(7 + 2·0 − 3)/3 + 1 = 2.33: doesn't fit; torch floors to 2 and never reads the last 1 column"
    assert cc.solve(32, 5, same=True)[0].padding == 2  # (F − 1)/2, CS231n's rule
    assert cc.solve(224, 4, same=True)[0].padding == (1, 2)  # torch pads the odd one on the right
    code, out, _ = run(capsys, "solve", "--input", "7", "--kernel", "3", "--output", "3")
    assert code == 0 and "(7 + 2·0 − 3)/2 + 1 = 3" in out
    code, out, _ = run(capsys, "solve", "--input", "7", "--kernel", "3", "--stride", "2", "--same")
    assert code == 0 and "⌈7/2⌉ = 4" in out  # TensorFlow's 'same' at a stride (tests/test_same.py)
