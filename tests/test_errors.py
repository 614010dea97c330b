"""Every input path answers a mistake with one clear error: the place, the values, what would fit.

The command line is run as the console script runs it (``convcalc.cli.main``): each
mistake must give exit status 2 and exactly one line ``error: …`` on stderr, nothing on
stdout and no traceback. The library raises the matching ConvCalcError subclass.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import convcalc as cc
from convcalc import cli

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    assert out == "" and err.endswith("\n") and err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "binary.txt",
        "huge": tmp_path / "huge.txt",
        "latin1": tmp_path / "latin1.txt",
        "unbalanced": tmp_path / "unbalanced.txt",
        "unknown": tmp_path / "unknown.txt",
        "directory": tmp_path / "adir",
    }
    made["empty"].write_text("")
    made["binary"].write_bytes(b"\x7fELF\x02\x01\x00\x00binary")
    made["huge"].write_text("nn.ReLU()\n" * 120_000)  # 1.2 MB, over the 1 MB limit
    made["latin1"].write_bytes("nn.ReLU()  # caf\xe9\n".encode("latin-1"))
    made["unbalanced"].write_text("nn.Conv2d(1, 6, 5)\nnn.MaxPool2d(2, 2\n")
    made["unknown"].write_text("nn.Conv2d(1, 6, 5)\nnn.Conv2D(6, 16, 5)\n")
    made["directory"].mkdir()
    return made


# --- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "fragments"), [
    (["--input", "3x"], ["'3x'", "3x224x224"]),
    (["--input", "3xaxb"], ["'3xaxb'"]),
    (["--input", "0x227x227"], ["zero", "at least 1"]),
    (["--input", "3x-227x227"], ["3x-227x227"]),
    (["--input", "227x227"], ["layer 1 (features.0) Conv2d", "3-d input", "227x227 (2-d)"]),
    (["--input", "1x3x227x227"], ["layer 1 (features.0) Conv2d", "1x3x227x227 (4-d)"]),
    (["--input", "3x10x10"], ["layer 1 (features.0) Conv2d", "kernel 11", "10x10"]),
    (["--batch", "0"], ["batch", "positive", "got 0"]),
    (["--batch", "-2"], ["batch", "-2"]),
    (["--batch", "two"], ["'two'"]),
    (["--depth", "x"], ["'x'"]),
    (["--dtype", "float33"], ["'float33'", "float32"]),
    (["--format", "yaml"], ["'yaml'", "markdown"]),
])
def test_bad_options(args: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(["summary", "alexnet", *args], capsys, *fragments)


def test_unknown_models_get_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(["summary", "resnet05"], capsys, "'resnet05'", "did you mean", "resnet50")
    with pytest.raises(cc.UnknownModelError) as caught:
        cc.summary("vgg61")
    assert isinstance(caught.value, KeyError) and "vgg16" in caught.value.suggestions


@pytest.mark.parametrize(("key", "fragments"), [
    ("empty", ["holds no layers"]),
    ("binary", ["binary file, not a spec file"]),
    ("huge", ["larger than 1,000,000 bytes"]),
    ("latin1", ["not UTF-8", "0xe9"]),
    ("unbalanced", ["line 2", "unbalanced brackets", "MaxPool2d(2, 2"]),
    ("unknown", ["line 2", "nn.Conv2D", "did you mean Conv2d"]),
    ("directory", ["is a directory, not a spec file"]),
])
def test_bad_spec_files(key: str, fragments: list[str], files: dict[str, Path],
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(["summary", str(files[key])], capsys, str(files[key]), *fragments)


def test_missing_and_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert_one_line_error(["summary", str(tmp_path / "nope.txt")], capsys, "no such file", "nope.txt")
    assert_one_line_error(["check", str(tmp_path / "nope.toml")], capsys, "nope.toml")
    locked = tmp_path / "locked.txt"
    locked.write_text("nn.ReLU()\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)  # root reads any file, so the refusal is simulated
    assert_one_line_error(["summary", str(locked)], capsys, "cannot read", "Permission denied")


@pytest.mark.parametrize(("text", "fragments"), [
    ('[[question]\nspec = "x"', ["not valid TOML", "line 1"]),
    ('title = "hw"\n', ["unknown table or key 'title'"]),
    ('', ["no [[question]] tables"]),
])
def test_bad_answers_files(text: str, fragments: list[str], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.toml"
    answers.write_text(text)
    assert_one_line_error(["check", str(answers)], capsys, "answers.toml", *fragments)
    with pytest.raises(cc.AnswersError):
        from convcalc.answers import check_file

        check_file(answers)


@pytest.mark.parametrize(("text", "fragments"), [
    ('[[question]]\nmodel = "lenet5"\nparms = 5\n', ["question 1", "'parms'", "did you mean params"]),
    ('[[question]]\nmodel = "lenet5"\nlayer = 1\nparams = [1, 2]\n', ["question 1", "params", "[1, 2]"]),
    ('[[question]]\nmodel = "lenet5"\nlayer = 99\nparams = 1\n', ["question 1", "layer 99", "rows 1 to"]),
    ('[[question]]\nmodel = "lenet5"\nlayer = "c9"\nparams = 1\n', ["question 1", "'c9'"]),
])
def test_unreadable_questions_are_reported_in_one_line(text: str, fragments: list[str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A question that cannot be read is one line naming the file and the question; the file is still
    marked (exit 1: something is not right), with nothing on stderr and no traceback."""
    answers = tmp_path / "answers.toml"
    answers.write_text(text)
    assert cli.main(["check", str(answers)]) == 1
    out, err = capsys.readouterr()
    unreadable = [line for line in out.splitlines() if line.startswith("? unreadable: ")]
    assert err == "" and len(unreadable) == 1 and "Traceback" not in out
    for fragment in ("answers.toml", *fragments):
        assert fragment in unreadable[0], unreadable[0]


@pytest.mark.parametrize(("call", "fragments"), [
    ("nn.Conv2d(3, 8, 0)", ["Conv2d", "kernel_size", "positive", "got 0"]),
    ("nn.Conv2d(3, 8, 3, stride=-1)", ["stride", "positive", "-1"]),
    ("nn.Conv2d(3, 8, 3, dilation=0)", ["dilation", "positive"]),
    ("nn.Conv2d(3, 8, 3, padding=-1)", ["padding", "non-negative", "-1"]),
    ("nn.Conv2d(3, 8, 2.5)", ["kernel_size", "ints", "2.5"]),
    ("nn.Conv2d(3, 8, 3, bias=1)", ["bias", "True or False"]),
    ("nn.Conv2d(True, 8, 3)", ["in_channels", "positive int", "True"]),
    ("nn.Conv2d(3, 8, (3, 3, 3))", ["kernel_size", "2 values", "(3, 3, 3)"]),
    ("nn.MaxPool2d(2, stride=(1, 1, 1))", ["stride", "1 or 2 values"]),
    ("nn.Conv2d(3, 8, 3, kernal=3)", ["no argument 'kernal'", "kernel_size"]),
    ("nn.Conv2d(3, 8)", ["kernel_size"]),
    ("nn.Conv2d(3, 8, 3", ["unbalanced brackets"]),
    ("nn.Conv9d(3, 8, 3)", ["nn.Conv9d", "not a layer"]),
    ("nn.Conv2d(3, 8, 3, groups=2)", ["groups=2", "in_channels=3"]),
    ("nn.Conv2d(4, 8, 3)", ["layer 1 Conv2d", "in_channels=4", "3 channels", "use in_channels=3"]),
    ("nn.Conv2d(3, 8, 9)", ["layer 1 Conv2d", "kernel 9", "8x8", "padding ≥ 1"]),
    ("nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=2)", ["output_padding=2", "stride 2", "at most 1"]),
    ("nn.MaxPool2d(2, padding=2)", ["padding=2", "kernel_size=2", "at most", "1"]),
    ("nn.Linear(10, 4)", ["layer 1 Linear", "in_features=10", "8", "use in_features=8"]),
    ("nn.BatchNorm2d(4)", ["num_features=4", "3 channels"]),
])
def test_bad_layer_calls(call: str, fragments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(["layer", call, "--input", "3x8x8"], capsys, *fragments)


@pytest.mark.parametrize("call", [
    "__import__('os').system('touch {marker}')",
    "nn.Conv2d(3, 8, __import__('os').system('touch {marker}'))",
    "nn.Conv2d(3, 8, (lambda: open('{marker}', 'w'))())",
    "nn.Conv2d(3, 8, [open('{marker}', 'w') for _ in 'x'])",
    "nn.Conv2d(*open('{marker}', 'w'))",
    "nn.Conv2d(**{{'x': open('{marker}', 'w')}})",
    "nn.Conv2d(3, 8, 3).__class__.__init__(open('{marker}', 'w'))",
    "exec(\"open('{marker}', 'w')\")",
    "eval(\"open('{marker}', 'w')\")",
    "open('{marker}', 'w')",
    "nn.Conv2d(3, 8, f\"{{open('{marker}', 'w')}}\")",
])
def test_spec_text_is_never_executed(call: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    text = call.format(marker=marker)
    assert_one_line_error(["layer", text, "--input", "3x8x8"], capsys)
    with pytest.raises(cc.SpecError):
        cc.parse_spec(f"nn.ReLU()\n{text}\n")
    assert not marker.exists()


# --- the library ----------------------------------------------------------------------------


def test_the_hierarchy_is_exported_and_fits_the_builtins() -> None:
    assert issubclass(cc.ShapeError, cc.ConvCalcError) and issubclass(cc.ShapeError, ValueError)
    assert issubclass(cc.SpecError, cc.ConvCalcError) and issubclass(cc.SpecError, ValueError)
    assert issubclass(cc.AnswersError, cc.ConvCalcError) and issubclass(cc.AnswersError, ValueError)
    assert issubclass(cc.UnknownModelError, cc.ConvCalcError) and issubclass(cc.UnknownModelError, KeyError)
    with pytest.raises(cc.SpecError) as caught:
        cc.parse_spec("nn.ReLU()\n\nnn.Conv2d(3, 8, stride=1)\n")
    assert (caught.value.line, caught.value.column) == (3, 1)


def test_analysis_errors_name_the_place_and_both_shapes() -> None:
    with pytest.raises(cc.ShapeError, match=r"layer 3 \(1\.add\) Residual: body gives 8x4x4 but identity gives 8x8x8"):
        cc.summary(cc.Sequential(cc.Conv2d(3, 8, 3, padding=1),
                                 cc.Residual(cc.Conv2d(8, 8, 3, stride=2, padding=1))), (3, 8, 8))
    with pytest.raises(cc.ShapeError, match=r"branch 0 gives 8x6x6 but branch 1 gives 8x8x8"):
        cc.summary(cc.Concat(cc.Conv2d(3, 8, 3), cc.Conv2d(3, 8, 1)), (3, 8, 8))


def test_huge_inputs_give_exact_integers() -> None:
    side = 10**8
    conv = cc.summary(cc.Conv2d(3, 8, 3, stride=2), (3, side, side)).rows[0]
    # out = (10^8 − 3) // 2 + 1 = 49,999,999 a side; MACs = 8 · 49,999,999² · (3·3·3)
    assert conv.output_shape == (8, 49_999_999, 49_999_999)
    assert conv.macs == 8 * 49_999_999**2 * 27 == 539_999_978_400_000_216
    vgg = cc.summary("vgg16", (3, side, side))
    # the first conv keeps the size (3×3, padding 1): 64 · (10^8)² outputs, each 27 MACs
    assert vgg.rows[0].macs == 64 * side**2 * 27
    assert isinstance(vgg.totals.flops, int) and vgg.totals.flops > 10**21


def test_an_internal_error_is_reported_as_a_bug(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from convcalc import walk

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(walk._Walk, "leaf", broken)
    code, out, err = run(["summary", "lenet5"], capsys)
    assert code == 3 and out == "" and err.count("\n") == 1
    assert "internal error (ZeroDivisionError: planted)" in err and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "summary", "lenet5"])


def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    """The installed entry point, in a fresh interpreter: a bad input is one line and exit 2."""
    script = "import sys; from convcalc.cli import main; sys.exit(main(sys.argv[1:]))"
    for argv in (["summary", "alexnet", "--input", "3x1x1"], ["layer", "nn.Conv2d(3, 8, 0)", "--input", "3x8x8"],
                 ["layer", "nn.Conv2d(3, 8, 3)if 1else 2", "--input", "3x8x8"]):  # Python's own SyntaxWarning stays quiet
        done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, cwd=ROOT,
                              check=False)
        assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
