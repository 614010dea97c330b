"""The networks of the lecture notes: LeNet-5 and AlexNet (CS231n's table)."""

from __future__ import annotations

from ..layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..layers.base import Layer
from .registry import register


@register(input_shape=(1, 32, 32), params=61_706)
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


@register(input_shape=(3, 227, 227), params=62_378_344)
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
        "classifier": Sequential(
            Dropout(0.5), Linear(256 * 6 * 6, 4096), ReLU(inplace=True),
            Dropout(0.5), Linear(4096, 4096), ReLU(inplace=True),
            Linear(4096, num_classes),
        ),
    })
