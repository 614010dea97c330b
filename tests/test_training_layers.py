"""The training models of the composite layers (attention, windowed attention, patch merging, recurrent layers),
each held to torch on small configurations: the bytes autograd saves (``saved_tensors_hooks`` on the CPU), the
FLOPs FlopCounterMode counts over the forward and the backward (on the meta device), and the optimizer state a
real ``torch.optim.Adam`` step allocates (one ``step`` scalar per parameter tensor besides its two moments). Every
expected number comes from torch itself (tests/training_oracle.py), never from convcalc.

Each layer is checked where its input needs no gradient (it comes first) and where it does (a Linear or a
LayerNorm before it), and with its parameters frozen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

torch = pytest.importorskip("torch")
import training_oracle as oracle  # noqa: E402
from torch import nn  # noqa: E402

import convcalc as cc  # noqa: E402
from convcalc.training import Training  # noqa: E402
from convcalc.walk import analyze  # noqa: E402

BATCH = 2

#: where the layer sits: first (its input needs no gradient), after a Linear (it does), after a Linear with its own
#: parameters frozen (its input's gradient only)
PLACES = [pytest.param(False, (), id="first"), pytest.param(True, (), id="after-linear"),
          pytest.param(True, ("1",), id="frozen")]


def _convcalc(net: cc.Layer, shape: tuple[int, ...], freeze: tuple[str, ...] = (), batch: int = BATCH) -> tuple[int, int, int]:
    """convcalc's saved bytes, torch-profile FLOPs of the whole step, and Adam state bytes, at ``batch``."""
    report = analyze(net, shape, batch=batch, training=Training(freeze=freeze))
    unmodelled = [w for w in report.warnings if "training model" in w]
    assert not unmodelled, unmodelled
    totals = report.totals
    assert totals.saved_activation_bytes is not None and totals.optimizer_bytes is not None
    return totals.saved_activation_bytes, report.profiles()["torch"], totals.optimizer_bytes


def _freezer(frozen: tuple[str, ...]) -> Callable[[nn.Module], None]:
    def prepare(module: nn.Module) -> None:
        for name, child in module.named_modules():
            if name in frozen:
                child.requires_grad_(False)
    return prepare


def _torch(build: Callable[[], nn.Module], x: torch.Tensor, frozen: tuple[str, ...] = ()) -> tuple[int, int, int]:
    """torch's own figures for the same step: saved bytes (CPU), FlopCounterMode (meta), Adam state bytes (CPU)."""
    prepare = _freezer(frozen)
    torch.manual_seed(0)
    module = build()
    prepare(module)
    saved = oracle.saved_bytes(module, x)
    flops = oracle.step_flops(build, x, prepare)
    state = oracle.optimizer_state_bytes(module, lambda params: torch.optim.Adam(params), x) if any(
        p.requires_grad for p in module.parameters()) else 0
    return saved, flops, state


def _same(net: cc.Layer, shape: tuple[int, ...], build: Callable[[], nn.Module] | None = None,
          frozen: tuple[str, ...] = (), batch: int = BATCH) -> None:
    x = torch.randn(batch, *shape)
    assert _convcalc(net, shape, frozen, batch) == _torch(build or (lambda: cc.to_torch(net)), x, frozen)


# --- MultiheadAttention ----------------------------------------------------------------------------------------

MHA = [
    pytest.param(dict(embed_dim=16, num_heads=4, batch_first=True), 5, id="E16-H4-L5"),
    pytest.param(dict(embed_dim=24, num_heads=3, batch_first=True, bias=False), 7, id="E24-H3-L7-nobias"),
    pytest.param(dict(embed_dim=12, num_heads=1, batch_first=True), 1, id="E12-H1-L1"),
    pytest.param(dict(embed_dim=16, num_heads=2), 6, id="E16-H2-L6-batch-second"),
    pytest.param(dict(embed_dim=16, num_heads=4, dropout=0.1, batch_first=True), 5, id="E16-H4-L5-dropout"),
    pytest.param(dict(embed_dim=8, num_heads=1, dropout=0.5), 3, id="E8-H1-L3-dropout-batch-second"),
]


class SelfAttention(nn.Module):
    """torch's own nn.MultiheadAttention called as torchvision's ViT calls it: ``attn(x, x, x, need_weights=False)``,
    on its default kernels (cc.to_torch's module pins SDPA's math backend, so that FlopCounterMode sees its products
    on the CPU too; a real model's CPU step runs the flash kernel, which saves other tensors)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(**kwargs)  # type: ignore[arg-type]
        self.batch_first = bool(kwargs.get("batch_first", False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.batch_first:  # its tokens laid L×N×E, as a batch_first=False model keeps them
            x = x.transpose(0, 1).contiguous()
        out = self.attn(x, x, x, need_weights=False)[0]
        return out if self.batch_first else out.transpose(0, 1)


@pytest.mark.parametrize(("kwargs", "length"), MHA)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_multihead_attention(kwargs: dict, length: int, before: bool, frozen: tuple[str, ...]) -> None:
    e = kwargs["embed_dim"]
    layers = ([cc.Linear(e, e)] if before else [cc.Identity()]) + [cc.MultiheadAttention(**kwargs)]
    _same(cc.Sequential(*layers), (length, e), frozen=frozen,
          build=lambda: nn.Sequential(nn.Linear(e, e) if before else nn.Identity(), SelfAttention(**kwargs)))


def test_multihead_attention_params_are_torchs_tensors() -> None:
    """param_tensors: as many as torch's module holds (the optimizer keeps a ``step`` for each)."""
    for kwargs in (dict(embed_dim=16, num_heads=4), dict(embed_dim=16, num_heads=4, bias=False),
                   dict(embed_dim=16, num_heads=4, add_bias_kv=True), dict(embed_dim=16, num_heads=4, kdim=8, vdim=4)):
        layer = cc.MultiheadAttention(**kwargs)
        effect = layer.effect((5, 16))
        assert layer.param_tensors(effect) == len(list(nn.MultiheadAttention(**kwargs).parameters())), kwargs


class SelfSDPA(nn.Module):
    """``F.scaled_dot_product_attention(x, x, x, …)`` on torch's default kernels (cc.to_torch's module pins the math
    backend)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__()
        self.kwargs = kwargs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.scaled_dot_product_attention(x, x, x, **self.kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "shape"), [
    pytest.param({}, (3, 5, 4), id="H3-L5-E4-flash"),
    pytest.param(dict(is_causal=True), (2, 6, 8), id="causal-flash"),
    pytest.param(dict(scale=0.3), (7, 3), id="L7-E3-math"),
    pytest.param(dict(is_causal=True), (5, 4), id="causal-math"),
    pytest.param({}, (2, 3, 5, 4), id="4d-math"),
    pytest.param(dict(dropout_p=0.1), (3, 5, 4), id="dropout-math"),
    pytest.param(dict(dropout_p=0.3, is_causal=True), (6, 2), id="causal-dropout-math"),
])
def test_scaled_dot_product_attention(kwargs: dict, shape: tuple[int, ...]) -> None:
    """After a Linear (without parameters, SDPA records no node where its input needs no gradient)."""
    e = shape[-1]
    net = cc.Sequential(cc.Linear(e, e), cc.ScaledDotProductAttention(**kwargs))
    _same(net, shape, build=lambda: nn.Sequential(nn.Linear(e, e), SelfSDPA(**kwargs)))


class TimeMajorEncoder(nn.Module):
    """torch's own nn.TransformerEncoderLayer on batch-first tensors, its tokens handed on laid as its batch_first says
    (cc.to_torch's module pins SDPA's math backend, and hands a batch_first=False layer a transposed view)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(**kwargs)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layer.self_attn.batch_first:
            return self.layer(x)
        return self.layer(x.transpose(0, 1).contiguous()).transpose(0, 1)


ENCODERS = [
    pytest.param(dict(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True), 5, id="relu-no-dropout"),
    pytest.param(dict(d_model=16, nhead=4, dim_feedforward=32, batch_first=True), 5, id="default-dropout"),
    pytest.param(dict(d_model=12, nhead=3, dim_feedforward=20, dropout=0.2, activation="gelu", norm_first=True, batch_first=True), 4,
                 id="gelu-norm-first-dropout"),
    pytest.param(dict(d_model=12, nhead=3, dim_feedforward=20, dropout=0.0, activation="gelu"), 4, id="gelu-batch-second"),
    pytest.param(dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, norm_first=True), 6, id="norm-first-batch-second"),
    pytest.param(dict(d_model=8, nhead=1, dim_feedforward=8, dropout=0.1, bias=False, batch_first=True), 3, id="no-bias-one-head"),
]


@pytest.mark.parametrize(("kwargs", "length"), ENCODERS)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_transformer_encoder_layer(kwargs: dict, length: int, before: bool, frozen: tuple[str, ...]) -> None:
    e = kwargs["d_model"]
    layers = [cc.Linear(e, e) if before else cc.Identity(), cc.TransformerEncoderLayer(**kwargs)]
    _same(cc.Sequential(*layers), (length, e), frozen=frozen,
          build=lambda: nn.Sequential(nn.Linear(e, e) if before else nn.Identity(), TimeMajorEncoder(**kwargs)))


class TimeMajorDecoder(nn.Module):
    """torch's own nn.TransformerDecoderLayer as convcalc's row reads it: its memory the input itself, or ``memory``
    zero tokens; its tokens handed on laid as its batch_first says."""

    def __init__(self, memory: int | None, **kwargs: object) -> None:
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(**kwargs)  # type: ignore[arg-type]
        self.memory = memory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.layer.self_attn.batch_first
        if not first:
            x = x.transpose(0, 1).contiguous()
        memory = x if self.memory is None else x.new_zeros(
            (x.shape[0], self.memory, x.shape[2]) if first else (self.memory, x.shape[1], x.shape[2]))
        out = self.layer(x, memory)
        return out if first else out.transpose(0, 1)


DECODERS = [
    pytest.param(dict(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True), None, 5, id="memory-itself"),
    pytest.param(dict(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True), 3, 5, id="zero-memory"),
    pytest.param(dict(d_model=12, nhead=3, dim_feedforward=20, batch_first=True), 7, 4, id="dropout-zero-memory"),
    pytest.param(dict(d_model=12, nhead=3, dim_feedforward=20, dropout=0.2, norm_first=True, activation="gelu"), None, 4,
                 id="norm-first-gelu-dropout-batch-second"),
    pytest.param(dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, norm_first=True, bias=False), 2, 6,
                 id="norm-first-no-bias-batch-second"),
]


@pytest.mark.parametrize(("kwargs", "memory", "length"), DECODERS)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_transformer_decoder_layer(kwargs: dict, memory: int | None, length: int, before: bool, frozen: tuple[str, ...]) -> None:
    e = kwargs["d_model"]
    layers = [cc.Linear(e, e) if before else cc.Identity(), cc.TransformerDecoderLayer(**kwargs, memory_length=memory)]
    _same(cc.Sequential(*layers), (length, e), frozen=frozen,
          build=lambda: nn.Sequential(nn.Linear(e, e) if before else nn.Identity(), TimeMajorDecoder(memory, **kwargs)))


# --- Swin: ShiftedWindowAttention and PatchMerging, held to the zoo's reference modules (tests/torch_reference.py) ---

SWIN = [  # (dim, heads, window, shift, map size)
    pytest.param(8, 2, 3, 1, 7, id="C8-H2-w3-shift1-7x7-padded"),
    pytest.param(8, 2, 3, 0, 6, id="C8-H2-w3-6x6"),
    pytest.param(12, 3, 4, 2, 4, id="C12-H3-w4-one-window"),
    pytest.param(8, 1, 2, 1, 4, id="C8-H1-w2-shift1"),
    pytest.param(16, 4, 7, 3, 7, id="C16-H4-w7-7x7"),
]


@pytest.mark.parametrize(("dim", "heads", "window", "shift", "size"), SWIN)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_shifted_window_attention(dim: int, heads: int, window: int, shift: int, size: int, before: bool,
                                  frozen: tuple[str, ...]) -> None:
    import torch_reference as reference

    layers = [cc.LayerNorm(dim) if before else cc.Identity(), cc.ShiftedWindowAttention(dim, window, shift, heads)]
    _same(cc.Sequential(*layers), (size, size, dim), frozen=frozen,
          build=lambda: nn.Sequential(nn.LayerNorm(dim) if before else nn.Identity(),
                                      reference.SwinAttention(dim, heads, window, shift, size)))


@pytest.mark.parametrize(("dim", "size"), [pytest.param(4, 6, id="C4-6x6"), pytest.param(6, 8, id="C6-8x8"),
                                           pytest.param(8, 2, id="C8-2x2"), pytest.param(4, 5, id="C4-5x5-padded")])
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_patch_merging(dim: int, size: int, before: bool, frozen: tuple[str, ...]) -> None:
    import torch_reference as reference

    layers = [cc.LayerNorm(dim) if before else cc.Identity(), cc.PatchMerging(dim)]
    _same(cc.Sequential(*layers), (size, size, dim), frozen=frozen,
          build=lambda: nn.Sequential(nn.LayerNorm(dim) if before else nn.Identity(), reference.SwinMerge(dim)))


# --- MaxViT: RelativePositionalMultiHeadAttention, held to the zoo's reference module ---

MAXVIT = [  # (dim, head_dim, partition side, partitions)
    pytest.param(8, 4, 3, 4, id="D8-hd4-3x3-G4"),
    pytest.param(16, 16, 2, 3, id="D16-one-head-2x2-G3"),
    pytest.param(8, 2, 2, 1, id="D8-hd2-2x2-G1"),
    pytest.param(12, 4, 7, 2, id="D12-hd4-7x7-G2"),
]


@pytest.mark.parametrize(("dim", "head_dim", "side", "groups"), MAXVIT)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_relative_positional_attention(dim: int, head_dim: int, side: int, groups: int, before: bool,
                                       frozen: tuple[str, ...]) -> None:
    import torch_reference as reference

    tokens = side * side
    layers = [cc.LayerNorm(dim) if before else cc.Identity(), cc.RelativePositionalMultiHeadAttention(dim, head_dim, tokens)]
    _same(cc.Sequential(*layers), (groups, tokens, dim), frozen=frozen,
          build=lambda: nn.Sequential(nn.LayerNorm(dim) if before else nn.Identity(),
                                      reference.MaxVitAttention(dim, head_dim, tokens)))


# --- LSTM: torch's own nn.LSTM (cc.to_torch builds it), on the CPU's oneDNN kernel ---

LSTMS = [  # (LSTM's arguments, steps)
    pytest.param(dict(input_size=8, hidden_size=6), 5, id="8-6-L5"),
    pytest.param(dict(input_size=8, hidden_size=6, num_layers=2, dropout=0.3), 5, id="2-layers-dropout"),
    pytest.param(dict(input_size=8, hidden_size=6, num_layers=3, bidirectional=True), 4, id="3-layers-bidirectional"),
    pytest.param(dict(input_size=8, hidden_size=6, num_layers=2, bidirectional=True, dropout=0.5), 3, id="bidirectional-dropout"),
    pytest.param(dict(input_size=8, hidden_size=6, batch_first=True), 5, id="batch-first"),
    pytest.param(dict(input_size=8, hidden_size=6, bias=False), 5, id="no-bias"),
    pytest.param(dict(input_size=40, hidden_size=300), 3, id="40-300-L3"),
    pytest.param(dict(input_size=250, hidden_size=64, num_layers=2), 12, id="250-64-L12"),
]

#: oneDNN pads the LSTM's workspace to pages for the whole batch: convcalc sizes it for the batch where the training
#: step's Grads carries it (``Grads.batch``), and for a batch of 1 until then


@pytest.mark.parametrize(("kwargs", "steps"), LSTMS)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
@pytest.mark.parametrize("batch", [1, 3])
def test_lstm(kwargs: dict, steps: int, before: bool, frozen: tuple[str, ...], batch: int) -> None:
    size = kwargs["input_size"]
    layers = [cc.Linear(size, size) if before else cc.Identity(), cc.LSTM(**kwargs)]
    _same(cc.Sequential(*layers), (steps, size), frozen=frozen, batch=batch)


_SIZES = [dict(input_size=8, hidden_size=6), dict(input_size=8, hidden_size=6, num_layers=3, bias=False),
          dict(input_size=8, hidden_size=6, num_layers=2, bidirectional=True)]


@pytest.mark.parametrize(("cls", "kwargs"), [(cls, kwargs) for cls in (cc.LSTM, cc.GRU, cc.RNN) for kwargs in _SIZES]
                         + [(cc.LSTM, dict(input_size=8, hidden_size=6, proj_size=3, bidirectional=True))])
def test_recurrent_params_are_torchs_tensors(cls: type, kwargs: dict) -> None:
    """param_tensors: as many as torch's module holds (the optimizer keeps a ``step`` for each)."""
    layer = cls(**kwargs)
    assert layer.param_tensors(layer.effect((5, 8))) == len(list(getattr(nn, cls.__name__)(**kwargs).parameters()))


@pytest.mark.parametrize(("steps", "batch", "fin", "hidden"), [(1, 1, 1, 1), (5, 2, 8, 6), (1000, 1, 1, 17), (35, 20, 200, 200),
                                                               (100, 1, 1, 1024), (7, 3, 300, 250)])
def test_onednn_lstm_workspace(steps: int, batch: int, fin: int, hidden: int) -> None:
    """The workspace formula against the workspace tensor torch's CPU kernel saves, beyond the sizes the tests above run."""
    from torch.autograd.graph import saved_tensors_hooks

    from convcalc.layers.recurrent import onednn_lstm_workspace

    lstm = nn.LSTM(fin, hidden)
    kept: list[torch.Tensor] = []
    with saved_tensors_hooks(lambda t: kept.append(t) or t, lambda t: t):
        lstm(torch.randn(steps, batch, fin))
    assert [t.numel() for t in kept if t.dtype == torch.uint8] == [onednn_lstm_workspace(steps, batch, fin, hidden)]


# --- GRU and RNN: torch's own modules (cc.to_torch builds them), on the CPU's native cells ---

RECURRENT = [  # (class, arguments, steps)
    pytest.param(cc.GRU, dict(input_size=8, hidden_size=6), 5, id="GRU-8-6-L5"),
    pytest.param(cc.GRU, dict(input_size=8, hidden_size=6, num_layers=2, dropout=0.3), 4, id="GRU-2-layers-dropout"),
    pytest.param(cc.GRU, dict(input_size=8, hidden_size=6, num_layers=2, bidirectional=True), 4, id="GRU-bidirectional"),
    pytest.param(cc.GRU, dict(input_size=8, hidden_size=6, batch_first=True, bias=False), 3, id="GRU-batch-first-no-bias"),
    pytest.param(cc.GRU, dict(input_size=5, hidden_size=7), 1, id="GRU-one-step"),
    pytest.param(cc.RNN, dict(input_size=8, hidden_size=6), 5, id="RNN-8-6-L5"),
    pytest.param(cc.RNN, dict(input_size=8, hidden_size=6, num_layers=3, nonlinearity="relu"), 4, id="RNN-3-layers-relu"),
    pytest.param(cc.RNN, dict(input_size=8, hidden_size=6, num_layers=2, bidirectional=True, dropout=0.5), 3,
                 id="RNN-bidirectional-dropout"),
    pytest.param(cc.RNN, dict(input_size=8, hidden_size=6, batch_first=True), 5, id="RNN-batch-first"),
    pytest.param(cc.RNN, dict(input_size=8, hidden_size=6, batch_first=True, bidirectional=True), 4, id="RNN-batch-first-bidirectional"),
]


class TimeMajor(nn.Module):
    """torch's recurrent module on batch-first tensors, its sequence handed on as a batch_first=False model keeps it:
    laid time-major (cc.to_torch's BatchSecond hands on a transposed view, which each direction would copy)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.module.batch_first:
            return self.module(x)[0]
        return self.module(x.transpose(0, 1).contiguous())[0].transpose(0, 1)


@pytest.mark.parametrize(("cls", "kwargs", "steps"), RECURRENT)
@pytest.mark.parametrize(("before", "frozen"), PLACES)
@pytest.mark.parametrize("batch", [1, 3])
def test_gru_and_rnn(cls: type, kwargs: dict, steps: int, before: bool, frozen: tuple[str, ...], batch: int) -> None:
    size = kwargs["input_size"]
    layers = [cc.Linear(size, size) if before else cc.Identity(), cls(**kwargs)]
    torch_class = getattr(nn, cls.__name__)
    _same(cc.Sequential(*layers), (steps, size), frozen=frozen, batch=batch,
          build=lambda: nn.Sequential(nn.Linear(size, size) if before else nn.Identity(), TimeMajor(torch_class(**kwargs))))


# --- the cells: torch's own modules (cc.to_torch builds them; LSTMCell's h is its first result) ---

@pytest.mark.parametrize("cls", [cc.RNNCell, cc.GRUCell, cc.LSTMCell])
@pytest.mark.parametrize("kwargs", [dict(input_size=8, hidden_size=6), dict(input_size=5, hidden_size=12, bias=False)],
                         ids=["8-6", "5-12-no-bias"])
@pytest.mark.parametrize(("before", "frozen"), PLACES)
def test_cells(cls: type, kwargs: dict, before: bool, frozen: tuple[str, ...]) -> None:
    size = kwargs["input_size"]
    _same(cc.Sequential(cc.Linear(size, size) if before else cc.Identity(), cls(**kwargs)), (size,), frozen=frozen, batch=3)


@pytest.mark.parametrize("cls", [cc.RNNCell, cc.GRUCell, cc.LSTMCell])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_params_are_torchs_tensors(cls: type, bias: bool) -> None:
    layer = cls(8, 6, bias=bias)
    assert layer.param_tensors(layer.effect((8,))) == len(list(getattr(nn, cls.__name__)(8, 6, bias=bias).parameters()))


def test_composite_params_are_torchs_tensors() -> None:
    """param_tensors of the composite layers: as many as the modules they are held to hold."""
    import torch_reference as reference

    cases = [(cc.ShiftedWindowAttention(8, 3, 1, 2), (7, 7, 8), reference.SwinAttention(8, 2, 3, 1, 7)),
             (cc.PatchMerging(8), (4, 4, 8), reference.SwinMerge(8)),
             (cc.RelativePositionalMultiHeadAttention(8, 4, 9), (2, 9, 8), reference.MaxVitAttention(8, 4, 9)),
             (cc.TransformerEncoderLayer(8, 2, 16), (5, 8), nn.TransformerEncoderLayer(8, 2, 16)),
             (cc.TransformerEncoderLayer(8, 2, 16, bias=False), (5, 8), nn.TransformerEncoderLayer(8, 2, 16, bias=False)),
             (cc.TransformerDecoderLayer(8, 2, 16), (5, 8), nn.TransformerDecoderLayer(8, 2, 16)),
             (cc.TransformerDecoderLayer(8, 2, 16, bias=False), (5, 8), nn.TransformerDecoderLayer(8, 2, 16, bias=False))]
    for layer, shape, module in cases:
        assert layer.param_tensors(layer.effect(shape)) == len(list(module.parameters())), layer
