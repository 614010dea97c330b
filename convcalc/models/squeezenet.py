"""SqueezeNet (Iandola et al. 2016) 1.0 and 1.1 as torchvision defines them: Fire modules
(a 1×1 squeeze, then 1×1 and 3×3 expands side by side) and a 1×1-conv classifier."""

from __future__ import annotations

from ..layers import AdaptiveAvgPool2d, Concat, Conv2d, Dropout, Flatten, MaxPool2d, ReLU, Sequential
from ..layers.base import Layer
from .registry import TORCH_FLATTEN, register


def fire(cin: int, squeeze: int, expand1x1: int, expand3x3: int) -> Sequential:
    return Sequential({
        "squeeze": Conv2d(cin, squeeze, 1), "squeeze_activation": ReLU(inplace=True),
        "expand": Concat({
            "expand1x1": Sequential(Conv2d(squeeze, expand1x1, 1), ReLU(inplace=True)),
            "expand3x3": Sequential(Conv2d(squeeze, expand3x3, 3, padding=1), ReLU(inplace=True)),
        }),
    })


# Each version as a table: a stem conv (out, kernel), then Fire rows (in, squeeze, e1, e3) and "pool".
VERSIONS: dict[str, tuple[tuple[int, int], list[str | tuple[int, int, int, int]]]] = {
    "1_0": ((96, 7), ["pool", (96, 16, 64, 64), (128, 16, 64, 64), (128, 32, 128, 128), "pool", (256, 32, 128, 128),
                      (256, 48, 192, 192), (384, 48, 192, 192), (384, 64, 256, 256), "pool", (512, 64, 256, 256)]),
    "1_1": ((64, 3), ["pool", (64, 16, 64, 64), (128, 16, 64, 64), "pool", (128, 32, 128, 128), (256, 32, 128, 128),
                      "pool", (256, 48, 192, 192), (384, 48, 192, 192), (384, 64, 256, 256), (512, 64, 256, 256)]),
}


def squeezenet(version: str, num_classes: int) -> Layer:
    (stem, kernel), rows = VERSIONS[version]
    layers: list[Layer] = [Conv2d(3, stem, kernel, stride=2), ReLU(inplace=True)]
    for row in rows:
        layers.append(MaxPool2d(3, 2, ceil_mode=True) if isinstance(row, str) else fire(*row))
    return Sequential({
        "features": Sequential(*layers),
        "classifier": Sequential(Dropout(0.5), Conv2d(512, num_classes, 1), ReLU(inplace=True), AdaptiveAvgPool2d((1, 1))),
        "flatten": Flatten(),
    })


@register(input_shape=(3, 224, 224), params=1_248_424, functional=TORCH_FLATTEN)
def squeezenet1_0(num_classes: int = 1000) -> Layer:
    """SqueezeNet 1.0 as torchvision defines it: 1,248,424 parameters (0.82 GFLOPS in its docs)."""
    return squeezenet("1_0", num_classes)


@register(input_shape=(3, 224, 224), params=1_235_496, functional=TORCH_FLATTEN)
def squeezenet1_1(num_classes: int = 1000) -> Layer:
    """SqueezeNet 1.1 as torchvision defines it: 1,235,496 parameters (0.35 GFLOPS in its docs)."""
    return squeezenet("1_1", num_classes)
