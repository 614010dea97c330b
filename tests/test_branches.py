"""Spec text written as a forward pass (issue 16, point 2): names, torch.cat, + and *, read with ast into
convcalc's blocks by series-parallel decomposition, and held to real torch modules written here.

Every torch module below is written by hand from the same description as its text, not built from
convcalc's blocks; FlopCounterMode counts their conv and linear FLOPs (2 per multiply-accumulate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convcalc as cc
from convcalc import cli
from convcalc.errors import ShapeError, SpecError

ROOT = Path(__file__).resolve().parents[1]

UNET = """input 3x64x64
x1 = nn.Conv2d(3, 16, 3, padding=1)(x)
x2 = F.relu(nn.MaxPool2d(2)(x1))
x3 = nn.Conv2d(16, 32, 3, padding=1)(x2)
x4 = nn.ConvTranspose2d(32, 16, 2, stride=2)(x3)
x5 = torch.cat([x4, x1], dim=1)
y = nn.Conv2d(32, 2, 1)(x5)
"""

# GoogLeNet's inception (3a) (Szegedy et al. 2015, table 1): 192 channels in, branches 64 | 96->128 | 16->32 | pool->32.
INCEPTION = """input 192x28x28
b1 = F.relu(nn.Conv2d(192, 64, 1)(x))
b2 = F.relu(nn.Conv2d(96, 128, 3, padding=1)(F.relu(nn.Conv2d(192, 96, 1)(x))))
b3 = F.relu(nn.Conv2d(16, 32, 5, padding=2)(F.relu(nn.Conv2d(192, 16, 1)(x))))
b4 = F.relu(nn.Conv2d(192, 32, 1)(nn.MaxPool2d(3, stride=1, padding=1)(x)))
y = torch.cat([b1, b2, b3, b4], dim=1)
"""

# ResNet's basic block (He et al. 2016): conv-bn-relu-conv-bn, + x, then relu.
BASIC_BLOCK = """input 64x56x56
y1 = F.relu(nn.BatchNorm2d(64)(nn.Conv2d(64, 64, 3, padding=1, bias=False)(x)))
y2 = nn.BatchNorm2d(64)(nn.Conv2d(64, 64, 3, padding=1, bias=False)(y1))
y = F.relu(y2 + x)
"""

# The first block of ResNet-18's layer2: stride 2 and a projection shortcut, the sum of two computed branches.
DOWN_BLOCK = """input 64x56x56
a = F.relu(nn.BatchNorm2d(128)(nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)(x)))
b = nn.BatchNorm2d(128)(nn.Conv2d(128, 128, 3, padding=1, bias=False)(a))
s = nn.BatchNorm2d(128)(nn.Conv2d(64, 128, 1, stride=2, bias=False)(x))
y = F.relu(b + s)
"""

# Squeeze-and-excitation (Hu et al. 2018) with reduction 4: x times a gate computed from x.
SQUEEZE = """input 32x16x16
s = nn.AdaptiveAvgPool2d(1)(x)
g = torch.sigmoid(nn.Conv2d(8, 32, 1)(F.relu(nn.Conv2d(32, 8, 1)(s))))
y = x * g
"""

# Joins nested: a dense-style concat, a residual sum over it, and a concat of that sum with a conv of it.
NESTED = """input 8x16x16
c1 = torch.cat([x, F.relu(nn.Conv2d(8, 4, 3, padding=1)(x))], dim=1)
r = nn.Conv2d(12, 12, 3, padding=1)(c1) + c1
y = torch.cat([r, nn.Conv2d(12, 4, 1)(r)], dim=1)
"""


def spec(text: str) -> cc.parsing.Spec:
    return cc.parse_spec(text)


def report(text: str) -> cc.report.Report:
    return cc.summary(spec(text))  # its input line, and layout if it says one


def torch_counts(module: Any, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...], int]:
    """(parameters, output shape per sample, FlopCounterMode's FLOPs) of a real torch module."""
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    module = module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(torch.zeros(1, *shape))
    params = sum(p.numel() for p in module.parameters())
    return params, tuple(out.shape[1:]), counter.get_total_flops()


def assert_matches_torch(text: str, module: Any) -> cc.report.Report:
    r = report(text)
    params, shape, flops = torch_counts(module, r.input_shape)
    assert r.totals.params == params
    assert r.output_shape == shape
    assert 2 * r.totals.macs == flops  # FlopCounterMode counts conv and linear only, 2 per MAC
    assert cc.verify(spec(text)).ok  # the network built from the blocks runs in torch and agrees row by row
    return r


# --- the U-Net of the issue ----------------------------------------------------------------------


def test_unet_text_gives_its_shape_and_hand_counted_parameters() -> None:
    r = report(UNET)
    assert r.output_shape == (2, 64, 64)
    # by hand: conv 3·16·9+16 = 448, conv 16·32·9+32 = 4,640, convT 32·16·2·2+16 = 2,064, conv 32·2+2 = 66
    assert r.totals.params == 448 + 4_640 + 2_064 + 66 == 7_218


def test_unet_text_is_sequential_concat_sequential_identity_in_cats_order() -> None:
    net = spec(UNET).net
    assert [type(layer).__name__ for layer in net] == ["Conv2d", "Concat", "Conv2d"]
    down_up, skip = net[1].branches
    assert [type(layer).__name__ for layer in down_up] == ["MaxPool2d", "ReLU", "Conv2d", "ConvTranspose2d"]
    assert isinstance(skip, cc.layers.Identity)
    assert [row.path for row in report(UNET).rows] == ["x1", "x5.0.x2_1", "x5.0.x2", "x5.0.x3", "x5.0.x4", "x5.1",
                                                       "x5.cat", "y"]


def test_unet_text_matches_a_torch_unet() -> None:
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class SmallUNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Conv2d(3, 16, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.mid = nn.Conv2d(16, 32, 3, padding=1)
            self.up = nn.ConvTranspose2d(32, 16, 2, stride=2)
            self.head = nn.Conv2d(32, 2, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            e = self.enc(x)
            u = self.up(self.mid(F.relu(self.pool(e))))
            return self.head(torch.cat([u, e], dim=1))

    assert_matches_torch(UNET, SmallUNet())


def test_unet_example_file_summarises_and_verifies_from_the_cli(capsys) -> None:
    path = ROOT / "examples" / "unet_small.txt"
    assert cli.main(["summary", str(path), "--verify"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "7,218" in out and "2×64×64" in out and "ok: all rows agree with torch" in out


def test_a_name_used_before_it_is_assigned_is_one_line_naming_that_line(tmp_path, capsys) -> None:
    lines = UNET.splitlines()
    lines[3], lines[4] = lines[4], lines[3]  # x4 = …(x3) now comes before x3 is assigned
    text = "\n".join(lines)
    with pytest.raises(SpecError) as error:
        spec(text)
    assert error.value.line == 4
    assert str(error.value).startswith("line 4")
    assert "x3 is used before it is assigned (line 5 assigns it)" in str(error.value)
    path = tmp_path / "unet.txt"
    path.write_text(text)
    assert cli.main(["summary", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: ") and "line 4" in err and "x3 is used before it is assigned" in err


# --- Inception, ResNet blocks, a gate, nested joins: each against torch --------------------------


def test_inception_module_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Inception(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.b1 = nn.Sequential(nn.Conv2d(192, 64, 1), nn.ReLU())
            self.b2 = nn.Sequential(nn.Conv2d(192, 96, 1), nn.ReLU(), nn.Conv2d(96, 128, 3, padding=1), nn.ReLU())
            self.b3 = nn.Sequential(nn.Conv2d(192, 16, 1), nn.ReLU(), nn.Conv2d(16, 32, 5, padding=2), nn.ReLU())
            self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(192, 32, 1), nn.ReLU())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)

    r = assert_matches_torch(INCEPTION, Inception())
    assert r.output_shape == (64 + 128 + 32 + 32, 28, 28)
    # by hand: 192·64+64 + 192·96+96 + 96·128·9+128 + 192·16+16 + 16·32·25+32 + 192·32+32
    assert r.totals.params == 12_352 + 18_528 + 110_720 + 3_088 + 12_832 + 6_176 == 163_696
    concat = spec(INCEPTION).net[0]
    assert isinstance(concat, cc.Concat) and len(concat.branches) == 4


def _basic_block(torch: Any, cin: int, cout: int, stride: int) -> Any:
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x: Any) -> Any:
            out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(out + (x if self.down is None else self.down(x)))

    return BasicBlock()


def test_resnet_basic_block_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    r = assert_matches_torch(BASIC_BLOCK, _basic_block(torch, 64, 64, 1))
    assert r.totals.params == 2 * 64 * 64 * 9 + 2 * 2 * 64 == 73_984  # two 3×3 convs, two batch norms
    net = spec(BASIC_BLOCK).net
    assert [type(layer).__name__ for layer in net] == ["Residual", "ReLU"]
    assert net[0].shortcut is None  # + x: the identity shortcut
    assert [row.kind for row in r.rows].count("add") == 1


def test_a_sum_of_two_computed_branches_is_a_residual_with_a_projection() -> None:
    torch = pytest.importorskip("torch")
    r = assert_matches_torch(DOWN_BLOCK, _basic_block(torch, 64, 128, 2))
    assert r.output_shape == (128, 28, 28)
    # by hand: 64·128·9 + 128·128·9 + 64·128 weights, three batch norms of 2·128
    assert r.totals.params == 73_728 + 147_456 + 8_192 + 3 * 256 == 230_144
    residual = spec(DOWN_BLOCK).net[0]
    assert isinstance(residual, cc.Residual) and residual.shortcut is not None
    assert [type(layer).__name__ for layer in residual.body] == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"]
    assert [type(layer).__name__ for layer in residual.shortcut] == ["Conv2d", "BatchNorm2d"]


def test_x_times_a_gate_is_a_scale_block_and_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class SE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = nn.Conv2d(32, 8, 1), nn.Conv2d(8, 32, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            s = nn.functional.adaptive_avg_pool2d(x, 1)
            return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))

    r = assert_matches_torch(SQUEEZE, SE())
    assert r.totals.params == 32 * 8 + 8 + 8 * 32 + 32 == 552
    scale = spec(SQUEEZE).net[0]
    assert type(scale).__name__ == "Scale"
    assert r.rows[-1].kind == "mul" and r.rows[-1].flops == 32 * 16 * 16  # one multiply per element of x
    flipped = SQUEEZE.replace("y = x * g", "y = g * x")  # the product commutes: the same block
    assert spec(flipped).net == spec(SQUEEZE).net


def test_a_product_of_two_computed_branches_is_a_product_block_and_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Gated(nn.Module):  # LRASPP's head: cbr(x) * scale(x), the gate C×1×1 broadcast over the positions
        def __init__(self) -> None:
            super().__init__()
            self.cbr = nn.Conv2d(8, 16, 1)
            self.fc = nn.Conv2d(8, 16, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            a = torch.relu(self.cbr(x))
            return a * torch.sigmoid(self.fc(nn.functional.adaptive_avg_pool2d(x, 1)))

    text = ("input 8x12x12\na = F.relu(nn.Conv2d(8, 16, 1)(x))\n"
            "g = torch.sigmoid(nn.Conv2d(8, 16, 1)(nn.AdaptiveAvgPool2d(1)(x)))\ny = a * g\n")
    r = assert_matches_torch(text, Gated())
    assert r.totals.params == 2 * (8 * 16 + 16) == 288  # by hand: two 1×1 convs 8→16 with biases
    assert type(spec(text).net).__name__ == "Product" or type(spec(text).net[0]).__name__ == "Product"
    assert r.rows[-1].kind == "mul" and r.rows[-1].flops == 16 * 12 * 12  # one multiply per output element
    flipped = assert_matches_torch(text.replace("y = a * g", "y = g * a"), Gated())  # the gate first: torch broadcasts it
    assert flipped.output_shape == (16, 12, 12) and flipped.rows[-1].flops == 16 * 12 * 12


def test_nested_joins_match_torch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Nested(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.grow, self.mix, self.side = nn.Conv2d(8, 4, 3, padding=1), nn.Conv2d(12, 12, 3, padding=1), nn.Conv2d(12, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            c1 = torch.cat([x, torch.relu(self.grow(x))], dim=1)
            r = self.mix(c1) + c1
            return torch.cat([r, self.side(r)], dim=1)

    r = assert_matches_torch(NESTED, Nested())
    assert r.output_shape == (16, 16, 16)
    assert [type(layer).__name__ for layer in spec(NESTED).net] == ["Concat", "Residual", "Concat"]


def test_a_concat_in_another_order_than_written_keeps_the_cats_order() -> None:
    text = """input 8x16x16
a = nn.Conv2d(8, 4, 1)(x)
b = nn.Conv2d(8, 6, 3, padding=1)(x)
y = torch.cat([b, x, a], dim=1)
"""
    concat = spec(text).net[0]
    first, middle, last = concat.branches
    assert (first.out_channels, type(middle).__name__, last.out_channels) == (6, "Identity", 4)
    r = report(text)
    assert r.output_shape == (6 + 8 + 4, 16, 16)
    assert cc.verify(spec(text)).ok


def test_a_branch_that_is_itself_a_fork_nests_inside_a_concat_branch() -> None:
    # b's branch holds a residual sum (c + conv(c)) inside the Concat's first branch
    text = """input 4x8x8
c = nn.Conv2d(4, 4, 3, padding=1)(x)
b = nn.Conv2d(4, 4, 1)(c) + c
y = torch.cat([b, x], dim=1)
"""
    concat = spec(text).net[0]
    assert [type(layer).__name__ for layer in concat.branches[0]] == ["Conv2d", "Residual"]
    assert report(text).totals.params == (4 * 4 * 9 + 4) + (4 * 4 + 4)
    assert cc.verify(spec(text)).ok


# --- the forms of a line -------------------------------------------------------------------------


def test_return_rebinding_augmented_sum_methods_and_sequential_calls() -> None:
    text = """input 3x8x8
# comments and blank lines keep the line numbers

x = nn.Conv2d(3, 3, 3, padding=1)(x)
h = nn.Sequential(nn.Conv2d(3, 3, 1), nn.ReLU())(x)
h += x
return nn.Linear(192, 10)(h.flatten(1))
"""
    s = spec(text)
    assert [type(layer).__name__ for layer in s.net] == ["Conv2d", "Residual", "Flatten", "Linear"]
    r = cc.summary(s)
    assert r.output_shape == (10,)
    assert r.totals.params == (3 * 3 * 9 + 3) + (3 * 3 + 3) + (192 * 10 + 10)
    assert cc.verify(s).ok


def test_functional_calls_nested_on_the_input_are_a_chain() -> None:
    net = spec("input 3x8x8\ny = F.relu(F.max_pool2d(x, 2))\n").net
    assert [name for name, _ in net.children()] == ["y_1", "y"]
    assert [type(layer).__name__ for layer in net] == ["MaxPool2d", "ReLU"]


def test_text_nested_too_deeply_is_refused_not_a_crash() -> None:
    with pytest.raises(SpecError, match="nests too deeply"):
        spec("input 3x8x8\na = nn.Conv2d(3, 3, 1)(x)\ny = " + " + ".join(["a"] * 3000) + "\n")
    r = report("input 3x8x8\na = nn.Conv2d(3, 3, 1)(x)\ny = " + " + ".join(["a"] * 300) + "\n")
    assert [row.kind for row in r.rows].count("add") == 299  # a + a + … + a: 299 sums of 3×8×8, as torch makes them
    assert r.totals.flops == 2 * 3 * 3 * 64 + 299 * 3 * 64


def test_torch_add_and_mul_are_the_sum_and_the_gate() -> None:
    assert spec(BASIC_BLOCK.replace("y2 + x", "torch.add(y2, x)")).net == spec(BASIC_BLOCK).net
    assert spec(SQUEEZE.replace("x * g", "torch.mul(x, g)")).net == spec(SQUEEZE).net


def test_a_value_in_two_inputs_of_a_cat_is_fine_when_it_is_the_branch_point() -> None:
    r = report("input 4x8x8\na = nn.Conv2d(4, 4, 1)(x)\ny = torch.cat([a, a, F.relu(a)], dim=1)\n")
    assert r.output_shape == (12, 8, 8) and r.totals.params == 4 * 4 + 4
    assert [row.kind for row in r.rows] == ["conv2d", "identity", "identity", "relu", "cat"]


def test_functional_and_view_forms_read_as_the_one_call_form_reads_them() -> None:
    for tail in ("y = nn.Linear(192, 10)(a.view(-1, 192))", "y = nn.Linear(192, 10)(torch.flatten(a, 1))",
                 "y = nn.Linear(192, 10)(F.max_pool2d(a, 1).flatten(1))"):
        r = report(f"input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\n{tail}\n")
        assert r.output_shape == (10,) and r.totals.params == 84 + 1_930


def test_the_one_call_per_line_and_sequential_forms_still_read_as_before() -> None:
    plain = spec("input 1x28x28\nconv1 = nn.Conv2d(1, 6, 5)\nx = F.relu(x)\npool = F.max_pool2d(x, 2)\n").net
    assert [name for name, _ in plain.children()] == ["conv1", "x", "pool"]
    sequential = spec("input 1x28x28\nnet = nn.Sequential(\n    nn.Conv2d(1, 6, 5),\n    nn.ReLU(),\n)\n").net
    assert [name for name, _ in sequential.children()] == ["0", "1"]


def test_an_input_line_written_channels_last_and_comments_keep_their_meaning() -> None:
    text = "# the U-Net, its input written H×W×C\n" + UNET.replace("input 3x64x64", "input 64x64x3 hwc  # channels last")
    r = report(text)
    assert r.input_shape == (3, 64, 64) and r.output_shape == (2, 64, 64) and r.layout == "hwc"
    lines = text.splitlines()
    lines[4], lines[5] = lines[5], lines[4]  # the comment line counts: x3 is now used on line 5, before line 6 assigns it
    with pytest.raises(SpecError, match=r"^line 5, column \d+: x3 is used before it is assigned \(line 6"):
        spec("\n".join(lines))


def test_receptive_field_depth_and_json_read_the_blocks() -> None:
    r = report(UNET)
    # by hand: 3×3 conv -> 3; 2×2 pool (stride 2) -> 4; 3×3 conv at jump 2 -> 8; the 2×2 stride-2 up-conv
    # adds nothing (its taps do not overlap); the concat takes the larger, the 1×1 conv keeps it
    assert r.rows[-1].receptive_field == (8, 8)
    assert [row.path for row in r.at_depth(1).rows] == ["x1", "x5.0", "x5.1", "x5.cat", "y"]
    assert '"path": "x5.cat"' in r.to_json()


# --- errors: each one line naming its line -------------------------------------------------------

ERRORS = [
    ("input 3x8x8\nx1 = nn.Conv2d(3, 16, 3)(z)\n", 2, "z is used before it is assigned: no earlier line assigns it"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3)(x)\nb = nn.Conv2d(3, 4, 3)(x)\ny = F.relu(a)\n", 3,
     "b is assigned but nothing uses it"),
    ("input 8x16x16\na = nn.Conv2d(8, 8, 3, padding=1)(x)\nb = nn.Conv2d(8, 8, 3, padding=1)(x)\nc = a + b\n"
     "d = nn.Conv2d(8, 8, 1)(a)\ny = c + d\n", 6, "is not series-parallel"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3, padding=1)(x)\ny = torch.cat([a, x], dim=2)\n", 3,
     "convcalc's Concat joins along channels only"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3, padding=1)(x)\ny = torch.cat([a, x])\n", 3, "without dim joins along dim 0"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3, padding=1)(x)\ny = torch.cat([a, x], dim=True)\n", 3, "with dim=True"),
    ("input 4x8x8\nv0 = nn.Conv2d(4, 4, 1)(x)\nv1 = F.relu(v0)\nv2 = nn.Conv2d(4, 5, 3, padding=1)(v0)\n"
     "out = torch.cat([v1, x, v2], dim=1)\n", 5, "v0 (line 2) reaches torch.cat(…) through more than one of its inputs"),
    ("input 4x8x8\na = nn.Conv2d(4, 4, 1)(x)\nb = nn.Conv2d(4, 4, 1)(x)\nout = torch.cat([a, b, a], dim=1)\n", 4,
     "a (line 2) reaches torch.cat(…) through more than one of its inputs"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = torch.stack([a, x], dim=1)\n", 3,
     "torch.stack makes a new dimension"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = a - x\n", 3, "- is not a step convcalc counts"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = a * 2\n", 3, "2 is a constant, not a tensor"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3)(x)\ny = nn.ReLU(a)\n", 3, "make the layer, then apply it"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\nb = nn.Conv2d(3, 3, 1)\ny = a + x\n", 3,
     "makes a layer but applies it to nothing"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\nF.relu(a)\n", 3, "each line of a forward pass assigns a name"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\nreturn a\nb = F.relu(a)\n", 3, "nothing may follow it"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\n\ny = torch.cat([a, x], dim=1\n", 4, "not a forward-pass line"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = nn.Conv2d(3, 3, x.__class__)(a)\n", 3, "double underscores"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = nn.Conv2d(3, 3, 1)(a, a)\n", 3, "applied to one tensor"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\ny = nn.Convv2d(3, 3, 1)(a)\n", 3, "did you mean"),
    ("input 3x8x8\na = nn.Conv2d(3, 3, 3, padding=1)(x)\na, b = a, a\ny = a + b\n", 3, "assign one plain name"),
    ("input 1x32x32\nx = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))\n", 2, "self.conv1(…) calls a module made elsewhere"),
    ("input 3x8x8\nreturn x\n", 2, "the output is the input x itself"),
]


@pytest.mark.parametrize(("text", "line", "message"), ERRORS, ids=[m for _, _, m in ERRORS])
def test_bad_forward_text_is_refused_naming_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(SpecError) as error:
        cc.summary(spec(text))
    assert error.value.line == line
    assert message in str(error.value)
    assert "\n" not in str(error.value)


SHAPE_ERRORS = [
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3)(x)\nb = nn.Conv2d(3, 4, 1)(x)\ny = torch.cat([a, b], dim=1)\n", 4,
     "concatenated branches must agree on everything but channels"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3, padding=1)(x)\n\nb = nn.Conv2d(3, 5, 1)(x)\ny = a + b\n", 5, "they must match to be added"),
    ("input 3x8x8\na = nn.Conv2d(3, 4, 3, padding=1)(x)\nb = nn.Conv2d(5, 4, 1)(a)\n", 3, "Conv2d"),
    ("input 16x8x8\ng = torch.sigmoid(nn.Conv2d(16, 8, 1)(nn.AdaptiveAvgPool2d(1)(x)))\ny = x * g\n", 3,
     "does not broadcast over the input"),
]


@pytest.mark.parametrize(("text", "line", "message"), SHAPE_ERRORS, ids=[m for _, _, m in SHAPE_ERRORS])
def test_shapes_that_do_not_join_name_their_line(text: str, line: int, message: str) -> None:
    s = spec(text)
    with pytest.raises(ShapeError) as error:
        cc.summary(s)
    assert str(error.value).startswith(f"line {line}: ")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_cli_refuses_a_crossing_graph_in_one_line_with_exit_2(tmp_path, capsys) -> None:
    path = tmp_path / "cross.txt"
    path.write_text(ERRORS[2][0])
    assert cli.main(["summary", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "line 6" in err and "Traceback" not in err


# --- any graph: counted as torch counts it, or refused ---------------------------------------------


def _random_forward(seed: int) -> tuple[str, list[tuple[str, str, list[int], int]]]:
    """A random forward pass over 4×6×6 input: 1×1 and 3×3 convs, relus, sums of equal widths and concats,
    every value used (the leftovers are concatenated at the end). Returns the text and its steps
    (name, op, inputs, channels) for an interpreter that runs the same graph in torch."""
    import random

    rng = random.Random(seed)
    steps: list[tuple[str, str, list[int], int]] = [("x", "input", [], 4)]
    for i in range(rng.randint(3, 9)):
        op = rng.choice(["conv1", "conv3", "relu", "add", "cat", "add", "cat"])
        picks = rng.sample(range(len(steps)), min(len(steps), 2))
        if op == "add":
            widths = [j for j in range(len(steps)) if steps[j][3] == steps[picks[0]][3] and j != picks[0]]
            if not widths:
                op, picks = "conv1", picks[:1]
            else:
                picks = [picks[0], rng.choice(widths)]
        if op == "cat" and len(picks) < 2:
            op = "relu"
        picks = picks if op in ("add", "cat") else picks[:1]
        width = {"conv1": 4, "conv3": 5, "relu": steps[picks[0]][3], "add": steps[picks[0]][3],
                 "cat": sum(steps[j][3] for j in picks)}[op]
        steps.append((f"v{i}", op, picks, width))
    used = {j for _, _, inputs, _ in steps for j in inputs}
    sinks = [j for j in range(1, len(steps)) if j not in used]
    if len(sinks) > 1 or not sinks:
        sinks = sinks or [len(steps) - 1]
        steps.append(("out", "cat", sinks, sum(steps[j][3] for j in sinks)))
    lines = ["input 4x6x6 chw"]
    for name, op, inputs, _ in steps[1:]:
        a = steps[inputs[0]]
        value = {"conv1": f"nn.Conv2d({a[3]}, 4, 1)({a[0]})", "conv3": f"nn.Conv2d({a[3]}, 5, 3, padding=1)({a[0]})",
                 "relu": f"F.relu({a[0]})", "add": " + ".join(steps[j][0] for j in inputs),
                 "cat": f"torch.cat([{', '.join(steps[j][0] for j in inputs)}], dim=1)"}[op]
        lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n", steps


def _series_parallel(steps: list[tuple[str, str, list[int], int]]) -> bool:
    """Whether the dataflow graph (an edge per input read, from x to the last step) reduces to one edge by
    the textbook rules: parallel edges merge, a step with one edge in and one out is bypassed."""
    from collections import Counter

    edges = Counter((j, i) for i, (_, _, inputs, _) in enumerate(steps) for j in inputs)
    sink = len(steps) - 1
    changed = True
    while changed:
        changed = False
        for edge, n in list(edges.items()):
            if n > 1:
                edges[edge] = 1
                changed = True
        for v in range(1, sink):
            ins = [e for e in edges if e[1] == v]
            outs = [e for e in edges if e[0] == v]
            if len(ins) == 1 and len(outs) == 1:
                del edges[ins[0]], edges[outs[0]]
                edges[(ins[0][0], outs[0][1])] += 1
                changed = True
    return list(edges) == [(0, sink)]


def test_random_graphs_are_counted_as_torch_runs_them_or_refused() -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    counted = refused = grouped = 0
    for seed in range(300):
        text, steps = _random_forward(seed)
        modules = torch.nn.ModuleDict({name: torch.nn.Conv2d(steps[inputs[0]][3], width, 1 if op == "conv1" else 3,
                                                             padding=0 if op == "conv1" else 1)
                                       for name, op, inputs, width in steps if op in ("conv1", "conv3")})
        values: dict[int, Any] = {}
        sums = 0
        with torch.no_grad(), FlopCounterMode(display=False) as counter:  # the graph run step by step, as the text says
            for i, (name, op, inputs, _) in enumerate(steps):
                args = [values[j] for j in inputs]
                if op == "input":
                    values[i] = torch.zeros(1, 4, 6, 6)
                elif op in ("conv1", "conv3"):
                    values[i] = modules[name](args[0])
                elif op == "relu":
                    values[i] = torch.relu(args[0])
                elif op == "add":
                    values[i] = args[0] + args[1]
                    sums += values[i].numel()
                else:
                    values[i] = torch.cat(args, dim=1)
        try:
            r = report(text)
        except SpecError as error:
            # refused only where no nesting of blocks can say it: skips that cross, or a cat of several inputs
            # two of which share a step no other input has (one Concat cannot join them in the cat's order)
            crossing = not _series_parallel(steps)
            assert ("is not series-parallel" if crossing else "through more than one of its inputs") in str(error), (text, error)
            refused += 1
            grouped += not crossing
            continue
        assert _series_parallel(steps), text
        counted += 1
        assert r.output_shape == tuple(values[len(steps) - 1].shape[1:]), text
        assert r.totals.params == sum(p.numel() for p in modules.parameters()), text
        assert 2 * r.totals.macs == counter.get_total_flops(), text
        assert sum(row.flops for row in r.rows if row.kind == "add") == sums, text
        assert sum(row.kind in ("conv2d", "relu", "add", "cat") for row in r.rows) == len(steps) - 1, text
    assert counted > 50 and refused - grouped > 50 and grouped > 5  # every outcome is exercised


# --- mutated forward text: an answer or a ConvCalcError, never anything else -----------------------

FORWARD_LINES = [*UNET.splitlines()[1:], *INCEPTION.splitlines()[1:], *BASIC_BLOCK.splitlines()[1:],
                 *SQUEEZE.splitlines()[1:], *NESTED.splitlines()[1:], "return y", "h += x", "y = torch.stack([x, x], dim=1)"]
MUTATIONS = "xyab12()[],=+*-.# \n"


@settings(deadline=2000, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(data=st.data())
def test_mutated_forward_text_is_counted_or_refused(data: st.DataObject) -> None:
    lines = data.draw(st.lists(st.sampled_from(FORWARD_LINES), min_size=1, max_size=6))
    text = "\n".join(lines)
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 4)))
        text = text[:i] + data.draw(st.text(alphabet=MUTATIONS, max_size=3)) + text[j:]
    try:
        s = cc.parse_spec(text)
    except cc.ConvCalcError:
        return
    for shape in ((3, 64, 64), (192, 28, 28), (64, 56, 56), (8, 16, 16)):
        try:
            cc.summary(s.net, shape, layout="chw")
        except cc.ConvCalcError:
            pass
