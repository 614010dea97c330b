"""``from_torch``: a Report for any nn.Module, from one forward pass on the meta device.

The module is copied onto the meta device (shapes only: no memory, no arithmetic)
and run once. Module hooks track which module is running; a dispatch mode sees
every aten op. Then:

- a known leaf module (Conv2d, Linear, pools, norms, activations, …) becomes a
  row computed with convcalc's own formula for the shape torch gave it;
- work done directly in a ``forward`` (F.conv2d, ``+``, torch.cat, F.relu,
  x.view, F.adaptive_avg_pool2d, …) becomes a row attributed to the module
  whose ``forward`` did it;
- a leaf module convcalc has no class for is recognised by what it computes: its
  work is counted op by op like a forward body's; only an aten op convcalc has
  no formula for is listed as unsupported (with the module it ran in) — never
  a silent zero;
- work on parameters (or constants) alone is no activation (:meth:`_Session._op_row`).

A module called twice gives two rows; its parameters count on the first only.
"""

from __future__ import annotations

import contextlib
import copy
import dis
import functools
import gc
import itertools
import sys
import types
from collections import OrderedDict
from collections.abc import Callable, Iterator
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
from ..inputs import Input, check_batch, dtype_bytes
from ..layers.base import LAYER_TYPES, Backward, Effect, Grads, Join, Laid, Leaf, Reach, Shape, checked, numel
from ..layers.resample import antialias_flops
from ..parsing import read_inputs
from ..profiles import (
    ADDMM_INPUT,
    BATCH_STATISTICS,
    BROADCAST_MATMUL,
    EINSUM_PATH,
    NAMED_PADDING,
    NO_WEIGHT,
    ON_PARAMETERS,
    UNUSED,
    container_facts,
    foreign_facts,
    leaf_fact,
    op_primitives,
)
from ..receptive import Field
from ..records import replace
from ..report import Report, Row, Trained
from ..training import Plan, Step, Training, saved_bytes
from ..walk import Liveness, Rows
from .build import resolve, torch_module_of

#: :func:`_tables`' tables, with the registered layer types they were derived from.
_TABLES: tuple[tuple[type, ...], tuple[dict[str, type[Leaf]], dict[str, type[Leaf]], dict[Any, type[Leaf]]]] | None = None


def _tables() -> tuple[dict[str, type[Leaf]], dict[str, type[Leaf]], dict[Any, type[Leaf]]]:
    """The functional names, aten ops and whole calls the registered layer types declare (each -> its type):
    derived once, and again whenever the registered types change (a user's ``@cc.layer``)."""
    global _TABLES
    registered = tuple(LAYER_TYPES.values())
    if _TABLES is None or _TABLES[0] != registered:
        leaves = [cls for cls in registered if issubclass(cls, Leaf)]
        _TABLES = (registered, ({name: cls for cls in leaves for name in cls.functional_forms()},
                                {name: cls for cls in leaves for name in cls.aten},
                                {getattr(F, name): cls for cls in leaves for name in cls.calls if hasattr(F, name)}))
    return _TABLES[1]


#: :func:`readers`' table, with what it was derived from: the registered layer types and the bindings to other
#: libraries that were loaded (kept where every binding loaded).
_READERS: tuple[tuple[Any, ...], dict[type, type[Leaf]]] | None = None


def readers() -> dict[type, type[Leaf]]:
    """torch module class -> the layer type that reads it back (:meth:`Leaf.from_module`), derived from
    every registered layer's binding, the user's own included; convcalc's own modules carry their spec.
    Derived again whenever the registered types or the loaded libraries change, or while a user's binding
    does not load (it may later)."""
    global _READERS
    leaves = [cls for cls in LAYER_TYPES.values() if issubclass(cls, Leaf)]
    key = (*leaves, *(t for cls in leaves for t in cls.torch_also if _loaded(t)))
    if _READERS is not None and _READERS[0] == key:
        return dict(_READERS[1])
    table: dict[type, type[Leaf]] = {}
    complete = True
    for cls in leaves:
        try:
            targets = [torch_module_of(cls), *(resolve(t) for t in cls.torch_also if _loaded(t))]
        except SpecError:  # a user's binding that does not load: to_torch says so; here it is just unknown
            complete = False
            continue
        for target in targets:
            if isinstance(target, type) and not getattr(target, "convcalc_layer", False):
                if table.setdefault(target, cls) is not cls:
                    raise SpecError(f"{table[target].__name__} and {cls.__name__} are both bound to the torch module "
                                    f"{target.__name__}; from_torch cannot tell which one a module is")
    if complete:
        _READERS = (key, dict(table))
    return table


def _loaded(target: Any) -> bool:
    """Whether a ``torch_also`` binding can be read without importing anything: a class, or one whose module is
    imported already (torchvision's ``PatchMerging``: a module of that class means torchvision is loaded; an
    environment without torchvision never tries to import it)."""
    return not isinstance(target, str) or target.partition(":")[0] in sys.modules


def spec_of(module: nn.Module, table: dict[type, type[Leaf]], problems: dict[int, str] | None = None) -> Leaf | None:
    """The convcalc spec of a module convcalc knows (its own modules carry theirs), else None; why a
    known type could not be read back goes into ``problems`` (module id -> the reason).

    A subclass of a known module counts as it only when it keeps that module's ``forward``."""
    spec: Leaf | None = getattr(module, "convcalc_spec", None)
    if spec is not None:
        return spec
    reader = _layer_type(module, table)
    if reader is None:
        return None
    try:
        return reader.from_module(module)
    except (ConvCalcError, TypeError) as error:
        if problems is not None:
            problems[id(module)] = str(error)
        return None


#: Whether from_torch sizes the calls of layers whose effect is all they do rather than running them
#: (:meth:`_Session.sized`); tests turn it off to hold both ways to the same report.
SIZED = True


def _sizable() -> tuple[frozenset[Any], frozenset[Any]]:
    """The aten elementwise ops :func:`_sized_op` may size, and those of them that write their first argument."""
    aten = torch.ops.aten
    binary = ("add", "sub", "mul", "div")
    unary = ("relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "neg", "exp", "sqrt", "rsqrt",
             "reciprocal", "erf")
    ops = [getattr(getattr(aten, name), overload) for name in binary for overload in ("Tensor", "Scalar")]
    ops += [getattr(aten, name).default for name in unary]
    ops.append(aten.pow.Tensor_Scalar)
    inplace = [getattr(aten, f"{name}_").Tensor for name in binary]
    inplace += [getattr(aten, f"{name}_").default for name in unary]
    return frozenset(ops + inplace), frozenset(inplace)


_SIZABLE, _SIZABLE_INPLACE = _sizable()


def _sized_op(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
    """The result of an elementwise op made from its arguments' shapes rather than by its meta kernel (which
    checks and promotes in Python: the most time a forward body's ops take), where that result is certain:
    floating tensors of one dtype on the meta device, and plain numbers. Contiguous tensors give a contiguous
    result of the broadcast shape; tensors of one shape and one dense layout (a permuted view: attention's q, k
    and v) give a result laid out as they are, as torch's TensorIterator lays it. An in-place op's result is its
    first argument. aten's layer norm, inference batch norm and mean over dims have rules of their own (below).
    Else None: the op runs."""
    first = args[0] if args else None
    if not isinstance(first, torch.Tensor) or not first.is_floating_point():
        return None
    rule = _SHAPE_RULES.get(func)
    if rule is not None:  # (an argument given by keyword, such as mean's dtype: it runs)
        return None if kwargs else rule(first, *args[1:])
    tensors = []
    for arg in args:
        if isinstance(arg, torch.Tensor):
            if arg.dtype != first.dtype or not arg.is_meta:
                return None
            tensors.append(arg)
        elif not isinstance(arg, (int, float)):
            return None
    contiguous = all(t.is_contiguous() for t in tensors)
    if not contiguous:
        layout = first.stride()
        if not _dense(first) or any(t.shape != first.shape or t.stride() != layout for t in tensors):
            return None
    try:
        shape = tensors[0].shape if len(tensors) == 1 else torch.broadcast_shapes(*(t.shape for t in tensors))
    except RuntimeError:  # shapes that do not broadcast: the op says so itself
        return None
    if func in _SIZABLE_INPLACE:
        return first if shape == first.shape else None
    with torch._C.DisableTorchFunction():
        if contiguous:
            return torch.empty(shape, dtype=first.dtype, device="meta")
        return torch.empty_strided(shape, first.stride(), dtype=first.dtype, device="meta")


def _sized_layer_norm(x: torch.Tensor, normalized: Any, weight: Any = None, bias: Any = None, eps: Any = None) -> Any:
    """aten's layer norm (F.layer_norm in a forward body: timm's own LayerNorm classes) as its results' shapes: the
    normalised tensor, contiguous, and the mean and 1/σ of each row (the normalised dims kept as 1s); float32 and
    float64 only (another dtype keeps its statistics in float32). None where torch must say what is wrong."""
    dims = tuple(normalized) if isinstance(normalized, (list, tuple)) else ()
    if (x.dtype not in (torch.float32, torch.float64) or not x.is_meta or not dims or tuple(x.shape[-len(dims):]) != dims
            or any(t is not None and (not isinstance(t, torch.Tensor) or t.dtype != x.dtype or not t.is_meta
                                      or tuple(t.shape) != dims) for t in (weight, bias))):
        return None
    rows = (*x.shape[:x.dim() - len(dims)], *(1,) * len(dims))
    with torch._C.DisableTorchFunction():
        return (torch.empty(x.shape, dtype=x.dtype, device="meta"), torch.empty(rows, dtype=x.dtype, device="meta"),
                torch.empty(rows, dtype=x.dtype, device="meta"))


def _sized_batch_norm(x: torch.Tensor, weight: Any = None, bias: Any = None, mean: Any = None, var: Any = None,
                      training: Any = None, *rest: Any) -> Any:
    """aten's batch norm at inference (F.batch_norm in a forward body: timm's BatchNormAct2d) as its results' shapes:
    the normalised tensor, contiguous as its input is, and the two per-channel statistics torch returns beside it;
    float32 and float64 only. None where it must run (batch statistics, another layout)."""
    c = x.shape[1] if x.dim() > 1 else 0
    if (training is not False or x.dtype not in (torch.float32, torch.float64) or not x.is_contiguous() or not c
            or any(t is not None and (not isinstance(t, torch.Tensor) or not t.is_meta or tuple(t.shape) != (c,))
                   for t in (weight, bias, mean, var))):
        return None
    with torch._C.DisableTorchFunction():
        return (torch.empty(x.shape, dtype=x.dtype, device="meta"), torch.empty(c, dtype=x.dtype, device="meta"),
                torch.empty(c, dtype=x.dtype, device="meta"))


def _sized_mean(x: torch.Tensor, dims: Any = None, keepdim: Any = False, *rest: Any) -> Any:
    """aten's mean over dims (timm's RmsNorm2d, a squeeze-excitation's pool) of a contiguous tensor: contiguous, the
    dims kept as 1s or dropped. None where it must run (another layout, a dtype asked for, no dims named)."""
    if rest or not isinstance(dims, (list, tuple)) or not dims or not isinstance(keepdim, bool) or not x.is_contiguous():
        return None
    rank = x.dim()
    if any(not isinstance(d, int) or not -rank <= d < rank for d in dims):
        return None
    reduced = {d % rank for d in dims}
    shape = [1 if i in reduced else n for i, n in enumerate(x.shape) if keepdim or i not in reduced]
    with torch._C.DisableTorchFunction():
        return torch.empty(shape, dtype=x.dtype, device="meta")


#: aten ops that are not elementwise, with the rule that sizes each (:func:`_sized_op`).
_SHAPE_RULES: dict[Any, Callable[..., Any]] = {torch.ops.aten.native_layer_norm.default: _sized_layer_norm,
                                                torch.ops.aten.native_batch_norm.default: _sized_batch_norm,
                                                torch.ops.aten.mean.dim: _sized_mean}
_SIZABLE |= set(_SHAPE_RULES)


def _dense(tensor: torch.Tensor) -> bool:
    """Whether a tensor's elements fill its storage once each, in some order of its dims (a permuted view of a
    contiguous tensor): its strides, smallest first, are the running products of the sizes (size-1 dims aside)."""
    expected = 1
    for size, stride in sorted(zip(tensor.shape, tensor.stride()), key=lambda pair: pair[1]):
        if size == 1:
            continue
        if stride != expected:
            return False
        expected *= size
    return True


def _layer_type(module: nn.Module, table: dict[type, type[Leaf]]) -> type[Leaf] | None:
    """The layer type :func:`spec_of` reads ``module`` as (without reading it), else None."""
    spec = getattr(module, "convcalc_spec", None)
    if spec is not None:
        return type(spec)
    forward = type(module).forward
    return next((table[c] for c in type(module).__mro__ if c in table and forward is getattr(c, "forward", None)), None)


# aten ops met in forward bodies, by what they cost.
#: 1 FLOP per output element: arithmetic, activations, comparisons and selects (``where``, ``masked_fill``).
_ELEMENTWISE = {"add", "sub", "mul", "div", "relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
                "leaky_relu", "hardtanh", "clamp", "clamp_min", "clamp_max", "neg", "exp", "log", "sqrt", "rsqrt",
                "pow", "_softmax", "_log_softmax", "abs", "maximum", "minimum", "elu", "mish", "softplus",
                "_safe_softmax", "rsub", "reciprocal", "square", "sin", "cos", "tan", "atan", "atan2", "sinh", "cosh",
                "asin", "acos", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "log2", "log10", "floor", "ceil",
                "round", "trunc", "frac", "sign", "sgn", "remainder", "fmod", "floor_divide", "logit", "nan_to_num",
                "eq", "ne", "lt", "gt", "le", "ge", "where", "masked_fill", "isnan", "isinf", "logical_not",
                "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor"}
#: Fused elementwise ops, FLOPs per output element: ``x + v·a·b`` (a product and a sum; +1 where v ≠ 1).
_FUSED = {"addcmul": 2, "addcdiv": 2}
#: Reductions and scans, FLOPs per element read (the largest tensor argument, or the output where it is larger:
#: ``max(a, b)`` of two tensors): one comparison or addition each; a vector norm squares (or takes |x|) and sums.
_REDUCTIONS = {"sum": 1, "nansum": 1, "prod": 1, "amax": 1, "amin": 1, "max": 1, "min": 1, "argmax": 1, "argmin": 1,
               "any": 1, "all": 1, "cumsum": 1, "cumprod": 1, "linalg_vector_norm": 2, "norm": 2}
#: aten names shown under another row kind (torch's ``_safe_softmax`` is its softmax with masked rows kept at 0).
_KINDS = {"_safe_softmax": "softmax"}
_VIEWS = {"view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "squeeze", "unsqueeze", "flatten",
          "slice", "select", "split", "split_with_sizes", "chunk", "unbind", "narrow", "as_strided", "alias",
          "view_as", "expand_as", "unflatten", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk", "movedim",
          "swapaxes", "swapdims", "diagonal", "unfold", "tensor_split", "_reshape_alias", "view_as_real", "view_as_complex"}
#: Copies: a new tensor, no arithmetic (indexing gathers copy the elements they pick).
_COPIES = {"clone", "contiguous", "cat", "stack", "channel_shuffle", "native_channel_shuffle",
           "roll", "flip", "pad", "constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "replication_pad2d",
           "reflection_pad3d", "replication_pad1d", "replication_pad3d", "repeat", "repeat_interleave", "tile", "index",
           "_unsafe_index", "index_select", "gather", "take", "take_along_dim", "masked_select", "index_put",
           "_unsafe_index_put", "index_copy", "scatter", "tril", "triu", "embedding", "im2col",
           "_pack_padded_sequence", "_pad_packed_sequence"}  # (packing sequences for an RNN: copies)
_IGNORED = {"detach", "lift_fresh", "_to_copy", "empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like",
            "full", "full_like", "arange", "new_empty", "new_zeros", "new_ones", "copy_", "fill", "fill_", "sym_size",
            "sym_stride", "sym_numel", "sym_storage_offset", "is_same_size", "_local_scalar_dense", "dropout",
            "native_dropout", "feature_dropout", "alpha_dropout", "_has_compatible_shallow_copy_type",
            "zero", "new_full", "empty_strided", "scalar_tensor", "linspace", "logspace", "eye", "rand", "randn",
            "randint", "rand_like", "randn_like", "randint_like", "bernoulli", "uniform", "normal", "exponential",
            "lift_fresh_copy", "_assert_async", "_assert_scalar", "_assert_tensor_metadata", "copy", "resize",
            "_functional_assert_async", "sym_constrain_range_for_size", "equal", "record_stream", "set"}
#: Ops whose result depends only on the shape (and dtype) of their tensor arguments, never their values: constants.
_FACTORIES = {"empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "randint_like",
              "new_empty", "new_zeros", "new_ones", "new_full", "empty_strided"}
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
    effect: tuple[Shape, Effect] | None = None  # the spec's effect on a per-sample shape, where the call was sized


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
    elif name == "F.batch_norm" and kwargs.get("training", args[5] if len(args) > 5 else False) is True:
        facts.add(BATCH_STATISTICS)  # (timm's ScaledStdConv2d standardises its weight so; a BatchNorm in train mode)
    return facts


#: The ``__name__`` of every torch function :func:`_call_facts` has a fact about (F.conv2d, torch.matmul, x @ y, …).
_FACT_NAMES = frozenset({"conv1d", "conv2d", "conv3d", "matmul", "__matmul__", "__rmatmul__", "addmm", "baddbmm", "einsum",
                         "batch_norm"})

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


#: Tensor methods that move a tensor to a device: on the meta device they stay there (dtype changes still apply).
_MOVES = frozenset({"to", "cpu", "cuda", "type_as"})


def _meta(value: Any) -> Any:
    """Arguments with every tensor not on the meta device moved there (a CPU constant: nothing allocated but it)."""
    if isinstance(value, torch.Tensor):
        return value if value.is_meta else value.to("meta")
    if isinstance(value, (list, tuple)):
        return type(value)(_meta(v) for v in value)
    if isinstance(value, dict):
        return {k: _meta(v) for k, v in value.items()}
    return value


def _on_meta_if_mixed(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], undo: Any = None) -> Any:
    """``func(*args, **kwargs)``, and where torch refuses a tensor the forward made on the CPU (``torch.tensor([…])``)
    beside meta ones, the call again with it on the meta device (``undo`` first: what the failed call left behind)."""
    try:
        return func(*args, **kwargs)
    except RuntimeError as error:
        if not any(m in str(error) for m in _MIXED):
            raise
        if undo is not None:
            undo()
        return func(*_meta(args), **_meta(kwargs))


def _on_meta_device(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """A move made during the pass, kept on the meta device (``x.to(device)``, ``x.to("cpu")``, ``x.to(other)``:
    dtype changes still apply), or None where it does nothing there (``x.cpu()``, ``x.cuda()``)."""
    name = getattr(func, "__name__", "")
    if name in ("cpu", "cuda"):
        return None
    if name == "type_as":  # (the other tensor may be on the CPU: only its dtype counts)
        if len(args) > 1 and isinstance(args[1], torch.Tensor):
            return (args[0], torch.empty(0, dtype=args[1].dtype, device="meta")), kwargs
        return args, kwargs
    if name == "to":
        moved = [args[0], *(("meta" if isinstance(a, (str, torch.device)) else a.dtype if isinstance(a, torch.Tensor) else a)
                            for a in args[1:])]
        if "device" in kwargs:
            kwargs = {**kwargs, "device": "meta"}
        return tuple(moved), kwargs
    return args, kwargs


class _Calls(TorchFunctionMode):
    """The Python call each aten op of a forward ran under (``F.relu``, ``torch.matmul``, ``x + y``): torch
    runs this mode for the outermost torch call only (one made inside another is not seen), which is
    what tools that patch ``F.*`` and ``torch.*`` see; and what those calls show that their aten ops do not."""

    def __init__(self, session: _Session) -> None:
        super().__init__()
        self.session = session

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        called = getattr(func, "__name__", "")
        if called in _QUERIES:  # x.shape, x.dim(): no work, and most calls a pass makes
            return func(*args, **kwargs)
        caller = sys._getframe(1)
        try:
            operator = dis.opname[caller.f_code.co_code[caller.f_lasti]] == "BINARY_OP"
        except IndexError:
            operator = False
        session = self.session
        if session.plain and called not in _FACT_NAMES and called not in _MOVES:  # inside a torch module that is one
            return _on_meta_if_mixed(func, args, kwargs)  # row: no rows, no facts; only a CPU constant to mend
        if called in _MOVES and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            moved = _on_meta_device(func, args, kwargs)
            if moved is None:  # x.cpu() of a meta tensor: it stays where it is
                return args[0]
            args, kwargs = moved
        whole = session.whole.get(func)
        if whole is not None and session.in_forward_body():  # a call a layer type declares as itself (its ``calls``)
            return session.whole_call(whole, func, args, kwargs)
        outer, session.call = session.call, call_name(func, operator)
        if func is F.interpolate and _inside(F.upsample, caller):  # F.upsample calls F.interpolate: ptflops counts both
            session.call = "F.upsample"
        start = len(session.rows)
        try:
            out = _on_meta_if_mixed(func, args, kwargs, undo=lambda: session.drop(start))
        finally:
            name, session.call = session.call, outer
        made = session.rows[start:]
        if made:
            session.claim_read(start, args, kwargs)
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
        #: functional name -> the layer type declaring it (its ``functional`` forms), for ops in a forward body;
        #: aten op -> the layer type reading it back (its ``aten`` ops: F.interpolate's upsample_bilinear2d, …);
        #: torch function -> the layer type that is that call whole (its ``calls``: F.scaled_dot_product_attention)
        self.functions, self.aten, self.whole = _tables()
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
        self.input: torch.Tensor | None = None  # the network's (first) input (:meth:`start`)
        #: id(tensor) -> (the tensor, where it keeps the batch: None where the batch is merged with a dim before
        #: it, reduced away, or the inputs came without one); a tensor not here keeps it in dim 0, as torch's modules do
        self.dims: dict[int, tuple[torch.Tensor, int | None]] = {}
        self.batched = True  # False: the inputs came whole (batch=None), without a batch dim
        self.derived: dict[int, torch.Tensor] = {}  # tensors made from parameters or constants alone (:meth:`_derive`)
        self.silent = 0  # frames on the stack within or of a module that is one row: ops there make no rows
        self.trace: _Trace | None = None  # a training step's pass: what autograd saves, and which tensors need gradients
        self.plain = 0  # of those, the outermost one's, where it is a torch module (whose inner calls show no facts)

    # --- receptive fields, per tensor ---
    def start(self, inputs: list[torch.Tensor], sizes: list[int], batched: bool = True) -> None:
        """The pass's inputs, each followed as a spec network's one input is: its receptive field, its buffer
        (``sizes``: each one's bytes) and where it keeps the batch (dim 0; none where ``batched`` is False)."""
        self.live = Liveness(sizes[0])
        self.batched = batched
        self.input = inputs[0] if inputs else None
        for i, (x, size) in enumerate(zip(inputs, sizes)):
            self.fields[id(x)] = (x, Field.start(tuple(x.shape[1:] if batched else x.shape)))
            self.buffers[id(x)] = (x, 0 if i == 0 else self.live.step((), size))
            self.dims[id(x)] = (x, 0 if batched else None)
            if self.trace is not None:
                self.trace.made(x, self.buffers[id(x)][1])

    def drop(self, start: int) -> None:
        """Forget the rows from ``start`` on (a call that failed part way and runs again)."""
        del self.rows[start:]
        for row in [r for r in self.row_steps if r >= start]:
            del self.row_steps[row]

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
        if self.trace is not None:
            self.trace.step([t for t in reads if id(t) in self.buffers], results, buffer, len(self.rows) - 1 if row else None)

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

    def claim_read(self, start: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Parameters a forward body hands to a call itself (``F.linear(x, self.qkv.weight, self.qkv.bias)``, as
        torchvision's Swin does): counted on the first row the call made, not on a row of their own at the end
        (their module never runs)."""
        given: list[torch.Tensor] = [a for a in itertools.chain(args, kwargs.values()) if isinstance(a, nn.Parameter) and id(a) not in self.counted]
        if not given:
            return
        count, frozen = self._claim(given)
        row = self.rows[start]
        self.rows[start] = replace(row, params=row.params + count, weights=row.weights + count, frozen=row.frozen + frozen)

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
    def enter(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
        if self.trace is not None:
            self.trace.just = None
        spec = spec_of(module, self.table, self.problems)
        inside_opaque = self.silent > 0
        opaque = spec is not None
        given = None
        if spec is not None and type(spec).input_dtype is not None and args and args[0] is self.input:
            given = self._as_input_dtype(spec, args, kwargs or {})  # (an Embedding reading the network's input)
            if given is not None:
                args = given[0]
        tensors = [a for a in (*args, *(kwargs or {}).values()) if isinstance(a, torch.Tensor)]
        shape = tuple(tensors[0].shape) if tensors else ()
        if spec is not None and args and isinstance(args[0], nn.utils.rnn.PackedSequence):  # an RNN on packed sequences
            shape = _padded_shape(args[0], spec.batch_dim())
            tensors = [args[0].data, *tensors]
        self.stack.append(_Frame(module, self.names.get(id(module), ""), spec, opaque and not inside_opaque,
                                 shape, rows_before=len(self.rows), inside=inside_opaque, inputs=tensors))
        if opaque or inside_opaque:
            self.silent += 1
            if not inside_opaque and not foreign_facts(type(module)):
                self.plain += 1
        return given

    def _as_input_dtype(self, spec: Leaf, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """The call's arguments with the network's input given the dtype the layer needs (an embedding's int64
        ids), where the input convcalc made is of another (a float of the shape asked for); None where it fits.
        The ids stand for the input: the same receptive field and buffer."""
        x, dtype = args[0], getattr(torch, str(type(spec).input_dtype))
        if x.dtype == dtype:
            return None
        ids = x.to(dtype)
        self.input = ids
        self.fields[id(ids)] = (ids, self.fields[id(x)][1])
        if id(x) in self.buffers:
            self.buffers[id(ids)] = (ids, self.buffers[id(x)][1])
        if id(x) in self.dims:
            self.dims[id(ids)] = (ids, self.dims[id(x)][1])
        return (ids, *args[1:]), kwargs

    def sized(self, module: nn.Module, forward: Any, *args: Any, **kwargs: Any) -> Any:
        """``module``'s call, sized rather than run where its layer type says its effect is all it does
        (:meth:`Leaf.sized_by_effect`, checked when the pass began): one batched tensor in (the batch where the
        layer keeps it), meta tensors of the effect's shapes out (the input itself, or a view of it, where the
        effect makes no new tensor). Anything else (other arguments, train mode, a size the effect refuses) runs
        ``forward``."""
        with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch():  # (nothing here for the pass to see)
            out = self._sizing(module, args, kwargs)
        return forward(*args, **kwargs) if out is None else out

    def _sizing(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """:meth:`sized`'s result, or None where the module must run."""
        frame = self.stack[-1] if self.stack else None
        x = args[0] if len(args) == 1 and not kwargs else None
        spec = frame.spec if frame is not None and frame.module is module and frame.opaque else None
        if (frame is None or spec is None or module.training or not self.batched or not isinstance(x, torch.Tensor) or not x.is_meta
                or x.dim() < 2 or not x.is_floating_point() or getattr(module, "convcalc_batch_dim", None) is not None):
            return None
        at = spec.batch_dim()  # (torch's module reads its input by position: whatever the pass knows of where the
        if at >= x.dim():  # batch went, the module takes this dim as its batch, and so is it sized)
            return None
        if any(p.dtype != x.dtype for p in module._parameters.values() if p is not None):
            return None  # (torch refuses a mix; let it say so)
        given = tuple(x.shape)
        shape = given[:at] + given[at + 1:]
        try:
            effect = checked(spec.effect(shape))
        except ConvCalcError:
            return None
        out = (*effect.output_shape[:at], given[at], *effect.output_shape[at:])
        frame.effect = (shape, effect)
        results = spec.sized_results(out, at)
        if results == out and not effect.new_tensor:
            return x if out == given else x.reshape(out)
        last = x.dim() == 4 == len(out) and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        return _empty(results, x.dtype, torch.channels_last if last else torch.contiguous_format)

    def leave(self, module: nn.Module, output: Any) -> None:
        frame = self.stack.pop()
        if frame.opaque or frame.inside:
            self.silent -= 1
            if frame.opaque and not foreign_facts(type(module)):
                self.plain -= 1
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
        problem = self.problems.get(id(frame.module))
        made = self.rows[frame.rows_before:]
        if unknown_leaf and self.stack and (problem or any(r.unsupported for r in made)):
            # (the root itself is the user's model, not an unknown layer.) A module convcalc has no class for is
            # recognised by what it computes: only where one of its operations has no formula (or a layer type that
            # claims it could not read it back) is it listed.
            name = type(frame.module).__name__
            first = made[0]
            why = f" ({problem})" if problem else ""
            self.rows[frame.rows_before] = replace(first, unsupported=True, warnings=first.warnings + (
                f"convcalc has no formula for the module {name}{why}; its operations were counted one by one",))

    # --- aten ops ---
    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if self.trace is not None:
            self.trace.just = None  # (what autograd saves from here on is this op's input, or a later op's)
        out = _sized_op(func, args, kwargs) if SIZED and func in _SIZABLE and self.trace is None else None
        if out is None:
            out = func(*args, **kwargs)
        if not self.stack or self.quiet:
            return out
        if self.silent:  # inside a module that is one row
            return out
        with torch._C.DisableTorchFunction():  # (its own x.shape and x.numel() are no calls of the forward)
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
        if results and all(id(t) in self.derived for t in results):
            return  # (a constant: no activation to follow)
        if len(self.rows) > before:
            made = self.rows[-1].activation_bytes
            self.flow(reads, results, made or None, row=True)
            if self.trace is not None:  # a weight that is no activation and needs a gradient: a parameter, or made of
                held = [a for a in itertools.chain(args, kwargs.values()) if isinstance(a, torch.Tensor)]  # them (a
                if any(a.requires_grad and id(a) not in self.buffers for a in held):  # standardised weight)
                    self.trace.weighted.add(len(self.rows) - 1)
        elif reads and results:
            self.flow(reads, results, None)

    def _op_row(self, frame: _Frame, packet: Any, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        tensors = [a for a in itertools.chain(args, *(a for a in args if isinstance(a, (list, tuple))))
                   if isinstance(a, torch.Tensor)]
        name = packet.__name__
        base = name.rstrip("_")
        # Work on parameters (or on tensors made from them, or from no input at all: a mask from x.new_zeros,
        # positions from arange) is no activation: its results join the weights. A view, copy or free op on them
        # makes no row; arithmetic on them does (it runs every forward, and FlopCounterMode counts a matmul of
        # weights), as no activation.
        on_weights = all(id(t) in self.weights for t in tensors)
        if on_weights or base in _FACTORIES:
            self._derive(out)
            if not tensors or base in _IGNORED or name in _IGNORED or base in _FACTORIES or base in _VIEWS or base in _COPIES:
                return
        elif self.derived:
            self._undrive(out)  # an activation written into a constant (``mask[...] = x``): an activation now
        if base in _IGNORED or name in _IGNORED:
            return
        if base == "add" and self.call == "F.linear" and not on_weights:  # F.linear's bias, where torch runs it as matmul + add
            return  # (an input that is not contiguous): bias additions are no FLOPs, as on every linear row
        first = tensors[0] if on_weights else next(t for t in tensors if id(t) not in self.weights)
        result = _first_tensor(out)
        in_shape, out_shape = tuple(first.shape), tuple(result.shape) if result is not None else ()
        if on_weights:  # whole tensors, no batch: shown as a batch of one
            in_shape, out_shape = (1, *in_shape), (1, *out_shape)
        inplace = name.endswith("_")
        fld = Field.unknown() if on_weights else self._op_field(base, args, tensors, in_shape, out_shape)
        b: int | None = 0
        after: int | None = 0
        if not on_weights:
            self.mark(out, fld)
            dims = self.dims
            known = dims.get(id(first))
            b = 0 if known is None or known[0] is not first else known[1]
            after = _batch_after(base, args, b, in_shape, out_shape, self.batch) if b is not None else None
            if b != 0 or after != 0:  # (a tensor not listed keeps the batch in dim 0)
                for t in (out if isinstance(out, (tuple, list)) else (out,)):
                    if isinstance(t, torch.Tensor):
                        dims[id(t)] = (t, after if t is result or base not in _VIEWS else
                                       _batch_after(base, args, b, in_shape, tuple(t.shape), self.batch))

        def add(*args: Any, **kwargs: Any) -> None:  # every row of an op shows the field of its result
            kwargs["receptive_field"] = fld.shown
            kwargs["call"] = self.call or "function"  # (unknown: an op no Python call of torch's made)
            kwargs["dims"] = (b, after)
            if on_weights:  # no activation: no memory, and said so
                args = (*args[:6], False, f"on parameters: {args[7]}", *args[8:])
                kwargs["facts"] = kwargs.get("facts", frozenset()) | {ON_PARAMETERS}
            self._add(*args, **kwargs)

        if packet in flop_registry:
            flops = int(flop_registry[packet](*args, **kwargs, out_val=out))
            kind = _matmul_kind(base, args, self.call)
            add(frame.path, kind, in_shape, out_shape, flops // 2, flops, True, f"aten.{base}: FlopCounterMode's formula",
                      module=frame.module)
        elif (spec := self._aten_spec(base, args, *(own := _own_shapes(on_weights, first, result, in_shape, out_shape)),
                                      inplace)) is not None:  # F.interpolate, F.group_norm, F.prelu, F.selu, …
            effect = checked(spec.effect(own[0][1:]))
            if not on_weights:
                fld = self.field_of([first]).advance(effect.reach, effect.output_shape)
                self.mark(out, fld)
            add(frame.path, spec.kind, in_shape, out_shape, effect.macs * own[0][0], effect.flops * own[0][0],
                effect.new_tensor, effect.formula, module=frame.module, spec=spec)
        elif (spec := self._declared(base, inplace, in_shape)) is not None:  # F.relu, or a user type's F.hardshrink
            effect = spec.effect(in_shape[1:])
            add(frame.path, base, in_shape, out_shape, effect.macs * in_shape[0], effect.flops * in_shape[0],
                effect.new_tensor, effect.formula, module=frame.module, spec=spec)
        elif base in _ELEMENTWISE:
            add(frame.path, _KINDS.get(base, base.lstrip("_")), in_shape, out_shape, 0, numel(out_shape), not inplace,
                      f"{base} in forward, 1 per element", module=frame.module)
        elif base in _FUSED:
            value = kwargs.get("value", args[3] if len(args) > 3 else 1)
            per = _FUSED[base] + (value != 1)
            add(frame.path, base, in_shape, out_shape, 0, per * numel(out_shape), not inplace,
                f"{base} in forward, {per} per element (x + v·a{'·' if base == 'addcmul' else '/'}b"
                f"{'' if value != 1 else ', v = 1'})", module=frame.module)
        elif base == "_weight_norm_interface":  # weight norm's w = g·v/‖v‖ (torch.nn.utils.weight_norm, each forward)
            v, g = args[0], args[1]
            add(frame.path, "weight_norm", in_shape, out_shape, 0, 3 * v.numel() + g.numel(), True,
                f"w = g·v/‖v‖: ‖v‖ 2 per element of v, ·(g/‖v‖) 1 per element, g/‖v‖ 1 per slice ({v.numel():,}, {g.numel():,})",
                module=frame.module)
        elif base in _REDUCTIONS:
            read = max(max(t.numel() for t in tensors if on_weights or id(t) not in self.weights), numel(out_shape))
            per = _REDUCTIONS[base]
            add(frame.path, base, in_shape, out_shape, 0, per * read, True,
                f"{base} in forward: {per} per element read ({read:,})", module=frame.module)
        elif base in _VIEWS:
            add(frame.path, base.lstrip("_"), in_shape, out_shape, 0, 0, False, f"{base}: a view", module=frame.module)
        elif base in _COPIES:
            add(frame.path, base.lstrip("_"), in_shape, out_shape, 0, 0, True, f"{base}: a copy, no arithmetic", module=frame.module)
        elif base in _NORMS:
            weight = args[2] if "layer_norm" in base else args[1] if len(args) > 1 else None
            add(frame.path, base.strip("_"), in_shape, out_shape, 0, _NORMS[base] * numel(out_shape), True,
                f"{base} in forward, {_NORMS[base]} per element", module=frame.module,
                facts=frozenset() if isinstance(weight, torch.Tensor) else frozenset({NO_WEIGHT}))
        elif (spec := _pool_spec(base, args, in_shape, out_shape)) is not None:
            effect = spec.effect(in_shape[1:])
            if not on_weights:
                fld = self.field_of([first]).advance(effect.reach, effect.output_shape)
                self.mark(out, fld)
            add(frame.path, spec.kind, in_shape, out_shape, 0, effect.flops * in_shape[0], True, effect.formula,
                      module=frame.module, spec=spec)
        elif base == "mean":
            add(frame.path, "mean", in_shape, out_shape, 0, numel(in_shape), True, "mean in forward: 1 per element read",
                      module=frame.module)
        elif base in ("_upsample_bilinear2d_aa", "_upsample_bicubic2d_aa") and len(in_shape) == len(out_shape) >= 4:
            mode = "bicubic" if "bicubic" in base else "bilinear"
            rest = list(args[1:]) + [None] * 4  # (.default: size, align_corners, scales_h, scales_w; .vec: …, scale_factors)
            corners = bool(rest[1])
            scales = tuple(rest[2]) if isinstance(rest[2], (list, tuple)) else (rest[2], rest[3])
            flops = antialias_flops(numel(in_shape[:-2]), in_shape[-2:], out_shape[-2:], mode, corners, scales)  # (N·C planes)
            add(frame.path, base.lstrip("_"), in_shape, out_shape, 0, flops, True,
                f"{mode}, antialiased: per pass (W, then H) Σ (2·taps − 1), taps widened by the scale", module=frame.module)
        else:
            add(frame.path, base, in_shape, out_shape, 0, 0, True, f"aten.{name}", module=frame.module,
                      warning=f"aten.{name} has no convcalc formula; its cost is not counted", unsupported=True)

    def _derive(self, out: Any) -> None:
        """The tensors of ``out`` are no activations: made from parameters or constants alone (kept alive for the
        pass, so that their ids stay theirs)."""
        for t in _tensors(out):
            if id(t) not in self.weights:
                self.derived[id(t)] = t
                self.weights.add(id(t))

    def _undrive(self, out: Any) -> None:
        """An op that read an activation wrote into tensors taken for constants (in place, or a view of one):
        they and what they view hold activations now."""
        for t in _tensors(out):
            for held in (t, t._base):
                if held is not None and self.derived.pop(id(held), None) is not None:
                    self.weights.discard(id(held))

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
        return bool(self.stack) and not self.quiet and not self.silent

    def whole_call(self, cls: type[Leaf], func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A functional call that is one layer (:attr:`Leaf.calls`) in a forward body: one row for the call, its
        aten ops quiet; the layer reads the call with each tensor as its per-sample shape."""
        frame = self.stack[-1]
        self.quiet += 1
        try:
            out = func(*args, **kwargs)
        finally:
            self.quiet -= 1
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
        result = _first_tensor(out)
        if not tensors or result is None:
            return out
        x, name = tensors[0], f"F.{func.__name__}"

        def per_sample(value: Any) -> Any:
            return tuple(value.shape[1:]) if isinstance(value, torch.Tensor) else value

        shape, out_shape = tuple(x.shape), tuple(result.shape)
        try:
            spec = cls.from_call(tuple(per_sample(a) for a in args), {k: per_sample(v) for k, v in kwargs.items()})
            effect = checked(spec.effect(shape[1:])) if spec is not None else None
        except (ConvCalcError, TypeError, ValueError, IndexError, KeyError):
            spec = effect = None
        if spec is None or effect is None or tuple(effect.output_shape) != out_shape[1:]:
            self._add(frame.path, cls.kind, shape, out_shape, 0, 0, True, name, module=frame.module, call=name,
                      warning=f"{name} on these inputs has no convcalc formula; its cost is not counted", unsupported=True)
            return out
        fld = self.field_of([x]).advance(effect.reach, effect.output_shape)
        self.mark(out, fld)
        self._add(frame.path, spec.kind, shape, out_shape, effect.macs * shape[0], effect.flops * shape[0], effect.new_tensor,
                  effect.formula, module=frame.module, spec=spec, receptive_field=fld.shown, call=name)
        self.flow([t for t in tensors if id(t) not in self.weights], [result],
                  numel(out_shape) * self.out.dtype_bytes if effect.new_tensor else None, row=True)
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
             receptive_field: tuple[int, ...] | None = None, facts: frozenset[str] = frozenset(),
             dims: tuple[int | None, int | None] | None = None) -> None:
        """A row for work seen only as aten ops (or a module that did none), shapes with their batch dim in
        ``dims`` (of the input, of the output) which the row leaves out; where either is not known (the batch
        merged with a dim before it, or inputs given whole) the row shows the whole tensors, batch 1.
        The module's own parameters, if no row has counted them yet, are counted here."""
        held = (0, 0)
        if direct and self.owners.get(id(module)) is None:
            held = self._claim([p for p in module._parameters.values() if p is not None])
            if held[0]:
                self.owners[id(module)] = len(self.rows) + 1
        made = numel(out_shape) if new_tensor else 0
        bi, bo = dims or ((0, 0) if self.batched else (None, None))
        if bi is None or bo is None or bi >= max(len(in_shape), 1) or bo >= max(len(out_shape), 1):
            batch = 1
            if self.batched:
                formula += "; whole tensors: the batch is merged with another dim here"
        else:
            batch = in_shape[bi] if in_shape else self.batch
            in_shape, out_shape = in_shape[:bi] + in_shape[bi + 1:], out_shape[:bo] + out_shape[bo + 1:]
        self.out.op(path, kind, in_shape, out_shape, macs, flops, made, formula,
                    batch=batch, held=held, warning=warning, unsupported=unsupported,
                    call=call, spec=spec, receptive_field=receptive_field, registrations=self.places.get(id(module), 1),
                    counts=op_primitives, facts=facts)

    def _leaf_row(self, frame: _Frame, out_shape: Shape, output: Any) -> None:
        spec = declared = frame.spec
        assert spec is not None and declared is not None
        at = getattr(frame.module, "convcalc_batch_dim", None)  # (a BatchSecond module: batch-first outside)
        if at is None:
            at = spec.batch_dim()  # where the module keeps the batch (an LSTM without batch_first: dim 1)
        # inputs given whole (batch=None): the shapes as they are where the layer takes them (torch's unbatched
        # calls), else its leading dims as the batch
        tries: tuple[int | None, ...] = (at,) if self.batched else (None, at)
        if self.batched and type(spec).batch_dim is Leaf.batch_dim and frame.inputs:  # a layer that takes the batch
            known = self.dims.get(id(frame.inputs[0]))  # anywhere (Linear, LayerNorm, GELU): where the data keeps it
            if known is not None and known[0] is frame.inputs[0] and known[1] is not None and known[1] != at:
                tries = (known[1], at)
        for attempt, dim in enumerate(tries):
            def strip(shape: Shape, dim: int | None = dim) -> Shape:
                return shape if dim is None else _per_sample(shape, dim)
            shape = strip(frame.input_shape)
            try:
                if isinstance(spec, Join):  # add, cat, mul: several inputs
                    shapes = [strip(tuple(t.shape)) for t in frame.inputs]
                    effect = spec.join(shapes, [f"input {i + 1}" for i in range(len(shapes))])
                    fld = self.field_of(frame.inputs, broadcast=spec.broadcast)
                else:
                    spec = declared.at_call(tuple(strip(tuple(t.shape)) for t in frame.inputs), strip(out_shape))
                    sized = frame.effect
                    effect = sized[1] if sized is not None and spec is declared and sized[0] == shape else checked(spec.effect(shape))
                    fld = self.field_of(frame.inputs[:1])
                break
            except ShapeError as error:  # torch ran it, so this would be convcalc's bug: say where
                if attempt == len(tries) - 1:
                    raise error.located(f"{frame.path or 'module'} {type(frame.module).__name__}") from None
        b = 1 if dim is None else frame.input_shape[dim] if len(frame.input_shape) > dim else self.batch  # frames or tokens folded into the batch count too
        result = _first_tensor(output)
        if result is not None and dim != 0:
            self.dims[id(result)] = (result, dim)
        module = frame.module
        held = None
        if self.owners.get(id(module)) is None:
            held = self._claim([p for p in module._parameters.values() if p is not None] if not module._modules
                               else list(module.parameters()))
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


def _storage(t: torch.Tensor) -> int:
    """Which storage a tensor is a view of (also on the meta device, where no data pointer tells them apart)."""
    key: int = t.untyped_storage()._cdata
    return key


class _Trace:
    """A training step's forward pass as autograd records it (``train=``): each tensor it saves for the backward, seen
    by ``saved_tensors_hooks`` (its storage, bytes and the row saving it; parameters and buffers left out), which
    tensors need a gradient, and what each row read. Autograd saves an op's inputs before the op runs and its results
    after: a result saved right after its op's row is that row's."""

    def __init__(self, session: _Session, state: set[int]) -> None:
        self.session = session
        self.state = state
        self.packed: list[tuple[int, int, int]] = []  # (row, storage, bytes)
        self.storage_buffer: dict[int, int] = {}  # storage -> the data flow's buffer holding it
        self.needs: dict[int, bool] = {}  # buffer -> whether its tensor needs a gradient
        self.reads: dict[int, tuple[bool, ...]] = {}  # row -> whether each tensor it read needs a gradient
        self.just: tuple[int, set[int]] | None = None  # the op row just made, and its results' storages
        self.weighted: set[int] = set()  # op rows reading a weight that needs a gradient (not an activation)

    def made(self, t: torch.Tensor, buffer: int) -> None:
        self.storage_buffer.setdefault(_storage(t), buffer)
        self.needs[buffer] = self.needs.get(buffer, False) or t.requires_grad

    def step(self, reads: list[torch.Tensor], results: list[torch.Tensor], buffer: int, row: int | None) -> None:
        for t in results:
            self.made(t, buffer)
        if row is not None:
            self.reads[row] = tuple(t.requires_grad for t in reads)
            self.just = (row, {_storage(t) for t in results})

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        key = _storage(t)
        if key not in self.state:
            row = self.just[0] if self.just is not None and key in self.just[1] else len(self.session.rows)
            self.packed.append((row, key, t.untyped_storage().nbytes()))
        return t

    def report(self, rows: list[Row], training: Training, output: int, size: int, state_bytes: int,
               params: list[torch.Tensor]) -> tuple[list[Row], Plan]:
        """The rows with their training figures, and the plan of the step for its peak. A row of a layer whose kernels
        on the meta device save other tensors than the CPU's or CUDA's (attention: the math path, not the flash
        kernel; recurrent layers: not oneDNN's) takes its layer's rule for what it saves instead of the measurement."""
        last = len(rows) - 1
        sizes = self.session.live.sizes
        trainable = [r.params - r.frozen > 0 or i in self.weighted for i, r in enumerate(rows)]
        for i, r in enumerate(rows):
            if r.shared_with is not None:
                trainable[i] = trainable[r.shared_with - 1]
        found: list[Backward | None] = []
        for i, r in enumerate(rows):
            grads = Grads(self.reads.get(i, (False,)) or (False,), trainable[i], training.device, r.batch)
            found.append(_row_backward(r, grads))
        ruled = {i for i, r in enumerate(rows) if r.spec is not None and type(r.spec).meta_saves_differ and found[i] is not None}
        step_of = self.session.row_steps
        storage_of: dict[int, int] = {}  # buffer -> the first storage seen in it
        for key, buffer in self.storage_buffer.items():
            storage_of.setdefault(buffer, key)
        # (row, the tensor as counted once: its storage, the tensor as the step's plan frees it, bytes)
        entries: list[tuple[int, tuple[object, ...], tuple[object, ...], int]] = []
        for row, key, nbytes in self.packed:
            row = min(row, last)
            if row in ruled:
                continue
            holder = self.storage_buffer.get(key)
            entries.append((row, ("s", key), ("t", holder) if holder is not None else ("own", key), nbytes))
        for i in sorted(ruled):
            reads, made_at, _ = self.session.live.steps[step_of[i]] if i in step_of else ((), None, 0)
            rule = found[i]
            assert rule is not None
            for item in rule.saved:
                if item.of.startswith("input") and reads:
                    at = int(item.of[5:] or 0)
                    tensor: tuple[object, ...] = ("t", reads[min(at, len(reads) - 1)])
                elif item.of == "output" and (made_at is not None or reads):
                    tensor = ("t", made_at if made_at is not None else reads[0])
                else:
                    tensor = ("own", i, item.of)
                if tensor[0] == "t":
                    held = int(tensor[1])  # type: ignore[call-overload]  # (a ("t", buffer) key holds the buffer's int)
                    once: tuple[object, ...] = ("s", storage_of[held]) if held in storage_of else tensor
                    entries.append((i, once, tensor, sizes[held]))
                else:
                    entries.append((i, tensor, tensor, saved_bytes(item, rows[i].batch, size)))
        entries.sort(key=lambda e: e[0])
        saved: dict[int, list[tuple[tuple[object, ...], int]]] = {}
        seen: set[tuple[object, ...]] = set()
        counted = [0] * len(rows)
        for row, once, tensor, nbytes in entries:
            saved.setdefault(row, []).append((tensor, sizes[int(tensor[1])] if tensor[0] == "t" else nbytes))  # type: ignore[call-overload]  # (a ("t", buffer) key holds the buffer's int)
            if once not in seen:
                seen.add(once)
                counted[row] += nbytes
        trained_rows = []
        for i, r in enumerate(rows):
            grads = Grads(self.reads.get(i, (False,)) or (False,), trainable[i], training.device, r.batch)
            figures = Trained.of(found[i], r.batch, counted[i], r.params - r.frozen if trainable[i] and r.shared_with is None else 0)
            if found[i] is None and r.spec is None:  # work that is no layer: measured, its products by torch's rule
                figures = replace(figures, torch_flops=_op_torch_flops(r, grads), modelled=True)
            trained_rows.append(replace(r, trained=figures))
        row_of = {step: row for row, step in self.session.row_steps.items()}
        steps = []
        names = []
        for j, (reads, made_by, _extra) in enumerate(self.session.live.steps):
            at = row_of.get(j, -1)
            owner = rows[at] if at >= 0 else None
            grads_in = self.reads.get(at, ())
            if len(grads_in) != len(reads):
                grads_in = tuple(self.needs.get(b, False) for b in reads)
            weight_bytes = (owner.params - owner.frozen) * size if owner is not None and trainable[at] and owner.shared_with is None else 0
            steps.append(Step(reads=reads, made=made_by, made_bytes=sizes[made_by] if made_by is not None else 0,
                              saved=tuple(saved.get(at, ())), weight_grad_bytes=weight_bytes,
                              input_grads=grads_in, output_grad=any(grads_in) or bool(weight_bytes)))
            names.append(owner.where if owner is not None else "a view")
        trained = [p for p in params if p.requires_grad]
        counted_state = sum(r.params + r.buffers for r in rows) * size
        plan = Plan(steps=steps, sizes=dict(enumerate(sizes)), output=output, param_bytes=size, names=names,
                    param_tensors=len(trained), param_sizes=[p.numel() for p in trained], extra_state=state_bytes - counted_state)
        return trained_rows, plan


def _row_backward(row: Row, grads: Grads) -> Backward | None:
    """A row's gradient FLOPs by its layer's rule (per sample); None for work that is no layer of convcalc's."""
    spec = row.spec
    if spec is None or not grads.any:
        return None if spec is None else Backward()
    try:
        if isinstance(spec, Join):
            return spec.join_backward((row.input_shape,) * len(grads.inputs), Effect(output_shape=row.output_shape), grads)
        return spec.backward(row.input_shape, spec.effect(row.input_shape), grads)
    except ConvCalcError:
        return None


def _op_torch_flops(row: Row, grads: Grads) -> int:
    """What FlopCounterMode counts of the backward of a matrix product seen as an op: one product of the forward's
    size for each operand that needs a gradient (a weight among them where it trains)."""
    if not row.macs or not grads.any:
        return 0
    return 2 * row.macs * (sum(grads.inputs) + int(grads.weights))


def _empty(shapes: Any, dtype: torch.dtype, memory_format: torch.memory_format) -> Any:
    """Meta tensors of ``shapes``: one shape (a tuple of ints, or :class:`Laid` in an order of its own), or tuples of
    them nested."""
    if isinstance(shapes, Laid):
        order = shapes.order
        lying = torch.empty([shapes.shape[d] for d in order], dtype=dtype, device="meta")
        return lying.permute([order.index(d) for d in range(len(order))])
    if all(isinstance(d, int) for d in shapes):
        return torch.empty(shapes, dtype=dtype, device="meta", memory_format=memory_format if len(shapes) == 4 else torch.contiguous_format)
    return tuple(_empty(s, dtype, memory_format) for s in shapes)


def _own_shapes(on_weights: bool, first: torch.Tensor, result: torch.Tensor | None, in_shape: Shape,
                out_shape: Shape) -> tuple[Shape, Shape]:
    """The shapes a layer type reads an aten op at: the op's own, or on parameters (shown whole, as a batch of one) the
    tensors' own, whose dim 0 is a batch of the op's (a position embedding 1×C×H×W resized by F.interpolate)."""
    if on_weights and result is not None:
        return tuple(first.shape), tuple(result.shape)
    return in_shape, out_shape


def _tensors(value: Any) -> list[torch.Tensor]:
    """Every tensor in a module's output (tuples, lists and dicts of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return []


def _padded_shape(packed: Any, batch_dim: int) -> Shape:
    """The padded tensor a PackedSequence stands for, its batch at ``batch_dim``: L steps (its batch sizes) of N
    sequences (the first step's batch) of H features. Every step of every sequence is counted: exact where the
    sequences are of one length (torch runs Σ lengths steps of sequences)."""
    steps, data = len(packed.batch_sizes), packed.data
    try:
        n = int(packed.batch_sizes[0])
    except (RuntimeError, IndexError, TypeError):  # (sizes on the meta device: unknown, the data's rows stand in)
        n, steps = int(data.shape[0]), 1
    sizes = [n, steps] if batch_dim == 0 else [steps, n]
    return (*sizes, *data.shape[1:])


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


def _view_batch(b: int, in_shape: Shape, out_shape: Shape, batch: int) -> int | None:
    """Where a reshape (view, flatten, unflatten, …) puts the batch that ``in_shape`` keeps in dim ``b``: the
    output dim that starts at the same element offset and holds the same size; or holds the batch merged
    with the dims after it (tokens or heads folded into the batch, counted as samples as torch's modules do),
    or the leading part of such a merge split again (a multiple of the real ``batch``). None where the batch
    is merged with a dim before it."""
    before = numel(in_shape[:b])
    size = in_shape[b]
    if b == 0 and out_shape[0] == size:  # a leading batch stays leading, as views keep it (sizes of 1 beside a batch
        return 0  # of 1 would otherwise be taken for it)
    offset, found = 1, []
    for j, d in enumerate(out_shape):
        if offset == before:
            found.append(j)
        elif offset > before:
            break
        offset *= d
    if size != batch and size % batch == 0:  # a batch folded with heads or windows: split back, the real batch again
        unfolded = next((j for j in found if out_shape[j] == batch), None)
        if unfolded is not None:
            return unfolded
    kept = [j for j in found if out_shape[j] == size]
    if kept:  # (a batch of 1 beside other sizes of 1: the one as far from the end as it was)
        return next((j for j in kept if len(out_shape) - j == len(in_shape) - b), kept[0])
    for j in found:
        if out_shape[j] % size == 0 or (size % out_shape[j] == 0 and out_shape[j] % batch == 0):
            return j
    return None


def _batch_after(base: str, args: tuple[Any, ...], b: int | None, in_shape: Shape, out_shape: Shape, batch: int) -> int | None:
    """Where an op's result keeps the batch, given that its first input keeps it in dim ``b`` (None: nowhere
    known). O(1) for every op but a reshape (one pass over its dims)."""
    if b is None or not out_shape or b >= len(in_shape):
        return None
    rank, out_rank = len(in_shape), len(out_shape)
    if base == "permute":
        order = [d % rank for d in args[1]]
        return order.index(b) if b in order else None
    if base == "transpose":
        i, j = args[1] % rank, args[2] % rank
        return j if b == i else i if b == j else b
    if base == "t":
        return (1 - b) if rank == 2 else b
    if base in ("select", "unbind"):
        dim = (args[1] if len(args) > 1 else 0) % rank
        return None if dim == b else b - (dim < b)
    if base == "unsqueeze":
        dim = args[1] % out_rank
        return b + (dim <= b)
    if base == "stack":
        dim = (args[1] if len(args) > 1 else 0) % out_rank
        return b + (dim <= b)
    if base in ("view", "_unsafe_view", "reshape", "flatten", "unflatten", "squeeze", "view_as", "alias") and (
            out_rank != rank or out_shape != in_shape):
        return _view_batch(b, in_shape, out_shape, batch)
    if out_rank == rank:
        return b
    if out_rank > rank:  # dims added after the input's (an embedding's features), or broadcast from the right
        if out_shape[b] == in_shape[b]:
            return b
        return b + out_rank - rank if out_shape[b + out_rank - rank] == in_shape[b] else None
    return b if out_shape[:b + 1] == in_shape[:b + 1] else None  # a reduction that kept the dims up to the batch


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
    subs = list(module.modules())
    for sub in subs:
        for tensor in itertools.chain(sub._parameters.values(), sub._buffers.values()):
            if tensor is None or id(tensor) in memo:
                continue
            if is_lazy(tensor):
                uninitialized: Any = UninitializedParameter if isinstance(tensor, nn.Parameter) else UninitializedBuffer
                memo[id(tensor)] = uninitialized(requires_grad=tensor.requires_grad, device="meta")
                continue
            meta = tensor.detach().to("meta")
            memo[id(tensor)] = nn.Parameter(meta, requires_grad=tensor.requires_grad) if isinstance(tensor, nn.Parameter) else meta
    for sub in subs:  # tensors held as plain attributes (a pruned module's ``weight``, recomputed in
        for value in sub.__dict__.values():  # its pre-hook): on the meta device too, never copied; a scalar stays
            if isinstance(value, torch.Tensor) and id(value) not in memo and value.dim() > 0:
                memo[id(value)] = value.detach().to("meta")
    try:
        return _copy_tree(module, memo, {})
    except Exception:  # a module whose state is not a plain dict: what copy.deepcopy makes of it
        return copy.deepcopy(module, memo)


def _copy_tree(module: nn.Module, memo: dict[int, Any], copies: dict[int, nn.Module]) -> nn.Module:
    """A copy of the module tree as :func:`copy.deepcopy` makes it (each module built from its ``__getstate__``
    through its ``__setstate__``; a module held twice copied once), with every tensor ``memo`` maps replaced, the
    containers it holds (hook tables, lists of weights) copied one level, and other objects shared: deep-copying
    those (strings, numbers, enums, functions) was a third of a pass's time, and a forward only reads them."""
    done = copies.get(id(module))
    if done is not None:
        return done
    cls = type(module)
    new: nn.Module = cls.__new__(cls)
    copies[id(module)] = new
    state = module.__getstate__()
    if not isinstance(state, dict):
        raise TypeError(f"{cls.__name__}'s state is not a dict")

    def mapped(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return memo.get(id(value), value)
        if isinstance(value, nn.Module):
            return _copy_tree(value, memo, copies)
        if isinstance(value, types.MethodType) and isinstance(value.__self__, nn.Module):  # ``self.forward =
            return types.MethodType(value.__func__, _copy_tree(value.__self__, memo, copies))  # self.forward_slicing``
        return value

    copied: dict[str, Any] = {}
    for key, value in state.items():
        kind = type(value)
        if kind is OrderedDict or kind is dict:  # (mostly empty hook tables)
            value = kind([(k, mapped(v)) for k, v in value.items()]) if value else kind()
        elif kind is list:
            value = [mapped(v) for v in value]
        elif kind is set:
            value = set(value)
        elif isinstance(value, (torch.Tensor, nn.Module, types.MethodType)):
            value = mapped(value)
        copied[key] = value
    new.__setstate__(copied)
    return new


def _materialize(meta: nn.Module, args: list[torch.Tensor], kwargs: dict[str, torch.Tensor], shown: str) -> None:
    """Run the lazy modules' first forward (on the meta device, before any row is counted): torch then
    gives them their sizes from the input and each becomes its eager class (``cls_to_become``: a
    ``LazyConv2d`` is a ``Conv2d`` afterwards), which is what is read back."""
    from torch.nn.modules.lazy import LazyModuleMixin

    lazy = [m for m in meta.modules() if isinstance(m, LazyModuleMixin) and m.has_uninitialized_params()]
    if not lazy:
        return
    for sub in lazy:  # torch's own initialisation hook (cleared above with the user's hooks)
        sub._initialize_hook = sub.register_forward_pre_hook(sub._infer_parameters, with_kwargs=True)
    try:
        with torch.no_grad(), _Moves(), meta_autocast():
            meta(*args, **kwargs)
    except Exception as error:
        raise ShapeError(f"{type(meta).__name__}'s lazy modules could not take their sizes from input "
                         f"{shown} on the meta device: {(str(error) or type(error).__name__).splitlines()[0]}") from None


class _Moves(TorchFunctionMode):
    """Device moves kept on the meta device (:func:`_on_meta_device`) and CPU constants moved there where they meet
    meta tensors, as :class:`_Calls` does, for a pass that makes no rows (the lazy modules' first forward)."""

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if getattr(func, "__name__", "") in _MOVES and args and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            moved = _on_meta_device(func, args, kwargs)
            if moved is None:
                return args[0]
            args, kwargs = moved
        return _on_meta_if_mixed(func, args, kwargs)


#: The key of from_torch's hooks in the hook tables of its copy of the module (torch's handles count up from 0).
_HOOK = -1


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector off while a pass runs: the pass makes tens of thousands of small objects, and the
    collections they set off walk every object of the model each time (up to half of a pass's time). Reference
    counting still frees what the pass lets go; cycles wait for the next collection after it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def meta_autocast() -> Iterator[None]:
    """``torch.autocast(device_type=x.device.type)`` in a forward (timm's EfficientViT) while the pass runs: torch
    has no autocast for the meta device and refuses it; there it is taken as the CPU's, which leaves meta tensors
    as they are (the CPU's autocast sees only CPU tensors)."""
    autocast = torch.amp.autocast_mode.autocast
    original = autocast.__init__

    def init(self: Any, device_type: str, *args: Any, **kwargs: Any) -> None:
        original(self, "cpu" if device_type == "meta" else device_type, *args, **kwargs)

    autocast.__init__ = init  # type: ignore[method-assign]  # (put back below)
    try:
        yield
    finally:
        autocast.__init__ = original  # type: ignore[method-assign]  # (torch's own again)


MODES = ("eval", "train")


@_no_cyclic_gc()
def from_torch(module: nn.Module, input_shape: Any, batch: int | None = 1, dtype: str = "float32",
               layout: str | None = None, mode: str = "eval", training: Training | None = None) -> Report:
    """A Report for any torch module: one row per known leaf, per unsupported leaf, and per op done in a forward.

    ``input_shape`` is one shape, an :class:`~convcalc.inputs.Input`, a list of them (positional inputs; an
    Input with a name is passed by keyword) or a dict name -> shape or Input (keyword inputs); each becomes a
    meta tensor of ``batch`` samples (``batch=None``: as given, no batch dim added) of its dtype (by default the
    module's floating type). ``mode`` is ``"eval"`` (the default) or ``"train"``: the module runs in that mode.
    ``training``: count a training step too (the module then runs in train mode): what autograd saves, as
    ``saved_tensors_hooks`` sees it in the pass, and each row's gradients for the parameters that require them.

    ``layout`` says how ``input_shape`` is written (``"chw"``, ``"hwc"``); the module runs it channels
    first, and the report shows its shapes as written. Without a layout the module runs the shape
    channels first; where torch refuses that and takes it channels last, it is read H×W×C (with a
    note). Where the first row is a layer that takes any channels (a pool, an activation) it also
    runs channels last, and an input both readings take with different answers is a ShapeError
    naming both. A first operation convcalc has no layer for is not tried both ways: there the
    channels-first run stands (give ``layout`` to be sure). Several, named or integer inputs are read as
    given (channels first, or each as ``layout`` says).
    """
    from ..layout import ambiguous, canonical, check_layout, order, same_answers

    layout = check_layout(layout)
    if isinstance(module, torch.jit.ScriptModule):
        raise SpecError(f"from_torch needs an eager nn.Module, and {type(module).__name__} is TorchScript (torch.jit.script "
                        "or torch.jit.trace), whose layers cannot be followed one by one: pass the nn.Module you scripted "
                        "or traced, as it was before torch.jit.script/trace")
    if not isinstance(module, nn.Module):
        raise SpecError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    if mode not in MODES:
        raise SpecError(f"mode must be 'eval' or 'train' (the mode the module runs in), got {mode!r}")
    if training is not None:
        mode = "train"
        if training.amp is not None:
            raise SpecError(f"a torch module's training step under autocast ({training.amp}) is not counted yet; count it "
                            "without amp, or count the network written in convcalc (its zoo name or spec) with amp")
    inputs = read_inputs(input_shape)
    if batch is not None:
        check_batch(batch)
    size = dtype_bytes(dtype)
    one = inputs[0]
    if len(inputs) > 1 or one.name is not None or one.integer or batch is None:
        if layout is not None:
            inputs = tuple(i if i.integer else replace(i, shape=canonical(i.shape, layout)) for i in inputs)
        return _capture(module, inputs, batch, dtype, size, layout or "chw", mode, training)
    shape = one.shape
    if layout is not None:
        return _capture(module, (replace(one, shape=canonical(shape, layout)),), batch, dtype, size, layout, mode, training)
    flipped = canonical(shape, "hwc")
    text = input_shape.strip() if isinstance(input_shape, str) else "x".join(map(str, shape))
    try:
        report = _capture(module, inputs, batch, dtype, size, "chw", mode, training)
    except ShapeError as refused:
        if flipped == shape:
            raise
        try:
            report = _capture(module, (replace(one, shape=flipped),), batch, dtype, size, "hwc", mode, training)
        except ShapeError:
            raise refused from None
        return replace(report, notes=(f"read {text} as {order('hwc', len(shape))}, channels last: {type(module).__name__} "
                                      f"does not run on it as {order('chw', len(shape))}; shapes are shown so", *report.notes))
    first = report.rows[0].spec if report.rows else None
    if flipped != shape and first is not None and not first.inferred and type(first).input_dtype is None:  # a first layer
        # that takes any channels (ids have none)
        try:
            other = _capture(module, (replace(one, shape=flipped),), batch, dtype, size, "hwc", mode, training)
        except ShapeError:
            return report
        if not same_answers(report, other):
            raise ambiguous(text, report, other)
    return report


def _torch_dtype(name: str) -> torch.dtype:
    """The torch dtype of an input dtype name (``float8``: torch's e4m3 float8)."""
    return torch.float8_e4m3fn if name == "float8" else getattr(torch, name)


def _keep_hook(hook: Any) -> bool:
    """Whether a forward pre-hook is torch's own reparametrisation (``torch.nn.utils``: a pruning mask applied to
    ``weight_orig``, weight norm, spectral norm), which computes the weight the forward uses; the user's own
    hooks stay on the user's module."""
    owner = getattr(hook, "__module__", None) or type(hook).__module__
    return isinstance(owner, str) and owner.startswith("torch.nn.utils.")


#: What a report's notes say a train-mode pass counted differently.
TRAIN_NOTE = ("mode='train': the module ran in train mode (auxiliary heads, active dropout); rows count what ran. BatchNorm "
              "normalises with the batch's statistics there: convcalc counts it as in eval, 2 FLOPs per element (the "
              "statistics themselves are not counted), and FlopCounterMode counts neither")


#: How torch refuses a CPU tensor beside a meta one.
_MIXED = ("is not on the expected device meta", "Expected all tensors to be on the same device")


def _capture(module: nn.Module, inputs: tuple[Input, ...], batch: int | None, dtype: str, size: int, layout: str,
             mode: str = "eval", training: Training | None = None) -> Report:
    """One forward pass of ``module`` on ``inputs`` (channels first; ``batch`` samples each, or as given where
    ``batch`` is None) on the meta device, as rows."""
    try:
        meta = _on_meta(module).train(mode == "train")
    except Exception as error:  # a module holding tensors or objects that cannot be copied
        raise SpecError(f"cannot copy {type(module).__name__} to the meta device to count it: "
                        f"{(str(error) or type(error).__name__).splitlines()[0]}") from None
    tree = list(meta.named_modules())  # (walked once: each walk of a large tree costs a millisecond or more)
    for _, sub in tree:  # the user's own hooks stay on the user's module; torch's reparametrisations run
        sub._forward_hooks.clear()
        hooks = sub._forward_pre_hooks
        if hooks:
            for key in [k for k, hook in hooks.items() if not _keep_hook(hook)]:
                del hooks[key]
    params = {id(p): p for _, sub in tree for p in sub._parameters.values() if p is not None}
    floating = next((p.dtype for p in params.values() if p.is_floating_point()), torch.float32)
    tensors = [torch.empty(i.shape if batch is None else (batch, *i.shape), device="meta",
                           dtype=floating if i.dtype is None else _torch_dtype(i.dtype)) for i in inputs]  # a .half() model takes half
    args = [t for t, i in zip(tensors, inputs) if i.name is None]
    kwargs = {i.name: t for t, i in zip(tensors, inputs) if i.name is not None}
    shown = ", ".join(map(str, inputs))
    _materialize(meta, args, kwargs, shown)
    tree = list(meta.named_modules())  # (lazy modules have their classes now)
    names = {id(m): name for name, m in tree}
    weights = {*params, *(id(t) for _, sub in tree for t in sub._buffers.values() if t is not None)}
    n = 1 if batch is None else batch
    session = _Session(n, size, names, weights, readers())
    session.places = _places(meta)
    if training is not None:
        state = [t for _, sub in tree for t in (*sub._parameters.values(), *sub._buffers.values()) if t is not None]
        session.trace = _Trace(session, {_storage(t) for t in state})
    def enter(m: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with torch._C.DisableTorchFunction():  # (the hook's own x.shape and x.dim() are no calls of the forward)
            return session.enter(m, args, kwargs)

    def leave(m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
        with torch._C.DisableTorchFunction():
            session.leave(m, out)

    for _, sub in tree:  # written into the copy's own hook tables, which go with it after the pass (torch's
        sub._forward_pre_hooks[_HOOK] = enter  # register_forward_hook makes a handle object each: a tenth of a pass)
        sub._forward_pre_hooks_with_kwargs[_HOOK] = True
        sub._forward_hooks[_HOOK] = leave
    if SIZED and training is None:  # (a training step's pass runs every layer: autograd records what it saves)
        for _, sub in tree:  # layers whose call does nothing but make their effect's shape: sized, not run
            kind = _layer_type(sub, session.table)
            if (kind is not None and kind.sized_by_effect(sub) and not hasattr(sub, "parametrizations")
                    and not foreign_facts(type(sub))):  # (another class's calls show the tools' facts: it runs)
                sub.forward = functools.partial(session.sized, sub, sub.forward)  # (on the copy: the user's module is untouched)
    session.start(tensors, [t.numel() * i.bytes_per_element(size) for t, i in zip(tensors, inputs)], batched=batch is not None)
    grad = torch.no_grad() if session.trace is None else torch.enable_grad()
    saving = contextlib.nullcontext() if session.trace is None else torch.autograd.graph.saved_tensors_hooks(
        session.trace.pack, lambda t: t)
    try:
        with grad, saving, session, _Calls(session), meta_autocast():
            output = meta(*args, **kwargs)
    except ConvCalcError:
        raise
    except Exception as error:  # the module's own code refused the input, or cannot run without data
        given = "given whole" if batch is None else f"batch {batch}"
        raise ShapeError(f"{type(module).__name__} did not run on input {shown} "
                         f"({given}) on the meta device: {(str(error) or type(error).__name__).splitlines()[0]}") from None
    for i in session.unused(output):
        session.rows[i] = replace(session.rows[i], facts=session.rows[i].facts | {UNUSED})
    unclaimed = {key: p for key, p in params.items() if key not in session.counted}
    if unclaimed:  # modules that never ran, parameters read through another module's attribute, …
        session._add("", "parameters", (n,), (n,), 0, 0, False, "parameters no operation in the forward pass used",
                     module=_Holder(list(unclaimed.values())),
                     warning=f"{sum(p.numel() for p in unclaimed.values()):,} parameters were not used by any "
                             "layer that ran (an unused head, or weights read directly); they are counted here")
    one = inputs[0]
    listed = len(inputs) > 1 or one.name is not None or one.dtype is not None
    notes = (("batch=None: the inputs are given whole (no batch dim added); shapes are shown as given and the totals "
              "are for this one call",) if batch is None else ()) + ((TRAIN_NOTE,) if mode == "train" else ())
    rows, plan = list(session.rows), None
    if session.trace is not None and training is not None:
        result = _first_tensor(output)
        if result is None or id(result) not in session.buffers:
            raise SpecError(f"{type(module).__name__}: a training step needs a tensor output to take the gradient of; "
                            "its output is not one convcalc followed")
        state_bytes = sum(t.numel() * t.element_size() for _, sub in tree
                          for t in (*sub._parameters.values(), *sub._buffers.values()) if t is not None)
        rows, plan = session.trace.report(rows, training, session.buffers[id(result)][1], size, state_bytes,
                                          list(params.values()))
    return Report(model=type(module).__name__, input_shape=one.shape, batch=n, dtype=dtype,
                  dtype_bytes=size, rows=tuple(rows), peak_activation_bytes=session.peak(output), layout=layout,
                  blocks={name: type(m).__name__ for name, m in tree if name},
                  inputs=inputs if listed else (), batched=batch is not None, notes=notes, training=training, train_plan=plan,
                  flow=session.live.sources({step: row for row, step in session.row_steps.items()}, len(rows)))
