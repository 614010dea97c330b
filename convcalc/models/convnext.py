"""ConvNeXt (Liu et al. 2022) as torchvision defines it: 7×7 depthwise conv, channels-last
LayerNorm and MLP, layer scale, stochastic depth (the identity at inference)."""

from __future__ import annotations

from ..layers import (
    GELU,
    AdaptiveAvgPool2d,
    Conv2d,
    Flatten,
    LayerNorm,
    LayerNorm2d,
    LayerScale,
    Linear,
    Permute,
    Residual,
    Sequential,
    StochasticDepth,
)
from ..layers.base import Layer
from .registry import register


def cn_block(dim: int, drop: float) -> Residual:
    return Residual(Sequential({
        "dwconv": Conv2d(dim, dim, 7, padding=3, groups=dim), "to_channels_last": Permute((0, 2, 3, 1)),
        "norm": LayerNorm(dim, eps=1e-6), "pwconv1": Linear(dim, 4 * dim), "act": GELU(), "pwconv2": Linear(4 * dim, dim),
        "to_channels_first": Permute((0, 3, 1, 2)), "layer_scale": LayerScale(dim), "stochastic_depth": StochasticDepth(drop),
    }))


def convnext(stages: list[tuple[int, int | None, int]], num_classes: int, drop_path: float = 0.1) -> Layer:
    """``stages``: rows (channels, channels of the next stage or None, blocks)."""
    total = sum(count for _, _, count in stages)
    layers: list[Layer] = [Sequential(Conv2d(3, stages[0][0], 4, 4), LayerNorm2d(stages[0][0]))]
    done = 0
    for dim, nxt, count in stages:
        layers.append(Sequential(*(cn_block(dim, drop_path * (done + j) / (total - 1)) for j in range(count))))
        done += count
        if nxt is not None:
            layers.append(Sequential(LayerNorm2d(dim), Conv2d(dim, nxt, 2, 2)))
    last = stages[-1][0]
    return Sequential({"features": Sequential(*layers), "avgpool": AdaptiveAvgPool2d(1),
                       "classifier": Sequential(LayerNorm2d(last), Flatten(), Linear(last, num_classes))})


@register(input_shape=(3, 224, 224), params=28_589_128, functional={"*.layer_scale:*": "*"})
def convnext_tiny(num_classes: int = 1000) -> Layer:
    """ConvNeXt-T as torchvision defines it: stages (96, 192, 384, 768) of (3, 3, 9, 3) blocks;
    28,589,128 parameters (4.46 GFLOPS in its docs)."""
    return convnext([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], num_classes)
