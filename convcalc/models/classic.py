"""The networks of the lecture notes: LeNet-5 and AlexNet (CS231n's table, torchvision's, the 2012 paper's)."""

from __future__ import annotations

from ..layers import (
    AdaptiveAvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    ReLU,
    Sequential,
)
from ..layers.base import Layer
from .registry import TORCH_FLATTEN, register


@register(input_shape=(1, 32, 32), params=61_706,
          functional={"*:relu": "F.relu", "*:maxpool2d": "F.max_pool2d", **TORCH_FLATTEN})
def lenet5(num_classes: int = 10) -> Layer:
    """LeNet-5 as PyTorch's "Neural Networks" tutorial defines it (LeCun et al. 1998, simplified).

    conv 6@5×5, max pool 2, conv 16@5×5, max pool 2, FC 120-84-10, ReLU; on 1×32×32
    it holds 61,706 parameters. The paper's trainable subsampling and partial
    C3 connection table are not modelled.
    """
    return Sequential({
        "conv1": Conv2d(1, 6, 5), "relu1": ReLU(), "pool1": MaxPool2d(2),
        "conv2": Conv2d(6, 16, 5), "relu2": ReLU(), "pool2": MaxPool2d(2),
        "flatten": Flatten(),
        "fc1": Linear(16 * 5 * 5, 120), "relu3": ReLU(),
        "fc2": Linear(120, 84), "relu4": ReLU(),
        "fc3": Linear(84, num_classes),
    })


@register(input_shape=(3, 227, 227), params=62_378_344, functional=TORCH_FLATTEN)
def alexnet(num_classes: int = 1000) -> Layer:
    """AlexNet as CS231n's lecture 5 tabulates it (seed 002): one tower, 227×227 input.

    convs 96@11 s4, 256@5 p2, 384@3 p1, 384@3 p1, 256@3 p1; max pools 3 s2;
    FC 4096-4096-1000 with dropout, in-place ReLU. 62,378,344 parameters and
    1,135,256,096 MACs. (The 2012 paper split conv2, conv4 and conv5 over two
    GPUs; this single-tower table does not.)
    """
    return Sequential({
        "features": Sequential(
            Conv2d(3, 96, 11, stride=4), ReLU(inplace=True), MaxPool2d(3, 2),
            Conv2d(96, 256, 5, padding=2), ReLU(inplace=True), MaxPool2d(3, 2),
            Conv2d(256, 384, 3, padding=1), ReLU(inplace=True),
            Conv2d(384, 384, 3, padding=1), ReLU(inplace=True),
            Conv2d(384, 256, 3, padding=1), ReLU(inplace=True), MaxPool2d(3, 2),
        ),
        "flatten": Flatten(),
        "classifier": _alexnet_classifier(num_classes),
    })


def _alexnet_classifier(num_classes: int) -> Sequential:
    return Sequential(
        Dropout(0.5), Linear(256 * 6 * 6, 4096), ReLU(inplace=True),
        Dropout(0.5), Linear(4096, 4096), ReLU(inplace=True),
        Linear(4096, num_classes),
    )


@register(input_shape=(3, 224, 224), params=61_100_840, functional=TORCH_FLATTEN)
def alexnet_torchvision(num_classes: int = 1000) -> Layer:
    """AlexNet as torchvision defines it ("One weird trick", Krizhevsky 2014): 224×224 input,
    convs 64-192-384-256-256, an adaptive 6×6 average pool, dropout. 61,100,840 parameters
    and 714,188,480 MACs (torchvision's docs: 0.71 GFLOPS)."""
    return Sequential({
        "features": Sequential(
            Conv2d(3, 64, 11, stride=4, padding=2), ReLU(inplace=True), MaxPool2d(3, 2),
            Conv2d(64, 192, 5, padding=2), ReLU(inplace=True), MaxPool2d(3, 2),
            Conv2d(192, 384, 3, padding=1), ReLU(inplace=True),
            Conv2d(384, 256, 3, padding=1), ReLU(inplace=True),
            Conv2d(256, 256, 3, padding=1), ReLU(inplace=True), MaxPool2d(3, 2),
        ),
        "avgpool": AdaptiveAvgPool2d((6, 6)),
        "flatten": Flatten(),
        "classifier": _alexnet_classifier(num_classes),
    })


@register(input_shape=(3, 227, 227), params=60_965_224, functional=TORCH_FLATTEN)
def alexnet_2012(num_classes: int = 1000) -> Layer:
    """AlexNet as Krizhevsky, Sutskever and Hinton (NIPS 2012, Figure 2 and section 3) drew it,
    its two GPUs as one graph: conv2, conv4 and conv5 see only their own GPU's half of the
    channels (groups=2), conv3 and the FC layers see both; ReLU after every layer; response
    normalisation (n=5, k=2, α=1e-4, β=0.75) after conv1 and conv2, each followed by a 3×3/2
    max pool, as is conv5. The paper says "60 million parameters"; exactly, by hand:
    conv1 96·3·11²+96 = 34,944; conv2 256·48·5²+256 = 307,456; conv3 384·256·3²+384 = 885,120;
    conv4 384·192·3²+384 = 663,936; conv5 256·192·3²+256 = 442,624; FCs 37,752,832 +
    16,781,312 + 4,097,000: 60,965,224 (a torch construction in the tests agrees). The paper's
    224×224 input gives 54.25 after conv1; 227 makes the arithmetic whole, as is customary."""
    lrn = lambda: LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # noqa: E731  (two modules, as in torch)
    return Sequential({
        "features": Sequential(
            Conv2d(3, 96, 11, stride=4), ReLU(inplace=True), lrn(), MaxPool2d(3, 2),
            Conv2d(96, 256, 5, padding=2, groups=2), ReLU(inplace=True), lrn(), MaxPool2d(3, 2),
            Conv2d(256, 384, 3, padding=1), ReLU(inplace=True),
            Conv2d(384, 384, 3, padding=1, groups=2), ReLU(inplace=True),
            Conv2d(384, 256, 3, padding=1, groups=2), ReLU(inplace=True), MaxPool2d(3, 2),
        ),
        "flatten": Flatten(),
        "classifier": _alexnet_classifier(num_classes),
    })
