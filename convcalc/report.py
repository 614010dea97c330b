"""A report: one row per leaf layer as it ran, and totals derived from the rows.

Shapes are per sample, channels first; MACs, FLOPs and activation bytes are for
the whole batch. Totals are sums over the rows (plus the input tensor for
activation bytes), so every column adds up to its total by construction. A report
is data: :mod:`convcalc.walk` and the torch bridge make them, and its ``to_*``
methods hand it to :mod:`convcalc.rendering` and :mod:`convcalc.profiles`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from functools import cached_property

from .errors import ConvCalcError, SpecError
from .inputs import Input
from .layers.base import Backward, Effect, Leaf, Part, Primitives, Reach, Shape, is_int, numel
from .records import field, fields, record, replace
from .tables import GRAPH_FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from typing import Any

    from matplotlib.figure import Figure

    from .drawing import Drawing
    from .profiles import Profile
    from .training import Fit, Peak, Plan, Training

@record
class Trained:
    """A row's part in a training step (whole batch): the FLOPs of its input's and its weights' gradients (convcalc's
    convention), what FlopCounterMode counts of its backward, the bytes of the tensors autograd saves for it that no
    earlier row saved, and its trainable parameters. ``modelled`` is False for a layer type convcalc has no training
    model of: its saved tensors and gradient FLOPs are not counted (the report warns)."""

    input_flops: int = 0
    weight_flops: int = 0
    torch_flops: int = 0
    saved_bytes: int = 0
    trainable: int = 0
    modelled: bool = True

    @property
    def backward_flops(self) -> int:
        return self.input_flops + self.weight_flops

    @classmethod
    def of(cls, found: Backward | None, batch: int, saved_bytes: int, trainable: int) -> Trained:
        """A row's figures from its layer's :class:`~convcalc.layers.base.Backward` (per sample; None: no model)."""
        if found is None:
            return cls(saved_bytes=saved_bytes, trainable=trainable, modelled=False)
        return cls(input_flops=found.input_flops * batch, weight_flops=found.weight_flops * batch,
                   torch_flops=found.torch_flops * batch, saved_bytes=saved_bytes, trainable=trainable)


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
    #: what from_torch saw of the call beyond its name, where another tool counts by it (profiles.NO_WEIGHT, …)
    facts: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    spec: Leaf | None = field(default=None, repr=False, compare=False)
    counts: Primitives | None = field(default=None, repr=False, compare=False)  # of work that is no layer (from_torch)
    trained: Trained | None = field(default=None, repr=False, compare=False)  # a training report's figures

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
        if self.spec is not None:
            return self.spec.primitives(self)
        return self.counts or Primitives()  # work from_torch saw only as aten ops: counted when the row was made

    @property
    def neurons(self) -> int:
        """Output elements, whole batch: a layer's "neurons" as CS231n counts them (a 55×55×96 output
        volume is 290,400 neurons)."""
        return numel(self.output_shape) * self.batch

    @property
    def bias_adds(self) -> int:
        """Bias additions, one per output element of a conv, transposed conv or linear layer with a bias
        (whole batch); FLOPs leave them out, :attr:`flops_with_bias` puts them in."""
        return self.primitives.bias_adds

    @property
    def flops_with_bias(self) -> int:
        """FLOPs with each bias addition counted as one more (``flops + bias_adds``)."""
        return self.flops + self.bias_adds

    def sliding(self) -> tuple[Effect, Reach] | None:
        """The effect and reach of a row that slides a window (a conv, transposed conv or pool); None for any other."""
        if self.spec is None:
            return None
        try:
            effect = self.spec.effect(self.input_shape)
        except ConvCalcError:
            return None
        return (effect, effect.reach) if effect.reach.kind in ("window", "transposed") else None

    def window(self) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]] | None:
        """The (before, after) padding and the stride per spatial dim of a conv or pool row (as its
        layer reads its input), or None for a row that slides no window."""
        found = self.sliding()
        if found is None:
            return None
        effect, reach = found
        left = tuple(d[3] for d in reach.dims)
        pads_of = getattr(self.spec, "pads", None)
        padding = getattr(self.spec, "padding", None)
        declared = tuple(pads_of(self.input_shape[1:])) if callable(pads_of) else tuple((p, p) for p in padding) if (
            isinstance(padding, tuple) and len(padding) == len(left) and all(is_int(p) for p in padding)) else None
        if declared is not None and tuple(p[0] for p in declared) == left:
            pads = declared
        elif reach.kind == "window":  # the layer pads as no declaration says (TensorFlow's 'same'): what its output needs
            spatial, out = self.input_shape[1:], effect.output_shape[1:]
            pads = tuple((p, max(0, (o - 1) * s + d * (k - 1) + 1 - i - p))
                         for (k, s, d, p), i, o in zip(reach.dims, spatial, out))
        elif declared is None:  # a transposed conv cropping as no number says (TensorFlow's 'same'): what its output leaves
            spatial, out = self.input_shape[1:], effect.output_shape[1:]
            pads = tuple((p, max(0, (i - 1) * s + d * (k - 1) + 1 - o - p))
                         for (k, s, d, p), i, o in zip(reach.dims, spatial, out))
        else:
            pads = tuple((p, p) for p in left)
        return pads, tuple(d[1] for d in reach.dims)

    @property
    def where(self) -> str:
        """``layer 3 (features.6) Conv2d``: how messages name this row."""
        return where(self.index, self.path, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "path": self.path, "kind": self.kind, "depth": self.depth,
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "params": self.params, "weights": self.weights, "biases": self.biases,
            "macs": self.macs, "flops": self.flops, "activation_bytes": self.activation_bytes,
            "neurons": self.neurons, "bias_adds": self.bias_adds, "flops_with_bias": self.flops_with_bias,
            "receptive_field": None if self.receptive_field is None else list(self.receptive_field),
            "formula": self.formula, "layer": self.layer, "buffers": self.buffers,
            "shared_with": self.shared_with, "unsupported": self.unsupported, "warnings": list(self.warnings),
            "call": self.call, "primitives": self.primitives.to_dict(),
            "parts": [
                {"name": p.name, "layer": p.layer, "output_shape": list(p.output_shape), "params": p.weights + p.biases,
                 "weights": p.weights, "biases": p.biases, "macs": p.macs, "flops": p.flops, "formula": p.formula}
                for p in self.parts
            ],
            **({} if self.trained is None else {
                "backward_flops": self.trained.backward_flops, "grad_input_flops": self.trained.input_flops,
                "grad_weight_flops": self.trained.weight_flops, "saved_bytes": self.trained.saved_bytes}),
        }


_ROW_FIELDS = tuple(f.name for f in fields(Row))


@record
class Totals:
    """Sums over the rows. ``activation_bytes`` = ``input_bytes`` + the rows' new tensors (all kept, as
    training keeps them). ``neurons``: output elements of the layers that compute weighted sums (conv,
    linear: rows with MACs), as AlexNet's paper counts its "650,000 neurons". ``flops_with_bias`` =
    ``flops`` + ``bias_adds``. ``peak_activation_bytes``: the most activation memory live at once when each
    tensor is freed after its last use (inference); ``inference_peak_bytes`` adds the parameters and buffers
    (what predicting needs in memory); both None where the report does not know the data flow."""

    params: int
    trainable_params: int
    macs: int
    flops: int
    activation_bytes: int
    param_bytes: int
    input_bytes: int
    buffers: int
    neurons: int = 0
    bias_adds: int = 0
    flops_with_bias: int = 0
    peak_activation_bytes: int | None = None
    inference_peak_bytes: int | None = None
    #: a training report's (None otherwise): the backward's FLOPs, the trainable parameters' gradients, the optimizer's
    #: state, the activations autograd saves (each tensor once), and the peak of one step (:mod:`convcalc.training`)
    backward_flops: int | None = field(default=None, repr=False)  # (shown where a report counts training: __repr__)
    gradient_bytes: int | None = field(default=None, repr=False)
    optimizer_bytes: int | None = field(default=None, repr=False)
    saved_activation_bytes: int | None = field(default=None, repr=False)
    peak_train_bytes: int | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        """The fields, those of a training step only where the report counts one."""
        shown = {k: v for k, v in self.__dict__.items() if v is not None or k not in _TRAIN_TOTALS}
        return "Totals(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def to_dict(self) -> dict[str, int | None]:
        return {k: v for k, v in self.__dict__.items() if v is not None or k not in _TRAIN_TOTALS}


_TRAIN_TOTALS = ("backward_flops", "gradient_bytes", "optimizer_bytes", "saved_activation_bytes", "peak_train_bytes")


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
    peak_activation_bytes: int | None = None  # the walk's liveness peak (whole batch); None: the data flow is unknown
    layout: str = "chw"  # how the user writes shapes: shown so ("hwc": H×W×C); the fields stay channels first
    blocks: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)  # path -> block class name
    leaf_warnings: tuple[str, ...] | None = field(default=None, repr=False, compare=False)  # kept by at_depth
    leaf_rows: tuple[Row, ...] | None = field(default=None, repr=False, compare=False)  # kept by at_depth
    #: the inputs where one was given as an :class:`~convcalc.inputs.Input` (several, named or typed); empty: the
    #: one input ``input_shape`` of the report's dtype. ``input_shape`` is the first one's shape.
    inputs: tuple[Input, ...] = ()
    batched: bool = True  # False: from_torch's batch=None, the inputs given whole (shapes as given, totals for that call)
    #: how a training step is counted (None: the report counts inference), and the walk's steps for its peak
    training: Training | None = None
    train_plan: Plan | None = field(default=None, repr=False, compare=False)
    #: the largest batch that fits a memory, where one was asked for (:func:`convcalc.fit`)
    fit: Fit | None = field(default=None, repr=False, compare=False)
    #: the data flow: for each leaf row, the rows it reads (1-based; 0: the input), where the report knows it
    flow: tuple[tuple[int, ...], ...] | None = field(default=None, repr=False, compare=False)

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
        input_bytes = self.input_bytes
        leaves = self.leaves
        bias_adds = sum(r.bias_adds for r in leaves)
        flops = sum(r.flops for r in rows)
        buffers = sum(r.buffers for r in rows)
        peak = self.peak_activation_bytes
        train: dict[str, int] = {}
        if self.training is not None and self.train_plan is not None:
            train = self._train_totals(rows, params + buffers)
        return Totals(
            params=params,
            trainable_params=params - sum(r.frozen for r in rows),  # frozen: torch parameters without grad
            macs=sum(r.macs for r in rows),
            flops=flops,
            activation_bytes=input_bytes + sum(r.activation_bytes for r in rows),
            param_bytes=params * self.dtype_bytes,
            input_bytes=input_bytes,
            buffers=buffers,
            neurons=sum(r.neurons for r in leaves if r.macs),
            bias_adds=bias_adds,
            flops_with_bias=flops + bias_adds,
            peak_activation_bytes=peak,
            inference_peak_bytes=None if peak is None else peak + (params + buffers) * self.dtype_bytes,
            **train,
        )

    def _train_totals(self, rows: tuple[Row, ...], state: int) -> dict[str, int]:
        from .training import optimizer_bytes, peak, step_transient

        plan, training = self.train_plan, self.training
        assert plan is not None and training is not None
        trained = [r.trained for r in rows if r.trained is not None]
        gradients = sum(s.weight_grad_bytes for s in plan.steps)
        optimizer = optimizer_bytes(training.optimizer, gradients // plan.param_bytes, plan.param_tensors, plan.param_bytes)
        found = peak(plan.steps, plan.sizes, plan.output, state * plan.param_bytes + plan.extra_state, optimizer, plan.names,
                     step_transient(training.optimizer, plan.param_sizes, plan.param_bytes, training.device))
        self.__dict__["train_peak"] = found
        return {"backward_flops": sum(t.backward_flops for t in trained), "gradient_bytes": gradients,
                "optimizer_bytes": optimizer, "saved_activation_bytes": sum(t.saved_bytes for t in trained),
                "peak_train_bytes": found.peak}

    @property
    def train_peak(self) -> Peak | None:
        """How a training report's peak is made (:class:`~convcalc.training.Peak`); None for an inference report."""
        if self.training is None:
            return None
        self.totals  # noqa: B018 - computes it
        found: Peak = self.__dict__["train_peak"]
        return found

    @property
    def input_bytes(self) -> int:
        """The inputs' bytes, whole batch: each input at its own element size (token ids: 8 bytes each)."""
        if not self.inputs:
            return numel(self.input_shape) * self.batch * self.dtype_bytes
        return sum(numel(i.shape) * i.bytes_per_element(self.dtype_bytes) for i in self.inputs) * self.batch

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
        # (from_torch: work done in a block's own forward sits at the block's path, and merges into it)
        parents: set[str] = set()
        for r in self.rows:
            path = r.path
            while "." in path:
                path = path.rsplit(".", 1)[0]
                if path in parents:
                    break
                parents.add(path)
        for r in self.rows:
            k = ".".join(r.path.split(".")[: depth + 1]) if r.depth > depth else r.path if (
                r.depth == depth and r.path and r.path in parents) else ""
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
            formula=f"layers {first.index}–{last.index}", layer=f"{name}: {_layers(group)}", name=name,
            buffers=sum(r.buffers for r in group), warnings=tuple(f"{r.where}: {w}" for r in group for w in r.warnings),
            frozen=sum(r.frozen for r in group), unsupported=any(r.unsupported for r in group), batch=first.batch,
            call="module" if any(r.call == "module" for r in group) else "function",
            trained=None if first.trained is None else Trained(
                **{k: sum(getattr(r.trained, k) for r in group if r.trained is not None)
                   for k in ("input_flops", "weight_flops", "torch_flops", "saved_bytes", "trainable")},
                modelled=all(r.trained is None or r.trained.modelled for r in group)),
        )
        merged.__dict__["primitives"] = _summed(group)  # the block's counts are its leaves' (the cached property's slot)
        return merged

    def edges(self) -> tuple[tuple[int, int], ...]:
        """The data flow between this report's rows: ``(from, to)`` row indices (0: the input), each once, in the
        order the rows run and read. A merged row (:meth:`at_depth`) reads what its leaves read from outside it; a
        row whose reads the report does not know (from_torch: work it did not follow) reads the row before it."""
        starts = [r.index for r in self.rows]

        def shown(leaf: int) -> int:  # the row that shows leaf ``leaf``: the last one starting at or before it
            return 0 if leaf == 0 else starts[max(0, bisect_right(starts, leaf) - 1)]

        flow = self.flow or ()
        found: dict[tuple[int, int], None] = {}
        for leaf in self.leaves:
            to = shown(leaf.index)
            reads = flow[leaf.index - 1] if leaf.index - 1 < len(flow) else ()
            for source in reads or (leaf.index - 1,):
                src = shown(source)
                if src != to:
                    found[(src, to)] = None
        return tuple(found)

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
        return tuple(f"{r.where}: {w}" for r in self.rows for w in r.warnings) + tuple(
            f"{r.where}: convcalc has no training model of {r.name}: the tensors it saves and its gradients' FLOPs are "
            "not counted" for r in self.rows if r.trained is not None and not r.trained.modelled)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch": self.batch if self.batched else None,
            "dtype": self.dtype, "dtype_bytes": self.dtype_bytes,
            **({"inputs": [i.to_dict(self.dtype) for i in self.inputs]} if self.inputs else {}),
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
            "profiles": self.profiles(),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "layout": self.layout,
            **({} if self.training is None else {"training": self.training.to_dict()}),
            **({} if self.fit is None else {"fit": self.fit.to_dict()}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        import json  # loaded when asked for: the table path never needs it

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self, fmt: str = "table", *, human: bool = False) -> str:
        """The report as ``table``, ``markdown``, ``latex``, ``html``, ``csv`` or ``json`` text, or its graph as
        ``dot`` (Graphviz) or ``mermaid``."""
        if fmt in GRAPH_FORMATS:
            return self.to_dot() if fmt == "dot" else self.to_mermaid()
        from .rendering import render, summary, training

        return render(training(self) if self.training is not None else summary(self), fmt, human)

    def to_markdown(self) -> str:
        return self.render("markdown")

    def to_latex(self) -> str:
        return self.render("latex")

    def to_csv(self) -> str:
        return self.render("csv")

    def to_html(self) -> str:
        return self.render("html")

    def draw(self, style: str | None = None) -> Drawing:
        """The network drawn as SVG (:mod:`convcalc.drawing`): ``volumes`` (boxes, as the lectures draw a chain)
        or ``graph`` (layers and joins top to bottom); by default volumes for a chain and a graph where it
        branches. A notebook shows it inline; ``.save("net.svg")`` writes it."""
        from .drawing import draw

        return draw(self, style)

    def to_dot(self) -> str:
        """The layers and their data flow as Graphviz DOT text (``summary --format dot``)."""
        from .diagram import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """The layers and their data flow as a Mermaid flowchart (``summary --format mermaid``)."""
        from .diagram import to_mermaid

        return to_mermaid(self)

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
        columns = [k for k in _ROW_FIELDS if k not in ("parts", "spec", "name", "frozen")]
        return pd.DataFrame.from_records(records, columns=[c for c in columns if c in records[0]] if records else None,
                                         index="index" if records else None)

    def plot(self, metric: str = "params") -> Figure:
        """A bar per row for ``metric`` (params, macs, flops, activations, or all four stacked) with the cumulative
        share of the total, as a matplotlib Figure (:func:`convcalc.plot.figure`; needs the ``plot`` extra)."""
        from .plot import figure

        return figure(self, metric)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.render("table")

    def __repr__(self) -> str:
        from .layout import dims

        t = self.totals
        return (f"<Report {self.model or 'network'}: input {dims(self.input_shape, self.layout)}, batch {self.batch}, "
                f"{len(self.rows)} rows, {t.params:,} params, {t.macs:,} MACs>")


def _layers(rows: list[Row]) -> str:
    """How many layers a merged block holds: rows of layers (a spec's, a module's) and of operations that compute
    something; the views and copies a forward makes between them (from_torch's aten ops: a reshape, a transpose)
    are no layers."""
    n = sum(1 for r in rows if r.spec is not None or r.call == "module" or r.macs or r.flops or r.params or r.unsupported)
    return f"{n} layer{'s' * (n != 1)}" if n else f"{len(rows)} views and copies"


def _summed(rows: Iterable[Row]) -> Primitives:
    """The rows' primitive counts added up."""
    return sum((r.primitives for r in rows), Primitives())




def where(index: int, path: str, name: str) -> str:
    """``layer 3 (features.6) Conv2d``: how messages name a row."""
    return f"layer {index} ({path}) {name}" if path else f"layer {index} {name}"
