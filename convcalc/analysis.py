"""Walk a network for an input shape and produce a :class:`Report`: one row per leaf, and totals.

Shapes are per sample, channels first; MACs, FLOPs and activation bytes are for
the whole batch. Totals are sums over the rows (plus the input tensor for
activation bytes), so every column adds up to its total by construction.
Nothing here prints; rendering lives in :mod:`convcalc.rendering`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Any

from .arithmetic import ceil_fraction
from .errors import ShapeError, SpecError
from .layers.base import Block, Effect, Layer, Leaf, Part, Reach, Shape, fmt_shape, is_int, numel
from .layers.blocks import Concat, Residual, Scale, Sequential

#: Bytes per element of the dtypes a report can assume.
DTYPE_BYTES = {
    "float64": 8, "double": 8, "float32": 4, "float": 4, "float16": 2, "half": 2,
    "bfloat16": 2, "int8": 1, "uint8": 1, "float8": 1,
}


@dataclass(frozen=True)
class Row:
    """One leaf layer as it runs: where it sits, the shapes, and what it costs (whole batch)."""

    index: int
    path: str
    kind: str
    depth: int
    input_shape: Shape
    output_shape: Shape
    params: int
    weights: int
    biases: int
    macs: int
    flops: int
    activation_bytes: int
    receptive_field: tuple[int, ...] | None
    formula: str
    layer: str = ""
    name: str = ""
    buffers: int = 0
    warnings: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    shared_with: int | None = None

    @property
    def where(self) -> str:
        """``layer 3 (features.6) Conv2d``: how messages name this row."""
        return _where(self.index, self.path, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "path": self.path, "kind": self.kind, "depth": self.depth,
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "params": self.params, "weights": self.weights, "biases": self.biases,
            "macs": self.macs, "flops": self.flops, "activation_bytes": self.activation_bytes,
            "receptive_field": None if self.receptive_field is None else list(self.receptive_field),
            "formula": self.formula, "layer": self.layer, "buffers": self.buffers,
            "shared_with": self.shared_with, "warnings": list(self.warnings),
            "parts": [
                {"name": p.name, "layer": p.layer, "output_shape": list(p.output_shape), "params": p.weights + p.biases,
                 "weights": p.weights, "biases": p.biases, "macs": p.macs, "flops": p.flops, "formula": p.formula}
                for p in self.parts
            ],
        }


@dataclass(frozen=True)
class Totals:
    """Sums over the rows. ``activation_bytes`` = ``input_bytes`` + the rows' new tensors."""

    params: int
    trainable_params: int
    macs: int
    flops: int
    activation_bytes: int
    param_bytes: int
    input_bytes: int
    buffers: int

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Report:
    """Per-layer rows and totals for one network, input shape, batch and dtype."""

    model: str | None
    input_shape: Shape
    batch: int
    dtype: str
    dtype_bytes: int
    rows: tuple[Row, ...] = field(repr=False)

    @cached_property
    def totals(self) -> Totals:
        rows = self.rows
        params = sum(r.params for r in rows)
        input_bytes = numel(self.input_shape) * self.batch * self.dtype_bytes
        return Totals(
            params=params,
            trainable_params=params,  # a spec has no frozen layers: every parameter trains
            macs=sum(r.macs for r in rows),
            flops=sum(r.flops for r in rows),
            activation_bytes=input_bytes + sum(r.activation_bytes for r in rows),
            param_bytes=params * self.dtype_bytes,
            input_bytes=input_bytes,
            buffers=sum(r.buffers for r in rows),
        )

    @property
    def output_shape(self) -> Shape:
        return self.rows[-1].output_shape if self.rows else self.input_shape

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every row's warnings, each prefixed with the row it concerns."""
        return tuple(f"{r.where}: {w}" for r in self.rows for w in r.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch": self.batch,
            "dtype": self.dtype, "dtype_bytes": self.dtype_bytes,
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
            "warnings": list(self.warnings),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self, fmt: str = "table", *, human: bool = False) -> str:
        """The report as ``table``, ``markdown``, ``latex``, ``html``, ``csv`` or ``json`` text."""
        from .rendering import render

        return render(self, fmt, human=human)

    def to_markdown(self) -> str:
        return self.render("markdown")

    def to_latex(self) -> str:
        return self.render("latex")

    def to_csv(self) -> str:
        return self.render("csv")

    def to_html(self) -> str:
        return self.render("html")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.render("table")


# --- receptive field ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """Receptive-field state per spatial dim of the network input.

    ``rf``: input positions one current position sees; ``jump``: input positions
    between neighbouring current positions; ``extent``: current positions.
    ``axes`` names, for each dim of the current tensor, the input spatial dim it
    is (``None`` for channels/features), so permuted layouts (ConvNeXt's
    channels-last Linear) are followed. ``mode`` is ``spatial``, ``mixed``
    (positions flattened into features) or ``unknown`` (RF cannot be followed).
    """

    rf: tuple[int | Fraction, ...]
    jump: tuple[int | Fraction, ...]
    extent: tuple[int, ...]
    axes: tuple[int | None, ...]
    mode: str = "spatial"

    @staticmethod
    def start(shape: Shape) -> _Field:
        n = len(shape) - 1
        return _Field(rf=(1,) * n, jump=(1,) * n, extent=shape[1:], axes=(None, *range(n)))

    def collapse(self, dims: range | tuple[int, ...]) -> _Field:
        """Every position of these input dims reaches every output (a dense layer)."""
        rf, extent = list(self.rf), list(self.extent)
        for d in dims:
            rf[d] += (extent[d] - 1) * self.jump[d]
            extent[d] = 1
        return replace(self, rf=tuple(rf), extent=tuple(extent))

    def advance(self, reach: Reach, out: Shape) -> _Field:
        if self.mode == "unknown" or reach.kind == "same":
            return self
        if reach.kind == "flatten":
            return replace(self, mode="mixed", axes=(None,) * len(out))
        if reach.kind == "permute":
            return replace(self, axes=tuple(self.axes[d] for d in reach.steps))  # type: ignore[index]
        if reach.kind == "dense":  # mixes the last dim
            if self.mode == "mixed":
                return self.collapse(range(len(self.rf)))
            last = self.axes[-1]
            return self if last is None else self.collapse((last,))
        if self.mode != "spatial" or len(reach.spans) != len(self.rf) or self.axes != (None, *range(len(self.rf))):
            return replace(self, mode="unknown")
        return _Field(
            rf=tuple(r + s * j for r, s, j in zip(self.rf, reach.spans, self.jump)),
            jump=tuple(j * st for j, st in zip(self.jump, reach.steps)),
            extent=tuple(out[1:]),
            axes=self.axes,
        )

    @staticmethod
    def union(fields: list[_Field]) -> _Field:
        """Parallel branches joined: an output sees what any branch sees."""
        modes = {f.mode for f in fields}
        mode = "unknown" if "unknown" in modes else "mixed" if "mixed" in modes else "spatial"
        first = fields[0]
        if mode == "unknown" or any(len(f.rf) != len(first.rf) or f.axes != first.axes for f in fields):
            return replace(first, mode="unknown")
        return replace(
            first,
            rf=tuple(max(v) for v in zip(*(f.rf for f in fields))),
            jump=tuple(max(v) for v in zip(*(f.jump for f in fields))),
            mode=mode,
        )

    def shown(self) -> tuple[int, ...] | None:
        return None if self.mode == "unknown" else tuple(ceil_fraction(r) for r in self.rf)


# --- the walk ----------------------------------------------------------------------------


def _where(index: int, path: str, name: str) -> str:
    return f"layer {index} ({path}) {name}" if path else f"layer {index} {name}"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walk:
    def __init__(self, batch: int, dtype_bytes: int) -> None:
        self.batch = batch
        self.dtype_bytes = dtype_bytes
        self.rows: list[Row] = []
        self.owners: dict[int, int] = {}  # id(leaf with parameters) -> first row index

    def layer(self, layer: Layer, shape: Shape, path: str, fld: _Field) -> tuple[Shape, _Field]:
        if isinstance(layer, Leaf):
            index = len(self.rows) + 1
            try:
                effect = layer.effect(shape)
            except ShapeError as error:
                raise error.located(_where(index, path, layer.name)) from None
            return self.row(layer, layer.resolved(shape), shape, path, effect, fld)
        if isinstance(layer, Sequential):
            for name, child in layer.children():
                shape, fld = self.layer(child, shape, _child(path, name), fld)
            return shape, fld
        if isinstance(layer, Scale):  # x · f(x): f runs in order, then gates x
            gate, gate_fld = shape, fld
            for name, child in layer.children():
                gate, gate_fld = self.layer(child, gate, _child(path, name), gate_fld)
            return self.join(layer, path, [shape, gate], ["x", "gate"], [fld, gate_fld])
        if isinstance(layer, (Residual, Concat)):
            names, shapes, fields = [], [], []
            for name, child in layer.branches() if isinstance(layer, Residual) else layer.children():
                out, f = self.layer(child, shape, _child(path, name), fld)
                names.append(name)
                shapes.append(out)
                fields.append(f)
            if isinstance(layer, Residual) and layer.shortcut is None:
                names.append("identity")
                shapes.append(shape)
                fields.append(fld)
            out, fld = self.join(layer, path, shapes, names, fields)
            if isinstance(layer, Residual) and layer.activation is not None:
                out, fld = self.layer(layer.activation, out, _child(path, "activation"), fld)
            return out, fld
        if isinstance(layer, Block):  # pragma: no cover - a new block type must be taught to the walk
            raise TypeError(f"the analysis does not know how to walk {layer.name}")
        raise SpecError(f"{path or 'network'}: {layer!r} is not a convcalc layer")

    def join(self, block: Residual | Concat | Scale, path: str, shapes: list[Shape], names: list[str],
             fields: list[_Field]) -> tuple[Shape, _Field]:
        """The row of a block's join (add, cat, mul), checking its inputs fit together."""
        try:
            effect = block.join.join(shapes, names)
        except ShapeError as error:
            raise error.located(f"{path or 'network'} {block.name}") from None
        return self.row(block.join, block.join, shapes[0], _child(path, block.join_name), effect, _Field.union(fields))

    def row(self, leaf: Leaf, shown: Leaf, shape: Shape, path: str, effect: Effect, fld: _Field) -> tuple[Shape, _Field]:
        index = len(self.rows) + 1
        weights, biases, shared_with = effect.weights, effect.biases, None
        if weights or biases:
            shared_with = self.owners.setdefault(id(leaf), index)
            if shared_with == index:
                shared_with = None
            else:  # the same layer object again: its parameters are already counted
                weights = biases = 0
        out = effect.output_shape
        fld = fld.advance(effect.reach, out)
        b = self.batch
        self.rows.append(Row(
            index=index, path=path, kind=leaf.kind, depth=path.count("."),
            input_shape=shape, output_shape=out,
            params=weights + biases, weights=weights, biases=biases,
            macs=effect.macs * b, flops=effect.flops * b,
            activation_bytes=numel(out) * b * self.dtype_bytes if effect.new_tensor else 0,
            receptive_field=fld.shown(), formula=effect.formula,
            layer=repr(shown), name=leaf.name, buffers=effect.buffers if shared_with is None else 0,
            warnings=effect.warnings, parts=effect.parts, shared_with=shared_with,
        ))
        return out, fld


def check_input(input_shape: Any) -> Shape:
    """An input shape as a tuple of positive ints (channels first, no batch)."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if not shape or not all(is_int(d) and d > 0 for d in shape):
        raise ShapeError(f"input shape must be positive whole sizes such as 3x224x224, got {input_shape!r}")
    return shape


def analyze(
    net: Layer, input_shape: Shape, batch: int = 1, dtype: str = "float32", model: str | None = None,
) -> Report:
    """Walk ``net`` for one ``input_shape`` (per sample, channels first) and count every leaf."""
    shape = check_input(input_shape)
    if not is_int(batch) or batch < 1:
        raise ShapeError(f"batch must be a positive int, got {batch!r}")
    if dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPE_BYTES)}")
    if not isinstance(net, Layer):
        raise SpecError(f"cannot summarize {net!r}: not a convcalc layer, network or model name")
    walk = _Walk(batch, DTYPE_BYTES[dtype])
    walk.layer(net, shape, "", _Field.start(shape))
    return Report(model=model, input_shape=shape, batch=batch, dtype=dtype, dtype_bytes=DTYPE_BYTES[dtype], rows=tuple(walk.rows))
