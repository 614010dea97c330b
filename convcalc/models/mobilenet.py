"""MobileNet v1 (Howard et al. 2017), v2 (Sandler et al. 2018) and v3 (Howard et al. 2019),
and EfficientNet-B0 (Tan and Le 2019): each a table of rows and one builder."""

from __future__ import annotations

from ..errors import SpecError
from ..layers import (
    AdaptiveAvgPool2d,
    Dropout,
    Flatten,
    Hardsigmoid,
    Hardswish,
    Linear,
    ReLU,
    ReLU6,
    Residual,
    Sequential,
    SiLU,
    SqueezeExcitation,
    StochasticDepth,
)
from ..layers.base import Layer, Shape
from .common import conv_bn, make_divisible
from .registry import TORCH_FLATTEN, register

# --- MobileNet v1: the paper's Table 1, one (stride, output channels) row per depthwise-separable layer ---
MOBILENET_V1_TABLE = [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] + [(1, 512)] * 5 + [(2, 1024), (1, 1024)]


@register(input_shape=(3, 224, 224), params=4_231_976, functional=TORCH_FLATTEN)
def mobilenet_v1(num_classes: int = 1000, width_mult: float = 1.0, resolution: int = 224) -> tuple[Layer, Shape]:
    """MobileNet v1 (Howard et al. 2017, Table 1): a 3×3/2 conv, 13 depthwise-separable layers,
    global average pool, FC; batch norm and ReLU after every conv. ``width_mult`` is the paper's
    α (channels ⌊α·c⌋), ``resolution`` its ρ·224. At 1.0 and 224: 4,231,976 parameters
    (Table 6: 4.2 million) and 568,740,352 MACs, the FC's 1,024,000 included (Table 6: 569
    million mult-adds; Table 7 gives 418, 290 and 186 million at 192, 160 and 128). Table 1 marks the last depthwise conv "s2" yet keeps 7×7 in and out;
    stride 1, as the sizes and every implementation have it."""
    if not 0 < width_mult <= 4:
        raise SpecError(f"mobilenet_v1: width_mult must be in (0, 4], got {width_mult!r}")
    width = lambda c: int(c * width_mult)  # noqa: E731
    layers: list[Layer] = [conv_bn(3, width(32), 3, 2)]
    channels = width(32)
    for stride, out in MOBILENET_V1_TABLE:
        layers.append(Sequential({"dw": conv_bn(channels, channels, 3, stride, groups=channels),
                                  "pw": conv_bn(channels, width(out), 1)}))
        channels = width(out)
    net = Sequential({"features": Sequential(*layers), "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(),
                      "fc": Linear(channels, num_classes)})
    return net, (3, resolution, resolution)


# --- MobileNet v2: the paper's Table 2, rows (t, c, n, s) ---
MOBILENET_V2_TABLE = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def inverted_residual_v2(cin: int, cout: int, stride: int, expand: int) -> Layer:
    hidden = int(round(cin * expand))
    layers: list[Layer] = [conv_bn(cin, hidden, 1, activation=ReLU6)] if expand != 1 else []
    layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, activation=ReLU6), conv_bn(hidden, cout, 1, activation=None)]
    body = Sequential(*layers)
    return Residual(body) if stride == 1 and cin == cout else body


@register(input_shape=(3, 224, 224), params=3_504_872,
          functional={"avgpool:*": "F.adaptive_avg_pool2d", **TORCH_FLATTEN})
def mobilenet_v2(num_classes: int = 1000, width_mult: float = 1.0) -> Layer:
    """MobileNet v2 as torchvision defines it (the paper's Table 2): 3,504,872 parameters at width
    1.0 (torchvision's docs; 0.30 GFLOPS)."""
    channels = make_divisible(32 * width_mult)
    layers: list[Layer] = [conv_bn(3, channels, 3, 2, activation=ReLU6)]
    for t, c, n, s in MOBILENET_V2_TABLE:
        out = make_divisible(c * width_mult)
        for i in range(n):
            layers.append(inverted_residual_v2(channels, out, s if i == 0 else 1, t))
            channels = out
    last = make_divisible(1280 * max(1.0, width_mult))
    layers.append(conv_bn(channels, last, 1, activation=ReLU6))
    return Sequential({"features": Sequential(*layers), "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(),
                       "classifier": Sequential(Dropout(0.2), Linear(last, num_classes))})


# --- MobileNet v3: torchvision's tables, rows (in, kernel, expanded, out, SE, activation, stride) ---
MOBILENET_V3_LARGE = [
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1), (160, 5, 960, 160, True, "HS", 1),
]
MOBILENET_V3_SMALL = [
    (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2), (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2), (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1), (48, 5, 288, 96, True, "HS", 2),
    (96, 5, 576, 96, True, "HS", 1), (96, 5, 576, 96, True, "HS", 1),
]
_ACT = {"RE": ReLU, "HS": Hardswish}


def inverted_residual_v3(cin: int, kernel: int, expanded: int, cout: int, se: bool, act: str, stride: int, dilation: int = 1) -> Layer:
    """torchvision's InvertedResidual; a dilated block (dilation > 1) keeps stride 1 but, as torchvision, no shortcut
    where its row's stride is 2."""
    activation = _ACT[act]
    layers: dict[str, Layer] = {}
    if expanded != cin:
        layers["expand"] = conv_bn(cin, expanded, 1, activation=activation, eps=0.001)
    layers["depthwise"] = conv_bn(expanded, expanded, kernel, 1 if dilation > 1 else stride, groups=expanded, activation=activation,
                                  eps=0.001, dilation=dilation)
    if se:
        layers["se"] = SqueezeExcitation(expanded, make_divisible(expanded // 4), scale_activation=Hardsigmoid())
    layers["project"] = conv_bn(expanded, cout, 1, activation=None, eps=0.001)
    body = Sequential(layers)
    return Residual(body) if stride == 1 and cin == cout else body


def mobilenet_v3_features(table: list[tuple[int, int, int, int, bool, str, int]], dilated: bool = False) -> Sequential:
    """The stem, the table's blocks and the last 1×1 conv (to 6× the last block's channels). ``dilated`` as torchvision's
    ``dilated=True`` (its segmentation backbones): the last three blocks take dilation 2, the stride-2 one stride 1."""
    layers: list[Layer] = [conv_bn(3, 16, 3, 2, activation=Hardswish, eps=0.001)]
    layers += [inverted_residual_v3(*row, dilation=2 if dilated and i >= len(table) - 3 else 1) for i, row in enumerate(table)]
    last_in = table[-1][3]
    layers.append(conv_bn(last_in, 6 * last_in, 1, activation=Hardswish, eps=0.001))
    return Sequential(*layers)


def mobilenet_v3(table: list[tuple[int, int, int, int, bool, str, int]], last_channel: int, num_classes: int) -> Layer:
    last_in = table[-1][3]
    return Sequential({
        "features": mobilenet_v3_features(table), "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(),
        "classifier": Sequential(Linear(6 * last_in, last_channel), Hardswish(inplace=True), Dropout(0.2, inplace=True),
                                 Linear(last_channel, num_classes)),
    })


@register(input_shape=(3, 224, 224), params=5_483_032, functional=TORCH_FLATTEN)
def mobilenet_v3_large(num_classes: int = 1000) -> Layer:
    """MobileNet v3 Large as torchvision defines it: 5,483,032 parameters (0.22 GFLOPS in its docs)."""
    return mobilenet_v3(MOBILENET_V3_LARGE, 1280, num_classes)


@register(input_shape=(3, 224, 224), params=2_542_856, functional=TORCH_FLATTEN)
def mobilenet_v3_small(num_classes: int = 1000) -> Layer:
    """MobileNet v3 Small as torchvision defines it: 2,542,856 parameters (0.06 GFLOPS in its docs)."""
    return mobilenet_v3(MOBILENET_V3_SMALL, 1024, num_classes)


# --- EfficientNet-B0: the paper's Table 1, rows (expand, kernel, stride, in, out, layers) ---
EFFICIENTNET_B0 = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                   (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]


def mbconv(expand: int, kernel: int, stride: int, cin: int, cout: int, drop: float) -> Layer:
    expanded = make_divisible(cin * expand)
    layers: dict[str, Layer] = {}
    if expanded != cin:
        layers["expand"] = conv_bn(cin, expanded, 1, activation=SiLU)
    layers["depthwise"] = conv_bn(expanded, expanded, kernel, stride, groups=expanded, activation=SiLU)
    layers["se"] = SqueezeExcitation(expanded, max(1, cin // 4), activation=SiLU(inplace=True))
    layers["project"] = conv_bn(expanded, cout, 1, activation=None)
    if stride == 1 and cin == cout:
        return Residual(Sequential({**layers, "stochastic_depth": StochasticDepth(drop)}))
    return Sequential(layers)


@register(input_shape=(3, 224, 224), params=5_288_548, functional=TORCH_FLATTEN)
def efficientnet_b0(num_classes: int = 1000) -> Layer:
    """EfficientNet-B0 as torchvision defines it: MBConv blocks with squeeze-and-excitation and SiLU;
    stochastic depth is the identity at inference. 5,288,548 parameters (0.39 GFLOPS in its docs)."""
    total = sum(row[-1] for row in EFFICIENTNET_B0)
    layers: list[Layer] = [conv_bn(3, 32, 3, 2, activation=SiLU)]
    done = 0
    for expand, kernel, stride, cin, cout, count in EFFICIENTNET_B0:
        stage = []
        for i in range(count):
            stage.append(mbconv(expand, kernel, stride if i == 0 else 1, cin if i == 0 else cout, cout, 0.2 * done / total))
            done += 1
        layers.append(Sequential(*stage))
    layers.append(conv_bn(320, 1280, 1, activation=SiLU))
    return Sequential({"features": Sequential(*layers), "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(),
                       "classifier": Sequential(Dropout(0.2, inplace=True), Linear(1280, num_classes))})
