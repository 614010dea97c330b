"""Attention, transformer layers and RMSNorm against torch itself and against the other tools.

torch is the oracle: its modules' parameter counts and output shapes, and FlopCounterMode on the meta device
(where torch runs the standard attention path: no fused inference kernel, which FlopCounterMode would count as 0;
see convcalc.layers.attention). The other tools run for real on CPU (tests/other_tools.py).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convcalc as cc
from convcalc.profiles import profiles

torch = pytest.importorskip("torch")
from other_tools import TOOLS  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

BOUNDED = settings(max_examples=25, deadline=None)


def meta_flops(module: nn.Module, *inputs: torch.Tensor, **kwargs: Any) -> tuple[int, Any]:
    """FlopCounterMode's total for one forward on the meta device, and the output."""
    module = module.to("meta").eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(*(x.to("meta") for x in inputs), **kwargs)
    return int(counter.get_total_flops()), out


class Attend(nn.Module):
    """Calls its attention with queries from the input and keys/values cut from a projection of it, batch first
    or second as the attention takes them."""

    def __init__(self, attention: nn.MultiheadAttention, source: int | None) -> None:
        super().__init__()
        self.attention, self.source = attention, source
        kd, vd = attention.kdim, attention.vdim
        self.keys = nn.Linear(attention.embed_dim, kd) if source else None
        self.values = nn.Linear(attention.embed_dim, vd) if source else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.attention.batch_first
        q = x if first else x.transpose(0, 1)
        if self.keys is None:
            out = self.attention(q, q, q)[0]
        else:
            k, v = self.keys(x[:, :self.source]), self.values(x[:, :self.source])
            if not first:
                k, v = k.transpose(0, 1), v.transpose(0, 1)
            out = self.attention(q, k, v)[0]
        return out if first else out.transpose(0, 1)


@BOUNDED
@given(heads=st.integers(1, 4), per_head=st.integers(1, 8), length=st.integers(1, 9), source=st.none() | st.integers(1, 9),
       kdim=st.none() | st.integers(1, 12), vdim=st.none() | st.integers(1, 12), bias=st.booleans(), bias_kv=st.booleans(),
       zero_attn=st.booleans(), batch_first=st.booleans())
def test_multihead_attention_against_torch(heads: int, per_head: int, length: int, source: int | None, kdim: int | None,
                                           vdim: int | None, bias: bool, bias_kv: bool, zero_attn: bool, batch_first: bool) -> None:
    e = heads * per_head
    assume(source is not None or (kdim is None and vdim is None))  # other widths need other keys
    assume(source is None or source <= length)  # (cut from the input)
    spec = cc.MultiheadAttention(e, heads, bias=bias, add_bias_kv=bias_kv, add_zero_attn=zero_attn, kdim=kdim, vdim=vdim,
                                 batch_first=batch_first, source_length=None if source == length else source)
    module = nn.MultiheadAttention(e, heads, bias=bias, add_bias_kv=bias_kv, add_zero_attn=zero_attn, kdim=kdim, vdim=vdim,
                                   batch_first=batch_first)
    row = cc.summary(spec, (length, e), layout="chw").rows[0]
    assert row.params == sum(p.numel() for p in module.parameters())
    net = Attend(module, source)
    flops, out = meta_flops(net, torch.zeros(2, length, e))
    # the test's own key and value Linears (E → kdim, E → vdim on `source` tokens, a batch of 2, 2 FLOPs per MAC)
    projections = 2 * 2 * source * e * ((kdim or e) + (vdim or e)) if source else 0
    assert tuple(out.shape[1:]) == row.output_shape
    assert flops - projections == 2 * 2 * row.macs  # a batch of 2; FlopCounterMode: 2 per MAC
    back = cc.from_torch(net, (length, e), batch=2, layout="chw")
    [read] = [r for r in back.rows if r.kind == "multiheadattention"]
    assert read.spec == spec and (read.macs, read.flops, read.params) == (2 * row.macs, 2 * row.flops, row.params)
    assert back.profiles()["torch"] == flops


@BOUNDED
@given(heads=st.sampled_from([1, 2, 4]), per_head=st.integers(1, 6), ff=st.integers(1, 24), length=st.integers(1, 8),
       memory=st.none() | st.integers(1, 8), activation=st.sampled_from(["relu", "gelu"]), norm_first=st.booleans(),
       bias=st.booleans(), batch_first=st.booleans(), decoder=st.booleans())
def test_transformer_layers_against_torch(heads: int, per_head: int, ff: int, length: int, memory: int | None, activation: str,
                                          norm_first: bool, bias: bool, batch_first: bool, decoder: bool) -> None:
    e = heads * per_head
    args = dict(dim_feedforward=ff, activation=activation, norm_first=norm_first, bias=bias, batch_first=batch_first)
    if decoder:
        spec: cc.Layer = cc.TransformerDecoderLayer(e, heads, memory_length=None if memory == length else memory, **args)
        module: nn.Module = nn.TransformerDecoderLayer(e, heads, **args)
    else:
        spec, module = cc.TransformerEncoderLayer(e, heads, **args), nn.TransformerEncoderLayer(e, heads, **args)
    row = cc.summary(spec, (length, e), layout="chw").rows[0]
    assert row.params == sum(p.numel() for p in module.parameters())

    class Run(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = module

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = x if batch_first else x.transpose(0, 1)
            if decoder:
                mem = x.new_zeros((x.shape[0], memory or length, x.shape[2]))
                y = self.layer(y, mem if batch_first else mem.transpose(0, 1))
            else:
                y = self.layer(y)
            return y if batch_first else y.transpose(0, 1)

    flops, out = meta_flops(Run(), torch.zeros(3, length, e))
    assert tuple(out.shape[1:]) == row.output_shape
    assert flops == 3 * 2 * row.macs
    back = cc.from_torch(Run(), (length, e), batch=3, layout="chw")
    [read] = [r for r in back.rows if r.spec is not None and r.kind == spec.kind]
    assert read.spec == spec and (read.params, read.macs, read.flops) == (row.params, 3 * row.macs, 3 * row.flops)
    assert back.profiles()["torch"] == flops


@BOUNDED
@given(lead=st.lists(st.integers(1, 3), max_size=2), length=st.integers(1, 8), source=st.integers(1, 8),
       e=st.integers(1, 8), ev=st.integers(1, 8), causal=st.booleans(), scale=st.none() | st.floats(0.1, 2))
def test_scaled_dot_product_attention_against_torch(lead: list[int], length: int, source: int, e: int, ev: int, causal: bool,
                                                    scale: float | None) -> None:
    q = torch.zeros(2, *lead, length, e)
    k, v = torch.zeros(2, *lead, source, e), torch.zeros(2, *lead, source, ev)

    class Call(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.scaled_dot_product_attention(x, k.to(x.device), v.to(x.device), is_causal=causal, scale=scale)

    flops, out = meta_flops(Call(), q)
    report = cc.from_torch(Call(), tuple(q.shape[1:]), batch=2, layout="chw")
    [row] = report.rows
    assert row.kind == "scaleddotproductattention" and not row.unsupported
    assert row.output_shape == tuple(out.shape[1:])
    assert 2 * row.macs == flops == report.profiles()["torch"]  # causal or not, FlopCounterMode counts every score
    spec = cc.ScaledDotProductAttention(is_causal=causal, scale=scale, source_length=None if source == length else source,
                                        value_dim=None if ev == e else ev)
    assert row.spec == spec
    ours = cc.summary(spec, tuple(q.shape[1:]), layout="chw").rows[0]
    assert (2 * ours.macs, 2 * ours.flops) == (row.macs, row.flops)


@BOUNDED
@given(dims=st.lists(st.integers(1, 5), min_size=1, max_size=3), extra=st.lists(st.integers(1, 4), max_size=2),
       affine=st.booleans())
def test_rms_norm_against_torch(dims: list[int], extra: list[int], affine: bool) -> None:
    shape = (*extra, *dims)
    module = nn.RMSNorm(dims, elementwise_affine=affine)
    row = cc.summary(cc.RMSNorm(tuple(dims), elementwise_affine=affine), shape, layout="chw").rows[0]
    assert row.params == sum(p.numel() for p in module.parameters())
    assert row.output_shape == tuple(module(torch.zeros(1, *shape)).shape[1:])
    assert row.flops == (4 if affine else 3) * len(torch.zeros(*shape).flatten())  # x², mean, ·1/√, (·γ)
    read = cc.from_torch(module, shape, layout="chw").rows[0]
    assert read.spec == cc.RMSNorm(tuple(dims), eps=None, elementwise_affine=affine)


def test_transformer_encoder_is_a_block_of_layer_rows() -> None:
    """nn.TransformerEncoder(layer, 3, norm): one row per layer (its deep copies), then the norm; --depth collapses it."""
    layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True)
    module = nn.TransformerEncoder(layer, 3, nn.LayerNorm(32), enable_nested_tensor=False)
    report = cc.from_torch(module, (6, 32), layout="chw")
    assert [(r.path, r.kind) for r in report.rows] == [("layers.0", "transformerencoderlayer"), ("layers.1", "transformerencoderlayer"),
                                                       ("layers.2", "transformerencoderlayer"), ("norm", "layernorm")]
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    spec = cc.TransformerEncoder(cc.TransformerEncoderLayer(32, 4, 64, batch_first=True), 3, cc.LayerNorm(32))
    ours = cc.summary(spec, (6, 32), layout="chw")
    assert [r.path for r in ours.rows] == [r.path for r in report.rows]
    assert ours.totals == report.totals
    collapsed = report.at_depth(0)  # --depth 0: the three layer rows are one row of the block that holds them
    assert [(r.path, r.layer) for r in collapsed.rows] == [("layers", "ModuleList: 3 layers"), ("norm", "LayerNorm((32,))")]
    assert [(r.path, r.params) for r in ours.at_depth(0).rows] == [("layers", 3 * ours.rows[0].params), ("norm", 64)]
    flops, _ = meta_flops(module, torch.zeros(1, 6, 32))
    assert report.profiles()["torch"] == flops == 2 * ours.totals.macs


def test_the_fast_path_is_what_flop_counter_mode_misses_on_cpu() -> None:
    """The README's claim: in eval mode under no_grad on CPU, torch runs nn.MultiheadAttention as one fused op that
    FlopCounterMode counts as 0; with the fast path off it counts the products convcalc counts."""
    from convcalc.torch_bridge.modules import standard_path

    module = nn.MultiheadAttention(64, 4, batch_first=True).eval()
    x = torch.randn(1, 10, 64)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x, x, x)
    assert counter.get_total_flops() == 0
    with torch.no_grad(), standard_path(), FlopCounterMode(display=False) as counter:
        module(x, x, x)
    assert counter.get_total_flops() == 2 * cc.summary(cc.MultiheadAttention(64, 4, batch_first=True), (10, 64), layout="chw").totals.macs


# --- the other tools ------------------------------------------------------------------------------------------------


class _Wrap(nn.Module):
    def __init__(self, inner: nn.Module, memory: int | None = None) -> None:
        super().__init__()
        self.inner, self.memory = inner, memory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) if self.memory is None else self.inner(x, x[:, :self.memory])


class _Sdpa(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = x.view(x.shape[0], x.shape[1], 4, 16).transpose(1, 2)
        return F.scaled_dot_product_attention(q, q, q)


#: name -> (module, per-sample input); each tool's figure is what convcalc's profile of from_torch says, or the
#: profile says it is not exact there (need_weights, which convcalc cannot see in a module's call).
TOOL_MODELS: dict[str, Any] = {
    "mha-fast-path": lambda: Attend(nn.MultiheadAttention(64, 4, batch_first=True), None),
    "mha-batch-second": lambda: Attend(nn.MultiheadAttention(64, 4), None),
    "mha-odd-heads": lambda: Attend(nn.MultiheadAttention(63, 3, batch_first=True), None),
    "mha-no-bias": lambda: Attend(nn.MultiheadAttention(64, 4, batch_first=True, bias=False), None),
    "mha-bias-kv-zero-attn": lambda: Attend(nn.MultiheadAttention(64, 4, batch_first=True, add_bias_kv=True, add_zero_attn=True), None),
    "mha-cross-kdim-vdim": lambda: Attend(nn.MultiheadAttention(64, 4, batch_first=True, kdim=32, vdim=16), 7),
    "encoder-layer": lambda: _Wrap(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True)),
    "encoder-layer-gelu-norm-first": lambda: _Wrap(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, activation="gelu",
                                                                             norm_first=True)),
    "encoder-layer-odd-heads-no-bias": lambda: _Wrap(nn.TransformerEncoderLayer(63, 3, 100, batch_first=True, bias=False)),
    "decoder-layer": lambda: _Wrap(nn.TransformerDecoderLayer(64, 4, 128, batch_first=True), memory=5),
    "encoder": lambda: _Wrap(nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2,
                                                   enable_nested_tensor=False)),
    "sdpa": _Sdpa,
    "rms-norm": lambda: _Wrap(nn.RMSNorm(64)),
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("name", sorted(TOOL_MODELS))
def test_attention_profiles_match_the_tools(name: str, tool: str) -> None:
    torch.manual_seed(0)
    module = TOOL_MODELS[name]().eval()
    width = 63 if "odd" in name else 64
    report = cc.from_torch(module, (10, width), layout="chw")
    assert not report.unsupported
    profile = profiles(report)[tool]
    if tool == "torch":  # FlopCounterMode on the meta device: the standard path (see the module docstring)
        theirs, _ = meta_flops(module, torch.zeros(1, 10, width))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = TOOLS[tool](module, torch.randn(1, 10, width))
    assert profile.total == theirs or (not profile.exact and "need_weights" in profile.not_exact()), (profile.total, theirs)


@pytest.mark.parametrize("tool", ["fvcore", "ptflops"])
def test_need_weights_is_why_a_profile_is_not_exact(tool: str) -> None:
    """Off the fast path, the tools count QKᵀ and AV only where the call asks for the weights: convcalc assumes it does
    (torch's default) and says so; with need_weights=False the tool's figure is the profile's minus those products."""

    class NoWeights(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = nn.MultiheadAttention(64, 4)  # batch second: no fast path

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.transpose(0, 1)
            return self.attention(x, x, x, need_weights=False)[0].transpose(0, 1)

    report = cc.from_torch(NoWeights(), (10, 64), layout="chw")
    profile = profiles(report)[tool]
    assert not profile.exact and "need_weights" in profile.not_exact()
    theirs = TOOLS[tool](NoWeights().eval(), torch.randn(1, 10, 64))
    products = 2 * 10 * 10 * 64  # QKᵀ and AV: L·S·E each
    softmax = 4 * 10 * 10 if tool == "ptflops" else 0  # ptflops' patched F.softmax: H·L·S
    assert theirs == profile.total - products - softmax


# --- the CLI (the done-when line) and spec text ---------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from convcalc import cli

    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_layer_multihead_attention_explains_the_formula(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "layer", "nn.MultiheadAttention(256, 8, batch_first=True)", "--input", "49x256", "--explain")
    assert code == 0, out
    params = sum(p.numel() for p in nn.MultiheadAttention(256, 8, batch_first=True).parameters())
    assert f"params = {params:,}" in out
    assert "attention = QKᵀ + AV = 2·L·S′·E = 2·49·49·256" in out
    code, table = run(capsys, "layer", "nn.MultiheadAttention(256, 8, batch_first=True)", "--input", "49x256")
    assert code == 0 and table.count("MultiheadAttention(256, 8, batch_first=True)") == 1
    assert f"{params:,}" in table


@pytest.mark.parametrize("text, message", [
    ("nn.MultiheadAttention(256, 7)", "embed_dim=256 is not divisible by num_heads=7"),
    ("nn.TransformerEncoderLayer(64, 4, activation='tanh')", "activation must be 'relu' or 'gelu'"),
])
def test_bad_attention_specs_are_one_line_errors(capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    code, out = run(capsys, "layer", text, "--input", "10x64")
    assert code == 2 and message in out and "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_wrong_width_names_the_layer_and_the_fix() -> None:
    with pytest.raises(cc.ShapeError, match=r"embed_dim=256 but the input's last dim is 128 .*use embed_dim=128"):
        cc.summary(cc.MultiheadAttention(256, 8), (49, 128), layout="chw")


def test_token_wise_layers_take_sequences() -> None:
    """Linear, LayerNorm, GELU and Sigmoid act on the last dim of L×E tokens, in spec text as in Python."""
    net = cc.parse_spec("nn.LayerNorm(64)\nnn.Linear(64, 256)\nnn.GELU()\nnn.Linear(256, 64)\nnn.Sigmoid()").net
    report = cc.summary(net, (10, 64), layout="chw")
    assert report.output_shape == (10, 64) and not report.warnings
    assert report.totals.macs == 10 * 64 * 256 * 2  # two Linears at each of 10 positions



@pytest.mark.parametrize("spec, shape", [
    (cc.MultiheadAttention(64, 4), (10, 64)),  # batch second: built as BatchSecond(MultiheadAttention)
    (cc.MultiheadAttention(64, 4, kdim=32, vdim=16, source_length=7, add_bias_kv=True, add_zero_attn=True), (10, 64)),
    (cc.TransformerEncoderLayer(64, 4, 128, activation="gelu", norm_first=True), (10, 64)),
    (cc.TransformerDecoderLayer(64, 4, 128, batch_first=True, memory_length=5, bias=False), (10, 64)),
    (cc.ScaledDotProductAttention(source_length=7, value_dim=8), (4, 10, 16)),
    (cc.Sequential(cc.TransformerEncoder(cc.TransformerEncoderLayer(32, 2, 64, batch_first=True), 2, cc.LayerNorm(32)),
                   cc.RMSNorm(32), cc.ClassToken(32), cc.PositionEmbedding(7, 32), cc.SelectToken()), (6, 32)),
])
def test_verify_holds_attention_to_torch_on_cpu(spec: cc.Layer, shape: tuple[int, ...]) -> None:
    """to_torch builds each (keys, values and memory of other lengths as zero tokens), and verify runs it on CPU: torch's
    parameters, shapes and FlopCounterMode (2 per MAC of the attention rows, on torch's standard path) agree."""
    report = cc.verify(spec, shape, layout="chw")
    assert report.ok, report
    assert report.flops.theirs == report.flops.ours > 0


def test_spec_text_names_the_attention_layers() -> None:
    """Torch's keywords in spec text; the layers convcalc adds to name a second input's length are keywords too."""
    assert cc.parse_layer("nn.MultiheadAttention(256, 8, batch_first=True)") == cc.MultiheadAttention(256, 8, batch_first=True)
    assert cc.parse_layer("ScaledDotProductAttention(is_causal=True)") == cc.ScaledDotProductAttention(is_causal=True)
    assert cc.parse_layer("nn.TransformerDecoderLayer(64, 4, 128, memory_length=20)") == cc.TransformerDecoderLayer(
        64, 4, 128, memory_length=20)
    assert cc.parse_layer("nn.RMSNorm(64, eps=1e-6)") == cc.RMSNorm((64,), 1e-6)
    # S = 20 memory tokens: the cross-attention's K and V projections and its products follow S, not L
    long, short = (cc.summary(cc.parse_layer(f"nn.TransformerDecoderLayer(64, 4, 128, memory_length={s})"), (10, 64),
                              layout="chw").totals.macs for s in (20, 10))
    assert long - short == 2 * 10 * 64 * 64 + 2 * 10 * 10 * 64  # 10 more keys: K, V (10·64² each), QKᵀ and AV (10·10·64 each)


# --- spec text: a TransformerEncoder written as torch writes it, and F.scaled_dot_product_attention -------------------


def test_spec_text_reads_a_transformer_encoder_with_its_layer_inside() -> None:
    """``nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6)`` is the block; torch's
    own module of the same call holds the same parameters, and FlopCounterMode counts 2 per MAC of its rows."""
    text = "nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6)"
    spec = cc.parse_layer(text)
    assert spec == cc.TransformerEncoder(cc.TransformerEncoderLayer(256, 8, batch_first=True), 6)
    assert cc.parse_layer("torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(64, 4, 128), 2, norm=nn.LayerNorm(64))") \
        == cc.TransformerEncoder(cc.TransformerEncoderLayer(64, 4, 128), 2, cc.LayerNorm(64))
    report = cc.summary(spec, (49, 256), layout="chw")
    module = nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6, enable_nested_tensor=False)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    assert [r.path for r in report.rows] == [f"layers.{i}" for i in range(6)]
    flops, out = meta_flops(module, torch.zeros(1, 49, 256))
    assert tuple(out.shape[1:]) == report.output_shape and flops == 2 * report.totals.macs == report.profiles()["torch"]


def test_spec_files_and_forward_text_take_the_nested_encoder_and_sdpa(tmp_path: Any) -> None:
    """The encoder in each form spec text has (a line of its own, inside nn.Sequential, applied in a forward pass) and
    the self-attention form of F.scaled_dot_product_attention, held to a plain-torch module written independently
    (parameters, FlopCounterMode on meta) and to the modules to_torch builds (verify, on the CPU)."""

    class Reference(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(64)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2,
                                                 norm=nn.LayerNorm(64), enable_nested_tensor=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.norm(x)
            return self.encoder(F.scaled_dot_product_attention(h, h, h, is_causal=True))

    encoder = "nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), num_layers=2, norm=nn.LayerNorm(64))"
    texts = {
        "lines": f"input 49x64 chw\nnorm = nn.LayerNorm(64)\nattn = F.scaled_dot_product_attention(is_causal=True)\nencoder = {encoder}\n",
        "sequential": f"input 49x64 chw\nnn.Sequential(\n    nn.LayerNorm(64),\n    F.scaled_dot_product_attention(is_causal=True),\n"
                      f"    {encoder},\n)\n",
        "forward": f"input 49x64 chw\nh = nn.LayerNorm(64)(x)\na = F.scaled_dot_product_attention(h, h, h, is_causal=True)\n"
                   f"y = {encoder}(a)\n",
    }
    reference = Reference()
    flops, _ = meta_flops(reference, torch.zeros(1, 49, 64))
    for form, text in texts.items():
        path = tmp_path / f"{form}.txt"
        path.write_text(text)
        report = cc.summary(str(path))
        kinds = [r.kind for r in report.rows]
        assert kinds == ["layernorm", "scaleddotproductattention", "transformerencoderlayer", "transformerencoderlayer",
                         "layernorm"], form
        assert report.totals.params == sum(p.numel() for p in reference.parameters()), form
        assert report.profiles()["torch"] == flops == 2 * report.totals.macs, form
        verified = cc.verify(str(path))
        assert verified.ok, str(verified)


def test_sdpa_in_spec_text_is_self_attention() -> None:
    """Every way spec text writes the call is the one layer, q = k = v the input; FlopCounterMode on torch's own call counts
    its two products (2·L·L·E each, causal or not) and convcalc adds the softmax, 1 per score."""
    want = cc.ScaledDotProductAttention(is_causal=True)
    for text in ("F.scaled_dot_product_attention(is_causal=True)", "F.scaled_dot_product_attention(x, x, x, is_causal=True)",
                 "F.scaled_dot_product_attention(., is_causal=True)", "torch.nn.functional.scaled_dot_product_attention(x, x, x, None, 0.0, True)",
                 "F.scaled_dot_product_attention(x, key=x, value=x, attn_mask=None, is_causal=True)"):
        assert cc.parse_layer(text) == want, text
    assert cc.parse_layer("F.scaled_dot_product_attention(x, x, x, scale=0.5)") == cc.ScaledDotProductAttention(scale=0.5)

    class Call(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.scaled_dot_product_attention(x, x, x, is_causal=True)

    row = cc.summary(cc.parse_layer("F.scaled_dot_product_attention(is_causal=True)"), (4, 10, 16), layout="chw").rows[0]
    flops, out = meta_flops(Call(), torch.zeros(1, 4, 10, 16))
    assert row.output_shape == tuple(out.shape[1:]) and 2 * row.macs == flops
    assert row.flops == flops + 4 * 10 * 10  # + the softmax: 4 heads · 10 queries · 10 keys


@pytest.mark.parametrize("args, message", [
    (["layer", "F.scaled_dot_product_attention(x, k, k)", "--input", "10x16"],
     "error: F.scaled_dot_product_attention: key is k, not the tensor the call reads first; spec text gives it one tensor"),
    (["layer", "F.scaled_dot_product_attention(x, x, x, None, 0.0, True, 1.0, False, 3)", "--input", "10x16"],
     "error: F.scaled_dot_product_attention takes at most 7 arguments after the input, got 8"),
    (["layer", "nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4), 2)", "--input", "10x64", "--explain"],
     "error: --explain works out one layer; TransformerEncoder is a block of several"),
    (["layer", "nn.TransformerEncoder(nn.Linear(64, 64), 2)", "--input", "10x64"],
     "error: TransformerEncoder: encoder_layer must be a TransformerEncoderLayer, got Linear(64, 64)"),
    (["layer", "nn.TransformerEncoderLayer(nn.LayerNorm(64), 4)", "--input", "10x64"],
     "error: one layer per line: 'nn.LayerNorm(64)' is nested inside another call"),
])
def test_spec_text_attention_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out = run(capsys, *args)
    assert code == 2 and out.startswith(message) and len(out.strip().splitlines()) == 1, out


def test_cli_layer_prints_the_encoder_block_as_rows(capsys: pytest.CaptureFixture[str]) -> None:
    """A block from `layer`: its rows and total (the summary's table), the parameters torch's module holds."""
    code, out = run(capsys, "layer", "nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6)",
                    "--input", "49x256")
    module = nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6, enable_nested_tensor=False)
    assert code == 0, out
    assert sum(" layers." in line for line in out.splitlines()) == 6
    assert f"parameters   {sum(p.numel() for p in module.parameters()):,}" in out
