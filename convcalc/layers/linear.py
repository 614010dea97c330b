"""Linear and Flatten.

Linear: params in·out (+out); MACs in·out per position (torch applies it to the
last dim, so an N-d input repeats it Π(other dims) times); FLOPs 2·MACs, as
FlopCounterMode. Flatten is a view: no FLOPs, no new tensor.
"""

from __future__ import annotations

from math import prod

from .. import records
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
    fmt_shape,
    freeze,
    is_int,
    numel,
    optional_size,
    positive_int,
    saving,
    spec,
)
from .lazy import _Lazy

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar


@spec
class Linear(Leaf):
    """torch.nn.Linear; ``in_features`` may be ``None`` (taken from the input's last dim)."""

    inferred: ClassVar[str | None] = "in_features"
    family: ClassVar[str] = "linear"
    flop_counter: ClassVar[bool] = True
    torch: ClassVar[Any] = "torch.nn:Linear"
    autocast: ClassVar[str] = "lower"

    in_features: int | None
    out_features: int
    bias: bool = True

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        freeze(
            self,
            in_features=optional_size(self.name, "in_features", self.in_features),
            out_features=positive_int(self.name, "out_features", self.out_features),
            bias=check_bool(self.name, "bias", self.bias),
        )

    def effect(self, shape: Shape) -> Effect:
        fin, fout = shape[-1], self.out_features
        if self.in_features is not None and self.in_features != fin:
            hint = f"use in_features={fin}"
            if len(shape) > 1 and prod(shape) == self.in_features:
                hint = f"add a Flatten() before it ({'·'.join(map(str, shape))} = {prod(shape)})"
            raise ShapeError(f"in_features={self.in_features} but the input's last dim is {fin} (shape {fmt_shape(shape)}); {hint}")
        positions = prod(shape[:-1])
        macs = positions * fin * fout
        return Effect(
            output_shape=(*shape[:-1], fout),
            weights=fin * fout,
            biases=fout if self.bias else 0,
            macs=macs,
            flops=2 * macs,
            formula=f"{fin} → {fout}" + (f" at each of {positions} positions" if positions > 1 else ""),
            reach=Reach("dense"),  # each output reads the whole last dim
        )

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(macs=ran.macs, bias_adds=prod(ran.output_shape) * ran.batch if self.bias else 0)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """x·Wᵀ + b as one matrix product (the input viewed as rows of ``in_features``): the input's gradient is
        g·W and the weight's gᵀ·x, each a product of the forward's size (FlopCounterMode counts both). Autograd
        keeps the input only for the weight's gradient (and the weight, a parameter, for the input's)."""
        saved = (Saved("input", numel(shape)),) if grads.weights else ()
        found = saving(grads, *saved, input_flops=effect.flops, weight_flops=effect.flops,
                       torch_flops=(effect.flops if grads.input else 0) + (effect.flops if grads.weights else 0))
        return records.replace(found, keeps_weights=grads.input)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        fin, fout = shape[-1], self.out_features
        positions = prod(shape[:-1])
        at = f"·{positions}" if positions > 1 else ""
        return (Step("output", f"{'×'.join(map(str, effect.output_shape))}  (the last dim {fin} → {fout})"),
                Step("parameters", f"params = in·out{' + out' if self.bias else ''}",
                     f"{fin}·{fout}" + (f" + {fout}" if self.bias else ""), effect.weights + effect.biases),
                Step("MACs", f"MACs = in·out{'·positions' if at else ''}", f"{fin}·{fout}{at}", effect.macs),
                Step("FLOPs", "FLOPs = 2·MACs", value=effect.flops))


@spec
class Flatten(Leaf):
    """torch.nn.Flatten: dims counted as torch counts them, with the batch as dim 0."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    family: ClassVar[str] = "none"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"flatten": ("start_dim", "end_dim")}
    torch: ClassVar[Any] = "torch.nn:Flatten"

    start_dim: int = 1
    end_dim: int = -1

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        for arg in ("start_dim", "end_dim"):
            if not is_int(getattr(self, arg)):
                raise SpecError(f"{self.name}: {arg} must be an int, got {getattr(self, arg)!r}")
        if self.start_dim == 0:
            raise SpecError(f"{self.name}: start_dim=0 would merge the batch into the features; convcalc keeps the batch apart (use start_dim=1)")

    def effect(self, shape: Shape) -> Effect:
        rank = len(shape) + 1  # torch's dims include the batch
        start = self.start_dim + rank if self.start_dim < 0 else self.start_dim
        end = self.end_dim + rank if self.end_dim < 0 else self.end_dim
        if start == 0 and 0 <= end < rank:
            raise ShapeError(
                f"start_dim={self.start_dim} is the batch dim of a {rank}-d batch (batch plus {fmt_shape(shape)}); "
                f"convcalc keeps the batch apart (use start_dim={1 if self.start_dim >= 0 else 1 - rank})"
            )
        if not (1 <= start < rank and 1 <= end < rank) or start > end:
            raise ShapeError(
                f"start_dim={self.start_dim}, end_dim={self.end_dim} do not name dims of a {rank}-d batch "
                f"(batch plus {fmt_shape(shape)}); use 1 ≤ start_dim ≤ end_dim ≤ {rank - 1}"
            )
        merged = shape[start - 1 : end]
        out = (*shape[: start - 1], prod(merged), *shape[end:])
        return Effect(
            output_shape=out,
            new_tensor=False,
            formula=f"{'·'.join(map(str, merged))} = {prod(merged)}",
            reach=Reach("flatten") if end >= 2 else Reach(),
        )

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", f"{effect.formula}: {'×'.join(map(str, effect.output_shape))} (a view: no copy, no FLOPs)"),
                Step("parameters", "params = 0"))


@spec
class LazyLinear(_Lazy):
    """torch.nn.LazyLinear (d2l.ai's): Linear without ``in_features``, taken from the input's last dim."""

    autocast: ClassVar[str] = "lower"

    becomes: ClassVar[type[Leaf]] = Linear
    family: ClassVar[str] = "linear"
    flop_counter: ClassVar[bool] = True

    out_features: int
    bias: bool = True
