"""What other tools print for a network, and why.

Every FLOP or MAC total that torchinfo, fvcore, thop, ptflops or torch's own
FlopCounterMode prints is a fixed sum over a few primitive counts per layer:
conv and linear multiply-accumulates, bias additions, normalised elements,
activation elements, pooling reads and elements, elementwise additions and
products. This module counts those primitives for each row of a report
(:func:`primitives`) and turns them into each tool's figure by that tool's own
rules (:data:`PROFILES`), term by term, so that a comparison can say where
every difference from the paper figure comes from (:func:`compare`).

Each rule was read from the tool's source at the version named in
:data:`VERSIONS` and is held to the tool itself in the tests. Two facts beyond
the layer's arithmetic decide what a tool sees:

- ``row.call``: ``module`` for a layer torch runs as an ``nn.Module`` (hooks see
  it), ``function`` for work done in a ``forward`` (``x + y``,
  ``F.adaptive_avg_pool2d``): module-hook tools (torchinfo, thop, ptflops) miss
  most of those;
- ``row.registrations``: how many places in the module tree hold the module
  (2 for one module shared by two parents): thop and ptflops walk the tree, so
  they count such a module once per place (thop also hooks it once per place).

All figures are for the whole batch. ptflops always runs a batch of one; its
profile is that figure times the batch.
"""

from __future__ import annotations

from functools import partial
from math import floor, prod

from .layers.base import Join, Primitives
from .records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Callable
    from typing import Any

    from .report import Report, Row

#: Column headers of the ``--breakdown`` table, one per primitive (:data:`PRIMITIVES`).
PRIMITIVE_HEADERS = ("MACs", "bias adds", "norm elems", "act elems", "pool reads", "pool in", "pool out", "adds", "muls")


# --- what each row is, in the terms the tools care about -----------------------------------


#: The families the tools' rules below are written for. Every built-in layer class declares one
#: (a test holds them to it); a type the user declares is ``custom``, which no tool knows.
FAMILIES = frozenset({
    "conv", "convtranspose", "separable", "linear", "batchnorm", "layernorm", "layernorm2d", "groupnorm", "instancenorm",
    "lrn", "activation", "prelu", "softmax", "maxpool", "avgpool", "adaptivemaxpool", "adaptiveavgpool", "add", "mul", "none",
    "upsample", "embedding", "rnn", "rnncell",  # recurrent and lookups: convcalc.layers.recurrent
    "attention", "sdpa", "transformer", "rmsnorm",  # attention's families (convcalc.layers.attention, RMSNorm)
    "windowattention", "relposattention", "patchmerging",  # Swin's and MaxViT's layers: their rules below
})


#: kinds of the rows from_torch makes for work done in a forward body (aten op names)
_FUNCTION_KINDS = {
    "add": "add", "sub": "add", "mul": "mul", "div": "mul", "softmax": "softmax", "log_softmax": "softmax",
    "bmm": "matmul", "mm": "matmul", "addmm": "matmul", "matmul": "matmul", "baddbmm": "matmul", "einsum": "matmul",
    "linear": "linear", "mean": "mean",
}

#: Facts ``from_torch`` records on a row (``Row.facts``) where a tool counts by what the Python call showed
#: rather than by the aten ops it ran.
NO_WEIGHT = "no weight"  # a norm op called without a weight (F.batch_norm(x, m, v)): fvcore's "without affine"
NAMED_PADDING = "padding named"  # F.conv2d(..., padding='same'|'valid'): aten::_convolution_mode, fvcore 0.1.5 counts 0
BROADCAST_MATMUL = "broadcast matmul"  # a matmul whose first operand is broadcast: fvcore and ptflops count that operand
ADDMM_INPUT = "addmm input"  # torch.addmm/baddbmm with beta ≠ 0: ptflops also charges the added matrix's elements
EINSUM_PATH = "einsum path"  # an einsum beyond one two-operand contraction: fvcore counts numpy's contraction path
UNUSED = "unused"  # work whose result never reaches the output: fvcore's JIT trace drops it as dead code
ON_PARAMETERS = "on parameters"  # work on parameters or constants alone (a standardised weight, a mask): no activation
BATCH_STATISTICS = "batch statistics"  # F.batch_norm(training=True): fvcore counts it as a norm that computes its statistics
LEAF_MODULE = "leaf module"  # a leaf module convcalc reads op by op: its class, parameters and output (leaf_fact)
FOREIGN_CLASS = "module class"  # a layer read from a class of another library (foreign_facts)
CALLS = "calls"  # the Python calls such a class's forward made (``calls F.gelu``)


def leaf_fact(name: str, params: list[tuple[str, int]], output: tuple[int, ...] | None) -> str:
    """The fact ``from_torch`` records on the first row of a leaf module it has no layer for and that holds
    parameters: its class name, each parameter's name and size, its output shape (whole batch)."""
    sizes = ",".join(f"{n}={k}" for n, k in params)
    return f"{LEAF_MODULE}|{name}|{sizes}|{'x'.join(map(str, output)) if output is not None else ''}"


def foreign_facts(cls: type) -> frozenset[str]:
    """``{"module class NAME"}`` for a module class of neither torch nor convcalc (timm's ``GELU``, a user's
    subclass of ``nn.Conv2d``), read back as one of convcalc's layers: thop and ptflops hook modules by their
    exact torch class, so they see only the ``F.*`` calls its forward makes."""
    known = _FOREIGN.get(cls)
    if known is None:
        native = cls.__module__.partition(".")[0] in ("torch", "convcalc")
        known = _FOREIGN[cls] = frozenset() if native else frozenset({f"{FOREIGN_CLASS} {cls.__module__}.{cls.__qualname__}"})
    return known


_FOREIGN: dict[type, frozenset[str]] = {}  # foreign_facts by class (asked for every F.* call inside a layer)


INSIDE = "inside"  # a row made inside a module another tool hooks as a whole (container_fact)

#: Modules of other libraries with children that ptflops 0.7.5 hooks as a whole (its MODULES_MAPPING, filled
#: when timm imports): the hook counts the module's own formula, and ptflops' accumulate_flops stops there, so
#: the children's figures (timm's qkv and proj Linear) are never added.
_PTFLOPS_HOOKED_CONTAINERS = {"timm.layers.attention.Attention"}


def container_facts(module: Any, input_shape: tuple[int, ...]) -> tuple[str, str] | None:
    """For a module of :data:`_PTFLOPS_HOOKED_CONTAINERS`: the fact for every row made inside it, and the one
    its first row carries with what the hook reads (heads, head dim, the input's batch and tokens)."""
    cls = type(module)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in _PTFLOPS_HOOKED_CONTAINERS or len(input_shape) != 3:
        return None
    inside = f"{INSIDE}|{name}"
    return inside, f"{inside}|{module.num_heads}|{module.head_dim}|{input_shape[0]}|{input_shape[1]}"


def _ptflops_container(row: Row) -> list[Term] | None:
    """A row inside a module ptflops hooks as a whole: its module hooks' figures are not added (None: not inside);
    the first row carries the hook's own count, timm_attention_counter_hook: B·(N·hd·H + H·(2·N²·hd + N²))."""
    facts = [f for f in row.facts if f.startswith(INSIDE + "|")]
    if not facts:
        return None
    terms: list[Term] = []
    for fact in facts:
        parts = fact.split("|")
        if len(parts) == 6:
            heads, hd, b, n = map(int, parts[2:])
            terms.append(("timm Attention: q scaling, QKᵀ, softmax and AV (ptflops' hook)",
                          b * (n * hd * heads + heads * (2 * n * n * hd + n * n))))
    return terms


def _foreign(row: Row) -> bool:
    return any(f.startswith(FOREIGN_CLASS) for f in row.facts)


def _calls(row: Row) -> set[str]:
    return {f[len(CALLS) + 1:] for f in row.facts if f.startswith(CALLS + " ")}


_ACTIVATIONS = {"relu", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "leaky_relu", "hardtanh", "elu",
                "mish", "softplus", "clamp", "clamp_min", "clamp_max"}


#: Calls a forward body may make that run aten's mean rather than a pool (no tool charges it).
_MEAN_CALLS = {"x.mean", "torch.mean"}


#: Python calls that multiply matrices (the aten op is mm, bmm or addmm however it is written).
_MATMUL_CALLS = {"torch.matmul", "x.matmul", "@", "@=", "torch.mm", "x.mm", "torch.bmm", "x.bmm", "torch.addmm", "x.addmm",
                 "torch.baddbmm", "x.baddbmm", "torch.einsum"}


def family(row: Row) -> str:
    """What a row is, for counting: its layer's family, or for an op from a forward body, the op's."""
    if row.call in _MEAN_CALLS:
        return "mean"
    if row.spec is not None:
        return type(row.spec).family
    kind = row.kind
    if kind == "mean" and row.call.startswith("F.adaptive_avg_pool"):  # (output size 1 reaches aten as a mean)
        return "adaptiveavgpool"
    if row.call in _MATMUL_CALLS and kind in ("mm", "bmm", "addmm", "baddbmm", "linear", "matmul"):
        return "matmul"
    if kind.startswith("conv"):
        return "convtranspose" if "transpose" in kind else "conv"
    if "batch_norm" in kind:
        return "batchnorm"
    if "layer_norm" in kind:
        return "layernorm"
    if "group_norm" in kind:
        return "groupnorm"
    if kind in _ACTIVATIONS:
        return "activation"
    return _FUNCTION_KINDS.get(kind, "none")


def _fields_of(row: Row) -> Any:
    """The row's layer spec, to read the fields its family has (``groups`` of a transposed conv, ``affine`` of a
    batch norm): the family says which layer type it is."""
    return row.spec


def _elements(shape: tuple[int, ...], batch: int) -> int:
    return prod(shape) * batch


def op_primitives(row: Row) -> Primitives:
    """The primitive counts of a row ``from_torch`` saw only as an aten op in a forward body (whole batch);
    a layer's own rows count through :meth:`Leaf.primitives`."""
    fam, b = family(row), row.batch
    n_in, n_out = _elements(row.input_shape, b), _elements(row.output_shape, b)
    if fam in ("conv", "convtranspose", "linear", "matmul"):
        return Primitives(macs=row.macs)
    if fam in ("batchnorm", "layernorm", "groupnorm"):
        return Primitives(norm_elements=n_in)
    if fam in ("activation", "softmax"):
        return Primitives(activation_elements=n_out)
    if fam in ("mean", "adaptiveavgpool"):
        return Primitives(pool_reads=_adaptive_reads(row) * b, pool_inputs=n_in, pool_outputs=n_out)
    if fam == "add":
        return Primitives(add_elements=row.flops)
    if fam == "mul":
        return Primitives(mul_elements=row.flops)
    return Primitives()


def _adaptive_reads(row: Row) -> int:
    """Σ of the real adaptive windows for one sample: torch's window o spans ⌊o·I/O⌋ … ⌈(o+1)·I/O⌉−1."""
    from .arithmetic import adaptive_reads

    channels, spatial_in, spatial_out = row.input_shape[0], row.input_shape[1:], row.output_shape[1:]
    if len(spatial_out) != len(spatial_in):  # a mean that dropped the reduced dims: one window of everything
        return prod(row.input_shape)
    return channels * prod(adaptive_reads(i, o) for i, o in zip(spatial_in, spatial_out))


# --- the profiles: each tool's rule, row by row, as labelled terms --------------------------

Term = tuple[str, int]  # (what it is, how much it adds)


def _trap(what: str, row: Row, detail: str = "") -> str:
    """The label of a trap term: ``!what|where (detail)``; terms with the same ``what`` add up."""
    return f"!{what}|{row.where}" + (f", {detail}" if detail else "")

#: The version of each tool a profile reproduces.
VERSIONS = {
    "paper": "torchvision's model tables; the papers' multiply-adds",
    "torch": "torch.utils.flop_counter.FlopCounterMode (torch 2.13)",
    "fvcore": "fvcore 0.1.5.post20221221, FlopCountAnalysis(...).total(), model in eval mode",
    "torchinfo": "torchinfo 1.8.0, summary(...).total_mult_adds",
    "thop": "thop 0.1.1.post2209072238, profile(...)[0]",
    "ptflops": "ptflops 0.7.5, get_model_complexity_info(..., backend='pytorch'), count_functional on (the default)",
}

#: One line per profile: what it adds up (the README's recipe table says the same at length).
RECIPES = {
    "paper": "conv and linear multiply-accumulates only",
    "torch": "2 FLOPs per conv, linear and matmul multiply-accumulate; nothing else",
    "fvcore": "MACs; batch norm 2 per element (1 without affine); layer, group and instance norm 5 per element (4 "
              "without affine); 2-d adaptive average pool 1 per input element; 2-d nearest and bilinear upsampling 1 "
              "and 4 per output element; nothing else (traced, so functional ops count; convs with padding='same' or "
              "'valid' and work never used count 0)",
    "torchinfo": "per leaf module call: each weight and bias element once per output position (conv) or once per "
                 "sample (everything else: norms' γ and β, PReLU's slopes); modules only",
    "thop": "MACs of conv (on output positions) and linear; batch, layer and instance norms 4 per element (2 without "
            "affine), group norm 0; PReLU 1 per element; average pool 1 per output, adaptive average pool (window+1) per "
            "output; softmax; upsampling 1, 5, 11 or 259 per output (nearest, linear, bilinear, bicubic); modules only",
    "ptflops": "MACs plus biases; ReLU-family activations (PReLU, ELU), pools and norms by element (several twice: the module "
               "hook and the patched F.* call both count, nn.Upsample too); F.* and torch.add/mul/matmul calls and the "
               "methods x.add/mul/matmul; functional convs, F.linear, F.log_softmax, torch.einsum and operators (+, *, @) "
               "not at all",
}


def _paper(row: Row) -> list[Term]:
    return [(_MACS, row.macs)] if row.macs else []


def _torch(row: Row) -> list[Term]:
    if (own := _FAMILY_RULES.get(family(row), {}).get("torch")) is not None:  # a family whose rules live beside its layers'
        return own(row)
    return _torch_macs(row)


def _torch_macs(row: Row) -> list[Term]:
    return [("2 FLOPs per multiply-accumulate", 2 * row.macs)] if row.macs else []


def _fvcore(row: Row) -> list[Term]:
    terms = _fvcore_counted(row)
    counted = sum(amount for _, amount in terms)
    if UNUSED in row.facts and counted:
        return [*terms, (_trap("work whose result never reaches the output is not counted: the JIT trace drops "
                               "it as dead code", row), -counted)]
    return terms


def _fvcore_counted(row: Row) -> list[Term]:
    fam, p, spec = family(row), row.primitives, row.spec
    if (own := _FAMILY_RULES.get(fam, {}).get("fvcore")) is not None:  # a family whose rules live beside its layers'
        return own(row)
    if p.macs:
        if fam in ("conv", "separable") and _named_padding(row):
            return [(_MACS, p.macs), (_trap("a convolution with padding='same' or 'valid' is not counted: fvcore 0.1.5 "
                                            "has no handle for aten::_convolution_mode", row), -p.macs)]
        if BROADCAST_MATMUL in row.facts:
            return [(_MACS, p.macs), _unsure("a matmul whose first operand is broadcast: fvcore charges that "
                                             "operand's elements × the columns, not the MACs", row)]
        if EINSUM_PATH in row.facts:
            return [(_MACS, p.macs), _unsure("an einsum beyond one two-operand contraction: fvcore counts numpy's "
                                             "contraction path", row)]
        if row.call in _FVCORE_UNHANDLED_CALLS:
            return [(_MACS, p.macs), (_trap(f"{row.call} is not counted: fvcore 0.1.5's trace records it as one "
                                            f"{_FVCORE_UNHANDLED_CALLS[row.call]}, which it has no handle for", row), -p.macs)]
        if fam == "conv" and row.call == "function":
            return [(_MACS, p.macs), _unsure("a convolution whose Python call is unknown: fvcore counts 0 for "
                                             "padding='same'", row)]
        return [(_MACS, p.macs)]
    if fam == "batchnorm":
        affine = getattr(spec, "affine", NO_WEIGHT not in row.facts)
        if BATCH_STATISTICS in row.facts:  # (fvcore's batchnorm_flop_jit with training=True: its norm counter)
            return [(f"batch norm on batch statistics, {5 if affine else 4} per element", p.norm_elements * (5 if affine else 4))]
        return [(f"batch norm, {2 if affine else 1} per element", p.norm_elements * (2 if affine else 1))]
    if fam in ("groupnorm", "instancenorm") and spec is not None:  # aten::group_norm / instance_norm: 5, 4 without γ
        per = 5 if getattr(spec, "affine", True) else 4
        return [(f"group and instance norm, {per} per element", p.norm_elements * per)]
    if fam in ("layernorm", "layernorm2d", "groupnorm"):
        affine = getattr(spec, "elementwise_affine", getattr(spec, "affine", NO_WEIGHT not in row.facts))
        return [(f"layer and group norm, {5 if affine else 4} per element", p.norm_elements * (5 if affine else 4))]
    if fam == "adaptiveavgpool" and len(row.input_shape) == 3:
        return [("2-d adaptive average pool, 1 per input element", p.pool_inputs)]
    if fam == "upsample":
        return _fvcore_upsample(row)
    return []


#: Python calls whose aten ops (the matmuls torch decomposes them into on the meta device, which from_torch
#: counts) fvcore's JIT trace records as one op of its own, with no handle in fvcore 0.1.5: counted 0 there.
_FVCORE_UNHANDLED_CALLS = {"F.scaled_dot_product_attention": "aten::scaled_dot_product_attention"}


def _fvcore_upsample(row: Row) -> list[Term]:
    """fvcore 0.1.5 has handles for two upsampling ops only: aten::upsample_nearest2d (1 per output element) and
    aten::upsample_bilinear2d (4 per output element); nearest-exact, 1-d, 3-d and bicubic ops count 0."""
    mode = _fields_of(row).mode
    lead = 2 if ON_PARAMETERS in row.facts else 1  # (on parameters, the row shows the tensor whole: its own dim 0 too)
    per = {"nearest": 1, "bilinear": 4}.get(mode, 0) if len(row.input_shape) - lead == 2 else 0
    if not per:
        return []
    return [(f"2-d {mode} upsampling, {per} per output element", per * _elements(row.output_shape, row.batch))]


def _named_padding(row: Row) -> bool:
    """Whether torch runs the conv with its padding named (``'same'``, ``'valid'``): aten::_convolution_mode."""
    if NAMED_PADDING in row.facts:
        return True
    spec = row.spec
    return (isinstance(getattr(spec, "padding", None), str) and getattr(spec, "padding_mode", "zeros") == "zeros"
            and _torch_module_name(row) in ("Conv1d", "Conv2d", "Conv3d"))


def _torchinfo(row: Row) -> list[Term]:
    return _torchinfo_leaf(row) + _torchinfo_rule(row)


def _torchinfo_leaf(row: Row) -> list[Term]:
    """torchinfo 1.8.0's LayerInfo.calculate_macs on a leaf module convcalc reads op by op (ScaledStdConv2d,
    torchvision's LayerNorm2d, timm's RmsNorm): each parameter named ``weight`` or ``bias`` once per output
    position in a class whose name holds "Conv", else once per sample; any other name holding "weight" or
    "bias" once per output row (``output[0]·output[1]``); other parameters (``gamma``, ``gain``) not at all."""
    fact = next((f for f in row.facts if f.startswith(LEAF_MODULE + "|")), None)
    if fact is None:
        return []
    _, name, sizes, output = fact.split("|")
    if not output:
        return [_unsure("a leaf module whose output is not one tensor: torchinfo's charge for its parameters depends on "
                        "how it reads that output", row)]
    out = [int(d) for d in output.split("x")]
    amount = 0
    for entry in sizes.split(","):
        param, _, size = entry.rpartition("=")
        if param in ("weight", "bias"):
            amount += int(size) * (prod(out[:1] + out[2:]) if "Conv" in name else out[0])
        elif "weight" in param or "bias" in param:
            amount += int(size) * prod(out[:2])
    return [("parameters of leaf modules read op by op, by their names", amount)] if amount else []


def _torchinfo_rule(row: Row) -> list[Term]:
    if row.call != "module":
        return _missed(row)
    fam, b = family(row), row.batch
    if (own := _FAMILY_RULES.get(fam, {}).get("torchinfo")) is not None:  # a family whose rules live beside its layers'
        return own(row)
    weights, biases = _own_params(row)
    if fam in ("conv", "convtranspose", "separable"):
        positions = b * prod(row.output_shape[1:])  # "Conv" in the class name: every parameter at every output position
        terms = [(_MACS, row.macs)]
        counted = weights * positions  # (a separable conv's two convs share its output positions: its 1×1 keeps them)
        if counted != row.macs:
            terms.append((_transposed_trap(row, counted), counted - row.macs))
        if biases:
            terms.append(("conv biases, once per output position", biases * positions))
        return terms
    if fam == "linear":
        counted, terms = weights * b, [(_MACS, row.macs)]
        if counted != row.macs:
            label = _trap(f"Linear on a {len(row.input_shape) + 1}-d input charged once per sample, not once per "
                          "position", row, f"{_ratio(counted, row.macs)} its MACs")
            terms.append((label, counted - row.macs))
        if biases:
            terms.append(("linear biases, once per sample", biases * b))
        return terms
    if fam in ("batchnorm", "layernorm", "layernorm2d") and weights + biases:  # a weight and a bias, once per sample
        name = "batch norm" if fam == "batchnorm" else "layer norm"
        return [(f"{name} weights and biases, once per sample", (weights + biases) * b)]
    if fam in ("groupnorm", "instancenorm", "prelu") and weights + biases:
        name = "PReLU slopes" if fam == "prelu" else "group and instance norm weights and biases"
        return [(f"{name}, once per sample", (weights + biases) * b)]
    return []


def _thop(row: Row) -> list[Term]:
    if row.call != "module":
        return _missed(row)
    fam, spec, p = family(row), _fields_of(row), row.primitives
    if (own := _FAMILY_RULES.get(fam, {}).get("thop")) is not None:  # a family whose rules live beside its layers'
        return own(row)  # (written for the other library's classes too: torchvision's PatchMerging calls Linear modules)
    if _foreign(row):  # thop hooks a module by its exact class (register_hooks[type(m)]): another library's is not there
        macs = row.primitives.macs
        return [(_MACS, macs), (_trap("a layer whose class is not torch's own is not counted: thop hooks torch's own "
                                      "classes only", row), -macs)] if macs else []
    terms: list[Term] = []
    if fam in ("conv", "separable", "linear"):
        terms = [(_MACS, p.macs)]
    elif fam == "convtranspose":  # output elements × (input channels / groups) × Πk
        counted = _elements(row.output_shape, row.batch) * (row.input_shape[0] // spec.groups) * prod(spec.kernel_size)
        terms = [(_MACS, p.macs), (_transposed_trap(row, counted), counted - p.macs)]
    elif fam in ("batchnorm", "layernorm", "instancenorm"):  # count_normalization (GroupNorm has no rule: 0)
        affine = getattr(spec, "affine", getattr(spec, "elementwise_affine", True))
        name = {"batchnorm": "batch norm", "layernorm": "layer norm"}.get(fam, "instance norm")
        terms = [(f"{name}, {4 if affine else 2} per element", p.norm_elements * (4 if affine else 2))]
    elif fam == "prelu":  # count_prelu: the input's elements, in eval mode
        terms = [("PReLU, 1 per element", p.activation_elements)]
    elif fam == "avgpool":
        terms = [("average pool, 1 per output", p.pool_outputs)]
    elif fam == "adaptiveavgpool":  # thop divides the sizes as floats and truncates the total
        window = 1.0
        for i, o in zip(row.input_shape[1:], row.output_shape[1:]):
            window *= i / o
        terms = [("adaptive average pool, window + 1 per output", int((window + 1) * p.pool_outputs))]
    elif fam == "upsample":  # count_upsample, on nn.Upsample and its two 2-d subclasses; other modes count 0
        per = _THOP_UPSAMPLE.get(spec.mode, 0)
        terms = [(f"{spec.mode} upsampling, {per} per output element", per * _elements(row.output_shape, row.batch))] if per else []
    elif fam == "softmax":
        dim = _softmax_dim(row)
        features = row.input_shape[dim]
        terms = [("softmax, 3n − 1 per row of n", p.activation_elements // features * (3 * features - 1))]
    return _shared(row, terms, row.registrations ** 2, "thop hooks it once per place and counts it once per place")


#: thop 0.1.1's calculate_upsample: operations per output element by mode (trilinear and nearest-exact: none).
_THOP_UPSAMPLE = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259}


def _ptflops_interpolate(row: Row) -> list[Term]:
    """ptflops' patched F.interpolate (nn.Upsample and its subclasses call it too): with ``size``, batch·C·Πsize;
    with ``scale_factor``, the input's elements times Πscale (a float: the tool truncates its total, this row's
    share is truncated here)."""
    spec = _fields_of(row)
    if spec.size is not None:
        amount = _elements(row.output_shape, row.batch)
    else:
        scale = spec.scale_factor
        if isinstance(scale, tuple):  # ptflops: np.prod(scale_factor, dtype=int64) for a tuple (each factor truncated)
            factor: float = prod(int(s) for s in scale)
        else:
            factor = scale ** (len(row.input_shape) - 1)
        amount = int(_elements(row.input_shape, row.batch) * factor)
    if row.call == "F.upsample":  # the patched F.upsample, then the patched F.interpolate it calls
        return [("upsampling, per element (patched F.upsample and the F.interpolate it calls)", 2 * amount)]
    return [("upsampling, per element (patched F.interpolate)", amount)]


def _ptflops(row: Row) -> list[Term]:
    fam, spec, p = family(row), _fields_of(row), row.primitives
    inside = _ptflops_container(row)
    if inside is not None:
        if row.call != "module":
            return inside + _ptflops_rule(row, fam, spec, p)
        counted = _ptflops_rule(row, fam, spec, p)
        amount = sum(a for _, a in counted)
        return inside + counted + ([(_trap("a layer inside a module ptflops hooks as a whole (timm's Attention) is not "
                                           "added: ptflops sums a hooked module's own count only", row), -amount)] if amount else [])
    return _ptflops_rule(row, fam, spec, p)


def _ptflops_rule(row: Row, fam: str, spec: Any, p: Primitives) -> list[Term]:
    if (own := _FAMILY_RULES.get(fam, {}).get("ptflops")) is not None:  # a family whose rules live beside its layers'
        return own(row)
    module: list[Term] = []
    function: list[Term] = []
    if row.call == "module" and _foreign(row):
        return _ptflops_foreign(row, fam)
    if row.call == "module":
        torch_name = _torch_module_name(row)
        if fam in ("conv", "convtranspose", "separable", "linear"):
            module = [(_MACS, p.macs)] + ([("conv and linear biases, 1 per output", p.bias_adds)] if p.bias_adds else [])
        elif fam in ("activation", "prelu") and torch_name in _PTFLOPS_HOOKED_ACTIVATIONS:
            module = [("activations, 1 per element (module hook)", p.activation_elements)]
        elif fam in ("maxpool", "avgpool", "adaptivemaxpool", "adaptiveavgpool"):
            module = [("pools, 1 per input element (module hook)", p.pool_inputs)]
        elif fam == "batchnorm":
            affine = spec.affine
            module = [(f"batch norm, {2 if affine else 1} per element", p.norm_elements * (2 if affine else 1))]
        elif fam in ("groupnorm", "instancenorm"):  # the batch-norm hook, which reads `affine`
            per = 2 if spec.affine else 1
            module = [(f"group and instance norm, {per} per element", p.norm_elements * per)]
        elif fam == "layernorm":  # ptflops looks for `affine`, which LayerNorm does not have
            module = [("layer norm, 1 per element", p.norm_elements)]
        elif fam == "upsample" and torch_name == "Upsample":  # its MODULES_MAPPING names nn.Upsample, not the subclasses
            module = [("upsampling, 1 per output element (module hook)", _elements(row.output_shape, row.batch))]
        module = _shared(row, module, row.registrations, "ptflops counts it once per place")
        # what nn modules call through the F.* functions ptflops patches: counted a second time
        if torch_name in _CALLS_PATCHED_ACTIVATION:
            function = [("activations, 1 per element (patched F.relu/gelu/silu/elu/prelu)", p.activation_elements)]
        elif fam in ("maxpool", "avgpool", "adaptivemaxpool", "adaptiveavgpool"):
            function = [("pools, 1 per input element (patched F.*_pool)", p.pool_inputs)]
        elif fam == "softmax":
            function = [("softmax, 1 per element (patched F.softmax)", p.activation_elements)]
        elif fam == "upsample":
            function = _ptflops_interpolate(row)
        elif fam == "lrn":  # F.local_response_norm: two Tensor.mul, one Tensor.add and an avg_pool over padded channels
            padded = row.batch * (row.input_shape[0] + spec.size - 1) * prod(row.input_shape[1:])
            function = [("local response norm's Tensor.mul/add and avg_pool calls", 3 * p.norm_elements + padded)]
    elif fam == "upsample":  # F.interpolate (or F.upsample) in a forward body
        function = _ptflops_interpolate(row)
    elif row.call == "function" and fam in _PTFLOPS_FAMILIES | {"add", "mul"}:
        function = [_unsure("an operation whose Python call is unknown: ptflops counts it only through the F.* and "
                            "torch.* calls it patches", row)]
    elif _patched_by_ptflops(row, fam):
        if fam == "matmul" and (BROADCAST_MATMUL in row.facts or ADDMM_INPUT in row.facts):
            why = ("a matmul whose first operand is broadcast: ptflops charges that operand's elements × the columns"
                   if BROADCAST_MATMUL in row.facts else "torch.addmm/baddbmm: ptflops also charges the added matrix")
            function = [(_MACS, p.macs), _unsure(why, row)]
        elif fam in ("activation", "prelu"):
            function = [("activations, 1 per element (patched F.relu/gelu/silu/elu/prelu)", p.activation_elements)]
        elif fam == "softmax":
            function = [("softmax, 1 per element (patched F.softmax)", p.activation_elements)]
        elif fam == "matmul":
            function = [(_MACS, p.macs)]
        elif fam == "add":
            function = [("torch.add calls, 1 per element", p.add_elements)]
        elif fam == "mul":
            function = [("torch.mul calls, 1 per element", p.mul_elements)]
        else:
            function = [("pools, 1 per input element (patched F.*_pool)", p.pool_inputs)]
    elif fam in ("conv", "convtranspose", "linear", "matmul") and p.macs:
        what = f"a functional {row.kind}" if fam != "matmul" else f"a matrix product written {row.call}"
        function = [(_MACS, p.macs), (_trap(f"{what} is not counted", row), -p.macs)]
    return module + function


def _ptflops_foreign(row: Row, fam: str) -> list[Term]:
    """A layer read from another library's class (timm's GELU): ptflops' module hooks key on the exact torch class
    (is_supported_instance), so only the F.* calls its forward made count, each as ptflops' patch counts it."""
    p, calls = row.primitives, _calls(row)
    patched = calls & _PTFLOPS_PATCHED
    terms: list[Term] = []
    if p.macs:
        terms = [(_MACS, p.macs), (_trap("a layer whose class is not torch's own is not counted: ptflops hooks torch's own "
                                         "classes only", row), -p.macs)]
    if not patched:
        return terms
    if len(patched) > 1 or fam not in ("activation", "prelu", "softmax", "maxpool", "avgpool", "adaptivemaxpool",
                                       "adaptiveavgpool", "upsample"):
        return [*terms, _unsure(f"a layer whose class is not torch's own and whose forward calls {', '.join(sorted(patched))}: "
                                "ptflops counts those calls, on tensors convcalc does not see", row)]
    if fam in ("activation", "prelu"):
        return [*terms, ("activations, 1 per element (patched F.relu/gelu/silu/elu/prelu)", p.activation_elements)]
    if fam == "softmax":
        return [*terms, ("softmax, 1 per element (patched F.softmax)", p.activation_elements)]
    if fam == "upsample":
        return [*terms, *_ptflops_interpolate(row)]
    return [*terms, ("pools, 1 per input element (patched F.*_pool)", p.pool_inputs)]


#: The torch activation modules ptflops 0.7.5 hooks (its MODULES_MAPPING), by torch's class name.
_PTFLOPS_HOOKED_ACTIVATIONS = {"ReLU", "ReLU6", "LeakyReLU", "GELU", "ELU", "PReLU"}
#: The torch modules whose forward calls F.relu, F.gelu, F.silu, F.elu or F.prelu, which ptflops also patches.
_CALLS_PATCHED_ACTIVATION = {"ReLU", "GELU", "SiLU", "ELU", "PReLU"}


def _torch_module_name(row: Row) -> str:
    """The torch class a row's layer is as a module (``ReLU`` for torch.nn's): what module-hooking tools key on."""
    target = type(row.spec).torch_class() if row.spec is not None else None
    if isinstance(target, str):
        return target.rpartition(":")[2]
    return target.__name__ if isinstance(target, type) else ""


#: The torch functions ptflops 0.7.5 wraps while it counts: each call adds its input's elements
#: (matmuls: their MACs). F.linear, F.conv*, F.log_softmax and torch.einsum are not among them; operators
#: (+, *, @) never are, nor in-place methods (x.add_); the Tensor methods x.add, x.mul, x.matmul, … are.
_PTFLOPS_PATCHED = {"F.relu", "F.prelu", "F.elu", "F.relu6", "F.gelu", "F.silu", "F.softmax", "F.avg_pool1d",
                    "F.avg_pool2d", "F.avg_pool3d", "F.max_pool1d", "F.max_pool2d", "F.max_pool3d",
                    "F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool3d", "F.adaptive_max_pool1d",
                    "F.adaptive_max_pool2d", "F.adaptive_max_pool3d", "torch.matmul", "torch.mm", "torch.bmm",
                    "torch.addmm", "torch.baddbmm", "torch.add", "torch.mul", "x.matmul", "x.mm", "x.bmm", "x.addmm",
                    "x.add", "x.mul"}
_PTFLOPS_FAMILIES = {"activation", "prelu", "softmax", "matmul", "maxpool", "avgpool", "adaptivemaxpool", "adaptiveavgpool"}


def _patched_by_ptflops(row: Row, fam: str) -> bool:
    """Whether ptflops sees a call made in a forward body: the call is one it patches (from_torch records the
    Python call each op ran under; an op whose call is unknown is flagged by the rule instead)."""
    return row.call in _PTFLOPS_PATCHED and fam != "none"


def _unsure(why: str, row: Row) -> Term:
    """The mark of a row the profile cannot reproduce exactly: ``?why|where``; it adds nothing (the terms
    beside it are the best figure known), and the comparison says the profile is not exact there."""
    return (f"?{why}|{row.where}", 0)


def _missed(row: Row) -> list[Term]:
    """Work done in a forward body, which module hooks never see: only a conv or matmul is worth naming."""
    macs = row.primitives.macs
    if not macs:
        return []
    return [(_MACS, macs), (_trap(f"a functional {row.kind} is not counted", row), -macs)]


def _shared(row: Row, terms: list[Term], times: int, why: str) -> list[Term]:
    """A module held at several places in the module tree: the tool multiplies what it counts."""
    if times == 1 or not terms:
        return terms
    extra = sum(amount for _, amount in terms) * (times - 1)
    label = _trap(f"a module held at {row.registrations} places: {why}", row, f"{times}× its cost")
    return [*terms, (label, extra)] if extra else terms


def _transposed_trap(row: Row, counted: int) -> str:
    return _trap("a transposed conv charged at every output position, not input position", row,
                 f"{_ratio(counted, row.macs)} its MACs")


def _ratio(counted: int, macs: int) -> str:
    if not macs:
        return "charged where nothing is computed"
    r = counted / macs
    if r >= 1:
        return f"{r:.3g}×"
    return f"1/{round(1 / r):,} of" if 1 / r >= 10 else f"1/{1 / r:.3g} of"


def _softmax_dim(row: Row) -> int:
    """The dim of the per-sample shape softmax runs over (torch's implicit choice for dim=None)."""
    dim = getattr(row.spec, "dim", None)
    rank = len(row.input_shape) + 1
    if dim is None:
        dim = 0 if rank in (0, 1, 3) else 1
    dim = dim % rank
    return max(dim - 1, 0)


def _own_params(row: Row) -> tuple[int, int]:
    """(weights, biases) the layer itself holds, as its module's ``named_parameters`` lists them: also on
    a second use of it, and also where a weight is tied to another module's (rows count those once)."""
    if row.spec is None or row.spec.open_size is not None or isinstance(row.spec, Join):  # (a join holds none)
        return row.weights, row.biases
    effect = row.spec.effect(row.input_shape)
    return effect.weights, effect.biases


# --- lookups and recurrent layers: each tool's rule, read from its source -----------------------------------
#
# torchinfo 1.8.0 (LayerInfo.calculate_macs), per leaf module: a parameter named "weight" or "bias" (Embedding's,
# EmbeddingBag's) once per element of the output's dim 0 (the sample); any other name containing "weight" or
# "bias" (weight_ih_l0, bias_hh, weight_hr_l0: recurrent layers and cells) once per element of the output's first
# two dims: a sequence's N·L, but a cell's output is N×H, so a cell's parameters are charged N·H times.
# fvcore 0.1.5 traces nn.RNN/LSTM/GRU as one aten::rnn_tanh/lstm/gru op, which it has no handle for (0); a cell's
# trace is its matrix products (its MACs); aten::embedding and embedding_bag have no handle (0).
# thop 0.1.1 (rnn_hooks.py): per step, sample, layer and direction, RNN H·(in+H) + H (+2H with bias), GRU
# 3·(H·(in+H) + H (+2H)) + 4H, LSTM 4·(H·(in+H) + H (+2H)) + 4H, where in is input_size for layer 1 and
# H·directions after (proj_size is ignored); the cells the same for one step; no rule for embeddings (0).
# ptflops 0.7.5 (rnn_flops_counter_hook, rnn_cell_flops_counter_hook): per step, sample and direction, for each
# layer, the elements of weight_ih and weight_hh (their real sizes; weight_hr not counted), the gates' extra
# work (RNN H, GRU 7H, LSTM 10H) and with bias both bias vectors; the cells the same for one step; embeddings 0.


def _steps(row: Row) -> int:
    return row.input_shape[0] if family(row) == "rnn" else 1


def _torchinfo_embedding(row: Row) -> list[Term]:
    if row.call != "module":  # F.embedding in a forward body: no module, no hook
        return _missed(row)
    weights, biases = _own_params(row)
    return [(_trap("an embedding's table charged once per sample, though a lookup multiplies nothing", row),
             (weights + biases) * row.batch)]


def _torchinfo_recurrent(row: Row) -> list[Term]:
    weights, biases = _own_params(row)
    if family(row) == "rnn":  # every parameter once per step and sample: the weights' share is the MACs
        counted = (weights + biases) * row.batch * row.input_shape[0]
        return [(_MACS, row.macs), ("recurrent biases (b_ih, b_hh), once per step and sample", counted - row.macs)]
    counted = (weights + biases) * row.batch * row.output_shape[0]
    return [(_MACS, row.macs), (_trap("a recurrent cell's parameters charged once per hidden unit of its output (the "
                                      "output's first two dims taken for steps)", row), counted - row.macs)]


def _fvcore_recurrent(row: Row) -> list[Term]:
    if family(row) == "rnncell":  # traced as its matrix products
        return [(_MACS, row.macs)]
    return [(_MACS, row.macs), (_trap("nn.RNN/LSTM/GRU trace as one aten::rnn_tanh/lstm/gru op, which fvcore has no "
                                      "handle for: counted 0", row), -row.macs)]


def _thop_cell(spec: Any, fin: int) -> int:
    """thop's _count_rnn_cell / _count_gru_cell / _count_lstm_cell for one step of one sample."""
    h = spec.hidden_size
    gate = h * (fin + h) + h + (2 * h if spec.bias else 0)
    gates = getattr(spec, "gates", 0) or spec.sequence.gates
    return {1: gate, 3: 3 * gate + 4 * h, 4: 4 * gate + 4 * h}[gates]


def _thop_recurrent(row: Row) -> list[Term]:
    spec = _fields_of(row)
    if family(row) == "rnncell":
        counted = _thop_cell(spec, spec.input_size) * row.batch
    else:
        d = spec.directions
        sizes = [spec.input_size] + [spec.hidden_size * d] * (spec.num_layers - 1)  # (thop: H·D after layer 1)
        counted = sum(d * _thop_cell(spec, size) for size in sizes) * row.batch * row.input_shape[0]
    label = "recurrent gates' biases and elementwise work (thop's count_rnn/gru/lstm" + (
        ", on hidden_size where proj_size projects h)" if getattr(spec, "proj_size", 0) else ")")
    return [(_MACS, row.macs), (label, counted - row.macs)]


#: ptflops' gates' extra work per hidden unit (rnn_flops), by the number of gate matrices.
_PTFLOPS_EXTRA = {1: 1, 3: 7, 4: 10}


def _ptflops_recurrent(row: Row) -> list[Term]:
    spec = _fields_of(row)
    cell = family(row) == "rnncell"
    seq = spec.sequence if cell else spec
    g, h = seq.gates, spec.hidden_size
    hout = h if cell else spec.out_size
    sizes = [spec.input_size] if cell else spec.layer_inputs()
    per = sum(g * h * size + g * h * hout + _PTFLOPS_EXTRA[g] * h + (2 * g * h if spec.bias else 0) for size in sizes)
    counted = per * row.batch * _steps(row) * (1 if cell else spec.directions)
    label = "recurrent gates' biases and elementwise work (ptflops' rnn hook" + (
        "; the projection weight_hr not counted)" if getattr(spec, "proj_size", 0) else ")")
    return [(_MACS, row.macs), (label, counted - row.macs)]


#: Rules for a family kept beside its layers' (above) rather than in each tool's rule: family -> profile -> rule.
#: (paper and torch count the MACs as for every row.)
_FAMILY_RULES: dict[str, dict[str, Callable[[Row], list[Term]]]] = {
    "embedding": {"torchinfo": _torchinfo_embedding},
    "rnn": {"torchinfo": _torchinfo_recurrent, "fvcore": _fvcore_recurrent, "thop": _thop_recurrent,
            "ptflops": _ptflops_recurrent},
    "rnncell": {"torchinfo": _torchinfo_recurrent, "fvcore": _fvcore_recurrent, "thop": _thop_recurrent,
                "ptflops": _ptflops_recurrent},
}
# --- attention (convcalc.layers.attention) and RMSNorm: what each tool charges, read from its source and held to
# it in tests/test_attention.py. torch decides at run time whether nn.MultiheadAttention takes its fused inference
# "fast path" (eval, no_grad, CPU or CUDA: batch_first self-attention with biases, an even number of heads, no
# bias_k/bias_v or zero attention, keys and values of embed_dim features); what the tools see depends on it.

_ATTENTION_FAMILIES = frozenset({"attention", "sdpa", "transformer", "rmsnorm"})


def _fast_path(spec: Any, cross: bool = False) -> bool:
    """Whether torch runs this attention as one fused op (``_native_multi_head_attention``) at inference on CPU or
    CUDA: a self-attention (convcalc sees shapes, so keys and values as long as the queries and of embed_dim
    features stand for the same tensor) with the conditions torch's MultiheadAttention.forward checks."""
    return (not cross and spec.batch_first and spec.num_heads % 2 == 0 and spec.bias and not spec.add_bias_kv
            and not spec.add_zero_attn and spec.kdim is None and spec.vdim is None and spec.source_length is None)


def _ptflops_mha_hook(spec: Any, length: int) -> int:
    """ptflops 0.7.5's multihead_attention_counter_hook for one sample: q scaling L·E, projections L·E² + S·kdim² +
    S·vdim² (the key's and value's own widths, squared), biases (L+2S)·E, per head L·S·E/H + L·S + L·S·vdim/H, and the
    output projection L·vdim·(vdim+1) (S: the keys as passed, without bias_k or the zero row)."""
    e, h = spec.embed_dim, spec.num_heads
    kd, vd = spec.kdim or e, spec.vdim or e
    s = spec.source_length or length
    flops = length * e + length * e * e + s * kd * kd + s * vd * vd
    flops += (length + 2 * s) * e if spec.bias else 0
    flops += h * (length * s * (e // h) + length * s + length * s * (vd // h))
    return flops + length * vd * (vd + 1)


def _attention_terms(tool: str, row: Row) -> list[Term]:
    """The terms of an attention, transformer-layer or RMSNorm row for ``tool``."""
    fam, spec, b, macs = family(row), _fields_of(row), row.batch, row.macs
    length = row.input_shape[0] if row.input_shape else 0
    if fam == "rmsnorm":  # no tool has a rule for it; torchinfo charges γ once per sample, as for any weighted module
        return [("RMSNorm weights, once per sample", row.weights * b)] if tool == "torchinfo" and row.weights else []
    if fam == "sdpa":  # a functional call (or convcalc's own module): no tool counts it
        return [(_MACS, macs), (_trap(f"scaled_dot_product_attention is not counted by {tool}", row), -macs)] if macs else []
    if fam == "attention":
        return _mha_terms(tool, row, spec, length, b, macs)
    e, f = spec.d_model, spec.dim_feedforward
    mlp = 2 * length * e * f * b  # linear1 and linear2
    norms = spec.attentions + 1
    attentions = [(name, mha, name != "self_attn") for name, mha in spec.attention_parts()]
    attention_macs = macs - mlp
    if tool == "torchinfo":  # only its Linear and LayerNorm children run as modules: each parameter once per sample
        linear = (2 * e * f + ((e + f) if spec.bias else 0)) * b
        layer_norms = norms * (e + (e if spec.bias else 0)) * b
        return [(_MACS, macs), (_trap("a transformer layer charged its Linears' weights and biases once per sample, and "
                                      "nothing for its attention", row), linear - macs),
                ("layer norm weights and biases, once per sample", layer_norms)]
    if tool == "thop":  # its Linear and LayerNorm children (4 per element); attention has no thop rule
        return [(_MACS, macs), (_trap("attention inside a transformer layer has no thop rule", row), -attention_macs),
                ("layer norm, 4 per element", 4 * norms * length * e * b)]
    if tool == "fvcore":  # the layer calls its attention with need_weights=False: torch runs scaled_dot_product_attention
        missed = 0
        for _, mha, cross in attentions:
            parts = mha.macs_by_part(length)
            missed += (sum(parts.values()) if _fast_path(mha, cross) else parts["QKᵀ"] + parts["AV"]) * b
        terms = [(_MACS, macs), ("layer norm, 5 per element", 5 * norms * length * e * b)]
        if missed:
            terms.append((_trap("attention in a transformer layer: fvcore counts no fused fast-path op and no "
                                "scaled_dot_product_attention, only the projections of the standard path", row), -missed))
        return terms
    # ptflops: its MultiheadAttention hook on each attention, its Linear hook (MACs and biases), its LayerNorm hook (1 per
    # element); the activation is the F.relu/F.gelu the layer captured when it was built, which ptflops does not patch
    hooks = sum(_ptflops_mha_hook(mha, length) for _, mha, _ in attentions) * b
    return [(_MACS, mlp), ("ptflops' MultiheadAttention hook, for the attention", hooks),
            ("linear biases, 1 per output", length * (e + f) * b if spec.bias else 0), ("layer norm, 1 per element", norms * length * e * b)]


def _mha_terms(tool: str, row: Row, spec: Any, length: int, b: int, macs: int) -> list[Term]:
    fast = _fast_path(spec)
    parts = spec.macs_by_part(length)
    attention = (parts["QKᵀ"] + parts["AV"]) * b
    if tool in ("torchinfo", "thop"):
        why = ("nn.MultiheadAttention is no leaf module to torchinfo (out_proj, its child, never runs as a module)"
               if tool == "torchinfo" else "nn.MultiheadAttention has no thop rule")
        return [(_MACS, macs), (_trap(f"{why}: counted 0", row), -macs)]
    need_weights = _unsure("QKᵀ, AV (and for ptflops the softmax) count only where the call asks for the attention weights "
                           "(need_weights=True, the default, assumed here); with need_weights=False torch runs "
                           "scaled_dot_product_attention, which the tool does not count", row)
    if tool == "fvcore":
        if fast:
            return [(_MACS, macs), (_trap("torch's fused fast path (eval, no_grad, batch_first self-attention): one op "
                                          "fvcore has no handle for", row), -macs)]
        return [(_MACS, macs), need_weights]
    scores = spec.num_heads * length * spec.key_lengths(length)[1] * b
    terms = [("ptflops' MultiheadAttention hook", _ptflops_mha_hook(spec, length) * b)]
    if not fast:  # the standard path also calls torch.bmm and F.softmax, which ptflops patches
        terms += [("torch.bmm and F.softmax of the standard path", attention + scores), need_weights]
    return terms
# --- Swin's and MaxViT's layers: one row each, whose parts the tools see as the calls torchvision's modules make ---


def _window_attention(name: str, row: Row) -> list[Term]:
    if name == "torch":
        return _torch_macs(row)
    return _window_attention_peers(name, row)


def _window_attention_peers(name: str, row: Row) -> list[Term]:
    """Swin's ShiftedWindowAttention (torchvision's, or convcalc's module, which runs the same calls): its qkv and
    proj Linear modules are never called (F.linear with their weights), so torchinfo and thop count nothing;
    fvcore traces the linears and both matmuls (MACs); ptflops sees the two ``x.matmul`` calls and F.softmax."""
    k, b = _fields_of(row).counts(row.input_shape), row.batch
    if name == "fvcore":
        return [(_MACS, row.macs)]
    if name == "ptflops":
        return [(_MACS, row.macs),
                (_trap("window attention's qkv and proj applied with F.linear, which ptflops does not patch", row),
                 -(k["qkv"] + k["proj"]) * b),
                ("softmax, 1 per element (patched F.softmax)", k["softmax"] * b)]
    return [(_MACS, row.macs), (_trap("window attention's Linear modules never run (F.linear on their weights): "
                                      "counted 0", row), -row.macs)]  # torchinfo, thop


def _relpos_attention(name: str, row: Row) -> list[Term]:
    """MaxViT's RelativePositionalMultiHeadAttention: to_qkv and merge are Linear modules it calls (every tool
    sees them); QKᵀ and A·V are torch.einsum (fvcore: one contraction each, its MACs; no other tool); F.softmax
    (ptflops). torchinfo charges each Linear's parameters once per sample."""
    spec = _fields_of(row)
    k, b, d = spec.counts(row.input_shape), row.batch, spec.feat_dim
    products = (k["scores"] + k["mix"]) * b
    unseen = (_trap("attention's QKᵀ and A·V are torch.einsum, which this tool does not see", row), -products)
    if name == "torch":  # torch.einsum multiplies elementwise, uncounted, where the summed dim has size 1
        counted = spec.counted_macs(row.input_shape, row.macs // b) * b
        return _torch_macs(row) + ([("an einsum torch runs as an elementwise product, not counted", 2 * (counted - row.macs))]
                              if counted != row.macs else [])
    if name == "fvcore":  # each einsum: numpy's einsum_path figure (2 per MAC), printed to 4 digits, halved and floored
        rounded = sum(floor(float(f"{2 * k[part] * b:.3e}") / 2) for part in ("scores", "mix")) - products
        trap = _trap("an einsum counted as numpy's einsum_path prints it, to 4 significant digits", row)
        return [(_MACS, row.macs)] + ([(trap, rounded)] if rounded else [])
    if name == "thop":
        return [(_MACS, row.macs), unseen]
    if name == "torchinfo":  # each Linear's weights and biases once per sample, not once per token
        charged = (4 * d * d + 4 * d) * b
        return [(_MACS, row.macs), unseen,
                (_trap(f"Linear on a {len(row.input_shape) + 1}-d input charged once per sample, not once per position", row),
                 charged - (row.macs - products))]
    if name == "ptflops":
        return [(_MACS, row.macs), unseen, ("conv and linear biases, 1 per output", row.primitives.bias_adds),
                ("softmax, 1 per element (patched F.softmax)", k["softmax"] * b)]
    return []


def _patch_merging(name: str, row: Row) -> list[Term]:
    """Swin's PatchMerging: its LayerNorm(4C) and Linear(4C, 2C, bias=False) are modules it calls."""
    p, b, c = row.primitives, row.batch, row.input_shape[-1]
    if name == "torch":
        return _torch_macs(row)
    if name == "fvcore":
        return [(_MACS, p.macs), ("layer and group norm, 5 per element", 5 * p.norm_elements)]
    if name == "thop":
        return [(_MACS, p.macs), ("layer norm, 4 per element", 4 * p.norm_elements)]
    if name == "torchinfo":  # the LayerNorm's γ and β and the Linear's weights, once per sample
        return [(_MACS, p.macs), ("layer norm weights and biases, once per sample", 8 * c * b),
                (_trap("Linear on a 4-d input charged once per sample, not once per position", row), 8 * c * c * b - p.macs)]
    if name == "ptflops":
        return [(_MACS, p.macs), ("layer norm, 1 per element", p.norm_elements)]
    return []


for _family, _rule in {"windowattention": _window_attention, "relposattention": _relpos_attention,
                      "patchmerging": _patch_merging}.items():  # Swin's and MaxViT's layers: every tool but paper
    _FAMILY_RULES[_family] = {tool: partial(_rule, tool) for tool in ("torch", "fvcore", "torchinfo", "thop", "ptflops")}


PROFILES: dict[str, Callable[[Row], list[Term]]] = {
    "paper": _paper, "torch": _torch, "fvcore": _fvcore, "torchinfo": _torchinfo, "thop": _thop, "ptflops": _ptflops,
}


for _family in _ATTENTION_FAMILIES:
    _FAMILY_RULES[_family] = {tool: partial(_attention_terms, tool) for tool in ("fvcore", "torchinfo", "thop", "ptflops")}


# --- totals and the comparison -------------------------------------------------------------


@record
class Trap:
    """A known way a tool goes wrong, met in this network: what it adds (or misses) and where."""

    what: str
    amount: int
    layers: tuple[str, ...]  # each layer it concerns, with the factor where there is one

    def __str__(self) -> str:
        first = self.layers[0]
        where = first if len(self.layers) == 1 else f"{len(self.layers)} layers, e.g. {first}"
        return f"trap: {self.what}, at {where}: {self.amount:+,}"


@record
class Inexact:
    """Rows a profile cannot reproduce exactly, and why: its figure counts them as best it knows."""

    why: str
    layers: tuple[str, ...]

    def __str__(self) -> str:
        n = len(self.layers)
        shown = ", ".join(self.layers[:2]) + (f", … {n - 2} more" if n > 2 else "")
        return f"{n} row{'s' if n > 1 else ''} ({shown}): {self.why}"


@record
class Profile:
    """One tool's total for a network, the terms it is made of (label -> amount) and the traps met;
    ``inexact`` lists the rows it cannot reproduce exactly (empty: the figure is the tool's)."""

    name: str
    total: int
    terms: dict[str, int]
    traps: tuple[Trap, ...]
    recipe: str
    version: str
    unknown: tuple[str, ...] = ()  # rows of a layer type of the user's own, which this tool's rule does not know
    inexact: tuple[Inexact, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the total is what the tool prints (no row it cannot reproduce)."""
        return not self.inexact

    def not_exact(self) -> str:
        """``not exact: 2 rows (…): why; …`` — one line, empty where the profile is exact."""
        return "not exact: " + "; ".join(map(str, self.inexact)) if self.inexact else ""

    def difference(self, paper: int) -> float | None:
        """The total's difference from ``paper`` in percent (None when paper is 0)."""
        return None if paper == 0 else (self.total - paper) / paper * 100

    def reason(self) -> str:
        """Where the difference from the paper figure comes from, in one sentence (after the line that says
        where the figure is not exact, if it is not)."""
        first = f"{self.not_exact()}; " if self.inexact else ""
        if self.name == "paper":
            return "conv and linear multiply-accumulates: the figure papers and torchvision publish"
        if self.name == "torch":
            return first + "2 FLOPs per multiply-accumulate, as FlopCounterMode counts; it charges nothing else"
        parts = [f"{label} {amount:+,}" for label, amount in self.terms.items() if label != _MACS and amount]
        parts += [str(t) for t in self.traps]
        return first + ("; ".join(parts) if parts else "the same sum as the paper figure")


_MACS = "conv and linear MACs"


#: The families each tool's rule above is written for: a row of any other family (a layer type added
#: since, whose rule for this tool is not written yet) makes the profile say it is not exact there.
#: (Add a family here with its rule.)
#: Every family the rules are written for: the layer families (each rule is held to its tool for each
#: of them in the tests) and the ops from_torch sees only in forward bodies.
_WRITTEN = FAMILIES | {"matmul", "mean"}


def _checked(name: str, row: Row, fam: str) -> list[Term]:
    """Why a tool's figure for a row may not be exact, whatever its rule says: a family the rule is not
    written for, or an operation convcalc has no formula for, which the tool may count."""
    if fam == "custom":
        return [_unsure(f"a layer type of your own, which {name} does not know, counted as 0", row)]
    if fam not in _WRITTEN:
        return [_unsure(f"{name}'s rule is not written for {fam} layers yet", row)]
    if row.unsupported and name != "torch":  # (FlopCounterMode counts no op convcalc lacks a formula for)
        return [_unsure(f"convcalc has no formula for it, which {name} may count", row)]
    return []


#: The torch profile's term for a training step's backward (each layer's :attr:`~convcalc.layers.base.Backward.torch_flops`).
_BACKWARD = "backward: 2 FLOPs per multiply-accumulate of the gradients' conv and matrix products"


def profiles(report: Report) -> dict[str, Profile]:
    """Every profile of a report, computed over its leaf rows.

    A row of a layer type the user declared (family ``custom``) counts in ``paper`` by its MACs, as
    every row does; no other tool knows such a type, so those profiles count it as 0 and say so. Any
    row a profile cannot reproduce exactly (see :func:`_checked` and each rule's ``_unsure``) is named
    in the profile's ``inexact``.
    """
    rows = report.leaves
    out: dict[str, Profile] = {}
    for name, rule in PROFILES.items():
        terms: dict[str, int] = {}
        traps: dict[str, list[Any]] = {}  # what -> [amount, layers]
        unsure: dict[str, list[str]] = {}  # why -> layers
        unknown: list[str] = []
        for row in rows:
            fam = family(row)
            checked = [] if name == "paper" else _checked(name, row, fam)
            if name != "paper" and fam == "custom":
                unknown.append(row.where)
            for label, amount in checked + ([] if fam == "custom" and name != "paper" else rule(row)):
                if label.startswith("?"):
                    why, where = label[1:].split("|", 1)
                    unsure.setdefault(why, []).append(where)
                elif label.startswith("!"):
                    what, where = label[1:].split("|", 1)
                    trap = traps.setdefault(what, [0, []])
                    trap[0] += amount
                    trap[1].append(where)
                else:
                    terms[label] = terms.get(label, 0) + amount
        if name == "torch" and report.training is not None:  # a training step: FlopCounterMode over the backward too
            trained = [r for r in rows if r.trained is not None]
            terms[_BACKWARD] = sum(r.trained.torch_flops for r in trained if r.trained is not None)
            for r in trained:
                if r.trained is not None and not r.trained.modelled and _torch(r):
                    unsure.setdefault("a layer with no training model: its backward is not counted", []).append(r.where)
        found = tuple(Trap(what, amount, tuple(layers)) for what, (amount, layers) in traps.items())
        total = sum(terms.values()) + sum(t.amount for t in found)
        inexact = tuple(Inexact(why, tuple(layers)) for why, layers in unsure.items())
        out[name] = Profile(name, total, terms, found, RECIPES[name], VERSIONS[name], tuple(unknown), inexact)
    return out


#: Families whose torch module is one leaf module holding its parameters (no child modules): torchinfo's memory
#: estimate sees each call of one as a layer with parameters.
_LEAF_MODULE_FAMILIES = frozenset({"conv", "convtranspose", "linear", "batchnorm", "layernorm", "layernorm2d", "groupnorm",
                                   "instancenorm", "prelu", "embedding", "rnn", "rnncell", "mul"})


def torchinfo_total_size(report: Report) -> tuple[int, bool]:
    """torchinfo 1.8.0's "Estimated Total Size" in bytes, and whether convcalc reproduces it exactly: the input's bytes,
    plus twice the output of every call of a leaf module that holds parameters ("forward/backward pass size": x2 for
    gradients, it says), plus the parameters' bytes. Exact where every row with parameters is such a module."""
    rows = [r for r in report.leaves if r.call == "module" and r.spec is not None]
    holders = [r for r in rows if r.params or r.shared_with]
    exact = all(family(r) in _LEAF_MODULE_FAMILIES for r in holders) and all(
        r.call == "module" for r in report.leaves if r.params)
    outputs = sum(prod(r.output_shape) * r.batch * report.dtype_bytes for r in holders)
    return report.input_bytes + 2 * outputs + report.totals.param_bytes, exact


def keras_params(report: Report) -> dict[str, int]:
    """Parameters as Keras' summary gives them: batch-norm running statistics (2 per channel) are
    non-trainable parameters there, and frozen torch parameters are non-trainable too."""
    rows = report.leaves
    stats = sum(r.buffers for r in rows if family(r) == "batchnorm")
    t = report.totals
    return {"total": t.params + stats, "trainable": t.trainable_params, "non_trainable": t.params - t.trainable_params + stats}
