"""The browser page (``convcalc web``): built, served on 127.0.0.1 and used in real headless Chromium (the system's,
driven by Playwright), as a person uses it. Every number it shows is held to the command line's and to the
lecture tables (AlexNet: CS231n's table, seed 002).

The browser tests need Chromium, Playwright and Pyodide's runtime (fetched once by npm into convcalc's cache, or
found there); .ci/run installs the first two and the runtime comes with the first build. Where one is missing
they skip, saying which.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from svg_renderer import CHROMIUM, FLAGS

from convcalc import page as page_api
from convcalc import web
from convcalc.cli import main

ROOT = Path(__file__).resolve().parents[1]


# --- the site, without a browser ---------------------------------------------------------------------------------


def test_the_package_zip_is_the_installed_convcalc(tmp_path: Path) -> None:
    archive = web.package_zip(tmp_path / "c.zip")
    names = set(zipfile.ZipFile(archive).namelist())
    source = Path(web.__file__).resolve().parent
    assert names == {f"convcalc/{p.relative_to(source).as_posix()}" for p in source.rglob("*.py")}
    assert "convcalc/page.py" in names and "convcalc/models/__init__.py" in names
    assert web.package_zip(tmp_path / "d.zip").read_bytes() == archive.read_bytes()  # the same convcalc, the same bytes


def test_a_folder_that_is_not_the_runtime_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyodide.mjs").write_text("")
    with pytest.raises(web.WebError, match=r"is not Pyodide's runtime: it lacks pyodide.asm.js, pyodide.asm.wasm"):
        web.runtime(tmp_path)
    assert main(["web", "--out", str(tmp_path / "site"), "--pyodide", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert main(["web"]) == 2
    assert "give --out DIR" in capsys.readouterr().err


def test_the_page_api_answers_as_the_command_line() -> None:
    """convcalc.page, called as the page calls it (JSON in, JSON out), without a browser."""
    answer = json.loads(page_api.compute(json.dumps({"source": "model", "model": "alexnet"})))
    assert answer["ok"] and answer["params"] == 62_378_344 and answer["macs"] == 1_135_256_096  # CS231n's table (seed 002)
    assert "62,378,344" in answer["table"] and answer["title"] == "alexnet: input 3×227×227, batch 1, float32"
    assert answer["footer"][0].startswith("parameters   62,378,344")
    state = json.dumps({"source": "model", "model": "alexnet"})
    assert json.loads(page_api.pane(state, "drawing"))["html"].startswith("<svg")
    assert "<table>" in json.loads(page_api.pane(state, "compare"))["html"]
    working = json.loads(page_api.explain(json.dumps({"source": "model", "model": "alexnet"}), 1))
    assert working["ok"] and "34,944" in working["html"]  # conv1: 11·11·3·96 + 96
    bad = json.loads(page_api.compute(json.dumps({"source": "text", "spec": "nn.Conv2d(3, 8, 3)\nnn.Frobnicate(2)"})))
    assert not bad["ok"] and bad["line"] == 2 and "Frobnicate" in bad["error"] and "\n" not in bad["error"]
    marks = json.loads(page_api.check('[[question]]\nid = "q"\nspec = "nn.Conv2d(3, 10, 5)"\ninput = "3x32x32"\nparams = 750\n'))
    assert marks["ok"] and [m["verdict"] for m in marks["marks"]] == ["wrong"]  # 5·5·3·10 + 10 = 760


# --- the site in a browser ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built into a temporary folder and served on 127.0.0.1; its address."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (.ci/run installs it)")
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (the test extra has it)")
    try:
        folder = tmp_path_factory.mktemp("site")
        web.build(folder)
    except web.WebError as error:
        pytest.skip(f"no Pyodide runtime here: {error}")
    with web.serving(folder) as address:
        yield address


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=[f for f in FLAGS if f != "--headless"])
        yield launched
        launched.close()


@pytest.fixture()
def tab(browser: Any, site: str) -> Iterator[tuple[Any, list[str]]]:
    """A new page of the site, and the address of every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page, requests
    context.close()


def _ready(page: Any) -> None:
    page.wait_for_selector("body.ready", timeout=120_000)


def _cell(page: Any, label: str, column: int) -> str:
    """The text of ``column`` in the table's row whose layer cell reads ``label``."""
    return page.evaluate("""([label, column]) => {
        const row = [...document.querySelectorAll('#table tbody tr')].find(r => r.cells[2].textContent.trim() === label);
        return row ? row.cells[column].textContent.trim() : null; }""", [label, column])


def test_a_link_to_alexnet_shows_its_table(tab: tuple[Any, list[str]], site: str, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    page, requests = tab
    page.goto(site + "#model=alexnet")
    _ready(page)
    page.wait_for_selector("#table table")
    # CS231n's AlexNet table (seed 002): 62,378,344 parameters; MACs as `convcalc summary alexnet` prints them
    assert _cell(page, "total", 4) == "62,378,344" and _cell(page, "total", 5) == "1,135,256,096"
    assert main(["summary", "alexnet", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    shown = page.evaluate("[...document.querySelectorAll('#table tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert [row[4] for row in shown[:-1]] == [f"{r['params']:,}" for r in cli["rows"]]  # row by row, as the CLI
    assert [row[5] for row in shown[:-1]] == [f"{r['macs']:,}" for r in cli["rows"]]
    page.click("#table tbody tr:first-child")  # the first conv's working
    working = page.inner_text("#table tr.working")
    assert "34,944" in working  # 11·11·3·96 + 96 (seed 002)
    page.wait_for_selector("#drawing svg")
    page.click("text=Other tools' figures")
    page.wait_for_selector("#compare table")
    assert "torchinfo" in page.inner_text("#compare")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        inked = sum(n for n, rgb in colours if rgb != (255, 255, 255))
        assert inked > 0.03 * image.width * image.height and len(colours) > 50  # not blank
    assert requests and all(url.startswith(site) for url in requests), [u for u in requests if not u.startswith(site)]
    timings = []
    for name in ("resnet50", "vgg16", "alexnet"):  # recomputation, the runtime loaded: reported, not asserted
        page.select_option("#model", name)
        page.wait_for_function(f"document.querySelector('#title').textContent.startsWith('{name}:')")
        timings.append((name, float(page.evaluate("document.body.dataset.lastMs"))))
    print("recomputation in the page (ms):", timings)


def test_a_keras_layer_on_a_channels_last_input(tab: tuple[Any, list[str]], site: str) -> None:
    page, _ = tab
    page.goto(site)
    _ready(page)
    page.check("input[name=source][value=text]")
    page.fill("#spec", "Conv2D(10, 5, strides=2, padding='same')")
    page.fill("#input", "32x32x3")
    page.select_option("#layout", "hwc")
    page.wait_for_function("document.querySelector('#title').textContent.includes('32×32×3')")
    # TensorFlow's 'same' at stride 2: ceil(32 / 2) = 16 a side; 5·5·3·10 + 10 = 760 parameters
    assert _cell(page, "total", 4) == "760"
    assert page.evaluate("document.querySelector('#table tbody tr').cells[3].textContent.trim()") == "16×16×10"
    assert "#spec=" in page.url and "layout=hwc" in page.url  # the link reproduces it


def test_an_error_is_one_line_at_its_place(tab: tuple[Any, list[str]], site: str) -> None:
    page, _ = tab
    page.goto(site + "#spec=" + "nn.Conv2d(3%2C%208%2C%203)%0Ann.Conv2d(9%2C%2016%2C%203)" + "&input=3x32x32")
    _ready(page)
    page.wait_for_selector("#error:not([hidden])")
    error = page.inner_text("#error")
    assert error.startswith("layer 2") and "9" in error and "8" in error and "\n" not in error.strip(), error
    assert "Traceback" not in page.content()


def test_checking_answers_marks_the_wrong_one_with_its_working(tab: tuple[Any, list[str]], site: str) -> None:
    page, _ = tab
    page.goto(site + "#model=lenet5")
    _ready(page)
    page.click("text=Check my answers")
    page.fill("#answers-text", '[[question]]\nid = "a"\nspec = "nn.Conv2d(3, 10, 5, padding=2)"\ninput = "3x32x32"\n'
              'params = 760\n\n[[question]]\nid = "b"\nspec = "nn.Conv2d(3, 10, 5, padding=2)"\ninput = "3x32x32"\n'
              'macs = 750\n')
    page.click("#check")
    page.wait_for_selector("#marks li")
    marks = page.evaluate("[...document.querySelectorAll('#marks li')].map(li => [li.className, li.textContent])")
    # 5·5·3·10 + 10 = 760 parameters (right); MACs 5·5·3·10·32·32 = 768,000, not 750 (wrong)
    assert [m[0] for m in marks] == ["right", "wrong"]
    assert "✗" in marks[1][1] and "768,000" in marks[1][1]
    assert page.inner_text("#tally").startswith("1 of 2 right")
