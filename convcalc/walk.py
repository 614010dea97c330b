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
from .layers.base import Backward, Block, Chain, Effect, Grads, Join, Layer, Leaf, Primitives, Saved, Shape, checked, numel
from .layout import check_layout
from .receptive import Field
from .records import replace
from .report import Report, Row, Trained, where
from .training import AMP, Plan, Step, Training, saved_bytes

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
            registrations: int = 1, trained: Trained | None = None) -> tuple[Shape, Field]:
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
            trained=trained,
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
            trained=None,
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

    def sources(self, row_of: Mapping[int, int] | None, rows: int) -> tuple[tuple[int, ...], ...]:
        """For each of ``rows`` rows, the rows whose results it reads (1-based; 0: the network's input), in the
        order it reads them: the data flow a diagram draws. ``row_of`` maps a step to its row (0-based; None: step i
        is row i); a step that is no row (a view torch made between layers) hands on what it read."""
        holds: dict[int, tuple[int, ...]] = {0: (0,)}  # buffer -> the rows whose results it holds now
        found: list[tuple[int, ...]] = [()] * rows
        for j, (reads, made, _) in enumerate(self.steps):
            read = tuple(dict.fromkeys(r for b in reads for r in holds.get(b, ())))  # (in order, once each)
            row = j if row_of is None else row_of.get(j)
            if row is not None and row < rows:
                found[row] = read
            result = (row + 1,) if row is not None else read or (0,)  # (a further input is the input)
            if made is not None or reads:
                holds[made if made is not None else reads[0]] = result
        return tuple(found)

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


#: The note a layer or block carries when its parameters are frozen (``trainable=False``): beside its fields, as a
#: block's structure is, so that it changes no count and no comparison of inference.
TRAINABLE = "_trainable_"


def trainable(layer: Layer) -> bool:
    """False for a layer or block marked ``trainable=False`` (:func:`frozen`)."""
    return bool(layer.__dict__.get(TRAINABLE, True))


def frozen(layer: Layer, trainable: bool = False) -> Layer:
    """``layer`` (a copy of it) with its parameters frozen, or unfrozen with ``trainable=True``: in a training step
    they get no gradient and no optimizer state, as torch's ``requires_grad_(False)``; inside a frozen block,
    every layer is frozen."""
    if not isinstance(trainable, bool):
        raise SpecError(f"{layer.name}: trainable must be True or False, got {trainable!r}")
    copy = object.__new__(type(layer))  # (the same fields and notes: a block's constructor may be its own)
    copy.__dict__.update(layer.__dict__)
    copy.__dict__[TRAINABLE] = trainable
    return copy


class _Trainer:
    """The training side of a walk: which tensors need a gradient, what each row saves (each tensor counted once,
    at the first row that saves it), and the :class:`~convcalc.training.Step` s that
    :func:`~convcalc.training.peak` plays. Tensor ids are its own: dropout makes a new tensor in training."""

    def __init__(self, training: Training, batch: int, input_bytes: int, act_bytes: int, param_bytes: int) -> None:
        self.training = training
        self.batch = batch
        self.act = act_bytes
        self.param = param_bytes
        self.flow = 0
        self.sizes: dict[int, int] = {0: input_bytes}
        self.needs: dict[int, bool] = {0: False}  # tensor -> requires_grad (the input: no)
        #: tensor -> bytes per element: under autocast the input stays in its dtype, a product's result is in the
        #: autocast dtype, and what runs in its input's dtype keeps it
        self.element: dict[int, int] = {0: param_bytes}
        self.steps: list[Step] = []
        self.names: list[str] = []
        self.seen: set[tuple[object, ...]] = set()
        self.param_tensors = 0
        self.param_sizes: list[int] = []
        self.extra_state = 0

    def row(self, index: int, layer: Leaf, shape: Shape, effect: Effect, frozen: bool, first: bool, name: str,
            reads: tuple[int, ...] = (), shapes: tuple[Shape, ...] | None = None) -> Trained:
        """The training figures of row ``index``: ``frozen`` (its parameters get no gradient), ``first`` (its
        parameters are counted here: not a shared layer's second use); ``reads``/``shapes``: a join's inputs."""
        reads = reads or (self.flow,)
        params = effect.weights + effect.biases - effect.frozen
        weights = params > 0 and not frozen
        grads = Grads(tuple(self.needs[r] for r in reads), weights, self.training.device, self.batch)
        found = layer.join_backward(shapes, effect, grads) if shapes is not None and isinstance(layer, Join) \
            else layer.backward(shape, effect, grads)
        b = self.batch
        amp = self.training.amp is not None
        element = max(self.element.get(r, self.act) for r in reads)  # (mixed inputs promote to the wider type)
        if amp and found is not None:
            found, element = self._autocast(layer, shape, effect, grads, found, reads, element)
        new = effect.new_tensor if found is None or found.new_output is None else found.new_output
        if new:
            out = len(self.sizes)
            self.sizes[out] = numel(effect.output_shape) * b * element
        else:
            out = reads[0]
        self.element[out] = element
        self.needs[out] = grads.any
        saved: list[tuple[tuple[object, ...], int]] = []
        counted = 0
        for s in () if found is None else found.saved:
            if s.of.startswith("input"):
                key: tuple[object, ...] = ("t", reads[int(s.of[5:] or 0)])
            elif s.of == "output":
                key = ("t", out)
            else:
                key = ("own", index, s.of)
            if key[0] == "t":  # a tensor of the network: autograd holds its whole storage, as a view of it does
                size = self.sizes[key[1]]  # type: ignore[index]  # (a ("t", buffer) key holds the buffer's int)
            else:
                size = saved_bytes(s, b, element)
            saved.append((key, size))
            if key not in self.seen:
                self.seen.add(key)
                counted += size
        grad_bytes = params * self.param if weights and first else 0
        if grad_bytes:
            self.param_tensors += layer.param_tensors(effect)
            self.param_sizes += layer.param_sizes(effect)
        if first:
            self.extra_state += layer.extra_state_bytes()
        self.steps.append(Step(reads=reads, made=out if new else None, made_bytes=self.sizes[out] if new else 0,
                               saved=tuple(saved), weight_grad_bytes=grad_bytes, input_grads=grads.inputs,
                               output_grad=grads.any))
        self.names.append(name)
        self.flow = out
        return Trained.of(found, b, counted, params if weights else 0)

    def _autocast(self, layer: Leaf, shape: Shape, effect: Effect, grads: Grads, found: Backward,
                  reads: tuple[int, ...], element: int) -> tuple[Backward | None, int]:
        """A row under autocast (:attr:`~convcalc.layers.base.Leaf.autocast`): a product casts a full-precision input
        to the autocast dtype (autograd then keeps that copy, not the input) and keeps copies of the weights it
        keeps; its result is in the autocast dtype. What runs in its input's dtype keeps it. None: a layer type
        whose autocast behaviour convcalc does not know (the row says so)."""
        kind = layer.autocast
        if kind == "same":
            return found, element
        if kind != "lower":
            return None, element
        low = self.act
        cast = self.element.get(reads[0], low) != low
        saved = tuple(Saved("cast_input", x.elements, None) if cast and x.of == "input" else x for x in found.saved)
        if found.keeps_weights and grads.any:
            saved += (Saved("weight_copies", effect.weights - effect.frozen, None, batched=False),)
        return replace(found, saved=saved), low

    def plan(self) -> Plan:
        return Plan(steps=self.steps, sizes=self.sizes, output=self.flow, param_bytes=self.param, names=self.names,
                    param_tensors=self.param_tensors, param_sizes=self.param_sizes, extra_state=self.extra_state)


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
        self.training: Training | None = None  # set: each row's part in a training step (see _Trainer)
        self.trainer: _Trainer | None = None
        self.frozen = False  # inside a layer or block marked trainable=False, or a frozen path

    def train(self, training: Training, input_bytes: int, act_bytes: int, param_bytes: int) -> None:
        self.training = training
        self.trainer = _Trainer(training, self.out.batch, input_bytes, act_bytes, param_bytes)

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
            trained = None
            if self.trainer is not None:
                fixed = self.frozen or not trainable(layer) or self.trainer.training.frozen(path)
                counted_here = self.out.owners.get(id(layer), index) == index
                trained = self.trainer.row(index, shown, shape, effect, fixed, counted_here, self.where(index, path, layer))
            return self.out.add(id(layer), shown, text, shape, path, effect, fld, trained=trained)
        if not isinstance(layer, Block):
            raise SpecError(f"{path or 'network'}: {layer!r} is not a convcalc layer")
        self.blocks.setdefault(path, layer.name)
        was = self.frozen
        self.frozen = was or not trainable(layer)
        try:
            return self.block(layer, shape, path, fld)
        finally:
            self.frozen = was

    def block(self, layer: Block, shape: Shape, path: str, fld: Field) -> tuple[Shape, Field]:
        structure = layer.declared()
        if structure.join is None:
            return self.chain(structure.layers, shape, path, fld)
        names, shapes, fields, flows, tflows = [], [], [], [], []
        start = self.flow
        tstart = self.trainer.flow if self.trainer is not None else 0
        for branch in structure.branches:
            self.flow = start  # each branch reads the block's input
            if self.trainer is not None:
                self.trainer.flow = tstart
            out, f = self.chain(branch.layers, shape, path, fld)
            names.append(branch.name)
            shapes.append(out)
            fields.append(f)
            flows.append(self.flow)
            tflows.append(self.trainer.flow if self.trainer is not None else 0)
        self.flow = start
        shape, fld = self.join(layer, structure.join, child_path(path, structure.join_name), shapes, names, fields,
                               tuple(flows), tuple(tflows))
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
             fields: list[Field], flows: tuple[int, ...], tflows: tuple[int, ...] = ()) -> tuple[Shape, Field]:
        """The row of a block's join (add, cat, mul), checking its inputs fit together."""
        index = len(self.out.rows) + 1
        try:
            effect = join.join(shapes, names)
        except ShapeError as error:
            raise error.located(self.where(index, path, block)) from None
        self.flowed(effect, tuple(flows))
        trained = None
        if self.trainer is not None:
            trained = self.trainer.row(index, join, shapes[0], effect, True, True, self.where(index, path, block),
                                       reads=tflows, shapes=tuple(shapes))
        return self.out.add(id(join), join, repr(join), shapes[0], path, effect,
                            Field.union(fields, broadcast=join.broadcast), call=join.call, trained=trained)


def analyze(
    net: Layer, input_shape: Shape, batch: int = 1, dtype: str = "float32", model: str | None = None,
    notes: tuple[str, ...] = (), functional: Mapping[str, str] | None = None, layout: str = "chw",
    inputs: tuple[Input, ...] = (), training: Training | None = None,
) -> Report:
    """Walk ``net`` for one ``input_shape`` (per sample, channels first) and count every leaf.

    ``functional`` maps globs over ``path:kind`` to the function call the torch source of the
    network makes in a ``forward`` instead of running a module (torchvision's MobileNetV2 pools with
    ``F.adaptive_avg_pool2d``): tools that hook modules do not see those (:mod:`convcalc.profiles`).
    ``layout`` is how the report shows shapes (``"hwc"``: channels last); its fields stay channels first.
    ``inputs``: the one :class:`~convcalc.inputs.Input` it was given as, whose dtype sets the input's bytes.
    ``training``: count a training step too (:mod:`convcalc.training`): each row's backward and saved tensors.
    """
    shape = check_input(input_shape)
    check_batch(batch)
    size = dtype_bytes(dtype)
    per = inputs[0].bytes_per_element(size) if inputs else size
    walk = _Walk(batch, size, numel(shape) * batch * per)
    if training is not None:
        act = dtype_bytes(training.amp) if training.amp in AMP else size
        walk.train(training, numel(shape) * batch * per, act, size)
    if not isinstance(net, Layer):
        raise SpecError(f"cannot summarize {net!r}: not a convcalc layer, network or model name")
    walk.lines = getattr(net, "__dict__", {}).get(SOURCE_LINES, {})
    walk.layer(net, shape, "", Field.start(shape))
    return Report(model=model, input_shape=shape, batch=batch, dtype=dtype, dtype_bytes=size,
                  rows=walk.finish(functional or {}), notes=tuple(notes), layout=check_layout(layout) or "chw", blocks=walk.blocks,
                  peak_activation_bytes=walk.live.peak(walk.flow), inputs=tuple(inputs), training=training,
                  train_plan=None if walk.trainer is None else walk.trainer.plan(),
                  flow=walk.live.sources(None, len(walk.out.rows)))  # (the walk's step i is its row i)
