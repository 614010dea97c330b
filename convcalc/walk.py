"""From a network and its input to a :class:`~convcalc.report.Report`: the walk over blocks, and the
one row builder that the walk and :func:`convcalc.from_torch` both make their rows with.

A block's :meth:`~convcalc.layers.base.Block.structure` says how its children connect (a chain,
or branches joined by add, cat or mul); the walk follows that declaration, as the torch builder
does, so a new block type is one class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import ShapeError, SpecError
from .inputs import Input, check_batch, check_input, dtype_bytes
from .layers.base import Block, Chain, Effect, Join, Layer, Leaf, Primitives, Shape, checked, numel
from .layout import check_layout
from .receptive import Field
from .records import replace
from .report import Report, Row, where

SOURCE_LINES = "_source_lines_"


def with_source_lines(net: Layer, lines: Mapping[int, int]) -> Layer:
    """``net``, told the line of text each of its layers came from (``id(layer) -> line``: spec text written as
    a forward pass), so that a shape error the walk meets names its line. A note beside the frozen fields,
    as a block's structure is: it changes no count and no comparison."""
    net.__dict__[SOURCE_LINES] = dict(lines)
    return net


def child_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Rows:
    """The one maker of report rows, for the spec walk and for ``from_torch`` alike: a layer's place,
    its effect scaled to the batch, parameters counted once per owner (a layer object or torch
    module used twice is one set of weights), activation bytes, the receptive field carried on."""

    def __init__(self, batch: int, dtype_bytes: int) -> None:
        self.batch = batch
        self.dtype_bytes = dtype_bytes
        self.rows: list[Row] = []
        self.owners: dict[int, int] = {}  # id(owner holding parameters) -> its first row's index

    def add(self, owner: int, spec: Leaf, text: str, shape: Shape, path: str, effect: Effect, fld: Field, *,
            call: str = "module", batch: int | None = None, held: tuple[int, int] | None = None,
            registrations: int = 1) -> tuple[Shape, Field]:
        """A row for ``spec`` (shown as ``text``) run on ``shape`` at ``path``; returns its output and field.

        ``held``: the (parameters, frozen parameters) torch says the owner holds and no row has
        counted yet; where they differ from the spec's (a weight tied to another module's), torch's count.
        """
        index = len(self.rows) + 1
        weights, biases, shared_with, frozen = effect.weights, effect.biases, None, effect.frozen
        if weights or biases or held:
            first = self.owners.setdefault(owner, index)
            if first != index:  # the same layer again: its parameters are already counted
                weights = biases = frozen = 0
                shared_with = first
            elif held is not None:
                total, frozen = held
                if total != weights + biases:
                    weights, biases = total, 0
        out = effect.output_shape
        fld = fld.advance(effect.reach, out)
        b = self.batch if batch is None else batch
        self.rows.append(Row.made(
            index=index, path=path, kind=spec.kind, depth=path.count("."),
            input_shape=shape, output_shape=out,
            params=weights + biases, weights=weights, biases=biases,
            macs=effect.macs * b, flops=effect.flops * b,
            activation_bytes=((numel(out) if effect.new_tensor else 0) + effect.extra_elements) * b * self.dtype_bytes,
            receptive_field=fld.shown, formula=effect.formula,
            layer=text, name=spec.name, buffers=effect.buffers if shared_with is None else 0,
            warnings=effect.warnings, parts=effect.parts, shared_with=shared_with, spec=spec, frozen=frozen,
            unsupported=False, batch=b, call=call, registrations=registrations, counts=None, facts=frozenset(),
        ))
        return out, fld

    def op(self, path: str, kind: str, shape: Shape, out: Shape, macs: int, flops: int, new_elements: int, formula: str,
           *, batch: int, held: tuple[int, int] = (0, 0), warning: str | None = None, unsupported: bool = False,
           call: str = "function", spec: Leaf | None = None, receptive_field: tuple[int, ...] | None = None,
           registrations: int = 1, counts: Callable[[Row], Primitives] | None = None,
           facts: frozenset[str] = frozenset()) -> None:
        """A row for work that is no layer of convcalc's (an aten op in a forward body, a module doing
        nothing): its figures (whole batch) as torch gave them, ``new_elements`` those of the tensor it made
        (0 for a view or an in-place op); ``held`` the parameters it is charged with; ``counts`` gives its
        primitive counts from the row (what other tools count of an op is the bridge's knowledge)."""
        params, frozen = held
        row = Row.made(
            index=len(self.rows) + 1, path=path, kind=kind, depth=path.count("."), input_shape=shape, output_shape=out,
            params=params, weights=params, biases=0, macs=macs, flops=flops,
            activation_bytes=new_elements * self.dtype_bytes,
            receptive_field=receptive_field, formula=formula, layer=kind, name=kind, buffers=0,
            warnings=(warning,) if warning else (), parts=(), shared_with=None, spec=spec, frozen=frozen,
            unsupported=unsupported, batch=batch, call=call, registrations=registrations, counts=None, facts=facts,
        )
        if counts is not None and spec is None:
            row.__dict__["counts"] = counts(row)  # (a new row, not yet seen by anyone: its own field set once)
        self.rows.append(row)


class Liveness:
    """The tensors a network makes, in the order it makes them, and which ones each step reads: enough
    to say how much activation memory is live at most when each tensor is freed after its last use.

    Buffer 0 is the input. A step that makes no new tensor (a view, an in-place activation, dropout at
    inference) hands on the buffer it read; a step's ``extra`` bytes (a separable conv's depthwise
    result) are live only while it runs. While a step runs, what it reads and what it makes are live
    together; a buffer is freed once its last reader has run (the network's output is kept).
    """

    def __init__(self, input_bytes: int) -> None:
        self.sizes = [input_bytes]  # buffer -> bytes
        self.steps: list[tuple[tuple[int, ...], int | None, int]] = []  # (buffers read, buffer made or None, extra bytes)

    def step(self, reads: tuple[int, ...], made_bytes: int | None, extra: int = 0) -> int:
        """Record a step reading ``reads`` and making a tensor of ``made_bytes`` (None: no new tensor,
        its result is the first buffer it read); returns the buffer its result lives in."""
        made = None
        if made_bytes is not None:
            made = len(self.sizes)
            self.sizes.append(made_bytes)
        self.steps.append((reads, made, extra))
        return reads[0] if made is None else made

    def peak(self, output: int) -> int:
        """The most bytes live at once, the input included, ``output`` kept to the end."""
        uses = [0] * len(self.sizes)
        for reads, _, _ in self.steps:
            for b in reads:
                uses[b] += 1
        uses[output] += 1
        live = self.sizes[0]
        peak = live
        freed = [False] * len(self.sizes)
        for reads, made, extra in self.steps:
            if made is not None:
                live += self.sizes[made]
            peak = max(peak, live + extra)
            for b in reads:
                uses[b] -= 1
            for b in {*reads, *(() if made is None else (made,))}:
                if uses[b] == 0 and not freed[b]:  # (a tensor nothing reads is freed as soon as it is made)
                    freed[b] = True
                    live -= self.sizes[b]
        return peak


class _Walk:
    """A spec network, walked for one input: each leaf's effect (memoised), each block by its structure."""

    def __init__(self, batch: int, dtype_bytes: int, input_bytes: int = 0) -> None:
        self.out = Rows(batch, dtype_bytes)
        self.live = Liveness(input_bytes)
        self.flow = 0  # the buffer holding the tensor that flows into the next layer (0: the input)
        self.sizes: dict[int, Leaf] = {}  # id(leaf) -> the leaf with its inferred sizes, which must not change
        self.blocks: dict[str, str] = {}  # path -> class name of each block walked
        # (layer value, input shape) -> (effect, resolved layer, its repr): an effect is a pure function of
        # both, so the 36 identical bottlenecks of a ResNet stage, or a 10,000-layer chain, are computed once
        self.memo: dict[tuple[Leaf, Shape], tuple[Effect, Leaf, str]] = {}
        self.uses: dict[int, list[int]] = {}  # id(leaf) -> the rows it made: a leaf used twice is one module in two places
        self.lines: Mapping[int, int] = {}  # id(leaf or block) -> its line in forward-pass spec text (see forward_text)

    def where(self, index: int, path: str, layer: Layer) -> str:
        """How an error names a row: ``layer 3 (x3) Conv2d``, after ``line 4:`` where the layer came from a line of text."""
        line = self.lines.get(id(layer))
        return (f"line {line}: " if line is not None else "") + where(index, path, layer.name)

    def finish(self, functional: Mapping[str, str]) -> tuple[Row, ...]:
        """The rows, each told how torch holds its layer: in how many places of the module tree, and
        for the layers the torch source calls as functions, that call (``functional`` maps a glob
        over ``path:kind`` to it: ``{"*:relu": "F.relu", "avgpool:*": "F.adaptive_avg_pool2d"}``)."""
        rows = self.out.rows
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
            hashable = True
        except TypeError:  # a layer holding an unhashable value: compute it every time
            known, hashable = None, False
        if known is None:
            effect = checked(layer.effect(shape))  # first: it gives the clearest error for a shape that does not fit
            shown = layer.resolved(shape)
            known = (effect, shown, repr(shown))
            if hashable:
                self.memo[key] = known
        return known

    def layer(self, layer: Layer, shape: Shape, path: str, fld: Field) -> tuple[Shape, Field]:
        if isinstance(layer, Leaf):
            index = len(self.out.rows) + 1
            try:
                effect, shown, text = self.leaf(layer, shape)
                first = self.sizes.setdefault(id(layer), shown)
                if first != shown:
                    raise ShapeError(f"is used twice, as {first!r} and as {shown!r}; a shared layer has one size "
                                     "(give it explicitly, or use two layers)")
            except ShapeError as error:
                raise error.located(self.where(index, path, layer)) from None
            self.uses.setdefault(id(layer), []).append(index - 1)
            self.flowed(effect, (self.flow,))
            return self.out.add(id(layer), shown, text, shape, path, effect, fld)
        if not isinstance(layer, Block):
            raise SpecError(f"{path or 'network'}: {layer!r} is not a convcalc layer")
        self.blocks.setdefault(path, layer.name)
        structure = layer.declared()
        if structure.join is None:
            return self.chain(structure.layers, shape, path, fld)
        names, shapes, fields, flows = [], [], [], []
        start = self.flow
        for branch in structure.branches:
            self.flow = start  # each branch reads the block's input
            out, f = self.chain(branch.layers, shape, path, fld)
            names.append(branch.name)
            shapes.append(out)
            fields.append(f)
            flows.append(self.flow)
        self.flow = start
        shape, fld = self.join(layer, structure.join, child_path(path, structure.join_name), shapes, names, fields,
                               tuple(flows))
        return self.chain(structure.after, shape, path, fld)

    def chain(self, layers: Chain, shape: Shape, path: str, fld: Field) -> tuple[Shape, Field]:
        for name, child in layers:
            shape, fld = self.layer(child, shape, child_path(path, name), fld)
        return shape, fld

    def flowed(self, effect: Effect, reads: tuple[int, ...]) -> None:
        """The liveness step of a row: it reads ``reads``, makes its output (if a new tensor) and its extras."""
        per = self.out.batch * self.out.dtype_bytes
        made = numel(effect.output_shape) * per if effect.new_tensor else None
        self.flow = self.live.step(reads, made, effect.extra_elements * per)

    def join(self, block: Block, join: Join, path: str, shapes: list[Shape], names: list[str],
             fields: list[Field], flows: tuple[int, ...]) -> tuple[Shape, Field]:
        """The row of a block's join (add, cat, mul), checking its inputs fit together."""
        try:
            effect = join.join(shapes, names)
        except ShapeError as error:
            raise error.located(self.where(len(self.out.rows) + 1, path, block)) from None
        self.flowed(effect, tuple(flows))
        return self.out.add(id(join), join, repr(join), shapes[0], path, effect,
                            Field.union(fields, broadcast=join.broadcast), call=join.call)


def analyze(
    net: Layer, input_shape: Shape, batch: int = 1, dtype: str = "float32", model: str | None = None,
    notes: tuple[str, ...] = (), functional: Mapping[str, str] | None = None, layout: str = "chw",
    inputs: tuple[Input, ...] = (),
) -> Report:
    """Walk ``net`` for one ``input_shape`` (per sample, channels first) and count every leaf.

    ``functional`` maps globs over ``path:kind`` to the function call the torch source of the
    network makes in a ``forward`` instead of running a module (torchvision's MobileNetV2 pools with
    ``F.adaptive_avg_pool2d``): tools that hook modules do not see those (:mod:`convcalc.profiles`).
    ``layout`` is how the report shows shapes (``"hwc"``: channels last); its fields stay channels first.
    ``inputs``: the one :class:`~convcalc.inputs.Input` it was given as, whose dtype sets the input's bytes.
    """
    shape = check_input(input_shape)
    check_batch(batch)
    size = dtype_bytes(dtype)
    per = inputs[0].bytes_per_element(size) if inputs else size
    walk = _Walk(batch, size, numel(shape) * batch * per)
    if not isinstance(net, Layer):
        raise SpecError(f"cannot summarize {net!r}: not a convcalc layer, network or model name")
    walk.lines = getattr(net, "__dict__", {}).get(SOURCE_LINES, {})
    walk.layer(net, shape, "", Field.start(shape))
    return Report(model=model, input_shape=shape, batch=batch, dtype=dtype, dtype_bytes=size,
                  rows=walk.finish(functional or {}), notes=tuple(notes), layout=check_layout(layout) or "chw", blocks=walk.blocks,
                  peak_activation_bytes=walk.live.peak(walk.flow), inputs=tuple(inputs))
