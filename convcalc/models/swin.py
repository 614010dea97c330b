"""Swin Transformer (Liu et al. 2021) as torchvision defines it: a 4×4 patch conv, channels-last tokens,
blocks of (shifted) window attention and an MLP, each a residual with stochastic depth, patch merging
between the stages."""

from __future__ import annotations

from ..layers import (
    GELU,
    AdaptiveAvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    LayerNorm,
    Linear,
    PatchMerging,
    Permute,
    Residual,
    Sequential,
    ShiftedWindowAttention,
    StochasticDepth,
)
from ..layers.base import Layer
from .registry import register


def swin_block(dim: int, heads: int, window: int, shift: int, drop: float) -> Sequential:
    """torchvision's SwinTransformerBlock: x + sd(attn(norm1(x))), then x + sd(mlp(norm2(x)))."""
    return Sequential({
        "attention": Residual(Sequential({"norm1": LayerNorm(dim), "attn": ShiftedWindowAttention(dim, (window, window), (shift, shift), heads),
                                          "stochastic_depth": StochasticDepth(drop)})),
        "feedforward": Residual(Sequential({
            "norm2": LayerNorm(dim),
            "mlp": Sequential(Linear(dim, 4 * dim), GELU(), Dropout(0.0), Linear(4 * dim, dim), Dropout(0.0)),
            "stochastic_depth": StochasticDepth(drop)})),
    })


def swin(patch: int, embed: int, depths: list[int], heads: list[int], window: int, drop_path: float, num_classes: int) -> Layer:
    total = sum(depths)
    layers: list[Layer] = [Sequential(Conv2d(3, embed, patch, patch), Permute((0, 2, 3, 1)), LayerNorm(embed))]
    done = 0
    for stage, (depth, head) in enumerate(zip(depths, heads)):
        dim = embed * 2 ** stage
        layers.append(Sequential(*(swin_block(dim, head, window, 0 if i % 2 == 0 else window // 2, drop_path * (done + i) / (total - 1))
                                   for i in range(depth))))
        done += depth
        if stage < len(depths) - 1:
            layers.append(PatchMerging(dim))
    last = embed * 2 ** (len(depths) - 1)
    return Sequential({"features": Sequential(*layers), "norm": LayerNorm(last), "permute": Permute((0, 3, 1, 2)),
                       "avgpool": AdaptiveAvgPool2d(1), "flatten": Flatten(1), "head": Linear(last, num_classes)})


# Parameters by hand (C the stage's width, h its heads; a block is norm1 2C, attention 3C²+3C + C²+C + 13·13·h
# (qkv, proj, the (2·7−1)² relative position table), norm2 2C, MLP 4C²+4C + 4C²+C: 12C² + 13C + 169h):
# stem 3·96·16 + 96 + 2·96 = 4,896; stage 1 (96, 3 heads) 2·112,347 = 224,694; stage 2 (192, 6) 2·445,878 = 891,756;
# stage 3 (384, 12) 6·1,776,492 = 10,658,952; stage 4 (768, 24) 2·7,091,928 = 14,183,856; patch merging 8C + 8C²
# at 96, 192, 384: 74,496 + 296,448 + 1,182,720; final norm 1,536; head 768·1000 + 1000 = 769,000.
# Total 28,288,354, torchvision's figure.
@register(input_shape=(3, 224, 224), params=28_288_354)
def swin_t(num_classes: int = 1000) -> Layer:
    """Swin-T as torchvision defines it (swin_t): patch 4, embed 96, depths (2, 2, 6, 2), heads (3, 6, 12, 24),
    window 7 (every second block shifted by 3), stochastic depth 0.2; 28,288,354 parameters (4.49 GFLOPS in its docs).
    Tokens are channels last (H×W×C) from the stem's Permute to the head's."""
    return swin(4, 96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 0.2, num_classes)
