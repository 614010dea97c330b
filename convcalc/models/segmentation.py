"""Dense prediction: U-Net (Ronneberger et al. 2015) and torchvision's semantic segmentation models,
FCN (Long et al. 2015) and DeepLabV3 (Chen et al. 2017) on a dilated ResNet-50, LR-ASPP (Howard et al.
2019) on a dilated MobileNetV3-Large: 21 classes (Pascal VOC), no auxiliary head, at 520×520.

torchvision's forward ends with ``F.interpolate(x, size=input_shape, mode="bilinear",
align_corners=False)``: here an ``Upsample`` row to the size of the input the model is built for
(``resolution``), which is why these builders take the resolution rather than any input."""

from __future__ import annotations

from ..errors import SpecError
from ..layers import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    CenterCrop,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    MaxPool2d,
    Product,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Upsample,
)
from ..layers.base import Layer, Shape
from .mobilenet import MOBILENET_V3_LARGE, mobilenet_v3_features
from .registry import register
from .resnet import bottleneck, resnet_features

# --- U-Net: Ronneberger et al. 2015, Figure 1 ---
UNET_WIDTHS = (64, 128, 256, 512, 1024)


def _unet_pair(cin: int, cout: int) -> Sequential:
    """Two unpadded 3×3 convs, each followed by a ReLU: the size shrinks by 4."""
    return Sequential(Conv2d(cin, cout, 3), ReLU(inplace=True), Conv2d(cout, cout, 3), ReLU(inplace=True))


def _unet_level(widths: tuple[int, ...], cin: int, size: int) -> tuple[Layer, int]:
    """One level of the U and every level below it, for an input ``size``; returns the level and its output size.

    A level: two convs ("down"); then, but at the bottom, a Concat of the copied map center-cropped
    ("copy") and the path through the 2×2 max pool, the levels below and the 2×2 up-convolution ("up");
    then two convs on the concatenation ("up" of the outer Sequential halves the channels again)."""
    if size < 5:
        raise SpecError(f"unet: a level at depth {len(UNET_WIDTHS) - len(widths) + 1} gets {size}×{size}; its two unpadded 3×3 convs "
                        "need at least 5×5 (a larger resolution fits, such as 572)")
    width, size = widths[0], size - 4
    down = _unet_pair(cin, width)
    if len(widths) == 1:
        return down, size
    inner, inner_size = _unet_level(widths[1:], width, size // 2)
    up_size = 2 * inner_size  # the 2×2 up-convolution at stride 2 doubles the size
    skip = Concat({
        "copy": CenterCrop((up_size, up_size)),
        "up": Sequential({"pool": MaxPool2d(2), "inner": inner, "upconv": ConvTranspose2d(2 * width, width, 2, stride=2)}),
    })
    return Sequential({"down": down, "skip": skip, "up": _unet_pair(2 * width, width)}), up_size - 4


@register(input_shape=(1, 572, 572), params=31_030_658)
def unet(in_channels: int = 1, num_classes: int = 2, resolution: int = 572) -> tuple[Layer, Shape]:
    """U-Net (Ronneberger et al. 2015, Figure 1) as published: 1×572×572 in, 2×388×388 out; unpadded 3×3
    convs and ReLU, 2×2 max pools, 2×2 up-convolutions halving the channels, the contracting path's map
    center-cropped to the expanding path's size and concatenated (copy first), a final 1×1 conv to the
    classes. 31,030,658 parameters (worked by hand in tests/test_zoo.py). ``resolution`` builds the crops
    for another square input (the paper picks sizes whose every max pool sees an even size)."""
    if resolution < 1:
        raise SpecError(f"unet: resolution must be a positive size, got {resolution!r}")
    body, _ = _unet_level(UNET_WIDTHS, in_channels, resolution)
    return Sequential({"body": body, "final": Conv2d(UNET_WIDTHS[0], num_classes, 1)}), (in_channels, resolution, resolution)


# --- torchvision's segmentation models ---


def _half(size: int) -> int:
    """A stride-2 layer of these backbones (7×7 pad 3, 3×3 pad 1, 5×5 pad 2, the 3×3 max pool pad 1):
    ⌊(I + 2P − K)/2⌋ + 1 = ⌊(I − 1)/2⌋ + 1."""
    return (size - 1) // 2 + 1


def _sizes(resolution: int | tuple[int, int], model: str) -> tuple[int, int]:
    """The input's height and width: one size (square) or two."""
    sizes = (resolution, resolution) if isinstance(resolution, int) else tuple(resolution) if isinstance(resolution, (tuple, list)) else ()
    if len(sizes) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sizes):
        raise SpecError(f"{model}: resolution must be a positive size or (height, width), got {resolution!r}")
    return sizes[0], sizes[1]


def _interpolate(size: tuple[int, int]) -> Upsample:
    """torchvision's ``F.interpolate(x, size=…, mode="bilinear", align_corners=False)``."""
    return Upsample(size=size, mode="bilinear", align_corners=False)


def _resnet50_backbone() -> Sequential:
    """ResNet-50 with replace_stride_with_dilation [False, True, True] up to layer4 (output stride 8)."""
    return Sequential(resnet_features(bottleneck, (3, 4, 6, 3), replace_stride_with_dilation=(False, True, True)))


def _stride8(h: int, w: int) -> tuple[int, int]:
    return _half(_half(_half(h))), _half(_half(_half(w)))


#: torchvision's segmentation forward calls F.interpolate for its last step (and ASPP's pooling branch).
INTERPOLATE = {"interpolate:*": "F.interpolate", "*.interpolate:*": "F.interpolate", "classifier.0.convs.4.4:*": "F.interpolate"}


@register(input_shape=(3, 520, 520), params=32_957_013, functional=INTERPOLATE)
def fcn_resnet50(num_classes: int = 21, resolution: int | tuple[int, int] = 520) -> tuple[Layer, Shape]:
    """FCN-ResNet50 as torchvision builds it without the auxiliary head: the dilated ResNet-50 backbone
    (output stride 8), FCNHead (3×3 conv to 512, batch norm, ReLU, dropout 0.1, 1×1 conv to the classes),
    bilinear interpolation back to the input size. 32,957,013 parameters: torchvision's documented
    35,322,218 less the auxiliary FCNHead(1024) on layer3, 1024·256·9 + 2·256 + 256·21 + 21 = 2,365,205."""
    h, w = _sizes(resolution, "fcn_resnet50")
    head = Sequential(Conv2d(2048, 512, 3, padding=1, bias=False), BatchNorm2d(512), ReLU(), Dropout(0.1), Conv2d(512, num_classes, 1))
    return Sequential({"backbone": _resnet50_backbone(), "classifier": head, "interpolate": _interpolate((h, w))}), (3, h, w)


def _aspp(cin: int, size: tuple[int, int], rates: tuple[int, ...] = (12, 24, 36), cout: int = 256) -> Sequential:
    """torchvision's ASPP: a 1×1 branch, a 3×3 branch per rate (dilation = padding = rate), image pooling
    (global average, 1×1 conv, batch norm, ReLU, bilinear back to the map's size), concatenated and projected."""
    branches: list[Layer] = [Sequential(Conv2d(cin, cout, 1, bias=False), BatchNorm2d(cout), ReLU())]
    branches += [Sequential(Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False), BatchNorm2d(cout), ReLU()) for r in rates]
    branches.append(Sequential(AdaptiveAvgPool2d(1), Conv2d(cin, cout, 1, bias=False), BatchNorm2d(cout), ReLU(), _interpolate(size)))
    return Sequential({
        "convs": Concat(*branches),
        "project": Sequential(Conv2d(len(branches) * cout, cout, 1, bias=False), BatchNorm2d(cout), ReLU(), Dropout(0.5)),
    })


@register(input_shape=(3, 520, 520), params=39_638_869, functional=INTERPOLATE)
def deeplabv3_resnet50(num_classes: int = 21, resolution: int | tuple[int, int] = 520) -> tuple[Layer, Shape]:
    """DeepLabV3-ResNet50 as torchvision builds it without the auxiliary head: the dilated ResNet-50
    backbone (output stride 8), DeepLabHead (ASPP at rates 12, 24, 36 to 256 channels, 3×3 conv, batch
    norm, ReLU, 1×1 conv to the classes), bilinear interpolation back to the input size. 39,638,869
    parameters: torchvision's documented 42,004,074 less the auxiliary FCNHead(1024), 2,365,205."""
    h, w = _sizes(resolution, "deeplabv3_resnet50")
    head = Sequential(_aspp(2048, _stride8(h, w)), Conv2d(256, 256, 3, padding=1, bias=False), BatchNorm2d(256), ReLU(),
                      Conv2d(256, num_classes, 1))
    return Sequential({"backbone": _resnet50_backbone(), "classifier": head, "interpolate": _interpolate((h, w))}), (3, h, w)


@register(input_shape=(3, 520, 520), params=3_221_538, functional=INTERPOLATE)
def lraspp_mobilenet_v3_large(num_classes: int = 21, resolution: int | tuple[int, int] = 520) -> tuple[Layer, Shape]:
    """LR-ASPP on MobileNetV3-Large as torchvision builds it: the dilated features (the last three blocks
    at dilation 2, output stride 16); "low" is the output of features[4] (40 channels, stride 8), "high"
    the last features (960 channels). The head: cbr(high) (1×1 conv to 128, batch norm, ReLU) times
    scale(high) (global average pool, 1×1 conv to 128, sigmoid), bilinear up to the low map, a 1×1
    classifier, plus a 1×1 classifier of low; then bilinear back to the input size. Here the high path is
    the body and the low classifier the shortcut of a Residual. 3,221,538 parameters (torchvision's docs;
    it has no auxiliary head)."""
    h, w = _sizes(resolution, "lraspp_mobilenet_v3_large")
    features = mobilenet_v3_features(MOBILENET_V3_LARGE, dilated=True)
    low_pos, inter, low_channels, high_channels = 4, 128, MOBILENET_V3_LARGE[3][3], 6 * MOBILENET_V3_LARGE[-1][3]
    high = Sequential({name: layer for name, layer in zip(features.names[low_pos + 1:], features.layers[low_pos + 1:])})
    gate = Product({
        "cbr": Sequential(Conv2d(high_channels, inter, 1, bias=False), BatchNorm2d(inter), ReLU(inplace=True)),
        "scale": Sequential(AdaptiveAvgPool2d(1), Conv2d(high_channels, inter, 1, bias=False), Sigmoid()),
    })
    body = Sequential({"high": high, "gate": gate, "interpolate": _interpolate(_stride8(h, w)), "high_classifier": Conv2d(inter, num_classes, 1)})
    return Sequential({
        "backbone": Sequential(*features.layers[:low_pos + 1]),
        "classifier": Residual(body, shortcut=Conv2d(low_channels, num_classes, 1)),
        "interpolate": _interpolate((h, w)),
    }), (3, h, w)
