"""The working: each formula of a layer written out with the numbers substituted.

``explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))`` gives, among its lines,
``O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32``, ``params = 5·5·3·10 + 10 = 760`` and
``FLOPs = 2·10·32·32·3·5·5 = 1,536,000``. Each layer class writes its own steps
(:meth:`convcalc.layers.base.Leaf.explain`); this module adds the activation memory
and receptive field from the report, and writes the steps in every format.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import Any

from .errors import SpecError
from .layers.base import Leaf, Shape, Step
from .records import record
from .report import Report
from .tables import latex
from .walk import analyze

CONVENTION = ("convention: 1 multiply-accumulate (MAC) = 1 multiplication + 1 addition = 2 FLOPs; bias additions "
              "are not counted (the lectures' \"# products\" are MACs); conv and linear FLOPs equal torch's "
              "FlopCounterMode")


@record
class Working:
    """One layer's worked formulas: a title, (label, formula) lines, notes, warnings, the convention."""

    title: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    report: Report

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(quantity, text) of each step, as the table shows them."""
        return [(step.quantity, step.text()) for step in self.steps]

    def to_dict(self) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        for label, body in self.lines:  # an unlabelled line continues the step above it
            if label or not steps:
                steps.append({"quantity": label, "working": [body]})
            else:
                steps[-1]["working"].append(body)
        return {"layer": self.title, "steps": steps, "notes": list(self.notes), "warnings": list(self.warnings),
                "convention": CONVENTION, "report": self.report.to_dict()}

    def render(self, fmt: str = "table") -> str:
        """``table`` (aligned text), ``markdown``, ``latex``, ``html``, ``csv`` or ``json``."""
        steps = self.to_dict()["steps"]
        tail = [f"note: {n}" for n in self.notes] + [f"warning: {w}" for w in self.warnings]
        if fmt == "table":
            width = max(len(label) for label, _ in self.lines) + 2
            text = [self.title, *(f"  {label:<{width}}{body}" for label, body in self.lines)]
            return "\n".join([*text, *(f"  {t}" for t in tail), CONVENTION])
        if fmt == "markdown":
            text = [f"**{self.title}**", ""]
            for step in steps:
                text.append(f"- {step['quantity']}: " + "  \n  ".join(f"`{w}`" for w in step["working"]))
            return "\n".join([*text, "", *(f"*{t}*  " for t in tail), f"*{CONVENTION}*"])
        if fmt == "latex":
            text = [rf"\paragraph{{{latex(self.title, prose=True)}}}", r"\begin{description}"]
            for step in steps:
                text.append(rf"  \item[{latex(step['quantity'], prose=True)}] " + r" \\ ".join(latex(w, prose=True) for w in step["working"]))
            return "\n".join([*text, r"\end{description}", *(latex(t, prose=True) + r"\\" for t in tail), latex(CONVENTION, prose=True)])
        if fmt == "html":
            items = "".join(f"<dt>{escape(step['quantity'])}</dt>" + "".join(f"<dd>{escape(w)}</dd>" for w in step["working"])
                            for step in steps)
            extra = "".join(f"<p>{escape(t)}</p>" for t in tail)
            return f"<p><strong>{escape(self.title)}</strong></p>\n<dl>{items}</dl>\n{extra}<p><em>{escape(CONVENTION)}</em></p>"
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(("quantity", "working"))
            writer.writerows((step["quantity"], w) for step in steps for w in step["working"])
            return buffer.getvalue()
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        raise SpecError(f"unknown format {fmt!r}; use one of table, markdown, latex, html, csv, json")

    def __str__(self) -> str:
        return self.render("table")


def working_of(layer: Leaf, input_shape: Shape | str, dtype: str = "float32") -> Working:
    """The layer's output size, parameters, MACs, FLOPs, activation memory and receptive field for
    one sample, each with its formula and the numbers in (the layer class's own :meth:`Leaf.explain`)."""
    from .api import resolve

    if not isinstance(layer, Leaf):
        raise TypeError("explain takes one layer; summarize a network instead")
    r = resolve(layer, input_shape)
    report = analyze(r.net, r.shape, dtype=dtype, notes=r.notes)
    row = report.rows[0]
    shape = r.shape
    spec = row.spec or layer
    steps = list(spec.explain(shape, spec.effect(shape)))
    t = report.totals
    tensors = ["·".join(map(str, p.output_shape)) for p in row.parts] or ["·".join(map(str, row.output_shape))]
    shown = f"({' + '.join(tensors)})" if len(tensors) > 1 else tensors[0]
    steps.append(Step("activations", f"{shown} elements · {report.dtype_bytes} bytes = {row.activation_bytes:,} "
                                     f"bytes ({dtype})" if row.activation_bytes else "none: a view or in-place, no new tensor"))
    steps.append(Step("", f"with the input ({t.input_bytes:,} bytes): {t.activation_bytes:,} bytes"))
    if row.receptive_field:
        steps.append(Step("receptive field", "×".join(map(str, row.receptive_field)) + " input positions"))
    return Working(f"{row.layer} on input {'×'.join(map(str, shape))}", tuple(steps), report.notes, row.warnings, report)


def explain(layer: Leaf, input_shape: Shape | str, dtype: str = "float32", fmt: str = "table") -> str:
    """The working of :func:`working_of` as text (``fmt`` ``table``), or in any other report format;
    the counting convention comes last."""
    return working_of(layer, input_shape, dtype).render(fmt)
