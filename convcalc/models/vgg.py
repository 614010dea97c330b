"""VGG (Simonyan and Zisserman, ICLR 2015): Table 1's six columns, written in the paper's own notation.

``vgg11``…``vgg19`` and their ``_bn`` variants are torchvision's (an adaptive 7×7
average pool before the classifier, batch norm after every conv in ``_bn``);
``vgg_a_lrn`` and ``vgg_c`` are the paper's remaining columns, at its fixed
224×224 input.
"""

from __future__ import annotations

from ..errors import SpecError
from ..layers import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    ReLU,
    Sequential,
)
from ..layers.base import Layer
from .registry import TORCH_FLATTEN, register

# Table 1 of the paper, column by column ("conv<receptive field>-<channels>").
TABLE1 = {
    "A": "conv3-64 maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
    "A-LRN": "conv3-64 LRN maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
    "B": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool "
         "conv3-512 conv3-512 maxpool",
    "C": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv1-256 maxpool "
         "conv3-512 conv3-512 conv1-512 maxpool conv3-512 conv3-512 conv1-512 maxpool",
    "D": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv3-256 maxpool "
         "conv3-512 conv3-512 conv3-512 maxpool conv3-512 conv3-512 conv3-512 maxpool",
    "E": "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv3-256 conv3-256 maxpool "
         "conv3-512 conv3-512 conv3-512 conv3-512 maxpool conv3-512 conv3-512 conv3-512 conv3-512 maxpool",
}


def features(column: str, batch_norm: bool = False) -> Sequential:
    """The convolutional part of one Table 1 column: 3×3 convs padded by 1, ReLU, 2×2/2 max pools."""
    layers: list[Layer] = []
    channels = 3
    for item in TABLE1[column].split():
        if item == "maxpool":
            layers.append(MaxPool2d(2, 2))
        elif item == "LRN":  # Krizhevsky's normalisation, as section 2.1 of the paper says
            layers.append(LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
        elif item.startswith("conv"):
            kernel, width = (int(v) for v in item[4:].split("-"))
            layers.append(Conv2d(channels, width, kernel, padding=kernel // 2))
            layers += [BatchNorm2d(width), ReLU(inplace=True)] if batch_norm else [ReLU(inplace=True)]
            channels = width
        else:  # pragma: no cover - the table above is fixed
            raise SpecError(f"VGG table: unknown item {item!r}")
    return Sequential(*layers)


def _vgg(column: str, batch_norm: bool, num_classes: int, adaptive: bool = True) -> Layer:
    head = {"avgpool": AdaptiveAvgPool2d((7, 7))} if adaptive else {}
    return Sequential({
        "features": features(column, batch_norm),
        **head,
        "flatten": Flatten(),
        "classifier": Sequential(
            Linear(512 * 7 * 7, 4096), ReLU(inplace=True), Dropout(),
            Linear(4096, 4096), ReLU(inplace=True), Dropout(),
            Linear(4096, num_classes),
        ),
    })


@register(input_shape=(3, 224, 224), params=132_863_336, functional=TORCH_FLATTEN)
def vgg11(num_classes: int = 1000) -> Layer:
    """VGG-11 (Table 1, column A) as torchvision defines it: 132,863,336 parameters."""
    return _vgg("A", False, num_classes)


@register(input_shape=(3, 224, 224), params=132_868_840, functional=TORCH_FLATTEN)
def vgg11_bn(num_classes: int = 1000) -> Layer:
    """VGG-11 with batch norm as torchvision defines it: 132,868,840 parameters."""
    return _vgg("A", True, num_classes)


@register(input_shape=(3, 224, 224), params=133_047_848, functional=TORCH_FLATTEN)
def vgg13(num_classes: int = 1000) -> Layer:
    """VGG-13 (Table 1, column B) as torchvision defines it: 133,047,848 parameters."""
    return _vgg("B", False, num_classes)


@register(input_shape=(3, 224, 224), params=133_053_736, functional=TORCH_FLATTEN)
def vgg13_bn(num_classes: int = 1000) -> Layer:
    """VGG-13 with batch norm as torchvision defines it: 133,053,736 parameters."""
    return _vgg("B", True, num_classes)


@register(input_shape=(3, 224, 224), params=138_357_544, functional=TORCH_FLATTEN)
def vgg16(num_classes: int = 1000) -> Layer:
    """VGG-16 (Table 1, column D) as torchvision defines it: 138,357,544 parameters and
    15,470,264,320 MACs (torchvision's docs: 15.47 GFLOPS; the paper's Table 2: 138 M)."""
    return _vgg("D", False, num_classes)


@register(input_shape=(3, 224, 224), params=138_365_992, functional=TORCH_FLATTEN)
def vgg16_bn(num_classes: int = 1000) -> Layer:
    """VGG-16 with batch norm as torchvision defines it: 138,365,992 parameters."""
    return _vgg("D", True, num_classes)


@register(input_shape=(3, 224, 224), params=143_667_240, functional=TORCH_FLATTEN)
def vgg19(num_classes: int = 1000) -> Layer:
    """VGG-19 (Table 1, column E) as torchvision defines it: 143,667,240 parameters."""
    return _vgg("E", False, num_classes)


@register(input_shape=(3, 224, 224), params=143_678_248, functional=TORCH_FLATTEN)
def vgg19_bn(num_classes: int = 1000) -> Layer:
    """VGG-19 with batch norm as torchvision defines it: 143,678,248 parameters."""
    return _vgg("E", True, num_classes)


@register(input_shape=(3, 224, 224), params=132_863_336, functional=TORCH_FLATTEN)
def vgg_a_lrn(num_classes: int = 1000) -> Layer:
    """The paper's column A-LRN (Table 1): VGG-11 with local response normalisation after the
    first conv, at the paper's fixed 224×224 input. LRN has no weights, so the count is A's:
    132,863,336 (Table 2: 133 M for A and A-LRN)."""
    return _vgg("A-LRN", False, num_classes, adaptive=False)


@register(input_shape=(3, 224, 224), params=133_638_952, functional=TORCH_FLATTEN)
def vgg_c(num_classes: int = 1000) -> Layer:
    """The paper's column C (Table 1): VGG-16 with the third conv of stages 3–5 a 1×1 conv.
    By hand from D's 138,357,544: conv1-256 saves 256·256·8 = 524,288 and each conv1-512
    512·512·8 = 2,097,152, so 138,357,544 − 4,718,592 = 133,638,952 (Table 2: 134 M)."""
    return _vgg("C", False, num_classes, adaptive=False)
