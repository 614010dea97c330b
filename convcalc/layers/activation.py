"""Elementwise activations and Dropout: no parameters, 1 FLOP per element (dropout 0).

An in-place activation (``inplace=True``) writes over its input and allocates no
activation memory; dropout at inference returns its input unchanged.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from .base import (
    Effect,
    Leaf,
    Primitives,
    Ran,
    Shape,
    Step,
    check_bool,
    check_number,
    dims_text,
    elementwise,
    is_int,
    numel,
    spec,
)
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar


class _Pointwise(Leaf):
    """One FLOP per element (the DESIGN.md convention for every elementwise function)."""

    rule: ClassVar[str] = ""
    family: ClassVar[str] = "activation"
    torch: ClassVar[Any] = "torch.nn:{name}"

    def __post_init__(self) -> None:
        if hasattr(self, "inplace"):
            check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, new_tensor=not getattr(self, "inplace", False), formula=f"{self.rule}, 1 per element")

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(activation_elements=numel(ran.output_shape) * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"), Step("parameters", "params = 0"),
                Step("FLOPs", "FLOPs = 1 per element", dot(*shape), effect.flops))


@spec
class ReLU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"relu": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "max(0, x)"


@spec
class ReLU6(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"relu6": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "min(max(0, x), 6)"


@spec
class LeakyReLU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"leaky_relu": ("negative_slope", "inplace")}
    negative_slope: float = 0.01
    inplace: bool = False
    rule: ClassVar[str] = "max(αx, x)"

    def __post_init__(self) -> None:
        check_number(self.name, "negative_slope", self.negative_slope)
        super().__post_init__()


@spec
class Sigmoid(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"sigmoid": ()}
    rule: ClassVar[str] = "1/(1+e^−x)"


@spec
class Tanh(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"tanh": ()}
    rule: ClassVar[str] = "tanh(x)"


@spec
class Hardsigmoid(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"hardsigmoid": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "relu6(x+3)/6"


@spec
class Hardswish(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"hardswish": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "x·relu6(x+3)/6"


@spec
class SiLU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"silu": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "x·σ(x)"


@spec
class GELU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"gelu": ("approximate",)}
    approximate: str = "none"
    rule: ClassVar[str] = "x·Φ(x)"

    def __post_init__(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise SpecError(f"{self.name}: approximate must be 'none' or 'tanh', got {self.approximate!r}")


@spec
class Softmax(_Pointwise):
    """Counted as elementwise (1 FLOP per element), the DESIGN.md convention."""

    family: ClassVar[str] = "softmax"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"softmax": ("dim",)}

    dim: int | None = None
    rule: ClassVar[str] = "eˣ/Σeˣ"

    def __post_init__(self) -> None:
        if self.dim is not None and not is_int(self.dim):
            raise SpecError(f"{self.name}: dim must be an int or None, got {self.dim!r}")

    def effect(self, shape: Shape) -> Effect:
        rank = len(shape) + 1
        if self.dim is not None and not -rank <= self.dim < rank:
            raise ShapeError(f"dim={self.dim} is out of range for a {rank}-d batch; use -{rank} ≤ dim < {rank}")
        return super().effect(shape)


@spec
class Dropout(Leaf):
    """At inference dropout is the identity: no FLOPs and no new tensor."""

    family: ClassVar[str] = "none"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"dropout": ("p", "training", "inplace")}
    functional_ignored: ClassVar[tuple[str, ...]] = ("training",)
    torch: ClassVar[Any] = "torch.nn:Dropout"
    torch_also: ClassVar[tuple[str, ...]] = ("torch.nn:Dropout1d", "torch.nn:Dropout2d", "torch.nn:Dropout3d",
                                             "torch.nn:AlphaDropout")

    p: float = 0.5
    inplace: bool = False

    def __post_init__(self) -> None:
        p = check_number(self.name, "p", self.p)
        if not 0 <= p <= 1:
            raise SpecError(f"{self.name}: p must be between 0 and 1, got {p!r}")
        check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 0, new_tensor=False, formula="identity at inference")
