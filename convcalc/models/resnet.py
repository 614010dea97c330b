"""ResNets as torchvision defines them (He et al. 2016, v1.5: the stride on the bottleneck's 3×3).

Each variant is a data row: the block and how many of each stage, plus ResNeXt's
groups and width per group (Xie et al. 2017) and Wide ResNet's doubled width
(Zagoruyko and Komodakis 2016).
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SpecError
from ..layers import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential
from ..layers.base import Layer
from .registry import TORCH_FLATTEN, register


def basic_block(inplanes: int, planes: int, stride: int, groups: int = 1, base_width: int = 64, dilation: int = 1) -> Residual:
    """Two 3×3 convs; out = relu(body(x) + shortcut(x)). Expansion 1; no dilation (torchvision refuses it too)."""
    if dilation > 1:
        raise SpecError(f"basic_block: dilation {dilation} > 1 is not supported (torchvision's BasicBlock refuses it); use bottleneck")
    body = Sequential({
        "conv1": Conv2d(inplanes, planes, 3, stride, 1, bias=False), "bn1": BatchNorm2d(planes), "relu": ReLU(inplace=True),
        "conv2": Conv2d(planes, planes, 3, 1, 1, bias=False), "bn2": BatchNorm2d(planes),
    })
    return Residual(body, _shortcut(inplanes, planes, stride), activation=ReLU(inplace=True))


def bottleneck(inplanes: int, planes: int, stride: int, groups: int = 1, base_width: int = 64, dilation: int = 1) -> Residual:
    """1×1 down to ``width``, 3×3 (strided, grouped; dilated with padding = dilation), 1×1 up to 4·planes. Expansion 4."""
    width = int(planes * (base_width / 64.0)) * groups
    body = Sequential({
        "conv1": Conv2d(inplanes, width, 1, bias=False), "bn1": BatchNorm2d(width), "relu1": ReLU(inplace=True),
        "conv2": Conv2d(width, width, 3, stride, dilation, dilation, groups=groups, bias=False), "bn2": BatchNorm2d(width),
        "relu2": ReLU(inplace=True),
        "conv3": Conv2d(width, planes * 4, 1, bias=False), "bn3": BatchNorm2d(planes * 4),
    })
    return Residual(body, _shortcut(inplanes, planes * 4, stride), activation=ReLU(inplace=True))


def _shortcut(inplanes: int, outplanes: int, stride: int) -> Sequential | None:
    """torchvision's ``downsample``: a 1×1 projection where the shape changes, else the identity."""
    if stride == 1 and inplanes == outplanes:
        return None
    return Sequential(Conv2d(inplanes, outplanes, 1, stride, bias=False), BatchNorm2d(outplanes))


EXPANSION: dict[Callable[..., Residual], int] = {basic_block: 1, bottleneck: 4}


def resnet_features(block: Callable[..., Residual], counts: tuple[int, int, int, int], groups: int = 1, width_per_group: int = 64,
                    replace_stride_with_dilation: tuple[bool, bool, bool] = (False, False, False)) -> dict[str, Layer]:
    """The stem and four stages of ``counts`` blocks (64, 128, 256, 512 planes), by torchvision's names.

    ``replace_stride_with_dilation`` (stages 2–4) as torchvision: such a stage keeps stride 1 and
    multiplies the dilation by 2 instead; its first block keeps the dilation before, the rest take the new one."""
    stages: dict[str, Layer] = {
        "conv1": Conv2d(3, 64, 7, 2, 3, bias=False), "bn1": BatchNorm2d(64), "relu": ReLU(inplace=True), "maxpool": MaxPool2d(3, 2, 1),
    }
    inplanes, dilation = 64, 1
    for i, (planes, count) in enumerate(zip((64, 128, 256, 512), counts)):
        stride, previous = (2 if i > 0 else 1), dilation
        if i > 0 and replace_stride_with_dilation[i - 1]:
            dilation, stride = dilation * stride, 1
        blocks = []
        for j in range(count):
            blocks.append(block(inplanes, planes, stride if j == 0 else 1, groups, width_per_group, previous if j == 0 else dilation))
            inplanes = planes * EXPANSION[block]
        stages[f"layer{i + 1}"] = Sequential(*blocks)
    return stages


def resnet(block: Callable[..., Residual], counts: tuple[int, int, int, int], num_classes: int = 1000, groups: int = 1,
           width_per_group: int = 64) -> Layer:
    """The stem, four stages of ``counts`` blocks (64, 128, 256, 512 planes), pool and classifier."""
    inplanes = 512 * EXPANSION[block]
    return Sequential({
        **resnet_features(block, counts, groups, width_per_group),
        "avgpool": AdaptiveAvgPool2d((1, 1)), "flatten": Flatten(), "fc": Linear(inplanes, num_classes),
    })


@register(input_shape=(3, 224, 224), params=11_689_512, functional=TORCH_FLATTEN)
def resnet18(num_classes: int = 1000) -> Layer:
    """ResNet-18 as torchvision defines it: basic blocks (2, 2, 2, 2); 11,689,512 parameters."""
    return resnet(basic_block, (2, 2, 2, 2), num_classes)


@register(input_shape=(3, 224, 224), params=21_797_672, functional=TORCH_FLATTEN)
def resnet34(num_classes: int = 1000) -> Layer:
    """ResNet-34 as torchvision defines it: basic blocks (3, 4, 6, 3); 21,797,672 parameters."""
    return resnet(basic_block, (3, 4, 6, 3), num_classes)


@register(input_shape=(3, 224, 224), params=25_557_032, functional=TORCH_FLATTEN)
def resnet50(num_classes: int = 1000) -> Layer:
    """ResNet-50 as torchvision defines it (v1.5): bottlenecks (3, 4, 6, 3); 25,557,032 parameters
    and 4,089,184,256 MACs (torchvision's docs: 4.09 GFLOPS)."""
    return resnet(bottleneck, (3, 4, 6, 3), num_classes)


@register(input_shape=(3, 224, 224), params=44_549_160, functional=TORCH_FLATTEN)
def resnet101(num_classes: int = 1000) -> Layer:
    """ResNet-101 as torchvision defines it (v1.5): bottlenecks (3, 4, 23, 3); 44,549,160 parameters."""
    return resnet(bottleneck, (3, 4, 23, 3), num_classes)


@register(input_shape=(3, 224, 224), params=60_192_808, functional=TORCH_FLATTEN)
def resnet152(num_classes: int = 1000) -> Layer:
    """ResNet-152 as torchvision defines it (v1.5): bottlenecks (3, 8, 36, 3); 60,192,808 parameters."""
    return resnet(bottleneck, (3, 8, 36, 3), num_classes)


@register(input_shape=(3, 224, 224), params=25_028_904, functional=TORCH_FLATTEN)
def resnext50_32x4d(num_classes: int = 1000) -> Layer:
    """ResNeXt-50 32×4d as torchvision defines it: ResNet-50 with 32 groups of width 4 in each
    3×3; 25,028,904 parameters."""
    return resnet(bottleneck, (3, 4, 6, 3), num_classes, groups=32, width_per_group=4)


@register(input_shape=(3, 224, 224), params=68_883_240, functional=TORCH_FLATTEN)
def wide_resnet50_2(num_classes: int = 1000) -> Layer:
    """Wide ResNet-50-2 as torchvision defines it: ResNet-50 with bottlenecks twice as wide
    (width per group 128); 68,883,240 parameters."""
    return resnet(bottleneck, (3, 4, 6, 3), num_classes, width_per_group=128)
