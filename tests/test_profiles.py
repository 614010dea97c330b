"""Profiles: what each other tool prints for a network, reproduced from convcalc's primitive counts.

Evidence, independent of convcalc:
- the figures each tool printed for torchvision's networks, as published in issue 8 (torchinfo 1.8.0,
  fvcore 0.1.5, thop 0.1.1, FlopCounterMode);
- hand derivations written beside the tests;
- the tools themselves, run on tests/torch_reference.py's networks and on small probe networks
  wherever they are installed (the `tools` extra; CI installs it).
"""

from __future__ import annotations

import json
import warnings

import pytest
from click.testing import CliRunner

import convcalc as cc
from convcalc.cli import cli
from convcalc.layers.base import LAYER_TYPES, PRIMITIVES, Leaf, Primitives
from convcalc.profiles import FAMILIES

# Issue 8's table: each tool's total for the torchvision network at 1×3×224×224.
PUBLISHED = {
    "alexnet_torchvision": {"torchinfo": 714_682_664, "fvcore": 714_197_696, "thop": 714_206_912, "torch": 1_428_376_960},
    "vgg16": {"torchinfo": 15_483_821_032, "fvcore": 15_470_289_408, "thop": 15_470_314_496, "torch": 30_940_528_640},
    "resnet50": {"torchinfo": 4_089_238_376, "fvcore": 4_111_512_576, "thop": 4_133_742_592, "torch": 8_178_368_512},
    "mobilenet_v2": {"torchinfo": 300_809_384, "fvcore": 314_193_216, "thop": 327_486_720, "torch": 601_548_544},
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_profiles_reproduce_the_published_figures(name: str) -> None:
    profiles = cc.summary(name, (3, 224, 224)).profiles()
    for tool, figure in PUBLISHED[name].items():
        assert profiles[tool] == figure, tool
    # FlopCounterMode charges 2 per conv/linear multiply-accumulate and nothing else: paper = torch / 2
    assert profiles["paper"] * 2 == PUBLISHED[name]["torch"]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_compare_prints_each_published_figure(name: str) -> None:
    result = CliRunner().invoke(cli, ["summary", name, "--input", "3x224x224", "--compare", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document["profiles"]) == {"paper", "torch", "fvcore", "torchinfo", "thop", "ptflops"}
    assert all(type(v) is int for v in document["profiles"].values())
    for tool, figure in PUBLISHED[name].items():
        assert document["profiles"][tool] == figure
        assert document["comparison"][tool]["total"] == figure
    text = CliRunner().invoke(cli, ["summary", name, "--input", "3x224x224", "--compare"]).output
    for tool, figure in PUBLISHED[name].items():
        assert f"{figure:,}" in text
        assert any(line.startswith(f"{tool}: ") for line in text.splitlines())  # the sentence on why


def test_resnet50_differences_by_hand() -> None:
    """ResNet-50's batch norms, counted by hand: the stem's 64 channels; per bottleneck width, width
    and 4·planes, plus 4·planes for each stage's downsample:
    stage 1: 3·(64+64+256)+256 = 1,408; stage 2: 4·(128+128+512)+512 = 3,584;
    stage 3: 6·(256+256+1024)+1024 = 10,240; stage 4: 3·(512+512+2048)+2048 = 11,264 — 26,560 in all.
    torchinfo charges each BN weight and bias once (2·26,560) and the fc bias once (1,000); thop's
    adaptive pool is (49+1)·2048 = 102,400 and fvcore's 2048·7·7 = 100,352. The batch-norm
    elements then follow from fvcore's and thop's published totals: 2 and 4 per element."""
    report = cc.summary("resnet50")
    p = report.profiles()
    assert p["torchinfo"] - p["paper"] == 2 * 26_560 + 1_000
    bn_fvcore = PUBLISHED["resnet50"]["fvcore"] - PUBLISHED["resnet50"]["torch"] // 2 - 2048 * 7 * 7
    bn_thop = PUBLISHED["resnet50"]["thop"] - PUBLISHED["resnet50"]["torch"] // 2 - (49 + 1) * 2048
    assert bn_thop == 2 * bn_fvcore  # 4 per element against 2: one count of elements under both
    assert report.primitives().norm_elements == bn_fvcore // 2
    assert report.keras_params() == {"total": 25_557_032 + 2 * 26_560, "trainable": 25_557_032,
                                     "non_trainable": 2 * 26_560}


def test_every_leaf_type_has_a_family() -> None:
    leaves = {k: cls for k, cls in LAYER_TYPES.items() if issubclass(cls, Leaf)}
    assert len(leaves) > 40
    assert [k for k, cls in leaves.items() if cls.family not in FAMILIES] == []  # (a built-in is never "custom")


def test_zoo_models_hold_each_layer_once() -> None:
    """As torchvision builds them: no module sits in two places (thop and ptflops would multiply it)."""
    assert [(n, r.path) for n in cc.models.list() for r in cc.summary(n).rows if r.registrations != 1] == []


def test_primitives_by_hand() -> None:
    """Conv2d(3, 8, 3, padding=1) on 3×8×8, batch 2: MACs 2·8·64·27 = 27,648; bias adds 2·8·64 = 1,024.
    BatchNorm: 1,024 elements. ReLU: 1,024. MaxPool2d(2): 2·8·16 = 256 outputs, 4 reads each, 1,024 in.
    The residual add: 2·8·4·4 = 256 additions."""
    net = cc.Sequential(cc.Conv2d(3, 8, 3, padding=1), cc.BatchNorm2d(8), cc.ReLU(), cc.MaxPool2d(2),
                        cc.Residual(cc.Sequential(cc.Conv2d(8, 8, 1, bias=False))))
    report = cc.summary(net, (3, 8, 8), batch=2)
    rows: dict[str, Primitives] = {}
    for r in report.rows:
        rows.setdefault(r.kind, r.primitives)  # the first of each kind
    assert rows["conv2d"].to_dict() == dict.fromkeys(PRIMITIVES, 0) | {"macs": 27_648, "bias_adds": 1_024}
    assert rows["batchnorm2d"].norm_elements == 1_024
    assert rows["relu"].activation_elements == 1_024
    assert (rows["maxpool2d"].pool_reads, rows["maxpool2d"].pool_inputs, rows["maxpool2d"].pool_outputs) == (1_024, 1_024, 256)
    assert rows["add"].add_elements == 256
    assert [r.call for r in report.rows][-1] == "+"


def test_json_rows_carry_primitives_and_depth_keeps_them() -> None:
    report = cc.summary("resnet18")
    document = report.to_dict()
    assert document["profiles"] == report.profiles()
    assert all(set(r["primitives"]) == set(PRIMITIVES) for r in document["rows"])
    merged = report.at_depth(0)
    assert merged.profiles() == report.profiles()
    for key in PRIMITIVES:
        assert sum(getattr(r.primitives, key) for r in merged.rows) == getattr(report.primitives(), key)


def test_breakdown_table_and_csv() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["summary", "resnet18", "--breakdown"]).output
    assert "bias adds" in text and "pool reads" in text
    total = cc.summary("resnet18").primitives()
    assert f"{total.add_elements:,}" in text  # 8 residual adds
    rows = runner.invoke(cli, ["summary", "mobilenet_v2", "--breakdown", "--format", "csv", "--depth", "0"]).output.splitlines()
    assert rows[0].split(",")[4:] == list(PRIMITIVES)
    assert "avgpool,adaptiveavgpool2d,F.adaptive_avg_pool2d" in rows[2]
    html = runner.invoke(cli, ["summary", "resnet50", "--compare", "--format", "html"]).output
    assert "where the difference comes from" in html and "batch norm, 4 per element +44,455,936" in html
    both = runner.invoke(cli, ["summary", "lenet5", "--breakdown", "--compare"])
    assert both.exit_code == 0 and "primitive counts" in both.output and "what each tool prints" in both.output


# --- the traps, derived by hand -------------------------------------------------------------


def test_transposed_conv_trap() -> None:
    """ConvTranspose2d(8, 4, 4, stride=2, padding=1) on 8×16×16 gives 4×32×32. True MACs: every input
    position meets 4·16 weights: 8·256·4·16 = 131,072. torchinfo charges every parameter (512 + 4)
    at every output position: 516·1024 = 528,384; thop charges output elements × 8 × 16 = 524,288."""
    report = cc.summary(cc.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (8, 16, 16))
    p = report.profiles()
    assert (p["paper"], p["torchinfo"], p["thop"], p["fvcore"]) == (131_072, 528_384, 524_288, 131_072)
    trap = report.comparison["torchinfo"].traps[0]
    assert "transposed conv" in trap.what and "4× its MACs" in trap.layers[0]


def test_linear_on_nd_input_trap() -> None:
    """Linear(32, 64) on 100×32 per sample, batch 2: 2·100·32·64 = 409,600 MACs; torchinfo charges
    its 2,112 parameters once per sample: 4,224 (about 1/97 of the MACs)."""
    report = cc.summary(cc.Linear(32, 64), (100, 32), batch=2)
    p = report.profiles()
    assert (p["paper"], p["torchinfo"], p["thop"], p["fvcore"]) == (409_600, 4_224, 409_600, 409_600)
    assert "Linear on a 3-d input" in report.comparison["torchinfo"].traps[0].what


def test_shared_layer_trap() -> None:
    """One Conv2d(8, 8, 3, padding=1) object in two Sequentials: one torch module held in two places.
    Each use: 8·256·72 = 147,456 MACs and 2,048 bias adds. thop hooks it once per place and counts it
    once per place: 2 calls · 2 hooks · 2 visits = 8·147,456 = 1,179,648. ptflops counts its two calls
    once per place: 4·(147,456 + 2,048) = 598,016."""
    conv = cc.Conv2d(8, 8, 3, padding=1)
    report = cc.summary(cc.Sequential({"a": cc.Sequential(conv), "b": cc.Sequential(conv)}), (8, 16, 16))
    assert [r.registrations for r in report.rows] == [2, 2]
    p = report.profiles()
    assert (p["paper"], p["thop"], p["ptflops"], p["torchinfo"]) == (294_912, 1_179_648, 598_016, 2 * (147_456 + 2_048))


# --- the tools themselves --------------------------------------------------------------------

torch = pytest.importorskip("torch")
from other_tools import TOOLS  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch_reference import BUILDERS, INPUTS, example_input  # noqa: E402

#: Zoo models whose 224×224 CPU forward is too slow to run through every tool here: tests/test_windowed.py holds
#: small variants of them (the same layers) to every tool, benchmarks/check_torchvision_zoo.py the full ones.
_TOO_SLOW_FOR_THE_TOOLS = {"swin_t", "maxvit_t"}


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("name", sorted(set(BUILDERS) - _TOO_SLOW_FOR_THE_TOOLS))
def test_every_zoo_profile_matches_the_tools(name: str, tool: str) -> None:
    """Each tool run on the torchvision-equivalent network prints what convcalc's profile says
    (FlopCounterMode on the meta device: it needs shapes only)."""
    expected = cc.summary(name).profiles()[tool]
    device = "meta" if tool == "torch" else "cpu"
    with torch.device(device):
        module, x = BUILDERS[name](), example_input(name, random=True)
    assert TOOLS[tool](module, x) == expected


class _Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        conv = nn.Conv2d(8, 8, 3, padding=1)
        self.a, self.b = nn.Sequential(conv, nn.ReLU()), nn.Sequential(conv, nn.ReLU())

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.b(self.a(x))


class _Twice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.conv(self.conv(x))


class _Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(16, 16), nn.Linear(16, 16)
        self.b.weight = self.a.weight

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.b(self.a(x))


class _FunctionalConv(nn.Module):
    """A functional conv inside a module with a child (so no tool takes the module for a leaf)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 8, 3, 3))
        self.act = nn.ReLU()

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.act(F.conv2d(x, self.weight, padding=1))


class _Residual(nn.Module):
    def __init__(self, inplace: bool) -> None:
        super().__init__()
        self.conv, self.inplace = nn.Conv2d(8, 8, 3, padding=1, bias=False), inplace

    def forward(self, x):  # type: ignore[no-untyped-def]
        y = self.conv(x)
        if self.inplace:
            y += x
            return y
        return y + x


class _FunctionalOps(nn.Module):
    def forward(self, x):  # type: ignore[no-untyped-def]
        return F.max_pool2d(F.relu(x), 2)


class _Calls(nn.Module):
    """A forward body that calls ``fn(x, *params)``: F.group_norm, F.prelu, … (a child, so that no tool takes the
    module for a leaf; its own parameters are the functional call's weights). ``fn`` names F.* when it runs, as a
    forward body does: ptflops patches those names while it counts."""

    def __init__(self, fn, *shapes: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.fn, self.out, self.count = fn, nn.Identity(), len(shapes)
        for i, shape in enumerate(shapes):
            self.register_parameter(f"p{i}", nn.Parameter(torch.rand(*shape)))

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.out(self.fn(x, *(getattr(self, f"p{i}") for i in range(self.count))))


#: GroupNorm, InstanceNorm, PReLU, the ELU family, LogSoftmax and the dropouts: as modules and as functional calls
NORMS = {
    "group_norm": (lambda: nn.GroupNorm(4, 8), (8, 16, 16)),
    "group_norm_plain": (lambda: nn.GroupNorm(4, 8, affine=False), (8, 16, 16)),  # fvcore: 4 per element (issue 16)
    "group_norm_1d": (lambda: nn.GroupNorm(2, 8), (8, 16)),
    "instance_norm": (lambda: nn.InstanceNorm2d(8), (8, 16, 16)),
    "instance_norm_affine": (lambda: nn.InstanceNorm2d(8, affine=True), (8, 16, 16)),
    "instance_norm_1d_tracked": (lambda: nn.InstanceNorm1d(8, affine=True, track_running_stats=True), (8, 16)),
    "instance_norm_3d": (lambda: nn.InstanceNorm3d(8, track_running_stats=True), (8, 4, 6, 6)),
    "prelu": (lambda: nn.PReLU(), (8, 16, 16)),
    "prelu_channels": (lambda: nn.PReLU(8), (8, 16, 16)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=1), (8, 16, 16)),
    "dropout_1d": (lambda: nn.Dropout1d(0.2), (8, 16)),
    "dropout_3d": (lambda: nn.Dropout3d(), (8, 4, 6, 6)),
    **{name.lower(): (getattr(nn, name), (8, 16, 16)) for name in (
        "ELU", "SELU", "CELU", "Mish", "Softplus", "Hardtanh", "Dropout2d", "AlphaDropout")},
    "f_group_norm": (lambda: _Calls(lambda x, w, b: F.group_norm(x, 4, w, b), (8,), (8,)), (8, 16, 16)),
    "f_group_norm_plain": (lambda: _Calls(lambda x: F.group_norm(x, 4)), (8, 16, 16)),
    "f_instance_norm": (lambda: _Calls(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (8,), (8,)), (8, 16, 16)),
    "f_instance_norm_plain_1d": (lambda: _Calls(lambda x: F.instance_norm(x)), (8, 16)),
    "f_prelu": (lambda: _Calls(lambda x, a: F.prelu(x, a), (8,)), (8, 16, 16)),
    "f_prelu_shared": (lambda: _Calls(lambda x, a: F.prelu(x, a), (1,)), (8, 16, 16)),
    "f_elu": (lambda: _Calls(lambda x: F.elu(x)), (8, 16, 16)),
    "f_selu": (lambda: _Calls(lambda x: F.selu(x)), (8, 16, 16)),
    "f_celu": (lambda: _Calls(lambda x: F.celu(x)), (8, 16, 16)),
    "f_mish": (lambda: _Calls(lambda x: F.mish(x)), (8, 16, 16)),
    "f_softplus": (lambda: _Calls(lambda x: F.softplus(x)), (8, 16, 16)),
    "f_hardtanh": (lambda: _Calls(lambda x: F.hardtanh(x)), (8, 16, 16)),
    "f_log_softmax": (lambda: _Calls(lambda x: F.log_softmax(x, dim=1)), (8, 16, 16)),
    "f_dropout2d": (lambda: _Calls(lambda x: F.dropout2d(x, 0.3, training=False)), (8, 16, 16)),
}

PROBES = {
    **NORMS,
    "conv_transpose": (lambda: nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (8, 16, 16)),
    "conv_transpose_1d": (lambda: nn.ConvTranspose1d(8, 4, 3, stride=2), (8, 16)),
    "linear_3d": (lambda: nn.Linear(32, 64), (100, 32)),
    "shared": (_Shared, (8, 16, 16)),
    "called_twice": (_Twice, (8, 16, 16)),
    "tied": (_Tied, (16,)),
    "functional_conv": (_FunctionalConv, (8, 16, 16)),
    "residual_plus": (lambda: _Residual(False), (8, 16, 16)),
    "residual_inplace": (lambda: _Residual(True), (8, 16, 16)),
    "functional_ops": (_FunctionalOps, (8, 16, 16)),
    "conv1d": (lambda: nn.Conv1d(8, 4, 3), (8, 16)),
    "conv3d": (lambda: nn.Conv3d(8, 4, 3), (8, 5, 6, 6)),
    "depthwise": (lambda: nn.Conv2d(8, 8, 3, groups=8), (8, 16, 16)),
    "softmax": (lambda: nn.Softmax(dim=1), (8, 16, 16)),
    "max_pool": (lambda: nn.MaxPool2d(3, 2, 1), (8, 16, 16)),
    "avg_pool": (lambda: nn.AvgPool2d(3, 2, 1), (8, 16, 16)),
    "max_pool_1d": (lambda: nn.MaxPool1d(3, 2), (8, 16)),
    "avg_pool_3d": (lambda: nn.AvgPool3d(2), (8, 4, 6, 6)),
    "adaptive_avg_uneven": (lambda: nn.AdaptiveAvgPool2d(5), (8, 16, 16)),
    "adaptive_avg_1d": (lambda: nn.AdaptiveAvgPool1d(5), (8, 16)),
    "adaptive_avg_3d": (lambda: nn.AdaptiveAvgPool3d(2), (8, 4, 6, 6)),
    "adaptive_max": (lambda: nn.AdaptiveMaxPool2d(5), (8, 16, 16)),
    "batch_norm": (lambda: nn.BatchNorm2d(8), (8, 16, 16)),
    "batch_norm_plain": (lambda: nn.BatchNorm2d(8, affine=False), (8, 16, 16)),
    "batch_norm_1d": (lambda: nn.BatchNorm1d(8), (8,)),
    "layer_norm": (lambda: nn.LayerNorm(16), (8, 16, 16)),
    "layer_norm_plain": (lambda: nn.LayerNorm(16, elementwise_affine=False), (8, 16, 16)),
    "local_response_norm": (lambda: nn.LocalResponseNorm(5), (8, 16, 16)),
    # padding layers: a copy, which no tool charges (family "none"); the conv after it counts on the padded input
    "zero_pad_then_conv": (lambda: nn.Sequential(nn.ZeroPad2d((1, 2, 0, 1)), nn.Conv2d(8, 4, 3)), (8, 16, 16)),
    "constant_pad": (lambda: nn.ConstantPad2d(2, 1.5), (8, 16, 16)),
    "reflection_pad_1d": (lambda: nn.ReflectionPad1d((3, 1)), (8, 16)),
    "replication_pad": (lambda: nn.ReplicationPad2d(2), (8, 16, 16)),
    "circular_pad_3d": (lambda: nn.CircularPad3d(1), (8, 4, 6, 6)),
    **{name.lower(): (getattr(nn, name), (8, 16, 16)) for name in (
        "ReLU", "ReLU6", "SiLU", "GELU", "Hardswish", "Hardsigmoid", "Sigmoid", "Tanh", "LeakyReLU", "Identity",
        "Flatten", "Dropout", "ChannelShuffle")},
}
PROBES["channelshuffle"] = (lambda: nn.ChannelShuffle(2), (8, 16, 16))


class _Interpolate(nn.Module):
    """F.interpolate in a forward body (after a conv, so that no tool takes the module for a leaf)."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.conv, self.kwargs = nn.Conv2d(8, 8, 1), kwargs

    def forward(self, x):  # type: ignore[no-untyped-def]
        return F.interpolate(self.conv(x), **self.kwargs)


class _DeprecatedUpsample(_Interpolate):
    """F.upsample (deprecated; it calls F.interpolate): ptflops patches both, so counts it twice."""

    def forward(self, x):  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return F.upsample(self.conv(x), **self.kwargs)


class _PixelShuffleCrop(nn.Module):
    """ESPCN's F.pixel_shuffle and U-Net's crop by slicing, in a forward body."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        y = F.pixel_shuffle(self.conv(x), 2)
        return y[:, :, 3:27, 2:26]


# resampling: nn.Upsample is hooked by thop and ptflops (whose patched F.interpolate, which Upsample's forward
# calls, counts it a second time); fvcore counts aten::upsample_nearest2d and upsample_bilinear2d only
PROBES.update({
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (8, 16, 16)),
    "upsample_nearest_size": (lambda: nn.Upsample(size=(20, 24)), (8, 16, 16)),
    "upsample_nearest_exact": (lambda: nn.Upsample(scale_factor=3, mode="nearest-exact"), (8, 16, 16)),
    "upsample_bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), (8, 16, 16)),
    "upsample_bilinear_corners": (lambda: nn.Upsample(size=31, mode="bilinear", align_corners=True), (8, 16, 16)),
    "upsample_bicubic": (lambda: nn.Upsample(scale_factor=1.5, mode="bicubic"), (8, 16, 16)),
    "upsample_linear": (lambda: nn.Upsample(scale_factor=2.5, mode="linear"), (8, 16)),
    "upsample_nearest_1d": (lambda: nn.Upsample(scale_factor=2), (8, 16)),
    "upsample_trilinear": (lambda: nn.Upsample(scale_factor=2, mode="trilinear"), (8, 4, 6, 6)),
    "upsample_nearest_3d": (lambda: nn.Upsample(scale_factor=(1, 2, 2)), (8, 4, 6, 6)),
    "upsample_tuple_scale": (lambda: nn.Upsample(scale_factor=(1.5, 2.0)), (8, 16, 16)),  # ptflops truncates each factor
    "upsampling_nearest2d": (lambda: nn.UpsamplingNearest2d(scale_factor=2), (8, 16, 16)),
    "upsampling_bilinear2d": (lambda: nn.UpsamplingBilinear2d(size=(24, 20)), (8, 16, 16)),
    "interpolate_bilinear": (lambda: _Interpolate(scale_factor=2, mode="bilinear"), (8, 16, 16)),
    "interpolate_nearest_size": (lambda: _Interpolate(size=(20, 24)), (8, 16, 16)),
    "upsample_functional_size": (lambda: _DeprecatedUpsample(size=(20, 24), mode="bilinear"), (8, 16, 16)),
    "upsample_functional_scale": (lambda: _DeprecatedUpsample(scale_factor=2), (8, 16, 16)),
    "interpolate_bicubic_corners": (lambda: _Interpolate(scale_factor=1.5, mode="bicubic", align_corners=True), (8, 16, 16)),
    "pixel_shuffle": (lambda: nn.PixelShuffle(2), (8, 16, 16)),
    "pixel_shuffle_crop": (_PixelShuffleCrop, (8, 16, 16)),
    "pixel_unshuffle": (lambda: nn.PixelUnshuffle(2), (8, 16, 16)),
    "unfold_fold": (lambda: nn.Sequential(nn.Unfold(3, padding=1), nn.Fold((16, 16), 3, padding=1)), (8, 16, 16)),
    "unflatten": (lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (8, 16, 16))), (8, 16, 16)),
    "center_crop": (lambda: cc.to_torch(cc.CenterCrop(10)), (8, 16, 16)),
})

# Swin's and MaxViT's layers (convcalc's modules make the calls torchvision's do: tests/test_windowed.py holds them
# to plain-torch references and the tools on whole networks)
PROBES.update({
    "window_attention_shifted": (lambda: cc.to_torch(cc.ShiftedWindowAttention(8, 4, 2, 2)), (6, 6, 8)),
    "window_attention_no_qkv_bias": (lambda: cc.to_torch(cc.ShiftedWindowAttention(8, 3, 0, 2, qkv_bias=False)), (6, 6, 8)),
    "relative_position_attention": (lambda: cc.to_torch(cc.RelativePositionalMultiHeadAttention(8, 4, 4)), (3, 4, 8)),
    "patch_merging_odd": (lambda: cc.to_torch(cc.PatchMerging(4)), (5, 6, 4)),
    "window_partitions": (lambda: cc.to_torch(cc.Sequential(cc.WindowPartition(2), cc.SwapAxes(-2, -3), cc.SwapAxes(-2, -3),
                                                            cc.WindowDepartition(2, 2, 3))), (3, 4, 6)),
})


class _Unpool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool, self.unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.unpool(*self.pool(x))


def test_max_unpool_profiles_match_the_tools_that_run_it() -> None:
    """MaxUnpool2d counts 0 in every tool (the max pool before it is what they charge); fvcore 0.1.5 cannot trace
    it at all under torch 2.13 (F.max_unpool2d's size check meets traced sizes), so its profile is not checked."""
    profiles = cc.from_torch(_Unpool(), (8, 16, 16), layout="chw").profiles()
    x = torch.randn(1, 8, 16, 16)
    assert profiles["ptflops"] == 2 * 8 * 16 * 16  # the max pool: its input elements, module hook and patched F.max_pool2d
    for tool, run in TOOLS.items():
        if tool == "fvcore":
            with pytest.raises(TypeError):
                run(_Unpool(), x)
            continue
        assert run(_Unpool(), x) == profiles[tool], tool


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_profiles_match_the_tools(name: str) -> None:
    """One layer or one trap at a time, counted by from_torch and by every tool."""
    make, shape = PROBES[name]
    profiles = cc.from_torch(make(), shape, layout="chw").profiles()
    x = torch.randn(1, *shape)
    for tool, run in TOOLS.items():
        torch.manual_seed(0)
        assert run(make(), x) == profiles[tool], tool


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "squeezenet1_1"])
def test_profiles_scale_with_the_batch(name: str) -> None:
    """Every tool but ptflops counts the batch it is given; ptflops always counts one sample."""
    one, four = cc.summary(name).profiles(), cc.summary(name, batch=4).profiles()
    assert four == {k: 4 * v for k, v in one.items()}
    x = torch.randn(4, *INPUTS[name])
    for tool, run in TOOLS.items():
        if tool != "ptflops":
            assert run(BUILDERS[name](), x) == four[tool], tool


def test_a_spec_network_with_a_shared_layer_matches_the_tools() -> None:
    """The same Conv2d object used in two blocks: to_torch holds one module in two places."""
    conv = cc.Conv2d(8, 8, 3, padding=1)
    net = cc.Sequential({"a": cc.Sequential(conv, cc.ReLU()), "b": cc.Sequential(conv, cc.ReLU()),
                        "up": cc.ConvTranspose2d(8, 4, 4, stride=2, padding=1)})
    profiles = cc.summary(net, (8, 16, 16)).profiles()
    x = torch.randn(1, 8, 16, 16)
    for tool, run in TOOLS.items():
        assert run(cc.to_torch(net, (8, 16, 16)), x) == profiles[tool], tool


def test_the_parameter_traps_the_readme_names() -> None:
    """Tied and shared weights change no FLOP count, but torchinfo's and thop's parameter totals count
    them again: a Linear(16, 16) pair sharing one 256-element weight has 256 + 2·16 = 288 parameters;
    a Conv2d(8, 8, 3) (584 parameters) held by two parents is 584."""
    torchinfo = pytest.importorskip("torchinfo")
    thop = pytest.importorskip("thop")
    assert cc.from_torch(_Tied(), (16,)).totals.params == 288
    assert cc.from_torch(_Shared(), (8, 16, 16)).totals.params == 584
    with torch.no_grad():
        assert torchinfo.summary(_Tied(), input_data=torch.randn(1, 16), verbose=0).total_params == 2 * 272
        assert torchinfo.summary(_Shared(), input_data=torch.randn(1, 8, 16, 16), verbose=0).total_params == 3 * 584
        assert thop.profile(_Tied(), inputs=(torch.randn(1, 16),), verbose=False)[1] == 2 * 272


# --- issue 16: what the Python call showed, and profiles that say where they are not exact ------


class _Forward(nn.Module):
    """A forward body written as a function of the module and its input (one child, so no tool takes it for a leaf)."""

    def __init__(self, forward, **params: torch.Tensor) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._fn, self.child = forward, nn.Identity()
        for name, value in params.items():
            self.register_parameter(name, nn.Parameter(value))

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self._fn(self, self.child(x))


def _norm_call(call: str, affine: bool) -> _Forward:
    """F.batch_norm / F.group_norm / F.layer_norm over 4 channels, with a weight and bias or none."""
    params = {"weight": torch.rand(4), "bias": torch.rand(4)} if affine else {}

    def forward(m, x):  # type: ignore[no-untyped-def]
        w, b = getattr(m, "weight", None), getattr(m, "bias", None)
        if call == "batch_norm":
            return F.batch_norm(x, m.mean, m.var, w, b)
        if call == "group_norm":
            return F.group_norm(x, 2, w, b)
        return F.layer_norm(x, (4,), w, b)
    module = _Forward(forward, **params)
    module.register_buffer("mean", torch.zeros(4))
    module.register_buffer("var", torch.ones(4))
    return module


CALL_PROBES = {
    # fvcore: "without affine" is 1 (batch norm) or 4 (layer and group norm) per element, read off the call's weight
    **{f"f_{call}{'' if affine else '_plain'}": ((lambda c=call, a=affine: _norm_call(c, a)), (4, 6, 4))
       for call in ("batch_norm", "group_norm", "layer_norm") for affine in (True, False)},
    # fvcore 0.1.5 counts aten::_convolution_mode (padding named) as 0; a reflect-padded conv pads first and counts
    "conv_same": (lambda: nn.Conv2d(4, 8, 3, padding="same"), (4, 10, 10)),
    "conv_valid": (lambda: nn.Conv2d(4, 8, 3, padding="valid"), (4, 10, 10)),
    "conv_same_reflect": (lambda: nn.Conv2d(4, 8, 3, padding="same", padding_mode="reflect"), (4, 10, 10)),
    "f_conv2d_same": (lambda: _Forward(lambda m, x: F.conv2d(x, m.w, padding="same"), w=torch.randn(8, 4, 3, 3)), (4, 10, 10)),
    # ptflops patches torch.matmul, torch.mm and the method x.matmul; not @, F.linear or torch.einsum
    "torch_matmul_2d": (lambda: _Forward(lambda m, x: torch.matmul(x, m.w), w=torch.randn(5, 2)), (5,)),
    "torch_mm": (lambda: _Forward(lambda m, x: torch.mm(x, m.w), w=torch.randn(5, 2)), (5,)),
    "method_matmul": (lambda: _Forward(lambda m, x: x.matmul(m.w), w=torch.randn(5, 2)), (3, 5)),
    "operator_matmul": (lambda: _Forward(lambda m, x: x @ m.w, w=torch.randn(5, 2)), (3, 5)),
    "f_linear_no_bias": (lambda: _Forward(lambda m, x: F.linear(x, m.w), w=torch.randn(2, 5)), (5,)),
    "einsum": (lambda: _Forward(lambda m, x: torch.einsum("bij,jk->bik", x, m.w), w=torch.randn(5, 2)), (3, 5)),
    # ptflops patches F.softmax only, and F.relu but not torch.relu; x.add but not +
    "f_log_softmax": (lambda: _Forward(lambda m, x: F.log_softmax(x, dim=1)), (6,)),
    "torch_relu": (lambda: _Forward(lambda m, x: torch.relu(x)), (4, 5, 5)),
    "method_add_and_operator": (lambda: _Forward(lambda m, x: x.add(x) + x), (4, 5, 5)),
    # F.adaptive_avg_pool2d to 1×1 reaches aten as a mean; fvcore and ptflops count the call
    "f_adaptive_avg_pool_1": (lambda: _Forward(lambda m, x: F.adaptive_avg_pool2d(x, 1)), (4, 6, 6)),
    "f_adaptive_avg_pool_2": (lambda: _Forward(lambda m, x: F.adaptive_avg_pool2d(x, 2)), (4, 6, 6)),
    # fvcore's JIT trace drops work whose result is never used; the module hooks count it
    "unused_branch": (lambda: _Forward(lambda m, x: (F.linear(x, m.w), x * 2)[1], w=torch.randn(3, 5)), (5,)),
}


@pytest.mark.parametrize("name", sorted(CALL_PROBES))
def test_call_probe_profiles_match_the_tools(name: str) -> None:
    """Each cause issue 16 found, one probe each, counted by from_torch and by every tool: equal, and exact."""
    make, shape = CALL_PROBES[name]
    comparison = cc.from_torch(make(), shape, layout="chw").comparison
    x = torch.randn(1, *shape)
    for tool, run in TOOLS.items():
        assert (run(make(), x), comparison[tool].exact) == (comparison[tool].total, True), tool


def test_from_torch_records_the_python_call() -> None:
    """The call column says how the forward wrote each op; torch reports x.add(y) and x + y alike, the
    caller's instruction tells them apart."""
    report = cc.from_torch(CALL_PROBES["method_add_and_operator"][0](), (4, 5, 5))
    assert [(r.kind, r.call) for r in report.rows] == [("identity", "module"), ("add", "x.add"), ("add", "+")]
    assert [r.call for r in cc.from_torch(CALL_PROBES["torch_matmul_2d"][0](), (5,)).rows if r.macs] == ["torch.matmul"]


class _BroadcastMatmul(nn.Module):
    """torch.matmul(w, x) with w 3×4 broadcast over x's 2×4×5 per sample: 2·3·4·5 = 120 multiply-accumulates
    (FlopCounterMode: 240 FLOPs); fvcore and ptflops charge the first operand's elements × the columns, 12·5 = 60."""

    def __init__(self) -> None:
        super().__init__()
        self.w, self.child = nn.Parameter(torch.randn(3, 4)), nn.Identity()

    def forward(self, x):  # type: ignore[no-untyped-def]
        return torch.matmul(self.w, self.child(x))


def test_compare_says_where_a_profile_is_not_exact() -> None:
    from convcalc.rendering import comparison, comparison_dict, render

    report = cc.from_torch(_BroadcastMatmul(), (2, 4, 5))
    x = torch.randn(1, 2, 4, 5)
    assert (TOOLS["fvcore"](_BroadcastMatmul(), x), TOOLS["ptflops"](_BroadcastMatmul(), x)) == (60, 60)
    assert TOOLS["torch"](_BroadcastMatmul(), x) == 240 == report.comparison["torch"].total
    flagged = {name for name, p in report.comparison.items() if not p.exact}
    assert flagged == {"fvcore", "ptflops"}
    mm = next(r.where for r in report.rows if r.macs)
    text = render(comparison(report), "table")
    for tool in ("fvcore", "ptflops"):
        line = next(line for line in text.splitlines() if line.startswith(f"{tool}: "))
        assert line.startswith(f"{tool}: not exact: 1 row ({mm}): a matmul whose first operand is broadcast"), line
    assert "≈120" in text
    document = comparison_dict(report)["comparison"]
    assert document["fvcore"]["exact"] is False and document["fvcore"]["not_exact"][0]["layers"] == [mm]
    assert document["torch"]["exact"] is True and document["torch"]["not_exact"] == []
    # the same network without the broadcast: nothing to say
    clean = cc.from_torch(_BroadcastMatmul(), (4, 5))
    assert all(p.exact for p in clean.comparison.values())
    assert "not exact" not in render(comparison(clean), "table") and "≈" not in render(comparison(clean), "table")


def test_tools_see_module_classes_not_layers() -> None:
    """Layers of a class torch does not define, and leaf modules convcalc reads op by op, against the tools.

    thop and ptflops hook a module by its exact class: a subclass of nn.Conv2d/nn.ReLU/nn.LayerNorm is read by
    convcalc as its layer but not hooked there (ptflops still counts the F.relu its forward calls). torchinfo
    charges every leaf module's parameters by their names whatever its class: ``ConvLike`` (its name holds
    "Conv", computed with F.conv2d) has its weight (8·3·3·3 = 216) and bias (8) charged at each of 1·8·8 output
    positions, 14,336 in all; ``Affine``'s ``weight`` (8) once per sample, its ``shift_bias`` (8) once per output
    row (1·8), its ``gamma`` (8) not at all: 8 + 64 = 72."""
    torch = pytest.importorskip("torch")
    from other_tools import TOOLS
    from torch import nn
    from torch.nn import functional as F

    class MyConv(nn.Conv2d):
        pass

    class MyReLU(nn.ReLU):
        pass

    class ConvLike(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.randn(8, 3, 3, 3))
            self.bias = nn.Parameter(torch.zeros(8))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.conv2d(x, self.weight, self.bias, padding=1)

    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(8, 1, 1))
            self.shift_bias = nn.Parameter(torch.zeros(8, 1, 1))
            self.gamma = nn.Parameter(torch.ones(8, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.weight * self.gamma + self.shift_bias

    def make() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(ConvLike(), Affine(), MyReLU(), MyConv(8, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 1))

    report = cc.from_torch(make(), (3, 8, 8), layout="chw")
    x = torch.randn(1, 3, 8, 8)
    for tool in ("torchinfo", "thop", "ptflops", "fvcore"):  # (the figure, also where a row is flagged)
        assert report.comparison[tool].total == TOOLS[tool](make(), x), tool
    parts = report.comparison["torchinfo"].terms
    assert parts["parameters of leaf modules read op by op, by their names"] == (216 + 8) * 64 + 8 + 8 * 8
