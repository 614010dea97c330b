"""Hand-written PyTorch reference implementations of classic CNNs.

An independent oracle for the tests: every network is rebuilt here from
torch.nn only (torchvision is not a dependency), following torchvision's
model definitions layer for layer -- same channel counts, same bias choices,
same BatchNorm/LayerNorm placement, same functional ops in ``forward``.
Nothing here imports or mirrors the package under test.

``BUILDERS[name]()`` returns the eval-time network (num_classes=1000,
auxiliary classifiers absent); ``INPUTS[name]`` is its per-sample input shape.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's rounding of channel counts to a multiple of ``divisor``."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_norm_act(cin, cout, k=3, stride=1, groups=1, padding=None, norm=nn.BatchNorm2d,
                  act=nn.ReLU, bias=None, dilation=1) -> nn.Sequential:
    """torchvision.ops.Conv2dNormActivation: conv (bias only without norm) + norm + act."""
    if padding is None:
        padding = (k - 1) // 2 * dilation
    if bias is None:
        bias = norm is None
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, padding, dilation=dilation,
                                         groups=groups, bias=bias)]
    if norm is not None:
        layers.append(norm(cout))
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation: avgpool, 1x1 conv (bias), act, 1x1 conv (bias), gate."""

    def __init__(self, channels, squeeze, act=nn.ReLU, scale_act=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = act(inplace=True)
        self.scale_activation = scale_act() if scale_act is nn.Sigmoid else scale_act(inplace=True)

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return s * x


class BasicConv2d(nn.Module):
    """GoogLeNet / Inception v3 unit: conv (bias=False) + BN(eps=0.001) + F.relu."""

    def __init__(self, cin, cout, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


# --------------------------------------------------------------------------
# LeNet-5 -- PyTorch "Neural Networks" tutorial (input 1x32x32)
# --------------------------------------------------------------------------


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


# --------------------------------------------------------------------------
# AlexNet -- CS231n variant (227 input, 96-256-384-384-256), torchvision's
# variant (64-192-384-256-256 + adaptive avg pool 6x6), and the 2012 paper
# (two-GPU grouping on conv2/4/5 + LRN after conv1/conv2).
# --------------------------------------------------------------------------


def _alexnet_classifier(in_features: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Dropout(p=0.5), nn.Linear(in_features, 4096), nn.ReLU(inplace=True),
        nn.Dropout(p=0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, 1000),
    )


class AlexNet(nn.Module):
    def __init__(self, features: nn.Sequential, avgpool: nn.Module | None, flat: int):
        super().__init__()
        self.features = features
        self.avgpool = avgpool if avgpool is not None else nn.Identity()
        self.classifier = _alexnet_classifier(flat)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        x = torch.flatten(x, 1)
        return self.classifier(x)


def _alexnet_features(widths, first_k, first_s, first_p, groups=1, lrn=False) -> nn.Sequential:
    """Five convs; ``groups`` applies to conv2, conv4, conv5 (the 2012 two-GPU split)."""
    c1, c2, c3, c4, c5 = widths
    relu = lambda: nn.ReLU(inplace=True)  # noqa: E731
    pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2)  # noqa: E731
    norm = (lambda: [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)]) if lrn else list
    return nn.Sequential(
        nn.Conv2d(3, c1, first_k, stride=first_s, padding=first_p), relu(), *norm(), pool(),
        nn.Conv2d(c1, c2, 5, padding=2, groups=groups), relu(), *norm(), pool(),
        nn.Conv2d(c2, c3, 3, padding=1), relu(),
        nn.Conv2d(c3, c4, 3, padding=1, groups=groups), relu(),
        nn.Conv2d(c4, c5, 3, padding=1, groups=groups), relu(), pool(),
    )


def alexnet():  # CS231n AlexNet, input 3x227x227
    return AlexNet(_alexnet_features((96, 256, 384, 384, 256), 11, 4, 0), None, 256 * 6 * 6)


def alexnet_2012():  # Krizhevsky et al. 2012, groups=2 + LRN, input 3x227x227
    feats = _alexnet_features((96, 256, 384, 384, 256), 11, 4, 0, groups=2, lrn=True)
    return AlexNet(feats, None, 256 * 6 * 6)


def alexnet_torchvision():  # torchvision.models.alexnet
    feats = _alexnet_features((64, 192, 384, 256, 256), 11, 4, 2)
    return AlexNet(feats, nn.AdaptiveAvgPool2d((6, 6)), 256 * 6 * 6)


# --------------------------------------------------------------------------
# VGG -- torchvision.models.vgg (configs A, B, D, E) and two paper-only
# columns: A-LRN and C (Simonyan & Zisserman 2014, Table 1).
# cfg entries: int = 3x3 conv (pad 1), (c, 1) = 1x1 conv (pad 0),
# "M" = 2x2 max pool, "L" = LocalResponseNorm after the preceding ReLU.
# --------------------------------------------------------------------------

_VGG_CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "L", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M",
          512, 512, (512, 1), "M", 512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
          512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
          512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def _vgg_features(cfg, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif v == "L":
            layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
        else:
            cout, k = v if isinstance(v, tuple) else (v, 3)
            layers.append(nn.Conv2d(cin, cout, kernel_size=k, padding=k // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.ReLU(inplace=True))
            cin = cout
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, cfg, batch_norm=False, adaptive_pool=True):
        super().__init__()
        self.features = _vgg_features(cfg, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7)) if adaptive_pool else nn.Identity()
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 1000),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        x = torch.flatten(x, 1)
        return self.classifier(x)


# --------------------------------------------------------------------------
# GoogLeNet -- torchvision.models.googlenet (aux_logits=False,
# transform_input=False). torchvision's "5x5" branch is really a 3x3 conv.
# --------------------------------------------------------------------------


class Inception(nn.Module):
    def __init__(self, cin, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(cin, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(cin, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(cin, pool_proj, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.2)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x))


# --------------------------------------------------------------------------
# Inception v3 -- torchvision.models.inception_v3 (aux_logits=False,
# transform_input=False), input 3x299x299.
# --------------------------------------------------------------------------


class InceptionA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class InceptionC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for i in range(1, 6):
            bd = getattr(self, f"branch7x7dbl_{i}")(bd)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for i in range(1, 5):
            b7 = getattr(self, f"branch7x7x3_{i}")(b7)
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, b7, bp], 1)


class InceptionE(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b3, bd, bp], 1)


class InceptionV3(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.5)
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x):
        for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                     "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
                     "Mixed_5b", "Mixed_5c", "Mixed_5d",
                     "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool", "dropout"):
            x = getattr(self, name)(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


# --------------------------------------------------------------------------
# ResNet family -- torchvision.models.resnet (v1.5: stride on the 3x3 conv
# of the bottleneck); ResNeXt and Wide ResNet via groups / width_per_group.
# --------------------------------------------------------------------------


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, padding=dilation, dilation=dilation, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """``replace_stride_with_dilation`` (layer2..4) as torchvision: stride 1 and the dilation doubled instead;
    the stage's first block keeps the previous dilation (the segmentation backbones: [False, True, True])."""

    def __init__(self, block, layers, groups=1, width_per_group=64, replace_stride_with_dilation=(False, False, False)):
        super().__init__()
        self.inplanes, self.groups, self.base_width, self.dilation = 64, groups, width_per_group, 1
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, 1000)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        extra = {"dilation": previous_dilation} if previous_dilation > 1 else {}
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, **extra)]
        self.inplanes = planes * block.expansion
        extra = {"dilation": self.dilation} if self.dilation > 1 else {}
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width, **extra)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


# --------------------------------------------------------------------------
# DenseNet-121 -- torchvision.models.densenet121 (growth 32, blocks
# 6-12-24-16, bn_size 4, 64 initial features, drop_rate 0).
# --------------------------------------------------------------------------


class _DenseLayer(nn.Module):
    def __init__(self, cin, growth_rate, bn_size):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)

    def forward(self, inputs: list[torch.Tensor]):
        x = torch.cat(inputs, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, cin, bn_size, growth_rate):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(cin + i * growth_rate, growth_rate, bn_size))

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


def _transition(cin, cout) -> nn.Sequential:
    t = nn.Sequential()
    t.add_module("norm", nn.BatchNorm2d(cin))
    t.add_module("relu", nn.ReLU(inplace=True))
    t.add_module("conv", nn.Conv2d(cin, cout, 1, bias=False))
    t.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))
    return t


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4):
        super().__init__()
        f = nn.Sequential()
        f.add_module("conv0", nn.Conv2d(3, num_init_features, 7, stride=2, padding=3, bias=False))
        f.add_module("norm0", nn.BatchNorm2d(num_init_features))
        f.add_module("relu0", nn.ReLU(inplace=True))
        f.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        c = num_init_features
        for i, n in enumerate(block_config):
            f.add_module(f"denseblock{i + 1}", _DenseBlock(n, c, bn_size, growth_rate))
            c += n * growth_rate
            if i != len(block_config) - 1:
                f.add_module(f"transition{i + 1}", _transition(c, c // 2))
                c //= 2
        f.add_module("norm5", nn.BatchNorm2d(c))
        self.features = f
        self.classifier = nn.Linear(c, 1000)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# --------------------------------------------------------------------------
# SqueezeNet 1.0 / 1.1 -- torchvision.models.squeezenet
# --------------------------------------------------------------------------


class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1x1, e3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, e1x1, 1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, e3x3, 3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, version: str):
        super().__init__()
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256))
        else:
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), nn.Conv2d(512, 1000, 1),
                                        nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# --------------------------------------------------------------------------
# MobileNet v1 -- Howard et al. 2017, Table 1 (width 1.0)
# --------------------------------------------------------------------------

_MOBILENET_V1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                 (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [conv_norm_act(3, 32, 3, stride=2)]
        cin = 32
        for cout, s in _MOBILENET_V1:
            layers += [conv_norm_act(cin, cin, 3, stride=s, groups=cin),  # depthwise
                       conv_norm_act(cin, cout, 1)]                       # pointwise
            cin = cout
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.fc(x)


# --------------------------------------------------------------------------
# MobileNet v2 -- torchvision.models.mobilenet_v2 (width 1.0)
# --------------------------------------------------------------------------

_MOBILENET_V2 = [  # t (expansion), c (out channels), n (repeats), s (first stride)
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]


class InvertedResidualV2(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_norm_act(inp, hidden, 1, act=nn.ReLU6))
        layers += [conv_norm_act(hidden, hidden, 3, stride=stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = [conv_norm_act(3, 32, 3, stride=2, act=nn.ReLU6)]
        cin = 32
        for t, c, n, s in _MOBILENET_V2:
            for i in range(n):
                layers.append(InvertedResidualV2(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_norm_act(cin, 1280, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


# --------------------------------------------------------------------------
# MobileNet v3 large / small -- torchvision.models.mobilenetv3
# BN(eps=0.001, momentum=0.01); SE squeeze = make_divisible(expanded // 4),
# gate = Hardsigmoid.
# --------------------------------------------------------------------------

# (input, kernel, expanded, output, use_se, activation, stride)
_MOBILENET_V3_LARGE = [
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1), (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
]
_MOBILENET_V3_SMALL = [
    (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
]


def _bn_v3(c):
    return nn.BatchNorm2d(c, eps=0.001, momentum=0.01)


class InvertedResidualV3(nn.Module):
    def __init__(self, cin, k, exp, cout, use_se, act, stride, dilation=1):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        self._is_cn = stride > 1  # torchvision marks the stride-2 blocks (the segmentation heads read C2 from them)
        act_layer = nn.Hardswish if act == "HS" else nn.ReLU
        layers: list[nn.Module] = []
        if exp != cin:
            layers.append(conv_norm_act(cin, exp, 1, norm=_bn_v3, act=act_layer))
        layers.append(conv_norm_act(exp, exp, k, stride=1 if dilation > 1 else stride, groups=exp, norm=_bn_v3,
                                    act=act_layer, dilation=dilation))
        if use_se:
            layers.append(SqueezeExcitation(exp, _make_divisible(exp // 4, 8), scale_act=nn.Hardsigmoid))
        layers.append(conv_norm_act(exp, cout, 1, norm=_bn_v3, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result += x
        return result


class MobileNetV3(nn.Module):
    def __init__(self, setting, last_channel, dilated=False):
        super().__init__()
        layers: list[nn.Module] = [conv_norm_act(3, setting[0][0], 3, stride=2, norm=_bn_v3, act=nn.Hardswish)]
        # dilated (torchvision's dilated=True): the last stage, the last three rows, takes dilation 2
        layers += [InvertedResidualV3(*cfg, dilation=2 if dilated and i >= len(setting) - 3 else 1)
                   for i, cfg in enumerate(setting)]
        last_in = setting[-1][3]
        layers.append(conv_norm_act(last_in, 6 * last_in, 1, norm=_bn_v3, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * last_in, last_channel), nn.Hardswish(inplace=True),
            nn.Dropout(p=0.2, inplace=True), nn.Linear(last_channel, 1000))

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


# --------------------------------------------------------------------------
# EfficientNet-B0 -- torchvision.models.efficientnet_b0 (width/depth 1.0).
# SE squeeze = max(1, block_input_channels // 4), SiLU activation.
# --------------------------------------------------------------------------

# (expand_ratio, kernel, stride, input_channels, out_channels, num_layers)
_EFFICIENTNET_B0 = [
    (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
]


class MBConv(nn.Module):
    def __init__(self, expand_ratio, k, stride, cin, cout):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        exp = _make_divisible(cin * expand_ratio, 8)
        layers: list[nn.Module] = []
        if exp != cin:
            layers.append(conv_norm_act(cin, exp, 1, act=nn.SiLU))
        layers += [conv_norm_act(exp, exp, k, stride=stride, groups=exp, act=nn.SiLU),
                   SqueezeExcitation(exp, max(1, cin // 4), act=nn.SiLU),
                   conv_norm_act(exp, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:  # stochastic depth is the identity at inference
            result += x
        return result


class EfficientNet(nn.Module):
    def __init__(self, setting, dropout=0.2):
        super().__init__()
        layers: list[nn.Module] = [conv_norm_act(3, setting[0][3], 3, stride=2, act=nn.SiLU)]
        for e, k, s, cin, cout, n in setting:
            layers.append(nn.Sequential(*[MBConv(e, k, s if i == 0 else 1, cin if i == 0 else cout, cout)
                                          for i in range(n)]))
        last_in = setting[-1][4]
        layers.append(conv_norm_act(last_in, 4 * last_in, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(4 * last_in, 1000))

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


# --------------------------------------------------------------------------
# ShuffleNet v2 x1.0 -- torchvision.models.shufflenet_v2_x1_0
# --------------------------------------------------------------------------


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, inp, oup, stride):
        super().__init__()
        self.stride = stride
        bf = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, bf, 1, 1, 0, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else bf, bf, 1, 1, 0, bias=False), nn.BatchNorm2d(bf),
            nn.ReLU(inplace=True),
            nn.Conv2d(bf, bf, 3, stride, 1, groups=bf, bias=False), nn.BatchNorm2d(bf),
            nn.Conv2d(bf, bf, 1, 1, 0, bias=False), nn.BatchNorm2d(bf), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, repeats=(4, 8, 4), channels=(24, 116, 232, 464, 1024)):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, channels[0], 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        cin = channels[0]
        for name, n, cout in zip(("stage2", "stage3", "stage4"), repeats, channels[1:]):
            setattr(self, name, nn.Sequential(ShuffleUnit(cin, cout, 2),
                                              *[ShuffleUnit(cout, cout, 1) for _ in range(n - 1)]))
            cin = cout
        self.conv5 = nn.Sequential(nn.Conv2d(cin, channels[-1], 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(channels[-1]), nn.ReLU(inplace=True))
        self.fc = nn.Linear(channels[-1], 1000)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x)
        x = x.mean([2, 3])  # global average pool
        return self.fc(x)


# --------------------------------------------------------------------------
# ConvNeXt-Tiny -- torchvision.models.convnext_tiny (dims 96-192-384-768,
# depths 3-3-9-3, layer scale 1e-6; stochastic depth omitted: identity in eval)
# --------------------------------------------------------------------------


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over channels of an NCHW tensor (torchvision.models.convnext.LayerNorm2d)."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)


class CNBlock(nn.Module):
    def __init__(self, dim, layer_scale=1e-6):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)

    def forward(self, x):
        result = self.layer_scale * self.block(x)
        result += x
        return result


class ConvNeXt(nn.Module):
    def __init__(self, dims=(96, 192, 384, 768), depths=(3, 3, 9, 3)):
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(  # stem: 4x4 patchify conv + LayerNorm2d
            nn.Conv2d(3, dims[0], kernel_size=4, stride=4, padding=0, bias=True),
            LayerNorm2d(dims[0], eps=1e-6))]
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            layers.append(nn.Sequential(*[CNBlock(dim) for _ in range(depth)]))
            if i + 1 < len(dims):  # downsampling between stages
                layers.append(nn.Sequential(LayerNorm2d(dim, eps=1e-6),
                                            nn.Conv2d(dim, dims[i + 1], kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(dims[-1], eps=1e-6), nn.Flatten(1),
                                        nn.Linear(dims[-1], 1000))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


# --------------------------------------------------------------------------
# DCGAN -- the PyTorch DCGAN tutorial's Generator and Discriminator for 64x64
# images (Radford et al. 2016): nz=100, ngf=ndf=64, nc=3.
# --------------------------------------------------------------------------


class DCGANGenerator(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, x):
        return self.main(x)


class DCGANDiscriminator(nn.Module):
    def __init__(self, nc=3, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x)


# --------------------------------------------------------------------------
# U-Net -- Ronneberger et al. 2015, Figure 1: unpadded 3x3 convs + ReLU,
# 2x2 max pool, 2x2 up-convolution halving the channels, the contracting
# path's map center-cropped to the up path's size and concatenated (copy
# first), a final 1x1 conv to 2 classes. 1x572x572 in, 2x388x388 out.
# --------------------------------------------------------------------------


def _unet_pair(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3), nn.ReLU(inplace=True))


def _center_crop(x, size):
    """The middle ``size`` of x; U-Net's margins are even (Figure 1's sizes), so (I - O) / 2 on each side."""
    top, left = ((i - o) // 2 for i, o in zip(x.shape[-2:], size))
    return x[..., top:top + size[0], left:left + size[1]]


class UNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=2, widths=(64, 128, 256, 512, 1024)):
        super().__init__()
        self.down = nn.ModuleList(_unet_pair(cin, cout) for cin, cout in zip((in_channels, *widths[:-1]), widths))
        self.pool = nn.MaxPool2d(2)
        ups = list(reversed(widths))
        self.upconv = nn.ModuleList(nn.ConvTranspose2d(w, w // 2, 2, stride=2) for w in ups[:-1])
        self.up = nn.ModuleList(_unet_pair(w, w // 2) for w in ups[:-1])
        self.final = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for i, pair in enumerate(self.down):
            x = pair(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        for upconv, pair, skip in zip(self.upconv, self.up, reversed(skips)):
            x = upconv(x)
            x = pair(torch.cat([_center_crop(skip, x.shape[-2:]), x], dim=1))
        return self.final(x)


# --------------------------------------------------------------------------
# ESPCN -- Shi et al. 2016, x3: (f1, n1) = (5, 64), (f2, n2) = (3, 32), f3 = 3
# to r^2 = 9 channels, tanh after the first two convs, then the sub-pixel
# shuffle (nn.PixelShuffle(3)); 'same' padding, one (Y) channel.
# --------------------------------------------------------------------------


class ESPCN(nn.Module):
    def __init__(self, upscale=3, channels=1):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(channels, 64, 5, padding=2), nn.Tanh(),
                                      nn.Conv2d(64, 32, 3, padding=1), nn.Tanh())
        self.sub_pixel = nn.Sequential(nn.Conv2d(32, channels * upscale ** 2, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x):
        return self.sub_pixel(self.features(x))


# --------------------------------------------------------------------------
# Segmentation -- torchvision.models.segmentation fcn_resnet50,
# deeplabv3_resnet50 (ResNet-50 with replace_stride_with_dilation
# [False, True, True], output stride 8) and lraspp_mobilenet_v3_large
# (MobileNetV3-Large features, dilated), 21 classes, no auxiliary head;
# the logits are interpolated back to the input size (bilinear).
# --------------------------------------------------------------------------


class _ResNetBackbone(nn.Module):
    """torchvision's IntermediateLayerGetter over a ResNet: every child up to layer4 (no pool, no fc)."""

    def __init__(self):
        super().__init__()
        resnet = ResNet(Bottleneck, [3, 4, 6, 3], replace_stride_with_dilation=(False, True, True))
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            self.add_module(name, getattr(resnet, name))

    def forward(self, x):
        for module in self.children():
            x = module(x)
        return x


class _ASPPPooling(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for module in self:
            x = module(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class _ASPP(nn.Module):
    def __init__(self, cin, rates=(12, 24, 36), cout=256):
        super().__init__()
        branches: list[nn.Module] = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())]
        branches += [nn.Sequential(nn.Conv2d(cin, cout, 3, padding=r, dilation=r, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
                     for r in rates]
        branches.append(_ASPPPooling(cin, cout))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(nn.Conv2d(len(branches) * cout, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                     nn.Dropout(0.5))

    def forward(self, x):
        return self.project(torch.cat([branch(x) for branch in self.convs], dim=1))


class _Segmenter(nn.Module):
    """Backbone, head, and F.interpolate back to the input's size (torchvision's _SimpleSegmentationModel)."""

    def __init__(self, backbone, classifier):
        super().__init__()
        self.backbone, self.classifier = backbone, classifier

    def forward(self, x):
        out = self.classifier(self.backbone(x))
        return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


def fcn_resnet50(num_classes=21):
    head = nn.Sequential(nn.Conv2d(2048, 512, 3, padding=1, bias=False), nn.BatchNorm2d(512), nn.ReLU(),
                         nn.Dropout(0.1), nn.Conv2d(512, num_classes, 1))
    return _Segmenter(_ResNetBackbone(), head)


def deeplabv3_resnet50(num_classes=21):
    head = nn.Sequential(_ASPP(2048), nn.Conv2d(256, 256, 3, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
                         nn.Conv2d(256, num_classes, 1))
    return _Segmenter(_ResNetBackbone(), head)


class LRASPP(nn.Module):
    """torchvision's LRASPP over MobileNetV3-Large: "low" is the output of the last stride-8 stage
    (features[4], 40 channels), "high" the last features (960 channels, output stride 16 when dilated)."""

    def __init__(self, num_classes=21, inter=128):
        super().__init__()
        features = MobileNetV3(_MOBILENET_V3_LARGE, 1280, dilated=True).features
        stages = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
        self.low_pos, high_pos = stages[-4], stages[-1]
        self.backbone = features[:high_pos + 1]
        low_channels, high_channels = 40, features[high_pos][0].out_channels
        self.cbr = nn.Sequential(nn.Conv2d(high_channels, inter, 1, bias=False), nn.BatchNorm2d(inter), nn.ReLU(inplace=True))
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high_channels, inter, 1, bias=False), nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter, num_classes, 1)

    def forward(self, x):
        y = x
        for i, module in enumerate(self.backbone):
            y = module(y)
            if i == self.low_pos:
                low = y
        high = y
        h = self.cbr(high) * self.scale(high)
        h = F.interpolate(h, size=low.shape[-2:], mode="bilinear", align_corners=False)
        out = self.low_classifier(low) + self.high_classifier(h)
        return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------
# Language model: PyTorch's examples/word_language_model
# --------------------------------------------------------------------------


class RNNModel(nn.Module):
    """examples/word_language_model/model.py's RNNModel (LSTM and GRU branches), as published: encoder, one
    dropout module called twice, a batch-second recurrent module, decoder; forward(input, hidden) takes L×N ids and
    returns log-probabilities of shape (L·N)×ntoken and the new hidden state."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class BatchFirstLM(nn.Module):
    """The example's modules (its encoder, dropout, batch-second recurrent module and decoder) on batch-first ids
    N×L: the recurrent module gets its L×N×H (zero hidden state, as init_hidden), everything else runs batch first;
    log-probabilities N×L×ntoken. The same arithmetic as the example's forward (tools that read the batch from
    dim 0, as torchinfo does, see the batch where convcalc's per-sample shapes put it)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        m = self.model
        emb = m.drop(m.encoder(x))
        output, _ = m.rnn(emb.transpose(0, 1), m.init_hidden(x.shape[0]))
        decoded = m.decoder(m.drop(output.transpose(0, 1)))
        return F.log_softmax(decoded, dim=-1)


def word_language_model():
    """main.py's defaults on Wikitext-2: LSTM, emsize 200, nhid 200, 2 layers, dropout 0.2, untied; the dictionary
    of Wikitext-2's training, validation and test text has 33,278 words."""
    return RNNModel("LSTM", 33278, 200, 200, 2, dropout=0.2, tie_weights=False)
# ViT-B/16 -- torchvision.models.vit_b_16 (Dosovitskiy et al. 2021, "An Image is
# Worth 16x16 Words"): a 16x16 stride-16 patch conv to 768 channels, the 14x14
# patches as 196 tokens, a learnt class token prepended, a learnt 197x768
# position embedding added, 12 pre-norm blocks (LayerNorm eps 1e-6,
# 12-head self-attention, MLP 768-3072-768 with GELU), a final LayerNorm and
# Linear(768, 1000) on the class token.
# --------------------------------------------------------------------------


class ViTBlock(nn.Module):
    def __init__(self, dim: int = 768, heads: int = 12, mlp_dim: int = 3072) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.GELU()  # a module, as torchvision's MLPBlock has it
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, image: int = 224, patch: int = 16, dim: int = 768, depth: int = 12, heads: int = 12,
                 mlp_dim: int = 3072, classes: int = 1000) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        self.blocks = nn.ModuleList(ViTBlock(dim, heads, mlp_dim) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])
# Swin-T -- torchvision.models.swin_t (Liu et al. 2021): 4x4 patches, embed 96,
# depths 2-2-6-2, heads 3-6-12-24, window 7 (every second block shifted by 3),
# channels-last tokens. Stochastic depth omitted (identity in eval). The
# shifted windows' masks depend only on the map size, so they are built once,
# as buffers (as the paper's own code does), for the input the model is made
# for; the attention runs the calls torchvision's does (F.linear on the qkv
# and proj weights, Tensor.matmul, F.softmax), which is what the tools see.
#
# Parameters by hand, per block of width C and h heads: norm1 2C, qkv 3C²+3C,
# proj C²+C, bias table (2·7−1)²·h = 169h, norm2 2C, MLP (4C²+4C) + (4C²+C):
# 12C² + 13C + 169h. C=96, h=3: 112,347; C=192, h=6: 445,878; C=384, h=12:
# 1,776,492; C=768, h=24: 7,091,928. Merge of C: 2·4C + 4C·2C. Stem 4,704 +
# 192; head norm 1,536 + Linear 769,000. 2·112,347 + 2·445,878 + 6·1,776,492
# + 2·7,091,928 + (74,496 + 296,448 + 1,182,720) + 4,896 + 770,536
# = 28,288,354 (torchvision's swin_t: 28,288,354).
# --------------------------------------------------------------------------


def _window_index(side: int) -> torch.Tensor:
    """Row of the (2·side−1)² bias table for each pair of positions in a side×side window."""
    ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    return ((ys[:, None] - ys[None, :] + side - 1) * (2 * side - 1) + (xs[:, None] - xs[None, :] + side - 1)).reshape(-1)


class SwinAttention(nn.Module):
    def __init__(self, dim, heads, window, shift, size):
        super().__init__()
        self.heads, self.window = heads, window
        self.padded = -(-size // window) * window
        self.shift = shift if window < self.padded else 0  # one window covers the map: nothing to shift
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", _window_index(window))
        if self.shift:
            cuts = (0, self.padded - window, self.padded - self.shift, self.padded)
            label = torch.zeros(self.padded, self.padded)
            for i in range(3):
                for j in range(3):
                    label[cuts[i]:cuts[i + 1], cuts[j]:cuts[j + 1]] = 3 * i + j
            n = self.padded // window
            label = label.reshape(n, window, n, window).transpose(1, 2).reshape(n * n, window * window)
            self.register_buffer("attn_mask", (label[:, None, :] != label[:, :, None]).float() * -100.0)

    def forward(self, x):
        b, h, w, c = x.shape
        win, p, heads = self.window, self.padded, self.heads
        x = F.pad(x, (0, 0, 0, p - w, 0, p - h))
        if self.shift:
            x = torch.roll(x, (-self.shift, -self.shift), (1, 2))
        n, tokens = p // win, win * win
        x = x.reshape(b, n, win, n, win, c).permute(0, 1, 3, 2, 4, 5).reshape(b * n * n, tokens, c)
        q, k, v = F.linear(x, self.qkv.weight, self.qkv.bias).reshape(-1, tokens, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        scores = (q * (c // heads) ** -0.5).matmul(k.transpose(-2, -1))
        bias = self.relative_position_bias_table[self.relative_position_index].reshape(tokens, tokens, heads)
        scores = scores + bias.permute(2, 0, 1).unsqueeze(0)
        if self.shift:
            scores = (scores.reshape(b, n * n, heads, tokens, tokens) + self.attn_mask[None, :, None]).reshape(-1, heads, tokens, tokens)
        x = F.softmax(scores, dim=-1).matmul(v).transpose(1, 2).reshape(-1, tokens, c)
        x = F.linear(x, self.proj.weight, self.proj.bias)
        x = x.reshape(b, n, n, win, win, c).permute(0, 1, 3, 2, 4, 5).reshape(b, p, p, c)
        if self.shift:
            x = torch.roll(x, (self.shift, self.shift), (1, 2))
        return x[:, :h, :w].contiguous()


class SwinBlock(nn.Module):
    def __init__(self, dim, heads, window, shift, size):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = SwinAttention(dim, heads, window, shift, size)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(4 * dim, dim), nn.Dropout(0.0))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SwinMerge(nn.Module):
    """2x2 neighbouring tokens side by side (4C), LayerNorm, Linear to 2C without bias."""

    def __init__(self, dim):
        super().__init__()
        self.norm, self.reduction = nn.LayerNorm(4 * dim), nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        h, w = x.shape[1], x.shape[2]
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x))


class SwinT(nn.Module):
    def __init__(self, image=224, embed=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), window=7, num_classes=1000):
        super().__init__()
        size = image // 4
        self.patches, self.patch_norm = nn.Conv2d(3, embed, 4, 4), nn.LayerNorm(embed)
        stages: list[nn.Module] = []
        for i, (depth, head) in enumerate(zip(depths, heads)):
            dim = embed * 2 ** i
            stages.append(nn.Sequential(*[SwinBlock(dim, head, window, window // 2 if j % 2 else 0, size) for j in range(depth)]))
            if i + 1 < len(depths):
                stages.append(SwinMerge(dim))
                size = -(-size // 2)
        self.features = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(embed * 2 ** (len(depths) - 1))
        self.avgpool, self.flatten = nn.AdaptiveAvgPool2d(1), nn.Flatten(1)
        self.head = nn.Linear(embed * 2 ** (len(depths) - 1), num_classes)

    def forward(self, x):
        x = self.patch_norm(self.patches(x).permute(0, 2, 3, 1))  # tokens channels last
        x = self.norm(self.features(x)).permute(0, 3, 1, 2)
        return self.head(self.flatten(self.avgpool(x)))


# --------------------------------------------------------------------------
# MaxViT-T -- torchvision.models.maxvit_t (Tu et al. 2022): stem 64, stages
# 64-128-256-512 of 2-2-5-2 layers, each an MBConv (expansion 4, SE 1/4, SiLU
# inside SE, GELU elsewhere, BatchNorm eps 1e-3), block attention in 7x7
# windows, grid attention over a 7x7 dilated grid; heads of 32. Stochastic
# depth omitted (identity in eval).
#
# Parameters by hand. A partition layer of width C: LayerNorm 2C, to_qkv
# 3C²+3C, merge C²+C, table 169·C/32, LayerNorm 2C, MLP 8C²+5C: 12C² + 13C +
# 169·C/32 (C=64: 50,322; 128: 198,948; 256: 791,112; 512: 3,155,088). An
# MBConv cin→cout (mid 4·cout, squeeze cout/4): 2·cin + cin·mid + 2·mid +
# 9·mid + 2·mid + (mid·s + s) + (s·mid + mid) + mid·cout + cout, plus
# cin·cout + cout for a projection: 48,912 | 44,752; 146,848 | 171,424;
# 572,224 | 670,528 (×4); 2,258,560 | 2,651,776. Stem 1,728 + 128 + 36,928;
# head 1,024 + 262,656 + 512,000. Sum: 38,784 + 294,952 + 1,114,064 +
# 11,165,456 + 17,530,688 + 775,680 = 30,919,624 (torchvision's maxvit_t).
# --------------------------------------------------------------------------


class MaxVitMBConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        mid, squeeze = 4 * cout, cout // 4
        shortcut: list[nn.Module] = ([nn.AvgPool2d(3, stride, 1)] if stride == 2 else []) + [nn.Conv2d(cin, cout, 1)]
        self.proj = nn.Sequential(*shortcut) if stride != 1 or cin != cout else nn.Identity()
        bn = lambda c: nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)  # noqa: E731
        self.layers = nn.Sequential(
            bn(cin),
            nn.Conv2d(cin, mid, 1, bias=False), bn(mid), nn.GELU(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), bn(mid), nn.GELU(),
            SqueezeExcitation(mid, squeeze, act=nn.SiLU),
            nn.Conv2d(mid, cout, 1),
        )

    def forward(self, x):
        return self.proj(x) + self.layers(x)


class MaxVitAttention(nn.Module):
    """Multi-head self-attention over the P tokens of each partition (input B, G, P, D), with a relative
    position bias table over the sqrt(P) x sqrt(P) partition; k scaled by D^-1/2 as torchvision does."""

    def __init__(self, dim, head_dim, tokens):
        super().__init__()
        self.heads, self.head_dim, side = dim // head_dim, head_dim, int(round(tokens ** 0.5))
        self.to_qkv, self.merge = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * side - 1) ** 2, self.heads))
        self.register_buffer("relative_position_index", _window_index(side))
        self.scale = dim ** -0.5

    def forward(self, x):
        b, g, p, d = x.shape
        q, k, v = (t.reshape(b, g, p, self.heads, self.head_dim).transpose(2, 3) for t in self.to_qkv(x).chunk(3, dim=-1))
        scores = torch.einsum("bghid,bghjd->bghij", q, k * self.scale)
        bias = self.relative_position_bias_table[self.relative_position_index].reshape(p, p, -1).permute(2, 0, 1)
        attn = F.softmax(scores + bias.unsqueeze(0), dim=-1)
        out = torch.einsum("bghij,bghjd->bghid", attn, v)
        return self.merge(out.transpose(2, 3).reshape(b, g, p, d))


class MaxVitPartitionLayer(nn.Module):
    def __init__(self, dim, head_dim, size, grid, kind):
        super().__init__()
        self.kind, self.p = kind, size if kind == "window" else grid // size
        self.attn_layer = nn.Sequential(nn.LayerNorm(dim), MaxVitAttention(dim, head_dim, size * size), nn.Dropout(0.0))
        self.mlp_layer = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(0.0))

    def forward(self, x):
        b, c, h, w = x.shape
        p = self.p
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p, c)
        if self.kind == "grid":  # the k-th token of every partition, together: a grid spread over the map
            x = torch.swapaxes(x, -2, -3)
        x = x + self.attn_layer(x)
        x = x + self.mlp_layer(x)
        if self.kind == "grid":
            x = torch.swapaxes(x, -2, -3)
        return x.reshape(b, h // p, w // p, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, h, w)


class MaxViT(nn.Module):
    def __init__(self, image=224, stem=64, channels=(64, 128, 256, 512), depths=(2, 2, 5, 2), head_dim=32, size=7,
                 num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem, eps=1e-3, momentum=0.01),
                                  nn.GELU(), nn.Conv2d(stem, stem, 3, 1, 1))
        grid, cin, layers = (image + 1) // 2, stem, []
        for cout, depth in zip(channels, depths):
            grid = (grid + 1) // 2
            for i in range(depth):
                layers += [MaxVitMBConv(cin if i == 0 else cout, cout, 2 if i == 0 else 1),
                           MaxVitPartitionLayer(cout, head_dim, size, grid, "window"),
                           MaxVitPartitionLayer(cout, head_dim, size, grid, "grid")]
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(channels[-1]),
                                        nn.Linear(channels[-1], channels[-1]), nn.Tanh(),
                                        nn.Linear(channels[-1], num_classes, bias=False))

    def forward(self, x):
        return self.classifier(self.blocks(self.stem(x)))


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "lenet5": LeNet5,
    "alexnet": alexnet,
    "alexnet_torchvision": alexnet_torchvision,
    "alexnet_2012": alexnet_2012,
    **{f"vgg{d}{bn}": (lambda c=c, b=bool(bn): VGG(_VGG_CFGS[c], batch_norm=b))
       for d, c in ((11, "A"), (13, "B"), (16, "D"), (19, "E")) for bn in ("", "_bn")},
    "vgg_a_lrn": lambda: VGG(_VGG_CFGS["A-LRN"], adaptive_pool=False),
    "vgg_c": lambda: VGG(_VGG_CFGS["C"], adaptive_pool=False),
    "googlenet": GoogLeNet,
    "inception_v3": InceptionV3,
    "resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2]),
    "resnet34": lambda: ResNet(BasicBlock, [3, 4, 6, 3]),
    "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3]),
    "resnet101": lambda: ResNet(Bottleneck, [3, 4, 23, 3]),
    "resnet152": lambda: ResNet(Bottleneck, [3, 8, 36, 3]),
    "resnext50_32x4d": lambda: ResNet(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4),
    "wide_resnet50_2": lambda: ResNet(Bottleneck, [3, 4, 6, 3], width_per_group=128),
    "densenet121": DenseNet,
    "squeezenet1_0": lambda: SqueezeNet("1_0"),
    "squeezenet1_1": lambda: SqueezeNet("1_1"),
    "mobilenet_v1": MobileNetV1,
    "mobilenet_v2": MobileNetV2,
    "mobilenet_v3_large": lambda: MobileNetV3(_MOBILENET_V3_LARGE, 1280),
    "mobilenet_v3_small": lambda: MobileNetV3(_MOBILENET_V3_SMALL, 1024),
    "efficientnet_b0": lambda: EfficientNet(_EFFICIENTNET_B0),
    "shufflenet_v2_x1_0": ShuffleNetV2,
    "convnext_tiny": ConvNeXt,
    "dcgan_generator": DCGANGenerator,
    "dcgan_discriminator": DCGANDiscriminator,
    "unet": UNet,
    "espcn": ESPCN,
    "fcn_resnet50": fcn_resnet50,
    "deeplabv3_resnet50": deeplabv3_resnet50,
    "lraspp_mobilenet_v3_large": LRASPP,
    "lstm_lm": lambda: BatchFirstLM(word_language_model()),
    "vit_b_16": ViT,
    "swin_t": SwinT,
    "maxvit_t": MaxViT,
}

INPUTS: dict[str, tuple[int, ...]] = {
    name: (1, 32, 32) if name == "lenet5"
    else (3, 227, 227) if name in ("alexnet", "alexnet_2012")
    else (3, 299, 299) if name == "inception_v3"
    else (100, 1, 1) if name == "dcgan_generator"
    else (3, 64, 64) if name == "dcgan_discriminator"
    else (1, 572, 572) if name == "unet"
    else (1, 224, 224) if name == "espcn"
    else (3, 520, 520) if name in ("fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large")
    else (35,) if name == "lstm_lm"  # the example's bptt window
    else (3, 224, 224)
    for name in BUILDERS
}

#: The networks whose input is token ids (int64), not an image.
IDS = {"lstm_lm"}


def example_input(name: str, batch: int = 1, random: bool = False) -> torch.Tensor:
    """An input for ``BUILDERS[name]`` on the current default device: ids 0 for a language model, else an empty
    (``random``: normal) float tensor."""
    shape = (batch, *INPUTS[name])
    if name in IDS:
        return torch.zeros(shape, dtype=torch.long)
    return torch.randn(shape) if random else torch.empty(shape)
