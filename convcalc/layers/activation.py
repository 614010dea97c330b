"""Elementwise activations and Dropout: no parameters, 1 FLOP per element (dropout 0).

An in-place activation (``inplace=True``) writes over its input and allocates no
activation memory; dropout at inference returns its input unchanged.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from .base import Effect, Leaf, Shape, check_bool, check_number, elementwise, is_int, spec


@spec
class ReLU(Leaf):
    inplace: bool = False

    def __post_init__(self) -> None:
        check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, new_tensor=not self.inplace, formula="max(0, x) per element")


@spec
class LeakyReLU(Leaf):
    negative_slope: float = 0.01
    inplace: bool = False

    def __post_init__(self) -> None:
        check_number(self.name, "negative_slope", self.negative_slope)
        check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, new_tensor=not self.inplace, formula="max(αx, x) per element")


@spec
class Sigmoid(Leaf):
    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, formula="1/(1+e^−x) per element")


@spec
class Tanh(Leaf):
    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, formula="tanh(x) per element")


@spec
class Softmax(Leaf):
    """Counted as elementwise (1 FLOP per element), the DESIGN.md convention."""

    dim: int | None = None

    def __post_init__(self) -> None:
        if self.dim is not None and not is_int(self.dim):
            raise SpecError(f"{self.name}: dim must be an int or None, got {self.dim!r}")

    def effect(self, shape: Shape) -> Effect:
        rank = len(shape) + 1
        if self.dim is not None and not -rank <= self.dim < rank:
            raise ShapeError(f"dim={self.dim} is out of range for a {rank}-d batch; use -{rank} ≤ dim < {rank}")
        return elementwise(shape, 1, formula="eˣ/Σeˣ, counted 1 per element")


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
