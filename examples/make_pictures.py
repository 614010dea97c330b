"""Write the pictures the README shows: ``python examples/make_pictures.py`` (tests/test_drawing.py checks that
the files here are what it writes).

- ``alexnet.svg``: AlexNet as CS231n draws it, each layer's output a volume, sizes as H×W×C;
- ``resnet18.svg``: ResNet-18's graph with each residual block's body and shortcut merged (``--depth 2``),
  so that its eight skip paths and three 1×1 projections read at a glance;
- ``vgg16_params.svg``: where VGG-16's parameters are (needs matplotlib: ``pip install 'convcalc[plot]'``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import convcalc as cc

HERE = Path(__file__).resolve().parent


def drawings() -> dict[str, str]:
    """The SVG pictures convcalc writes itself, by file name."""
    return {
        "alexnet.svg": cc.summary("alexnet", layout="hwc").draw().svg,
        "resnet18.svg": cc.summary("resnet18", depth=2).draw().svg,
    }


def write(folder: Path = HERE, plots: bool = True) -> list[Path]:
    """Write the pictures into ``folder``; ``plots``: the matplotlib plot too."""
    written = []
    for name, svg in drawings().items():
        (folder / name).write_text(svg, encoding="utf-8")
        written.append(folder / name)
    if plots:
        from convcalc.plot import save

        save(cc.summary("vgg16"), folder / "vgg16_params.svg", "params")
        written.append(folder / "vgg16_params.svg")
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {path}")
