"""Elementwise activations and Dropout: no parameters (PReLU: its slopes), 1 FLOP per element (dropout 0).

An in-place activation (``inplace=True``) writes over its input and allocates no
activation memory; dropout at inference returns its input unchanged.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from ..records import replace
from .base import (
    Backward,
    Effect,
    Grads,
    Leaf,
    Primitives,
    Ran,
    Saved,
    Shape,
    Step,
    check_bool,
    check_number,
    dims_text,
    elementwise,
    fmt_shape,
    freeze,
    is_int,
    numel,
    positive_int,
    spec,
)
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar


class _Pointwise(Leaf):
    """One FLOP per element (the DESIGN.md convention for every elementwise function)."""

    autocast: ClassVar[str] = "same"

    rule: ClassVar[str] = ""
    family: ClassVar[str] = "activation"
    torch: ClassVar[Any] = "torch.nn:{name}"
    #: autograd keeps its input for the gradient (GELU, SiLU), or its result (``"output"``: ReLU, Sigmoid)
    saves: ClassVar[str | None] = "input"
    #: what the in-place form keeps: its result (``"output"``, in the input's memory: ReLU, LeakyReLU, ELU), or a copy
    #: of the input torch takes before writing over it (``"copy"``: ReLU6, Hardswish, SiLU); held to torch in tests
    saves_inplace: ClassVar[str] = "copy"

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        if hasattr(self, "inplace"):
            check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        return elementwise(shape, 1, new_tensor=not getattr(self, "inplace", False), formula=f"{self.rule}, 1 per element")

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(activation_elements=numel(ran.output_shape) * ran.batch)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """One tensor of the input's size saved (:attr:`saves`, :attr:`saves_inplace`); the gradient of the input 1
        FLOP per element, of PReLU's slopes 1 per element too."""
        if not grads.any:
            return Backward()
        of = self.saves_inplace if getattr(self, "inplace", False) else self.saves
        n = numel(shape)
        return Backward(saved=(Saved(of or "input", n),), input_flops=n if grads.input else 0,
                        weight_flops=n if grads.weights else 0)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"), Step("parameters", "params = 0"),
                Step("FLOPs", "FLOPs = 1 per element", dot(*shape), effect.flops))


@spec
class ReLU(_Pointwise):
    saves: ClassVar[str | None] = "output"
    saves_inplace: ClassVar[str] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"relu": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "max(0, x)"


@spec
class ReLU6(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"relu6": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "min(max(0, x), 6)"


@spec
class LeakyReLU(_Pointwise):
    saves_inplace: ClassVar[str] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"leaky_relu": ("negative_slope", "inplace")}
    negative_slope: float = 0.01
    inplace: bool = False
    rule: ClassVar[str] = "max(αx, x)"

    def __post_init__(self) -> None:
        check_number(self.name, "negative_slope", self.negative_slope)
        super().__post_init__()


@spec
class Sigmoid(_Pointwise):
    saves: ClassVar[str | None] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"sigmoid": ()}
    rule: ClassVar[str] = "1/(1+e^−x)"


@spec
class Tanh(_Pointwise):
    saves: ClassVar[str | None] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"tanh": ()}
    rule: ClassVar[str] = "tanh(x)"


@spec
class Hardsigmoid(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"hardsigmoid": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "relu6(x+3)/6"


@spec
class Hardswish(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"hardswish": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "x·relu6(x+3)/6"


@spec
class SiLU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"silu": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "x·σ(x)"


@spec
class GELU(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"gelu": ("approximate",)}
    approximate: str = "none"
    rule: ClassVar[str] = "x·Φ(x)"

    def __post_init__(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise SpecError(f"{self.name}: approximate must be 'none' or 'tanh', got {self.approximate!r}")


@spec
class Softmax(_Pointwise):
    saves: ClassVar[str | None] = "output"
    """Counted as elementwise (1 FLOP per element), the DESIGN.md convention."""

    family: ClassVar[str] = "softmax"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"softmax": ("dim",)}

    dim: int | None = None
    rule: ClassVar[str] = "eˣ/Σeˣ"

    def __post_init__(self) -> None:
        if self.dim is not None and not is_int(self.dim):
            raise SpecError(f"{self.name}: dim must be an int or None, got {self.dim!r}")

    def effect(self, shape: Shape) -> Effect:
        rank = len(shape) + 1
        if self.dim is not None and not -rank <= self.dim < rank:
            raise ShapeError(f"dim={self.dim} is out of range for a {rank}-d batch; use -{rank} ≤ dim < {rank}")
        return super().effect(shape)


@spec
class ELU(_Pointwise):
    saves_inplace: ClassVar[str] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"elu": ("alpha", "inplace")}
    alpha: float = 1.0
    inplace: bool = False
    rule: ClassVar[str] = "x if x > 0 else α(eˣ−1)"

    def __post_init__(self) -> None:
        check_number(self.name, "alpha", self.alpha)
        super().__post_init__()


@spec
class SELU(_Pointwise):
    saves_inplace: ClassVar[str] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"selu": ("inplace",)}
    aten: ClassVar[tuple[str, ...]] = ("elu",)  # F.selu reaches aten as elu(x, α, λ) with SELU's scale λ
    inplace: bool = False
    rule: ClassVar[str] = "λ·(x if x > 0 else α(eˣ−1))"

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls() if len(args) > 2 and args[2] != 1 else None  # scale 1: F.elu, ELU's


@spec
class CELU(_Pointwise):
    saves_inplace: ClassVar[str] = "output"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"celu": ("alpha", "inplace")}
    alpha: float = 1.0
    inplace: bool = False
    rule: ClassVar[str] = "max(0, x) + min(0, α(e^(x/α)−1))"

    def __post_init__(self) -> None:
        if check_number(self.name, "alpha", self.alpha) == 0:
            raise SpecError(f"{self.name}: alpha must not be 0 (CELU divides by it), got {self.alpha!r}")
        super().__post_init__()


@spec
class Mish(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"mish": ("inplace",)}
    inplace: bool = False
    rule: ClassVar[str] = "x·tanh(softplus(x))"


@spec
class Softplus(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"softplus": ("beta", "threshold")}
    beta: float = 1.0
    threshold: float = 20.0
    rule: ClassVar[str] = "log(1+e^(βx))/β"

    def __post_init__(self) -> None:
        check_number(self.name, "beta", self.beta)
        check_number(self.name, "threshold", self.threshold)


@spec
class Hardtanh(_Pointwise):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"hardtanh": ("min_val", "max_val", "inplace")}
    min_val: float = -1.0
    max_val: float = 1.0
    inplace: bool = False
    rule: ClassVar[str] = "min(max(x, min_val), max_val)"

    def __post_init__(self) -> None:
        low, high = check_number(self.name, "min_val", self.min_val), check_number(self.name, "max_val", self.max_val)
        if high <= low:  # torch asserts the same
            raise SpecError(f"{self.name}: max_val ({high}) must be greater than min_val ({low})")
        super().__post_init__()


@spec
class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``: elementwise, 1 FLOP per element, as Softmax. No other tool charges it
    (thop hooks only nn.Softmax, ptflops patches only F.softmax): it is counted as the activations are."""

    family: ClassVar[str] = "activation"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"log_softmax": ("dim",)}
    aten: ClassVar[tuple[str, ...]] = ("_log_softmax",)
    rule: ClassVar[str] = "x − log Σeˣ"

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(int(args[1]) % len(in_shape))  # _log_softmax(input, dim, half_to_float)


@spec
class PReLU(_Pointwise):
    """max(0, x) + a·min(0, x) with a learned slope ``a``: one for every channel (``num_parameters`` = C) or one
    shared (1). Its parameters are weights; 1 FLOP per element, as every activation."""

    family: ClassVar[str] = "prelu"
    aten: ClassVar[tuple[str, ...]] = ("_prelu_kernel",)
    num_parameters: int = 1
    init: float = 0.25
    rule: ClassVar[str] = "max(0, x) + a·min(0, x)"
    autocast: ClassVar[str] = "lower"  # (torch's autocast casts prelu's input and slopes: it keeps the slopes' copy)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Its input, and its slopes (a parameter; under autocast a copy, which counts)."""
        found = super().backward(shape, effect, grads)
        return None if found is None else replace(found, keeps_weights=grads.any)

    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        return cls(int(args[1].numel()))  # _prelu_kernel(input, the slopes viewed to broadcast over the channels)

    def __post_init__(self) -> None:
        freeze(self, num_parameters=positive_int(self.name, "num_parameters", self.num_parameters))
        check_number(self.name, "init", self.init)

    def effect(self, shape: Shape) -> Effect:
        n = self.num_parameters
        channels = shape[0] if shape else 1
        if n != 1 and n != channels:
            raise ShapeError(f"num_parameters={n} but the input has {channels} channels (shape {fmt_shape(shape)}); "
                             f"use num_parameters={channels} (one slope per channel) or 1 (one shared)")
        return replace(super().effect(shape), weights=n)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        n = self.num_parameters
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"),
                Step("parameters", "params = num_parameters", str(n), n, "one slope per channel" if n > 1 else "one slope shared"),
                Step("FLOPs", "FLOPs = 1 per element", dot(*shape), effect.flops))


@spec
class _Dropout(Leaf):
    """At inference dropout is the identity: no FLOPs and no new tensor."""

    autocast: ClassVar[str] = "same"

    family: ClassVar[str] = "none"
    functional_ignored: ClassVar[tuple[str, ...]] = ("training",)
    torch: ClassVar[Any] = "torch.nn:{name}"

    p: float = 0.5
    inplace: bool = False

    #: The per-sample ranks torch takes (where it refuses others); empty: any.
    ranks: ClassVar[tuple[int, ...]] = ()

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def __post_init__(self) -> None:
        p = check_number(self.name, "p", self.p)
        if not 0 <= p <= 1:
            raise SpecError(f"{self.name}: p must be between 0 and 1, got {p!r}")
        check_bool(self.name, "inplace", self.inplace)

    def effect(self, shape: Shape) -> Effect:
        if self.ranks and len(shape) not in self.ranks:
            want = " or ".join(("C", "C×L")[r - 1] for r in self.ranks)
            raise ShapeError(f"expects {want} per sample, got {fmt_shape(shape)} ({len(shape)}-d)")
        return elementwise(shape, 0, new_tensor=False, formula="identity at inference")

    #: Whether it drops whole channels (Dropout1d/2d/3d): one noise value per channel and sample.
    per_channel: ClassVar[bool] = False
    #: Whether CUDA runs it with its fused kernel, which keeps a bool mask (not AlphaDropout's affine noise).
    fused_on_cuda: ClassVar[bool] = True

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """In training, dropout multiplies its input by a noise tensor of 0 and 1/(1−p) and keeps that for the
        gradient: a float tensor of the input's size on the CPU, a bool mask (1 byte per element) where CUDA's
        fused kernel runs (not in place, not per channel); per channel, one value per channel. The product is a new
        tensor unless in place. p = 0 is the identity, p = 1 a product with a zero scalar."""
        if self.p == 0 or not grads.any:
            return Backward(new_output=False if self.p == 0 else None)
        n = numel(shape)
        if self.p == 1:
            return Backward(saved=(Saved("zero", 1, batched=False),), input_flops=n, new_output=not self.inplace)
        fused = grads.device == "cuda" and not self.inplace and not self.per_channel and self.fused_on_cuda
        mask = Saved("mask", shape[0] if self.per_channel else n, "bool" if fused else None)
        return Backward(saved=(mask,), input_flops=n if grads.input else 0, new_output=not self.inplace)


class Dropout(_Dropout):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"dropout": ("p", "training", "inplace")}


class Dropout1d(_Dropout):
    """Drops whole channels of a C×L input (torch refuses other ranks)."""

    per_channel: ClassVar[bool] = True

    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"dropout1d": ("p", "training", "inplace")}
    ranks: ClassVar[tuple[int, ...]] = (1, 2)


class Dropout2d(_Dropout):
    """Drops whole channels (torch warns on inputs other than C×H×W, and runs them)."""

    per_channel: ClassVar[bool] = True

    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"dropout2d": ("p", "training", "inplace")}


class Dropout3d(_Dropout):
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"dropout3d": ("p", "training", "inplace")}
    per_channel: ClassVar[bool] = True


class AlphaDropout(_Dropout):
    """SELU's dropout (keeps mean and variance while training); the identity at inference."""

    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"alpha_dropout": ("p", "training", "inplace")}
    fused_on_cuda: ClassVar[bool] = False
