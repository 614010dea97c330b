"""Write the pictures the README shows: ``python examples/make_pictures.py`` (tests/test_drawing.py checks that
the files here are what it writes).

- ``alexnet.svg``: AlexNet as CS231n draws it, each layer's output a volume, sizes as H×W×C;
- ``resnet18.svg``: ResNet-18's graph with each residual block's body and shortcut merged (``--depth 2``),
  so that its eight skip paths and three 1×1 projections read at a glance;
- ``vgg16_params.svg``: where VGG-16's parameters are (needs matplotlib: ``pip install 'convcalc[plot]'``);
- ``web.png``, with ``--web``: the browser page (``convcalc web``) showing AlexNet, as headless Chromium draws it
  (needs Chromium, Playwright and Pyodide's runtime, as the page's tests do).
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


def web_screenshot(target: Path) -> Path:
    """The page showing AlexNet's table, its first row's working open, in a 1280×900 window."""
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    from convcalc import web

    with tempfile.TemporaryDirectory() as folder:
        web.build(folder)
        with web.serving(folder) as address, sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(address + "#model=alexnet")
            page.wait_for_selector("body.ready", timeout=120_000)
            page.wait_for_selector("#table table")
            page.click("#table tbody tr:first-child")
            page.screenshot(path=str(target))
            browser.close()
    return target


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--web"]
    folder = Path(args[0]) if args else HERE
    for path in write(folder):
        print(f"wrote {path}")
    if "--web" in sys.argv:
        print(f"wrote {web_screenshot(folder / 'web.png')}")
