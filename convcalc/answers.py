"""Checking homework answers: a TOML file of questions, each answer marked right or wrong.

A value is an exact integer (``760``, ``"1,536,000"``) or a rounded one (``"38K"``,
``"3.3M"``, ``"138M"``, ``"1.5G"``, ``"93MB"``, ``"0.54 million"``), judged at its stated
precision: ``3.3M`` claims 3,250,000 ≤ value < 3,350,000, so it is wrong for 3,539,968.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from .api import resolve
from .errors import AnswersError, ShapeError, SpecError
from .layers.base import Step
from .parsing import read_user_file
from .records import record
from .report import Report, Row

QUANTITIES = ("output_shape", "params", "macs", "flops", "activation_bytes", "receptive_field")
KEYS = ("id", "spec", "model", "input", "layer", "batch", *QUANTITIES)


_UNITS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "thousand": 10**3, "million": 10**6,
          "millions": 10**6, "billion": 10**9, "billions": 10**9, "KB": 10**3, "MB": 10**6, "GB": 10**9,
          "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "B": 1, "bytes": 1}
_AMOUNT = re.compile(r"(?P<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]*)")


@record
class Amount:
    """An answer's value and how precisely it was given: ``3.3M`` is 3,300,000 ± 50,000."""

    text: str
    value: Decimal
    half_step: Decimal  # 0 for an exact integer
    unit: str = ""

    def matches(self, truth: int) -> bool:
        if self.half_step == 0:
            return Decimal(truth) == self.value
        return self.value - self.half_step <= truth < self.value + self.half_step

    def rounded(self, truth: int) -> str:
        """The truth written at this answer's precision (``3.5M``)."""
        if self.half_step == 0:
            return f"{truth:,}"
        scale = Decimal(_UNITS[self.unit])
        step = (self.half_step * 2 / scale).normalize()
        decimals = max(0, -int(step.as_tuple().exponent))
        return f"{Decimal(truth) / scale:.{decimals}f}{' ' if len(self.unit) > 3 else ''}{self.unit}"


def parse_amount(value: Any, where: str) -> Amount:
    """An answer's number: an int, or text such as ``38K``, ``3.3M``, ``1,536,000``, ``93MB``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise AnswersError(f"{where}: give a whole number or text such as '3.3M', got {value!r}")
    if isinstance(value, int):
        return Amount(str(value), Decimal(value), Decimal(0))
    match = _AMOUNT.fullmatch(value.strip())
    if not match or match["unit"] not in _UNITS:
        raise AnswersError(f"{where}: cannot read {value!r}; write 760, '1,536,000', '38K', '3.3M', '1.5G' or '93MB'")
    number, unit = match["number"].replace(",", ""), match["unit"]
    scale = Decimal(_UNITS[unit])
    if "." not in number and scale == 1:
        return Amount(value, Decimal(number), Decimal(0))
    places = len(number.split(".")[1]) if "." in number else 0
    return Amount(value, Decimal(number) * scale, Decimal(5) * scale / Decimal(10) ** (places + 1), unit)


def parse_shape_answer(value: Any, where: str) -> tuple[int, ...]:
    from .parsing import parse_shape

    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str):
        try:
            return parse_shape(value)
        except ShapeError as error:
            raise AnswersError(f"{where}: {error}") from None
    raise AnswersError(f"{where}: give a shape as [32, 24, 24] or '32x24x24', got {value!r}")


@record
class Mark:
    """One answer, marked: ``ok``, the given and the true value, and the working for a wrong one."""

    question: str
    quantity: str
    given: str
    truth: str
    ok: bool
    working: str = ""
    note: str = ""

    def __str__(self) -> str:
        head = f"{'✓' if self.ok else '✗'} {self.question} {self.quantity}: {self.given}"
        if self.ok:
            return f"{head} (true {self.truth})" + (f"  [{self.note}]" if self.note else "")
        return f"{head}, true {self.truth}" + (f"\n    {self.working}" if self.working else "")


def _row(report: Report, layer: Any, where: str) -> Row | None:
    """The row a question asks about: 1-based index or path; None for the whole network."""
    if layer is None:
        return report.rows[0] if len(report.rows) == 1 else None
    if isinstance(layer, int) and not isinstance(layer, bool):
        if not 1 <= layer <= len(report.rows):
            raise AnswersError(f"{where}: layer {layer} does not exist; the network has rows 1 to {len(report.rows)}")
        return report.rows[layer - 1]
    if isinstance(layer, str):
        for row in report.rows:
            if row.path == layer:
                return row
        close = difflib.get_close_matches(layer, [r.path for r in report.rows], n=1)
        raise AnswersError(f"{where}: no layer at path {layer!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
    raise AnswersError(f"{where}: layer is a row number or a path, got {layer!r}")


_STEP_OF = {"params": "parameters", "macs": "MACs", "flops": "FLOPs"}


def _steps(row: Row) -> tuple[Step, ...]:
    """The worked steps of a row's layer (its class writes them), or none for a row with no layer spec."""
    if row.spec is None:
        return ()
    shape = row.input_shape
    return row.spec.explain(shape, row.spec.effect(shape))


def _substituted(row: Row, quantity: str) -> str:
    """A row's figure as its formula with the numbers in (``3·3·256·512 + 512``), else the figure."""
    step = next((s for s in _steps(row) if s.quantity == _STEP_OF.get(quantity) and s.substituted), None)
    if step is None:
        return f"{getattr(row, quantity):,}"
    return f"({step.substituted})" if "+" in step.substituted else step.substituted


def _network_working(report: Report, quantity: str) -> str:
    if quantity in ("params", "macs", "flops"):
        rows = [r for r in report.rows if getattr(r, quantity)]
        total = getattr(report.totals, quantity)
        if len(rows) > 12:
            return f"{quantity} = the sum over {len(rows)} layers = {total:,}"
        return f"{quantity} = {' + '.join(_substituted(r, quantity) for r in rows)} = {total:,}"
    if quantity == "activation_bytes":
        return (f"input {report.totals.input_bytes:,} + each new tensor's bytes = {report.totals.activation_bytes:,}")
    last = report.rows[-1]
    return f"the last layer, {last.layer}: {last.formula}"


def _layer_working(row: Row, quantity: str) -> str:
    if quantity == "activation_bytes":
        return f"{'·'.join(map(str, row.output_shape))} elements × bytes per element = {row.activation_bytes:,}"
    if quantity == "receptive_field":
        return "each layer adds (effective kernel − 1) × the product of the strides before it"
    if row.spec is None:
        return row.formula
    steps = _steps(row)
    if quantity == "output_shape":  # the output-size equations (O = …), as the working shows them
        found = [s.text() for s in steps if s.symbolic.startswith("O") or s.quantity == "output"]
    else:
        found = [s.text() for s in steps if s.quantity == _STEP_OF.get(quantity)]
    return "; ".join(found) or row.formula


def check_question(question: dict[str, Any], number: int) -> list[Mark]:
    """Mark every answer of one ``[[question]]``."""
    qid = str(question.get("id", f"question {number}"))
    where = f"question {number}" + (f" ({question['id']})" if "id" in question else "")
    for key in question:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            raise AnswersError(f"{where}: unknown key {key!r}" + (f"; did you mean {close[0]}?" if close else
                                                                   f"; the keys are {', '.join(KEYS)}"))
    if ("spec" in question) == ("model" in question):
        raise AnswersError(f"{where}: give the network as spec (layer calls) or model (a zoo name), one of them")
    if not any(q in question for q in QUANTITIES):
        raise AnswersError(f"{where}: no answer to check; give one of {', '.join(QUANTITIES)}")
    for key in ("spec", "model", "input"):
        if key in question and not isinstance(question[key], str):
            raise AnswersError(f"{where}: {key} must be text, got {question[key]!r}")
    batch = question.get("batch", 1)
    try:
        if "spec" in question:
            from .parsing import parse_spec

            spec = parse_spec(question["spec"], name=qid)
            r = resolve(spec, question.get("input"))
        else:
            r = resolve(question["model"], question.get("input"))
        from .walk import analyze

        report = analyze(r.net, r.shape, batch=batch, model=r.name, notes=r.notes)
    except SpecError as error:
        raise AnswersError(f"{where}: {error}") from None
    except ShapeError as error:
        raise AnswersError(f"{where}: {error}") from None
    row = _row(report, question.get("layer"), where)
    marks = []
    for quantity in QUANTITIES:
        if quantity not in question:
            continue
        given = question[quantity]
        label = f"{where}, {quantity}"
        if quantity in ("output_shape", "receptive_field"):
            truth_shape = (row.output_shape if row else report.output_shape) if quantity == "output_shape" else (
                (row or report.rows[-1]).receptive_field or ())
            answer = parse_shape_answer(given, label)
            if quantity == "receptive_field" and len(answer) == 1 and len(truth_shape) > 1:
                answer = answer * len(truth_shape)  # "11" for an 11×11 field
            note = ""
            ok = answer == tuple(truth_shape)
            if not ok and quantity == "output_shape" and len(answer) > 1 and (answer[-1], *answer[:-1]) == tuple(truth_shape):
                ok, note = True, "read as H×W×C"
            working = "" if ok else (_layer_working(row, quantity) if row else _network_working(report, quantity))
            marks.append(Mark(qid, quantity, "×".join(map(str, answer)), "×".join(map(str, truth_shape)), ok, working, note))
            continue
        amount = parse_amount(given, label)
        truth = getattr(row, quantity) if row else getattr(report.totals, quantity)
        ok = amount.matches(truth)
        shown = f"{truth:,}" if amount.half_step == 0 else f"{truth:,} ({amount.rounded(truth)})"
        working = "" if ok else (_layer_working(row, quantity) if row else _network_working(report, quantity))
        marks.append(Mark(qid, quantity, amount.text, shown, ok, working))
    return marks


def check_file(path: str | Path) -> list[Mark]:
    """Every answer in an answers file, marked; AnswersError for a file that cannot be read."""
    p = Path(path)
    text = read_user_file(p, "an answers file (TOML)", AnswersError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnswersError(f"{p} is not valid TOML: {error}") from None
    questions = data.get("question")
    extra = sorted(set(data) - {"question"})
    if extra:
        raise AnswersError(f"{p}: unknown table or key {extra[0]!r}; questions go in [[question]] tables")
    if not isinstance(questions, list) or not questions:
        raise AnswersError(f"{p} has no [[question]] tables")
    marks: list[Mark] = []
    for number, question in enumerate(questions, 1):
        if not isinstance(question, dict):
            raise AnswersError(f"{p}: question {number} is not a table")
        try:
            marks += check_question(question, number)
        except AnswersError as error:
            raise AnswersError(f"{p}: {error}") from None
    return marks

