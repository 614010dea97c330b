"""ShuffleNet v2 (Ma et al. 2018) as torchvision defines it: channel split, two branches, concat,
channel shuffle."""

from __future__ import annotations

from ..layers import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    ChannelShuffle,
    Chunk,
    Concat,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from ..layers.base import Layer
from .registry import register


def _branch2(cin: int, features: int, stride: int) -> Sequential:
    return Sequential(
        Conv2d(cin, features, 1, bias=False), BatchNorm2d(features), ReLU(inplace=True),
        Conv2d(features, features, 3, stride, 1, groups=features, bias=False), BatchNorm2d(features),
        Conv2d(features, features, 1, bias=False), BatchNorm2d(features), ReLU(inplace=True),
    )


def shuffle_unit(cin: int, cout: int, stride: int) -> Sequential:
    """Stride 2: both branches see x. Stride 1: x splits in two; one half passes, the other is transformed."""
    half = cout // 2
    if stride > 1:
        branches = Concat({
            "branch1": Sequential(
                Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), BatchNorm2d(cin),
                Conv2d(cin, half, 1, bias=False), BatchNorm2d(half), ReLU(inplace=True),
            ),
            "branch2": _branch2(cin, half, stride),
        })
    else:
        branches = Concat({"x1": Chunk(2, 0), "branch2": Sequential(Chunk(2, 1), *_branch2(half, half, 1))})
    return Sequential({"split": branches, "shuffle": ChannelShuffle(2)})


@register(input_shape=(3, 224, 224), params=2_278_604,
          functional={"avgpool:*": "x.mean", "flatten:*": "x.mean", "*.shuffle:*": "channel_shuffle"})
def shufflenet_v2_x1_0(num_classes: int = 1000) -> Layer:
    """ShuffleNet v2 1.0× as torchvision defines it: stages of 4, 8, 4 units with 116, 232, 464
    channels; 2,278,604 parameters (0.14 GFLOPS in its docs)."""
    stages: dict[str, Layer] = {}
    channels = 24
    for i, (count, out) in enumerate(zip((4, 8, 4), (116, 232, 464))):
        stages[f"stage{i + 2}"] = Sequential(*(shuffle_unit(channels if j == 0 else out, out, 2 if j == 0 else 1) for j in range(count)))
        channels = out
    return Sequential({
        "conv1": Sequential(Conv2d(3, 24, 3, 2, 1, bias=False), BatchNorm2d(24), ReLU(inplace=True)),
        "maxpool": MaxPool2d(3, 2, 1),
        **stages,
        "conv5": Sequential(Conv2d(464, 1024, 1, bias=False), BatchNorm2d(1024), ReLU(inplace=True)),
        "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(), "fc": Linear(1024, num_classes),
    })
