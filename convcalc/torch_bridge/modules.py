"""The torch modules of layer types torch has no class for (LayerNorm2d, Permute, the joins, …),
and the one module every branched block is built as.

Each layer module is made from its convcalc spec (``Module(spec)``) and keeps it as ``convcalc_spec``,
so ``from_torch`` reads the same spec back. The layer classes name these modules as their torch
binding (``"convcalc.torch_bridge.modules:Permute"``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ..errors import SpecError


class _Spec(nn.Module):
    """A module for a convcalc layer torch has no class for; it keeps its spec."""

    convcalc_layer = True  # built from the spec itself: ``Module(spec)``

    def __init__(self, spec: Any) -> None:
        super().__init__()
        self.convcalc_spec = spec

    def extra_repr(self) -> str:
        return repr(self.convcalc_spec)


class SeparableConv2d(nn.Sequential):
    """Depthwise then pointwise, one module whose two children are visible."""

    convcalc_layer = True

    def __init__(self, spec: Any) -> None:
        depthwise, pointwise = spec.parts(spec.in_channels)  # a grouped Conv2d and a 1×1 Conv2d
        super().__init__(OrderedDict(depthwise=nn.Conv2d(**depthwise.torch_equivalent().torch_kwargs()),
                                     pointwise=nn.Conv2d(**pointwise.torch_kwargs())))
        self.convcalc_spec = spec


class LayerNorm2d(_Spec):
    """LayerNorm over the channels of N×C×H×W (torchvision's ConvNeXt)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.norm = nn.LayerNorm(spec.num_channels, spec.eps)

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
    """torchvision's stochastic depth: the identity at inference and for p = 0; in training, the input times a noise
    of 0 (probability p) and 1/(1−p), one value per sample (``row``) or one for the batch (``batch``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p, mode = self.convcalc_spec.p, self.convcalc_spec.mode
        if not self.training or p == 0.0:
            return x
        keep = 1.0 - p
        noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1) if mode == "row" else [1] * x.ndim, dtype=x.dtype,
                            device=x.device).bernoulli_(keep)
        if keep > 0.0:
            noise.div_(keep)
        return x * noise


class LayerScale(_Spec):
    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.gamma = nn.Parameter(torch.full((spec.dim, 1, 1), spec.init_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class CenterCrop(_Spec):
    """torchvision.transforms.CenterCrop on the last two dims, as torchvision computes it for a tensor: zero
    padding first where the crop is larger ((O − I)//2 before, the rest after), then the slice from
    round((I − O)/2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.convcalc_spec.size
        height, width = int(x.shape[-2]), int(x.shape[-1])  # (a JIT trace, fvcore's, gives tensors here)
        if h > height or w > width:
            left, top = max(w - width, 0) // 2, max(h - height, 0) // 2
            x = nn.functional.pad(x, [left, max(w - width, 0) - left, top, max(h - height, 0) - top])
            height, width = int(x.shape[-2]), int(x.shape[-1])
        top, left = int(round((height - h) / 2.0)), int(round((width - w) / 2.0))
        return x[..., top:top + h, left:left + w]


class Add(_Spec):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Cat(_Spec):
    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        return torch.cat(parts, dim=1)


class Mul(_Spec):
    def forward(self, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return x * gate


class BatchSecond(nn.Module):
    """Runs a module that keeps the batch in dim 1 (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``,
    ``nn.MultiheadAttention`` without ``batch_first``) on batch-first tensors: the first ``inputs`` positional
    tensor arguments are taken (N, L, …) and handed on with dims 0 and 1 swapped; of what the module returns,
    the first result is swapped back, the others (h_n, c_n, attention weights) are passed through as they are.

    ``to_torch`` wraps such a layer in it, so every module it builds takes batch-first tensors; built with the
    layer's spec, it carries it (``convcalc_spec``) and ``from_torch`` reads it back as that one row, its batch in
    dim 0 (``convcalc_batch_dim``)."""

    convcalc_layer = True
    convcalc_batch_dim = 0

    def __init__(self, module: nn.Module, spec: Any = None, inputs: int = 1) -> None:
        super().__init__()
        self.module = module
        self.inputs = inputs
        if spec is not None:
            self.convcalc_spec = spec

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        moved = [a.transpose(0, 1) if i < self.inputs and isinstance(a, torch.Tensor) else a for i, a in enumerate(args)]
        out = self.module(*moved, **kwargs)
        if isinstance(out, torch.Tensor):
            return out.transpose(0, 1)
        if isinstance(out, tuple) and out and isinstance(out[0], torch.Tensor):
            return (out[0].transpose(0, 1), *out[1:])
        return out

    def extra_repr(self) -> str:
        return f"inputs={self.inputs}" if self.inputs != 1 else ""


class FirstResult(nn.Module):
    """The first result of a module that returns several (``nn.LSTM``: the output, then (h_n, c_n)), so the
    modules ``to_torch`` builds chain; it carries the layer's spec, which ``from_torch`` reads back as one row."""

    convcalc_layer = True
    convcalc_batch_dim = 0

    def __init__(self, module: nn.Module, spec: Any) -> None:
        super().__init__()
        self.module = module
        self.convcalc_spec = spec

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        out = self.module(*args, **kwargs)
        return out[0] if isinstance(out, (tuple, list)) else out


def add_child(parent: nn.Module, name: str, child: nn.Module) -> None:
    try:
        nn.Module.add_module(parent, name, child)
    except KeyError:
        raise SpecError(f"the layer name {name!r} clashes with an attribute of torch.nn.Module; rename it") from None


class Branched(nn.Module):
    """A block whose branches run on the same input and meet at a join (a Residual, Concat or Scale).

    ``branches`` lists, per branch, the names of its children in order (none: the input itself);
    the join module is the child named ``join``; ``after`` names the children run on the result.
    The module's class name is the block's (``Residual``), as the report names it.
    """

    def __init__(self, children: dict[str, nn.Module], branches: list[list[str]], join: str, after: list[str]) -> None:
        super().__init__()
        for name, module in children.items():
            add_child(self, name, module)
        self.branches, self.join, self.after = branches, join, after

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = []
        for names in self.branches:
            y = x
            for name in names:
                y = getattr(self, name)(y)
            outputs.append(y)
        y = getattr(self, self.join)(*outputs)
        for name in self.after:
            y = getattr(self, name)(y)
        return y


_BLOCK_CLASSES: dict[str, type[Branched]] = {}


def branched_class(name: str) -> type[Branched]:
    """The Branched module class named after a block type (one per name)."""
    cls = _BLOCK_CLASSES.get(name)
    if cls is None:
        cls = _BLOCK_CLASSES[name] = type(name, (Branched,), {"__module__": __name__})
    return cls


# --- Keras' layers (convcalc.layers.keras): each built from its spec, channels first as torch runs ---


def _flat_pads(pads: Any) -> list[int]:
    """(before, after) per spatial dim -> F.pad's list, the last dim first."""
    return [v for before, after in reversed(pads) for v in (before, after)]


def _torch_conv(conv: Any) -> nn.Module:
    """The torch module of a convcalc conv spec (torch.nn's ConvNd, with its fields as arguments)."""
    module: nn.Module = getattr(nn, type(conv).__name__)(**conv.torch_kwargs())
    return module


class KerasConv(_Spec):
    """A Keras conv (or depthwise conv) whose padding torch has no word for (TensorFlow's 'same' at a
    stride, 'causal'): pads as Keras does for the input it gets, then convolves unpadded (timm's Conv2dSame)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.conv = _torch_conv(spec.conv(spec.in_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(nn.functional.pad(x, _flat_pads(self.convcalc_spec.pads(tuple(x.shape[2:])))))


class KerasSeparableConv(_Spec):
    """Keras' SeparableConv2D: pad as Keras does, depthwise conv (no bias), pointwise 1×1 conv (the bias)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.depthwise = _torch_conv(spec.conv(spec.in_channels))
        self.pointwise = _torch_conv(spec.pointwise(spec.in_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded = nn.functional.pad(x, _flat_pads(self.convcalc_spec.pads(tuple(x.shape[2:]))))
        return self.pointwise(self.depthwise(padded))


class KerasConvTranspose(_Spec):
    """Keras' ConvNDTranspose: torch's full transposed conv, (I−1)·S + D·(K−1) + 1 per dim, then cropped
    (or padded with zeros) to Keras' size as TensorFlow does."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        cls = getattr(nn, f"ConvTranspose{spec.ndim}d")
        self.conv = cls(spec.in_channels, spec.filters, spec.kernel_size, spec.strides, bias=spec.use_bias,
                        dilation=spec.dilation_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        sizes = self.convcalc_spec.sizes(tuple(x.shape[2:]))
        return nn.functional.pad(y, _flat_pads([(-crop, out - (full - crop)) for full, crop, out in sizes]))


class KerasDense(_Spec):
    """Keras' Dense: a Linear over the channels (Keras' last axis), at every position of an N×C×… input."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.linear = nn.Linear(spec.input_dim, spec.units, bias=spec.use_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return self.linear(x)
        return self.linear(x.movedim(1, -1)).movedim(-1, 1)


class KerasPool(_Spec):
    """Keras' max or average pool with TensorFlow's 'same': max pads with −∞; average divides each window's sum
    by the number of real elements in it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.convcalc_spec
        n = spec.ndim
        pads = _flat_pads(spec.pads(tuple(x.shape[2:])))
        pool = getattr(nn.functional, f"{'max' if spec.comparisons else 'avg'}_pool{n}d")
        if spec.comparisons:
            return pool(nn.functional.pad(x, pads, value=float("-inf")), spec.pool_size, spec.stride)
        sums = pool(nn.functional.pad(x, pads), spec.pool_size, spec.stride)
        counts = pool(nn.functional.pad(torch.ones_like(x[:, :1]), pads), spec.pool_size, spec.stride)
        return sums / counts


class KerasGlobalPool(_Spec):
    """Keras' global pools: the mean or the max over every spatial position (kept as 1s with keepdims)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.convcalc_spec
        dims = tuple(range(2, x.dim()))
        return x.amax(dim=dims, keepdim=spec.keepdims) if spec.comparisons else x.mean(dim=dims, keepdim=spec.keepdims)


class KerasBatchNorm(_Spec):
    """Keras' BatchNormalization at inference: γ and β trainable parameters, the moving mean and variance
    parameters too but non-trainable (requires_grad=False), as Keras counts them."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        c = spec.channels
        self.gamma = nn.Parameter(torch.ones(c)) if spec.scale else None
        self.beta = nn.Parameter(torch.zeros(c)) if spec.center else None
        self.moving_mean = nn.Parameter(torch.zeros(c), requires_grad=False)
        self.moving_variance = nn.Parameter(torch.ones(c), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                                        training=False, eps=self.convcalc_spec.epsilon)


class KerasZeroPad(_Spec):
    """Keras' ZeroPaddingND: torch.nn.ZeroPadNd's padding, (left, right, top, bottom, …) with the last dim first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pad(x, _flat_pads(self.convcalc_spec.padding))


class MaxUnpool(_Spec):
    """torch's MaxUnpoolNd with the call-time arguments a spec holds: ``output_size`` from the spec and, when no
    indices are given (a spec network has none), each element put at the first place of its window."""

    def forward(self, x: torch.Tensor, indices: torch.Tensor | None = None) -> torch.Tensor:
        spec = self.convcalc_spec
        nd = spec.ndim
        if indices is None:
            spatial = [int(i) for i in x.shape[-nd:]]  # (ints under a JIT trace too)
            full = [(i - 1) * s - 2 * p + k for i, k, s, p in zip(spatial, spec.kernel_size, spec.stride, spec.padding)]
            out = list(spec.output_size or full)
            grids = torch.meshgrid(*[torch.clamp(torch.arange(i, device=x.device) * s - p, 0, o - 1)
                                     for i, s, p, o in zip(spatial, spec.stride, spec.padding, out)], indexing="ij")
            flat = torch.zeros_like(grids[0])
            for g, o in zip(grids, out):
                flat = flat * o + g
            indices = flat.expand_as(x).contiguous()
        unpool = getattr(nn.functional, f"max_unpool{nd}d")
        return unpool(x, indices, spec.kernel_size, spec.stride, spec.padding, spec.output_size)


# --- attention (convcalc.layers.attention) -----------------------------------------------------------------


@contextmanager
def standard_path() -> Iterator[None]:
    """Attention run as the matrix products FlopCounterMode counts (the same arithmetic): torch's "fast path" off
    (in eval mode under no_grad on CPU and CUDA torch runs MultiheadAttention and TransformerEncoderLayer as one
    fused op, ``_native_multi_head_attention``, which FlopCounterMode counts as 0), and scaled dot-product attention
    on its math backend (torch 2.13's FlopCounterMode has no formula for the CPU kernel
    ``_scaled_dot_product_flash_attention_for_cpu`` either)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    enabled = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(enabled)


def _other_tokens(x: torch.Tensor, length: int, features: int, batch_first: bool) -> torch.Tensor:
    """Zeros standing for a second input (keys and values, a decoder's memory) of ``length`` tokens."""
    batch = x.shape[0 if batch_first else 1]
    shape = (batch, length, features) if batch_first else (length, batch, features)
    return x.new_zeros(shape)


class MultiheadAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention called on one input, as a Sequential calls it: self-attention, or attention over
    ``source_length`` zero tokens (keys and values of kdim and vdim features) where the spec says so."""

    convcalc_layer = True

    def __init__(self, spec: Any) -> None:
        super().__init__(**spec.torch_kwargs())
        self.convcalc_spec = spec

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]  # one input, as a layer in a Sequential
        spec = self.convcalc_spec
        e = spec.embed_dim
        kd, vd = spec.kdim or e, spec.vdim or e
        with standard_path():
            if spec.source_length is None and kd == vd == e:
                return super().forward(x, x, x, need_weights=False)[0]
            length = spec.source_length or x.shape[0 if not spec.batch_first else 1]
            key = _other_tokens(x, length, kd, spec.batch_first)
            value = _other_tokens(x, length, vd, spec.batch_first)
            return super().forward(x, key, value, need_weights=False)[0]


def multihead_attention(spec: Any) -> nn.Module:
    """The module of a MultiheadAttention spec, taking batch-first input whatever its ``batch_first``."""
    module = MultiheadAttention(spec)
    return module if spec.batch_first else BatchSecond(module)


multihead_attention.convcalc_layer = True  # type: ignore[attr-defined]  # build_leaf passes it the spec


class TransformerEncoderLayer(nn.TransformerEncoderLayer):
    convcalc_layer = True

    def __init__(self, spec: Any) -> None:
        super().__init__(**spec.torch_kwargs())
        self.convcalc_spec = spec

    def forward(self, src: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        with standard_path():
            return super().forward(src, *args, **kwargs)


class TransformerDecoderLayer(nn.TransformerDecoderLayer):
    """nn.TransformerDecoderLayer on one input: its memory is the input itself, or ``memory_length`` zero tokens."""

    convcalc_layer = True

    def __init__(self, spec: Any) -> None:
        super().__init__(**spec.torch_kwargs())
        self.convcalc_spec = spec

    def forward(self, tgt: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        spec = self.convcalc_spec
        memory = tgt if spec.memory_length is None else _other_tokens(tgt, spec.memory_length, spec.d_model, spec.batch_first)
        with standard_path():
            return super().forward(tgt, memory, *args, **kwargs)


def transformer_layer(spec: Any) -> nn.Module:
    """The module of a TransformerEncoderLayer or TransformerDecoderLayer spec, taking batch-first input."""
    made: nn.Module = (TransformerDecoderLayer if type(spec).__name__ == "TransformerDecoderLayer" else TransformerEncoderLayer)(spec)
    return made if spec.batch_first else BatchSecond(made)


transformer_layer.convcalc_layer = True  # type: ignore[attr-defined]  # build_leaf passes it the spec


class ScaledDotProductAttention(_Spec):
    """F.scaled_dot_product_attention of the input with itself (or with ``source_length`` zero keys and values)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.convcalc_spec
        key = value = x
        if spec.source_length is not None or spec.value_dim is not None:
            length = spec.source_length or x.shape[-2]
            key = x.new_zeros((*x.shape[:-2], length, x.shape[-1]))
            value = x.new_zeros((*x.shape[:-2], length, spec.value_dim or x.shape[-1]))
        with standard_path():
            return nn.functional.scaled_dot_product_attention(x, key, value, dropout_p=spec.dropout_p if self.training else 0.0,
                                                              is_causal=spec.is_causal, scale=spec.scale, enable_gqa=spec.enable_gqa)


class ClassToken(_Spec):
    """A learnt token put first (torchvision's ViT: ``class_token``, concatenated before the patches)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.class_token = nn.Parameter(torch.zeros(1, 1, spec.embed_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)


class PositionEmbedding(_Spec):
    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.pos_embedding = nn.Parameter(torch.empty(1, spec.num_tokens, spec.embed_dim).normal_(std=0.02))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pos_embedding


class SelectToken(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.convcalc_spec.index]
# --- windowed attention (Swin, MaxViT): each module runs the calls torchvision's runs, so the tools see the same ---


def _relative_index(height: int, width: int) -> torch.Tensor:
    """For each pair of the height×width positions of a window, the row of its offset in a
    (2·height−1)·(2·width−1) table of relative position biases (offsets shifted to start at 0)."""
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    rows, cols = rows.flatten(), cols.flatten()
    dr = rows[:, None] - rows[None, :] + height - 1
    dc = cols[:, None] - cols[None, :] + width - 1
    return dr * (2 * width - 1) + dc


def _regions(size: int, window: int, shift: int) -> tuple[tuple[int, int], ...]:
    """The spans of a padded dim that a roll by ``shift`` brings together from different places (none: one span)."""
    return ((0, size - window), (size - window, size - shift), (size - shift, size)) if shift else ((0, size),)


class ShiftedWindowAttention(_Spec):
    """Swin's window attention on (N, H, W, C): pad to the window, roll by the shift, attend within each window
    (with the relative position bias, and a mask where the roll brought regions together), undo it all."""

    relative_position_index: torch.Tensor

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        c, (wh, ww), heads = spec.dim, spec.window_size, spec.num_heads
        self.window_size, self.shift_size, self.num_heads = list(spec.window_size), list(spec.shift_size), heads
        self.attention_dropout, self.dropout = spec.attention_dropout, spec.dropout
        self.qkv = nn.Linear(c, 3 * c, bias=spec.qkv_bias)
        self.proj = nn.Linear(c, c, bias=spec.proj_bias)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), heads))
        self.register_buffer("relative_position_index", _relative_index(wh, ww).flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w, c = x.shape
        (wh, ww), heads = self.window_size, self.num_heads
        x = nn.functional.pad(x, (0, 0, 0, (ww - w % ww) % ww, 0, (wh - h % wh) % wh))
        ph, pw = x.shape[1], x.shape[2]
        sh, sw = (s if win < padded else 0 for s, win, padded in zip(self.shift_size, self.window_size, (ph, pw)))
        if sh or sw:
            x = torch.roll(x, shifts=(-sh, -sw), dims=(1, 2))
        windows, tokens = (ph // wh) * (pw // ww), wh * ww
        x = x.view(n, ph // wh, wh, pw // ww, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(n * windows, tokens, c)
        qkv = nn.functional.linear(x, self.qkv.weight, self.qkv.bias)
        q, k, v = qkv.reshape(n * windows, tokens, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q = q * (c // heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
        bias = self.relative_position_bias_table[self.relative_position_index].view(tokens, tokens, heads)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if sh or sw:
            region = x.new_zeros((ph, pw))
            label = 0
            for top, bottom in _regions(ph, wh, sh):
                for left, right in _regions(pw, ww, sw):
                    region[top:bottom, left:right] = label
                    label += 1
            region = region.view(ph // wh, wh, pw // ww, ww).permute(0, 2, 1, 3).reshape(windows, tokens)
            apart = region.unsqueeze(1) - region.unsqueeze(2)
            mask = apart.masked_fill(apart != 0, -100.0).masked_fill(apart == 0, 0.0)
            attn = attn.view(n, windows, heads, tokens, tokens) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, tokens, tokens)
        attn = nn.functional.softmax(attn, dim=-1)
        attn = nn.functional.dropout(attn, p=self.attention_dropout, training=self.training)
        x = attn.matmul(v).transpose(1, 2).reshape(n * windows, tokens, c)
        x = nn.functional.linear(x, self.proj.weight, self.proj.bias)
        x = nn.functional.dropout(x, p=self.dropout, training=self.training)
        x = x.view(n, ph // wh, pw // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(n, ph, pw, c)
        if sh or sw:
            x = torch.roll(x, shifts=(sh, sw), dims=(1, 2))
        return x[:, :h, :w, :].contiguous()


class PatchMerging(_Spec):
    """Swin's patch merging on (N, H, W, C): odd sizes padded, each 2×2 neighbourhood's tokens concatenated
    (4C), LayerNorm, Linear(4C, 2C) without bias."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.dim = spec.dim
        self.norm = nn.LayerNorm(4 * spec.dim, eps=spec.eps)
        self.reduction = nn.Linear(4 * spec.dim, 2 * spec.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-3], x.shape[-2]
        x = nn.functional.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)
        return self.reduction(self.norm(x))


class RelativePositionalMultiHeadAttention(_Spec):
    """MaxViT's attention on (N, G, P, D): heads of head_dim over the P tokens of each partition, with a
    relative position bias over the √P×√P partition."""

    relative_position_index: torch.Tensor

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        d, side = spec.feat_dim, math.isqrt(spec.max_seq_len)
        self.n_heads, self.head_dim, self.max_seq_len = d // spec.head_dim, spec.head_dim, spec.max_seq_len
        self.scale_factor = d ** -0.5  # (torchvision scales by the features, not the head's width)
        self.to_qkv = nn.Linear(d, 3 * d)
        self.merge = nn.Linear(d, d)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * side - 1) ** 2, self.n_heads))
        self.register_buffer("relative_position_index", _relative_index(side, side))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, g, p, d = x.shape
        heads, width = self.n_heads, self.head_dim
        q, k, v = (t.reshape(n, g, p, heads, width).permute(0, 1, 3, 2, 4) for t in torch.chunk(self.to_qkv(x), 3, dim=-1))
        k = k * self.scale_factor
        scores = torch.einsum("bghid,bghjd->bghij", q, k)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(p, p, -1)
        scores = nn.functional.softmax(scores + bias.permute(2, 0, 1).contiguous().unsqueeze(0), dim=-1)
        out = torch.einsum("bghij,bghjd->bghid", scores, v)
        return self.merge(out.permute(0, 1, 3, 2, 4).reshape(n, g, p, d))


class WindowPartition(_Spec):
    """(N, C, H, W) → (N, H/p·W/p, p², C): non-overlapping p×p partitions, channels last."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        p = self.convcalc_spec.p
        return x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(n, (h // p) * (w // p), p * p, c)


class WindowDepartition(_Spec):
    """(N, HP·WP, p², C) → (N, C, HP·p, WP·p): the partitions put back."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.convcalc_spec
        n, c, p, hp, wp = x.shape[0], x.shape[-1], spec.p, spec.h_partitions, spec.w_partitions
        return x.reshape(n, hp, wp, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(n, c, hp * p, wp * p)


class SwapAxes(_Spec):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.swapaxes(x, self.convcalc_spec.a, self.convcalc_spec.b)
