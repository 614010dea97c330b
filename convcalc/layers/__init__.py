"""Layer specs: immutable descriptions with torch's constructor signatures.

``LAYER_TYPES`` maps each kind (``conv2d``, ``maxpool2d``, …) to its class.
"""

from .activation import GELU, Dropout, Hardsigmoid, Hardswish, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Tanh
from .base import LAYER_TYPES, Block, Effect, Layer, Leaf, Part, Reach, Shape
from .blocks import Add, Cat, Concat, Mul, Residual, Scale, Sequential, SqueezeExcitation
from .conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    DepthwiseConv2d,
    SeparableConv2d,
)
from .linear import Flatten, Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, LayerNorm2d, LocalResponseNorm
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .tensor_ops import ChannelShuffle, Chunk, Identity, LayerScale, Permute, Reshape, StochasticDepth

__all__ = [
    "LAYER_TYPES", "Layer", "Leaf", "Block", "Effect", "Part", "Reach", "Shape",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseConv2d", "SeparableConv2d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "GlobalAvgPool2d",
    "Linear", "Flatten", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Hardsigmoid", "Hardswish",
    "SiLU", "GELU", "Dropout", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "LayerNorm2d",
    "LocalResponseNorm", "Identity", "Permute", "ChannelShuffle", "Chunk", "StochasticDepth", "LayerScale", "Reshape",
    "Sequential", "Residual", "Concat", "Scale", "SqueezeExcitation", "Add", "Cat", "Mul",
]
