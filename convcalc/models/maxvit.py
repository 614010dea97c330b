"""MaxViT (Tu et al. 2022) as torchvision defines it: a conv stem, then stages of MaxViT layers (an MBConv,
attention within 7×7 windows, attention over a 7×7 grid), and a pool, LayerNorm, Tanh head."""

from __future__ import annotations

from ..errors import SpecError
from ..layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    RelativePositionalMultiHeadAttention,
    Residual,
    Sequential,
    SiLU,
    SqueezeExcitation,
    StochasticDepth,
    SwapAxes,
    Tanh,
    WindowDepartition,
    WindowPartition,
)
from ..layers.base import Layer, Shape, is_int
from .common import conv_bn
from .registry import register


def _drop(p: float) -> Layer:
    return StochasticDepth(p) if p else Identity()  # torchvision: an Identity where the probability is 0


def mbconv(cin: int, cout: int, stride: int, drop: float) -> Residual:
    """torchvision's MaxViT MBConv: proj(x) + sd(layers(x)); layers are a pre-norm, 1×1 expansion ×4, 3×3 depthwise,
    squeeze-excitation (SiLU, squeeze to cout/4), 1×1 projection (with bias)."""
    mid, squeeze = 4 * cout, cout // 4
    body = Sequential({
        "layers": Sequential({
            "pre_norm": BatchNorm2d(cin, eps=1e-3, momentum=0.01),
            "conv_a": conv_bn(cin, mid, 1, activation=GELU, eps=1e-3),
            "conv_b": conv_bn(mid, mid, 3, stride, groups=mid, activation=GELU, eps=1e-3),
            "squeeze_excitation": SqueezeExcitation(mid, squeeze, activation=SiLU()),
            "conv_c": Conv2d(mid, cout, 1)}),
        "stochastic_depth": _drop(drop)})
    if stride == 1 and cin == cout:
        return Residual(body)
    proj = [AvgPool2d(3, stride, 1)] if stride == 2 else []
    return Residual(body, Sequential(*proj, Conv2d(cin, cout, 1)))


def partition_attention(dim: int, head_dim: int, size: int, grid: int, kind: str, drop: float) -> Sequential:
    """torchvision's PartitionAttentionLayer on a grid×grid map: window partitions of size×size, or a size×size
    grid of strided positions (a partition then a swap of the partitions and tokens), attention and an MLP."""
    p = size if kind == "window" else grid // size
    swap = SwapAxes(-2, -3) if kind == "grid" else Identity()
    return Sequential({
        "partition_op": WindowPartition(p), "partition_swap": swap,
        "attention": Residual(Sequential({"attn_layer": Sequential(LayerNorm(dim), RelativePositionalMultiHeadAttention(dim, head_dim, size * size),
                                                                   Dropout(0.0)),
                                          "stochastic_dropout": StochasticDepth(drop)})),
        "mlp": Residual(Sequential({"mlp_layer": Sequential(LayerNorm(dim), Linear(dim, 4 * dim), GELU(), Linear(4 * dim, dim), Dropout(0.0)),
                                    "stochastic_dropout": StochasticDepth(drop)})),
        "departition_swap": SwapAxes(-2, -3) if kind == "grid" else Identity(),
        "departition_op": WindowDepartition(p, grid // p, grid // p),
    })


def maxvit(stem: int, channels: list[int], depths: list[int], head_dim: int, size: int, drop_path: float,
           num_classes: int, resolution: int = 224) -> Layer:
    total = sum(depths)
    probs = [drop_path * i / (total - 1) for i in range(total)]  # numpy's linspace(0, p, total)
    grid = (resolution - 1) // 2 + 1  # after the stride-2 stem
    blocks: list[Layer] = []
    cin, done = stem, 0
    for cout, depth in zip(channels, depths):
        grid = (grid - 1) // 2 + 1  # each stage's first MBConv has stride 2
        layers = []
        for i in range(depth):
            p = probs[done + i]
            layers.append(Sequential({"layers": Sequential({
                "MBconv": mbconv(cin if i == 0 else cout, cout, 2 if i == 0 else 1, p),
                "window_attention": partition_attention(cout, head_dim, size, grid, "window", p),
                "grid_attention": partition_attention(cout, head_dim, size, grid, "grid", p)})}))
        blocks.append(Sequential({"layers": Sequential(*layers)}))
        cin, done = cout, done + depth
    return Sequential({
        "stem": Sequential(conv_bn(3, stem, 3, 2, activation=GELU, eps=1e-3), Sequential(Conv2d(stem, stem, 3, padding=1))),
        "blocks": Sequential(*blocks),
        "classifier": Sequential(AdaptiveAvgPool2d(1), Flatten(), LayerNorm(channels[-1]), Linear(channels[-1], channels[-1]), Tanh(),
                                 Linear(channels[-1], num_classes, bias=False)),
    })


# Parameters by hand. MBConv(cin → cout, mid = 4·cout, squeeze s = cout/4): [projection cin·cout + cout where the stride
# is 2] + pre-norm 2·cin + conv_a cin·mid + 2·mid + conv_b 9·mid + 2·mid + SE (mid·s + s) + (s·mid + mid) + conv_c
# mid·cout + cout. Each partition attention layer of width C (heads C/32, 7×7 partitions): LayerNorm 2C, to_qkv
# 3C² + 3C, merge C² + C, a 13·13·heads table, LayerNorm 2C, MLP 8C² + 5C: 12C² + 13C + 169·C/32; two per layer.
# stem 3·64·9 + 2·64 + 64·64·9 + 64 = 38,784.
# stage 1 (64): MBConv 48,912 (with projection) and 44,752; attention 2·50,322 per layer: 149,556 + 145,396 = 294,952.
# stage 2 (128): MBConv 146,848 and 171,424; attention 2·198,948: 544,744 + 569,320 = 1,114,064.
# stage 3 (256): MBConv 572,224 then 4 of 670,528; attention 2·791,112: 2,154,448 + 4·2,252,752 = 11,165,456.
# stage 4 (512): MBConv 2,258,560 and 2,651,776; attention 2·3,155,088: 8,568,736 + 8,961,952 = 17,530,688.
# classifier: LayerNorm 1,024 + Linear 512·512 + 512 + Linear 512·1000 (no bias) = 775,680.
# Total 30,919,624, torchvision's figure.
@register(input_shape=(3, 224, 224), params=30_919_624)
def maxvit_t(num_classes: int = 1000, resolution: int = 224) -> tuple[Layer, Shape]:
    """MaxViT-T as torchvision defines it (maxvit_t): stem 64, stages (64, 128, 256, 512) of (2, 2, 5, 2) layers,
    heads of 32, 7×7 partitions, stochastic depth 0.2; 30,919,624 parameters (5.56 GFLOPS in its docs). Like
    torchvision's ``input_size``, ``resolution`` fixes the partition grids: every stage's map must be a multiple of 7
    (224, 448, …; torchvision refuses the others too)."""
    if not is_int(resolution) or resolution < 1:
        raise SpecError(f"maxvit_t: resolution must be a positive int, got {resolution!r}")
    sizes = []
    size = (resolution - 1) // 2 + 1
    for _ in range(4):
        size = (size - 1) // 2 + 1
        sizes.append(size)
    if any(s % 7 for s in sizes):
        raise SpecError(f"maxvit_t: resolution {resolution} gives stage maps {', '.join(f'{s}×{s}' for s in sizes)}, "
                        "not all multiples of the 7×7 partitions; use a multiple of 224 such as 224 or 448")
    return maxvit(64, [64, 128, 256, 512], [2, 2, 5, 2], 32, 7, 0.2, num_classes, resolution), (3, resolution, resolution)
