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
from torch_reference import BUILDERS, INPUTS  # noqa: E402


def test_every_zoo_model_has_a_reference() -> None:
    assert set(cc.models.list()) == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_zoo_model_matches_torch(name: str) -> None:
    report = cc.summary(name)
    assert report.input_shape == INPUTS[name]
    with torch.device("meta"):
        module = BUILDERS[name]().eval()
        x = torch.empty(1, *INPUTS[name])
    assert report.totals.params == sum(p.numel() for p in module.parameters())
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(x)
    assert tuple(out.shape[1:]) == report.output_shape
    # FlopCounterMode counts conv and matmul FLOPs only: 2 per multiply-accumulate
    assert counter.get_total_flops() == 2 * report.totals.macs
