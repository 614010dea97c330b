"""The course notations end to end, as a student types them at the command line: channels-last
volumes, Keras and d2l layer text, TensorFlow's 'same', and a Keras course's answers file.

Each figure is from Keras 3 or torch run in the test, or derived by hand beside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convcalc import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_pool_on_a_channels_last_volume_is_never_silently_misread(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "layer", "nn.MaxPool2d(4, stride=4)", "--input", "128x128x12")
    # both readings fit a pool: ⌊128/4⌋ = 32 and ⌊12/4⌋ = 3 (C×H×W) or 32×32 of 12 channels (H×W×C)
    assert code == 2 and "128×32×3" in err and "32×32×12" in err and "--layout" in err and "Traceback" not in err
    code, out, err = run(capsys, "layer", "nn.MaxPool2d(4, stride=4)", "--input", "128x128x12", "--layout", "hwc")
    assert code == 0 and "output shape      32×32×12" in out


def test_keras_conv_as_pasted(capsys: pytest.CaptureFixture[str]) -> None:
    # Coursera's quiz: 63×63×16, 32 filters 7×7, stride 2: ⌊(63 − 7)/2⌋ + 1 = 29; 7·7·16·32 + 32 = 25,120
    code, out, _ = run(capsys, "layer", "Conv2D(32, (7,7), strides=2)", "--input", "63x63x16")
    assert code == 0 and "output shape      29×29×32" in out and "25,120" in out
    # TensorFlow's 'same' at stride 2: ⌈200/2⌉ = 100; 3·3·3·100 + 100 = 2,800
    code, out, _ = run(capsys, "layer", "layers.Conv2D(100, 3, strides=2, padding='same')", "--input", "200x200x3")
    assert code == 0 and "output shape      100×100×100" in out and "2,800" in out


def test_the_keras_mnist_example_gives_keras_own_total(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras runs here on the torch backend only")
    layers = keras.layers
    theirs = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"),
                               layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
                               layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
                               layers.Dense(10, activation="softmax")])
    assert theirs.count_params() == 34_826  # keras.io's page prints the same total
    code, out, _ = run(capsys, "summary", str(EXAMPLES / "keras_mnist.py"))
    assert code == 0 and "34,826" in out and "input 28×28×1 (H×W×C)" in out
    assert "11×11×64" in out  # conv2d_1 as Keras' summary shows it: (None, 11, 11, 64)


def test_d2l_lenet_with_lazy_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    from test_padding import D2L_LENET, _d2l_lenet_in_torch  # d2l.ai 7.6, as spec text and in torch

    path = tmp_path / "d2l_lenet.txt"
    path.write_text("input 1x28x28\n" + D2L_LENET, encoding="utf-8")
    net = _d2l_lenet_in_torch()
    net(torch.zeros(1, 1, 28, 28))  # torch gives the lazy layers their sizes
    total = sum(p.numel() for p in net.parameters())
    assert total == 61_706  # d2l.ai, LeNet
    code, out, _ = run(capsys, "summary", str(path))
    assert code == 0 and f"{total:,}" in out


def test_resnet18_prints_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "summary", "resnet18")
    assert code == 0 and "warning" not in out + err


def test_the_keras_course_answers_file(capsys: pytest.CaptureFixture[str]) -> None:
    """Its truths were given by Keras 3 (count_params, output_shape, trainable weights); one answer slips."""
    code, out, _ = run(capsys, "check", str(EXAMPLES / "keras_course.toml"))
    assert code == 1
    assert "16 of 17 right, 1 wrong" in out
    # Keras: Conv2D(32, 3) on 28×28×1 then BatchNormalization(): 448 parameters, 384 trainable, 64 not
    assert "✗ batch-norm-counts non_trainable_params: 128, true 64" in out
    assert "✓ mnist-convnet params: 34826 (true 34,826)" in out


def test_an_answers_file_that_never_gives_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "answers.toml"
    path.write_text('''
[[question]]
id = "unreadable"
spec = "nn.Conv2d(3, 8, 3)"
input = "3x32x32"
params = "12 parsecs"

[[question]]
id = "right"
spec = "nn.Conv2d(3, 8, 3)"
input = "3x32x32"
params = 224            # 3·3·3·8 + 8

[[question]]
id = "wrong"
spec = "nn.Conv2d(3, 8, 3)"
input = "3x32x32"
output_shape = "8x32x32"   # no padding: 32 − 3 + 1 = 30
''', encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == 1
    assert "✓ right params" in out and "✗ wrong output_shape" in out
    assert "unreadable" in out + err and "12 parsecs" in out + err


def test_a_keras_summary_says_trainable_and_non_trainable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Keras 3: Conv2D(32, 3) + BatchNormalization() on 28×28×1: 448 parameters, 384 trainable, 64 non-trainable
    path = tmp_path / "bn.py"
    path.write_text('model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), '
                    'layers.BatchNormalization()])\n', encoding="utf-8")
    code, out, _ = run(capsys, "summary", str(path))
    assert code == 0 and "parameters   448 (1.75 KiB as float32); trainable 384, non-trainable 64" in out


def test_the_layer_card_of_keras_batch_norm_and_of_an_activation_inside_a_layer(capsys: pytest.CaptureFixture[str]) -> None:
    # Keras 3: BatchNormalization() on 32 channels holds γ, β (trainable) and the moving mean and variance (not): 4·32
    code, out, _ = run(capsys, "layer", "BatchNormalization()", "--input", "30x30x32")
    assert code == 0 and "128 (64 trainable + 64 non-trainable, as Keras counts them)" in out
    code, out, _ = run(capsys, "layer", "Conv2D(8, 3, activation='relu')", "--input", "32x32x3")
    assert code == 0 and "activation=ReLU() inside it is not in these figures" in out


def test_padding_answers_in_every_form_a_source_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # TensorFlow's 'same', 3×3 at stride 2 on 200: total max((100 − 1)·2 + 3 − 200, 0) = 1, 0 before and 1 after
    same = "spec = 'Conv2D(8, 3, strides=2, padding=\"same\")'\ninput = \"200x200x3\"\n"
    questions = [(same, '"(0+1)x(0+1)"'), (same, "[[0, 1], [0, 1]]"), (same, "1"),  # sides, pairs, the total
                 # torch's ZeroPad2d tuple is (left, right, top, bottom)
                 ('spec = "nn.ZeroPad2d((1, 2, 3, 4))"\ninput = "3x8x8"\nlayout = "chw"\n', '"(1, 2, 3, 4)"'),
                 (same, "0")]
    path = tmp_path / "padding.toml"
    path.write_text("".join(f'[[question]]\nid = "q{i}"\n{body}padding = {answer}\n\n'
                            for i, (body, answer) in enumerate(questions)), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1 and "4 of 5 right, 1 wrong" in out and "✗ q4 padding: 0×0, true (0+1)×(0+1)" in out


def test_a_layout_given_the_wrong_way_says_the_other_fits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pool_conv.txt"
    path.write_text("nn.MaxPool2d(2)\nnn.Conv2d(3, 8, 3)\n", encoding="utf-8")
    # as C×H×W the conv meets 32 channels; as H×W×C the pool gives 16×16×3 and the conv takes its 3
    code, _, err = run(capsys, "summary", str(path), "--input", "32x32x3", "--layout", "chw")
    assert code == 2 and "--layout hwc" in err and "\n" not in err.strip()


def test_keras_transposed_same_shows_tensorflows_uneven_crop(capsys: pytest.CaptureFixture[str]) -> None:
    # 'same' at stride 2 gives 7·2 = 14; the full transposed output is (7 − 1)·2 + K, so K = 3 crops 1 (0 before, 1
    # after) and K = 5 crops 3 (1 before, 2 after), TensorFlow putting the odd one after
    for kernel, shown in ((3, "(0+1)×(0+1)"), (5, "(1+2)×(1+2)")):
        code, out, _ = run(capsys, "layer", f"Conv2DTranspose(16, {kernel}, strides=2, padding='same')", "--input", "7x7x32")
        assert code == 0 and "output shape      14×14×16" in out and f"padding           {shown}" in out


def test_flops_per_mac_slips_never_ask_for_the_key_already_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # nn.Conv2d(3, 8, 3) on 3×32×32: MACs 8·30·30·27 = 194,400; FLOPs 388,800; one FLOP per MAC: 194,400
    path = tmp_path / "fpm.toml"
    path.write_text('[[question]]\nid = "conv"\nspec = "nn.Conv2d(3, 8, 3)"\ninput = "3x32x32"\nflops_per_mac = 1\n'
                    'flops = "388.8K"\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1 and "drop flops_per_mac = 1" in out and "say flops_per_mac = 1" not in out


def test_d2l_lenet_as_the_book_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # d2l.ai 7.6 prints the model as one nn.Sequential over many lines; 61,706 parameters (the book, and
    # torch's count in test_d2l_lenet_with_lazy_layers): 156 + 2,416 + 48,120 + 10,164 + 850
    path = tmp_path / "lenet.txt"
    path.write_text("""input 1x28x28
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
""", encoding="utf-8")
    code, out, _ = run(capsys, "summary", str(path))
    assert code == 0 and "61,706" in out
    path.write_text("net = nn.Sequential(\n    nn.Conv2d(1, 6, 5),\n    nn.Foo(),\n)\n", encoding="utf-8")
    code, _, err = run(capsys, "summary", str(path), "--input", "1x28x28")
    assert code == 2 and "line 3" in err and "nn.Foo" in err
