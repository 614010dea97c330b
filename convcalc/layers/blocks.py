"""Blocks: Sequential, Residual, Concat, Scale and Product, and the joins they add (Add, Cat, Mul).

A block has no cost of its own beyond its join: a Residual adds body and
shortcut (1 FLOP per output element, a row of kind ``add``), a Concat joins its
branches along channels (no FLOPs, a row of kind ``cat``: torch.cat makes a new
tensor), a Scale multiplies its input by what its layers compute from it (1
FLOP per element, a row of kind ``mul``: squeeze-and-excitation), a Product
multiplies what two branches compute (LRASPP's gate).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ShapeError, SpecError
from ..records import record
from .base import (
    Backward,
    Block,
    Branch,
    Effect,
    Grads,
    Join,
    Layer,
    Leaf,
    Primitives,
    Ran,
    Saved,
    Shape,
    Structure,
    fmt_shape,
    freeze,
    is_int,
    numel,
    saving,
    spec,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar


def _named(owner: str, items: tuple[Any, ...], reserved: str = "") -> tuple[tuple[str, ...], tuple[Layer, ...]]:
    """Children given as layers (named 0, 1, …) or as one mapping of name -> layer (torch's OrderedDict form)."""
    if len(items) == 1 and isinstance(items[0], Mapping):
        names, layers = tuple(str(k) for k in items[0]), tuple(items[0].values())
    else:
        names, layers = tuple(str(i) for i in range(len(items))), tuple(items)
    for name, layer in zip(names, layers):
        if not isinstance(layer, Layer):
            raise SpecError(f"{owner}: child {name!r} is {layer!r}, not a convcalc layer")
        if not name or "." in name:
            raise SpecError(f"{owner}: child name {name!r} must be non-empty and contain no '.'")
        if name == reserved:
            raise SpecError(f"{owner}: a child cannot be named {name!r}: that is the name of its join")
    return names, layers


@spec
class Sequential(Block):
    """Layers applied in order; ``Sequential(a, b)`` or ``Sequential({"features": a, "classifier": b})``."""

    layers: tuple[Layer, ...]
    names: tuple[str, ...]

    def __init__(self, *layers: Layer | Mapping[str, Layer]) -> None:
        names, items = _named("Sequential", layers)
        freeze(self, layers=items, names=names)

    def structure(self) -> Structure:
        return Structure(layers=tuple(zip(self.names, self.layers)))

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key: int | str) -> Layer:
        return self.layers[key] if is_int(key) else self.layers[self.names.index(key)]

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) if name == str(i) else f"{name}={layer!r}" for i, (name, layer) in enumerate(self.children()))
        return f"Sequential({inner})"


_JOINS = "convcalc.torch_bridge.modules:{name}"


@spec
class Add(Join):
    """The residual join ``body(x) + shortcut(x)``: 1 FLOP per output element."""

    block: ClassVar[str] = "Residual"
    call: ClassVar[str] = "+"
    family: ClassVar[str] = "add"
    torch: ClassVar[Any] = _JOINS

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(add_elements=ran.flops)

    def join(self, shapes: list[Shape], names: list[str]) -> Effect:
        first = shapes[0]
        for name, shape in zip(names[1:], shapes[1:]):
            if shape != first:
                raise ShapeError(
                    f"{names[0]} gives {fmt_shape(first)} but {name} gives {fmt_shape(shape)}; they must match to be added"
                    + ("" if shape[1:] != first[1:] else f" (a projection shortcut such as Conv2d({shape[0]}, {first[0]}, 1) would fit)")
                )
        return Effect(output_shape=first, flops=numel(first), formula=" + ".join(names))


@spec
class Cat(Join):
    """The concat join along channels (torch.cat(dim=1)): no FLOPs, but a new tensor."""

    block: ClassVar[str] = "Concat"
    call: ClassVar[str] = "torch.cat"
    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = _JOINS

    def join(self, shapes: list[Shape], names: list[str]) -> Effect:
        first = shapes[0]
        for name, shape in zip(names[1:], shapes[1:]):
            if len(shape) != len(first) or shape[1:] != first[1:]:
                raise ShapeError(
                    f"branch {names[0]} gives {fmt_shape(first)} but branch {name} gives {fmt_shape(shape)}; "
                    "concatenated branches must agree on everything but channels"
                )
        channels = [s[0] for s in shapes]
        return Effect(output_shape=(sum(channels), *first[1:]), formula=f"{' + '.join(map(str, channels))} = {sum(channels)} channels")


def _spreads(gate: Shape, x: Shape) -> bool:
    """Whether ``gate`` broadcasts over ``x`` as a multiplication's second factor: the same channels, and each
    other size 1 or equal."""
    return len(gate) == len(x) and gate[0] == x[0] and all(g in (1, d) for g, d in zip(gate, x))


@spec
class Mul(Join):
    """The gate of a Scale block, ``x · gate``: 1 FLOP per element of x; the gate broadcasts (C×1×1)."""

    block: ClassVar[str] = "Scale"
    call: ClassVar[str] = "*"
    family: ClassVar[str] = "mul"
    torch: ClassVar[Any] = _JOINS
    broadcast: ClassVar[bool] = True

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(mul_elements=ran.flops)

    def join(self, shapes: list[Shape], names: list[str]) -> Effect:
        x, gate = shapes
        if _spreads(x, gate) and not _spreads(gate, x):  # (a Product's first branch may be the one that broadcasts)
            x, gate = gate, x
        if not _spreads(gate, x):
            raise ShapeError(f"the gate {fmt_shape(gate)} does not broadcast over the input {fmt_shape(x)}; it needs {x[0]} channels and sizes 1 or equal")
        return Effect(output_shape=x, flops=numel(x), formula=f"x·gate, {fmt_shape(gate)} broadcast over {fmt_shape(x)}")

    def join_backward(self, shapes: tuple[Shape, ...], effect: Effect, grads: Grads) -> Backward | None:
        """A product keeps each factor for the other's gradient (where the other needs one); each gradient is a
        product per output element (a broadcast factor's then summed over where it spread)."""
        saved = tuple(Saved("input" if i == 0 else f"input{i}", numel(shapes[i]))
                      for i, other in ((1, grads.inputs[0]), (0, grads.inputs[1])) if other)
        return saving(grads, *saved, input_flops=numel(effect.output_shape) * sum(grads.inputs))


#: The one join object of each block type (a join has no arguments: every Residual's sum is alike).
_ADD, _CAT, _MUL = Add(), Cat(), Mul()


@spec
class Residual(Block):
    """``body(x) + shortcut(x)``, then ``activation`` if given (ResNet's ReLU after the sum).

    The shortcut is the identity when ``None``, else a projection.
    """

    body: Layer
    shortcut: Layer | None = None
    activation: Layer | None = None

    def __post_init__(self) -> None:
        for name in ("body", "shortcut", "activation"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Layer):
                raise SpecError(f"Residual: {name} is {value!r}, not a convcalc layer")
        if self.body is None:
            raise SpecError("Residual: body is required")

    def structure(self) -> Structure:
        shortcut = Branch("identity") if self.shortcut is None else Branch("shortcut", (("shortcut", self.shortcut),))
        return Structure(branches=(Branch("body", (("body", self.body),)), shortcut), join=_ADD, join_name="add",
                         after=(("activation", self.activation),) if self.activation is not None else ())


@spec
class _Branches(Block):
    """Branches applied to the same input, their outputs joined by :attr:`join` (a row named :attr:`join_name`)."""

    join: ClassVar[Join]
    join_name: ClassVar[str]
    arity: ClassVar[str] = "at least one branch"

    branches: tuple[Layer, ...]
    names: tuple[str, ...]

    def __init__(self, *branches: Layer | Mapping[str, Layer]) -> None:
        names, items = _named(self.name, branches, reserved=self.join_name)
        if not self._fits(len(items)):
            raise SpecError(f"{self.name}: needs {self.arity}, got {len(items)}")
        freeze(self, branches=items, names=names)

    @staticmethod
    def _fits(count: int) -> bool:
        return count > 0

    def structure(self) -> Structure:
        return Structure(branches=tuple(Branch(n, ((n, b),)) for n, b in zip(self.names, self.branches)), join=self.join,
                         join_name=self.join_name)

    def __repr__(self) -> str:
        inner = ", ".join(repr(b) if n == str(i) else f"{n}={b!r}" for i, (n, b) in enumerate(self.children()))
        return f"{self.name}({inner})"


class Concat(_Branches):
    """Branches applied to the same input, joined along channels (an Inception module)."""

    join: ClassVar[Join] = _CAT
    join_name: ClassVar[str] = "cat"


@record(init=False, repr=False)
class Scale(Block):
    """``x · f(x)``: the layers run in order on x and their output (C×1×1, say) scales x."""

    layers: tuple[Layer, ...]
    names: tuple[str, ...]

    def __init__(self, *layers: Layer | Mapping[str, Layer]) -> None:
        names, items = _named(self.name, layers, reserved="scale")
        if not items:
            raise SpecError(f"{self.name}: needs at least one layer to compute the gate")
        freeze(self, layers=items, names=names)

    def structure(self) -> Structure:
        return Structure(branches=(Branch("x"), Branch("gate", tuple(zip(self.names, self.layers)))), join=_MUL,
                         join_name="scale")

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{n}={layer!r}' for n, layer in self.children())})"


class Product(_Branches):
    """Two branches on the same input, their outputs multiplied (either may broadcast: C×1×1, say).

    LRASPP's head as torchvision writes it, ``cbr(high) * scale(high)``: ``Product({"cbr": …, "scale": …})``.
    A Scale is the case whose first branch is the input itself. 1 FLOP per output element, a row of kind ``mul``.
    """

    join: ClassVar[Join] = _MUL
    join_name: ClassVar[str] = "mul"
    arity: ClassVar[str] = "two branches (the value and the gate that scales it)"

    @staticmethod
    def _fits(count: int) -> bool:
        return count == 2


@record(init=False, repr=False)
class SqueezeExcitation(Scale):
    """Squeeze-and-excitation as torchvision builds it: global average pool, 1×1 conv to
    ``squeeze_channels``, activation, 1×1 conv back, scale activation, then x times the result."""

    def __init__(self, input_channels: int, squeeze_channels: int, activation: Leaf | None = None,
                 scale_activation: Leaf | None = None) -> None:
        from .activation import ReLU, Sigmoid
        from .conv import Conv2d
        from .pooling import AdaptiveAvgPool2d

        super().__init__({
            "avgpool": AdaptiveAvgPool2d(1),
            "fc1": Conv2d(input_channels, squeeze_channels, 1),
            "activation": activation if activation is not None else ReLU(),
            "fc2": Conv2d(squeeze_channels, input_channels, 1),
            "scale_activation": scale_activation if scale_activation is not None else Sigmoid(),
        })
