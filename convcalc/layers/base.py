"""What every layer spec shares: the type registry, argument checks, and the Effect record.

A layer spec is a frozen record (:mod:`convcalc.records`) with torch's constructor signature. A *leaf*
knows one thing: given the per-sample input shape (channels first, no batch),
what comes out and what it costs — its :meth:`Leaf.effect`. A *block*
(Sequential, Residual, Concat) only names its children; the analysis walks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod

from .. import records
from ..errors import ShapeError, SpecError
from ..records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any, ClassVar, Literal

Shape = tuple[int, ...]

#: kind (torch's class name in lower case) -> layer class; filled by Layer.__init_subclass__.
LAYER_TYPES: dict[str, type[Layer]] = {}

#: Decorator for layer specs: immutable, with Layer's torch-style repr and Layer's value equality and
#: hash (one pair for every layer type: written once here, not per class).
#: A subclass that only sets class constants (Conv2d of _ConvNd) needs no decorator of its own.
spec = record(repr=False, eq=False)

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


class Layer:
    """Base of every layer spec. Concrete subclasses register under their ``kind``."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract or cls.__name__.startswith("_"):
            return  # a base or shared implementation, not a layer type of its own
        kind = cls.__name__.lower()
        if kind in LAYER_TYPES:
            raise TypeError(f"layer kind {kind!r} is registered twice ({LAYER_TYPES[kind]!r} and {cls!r})")
        cls.kind = kind
        LAYER_TYPES[kind] = cls

    @property
    def name(self) -> str:
        """The class name as torch spells it (``Conv2d``)."""
        return type(self).__name__

    def _values(self) -> tuple[Any, ...]:
        """The constructor arguments as stored, in order: what equality and hashing compare
        (computed once per layer; a spec never changes)."""
        try:
            return self.__dict__["_values_"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(cls.__record_fields__) if records.is_record(cls) else ()
        values = self.__dict__["_values_"] = tuple(getattr(self, n) for n in names)
        return values

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        """The constructor call, torch style: positional required arguments, then the
        keyword arguments that differ from their defaults (tuples of equal values shown once)."""
        shown: list[str] = []
        for name, required, default, per_dim in _repr_plan(type(self)):
            value = getattr(self, name)
            text = _show(value) if per_dim else repr(value)
            if required:
                shown.append(text)
            elif not _same_value(value, default):
                shown.append(f"{name}={text}")
        return f"{self.name}({', '.join(shown)})"


_REPR_PLANS: dict[type, tuple[tuple[str, bool, Any, bool], ...]] = {}


def _repr_plan(cls: type) -> tuple[tuple[str, bool, Any, bool], ...]:
    """Per class, once: (name, required, default, given per dim) of each argument repr shows."""
    plan = _REPR_PLANS.get(cls)
    if plan is None:
        fields = records.fields(cls) if records.is_record(cls) else ()
        plan = _REPR_PLANS[cls] = tuple(
            (f.name, f.required, f.default,
             f.name in _PER_DIM)
            for f in fields if f.init and f.repr
        )
    return plan


#: Arguments given per spatial dim, where torch takes one int for all: shown once when all agree.
_PER_DIM = {"kernel_size", "stride", "padding", "dilation", "output_padding", "output_size"}


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return repr(value[0])
    return repr(value)


def _same_value(value: Any, default: Any) -> bool:
    if isinstance(value, tuple) and not isinstance(default, tuple):
        return all(v == default for v in value)
    return bool(value == default)


@record
class Reach:
    """Which input positions each output position of a leaf reads, for the receptive field.

    ``kind`` is ``"same"`` (position to position: elementwise), ``"window"`` (per spatial dim
    ``(kernel, stride, dilation, left padding)``: output o reads o·S − P + j·D for j < K),
    ``"transposed"`` (per dim ``(kernel, stride, dilation, padding)``: output o reads the
    inputs i with o + P = i·S + j·D), ``"adaptive"`` (per dim ``(in, out)``: torch's adaptive
    windows), ``"flatten"`` (positions become features), ``"dense"`` (each output reads the
    whole last dim: a Linear layer) or ``"permute"`` (``order`` is the new order of dims).
    """

    kind: Literal["same", "window", "transposed", "adaptive", "flatten", "dense", "permute"] = "same"
    dims: tuple[tuple[int, ...], ...] = ()
    order: tuple[int, ...] = ()


SAME = Reach()


@record
class Part:
    """A visible piece of a composite leaf (the depthwise and pointwise halves of a separable conv)."""

    name: str
    layer: str
    output_shape: Shape
    weights: int
    biases: int
    macs: int
    flops: int
    formula: str


@record
class Effect:
    """What a leaf does to one sample: the shape out and what it costs.

    ``macs`` and ``flops`` are per sample; the analysis multiplies by the batch.
    ``new_tensor`` is False for views (flatten), in-place activations and
    inference-time dropout, which allocate no activation memory;
    ``extra_elements`` counts intermediate tensors a composite leaf makes.
    """

    output_shape: Shape
    weights: int = 0
    biases: int = 0
    macs: int = 0
    flops: int = 0
    buffers: int = 0
    new_tensor: bool = True
    formula: str = ""
    reach: Reach = SAME
    warnings: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    extra_elements: int = 0


class Leaf(Layer, abstract=True):
    """A layer with no children: it computes its own :class:`Effect`."""

    #: The constructor argument that may be ``None`` and is then taken from the input
    #: (``in_channels``, …); ``in_features`` reads the last dim, the others the channels.
    inferred: ClassVar[str | None] = None

    @property
    def open_size(self) -> str | None:
        """The name of the size this layer still has to take from its input, if any."""
        return self.inferred if self.inferred and getattr(self, self.inferred) is None else None

    def effect(self, shape: Shape) -> Effect:  # pragma: no cover - every leaf overrides it
        raise NotImplementedError

    def resolved(self, shape: Shape) -> Leaf:
        """This layer with a size left as ``None`` filled in from the incoming shape: the
        channels (dim 0), or for ``in_features`` the last dim, as torch's Linear reads it."""
        arg = self.open_size
        if arg is None:
            return self
        return records.replace(self, **{arg: shape[-1] if arg == "in_features" else shape[0]})  # type: ignore[type-var]


class Block(Layer, abstract=True):
    """A layer made of named children; the analysis walks them."""

    def children(self) -> tuple[tuple[str, Layer], ...]:  # pragma: no cover - every block overrides it
        raise NotImplementedError

    def __iter__(self) -> Iterator[Layer]:
        return (layer for _, layer in self.children())


# --- argument checks shared by the constructors ------------------------------------------


def is_int(value: Any) -> bool:
    """True for ints, False for bools (a bool is an int to Python but never a size)."""
    return isinstance(value, int) and not isinstance(value, bool)


def int_tuple(layer: str, arg: str, value: Any, ndim: int, minimum: int, *, one_for_all: bool = True) -> tuple[int, ...]:
    """``value`` (an int or a tuple of ``ndim`` ints, each ≥ ``minimum``) as a tuple of ``ndim`` ints.

    A 1-tuple stands for every dim, as torch reads it (``stride=(2,)`` on a Conv2d), except
    where torch refuses one (a conv's kernel_size: ``one_for_all=False``).
    """
    items = value if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(items) == 1 and ndim > 1 and one_for_all:
        items = tuple(items) * ndim
    if len(items) != ndim:
        counts = f"1 or {ndim} values" if one_for_all or ndim == 1 else f"one int or {ndim} values"
        raise SpecError(f"{layer}: {arg} needs {counts} for a {ndim}-d layer, got {value!r}")
    for item in items:
        if not is_int(item):
            raise SpecError(f"{layer}: {arg} must be {'an int' if ndim == 1 else 'ints'}, got {value!r}")
        if item < minimum:
            bound = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f"≥ {minimum}"
            raise SpecError(f"{layer}: {arg} must be {bound}, got {value!r}")
    return tuple(items)


def positive_int(layer: str, arg: str, value: Any, *, optional: bool = False) -> int | None:
    """A positive int (or ``None`` when ``optional``: then it is inferred from the input)."""
    if value is None and optional:
        return None
    if not is_int(value) or value < 1:
        raise SpecError(f"{layer}: {arg} must be a positive int, got {value!r}")
    return int(value)


def check_bool(layer: str, arg: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{layer}: {arg} must be True or False, got {value!r}")
    return value


def check_number(layer: str, arg: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{layer}: {arg} must be a number, got {value!r}")
    return value


def freeze(obj: Any, **values: Any) -> None:
    """Set normalised values on a frozen record from its ``__post_init__``."""
    for key, value in values.items():
        object.__setattr__(obj, key, value)


# --- shape helpers -----------------------------------------------------------------------


def fmt_shape(shape: Shape) -> str:
    """``(3, 224, 224)`` -> ``3x224x224`` (the spelling the CLI accepts back)."""
    return "x".join(str(d) for d in shape)


def fmt_sizes(values: tuple[int, ...]) -> str:
    """A per-dim tuple, shown once when all dims agree (``5`` rather than ``5x5``)."""
    return str(values[0]) if all(v == values[0] for v in values) else fmt_shape(values)


def numel(shape: Shape) -> int:
    return prod(shape)


_LAYOUT = {1: "C×L", 2: "C×H×W", 3: "C×D×H×W"}


def expect_spatial(layer: Leaf, shape: Shape, ndim: int) -> None:
    """Refuse an input that is not channels plus ``ndim`` spatial dims."""
    if len(shape) != ndim + 1:
        raise ShapeError(
            f"expects a {ndim + 1}-d input per sample ({_LAYOUT.get(ndim, 'C×…')}), "
            f"got {fmt_shape(shape)} ({len(shape)}-d)"
            + ("; did you forget to drop a Flatten?" if len(shape) == 1 else "")
        )


def expect_channels(layer: Leaf, arg: str, given: int | None, shape: Shape) -> int:
    """The channel count: ``given`` if it matches the input's, the input's when ``None``."""
    if given is not None and given != shape[0]:
        raise ShapeError(
            f"{arg}={given} but the input has {shape[0]} channels (shape {fmt_shape(shape)}); "
            f"use {arg}={shape[0]} or change the layer before it"
        )
    return shape[0]


def join_formulas(per_dim: list[str]) -> str:
    """One formula when every spatial dim gives the same, else each dim in turn."""
    return per_dim[0] if all(f == per_dim[0] for f in per_dim) else "; ".join(per_dim)


def elementwise(shape: Shape, per_element: int, *, new_tensor: bool = True, formula: str = "") -> Effect:
    """An Effect that keeps the shape and costs ``per_element`` FLOPs per element."""
    return Effect(output_shape=shape, flops=per_element * numel(shape), new_tensor=new_tensor, formula=formula)
