"""DCGAN's generator and discriminator for 64×64 images (Radford et al. 2016), as the PyTorch DCGAN
tutorial builds them: nz = 100 latent channels, ngf = ndf = 64 feature maps, nc = 3 image channels."""

from __future__ import annotations

from ..layers import BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from ..layers.base import Layer
from .registry import register


@register(input_shape=(100, 1, 1), params=3_576_704)
def dcgan_generator(nz: int = 100, ngf: int = 64, nc: int = 3) -> Layer:
    """DCGAN generator (Radford et al. 2016, Figure 1; the PyTorch DCGAN tutorial's ``Generator``): a
    100×1×1 latent vector up to a 3×64×64 image through fractionally-strided convolutions (4×4, stride 2,
    padding 1; the first stride 1, padding 0: 1→4), no biases, batch norm and ReLU between, Tanh at the end.
    3,576,704 parameters (the tutorial's model at nz = 100, ngf = 64, nc = 3)."""
    widths = [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
    layers: list[Layer] = []
    for i, (cin, cout) in enumerate(zip(widths, widths[1:])):
        layers += [ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False), BatchNorm2d(cout), ReLU(True)]
    layers += [ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), Tanh()]
    return Sequential({"main": Sequential(*layers)})


@register(input_shape=(3, 64, 64), params=2_765_568)
def dcgan_discriminator(nc: int = 3, ndf: int = 64) -> Layer:
    """DCGAN discriminator (Radford et al. 2016; the PyTorch DCGAN tutorial's ``Discriminator``): a 3×64×64
    image down to one probability through strided convolutions (4×4, stride 2, padding 1), no biases,
    batch norm after all but the first, LeakyReLU(0.2), then a 4×4 conv to 1×1×1 and a Sigmoid.
    2,765,568 parameters (the tutorial's model at nc = 3, ndf = 64)."""
    widths = [nc, ndf, ndf * 2, ndf * 4, ndf * 8]
    layers: list[Layer] = []
    for i, (cin, cout) in enumerate(zip(widths, widths[1:])):
        layers.append(Conv2d(cin, cout, 4, 2, 1, bias=False))
        if i > 0:
            layers.append(BatchNorm2d(cout))
        layers.append(LeakyReLU(0.2, inplace=True))
    layers += [Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), Sigmoid()]
    return Sequential({"main": Sequential(*layers)})
