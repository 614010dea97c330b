"""Layouts: an input written channels last (H×W×C, as Keras and the quizzes write it) is read so only
when said (``--layout hwc``, ``layout="hwc"``, ``input … hwc``) or when it is the only reading the
network fits; an input both readings fit with different answers is refused, naming both. Read
channels last, every shape shown is channels last; JSON keeps channels-first fields and adds the layout.

Every shape asserted here comes from torch: the module run on the channels-first tensor, its output
permuted to channels last where the user wrote channels last (``hwc`` below).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import convcalc as cc
from convcalc import cli

Shape = tuple[int, ...]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def torch_out(module: nn.Module, chw: Shape) -> Shape:
    """The per-sample output shape torch gives for a channels-first input."""
    with torch.no_grad():
        return tuple(module.eval()(torch.zeros(1, *chw)).shape[1:])


def hwc(shape: Shape) -> Shape:
    """A channels-first shape written channels last."""
    return (*shape[1:], shape[0])


def x(shape: Shape) -> str:
    return "×".join(map(str, shape))


POOL = "nn.MaxPool2d(4, stride=4)"


# --- the example: a pool on 128x128x12 ------------------------------------------------------


def test_pool_on_a_channels_last_quiz_input_is_refused_naming_both_readings(capsys) -> None:
    as_chw = torch_out(nn.MaxPool2d(4, stride=4), (128, 128, 12))  # C=128, H=128, W=12
    as_hwc = hwc(torch_out(nn.MaxPool2d(4, stride=4), (12, 128, 128)))  # H=128, W=128, C=12
    assert (as_chw, as_hwc) == ((128, 32, 3), (32, 32, 12))  # the two answers
    code, out, err = run(capsys, "layer", POOL, "--input", "128x128x12")
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert f"C×H×W (128 channels) it gives {x(as_chw)}" in err and f"H×W×C (12 channels) it gives {x(as_hwc)}" in err
    assert "--layout hwc" in err and 'layout="hwc"' in err
    with pytest.raises(cc.ShapeError, match="two ways"):
        cc.summary(cc.MaxPool2d(4, stride=4), "128x128x12")


def test_layout_hwc_answers_the_quiz(capsys) -> None:
    expected = hwc(torch_out(nn.MaxPool2d(4, stride=4), (12, 128, 128)))
    code, out, err = run(capsys, "layer", POOL, "--input", "128x128x12", "--layout", "hwc")
    assert (code, err) == (0, "")
    assert "on input 128×128×12 (H×W×C)" in out and f"output shape      {x(expected)}" in out and x(expected) == "32×32×12"
    report = cc.summary(cc.MaxPool2d(4, stride=4), "128x128x12", layout="hwc")
    assert report.layout == "hwc" and report.input_shape == (12, 128, 128)  # fields stay channels first
    assert report.output_shape == torch_out(nn.MaxPool2d(4, stride=4), (12, 128, 128))
    # channels first said outright: the other reading, no question asked
    code, out, _ = run(capsys, "layer", POOL, "--input", "128x128x12", "--layout", "chw")
    assert code == 0 and f"output shape      {x(torch_out(nn.MaxPool2d(4, stride=4), (128, 128, 12)))}" in out


def test_pool_then_conv_is_read_channels_last_because_the_conv_decides(tmp_path: Path) -> None:
    spec = tmp_path / "pool_conv.txt"
    spec.write_text("nn.MaxPool2d(4, stride=4)\nnn.Conv2d(12, 24, 3, padding=1)\n", encoding="utf-8")
    module = nn.Sequential(nn.MaxPool2d(4, stride=4), nn.Conv2d(12, 24, 3, padding=1))
    report = cc.summary(str(spec), "128x128x12")
    assert report.layout == "hwc" and report.input_shape == (12, 128, 128)
    assert report.output_shape == torch_out(module, (12, 128, 128))
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert len(report.notes) == 1 and "H×W×C" in report.notes[0] and "only reading" in report.notes[0]
    assert "layer 2 (1) Conv2d" in report.notes[0]  # where channels first fails
    table = str(report)
    assert x(hwc(report.output_shape)) in table and "input 128×128×12 (H×W×C)" in table
    assert "use in_channels" not in table  # no hint pointing the wrong way


def test_conv_first_reads_channels_last_when_its_channels_say_so(capsys) -> None:
    conv = nn.Conv2d(3, 10, 5, padding=2)
    out_chw = torch_out(conv, (3, 32, 32))
    report = cc.summary(cc.Conv2d(3, 10, 5, padding=2), "32x32x3")
    assert report.layout == "hwc" and report.input_shape == (3, 32, 32) and report.output_shape == out_chw
    assert report.notes and "H×W×C" in report.notes[0] and "takes 3 channels" in report.notes[0]
    code, out, _ = run(capsys, "layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "32x32x3")
    assert code == 0 and f"output shape      {x(hwc(out_chw))}" in out and "note: read 32x32x3 as H×W×C" in out
    # channels first as written: no note, shown channels first
    report = cc.summary(cc.Conv2d(3, 10, 5, padding=2), "3x32x32")
    assert (report.layout, report.notes) == ("chw", ()) and f"  {x(out_chw)}" in str(report)
    # neither order has 3 channels: the channels-first reading's error, as before
    with pytest.raises(cc.ShapeError, match="in_channels=3"):
        cc.summary(cc.Conv2d(3, 10, 5, padding=2), "32x32x4")
    # channels first said, on an input that only fits channels last: refused, not flipped
    with pytest.raises(cc.ShapeError, match="in_channels=3"):
        cc.summary(cc.Conv2d(3, 10, 5, padding=2), "32x32x3", layout="chw")


def test_inputs_with_one_reading_or_readings_that_agree_are_not_questioned() -> None:
    # all sizes equal: one reading
    report = cc.summary(cc.MaxPool2d(2), "16x16x16")
    assert (report.layout, report.notes, report.output_shape) == ("chw", (), torch_out(nn.MaxPool2d(2), (16, 16, 16)))
    # an elementwise layer gives the same answers either way: read channels first, no error
    report = cc.summary(cc.ReLU(), "32x32x3")
    assert (report.layout, report.notes, report.output_shape) == ("chw", (), torch_out(nn.ReLU(), (32, 32, 3)))
    # one dim: no channels to move
    assert cc.summary(cc.Linear(256, 10), "256").output_shape == torch_out(nn.Linear(256, 10), (256,))
    # a first layer that takes any channels, where only one reading fits: that one, said when channels last
    report = cc.summary(cc.MaxPool2d(5), "4x40x40")  # as H×W×C the 4-high image cannot hold a 5×5 window
    assert (report.layout, report.output_shape) == ("chw", torch_out(nn.MaxPool2d(5), (4, 40, 40)))
    report = cc.summary(cc.MaxPool2d(5), "40x40x4")  # as C×H×W the 4-wide image cannot
    assert report.layout == "hwc" and report.output_shape == torch_out(nn.MaxPool2d(5), (4, 40, 40))
    assert "only reading" in report.notes[0]


def test_a_pool_on_a_channels_first_input_that_also_reads_channels_last_is_refused() -> None:
    # 3x32x32 read H×W×C is a 3-high, 32-wide, 32-channel image, which a 2×2 pool also takes
    as_hwc = hwc(torch_out(nn.MaxPool2d(2), (32, 3, 32)))
    with pytest.raises(cc.ShapeError, match=f"gives {x(as_hwc)}"):
        cc.summary(cc.MaxPool2d(2), "3x32x32")
    assert cc.summary(cc.MaxPool2d(2), "3x32x32", layout="chw").output_shape == torch_out(nn.MaxPool2d(2), (3, 32, 32))


def test_tuples_follow_the_rules_of_text() -> None:
    net = cc.Conv2d(3, 10, 5, padding=2)
    text, sizes = cc.summary(net, "32x32x3"), cc.summary(net, (32, 32, 3))
    assert (sizes.layout, sizes.input_shape, sizes.output_shape) == (text.layout, text.input_shape, text.output_shape)
    assert sizes.layout == "hwc" and sizes.notes and "32x32x3" in sizes.notes[0]
    with pytest.raises(cc.ShapeError, match="two ways"):
        cc.summary(cc.MaxPool2d(4, stride=4), (128, 128, 12))
    report = cc.summary(cc.MaxPool2d(4, stride=4), (128, 128, 12), layout="hwc")
    assert report.output_shape == torch_out(nn.MaxPool2d(4, stride=4), (12, 128, 128))
    with pytest.raises(cc.ShapeError, match="layout must be chw"):
        cc.summary(net, (32, 32, 3), layout="nhwc")


def test_zoo_defaults_are_channels_first_and_a_layout_only_changes_how_they_are_shown() -> None:
    report = cc.summary("alexnet")
    assert (report.layout, report.notes, report.input_shape) == ("chw", (), (3, 227, 227))
    shown = cc.summary("alexnet", layout="hwc")
    assert shown.input_shape == (3, 227, 227) and shown.totals == report.totals  # 62,378,344 params either way
    assert "input 227×227×3 (H×W×C)" in str(shown) and x(hwc(shown.rows[0].output_shape)) in str(shown)


# --- spec files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("line, layout", [("input 32x32x3 hwc", "hwc"), ("input: 32x32x3 HWC", "hwc"),
                                          ("input 3x32x32 chw", "chw"), ("input 3x32x32", None)])
def test_the_input_line_may_say_the_layout(line: str, layout: str | None) -> None:
    spec = cc.parse_spec(f"{line}\nnn.Conv2d(3, 8, 3)\nnn.ReLU()\n")
    assert spec.layout == layout and spec.input_text == line.split()[1]
    report = cc.summary(spec)
    assert report.input_shape == (3, 32, 32) and report.layout == (layout or "chw")
    assert report.output_shape == torch_out(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), (3, 32, 32))
    assert report.notes == ()  # the text said it: nothing was inferred


def test_the_input_lines_word_holds_for_another_input_unless_a_layout_is_given() -> None:
    spec = cc.parse_spec("input 32x32x3 hwc\nnn.Conv2d(3, 8, 3)\n")
    report = cc.summary(spec, "16x20x3")
    assert report.layout == "hwc" and report.output_shape == torch_out(nn.Conv2d(3, 8, 3), (3, 16, 20))
    assert cc.summary(spec, "3x16x20", layout="chw").output_shape == torch_out(nn.Conv2d(3, 8, 3), (3, 16, 20))


def test_a_spec_file_with_an_hwc_input_line_shows_every_format_channels_last(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "net.txt"
    spec.write_text("input 32x32x3 hwc\nnn.Conv2d(3, 8, 3)\nnn.MaxPool2d(2)\nnn.Flatten()\nnn.Linear(1800, 10)\n",
                    encoding="utf-8")
    module = nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1800, 10))
    conv, pool = torch_out(module[:1], (3, 32, 32)), torch_out(module[:2], (3, 32, 32))
    assert torch_out(module, (3, 32, 32)) == (10,)
    code, out, _ = run(capsys, "summary", str(spec))
    assert code == 0 and "input 32×32×3 (H×W×C)" in out and f"  {x(hwc(conv))}  " in out and f"  {x(hwc(pool))}  " in out
    code, out, _ = run(capsys, "summary", str(spec), "--format", "markdown")
    assert code == 0 and f"| {x(hwc(conv))}" in out and "32×32×3 (H×W×C)" in out
    code, out, _ = run(capsys, "summary", str(spec), "--format", "latex")
    assert code == 0 and "x".join(map(str, hwc(pool))) in out
    code, out, _ = run(capsys, "summary", str(spec), "--format", "html")
    assert code == 0 and x(hwc(pool)) in out
    code, out, _ = run(capsys, "summary", str(spec), "--format", "csv")
    first = out.splitlines()[1].split(",")
    assert code == 0 and "32x32x3" in first and "x".join(map(str, hwc(conv))) in first
    code, out, _ = run(capsys, "summary", str(spec), "--format", "json")
    data = json.loads(out)
    assert data["layout"] == "hwc" and data["input_shape"] == [3, 32, 32]  # the documented fields stay channels first
    assert [r["output_shape"] for r in data["rows"][:2]] == [list(conv), list(pool)]
    code, out, _ = run(capsys, "summary", str(spec), "--breakdown")
    assert code == 0 and "input 32×32×3 (H×W×C)" in out


def test_json_always_says_the_layout(capsys) -> None:
    code, out, _ = run(capsys, "summary", "lenet5", "--format", "json")
    assert code == 0 and json.loads(out)["layout"] == "chw"
    code, out, _ = run(capsys, "layer", "nn.Conv2d(1, 6, 5)", "--input", "32x32x1", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["layout"] == "hwc" and data["rows"][0]["output_shape"] == list(torch_out(nn.Conv2d(1, 6, 5), (1, 32, 32)))


# --- explain -------------------------------------------------------------------------------------


def test_explain_writes_its_shapes_channels_last(capsys) -> None:
    out_chw = torch_out(nn.Conv2d(3, 10, 5, padding=2), (3, 32, 32))
    code, out, _ = run(capsys, "layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "32x32x3", "--layout", "hwc",
                       "--explain")
    assert code == 0 and "on input 32×32×3 (H×W×C)" in out
    assert f"output {x(hwc(out_chw))}" in out and "·".join(map(str, hwc(out_chw))) + " elements" in out
    assert x(out_chw) not in out  # no shape left channels first
    assert "5·5·3·10 + 10 = 760" in out  # the formulas keep their symbols' order: 5·5·3·10 + 10 by hand
    text = cc.explain(cc.MaxPool2d(4, stride=4), "128x128x12", layout="hwc")
    assert f"output {x(hwc(torch_out(nn.MaxPool2d(4, stride=4), (12, 128, 128))))}" in text
    with pytest.raises(cc.ShapeError, match="two ways"):
        cc.explain(cc.MaxPool2d(4, stride=4), "128x128x12")
    data = json.loads(cc.explain(cc.Conv2d(3, 10, 5, padding=2), "32x32x3", fmt="json"))
    assert data["report"]["layout"] == "hwc"


def test_a_channels_last_framework_layer_reads_its_input_channels_last(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Keras layer class declares channels_last; the Conv2d class stands in for one here
    monkeypatch.setattr(cc.Conv2d, "channels_last", True)
    report = cc.summary(cc.Sequential(cc.Conv2d(None, 8, 3)), "32x32x16")
    assert report.layout == "hwc" and report.input_shape == (16, 32, 32)
    assert report.output_shape == torch_out(nn.Conv2d(16, 8, 3), (16, 32, 32))
    assert report.notes and "Keras" in report.notes[0]
    assert cc.summary(cc.Sequential(cc.Conv2d(None, 8, 3)), "16x32x32", layout="chw").layout == "chw"  # said wins


# --- the torch bridge ----------------------------------------------------------------------------


def test_verify_with_a_layout(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "pool_conv.txt"
    spec.write_text("nn.MaxPool2d(4, stride=4)\nnn.Conv2d(12, 24, 3, padding=1)\n", encoding="utf-8")
    out_chw = torch_out(nn.Sequential(nn.MaxPool2d(4, stride=4), nn.Conv2d(12, 24, 3, padding=1)), (12, 128, 128))
    code, out, _ = run(capsys, "verify", str(spec), "--input", "128x128x12", "--layout", "hwc")
    assert code == 0 and "all rows agree with torch" in out and f"{x(hwc(out_chw))} ✓" in out
    assert "input 128×128×12 (H×W×C)" in out
    code, out, err = run(capsys, "verify", str(spec), "--input", "128x128x12", "--layout", "chw")
    assert code == 2 and "in_channels=12" in err
    verified = cc.verify(cc.MaxPool2d(4, stride=4), "128x128x12", layout="hwc")
    assert verified.ok and verified.to_dict()["layout"] == "hwc"
    code, out, _ = run(capsys, "summary", str(spec), "--input", "128x128x12", "--layout", "hwc", "--verify")
    assert code == 0 and out.count(f"{x(hwc(out_chw))}") >= 2


def test_to_torch_with_a_layout() -> None:
    module = cc.to_torch(cc.Sequential(cc.Conv2d(None, 8, 3)), "32x32x5", layout="hwc")
    assert module[0].in_channels == 5
    assert cc.to_torch(cc.Sequential(cc.Conv2d(None, 8, 3)), "32x32x5", layout="chw")[0].in_channels == 32


def test_from_torch_with_and_without_a_layout() -> None:
    pool_conv = nn.Sequential(nn.MaxPool2d(4, stride=4), nn.Conv2d(12, 24, 3, padding=1))
    said = cc.from_torch(pool_conv, "128x128x12", layout="hwc")
    assert said.layout == "hwc" and said.notes == () and said.output_shape == torch_out(pool_conv, (12, 128, 128))
    # channels first fails (the conv wants 12 channels), channels last runs: read so, with a note
    found = cc.from_torch(pool_conv, "128x128x12")
    assert found.layout == "hwc" and found.output_shape == said.output_shape and "H×W×C" in found.notes[0]
    # a pool first: both readings run with different answers, refused
    with pytest.raises(cc.ShapeError, match="two ways"):
        cc.from_torch(nn.MaxPool2d(4, stride=4), (128, 128, 12))
    # a conv first: torch's own reading, channels first, is never questioned when it runs
    conv = nn.Conv2d(3, 8, 3)
    report = cc.from_torch(conv, (3, 32, 32))
    assert (report.layout, report.notes, report.output_shape) == ("chw", (), torch_out(conv, (3, 32, 32)))
    report = cc.from_torch(conv, (32, 32, 3))
    assert report.layout == "hwc" and report.output_shape == torch_out(conv, (3, 32, 32))
    # an elementwise first layer gives the same answers either way: channels first, no error
    assert cc.from_torch(nn.ReLU(), "32x32x3").layout == "chw"
    # through cc.summary, as a torch module
    assert cc.summary(nn.MaxPool2d(4, stride=4), "128x128x12", layout="hwc").output_shape == said.rows[0].output_shape


def test_bad_layouts_are_one_line_errors(capsys) -> None:
    code, out, err = run(capsys, "layer", POOL, "--input", "128x128x12", "--layout", "nhwc")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    with pytest.raises(cc.ShapeError, match="layout must be"):
        cc.from_torch(nn.ReLU(), "3x4x4", layout="whc")
