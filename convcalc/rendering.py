"""Reports as text: a terminal table, Markdown, LaTeX, HTML, CSV or JSON.

tabulate is imported inside the one function that draws tables, so importing
convcalc (or asking for JSON) never loads it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import SpecError

if TYPE_CHECKING:
    from .analysis import Report, Row

FORMATS = ("table", "markdown", "latex", "html", "csv", "json")
_TABLEFMT = {"table": "simple", "markdown": "github", "latex": "latex_booktabs", "html": "html"}
HEADERS = ("#", "path", "layer", "output", "params", "MACs", "FLOPs", "RF")
_NUMERIC = (True, False, False, False, True, True, True, False)


def count(n: int, human: bool = False) -> str:
    """``62378344`` -> ``62,378,344``, or ``62.38 M`` when ``human``."""
    if not human or abs(n) < 1000:
        return f"{n:,}"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)  # pragma: no cover - unreachable


def nbytes(n: int) -> str:
    """``249513376`` -> ``237.95 MiB`` (binary units, as memory is sold to programmers)."""
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            break
        value /= 1024
    return f"{n} B" if unit == "B" else f"{value:.2f} {unit}"


def _shape(shape: tuple[int, ...], times: str) -> str:
    return times.join(map(str, shape))


def _lines(report: Report, human: bool, times: str) -> list[list[str]]:
    lines = []
    for r in report.rows:
        rf = "—" if r.receptive_field is None else _shape(r.receptive_field, times)
        layer = r.layer + (f" (shared with #{r.shared_with})" if r.shared_with else "")
        lines.append([str(r.index), r.path, layer, _shape(r.output_shape, times),
                      count(r.params, human), count(r.macs, human), count(r.flops, human), rf])
        for p in r.parts:  # a composite leaf shows its pieces beneath it, already in its sums
            b = report.batch
            lines.append(["", f"  ↳ {p.name}", p.layer, _shape(p.output_shape, times), count(p.weights + p.biases, human),
                          count(p.macs * b, human), count(p.flops * b, human), ""])
    t = report.totals
    lines.append(["", "", "total", "", count(t.params, human), count(t.macs, human), count(t.flops, human), ""])
    return lines


def _footer(report: Report, human: bool) -> str:
    t = report.totals
    out = [
        f"parameters   {count(t.params, human)} ({nbytes(t.param_bytes)} as {report.dtype})"
        + (f", plus {count(t.buffers, human)} buffers" if t.buffers else ""),
        f"MACs         {count(t.macs, human)}   FLOPs {count(t.flops, human)}   (batch {report.batch})",
        f"activations  {nbytes(t.activation_bytes)} (input {nbytes(t.input_bytes)} included)",
    ]
    out += [f"note: {n}" for n in report.notes]
    out += [f"warning: {w}" for w in report.warnings]
    return "\n".join(out)


def table(report: Report, fmt: str = "table", human: bool = False) -> str:
    """A per-layer table with totals, in any tabulate format named in ``_TABLEFMT``."""
    from tabulate import tabulate

    times = "x" if fmt == "latex" else "×"
    body = tabulate(
        _lines(report, human, times), headers=HEADERS, tablefmt=_TABLEFMT[fmt],
        colalign=tuple("right" if n else "left" for n in _NUMERIC), disable_numparse=True,
    )
    if fmt in ("html", "latex"):
        return body
    title = f"{report.model or 'network'}: input {_shape(report.input_shape, times)}, batch {report.batch}, {report.dtype}"
    return f"{title}\n\n{body}\n\n{_footer(report, human)}" if fmt == "table" else f"**{title}**\n\n{body}\n\n" + _footer(report, human).replace("\n", "  \n")


_CSV_KEYS = ("index", "path", "kind", "depth", "layer", "input_shape", "output_shape", "params", "weights", "biases",
             "macs", "flops", "activation_bytes", "receptive_field", "formula", "warnings")


def to_csv(report: Report) -> str:
    """One line per row, shapes written ``3x224x224``; no totals line (sum the columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_KEYS)
    for r in report.rows:
        writer.writerow(_csv_row(r))
    return buffer.getvalue()


def _csv_row(r: Row) -> list[object]:
    d = r.to_dict()
    for key in ("input_shape", "output_shape", "receptive_field"):
        d[key] = "" if d[key] is None else "x".join(map(str, d[key]))
    d["warnings"] = "; ".join(d["warnings"])
    return [d[k] for k in _CSV_KEYS]


def render(report: Report, fmt: str = "table", human: bool = False) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "json":
        return report.to_json()
    if fmt == "csv":
        return to_csv(report)
    if fmt in _TABLEFMT:
        return table(report, fmt, human)
    raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def table_of(rows: list[dict[str, object]], fmt: str, shown: Callable[[object], str]) -> str:
    """A plain list of records (e.g. the zoo listing) in any of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    headers = list(rows[0]) if rows else []
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    from tabulate import tabulate

    numeric = [isinstance(v, int) for v in rows[0].values()] if rows else []
    return tabulate([[shown(v) for v in r.values()] for r in rows], headers=headers, tablefmt=_TABLEFMT[fmt],
                    colalign=tuple("right" if n else "left" for n in numeric), disable_numparse=True)


def layer_card(report: Report, human: bool = False) -> str:
    """One layer's figures, a line each (``convcalc layer``)."""
    r, t = report.rows[0], report.totals
    lines = [
        f"{r.layer} on input {_shape(report.input_shape, '×')}",
        f"  output shape      {_shape(r.output_shape, '×')}",
        f"  parameters        {count(r.params, human)} ({count(r.weights, human)} weights + {count(r.biases, human)} biases)",
        f"  MACs              {count(r.macs, human)}",
        f"  FLOPs             {count(r.flops, human)}",
        f"  activation bytes  {count(r.activation_bytes, human)} (with the input: {count(t.activation_bytes, human)})",
        f"  receptive field   {'—' if r.receptive_field is None else _shape(r.receptive_field, '×') or '—'}",
    ]
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines)
