"""Pieces several zoo families share: conv-norm-activation units and channel rounding."""

from __future__ import annotations

from collections.abc import Callable

from ..layers import BatchNorm2d, Conv2d, ReLU, Sequential
from ..layers.base import Leaf


def conv_bn(
    cin: int, cout: int, kernel: int | tuple[int, ...] = 3, stride: int = 1, padding: int | tuple[int, ...] | None = None,
    groups: int = 1, activation: Callable[[], Leaf] | None = ReLU, eps: float = 1e-5, dilation: int = 1,
) -> Sequential:
    """torchvision's Conv2dNormActivation: conv (no bias), batch norm, activation; padding keeps the size."""
    if padding is None:
        padding = tuple((k - 1) // 2 * dilation for k in kernel) if isinstance(kernel, tuple) else (kernel - 1) // 2 * dilation
    layers: list[Leaf] = [Conv2d(cin, cout, kernel, stride, padding, dilation, groups=groups, bias=False), BatchNorm2d(cout, eps=eps)]
    if activation is not None:
        layers.append(activation())
    return Sequential(*layers)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: round to a multiple of ``divisor``, never more than 10% down."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded
