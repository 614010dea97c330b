"""Normalisation: BatchNorm1d/2d/3d and LocalResponseNorm.

BatchNorm: 2C parameters (γ as weights, β as biases) when affine, 2C running
statistics as buffers (not parameters), 2 FLOPs per element (scale and shift
with the folded statistics).

LayerNorm: 2·Π(normalized_shape) parameters when affine; 5 FLOPs per element
(4 to compute and apply the statistics, 1 for the affine: fvcore's count).

GroupNorm and InstanceNorm compute their statistics from each sample at inference, as LayerNorm
does: 5 FLOPs per element with the affine γ, β (2C parameters), 4 without. An InstanceNorm that
tracks running statistics uses them at inference instead, as BatchNorm does: 2 per element, and
2C buffers (running mean and variance; torch's num_batches_tracked counts nowhere, as for BatchNorm).

LocalResponseNorm: no parameters; torch computes it as x², an average over
``size`` channels, ·α, +k, ^β and a division, so it costs size+5 FLOPs per
element (torch.nn.functional.local_response_norm).
"""

from __future__ import annotations

from math import prod

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
    expect_channels,
    expect_spatial,
    fmt_shape,
    freeze,
    is_int,
    numel,
    optional_size,
    positive_int,
    saving,
    spec,
)
from .lazy import _Lazy
from .steps import dot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar

_RANKS = {1: (1, 2), 2: (3,), 3: (4,)}


class _Norm(Leaf):
    """Normalisations, as other tools count them: by the elements they normalise (their input)."""

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return True

    def primitives(self, ran: Ran) -> Primitives:
        return Primitives(norm_elements=numel(ran.input_shape) * ran.batch)

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:  # pragma: no cover - each modelled norm overrides it
        """The float32 statistics (mean, 1/σ) a norm's kernel keeps for its backward besides its input; None: the
        type has no training model."""
        raise NotImplementedError

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input and the statistics (:meth:`statistics`); the input's gradient costs what the
        forward did, the affine weights' 2 per element (γ: x̂·g summed, β: g summed)."""
        if type(self).statistics is _Norm.statistics:
            return None
        n = numel(shape)
        return saving(grads, Saved("input", n), *self.statistics(shape), input_flops=effect.flops, weight_flops=2 * n)


@spec
class _PerFeature(_Norm):
    """The arguments and checks torch's _NormBase gives batch norm and instance norm (which differ in their
    defaults and in what they normalise over)."""

    inferred: ClassVar[str | None] = "num_features"
    torch: ClassVar[Any] = "torch.nn:{name}"
    num_features: int | None
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True

    ndim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, num_features=optional_size(n, "num_features", self.num_features))
        check_number(n, "eps", self.eps)
        if self.momentum is not None:
            check_number(n, "momentum", self.momentum)
        check_bool(n, "affine", self.affine)
        check_bool(n, "track_running_stats", self.track_running_stats)

    def extra_state_bytes(self) -> int:
        """``num_batches_tracked``: one int64 where it tracks running statistics."""
        return 8 if self.track_running_stats else 0


@spec
class _BatchNorm(_PerFeature):
    autocast: ClassVar[str] = "same"
    family: ClassVar[str] = "batchnorm"

    def effect(self, shape: Shape) -> Effect:
        ranks = _RANKS[self.ndim]
        if len(shape) not in ranks:
            want = " or ".join(f"{r}-d" for r in ranks)
            raise ShapeError(f"expects a {want} input per sample, got {fmt_shape(shape)} ({len(shape)}-d)")
        c = expect_channels(self, "num_features", self.num_features, shape)
        base = elementwise(shape, 2, formula="γ·(x−μ)/σ+β: 2 per element")
        return replace(
            base,
            weights=c if self.affine else 0,
            biases=c if self.affine else 0,
            buffers=2 * c if self.track_running_stats else 0,
        )

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:
        """The batch's mean and 1/σ per channel (float32, whatever the batch)."""
        return (Saved("mean", shape[0], "float32", batched=False), Saved("invstd", shape[0], "float32", batched=False))

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c, params = shape[0], effect.weights + effect.biases
        return (Step("output", "×".join(map(str, effect.output_shape)) + " (unchanged)"),
                Step("parameters", "params = 2·C", f"2·{c}", params, "γ and β; the running mean and variance are buffers"),
                Step("FLOPs", "FLOPs = 2·C·ΠI", f"2·{dot(*shape)}", effect.flops, "a scale and a shift per element"))


class BatchNorm1d(_BatchNorm):
    ndim: ClassVar[int] = 1


class BatchNorm2d(_BatchNorm):
    ndim: ClassVar[int] = 2


class BatchNorm3d(_BatchNorm):
    ndim: ClassVar[int] = 3


@spec
class LocalResponseNorm(_Norm):
    """torch.nn.LocalResponseNorm (AlexNet's "response normalization" across channels)."""

    family: ClassVar[str] = "lrn"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"local_response_norm": ("size", "alpha", "beta", "k")}
    torch: ClassVar[Any] = "torch.nn:LocalResponseNorm"

    size: int
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def __post_init__(self) -> None:
        freeze(self, size=positive_int(self.name, "size", self.size))
        for arg in ("alpha", "beta", "k"):
            check_number(self.name, arg, getattr(self, arg))

    def effect(self, shape: Shape) -> Effect:
        if len(shape) < 2:
            raise ShapeError(f"expects channels and at least one spatial dim, got {fmt_shape(shape)}")
        return elementwise(shape, self.size + 5, formula=f"x/(k+α·mean(x² over {self.size} channels))^β: {self.size}+5 per element")

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """torch's F.local_response_norm is a chain of ops: x·x, padded by size−1 channels and averaged over
        ``size`` channels (the pool keeps its padded input: (C+size−1)·ΠS), then (k + α·avg)^β (pow keeps its base)
        and x / that (the division keeps both): input, padded squares, base and divisor."""
        c, spatial = shape[0], numel(shape[1:])
        return saving(grads, Saved("input", numel(shape)), Saved("padded", (c + self.size - 1) * spatial),
                      Saved("base", c * spatial), Saved("divisor", c * spatial), input_flops=effect.flops)



@spec
class LayerNorm(_Norm):
    """torch.nn.LayerNorm over the trailing ``normalized_shape`` dims."""

    family: ClassVar[str] = "layernorm"
    torch: ClassVar[Any] = "torch.nn:LayerNorm"

    normalized_shape: tuple[int, ...]
    eps: float = 1e-5
    elementwise_affine: bool = True
    bias: bool = True

    if TYPE_CHECKING:  # torch's forms: one int (the last dim) or the trailing dims
        def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                     bias: bool = True) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, normalized_shape=_trailing_dims(n, self.normalized_shape))
        check_number(n, "eps", self.eps)
        check_bool(n, "elementwise_affine", self.elementwise_affine)
        check_bool(n, "bias", self.bias)

    def effect(self, shape: Shape) -> Effect:
        dims = self.normalized_shape
        _check_trailing(dims, shape, "a LayerNorm")
        size = prod(dims)
        affine = self.elementwise_affine
        per = _statistics_flops(affine)
        return replace(elementwise(shape, per, formula=f"(x−μ)/σ{'·γ+β' if affine else ''} over the last dims: {per} per element"),
                       weights=size if affine else 0, biases=size if affine and self.bias else 0)

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:
        """A mean and 1/σ (float32) per normalised group: per position of the dims before ``normalized_shape``."""
        groups = prod(shape[: len(shape) - len(self.normalized_shape)])
        return (Saved("mean", groups, "float32"), Saved("rstd", groups, "float32"))


@spec
class LayerNorm2d(_Norm):
    """LayerNorm over the channels of a C×H×W input (torchvision's ConvNeXt): 2C parameters, 5 FLOPs per element."""

    family: ClassVar[str] = "layernorm2d"
    torch: ClassVar[Any] = "convcalc.torch_bridge.modules:LayerNorm2d"

    inferred: ClassVar[str | None] = "num_channels"

    num_channels: int | None
    eps: float = 1e-6

    def __post_init__(self) -> None:
        freeze(self, num_channels=optional_size(self.name, "num_channels", self.num_channels))
        check_number(self.name, "eps", self.eps)

    def effect(self, shape: Shape) -> Effect:
        if len(shape) < 2:
            raise ShapeError(f"expects channels and spatial dims, got {fmt_shape(shape)}")
        c = expect_channels(self, "num_channels", self.num_channels, shape)
        return replace(elementwise(shape, 5, formula="(x−μ)/σ·γ+β over channels: 5 per element"), weights=c, biases=c)

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:
        """A mean and 1/σ (float32) per spatial position (F.layer_norm over the channels of the permuted input)."""
        return (Saved("mean", numel(shape[1:]), "float32"), Saved("rstd", numel(shape[1:]), "float32"))


def _trailing_dims(name: str, value: Any) -> tuple[int, ...]:
    """A norm's ``normalized_shape`` as torch takes it: one int (the last dim) or the trailing dims."""
    dims = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not dims or not all(is_int(d) and d > 0 for d in dims):
        raise SpecError(f"{name}: normalized_shape must be a positive int or a tuple of them, got {value!r}")
    return dims


def _check_trailing(dims: tuple[int, ...], shape: Shape, what: str) -> None:
    """A norm over the last dims (``what``: "a LayerNorm") fits only an input that ends in them."""
    if shape[len(shape) - len(dims):] != dims:
        raise ShapeError(f"normalized_shape={fmt_shape(dims)} ({what} over the last {len(dims)} dims) does not match "
                         f"the end of the input {fmt_shape(shape)}; use normalized_shape={shape[-1]} for the last dim")


def _statistics_flops(affine: bool) -> int:
    """Per element, where the statistics are computed from the sample: mean and variance (2), subtract and
    divide (2), and the affine γ·x+β (1) when there is one (LayerNorm's count, and fvcore's)."""
    return 5 if affine else 4


@spec
class GroupNorm(_Norm):
    """torch.nn.GroupNorm: each sample's channels in ``num_groups`` groups, normalised per group."""

    inferred: ClassVar[str | None] = "num_channels"
    family: ClassVar[str] = "groupnorm"
    torch: ClassVar[Any] = "torch.nn:GroupNorm"
    aten: ClassVar[tuple[str, ...]] = ("native_group_norm",)

    num_groups: int
    num_channels: int | None
    eps: float = 1e-5
    affine: bool = True


    @classmethod
    def from_aten(cls, op: str, args: tuple[Any, ...], in_shape: Shape, out_shape: Shape) -> Leaf | None:
        # native_group_norm(input, weight, bias, N, C, HxW, group, eps): affine where a weight is passed
        return cls(int(args[6]), int(args[4]), float(args[7]), affine=args[1] is not None)
    def __post_init__(self) -> None:
        n = self.name
        groups = positive_int(n, "num_groups", self.num_groups)
        channels = optional_size(n, "num_channels", self.num_channels)
        freeze(self, num_groups=groups, num_channels=channels)
        if channels is not None:
            self._divisible(channels)
        check_number(n, "eps", self.eps)
        check_bool(n, "affine", self.affine)

    def _divisible(self, channels: int, error: type[SpecError] | type[ShapeError] = SpecError) -> None:
        g = self.num_groups
        if channels % g:
            near = [d for d in (max(d for d in range(1, g) if channels % d == 0) if g > 1 else 1,
                                next((d for d in range(g + 1, channels + 1) if channels % d == 0), 0)) if d]
            who = f"{self.name}: " if error is SpecError else ""  # (a shape error is named by the walk, with its layer)
            raise error(f"{who}num_channels={channels} is not divisible by num_groups={g}; use a num_groups "
                        f"that divides {channels}, such as {' or '.join(map(str, dict.fromkeys(near)))}")

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:
        """A mean and 1/σ (float32) per group of each sample."""
        return (Saved("mean", self.num_groups, "float32"), Saved("rstd", self.num_groups, "float32"))

    def effect(self, shape: Shape) -> Effect:
        if not shape:
            raise ShapeError("expects channels first, got a scalar per sample")
        c = expect_channels(self, "num_channels", self.num_channels, shape)
        self._divisible(c, ShapeError)
        per = _statistics_flops(self.affine)
        base = elementwise(shape, per, formula=f"(x−μ)/σ per group of {c // self.num_groups} channels"
                                               + (" ·γ+β" if self.affine else "") + f": {per} per element")
        return replace(base, weights=c if self.affine else 0, biases=c if self.affine else 0)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c, per = shape[0], _statistics_flops(self.affine)
        params = (Step("parameters", "params = 2·C", f"2·{c}", effect.weights + effect.biases, "γ and β, one per channel")
                  if self.affine else Step("parameters", "params = 0", note="affine=False: no γ, β"))
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)",
                     note=f"{self.num_groups} groups of {c}/{self.num_groups} = {c // self.num_groups} channels"),
                params,
                Step("FLOPs", f"FLOPs = {per}·C·ΠI", f"{per}·{dot(*shape)}", effect.flops,
                     "mean and variance per group, subtract, divide" + (", γ·x+β" if self.affine else "")))


@spec
class _InstanceNorm(_PerFeature):
    """torch.nn.InstanceNormNd: each channel of each sample normalised over its positions."""

    family: ClassVar[str] = "instancenorm"
    calls: ClassVar[tuple[str, ...]] = ("instance_norm",)
    affine: bool = False
    track_running_stats: bool = False

    @classmethod
    def from_call(cls, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Leaf | None:
        """``F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)``, its
        tensors as per-sample shapes: the InstanceNormNd of the input's rank. (Below it torch folds the batch into
        the channels and runs a batch norm on 1×(N·C)×…, which would read as a batch norm of the wrong shape.)"""
        names = ("input", "running_mean", "running_var", "weight", "bias", "use_input_stats", "momentum", "eps")
        given = {**dict(zip(names, args)), **kwargs}
        shape = given["input"]
        kind = next((c for c in _InstanceNorm.__subclasses__() if c.ndim == len(shape) - 1), None)
        if kind is None:
            return None
        return kind(int(shape[0]), float(given.get("eps", 1e-5)), affine=given.get("weight") is not None,
                    track_running_stats=not given.get("use_input_stats", True))

    def _per_element(self) -> int:
        """2 with running statistics (torch uses them at inference: a scale and a shift, as BatchNorm), else
        the statistics of the sample."""
        return 2 if self.track_running_stats else _statistics_flops(self.affine)

    def statistics(self, shape: Shape) -> tuple[Saved, ...]:
        """F.instance_norm is batch norm over the N·C channels of the input viewed as one sample: per channel of each
        sample a mean and 1/σ (float32), and the arguments it repeats N times: γ when affine, the running mean and
        variance when it tracks them (new tensors, not the module's)."""
        c = shape[0]
        stats = [Saved("mean", c, "float32"), Saved("invstd", c, "float32")]
        if self.affine:
            stats.append(Saved("weight", c))
        if self.track_running_stats:
            stats += [Saved("running_mean", c), Saved("running_var", c)]
        return tuple(stats)

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        c = expect_channels(self, "num_features", self.num_features, shape)
        if not self.track_running_stats and prod(shape[1:]) == 1:  # torch's F.instance_norm refuses it too
            raise ShapeError(f"normalises each channel over its positions, but input {fmt_shape(shape)} has one position; "
                             "give it at least 2, or track_running_stats=True")
        per = self._per_element()
        rule = "γ·(x−μ)/σ+β with the running μ, σ" if self.track_running_stats else (
            "(x−μ)/σ over each channel's positions" + (" ·γ+β" if self.affine else ""))
        return replace(elementwise(shape, per, formula=f"{rule}: {per} per element"),
                       weights=c if self.affine else 0, biases=c if self.affine else 0,
                       buffers=2 * c if self.track_running_stats else 0)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        c, per = shape[0], self._per_element()
        params = (Step("parameters", "params = 2·C", f"2·{c}", effect.weights + effect.biases, "γ and β, one per channel")
                  if self.affine else Step("parameters", "params = 0", note="affine=False: no γ, β"))
        why = ("the running mean and variance (buffers) folded into a scale and a shift" if self.track_running_stats
               else "mean and variance per channel, subtract, divide" + (", γ·x+β" if self.affine else ""))
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"), params,
                Step("FLOPs", f"FLOPs = {per}·C·ΠI", f"{per}·{dot(*shape)}", effect.flops, why))


class InstanceNorm1d(_InstanceNorm):
    ndim: ClassVar[int] = 1


class InstanceNorm2d(_InstanceNorm):
    ndim: ClassVar[int] = 2


class InstanceNorm3d(_InstanceNorm):
    ndim: ClassVar[int] = 3


@spec
class _LazyBatchNorm(_Lazy):
    """torch.nn.LazyBatchNormNd: BatchNormNd without ``num_features`` (taken from the input's channels)."""

    autocast: ClassVar[str] = "same"

    family: ClassVar[str] = "batchnorm"

    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True


class LazyBatchNorm1d(_LazyBatchNorm):
    becomes: ClassVar[type[Leaf]] = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm):
    becomes: ClassVar[type[Leaf]] = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm):
    becomes: ClassVar[type[Leaf]] = BatchNorm3d


@spec
class RMSNorm(_Norm):
    """torch.nn.RMSNorm over the trailing ``normalized_shape`` dims: x / √(mean(x²) + eps), times γ when affine.

    Parameters: Π(normalized_shape) (γ; no β). FLOPs per element: the square and its share of the mean (2) and
    the scaling by the reciprocal root (1), plus γ·x (1) when affine: 4, or 3 without γ (the root itself is one per
    normalised group, not counted; LayerNorm's 5 also subtracts a mean and adds β)."""

    family: ClassVar[str] = "rmsnorm"
    torch: ClassVar[Any] = "torch.nn:RMSNorm"

    normalized_shape: tuple[int, ...]
    eps: float | None = None
    elementwise_affine: bool = True

    if TYPE_CHECKING:  # torch's forms: one int (the last dim) or the trailing dims
        def __init__(self, normalized_shape: int | tuple[int, ...], eps: float | None = None,
                     elementwise_affine: bool = True) -> None: ...

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, normalized_shape=_trailing_dims(n, self.normalized_shape))
        if self.eps is not None:
            check_number(n, "eps", self.eps)
        check_bool(n, "elementwise_affine", self.elementwise_affine)

    def _per_element(self) -> int:
        return 4 if self.elementwise_affine else 3

    def effect(self, shape: Shape) -> Effect:
        dims = self.normalized_shape
        _check_trailing(dims, shape, "an RMSNorm")
        per = self._per_element()
        return replace(elementwise(shape, per, formula=f"x/√(mean(x²)+ε){'·γ' if self.elementwise_affine else ''} over the "
                                                       f"last dims: {per} per element"),
                       weights=prod(dims) if self.elementwise_affine else 0)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        per, size = self._per_element(), prod(self.normalized_shape)
        params = (Step("parameters", "params = Π(normalized_shape)", str(size), effect.weights, "γ; RMSNorm has no β")
                  if self.elementwise_affine else Step("parameters", "params = 0", note="elementwise_affine=False: no γ"))
        return (Step("output", dims_text(effect.output_shape) + " (unchanged)"), params,
                Step("FLOPs", f"FLOPs = {per}·ΠI", f"{per}·{dot(*shape)}", effect.flops,
                     "x², its share of the mean, ·1/√(…)" + (", ·γ" if self.elementwise_affine else "")))
