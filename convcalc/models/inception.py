"""GoogLeNet (Szegedy et al. 2015) and Inception v3 (Szegedy et al. 2016) as torchvision defines them,
without the auxiliary classifiers (they only run in training).

Every conv is torchvision's BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU.
"""

from __future__ import annotations

from ..layers import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Concat,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
)
from ..layers.base import Layer
from .common import conv_bn
from .registry import TORCH_FLATTEN, register


def basic(cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1, padding: int | tuple[int, int] = 0) -> Sequential:
    return conv_bn(cin, cout, kernel, stride, padding, eps=0.001)


# GoogLeNet's Table 1 as torchvision builds it: (name, in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj).
# torchvision (like the reference code it ported) uses a 3×3 conv where the paper's "5×5" branch is.
GOOGLENET_TABLE: list[tuple[str, *tuple[int, ...]]] = [
    ("inception3a", 192, 64, 96, 128, 16, 32, 32),
    ("inception3b", 256, 128, 128, 192, 32, 96, 64),
    ("maxpool3", 3),
    ("inception4a", 480, 192, 96, 208, 16, 48, 64),
    ("inception4b", 512, 160, 112, 224, 24, 64, 64),
    ("inception4c", 512, 128, 128, 256, 24, 64, 64),
    ("inception4d", 512, 112, 144, 288, 32, 64, 64),
    ("inception4e", 528, 256, 160, 320, 32, 128, 128),
    ("maxpool4", 2),
    ("inception5a", 832, 256, 160, 320, 32, 128, 128),
    ("inception5b", 832, 384, 192, 384, 48, 128, 128),
]


def inception_v1(cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, proj: int) -> Concat:
    return Concat({
        "branch1": basic(cin, c1, 1),
        "branch2": Sequential(basic(cin, c3r, 1), basic(c3r, c3, 3, padding=1)),
        "branch3": Sequential(basic(cin, c5r, 1), basic(c5r, c5, 3, padding=1)),
        "branch4": Sequential(MaxPool2d(3, 1, 1, ceil_mode=True), basic(cin, proj, 1)),
    })


@register(input_shape=(3, 224, 224), params=6_624_904, functional={"*:relu": "F.relu", **TORCH_FLATTEN})
def googlenet(num_classes: int = 1000) -> Layer:
    """GoogLeNet (Inception v1) as torchvision defines it: batch norm after every conv, no auxiliary
    heads; 6,624,904 parameters (torchvision's docs: 1.5 GFLOPS)."""
    body: dict[str, Layer] = {
        "conv1": basic(3, 64, 7, 2, 3), "maxpool1": MaxPool2d(3, 2, ceil_mode=True),
        "conv2": basic(64, 64, 1), "conv3": basic(64, 192, 3, padding=1), "maxpool2": MaxPool2d(3, 2, ceil_mode=True),
    }
    for name, *numbers in GOOGLENET_TABLE:
        body[name] = inception_v1(*numbers) if len(numbers) > 1 else MaxPool2d(numbers[0], 2, ceil_mode=True)
    return Sequential({**body, "avgpool": AdaptiveAvgPool2d((1, 1)), "flatten": Flatten(), "dropout": Dropout(0.2),
                       "fc": Linear(1024, num_classes)})


def _pool_branch(cin: int, cout: int) -> Sequential:
    return Sequential(AvgPool2d(3, 1, 1), basic(cin, cout, 1))


def inception_a(cin: int, pool: int) -> Concat:
    return Concat({
        "branch1x1": basic(cin, 64, 1),
        "branch5x5": Sequential(basic(cin, 48, 1), basic(48, 64, 5, padding=2)),
        "branch3x3dbl": Sequential(basic(cin, 64, 1), basic(64, 96, 3, padding=1), basic(96, 96, 3, padding=1)),
        "branch_pool": _pool_branch(cin, pool),
    })


def inception_b(cin: int) -> Concat:
    return Concat({
        "branch3x3": basic(cin, 384, 3, 2),
        "branch3x3dbl": Sequential(basic(cin, 64, 1), basic(64, 96, 3, padding=1), basic(96, 96, 3, 2)),
        "branch_pool": MaxPool2d(3, 2),
    })


def inception_c(cin: int, c7: int) -> Concat:
    return Concat({
        "branch1x1": basic(cin, 192, 1),
        "branch7x7": Sequential(basic(cin, c7, 1), basic(c7, c7, (1, 7), padding=(0, 3)), basic(c7, 192, (7, 1), padding=(3, 0))),
        "branch7x7dbl": Sequential(
            basic(cin, c7, 1), basic(c7, c7, (7, 1), padding=(3, 0)), basic(c7, c7, (1, 7), padding=(0, 3)),
            basic(c7, c7, (7, 1), padding=(3, 0)), basic(c7, 192, (1, 7), padding=(0, 3)),
        ),
        "branch_pool": _pool_branch(cin, 192),
    })


def inception_d(cin: int) -> Concat:
    return Concat({
        "branch3x3": Sequential(basic(cin, 192, 1), basic(192, 320, 3, 2)),
        "branch7x7x3": Sequential(
            basic(cin, 192, 1), basic(192, 192, (1, 7), padding=(0, 3)), basic(192, 192, (7, 1), padding=(3, 0)),
            basic(192, 192, 3, 2),
        ),
        "branch_pool": MaxPool2d(3, 2),
    })


def _split_3x3(cin: int) -> Concat:
    """InceptionE's fork: a 1×3 and a 3×1 conv side by side."""
    return Concat({"a": basic(cin, 384, (1, 3), padding=(0, 1)), "b": basic(cin, 384, (3, 1), padding=(1, 0))})


def inception_e(cin: int) -> Concat:
    return Concat({
        "branch1x1": basic(cin, 320, 1),
        "branch3x3": Sequential(basic(cin, 384, 1), _split_3x3(384)),
        "branch3x3dbl": Sequential(basic(cin, 448, 1), basic(448, 384, 3, padding=1), _split_3x3(384)),
        "branch_pool": _pool_branch(cin, 192),
    })


@register(input_shape=(3, 299, 299), params=23_834_568, functional={
    "*:relu": "F.relu", "*.branch_pool.0:avgpool2d": "F.avg_pool2d", "*.branch_pool:maxpool2d": "F.max_pool2d", **TORCH_FLATTEN})
def inception_v3(num_classes: int = 1000) -> Layer:
    """Inception v3 as torchvision defines it, without the auxiliary classifier: 23,834,568
    parameters (torchvision's 27,161,264 with it, less the AuxLogits head's 3,326,696:
    768·128 + 256, 128·768·25 + 1,536 and 768·1000 + 1000); 299×299 input."""
    return Sequential({
        "Conv2d_1a_3x3": basic(3, 32, 3, 2), "Conv2d_2a_3x3": basic(32, 32, 3), "Conv2d_2b_3x3": basic(32, 64, 3, padding=1),
        "maxpool1": MaxPool2d(3, 2),
        "Conv2d_3b_1x1": basic(64, 80, 1), "Conv2d_4a_3x3": basic(80, 192, 3), "maxpool2": MaxPool2d(3, 2),
        "Mixed_5b": inception_a(192, 32), "Mixed_5c": inception_a(256, 64), "Mixed_5d": inception_a(288, 64),
        "Mixed_6a": inception_b(288),
        "Mixed_6b": inception_c(768, 128), "Mixed_6c": inception_c(768, 160), "Mixed_6d": inception_c(768, 160),
        "Mixed_6e": inception_c(768, 192),
        "Mixed_7a": inception_d(768), "Mixed_7b": inception_e(1280), "Mixed_7c": inception_e(2048),
        "avgpool": AdaptiveAvgPool2d((1, 1)), "dropout": Dropout(0.5), "flatten": Flatten(), "fc": Linear(2048, num_classes),
    })
