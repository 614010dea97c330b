"""Walk a network for an input shape and produce a :class:`Report`: one row per leaf, and totals.

Shapes are per sample, channels first; MACs, FLOPs and activation bytes are for
the whole batch. Totals are sums over the rows (plus the input tensor for
activation bytes), so every column adds up to its total by construction.
Nothing here prints; rendering lives in :mod:`convcalc.rendering`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from math import gcd, lcm

from .arithmetic import adaptive_window
from .errors import ConvCalcError, ShapeError, SpecError
from .layers.base import Block, Effect, Layer, Leaf, Part, Reach, Shape, is_int, numel
from .layers.blocks import Concat, Residual, Scale, Sequential
from .records import field, record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any

    from .profiles import Primitives, Profile

#: Bytes per element of the dtypes a report can assume.
DTYPE_BYTES = {
    "float64": 8, "double": 8, "float32": 4, "float": 4, "float16": 2, "half": 2,
    "bfloat16": 2, "int8": 1, "uint8": 1, "float8": 1,
}


@record
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
    frozen: int = 0
    unsupported: bool = False
    batch: int = 1  # how many samples ran through it: the report's batch (from_torch: the leading dim torch gave)
    call: str = "module"  # "module": torch runs it as an nn.Module; else the call a forward makes ("F.relu", "+")
    registrations: int = 1  # places in the module tree holding this layer (2: one module shared by two parents)
    spec: Leaf | None = field(default=None, repr=False, compare=False)

    @classmethod
    def made(cls, **values: Any) -> Row:
        """A row from every one of its fields, without the frozen ``__init__``'s field-by-field
        ``object.__setattr__`` (4 µs a row, a fifth of a ResNet-152 summary). The walk gives all of them."""
        if len(values) != len(_ROW_FIELDS):
            raise TypeError(f"Row.made needs every field; missing {sorted(set(_ROW_FIELDS) - set(values))}")
        row = object.__new__(cls)
        row.__dict__.update(values)
        return row

    @cached_property
    def primitives(self) -> Primitives:
        """Conv/linear MACs, bias additions, normalised, activated and pooled elements, elementwise
        additions and products: the counts every other tool's total is a sum of (whole batch)."""
        from .profiles import primitives

        return primitives(self)

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
            "shared_with": self.shared_with, "unsupported": self.unsupported, "warnings": list(self.warnings),
            "call": self.call, "primitives": self.primitives.to_dict(),
            "parts": [
                {"name": p.name, "layer": p.layer, "output_shape": list(p.output_shape), "params": p.weights + p.biases,
                 "weights": p.weights, "biases": p.biases, "macs": p.macs, "flops": p.flops, "formula": p.formula}
                for p in self.parts
            ],
        }


_ROW_FIELDS = tuple(Row.__record_fields__)


@record
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


@record
class Report:
    """Per-layer rows and totals for one network, input shape, batch and dtype."""

    model: str | None
    input_shape: Shape
    batch: int
    dtype: str
    dtype_bytes: int
    rows: tuple[Row, ...] = field(repr=False)
    notes: tuple[str, ...] = ()  # how the input was read, and the like
    blocks: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)  # path -> block class name
    leaf_warnings: tuple[str, ...] | None = field(default=None, repr=False, compare=False)  # kept by at_depth
    leaf_rows: tuple[Row, ...] | None = field(default=None, repr=False, compare=False)  # kept by at_depth

    @property
    def leaves(self) -> tuple[Row, ...]:
        """The leaf rows, also after :meth:`at_depth` merged them into blocks."""
        return self.rows if self.leaf_rows is None else self.leaf_rows

    def profiles(self) -> dict[str, int]:
        """What each other tool prints for this network (whole batch): ``paper`` (conv and linear
        MACs), ``torch`` (FlopCounterMode), ``fvcore``, ``torchinfo``, ``thop`` and ``ptflops``;
        each tool's rule is in :mod:`convcalc.profiles` and the README."""
        return {name: p.total for name, p in self.comparison.items()}

    @cached_property
    def comparison(self) -> dict[str, Profile]:
        """Each profile with its total and the labelled terms it is made of (traps marked)."""
        from .profiles import profiles

        return profiles(self)

    def primitives(self) -> Primitives:
        """The primitive counts summed over every leaf (whole batch)."""
        return _summed(self.leaves)

    def keras_params(self) -> dict[str, int]:
        """Parameters as Keras counts them: batch-norm running statistics are non-trainable parameters."""
        from .profiles import keras_params

        return keras_params(self)

    @cached_property
    def totals(self) -> Totals:
        rows = self.rows
        params = sum(r.params for r in rows)
        input_bytes = numel(self.input_shape) * self.batch * self.dtype_bytes
        return Totals(
            params=params,
            trainable_params=params - sum(r.frozen for r in rows),  # frozen: torch parameters without grad
            macs=sum(r.macs for r in rows),
            flops=sum(r.flops for r in rows),
            activation_bytes=input_bytes + sum(r.activation_bytes for r in rows),
            param_bytes=params * self.dtype_bytes,
            input_bytes=input_bytes,
            buffers=sum(r.buffers for r in rows),
        )

    def at_depth(self, depth: int) -> Report:
        """The same report with every row nested deeper than ``depth`` merged into its enclosing block.

        A merged row sums its leaves' parameters, MACs, FLOPs and activation bytes, takes the
        output shape and receptive field of the block's last row (its join, where there is one),
        keeps the index of its first leaf, and is named by the block's class (``kind`` in lower
        case). Depth 0 is the top level: ``layer1`` for a ResNet. Totals do not change.
        """
        if not is_int(depth) or depth < 0:
            raise SpecError(f"depth must be a whole number ≥ 0 (0 is the top level), got {depth!r}")
        rows: list[Row] = []
        group: list[Row] = []
        key = ""
        for r in self.rows:
            k = ".".join(r.path.split(".")[: depth + 1]) if r.depth > depth else ""
            if group and k != key:
                rows.append(self._merged(key, depth, group))
                group = []
            if k:
                key = k
                group.append(r)
            else:
                rows.append(r)
        if group:
            rows.append(self._merged(key, depth, group))
        return replace(self, rows=tuple(rows), leaf_warnings=self.warnings, leaf_rows=self.leaves)

    def _merged(self, path: str, depth: int, group: list[Row]) -> Row:
        first, last = group[0], group[-1]
        name = self.blocks.get(path, "Block")
        merged = Row(
            index=first.index, path=path, kind=name.lower(), depth=depth, input_shape=first.input_shape,
            output_shape=last.output_shape, params=sum(r.params for r in group), weights=sum(r.weights for r in group),
            biases=sum(r.biases for r in group), macs=sum(r.macs for r in group), flops=sum(r.flops for r in group),
            activation_bytes=sum(r.activation_bytes for r in group), receptive_field=last.receptive_field,
            formula=f"layers {first.index}–{last.index}", layer=f"{name}: {len(group)} layers", name=name,
            buffers=sum(r.buffers for r in group), warnings=tuple(f"{r.where}: {w}" for r in group for w in r.warnings),
            frozen=sum(r.frozen for r in group), unsupported=any(r.unsupported for r in group), batch=first.batch,
            call="module" if any(r.call == "module" for r in group) else "function",
        )
        merged.__dict__["primitives"] = _summed(group)  # the block's counts are its leaves' (the cached property's slot)
        return merged

    @property
    def output_shape(self) -> Shape:
        return self.rows[-1].output_shape if self.rows else self.input_shape

    @property
    def unsupported(self) -> tuple[Row, ...]:
        """Rows of modules or operations convcalc has no formula for (from_torch only)."""
        return tuple(r for r in self.rows if r.unsupported)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every row's warnings, each prefixed with the (leaf) row it concerns."""
        if self.leaf_warnings is not None:
            return self.leaf_warnings
        return tuple(f"{r.where}: {w}" for r in self.rows for w in r.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch": self.batch,
            "dtype": self.dtype, "dtype_bytes": self.dtype_bytes,
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
            "profiles": self.profiles(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        import json  # loaded when asked for: the table path never needs it

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

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame indexed by row number, one column per JSON key (shapes as
        tuples; ``parts`` left out). Needs pandas, which convcalc does not depend on."""
        try:
            import pandas as pd
        except ModuleNotFoundError:
            raise ConvCalcError("to_dataframe needs pandas, which is not installed: pip install pandas") from None
        records = []
        for r in self.rows:
            d = r.to_dict()
            del d["parts"]
            for key in ("input_shape", "output_shape", "receptive_field"):
                d[key] = None if d[key] is None else tuple(d[key])
            records.append(d)
        columns = [k for k in Row.__record_fields__ if k not in ("parts", "spec", "name", "frozen")]
        return pd.DataFrame.from_records(records, columns=[c for c in columns if c in records[0]] if records else None,
                                         index="index" if records else None)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.render("table")

    def __repr__(self) -> str:
        t = self.totals
        return (f"<Report {self.model or 'network'}: input {'×'.join(map(str, self.input_shape))}, batch {self.batch}, "
                f"{len(self.rows)} rows, {t.params:,} params, {t.macs:,} MACs>")


def _summed(rows: Iterable[Row]) -> Primitives:
    """The rows' primitive counts added up."""
    from .profiles import Primitives

    return sum((r.primitives for r in rows), Primitives())


# --- receptive field ---------------------------------------------------------------------
#
# Along one input dim, position q of the current tensor sees an interval of input positions
# (unclipped: padding counts as positions, the usual convention). That pattern is periodic:
# q and q + P see intervals ``shift`` apart, where P grows only with transposed convs and
# uneven adaptive pools (the denominators of fractional strides). Keeping one period of
# intervals makes the receptive field exact for every layer, at a cost of O(P) per layer.

Interval = tuple[int, int] | None  # first and last input position seen; None: sees no input
_MAX_PERIOD = 4096  # beyond this the field is reported as unknown rather than computed slowly


def _hull(a: Interval, b: Interval) -> Interval:
    if a is None or b is None:
        return a if b is None else b
    return min(a[0], b[0]), max(a[1], b[1])


_set = object.__setattr__


@record
class _Axis:
    """What each position along one dim sees.

    Periodic (``bounded`` False): ``spans`` for positions 0 … P−1, repeating every P positions
    ``shift`` input positions further on — convs and transposed convs are translation-invariant,
    so padding positions see what the pattern says (the usual unclipped receptive field).
    Bounded: ``spans`` for the ``extent`` real positions only, and positions outside see nothing;
    adaptive pools make an axis bounded, since their windows exist only for outputs 0 … O−1.
    """

    spans: tuple[Interval, ...]
    shift: int
    extent: int
    bounded: bool = False

    def __init__(self, spans: tuple[Interval, ...], shift: int, extent: int, bounded: bool = False) -> None:
        # written out: the walk makes hundreds per network, and this is twice as fast as the generic one
        _set(self, "spans", spans)
        _set(self, "shift", shift)
        _set(self, "extent", extent)
        _set(self, "bounded", bounded)

    def at(self, q: int) -> Interval:
        if self.bounded:
            return self.spans[q] if 0 <= q < len(self.spans) else None
        period = len(self.spans)
        seen = self.spans[q % period]
        offset = q // period * self.shift
        return None if seen is None else (seen[0] + offset, seen[1] + offset)

    def read(self, first: int, step: int, count: int) -> Interval:
        """The hull of what positions first, first + step, … (``count`` of them) see.

        Intervals only move right as positions do (along each residue class of a periodic axis,
        and along a bounded one), so the leftmost start is among the first P terms that see
        anything or the last P (by the sign of ``step``), and likewise the rightmost end.
        """
        if self.bounded:  # only terms on real positions can see anything: at most len(spans) of them
            if count <= 0:
                return None
            last = len(self.spans) - 1
            if step < 0:  # walk the same positions left to right
                first, step = first + (count - 1) * step, -step
            lo_t = max(0, -(-(0 - first) // step))
            hi_t = min(count - 1, (last - first) // step)
            return self._hull_of(first, step, list(range(lo_t, hi_t + 1)))
        period = len(self.spans)
        return self._hull_of(first, step, list(range(count) if count <= 2 * period else (*range(period), *range(count - period, count))))

    def _hull_of(self, first: int, step: int, terms: list[int]) -> Interval:
        seen: Interval = None
        for t in terms:
            seen = _hull(seen, self.at(first + t * step))
        return seen

    @cached_property
    def width(self) -> int:
        """The receptive field: the widest interval any existing position sees."""
        if len(self.spans) == 1 and self.spans[0] is not None and self.extent > 0 and not self.bounded:
            return self.spans[0][1] - self.spans[0][0] + 1
        return max((hi - lo + 1 for lo, hi in filter(None, self.spans[: self.extent])), default=0)

    def _outputs(self, extent: int, period: int, see: Callable[[int], Interval], shift: int) -> _Axis | None:
        """A periodic axis from one period of outputs, or, after an adaptive pool, every output."""
        if self.bounded:
            return _Axis(tuple(see(o) for o in range(extent)), 0, extent, True) if extent <= _MAX_PERIOD else None
        return _Axis(tuple(see(o) for o in range(period)), shift, extent) if period <= _MAX_PERIOD else None

    def window(self, kernel: int, stride: int, dilation: int, pad: int, extent: int) -> _Axis | None:
        """Output o reads positions o·S − P + j·D for j < K."""
        if len(self.spans) == 1 and not self.bounded and self.spans[0] is not None and self.shift >= 0:
            # Every position sees [lo + q·shift, hi + q·shift]: output 0 reads q = −P … −P + (K−1)·D.
            lo, hi = self.spans[0]
            return _Axis(((lo - pad * self.shift, hi + (dilation * (kernel - 1) - pad) * self.shift),),
                         self.shift * stride, extent)
        period = len(self.spans) // gcd(len(self.spans), stride)
        return self._outputs(extent, period, lambda o: self.read(o * stride - pad, dilation, kernel),
                             self.shift * stride * period // len(self.spans))

    def transposed(self, kernel: int, stride: int, dilation: int, pad: int, extent: int) -> _Axis | None:
        """Output o reads input i for each tap j < K with o + P = i·S + j·D."""
        g = gcd(dilation, stride)
        s, d = stride // g, dilation // g

        def see(o: int) -> Interval:
            if (o + pad) % g:
                return None
            j = (o + pad) // g * pow(d, -1, s) % s if s > 1 else 0  # the first tap landing on a whole i
            taps = (kernel - 1 - j) // s + 1 if j < kernel else 0
            return self.read((o + pad - j * dilation) // stride, -d, taps)

        return self._outputs(extent, len(self.spans) * stride, see, self.shift)

    def adaptive(self, size: int, out: int, extent: int) -> _Axis | None:
        """torch's window o reads ⌊o·I/O⌋ … ⌈(o+1)·I/O⌉−1; only outputs 0 … O−1 exist."""
        if out > _MAX_PERIOD:
            return None
        spans = []
        for o in range(out):
            first, last = adaptive_window(size, out, o)
            spans.append(self.read(first, 1, last - first + 1))
        return _Axis(tuple(spans), 0, extent, True)

    def dense(self) -> _Axis:
        """Every output sees every position (a Linear layer over this dim)."""
        return _Axis((self.read(0, 1, self.extent),), 0, 1, self.bounded)

    def broadcast(self, gate: Interval) -> _Axis:
        """x · gate with the gate broadcast along this dim: every position also sees what the gate
        saw. A global gate (squeeze-and-excitation) sees at least the hull of all of x, so each
        position then sees the same interval."""
        return _Axis((_hull(self.read(0, 1, self.extent), gate),), 0, self.extent)

    @staticmethod
    def union(axes: list[_Axis]) -> _Axis | None:
        """Branches summed or concatenated position by position."""
        extent = axes[0].extent
        first = axes[0]
        if all(len(a.spans) == 1 and not a.bounded and a.shift == first.shift and a.spans[0] is not None for a in axes):
            # one interval per axis, moving alike: the hull of the intervals (a residual block's add)
            return _Axis(((min(a.spans[0][0] for a in axes), max(a.spans[0][1] for a in axes)),), first.shift, extent)
        if any(a.bounded for a in axes):
            if extent > _MAX_PERIOD:
                return None
            return _Axis(tuple(_hull_all(a.at(q) for a in axes) for q in range(extent)), 0, extent, True)
        period = lcm(*(len(a.spans) for a in axes))
        shifts = {a.shift * period // len(a.spans) for a in axes}
        if len(shifts) != 1 or period > _MAX_PERIOD:
            return None
        return _Axis(tuple(_hull_all(a.at(q) for a in axes) for q in range(period)), shifts.pop(), extent)


def _hull_all(intervals: Iterable[Interval]) -> Interval:
    seen: Interval = None
    for interval in intervals:
        seen = _hull(seen, interval)
    return seen


_MOVES = {"window": _Axis.window, "transposed": _Axis.transposed, "adaptive": _Axis.adaptive}
_PLAIN_LAYOUTS: dict[int, tuple[int | None, ...]] = {}


def _plain_layout(n: int) -> tuple[int | None, ...]:
    """Channels, then spatial dims 0 … n−1 in order: the layout the sliding windows need."""
    layout = _PLAIN_LAYOUTS.get(n)
    if layout is None:
        layout = _PLAIN_LAYOUTS[n] = (None, *range(n))
    return layout


@record
class _Field:
    """The receptive field along every spatial dim of the network input.

    ``layout`` names, for each dim of the current tensor, the input dim it is (``None`` for
    channels or features), so permuted layouts (ConvNeXt's channels-last Linear) are followed.
    ``mode`` is ``spatial``, ``mixed`` (positions flattened into features) or ``unknown``.
    """

    axes: tuple[_Axis, ...]
    layout: tuple[int | None, ...]
    mode: str = "spatial"

    def __init__(self, axes: tuple[_Axis, ...], layout: tuple[int | None, ...], mode: str = "spatial") -> None:
        _set(self, "axes", axes)  # written out, as _Axis's
        _set(self, "layout", layout)
        _set(self, "mode", mode)

    @staticmethod
    def start(shape: Shape) -> _Field:
        n = len(shape) - 1
        return _Field(tuple(_Axis(((0, 0),), 1, size) for size in shape[1:]), (None, *range(n)))

    def _with(self, axes: list[_Axis | None]) -> _Field:
        if any(a is None for a in axes):
            return _Field(self.axes, self.layout, "unknown")
        return _Field(tuple(axes), self.layout, self.mode)  # type: ignore[arg-type]

    def advance(self, reach: Reach, out: Shape) -> _Field:
        kind = reach.kind
        if kind == "same" or self.mode == "unknown":
            return self
        if kind == "flatten":
            return _Field(self.axes, (None,) * len(out), "mixed")
        if kind == "permute":
            return _Field(self.axes, tuple(self.layout[d] for d in reach.order), self.mode)
        if kind == "dense":  # mixes the last dim: every position, once flattened into it
            if self.mode == "mixed":
                return self._with([a.dense() for a in self.axes])
            last = self.layout[-1]
            return self if last is None else self._with([a.dense() if i == last else a for i, a in enumerate(self.axes)])
        if self.mode != "spatial" or len(reach.dims) != len(self.axes) or self.layout != _plain_layout(len(self.axes)):
            return _Field(self.axes, self.layout, "unknown")
        move = _MOVES[kind]
        return self._with([move(a, *dim, extent) for a, dim, extent in zip(self.axes, reach.dims, out[1:])])

    @staticmethod
    def union(fields: list[_Field], broadcast: bool = False) -> _Field:
        """Joined branches: each output position sees what any branch's position sees. With
        ``broadcast`` the second field is a gate whose size-1 dims spread over the first."""
        first = fields[0]
        if any(f.mode == "unknown" or f.layout != first.layout or len(f.axes) != len(first.axes) for f in fields):
            return _Field(first.axes, first.layout, "unknown")
        mode = "mixed" if any(f.mode == "mixed" for f in fields) else "spatial"
        axes: list[_Axis | None] = []
        for i, axis in enumerate(first.axes):
            others = [f.axes[i] for f in fields[1:]]
            if broadcast and others[0].extent == 1 < axis.extent:
                axes.append(axis.broadcast(others[0].at(0)))
            else:
                axes.append(_Axis.union([axis, *others]))
        if any(a is None for a in axes):
            return _Field(first.axes, first.layout, "unknown")
        return _Field(tuple(axes), first.layout, mode)  # type: ignore[arg-type]

    @cached_property
    def shown(self) -> tuple[int, ...] | None:
        """The receptive field per spatial dim, or None where it cannot be known (computed once)."""
        return None if self.mode == "unknown" else tuple(a.width for a in self.axes)


# --- the walk ----------------------------------------------------------------------------


def _where(index: int, path: str, name: str) -> str:
    return f"layer {index} ({path}) {name}" if path else f"layer {index} {name}"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


#: How torch code writes each join: the call a join row's ``call`` names.
_JOIN_CALLS = {"add": "+", "mul": "*", "cat": "torch.cat"}


class _Walk:
    def __init__(self, batch: int, dtype_bytes: int) -> None:
        self.batch = batch
        self.dtype_bytes = dtype_bytes
        self.rows: list[Row] = []
        self.owners: dict[int, int] = {}  # id(leaf with parameters) -> first row index
        self.sizes: dict[int, Leaf] = {}  # id(leaf) -> the leaf with its inferred sizes, which must not change
        self.blocks: dict[str, str] = {}  # path -> class name of each block walked
        # (layer value, input shape) -> (effect, resolved layer, its repr): an effect is a pure function of
        # both, so the 36 identical bottlenecks of a ResNet stage, or a 10,000-layer chain, are computed once
        self.memo: dict[tuple[Leaf, Shape], tuple[Effect, Leaf, str]] = {}
        self.uses: dict[int, list[int]] = {}  # id(leaf) -> the rows it made: a leaf used twice is one module in two places

    def finish(self, functional: Mapping[str, str]) -> tuple[Row, ...]:
        """The rows, each told how torch holds its layer: in how many places of the module tree, and
        for the layers the torch source calls as functions, that call (``functional`` maps a glob
        over ``path:kind`` to it: ``{"*:relu": "F.relu", "avgpool:*": "F.adaptive_avg_pool2d"}``)."""
        rows = self.rows
        for places in self.uses.values():
            if len(places) > 1:
                for i in places:
                    rows[i] = replace(rows[i], registrations=len(places))
        if functional:
            from fnmatch import fnmatchcase  # only for a zoo model that declares its functional calls

            for i, r in enumerate(rows):
                if r.call == "module":
                    call = next((c for glob, c in functional.items() if fnmatchcase(f"{r.path}:{r.kind}", glob)), None)
                    if call is not None:
                        rows[i] = replace(r, call=call)
        return tuple(rows)

    def leaf(self, layer: Leaf, shape: Shape) -> tuple[Effect, Leaf, str]:
        key = (layer, shape)
        try:
            known = self.memo.get(key)
        except TypeError:  # a layer holding an unhashable value: compute it every time
            known, key = None, None  # type: ignore[assignment]
        if known is None:
            effect = layer.effect(shape)  # first: it gives the clearest error for a shape that does not fit
            shown = layer.resolved(shape)
            known = (effect, shown, repr(shown))
            if key is not None:
                self.memo[key] = known
        return known

    def layer(self, layer: Layer, shape: Shape, path: str, fld: _Field) -> tuple[Shape, _Field]:
        if isinstance(layer, Leaf):
            index = len(self.rows) + 1
            try:
                effect, shown, text = self.leaf(layer, shape)
                first = self.sizes.setdefault(id(layer), shown)
                if first != shown:
                    raise ShapeError(f"is used twice, as {first!r} and as {shown!r}; a shared layer has one size "
                                     "(give it explicitly, or use two layers)")
            except ShapeError as error:
                raise error.located(_where(index, path, layer.name)) from None
            return self.row(layer, shown, text, shape, path, effect, fld)
        self.blocks.setdefault(path, layer.name)
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
            raise error.located(_where(len(self.rows) + 1, _child(path, block.join_name), block.name)) from None
        return self.row(block.join, block.join, repr(block.join), shapes[0], _child(path, block.join_name), effect,
                        _Field.union(fields, broadcast=isinstance(block, Scale)), call=_JOIN_CALLS[block.join.kind])

    def row(self, leaf: Leaf, shown: Leaf, text: str, shape: Shape, path: str, effect: Effect,
            fld: _Field, call: str = "module") -> tuple[Shape, _Field]:
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
        self.rows.append(Row.made(
            index=index, path=path, kind=leaf.kind, depth=path.count("."),
            input_shape=shape, output_shape=out,
            params=weights + biases, weights=weights, biases=biases,
            macs=effect.macs * b, flops=effect.flops * b,
            activation_bytes=((numel(out) if effect.new_tensor else 0) + effect.extra_elements) * b * self.dtype_bytes,
            receptive_field=fld.shown, formula=effect.formula,
            layer=text, name=leaf.name, buffers=effect.buffers if shared_with is None else 0,
            warnings=effect.warnings, parts=effect.parts, shared_with=shared_with, spec=shown, frozen=0,
            unsupported=False, batch=b, call=call, registrations=1,
        ))
        if call == "module":
            self.uses.setdefault(id(leaf), []).append(index - 1)
        return out, fld


def check_input(input_shape: Any) -> Shape:
    """An input shape as a tuple of positive ints (channels first, no batch)."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if not shape or not all(is_int(d) and d > 0 for d in shape):
        raise ShapeError(f"input shape must be positive whole sizes such as 3x224x224, got {input_shape!r}")
    return shape


def analyze(
    net: Layer, input_shape: Shape, batch: int = 1, dtype: str = "float32", model: str | None = None,
    notes: tuple[str, ...] = (), functional: Mapping[str, str] | None = None,
) -> Report:
    """Walk ``net`` for one ``input_shape`` (per sample, channels first) and count every leaf.

    ``functional`` maps globs over ``path:kind`` to the function call the torch source of the
    network makes in a ``forward`` instead of running a module (torchvision's MobileNetV2 pools with
    ``F.adaptive_avg_pool2d``): tools that hook modules do not see those (:mod:`convcalc.profiles`).
    """
    shape = check_input(input_shape)
    if not is_int(batch) or batch < 1:
        raise ShapeError(f"batch must be a positive int, got {batch!r}")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPE_BYTES)}")
    if not isinstance(net, Layer):
        raise SpecError(f"cannot summarize {net!r}: not a convcalc layer, network or model name")
    walk = _Walk(batch, DTYPE_BYTES[dtype])
    walk.layer(net, shape, "", _Field.start(shape))
    return Report(model=model, input_shape=shape, batch=batch, dtype=dtype, dtype_bytes=DTYPE_BYTES[dtype],
                  rows=walk.finish(functional or {}), notes=tuple(notes), blocks=walk.blocks)
