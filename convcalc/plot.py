"""Per-layer cost plots: one bar per report row, and the running share of the total.

``figure(report, metric)`` draws a matplotlib Figure; ``save(report, path, metric)`` writes it as
SVG, PNG or PDF. matplotlib is an optional extra (``pip install 'convcalc[plot]'``), imported when a
plot is asked for, never when convcalc is. The figure is built on ``matplotlib.figure.Figure`` with
an Agg canvas, never through pyplot: no GUI, no global figure list, no window opened by a script.

What a plot shows:

* one bar per row of the report, in execution order: a report made with ``depth=N`` (``at_depth``)
  plots the merged blocks; a bar is labelled by the row's path (its kind where the path is empty);
* ``params``, ``macs``, ``flops`` or ``activations`` (the bytes of each row's new tensor, whole batch;
  the input's own bytes are not a row and are named in the title), or ``all``: the four stacked,
  sharing the x axis;
* a log y axis where the positive values span more than :data:`LOG_RANGE` (a VGG's parameters: a ReLU
  row's 0 beside FC-6's 102 M; zero rows then draw no bar), linear otherwise;
* the cumulative share of the total (0–100 %) on a second y axis: where the cost accumulates;
* the figure grows by :data:`PER_ROW` inches per row so that labels never overlap; past
  :data:`MAX_WIDTH` inches (about 230 rows) only every k-th row is labelled (the x axis says which),
  so a ResNet-152's 515 rows are labelled every 3rd.
"""

from __future__ import annotations

import math
import os

from .errors import ConvCalcError, PlotUnavailableError, SpecError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations are never evaluated
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .report import Report, Row

__all__ = ["METRICS", "SUFFIXES", "figure", "save"]

#: metric -> (the Row attribute plotted, the axis label, the unit of its values)
_COLUMNS: dict[str, tuple[str, str, str]] = {
    "params": ("params", "parameters", ""),
    "macs": ("macs", "MACs", ""),
    "flops": ("flops", "FLOPs", ""),
    "activations": ("activation_bytes", "activation bytes", "B"),
}
#: What ``metric`` may be: one of the columns, or ``all`` (the four stacked).
METRICS = (*_COLUMNS, "all")
#: The formats :func:`save` writes, chosen by the file's suffix.
SUFFIXES = (".svg", ".png", ".pdf")
#: A log y axis where the largest positive value exceeds the smallest by more than this factor.
LOG_RANGE = 1000
#: Inches per bar, and the figure's narrowest and widest (wider: every k-th label shown). A tick label of
#: FONT points, rotated upright, is FONT/72 inch wide, well under PER_ROW, so neighbours never touch.
PER_ROW = 0.2
MIN_WIDTH = 6.4
MAX_WIDTH = 48.0
FONT = 8
_MARGIN = 1.6  # inches beside the bars for the y axes' labels, both sides
_LABELLED = round((MAX_WIDTH - _MARGIN) / PER_ROW)  # the most rows labelled one by one (232)
#: Height of one metric's panel, inches (the tick labels' depth is added below the last one).
PANEL = 3.6
#: Where each format keeps a timestamp: none is written, so the same plot is the same bytes.
_METADATA: dict[str, dict[str, str | None]] = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}, ".png": {}}
_BAR = "#4c72b0"
_LINE = "#dd8452"


def figure(report: Report, metric: str = "params") -> Figure:
    """A bar per row of ``report`` for ``metric`` (params, macs, flops, activations, or all four stacked),
    with the cumulative share of the total on a second y axis; the title names the model, the input, the
    metric and its total. Raises :class:`~convcalc.errors.PlotUnavailableError` without matplotlib."""
    metrics = _metrics(metric)
    rows = report.rows
    if not rows:
        raise SpecError(f"nothing to plot: {report.model or 'the network'} has no rows")
    _require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [r.path or r.kind for r in rows]
    n = len(rows)
    width = min(MAX_WIDTH, max(MIN_WIDTH, _MARGIN + PER_ROW * n))
    every = -(-n // _LABELLED)  # 1 up to _LABELLED rows, then the smallest step that keeps them apart
    shown = range(0, n, every)
    depth = max(len(labels[i]) for i in shown) * 0.62 * FONT / 72  # inches an upright label reaches below the axis
    fig = Figure(figsize=(width, PANEL * len(metrics) + depth + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, metrics):
        _panel(ax, rows, name, report.input_bytes if name == "activations" else 0)
    bottom = axes[-1]
    bottom.set_xticks(list(shown), [labels[i] for i in shown], rotation=90, fontsize=FONT)
    bottom.set_xlim(-0.6, n - 0.4)
    bottom.set_xlabel(f"layer (path), {n} rows" + (f"; every {_ordinal(every)} labelled" if every > 1 else ""))
    heading = f"{report.model or 'network'} · {_input(report)}"
    if len(metrics) == 1:
        axes[0].set_title(f"{heading} · {axes[0].get_title()}")
    else:
        fig.suptitle(heading)
    return fig


def save(report: Report, path: str | os.PathLike[str], metric: str = "params") -> None:
    """Write :func:`figure` to ``path`` as SVG, PNG or PDF, chosen by its suffix. The file holds no date
    and SVG ids come from a fixed salt, so the same report gives the same bytes each time."""
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        raise SpecError(f"cannot write a plot to {name!r}: the file's suffix says the format, one of {', '.join(SUFFIXES)}")
    fig = figure(report, metric)
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "convcalc", "svg.fonttype": "path"}):
        try:
            fig.savefig(name, format=suffix[1:], metadata=_METADATA[suffix])
        except OSError as error:
            raise ConvCalcError(f"cannot write {name!r}: {error.strerror or error}") from None


def _metrics(metric: str) -> tuple[str, ...]:
    if metric not in METRICS:
        raise SpecError(f"unknown metric {metric!r}; plot one of {', '.join(METRICS)}")
    return tuple(_COLUMNS) if metric == "all" else (metric,)


def _require_matplotlib() -> None:
    """Import matplotlib, or say in one line how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        other = "" if (error.name or "matplotlib").split(".")[0] == "matplotlib" else f" (it could not import {error.name})"
        raise PlotUnavailableError(f"plotting needs matplotlib{other}: pip install 'convcalc[plot]'") from None


def _panel(ax: Axes, rows: tuple[Row, ...], metric: str, input_bytes: int) -> None:
    """One metric's bars, y scale, cumulative share and title on ``ax``."""
    from matplotlib.ticker import EngFormatter, NullFormatter, PercentFormatter

    attribute, label, unit = _COLUMNS[metric]
    values = [int(getattr(r, attribute)) for r in rows]
    positions = range(len(values))
    total = sum(values)
    ax.bar(positions, values, width=0.8, color=_BAR, label=metric)
    ax.set_ylabel(label)
    ax.yaxis.set_major_formatter(EngFormatter(unit=unit, sep=" "))
    positive = [v for v in values if v > 0]
    if positive and max(positive) > LOG_RANGE * min(positive):
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(EngFormatter(unit=unit, sep=" "))  # (set_yscale installs the log formatters)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(10 ** math.floor(math.log10(min(positive))), max(positive) * 2)
    elif not positive:
        ax.set_ylim(0, 1)
    ax.grid(axis="y", linewidth=0.4, alpha=0.5)
    ax.set_axisbelow(True)
    twin = ax.twinx()
    twin.set_ylim(0, 105)
    twin.yaxis.set_major_formatter(PercentFormatter(xmax=100))
    twin.set_ylabel("cumulative share", color=_LINE)
    if total:
        running, shares = 0, []
        for v in values:
            running += v
            shares.append(100 * running / total)  # the last is 100 exactly: total / total
        twin.plot(positions, shares, color=_LINE, linewidth=1.2, marker=".", markersize=3, label="cumulative share")
    unit_text = f" {unit}" if unit else ""
    title = f"{metric} · total {total:,}{unit_text}"
    if metric == "activations":
        title += f" (+ {input_bytes:,} B input)"
    ax.set_title(title)


def _input(report: Report) -> str:
    """``input 3×224×224`` (as the report's layout writes it), the inputs if several, and a batch above 1."""
    from .layout import dims

    shapes = [i.shape for i in report.inputs] or [report.input_shape]
    text = f"input{'s' * (len(shapes) > 1)} " + ", ".join(dims(s, report.layout) for s in shapes)
    return text + (f", batch {report.batch}" if report.batch != 1 else "")


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"
