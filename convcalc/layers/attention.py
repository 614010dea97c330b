"""Attention and the transformer layers built on it: MultiheadAttention, ScaledDotProductAttention,
TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder (a block of encoder layers), and the
token bookkeeping of a vision transformer (ClassToken, PositionEmbedding, SelectToken).

Shapes are per sample and tokens first: a sequence of L tokens of E features is ``L×E`` (torch's
``batch_first=False`` modules keep the batch in dim 1; convcalc's shapes leave it out wherever it sits).

Attention of L queries over S keys (E = embed_dim, H heads, kdim/vdim the keys' and values' features):

- parameters as torch counts them: the input projection (one 3E×E matrix ``in_proj_weight`` where
  kdim = vdim = E, else ``q_proj_weight`` E×E, ``k_proj_weight`` E×kdim, ``v_proj_weight`` E×vdim), its
  bias 3E, the output projection E×E + E, and with ``add_bias_kv`` the learnt key and value rows 2E;
- MACs: the projections L·E·E + S·kdim·E + S·vdim·E, the scores QKᵀ L·S′·E, the weighted sum AV L·S′·E
  and the output projection L·E·E, where S′ = S (+1 for ``add_bias_kv``, +1 for ``add_zero_attn``);
- FLOPs: 2 per MAC (what torch's FlopCounterMode counts for the matrix products) plus the softmax, 1 per
  score (H·L·S′, convcalc's softmax convention). Bias additions and the 1/√d scaling are not counted (the
  DESIGN.md convention for biases; the scaling folds into the product in fused kernels); neither are the
  attention weights torch averages over the heads when asked for them (``need_weights=True``).
- activation memory: the output only, as for a Linear; the projections and the H·L·S′ scores torch makes
  inside the layer (and a transformer layer's MLP hidden L×F) are not counted as activations.

Training (:meth:`Leaf.backward`): what autograd keeps is what torch's CPU kernels keep, held to
``saved_tensors_hooks`` in tests/test_training_layers.py: MultiheadAttention's self-attention (flash SDPA without
dropout, the math path with it), ScaledDotProductAttention's self-attention and TransformerEncoderLayer part by part;
the backward FLOPs are FlopCounterMode's rules (twice SDPA's forward products, each projection's product per
gradient). Attention over other keys and values and TransformerDecoderLayer have no training model yet.

torch's inference "fast path" (CPU and CUDA, eval mode under no_grad, batch_first, self-attention, an even
number of heads, …) runs all of it as one fused op, ``aten._native_multi_head_attention``, which
FlopCounterMode does not count (it reports 0 there). convcalc counts the standard path, which is what
FlopCounterMode reports on the meta device, in training, with gradients, or with
``torch.backends.mha.set_fastpath_enabled(False)``; ``verify`` and the modules ``to_torch`` builds run that path.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from ..records import replace
from .base import (
    Backward,
    Block,
    Effect,
    Grads,
    Layer,
    Leaf,
    Primitives,
    Ran,
    Reach,
    Saved,
    Shape,
    Step,
    Structure,
    check_bool,
    check_number,
    dims_text,
    fmt_shape,
    freeze,
    is_int,
    numel,
    positive_int,
    saving,
    spec,
)
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar

_MODULES = "convcalc.torch_bridge.modules:{name}"


def _tokens(layer: str, shape: Shape, width: int, what: str) -> int:
    """The sequence length of a per-sample L×E input whose E must be ``width``; a ShapeError otherwise."""
    if len(shape) != 2:
        raise ShapeError(f"expects a per-sample sequence L×E (tokens × {what}), got {fmt_shape(shape)} ({len(shape)}-d)")
    if shape[1] != width:
        raise ShapeError(f"{what}={width} but the input's last dim is {shape[1]} (shape {fmt_shape(shape)}); "
                         f"use {what}={shape[1]} or change the layer before it")
    return shape[0]


def _optional_length(layer: str, arg: str, value: Any) -> int | None:
    if value is not None and (not is_int(value) or value < 1):
        raise SpecError(f"{layer}: {arg} must be a positive int or None, got {value!r}")
    return value


@spec
class MultiheadAttention(Leaf):
    """torch.nn.MultiheadAttention on a per-sample L×E sequence: self-attention, or with ``source_length``
    (S, not torch's: from_torch reads it from the call) attention over S keys and values."""

    meta_saves_differ: ClassVar[bool] = True  # (the meta device's kernels save otherwise: see Leaf)

    family: ClassVar[str] = "attention"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:multihead_attention"
    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:MultiheadAttention",)

    embed_dim: int
    num_heads: int
    dropout: float = 0.0
    bias: bool = True
    add_bias_kv: bool = False
    add_zero_attn: bool = False
    kdim: int | None = None
    vdim: int | None = None
    batch_first: bool = False
    source_length: int | None = None

    def __post_init__(self) -> None:
        n = self.name
        e, h = positive_int(n, "embed_dim", self.embed_dim), positive_int(n, "num_heads", self.num_heads)
        if e % h:
            raise SpecError(f"{n}: embed_dim={e} is not divisible by num_heads={h} (each head takes embed_dim/num_heads "
                            "features); use a num_heads that divides it")
        check_number(n, "dropout", self.dropout)
        for arg in ("bias", "add_bias_kv", "add_zero_attn", "batch_first"):
            check_bool(n, arg, getattr(self, arg))
        kdim, vdim = _optional_length(n, "kdim", self.kdim), _optional_length(n, "vdim", self.vdim)
        freeze(self, kdim=None if kdim == e else kdim, vdim=None if vdim == e else vdim,  # (torch reads embed_dim as None)
               source_length=_optional_length(n, "source_length", self.source_length))

    # --- sizes ---
    def _dims(self) -> tuple[int, int]:
        return self.kdim or self.embed_dim, self.vdim or self.embed_dim

    def key_lengths(self, length: int) -> tuple[int, int]:
        """(S, S′): the keys the call passes, and the keys the scores run over (with the learnt and zero rows)."""
        s = self.source_length or length
        return s, s + int(self.add_bias_kv) + int(self.add_zero_attn)

    def _params(self) -> tuple[int, int]:
        e = self.embed_dim
        kd, vd = self._dims()
        weights = e * e + e * kd + e * vd + e * e  # q, k, v projections (in_proj_weight: 3E·E where kd = vd = E) and out_proj
        biases = (3 * e + e if self.bias else 0) + (2 * e if self.add_bias_kv else 0)
        return weights, biases

    def macs_by_part(self, length: int) -> dict[str, int]:
        """The multiply-accumulates of each product for ``length`` queries, per sample."""
        e = self.embed_dim
        kd, vd = self._dims()
        s, s2 = self.key_lengths(length)
        return {"Q projection": length * e * e, "K projection": s * kd * e, "V projection": s * vd * e,
                "QKᵀ": length * s2 * e, "AV": length * s2 * e, "output projection": length * e * e}

    def effect(self, shape: Shape) -> Effect:
        length = _tokens(self.name, shape, self.embed_dim, "embed_dim")
        weights, biases = self._params()
        macs = sum(self.macs_by_part(length).values())
        _, s2 = self.key_lengths(length)
        scores = self.num_heads * length * s2
        source = f" over {self.source_length} keys" if self.source_length else ""
        return Effect(output_shape=(length, self.embed_dim), weights=weights, biases=biases, macs=macs,
                      flops=2 * macs + scores,
                      formula=f"{self.num_heads} heads of {self.embed_dim // self.num_heads}{source}: 2·MACs + softmax on "
                              f"{self.num_heads}·{length}·{s2} scores",
                      reach=Reach("dense"))  # every output token reads every token's every feature

    def primitives(self, ran: Ran) -> Primitives:
        length, e, b = ran.input_shape[0], self.embed_dim, ran.batch
        s, s2 = self.key_lengths(length)
        bias_adds = (2 * length + 2 * s) * e * b if self.bias else 0  # q, k, v and output projections' biases
        return Primitives(macs=ran.macs, bias_adds=bias_adds, activation_elements=self.num_heads * length * s2 * b)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        length, e, h = shape[0], self.embed_dim, self.num_heads
        kd, vd = self._dims()
        s, s2 = self.key_lengths(length)
        macs = self.macs_by_part(length)
        same = kd == vd == e
        weights = (Step("parameters", "in_proj_weight = 3·E·E", f"3·{e}·{e}", 3 * e * e) if same else
                   Step("parameters", "q, k, v_proj_weight = E·E + E·kdim + E·vdim", f"{e}·{e} + {e}·{kd} + {e}·{vd}",
                        e * e + e * kd + e * vd))
        steps = [Step("output", f"{dims_text(effect.output_shape)}  ({length} queries over {s} keys and values, "
                                f"{h} heads of {e}/{h} = {e // h} features)"),
                 weights,
                 Step("", "out_proj = E·E" + (" + E" if self.bias else ""), f"{e}·{e}" + (f" + {e}" if self.bias else ""),
                      e * e + (e if self.bias else 0))]
        if self.bias:
            steps.append(Step("", "in_proj_bias = 3·E", f"3·{e}", 3 * e))
        if self.add_bias_kv:
            steps.append(Step("", "bias_k + bias_v = 2·E", f"2·{e}", 2 * e))
        steps.append(Step("", "params", value=effect.weights + effect.biases))
        keys = f"S′ = S{' + 1' if self.add_bias_kv else ''}{' + 1' if self.add_zero_attn else ''} = {s2}" if s2 != s else ""
        steps += [Step("MACs", "projections = L·E·E + S·kdim·E + S·vdim·E + L·E·E (output)",
                       f"{dot(length, e, e)} + {dot(s, kd, e)} + {dot(s, vd, e)} + {dot(length, e, e)}",
                       macs["Q projection"] + macs["K projection"] + macs["V projection"] + macs["output projection"]),
                  Step("", "attention = QKᵀ + AV = 2·L·S′·E", f"2·{dot(length, s2, e)}", macs["QKᵀ"] + macs["AV"], keys),
                  Step("", "MACs", value=effect.macs),
                  Step("FLOPs", "FLOPs = 2·MACs + softmax (1 per score, H·L·S′)", f"2·{effect.macs:,} + {dot(h, length, s2)}",
                       effect.flops, "FlopCounterMode counts the 2·MACs of the products; biases and the 1/√d scale are not counted")]
        return tuple(steps)

    # --- training ---
    def trained_alike(self) -> bool:
        """Whether :meth:`backward` models this configuration: self-attention (no other keys and values, no learnt or
        zero key rows), which torch runs as one ``scaled_dot_product_attention`` call."""
        return (self.source_length is None and self.kdim is None and self.vdim is None and not self.add_bias_kv
                and not self.add_zero_attn and 0 <= self.dropout < 1)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Self-attention as ``F.multi_head_attention_forward`` runs it with ``need_weights=False`` (as torchvision's
        ViT calls it): one in-projection x·Wᵀ (3E outputs) made contiguous as q, k, v; SDPA; the output projection.

        Saved, per sample: the in-projection's input where the weights train (the input itself where it lies L×N×E,
        ``batch_first=False``; a copy of it with ``batch_first=True``, since the transposed tokens cannot be viewed as
        rows, unless the batch is 1); q, k and v (one 3·L·E tensor); then what the CPU's SDPA kernel keeps. Without
        dropout the flash kernel: its output (L·E, which the output projection reads as it is) and its log-sum-exp
        (H·L, float32). With dropout the math path: q and k each scaled by √scale (L·E each; v stays a view of the
        3·L·E tensor), the softmax, dropout's noise and its result (H·L·S each), and where the weights train the
        output projection's input (L·E: the heads' output put back side by side). (CUDA's kernels keep other tensors,
        with their own layouts; modelled as the CPU.)

        Gradients: each projection's input and weight gradient costs its forward product (2·L·E·3E, 2·L·E·E); SDPA's
        backward four products of L·S·E (8·L·S·E FLOPs: FlopCounterMode's rule for it, twice its forward), plus the
        softmax's 1 per score (and dropout's 1 per score). The output projection's and SDPA's backward run whenever
        anything trains: they count as the input's gradient where that is asked, else as the weights' (whose
        in-projection gradient needs them). None (no model) for attention over other keys and values, learnt or zero
        key rows, or dropout 1."""
        if not self.trained_alike():
            return None
        if not grads.any:
            return Backward()
        saved = self.saved_by(shape[0], grads.weights, "rows" if self.batch_first and grads.batch != 1 else "input")
        length, e, h = shape[0], self.embed_dim, self.num_heads
        inner = 2 * length * e * e + 8 * length * length * e  # the output projection's input gradient, SDPA's backward
        chain = inner + (2 if self.dropout else 1) * h * length * length  # and the softmax's (and dropout's), 1 per score
        weight = 2 * length * e * 3 * e + 2 * length * e * e
        return Backward(saved=saved,
                        input_flops=chain + 2 * length * e * 3 * e if grads.input else 0,
                        weight_flops=(weight if grads.weights else 0) + (0 if grads.input else chain),
                        torch_flops=inner + (2 * length * e * 3 * e if grads.input else 0) + (weight if grads.weights else 0))

    def saved_by(self, length: int, weights: bool, rows: str) -> tuple[Saved, ...]:
        """What :meth:`backward` says autograd keeps for ``length`` tokens (``weights``: whether they train; ``rows``:
        the in-projection's input, the layer's input or the name of its own copy)."""
        e, scores = self.embed_dim, self.num_heads * length * length
        if self.dropout:
            saved = [Saved("q", length * e), Saved("k", length * e), Saved("qkv", 3 * length * e), Saved("softmax", scores),
                     Saved("dropout noise", scores), Saved("attention", scores)] + ([Saved("heads", length * e)] if weights else [])
        else:
            saved = [Saved("qkv", 3 * length * e), Saved("heads", length * e), Saved("logsumexp", self.num_heads * length, "float32")]
        return tuple(([Saved(rows, length * e)] if weights else []) + saved)

    def cross_saved_by(self, length: int, source: int, weights: bool, rows: str, memory: str, keys: bool) -> tuple[Saved, ...]:
        """What autograd keeps for ``length`` queries attending ``source`` other tokens (keys and values one tensor,
        ``memory``: a transformer decoder's cross-attention), as ``F.multi_head_attention_forward`` runs it: the
        queries' projection apart (L·E, which SDPA takes as q) from the keys' and values' (one 2·S·E tensor); where the
        weights train the two projections' inputs (``rows``, ``memory``: the tensors or the names of their copies).
        Then SDPA's tensors as for self-attention (:meth:`saved_by`): its output and log-sum-exp, or with dropout q
        and k scaled, the softmax, dropout's noise and result, and the heads' copy. ``keys``: whether the keys and
        values ask a gradient (frozen weights over a zero memory do not): without, the math path keeps neither the
        scaled q nor dropout's result, which only their gradients read."""
        e, scores = self.embed_dim, self.num_heads * length * source
        inputs = [Saved(rows, length * e), Saved(memory, source * e)] if weights else []
        if self.dropout:
            return tuple(inputs + ([Saved("q", length * e)] if keys else []) + [Saved("k", source * e), Saved("kv", 2 * source * e),
                                   Saved("softmax", scores), Saved("dropout noise", scores)]
                         + ([Saved("attention", scores)] if keys else []) + ([Saved("heads", length * e)] if weights else []))
        return tuple(inputs + [Saved("q projection", length * e), Saved("kv", 2 * source * e), Saved("heads", length * e),
                               Saved("logsumexp", self.num_heads * length, "float32")])

    def cross_flops(self, length: int, source: int, memory: bool, weights: bool) -> tuple[int, int, int]:
        """(the gradients' FLOPs towards the queries and the memory (``memory``: whether it asks one), the weights'
        FLOPs, FlopCounterMode's count) of :meth:`cross_saved_by`'s attention, whose queries ask a gradient: each
        projection's product per gradient (2·L·E·E, 2·S·E·2E), SDPA's backward (8·L·S·E; 4·L·S·E for the queries alone
        where neither the memory nor the weights ask one), the softmax (and dropout)."""
        e, scores = self.embed_dim, self.num_heads * length * source
        sdpa = (8 if memory or weights else 4) * length * source * e
        inner = 2 * length * e * e + sdpa + 2 * length * e * e + (4 * source * e * e if memory else 0)
        weight = 2 * length * e * e + 4 * source * e * e + 2 * length * e * e
        return inner + (2 if self.dropout else 1) * scores, weight, inner + (weight if weights else 0)

    def param_tensors(self, effect: Effect) -> int:
        """torch's tensors: ``in_proj_weight`` (or q, k and v_proj_weight where kdim or vdim differ), ``out_proj.weight``,
        with ``bias`` ``in_proj_bias`` and ``out_proj.bias``, with ``add_bias_kv`` ``bias_k`` and ``bias_v``."""
        return (1 if self.kdim is None and self.vdim is None else 3) + 1 + 2 * int(self.bias) + 2 * int(self.add_bias_kv)

    # --- torch ---
    def batch_dim(self) -> int:
        return 0 if self.batch_first else 1

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        if len(inputs) < 2 or len(inputs[1]) != 2 or not inputs[0]:
            return self
        s = inputs[1][0]  # the keys' length (the values have as many)
        return replace(self, source_length=None if s == inputs[0][0] else s)

    def torch_kwargs(self) -> dict[str, Any]:
        kwargs = super().torch_kwargs()
        del kwargs["source_length"]
        return kwargs

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        e = module.embed_dim
        return cls(e, module.num_heads, float(module.dropout), module.in_proj_bias is not None, module.bias_k is not None,
                   bool(module.add_zero_attn), None if module.kdim == e else module.kdim, None if module.vdim == e else module.vdim,
                   bool(module.batch_first))


@spec
class ScaledDotProductAttention(Leaf):
    """``F.scaled_dot_product_attention(q, k, v, …)``: softmax(QKᵀ·scale (+ mask))·V over the last two dims
    (…×L×E queries, …×S×E keys, …×S×Ev values). In spec text it attends the input to itself (q = k = v, of
    any leading dims such as heads: ``H×L×E``); ``source_length`` and ``value_dim`` give other keys and values
    (from_torch reads them from the call). MACs L·S·E (QKᵀ) + L·S·Ev (AV) per leading index, FLOPs 2·MACs
    (FlopCounterMode's sdpa formula, causal or not) plus the softmax, 1 per score."""

    meta_saves_differ: ClassVar[bool] = True  # (the meta device's kernels save otherwise: see Leaf)

    family: ClassVar[str] = "sdpa"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = _MODULES
    #: the functional call that is this layer in a forward body (one row for the whole call)
    calls: ClassVar[tuple[str, ...]] = ("scaled_dot_product_attention",)
    #: spec text's form of that call: self-attention, q = k = v the one tensor (``F.scaled_dot_product_attention(x, x, x,
    #: is_causal=True)``, or the tensors left out: ``F.scaled_dot_product_attention(is_causal=True)``); a mask is a tensor
    #: spec text has none of (``attn_mask=None`` only), and is not counted (as from_torch does not)
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "scaled_dot_product_attention": ("key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")}
    functional_inputs: ClassVar[tuple[str, ...]] = ("key", "value")
    functional_ignored: ClassVar[tuple[str, ...]] = ("attn_mask",)

    dropout_p: float = 0.0
    is_causal: bool = False
    scale: float | None = None
    enable_gqa: bool = False
    source_length: int | None = None
    value_dim: int | None = None

    def __post_init__(self) -> None:
        n = self.name
        check_number(n, "dropout_p", self.dropout_p)
        check_bool(n, "is_causal", self.is_causal)
        check_bool(n, "enable_gqa", self.enable_gqa)
        if self.scale is not None:
            check_number(n, "scale", self.scale)
        freeze(self, source_length=_optional_length(n, "source_length", self.source_length),
               value_dim=_optional_length(n, "value_dim", self.value_dim))

    def _sizes(self, shape: Shape) -> tuple[int, int, int, int, int]:
        if len(shape) < 2:
            raise ShapeError(f"expects per-sample queries …×L×E (at least 2-d), got {fmt_shape(shape)}")
        lead = numel(shape[:-2])
        length, e = shape[-2], shape[-1]
        return lead, length, self.source_length or length, e, self.value_dim or e

    def effect(self, shape: Shape) -> Effect:
        lead, length, s, e, ev = self._sizes(shape)
        macs = lead * length * s * (e + ev)
        scores = lead * length * s
        return Effect(output_shape=(*shape[:-1], ev), macs=macs, flops=2 * macs + scores,
                      formula=f"softmax(QKᵀ)V of {length} queries over {s} keys"
                              + (f", {lead} times" if lead > 1 else "") + ": 2·MACs + softmax", reach=Reach("dense"))

    def primitives(self, ran: Ran) -> Primitives:
        lead, length, s, _, _ = self._sizes(ran.input_shape)
        return Primitives(macs=ran.macs, activation_elements=lead * length * s * ran.batch)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Self-attention (q = k = v, the input) as the CPU runs it in training. Per-sample H×L×E queries (4-d with the
        batch) take the flash kernel, which keeps q, k and v (the input itself), its output and the log-sum-exp (H·L,
        float32). Other ranks take the math path: q and k each scaled by √scale (two copies of the input's size), the
        softmax of the scores (…·L·S, which the softmax and A·V both keep) and v (the input); with dropout (any rank)
        the math path keeps dropout's noise and result besides the softmax. (CUDA's kernels keep other tensors;
        modelled as the CPU.) The gradient: the two products' backward, four products (twice the forward's 2·MACs,
        FlopCounterMode's rule), plus the softmax's (and dropout's) 1 per score. None (no model) with dropout 1,
        grouped queries, or keys and values other than the input (``source_length``, ``value_dim``)."""
        if not 0 <= self.dropout_p < 1 or self.enable_gqa or self.source_length is not None or self.value_dim is not None:
            return None
        lead, length, s, _, _ = self._sizes(shape)
        n, scores = numel(shape), lead * length * s
        if len(shape) == 3 and not self.dropout_p:
            saved: tuple[Saved, ...] = (Saved("input", n), Saved("logsumexp", lead * length, "float32"), Saved("output", n))
        elif self.dropout_p:
            saved = (Saved("q", n), Saved("k", n), Saved("softmax", scores), Saved("dropout noise", scores),
                     Saved("attention", scores), Saved("input", n))
        else:
            saved = (Saved("q", n), Saved("k", n), Saved("attention", scores), Saved("input", n))
        products = 2 * 2 * effect.macs
        return saving(grads, *saved, input_flops=products + (2 if self.dropout_p else 1) * scores, torch_flops=products)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        lead, length, s, e, ev = self._sizes(shape)
        times = f"{lead}·" if lead > 1 else ""
        return (Step("output", f"{dims_text(effect.output_shape)}  ({length} queries over {s} keys"
                               + (", causal: each query sees the keys up to its own" if self.is_causal else "") + ")"),
                Step("parameters", "params = 0"),
                Step("MACs", "MACs = (…)·L·S·E + (…)·L·S·Ev  (QKᵀ, then AV)", f"{times}{dot(length, s, e)} + {times}{dot(length, s, ev)}",
                     effect.macs, "a causal mask is counted whole, as FlopCounterMode counts it"),
                Step("FLOPs", "FLOPs = 2·MACs + softmax (1 per score)", f"2·{effect.macs:,} + {times}{dot(length, s)}", effect.flops))

    @classmethod
    def from_call(cls, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Leaf:
        """This layer read from one call, its tensors given as per-sample shapes: (q, k, v, attn_mask,
        dropout_p, is_causal, scale, enable_gqa) by position or name."""
        names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
        given = {**dict(zip(names, args)), **kwargs}
        q, k, v = given["query"], given["key"], given["value"]
        return cls(float(given.get("dropout_p", 0.0)), bool(given.get("is_causal", False)), given.get("scale"),
                   bool(given.get("enable_gqa", False)), None if k[-2] == q[-2] else k[-2], None if v[-1] == q[-1] else v[-1])


_ACTIVATIONS = ("relu", "gelu")


@spec
class _TransformerLayer(Leaf):
    """What torch's TransformerEncoderLayer and TransformerDecoderLayer share: the feed-forward MLP
    (Linear(d_model, dim_feedforward), activation, Linear back), LayerNorms and residual adds."""

    meta_saves_differ: ClassVar[bool] = True  # (the meta device's kernels save otherwise: see Leaf)

    family: ClassVar[str] = "transformer"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:transformer_layer"
    #: how many attention blocks (1 self-attention; the decoder adds cross-attention) and so norms and adds
    attentions: ClassVar[int] = 1

    d_model: int
    nhead: int
    dim_feedforward: int = 2048
    dropout: float = 0.1
    activation: str = "relu"
    layer_norm_eps: float = 1e-5
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True

    def __post_init__(self) -> None:
        n = self.name
        positive_int(n, "d_model", self.d_model)
        positive_int(n, "dim_feedforward", self.dim_feedforward)
        check_number(n, "dropout", self.dropout)
        check_number(n, "layer_norm_eps", self.layer_norm_eps)
        for arg in ("batch_first", "norm_first", "bias"):
            check_bool(n, arg, getattr(self, arg))
        if self.activation not in _ACTIVATIONS:
            raise SpecError(f"{n}: activation must be 'relu' or 'gelu' (torch's names), got {self.activation!r}")
        self._attention(None)  # the heads must divide d_model

    def _attention(self, source: int | None) -> MultiheadAttention:
        return MultiheadAttention(self.d_model, self.nhead, self.dropout, self.bias, batch_first=self.batch_first,
                                  source_length=source)

    def _parts(self, length: int) -> list[tuple[str, Effect]]:
        """(name, effect) of each piece torch runs, per sample."""
        e, f = self.d_model, self.dim_feedforward
        parts = [(name, attention.effect((length, e))) for name, attention in self.attention_parts()]
        up, down = length * e * f, length * f * e
        parts += [("linear1", Effect((length, f), weights=e * f, biases=f if self.bias else 0, macs=up, flops=2 * up)),
                  ("linear2", Effect((length, e), weights=f * e, biases=e if self.bias else 0, macs=down, flops=2 * down)),
                  (self.activation, Effect((length, f), flops=length * f))]
        for i in range(self.attentions + 1):
            parts.append((f"norm{i + 1}", Effect((length, e), weights=e, biases=e if self.bias else 0, flops=5 * length * e)))
            parts.append((f"add{i + 1}", Effect((length, e), flops=length * e)))
        return parts

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """A training step of torch's layer, part by part (per sample, L tokens of E, F hidden), each block (the
        attentions, then the MLP) with its LayerNorm (after its residual add; before it with ``norm_first``): the
        self-attention as :meth:`MultiheadAttention.backward` says (the layer's dropout is its attention dropout), the
        decoder's cross-attention over its memory (the layer's input, or ``memory_length`` zero tokens) as
        :meth:`MultiheadAttention.cross_saved_by` says; each LayerNorm its input and its float32 mean and 1/σ per
        token; linear1 and linear2 their inputs where the weights train (a norm's result; the activation's, or
        dropout's); ReLU its result, GELU its input; with dropout each dropout its noise. Gradients: the attentions',
        each Linear's product (2·L·E·F) for its input and for its weight, each LayerNorm 5 per element for its input
        and 2 for γ and β, the activation and each dropout 1 per element; FlopCounterMode counts the attentions' and
        the Linears'. A batch-first layer's attention copies the tokens it projects (unless the batch is 1). None with
        dropout 1."""
        if not 0 <= self.dropout < 1:
            return None
        if not grads.any:
            return Backward()
        length, e, f = shape[0], self.d_model, self.dim_feedforward
        weights, p, first = grads.weights, self.dropout > 0, self.norm_first
        copied = self.batch_first and grads.batch != 1
        saved: list[Saved] = []
        chain = weight = counted = 0
        current, asks = "input", grads.input  # the residual stream (post-norm: the last norm's result) and its grad

        def norm(i: int, x: str) -> None:  # a LayerNorm keeps its input and its statistics
            nonlocal chain, weight
            saved.extend((Saved(x, length * e), Saved(f"norm{i} mean", length, "float32"), Saved(f"norm{i} rstd", length, "float32")))
            chain, weight = chain + 5 * length * e, weight + 2 * length * e

        for i, (name, attention) in enumerate(self.attention_parts(), start=1):
            reads, reads_asks = current, asks
            if first:
                norm(i, current)
                reads, reads_asks = f"norm{i}", asks or weights
            rows = f"{name} rows" if copied else reads
            if attention.source_length is None and name == "self_attn":
                found = attention.backward((length, e), attention.effect((length, e)), replace(grads, inputs=(reads_asks,)))
                assert found is not None
                block = attention.saved_by(length, weights, rows)
                own = 8 * length * e * e  # its projections' weight gradients (the rest of its weights' figure is the chain)
                chain += found.input_flops if reads_asks else found.weight_flops - (own if weights else 0)
                weight += own
                counted += found.torch_flops
            else:  # the cross-attention: queries from the stream, keys and values from the memory
                source = attention.source_length or length
                memory = ("memory rows" if copied else "input") if attention.source_length is None else "memory"
                remembers = attention.source_length is None and grads.input  # whether the memory asks a gradient
                block = attention.cross_saved_by(length, source, weights, rows, memory, remembers or weights)
                inner, w, torch_count = attention.cross_flops(length, source, remembers, weights)
                chain, weight, counted = chain + inner, weight + w, counted + torch_count
            saved += [s if s.of in ("input", reads) else replace(s, of=f"{name} {s.of}") for s in block]
            if p:
                saved.append(Saved(f"dropout{i} noise", length * e))
                chain += length * e
            if first:
                current = f"sum{i}"
            else:
                norm(i, f"sum{i}")
                current = f"norm{i}"
            asks = True
        k = self.attentions + 1
        reads = current
        if first:
            norm(k, current)
            reads = f"norm{k}"
        hidden, products = length * f, 2 * length * e * f
        if weights:
            saved.append(Saved(reads, length * e))  # linear1's input
        saved.append(Saved("activation", hidden) if self.activation == "relu" else Saved("linear1", hidden))
        if p:
            saved += [Saved("dropout noise", hidden), Saved(f"dropout{k} noise", length * e)]
        if weights and (p or self.activation != "relu"):
            saved.append(Saved("dropout" if p else "activation", hidden))  # linear2's (ReLU's result is saved above)
        if not first:
            norm(k, f"sum{k}")
        chain += 2 * products + hidden + (length * e + hidden if p else 0)
        weight += 2 * products
        counted += 2 * products + (2 * products if weights else 0)
        return Backward(saved=tuple(dict.fromkeys(saved)), input_flops=chain if grads.input else 0,
                        weight_flops=(weight if weights else 0) + (0 if grads.input else chain), torch_flops=counted)

    def param_tensors(self, effect: Effect) -> int:
        """The attentions', linear1's and linear2's weights (and biases), each LayerNorm's γ (and β)."""
        attentions = sum(attention.param_tensors(effect) for _, attention in self.attention_parts())
        return attentions + 2 + 2 * int(self.bias) + (self.attentions + 1) * (1 + int(self.bias))

    def attention_parts(self) -> list[tuple[str, MultiheadAttention]]:
        """(torch's attribute name, the attention) of each attention the layer runs."""
        return [("self_attn", self._attention(None))]

    def effect(self, shape: Shape) -> Effect:
        length = _tokens(self.name, shape, self.d_model, "d_model")
        parts = self._parts(length)
        total = {k: sum(getattr(p, k) for _, p in parts) for k in ("weights", "biases", "macs", "flops")}
        mha = sum(p.flops for name, p in parts if name.endswith("attn"))
        return Effect(output_shape=(length, self.d_model), **total,
                      formula=f"attention {mha:,} + MLP {self.d_model}→{self.dim_feedforward}→{self.d_model} + "
                              f"{self.attentions + 1} LayerNorms (5 per element) + {self.activation} + {self.attentions + 1} adds",
                      reach=Reach("dense"))

    def primitives(self, ran: Ran) -> Primitives:
        length, b = ran.input_shape[0], ran.batch
        e, f = self.d_model, self.dim_feedforward
        total = Primitives()
        for _, attention in self.attention_parts():
            effect = attention.effect((length, e))
            total = total + attention.primitives(_Ran((length, e), (length, e), b, effect.macs * b, effect.flops * b))
        norms = self.attentions + 1
        return total + Primitives(macs=2 * length * e * f * b, bias_adds=(length * (f + e) * b if self.bias else 0),
                                  norm_elements=norms * length * e * b, activation_elements=length * f * b,
                                  add_elements=norms * length * e * b)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        steps = [Step("output", f"{dims_text(effect.output_shape)} (unchanged)")]
        for name, part in self._parts(shape[0]):
            params = part.weights + part.biases
            steps.append(Step("", f"{name}: params {params:,}, MACs {part.macs:,}, FLOPs {part.flops:,}"))
        steps += [Step("parameters", "params", value=effect.weights + effect.biases),
                  Step("MACs", "MACs", value=effect.macs, note="the attention's and the two Linears'"),
                  Step("FLOPs", "FLOPs = 2·MACs + softmax + norms + activation + adds", value=effect.flops)]
        return tuple(steps)

    def batch_dim(self) -> int:
        return 0 if self.batch_first else 1

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        attention, act = module.self_attn, module.activation  # F.relu or F.gelu where torch was given their names
        which = getattr(act, "__name__", "")
        if which not in _ACTIVATIONS or hasattr(act, "forward"):  # (a module or another callable: counted op by op)
            raise SpecError(f"{cls.__name__}: only activation 'relu' or 'gelu' (torch's names) is read back, got {act!r}")
        return cls(attention.embed_dim, attention.num_heads, module.linear1.out_features, float(module.dropout.p), which,
                   float(module.norm1.eps), bool(attention.batch_first), bool(module.norm_first),
                   module.linear1.bias is not None)


class _Ran:
    """A stand-in row for a part's primitives (shapes and totals of the whole batch)."""

    def __init__(self, input_shape: Shape, output_shape: Shape, batch: int, macs: int, flops: int) -> None:
        self.input_shape, self.output_shape, self.batch, self.macs, self.flops = input_shape, output_shape, batch, macs, flops


class TransformerEncoderLayer(_TransformerLayer):
    """torch.nn.TransformerEncoderLayer as one row: self-attention and the MLP, each with a LayerNorm (after it, or
    before it with ``norm_first``) and a residual add. Parameters exactly as torch's; MACs the attention's and the
    two Linears' (L·E·F each); FLOPs 2·MACs + the softmax + 5 per element for each LayerNorm + 1 per element of the
    activation + 1 per element for each residual add (dropout: none at inference)."""

    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:TransformerEncoderLayer",)


@spec
class TransformerDecoderLayer(_TransformerLayer):
    """torch.nn.TransformerDecoderLayer as one row: self-attention over the target, cross-attention over the
    memory (``memory_length`` tokens of d_model, not torch's: from_torch reads it from the call; None: as many
    as the target's), the MLP, three LayerNorms and three residual adds. Counted as the encoder layer's parts."""

    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:TransformerDecoderLayer",)
    attentions: ClassVar[int] = 2

    memory_length: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        freeze(self, memory_length=_optional_length(self.name, "memory_length", self.memory_length))

    def attention_parts(self) -> list[tuple[str, MultiheadAttention]]:
        return [("self_attn", self._attention(None)), ("multihead_attn", self._attention(self.memory_length))]

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        if len(inputs) < 2 or not inputs[0] or len(inputs[1]) != 2:
            return self
        s = inputs[1][0]  # forward(tgt, memory, …): the memory's length
        return replace(self, memory_length=None if s == inputs[0][0] else s)

    def torch_kwargs(self) -> dict[str, Any]:
        kwargs = super().torch_kwargs()
        del kwargs["memory_length"]
        return kwargs


@spec
class TransformerEncoder(Block):
    """torch.nn.TransformerEncoder: ``num_layers`` copies of ``encoder_layer`` (rows ``layers.0`` …), then ``norm``
    if given: a block, so ``--depth`` collapses it to one row. Each copy holds its own parameters, as torch's
    deep copies do. Spec text writes it as torch does, its layers as calls inside the call:
    ``nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), num_layers=6)``."""

    #: spec text may name it, its layer arguments written as calls (the only block it may name: the others are the
    #: text's own structure, lines and joins)
    in_text: ClassVar[bool] = True

    encoder_layer: Layer
    num_layers: int
    norm: Layer | None = None
    enable_nested_tensor: bool = True
    mask_check: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.encoder_layer, TransformerEncoderLayer):
            raise SpecError(f"TransformerEncoder: encoder_layer must be a TransformerEncoderLayer, got {self.encoder_layer!r}")
        positive_int("TransformerEncoder", "num_layers", self.num_layers)
        if self.norm is not None and not isinstance(self.norm, Leaf):
            raise SpecError(f"TransformerEncoder: norm must be a layer (a LayerNorm) or None, got {self.norm!r}")
        # torch deep-copies the layer: one object per copy here too (one object used twice would share parameters)
        freeze(self, copies=tuple(replace(self.encoder_layer) for _ in range(self.num_layers)))

    def structure(self) -> Structure:
        from .blocks import Sequential

        layers: list[tuple[str, Layer]] = [("layers", Sequential(*self.__dict__["copies"]))]
        if self.norm is not None:
            layers.append(("norm", self.norm))
        return Structure(layers=tuple(layers))


@spec
class ClassToken(Leaf):
    """A learnt class token put before the tokens (ViT's ``class_token``): L×E → (L+1)×E; E parameters, no FLOPs
    (a copy of the tokens, as torch.cat makes)."""

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = _MODULES

    embed_dim: int

    def __post_init__(self) -> None:
        positive_int(self.name, "embed_dim", self.embed_dim)

    def effect(self, shape: Shape) -> Effect:
        length = _tokens(self.name, shape, self.embed_dim, "embed_dim")
        return Effect(output_shape=(length + 1, self.embed_dim), weights=self.embed_dim,
                      formula=f"[class token; {length} tokens] = {length + 1} tokens")

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{dims_text(effect.output_shape)}  (1 + {shape[0]} tokens: a copy, no FLOPs)"),
                Step("parameters", "params = E", str(self.embed_dim), effect.weights, "the class token"))


@spec
class PositionEmbedding(Leaf):
    """A learnt position embedding added to the tokens (ViT's ``pos_embedding``): ``num_tokens``·``embed_dim``
    parameters, 1 FLOP per element (the add)."""

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "add"
    torch: ClassVar[Any] = _MODULES

    num_tokens: int
    embed_dim: int

    def __post_init__(self) -> None:
        positive_int(self.name, "num_tokens", self.num_tokens)
        positive_int(self.name, "embed_dim", self.embed_dim)

    def effect(self, shape: Shape) -> Effect:
        if shape != (self.num_tokens, self.embed_dim):
            raise ShapeError(f"adds a {self.num_tokens}×{self.embed_dim} embedding, but the input is {fmt_shape(shape)}; "
                             f"use PositionEmbedding({shape[0]}, {shape[-1]})" if shape else "expects L×E tokens")
        n = numel(shape)
        return Effect(output_shape=shape, weights=n, flops=n, formula="x + pos: 1 per element")

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(add_elements=ran.flops)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{dims_text(effect.output_shape)} (unchanged)"),
                Step("parameters", "params = L·E", dot(*shape), effect.weights),
                Step("FLOPs", "FLOPs = L·E (the add)", dot(*shape), effect.flops))


@spec
class SelectToken(Leaf):
    """One token of the sequence (ViT's ``x[:, 0]``, the class token): L×E → E; a view, no FLOPs."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = _MODULES

    index: int = 0

    def __post_init__(self) -> None:
        if not is_int(self.index):
            raise SpecError(f"{self.name}: index must be an int, got {self.index!r}")

    def effect(self, shape: Shape) -> Effect:
        if len(shape) != 2:
            raise ShapeError(f"expects a per-sample sequence L×E, got {fmt_shape(shape)}")
        if not -shape[0] <= self.index < shape[0]:
            raise ShapeError(f"index={self.index} is not a token of {shape[0]}; use 0 ≤ index < {shape[0]}")
        return Effect(output_shape=shape[1:], new_tensor=False, formula=f"token {self.index} of {shape[0]}", reach=Reach("flatten"))
