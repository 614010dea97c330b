"""Whole networks written independently in torch agree with convcalc, layer by layer.

The torch modules below are written here from the same sources (CS231n's table,
PyTorch's LeNet tutorial), not generated from convcalc; their module paths are
the row paths convcalc reports, so rows are matched by name.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
nn = torch.nn
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402


def torch_alexnet() -> nn.Module:
    return nn.Sequential(OrderedDict(
        features=nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        ),
        flatten=nn.Flatten(),
        classifier=nn.Sequential(
            nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
            nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000),
        ),
    ))


def torch_lenet5() -> nn.Module:
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, 6, 5), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(6, 16, 5), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
        flatten=nn.Flatten(), fc1=nn.Linear(400, 120), relu3=nn.ReLU(),
        fc2=nn.Linear(120, 84), relu4=nn.ReLU(), fc3=nn.Linear(84, 10),
    ))


@pytest.mark.parametrize("name, build", [("alexnet", torch_alexnet), ("lenet5", torch_lenet5)])
def test_network_agrees_with_torch(name: str, build) -> None:
    report = cc.summary(name, batch=2)
    module = build().eval()
    shapes: dict[str, tuple[int, ...]] = {}
    leaves = {path: m for path, m in module.named_modules() if path and not list(m.children())}
    for path, leaf in leaves.items():
        leaf.register_forward_hook(lambda m, i, o, path=path: shapes.__setitem__(path, tuple(o.shape[1:])))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(2, *report.input_shape))
    assert [r.path for r in report.rows] == list(leaves)
    for row in report.rows:
        assert row.output_shape == shapes[row.path], row.path
        assert row.params == sum(p.numel() for p in leaves[row.path].parameters()), row.path
    per_module = counter.get_flop_counts()
    for row in report.rows:
        if row.kind in ("conv2d", "linear"):
            # FlopCounterMode names modules by class name of the root, then the path
            assert row.flops == sum(per_module[f"Sequential.{row.path}"].values()), row.path
    conv_linear = sum(r.flops for r in report.rows if r.kind in ("conv2d", "linear"))
    assert conv_linear == counter.get_total_flops()
    assert report.totals.params == sum(p.numel() for p in module.parameters())
