"""from_torch on the helper modules and glue real networks are made of, written here in plain torch.

Each module below was written for this test from what timm's and torchvision's helpers compute (a "same"
padded conv, a weight-standardised conv, a blur pool, a channels-last LayerNorm, drop path and layer scale,
attention glue, an LSTM cell by hand), not from convcalc's code. For each: no row is unsupported (every op is
counted by a formula or known to cost nothing), the parameters are torch's own count, the ``torch`` profile is
FlopCounterMode's total, and the FLOPs of the ops convcalc counts follow the README's formulas, derived by
hand beside each assertion.
"""

from __future__ import annotations

from typing import Any

import pytest

import convcalc as cc
from convcalc.profiles import ON_PARAMETERS

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def _check(module: nn.Module, shape: tuple[int, ...]) -> cc.Report:
    """from_torch's report on ``module``, held to torch's parameter count and FlopCounterMode."""
    report = cc.from_torch(module, shape)
    assert [(r.path, r.kind) for r in report.unsupported] == []
    assert not [w for w in report.warnings if "no formula" in w]
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    with torch.device("meta"):
        x = torch.empty(1, *shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module.to("meta").eval()(x)
    assert report.profiles()["torch"] == counter.get_total_flops()
    assert report.output_shape == tuple(out.shape[1:])
    return report


def _rows(report: cc.Report, kind: str) -> list[Any]:
    return [r for r in report.rows if r.kind == kind]


class PadSameConv(nn.Conv2d):
    """TensorFlow's 'same' padding for a strided conv, as timm's Conv2dSame does it: pad, then convolve."""

    def forward(self, x: Any) -> Any:
        ih, iw = x.shape[-2:]
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        ph = max((-(-ih // sh) - 1) * sh + kh - ih, 0)
        pw = max((-(-iw // sw) - 1) * sw + kw - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def test_a_same_padded_conv_is_a_pad_and_a_conv() -> None:
    report = _check(PadSameConv(3, 8, 3, stride=2), (3, 16, 16))
    # 16 → ⌈16/2⌉ = 8 outputs: padding (8−1)·2 + 3 − 16 = 1, on the right; 8·3·3·3 + 8 = 224 parameters
    assert [(r.kind, r.output_shape) for r in report.rows] == [("constant_pad_nd", (3, 17, 17)), ("conv2d", (8, 8, 8))]
    assert report.rows[0].flops == 0 and report.rows[0].params == 224 and report.rows[0].path == ""
    assert report.rows[1].macs == 8 * 8 * 8 * 3 * 3 * 3  # Cout·Ho·Wo·Cin·k·k = 13,824


class StdConv(nn.Conv2d):
    """A weight-standardised conv (NFNet's ScaledStdConv2d): each output filter's weights are normalised to zero
    mean and unit variance by F.batch_norm on the weight in every forward, scaled by a learnt gain."""

    def __init__(self, cin: int, cout: int, k: int) -> None:
        super().__init__(cin, cout, k, padding=k // 2)
        self.gain = nn.Parameter(torch.ones(cout))
        self.scale = (cin * k * k) ** -0.5

    def forward(self, x: Any) -> Any:
        weight = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None,
                              weight=(self.gain * self.scale).view(-1), training=True, momentum=0.0, eps=1e-6)
        return F.conv2d(x, weight.reshape_as(self.weight), self.bias, self.stride, self.padding)


def test_work_on_weights_makes_no_activation_and_counts_params_once() -> None:
    report = _check(StdConv(3, 8, 3), (3, 16, 16))
    # parameters: weight 8·3·3·3 = 216, bias 8, gain 8 = 232, once (torch's count, checked above)
    on_weights = [r for r in report.rows if ON_PARAMETERS in r.facts]
    assert [(r.kind, r.activation_bytes) for r in on_weights] == [("mul", 0), ("native_batch_norm", 0)]
    # gain·scale: 1 per element of the 8 gains; the standardisation: 2 per element of the 216 weights
    assert [r.flops for r in on_weights] == [8, 2 * 216]
    (conv,) = _rows(report, "conv2d")
    assert conv.macs == 8 * 16 * 16 * 3 * 3 * 3 and conv.activation_bytes == 8 * 16 * 16 * 4
    # the standardised weight is no activation: the conv's receptive field is its 3×3 window over the input
    assert conv.receptive_field == (3, 3)


class BlurPool(nn.Module):
    """An anti-aliased downsampling (BlurPool): a fixed binomial 3×3 filter per channel, reflect padding, stride 2."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        taps = torch.tensor([1.0, 2.0, 1.0])
        kernel = (taps[:, None] * taps[None, :]) / 16
        self.register_buffer("filt", kernel[None, None].repeat(channels, 1, 1, 1))
        self.channels = channels

    def forward(self, x: Any) -> Any:
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), self.filt, stride=2, groups=self.channels)


def test_a_fixed_filter_conv_is_a_depthwise_conv_with_no_parameters() -> None:
    report = _check(BlurPool(4), (4, 8, 8))
    assert [r.kind for r in report.rows] == ["reflection_pad2d", "conv2d"]
    # (8 + 2 − 3)//2 + 1 = 4 per side; each output reads its 3×3 window of one channel: 4·4·4·9 = 576 MACs
    assert report.rows[1].macs == 4 * 4 * 4 * 9 and report.totals.params == 0


class ChannelsLastNorm(nn.LayerNorm):
    """A LayerNorm over the channels of an N×C×H×W tensor, done channels last (torchvision's ConvNeXt LayerNorm2d)."""

    def forward(self, x: Any) -> Any:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class DropPath(nn.Module):
    """Stochastic depth per sample: the identity at inference."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class Scale(nn.Module):
    """ConvNeXt's layer scale: a learnt factor per channel."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels, 1, 1), 1e-6))

    def forward(self, x: Any) -> Any:
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = ChannelsLastNorm(c)
        self.scale = Scale(c)
        self.drop = DropPath(0.1)

    def forward(self, x: Any) -> Any:
        return x + self.drop(self.scale(self.norm(self.dw(x))))


def test_helper_modules_are_read_by_what_they_compute() -> None:
    report = _check(Block(8), (8, 6, 6))
    kinds = [(r.path, r.kind) for r in report.rows]
    assert kinds == [("dw", "conv2d"), ("norm", "permute"), ("norm", "native_layer_norm"), ("norm", "permute"),
                     ("scale", "mul"), ("drop", "droppath"), ("", "add")]
    n = 8 * 6 * 6
    # layer norm with γ and β: 5 per element; layer scale and the residual add: 1 per element; drop path: nothing
    assert [r.flops for r in report.rows[1:]] == [0, 5 * n, 0, n, 0, n]
    # a module's own parameters (γ, β: 2·8) go on the first row it makes; the layer scale's 8 on its multiply
    assert report.rows[1].params == 16 and report.rows[4].params == 8


class Glue(nn.Module):
    """What attention code does around its matrix products: rotary positions (sin/cos of constant angles), a causal
    mask filled in, softmax, a reduction and a comparison, a select, a gather of tokens, a vector norm, addcmul."""

    def __init__(self, d: int, n: int) -> None:
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)
        self.register_buffer("freq", torch.arange(d // 2, dtype=torch.float32))
        self.register_buffer("index", torch.tensor([0, 2, 3]))
        self.n = n

    def forward(self, x: Any) -> Any:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        pos = torch.arange(self.n, device=x.device, dtype=x.dtype)
        angle = pos[:, None] * self.freq[None, :]
        cos, sin = angle.cos().repeat(1, 2), angle.sin().repeat(1, 2)
        q = q * cos + q.flip(-1) * sin
        attn = q @ k.transpose(-2, -1)
        causal = torch.ones(self.n, self.n, device=x.device, dtype=torch.bool).triu(1)
        attn = attn.masked_fill(causal, float("-inf")).softmax(dim=-1)
        out = attn @ v
        empty = out.amax(dim=-1, keepdim=True).eq(0)
        out = torch.where(empty, torch.zeros_like(out), out)
        picked = out[:, self.index]
        norm = torch.linalg.vector_norm(picked, dim=-1, keepdim=True)
        return torch.addcmul(picked, picked, norm, value=0.5) + picked.sum(dim=-1, keepdim=True)


def test_attention_glue_is_counted_per_element() -> None:
    d, n = 8, 6
    report = _check(Glue(d, n), (n, d))
    flops = {r.kind: r.flops for r in report.rows if r.kind not in ("mul", "add", "linear", "matmul", "bmm")}
    on_constants = {r.kind: r.flops for r in report.rows if ON_PARAMETERS in r.facts}
    # the angles pos·freq (6×4), their cos and sin: 1 per element each, on constants (no activation)
    assert on_constants == {"mul": n * d // 2, "cos": n * d // 2, "sin": n * d // 2}
    assert all(r.activation_bytes == 0 for r in report.rows if ON_PARAMETERS in r.facts)
    # per element of the 6×6 scores: the mask filled in, the softmax; of the 6×8 output: its max (read), == 0 on
    # the 6 maxima, the select; of the 3 picked tokens × 8: the norm (square and sum: 2 per element read), the
    # sum (1 per element read) and addcmul (product, sum, and ×0.5: 3 per element)
    assert flops["masked_fill"] == n * n and flops["softmax"] == n * n
    assert flops["amax"] == n * d and flops["eq"] == n and flops["where"] == n * d
    assert flops["linalg_vector_norm"] == 2 * 3 * d and flops["sum"] == 3 * d and flops["addcmul"] == 3 * 3 * d
    assert flops["index"] == 0 and flops["flip"] == 0 and "ones" not in flops and "triu" not in flops
    # the mask, made from nothing but its size, is no activation: no row for it
    assert not [r for r in report.rows if r.kind in ("triu", "ones", "arange", "repeat")]


class HandLSTM(nn.Module):
    """An LSTM layer written out step by step (the gates' four matrices in one, split with unsafe_split as torch's
    own LSTMCell does), batch first, returning every step's hidden state."""

    def __init__(self, inputs: int, hidden: int) -> None:
        super().__init__()
        self.ih = nn.Linear(inputs, 4 * hidden)
        self.hh = nn.Linear(hidden, 4 * hidden)
        self.hidden = hidden

    def forward(self, x: Any) -> Any:
        h = c = x.new_zeros(x.shape[0], self.hidden)
        outputs = []
        for t in range(x.shape[1]):
            gates = self.ih(x[:, t]) + self.hh(h)
            i, f, g, o = torch.unsafe_split(gates, self.hidden, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1)


def test_a_hand_written_lstm_has_no_unknown_op() -> None:
    steps, inputs, hidden = 5, 3, 4
    report = _check(HandLSTM(inputs, hidden), (steps, inputs))
    assert _rows(report, "unsafe_split") and not report.warnings
    # per step: MACs 4H·In + 4H·H = 48 + 64; elementwise 13H: the gates' sum 4H, three sigmoids and two tanh
    # (5H), f·c, i·g, their sum, o·tanh(c) (4H). The first step's h·W_hh reads the zero state: counted (FlopCounterMode
    # counts it too), as work on constants.
    assert report.totals.macs == steps * (4 * hidden * inputs + 4 * hidden * hidden)
    assert report.totals.flops == steps * (2 * (48 + 64) + 13 * hidden)
    assert report.output_shape == (steps, hidden)


def test_an_unknown_op_inside_an_unknown_module_is_still_listed() -> None:
    class Odd(nn.Module):
        def forward(self, x: Any) -> Any:
            return torch.special.i0(x) + 1

    report = cc.from_torch(nn.Sequential(nn.Conv2d(3, 3, 1), Odd()), (3, 4, 4))
    assert [(r.path, r.kind) for r in report.unsupported] == [("1", "i0")]
    assert any("no formula for the module Odd" in w for w in report.warnings)
    assert [r.flops for r in report.rows if r.kind == "add"] == [3 * 4 * 4]


def test_an_empty_sequential_is_no_unknown_layer() -> None:
    report = cc.from_torch(nn.Sequential(nn.Conv2d(3, 3, 1), nn.Sequential(), nn.ReLU()), (3, 4, 4))
    assert not report.unsupported and not report.warnings


class Shrink(nn.Module):
    def forward(self, x: Any) -> Any:
        return F.interpolate(x, size=(4, 4), mode="bilinear", antialias=True)


def test_antialiased_resampling_counts_its_widened_taps() -> None:
    # which inputs torch's kernel weighs for each output, along one dim of 8 → 4: the Jacobian's nonzeros on the CPU
    line = torch.zeros(1, 1, 1, 8)
    jacobian = torch.autograd.functional.jacobian(
        lambda t: F.interpolate(t, size=(1, 4), mode="bilinear", antialias=True), line).reshape(4, 8)
    taps = [int((row != 0).sum()) for row in jacobian]
    assert taps == [3, 4, 4, 3]  # the triangle filter widened ×2 (support 2 around 2·(o + ½)), clipped at the edges
    report = _check(Shrink(), (1, 8, 8))
    (row,) = report.rows
    # separable: along W, 8 rows of Σ(2·taps − 1) = 24 (8×8 → 8×4), then along H, 4 columns of 24 (→ 4×4)
    assert row.kind == "upsample_bilinear2d_aa" and row.flops == 8 * 24 + 4 * 24 == sum(2 * t - 1 for t in taps) * 12


class PadByCopy(nn.Module):
    """Zero channels appended by writing the input into a zero tensor (a shortcut that widens, as some ResNets do)."""

    def forward(self, x: Any) -> Any:
        wide = x.new_zeros(x.shape[0], x.shape[1] + 2, *x.shape[2:])
        wide[:, : x.shape[1]] = x * 2
        return torch.sigmoid(wide)


def test_a_constant_the_input_is_written_into_is_an_activation() -> None:
    report = _check(PadByCopy(), (3, 4, 4))
    (row,) = _rows(report, "sigmoid")
    # 5×4×4 elements, 1 FLOP each, a new tensor of them
    assert ON_PARAMETERS not in row.facts and row.flops == 5 * 4 * 4 and row.activation_bytes == 5 * 4 * 4 * 4


class ResizedTable(nn.Module):
    """A learnt 1×2×8×8 position table resized to 4×4 with antialiasing before it is added (timm's NaFlex ViT)."""

    def __init__(self) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.zeros(1, 2, 8, 8))

    def forward(self, x: Any) -> Any:
        return x + F.interpolate(self.table, size=(4, 4), mode="bilinear", antialias=True)


def test_antialiased_resampling_of_a_parameter_is_counted_on_parameters() -> None:
    report = _check(ResizedTable(), (2, 4, 4))
    (row,) = _rows(report, "upsample_bilinear2d_aa")
    # as above, per plane 8·24 + 4·24 = 288 (taps 3, 4, 4, 3 each way), 2 planes; no activation
    assert row.flops == 2 * 288 and ON_PARAMETERS in row.facts and row.activation_bytes == 0


def test_weight_norm_recomputed_each_forward_is_work_on_parameters() -> None:
    import warnings

    with warnings.catch_warnings():  # (torch.nn.utils.weight_norm is deprecated in favour of the parametrization)
        warnings.simplefilter("ignore")
        module = nn.Sequential(nn.utils.weight_norm(nn.Linear(4, 3)))  # (its hook runs as the Sequential calls it)
    report = _check(module, (4,))
    (norm,) = [r for r in report.rows if ON_PARAMETERS in r.facts]
    # w = g·v/‖v‖ over v's 3·4 = 12 elements and g's 3: ‖v‖ 2·12 = 24, ·(g/‖v‖) 12, g/‖v‖ 3 → 39; no activation
    assert (norm.kind, norm.flops, norm.activation_bytes) == ("weight_norm", 39, 0)
    # parameters: g 3 + v 12 + bias 3 = 18 (torch's count, checked above)
    assert report.totals.params == 18


class GainOrNot(nn.Conv2d):
    """StdConv's standardisation with its gain (a weight for F.batch_norm) or without one."""

    def __init__(self, cin: int, cout: int, affine: bool) -> None:
        super().__init__(cin, cout, 3, padding=1)
        self.gain = nn.Parameter(torch.ones(cout)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None,
                              weight=None if self.gain is None else self.gain * 0.5, training=True, momentum=0.0,
                              eps=1e-6).reshape_as(self.weight)
        return F.conv2d(x, weight, self.bias, padding=1)


@pytest.mark.parametrize("affine", [True, False])
def test_a_weight_standardised_by_batch_norm_is_fvcores(affine: bool) -> None:
    """fvcore 0.1.5 counts F.batch_norm(training=True) with its norm counter: 5 per element with a weight, 4
    without (2 and 1 at inference); the real fvcore is the oracle, on 8·4·9 = 288 weight elements."""
    from other_tools import TOOLS

    net = nn.Sequential(GainOrNot(4, 8, affine), nn.ReLU())
    report = cc.from_torch(net, (4, 6, 6))
    assert report.comparison["fvcore"].total == TOOLS["fvcore"](net, torch.zeros(1, 4, 6, 6))
    assert report.comparison["fvcore"].exact
