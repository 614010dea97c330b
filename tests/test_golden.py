"""Golden outputs: the exact text of the tables and worked answers users see.

These guard the layout (columns, alignment, separators, notes). The figures in
them are held to independent sources by the other tests; here, only the first
lines check a figure or two against their source, so a golden file can never
silently enshrine a wrong number. Regenerate with ``python -m pytest --update-goldens``
after reviewing the change; nothing else rewrites them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from convcalc.cli import cli

ROOT = Path(__file__).resolve().parents[1]

#: golden file -> (arguments, independent figures the text must contain, with their source)
CASES: dict[str, tuple[list[str], list[str]]] = {
    # CS231n's AlexNet table (seed 002): 62,378,344 parameters, 1,135,256,096 MACs.
    "summary_alexnet.txt": (["summary", "alexnet"], ["62,378,344", "1,135,256,096"]),
    "summary_alexnet_human.txt": (["summary", "alexnet", "--human"], ["62.38 M"]),
    # Seed 001's LeNet with 50/100 filters: 536,710 parameters.
    "summary_lenet_mnist.md": (["summary", "examples/lenet_mnist.txt", "--format", "markdown"], ["536,710"]),
    "summary_lecture_cnn.tex": (["summary", "examples/lecture_cnn.txt", "--format", "latex"], []),
    "summary_lecture_cnn.html": (["summary", "examples/lecture_cnn.txt", "--format", "html"], []),
    # torchvision documents ResNet-18 at 11,689,512 parameters; its receptive field is 435 (Araujo et al. 2019).
    "summary_resnet18_depth1.txt": (["summary", "resnet18", "--depth", "1"], ["11,689,512", "435×435"]),
    # By hand: 5·5·3·10 + 10 = 760; 10·32·32·3·5·5 = 768,000.
    "layer_conv.txt": (["layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "3x32x32"], ["760", "768,000"]),
    "layer_conv_explain.txt": (["layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "32x32x3", "--explain"],
                               ["5·5·3·10 + 10 = 760", "2·10·32·32·3·5·5 = 1,536,000"]),
    "layer_conv_explain.md": (["layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "3x32x32", "--explain",
                               "--format", "markdown"], ["= 760"]),
    "layer_conv_explain.tex": (["layer", "nn.Conv2d(3, 10, 5, padding=2)", "--input", "3x32x32", "--explain",
                                "--format", "latex"], ["= 760"]),
    # Seed 001 block 4: 3·3·256·512 + 512 + 3·3·512·512 + 512 = 3,539,968 (the slide says 3.3M).
    "check_homework.txt": (["check", "examples/homework.toml"], ["3,539,968"]),
    # (7 − 3)/3 + 1 = 2.33: CS231n's "doesn't fit".
    "solve_7_3_3.txt": (["solve", "--input", "7", "--kernel", "3", "--stride", "3"], ["2.33"]),
    "models_resnet.txt": (["models", "resnet*"], ["11,689,512"]),
    # PyTorch tutorial's LeNet-5: 61,706 parameters.
    "verify_lenet5.txt": (["verify", "lenet5"], ["61,706 ✓"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_its_golden_file(name: str, golden, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    args, figures = CASES[name]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1) and result.stderr == "", result.output
    text = result.stdout
    if name.startswith("verify"):  # the torch build is named in the title; hold the layout, not the version
        import torch

        text = text.replace(torch.__version__, "<torch version>")
    for figure in figures:
        assert figure in text, f"{name}: {figure} (from its source) is missing"
    golden(name, text)


def test_every_golden_file_has_a_case() -> None:
    """A golden file whose case was removed would otherwise go stale unnoticed."""
    files = {p.name for p in (Path(__file__).parent / "golden").iterdir()}
    assert files == set(CASES) | {"README.md"}
