"""Every model of the other tools' own test suites (tests/peer_models.py), through every profile, against
every tool itself: the profile's figure is the tool's, or the comparison says it is not exact and why.

Evidence: the tools themselves (tests/other_tools.py), run on the same modules.
"""

from __future__ import annotations

import pytest

import convcalc as cc

torch = pytest.importorskip("torch")
from other_tools import TOOLS  # noqa: E402
from peer_models import PEER_MODELS, TOOL_FAILS  # noqa: E402


@pytest.mark.parametrize("name", sorted(PEER_MODELS))
def test_peer_suite_model_is_exact_or_says_why(name: str) -> None:
    make, shape = PEER_MODELS[name]
    torch.manual_seed(0)
    report = cc.from_torch(make(), shape, layout="chw")
    assert not report.unsupported, [r.kind for r in report.leaves if r.unsupported]
    comparison = report.comparison
    x = torch.randn(1, *shape)
    wrong = {}
    for tool, run in TOOLS.items():
        if tool in TOOL_FAILS.get(name, {}):
            continue
        torch.manual_seed(0)
        figure, profile = run(make(), x), comparison[tool]
        if figure != profile.total and profile.exact:
            wrong[tool] = (figure, profile.total)
        if not profile.exact:
            assert profile.not_exact().startswith("not exact: ") and all(i.why and i.layers for i in profile.inexact)
    assert wrong == {}, "tool: (its figure, the profile's, said to be exact)"
