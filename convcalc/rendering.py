"""Reports as text: a terminal table, Markdown, LaTeX, HTML, CSV or JSON.

Grids are drawn by :mod:`convcalc.tables`; nothing here imports more than
the standard library.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence

from .errors import SpecError
from .records import record
from .tables import FORMATS, GRIDS, grid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .report import Report, Row
    from .torch_bridge.verify import Check, VerifyReport

HEADERS = ("#", "path", "layer", "output", "params", "MACs", "FLOPs", "RF")
_NUMERIC = (True, False, False, False, True, True, True, False)


@record
class _Glyphs:
    """The marks a table uses; LaTeX gets ASCII ones, which compile under any engine."""

    times: str
    none: str
    part: str
    ok: str
    wrong: str
    differs: str


_UNICODE = _Glyphs("×", "—", "↳ ", "✓", "✗", " ≠ ")
_ASCII = _Glyphs("x", "--", "- ", "yes", "NO", " vs torch ")


def _glyphs(fmt: str) -> _Glyphs:
    return _ASCII if fmt == "latex" else _UNICODE


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


def _lines(report: Report, human: bool, g: _Glyphs) -> list[list[str]]:
    lines = []
    times = g.times
    for r in report.rows:
        rf = g.none if r.receptive_field is None else _shape(r.receptive_field, times)
        layer = r.layer + (f" (shared with #{r.shared_with})" if r.shared_with else "")
        lines.append([str(r.index), r.path, layer, _shape(r.output_shape, times),
                      count(r.params, human), count(r.macs, human), count(r.flops, human), rf])
        for p in r.parts:  # a composite leaf shows its pieces beneath it, already in its sums
            b = report.batch
            lines.append(["", f"{g.part}{p.name}", p.layer, _shape(p.output_shape, times), count(p.weights + p.biases, human),
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
    """A per-layer table with totals, as a terminal table, Markdown, LaTeX or HTML."""
    g = _glyphs(fmt)
    times = g.times
    body = grid(_lines(report, human, g), HEADERS, fmt, _NUMERIC)
    title = f"{report.model or 'network'}: input {_shape(report.input_shape, times)}, batch {report.batch}, {report.dtype}"
    return _framed(fmt, title, body, _footer(report, human).split("\n"))


def _framed(fmt: str, title: str, body: str, footer: list[str]) -> str:
    """A grid with its title above and summary lines below: as they are for the terminal, bold
    title and hard line breaks for Markdown; HTML and LaTeX get the bare grid, to drop into a page."""
    if fmt in ("html", "latex"):
        return body
    if fmt == "table":
        return f"{title}\n\n{body}\n\n" + "\n".join(footer)
    return f"**{title}**\n\n{body}\n\n" + "  \n".join(footer)


_CSV_KEYS = ("index", "path", "kind", "depth", "layer", "input_shape", "output_shape", "params", "weights", "biases",
             "macs", "flops", "activation_bytes", "receptive_field", "formula", "warnings")


def to_csv(report: Report) -> str:
    """One line per row, shapes written ``3x224x224``; no totals line (sum the columns)."""
    return csv_text(_CSV_KEYS, (_csv_row(r) for r in report.rows))


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A header line and one line per row, as the csv module writes them."""
    import csv  # csv and json load only for the formats that need them: a table is the common case

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
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
    if fmt in GRIDS:
        return table(report, fmt, human)
    raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def table_of(rows: list[dict[str, object]], fmt: str, shown: Callable[[object], str]) -> str:
    """A plain list of records (e.g. the zoo listing) in any of :data:`FORMATS`."""
    if fmt == "json":
        import json

        return json.dumps(rows, indent=2, ensure_ascii=False)
    headers = list(rows[0]) if rows else []
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, headers, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    numeric = [isinstance(v, int) for v in rows[0].values()] if rows else []
    return grid([[shown(v) for v in r.values()] for r in rows], headers, fmt, numeric)


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


_VERIFY_HEADERS = ("#", "path", "kind", "output", "params", "FLOPs (conv, linear)", "ok")
_VERIFY_NUMERIC = (True, False, False, False, True, True, False)
_VERIFY_CSV = ("index", "path", "kind", "ok", "output_shape", "torch_output_shape", "params", "torch_params",
               "flops", "torch_flops")


def _checked(check: Check, shown: Callable[[object], str], g: _Glyphs) -> str:
    """``760 ✓``, ``760 ≠ 750 ✗``, or just ``760`` where torch has no figure to hold it to."""
    if check.theirs is None:
        return shown(check.ours)
    if check.ok:
        return shown(check.ours) if g is _ASCII else f"{shown(check.ours)} {g.ok}"
    return f"{shown(check.ours)}{g.differs}{shown(check.theirs)}" + ("" if g is _ASCII else f" {g.wrong}")


def _plain(value: object) -> object:
    """A figure as CSV writes it: shapes ``3x224x224``, missing ones empty."""
    if value is None:
        return ""
    return "x".join(map(str, value)) if isinstance(value, tuple) else value


def render_verify(v: VerifyReport, fmt: str = "table", human: bool = False) -> str:
    """convcalc's rows beside torch's in one of :data:`FORMATS`."""
    if fmt == "json":
        return v.to_json()
    if fmt == "csv":
        return csv_text(_VERIFY_CSV, ([r.index, r.path, r.kind, r.ok, *(_plain(x) for c in (r.shape, r.params, r.flops)
                                                                      for x in (c.ours, c.theirs))] for r in v.rows))
    if fmt not in GRIDS:
        raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    g = _glyphs(fmt)
    times = g.times

    def number(n: object) -> str:
        return count(n, human) if isinstance(n, int) else str(n)

    def shape(s: object) -> str:
        return _shape(s, times) if isinstance(s, tuple) else str(s)

    lines = [[str(r.index), r.path, r.kind, _checked(r.shape, shape, g), _checked(r.params, number, g),
              _checked(r.flops, number, g) if r.flops.theirs is not None else g.none, g.ok if r.ok else g.wrong]
             for r in v.rows]
    lines.append(["", "", "total", "", _checked(v.params, number, g), _checked(v.flops, number, g), g.ok if v.ok else g.wrong])
    body = grid(lines, _VERIFY_HEADERS, fmt, _VERIFY_NUMERIC)
    wrong = sum(not r.ok for r in v.rows)
    verdict = "all rows agree with torch" if v.ok else f"{wrong} rows disagree with torch"
    title = (f"verify {v.model or 'network'}: input {_shape(v.input_shape, times)}, batch {v.batch}, "
             f"on {v.device} (torch {v.torch_version})")
    footer = [f"parameters  {_checked(v.params, number, g)}",
              f"FLOPs of conv and linear layers (FlopCounterMode)  {_checked(v.flops, number, g)}",
              f"{'ok' if v.ok else 'MISMATCH'}: {verdict}"]
    return _framed(fmt, title, body, footer)


# --- the breakdown into primitive counts, and the comparison with other tools -----------------


def breakdown(report: Report, fmt: str = "table", human: bool = False) -> str:
    """Per layer: how torch runs it (a module, or the call a forward makes) and its primitive counts."""
    from .layers.base import PRIMITIVES
    from .profiles import PRIMITIVE_HEADERS

    if fmt == "json":
        return report.to_json()
    if fmt == "csv":
        return csv_text(("index", "path", "kind", "call", *PRIMITIVES),
                        ((r.index, r.path, r.kind, r.call, *(getattr(r.primitives, k) for k in PRIMITIVES)) for r in report.rows))
    if fmt not in GRIDS:
        raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    lines = []
    for r in report.rows:
        p = r.primitives
        lines.append([str(r.index), r.path, r.name, r.call, *(count(getattr(p, k), human) for k in PRIMITIVES)])
    totals = report.primitives()
    lines.append(["", "", "total", "", *(count(getattr(totals, k), human) for k in PRIMITIVES)])
    headers = ("#", "path", "layer", "call", *PRIMITIVE_HEADERS)
    body = grid(lines, headers, fmt, (True, False, False, False, *(True,) * len(PRIMITIVES)))
    g = _glyphs(fmt)
    title = (f"{report.model or 'network'}: primitive counts per layer, input {_shape(report.input_shape, g.times)}, "
             f"batch {report.batch}")
    footer = ["call: module = torch runs the layer as an nn.Module (hooks see it); otherwise the call its forward makes",
              "every other tool's total is a sum of these columns: see --compare"]
    return _framed(fmt, title, body, footer)


def comparison(report: Report, fmt: str = "table", human: bool = False) -> str:
    """Every profile's total beside the paper figure, the difference in percent, and where it comes from."""
    profiles = report.comparison
    paper = profiles["paper"].total
    keras = report.keras_params()
    if fmt == "json":
        import json

        return json.dumps(comparison_dict(report), indent=2, ensure_ascii=False)
    rows = []
    for name, p in profiles.items():
        diff = p.difference(paper)
        rows.append({"profile": name, "total": p.total, "vs paper": _percent(diff),
                     "where the difference comes from": p.reason()})
    if fmt == "csv":
        return table_of(rows, "csv", str)
    if fmt not in GRIDS:
        raise SpecError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    g = _glyphs(fmt)
    why = "where the difference comes from"
    if fmt == "table":  # the sentences go beneath, where a terminal has the width for them
        shown = [[r["profile"], count(r["total"], human), r["vs paper"]] for r in rows]
        body = grid(shown, ("profile", "total", "vs paper"), fmt, (False, True, True))
        footer = [f"{r['profile']}: {r[why]}" for r in rows]
    else:  # a document keeps them in the table, since HTML and LaTeX drop the lines beneath
        shown = [[r["profile"], count(r["total"], human), r["vs paper"], r[why]] for r in rows]
        body = grid(shown, ("profile", "total", "vs paper", why), fmt, (False, True, True, False))
        footer = []
    title = (f"{report.model or 'network'}: what each tool prints, input {_shape(report.input_shape, g.times)}, "
             f"batch {report.batch}")
    t = report.totals
    footer.append(f"convcalc: {count(t.flops, human)} FLOPs by its own convention (every add, compare and multiply; "
                  "see the README)")
    footer.append(f"keras: {count(keras['total'], human)} parameters ({count(keras['trainable'], human)} trainable, "
                  f"{count(keras['non_trainable'], human)} non-trainable: batch-norm running statistics count there); "
                  f"torch: {count(t.params, human)}")
    footer.append("versions: " + "; ".join(f"{name} = {p.version}" for name, p in profiles.items() if name != "paper"))
    return _framed(fmt, title, body, footer)


def _percent(diff: float | None) -> str:
    """``+0.55%``; a difference too small for two decimals keeps two significant digits (``+0.0013%``)."""
    if diff is None:
        return "—"
    if diff and abs(diff) < 0.01:
        return f"{diff:+.2g}%"
    return f"{diff:+.2f}%"


def comparison_dict(report: Report) -> dict[str, object]:
    """The comparison as JSON-ready data: each profile's total, difference, reason, terms and traps."""
    profiles = report.comparison
    paper = profiles["paper"].total
    return {
        "model": report.model, "input_shape": list(report.input_shape), "batch": report.batch,
        "profiles": report.profiles(),
        "comparison": {
            name: {"total": p.total, "difference_percent": p.difference(paper), "reason": p.reason(),
                   "recipe": p.recipe, "version": p.version, "terms": p.terms,
                   "traps": [{"what": t.what, "amount": t.amount, "layers": list(t.layers)} for t in p.traps],
                   **({"unknown_layers": list(p.unknown)} if p.unknown else {})}
            for name, p in profiles.items()
        },
        "keras_params": report.keras_params(),
    }
