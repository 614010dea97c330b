"""Padding layers: torch's ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad (1d/2d/3d).

``padding`` is an int (every side) or a tuple in torch's order, last dim first: (left, right) for 1d,
(left, right, top, bottom) for 2d, (left, right, top, bottom, front, back) for 3d. Each spatial dim
grows to O = I + P_left + P_right; a negative padding crops (torch allows it) and must leave at least
one element (a constant pad also cannot crop more than the input holds). Reflection needs each side's
padding below the input size (a mirror never repeats the edge), circular at most the input size less
the other side's crop (torch wraps around once), as torch itself checks. convcalc also refuses a
circular pad whose crop takes the whole input, which torch's implementation only sometimes accepts.

Counting: no parameters, no MACs and no FLOPs — the output is a copy with the border filled in, no
arithmetic (torch's FlopCounterMode, fvcore, thop, ptflops and torchinfo all count 0 for these
modules: family ``none``). The output is a new tensor, so its activation memory counts. Along each
dim, output position o reads input position o − P_left: the receptive field is shifted, not widened.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from .base import Effect, Leaf, Shape, Step, check_number, expect_spatial, fmt_shape, freeze, is_int, join_formulas, spec
from .steps import AXES, output_steps
from .window import window_reach

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar

#: torch's names of the sides, in its order (last dim first).
_SIDES = ("left", "right", "top", "bottom", "front", "back")


@spec
class _PadNd(Leaf):
    """A padding layer: ``padding`` per side, torch's order (last dim first)."""

    family: ClassVar[str] = "none"
    torch: ClassVar[Any] = "torch.nn:{name}"
    ndim: ClassVar[int] = 2
    #: What fills the border: F.pad's mode.
    mode: ClassVar[str] = "constant"

    padding: tuple[int, ...]

    if TYPE_CHECKING:  # torch's forms: one int for every side, or 2·ndim ints
        def __init__(self, padding: int | tuple[int, ...]) -> None: ...

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        freeze(self, padding=self._sides(self.padding))

    def _sides(self, value: Any) -> tuple[int, ...]:
        count = 2 * self.ndim
        items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
        if len(items) != count or not all(is_int(v) for v in items):
            order = ", ".join(_SIDES[:count])
            raise SpecError(f"{self.name}: padding must be an int or {count} ints ({order}), got {value!r}")
        return items

    def pads(self, spatial: Shape | None = None) -> tuple[tuple[int, int], ...]:
        """(left, right) per spatial dim, first spatial dim first (torch's tuple lists the last dim first)."""
        p, n = self.padding, self.ndim
        return tuple((p[2 * (n - 1 - d)], p[2 * (n - 1 - d) + 1]) for d in range(n))

    def _check(self, spatial: Shape, pads: tuple[tuple[int, int], ...]) -> None:
        """torch's own rules, per dim: the result must hold at least one element; a constant pad cannot crop
        more than the input holds; reflect pads less than the input size, circular at most what is left
        after the other side's crop (torch wraps around once)."""
        axes = AXES.get(self.ndim, ())
        for axis, i, (l, r) in zip(axes, spatial, pads):
            where = f"the {axis} of input {fmt_shape(spatial)}"
            if i + l + r < 1:
                raise ShapeError(f"padding {l} and {r} on {where} leaves {i + l + r} elements; "
                                 f"a crop (negative padding) must leave at least 1: P_left + P_right ≥ {1 - i}")
            if self.mode == "constant" and i + min(l, 0) + min(r, 0) < 0:
                raise ShapeError(f"padding {l} and {r} on {where} crops {-(min(l, 0) + min(r, 0))} elements of {i} "
                                 f"(torch crops before it pads); crop at most {i}")
            if self.mode == "reflect" and max(l, r) >= i:
                raise ShapeError(f"reflection padding must be smaller than the input size (torch's rule), got padding "
                                 f"{max(l, r)} on {where}; use at most {i - 1}")
            if self.mode == "circular":
                kept = min(i + min(l, 0), i + min(r, 0))
                if kept < 1:
                    raise ShapeError(f"circular padding {l} and {r} on {where} crops the whole {axis}: nothing is left to wrap around")
                for pad, other in ((l, r), (r, l)):
                    if pad > i + min(other, 0):
                        raise ShapeError(f"circular padding can wrap around at most once (torch's rule), got padding {pad} "
                                         f"on {where} with {i + min(other, 0)} left after the crop; use at most {i + min(other, 0)}")

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial, pads = shape[1:], self.pads()
        self._check(spatial, pads)
        out = tuple(i + l + r for i, (l, r) in zip(spatial, pads))
        one = (1,) * self.ndim
        return Effect(
            output_shape=(shape[0], *out),
            formula=join_formulas([f"{i}+{l}+{r} = {o}" for i, (l, r), o in zip(spatial, pads, out)]),
            reach=window_reach(one, one, one, tuple(l for l, _ in pads)),  # output o is input o − P_left
        )

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, pads = shape[1:], self.pads()
        per_dim = [f"O = {i} + {l} + {r} = {o}" for i, (l, r), o in zip(spatial, pads, effect.output_shape[1:])]
        sides = ", ".join(f"{side} {p}" for side, p in zip(_SIDES, self.padding))
        return (
            Step("padding", f"{sides} ({self.fill()})"),
            *output_steps(spatial, per_dim, "O = I + P_left + P_right", effect.output_shape),
            Step("parameters", "params", value=0, note="padding holds no weights"),
            Step("FLOPs", "FLOPs", value=0, note="a copy with the border filled in: no arithmetic"),
        )

    def fill(self) -> str:
        """What the border holds."""
        return {"reflect": "mirrored, the edge not repeated", "replicate": "the edge value repeated",
                "circular": "wrapped around from the other side"}.get(self.mode, "zeros")


class ZeroPad1d(_PadNd):
    autocast: ClassVar[str] = "same"
    saves: ClassVar[str | None] = "nothing"
    ndim: ClassVar[int] = 1


class ZeroPad2d(_PadNd):
    autocast: ClassVar[str] = "same"
    saves: ClassVar[str | None] = "nothing"
    ndim: ClassVar[int] = 2


class ZeroPad3d(_PadNd):
    autocast: ClassVar[str] = "same"
    saves: ClassVar[str | None] = "nothing"
    ndim: ClassVar[int] = 3


@spec
class _ConstantPadNd(_PadNd):
    """torch.nn.ConstantPadNd(padding, value): the border holds ``value``."""

    autocast: ClassVar[str] = "same"

    saves: ClassVar[str | None] = "nothing"

    value: float

    if TYPE_CHECKING:
        def __init__(self, padding: int | tuple[int, ...], value: float) -> None: ...

    def __post_init__(self) -> None:
        super().__post_init__()
        check_number(self.name, "value", self.value)

    def fill(self) -> str:
        return f"the constant {self.value!r}"


class ConstantPad1d(_ConstantPadNd):
    ndim: ClassVar[int] = 1


class ConstantPad2d(_ConstantPadNd):
    ndim: ClassVar[int] = 2


class ConstantPad3d(_ConstantPadNd):
    ndim: ClassVar[int] = 3


class ReflectionPad1d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 1
    mode: ClassVar[str] = "reflect"


class ReflectionPad2d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 2
    mode: ClassVar[str] = "reflect"


class ReflectionPad3d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 3
    mode: ClassVar[str] = "reflect"


class ReplicationPad1d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 1
    mode: ClassVar[str] = "replicate"


class ReplicationPad2d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 2
    mode: ClassVar[str] = "replicate"


class ReplicationPad3d(_PadNd):
    saves: ClassVar[str | None] = "input"
    ndim: ClassVar[int] = 3
    mode: ClassVar[str] = "replicate"


class CircularPad1d(_PadNd):
    ndim: ClassVar[int] = 1
    mode: ClassVar[str] = "circular"


class CircularPad2d(_PadNd):
    ndim: ClassVar[int] = 2
    mode: ClassVar[str] = "circular"


class CircularPad3d(_PadNd):
    ndim: ClassVar[int] = 3
    mode: ClassVar[str] = "circular"
