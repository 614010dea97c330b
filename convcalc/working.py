"""The working: each formula of a layer written out with the numbers substituted.

``explain(cc.Conv2d(3, 10, 5, padding=2), (3, 32, 32))`` gives, among its lines,
``O = ⌊(32 + 2·2 − 5)/1⌋ + 1 = 32``, ``params = 5·5·3·10 + 10 = 760`` and
``FLOPs = 2·10·32·32·3·5·5 = 1,536,000``. Each layer class writes its own steps
(:meth:`convcalc.layers.base.Leaf.explain`); this module adds the activation memory
and receptive field from the report, and makes the steps a document that
:func:`convcalc.rendering.render` writes in every format.
"""

from __future__ import annotations

import re
from typing import Any

from .inputs import Input
from .layers.base import Leaf, Shape, Step, dims_text
from .layout import dims, order, shown
from .records import record, replace
from .rendering import Document, Steps, render
from .report import Report
from .walk import analyze

CONVENTION = ("convention: 1 multiply-accumulate (MAC) = 1 multiplication + 1 addition = 2 FLOPs; bias additions "
              "are not counted (the lectures' \"# products\" are MACs; \"with bias\" adds them); conv and linear FLOPs "
              "equal torch's FlopCounterMode")


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

    def grouped(self) -> list[tuple[str, list[str]]]:
        """Each quantity with its lines of working: an unlabelled line continues the step above it."""
        groups: list[tuple[str, list[str]]] = []
        for label, body in self.lines:
            if label or not groups:
                groups.append((label, [body]))
            else:
                groups[-1][1].append(body)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.title, "steps": [{"quantity": q, "working": w} for q, w in self.grouped()],
                "notes": list(self.notes), "warnings": list(self.warnings), "convention": CONVENTION,
                "report": self.report.to_dict()}

    def document(self) -> Document:
        """The working as a document: the steps, the notes and warnings beneath them, the convention
        last; its CSV is the (quantity, working) lines, its JSON :meth:`to_dict`."""
        tail = tuple(f"note: {n}" for n in self.notes) + tuple(f"warning: {w}" for w in self.warnings)
        items = tuple((q, tuple(w)) for q, w in self.grouped())
        return Document(title=self.title, body=Steps(items, tail), footer=(CONVENTION,), data=self.to_dict)

    def render(self, fmt: str = "table") -> str:
        """``table`` (aligned text), ``markdown``, ``latex``, ``html``, ``csv`` or ``json``."""
        return render(self.document(), fmt)

    def __str__(self) -> str:
        return self.render("table")


def working_of(layer: Leaf, input_shape: Shape | str | Input, dtype: str = "float32", layout: str | None = None) -> Working:
    """The layer's output size, parameters, MACs, FLOPs, activation memory and receptive field for
    one sample, each with its formula and the numbers in (the layer class's own :meth:`Leaf.explain`).
    The input is read as :func:`convcalc.summary` reads it (``layout``: ``"chw"`` or ``"hwc"``); read
    channels last, every whole shape in the working is written channels last too. An
    :class:`~convcalc.inputs.Input` gives the input's element type (an Embedding's ``int64`` ids), which sets its bytes."""
    from .api import resolve

    if not isinstance(layer, Leaf):
        raise TypeError("explain takes one layer; summarize a network instead")
    r = resolve(layer, input_shape, layout)
    report = analyze(r.net, r.shape, dtype=dtype, notes=r.notes, layout=r.layout, inputs=r.inputs)
    row = report.rows[0]
    shape = r.shape
    spec = row.spec or layer
    effect = spec.effect(shape)
    steps = list(spec.explain(shape, effect))
    if r.layout != "chw":
        steps = _in_layout(steps, (shape, effect.output_shape, *(p.output_shape for p in effect.parts)), r.layout)
    t = report.totals
    tensors = ["·".join(map(str, shown(p.output_shape, r.layout))) for p in row.parts] or [
        "·".join(map(str, shown(row.output_shape, r.layout)))]
    written = f"({' + '.join(tensors)})" if len(tensors) > 1 else tensors[0]
    if row.bias_adds:
        steps.append(Step("with bias", "FLOPs + bias additions (one per output element)",
                          f"{row.flops:,} + {row.bias_adds:,}", row.flops_with_bias))
    steps.append(Step("neurons", "output elements", "·".join(map(str, shown(row.output_shape, r.layout))), row.neurons))
    steps.append(Step("activations", f"{written} elements · {report.dtype_bytes} bytes = {row.activation_bytes:,} "
                                     f"bytes ({dtype})" if row.activation_bytes else "none: a view or in-place, no new tensor"))
    steps.append(Step("", f"with the input ({t.input_bytes:,} bytes): {t.activation_bytes:,} bytes"))
    if t.inference_peak_bytes is not None and t.peak_activation_bytes is not None:
        held = t.param_bytes + t.buffers * report.dtype_bytes
        steps.append(Step("inference peak", "live at once (each tensor freed after its last use) + parameters and buffers",
                          f"{t.peak_activation_bytes:,} + {held:,}", f"{t.inference_peak_bytes:,} bytes"))
    if row.receptive_field:
        steps.append(Step("receptive field", "×".join(map(str, row.receptive_field)) + " input positions"))
    named = "" if r.layout == "chw" else f" ({order(r.layout, len(shape))})"
    typed = f":{r.dtype}" if r.dtype else ""
    return Working(f"{row.layer} on input {dims(shape, r.layout)}{typed}{named}", tuple(steps), report.notes, row.warnings, report)


def _in_layout(steps: list[Step], shapes: tuple[Shape, ...], layout: str) -> list[Step]:
    """The steps with each whole shape among ``shapes`` (the input, the output, the parts' outputs)
    written as ``layout`` writes it; the layer classes write them channels first."""
    swaps = {dims_text(s): dims(s, layout) for s in shapes if len(s) > 1}
    pattern = re.compile("|".join(rf"(?<![\d×]){re.escape(k)}(?![\d×])" for k in sorted(swaps, key=len, reverse=True)))

    def swapped(text: Any) -> Any:
        return pattern.sub(lambda m: swaps[m.group(0)], text) if isinstance(text, str) and swaps else text

    return [replace(step, symbolic=swapped(step.symbolic), substituted=swapped(step.substituted),
                    value=swapped(step.value), note=swapped(step.note)) for step in steps]


def explain(layer: Leaf, input_shape: Shape | str | Input, dtype: str = "float32", fmt: str = "table", layout: str | None = None) -> str:
    """The working of :func:`working_of` as text (``fmt`` ``table``), or in any other report format;
    the counting convention comes last. ``layout`` says how ``input_shape`` is written (``"chw"``,
    ``"hwc"``); without it, as :func:`convcalc.summary` reads it."""
    return working_of(layer, input_shape, dtype, layout).render(fmt)
