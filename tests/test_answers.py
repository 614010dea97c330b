"""Answers files that never give up: each question judged on its own, values with units, sums over
rows, a multiply-add counted as one FLOP, Keras' parameter view, padding and stride, and the slip a
wrong answer probably is. Every truth below is derived by hand beside it, or comes from a source named there."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from convcalc import cli
from convcalc.answers import check_file, parse_amount

ROOT = Path(__file__).resolve().parents[1]


def check(capsys, tmp_path: Path, text: str, name: str = "a.toml"):  # type: ignore[no-untyped-def]
    answers = tmp_path / name
    answers.write_text(text)
    code = cli.main(["check", str(answers)])
    out, err = capsys.readouterr()
    return code, out, err


def marks(tmp_path: Path, text: str) -> dict[tuple[str, str], object]:
    answers = tmp_path / "q.toml"
    answers.write_text(text)
    return {(m.question, m.quantity): m for m in check_file(answers)}


# CS231n's conv: 5×5, 10 filters, pad 2 on 32×32×3. By hand: (32 + 2·2 − 5)/1 + 1 = 32; params 5·5·3·10 + 10 = 760;
# MACs 10·32·32·3·5·5 = 768,000; FLOPs 1,536,000; 10·32·32 = 10,240 outputs, each one bias addition.
CONV = 'spec = "nn.Conv2d(3, 10, 5, padding=2)"\ninput = "3x32x32"\n'


def test_one_unreadable_one_right_one_wrong_marks_two_reports_the_third_and_exits_1(capsys, tmp_path) -> None:
    code, out, err = check(capsys, tmp_path, f"""
[[question]]
id = "unreadable"
spec = "nn.Conv9d(3, 8, 3)"
input = "3x8x8"
params = 224

[[question]]
id = "right"
{CONV}params = 760

[[question]]
id = "wrong"
{CONV}params = 750
""")
    lines = out.splitlines()
    assert code == 1 and err == ""
    assert lines[0].startswith("? unreadable: ") and "a.toml: question 1 (unreadable)" in lines[0] and "Conv9d" in lines[0]
    assert "✓ right params: 760 (true 760)" in lines
    assert "✗ wrong params: 750, true 760" in lines
    assert "probably: the biases are left out (weights only)" in out  # 5·5·3·10 = 750 weights
    assert lines[-1] == "1 of 2 right, 1 wrong, 1 unreadable"


def test_an_unreadable_question_alone_still_exits_1_and_a_bad_file_exits_2(capsys, tmp_path) -> None:
    code, out, _ = check(capsys, tmp_path, f"[[question]]\n{CONV}parms = 760\n\n[[question]]\n{CONV}params = 760\n")
    assert code == 1 and "unknown key 'parms'; did you mean params?" in out and "✓ question 2 params: 760" in out
    code, out, _ = check(capsys, tmp_path, f"[[question]]\n{CONV}params = 760\nmacs = '768 bananas'\n")
    assert code == 1 and "✓ question 1 params" in out and "'bananas' is no unit" in out
    code, _, err = check(capsys, tmp_path, "[[question]\n")
    assert code == 2 and "not valid TOML" in err
    code, out, _ = check(capsys, tmp_path, f"title = 'week 3'\n[[question]]\n{CONV}params = 760\n")
    assert code == 1 and "unknown table or key 'title'" in out and "✓ question 1 params: 760" in out


@pytest.mark.parametrize("given, truth, ok", [
    ("42.2 MFLOPs", 42_200_000, True), ("42.2 MFLOPs", 42_249_999, True), ("42.2 MFLOPs", 42_250_000, False),
    ("4.6 GMACs", 4_600_000_000, True), ("4.6GMACs", 4_650_000_000, False), ("12 MB", 12_000_000, True),
    ("12 MB", 12 * 2**20, True), ("12 MiB", 12 * 2**20, True), ("12 MiB", 12_000_000, False),
    ("1.2 GB", 1_200_000_000, True), ("1.2 GB", int(1.2 * 2**30), True), ("561MB", 561_000_000, True),
    ("561MB", 562_000_000, False), ("3.5 million", 3_539_968, True), ("38k", 38_499, True), ("2 GiB", 2 * 2**30, True),
    ("760 FLOPs", 760, True), ("760 FLOPs", 761, False), ("93MB", 93_000_000, True), ("1,536,000", 1_536_000, True),
    ("0.77 MMACs", 768_000, True), ("1.5 KB", 1_500, True), ("1.5 KB", 1_536, True), ("1 T", 10**12, True),
])
def test_units_are_read_at_the_precision_written(given: str, truth: int, ok: bool) -> None:
    assert parse_amount(given, "q").matches(truth) is ok


def test_mb_says_which_reading_matched(tmp_path) -> None:
    # torchvision's VGG-16 has 138,357,544 parameters: 553,430,176 bytes as float32 = 553.4 MB = 527.8 MiB
    found = marks(tmp_path, """
[[question]]
id = "decimal"
model = "vgg16"
param_bytes = "553 MB"
[[question]]
id = "binary"
model = "vgg16"
param_bytes = "528 MB"
[[question]]
id = "mixed"
model = "vgg16"
param_bytes = "553 MiB"
""")
    assert found["decimal", "param_bytes"].verdict == "right" and "10^6" in found["decimal", "param_bytes"].note
    assert found["binary", "param_bytes"].verdict == "right" and "2^20" in found["binary", "param_bytes"].note
    assert found["mixed", "param_bytes"].verdict == "wrong" and "10^n and 2^n mixed up" in found["mixed", "param_bytes"].note


def test_close_and_tolerance(capsys, tmp_path) -> None:
    # VGG-16: 138,357,544 parameters. "138.3M" is 0.04% off (a sum of rounded terms gives that): close, not wrong;
    # "137M" is 0.98% off: wrong, unless the question allows 1%.
    code, out, _ = check(capsys, tmp_path, '[[question]]\nmodel = "vgg16"\nparams = "138.3M"\n')
    assert code == 0 and out.startswith("≈ question 1 params: 138.3M") and "close: within 0.04%" in out
    assert out.splitlines()[-1] == "0 of 1 right, 1 close"
    code, out, _ = check(capsys, tmp_path, '[[question]]\nmodel = "vgg16"\nparams = "137M"\n')
    assert code == 1 and "✗" in out
    code, out, _ = check(capsys, tmp_path, '[[question]]\nmodel = "vgg16"\nparams = "137M"\ntolerance = "1%"\n')
    assert code == 0 and "✓" in out and "within the tolerance of 1%" in out
    code, out, _ = check(capsys, tmp_path, '[[question]]\nmodel = "vgg16"\nparams = 138357540\n')
    assert code == 1 and "✗" in out  # an exact figure is exact: never "close"


def test_flops_per_mac_one_counts_each_multiply_add_once(tmp_path) -> None:
    # Conv2d(1, 2, 3) on 1×5×5: 3×3 out, MACs 2·3·3·1·3·3 = 162; ReLU 2·3·3 = 18 FLOPs.
    # FLOPs at 2 per MAC: 324 + 18 = 342; with a multiply-add as one FLOP: 162 + 18 = 180.
    net = 'spec = """\nnn.Conv2d(1, 2, 3)\nnn.ReLU()\n"""\ninput = "1x5x5"\n'
    found = marks(tmp_path, f'[[question]]\nid = "two"\n{net}flops = 342\n[[question]]\nid = "one"\n{net}flops_per_mac = 1\n'
                            f'flops = 180\n[[question]]\nid = "slip"\n{net}flops = 180\n')
    assert found["two", "flops"].verdict == "right" and found["one", "flops"].verdict == "right"
    assert found["slip", "flops"].verdict == "wrong" and "flops_per_mac = 1" in found["slip", "flops"].note
    # seed 000's slide: conv1's "# products" 460,800 is what a source calling a multiply-add one FLOP writes
    found = marks(tmp_path, '[[question]]\nspec = "nn.Conv2d(1, 32, kernel_size=5)"\ninput = "1x28x28"\nflops_per_mac = 1\n'
                            'flops = "0.46 MFLOPs"\n')
    assert found["question 1", "flops"].verdict == "right"


def test_a_sum_over_rows(tmp_path) -> None:
    # conv1 3·3·3·32 + 32 = 896, bn1 2·32 = 64: 960 (the conv1 + bn1)
    net = 'spec = """\nconv1 = nn.Conv2d(3, 32, 3)\nbn1 = nn.BatchNorm2d(32)\nrelu = nn.ReLU()\n"""\ninput = "3x32x32"\n'
    found = marks(tmp_path, f'[[question]]\nid = "names"\n{net}layer = ["conv1", "bn1"]\nparams = 960\n'
                            f'[[question]]\nid = "numbers"\n{net}layer = [1, 2]\nparams = 960\n'
                            f'[[question]]\nid = "shape"\n{net}layer = [1, 2]\noutput_shape = "32x30x30"\n')
    assert found["names", "params"].verdict == found["numbers", "params"].verdict == "right"
    assert found["shape", "output_shape"].verdict == "unreadable" and "ask one layer" in found["shape", "output_shape"].working


def test_spec_names_a_file_next_to_the_answers_file(capsys, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "block.txt").write_text("input 3x32x32\nnn.Conv2d(3, 10, 5, padding=2)\n")
    (folder / "a.toml").write_text('[[question]]\nspec = "block.txt"\nparams = 760\n[[question]]\nspec = "nope.txt"\nparams = 1\n')
    monkeypatch.chdir(tmp_path)  # another folder: the file is found beside the answers file
    code = cli.main(["check", str(folder / "a.toml")])
    out, _ = capsys.readouterr()
    assert code == 1 and "✓ question 1 params: 760" in out and "spec 'nope.txt' names no file" in out


def test_layout_hwc(tmp_path) -> None:
    # the pool: 128×128×12 H×W×C through a 4×4 window at stride 4: ⌊(128 − 4)/4⌋ + 1 = 32 → 32×32×12
    pool = 'spec = "nn.MaxPool2d(4, stride=4)"\ninput = "128x128x12"\nlayout = "hwc"\n'
    found = marks(tmp_path, f'[[question]]\nid = "hwc"\n{pool}output_shape = "32x32x12"\n'
                            f'[[question]]\nid = "chw"\n{pool}output_shape = "12x32x32"\n')
    assert found["hwc", "output_shape"].verdict == "right" and found["hwc", "output_shape"].truth == "32×32×12"
    wrong = found["chw", "output_shape"]
    assert wrong.verdict == "wrong" and "channels swapped" in wrong.note


def test_the_slips_a_wrong_answer_probably_is(tmp_path) -> None:
    found = marks(tmp_path, f"""
[[question]]
id = "flops-as-macs"
{CONV}macs = 1536000
[[question]]
id = "macs-as-flops"
{CONV}flops = "768K"
[[question]]
id = "bias-in"
{CONV}flops = 1546240
[[question]]
id = "batch"
{CONV}batch = 2
macs = 768000
[[question]]
id = "swapped"
spec = "nn.MaxPool2d(2)"
input = "6x6x3"
layout = "hwc"
neurons = 18
[[question]]
id = "unit"
{CONV}flops = "0.77 MMACs"
""")
    assert "these are the FLOPs" in found["flops-as-macs", "macs"].note
    assert "these are the MACs" in found["macs-as-flops", "flops"].note
    assert "flops_with_bias" in found["bias-in", "flops"].note  # 1,536,000 + 10,240
    assert "for one sample; the batch is 2" in found["batch", "macs"].note
    # 6×6×3 H×W×C pooled 2×2: 3×3×3 = 27 outputs; read as C×H×W (6 channels of 6×3) it would give 6×3×1 = 18
    assert found["swapped", "neurons"].verdict == "wrong" and "channels swapped" in found["swapped", "neurons"].note
    assert found["unit", "flops"].verdict == "wrong" and "the unit says MACs" in found["unit", "flops"].note


def test_a_flops_unit_on_macs_is_explained_not_refused(tmp_path) -> None:
    found = marks(tmp_path, f'[[question]]\n{CONV}macs = "768 KFLOPs"\n')
    mark = found["question 1", "macs"]
    assert mark.verdict == "right" and "the unit says FLOPs, the question asks macs" in mark.note


def test_bytes_for_a_count_is_unreadable(tmp_path) -> None:
    found = marks(tmp_path, f'[[question]]\n{CONV}params = "3 KB"\nmacs = 768000\n')
    assert found["question 1", "params"].verdict == "unreadable" and "param_bytes" in found["question 1", "params"].working
    assert found["question 1", "macs"].verdict == "right"


def test_new_quantities_in_check(tmp_path) -> None:
    # input 3·32·32 = 3,072 floats and output 10,240 floats live together: 4·13,312 = 53,248 bytes; plus 760·4
    found = marks(tmp_path, f'[[question]]\n{CONV}neurons = 10240\nbias_adds = "10,240"\nflops_with_bias = 1546240\n'
                            'inference_peak_bytes = "56,288"\nactivation_bytes = 40960\n')
    assert {q: m.verdict for (_, q), m in found.items()} == {
        "neurons": "right", "bias_adds": "right", "flops_with_bias": "right", "inference_peak_bytes": "right",
        "activation_bytes": "right"}


def test_inference_peak_of_the_lecture_network(tmp_path) -> None:
    # seed 000's network: conv1's 32·24·24 = 18,432 floats and the pool's 32·8·8 = 2,048 are live together while
    # the pool runs: 4·20,480 = 81,920 bytes (the input's 784 floats beside conv1's give less, 76,864); parameters
    # 832 + 51,264 + 51,400 + 2,010 = 105,506 → 422,024 bytes; 503,944 in all
    (tmp_path / "lecture_cnn.txt").write_text((ROOT / "examples" / "lecture_cnn.txt").read_text())
    found = marks(tmp_path, '[[question]]\nspec = "lecture_cnn.txt"\ninference_peak_bytes = "504 KB"\n'
                            '[[question]]\nid = "no-params"\nspec = "lecture_cnn.txt"\ninference_peak_bytes = 81920\n')
    assert found["question 1", "inference_peak_bytes"].verdict == "right"
    slip = found["no-params", "inference_peak_bytes"]
    assert slip.verdict == "wrong" and "parameters are left out" in slip.note and "503,944" in slip.truth


def test_padding_and_stride(tmp_path) -> None:
    # "what padding keeps 32×32 with a 5×5 kernel": (32 + 2P − 5)/1 + 1 = 32 → P = 2
    keep = 'spec = "nn.Conv2d(3, 8, 5, padding=2)"\ninput = "3x32x32"\n'
    found = marks(tmp_path, f'[[question]]\nid = "int"\n{keep}padding = 2\nstride = 1\n'
                            f'[[question]]\nid = "tuple"\n{keep}padding = "(2, 2)"\n'
                            f'[[question]]\nid = "wrong"\n{keep}padding = 1\n'
                            # torch's 'same' with an even kernel pads K − 1 = 3 in all: 1 before, 2 after
                            '[[question]]\nid = "even"\nspec = "nn.Conv2d(3, 8, 4, padding=\'same\')"\ninput = "3x9x9"\npadding = 3\n'
                            # a pool's stride defaults to its kernel
                            '[[question]]\nid = "pool"\nspec = "nn.MaxPool2d(3)"\ninput = "1x9x9"\nstride = 3\npadding = 0\n'
                            # nn.Conv2d(1, 1, 3, padding=(0, 1)): none above and below, 1 left and right
                            '[[question]]\nid = "zero"\nspec = "nn.Conv2d(1, 1, 3, padding=(0, 1))"\ninput = "1x5x5"\n'
                            'padding = "(0, 1)"\n')
    assert all(found[k, q].verdict == "right" for k, q in [("int", "padding"), ("int", "stride"), ("tuple", "padding"),
                                                          ("even", "padding"), ("pool", "stride"), ("pool", "padding"),
                                                          ("zero", "padding")])
    assert found["wrong", "padding"].verdict == "wrong"
    assert "1 before and 2 after" in found["even", "padding"].note


def test_keras_trainable_and_non_trainable_counts(tmp_path) -> None:
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")  # keras on the pinned torch, as pyproject's test extra says
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(32, 3), keras.layers.BatchNormalization()])
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    found = marks(tmp_path, '[[question]]\nspec = """\nnn.Conv2d(3, 32, 3)\nnn.BatchNorm2d(32)\n"""\ninput = "3x32x32"\n'
                            f'trainable_params = {trainable}\nnon_trainable_params = {frozen}\n')
    assert (trainable, frozen) == (960, 64)
    assert found["question 1", "trainable_params"].verdict == found["question 1", "non_trainable_params"].verdict == "right"


def test_the_units_example_file(capsys) -> None:
    code = cli.main(["check", str(ROOT / "examples" / "homework_units.toml")])
    out, err = capsys.readouterr()
    assert err == "" and "unreadable" not in out
    wrong = [line for line in out.splitlines() if line.startswith("✗")]
    assert code == 1 and len(wrong) == 2, out


def test_activation_memory_slips(tmp_path) -> None:
    # seed 000's network kept whole: 101,032 bytes (input 784·4 = 3,136; conv1 73,728; pool 8,192; ReLU 8,192; conv2 4,096;
    # pool 1,024; ReLU 1,024; the view none; fc1 800; ReLU 800; fc2 40). Without the input: 97,896; without the input and
    # the three ReLUs' outputs (8,192 + 1,024 + 800): 87,880.
    (tmp_path / "lecture_cnn.txt").write_text((ROOT / "examples" / "lecture_cnn.txt").read_text())
    found = marks(tmp_path, '[[question]]\nid = "all"\nspec = "lecture_cnn.txt"\nactivation_bytes = 101032\n'
                            '[[question]]\nid = "input"\nspec = "lecture_cnn.txt"\nactivation_bytes = 97896\n'
                            '[[question]]\nid = "relu"\nspec = "lecture_cnn.txt"\nactivation_bytes = 87880\n')
    assert found["all", "activation_bytes"].verdict == "right"
    assert "the input is left out" in found["input", "activation_bytes"].note
    assert "activation functions' outputs are left out" in found["relu", "activation_bytes"].note
