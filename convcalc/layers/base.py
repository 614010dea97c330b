"""What every layer spec shares: the type registry, argument checks, and the Effect record.

A layer spec is a frozen record (:mod:`convcalc.records`) with torch's constructor signature. A *leaf*
knows one thing: given the per-sample input shape (channels first, no batch),
what comes out and what it costs — its :meth:`Leaf.effect`. A *block*
(Sequential, Residual, Concat, Scale) declares how its children connect; the walk follows that.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod

from .. import records
from ..errors import ShapeError, SpecError
from ..records import dataclass_transform, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar, Literal, Protocol, TypeGuard, TypeVar

    L = TypeVar("L", bound="Leaf")
    T = TypeVar("T")
else:
    Protocol = object  # Ran below is a protocol for type checkers only

Shape = tuple[int, ...]
#: A size as torch's constructors take it: one int for every dim, or one per dim. Specs store the tuple.
Size = int | tuple[int, ...]

#: kind (torch's class name in lower case) -> layer class; filled as the classes are defined (built-ins)
#: or declared (``@cc.layer``).
LAYER_TYPES: dict[str, type[Layer]] = {}


@dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(records.field, records.Field))
def spec(cls: type[T]) -> type[T]:
    """Decorator for layer specs: immutable, with Layer's torch-style repr and Layer's value equality and
    hash (one pair for every layer type: written once here, not per class). A subclass that only sets
    class constants (Conv2d of _ConvNd) needs no decorator of its own."""
    made: type[T] = record(repr=False, eq=False)(cls)
    return made


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


class Layer:
    """Base of every layer spec. Concrete subclasses register under their ``kind``: convcalc's own
    when they are defined, the user's when :func:`layer` declares them (after checking them)."""

    kind: ClassVar[str] = ""
    #: The framework whose text names the layer type, when it is not torch (``"keras"``): its kind is
    #: prefixed with it (``keras_conv2d``), so that Keras' Conv2D and torch's Conv2d stay two kinds.
    framework: ClassVar[str] = ""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract or cls.__name__.startswith("_") or not cls.__module__.startswith("convcalc."):
            return  # a base or shared implementation, or a user's class (registered by @cc.layer)
        _register(cls)

    @property
    def name(self) -> str:
        """The class name as torch spells it (``Conv2d``)."""
        return type(self).__name__

    def _values(self) -> tuple[Any, ...]:
        """The constructor arguments as stored, in order: what equality and hashing compare
        (computed once per layer; a spec never changes)."""
        try:
            return self.__dict__["_values_"]
        except KeyError:
            pass
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in records.fields(cls)) if records.is_record(cls) else ()
        values = self.__dict__["_values_"] = tuple(getattr(self, n) for n in names)
        return values

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._values() == other._values()

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


def _register(cls: type[Layer]) -> None:
    kind = (f"{cls.framework}_" if cls.framework else "") + cls.__name__.lower()
    known = LAYER_TYPES.get(kind)
    if known is not None and not _redefined(known, cls):
        raise TypeError(f"layer kind {kind!r} is registered twice ({known!r} and {cls!r})")
    cls.kind = kind
    LAYER_TYPES[kind] = cls


def _clashes(cls: type[Leaf]) -> str | None:
    """Why a user's layer type cannot sit beside the registered ones: a spec-text name, a functional
    form or a torch class another type already has (a type declared again replaces its old self)."""
    names = {cls.__name__, *cls.aliases}
    functions = set(cls.functional_forms())
    bound = cls.torch if isinstance(cls.torch, type) else None
    for other in LAYER_TYPES.values():
        if not issubclass(other, Leaf) or other.kind == cls.__name__.lower() or not other.in_text:
            continue
        taken = names & {other.__name__, *other.aliases}
        if taken:
            return f"the name {sorted(taken)[0]!r} is {other.__name__}'s in spec text"
        taken = functions & set(other.functional_forms())
        if taken:
            return f"the functional form {sorted(taken)[0]!r} is {other.__name__}'s"
        if bound is not None and bound is _bound_class(other):
            return f"the torch module {bound.__name__} is bound to {other.__name__} (from_torch could not tell them apart)"
    return None


def _bound_class(cls: type[Leaf]) -> type | None:
    """The torch class a layer type is bound to, if torch is loaded already (checking never imports it)."""
    target = cls.torch_class()
    if not isinstance(target, str):
        return target if isinstance(target, type) else None
    module, _, name = target.partition(":")
    import sys

    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def _redefined(known: type, cls: type) -> bool:
    """A class defined again under the same module and name (a notebook cell run twice) replaces
    the old one; any other clash of kinds is an error."""
    same = (known.__module__, known.__qualname__) == (cls.__module__, cls.__qualname__)
    return same and not cls.__module__.startswith("convcalc.")


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
_PER_DIM = {"kernel_size", "stride", "padding", "dilation", "output_padding", "output_size",
            "strides", "dilation_rate", "pool_size"}  # (Keras' names)


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return repr(value[0])
    return repr(value)


def _same_value(value: Any, default: Any) -> bool:
    if isinstance(default, tuple) and len(default) == 1:  # a 1-tuple default stands for every dim, as torch reads it
        default = default[0]
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
    whole last dim: a Linear layer), ``"permute"`` (``order`` is the new order of dims), ``"global"``
    (each output reads every position, and the positions are gone: Keras' global pools) or ``"gather"``
    (per dim, explicit windows: output o reads ``dims[d][2o]`` … ``dims[d][2o+1]``; interpolation).
    """

    kind: Literal["same", "window", "transposed", "adaptive", "flatten", "dense", "permute", "global", "gather"] = "same"
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

    ``macs`` and ``flops`` are per sample; the walk multiplies by the batch.
    ``new_tensor`` is False for views (flatten), in-place activations and
    inference-time dropout, which allocate no activation memory;
    ``extra_elements`` counts intermediate tensors a composite leaf makes.
    ``frozen`` is how many of ``weights`` are non-trainable parameters (Keras' batch-norm moving
    mean and variance): they count in the parameters, and not in the trainable ones.
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
    frozen: int = 0


@record
class Saved:
    """One tensor autograd keeps for a layer's backward (what ``torch.autograd.graph.saved_tensors_hooks`` is shown).

    ``of`` says which: ``"input"`` (the layer's input; a join's inputs are ``"input"``, ``"input1"``, …), ``"output"``,
    or the name of a tensor the layer makes for its backward alone (max pool's ``"indices"``, dropout's ``"mask"``,
    batch norm's ``"mean"``). The input and output are the network's tensors: another layer saving the same one
    shares its memory, and the walk counts it once. ``elements`` is its size per sample (whole where ``batched`` is
    False: batch norm's per-channel statistics), ``dtype`` its dtype where that is not the activations'.
    """

    of: str
    elements: int
    dtype: str | None = None
    batched: bool = True


@record
class Grads:
    """What a training step asks of one layer: which of its inputs need a gradient (each one's ``requires_grad``),
    whether its own parameters do (``weights``: it has trainable ones), and the ``device`` whose kernels run it
    (``"cpu"`` or ``"cuda"``: dropout keeps a float noise tensor on the CPU and a bool mask on CUDA)."""

    inputs: tuple[bool, ...]
    weights: bool
    device: str = "cpu"
    #: the batch the step runs (a layer whose kernel keeps one buffer for the whole batch, an LSTM's workspace, sizes
    #: it so; per-sample tensors are :class:`Saved` per sample and the walk multiplies them)
    batch: int = 1

    @property
    def input(self) -> bool:
        return any(self.inputs)

    @property
    def any(self) -> bool:
        """Whether autograd records the layer at all: something it reads or holds requires a gradient."""
        return self.weights or any(self.inputs)


def saving(grads: Grads, *saved: Saved, input_flops: int = 0, weight_flops: int = 0, torch_flops: int = 0) -> Backward:
    """A layer's :class:`Backward` where autograd records it (something it reads or holds needs a gradient): it
    saves ``saved``, and each gradient's FLOPs count where that gradient is asked for. Nothing where none is."""
    if not grads.any:
        return Backward()
    return Backward(saved=saved, input_flops=input_flops if grads.input else 0,
                    weight_flops=weight_flops if grads.weights else 0, torch_flops=torch_flops)


@record
class Backward:
    """A layer's part in one training step (per sample, as :class:`Effect`).

    ``saved``: the tensors autograd keeps for its backward. ``input_flops`` and ``weight_flops``: the FLOPs of the
    gradient of its input and of its weights, by convcalc's convention (a product's gradient costs what the product
    cost, for each operand that needs one; an elementwise function's gradient 1 per element per input needing it).
    ``torch_flops``: what FlopCounterMode counts of the backward (conv and matrix products only, with its own
    rules). ``new_output``: whether training makes a new tensor where :class:`Effect` says inference does not, or
    the reverse (dropout: a new tensor in training, the input itself at inference); None: as the effect says.
    """

    saved: tuple[Saved, ...] = ()
    input_flops: int = 0
    weight_flops: int = 0
    torch_flops: int = 0
    new_output: bool | None = None
    #: whether autograd keeps its weight tensors too (parameters, not counted; under autocast they are copies in the
    #: autocast dtype, which count): a conv always, a Linear where its input needs a gradient
    keeps_weights: bool = False


@record
class Laid:
    """A result's shape (batch included) with the order its dims lie in memory, outermost first, where that is not
    their own order: torch's batch-first LSTM returns its output time-major underneath, (1, 0, 2)."""

    shape: Shape
    order: tuple[int, ...]


@record
class Primitives:
    """The primitive counts of one row (whole batch): what every other tool's total is a sum of.

    ``macs``: conv, linear and matmul multiply-accumulates. ``bias_adds``: one per output
    element of a conv or linear layer with a bias. ``norm_elements``: elements a
    normalisation layer normalises (its input). ``activation_elements``: elements an
    activation function (softmax included) computes. ``pool_reads``: window reads of a pool,
    a window per output (padding included, as the nominal kernel; adaptive pools: their real
    windows); ``pool_inputs`` and ``pool_outputs``: a pool's input and output elements.
    ``add_elements``: elementwise additions (residual adds). ``mul_elements``: elementwise
    products (squeeze-and-excitation gates, layer scale).
    """

    macs: int = 0
    bias_adds: int = 0
    norm_elements: int = 0
    activation_elements: int = 0
    pool_reads: int = 0
    pool_inputs: int = 0
    pool_outputs: int = 0
    add_elements: int = 0
    mul_elements: int = 0

    def __add__(self, other: Primitives) -> Primitives:
        return Primitives(*(getattr(self, k) + getattr(other, k) for k in PRIMITIVES))

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in PRIMITIVES}


#: The primitive counts, in the order tables and JSON show them.
PRIMITIVES = tuple(f.name for f in records.fields(Primitives))


class Ran(Protocol):
    """What a layer's :meth:`Leaf.primitives` reads of the row it made (a report's Row is one)."""

    @property
    def input_shape(self) -> Shape: ...

    @property
    def output_shape(self) -> Shape: ...

    @property
    def batch(self) -> int: ...

    @property
    def macs(self) -> int: ...

    @property
    def flops(self) -> int: ...


@record
class Step:
    """One step of a worked formula: ``params = kh·kw·Cin·Cout + Cout = 5·5·3·10 + 10 = 760``.

    ``quantity`` names what is computed (``parameters``, ``MACs``; empty: the step goes on
    from the one above), ``symbolic`` the formula in symbols, ``substituted`` the same with
    the numbers in, ``value`` what it comes to, ``note`` an aside. Readers (``convcalc
    check``) take the fields; :meth:`text` writes the line.
    """

    quantity: str
    symbolic: str
    substituted: str = ""
    value: int | str | None = None
    note: str = ""

    def text(self) -> str:
        parts = [self.symbolic] + ([self.substituted] if self.substituted else [])
        if self.value is not None:
            parts.append(f"{self.value:,}" if isinstance(self.value, int) else self.value)
        return " = ".join(parts) + (f"  ({self.note})" if self.note else "")


def dims_text(shape: Shape) -> str:
    """``(10, 32, 32)`` -> ``10×32×32``, as worked formulas write a shape."""
    return "×".join(map(str, shape))


class Leaf(Layer, abstract=True):
    """A layer with no children: it computes its own :class:`Effect`.

    Everything convcalc knows about a layer type is declared on its class: its names in spec
    text (the class name, ``aliases`` and the ``functional`` forms), its :meth:`effect`, its
    :meth:`primitives` (what other tools count), its worked formula (:meth:`explain`) and its
    torch binding (``torch``, :meth:`torch_kwargs`, :meth:`from_module`). Every registry is
    derived from these classes.
    """

    #: The constructor argument that may be ``None`` and is then taken from the input
    #: (``in_channels``, …); ``in_features`` reads the last dim, the others the channels.
    inferred: ClassVar[str | None] = None
    #: Other names spec text may call it by (besides the class name).
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Functional forms: ``F.max_pool2d`` -> the arguments after the input, in the function's order.
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: Functional arguments that change nothing convcalc counts (``F.dropout``'s ``training``).
    functional_ignored: ClassVar[tuple[str, ...]] = ()
    #: Functional arguments after the first that are tensors too (``F.scaled_dot_product_attention``'s key and
    #: value): spec text has one tensor for the layer, so each is that tensor again, or left out.
    functional_inputs: ClassVar[tuple[str, ...]] = ()
    #: Whether spec text may name it (the joins of blocks may not).
    in_text: ClassVar[bool] = True
    #: What other tools count it as (:mod:`convcalc.profiles`); ``custom`` is a type none of them knows.
    family: ClassVar[str] = "custom"
    #: The torch module it is: a class or ``"package.module:Name"`` (``torch.nn.Conv2d`` for
    #: ``"torch.nn:Conv2d"``); ``None`` when it is built as another layer (:meth:`torch_equivalent`).
    torch: ClassVar[Any] = None
    #: More torch classes read back as this layer (``nn.Dropout2d`` is a Dropout at inference).
    torch_also: ClassVar[tuple[str, ...]] = ()
    #: Whether torch's FlopCounterMode counts its FLOPs (2 per multiply-accumulate); verify holds those.
    flop_counter: ClassVar[bool] = False
    #: aten ops (names without the overload) that ``from_torch`` reads back as this layer where a forward
    #: body calls them (``upsample_bilinear2d`` from F.interpolate), through :meth:`from_aten`.
    aten: ClassVar[tuple[str, ...]] = ()
    #: The dtype torch's module needs for its input where that is not a floating type (an embedding's ``"int64"``
    #: ids): ``from_torch`` and ``verify`` feed the network's input so where such a layer reads it.
    input_dtype: ClassVar[str | None] = None
    #: How many results torch's module returns; the row is the first (nn.LSTM: the output, then (h_n, c_n)).
    #: ``to_torch`` builds a layer of more inside a ``FirstResult`` module that returns the first, so its modules chain.
    results: ClassVar[int] = 1
    #: torch.nn.functional calls that are this layer whole where a forward body makes them
    #: (``scaled_dot_product_attention``): ``from_torch`` makes one row of the call, read by :meth:`from_call`,
    #: rather than rows of the aten ops it runs.
    calls: ClassVar[tuple[str, ...]] = ()
    #: What autograd saves for the backward of this type, where it is one tensor of the layer's own or none:
    #: ``"input"`` (GELU, SiLU), ``"output"`` (ReLU, Sigmoid: the result), ``"nothing"`` (a view, an add); None: the
    #: type declares :meth:`backward` itself, or has no training model (its row says so).
    saves: ClassVar[str | None] = None
    #: Whether torch's kernels on the meta device save other tensors for its backward than the CPU's do (attention's
    #: math path there, not the flash kernel; a recurrent layer's decomposed cells, not oneDNN's): from_torch then
    #: counts what it saves by :meth:`backward`, not by what its meta pass saved.
    meta_saves_differ: ClassVar[bool] = False
    #: How it runs under autocast (``--amp``): ``"lower"`` in the autocast dtype (a conv, a Linear: torch casts its
    #: inputs and weights), ``"same"`` in its input's dtype (ReLU, batch norm, max pool, dropout, a view), ``""``
    #: not known: the row then has no training model under autocast. Held to CPU autocast in the tests.
    autocast: ClassVar[str] = ""
    #: Whether the framework whose text names it writes tensors channels last (Keras' H×W×C): a network
    #: that starts with such a layer reads and prints its shapes H×W×C.
    channels_last: ClassVar[bool] = False

    @classmethod
    def functional_forms(cls) -> dict[str, tuple[str, ...]]:
        """The functional names of this type (``max_pool2d``: ``{n}`` in a declared name is the dims)."""
        n = getattr(cls, "ndim", "")
        return {name.format(n=n): params for name, params in cls.functional.items()}

    @classmethod
    def torch_class(cls) -> Any:
        """The declared torch module: a class, or its ``"package.module:Name"``; ``{name}`` in it is the
        built-in type's name (``Conv2d``, also for a user's subclass of it)."""
        if not isinstance(cls.torch, str):
            return cls.torch
        built_in = next(c for c in cls.__mro__ if c.__module__.startswith("convcalc.") and not c.__name__.startswith("_"))
        return cls.torch.format(name=built_in.__name__)

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
        return records.replace(self, **{arg: shape[-1] if arg == "in_features" else shape[0]})

    def primitives(self, ran: Ran) -> Primitives:
        """The primitive counts of one run of this layer (whole batch); nothing by default."""
        return Primitives()

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        """The worked formulas of this layer on a ``shape`` input; by default the figures of its effect."""
        out = dims_text(effect.output_shape)
        return (Step("output", out, note=effect.formula),
                Step("parameters", "params", value=effect.weights + effect.biases),
                Step("FLOPs", "FLOPs", value=effect.flops))

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """This layer's part in a training step on a ``shape`` input (per sample): what autograd saves and what the
        gradients cost, for the gradients ``grads`` asks (nothing where it asks none: autograd records no node).
        By default from :attr:`saves`, with an elementwise gradient of 1 FLOP per element; None where the type has
        no training model."""
        if self.saves is None:
            same = self.torch_equivalent()
            return None if same is None else same.backward(shape, effect, grads)
        if not grads.any:
            return Backward()
        saved = () if self.saves == "nothing" else (Saved(self.saves, numel(shape if self.saves == "input" else effect.output_shape)),)
        return Backward(saved=saved, input_flops=numel(effect.output_shape) if grads.input and self.saves != "nothing" else 0)

    def param_tensors(self, effect: Effect) -> int:
        """How many tensors hold its trainable parameters (an optimizer keeps a ``step`` per tensor): by default a
        weight and a bias where it has them."""
        return int(effect.weights - effect.frozen > 0) + int(effect.biases > 0)

    def param_sizes(self, effect: Effect) -> tuple[int, ...]:
        """The elements of each tensor holding its trainable parameters, in torch's order (an optimizer's step makes
        temporaries of their sizes): by default the weight, then the bias. A type whose parameters sit in other
        tensors says so; where it gives only :meth:`param_tensors`, its weights count as one tensor."""
        weights = effect.weights - effect.frozen
        sizes = tuple(n for n in (weights, effect.biases) if n > 0)
        return sizes if len(sizes) == self.param_tensors(effect) else (weights + effect.biases,)

    def extra_state_bytes(self) -> int:
        """Bytes of state its torch module holds beyond its parameters and :attr:`Effect.buffers` (batch norm's int64
        ``num_batches_tracked``): model state in a training step's memory."""
        return 0

    # --- the torch binding: spec fields are torch's constructor arguments ---

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        """Whether torch's ``module`` of this type, called on one tensor alone in eval mode, does nothing but return
        a tensor of that tensor's dtype whose shape :meth:`effect` gives (a new one; where the effect makes no new
        tensor, the input itself or a view of it). ``from_torch`` then gives such a call a meta tensor of that shape
        rather than running the module's kernels on the meta device (their Python shape checks are most of a
        pass's time). False by default: a type says so only where its effect is held to torch's shapes."""
        return False

    def sized_results(self, output: Shape, at: int) -> Any:
        """The shapes of what torch's module returns (batch included, at dim ``at`` of the input) where its first
        result has the shape ``output`` (batch included), nested as the module nests them, each a shape or a
        :class:`Laid` shape: by default that one tensor. A type that returns more says so (LSTM: the output, then
        (h_n, c_n)); :meth:`sized_by_effect`."""
        return output

    def batch_dim(self) -> int:
        """Where torch's module puts the batch in the tensors it takes and gives (``nn.LSTM`` without
        ``batch_first``: dim 1); convcalc's shapes leave it out. ``from_torch`` strips this dim."""
        return 0

    def counted_macs(self, shape: Shape, macs: int) -> int:
        """Of one sample's ``macs`` on a ``shape`` input, those torch's FlopCounterMode sees (``verify`` holds a
        counted row to 2 per each): all of them, unless torch runs some as products it does not count."""
        return macs

    def at_call(self, inputs: tuple[Shape, ...], output: Shape) -> Leaf:
        """This layer as one call ran it, where the call passes sizes the module does not hold (MaxUnpool's
        ``output_size``, attention's key length): ``inputs`` are the call's tensor arguments and ``output``
        its first result, per sample. By default the module alone says everything."""
        return self

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        """This layer read back from one of its :attr:`aten` ops: the op's arguments after the input are plain
        values (sizes, scales, flags); shapes have their batch dim. None where the call is not this layer."""
        return None

    @classmethod
    def from_call(cls, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Leaf | None:
        """This layer read back from one of its :attr:`calls`: the call's arguments with each tensor given as its
        per-sample shape (batch dim 0 dropped). None where the call is not this layer."""
        return None

    def torch_equivalent(self) -> Leaf | None:
        """Another layer torch builds this one as (a depthwise conv is a grouped Conv2d), or None."""
        return None

    def torch_kwargs(self) -> dict[str, Any]:
        """The arguments of the torch module's constructor: by default every field, by name."""
        return {name: getattr(self, name) for name in records.init_parameters(type(self)) or ()}

    @classmethod
    def from_module(cls, module: Any) -> Leaf:
        """This layer read back from a torch module: each field from the attribute of its name
        (a ``bias`` flag from whether the module holds a bias tensor)."""
        values: dict[str, Any] = {}
        for f in records.fields(cls):
            if not f.init:
                continue
            if f.required and not hasattr(module, f.name):
                raise SpecError(f"{cls.__name__}: the torch module {type(module).__name__} has no attribute {f.name!r} "
                                f"to read it back from; give {cls.__name__} a from_module classmethod that reads it")
            value = getattr(module, f.name, f.default)
            if isinstance(f.default, bool) and not isinstance(value, bool):
                value = value is not None  # a parameter, or None where the module has none
            values[f.name] = value
        return cls(**values)


class Block(Layer, abstract=True):
    """A layer made of named children. Its :meth:`structure` says how they connect; the shape
    walk and the torch builder both read that one declaration."""

    def structure(self) -> Structure:  # pragma: no cover - every block overrides it
        raise NotImplementedError

    def declared(self) -> Structure:
        """:meth:`structure`, made once per block (a block never changes): what the walk reads."""
        try:
            known: Structure = self.__dict__["_structure_"]
        except KeyError:
            known = self.__dict__["_structure_"] = self.structure()
        return known

    def children(self) -> tuple[tuple[str, Layer], ...]:
        """Every child, by name, in the order they run."""
        return self.declared().children()

    def __iter__(self) -> Iterator[Layer]:
        return (layer for _, layer in self.children())


Chain = tuple[tuple[str, Layer], ...]  # named layers that run one after another


@record
class Branch:
    """One path through a block: ``layers`` run in order on the block's input (none: the input itself)."""

    name: str
    layers: Chain = ()


@record
class Structure:
    """How a block connects its children.

    A chain: ``layers`` in order. Branches: each of ``branches`` runs on the block's input,
    ``join`` (a join leaf: add, cat, mul) combines what they give under the name ``join_name``,
    then ``after`` runs on the result (ResNet's ReLU after the sum).
    """

    layers: Chain = ()
    branches: tuple[Branch, ...] = ()
    join: Join | None = None
    join_name: str = ""
    after: Chain = ()

    def children(self) -> Chain:
        if self.join is None:
            return self.layers
        return tuple(child for b in self.branches for child in b.layers) + self.after


class Join(Leaf, abstract=True):
    """A join step of a block (the sum of a Residual, the concat of a Concat, the gate of a Scale):
    the walk calls :meth:`join` with every branch's shape; on its own it has no input to take."""

    autocast: ClassVar[str] = "same"

    in_text: ClassVar[bool] = False
    torch: ClassVar[Any] = None
    #: The block class that makes it, for the message when it stands alone.
    block: ClassVar[str] = ""
    #: How torch code writes it in a forward (``+``): the call its rows name.
    call: ClassVar[str] = ""
    #: Whether the second input broadcasts over the first (a gate): the receptive field spreads with it.
    broadcast: ClassVar[bool] = False

    def join(self, shapes: list[Shape], names: list[str]) -> Effect:  # pragma: no cover - each join overrides it
        raise NotImplementedError

    def join_backward(self, shapes: tuple[Shape, ...], effect: Effect, grads: Grads) -> Backward | None:
        """The join's part in a training step (:meth:`Leaf.backward`), each of ``shapes`` an input: by default it
        saves nothing and its gradients cost nothing (a sum or a concatenation hands each input its gradient)."""
        return Backward()

    def effect(self, shape: Shape) -> Effect:
        raise ShapeError(f"{self.name} joins the branches of a {self.block} block and cannot stand on its own; "
                         f"write cc.{self.block}(…) instead")


def checked(effect: Effect) -> Effect:
    """``effect``, refused unless its sizes and counts are whole numbers (a layer of the user's own may
    compute a float: ``28.0`` is no size torch makes)."""
    counts = (effect.weights, effect.biases, effect.macs, effect.flops, effect.buffers, effect.extra_elements, effect.frozen)
    if not all(is_int(d) for d in effect.output_shape) or not all(is_int(n) for n in counts):
        raise ShapeError(f"gives output shape {effect.output_shape!r}, weights {effect.weights!r}, biases "
                         f"{effect.biases!r}, MACs {effect.macs!r} and FLOPs {effect.flops!r}: every size and count "
                         "must be a whole number (an int)")
    return effect


def layer(cls: type[L] | None = None, *, torch: Any = None) -> Any:
    """Declare a layer type of your own: ``@cc.layer(torch=MyModule)`` on a :class:`Leaf` subclass
    whose annotated fields are its constructor arguments and whose :meth:`Leaf.effect` says what it
    does. It then works wherever a built-in layer does: summaries, spec text, explain, profiles,
    ``to_torch`` (``MyModule(**fields)``), ``verify`` and ``from_torch`` (fields read back from
    the module's attributes of the same names). ``torch`` is a class or ``"package.module:Name"``.
    """

    def declare(cls: type[L]) -> type[L]:
        if not (isinstance(cls, type) and issubclass(cls, Leaf)) or issubclass(cls, Join):
            raise TypeError(f"@cc.layer declares a layer type: a subclass of cc.Leaf, got {cls!r}")
        if "effect" not in vars(cls) and cls.effect is Leaf.effect:
            raise TypeError(f"{cls.__name__} needs an effect(self, shape) method returning cc.Effect")
        made: type[L] = spec(cls)
        if torch is not None:
            made.torch = torch
        problem = _clashes(made)
        if problem:
            raise TypeError(f"{made.__name__} cannot be declared: {problem}; rename it or change that declaration")
        _register(made)
        return made

    return declare if cls is None else declare(cls)


# --- argument checks shared by the constructors ------------------------------------------


def is_int(value: Any) -> TypeGuard[int]:
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


def positive_int(layer: str, arg: str, value: Any) -> int:
    """A positive int, or a SpecError naming the layer and the argument."""
    if not is_int(value) or value < 1:
        raise SpecError(f"{layer}: {arg} must be a positive int, got {value!r}")
    return int(value)


def optional_size(layer: str, arg: str, value: Any) -> int | None:
    """A positive int, or ``None``: a size the layer takes from its input."""
    return None if value is None else positive_int(layer, arg, value)


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
