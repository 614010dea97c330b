"""``from_torch``: a Report for any nn.Module, from one forward pass on the meta device.

The module is copied onto the meta device (shapes only: no memory, no arithmetic)
and run once. Module hooks track which module is running; a dispatch mode sees
every aten op. Then:

- a known leaf module (Conv2d, Linear, pools, norms, activations, …) becomes a
  row computed with convcalc's own formula for the shape torch gave it;
- work done directly in a ``forward`` (F.conv2d, ``+``, torch.cat, F.relu,
  x.view, F.adaptive_avg_pool2d, …) becomes a row attributed to the module
  whose ``forward`` did it;
- a leaf module convcalc has no formula for is listed as unsupported, and its
  work is counted op by op like a forward body's (an aten op convcalc has no
  formula for is listed too) — never a silent zero.

A module called twice gives two rows; its parameters count on the first only.
"""

from __future__ import annotations

import copy
import dis
import itertools
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from .. import layers as cc
from .. import records
from ..errors import ConvCalcError, ShapeError, SpecError
from ..inputs import check_batch, check_input, dtype_bytes
from ..layers.base import LAYER_TYPES, Join, Leaf, Reach, Shape, checked, numel
from ..profiles import ADDMM_INPUT, BROADCAST_MATMUL, EINSUM_PATH, NAMED_PADDING, NO_WEIGHT, UNUSED, container_facts, foreign_facts, leaf_fact, op_primitives
from ..receptive import Field
from ..records import replace
from ..report import Report
from ..walk import Liveness, Rows
from .build import resolve, torch_module_of


def readers() -> dict[type, type[Leaf]]:
    """torch module class -> the layer type that reads it back (:meth:`Leaf.from_module`), derived from
    every registered layer's binding, the user's own included; convcalc's own modules carry their spec."""
    table: dict[type, type[Leaf]] = {}
    for cls in LAYER_TYPES.values():
        if not issubclass(cls, Leaf):
            continue
        try:
            targets = [torch_module_of(cls), *(resolve(t) for t in cls.torch_also)]
        except SpecError:  # a user's binding that does not load: to_torch says so; here it is just unknown
            continue
        for target in targets:
            if isinstance(target, type) and not getattr(target, "convcalc_layer", False):
                if table.setdefault(target, cls) is not cls:
                    raise SpecError(f"{table[target].__name__} and {cls.__name__} are both bound to the torch module "
                                    f"{target.__name__}; from_torch cannot tell which one a module is")
    return table


def spec_of(module: nn.Module, table: dict[type, type[Leaf]], problems: dict[int, str] | None = None) -> Leaf | None:
    """The convcalc spec of a module convcalc knows (its own modules carry theirs), else None; why a
    known type could not be read back goes into ``problems`` (module id -> the reason).

    A subclass of a known module counts as it only when it keeps that module's ``forward``."""
    spec: Leaf | None = getattr(module, "convcalc_spec", None)
    if spec is not None:
        return spec
    forward = type(module).forward
    reader = next((table[c] for c in type(module).__mro__ if c in table and forward is getattr(c, "forward", None)), None)
    if reader is None:
        return None
    try:
        return reader.from_module(module)
    except (ConvCalcError, TypeError) as error:
        if problems is not None:
            problems[id(module)] = str(error)
        return None


# aten ops met in forward bodies, by what they cost.
_ELEMENTWISE = {"add", "sub", "mul", "div", "relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
                "leaky_relu", "hardtanh", "clamp", "clamp_min", "clamp_max", "neg", "exp", "log", "sqrt", "rsqrt",
                "pow", "_softmax", "_log_softmax", "abs", "maximum", "minimum", "elu", "mish", "softplus"}
_VIEWS = {"view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "squeeze", "unsqueeze", "flatten",
          "slice", "select", "split", "split_with_sizes", "chunk", "unbind", "narrow", "as_strided", "alias",
          "view_as", "expand_as", "unflatten"}
_COPIES = {"clone", "contiguous", "cat", "stack", "channel_shuffle", "native_channel_shuffle",
           "roll", "flip", "pad", "constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "replication_pad2d"}
_IGNORED = {"detach", "lift_fresh", "_to_copy", "empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like",
            "full", "full_like", "arange", "new_empty", "new_zeros", "new_ones", "copy_", "fill", "fill_", "sym_size",
            "sym_stride", "sym_numel", "sym_storage_offset", "is_same_size", "_local_scalar_dense", "dropout",
            "native_dropout", "feature_dropout", "alpha_dropout", "_has_compatible_shallow_copy_type"}
_NORMS = {"native_batch_norm": 2, "_native_batch_norm_legit_no_training": 2, "_native_batch_norm_legit": 2,
          "batch_norm": 2, "native_layer_norm": 5, "layer_norm": 5, "native_group_norm": 5}


@dataclass
class _Frame:
    module: nn.Module
    path: str
    spec: Leaf | None
    opaque: bool  # rows come from the module itself, not from what runs inside it
    input_shape: tuple[int, ...] = ()
    rows_before: int = 0
    inside: bool = False  # within a module that is one row: nothing here makes rows
    inputs: list[torch.Tensor] = field(default_factory=list)  # every tensor argument (a join takes several)
    facts: set[str] = field(default_factory=set)  # what the calls inside it showed (profiles' facts)


#: Tensor methods an operator reaches (torch reports ``x + y`` and ``x.add(y)`` alike, as Tensor.add): the operator.
_OPERATORS = {"add": "+", "sub": "-", "rsub": "-", "mul": "*", "div": "/", "true_divide": "/", "floor_divide": "//",
              "matmul": "@", "pow": "**", "remainder": "%", "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}


def call_name(func: Any, operator: bool) -> str:
    """How a forward wrote the torch call ``func``: ``F.relu``, ``torch.matmul``, ``x.add`` (a method) or
    ``+`` (``operator``: the caller's instruction was a binary operator, which torch reports as the method)."""
    name = getattr(func, "__name__", "") or type(func).__name__
    if getattr(func, "__objclass__", None) is torch._C.TensorBase or getattr(func, "__qualname__", "").startswith("TensorBase."):
        base = name.rstrip("_")
        if operator and base in _OPERATORS:
            return _OPERATORS[base] + ("=" if name.endswith("_") else "")
        return f"x.{name}"
    if getattr(F, name, None) is func:  # (F.conv2d is torch.conv2d: written F.conv2d)
        return f"F.{name}"
    if getattr(torch, name, None) is func:
        return f"torch.{name}"
    module = getattr(func, "__module__", None)
    return f"{module}.{name}" if module else name


def _einsum_is_one_contraction(equation: Any, operands: tuple[Any, ...]) -> bool:
    """Whether an einsum is one product of two operands summing indices both hold (``bij,bjk->bik``): there
    numpy's contraction path, which fvcore counts by, is its multiply-accumulates."""
    if not isinstance(equation, str) or "." in equation:
        return False
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    inputs = lhs.split(",")
    if not arrow:
        rhs = "".join(sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1))
    if len(inputs) != 2 or len(operands) != 2:
        return False
    summed = {c for c in lhs if c.isalpha()} - set(rhs)
    return bool(summed) and all(c in inputs[0] and c in inputs[1] for c in summed)


def _call_facts(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], macs: int) -> set[str]:
    """What other tools count a call by, beyond its aten ops (``macs``: theirs, whole batch)."""
    facts: set[str] = set()
    if name in ("F.conv1d", "F.conv2d", "F.conv3d"):
        padding = kwargs.get("padding", args[4] if len(args) > 4 else 0)
        if isinstance(padding, str):  # aten::_convolution_mode, which fvcore 0.1.5 has no handle for
            facts.add(NAMED_PADDING)
    elif name in ("torch.matmul", "x.matmul", "@") and len(args) > 1:
        a, b = args[0], args[1]
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            theirs = numel(tuple(a.shape)) * (b.shape[-1] if b.dim() > 1 else 1)  # fvcore's and ptflops' formula
            if theirs != macs:
                facts.add(BROADCAST_MATMUL)
    elif name in ("torch.addmm", "x.addmm", "torch.baddbmm", "x.baddbmm") and kwargs.get("beta", 1) != 0:
        facts.add(ADDMM_INPUT)
    elif name == "torch.einsum" and not _einsum_is_one_contraction(args[0] if args else None, args[1:]):
        facts.add(EINSUM_PATH)
    return facts


#: Tensor attributes and queries (``x.shape`` arrives as a property's ``__get__``): they run no op, so the
#: call is not recorded.
_QUERIES = frozenset({"__get__", "dim", "numel", "size", "stride", "is_contiguous", "storage_offset", "element_size",
                      "data_ptr", "__len__", "is_floating_point", "is_complex", "get_device", "nelement", "ndimension"})


def _inside(function: Any, frame: Any, depth: int = 4) -> bool:
    """Whether one of the ``depth`` frames from ``frame`` up runs ``function`` (torch's override handling
    and the called function's own frame lie between)."""
    code = function.__code__
    for _ in range(depth):
        if frame is None:
            return False
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


class _Calls(TorchFunctionMode):
    """The Python call each aten op of a forward ran under (``F.relu``, ``torch.matmul``, ``x + y``): torch
    runs this mode for the outermost torch call only (one made inside another is not seen), which is
    what tools that patch ``F.*`` and ``torch.*`` see; and what those calls show that their aten ops do not."""

    def __init__(self, session: _Session) -> None:
        super().__init__()
        self.session = session

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") in _QUERIES:  # x.shape, x.dim(): no work, and most calls a pass makes
            return func(*args, **kwargs)
        caller = sys._getframe(1)
        try:
            operator = dis.opname[caller.f_code.co_code[caller.f_lasti]] == "BINARY_OP"
        except IndexError:
            operator = False
        session = self.session
        if func is F.instance_norm and session.in_forward_body():  # one layer, though aten runs it as a batch norm
            return session.instance_norm(func, args, kwargs)
        outer, session.call = session.call, call_name(func, operator)
        if func is F.interpolate and _inside(F.upsample, caller):  # F.upsample calls F.interpolate: ptflops counts both
            session.call = "F.upsample"
        start = len(session.rows)
        try:
            out = func(*args, **kwargs)
        finally:
            name, session.call = session.call, outer
        made = session.rows[start:]
        session.called(name)
        facts = _call_facts(name, args, kwargs, sum(r.macs for r in made))
        if facts:
            session.note(start, facts)
        return out


class _Session(TorchDispatchMode):
    """One forward pass: module hooks keep the stack of running modules; every aten op comes here.

    Rows are made by :class:`convcalc.walk.Rows`, as for a spec network. Each tensor the pass makes
    carries its receptive field (keyed by the tensor, kept alive for the pass), so a row's field
    follows the data, through branches and joins, as the walk's does.
    """

    def __init__(self, batch: int, dtype_bytes: int, names: dict[int, str], weights: set[int],
                 table: dict[type, type[Leaf]]) -> None:
        super().__init__()
        self.batch, self.names, self.weights, self.table = batch, names, weights, table
        #: functional name -> the layer type declaring it (its ``functional`` forms), for ops in a forward body
        self.functions = {name: cls for cls in LAYER_TYPES.values() if issubclass(cls, Leaf)
                          for name in cls.functional_forms()}
        #: aten op -> the layer type reading it back (its ``aten`` ops: F.interpolate's upsample_bilinear2d, …)
        self.aten = {name: cls for cls in LAYER_TYPES.values() if issubclass(cls, Leaf) for name in cls.aten}
        self.stack: list[_Frame] = []
        self.out = Rows(batch, dtype_bytes)
        self.rows = self.out.rows
        self.owners = self.out.owners  # module id -> first row carrying its parameters
        self.counted: set[int] = set()  # ids of parameter tensors a row has counted (tied weights count once)
        self.places: dict[int, int] = {}  # module id -> how many places in the module tree hold it
        self.fields: dict[int, tuple[torch.Tensor, Field]] = {}  # id(tensor) -> (the tensor, its receptive field)
        self.problems: dict[int, str] = {}  # module id -> why its layer type could not read it back
        #: the data flow, for the inference peak: id(tensor) -> (the tensor, kept alive for the pass, its buffer)
        self.live = Liveness(0)
        self.buffers: dict[int, tuple[torch.Tensor, int]] = {}
        self.quiet = 0  # > 0 while a functional call that is one row (F.instance_norm) runs: its aten ops make none
        self.call: str | None = None  # the Python call running now (:class:`_Calls`); None: none seen
        self.row_steps: dict[int, int] = {}  # row (0-based) -> its liveness step

    # --- receptive fields, per tensor ---
    def start(self, x: torch.Tensor, input_bytes: int) -> None:
        self.fields[id(x)] = (x, Field.start(tuple(x.shape[1:])))
        self.live = Liveness(input_bytes)
        self.buffers[id(x)] = (x, 0)

    # --- the data flow, for the inference peak ---
    def flow(self, reads: list[torch.Tensor], results: list[torch.Tensor], made: int | None, extra: int = 0,
             row: bool = False) -> None:
        """A liveness step: the buffers of ``reads`` that the pass follows are read, ``made`` bytes are a new
        tensor (None: the results are views of the first buffer read); the results live in that buffer.
        Tensors the pass did not follow (made from weights alone) are no activations and are not read.
        ``row``: the last row is this step's (:meth:`unused`)."""
        known = tuple(self.buffers[id(t)][1] for t in reads if id(t) in self.buffers)
        if made is None and not known:
            return
        buffer = self.live.step(known, made, extra)
        if row:
            self.row_steps[len(self.rows) - 1] = len(self.live.steps) - 1
        for t in results:
            self.buffers[id(t)] = (t, buffer)

    def unused(self, output: Any) -> set[int]:
        """The rows (0-based) whose result never reaches the output: the steps followed back from every
        tensor of the output (a JIT trace drops that work as dead code). Empty where the output was not followed."""
        useful = {self.buffers[id(t)][1] for t in _tensors(output) if id(t) in self.buffers}
        if not useful:
            return set()
        steps = self.live.steps
        needed: set[int] = set()
        for i in range(len(steps) - 1, -1, -1):
            reads, made, _ = steps[i]
            if (made if made is not None else reads[0]) in useful:
                needed.add(i)
                useful.update(reads)
        return {row for row, step in self.row_steps.items() if step not in needed}

    def peak(self, output: Any) -> int | None:
        """The most activation bytes live at once, each tensor freed after its last use (None: the output was not followed)."""
        result = _first_tensor(output)
        if result is None or id(result) not in self.buffers:
            return None
        return self.live.peak(self.buffers[id(result)][1])

    def field_of(self, tensors: list[torch.Tensor], broadcast: bool = False) -> Field:
        """What the inputs see together (one input: its field); unknown for tensors the pass did not follow."""
        found = [self.fields[id(t)][1] for t in tensors if id(t) in self.fields]
        if not found or len(found) < len([t for t in tensors if id(t) not in self.weights]):
            return Field.unknown()
        return found[0] if len(found) == 1 else Field.union(found, broadcast=broadcast)

    def mark(self, output: Any, fld: Field) -> None:
        result = _first_tensor(output)
        if result is not None:
            self.fields[id(result)] = (result, fld)

    def note(self, start: int, facts: set[str]) -> None:
        """Facts of a Python call: on the rows it made (from ``start`` on), else on the module row it is part of."""
        if len(self.rows) > start:
            for i in range(start, len(self.rows)):
                self.rows[i] = replace(self.rows[i], facts=self.rows[i].facts | facts)
            return
        frame = next((f for f in self.stack if f.opaque), None)
        if frame is not None:
            frame.facts.update(facts)

    def called(self, name: str) -> None:
        """A Python call made inside a leaf module of another library that convcalc reads as one of its layers:
        module-hooking tools key on the exact torch class, so they see only such calls there (profiles' facts)."""
        for frame in reversed(self.stack):  # (the innermost module that is one row; O(1) in a forward body)
            if frame.opaque:
                if foreign_facts(type(frame.module)):
                    frame.facts.add(f"calls {name}")
                return
            if not frame.inside:
                return

    # --- module hooks ---
    def enter(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> None:
        spec = spec_of(module, self.table, self.problems)
        inside_opaque = any(f.opaque for f in self.stack)
        opaque = spec is not None
        tensors = [a for a in (*args, *(kwargs or {}).values()) if isinstance(a, torch.Tensor)]
        self.stack.append(_Frame(module, self.names.get(id(module), ""), spec, opaque and not inside_opaque,
                                 tuple(tensors[0].shape) if tensors else (), rows_before=len(self.rows),
                                 inside=inside_opaque, inputs=tensors))

    def leave(self, module: nn.Module, output: Any) -> None:
        frame = self.stack.pop()
        if frame.inside:
            return
        out = _first_tensor(output)
        out_shape = tuple(out.shape) if out is not None else ()
        if frame.opaque:
            self._leaf_row(frame, out_shape, output)
            return
        unknown_leaf = not any(True for _ in frame.module.children())
        container = None if unknown_leaf else container_facts(frame.module, frame.input_shape)
        if container is not None and len(self.rows) > frame.rows_before:  # (profiles' facts: a tool hooks it whole)
            within, opening = container
            for i in range(frame.rows_before, len(self.rows)):
                self.rows[i] = replace(self.rows[i], facts=self.rows[i].facts | {within})
            self.rows[frame.rows_before] = replace(self.rows[frame.rows_before], facts=self.rows[frame.rows_before].facts | {opening})
        if (unknown_leaf and len(self.rows) == frame.rows_before) or (
                self._direct_params(frame.module)[0] and self.owners.get(id(frame.module)) is None):
            # a module whose work made no row (or whose parameters no row carries yet)
            self._add(frame.path, type(frame.module).__name__.lower(), frame.input_shape, out_shape, 0, 0, False,
                      "no operations", module=frame.module, call="module")
        if unknown_leaf and self.stack and any(True for _ in frame.module.parameters()):
            # what module-hooking tools see of it (torchinfo charges its parameters by their names): profiles' facts
            first = self.rows[frame.rows_before]
            described = leaf_fact(type(frame.module).__name__, [(n, p.numel()) for n, p in frame.module.named_parameters()],
                                  tuple(output.shape) if isinstance(output, torch.Tensor) else None)
            self.rows[frame.rows_before] = replace(first, facts=first.facts | {described})
        if unknown_leaf and self.stack:  # (the root itself is the user's model, not an unknown layer)
            name = type(frame.module).__name__
            first = self.rows[frame.rows_before]
            problem = self.problems.get(id(frame.module))
            why = f" ({problem})" if problem else ""
            self.rows[frame.rows_before] = replace(first, unsupported=True, warnings=first.warnings + (
                f"convcalc has no formula for the module {name}{why}; its operations were counted one by one",))

    # --- aten ops ---
    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not self.stack or self.quiet:
            return out
        if any(f.opaque or f.inside for f in self.stack):  # inside a module that is one row
            return out
        self._functional(self.stack[-1], func.overloadpacket, args, kwargs, out)
        return out

    def _functional(self, frame: _Frame, packet: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        """The row of an op in a forward body (if it makes one), and its step in the data flow: what it read,
        and what it made (an op that makes no row, such as a detach, hands its input on)."""
        before = len(self.rows)
        self._op_row(frame, packet, args, kwargs, out)
        reads = [a for a in itertools.chain(args, *(a for a in args if isinstance(a, (list, tuple))))
                 if isinstance(a, torch.Tensor) and id(a) not in self.weights]
        results = [t for t in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(t, torch.Tensor)]
        if len(self.rows) > before:
            made = self.rows[-1].activation_bytes
            self.flow(reads, results, made or None, row=True)
        elif reads and results:
            self.flow(reads, results, None)

    def _op_row(self, frame: _Frame, packet: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        tensors = [a for a in itertools.chain(args, *(a for a in args if isinstance(a, (list, tuple))))
                   if isinstance(a, torch.Tensor)]
        if not tensors or all(id(t) in self.weights for t in tensors):
            return  # bookkeeping on weights (a transpose inside F.linear)
        name = packet.__name__
        base = name.rstrip("_")
        if base in _IGNORED or name in _IGNORED:
            return
        first = next(t for t in tensors if id(t) not in self.weights)
        result = _first_tensor(out)
        in_shape, out_shape = tuple(first.shape), tuple(result.shape) if result is not None else ()
        inplace = name.endswith("_")
        fld = self._op_field(base, args, tensors, in_shape, out_shape)
        self.mark(out, fld)

        def add(*args: Any, **kwargs: Any) -> None:  # every row of an op shows the field of its result
            kwargs["receptive_field"] = fld.shown
            kwargs["call"] = self.call or "function"  # (unknown: an op no Python call of torch's made)
            self._add(*args, **kwargs)

        if packet in flop_registry:
            flops = int(flop_registry[packet](*args, **kwargs, out_val=out))
            kind = _matmul_kind(base, args, self.call)
            add(frame.path, kind, in_shape, out_shape, flops // 2, flops, True, f"aten.{base}: FlopCounterMode's formula",
                      module=frame.module)
        elif (spec := self._aten_spec(base, args, in_shape, out_shape, inplace)) is not None:  # F.interpolate, F.group_norm, F.prelu, F.selu, …
            effect = checked(spec.effect(in_shape[1:]))
            fld = self.field_of([first]).advance(effect.reach, effect.output_shape)
            self.mark(out, fld)
            add(frame.path, spec.kind, in_shape, out_shape, effect.macs * in_shape[0], effect.flops * in_shape[0],
                effect.new_tensor, effect.formula, module=frame.module, spec=spec)
        elif (spec := self._declared(base, inplace, in_shape)) is not None:  # F.relu, or a user type's F.hardshrink
            effect = spec.effect(in_shape[1:])
            add(frame.path, base, in_shape, out_shape, effect.macs * in_shape[0], effect.flops * in_shape[0],
                effect.new_tensor, effect.formula, module=frame.module, spec=spec)
        elif base in _ELEMENTWISE:
            add(frame.path, base.lstrip("_"), in_shape, out_shape, 0, numel(out_shape), not inplace,
                      f"{base} in forward, 1 per element", module=frame.module)
        elif base in _VIEWS:
            add(frame.path, base.lstrip("_"), in_shape, out_shape, 0, 0, False, f"{base}: a view", module=frame.module)
        elif base in _COPIES:
            add(frame.path, base, in_shape, out_shape, 0, 0, True, f"{base}: a copy, no arithmetic", module=frame.module)
        elif base in _NORMS:
            weight = args[2] if "layer_norm" in base else args[1] if len(args) > 1 else None
            add(frame.path, base.strip("_"), in_shape, out_shape, 0, _NORMS[base] * numel(out_shape), True,
                f"{base} in forward, {_NORMS[base]} per element", module=frame.module,
                facts=frozenset() if isinstance(weight, torch.Tensor) else frozenset({NO_WEIGHT}))
        elif (spec := _pool_spec(base, args, in_shape, out_shape)) is not None:
            effect = spec.effect(in_shape[1:])
            fld = self.field_of([first]).advance(effect.reach, effect.output_shape)
            self.mark(out, fld)
            add(frame.path, spec.kind, in_shape, out_shape, 0, effect.flops * in_shape[0], True, effect.formula,
                      module=frame.module, spec=spec)
        elif base == "mean":
            add(frame.path, "mean", in_shape, out_shape, 0, numel(in_shape), True, "mean in forward: 1 per element read",
                      module=frame.module)
        else:
            add(frame.path, base, in_shape, out_shape, 0, 0, True, f"aten.{name}", module=frame.module,
                      warning=f"aten.{name} has no convcalc formula; its cost is not counted", unsupported=True)

    def _aten_spec(self, base: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape, inplace: bool) -> Leaf | None:
        """The layer an aten op is, where a layer type declares that op (:attr:`Leaf.aten`) and reads it back
        (in place where the op was, ``elu_`` from ``F.selu(x, inplace=True)``); None when none does, or when
        what it reads back does not give torch's own output shape."""
        cls = self.aten.get(base)
        if cls is None or not in_shape:
            return None
        try:
            spec = cls.from_aten(base, args, in_shape, out_shape)
            if spec is None or tuple(spec.effect(in_shape[1:]).output_shape) != tuple(out_shape[1:]):
                return None
        except (ConvCalcError, TypeError, ValueError, IndexError):
            return None
        return replace(spec, inplace=True) if inplace and hasattr(spec, "inplace") else spec

    def in_forward_body(self) -> bool:
        """Whether an op now runs in a forward body (where ops make rows), not inside a module that is one row."""
        return bool(self.stack) and not self.quiet and not any(f.opaque or f.inside for f in self.stack)

    def instance_norm(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """F.instance_norm in a forward body: one InstanceNormNd row. (Below it torch folds the batch into the
        channels and runs a batch norm on 1×(N·C)×…, which would read as a batch norm of the wrong shape.)"""
        import inspect

        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        x, given = bound.arguments["input"], bound.arguments
        frame = self.stack[-1]
        self.quiet += 1
        try:
            out = func(*args, **kwargs)
        finally:
            self.quiet -= 1
        shape, nd = tuple(x.shape), x.dim() - 2
        try:
            spec = getattr(cc, f"InstanceNorm{nd}d")(int(shape[1]), float(given["eps"]), affine=given["weight"] is not None,
                                                     track_running_stats=not given["use_input_stats"])
            effect = spec.effect(shape[1:])
        except (ConvCalcError, AttributeError):  # not 1-3 spatial dims: counted as nothing, and said so
            self._add(frame.path, "instance_norm", shape, tuple(out.shape), 0, 0, True, "F.instance_norm", module=frame.module,
                      warning="F.instance_norm on this input has no convcalc formula; its cost is not counted", unsupported=True)
            return out
        fld = self.field_of([x])
        self.mark(out, fld)
        self._add(frame.path, spec.kind, shape, tuple(out.shape), 0, effect.flops * shape[0], True, effect.formula,
                  module=frame.module, spec=spec, receptive_field=fld.shown, call="F.instance_norm")
        self.flow([x], [out], numel(tuple(out.shape)) * self.out.dtype_bytes)
        return out

    def _declared(self, base: str, inplace: bool, in_shape: Shape) -> Leaf | None:
        """The layer an aten op is, where a layer type declares a functional form of that name and needs no
        argument but the input (``relu``, ``sigmoid``, a user type's ``hardshrink``); None when none does."""
        cls = self.functions.get(base)
        if cls is None or not in_shape:
            return None
        try:
            given = {"inplace": True} if inplace and "inplace" in (records.init_parameters(cls) or ()) else {}
            spec = records.replace(cls(), **given)  # (every field but the input has a default, or this fails)
            spec.effect(in_shape[1:])
        except (ConvCalcError, TypeError):
            return None
        return spec

    def _op_field(self, base: str, args: tuple[Any, ...], tensors: list[torch.Tensor], in_shape: Shape,
                  out_shape: Shape) -> Field:
        """The receptive field of an op's result, followed where the op says how it reads its input:
        a convolution by its window, a matrix product by the whole last dim, elementwise ops and a
        concatenation of channels by what their inputs see (a broadcast input spreads), a permute by
        its order, a flattening view by mixing positions into features, a view or a slice of channels
        that keeps the positions by nothing. Anything else is not followed (the field is unknown)."""
        inputs = [t for t in tensors if id(t) not in self.weights]
        first = self.field_of(inputs[:1])
        rank = len(in_shape)
        if base in ("convolution", "_convolution") and len(args) > 6:
            stride, padding, dilation, transposed = args[3], args[4], args[5], bool(args[6])
            kernel = tuple(args[1].shape[2:])
            dims = tuple(zip(kernel, stride, dilation, padding))
            reach = Reach("transposed", dims) if transposed else Reach("window", dims)
            return first.advance(reach, out_shape[1:])
        if base in ("addmm", "mm", "linear"):
            return first.advance(Reach("dense"), out_shape[1:])
        if base in _ELEMENTWISE or base in _NORMS or base in ("clone", "contiguous", "dropout"):
            ordered = sorted(inputs, key=lambda t: -t.numel())  # a broadcast input (a gate) after the full one
            return self.field_of(ordered, broadcast=len({tuple(t.shape) for t in inputs}) > 1)
        if base == "cat":
            dim = (args[1] if len(args) > 1 else 0) % rank if rank else 0
            return self.field_of(inputs) if dim == 1 else Field.unknown()  # channels joined position by position
        if base in ("permute", "transpose"):
            order = list(range(rank))
            if base == "permute":
                order = [d % rank for d in args[1]]
            else:
                i, j = args[1] % rank, args[2] % rank
                order[i], order[j] = order[j], order[i]
            if order[0] != 0:  # the batch moved: not a layout convcalc follows
                return Field.unknown()
            return first.advance(Reach("permute", order=tuple(d - 1 for d in order[1:])), out_shape[1:])
        if base == "slice" and rank > 2 and len(args) > 1 and args[1] % rank > 1:  # a crop of one spatial dim (U-Net's)
            dim, start = args[1] % rank, args[2] if len(args) > 2 and args[2] is not None else 0
            step = args[4] if len(args) > 4 else 1
            start = start + in_shape[dim] if start < 0 else min(start, in_shape[dim])
            dims = tuple((1, step, 1, -start) if d == dim else (1, 1, 1, 0) for d in range(2, rank))
            return first.advance(Reach("window", dims), out_shape[1:])  # output o reads input start + o·step
        if base in ("slice", "select", "narrow", "split", "split_with_sizes", "chunk", "unbind"):
            dim = args[1] if base in ("slice", "select", "narrow") else args[2] if len(args) > 2 else 0
            keeps_positions = rank > 2 and dim % rank == 1 and out_shape[2:] == in_shape[2:]
            return first if keeps_positions else Field.unknown()  # some of the channels, every position
        if base in ("view", "_unsafe_view", "reshape", "alias", "view_as", "flatten", "unflatten", "squeeze", "unsqueeze"):
            if out_shape == in_shape:
                return first
            if (len(out_shape) < len(in_shape) and out_shape[:1] == in_shape[:1] and numel(out_shape) == numel(in_shape)
                    and out_shape[1:-1] == in_shape[1:len(out_shape) - 1]):
                return first.advance(Reach("flatten"), out_shape[1:])  # the trailing dims merged into features
        return Field.unknown()

    # --- rows ---
    def _claim(self, params: list[torch.Tensor]) -> tuple[int, int]:
        """(count, frozen count) of those parameters no row has counted yet; they are now counted."""
        new = [p for p in params if id(p) not in self.counted]
        self.counted.update(id(p) for p in new)
        return sum(p.numel() for p in new), sum(p.numel() for p in new if not p.requires_grad)

    def _direct_params(self, module: nn.Module) -> tuple[int, int]:
        own = [p for p in module._parameters.values() if p is not None and id(p) not in self.counted]
        return sum(p.numel() for p in own), sum(p.numel() for p in own if not p.requires_grad)

    def _add(self, path: str, kind: str, in_shape: Shape, out_shape: Shape, macs: int, flops: int, new_tensor: bool,
             formula: str, module: nn.Module, warning: str | None = None, direct: bool = True,
             unsupported: bool = False, call: str = "function", spec: Leaf | None = None,
             receptive_field: tuple[int, ...] | None = None, facts: frozenset[str] = frozenset()) -> None:
        """A row for work seen only as aten ops (or a module that did none), shapes with their batch dim;
        the module's own parameters, if no row has counted them yet, are counted here."""
        held = (0, 0)
        if direct and self.owners.get(id(module)) is None:
            held = self._claim([p for p in module._parameters.values() if p is not None])
            if held[0]:
                self.owners[id(module)] = len(self.rows) + 1
        self.out.op(path, kind, in_shape[1:], out_shape[1:], macs, flops, numel(out_shape) if new_tensor else 0, formula,
                    batch=in_shape[0] if in_shape else self.batch, held=held, warning=warning, unsupported=unsupported,
                    call=call, spec=spec, receptive_field=receptive_field, registrations=self.places.get(id(module), 1),
                    counts=op_primitives, facts=facts)

    def _leaf_row(self, frame: _Frame, out_shape: Shape, output: Any) -> None:
        spec = frame.spec
        assert spec is not None
        at = spec.batch_dim()  # where the module keeps the batch (an LSTM without batch_first: dim 1)
        shape = _per_sample(frame.input_shape, at)
        try:
            if isinstance(spec, Join):  # add, cat, mul: several inputs
                shapes = [tuple(t.shape[1:]) for t in frame.inputs]
                effect = spec.join(shapes, [f"input {i + 1}" for i in range(len(shapes))])
                fld = self.field_of(frame.inputs, broadcast=spec.broadcast)
            else:
                spec = spec.at_call(tuple(_per_sample(tuple(t.shape), at) for t in frame.inputs), _per_sample(out_shape, at))
                effect = checked(spec.effect(shape))
                fld = self.field_of(frame.inputs[:1])
        except ShapeError as error:  # torch ran it, so this would be convcalc's bug: say where
            raise error.located(f"{frame.path or 'module'} {type(frame.module).__name__}") from None
        module = frame.module
        held = self._claim(list(module.parameters())) if self.owners.get(id(module)) is None else None
        b = frame.input_shape[at] if len(frame.input_shape) > at else self.batch  # frames or tokens folded into the batch count too
        _, fld = self.out.add(id(module), spec, repr(spec.resolved(shape)), shape,
                              frame.path, effect, fld, batch=b, held=held, registrations=self.places.get(id(module), 1))
        facts = frame.facts | foreign_facts(type(module))
        if facts:  # what the calls inside it showed (F.conv2d(padding='same')); a class of another library
            self.rows[-1] = replace(self.rows[-1], facts=frozenset(facts))
        self.mark(output, fld)
        per = b * self.out.dtype_bytes
        results = [t for t in (output if isinstance(output, (tuple, list)) else (output,)) if isinstance(t, torch.Tensor)]
        self.flow(frame.inputs if isinstance(spec, Join) else frame.inputs[:1], results,
                  numel(effect.output_shape) * per if effect.new_tensor else None, effect.extra_elements * per, row=True)


def _tensors(value: Any) -> list[torch.Tensor]:
    """Every tensor in a module's output (tuples, lists and dicts of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def _per_sample(shape: Shape, batch_dim: int) -> Shape:
    """A tensor's shape without its batch dim (``batch_dim``: where the module keeps it)."""
    return shape[:batch_dim] + shape[batch_dim + 1:]


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _matmul_kind(base: str, args: tuple[Any, ...], call: str | None) -> str:
    """A row's kind for an op FlopCounterMode counts: conv2d, …; a matrix product ``linear`` where F.linear (or
    an unknown call) made it, else the op (``mm``: torch.matmul of two matrices)."""
    if base in ("convolution", "_convolution"):
        transposed, weight = bool(args[6]), args[1]
        return f"conv{'transpose' if transposed else ''}{weight.dim() - 2}d"
    return "linear" if base in ("addmm", "mm") and call in (None, "F.linear") else base


def _pool_spec(base: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
    """A convcalc spec for a functional pool (F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d, …)."""
    nd = len(in_shape) - 2
    try:
        if base in ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "max_pool3d_with_indices"):
            kernel, stride, padding, dilation, ceil = (list(args[1:]) + [None] * 5)[:5]
            cls = getattr(cc, f"MaxPool{nd}d")
            return cls(tuple(kernel), tuple(stride) if stride else None, tuple(padding or (0,) * nd),
                       tuple(dilation or (1,) * nd), ceil_mode=bool(ceil))
        if base in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
            kernel, stride, padding, ceil = (list(args[1:]) + [None] * 4)[:4]
            cls = getattr(cc, f"AvgPool{nd}d")
            return cls(tuple(kernel), tuple(stride) if stride else None, tuple(padding or (0,) * nd), bool(ceil))
        if base in ("_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"):
            return getattr(cc, f"AdaptiveAvgPool{nd}d")(tuple(out_shape[2:]))
        if base in ("adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d"):
            return getattr(cc, f"AdaptiveMaxPool{nd}d")(tuple(out_shape[2:]))
    except (ConvCalcError, TypeError, AttributeError):
        return None
    return None


class _Holder(nn.Module):
    """Holds parameters no row claimed, so they can be counted on one row of their own."""

    def __init__(self, params: list[torch.Tensor]) -> None:
        super().__init__()
        for i, p in enumerate(params):
            self.register_parameter(str(i), p if isinstance(p, nn.Parameter) else nn.Parameter(p, requires_grad=False))


def _places(root: nn.Module, limit: int = 100_000) -> dict[int, int]:
    """Module id -> the number of places in the tree that hold it, as ``nn.Module.apply`` visits them
    (a module shared by two parents: 2). Only ids held more than once are kept; a tree whose
    walk would exceed ``limit`` visits (sharing nested many levels deep) is not counted."""
    visits: dict[int, int] = {}
    stack = [root]
    walked = 0
    while stack and walked < limit:
        module = stack.pop()
        walked += 1
        visits[id(module)] = visits.get(id(module), 0) + 1
        stack.extend({id(c): c for c in module._modules.values() if c is not None}.values())  # as children(): once per parent
    if stack:
        return {}
    return {key: n for key, n in visits.items() if n > 1}


def _on_meta(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose parameters and buffers live on the meta device: no data copied. A lazy
    module's uninitialised tensors (d2l.ai's ``nn.LazyConv2d`` before its first forward) stay uninitialised,
    on the meta device: :func:`_materialize` gives them their sizes."""
    from torch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

    memo: dict[int, Any] = {}
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if is_lazy(tensor):
            uninitialized: Any = UninitializedParameter if isinstance(tensor, nn.Parameter) else UninitializedBuffer
            memo[id(tensor)] = uninitialized(requires_grad=tensor.requires_grad, device="meta")
            continue
        meta = tensor.detach().to("meta")
        memo[id(tensor)] = nn.Parameter(meta, requires_grad=tensor.requires_grad) if isinstance(tensor, nn.Parameter) else meta
    return copy.deepcopy(module, memo)


def _materialize(meta: nn.Module, shape: Shape, batch: int) -> None:
    """Run the lazy modules' first forward (on the meta device, before any row is counted): torch then
    gives them their sizes from the input and each becomes its eager class (``cls_to_become``: a
    ``LazyConv2d`` is a ``Conv2d`` afterwards), which is what is read back."""
    from torch.nn.modules.lazy import LazyModuleMixin

    lazy = [m for m in meta.modules() if isinstance(m, LazyModuleMixin) and m.has_uninitialized_params()]
    if not lazy:
        return
    for sub in lazy:  # torch's own initialisation hook (cleared above with the user's hooks)
        sub._initialize_hook = sub.register_forward_pre_hook(sub._infer_parameters, with_kwargs=True)
    floating = next((p.dtype for p in meta.parameters() if p.is_floating_point()), torch.float32)
    try:
        with torch.no_grad():
            meta(torch.empty(batch, *shape, device="meta", dtype=floating))
    except Exception as error:
        raise ShapeError(f"{type(meta).__name__}'s lazy modules could not take their sizes from input "
                         f"{'x'.join(map(str, shape))} on the meta device: {(str(error) or type(error).__name__).splitlines()[0]}") from None


def from_torch(module: nn.Module, input_shape: Shape | str, batch: int = 1, dtype: str = "float32",
               layout: str | None = None) -> Report:
    """A Report for any torch module: one row per known leaf, per unsupported leaf, and per op done in a forward.

    ``layout`` says how ``input_shape`` is written (``"chw"``, ``"hwc"``); the module runs it channels
    first, and the report shows its shapes as written. Without a layout the module runs the shape
    channels first; where torch refuses that and takes it channels last, it is read H×W×C (with a
    note). Where the first row is a layer that takes any channels (a pool, an activation) it also
    runs channels last, and an input both readings take with different answers is a ShapeError
    naming both. A first operation convcalc has no layer for is not tried both ways: there the
    channels-first run stands (give ``layout`` to be sure).
    """
    from ..layout import ambiguous, canonical, check_layout, order, same_answers
    from ..parsing import parse_shape

    layout = check_layout(layout)
    if not isinstance(module, nn.Module):
        raise SpecError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    shape = check_input(parse_shape(input_shape) if isinstance(input_shape, str) else input_shape)
    check_batch(batch)
    size = dtype_bytes(dtype)
    if isinstance(module, torch.jit.ScriptModule):
        raise SpecError("from_torch needs an eager nn.Module; a TorchScript module cannot be hooked layer by layer")
    if layout is not None:
        return _capture(module, canonical(shape, layout), batch, dtype, size, layout)
    flipped = canonical(shape, "hwc")
    text = input_shape.strip() if isinstance(input_shape, str) else "x".join(map(str, shape))
    try:
        report = _capture(module, shape, batch, dtype, size, "chw")
    except ShapeError as refused:
        if flipped == shape:
            raise
        try:
            report = _capture(module, flipped, batch, dtype, size, "hwc")
        except ShapeError:
            raise refused from None
        return replace(report, notes=(f"read {text} as {order('hwc', len(shape))}, channels last: {type(module).__name__} "
                                      f"does not run on it as {order('chw', len(shape))}; shapes are shown so",))
    first = report.rows[0].spec if report.rows else None
    if flipped != shape and first is not None and not first.inferred:  # a first layer that takes any channels
        try:
            other = _capture(module, flipped, batch, dtype, size, "hwc")
        except ShapeError:
            return report
        if not same_answers(report, other):
            raise ambiguous(text, report, other)
    return report


def _capture(module: nn.Module, shape: Shape, batch: int, dtype: str, size: int, layout: str) -> Report:
    """One forward pass of ``module`` on a ``batch`` of ``shape`` (channels first) on the meta device, as rows."""
    try:
        meta = _on_meta(module).eval()
    except Exception as error:  # a module holding tensors or objects that cannot be copied
        raise SpecError(f"cannot copy {type(module).__name__} to the meta device to count it: "
                        f"{(str(error) or type(error).__name__).splitlines()[0]}") from None
    for sub in meta.modules():  # the user's own hooks stay on the user's module
        sub._forward_hooks.clear()
        sub._forward_pre_hooks.clear()
    _materialize(meta, shape, batch)
    names = {id(m): name for name, m in meta.named_modules()}
    weights = {id(t) for t in itertools.chain(meta.parameters(), meta.buffers())}
    session = _Session(batch, size, names, weights, readers())
    session.places = _places(meta)
    handles = []
    for sub in meta.modules():
        handles.append(sub.register_forward_pre_hook(lambda m, args, kwargs: session.enter(m, args, kwargs), with_kwargs=True))
        handles.append(sub.register_forward_hook(lambda m, args, out: session.leave(m, out)))
    floating = next((p.dtype for p in meta.parameters() if p.is_floating_point()), torch.float32)
    x = torch.empty(batch, *shape, device="meta", dtype=floating)  # a .half() model takes half inputs
    session.start(x, numel(tuple(x.shape)) * size)
    try:
        with torch.no_grad(), session, _Calls(session):
            output = meta(x)
    except ConvCalcError:
        raise
    except Exception as error:  # the module's own code refused the input, or cannot run without data
        raise ShapeError(f"{type(module).__name__} did not run on input {'x'.join(map(str, shape))} "
                         f"(batch {batch}) on the meta device: {(str(error) or type(error).__name__).splitlines()[0]}") from None
    finally:
        for handle in handles:
            handle.remove()
    for i in session.unused(output):
        session.rows[i] = replace(session.rows[i], facts=session.rows[i].facts | {UNUSED})
    unclaimed = {id(p): p for p in meta.parameters() if id(p) not in session.counted}
    if unclaimed:  # modules that never ran, parameters read through another module's attribute, …
        session._add("", "parameters", (batch,), (batch,), 0, 0, False, "parameters no operation in the forward pass used",
                     module=_Holder(list(unclaimed.values())),
                     warning=f"{sum(p.numel() for p in unclaimed.values()):,} parameters were not used by any "
                             "layer that ran (an unused head, or weights read directly); they are counted here")
    return Report(model=type(module).__name__, input_shape=shape, batch=batch, dtype=dtype,
                  dtype_bytes=size, rows=tuple(session.rows), peak_activation_bytes=session.peak(output), layout=layout,
                  blocks={name: type(m).__name__ for name, m in meta.named_modules() if name})

