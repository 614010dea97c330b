"""Pooling: MaxPool/AvgPool 1d–3d, AdaptiveMax/AvgPool 1d–3d, GlobalAvgPool2d.

Pools have no parameters and no MACs. FLOPs (seed 003, DESIGN.md):
  max pool  C·ΠO·(Πk−1)   comparisons per window
  avg pool  C·ΠO·Πk       additions and the division per window
  adaptive  the same, summed over torch's real (possibly overlapping) windows
"""

from __future__ import annotations

from math import prod

from ..arithmetic import adaptive_reads, pool_output_size, window_formula
from ..errors import ShapeError, SpecError
from ..records import field
from .base import (
    Backward,
    Effect,
    Grads,
    Leaf,
    Primitives,
    Ran,
    Reach,
    Saved,
    Shape,
    Step,
    check_bool,
    expect_spatial,
    fmt_shape,
    freeze,
    int_tuple,
    is_int,
    join_formulas,
    numel,
    saving,
    spec,
)
from .steps import dot, output_steps, window_size
from .window import fit_error, tail_warnings, window_reach

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from collections.abc import Mapping
    from typing import Any, ClassVar

    from .base import Size


class _Pool(Leaf):
    """What max and average pools share: torch's argument rules and its output-size rule."""

    ndim: ClassVar[int] = 2
    torch: ClassVar[Any] = "torch.nn:{name}"
    #: AvgPool3d alone refuses an input smaller than its kernel, padding or not (torch's pool3d_shape_check).
    input_at_least_kernel: ClassVar[bool] = False
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None
    padding: tuple[int, ...]
    ceil_mode: bool

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return not getattr(module, "return_indices", False)

    def _normalise(self, dilation: Any = 1) -> None:
        n, nd = self.name, self.ndim
        kernel = int_tuple(n, "kernel_size", self.kernel_size, nd, 1)
        padding = int_tuple(n, "padding", self.padding, nd, 0)
        for p, k in zip(padding, kernel):
            if p > k // 2:
                raise SpecError(
                    f"{n}: padding={self.padding!r} is more than half of kernel_size={self.kernel_size!r}; "
                    f"torch allows at most kernel_size // 2 = {fmt_half(kernel)}"
                )
        freeze(
            self,
            kernel_size=kernel,
            stride=None if self.stride is None else int_tuple(n, "stride", self.stride, nd, 1),
            padding=padding,
            ceil_mode=check_bool(n, "ceil_mode", self.ceil_mode),
        )

    @property
    def strides(self) -> tuple[int, ...]:
        """The stride in use: torch's default is the kernel size."""
        return self.stride if self.stride is not None else self.kernel_size

    @property
    def dilations(self) -> tuple[int, ...]:
        return (1,) * self.ndim

    def window_cost(self) -> int:  # pragma: no cover - both pools override it
        raise NotImplementedError

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial, k, s, p, d = shape[1:], self.kernel_size, self.strides, self.padding, self.dilations
        if self.input_at_least_kernel and any(i < kk for i, kk in zip(spatial, k)):
            raise ShapeError(
                f"input {fmt_shape(spatial)} is smaller than kernel {fmt_shape(k)}; torch's {self.name} needs "
                f"at least {fmt_shape(k)} whatever the padding or ceil_mode"
            )
        out = tuple(pool_output_size(i, kk, ss, pp, dd, self.ceil_mode) for i, kk, ss, pp, dd in zip(spatial, k, s, p, d))
        if any(o < 1 for o in out):
            raise fit_error(k, d, spatial, tuple((pp, pp) for pp in p), max_padding=tuple(kk // 2 for kk in k),
                            slack=tuple(ss - 1 for ss in s) if self.ceil_mode else None)
        return Effect(
            output_shape=(shape[0], *out),
            flops=shape[0] * prod(out) * self.window_cost(),
            formula=join_formulas([
                window_formula(i, kk, ss, pp, pp, dd, o, self.ceil_mode) for i, kk, ss, pp, dd, o in zip(spatial, k, s, p, d, out)
            ]),
            reach=window_reach(k, s, d, p),
            warnings=tail_warnings(spatial, k, s, p, d, out),
        )

    def primitives(self, ran: Ran) -> Primitives:
        outputs = numel(ran.output_shape) * ran.batch
        return Primitives(pool_reads=outputs * prod(self.kernel_size), pool_inputs=numel(ran.input_shape) * ran.batch,
                          pool_outputs=outputs)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, out, c, kernel = shape[1:], effect.output_shape, shape[0], tuple(self.kernel_size)
        per_dim = [window_size(i, k, s, p, p, d, pool_output_size(i, k, s, p, d, self.ceil_mode), self.ceil_mode)
                   for i, k, s, p, d in zip(spatial, self.kernel_size, self.strides, self.padding, self.dilations)]
        if self.ceil_mode:
            per_dim = [p + "  (ceil_mode: a last window may hang over the end, if it starts inside)" for p in per_dim]
        return (*output_steps(spatial, per_dim, "O = ⌊(I + 2P − K)/S⌋ + 1 (stride defaults to the kernel size)", out),
                Step("parameters", "params = 0 (pooling learns nothing)"), self.flops_step(c, out, kernel, effect.flops))

    def flops_step(self, c: int, out: Shape, kernel: tuple[int, ...], flops: int) -> Step:  # pragma: no cover - both pools override it
        raise NotImplementedError


def fmt_half(kernel: tuple[int, ...]) -> str:
    halves = tuple(k // 2 for k in kernel)
    return str(halves[0]) if len(set(halves)) == 1 else repr(halves)


@spec
class _MaxPoolNd(_Pool):
    """torch.nn.MaxPoolNd; FLOPs C·ΠO·(Πk−1) comparisons."""

    autocast: ClassVar[str] = "same"

    family: ClassVar[str] = "maxpool"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "max_pool{n}d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")}

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] = (0,)
    dilation: tuple[int, ...] = (1,)
    return_indices: bool = False
    ceil_mode: bool = False

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0, dilation: Size = 1,
                     return_indices: bool = False, ceil_mode: bool = False) -> None: ...

    def __post_init__(self) -> None:
        self._normalise()
        freeze(
            self,
            dilation=int_tuple(self.name, "dilation", self.dilation, self.ndim, 1),
            return_indices=check_bool(self.name, "return_indices", self.return_indices),
        )

    @property
    def dilations(self) -> tuple[int, ...]:
        return self.dilation

    def window_cost(self) -> int:
        return prod(self.kernel_size) - 1

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input and the int64 index of each window's maximum (one per output element); the
        gradient scatters each output's gradient to its maximum: 1 per output element."""
        out = numel(effect.output_shape)
        return saving(grads, Saved("input", numel(shape)), Saved("indices", out, "int64"), input_flops=out)

    def flops_step(self, c: int, out: Shape, kernel: tuple[int, ...], flops: int) -> Step:
        return Step("FLOPs", "FLOPs = C·ΠO·(Πk − 1) comparisons", f"{dot(c, *out[1:])}·({dot(*kernel)} − 1)", flops)


class MaxPool1d(_MaxPoolNd):
    ndim: ClassVar[int] = 1


class MaxPool2d(_MaxPoolNd):
    ndim: ClassVar[int] = 2


class MaxPool3d(_MaxPoolNd):
    autocast: ClassVar[str] = ""
    ndim: ClassVar[int] = 3


@spec
class _AvgPoolNd(_Pool):
    """torch.nn.AvgPoolNd; FLOPs C·ΠO·Πk (Πk−1 additions and one division per window)."""

    autocast: ClassVar[str] = "same"

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input; the gradient spreads each output's over its window: as many FLOPs as forward."""
        return saving(grads, Saved("input", numel(shape)), input_flops=effect.flops)

    family: ClassVar[str] = "avgpool"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "avg_pool{n}d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")}

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] = (0,)
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    if TYPE_CHECKING:  # the constructor takes torch's forms (an int for every dim); the fields hold tuples
        def __init__(self, kernel_size: Size, stride: Size | None = None, padding: Size = 0, ceil_mode: bool = False,
                     count_include_pad: bool = True, divisor_override: int | None = None) -> None: ...

    def __post_init__(self) -> None:
        self._normalise()
        check_bool(self.name, "count_include_pad", self.count_include_pad)
        if self.divisor_override is not None and (not is_int(self.divisor_override) or self.divisor_override < 1):
            raise SpecError(f"{self.name}: divisor_override must be a positive int or None, got {self.divisor_override!r}")

    def window_cost(self) -> int:
        return prod(self.kernel_size)

    def flops_step(self, c: int, out: Shape, kernel: tuple[int, ...], flops: int) -> Step:
        return Step("FLOPs", "FLOPs = C·ΠO·Πk", dot(c, *out[1:], *kernel), flops,
                    "Πk − 1 additions and one division per window")

    def torch_kwargs(self) -> dict[str, Any]:
        kwargs = super().torch_kwargs()
        if self.ndim == 1:  # torch's AvgPool1d takes no divisor_override
            del kwargs["divisor_override"]
        return kwargs


class AvgPool1d(_AvgPoolNd):
    ndim: ClassVar[int] = 1
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "avg_pool1d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")}


class AvgPool2d(_AvgPoolNd):
    ndim: ClassVar[int] = 2


class AvgPool3d(_AvgPoolNd):
    autocast: ClassVar[str] = ""
    ndim: ClassVar[int] = 3
    input_at_least_kernel: ClassVar[bool] = True


@spec
class _AdaptivePoolNd(Leaf):
    """Adaptive pooling to a fixed ``output_size`` (``None`` in a dim keeps the input's size).

    Torch's window i spans [⌊i·I/O⌋, ⌈(i+1)·I/O⌉); windows overlap when O does not
    divide I, so FLOPs sum the real windows rather than assume Πk each.
    """

    autocast: ClassVar[str] = "same"

    output_size: tuple[int | None, ...]

    if TYPE_CHECKING:  # torch's forms: one size for every dim, or one per dim (None keeps the input's)
        def __init__(self, output_size: int | None | tuple[int | None, ...]) -> None: ...

    ndim: ClassVar[int] = 2
    comparisons: ClassVar[bool] = False  # max: window−1 comparisons; avg: window additions+division
    family: ClassVar[str] = "adaptiveavgpool"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"adaptive_avg_pool{n}d": ("output_size",)}
    torch: ClassVar[Any] = "torch.nn:{name}"

    @classmethod
    def sized_by_effect(cls, module: Any) -> bool:
        return not getattr(module, "return_indices", False)

    def __post_init__(self) -> None:
        n, nd = self.name, self.ndim
        size = self.output_size
        items = size if isinstance(size, (tuple, list)) else (size,) * nd
        if len(items) != nd or not all((v is None and nd > 1) or (is_int(v) and v >= 1) for v in items):
            what = "a positive int" if nd == 1 else f"a positive int, None, or a tuple of {nd} of them"
            raise SpecError(f"{n}: output_size must be {what}, got {size!r}")
        freeze(self, output_size=tuple(items))

    def effect(self, shape: Shape) -> Effect:
        expect_spatial(self, shape, self.ndim)
        spatial = shape[1:]
        out = tuple(i if o is None else o for i, o in zip(spatial, self.output_size))
        reads = prod(adaptive_reads(i, o) for i, o in zip(spatial, out))  # windows overlap when O ∤ I
        flops = shape[0] * (reads - prod(out) if self.comparisons else reads)
        formula = join_formulas([
            f"adaptive {i} → {o}, windows of {i // o}" if i % o == 0 else f"adaptive {i} → {o}, windows [⌊k·{i}/{o}⌋, ⌈(k+1)·{i}/{o}⌉)"
            for i, o in zip(spatial, out)
        ])
        reach = Reach("adaptive", tuple(zip(spatial, out)))
        return Effect(output_shape=(shape[0], *out), flops=flops, formula=formula, reach=reach)

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input (an average to one value per channel is torch's mean, which keeps nothing); the
        gradient spreads each output's over its window: as many FLOPs as forward."""
        if all(o == 1 for o in effect.output_shape[1:]):
            return saving(grads, input_flops=effect.flops)
        return saving(grads, Saved("input", numel(shape)), input_flops=effect.flops)

    def primitives(self, ran: Ran) -> Primitives:
        c, spatial_in, spatial_out = ran.input_shape[0], ran.input_shape[1:], ran.output_shape[1:]
        reads = c * prod(adaptive_reads(i, o) for i, o in zip(spatial_in, spatial_out))
        return Primitives(pool_reads=reads * ran.batch, pool_inputs=numel(ran.input_shape) * ran.batch,
                          pool_outputs=numel(ran.output_shape) * ran.batch)

    def explain(self, shape: Shape, effect: Effect) -> tuple[Step, ...]:
        spatial, out = shape[1:], effect.output_shape
        reads = [adaptive_reads(i, o) for i, o in zip(spatial, out[1:])]
        if self.comparisons:
            flops = Step("FLOPs", "FLOPs = C·(Πreads − ΠO) comparisons", f"{shape[0]}·({dot(*reads)} − {dot(*out[1:])})",
                         effect.flops)
        else:
            flops = Step("FLOPs", "FLOPs = C·Πreads", dot(shape[0], *reads), effect.flops)
        return (Step("output size", f"output {'×'.join(map(str, out))}: window i covers ⌊i·I/O⌋ … ⌈(i+1)·I/O⌉ − 1"),
                Step("", "elements read per dim: I + O − gcd(I, O)", value=", ".join(map(str, reads))), flops)

    def torch_kwargs(self) -> dict[str, Any]:
        kwargs = super().torch_kwargs()
        if self.ndim == 1:  # torch's 1-d adaptive pools take one int
            kwargs["output_size"] = self.output_size[0]
        return kwargs


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    ndim: ClassVar[int] = 1


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    ndim: ClassVar[int] = 2


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    autocast: ClassVar[str] = ""
    ndim: ClassVar[int] = 3


@spec
class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    output_size: tuple[int | None, ...]
    return_indices: bool = False

    if TYPE_CHECKING:  # torch's forms: one size for every dim, or one per dim (None keeps the input's)
        def __init__(self, output_size: int | None | tuple[int | None, ...], return_indices: bool = False) -> None: ...

    comparisons: ClassVar[bool] = True
    family: ClassVar[str] = "adaptivemaxpool"
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {"adaptive_max_pool{n}d": ("output_size", "return_indices")}

    def backward(self, shape: Shape, effect: Effect, grads: Grads) -> Backward | None:
        """Autograd keeps the input and the int64 index of each window's maximum."""
        out = numel(effect.output_shape)
        return saving(grads, Saved("input", numel(shape)), Saved("indices", out, "int64"), input_flops=out)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_bool(self.name, "return_indices", self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    ndim: ClassVar[int] = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    ndim: ClassVar[int] = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    autocast: ClassVar[str] = ""
    ndim: ClassVar[int] = 3


@spec
class GlobalAvgPool2d(AdaptiveAvgPool2d):
    """Average over all of H×W: the same as ``AdaptiveAvgPool2d(1)``, output C×1×1."""

    output_size: tuple[int | None, ...] = field(default=(1, 1), init=False)

    if TYPE_CHECKING:
        def __init__(self) -> None: ...

    torch: ClassVar[Any] = None
    functional: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def torch_equivalent(self) -> Leaf | None:
        return AdaptiveAvgPool2d(1)
