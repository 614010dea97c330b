"""Per-layer cost plots (convcalc.plot, report.plot, `convcalc plot`): the bars, the scale, the cumulative
share, the files written, and the one-line error without matplotlib.

Heights are read back from the figure's bar patches, and each expected number comes from its own
source, written beside it.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import convcalc as cc
from convcalc import cli, plot
from convcalc.report import Report

ROOT = Path(__file__).resolve().parents[1]

#: torchvision's VGG-16 as convcalc's zoo names it: 13 convs, 13 ReLUs and 5 max pools (features.0–30), the
#: adaptive average pool, the flatten its forward calls, and 7 classifier modules (3 linear, 2 ReLU, 2 dropout).
VGG16_ROWS = 31 + 1 + 1 + 7
#: The VGG paper's Table 2 (138 M) as torchvision's model card counts it exactly.
VGG16_PARAMS = 138_357_544
#: FC-6: 512·7·7 = 25,088 inputs to 4,096 outputs, plus 4,096 biases.
FC6_PARAMS = 25_088 * 4_096 + 4_096
assert FC6_PARAMS == 102_764_544


@pytest.fixture(scope="module")
def vgg16() -> Report:
    return cc.summary("vgg16")


def bars(fig: Figure) -> dict[str, tuple[Axes, list[float]]]:
    """Each metric's axes and its bar heights, as the figure holds them (the BarContainer's label is the metric)."""
    found = {}
    for ax in fig.axes:
        for container in ax.containers:
            found[container.get_label()] = (ax, [patch.get_height() for patch in container])
    return found


def cumulative(fig: Figure) -> list[list[float]]:
    """The y values of every cumulative-share line in the figure (on the twin axes)."""
    return [list(map(float, line.get_ydata())) for ax in fig.axes for line in ax.lines if line.get_label() == "cumulative share"]


def test_vgg16_params_tallest_bar_is_fc6_and_bars_sum_to_the_paper_count(vgg16: Report) -> None:
    fig = vgg16.plot("params")
    assert isinstance(fig, Figure)
    ax, heights = bars(fig)["params"]
    assert len(heights) == VGG16_ROWS
    tallest = max(range(len(heights)), key=heights.__getitem__)
    assert heights[tallest] == FC6_PARAMS
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[tallest] == "classifier.0"  # torchvision's name for FC-6
    assert sum(heights) == VGG16_PARAMS
    assert ax.get_title() == "vgg16 · input 3×224×224 · params · total 138,357,544"


def test_the_cumulative_share_rises_to_100_percent(vgg16: Report) -> None:
    for metric in ("params", "macs", "flops", "activations"):
        (line,) = cumulative(vgg16.plot(metric))
        assert line[-1] == 100
        assert all(a <= b for a, b in zip(line, line[1:])), metric
        assert 0 <= line[0]


def test_activation_bars_are_each_new_tensor(vgg16: Report) -> None:
    """features.0's output, 64 maps of 224×224 float32 (4 bytes): 12,845,056 bytes; the input (3·224·224·4 =
    602,112 bytes) is no bar and is named in the title."""
    ax, heights = bars(vgg16.plot("activations"))["activations"]
    assert heights[0] == 64 * 224 * 224 * 4
    assert "(+ 602,112 B input)" in ax.get_title()


def test_log_scale_for_a_huge_range_linear_for_a_small_one(vgg16: Report) -> None:
    # VGG-16's parameters: 1,792 (features.0: 64·3·3·3 + 64) up to FC-6's 102,764,544, a ratio of 57,000
    ax, _ = bars(vgg16.plot("params"))["params"]
    assert ax.get_yscale() == "log"
    # two 3×3 convs: 8·3·9 + 8 = 224 and 8·8·9 + 8 = 584 parameters, a ReLU's 0 between: a ratio of 2.6
    small = cc.summary(cc.Sequential(cc.Conv2d(3, 8, 3), cc.ReLU(), cc.Conv2d(8, 8, 3)), (3, 16, 16))
    ax, heights = bars(small.plot("params"))["params"]
    assert heights == [224, 0, 584]
    assert ax.get_yscale() == "linear"


def test_all_stacks_four_metrics_sharing_the_x_axis(vgg16: Report) -> None:
    fig = vgg16.plot("all")
    found = bars(fig)
    assert list(found) == ["params", "macs", "flops", "activations"]
    assert len(fig.axes) == 8  # four panels and each one's twin for the cumulative share
    assert len(cumulative(fig)) == 4
    panels = [ax for ax, _ in found.values()]
    assert all(ax.get_shared_x_axes().joined(panels[0], ax) for ax in panels)
    # MACs: 15.47 G, torchvision's model card for VGG-16 ("GFLOPS 15.47", counted as multiply-adds)
    assert round(sum(found["macs"][1]) / 1e9, 2) == 15.47
    assert fig.get_suptitle() == "vgg16 · input 3×224×224"


def test_a_report_at_depth_plots_its_blocks() -> None:
    report = cc.summary("resnet50", depth=0)
    labels = [t.get_text() for t in report.plot().axes[0].get_xticklabels()]
    # torchvision's ResNet-50 top level: conv1, bn1, relu, maxpool, layer1–4, avgpool, (flatten in its forward), fc
    assert labels == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten", "fc"]


@pytest.mark.parametrize("name", ["vgg16", "resnet18", "unet", "resnet152"])
def test_tick_labels_never_overlap(name: str) -> None:
    """Upright labels, the figure widening per row; resnet152's 500-odd rows are labelled every few."""
    report = cc.summary(name)
    fig = report.plot("macs")
    fig.canvas.draw()
    ax = bars(fig)["macs"][0]
    shown = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent() for t in shown]
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:])), name
    width = fig.get_figwidth() * fig.dpi
    assert all(0 <= b.x0 and b.x1 <= width for b in boxes), name  # none cut off at the figure's edges
    if len(shown) < len(report.rows):
        assert "labelled" in ax.get_xlabel()
        assert len(report.rows) > 200


def test_unknown_metric_is_one_line() -> None:
    with pytest.raises(cc.SpecError, match=r"^unknown metric 'weights'; plot one of params, macs, flops, activations, all$"):
        cc.summary("lenet5").plot("weights")


def test_the_cli_choices_are_the_library_metrics() -> None:
    assert cli.PLOT_METRICS == plot.METRICS


# --- files ---------------------------------------------------------------------------------------


def test_save_writes_svg_png_and_pdf_by_suffix(vgg16: Report, tmp_path: Path) -> None:
    plot.save(vgg16, tmp_path / "p.svg")
    assert ET.parse(tmp_path / "p.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
    plot.save(vgg16, tmp_path / "p.PNG", "all")
    assert (tmp_path / "p.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the PNG signature (RFC 2083)
    plot.save(vgg16, tmp_path / "p.pdf", "flops")
    assert (tmp_path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(cc.SpecError, match=r"one of \.svg, \.png, \.pdf$"):
        plot.save(vgg16, tmp_path / "p.jpg")


def test_svg_is_the_same_bytes_every_time(vgg16: Report, tmp_path: Path) -> None:
    plot.save(vgg16, tmp_path / "a.svg", "all")
    plot.save(vgg16, tmp_path / "b.svg", "all")
    first = (tmp_path / "a.svg").read_bytes()
    assert first == (tmp_path / "b.svg").read_bytes()
    assert b"<dc:date>" not in first  # no timestamp


def test_cli_writes_svg_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "tmp.svg"
    assert cli.main(["plot", "vgg16", "--metric", "params", "-o", str(svg)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"wrote {svg}: vgg16 params, {VGG16_ROWS} layers\n", "")
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    png = tmp_path / "tmp.png"
    assert cli.main(["plot", "resnet50", "--depth", "0", "--metric", "all", "--output", str(png)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"wrote {png}: resnet50 all, 11 rows at depth 0\n", "")  # the 11 of the test above
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("argv", "fragment"), [
    (["plot", "vgg16", "-o", "p.jpg"], "the file's suffix says the format, one of .svg, .png, .pdf"),
    (["plot", "vgg16", "--metric", "weights", "-o", "p.svg"], "'weights' is not one of 'params', 'macs'"),
    (["plot", "vgg16"], "Missing option '-o' / '--output'"),
    (["plot", "vgg16", "-o", "no/such/dir/p.svg"], "cannot write 'no/such/dir/p.svg'"),
], ids=["suffix", "metric", "no output", "no directory"])
def test_cli_bad_input_is_one_line_and_exit_2(argv: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err
    assert list(tmp_path.iterdir()) == []


# --- without matplotlib ----------------------------------------------------------------------------


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports of matplotlib and its submodules fail, as where it is not installed."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)


MISSING = "plotting needs matplotlib: pip install 'convcalc[plot]'"


@pytest.mark.usefixtures("no_matplotlib")
def test_without_matplotlib_the_library_says_how_to_install_it(tmp_path: Path) -> None:
    report = cc.summary("lenet5")
    for attempt in (report.plot, lambda: plot.save(report, tmp_path / "p.svg")):
        with pytest.raises(cc.PlotUnavailableError) as raised:
            attempt()
        assert str(raised.value) == MISSING
        assert isinstance(raised.value, cc.ConvCalcError) and isinstance(raised.value, ImportError)


@pytest.mark.usefixtures("no_matplotlib")
def test_without_matplotlib_the_cli_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plot", "lenet5", "-o", str(tmp_path / "p.svg")]) == 2
    assert capsys.readouterr() == ("", f"error: {MISSING}\n")
