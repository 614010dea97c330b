"""Leaves that move tensors rather than compute: Identity, Permute, ChannelShuffle, Chunk,
StochasticDepth, and LayerScale (ConvNeXt's learnt per-channel factor).

None of them has MACs. Views (identity, permute, chunk, stochastic depth at
inference) allocate no activation memory; a channel shuffle copies.
"""

from __future__ import annotations

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
    check_number,
    elementwise,
    expect_channels,
    fmt_shape,
    freeze,
    is_int,
    numel,
    optional_size,
    positive_int,
    saving,
    spec,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Sequence
    from typing import Any, ClassVar


@spec
class Identity(Leaf):
    """torch.nn.Identity: passes its input through."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:Identity"

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 0, new_tensor=False, formula="identity")


@spec
class Permute(Leaf):
    """Reorders dims, torch-style with the batch as dim 0 (torchvision's ``Permute([0, 2, 3, 1])``)."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = ("torchvision.ops.misc:Permute",)  # (read where torchvision is loaded)

    dims: tuple[int, ...]

    if TYPE_CHECKING:  # a list, as torchvision writes it, or a tuple; the field holds the tuple
        def __init__(self, dims: Sequence[int]) -> None: ...

    def __post_init__(self) -> None:
        dims = tuple(self.dims) if isinstance(self.dims, (tuple, list)) else None
        if not dims or not all(is_int(d) for d in dims) or sorted(dims) != list(range(len(dims))) or dims[0] != 0:
            raise SpecError(f"{self.name}: dims must reorder 0…n−1 and keep the batch (dim 0) first, got {self.dims!r}")
        freeze(self, dims=dims)

    def effect(self, shape: Shape) -> Effect:
        if len(self.dims) != len(shape) + 1:
            raise ShapeError(f"dims={list(self.dims)} reorder {len(self.dims)} dims but the batch has {len(shape) + 1} (batch plus {fmt_shape(shape)})")
        order = tuple(d - 1 for d in self.dims[1:])
        return Effect(output_shape=tuple(shape[d] for d in order), new_tensor=False,
                      formula=f"{fmt_shape(shape)} → {fmt_shape(tuple(shape[d] for d in order))}", reach=Reach("permute", order=order))


@spec
class ChannelShuffle(Leaf):
    """torch.nn.ChannelShuffle (ShuffleNet): interleaves the channels of ``groups`` groups; a copy, no FLOPs."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:ChannelShuffle"

    groups: int

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        freeze(self, groups=positive_int(self.name, "groups", self.groups))

    def effect(self, shape: Shape) -> Effect:
        if len(shape) < 2:  # torch: "channel_shuffle expects input to have at least 3 dimensions"
            raise ShapeError(f"expects channels and at least one spatial dim per sample (C×L, C×H×W, …), "
                             f"got {fmt_shape(shape)} ({len(shape)}-d)")
        if shape[0] % self.groups:
            raise ShapeError(f"groups={self.groups} does not divide the input's {shape[0]} channels")
        return elementwise(shape, 0, formula=f"{shape[0]} channels in {self.groups} groups, interleaved")


@spec
class Chunk(Leaf):
    """Chunk ``index`` of ``x.chunk(chunks, dim=1)``: a view of some of the channels (ShuffleNet's split)."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"

    chunks: int
    index: int

    def __post_init__(self) -> None:
        freeze(self, chunks=positive_int(self.name, "chunks", self.chunks))
        if not is_int(self.index) or not 0 <= self.index < self.chunks:
            raise SpecError(f"{self.name}: index must be an int from 0 to {self.chunks - 1}, got {self.index!r}")

    def effect(self, shape: Shape) -> Effect:
        size = -(-shape[0] // self.chunks)  # torch.chunk: pieces of ⌈C/chunks⌉, the last one shorter
        start = self.index * size
        if start >= shape[0]:
            raise ShapeError(f"{shape[0]} channels give fewer than {self.index + 1} chunks of {size}")
        channels = min(size, shape[0] - start)
        return Effect(output_shape=(channels, *shape[1:]), new_tensor=False,
                      formula=f"channels {start}…{start + channels - 1} of {shape[0]}")


@spec
class StochasticDepth(Leaf):
    """torchvision's StochasticDepth: drops whole residual branches in training, the identity at inference."""

    autocast: ClassVar[str] = "same"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"
    torch_also: ClassVar[tuple[str, ...]] = ("torchvision.ops.stochastic_depth:StochasticDepth",)  # (where it is loaded)

    p: float
    mode: str = "row"

    def __post_init__(self) -> None:
        p = check_number(self.name, "p", self.p)
        if not 0 <= p <= 1:
            raise SpecError(f"{self.name}: p must be between 0 and 1, got {p!r}")
        if self.mode not in ("row", "batch"):
            raise SpecError(f"{self.name}: mode must be 'row' or 'batch', got {self.mode!r}")

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 0, new_tensor=False, formula="identity at inference")

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """In training (p > 0) it multiplies its input by a noise of 0 and 1/(1−p), one value per sample (``row``)
        or one for the batch (``batch``), and autograd keeps that noise: a new tensor out, 1 FLOP per element back."""
        if self.p == 0 or not grads.any:
            return Backward(new_output=False if self.p == 0 else None)
        noise = Saved("noise", 1, batched=self.mode == "row")
        return Backward(saved=(noise,), input_flops=numel(shape), new_output=True)


@spec
class LayerScale(Leaf):
    """ConvNeXt's layer scale: x·γ with one learnt γ per channel (C parameters, 1 FLOP per element)."""

    family: ClassVar[str] = "mul"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"

    inferred: ClassVar[str | None] = "dim"

    dim: int | None
    init_value: float = 1e-6

    def __post_init__(self) -> None:
        freeze(self, dim=optional_size(self.name, "dim", self.dim))
        check_number(self.name, "init_value", self.init_value)

    def effect(self, shape: Shape) -> Effect:
        c = expect_channels(self, "dim", self.dim, shape)
        base = elementwise(shape, 1, formula="γ·x, one γ per channel")
        return Effect(output_shape=base.output_shape, weights=c, flops=base.flops, formula=base.formula)

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(mul_elements=ran.flops)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """γ·x keeps x for γ's gradient (where γ is trained) and γ for x's: 1 FLOP per element each."""
        saved = (Saved("input", numel(shape)),) if grads.weights else ()
        return saving(grads, *saved, input_flops=numel(shape), weight_flops=numel(shape))


@spec
class Reshape(Leaf):
    """``x.view(-1, …)`` / ``x.reshape(-1, …)``: a new per-sample shape (one size may be -1); a view."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:{name}"

    shape: tuple[int, ...]

    if TYPE_CHECKING:  # a list or a tuple; the field holds the tuple
        def __init__(self, shape: Sequence[int]) -> None: ...

    def __post_init__(self) -> None:
        dims = tuple(self.shape) if isinstance(self.shape, (tuple, list)) else None
        if not dims or not all(is_int(d) and (d > 0 or d == -1) for d in dims) or dims.count(-1) > 1:
            raise SpecError(f"{self.name}: shape must be positive sizes with at most one -1, got {self.shape!r}")
        freeze(self, shape=dims)

    def effect(self, shape: Shape) -> Effect:
        total, known = numel(shape), numel(tuple(d for d in self.shape if d != -1))
        out = tuple(total // known if d == -1 else d for d in self.shape)
        if numel(out) != total or (-1 in self.shape and total % known):
            raise ShapeError(f"cannot view {fmt_shape(shape)} ({total} elements per sample) as {fmt_shape(self.shape)}; "
                             f"use ({total},) or -1")
        return Effect(output_shape=out, new_tensor=False, formula=f"{'·'.join(map(str, shape))} = {total} → {fmt_shape(out)}",
                      reach=Reach("flatten") if len(shape) > 1 else Reach())

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{effect.formula}: {'×'.join(map(str, effect.output_shape))} (a view: no copy, no FLOPs)"),
                Step("parameters", "params = 0"))
