"""``to_torch``: a real torch.nn.Module for a convcalc network, module paths equal to row paths.

One builder per layer kind, in ``BUILDERS``; registering a kind twice is an error,
and a test walks ``LAYER_TYPES`` to find any kind without one. Layers torch lacks
(the joins, layer scale, permute, chunk, …) get small modules here; each carries
its convcalc spec as ``convcalc_spec`` so ``from_torch`` reads it back exactly.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..analysis import analyze
from ..errors import SpecError
from ..layers import blocks, conv, linear, normalization, pooling, tensor_ops
from ..layers.base import Block, Layer, Leaf, Shape

Builder = Callable[[Any], nn.Module]
BUILDERS: dict[str, Builder] = {}


def builds(*kinds: str) -> Callable[[Builder], Builder]:
    """Register the torch builder for these layer kinds (once each)."""

    def register(build: Builder) -> Builder:
        for kind in kinds:
            if kind in BUILDERS:
                raise TypeError(f"a torch builder for {kind!r} is registered twice")
            BUILDERS[kind] = build
        return build

    return register


def _nd(spec: Leaf, family: str) -> type[nn.Module]:
    return getattr(nn, f"{family}{spec.ndim}d")  # type: ignore[attr-defined, no-any-return]


@builds("conv1d", "conv2d", "conv3d")
def _conv(s: conv._ConvNd) -> nn.Module:
    return _nd(s, "Conv")(s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding, s.dilation, s.groups,
                          s.bias, s.padding_mode)


@builds("convtranspose1d", "convtranspose2d", "convtranspose3d")
def _conv_transpose(s: conv._ConvTransposeNd) -> nn.Module:
    return _nd(s, "ConvTranspose")(s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding, s.output_padding,
                                   s.groups, s.bias, s.dilation)


@builds("depthwiseconv2d")
def _depthwise(s: conv.DepthwiseConv2d) -> nn.Module:
    return _conv(s.as_conv(s.channels))  # type: ignore[arg-type]


class SeparableConv2d(nn.Sequential):
    """Depthwise then pointwise, one module whose two children are visible."""

    def __init__(self, spec: conv.SeparableConv2d) -> None:
        depthwise, pointwise = spec.parts(spec.in_channels)  # type: ignore[arg-type]
        super().__init__(OrderedDict(depthwise=_depthwise(depthwise), pointwise=_conv(pointwise)))
        self.convcalc_spec = spec


builds("separableconv2d")(SeparableConv2d)


@builds("maxpool1d", "maxpool2d", "maxpool3d")
def _max_pool(s: pooling._MaxPoolNd) -> nn.Module:
    return _nd(s, "MaxPool")(s.kernel_size, s.strides, s.padding, s.dilation, s.return_indices, s.ceil_mode)


@builds("avgpool1d", "avgpool2d", "avgpool3d")
def _avg_pool(s: pooling._AvgPoolNd) -> nn.Module:
    return _nd(s, "AvgPool")(s.kernel_size, s.strides, s.padding, s.ceil_mode, s.count_include_pad, *(
        (s.divisor_override,) if s.ndim > 1 else ()))


@builds("adaptiveavgpool1d", "adaptiveavgpool2d", "adaptiveavgpool3d", "globalavgpool2d")
def _adaptive_avg(s: pooling._AdaptivePoolNd) -> nn.Module:
    size = s.output_size[0] if s.ndim == 1 else s.output_size  # type: ignore[index]
    return _nd(s, "AdaptiveAvgPool")(size)


@builds("adaptivemaxpool1d", "adaptivemaxpool2d", "adaptivemaxpool3d")
def _adaptive_max(s: pooling._AdaptiveMaxPoolNd) -> nn.Module:
    size = s.output_size[0] if s.ndim == 1 else s.output_size  # type: ignore[index]
    return _nd(s, "AdaptiveMaxPool")(size, s.return_indices)


@builds("linear")
def _linear(s: linear.Linear) -> nn.Module:
    return nn.Linear(s.in_features, s.out_features, s.bias)  # type: ignore[arg-type]


@builds("flatten")
def _flatten(s: linear.Flatten) -> nn.Module:
    return nn.Flatten(s.start_dim, s.end_dim)


@builds("relu", "relu6", "hardsigmoid", "hardswish", "silu")
def _inplace_activation(s: Leaf) -> nn.Module:
    return getattr(nn, s.name)(inplace=s.inplace)  # type: ignore[attr-defined, no-any-return]


@builds("sigmoid", "tanh")
def _plain_activation(s: Leaf) -> nn.Module:
    return getattr(nn, s.name)()  # type: ignore[no-any-return]


@builds("leakyrelu")
def _leaky_relu(s: Any) -> nn.Module:
    return nn.LeakyReLU(s.negative_slope, s.inplace)


@builds("gelu")
def _gelu(s: Any) -> nn.Module:
    return nn.GELU(s.approximate)


@builds("softmax")
def _softmax(s: Any) -> nn.Module:
    return nn.Softmax(s.dim)


@builds("dropout")
def _dropout(s: Any) -> nn.Module:
    return nn.Dropout(s.p, s.inplace)


@builds("batchnorm1d", "batchnorm2d", "batchnorm3d")
def _batch_norm(s: normalization._BatchNorm) -> nn.Module:
    return _nd(s, "BatchNorm")(s.num_features, s.eps, s.momentum, s.affine, s.track_running_stats)


@builds("layernorm")
def _layer_norm(s: normalization.LayerNorm) -> nn.Module:
    return nn.LayerNorm(s.normalized_shape, s.eps, s.elementwise_affine, s.bias)


@builds("localresponsenorm")
def _lrn(s: normalization.LocalResponseNorm) -> nn.Module:
    return nn.LocalResponseNorm(s.size, s.alpha, s.beta, s.k)


@builds("identity")
def _identity(s: Any) -> nn.Module:
    return nn.Identity()


@builds("channelshuffle")
def _channel_shuffle(s: tensor_ops.ChannelShuffle) -> nn.Module:
    return nn.ChannelShuffle(s.groups)


class _Spec(nn.Module):
    """A module for a convcalc layer torch has no class for; it keeps its spec."""

    def __init__(self, spec: Leaf) -> None:
        super().__init__()
        self.convcalc_spec = spec

    def extra_repr(self) -> str:
        return repr(self.convcalc_spec)


class LayerNorm2d(_Spec):
    """LayerNorm over the channels of N×C×H×W (torchvision's ConvNeXt)."""

    def __init__(self, spec: normalization.LayerNorm2d) -> None:
        super().__init__(spec)
        self.norm = nn.LayerNorm(spec.num_channels, spec.eps)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Permute(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.convcalc_spec.dims)


class Chunk(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.chunk(self.convcalc_spec.chunks, dim=1)[self.convcalc_spec.index]


class Reshape(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.convcalc_spec.shape)


class StochasticDepth(_Spec):
    """The identity at inference (training would drop whole rows)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class LayerScale(_Spec):
    def __init__(self, spec: tensor_ops.LayerScale) -> None:
        super().__init__(spec)
        self.gamma = nn.Parameter(torch.full((spec.dim, 1, 1), spec.init_value))  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Add(_Spec):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Cat(_Spec):
    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        return torch.cat(parts, dim=1)


class Mul(_Spec):
    def forward(self, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return x * gate


for _kind, _module in (("layernorm2d", LayerNorm2d), ("permute", Permute), ("chunk", Chunk), ("reshape", Reshape),
                       ("stochasticdepth", StochasticDepth), ("layerscale", LayerScale), ("add", Add), ("cat", Cat),
                       ("mul", Mul)):
    builds(_kind)(_module)


class Residual(nn.Module):
    """body(x) + shortcut(x) (x itself without one), then the activation if any."""

    def __init__(self, children: dict[str, nn.Module]) -> None:
        super().__init__()
        for name, module in children.items():
            _add_child(self, name, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.shortcut(x) if hasattr(self, "shortcut") else x
        out = self.add(self.body(x), shortcut)
        return self.activation(out) if hasattr(self, "activation") else out


class _Joined(nn.Module):
    """Named children, then a join module under its own name (``cat`` or ``scale``)."""

    def __init__(self, children: dict[str, nn.Module], join: str, module: nn.Module) -> None:
        super().__init__()
        self.child_names = list(children)
        for name, child in children.items():
            _add_child(self, name, child)
        _add_child(self, join, module)


class Concat(_Joined):
    """Branches on the same input, joined along channels by ``cat``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cat(*(getattr(self, name)(x) for name in self.child_names))


class Scale(_Joined):
    """x · f(x): the children run in order on x, then ``scale`` multiplies."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x
        for name in self.child_names:
            gate = getattr(self, name)(gate)
        return self.scale(x, gate)


class _Builder:
    """Builds modules for a spec tree, one module per leaf object (a shared leaf stays shared)."""

    def __init__(self, resolved: dict[str, Leaf]) -> None:
        self.resolved = resolved
        self.made: dict[int, nn.Module] = {}

    def leaf(self, leaf: Leaf, path: str) -> nn.Module:
        if id(leaf) not in self.made:
            spec = self.resolved.get(path, leaf)
            if spec.open_size:
                raise SpecError(f"{path or 'network'}: {spec!r} takes {spec.open_size} from its input; "
                                "give to_torch an input_shape to fill it in")
            try:
                build = BUILDERS[spec.kind]
            except KeyError:  # pragma: no cover - the registry test finds these first
                raise SpecError(f"{path or 'network'}: no torch builder for {spec.name}") from None
            self.made[id(leaf)] = build(spec)
        return self.made[id(leaf)]

    def layer(self, layer: Layer, path: str) -> nn.Module:
        child = (lambda name: f"{path}.{name}" if path else name)  # noqa: E731
        if isinstance(layer, Leaf):
            return self.leaf(layer, path)
        if isinstance(layer, blocks.Sequential):
            sequential = nn.Sequential()
            for name, c in layer.children():
                _add_child(sequential, name, self.layer(c, child(name)))
            return sequential
        if isinstance(layer, blocks.Residual):
            parts = {name: self.layer(c, child(name)) for name, c in layer.branches()}
            parts["add"] = self.leaf(layer.join, child("add"))
            if layer.activation is not None:
                parts["activation"] = self.layer(layer.activation, child("activation"))
            return Residual(parts)
        if isinstance(layer, blocks.Concat):
            return Concat({name: self.layer(c, child(name)) for name, c in layer.children()}, "cat",
                          self.leaf(layer.join, child("cat")))
        if isinstance(layer, blocks.Scale):
            return Scale({name: self.layer(c, child(name)) for name, c in layer.children()}, "scale",
                         self.leaf(layer.join, child("scale")))
        if isinstance(layer, Block):  # pragma: no cover - a new block type needs a case here
            raise TypeError(f"to_torch does not know the block {layer.name}")
        raise SpecError(f"{path or 'network'}: {layer!r} is not a convcalc layer")


def _add_child(self: nn.Module, name: str, child: nn.Module) -> None:
    try:
        nn.Module.add_module(self, name, child)
    except KeyError:
        raise SpecError(f"the layer name {name!r} clashes with an attribute of torch.nn.Module; rename it") from None


def to_torch(net: Layer, input_shape: Shape | None = None) -> nn.Module:
    """A torch.nn.Module equal to ``net`` (eval mode, default initialisation).

    Module paths are the report's row paths. Sizes left as ``None`` in the spec are taken
    from ``input_shape``, which is then required.
    """
    resolved: dict[str, Leaf] = {}
    if input_shape is not None:
        resolved = {row.path: row.spec for row in analyze(net, input_shape).rows if row.spec is not None}
    module = _Builder(resolved).layer(net, "")
    return module.eval()
