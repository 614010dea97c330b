"""Layer specs: immutable descriptions with torch's constructor signatures.

``LAYER_TYPES`` maps each kind (``conv2d``, ``maxpool2d``, …) to its class.
"""

from .activation import Dropout, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import LAYER_TYPES, Block, Effect, Layer, Leaf, Part, Reach, Shape
from .blocks import Add, Cat, Concat, Residual, Sequential
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
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LocalResponseNorm
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

__all__ = [
    "LAYER_TYPES", "Layer", "Leaf", "Block", "Effect", "Part", "Reach", "Shape",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseConv2d", "SeparableConv2d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "GlobalAvgPool2d",
    "Linear", "Flatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LocalResponseNorm",
    "Sequential", "Residual", "Concat", "Add", "Cat",
]
