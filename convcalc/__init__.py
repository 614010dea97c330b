"""convcalc: the shape, parameters, MACs, FLOPs, activation memory and receptive field
of every layer of a convolutional network, computed symbolically.

    >>> import convcalc as cc
    >>> cc.summary("alexnet").totals.params
    62378344

Importing convcalc imports neither torch nor click; ``to_torch``,
``verify`` and ``from_torch`` import torch when first called.
"""

from . import models
from .analysis import DTYPE_BYTES, Report, Row, Totals, analyze
from .api import from_torch, summary, to_torch, verify
from .explain import explain
from .errors import ConvCalcError, DeviceError, ShapeError, SpecError, TorchUnavailableError, UnknownModelError
from .layers import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    ChannelShuffle,
    Chunk,
    Concat,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    DepthwiseConv2d,
    Dropout,
    Flatten,
    GELU,
    GlobalAvgPool2d,
    Hardsigmoid,
    Hardswish,
    Identity,
    Layer,
    LayerNorm,
    LayerNorm2d,
    LayerScale,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    Permute,
    ReLU,
    ReLU6,
    Reshape,
    Residual,
    Scale,
    SeparableConv2d,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    SqueezeExcitation,
    StochasticDepth,
    Tanh,
)
from .models import Model
from .parsing import parse_layer, parse_shape, parse_spec
from .solve import solve

__version__ = "0.1.0"

__all__ = [
    "summary", "analyze", "parse_shape", "models", "Model", "Report", "Row", "Totals", "DTYPE_BYTES",
    "to_torch", "verify", "from_torch", "explain", "parse_layer", "parse_spec", "solve",
    "ConvCalcError", "ShapeError", "SpecError", "UnknownModelError", "DeviceError", "TorchUnavailableError", "Layer",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseConv2d", "SeparableConv2d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "GlobalAvgPool2d",
    "Linear", "Flatten", "ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Hardsigmoid", "Hardswish",
    "SiLU", "GELU", "Dropout", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "LayerNorm2d",
    "LocalResponseNorm", "Identity", "Permute", "ChannelShuffle", "Chunk", "StochasticDepth", "LayerScale", "Reshape",
    "Sequential", "Residual", "Concat", "Scale", "SqueezeExcitation",
]
