"""Every zoo model against an independent torch construction of the same network.

tests/torch_reference.py was written from torchvision's definitions and the papers
without reading convcalc's zoo. Its modules run on the meta device (no memory, no
arithmetic), so FlopCounterMode sees every conv and matmul of a real forward pass.
"""

from __future__ import annotations

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from torch_reference import BUILDERS, INPUTS, example_input  # noqa: E402


def test_every_zoo_model_has_a_reference() -> None:
    assert set(cc.models.list()) == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_zoo_model_matches_torch(name: str) -> None:
    report = cc.summary(name)
    assert report.input_shape == INPUTS[name]
    with torch.device("meta"):
        module = BUILDERS[name]().eval()
        x = example_input(name)  # (token ids for a language model)
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(x)
    assert tuple(out.shape[1:]) == report.output_shape
    # FlopCounterMode counts conv and matmul FLOPs only: 2 per multiply-accumulate
    assert counter.get_total_flops() == 2 * report.totals.macs


# The done-when line: from_torch on a U-Net, an ESPCN and a DCGAN written in plain torch
# (tests/torch_reference.py: the crop is tensor slicing, the shuffle nn.PixelShuffle) reports no
# unsupported layer, and its params and torch profile are torch's own count and FlopCounterMode.
@pytest.mark.parametrize("name", ["unet", "espcn", "dcgan_generator", "dcgan_discriminator"])
def test_from_torch_on_plain_torch_dense_models(name: str) -> None:
    with torch.device("meta"):
        module = BUILDERS[name]().eval()
        x = torch.empty(1, *INPUTS[name])
    report = cc.from_torch(module, INPUTS[name])
    assert [(r.path, r.kind) for r in report.unsupported] == []
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(x)
    assert report.profiles()["torch"] == counter.get_total_flops()
    assert report.output_shape == tuple(out.shape[1:])
    assert report.totals.macs == cc.summary(name).totals.macs


@pytest.mark.parametrize("name", ["fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large"])
def test_segmentation_models_at_another_resolution_match_torch(name: str) -> None:
    """Built for 480×640 (``resolution``), the zoo's interpolations follow the input as torchvision's do."""
    model = cc.models.get(name, resolution=(480, 640))
    report = cc.summary(model)
    assert report.input_shape == (3, 480, 640) and report.output_shape == (21, 480, 640)
    with torch.device("meta"):
        module = BUILDERS[name]().eval()
        x = torch.empty(1, 3, 480, 640)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(x)
    assert tuple(out.shape[1:]) == report.output_shape
    assert counter.get_total_flops() == 2 * report.totals.macs
