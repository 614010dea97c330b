"""Super-resolution: ESPCN (Shi et al. 2016), the efficient sub-pixel convolution."""

from __future__ import annotations

from ..layers import Conv2d, PixelShuffle, Sequential, Tanh
from ..layers.base import Layer
from .registry import register


@register(input_shape=(1, 224, 224), params=22_729)
def espcn(upscale_factor: int = 3, channels: int = 1) -> Layer:
    """ESPCN (Shi et al. 2016) at ×3 as published: l = 3 layers, (f1, n1) = (5, 64), (f2, n2) = (3, 32),
    f3 = 3 to r²·C = 9 channels, then the periodic shuffle (PixelShuffle(3)) to C×3H×3W; tanh after
    the first two convs (the paper's final choice over ReLU), 'same' padding, one (Y) channel. At the
    1×224×224 input of PyTorch's super-resolution tutorial (also ×3): 1×672×672 out. 22,729
    parameters: 1·64·25 + 64 = 1,664; 64·32·9 + 32 = 18,464; 32·9·9 + 9 = 2,601."""
    return Sequential({
        "features": Sequential(Conv2d(channels, 64, 5, padding=2), Tanh(), Conv2d(64, 32, 3, padding=1), Tanh()),
        "sub_pixel": Sequential(Conv2d(32, channels * upscale_factor ** 2, 3, padding=1), PixelShuffle(upscale_factor)),
    })
