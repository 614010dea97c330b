"""Windowed attention and the layers around it, as torchvision's Swin Transformer and MaxViT build them.

Shapes are per sample and channels last where the network is (Swin's H×W×C tokens, MaxViT's
G×P×C partitions); attention is counted as the matrix products torch runs:

- ``ShiftedWindowAttention`` (Swin): the H×W×C input is padded to a multiple of the window, rolled by the
  shift, cut into nW windows of N = wh·ww tokens; per window qkv = x·Wqkv (N·C·3C MACs), QKᵀ per head
  (N·N·d, C = heads·d, so N²·C over the heads), AV (N²·C), the projection (N·C·C). FLOPs: 2 per MAC (what
  FlopCounterMode counts), plus q·scale (1 per element of q), the relative position bias added to the
  scores (1 per score), the shift's mask added (1 per score, shifted windows only) and the softmax (1 per
  score). The mask itself is built from constants (no data): not counted. Parameters: qkv and proj (and
  their biases) and the (2wh−1)(2ww−1)·heads table of relative position biases; the N² index is a buffer.
- ``RelativePositionalMultiHeadAttention`` (MaxViT): self-attention over the P tokens of each of G
  partitions of a G×P×D input, heads = D/head_dim; to_qkv and merge Linear layers with biases, the same
  QKᵀ and AV products, k·scale, bias added, softmax; a (2·√P−1)²·heads table.
- ``PatchMerging`` (Swin): the 2×2 neighbours concatenated (odd sizes zero-padded first, as torchvision),
  LayerNorm(4C) (5 FLOPs per element, as every LayerNorm), Linear(4C, 2C) without bias.
- ``WindowPartition``, ``WindowDepartition``, ``SwapAxes`` (MaxViT): reshapes and permutes, no arithmetic;
  the partitions copy (a reshape of a permuted tensor), the swap is a view.

Training (:meth:`Leaf.backward`): the windowed attentions keep the qkv Linear's input, q, k and v as the batched
products take them, the softmax and the heads' copy (:func:`_attention_backward`); PatchMerging its concatenation,
the LayerNorm's statistics and the normalised copy. Held to the zoo's reference modules (tests/torch_reference.py)
in tests/test_training_layers.py.

Receptive fields: an output of windowed attention reads its (shifted) window, which the field algebra
cannot follow on channels-last tokens: the field is unknown from the first of these layers on.
"""

from __future__ import annotations

from math import isqrt

from ..errors import ShapeError, SpecError
from .base import (
    Backward,
    Effect,
    Grads,
    Leaf,
    Primitives,
    Ran,
    Reach,
    Saved,
    Shape,
    Step,
    check_bool,
    check_number,
    fmt_shape,
    freeze,
    int_tuple,
    is_int,
    numel,
    positive_int,
    spec,
)
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Sequence
    from typing import Any, ClassVar

#: The field algebra cannot follow a window of channels-last tokens: a reach with no dims leaves it unknown.
_UNFOLLOWED = Reach("gather")

_TV_SWIN = "torchvision.models.swin_transformer"
_TV_MAXVIT = "torchvision.models.maxvit"


def _dropout(layer: str, arg: str, value: Any) -> float:
    p = check_number(layer, arg, value)
    if not 0 <= p <= 1:
        raise SpecError(f"{layer}: {arg} must be between 0 and 1, got {p!r}")
    return p


def _attention_counts(groups: int, tokens: int, dim: int, heads: int, masked: bool) -> dict[str, int]:
    """Per sample: the projections' and the attention products' MACs, and the elementwise work on the scores,
    for self-attention of ``tokens`` tokens of width ``dim`` in each of ``groups`` windows."""
    scores = groups * heads * tokens * tokens
    return {
        "qkv": groups * tokens * dim * 3 * dim,  # x·Wqkv
        "scores": groups * tokens * tokens * dim,  # QKᵀ: per head N·N·d, d·heads = dim
        "mix": groups * tokens * tokens * dim,  # A·V, the same
        "proj": groups * tokens * dim * dim,  # the output projection
        "scale": groups * tokens * dim,  # q (or k) times 1/√d
        "bias_add": scores,  # + the relative position bias
        "mask_add": scores if masked else 0,  # + the shifted windows' mask
        "softmax": scores,
    }


def _attention_backward(grads: Grads, groups: int, tokens: int, dim: int, heads: int, rows: str) -> Backward:
    """One training step of windowed self-attention as torchvision writes it (per sample; P = groups·tokens positions):
    qkv = Linear(x), q, k, v split into heads, q·kᵀ and A·V as batched products (``matmul``, ``einsum``), softmax,
    the heads put back side by side, the output Linear.

    Saved: the qkv Linear's input where the weights train (``rows``: ``"input"`` where that is the layer's input
    itself, else the name of the windows' copy the layer makes), the operands of q·kᵀ and A·V as the batched
    products take them (per head: with several heads each of q, k and v is gathered into a P·C copy; with one head
    torch views two of them in the qkv result, 3·P·C, and one copy remains), the softmax's result (groups·heads·N²
    scores, which A·V takes as it is) and the output Linear's input where the weights train (a P·C copy: the heads
    put back). The scale, bias and mask additions and the bias table's gather keep no tensor (the index is a buffer).

    FLOPs: the Linear's gradients as their products (2·P·C·3C, 2·P·C·C each), the two batched products' backward
    four products of P·N·C (8·P·N·C), plus the softmax and the bias's gradient, 1 per score, and the scale's 1 per
    element of q. FlopCounterMode counts the products. The output Linear's and the attention's backward run whenever
    anything trains: they count for the input's gradient where that is asked, else for the weights'."""
    if not grads.any:
        return Backward()
    positions, scores = groups * tokens, groups * heads * tokens * tokens
    c = positions * dim
    saved = [Saved("q", c), Saved("k", c), Saved("v", c)] if heads > 1 else [Saved("qkv", 3 * c), Saved("q", c)]
    saved.append(Saved("attention", scores))
    if grads.weights:
        saved = [Saved(rows, c), *saved, Saved("heads", c)]
    inner = 2 * positions * dim * dim + 8 * positions * tokens * dim
    chain = inner + scores + c
    qkv = 2 * positions * dim * 3 * dim
    weight = qkv + 2 * positions * dim * dim
    return Backward(saved=tuple(saved), input_flops=chain + qkv if grads.input else 0,
                    weight_flops=(weight + scores if grads.weights else 0) + (0 if grads.input else chain),
                    torch_flops=inner + (qkv if grads.input else 0) + (weight if grads.weights else 0))


@spec
class ShiftedWindowAttention(Leaf):
    """torchvision's Swin ``ShiftedWindowAttention`` on H×W×C tokens: windows of ``window_size``, shifted by
    ``shift_size`` (a shift is dropped in a dim the padded input fits in one window, as torchvision does)."""

    family: ClassVar[str] = "windowattention"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_SWIN}:ShiftedWindowAttention",)

    dim: int
    window_size: tuple[int, ...]
    shift_size: tuple[int, ...]
    num_heads: int
    qkv_bias: bool = True
    proj_bias: bool = True
    attention_dropout: float = 0.0
    dropout: float = 0.0

    if TYPE_CHECKING:  # lists, as torchvision writes them, or tuples (or one int for both dims)
        def __init__(self, dim: int, window_size: int | Sequence[int], shift_size: int | Sequence[int], num_heads: int,
                     qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                     dropout: float = 0.0) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        window = int_tuple(n, "window_size", list(self.window_size) if isinstance(self.window_size, (list, tuple)) else self.window_size, 2, 1)
        shift = int_tuple(n, "shift_size", list(self.shift_size) if isinstance(self.shift_size, (list, tuple)) else self.shift_size, 2, 0)
        freeze(self, dim=positive_int(n, "dim", self.dim), window_size=window, shift_size=shift,
               num_heads=positive_int(n, "num_heads", self.num_heads))
        if any(s >= w for s, w in zip(shift, window)):
            raise SpecError(f"{n}: shift_size {fmt_shape(shift)} must be smaller than window_size {fmt_shape(window)}")
        if self.dim % self.num_heads:
            raise SpecError(f"{n}: dim={self.dim} is not divisible by num_heads={self.num_heads}; "
                            f"each head takes dim/num_heads features")
        check_bool(n, "qkv_bias", self.qkv_bias)
        check_bool(n, "proj_bias", self.proj_bias)
        _dropout(n, "attention_dropout", self.attention_dropout)
        _dropout(n, "dropout", self.dropout)

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        """Read back from torchvision's module (or convcalc's): the sizes from its qkv Linear."""
        return cls(module.qkv.in_features, tuple(module.window_size), tuple(module.shift_size), module.num_heads,
                   module.qkv.bias is not None, module.proj.bias is not None, module.attention_dropout, module.dropout)

    def geometry(self, shape: Shape) -> tuple[int, int, int, int, int, bool]:
        """(height, width padded to the windows, windows, tokens per window, channels, shifted) of an H×W×C input."""
        if len(shape) != 3:
            raise ShapeError(f"expects H×W×C tokens per sample (channels last, as Swin keeps them), got {fmt_shape(shape)} "
                             f"({len(shape)}-d)")
        h, w, c = shape
        if c != self.dim:
            raise ShapeError(f"dim={self.dim} but the input's last dim is {c} (shape {fmt_shape(shape)}); use dim={c}")
        wh, ww = self.window_size
        ph, pw = -(-h // wh) * wh, -(-w // ww) * ww
        shifted = any(s > 0 and win < padded for s, win, padded in zip(self.shift_size, self.window_size, (ph, pw)))
        return ph, pw, (ph // wh) * (pw // ww), wh * ww, c, shifted

    def counts(self, shape: Shape) -> dict[str, int]:
        """Per sample, what :func:`_attention_counts` lists, for this input."""
        _, _, windows, tokens, c, shifted = self.geometry(shape)
        return _attention_counts(windows, tokens, c, self.num_heads, shifted)

    def effect(self, shape: Shape) -> Effect:
        ph, pw, windows, tokens, c, shifted = self.geometry(shape)
        k = self.counts(shape)
        wh, ww = self.window_size
        macs = k["qkv"] + k["scores"] + k["mix"] + k["proj"]
        flops = 2 * macs + k["scale"] + k["bias_add"] + k["mask_add"] + k["softmax"]
        table = (2 * wh - 1) * (2 * ww - 1) * self.num_heads
        padded = f", padded to {ph}×{pw}" if (ph, pw) != shape[:2] else ""
        return Effect(
            output_shape=shape,
            weights=3 * c * c + c * c + table,
            biases=(3 * c if self.qkv_bias else 0) + (c if self.proj_bias else 0),
            macs=macs, flops=flops, buffers=tokens * tokens,
            formula=f"{windows} windows of {wh}×{ww}{padded}, {self.num_heads} heads{', shifted' if shifted else ''}",
            reach=_UNFOLLOWED,
            extra_elements=windows * tokens * 3 * c + windows * self.num_heads * tokens * tokens,  # qkv and the scores
        )

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """:func:`_attention_backward` over the padded, shifted windows: the qkv Linear reads the windows' copy the
        layer makes (the rolled input cut into windows). None with dropout (torch then keeps its masks too)."""
        if self.attention_dropout or self.dropout:
            return None
        _, _, windows, tokens, c, _ = self.geometry(shape)
        return _attention_backward(grads, windows, tokens, c, self.num_heads, "windows")

    def param_tensors(self, effect: Effect) -> int:
        """qkv's and proj's weights (and biases) and the relative position bias table."""
        return 3 + int(self.qkv_bias) + int(self.proj_bias)

    def primitives(self, ran: Ran) -> Primitives:
        _, _, windows, tokens, c, _ = self.geometry(ran.input_shape)
        per_token = (3 * c if self.qkv_bias else 0) + (c if self.proj_bias else 0)  # the qkv and proj biases
        return Primitives(macs=ran.macs, bias_adds=windows * tokens * per_token * ran.batch,
                          activation_elements=self.counts(ran.input_shape)["softmax"] * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        ph, pw, windows, tokens, c, shifted = self.geometry(shape)
        k, heads, (wh, ww) = self.counts(shape), self.num_heads, self.window_size
        table = (2 * wh - 1) * (2 * ww - 1) * heads
        biases = " + 3C + C" if self.qkv_bias and self.proj_bias else " + 3C" if self.qkv_bias else " + C" if self.proj_bias else ""
        extra = f" + {k['mask_add']:,}" if shifted else ""
        return (
            Step("output", fmt_shape(effect.output_shape).replace("x", "×") + " (unchanged)"),
            Step("windows", "nW = ⌈H/wh⌉·⌈W/ww⌉", f"⌈{shape[0]}/{wh}⌉·⌈{shape[1]}/{ww}⌉", windows,
                 "the shift rolls the padded input first; a mask keeps tokens from different regions apart" if shifted else ""),
            Step("", "N = wh·ww", f"{wh}·{ww}", tokens, "tokens per window"),
            Step("parameters", f"params = 3C·C + C·C + (2wh−1)(2ww−1)·heads{biases}",
                 f"3·{c}·{c} + {c}·{c} + {2 * wh - 1}·{2 * ww - 1}·{heads}", effect.weights + effect.biases,
                 f"a {table:,}-entry table of relative position biases; its {tokens * tokens:,} indices are a buffer"),
            Step("MACs", "MACs = nW·(N·C·3C + N·N·C + N·N·C + N·C·C)",
                 f"{windows}·({dot(tokens, c, 3 * c)} + {dot(tokens, tokens, c)} + {dot(tokens, tokens, c)} + {dot(tokens, c, c)})",
                 effect.macs, "qkv, QKᵀ over the heads, A·V, the projection"),
            Step("FLOPs", "FLOPs = 2·MACs + q·scale + bias + " + ("mask + " if shifted else "") + "softmax",
                 f"2·{effect.macs:,} + {k['scale']:,} + {k['bias_add']:,}{extra} + {k['softmax']:,}", effect.flops,
                 "FlopCounterMode counts the 2·MACs"),
        )


@spec
class RelativePositionalMultiHeadAttention(Leaf):
    """torchvision's MaxViT attention on G×P×D (G partitions of P tokens): heads = D/head_dim, a relative
    position bias over the √P×√P partition (``max_seq_len`` = P)."""

    family: ClassVar[str] = "relposattention"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_MAXVIT}:RelativePositionalMultiHeadAttention",)

    feat_dim: int
    head_dim: int
    max_seq_len: int

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, feat_dim=positive_int(n, "feat_dim", self.feat_dim), head_dim=positive_int(n, "head_dim", self.head_dim),
               max_seq_len=positive_int(n, "max_seq_len", self.max_seq_len))
        if self.feat_dim % self.head_dim:
            raise SpecError(f"{n}: feat_dim={self.feat_dim} must be divisible by head_dim={self.head_dim}")
        side = isqrt(self.max_seq_len)
        if side * side != self.max_seq_len:
            raise SpecError(f"{n}: max_seq_len={self.max_seq_len} must be a square (the partition's P×P tokens); "
                            f"use {side * side} or {(side + 1) ** 2}")

    @property
    def heads(self) -> int:
        return self.feat_dim // self.head_dim

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        return cls(module.to_qkv.in_features, module.head_dim, module.max_seq_len)

    def counts(self, shape: Shape) -> dict[str, int]:
        if len(shape) < 2:
            raise ShapeError(f"expects partitions of tokens per sample (G×P×D), got {fmt_shape(shape)}")
        *groups, tokens, d = shape
        if d != self.feat_dim:
            raise ShapeError(f"feat_dim={self.feat_dim} but the input's last dim is {d} (shape {fmt_shape(shape)}); use feat_dim={d}")
        if tokens != self.max_seq_len:
            raise ShapeError(f"max_seq_len={self.max_seq_len} but each partition holds {tokens} tokens (shape {fmt_shape(shape)}, "
                             f"tokens second to last); the position bias table fits {self.max_seq_len} only")
        return _attention_counts(numel(tuple(groups)), tokens, d, self.heads, False)

    def counted_macs(self, shape: Shape, macs: int) -> int:
        """Of ``macs`` (one sample's), those FlopCounterMode sees: torch.einsum runs a product whose summed dim has size 1 as an elementwise
        multiplication, which it does not count (QKᵀ with heads of width 1, A·V of partitions of 1 token)."""
        k = self.counts(shape)
        return macs - (k["scores"] if self.head_dim == 1 else 0) - (k["mix"] if self.max_seq_len == 1 else 0)

    def effect(self, shape: Shape) -> Effect:
        k = self.counts(shape)
        d, side, heads = self.feat_dim, isqrt(self.max_seq_len), self.heads
        macs = k["qkv"] + k["scores"] + k["mix"] + k["proj"]
        groups = numel(shape[:-2])
        return Effect(
            output_shape=shape, weights=3 * d * d + d * d + (2 * side - 1) ** 2 * heads, biases=3 * d + d,
            macs=macs, flops=2 * macs + k["scale"] + k["bias_add"] + k["softmax"], buffers=self.max_seq_len ** 2,
            formula=f"{groups} partitions of {shape[-2]} tokens, {heads} heads of {self.head_dim}",
            reach=_UNFOLLOWED, extra_elements=groups * shape[-2] * 3 * d + groups * heads * shape[-2] ** 2,
        )

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """:func:`_attention_backward` over the G partitions: to_qkv reads the layer's input itself. None where a head
        is 1 wide or a partition 1 token (torch.einsum then multiplies elementwise: other tensors)."""
        if self.head_dim == 1 or self.max_seq_len == 1:
            return None
        return _attention_backward(grads, numel(shape[:-2]), shape[-2], self.feat_dim, self.heads, "input")

    def param_tensors(self, effect: Effect) -> int:
        """to_qkv's and merge's weights and biases, and the relative position bias table."""
        return 5

    def primitives(self, ran: Ran) -> Primitives:
        k = self.counts(ran.input_shape)
        rows = numel(ran.input_shape[:-1]) * ran.batch
        return Primitives(macs=ran.macs, bias_adds=rows * 4 * self.feat_dim, activation_elements=k["softmax"] * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        k, d, side, heads = self.counts(shape), self.feat_dim, isqrt(self.max_seq_len), self.heads
        g, p = numel(shape[:-2]), shape[-2]
        return (
            Step("output", fmt_shape(shape).replace("x", "×") + " (unchanged)"),
            Step("parameters", "params = D·3D + 3D + D·D + D + (2√P−1)²·heads",
                 f"{d}·{3 * d} + {3 * d} + {d}·{d} + {d} + {2 * side - 1}²·{heads}", effect.weights + effect.biases),
            Step("MACs", "MACs = G·(P·D·3D + P·P·D + P·P·D + P·D·D)",
                 f"{g}·({dot(p, d, 3 * d)} + {dot(p, p, d)} + {dot(p, p, d)} + {dot(p, d, d)})", effect.macs,
                 "to_qkv, QKᵀ over the heads, A·V, merge"),
            Step("FLOPs", "FLOPs = 2·MACs + k·scale + bias + softmax",
                 f"2·{effect.macs:,} + {k['scale']:,} + {k['bias_add']:,} + {k['softmax']:,}", effect.flops,
                 "FlopCounterMode counts the 2·MACs"),
        )


@spec
class PatchMerging(Leaf):
    """torchvision's Swin ``PatchMerging``: H×W×C → ⌈H/2⌉×⌈W/2⌉×2C (2×2 neighbours concatenated, odd sizes
    zero-padded first), then LayerNorm(4C, eps) and Linear(4C, 2C, bias=False). Leading dims are kept, each
    merged alike (Swin3D merges T×H×W×C frame by frame)."""

    family: ClassVar[str] = "patchmerging"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_SWIN}:PatchMerging",)

    dim: int
    eps: float = 1e-5

    def __post_init__(self) -> None:
        freeze(self, dim=positive_int(self.name, "dim", self.dim))
        check_number(self.name, "eps", self.eps)

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        from torch import nn

        norm = module.norm
        if type(norm) is not nn.LayerNorm or not norm.elementwise_affine or norm.bias is None:
            raise SpecError(f"PatchMerging reads a norm_layer of nn.LayerNorm with γ and β only, not {norm!r}")
        return cls(module.dim, norm.eps)

    def merged(self, shape: Shape) -> Shape:
        if len(shape) < 3:
            raise ShapeError(f"expects H×W×C tokens per sample (channels last; leading dims such as frames may come "
                             f"before), got {fmt_shape(shape)} ({len(shape)}-d)")
        *lead, h, w, c = shape
        if c != self.dim:
            raise ShapeError(f"dim={self.dim} but the input's last dim is {c} (shape {fmt_shape(shape)}); use dim={c}")
        return (*lead, -(-h // 2), -(-w // 2), 4 * c)

    def effect(self, shape: Shape) -> Effect:
        merged = self.merged(shape)
        c, positions = shape[-1], numel(merged[:-1])
        macs = positions * 4 * c * 2 * c
        return Effect(output_shape=(*merged[:-1], 2 * c), weights=4 * c + 4 * c * 2 * c, biases=4 * c, macs=macs,
                      flops=2 * macs + 5 * numel(merged),
                      formula=f"2×2 neighbours → {fmt_shape(merged)}, LayerNorm({4 * c}), Linear({4 * c}, {2 * c})",
                      reach=_UNFOLLOWED, extra_elements=2 * numel(merged))  # the concatenation and the normalised copy

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """The slices and the padding keep nothing; the LayerNorm keeps the concatenation (M = ⌈H/2⌉·⌈W/2⌉·4C) and its
        float32 mean and 1/σ per position, the Linear its input (the normalised M) where the weights train. Gradients:
        the Linear's as its product (2·M·2C each), the LayerNorm's input 5 per element and γ, β 2 per element; the
        Linear's input gradient runs whenever anything trains (the input's where that is asked, else the weights')."""
        if not grads.any:
            return Backward()
        merged = self.merged(shape)
        m, positions, out = numel(merged), numel(merged[:-1]), effect.output_shape[-1]
        saved = [Saved("merged", m), Saved("mean", positions, "float32"), Saved("rstd", positions, "float32")]
        if grads.weights:
            saved.append(Saved("normalized", m))
        product = 2 * m * out
        return Backward(saved=tuple(saved), input_flops=product + 5 * m if grads.input else 0,
                        weight_flops=(product + 2 * m if grads.weights else 0) + (0 if grads.input else product),
                        torch_flops=product + (product if grads.weights else 0))

    def param_tensors(self, effect: Effect) -> int:
        """The LayerNorm's γ and β, the Linear's weight."""
        return 3

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, norm_elements=numel(self.merged(ran.input_shape)) * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        *lead, h, w, c = shape
        m = (numel(tuple(lead)) * -(-h // 2), -(-w // 2))  # (leading dims, such as frames, merged alike)
        return (
            Step("output", "⌈H/2⌉×⌈W/2⌉×2C", "×".join(map(str, lead)) + ("×" if lead else "") + f"⌈{h}/2⌉×⌈{w}/2⌉×2·{c}",
                 "×".join(map(str, effect.output_shape)),
                 "odd sizes are zero-padded by one row or column first" if h % 2 or w % 2 else ""),
            Step("parameters", "params = 2·4C + 4C·2C", f"2·{4 * c} + {4 * c}·{2 * c}", effect.weights + effect.biases,
                 "LayerNorm's γ and β, the Linear's weights (no bias)"),
            Step("MACs", "MACs = ⌈H/2⌉·⌈W/2⌉·4C·2C", dot(m[0], m[1], 4 * c, 2 * c), effect.macs),
            Step("FLOPs", "FLOPs = 2·MACs + 5·⌈H/2⌉·⌈W/2⌉·4C", f"2·{effect.macs:,} + 5·{dot(*m, 4 * c)}", effect.flops,
                 "the LayerNorm's 5 per element"),
        )


def _partitions(layer: str, arg: str, value: Any) -> int | None:
    return None if value is None else positive_int(layer, arg, value)


@spec
class WindowPartition(Leaf):
    """torchvision's MaxViT ``WindowPartition`` with ``p`` (its call's argument): C×H×W → (H/p·W/p)×p²×C, a copy."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_MAXVIT}:WindowPartition",)

    p: int | None = None

    def __post_init__(self) -> None:
        freeze(self, p=_partitions(self.name, "p", self.p))

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        return cls(getattr(module, "p", None))  # torchvision's takes p in each call: :meth:`at_call` reads it

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        if self.p is None and len(output) == 3 and isqrt(output[1]) ** 2 == output[1]:
            return WindowPartition(isqrt(output[1]))
        return self

    def effect(self, shape: Shape) -> Effect:
        if self.p is None:
            raise SpecError(f"{self.name}: needs p, the partition size (torchvision passes it in the call)")
        if len(shape) != 3:
            raise ShapeError(f"expects C×H×W per sample, got {fmt_shape(shape)} ({len(shape)}-d)")
        c, h, w = shape
        p = self.p
        if h % p or w % p:
            raise ShapeError(f"p={p} does not divide the input's {h}×{w}; sizes must be multiples of {p}")
        return Effect(output_shape=((h // p) * (w // p), p * p, c),
                      formula=f"{h}×{w} in {h // p}·{w // p} partitions of {p}×{p}, channels last", reach=_UNFOLLOWED)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c, h, w = shape
        return (Step("output", "(H/p·W/p)×p²×C", f"({h}/{self.p}·{w}/{self.p})×{self.p}²×{c}",
                     "×".join(map(str, effect.output_shape)), "a copy (reshape of a permuted tensor), no FLOPs"),
                Step("parameters", "params = 0"))


@spec
class WindowDepartition(Leaf):
    """torchvision's MaxViT ``WindowDepartition`` (p, h_partitions, w_partitions: its call's arguments):
    (HP·WP)×p²×C → C×(HP·p)×(WP·p), a copy."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_MAXVIT}:WindowDepartition",)

    p: int | None = None
    h_partitions: int | None = None
    w_partitions: int | None = None

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, p=_partitions(n, "p", self.p), h_partitions=_partitions(n, "h_partitions", self.h_partitions),
               w_partitions=_partitions(n, "w_partitions", self.w_partitions))

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        return cls(*(getattr(module, a, None) for a in ("p", "h_partitions", "w_partitions")))

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        if None in (self.p, self.h_partitions, self.w_partitions) and inputs and len(inputs[0]) == 3 and len(output) == 3:
            p = isqrt(inputs[0][1])
            if p * p == inputs[0][1] and output[1] % p == 0 and output[2] % p == 0:
                return WindowDepartition(p, output[1] // p, output[2] // p)
        return self

    def effect(self, shape: Shape) -> Effect:
        if None in (self.p, self.h_partitions, self.w_partitions):
            raise SpecError(f"{self.name}: needs p, h_partitions and w_partitions (torchvision passes them in the call)")
        p, hp, wp = self.p, self.h_partitions, self.w_partitions
        assert p is not None and hp is not None and wp is not None
        if len(shape) != 3 or shape[0] != hp * wp or shape[1] != p * p:
            raise ShapeError(f"expects {hp}·{wp} = {hp * wp} partitions of {p}² = {p * p} tokens ({hp * wp}×{p * p}×C) per "
                             f"sample, got {fmt_shape(shape)}")
        c = shape[2]
        return Effect(output_shape=(c, hp * p, wp * p), formula=f"{hp}·{wp} partitions of {p}×{p} → {c}×{hp * p}×{wp * p}",
                      reach=_UNFOLLOWED)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", "C×(HP·p)×(WP·p)", f"{shape[-1]}×({self.h_partitions}·{self.p})×({self.w_partitions}·{self.p})",
                     "×".join(map(str, effect.output_shape)), "a copy (reshape of a permuted tensor), no FLOPs"),
                Step("parameters", "params = 0"))


@spec
class SwapAxes(Leaf):
    """torchvision's MaxViT ``SwapAxes(a, b)``: ``torch.swapaxes`` of dims a and b (torch's dims, the batch
    being dim 0; negative dims count from the end); a view."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = (f"{_TV_MAXVIT}:SwapAxes",)

    a: int
    b: int

    def __post_init__(self) -> None:
        for arg in ("a", "b"):
            value = getattr(self, arg)
            if not is_int(value):
                raise SpecError(f"{self.name}: {arg} must be an int, got {value!r}")
            if value == 0:
                raise SpecError(f"{self.name}: {arg}=0 is the batch dim; convcalc keeps the batch apart")

    def order(self, shape: Shape) -> tuple[int, ...]:
        """The per-sample dims in their new order."""
        rank = len(shape) + 1
        a, b = (d + rank if d < 0 else d for d in (self.a, self.b))
        if not (1 <= a < rank and 1 <= b < rank):
            raise ShapeError(f"a={self.a}, b={self.b} are not dims of a {rank}-d batch (batch plus {fmt_shape(shape)}), "
                             "or one of them is the batch")
        order = list(range(len(shape)))
        order[a - 1], order[b - 1] = order[b - 1], order[a - 1]
        return tuple(order)

    def effect(self, shape: Shape) -> Effect:
        order = self.order(shape)
        out = tuple(shape[d] for d in order)
        return Effect(output_shape=out, new_tensor=False, formula=f"{fmt_shape(shape)} → {fmt_shape(out)}",
                      reach=Reach("permute", order=order))
