"""The lecture notes in ../shared/seeds, row by row.

Every expected number here is copied from a slide (seed file named beside it)
or derived by hand in the comment next to it — never from convcalc's output.
"""

from __future__ import annotations

import pytest

import convcalc as cc

# --- seed 000 (IIT Guwahati, "Building blocks of CNN"): the 1×28×28 table -----------------

SEED000_NET = cc.Sequential(
    cc.Conv2d(1, 32, kernel_size=5),  # nn.Conv2d(1, 32, kernel_size=5)
    cc.MaxPool2d(kernel_size=3),      # F.max_pool2d(., kernel_size=3)
    cc.ReLU(),                        # F.relu(.)
    cc.Conv2d(32, 64, kernel_size=5), # nn.conv2d(32, 64, kernel_size=5)
    cc.MaxPool2d(kernel_size=2),      # F.max_pool2d(., kernel_size=2)
    cc.ReLU(),
    cc.Flatten(),                     # x.view(-1, 256)
    cc.Linear(256, 200),
    cc.ReLU(),
    cc.Linear(200, 10),
)

# (output size, # parameters, # products) exactly as the slide's table writes them.
SEED000_TABLE = [
    ((32, 24, 24), 832, 460_800),   # 32·(5²+1) = 832; 32·24²·5² = 460800
    ((32, 8, 8), 0, 0),
    ((32, 8, 8), 0, 0),
    ((64, 4, 4), 51_264, 819_200),  # 64·(32·5²+1) = 51264; 64·32·4²·5² = 819200
    ((64, 2, 2), 0, 0),
    ((64, 2, 2), 0, 0),
    ((256,), 0, 0),
    ((200,), 51_400, 51_200),       # 200(256+1) = 51400; 200·256 = 51200
    ((200,), 0, 0),
    ((10,), 2_010, 2_000),          # 10(200+1) = 2010; 10·200 = 2000
]


@pytest.mark.parametrize("index", range(len(SEED000_TABLE)), ids=lambda i: f"row{i + 1}")
def test_seed000_lecture_table_row(index: int) -> None:
    row = cc.summary(SEED000_NET, (1, 28, 28)).rows[index]
    shape, params, products = SEED000_TABLE[index]
    assert (row.output_shape, row.params, row.macs) == (shape, params, products)


# --- seed 002 (CS231n lecture 5): the AlexNet parameter table ----------------------------

# Layer, tensor size (H×W×C as the slide writes it), weights, biases, parameters.
SEED002_ALEXNET = [
    ("Conv-1", (55, 55, 96), 34_848, 96, 34_944),
    ("MaxPool-1", (27, 27, 96), 0, 0, 0),
    ("Conv-2", (27, 27, 256), 614_400, 256, 614_656),
    ("MaxPool-2", (13, 13, 256), 0, 0, 0),
    ("Conv-3", (13, 13, 384), 884_736, 384, 885_120),
    ("Conv-4", (13, 13, 384), 1_327_104, 384, 1_327_488),
    ("Conv-5", (13, 13, 256), 884_736, 256, 884_992),
    ("MaxPool-3", (6, 6, 256), 0, 0, 0),
    ("FC-1", (4096,), 37_748_736, 4_096, 37_752_832),
    ("FC-2", (4096,), 16_777_216, 4_096, 16_781_312),
    ("FC-3", (1000,), 4_096_000, 1_000, 4_097_000),
]


def _alexnet_table_rows() -> list[cc.Row]:
    return [r for r in cc.summary("alexnet").rows if r.kind in ("conv2d", "maxpool2d", "linear")]


@pytest.mark.parametrize("expected", SEED002_ALEXNET, ids=lambda e: e[0])
def test_seed002_alexnet_row(expected: tuple) -> None:
    name, hwc, weights, biases, params = expected
    row = _alexnet_table_rows()[[e[0] for e in SEED002_ALEXNET].index(name)]
    chw = hwc if len(hwc) == 1 else (hwc[2], hwc[0], hwc[1])
    assert row.output_shape == chw
    assert (row.weights, row.biases, row.params) == (weights, biases, params)


def test_seed002_alexnet_total() -> None:
    report = cc.summary("alexnet")
    assert report.input_shape == (3, 227, 227)  # "Input Image 227x227x3"
    assert report.totals.params == 62_378_344   # "Total 62,378,344"
    # MACs by hand: conv1 96·55²·(3·11²) = 105,415,200; conv2 256·27²·(96·5²) = 447,897,600;
    # conv3 384·13²·(256·9) = 149,520,384; conv4 384·13²·(384·9) = 224,280,576;
    # conv5 256·13²·(384·9) = 149,520,384; FCs 9216·4096 + 4096² + 4096·1000 = 58,621,952.
    assert report.totals.macs == 1_135_256_096


def test_seed002_alexnet_conv1_formula() -> None:
    # W_c = 11²·3·96 = 34,848 and (227 − 11)/4 + 1 = 55, as the slide works it.
    row = cc.summary("alexnet").rows[0]
    assert row.formula == "⌊(227+2·0−11)/4⌋+1 = 55"
    assert row.receptive_field == (11, 11)


# --- seeds 002/004 (CS231n): the worked examples -----------------------------------------


def test_cs231n_ten_5x5_filters_on_32x32x3() -> None:
    # "Input volume 32x32x3, 10 5x5 filters with stride 1, pad 2": (32+2·2−5)/1+1 = 32 → 32x32x10;
    # each filter has 5·5·3 + 1 = 76 params → 76·10 = 760.
    row = cc.summary(cc.Conv2d(3, 10, 5, stride=1, padding=2), (3, 32, 32)).rows[0]
    assert row.output_shape == (10, 32, 32)
    assert row.params == 760


@pytest.mark.parametrize("stride, size", [(1, 5), (2, 3)], ids=["stride1", "stride2"])
def test_cs231n_7x7_input_3x3_filter(stride: int, size: int) -> None:
    # (7 − 3)/1 + 1 = 5 and (7 − 3)/2 + 1 = 3: both fit exactly, no warning.
    report = cc.summary(cc.Conv2d(1, 1, 3, stride=stride), (1, 7, 7))
    assert report.rows[0].output_shape == (1, size, size)
    assert report.warnings == ()


def test_cs231n_stride3_does_not_fit_but_torch_floors() -> None:
    # (7 − 3)/3 + 1 = 2.33 "doesn't fit!"; torch floors to 2, and windows at 0..2 and 3..5
    # never read the 7th column (index 6): one row and one column are lost.
    report = cc.summary(cc.Conv2d(1, 1, 3, stride=3), (1, 7, 7))
    assert report.rows[0].output_shape == (1, 2, 2)
    assert report.warnings, "the lost column must be reported"
    assert all("never read" in w and "layer 1 Conv2d" in w for w in report.warnings)
    assert len(report.warnings) == 1
    assert "the last 1 row and column of the input (7) is never read" in report.warnings[0]
    assert "an input of 6 or 9" in report.warnings[0]  # (6−3)/3 and (9−3)/3 are whole


def test_cs231n_pad_1_keeps_7x7() -> None:
    # "input 7x7, 3x3 filter, stride 1, pad with 1 pixel border => 7x7 output"
    assert cc.summary(cc.Conv2d(1, 1, 3, padding=1), (1, 7, 7)).rows[0].output_shape == (1, 7, 7)


# --- seed 003 (NUS IT5005): the FLOP formulas ---------------------------------------------


def test_seed003_conv_flops() -> None:
    # nn.Conv2d(in_channels=5, out_channels=10, kernel_size=3, stride=1, padding=1) on h'=w'=16, d'=5:
    # 2·out_channels·O_h·O_w·in_channels·k_h·k_w = 2·10·16·16·5·3·3 = 230,400
    row = cc.summary(cc.Conv2d(5, 10, 3, stride=1, padding=1), (5, 16, 16)).rows[0]
    assert row.flops == 230_400
    assert row.macs == 115_200


def test_seed003_conv_parameter_count() -> None:
    # "(kernel_size·kernel_size·in_channels·out_channels) + # of bias terms" = 3·3·5·10 + 10 = 460
    assert cc.summary(cc.Conv2d(5, 10, 3, padding=1), (5, 16, 16)).totals.params == 460


def test_seed003_maxpool_flops() -> None:
    # nn.MaxPool2d(kernel_size=2, stride=2) on 5×32×32: in_channels·O_h·O_w·(k²−1) = 5·16·16·3 = 3,840
    row = cc.summary(cc.MaxPool2d(kernel_size=2, stride=2), (5, 32, 32), layout="chw").rows[0]  # the seed's C×H×W
    assert row.output_shape == (5, 16, 16)
    assert row.flops == 3_840
    assert row.params == 0 and row.macs == 0


def test_seed003_depthwise_flops() -> None:
    # d' = 5 kernels of 3×3×1, one per input map, on 16×16 with padding 1:
    # out_channels·O_h·O_w·2·k_h·k_w = 5·16·16·2·3·3 = 23,040; params 5·3·3 + 5 = 50
    row = cc.summary(cc.DepthwiseConv2d(5, 3, padding=1), (5, 16, 16)).rows[0]
    assert row.output_shape == (5, 16, 16)
    assert row.flops == 23_040
    assert row.params == 50


def test_seed003_depthwise_separable_flops_one_pointwise_kernel() -> None:
    # The slide's formula, depthwise + pointwise, is written for ONE 1×1 kernel (one output map):
    # 5·16·16·2·3·3 + 2·(16·16·5) = 23,040 + 2,560 = 25,600
    row = cc.summary(cc.SeparableConv2d(5, 1, 3, padding=1, bias=False), (5, 16, 16)).rows[0]
    assert row.flops == 25_600


def test_seed003_depthwise_separable_flops_many_pointwise_kernels() -> None:
    # "Use multiple 1×1 kernels": with 10 of them the pointwise term is 2·10·16·16·5 = 25,600,
    # so the unit costs 23,040 + 25,600 = 48,640 FLOPs (DESIGN: 2·Cin·ΠO·Πk + 2·Cout·ΠO·Cin).
    row = cc.summary(cc.SeparableConv2d(5, 10, 3, padding=1), (5, 16, 16)).rows[0]
    assert row.flops == 48_640
    # params: depthwise 5·3·3 = 45 (no bias), pointwise 10·5 + 10 = 60
    assert (row.weights, row.biases) == (95, 10)
    assert [p.name for p in row.parts] == ["depthwise", "pointwise"]
    assert [p.flops for p in row.parts] == [23_040, 25_600]


# --- seed 001 (NUS CS5242 lecture 8): LeNet5 with 50 and 100 filters ----------------------


def test_seed001_lenet_mnist_parameters() -> None:
    # 50·3·3 + 50 = 500; 100·50·3·3 + 100 = 45,100; 4900·100 + 100 = 490,100; 100·10 + 10 = 1,010
    # "Total for 4 Layers ⇒ 536,710"
    net = cc.Sequential(
        cc.Conv2d(1, 50, 3, padding=1), cc.ReLU(), cc.MaxPool2d(2),
        cc.Conv2d(50, 100, 3, padding=1), cc.ReLU(), cc.MaxPool2d(2),
        cc.Flatten(), cc.Linear(4900, 100), cc.ReLU(), cc.Linear(100, 10),
    )
    report = cc.summary(net, (1, 28, 28))
    assert [r.params for r in report.rows if r.params] == [500, 45_100, 490_100, 1_010]
    assert report.rows[6].output_shape == (4900,)  # 100×7×7 ⇒ Reshape ⇒ 4,900
    assert report.totals.params == 536_710
