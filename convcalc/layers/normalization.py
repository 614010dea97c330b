"""Normalisation: BatchNorm1d/2d/3d and LocalResponseNorm.

BatchNorm: 2C parameters (γ as weights, β as biases) when affine, 2C running
statistics as buffers (not parameters), 2 FLOPs per element (scale and shift
with the folded statistics).

LocalResponseNorm: no parameters; torch computes it as x², an average over
``size`` channels, ·α, +k, ^β and a division, so it costs size+5 FLOPs per
element (torch.nn.functional.local_response_norm).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..errors import ShapeError
from .base import Effect, Leaf, Shape, check_bool, check_number, elementwise, expect_channels, fmt_shape, freeze, positive_int, spec

_RANKS = {1: (1, 2), 2: (3,), 3: (4,)}


@spec
class _BatchNorm(Leaf):
    num_features: int | None
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True

    ndim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        n = self.name
        freeze(self, num_features=positive_int(n, "num_features", self.num_features, optional=True))
        check_number(n, "eps", self.eps)
        if self.momentum is not None:
            check_number(n, "momentum", self.momentum)
        check_bool(n, "affine", self.affine)
        check_bool(n, "track_running_stats", self.track_running_stats)

    def resolved(self, shape: Shape) -> _BatchNorm:
        return self if self.num_features is not None else dataclasses.replace(self, num_features=shape[0])

    def effect(self, shape: Shape) -> Effect:
        ranks = _RANKS[self.ndim]
        if len(shape) not in ranks:
            want = " or ".join(f"{r}-d" for r in ranks)
            raise ShapeError(f"expects a {want} input per sample, got {fmt_shape(shape)} ({len(shape)}-d)")
        c = expect_channels(self, "num_features", self.num_features, shape)
        base = elementwise(shape, 2, formula="γ·(x−μ)/σ+β: 2 per element")
        return dataclasses.replace(
            base,
            weights=c if self.affine else 0,
            biases=c if self.affine else 0,
            buffers=2 * c if self.track_running_stats else 0,
        )


@spec
class BatchNorm1d(_BatchNorm):
    ndim: ClassVar[int] = 1


@spec
class BatchNorm2d(_BatchNorm):
    ndim: ClassVar[int] = 2


@spec
class BatchNorm3d(_BatchNorm):
    ndim: ClassVar[int] = 3


@spec
class LocalResponseNorm(Leaf):
    """torch.nn.LocalResponseNorm (AlexNet's "response normalization" across channels)."""

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

