"""Small plain-torch networks built from the blocks of today's vision and sequence models.

An independent oracle for the tests, like tests/torch_reference.py: every network is written here
from torch.nn and torch.nn.functional only (no torchvision, no timm, nothing from the package under
test), after the papers and the way the common model libraries write each block:

- ``vit_mha`` / ``vit_sdpa``: a Vision Transformer (Dosovitskiy et al. 2021): a patch-embedding conv,
  a class token, a learned position embedding, pre-norm encoder blocks (LayerNorm → attention →
  residual, LayerNorm → MLP with GELU → residual), a final LayerNorm and a linear head on the class
  token. ``vit_mha`` attends with ``nn.MultiheadAttention`` (as torchvision's ViT does), ``vit_sdpa``
  with one qkv ``nn.Linear`` on B×N×C tokens, a reshape to heads and ``F.scaled_dot_product_attention``
  (as timm's ``Attention`` does).
- ``swin``: Swin-style windowed self-attention (Liu et al. 2021) on channels-last tokens: window
  partition, a relative position bias gathered from a learned (2W−1)²×heads table, a second block with
  shifted windows (``torch.roll``) and the attention mask of the shifted regions, written out with
  explicit matmuls and softmax; LayerNorm, MLP and residuals around them.
- ``mixer``: MLP-Mixer (Tolstikhin et al. 2021): token-mixing MLPs across patches (a transpose around
  the Linear layers) and channel-mixing MLPs, each pre-norm with a residual.
- ``convnext``: a ConvNeXt block (Liu et al. 2022): 7×7 depthwise conv, LayerNorm channels-last
  through ``permute``, Linear 4× expansion, GELU, Linear back, LayerScale (a per-channel parameter
  multiply), DropPath (identity in eval) and the residual.
- ``lstm_lm``: an LSTM language model as PyTorch's word-language-model example writes it: Embedding →
  Dropout → 2-layer LSTM → Dropout → Linear decoder over the vocabulary.

``BLOCK_MODELS[name]`` is ``(make, shape)``: a builder of the eval-time module and its per-sample input
shape. The LSTM model takes token ids, int64 as the example feeds them (its embedding refuses floats).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------
# ViT
# --------------------------------------------------------------------------


class QkvAttention(nn.Module):
    """timm-style attention: one Linear to q, k, v on B×N×C, heads split by reshape, SDPA, output Linear."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class MhaAttention(nn.Module):
    """torchvision-style attention: nn.MultiheadAttention on batch-first tokens, weights not returned."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, need_weights=False)[0]


class Mlp(nn.Module):
    """Linear → GELU → Linear (dropout 0, left out)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, dim: int, heads: int, mlp: int, attention: str) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = MhaAttention(dim, heads) if attention == "mha" else QkvAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """A small ViT: image 3×S×S, patch P, width D, depth L, heads H, MLP 4D, 10 classes."""

    def __init__(self, attention: str, image: int = 32, patch: int = 8, dim: int = 32, depth: int = 2, heads: int = 4,
                 classes: int = 10) -> None:
        super().__init__()
        tokens = (image // patch) ** 2
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*(EncoderBlock(dim, heads, 4 * dim, attention) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # B×N×D
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.blocks(x + self.pos_embed)
        return self.head(self.norm(x)[:, 0])


# --------------------------------------------------------------------------
# Swin-style windowed attention
# --------------------------------------------------------------------------


def window_partition(x: torch.Tensor, w: int) -> torch.Tensor:
    """B×H×W×C → (B·nW)×(w·w)×C."""
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def window_reverse(x: torch.Tensor, w: int, h: int, wd: int) -> torch.Tensor:
    """(B·nW)×(w·w)×C → B×H×W×C."""
    c = x.shape[-1]
    x = x.view(-1, h // w, wd // w, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, wd, c)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside w×w windows with a relative position bias; shifted by ``shift``
    (cyclic roll, and a mask that keeps tokens of different regions from attending to each other)."""

    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.heads, self.window, self.shift = heads, window, shift
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.randn((2 * window - 1) ** 2, heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)  # w²×w²×2, each in 0…2w−2
        self.register_buffer("bias_index", rel[..., 0] * (2 * window - 1) + rel[..., 1], persistent=False)

    def mask(self, h: int, wd: int, device: torch.device) -> torch.Tensor:
        """nW×w²×w²: 0 within a region, −100 across regions (the shifted image's 9 regions)."""
        w, s = self.window, self.shift
        regions = torch.zeros(1, h, wd, 1, device=device)
        label = 0
        for hs in (slice(0, -w), slice(-w, -s), slice(-s, None)):
            for ws in (slice(0, -w), slice(-w, -s), slice(-s, None)):
                regions[:, hs, ws, :] = label
                label += 1
        windows = window_partition(regions, w).squeeze(-1)  # nW×w²
        differ = windows.unsqueeze(1) - windows.unsqueeze(2)
        return differ.masked_fill(differ != 0, -100.0).masked_fill(differ == 0, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, wd, c = x.shape
        w, s = self.window, self.shift
        if s:
            x = torch.roll(x, shifts=(-s, -s), dims=(1, 2))
        windows = window_partition(x, w)  # (B·nW)×N×C
        bn, n, _ = windows.shape
        qkv = self.qkv(windows).reshape(bn, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)  # (B·nW)×heads×N×N
        bias = self.bias_table[self.bias_index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)
        attn = attn + bias.unsqueeze(0)
        if s:
            mask = self.mask(h, wd, x.device)
            nw = mask.shape[0]
            attn = attn.view(bn // nw, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(bn, n, c)
        x = window_reverse(self.proj(out), w, h, wd)
        if s:
            x = torch.roll(x, shifts=(s, s), dims=(1, 2))
        return x


class SwinBlock(nn.Module):
    """x + attn(LN(x)), x + mlp(LN(x)) on B×H×W×C."""

    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, window, shift)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Swin(nn.Module):
    """Patch 2 embedding to 8×8 tokens of 16 channels (channels last), a plain and a shifted block with
    4×4 windows, a final LayerNorm, average over tokens and a linear head."""

    def __init__(self, dim: int = 16, heads: int = 2, window: int = 4, classes: int = 10) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, 2, stride=2)
        self.embed_norm = nn.LayerNorm(dim)
        self.blocks = nn.Sequential(SwinBlock(dim, heads, window, 0), SwinBlock(dim, heads, window, window // 2))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed_norm(self.patch_embed(x).permute(0, 2, 3, 1))  # B×H×W×C
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=(1, 2)))


# --------------------------------------------------------------------------
# MLP-Mixer
# --------------------------------------------------------------------------


class MixerBlock(nn.Module):
    """x + token_mlp(LN(x)ᵀ)ᵀ, then x + channel_mlp(LN(x)), on B×N×C."""

    def __init__(self, tokens: int, dim: int, token_hidden: int, channel_hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.token_mlp = Mlp(tokens, token_hidden)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.channel_mlp = Mlp(dim, channel_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class Mixer(nn.Module):
    """Patch 4 on 3×16×16 (16 tokens of 24 channels), two Mixer blocks, LayerNorm, token mean, head."""

    def __init__(self, image: int = 16, patch: int = 4, dim: int = 24, depth: int = 2, classes: int = 10) -> None:
        super().__init__()
        tokens = (image // patch) ** 2
        self.stem = nn.Conv2d(3, dim, patch, stride=patch)
        self.blocks = nn.Sequential(*(MixerBlock(tokens, dim, 2 * tokens, 4 * dim) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


# --------------------------------------------------------------------------
# ConvNeXt
# --------------------------------------------------------------------------


class DropPath(nn.Module):
    """Stochastic depth per sample: identity in eval mode."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class ConvNeXtBlock(nn.Module):
    """dwconv 7×7 → permute to N×H×W×C → LayerNorm → Linear(C, 4C) → GELU → Linear(4C, C) → γ· → permute
    back → DropPath → + x."""

    def __init__(self, dim: int, layer_scale: float = 1e-6, drop_path: float = 0.1) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(self.act(self.pwconv1(self.norm(y))))
        y = (self.gamma * y).permute(0, 3, 1, 2)
        return x + self.drop_path(y)


class ConvNeXt(nn.Module):
    """Stem 4×4 stride 4 conv + channels-first LayerNorm (as a permute sandwich), two blocks, global
    average pool, LayerNorm, head."""

    def __init__(self, dim: int = 16, depth: int = 2, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 4, stride=4)
        self.stem_norm = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.Sequential(*(ConvNeXtBlock(dim) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_norm(self.stem(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.blocks(x)
        return self.head(self.norm(F.adaptive_avg_pool2d(x, 1).flatten(1)))


# --------------------------------------------------------------------------
# LSTM language model
# --------------------------------------------------------------------------


class LstmLM(nn.Module):
    """PyTorch's examples/word_language_model RNNModel('LSTM'), batch first and small: ids → Embedding(V, E)
    → Dropout → LSTM(E, H, 2 layers) → Dropout → Linear(H, V) logits per position."""

    def __init__(self, vocab: int = 100, embed: int = 16, hidden: int = 24, layers: int = 2, dropout: float = 0.2) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, layers, dropout=dropout, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        emb = self.drop(self.encoder(ids))
        output, _ = self.rnn(emb)
        return self.decoder(self.drop(output))


BLOCK_MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "vit_mha": (lambda: ViT("mha"), (3, 32, 32)),
    "vit_sdpa": (lambda: ViT("sdpa"), (3, 32, 32)),
    "swin": (Swin, (3, 16, 16)),
    "mixer": (Mixer, (3, 16, 16)),
    "convnext": (ConvNeXt, (3, 32, 32)),
    "lstm_lm": (LstmLM, (12,)),
}
