"""Pictures: ``convcalc draw`` (SVG volumes and graphs), ``summary --format dot|mermaid``.

What is drawn is held to independent sources: the CS231n AlexNet table (seed 002), the ResNet paper's shortcuts,
GoogLeNet's inception modules (Szegedy et al. 2015, table 1), Graphviz's own parser; and the pictures are looked
at in a real renderer (headless Chromium, :mod:`svg_renderer`): not blank, every label there, no two labels
overlapping, the frame following the network and not its input.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from svg_renderer import CHROMIUM, MERMAID_JS, measure, mermaid, overlaps, screenshot

import convcalc as cc
from convcalc.cli import main
from convcalc.diagram import graph
from convcalc.drawing import ADVANCE, STYLES, Drawing, Label

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)")


def texts(drawing: Drawing) -> list[str]:
    return [t.text or "" for t in ET.fromstring(drawing.svg).iter(f"{SVG}text")]


def estimated_overlaps(labels: tuple[Label, ...]) -> list[tuple[str, str]]:
    boxes = [dict(zip(("left", "top", "right", "bottom"), label.box), text=label.text) for label in labels]
    return overlaps(boxes)


# --- what the pictures show ------------------------------------------------------------------------------------


def test_alexnet_is_drawn_as_the_cs231n_volumes() -> None:
    """The eight learned layers (five convs, three FC) and the three pools, each a box labelled with the tensor
    size of CS231n's AlexNet table (seed 002, H×W×C), its kernel and stride; ReLU and dropout make no box."""
    drawing = cc.summary("alexnet", layout="hwc").draw()
    assert drawing.style == "volumes"
    root = ET.fromstring(drawing.svg)
    boxes = [g for g in root.iter(f"{SVG}g") if len(g.findall(f"{SVG}polygon")) == 3]
    assert len(boxes) == 1 + 11  # the input and 5 conv + 3 pool + 3 FC outputs
    shown = texts(drawing)
    # seed 002: 227x227x3, Conv-1 55x55x96, MaxPool-1 27x27x96, Conv-2 27x27x256, MaxPool-2 13x13x256, Conv-3 and
    # Conv-4 13x13x384, Conv-5 13x13x256, MaxPool-3 6x6x256, FC-1 and FC-2 4096, FC-3 1000
    sizes = ["227×227×3", "55×55×96", "27×27×96", "27×27×256", "13×13×256", "13×13×384", "13×13×384", "13×13×256",
             "6×6×256", "4096", "4096", "1000"]
    assert [t for t in shown if re.fullmatch(r"[\d×]+", t)] == sizes
    # the paper's kernels: 11×11 stride 4, 5×5, then 3×3; pools 3×3 stride 2 (overlapping pooling)
    assert [t for t in shown if t.startswith(("Conv2d", "FC", "MaxPool2d"))] == [
        "Conv2d 11×11 /4", "MaxPool2d 3×3 /2", "Conv2d 5×5", "MaxPool2d 3×3 /2", "Conv2d 3×3", "Conv2d 3×3",
        "Conv2d 3×3", "MaxPool2d 3×3 /2", "FC 4,096", "FC 4,096", "FC 1,000"]
    windows = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}rect") is not None]
    assert len(windows) == 8  # each conv's and pool's window marked on the box it reads
    assert "alexnet · input 227×227×3 (H×W×C)" in shown[0]


def _joins(drawing: Drawing) -> list[str]:
    root = ET.fromstring(drawing.svg)
    return [t.text or "" for t in root.iter(f"{SVG}text") if any(
        abs(float(c.get("cx", 0)) - float(t.get("x", -1))) < 0.1 and abs(float(c.get("cy", 0)) - float(t.get("y", 0))) < 8
        for c in root.iter(f"{SVG}circle"))]


def test_resnet18_shows_its_eight_residual_blocks_with_their_skip_paths() -> None:
    """ResNet-18 (He et al. 2016, table 1): 4 stages of 2 basic blocks, 8 residual adds. A shortcut is a 1×1
    projection where the dimensions increase (option B): at the first block of conv3_x, conv4_x and conv5_x, three
    (conv2_x keeps 64 channels and 56×56: an identity, as torchvision's layer1.0 has no downsample). The issue's
    "four of them through a 1×1 projection" counts one too many."""
    report = cc.summary("resnet18")
    drawing = report.draw()
    assert drawing.style == "graph"
    assert _joins(drawing) == ["add"] * 8
    g = graph(report)
    nodes = {n.index: n for n in g.nodes}
    into = Counter(b for _, b in g.edges)
    adds = [n for n in g.nodes if n.join]
    assert len(adds) == 8 and all(into[n.index] == 2 for n in adds)
    projections = 0
    for add in adds:
        sources = [nodes[a] for a, b in g.edges if b == add.index]
        skip = sources[1]  # the body's last layer first, then the shortcut's
        if skip.title.endswith("shortcut.1"):  # through the projection's conv and norm
            conv = next(nodes[a] for a, b in g.edges if b == skip.index)
            assert conv.kernel == ((1, 1), (2, 2))
            projections += 1
    assert projections == 3


def test_googlenet_at_depth_1_joins_each_inception_modules_four_branches() -> None:
    """GoogLeNet's nine inception modules (3a, 3b, 4a–4e, 5a, 5b; Szegedy et al. 2015, table 1), each four
    branches (1×1; 1×1 then 3×3; 1×1 then 5×5; pool then 1×1) read from one tensor and concatenated."""
    report = cc.summary("googlenet", depth=1)
    drawing = report.draw()
    assert drawing.style == "graph"
    g = graph(report)
    nodes = {n.index: n for n in g.nodes}
    cats = [n for n in g.nodes if n.join]
    assert [n.title for n in cats] == [f"inception{m}.cat" for m in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
    for cat in cats:
        branches = [nodes[a] for a, b in g.edges if b == cat.index]
        assert [b.title.rsplit(".", 1)[1] for b in branches] == ["branch1", "branch2", "branch3", "branch4"]
        fed_by = {a for br in branches for a, b in g.edges if b == br.index}
        assert len(fed_by) == 1  # all four read the module's input
    assert _joins(drawing) == ["cat"] * 9


def test_default_style_and_the_volumes_refusal() -> None:
    assert cc.summary("vgg16").draw().style == "volumes"
    assert cc.summary("resnet18").draw().style == "graph"
    assert cc.summary("resnet18", depth=0).draw().style == "volumes"  # its stages, merged, are a chain
    assert cc.summary("alexnet").draw("graph").style == "graph"
    with pytest.raises(cc.SpecError, match=r"resnet18 branches at maxpool: the volumes style draws a chain.*--style graph"):
        cc.summary("resnet18").draw("volumes")
    with pytest.raises(cc.SpecError, match="unknown drawing style 'boxes': use volumes or graph"):
        cc.summary("alexnet").draw("boxes")


def test_a_torch_module_is_drawn_from_its_data_flow() -> None:
    """from_torch follows the tensors: a residual add and a concatenation written in forward are joins."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv2(self.relu(self.conv1(x))) + x
            return torch.cat([y, x], 1)

    report = cc.from_torch(Block(), (8, 16, 16))
    g = graph(report)
    joins = [(n.detail, sorted(a for a, b in g.edges if b == n.index)) for n in g.nodes if n.join]
    assert joins == [("add", [0, 3]), ("cat", [0, 4])]  # conv2 (row 3) + the input; the sum (row 4) with the input
    drawing = report.draw()
    assert drawing.style == "graph" and _joins(drawing) == ["add", "cat"]


def test_cli_draws_a_users_torch_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    (tmp_path / "drawn_nets.py").write_text(
        "import torch\nimport torch.nn as nn\n\n"
        "class Skip(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(4, 4, 3, padding=1)\n\n"
        "    def forward(self, x):\n"
        "        return torch.relu(self.conv(x)) + x\n")
    monkeypatch.chdir(tmp_path)
    assert main(["draw", "drawn_nets:Skip", "--input", "4x8x8", "-o", "skip.svg"]) == 0
    assert "as graph" in capsys.readouterr().out
    shown = [t.text for t in ET.parse(tmp_path / "skip.svg").getroot().iter(f"{SVG}text")]
    assert "conv" in shown and "add" in shown and "4×8×8" in shown
    assert main(["summary", "drawn_nets:Skip", "--input", "4x8x8", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.count("->") == 4  # input → conv → relu → add, and input → add


def test_drawing_is_an_svg_for_notebooks_and_files(tmp_path: Path) -> None:
    drawing = cc.summary("lenet5").draw()
    assert drawing._repr_svg_() == drawing.svg == str(drawing)
    root = ET.fromstring(drawing.svg)
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height")) == (str(drawing.width), str(drawing.height))
    written = drawing.save(tmp_path / "lenet.svg")
    assert written.read_text(encoding="utf-8") == drawing.svg
    with pytest.raises(cc.SpecError, match="give a file name ending in .svg, not 'lenet.png'"):
        drawing.save(tmp_path / "lenet.png")
    assert cc.summary("lenet5").draw().svg == drawing.svg  # the same network, the same text


def test_styles_are_the_clis_choices() -> None:
    from convcalc.cli import draw

    choice = next(p for p in draw.params if p.name == "style").type
    assert tuple(choice.choices) == STYLES  # type: ignore[attr-defined]  # (a click.Choice)


# --- the command line -------------------------------------------------------------------------------------------


def test_cli_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a.svg"
    assert main(["draw", "alexnet", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: alexnet as volumes, ")
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    assert main(["draw", "googlenet", "--depth", "1", "-o", "-"]) == 0
    assert "inception3a.branch4" in capsys.readouterr().out
    assert main(["draw", "examples/lenet_mnist.txt", "--style", "graph", "-o", str(tmp_path / "l.svg")]) == 0
    capsys.readouterr()
    for args, message in (
        (["draw", "resnet18", "--style", "volumes", "-o", str(out)], "error: resnet18 branches at maxpool"),
        (["draw", "alexnet", "-o", str(tmp_path / "a.png")], "error: a drawing is written as SVG"),
        (["draw", "alexnet", "--input", "3x8x8", "-o", str(out)], "error: layer "),
        (["draw", "alexnet"], "error: Missing option '-o' / '--output'"),
    ):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err


def _dot_names(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    nodes = set(re.findall(r"^  (n\d+) \[", text, re.M))
    edges = re.findall(r"^  (n\d+) -> (n\d+) \[", text, re.M)
    return nodes, edges


def test_dot_text_parses_in_graphviz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet18", "--format", "dot"]) == 0
    text = capsys.readouterr().out
    assert text.startswith('digraph "resnet18" {') and text.rstrip().endswith("}")
    nodes, edges = _dot_names(text)
    # the input and 69 rows: the stem's conv, norm, ReLU and pool (4), 8 basic blocks of conv, norm, ReLU, conv,
    # norm, add and ReLU (56), 3 projections of conv and norm (6), the pool, flatten and fc (3)
    assert len(nodes) == 1 + 69 and all(a in nodes and b in nodes for a, b in edges)
    assert text.count("shape=circle") == 8  # the residual adds
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed (.ci/run installs it)")
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr, done.stderr
    drawn = ET.fromstring(done.stdout)
    assert sum(1 for g in drawn.iter(f"{SVG}g") if g.get("class") == "node") == 70
    assert sum(1 for g in drawn.iter(f"{SVG}g") if g.get("class") == "edge") == len(edges)


#: Mermaid flowchart statements as convcalc writes them: a node with a quoted label in a box, a stadium or a
#: circle; an edge with a quoted label; a comment. A quoted label holds no raw quote (Mermaid ends it there).
_MERMAID_NODE = re.compile(r'^  (n\d+)(\["[^"]*"\]|\(\["[^"]*"\]\)|\(\("[^"]*"\)\))$')
_MERMAID_EDGE = re.compile(r'^  (n\d+) -->\|"[^"]*"\| (n\d+)$')


def test_mermaid_text_has_the_flowchart_grammar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet18", "--format", "mermaid"]) == 0
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert lines[0] == "flowchart TB"
    declared: list[str] = []
    edges: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line.startswith("  %% "):
            continue
        node, edge = _MERMAID_NODE.match(line), _MERMAID_EDGE.match(line)
        assert node or edge, line
        if node:
            declared.append(node.group(1))
        elif edge:
            assert edge.group(1) in declared and edge.group(2) in declared, line  # declared before use
            edges.append((edge.group(1), edge.group(2)))
    assert len(declared) == 70 and len(set(declared)) == 70
    assert sum(1 for line in lines if line.endswith('(("add"))')) == 8
    assert len(edges) == 69 + 8  # one into each of the 69 rows, and a second into each of the 8 adds


@needs_chromium
@pytest.mark.skipif(not MERMAID_JS.exists(), reason="Mermaid is not installed (.ci/run installs it with npm)")
@pytest.mark.parametrize(("name", "depth", "nodes"), [
    ("resnet18", None, 1 + 69),  # the input and 69 rows (test_dot_text_parses_in_graphviz)
    # the input; the stem: three conv-norm-ReLU triples and 2 pools (11); 9 inception modules of 4 branches
    # and a cat (45); 2 pools between the stages; the pool, flatten, dropout and fc (4)
    ("googlenet", 1, 1 + 11 + 45 + 2 + 4),
])
def test_mermaid_parses_and_renders_the_graph(name: str, depth: int | None, nodes: int) -> None:
    """The real Mermaid (its browser bundle, in Chromium) parses the text and draws one node per row."""
    assert mermaid(cc.summary(name, depth=depth).to_mermaid()) == f"OK {nodes}"


def test_graph_text_escapes_quotes() -> None:
    from convcalc.diagram import _dot_text, _mermaid_text

    assert _dot_text('a "b" \\c') == 'a \\"b\\" \\\\c'
    assert _mermaid_text('a "b" <c> #1') == "a #quot;b#quot; #lt;c#gt; #35;1"


def test_graph_formats_refuse_table_options() -> None:
    assert main(["summary", "alexnet", "--format", "dot", "--compare"]) == 2


# --- laid out without overlaps, checked from convcalc's own boxes and in a browser -----------------------------------


@pytest.mark.parametrize("name", cc.models.list())
def test_every_zoo_model_is_drawn_with_every_label_and_none_overlapping(name: str) -> None:
    """convcalc's own label boxes (the font's advance, conservative): every layer is named, none overlap. For the
    volumes style, a layer that makes no box is named under the box before it."""
    report = cc.summary(name)
    styles = ["graph"] + ([] if graph(report).branched else ["volumes"])
    for style in styles:
        drawing = report.draw(style)
        assert estimated_overlaps(drawing.labels) == [], (name, style)
        shown = set(texts(drawing))
        folded = {n.strip() for t in shown if t.startswith("+ ") for n in t[2:].split(",")}  # named under a box
        for row in report.rows:  # a box is titled by its path; a layer that makes none is named under the box before
            assert (row.path or row.name) in shown or (style == "volumes" and row.name in folded), (name, style, row.where)


RENDERED = {  # name: (summary options, style)
    "alexnet": ({}, "volumes"),
    "vgg16": ({}, "volumes"),
    "resnet18": ({}, "graph"),
    "googlenet": ({"depth": 1}, "graph"),
    "unet_small": ({"net_or_name": "examples/unet_small.txt"}, "graph"),
}


@needs_chromium
@pytest.mark.parametrize("name", sorted(RENDERED))
def test_rendered_in_chromium_every_label_present_none_overlapping(name: str, tmp_path: Path) -> None:
    options, style = RENDERED[name]
    report = cc.summary(options.get("net_or_name", name), **{k: v for k, v in options.items() if k != "net_or_name"})
    drawing = report.draw(style)
    laid = measure(drawing.svg)
    assert (laid["width"], laid["height"]) == (drawing.width, drawing.height)
    boxes = laid["texts"]
    assert [b["text"] for b in boxes] == [label.text for label in drawing.labels]
    assert overlaps(boxes) == [], overlaps(boxes)[:5]
    for b, label in zip(boxes, drawing.labels):  # the browser's text is no wider than convcalc allowed for
        left, _, right, _ = label.box
        assert b["right"] - b["left"] <= right - left + 0.5, (b, ADVANCE)
        assert 0 <= b["left"] and b["right"] <= drawing.width and 0 <= b["top"] and b["bottom"] <= drawing.height
    path = tmp_path / f"{name}.svg"
    drawing.save(path)
    image = screenshot(path, drawing.width, min(drawing.height, 3000))
    colours = image.getcolors(maxcolors=1 << 20) or []
    inked = sum(n for n, rgb in colours if rgb != (255, 255, 255))
    assert inked > 0.02 * image.width * image.height  # not blank: lines, boxes and text cover part of it
    assert len(colours) > 20  # drawn in more than one ink (fills, strokes, antialiased text)


def test_the_frame_follows_the_network_not_its_input() -> None:
    """The same network at a 32× larger input has the same frame (box sizes are capped); a deeper network has
    a larger one."""
    small, large = cc.summary("resnet18", (3, 64, 64)).draw(), cc.summary("resnet18", (3, 2048, 2048)).draw()
    assert large.height == small.height and abs(large.width - small.width) <= 0.05 * small.width
    small, large = cc.summary("vgg16", (3, 32, 32)).draw(), cc.summary("vgg16", (3, 1024, 1024)).draw()
    assert large.height == small.height and abs(large.width - small.width) <= 0.05 * small.width
    assert cc.summary("resnet34").draw().height > cc.summary("resnet18").draw().height
    assert cc.summary("vgg19").draw().width > cc.summary("vgg16").draw().width


def test_the_readme_pictures_are_current(tmp_path: Path) -> None:
    """examples/*.svg are what examples/make_pictures.py writes now (rerun it after changing the drawings); the
    plot is compared at the test extra's matplotlib, whose text is drawn as the same paths everywhere."""
    import importlib.util
    import tomllib

    spec = importlib.util.spec_from_file_location("make_pictures", ROOT / "examples" / "make_pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, svg in module.drawings().items():
        assert (ROOT / "examples" / name).read_text(encoding="utf-8") == svg, f"rerun examples/make_pictures.py ({name})"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"examples/{name}" in readme for name in ("alexnet.svg", "resnet18.svg", "vgg16_params.svg"))
    matplotlib = pytest.importorskip("matplotlib")
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    if f"matplotlib=={matplotlib.__version__}" not in extra:
        pytest.skip(f"matplotlib {matplotlib.__version__} is not the test extra's")
    module.write(tmp_path)
    assert (tmp_path / "vgg16_params.svg").read_bytes() == (ROOT / "examples" / "vgg16_params.svg").read_bytes(), \
        "rerun examples/make_pictures.py (vgg16_params.svg)"
