"""The Report: the JSON contract of DESIGN.md, column sums, batch and dtype, receptive fields, formats."""

from __future__ import annotations

import csv
import io
import json

import pytest

import convcalc as cc

ROW_KEYS = {"index", "path", "kind", "depth", "input_shape", "output_shape", "params", "weights", "biases",
            "macs", "flops", "activation_bytes", "receptive_field", "formula"}
TOTAL_KEYS = {"params", "trainable_params", "macs", "flops", "activation_bytes", "param_bytes"}


@pytest.fixture(scope="module")
def alexnet() -> cc.Report:
    return cc.summary("alexnet")


def test_json_has_every_contract_key(alexnet: cc.Report) -> None:
    data = json.loads(alexnet.to_json())
    assert {"model", "input_shape", "batch", "dtype_bytes", "rows", "totals"} <= set(data)
    assert (data["model"], data["input_shape"], data["batch"], data["dtype_bytes"]) == ("alexnet", [3, 227, 227], 1, 4)
    assert all(ROW_KEYS <= set(row) for row in data["rows"])
    assert TOTAL_KEYS <= set(data["totals"])
    first = data["rows"][0]
    # DESIGN.md's example row, itself checked by hand: 96·(3·11²) = 34,848 weights, 96·55²·363 MACs,
    # 96·55²·4 bytes = 1,161,600
    assert first == {**first, "index": 1, "path": "features.0", "kind": "conv2d", "depth": 1,
                     "input_shape": [3, 227, 227], "output_shape": [96, 55, 55], "params": 34944,
                     "weights": 34848, "biases": 96, "macs": 105415200, "flops": 210830400,
                     "activation_bytes": 1161600, "receptive_field": [11, 11],
                     "formula": "⌊(227+2·0−11)/4⌋+1 = 55"}
    assert data["totals"]["param_bytes"] == 249_513_376  # 62,378,344 · 4


def test_columns_sum_to_totals(alexnet: cc.Report) -> None:
    t = alexnet.totals
    for column in ("params", "macs", "flops", "buffers"):
        assert sum(getattr(r, column) for r in alexnet.rows) == getattr(t, column)
    assert sum(r.activation_bytes for r in alexnet.rows) + t.input_bytes == t.activation_bytes
    assert all(r.params == r.weights + r.biases for r in alexnet.rows)
    assert [r.index for r in alexnet.rows] == list(range(1, len(alexnet.rows) + 1))


def test_activation_bytes_by_hand() -> None:
    # input 3·32·32·4 = 12,288 bytes; conv output 10·32·32·4 = 40,960; in-place ReLU adds nothing
    report = cc.summary(cc.Sequential(cc.Conv2d(3, 10, 5, padding=2), cc.ReLU(inplace=True)), (3, 32, 32))
    assert [r.activation_bytes for r in report.rows] == [40_960, 0]
    assert report.totals.activation_bytes == 53_248
    assert report.totals.input_bytes == 12_288


def test_separable_counts_its_intermediate_tensor() -> None:
    # depthwise output 8·10·10 and pointwise output 16·10·10 are both new tensors: 2,400 · 4 bytes
    report = cc.summary(cc.SeparableConv2d(8, 16, 3, padding=1), (8, 10, 10))
    assert report.rows[0].activation_bytes == 9_600


def test_batch_scales_work_not_parameters() -> None:
    one, eight = cc.summary("lenet5"), cc.summary("lenet5", batch=8)
    assert eight.totals.params == one.totals.params
    assert eight.totals.macs == 8 * one.totals.macs
    assert eight.totals.flops == 8 * one.totals.flops
    assert eight.totals.activation_bytes == 8 * one.totals.activation_bytes


def test_dtype_sets_bytes() -> None:
    half = cc.summary("lenet5", dtype="float16")
    assert half.dtype_bytes == 2
    assert half.totals.param_bytes == 2 * 61_706


def test_input_shape_as_text() -> None:
    assert cc.summary(cc.ReLU(), "3x4x5").input_shape == (3, 4, 5)


def test_alexnet_receptive_fields_by_hand(alexnet: cc.Report) -> None:
    # r grows by (k−1)·jump, jump multiplies by the stride:
    # conv1 11 (jump 4); pool1 11+2·4 = 19 (8); conv2 19+4·8 = 51; pool2 51+2·8 = 67 (16);
    # conv3 67+2·16 = 99; conv4 131; conv5 163; pool3 163+2·16 = 195 (32)
    rf = [r.receptive_field[0] for r in alexnet.rows if r.kind in ("conv2d", "maxpool2d")]
    assert rf == [11, 19, 51, 67, 99, 131, 163, 195]


def test_receptive_field_through_dilation_and_transposed_conv() -> None:
    # dilated 3×3 (D=2) reads 5 positions: 1 + 2·(3−1) = 5; a second plain 3×3 adds 2 → 7
    report = cc.summary(cc.Sequential(cc.Conv2d(1, 1, 3, dilation=2), cc.Conv2d(1, 1, 3)), (1, 16, 16))
    assert [r.receptive_field for r in report.rows] == [(5, 5), (7, 7)]
    # stride-2 conv (rf 3, jump 2), then a 4×4 stride-2 transposed conv: each output reads taps
    # j ≡ residue (mod 2) — two inputs, one apart — so rf = 3 + 1·2 = 5 and the jump is back to 1
    up = cc.summary(cc.Sequential(cc.Conv2d(1, 1, 3, stride=2), cc.ConvTranspose2d(1, 1, 4, stride=2)), (1, 9, 9))
    assert up.rows[1].receptive_field == (5, 5)


def test_linear_after_flatten_sees_everything() -> None:
    # conv 3×3 on 5×5: rf 3 over 3 positions one apart; Linear reads all: 3 + (3−1)·1 = 5 = the input
    report = cc.summary(cc.Sequential(cc.Conv2d(1, 1, 3), cc.Flatten(), cc.Linear(9, 2)), (1, 5, 5))
    assert report.rows[-1].receptive_field == (5, 5)


def test_feature_only_networks_have_no_spatial_field() -> None:
    report = cc.summary(cc.Sequential(cc.Linear(10, 5), cc.ReLU()), (10,))
    assert report.rows[0].receptive_field == ()


@pytest.mark.parametrize("fmt, marker", [("markdown", "| path"), ("latex", r"\toprule"), ("html", "<table>"),
                                         ("table", "62,378,344")])
def test_formats_render(alexnet: cc.Report, fmt: str, marker: str) -> None:
    text = alexnet.render(fmt)
    assert marker in text
    assert "Conv2d(3, 96, 11, stride=4)" in text


def test_csv_rows_and_columns(alexnet: cc.Report) -> None:
    rows = list(csv.DictReader(io.StringIO(alexnet.to_csv())))
    assert len(rows) == len(alexnet.rows)
    assert rows[0]["output_shape"] == "96x55x55" and rows[0]["params"] == "34944"


def test_table_is_str_and_html_repr(alexnet: cc.Report) -> None:
    assert str(alexnet) == alexnet.render("table")
    assert alexnet._repr_html_().startswith("<table>")
    lines = str(alexnet).splitlines()
    assert lines[0] == "alexnet: input 3×227×227, batch 1, float32"
    total = next(line for line in lines if " total " in line)
    assert "62,378,344" in total and "1,135,256,096" in total


def test_human_numbers(alexnet: cc.Report) -> None:
    text = alexnet.render("table", human=True)
    assert "62.38 M" in text and "1.14 G" in text


def test_unknown_format() -> None:
    with pytest.raises(cc.SpecError, match="unknown format 'pdf'"):
        cc.summary("lenet5").render("pdf")


def test_separable_parts_are_visible_in_table_and_json() -> None:
    report = cc.summary(cc.SeparableConv2d(8, 16, 3, padding=1), (8, 10, 10))
    text = str(report)
    assert "↳ depthwise" in text and "↳ pointwise" in text
    parts = json.loads(report.to_json())["rows"][0]["parts"]
    assert [p["name"] for p in parts] == ["depthwise", "pointwise"]
    assert sum(p["params"] for p in parts) == report.totals.params


# --- depth: rows merged into their blocks ------------------------------------------------------


def test_depth_0_of_resnet50_is_its_top_level_with_block_sums() -> None:
    report = cc.summary("resnet50", depth=0)
    assert [r.path for r in report.rows] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                                           "avgpool", "flatten", "fc"]
    layer1 = report.rows[4]
    # By hand, torchvision's layer1: the first bottleneck 64·64 + 9·64·64 + 64·256 convs, 2·(64 + 64 + 256) BN,
    # and a 64·256 downsample with BN 2·256 = 75,008; the other two 256·64 + 9·64·64 + 64·256 + 2·384 = 70,400 each.
    assert layer1.params == 75_008 + 2 * 70_400 == 215_808
    assert (layer1.kind, layer1.depth, layer1.input_shape, layer1.output_shape) == ("sequential", 0, (64, 56, 56),
                                                                                   (256, 56, 56))
    # rows per bottleneck: 3 × (conv, bn, relu) less the last relu = 8, the add and the relu after it = 10,
    # plus the first one's shortcut conv and bn: 12 + 10 + 10
    assert layer1.layer == "Sequential: 32 layers"
    full = cc.summary("resnet50")
    inside = [r for r in full.rows if r.path.startswith("layer1.")]
    assert len(inside) == 32 and layer1.index == inside[0].index
    assert layer1.receptive_field == inside[-1].receptive_field and layer1.macs == sum(r.macs for r in inside)


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "mobilenet_v3_small", "densenet121", "convnext_tiny"])
def test_depth_never_changes_the_totals_or_the_output(name: str) -> None:
    full = cc.summary(name)
    for depth in range(5):
        merged = full.at_depth(depth)
        assert merged.totals == full.totals
        assert merged.output_shape == full.output_shape
        assert all(r.depth <= depth for r in merged.rows)
        assert merged.warnings == full.warnings  # still named by the leaf that warns
    deepest = max(r.depth for r in full.rows)
    assert full.at_depth(deepest).rows == full.rows


def test_depth_in_json_and_the_library_call_agree() -> None:
    assert cc.summary("resnet18", depth=1).to_dict() == cc.summary("resnet18").at_depth(1).to_dict()


@pytest.mark.parametrize("depth", [-1, 1.5, True, "1"])
def test_bad_depth_is_refused(depth: object) -> None:
    with pytest.raises(cc.SpecError, match="depth must be a whole number"):
        cc.summary("lenet5").at_depth(depth)  # type: ignore[arg-type]


def test_depth_names_torch_blocks_by_their_class() -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    class Stem(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.bn = nn.BatchNorm2d(8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.bn(self.conv(x))

    net = nn.Sequential(Stem(), nn.Flatten(), nn.Linear(8 * 6 * 6, 2))
    rows = cc.summary(net, (3, 8, 8), depth=0).rows
    assert [(r.path, r.kind) for r in rows] == [("0", "stem"), ("1", "flatten"), ("2", "linear")]
    assert rows[0].params == 3 * 8 * 9 + 8 + 2 * 8  # conv weights and bias, BN weight and bias


# --- to_dataframe ------------------------------------------------------------------------------


def test_to_dataframe_has_one_row_per_layer(alexnet: cc.Report) -> None:
    pytest.importorskip("pandas")
    df = alexnet.to_dataframe()
    assert list(df.index) == list(range(1, 22)) and df.index.name == "index"
    assert int(df["params"].sum()) == 62_378_344 and int(df["macs"].sum()) == 1_135_256_096
    assert df.loc[1, "output_shape"] == (96, 55, 55) and df.loc[1, "kind"] == "conv2d"
    assert {"path", "kind", "depth", "flops", "activation_bytes", "receptive_field"} <= set(df.columns)


def test_to_dataframe_without_pandas_says_how_to_get_it(alexnet: cc.Report, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ModuleNotFoundError
    with pytest.raises(cc.ConvCalcError, match="pip install pandas"):
        alexnet.to_dataframe()
