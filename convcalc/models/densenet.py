"""DenseNet (Huang et al. 2017) as torchvision defines it: BN-ReLU-Conv bottleneck layers whose
outputs are concatenated onto their input, halving transitions between blocks."""

from __future__ import annotations

from ..layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Concat,
    Conv2d,
    Flatten,
    Identity,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from ..layers.base import Layer
from .registry import TORCH_FLATTEN, register


def dense_layer(cin: int, growth: int, bn_size: int) -> Concat:
    """x ↦ cat(x, conv3×3(relu(bn(conv1×1(relu(bn(x))))))): ``growth`` new channels."""
    return Concat({
        "input": Identity(),
        "layer": Sequential({
            "norm1": BatchNorm2d(cin), "relu1": ReLU(inplace=True), "conv1": Conv2d(cin, bn_size * growth, 1, bias=False),
            "norm2": BatchNorm2d(bn_size * growth), "relu2": ReLU(inplace=True),
            "conv2": Conv2d(bn_size * growth, growth, 3, padding=1, bias=False),
        }),
    })


def densenet(growth: int, blocks: tuple[int, ...], init: int, bn_size: int = 4, num_classes: int = 1000) -> Layer:
    features: dict[str, Layer] = {
        "conv0": Conv2d(3, init, 7, 2, 3, bias=False), "norm0": BatchNorm2d(init), "relu0": ReLU(inplace=True),
        "pool0": MaxPool2d(3, 2, 1),
    }
    channels = init
    for i, count in enumerate(blocks):
        layers = {}
        for j in range(count):
            layers[f"denselayer{j + 1}"] = dense_layer(channels + j * growth, growth, bn_size)
        features[f"denseblock{i + 1}"] = Sequential(layers)
        channels += count * growth
        if i != len(blocks) - 1:
            features[f"transition{i + 1}"] = Sequential({
                "norm": BatchNorm2d(channels), "relu": ReLU(inplace=True),
                "conv": Conv2d(channels, channels // 2, 1, bias=False), "pool": AvgPool2d(2, 2),
            })
            channels //= 2
    features["norm5"] = BatchNorm2d(channels)
    return Sequential({
        "features": Sequential(features), "relu": ReLU(inplace=True), "avgpool": AdaptiveAvgPool2d((1, 1)),
        "flatten": Flatten(), "classifier": Linear(channels, num_classes),
    })


@register(input_shape=(3, 224, 224), params=7_978_856,
          functional={"relu:*": "F.relu", "avgpool:*": "F.adaptive_avg_pool2d", **TORCH_FLATTEN})
def densenet121(num_classes: int = 1000) -> Layer:
    """DenseNet-121 as torchvision defines it: growth 32, blocks (6, 12, 24, 16), 64 initial
    features, bottleneck 4×; 7,978,856 parameters (torchvision's docs: 2.83 GFLOPS)."""
    return densenet(32, (6, 12, 24, 16), 64, num_classes=num_classes)
