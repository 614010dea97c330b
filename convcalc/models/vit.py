"""Vision Transformer (Dosovitskiy et al. 2021) as torchvision defines it: a 16×16 patch convolution, a class
token, a learnt position embedding, pre-norm encoder blocks (LayerNorm eps 1e-6, multi-head self-attention,
an MLP with GELU) and the head on the class token."""

from __future__ import annotations

from ..layers import (
    GELU,
    ClassToken,
    Conv2d,
    Dropout,
    Flatten,
    LayerNorm,
    Linear,
    MultiheadAttention,
    Permute,
    PositionEmbedding,
    Residual,
    SelectToken,
    Sequential,
)
from ..layers.base import Layer
from .registry import register


def encoder_block(heads: int, dim: int, mlp_dim: int) -> Sequential:
    """torchvision's EncoderBlock: x + attention(ln_1(x)), then y + mlp(ln_2(y))."""
    attention = Residual(Sequential({"ln_1": LayerNorm(dim, eps=1e-6),
                                     "self_attention": MultiheadAttention(dim, heads, batch_first=True),
                                     "dropout": Dropout(0.0)}))
    mlp = Residual(Sequential({"ln_2": LayerNorm(dim, eps=1e-6),
                               "mlp": Sequential(Linear(dim, mlp_dim), GELU(), Dropout(0.0), Linear(mlp_dim, dim), Dropout(0.0))}))
    return Sequential({"attention": attention, "mlp": mlp})


def vision_transformer(image_size: int, patch_size: int, layers: int, heads: int, dim: int, mlp_dim: int,
                       num_classes: int) -> Layer:
    """The patches (image_size/patch_size)² become tokens; the class token makes one more."""
    tokens = (image_size // patch_size) ** 2 + 1
    return Sequential({
        "conv_proj": Conv2d(3, dim, patch_size, patch_size),
        "flatten": Flatten(2),  # D×h×w → D×(h·w)
        "permute": Permute((0, 2, 1)),  # → (h·w)×D: tokens
        "class_token": ClassToken(dim),
        "encoder": Sequential({
            "pos_embedding": PositionEmbedding(tokens, dim), "dropout": Dropout(0.0),
            "layers": Sequential({f"encoder_layer_{i}": encoder_block(heads, dim, mlp_dim) for i in range(layers)}),
            "ln": LayerNorm(dim, eps=1e-6),
        }),
        "class_token_out": SelectToken(0),
        "heads": Sequential({"head": Linear(dim, num_classes)}),
    })


# Parameters by hand (torchvision's docs: 86,567,656): patch conv 768·3·16·16 + 768 = 590,592; class token 768;
# position embedding 197·768 = 151,296 (14² patches + 1); per block: two LayerNorms 2·2·768 = 3,072, attention
# in_proj 3·768² + 3·768 = 1,771,776 and out_proj 768² + 768 = 590,592, MLP 768·3072 + 3072 = 2,362,368 and
# 3072·768 + 768 = 2,360,064: 7,087,872, ×12 = 85,054,464; final LayerNorm 1,536; head 768·1000 + 1000 = 769,000.
# 590,592 + 768 + 151,296 + 85,054,464 + 1,536 + 769,000 = 86,567,656.
@register(input_shape=(3, 224, 224), params=86_567_656)
def vit_b_16(num_classes: int = 1000) -> Layer:
    """ViT-B/16 as torchvision defines it: patch 16, 12 layers of 12 heads, hidden 768, MLP 3072, 224×224 input;
    86,567,656 parameters (17.56 GFLOPS in its docs). The position embedding fixes the input size."""
    return vision_transformer(224, 16, 12, 12, 768, 3072, num_classes)
