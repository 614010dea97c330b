"""What the browser page (:mod:`convcalc.web`) asks of convcalc, as plain functions from JSON text to JSON text.

The page runs this very package in Pyodide and calls these functions with the state of its form; every
number it shows comes from the same library calls as the command line's (``summary``, ``layer --explain``,
``summary --compare``, ``draw``, ``check``). Bad input is an answer too: ``{"ok": false, "error": …}``
with the line and column of the text it refers to, where known; never a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ConvCalcError

#: The last report made, by the state that made it: a row's working is asked for after its table.
_last: tuple[str, Any] | None = None


def models() -> str:
    """The zoo: each model's name and default input, for the page's list."""
    from . import models as zoo

    return json.dumps([{"name": name, "input": "x".join(map(str, zoo.get(name).input_shape))} for name in zoo.list()])


def _report(state: dict[str, Any]) -> Any:
    """The report the state asks for: a zoo model, or text (a layer call, spec lines, a forward pass, Keras text)."""
    global _last
    key = json.dumps(state, sort_keys=True)
    if _last is not None and _last[0] == key:
        return _last[1]
    from . import api
    from .parsing import parse_spec

    source = state.get("model") if state.get("source", "model") == "model" else None
    if source is None:
        text = str(state.get("spec", ""))
        if not text.strip():
            raise ConvCalcError("type a layer call, spec lines or a forward pass, or pick a model")
        source = parse_spec(text)
    batch = int(state.get("batch") or 1)
    depth = state.get("depth")
    report = api.summary(source, str(state.get("input") or "").strip() or None, batch=batch,
                         dtype=str(state.get("dtype") or "float32"), layout=state.get("layout") or None,
                         depth=None if depth in (None, "") else int(depth))
    _last = (key, report)
    return report


def _failure(error: Exception) -> str:
    """An error as the page shows it: one line, and where in the text it is (a SpecError's line and column, or the
    ``line N:`` a forward pass's shape error starts with). Anything but a ConvCalcError or ValueError is a bug in
    convcalc, said so in one line, as the command line says it."""
    message = str(error)
    if not isinstance(error, (ConvCalcError, ValueError)):
        message = f"internal error ({type(error).__name__}: {message}); this is a bug in convcalc"
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    if line is None:
        found = re.match(r"line (\d+)", message)
        line = int(found.group(1)) if found else None
    return json.dumps({"ok": False, "error": message.splitlines()[0] if message else type(error).__name__,
                       "line": line, "column": column})


def compute(state_text: str) -> str:
    """The table with its totals and warnings for the page's state (JSON: ``source`` "model" or "text", ``model``,
    ``spec``, ``input``, ``layout``, ``batch``, ``dtype``, ``depth``); :func:`pane` gives the rest."""
    from .rendering import html_parts, summary

    try:
        report = _report(json.loads(state_text))
        title, table, footer = html_parts(summary(report))
    except Exception as error:  # noqa: BLE001 - the page shows every failure as one line (_failure)
        return _failure(error)
    return json.dumps({"ok": True, "title": title, "table": table, "footer": footer,
                       "explains": [r.index for r in report.rows if r.spec is not None],
                       "params": report.totals.params, "macs": report.totals.macs})


def pane(state_text: str, which: str) -> str:
    """The drawing (``convcalc draw``: SVG) or the other tools' figures (``summary --compare``: HTML) of the state's
    network, made when the page shows them."""
    from .rendering import comparison, render

    try:
        report = _report(json.loads(state_text))
        html = report.draw().svg if which == "drawing" else render(comparison(report), "html")
    except Exception as error:  # noqa: BLE001 - the page shows every failure as one line (_failure)
        return _failure(error)
    return json.dumps({"ok": True, "html": html})


def explain(state_text: str, index: int) -> str:
    """Row ``index``'s worked formulas, as ``convcalc layer --explain`` shows them (HTML)."""
    from .layout import shown
    from .working import working_of

    try:
        report = _report(json.loads(state_text))
        row = next((r for r in report.rows if r.index == int(index)), None)
        if row is None:
            raise ConvCalcError(f"the table has no row {index}")
        if row.spec is None:
            return json.dumps({"ok": True, "html": f"<p>{row.formula}</p>"})
        working = working_of(row.spec, "x".join(map(str, shown(row.input_shape, report.layout))), report.dtype,
                             report.layout)
        return json.dumps({"ok": True, "html": working.render("html")})
    except Exception as error:  # noqa: BLE001 - the page shows every failure as one line (_failure)
        return _failure(error)


def check(answers_text: str) -> str:
    """Each answer in TOML answers text marked as ``convcalc check`` marks it: verdict, glyph and working."""
    from .answers import check_text, tally

    try:
        marks = check_text(answers_text, "answers.toml")
    except Exception as error:  # noqa: BLE001 - the page shows every failure as one line (_failure)
        return _failure(error)
    line, _ = tally(marks)
    return json.dumps({"ok": True, "marks": [{"verdict": m.verdict, "text": str(m)} for m in marks], "tally": line})
