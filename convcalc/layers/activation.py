"""Elementwise activations and Dropout: no parameters, 1 FLOP per element (dropout 0).

An in-place activation (``inplace=True``) writes over its input and allocates no
activation memory; dropout at inference returns its input unchanged.
"""

from __future__ import annotations


from ..errors import ShapeError, SpecError
from .base import Effect, Leaf, Shape, check_bool, check_number, elementwise, is_int, spec

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import ClassVar


class _Pointwise(Leaf):
    """One FLOP per element (the DESIGN.md convention for every elementwise function)."""

    rule: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if hasattr(self, "inplace"):
            check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, new_tensor=not getattr(self, "inplace", False), formula=f"{self.rule}, 1 per element")


@spec
class ReLU(_Pointwise):
    inplace: bool = False
    rule: ClassVar[str] = "max(0, x)"


@spec
class ReLU6(_Pointwise):
    inplace: bool = False
    rule: ClassVar[str] = "min(max(0, x), 6)"


@spec
class LeakyReLU(_Pointwise):
    negative_slope: float = 0.01
    inplace: bool = False
    rule: ClassVar[str] = "max(αx, x)"

    def __post_init__(self) -> None:
        check_number(self.name, "negative_slope", self.negative_slope)
        super().__post_init__()


@spec
class Sigmoid(_Pointwise):
    rule: ClassVar[str] = "1/(1+e^−x)"


@spec
class Tanh(_Pointwise):
    rule: ClassVar[str] = "tanh(x)"


@spec
class Hardsigmoid(_Pointwise):
    inplace: bool = False
    rule: ClassVar[str] = "relu6(x+3)/6"


@spec
class Hardswish(_Pointwise):
    inplace: bool = False
    rule: ClassVar[str] = "x·relu6(x+3)/6"


@spec
class SiLU(_Pointwise):
    inplace: bool = False
    rule: ClassVar[str] = "x·σ(x)"


@spec
class GELU(_Pointwise):
    approximate: str = "none"
    rule: ClassVar[str] = "x·Φ(x)"

    def __post_init__(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise SpecError(f"{self.name}: approximate must be 'none' or 'tanh', got {self.approximate!r}")


@spec
class Softmax(_Pointwise):
    """Counted as elementwise (1 FLOP per element), the DESIGN.md convention."""

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

    p: float = 0.5
    inplace: bool = False

    def __post_init__(self) -> None:
        p = check_number(self.name, "p", self.p)
        if not 0 <= p <= 1:
            raise SpecError(f"{self.name}: p must be between 0 and 1, got {p!r}")
        check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 0, new_tensor=False, formula="identity at inference")
