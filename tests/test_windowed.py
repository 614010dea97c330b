"""Swin's and MaxViT's layers (convcalc/layers/windowed.py) and the swin_t and maxvit_t zoo entries, against torch.

The oracles: the plain-torch Swin-T and MaxViT-T of tests/torch_reference.py (written from torchvision's
description, never from convcalc), FlopCounterMode on them, and the four other tools run on them (small variants:
the full models need 224×224 CPU forwards, which benchmarks/check_torchvision_zoo.py runs against torchvision's own
models instead).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import convcalc as cc
from convcalc.models.maxvit import maxvit
from convcalc.models.swin import swin

torch = pytest.importorskip("torch")
from other_tools import TOOLS  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from torch_reference import BUILDERS, MaxViT, MaxVitAttention, SwinAttention, SwinMerge, SwinT  # noqa: E402


def flop_counter(module: torch.nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    return int(counter.get_total_flops())


# --- the zoo entries, whole, against the references (meta device: shapes only) ---


@pytest.mark.parametrize("name", ["swin_t", "maxvit_t"])
def test_from_torch_of_the_reference_is_the_zoo_model(name: str) -> None:
    """Params are torchvision's published figure (derived by hand beside each builder), FlopCounterMode is the
    torch profile, and from_torch of the independent construction gives the zoo's every total, row kinds all known."""
    zoo = cc.summary(name)
    with torch.device("meta"):
        module = BUILDERS[name]().eval()
        x = torch.empty(1, 3, 224, 224)
    assert zoo.totals.params == sum(p.numel() for p in module.parameters()) == {"swin_t": 28_288_354, "maxvit_t": 30_919_624}[name]
    assert flop_counter(module, x) == zoo.profiles()["torch"] == 2 * zoo.totals.macs
    back = cc.from_torch(module, (3, 224, 224))
    assert back.unsupported == ()
    assert (back.totals.params, back.totals.macs, back.totals.flops, back.output_shape) == (
        zoo.totals.params, zoo.totals.macs, zoo.totals.flops, zoo.output_shape)


def test_zoo_rows_are_one_per_attention_and_merge() -> None:
    kinds = [r.kind for r in cc.summary("swin_t").rows]
    assert kinds.count("shiftedwindowattention") == 12 and kinds.count("patchmerging") == 3
    kinds = [r.kind for r in cc.summary("maxvit_t").rows]
    assert kinds.count("relativepositionalmultiheadattention") == 22 == kinds.count("windowpartition")


# --- small variants against every tool (CPU: the tools need real tensors) ---

SMALL_SWIN = dict(image=60, embed=16, depths=(2, 2), heads=(2, 4), window=7, num_classes=10)  # 15×15 tokens: odd, padded
SMALL_MAXVIT = dict(image=56, stem=16, channels=(16, 32), depths=(1, 1), head_dim=8, size=7, num_classes=10)


def small(name: str) -> tuple[cc.Layer, torch.nn.Module, tuple[int, int, int]]:
    """(the zoo builder's network, the reference module, the input) for a small variant of ``name``."""
    torch.manual_seed(0)
    if name == "swin":
        s = SMALL_SWIN
        return swin(4, s["embed"], list(s["depths"]), list(s["heads"]), s["window"], 0.1, s["num_classes"]), SwinT(**s).eval(), (3, 60, 60)
    m = SMALL_MAXVIT
    net = maxvit(m["stem"], list(m["channels"]), list(m["depths"]), m["head_dim"], m["size"], 0.2, m["num_classes"], resolution=56)
    return net, MaxViT(**m).eval(), (3, 56, 56)


@pytest.mark.parametrize("name", ["swin", "maxvit"])
def test_small_variant_matches_its_reference(name: str) -> None:
    net, module, shape = small(name)
    ours = cc.summary(net, shape)
    assert ours.totals.params == sum(p.numel() for p in module.parameters())
    assert flop_counter(module, torch.zeros(1, *shape)) == 2 * ours.totals.macs
    back = cc.from_torch(module, shape)
    assert back.unsupported == ()
    assert (back.totals.params, back.totals.macs, back.totals.flops) == (ours.totals.params, ours.totals.macs, ours.totals.flops)


@pytest.mark.parametrize("tool", ["fvcore", "torchinfo", "thop", "ptflops"])
@pytest.mark.parametrize("name", ["swin", "maxvit"])
def test_profiles_are_the_tools_on_the_reference_and_on_to_torch(name: str, tool: str) -> None:
    """Each tool, run on the independent reference and on convcalc's own modules, prints the zoo network's profile
    (torchvision's modules make the same calls: ptflops sees Swin's x.matmul and F.softmax, fvcore MaxViT's einsums
    as numpy prints their cost, torchinfo and thop the Linear modules that run)."""
    net, module, shape = small(name)
    expected = cc.summary(net, shape).profiles()[tool]
    x = torch.randn(1, *shape)
    assert TOOLS[tool](module, x) == expected
    ours = cc.to_torch(net, shape)
    assert TOOLS[tool](ours, x) == expected
    assert cc.from_torch(ours, shape).profiles()[tool] == expected


@pytest.mark.parametrize("name", ["swin", "maxvit"])
def test_small_variant_verifies_on_cpu(name: str) -> None:
    net, _, shape = small(name)
    verified = cc.verify(net, shape, layout="chw")
    assert verified.ok, str(verified)


# --- each layer against its plain-torch counterpart, on random sizes ---


@settings(max_examples=25, deadline=None)
@given(heads=st.integers(1, 3), width=st.integers(1, 4), window=st.integers(1, 5), shift=st.integers(0, 4),
       size=st.integers(1, 12), batch=st.integers(1, 2))
@example(heads=2, width=1, window=1, shift=0, size=1, batch=1)  # (heads folded into a batch of 1 and split back)
@example(heads=1, width=1, window=2, shift=0, size=2, batch=1)  # (one channel: sizes of 1 beside a batch of 1)
def test_window_attention_against_torch(heads: int, width: int, window: int, shift: int, size: int, batch: int) -> None:
    """Params, shape and FlopCounterMode of the reference window attention; from_torch of it counts the convcalc
    layer's FLOPs (its qkv, proj and the two products at 2 per MAC, q·scale, the bias, the mask where shifted and the
    softmax, each 1 per element, as from_torch counts those ops one by one)."""
    shift %= window
    dim = heads * width
    layer = cc.ShiftedWindowAttention(dim, window, shift, heads)
    report = cc.summary(layer, (size, size, dim), batch=batch, layout="chw")
    with torch.device("meta"):
        module = SwinAttention(dim, heads, window, shift, size).eval()
        x = torch.empty(batch, size, size, dim)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert flop_counter(module, x) == 2 * report.totals.macs
    back = cc.from_torch(module, (size, size, dim), batch=batch, layout="chw")
    assert back.output_shape == report.output_shape == (size, size, dim)
    assert back.totals.flops == report.totals.flops and back.totals.macs == report.totals.macs


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 6))
def test_patch_merging_against_torch(h: int, w: int, c: int) -> None:
    report = cc.summary(cc.PatchMerging(c), (h, w, c), layout="chw")
    with torch.device("meta"):
        module = SwinMerge(c).eval()
        x = torch.empty(1, h, w, c)
    with torch.no_grad():
        out = module(x)
    assert report.output_shape == tuple(out.shape[1:]) == ((h + 1) // 2, (w + 1) // 2, 2 * c)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert flop_counter(module, x) == 2 * report.totals.macs
    assert cc.from_torch(module, (h, w, c), layout="chw").totals.flops == report.totals.flops


class FrameByFrame(torch.nn.Module):
    """Swin3D's merge: the reference 2-D merge applied to each frame of B×T×H×W×C."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.merge = SwinMerge(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        out = self.merge(x.reshape(b * t, *x.shape[2:]))
        return out.reshape(b, t, *out.shape[1:])


@settings(max_examples=15, deadline=None)
@given(t=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7), c=st.integers(1, 4))
def test_patch_merging_of_frames_against_torch(t: int, h: int, w: int, c: int) -> None:
    """torchvision's Swin3D calls the 2-D PatchMerging on T×H×W×C: each frame merged alike."""
    report = cc.summary(cc.PatchMerging(c), (t, h, w, c), layout="chw")
    with torch.device("meta"):
        module = FrameByFrame(c).eval()
        x = torch.empty(1, t, h, w, c)
    with torch.no_grad():
        out = module(x)
    assert report.output_shape == tuple(out.shape[1:]) == (t, (h + 1) // 2, (w + 1) // 2, 2 * c)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert flop_counter(module, x) == 2 * report.totals.macs


@settings(max_examples=25, deadline=None)
@given(groups=st.integers(1, 3), side=st.integers(1, 4), heads=st.integers(1, 3), width=st.integers(1, 4))
def test_relative_position_attention_against_torch(groups: int, side: int, heads: int, width: int) -> None:
    dim, tokens = heads * width, side * side
    report = cc.summary(cc.RelativePositionalMultiHeadAttention(dim, width, tokens), (groups, tokens, dim), layout="chw")
    with torch.device("meta"):
        module = MaxVitAttention(dim, width, tokens).eval()
        x = torch.empty(1, groups, tokens, dim)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert flop_counter(module, x) == report.profiles()["torch"]
    back = cc.from_torch(module, (groups, tokens, dim), layout="chw")
    assert back.output_shape == (groups, tokens, dim)
    if width > 1 and side > 1:  # torch.einsum runs both products as bmm: every MAC is FlopCounterMode's
        assert report.profiles()["torch"] == 2 * report.totals.macs
        assert (back.totals.macs, back.totals.flops) == (report.totals.macs, report.totals.flops)


def test_einsum_of_size_one_is_not_counted_by_torch() -> None:
    """Heads of width 1 and 1-token partitions: torch.einsum multiplies elementwise there, and FlopCounterMode counts
    only the two Linear layers: 2·(1·1·1·3 + 1·1·1·1) = 8 of the 12 = 2·6 MACs (QKᵀ 1 and A·V 1 included)."""
    layer = cc.RelativePositionalMultiHeadAttention(1, 1, 1)
    report = cc.summary(layer, (1, 1, 1), layout="chw")
    assert report.totals.macs == 6 and report.profiles()["torch"] == 8
    assert cc.verify(layer, (1, 1, 1), layout="chw").ok


def test_partitions_against_torch() -> None:
    """WindowPartition, SwapAxes and WindowDepartition as MaxViT's grid attention uses them, against the reference's
    own reshapes: the grid's k-th tokens come together, and the departition puts every element back."""
    x = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    net = cc.Sequential(cc.WindowPartition(2), cc.SwapAxes(-2, -3))
    module = cc.to_torch(net)
    parts = module(x)
    assert tuple(parts.shape[1:]) == cc.summary(net, (3, 4, 6)).output_shape == (4, 6, 3)
    assert torch.equal(parts[:, 0, :, 0], x[:, 0, 0::2, 0::2].reshape(2, 6))  # token 0 of every 2×2 window, channel 0
    back = cc.to_torch(cc.Sequential(cc.SwapAxes(-2, -3), cc.WindowDepartition(2, 2, 3)))(parts)
    assert torch.equal(back, x)


# --- bad input: one clear line naming the layer and what would fit ---


@pytest.mark.parametrize("make, match", [
    (lambda: cc.ShiftedWindowAttention(96, 7, 7, 3), r"shift_size 7x7 must be smaller than window_size 7x7"),
    (lambda: cc.ShiftedWindowAttention(96, 7, 3, 5), r"dim=96 is not divisible by num_heads=5"),
    (lambda: cc.ShiftedWindowAttention(96, (7, 7, 7), 3, 3), r"window_size needs 1 or 2 values"),
    (lambda: cc.RelativePositionalMultiHeadAttention(64, 32, 50), r"max_seq_len=50 must be a square .*use 49 or 64"),
    (lambda: cc.RelativePositionalMultiHeadAttention(64, 24, 49), r"feat_dim=64 must be divisible by head_dim=24"),
    (lambda: cc.SwapAxes(0, 1), r"a=0 is the batch dim"),
    (lambda: cc.models.get("maxvit_t", resolution=320), r"resolution 320 gives stage maps 80×80, .* use a multiple of 224"),
])
def test_bad_arguments_are_spec_errors(make, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(cc.SpecError, match=match):
        make()


@pytest.mark.parametrize("layer, shape, match", [
    (cc.ShiftedWindowAttention(96, 7, 3, 3), (56, 56, 64), r"ShiftedWindowAttention: dim=96 but the input's last dim is 64 .*use dim=64"),
    (cc.ShiftedWindowAttention(96, 7, 3, 3), (56, 96), r"expects H×W×C tokens per sample"),
    (cc.PatchMerging(96), (56, 56, 48), r"PatchMerging: dim=96 but the input's last dim is 48"),
    (cc.RelativePositionalMultiHeadAttention(64, 32, 49), (4, 16, 64), r"max_seq_len=49 but each partition holds 16 tokens"),
    (cc.WindowPartition(7), (64, 30, 28), r"WindowPartition: p=7 does not divide the input's 30×28"),
])
def test_shapes_that_do_not_fit_name_the_layer(layer: cc.Layer, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(cc.ShapeError, match=match):
        cc.summary(layer, shape, layout="chw")


def test_maxvit_at_other_inputs() -> None:
    assert cc.summary(cc.models.get("maxvit_t", resolution=448)).input_shape == (3, 448, 448)
    with pytest.raises(cc.ShapeError, match=r"WindowPartition: p=7 does not divide the input's 80×80"):
        cc.summary("maxvit_t", input_shape=(3, 320, 320))


def test_cli_layer_explains_window_attention(capsys) -> None:  # type: ignore[no-untyped-def]
    from convcalc.cli import main

    code = main(["layer", "ShiftedWindowAttention(96, [7, 7], [3, 3], 3)", "--input", "56x56x96", "--layout", "chw", "--explain"])
    out = capsys.readouterr().out
    assert code == 0
    # 3·96·96 + 96·96 + 13·13·3 + 3·96 + 96 = 27,648 + 9,216 + 507 + 384 = 37,755
    assert "37,755" in out and "MACs = nW·(N·C·3C + N·N·C + N·N·C + N·C·C)" in out


def test_thop_sees_the_modules_another_librarys_merge_calls() -> None:
    """torchvision's PatchMerging is a class of another library: thop hooks no such class, but its LayerNorm and
    Linear are modules it calls, and thop counts those (swin_t: 2,978,099,712 with them, as the sweep measured).
    A class of this test's own stands for it: convcalc's module subclassed, so it is read as PatchMerging."""
    from convcalc.torch_bridge.modules import PatchMerging

    class OtherLibrarysMerge(PatchMerging):
        pass

    net = torch.nn.Sequential(OtherLibrarysMerge(cc.PatchMerging(6)))
    report = cc.from_torch(net, (8, 8, 6), layout="chw")
    assert [r.kind for r in report.rows] == ["patchmerging"]
    assert report.comparison["thop"].total == TOOLS["thop"](net, torch.zeros(1, 8, 8, 6))
