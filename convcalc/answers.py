"""Checking homework answers: a TOML file of questions, each answer marked on its own.

A value is an exact integer (``760``, ``"1,536,000"``) or a rounded one (``"38K"``, ``"3.3M"``,
``"138M"``, ``"1.5G"``, ``"0.54 million"``, ``"42.2 MFLOPs"``, ``"4.6 GMACs"``, ``"93MB"``,
``"1.2 GB"``, ``"561MB"``, ``"12 MiB"``), judged at its stated precision: ``3.3M`` claims
3,250,000 ≤ value < 3,350,000, so it is wrong for 3,539,968. ``KB``/``MB``/``GB``/``TB`` are read
both ways courses use them (10³ⁿ and 2¹⁰ⁿ bytes) and the mark says which reading matched;
``KiB``/``MiB``/``GiB`` are binary only, ``K``/``M``/``G`` decimal only.

Verdicts: right (✓), wrong (✗, with the working, and what the source probably did where a common
slip gives its figure), close (≈: a rounded answer off by no more than 0.5%, the most a sum of terms
each rounded to 3 significant figures can be off; not counted wrong) and unreadable (?: the question
or answer cannot be read or computed; the rest of the file is still marked). ``convcalc check`` exits
0 when nothing is wrong or unreadable, 1 otherwise, 2 when the file itself cannot be read.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import AnswersError, ConvCalcError
from .layers.base import Step
from .layout import check_layout, shown
from .parsing import read_user_file
from .records import record, replace
from .report import Report, Row

#: What a question may ask, each a key of its own.
COUNTS = ("params", "trainable_params", "non_trainable_params", "macs", "flops", "flops_with_bias", "bias_adds",
          "neurons", "activation_bytes", "inference_peak_bytes", "param_bytes")
SHAPES = ("output_shape", "receptive_field", "padding", "stride")
QUANTITIES = ("output_shape", "params", "trainable_params", "non_trainable_params", "macs", "flops", "flops_with_bias",
              "bias_adds", "neurons", "activation_bytes", "inference_peak_bytes", "param_bytes", "receptive_field",
              "padding", "stride")
#: How a question says what it asks about.
SETTINGS = ("id", "spec", "model", "input", "layout", "layer", "batch", "dtype", "flops_per_mac", "tolerance")
KEYS = (*SETTINGS, *QUANTITIES)
BYTES = ("activation_bytes", "inference_peak_bytes", "param_bytes")
#: The share a rounded answer may be off and still be "close": a sum of terms each rounded to 3
#: significant figures is off by at most half a unit in the third figure of the largest, 0.5%.
CLOSE = Decimal("0.005")

_PREFIX = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "thousand": 10**3, "million": 10**6,
           "millions": 10**6, "billion": 10**9, "billions": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_KIND = {"": "", "B": "bytes", "byte": "bytes", "bytes": "bytes", "FLOPs": "flops", "FLOPS": "flops", "FLOP": "flops",
         "flops": "flops", "MACs": "macs", "MAC": "macs", "macs": "macs", "MACS": "macs", "MAdds": "macs",
         "params": "params", "parameters": "params", "neurons": "neurons"}
_AMOUNT = re.compile(r"(?P<number>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)\s*"
                     r"(?P<prefix>thousand|millions?|billions?|Ki|Mi|Gi|Ti|[kKMGT]?)\s*(?P<kind>[A-Za-z]*)")
_UNIT_NAMES = {"flops": "FLOPs", "macs": "MACs"}
_WRITE = "write 760, '1,536,000', '38K', '3.3M', '42.2 MFLOPs', '4.6 GMACs', '93MB' or '12 MiB'"


@record
class Amount:
    """An answer's value and how precisely it was given: ``3.3M`` is 3,300,000 ± 50,000.

    ``readings`` are the scales the unit may mean (``MB``: 10⁶ and 2²⁰ bytes), each with its name;
    ``kind`` what the unit counts (``flops``, ``macs``, ``bytes``; empty: a plain number)."""

    text: str
    number: Decimal
    places: int  # decimal places written; -1 for an exact whole number
    readings: tuple[tuple[str, int], ...]
    kind: str = ""
    unit: str = ""  # the unit as written after the number (" MFLOPs", "MB")

    def reading(self, truth: int) -> str | None:
        """The name of the first reading under which this answer claims ``truth``, or None."""
        for name, scale in self.readings:
            value, half = self.number * scale, self.half_step(scale)
            if (Decimal(truth) == value) if half == 0 else (value - half <= truth < value + half):
                return name
        return None

    def matches(self, truth: int) -> bool:
        return self.reading(truth) is not None

    def half_step(self, scale: int) -> Decimal:
        return Decimal(0) if self.places < 0 else Decimal(5) * scale / Decimal(10) ** (self.places + 1)

    @property
    def exact(self) -> bool:
        return self.places < 0

    def value(self) -> Decimal:
        """What it claims, in its first reading."""
        return self.number * self.readings[0][1]

    def within(self, truth: int, share: Decimal) -> str | None:
        """The reading under which it lies within ``share`` of ``truth`` (a relative tolerance), or None."""
        for name, scale in self.readings:
            if truth and abs(self.number * scale - truth) <= share * abs(truth):
                return name
            if not truth and self.number == 0:
                return name
        return None

    def rounded(self, truth: int) -> str:
        """The truth written at this answer's precision, in its first reading (``3.5M``, ``562MB``)."""
        if self.exact:
            return f"{truth:,}"
        scale = self.readings[0][1]
        return f"{Decimal(truth) / scale:.{self.places}f}{self.unit}"


def parse_amount(value: Any, where: str) -> Amount:
    """An answer's number: an int, or text such as ``38K``, ``3.3M``, ``1,536,000``, ``42.2 MFLOPs``, ``93MB``."""
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise AnswersError(f"{where}: give a whole number or text such as '3.3M', got {value!r}")
    if isinstance(value, float):
        value = repr(value)  # 3.5 in TOML: as written, its decimals are its precision
    if isinstance(value, int):
        if value < 0:
            raise AnswersError(f"{where}: a count is never negative, got {value}")
        return Amount(str(value), Decimal(value), -1, (("", 1),))
    text = value.strip()
    match = _AMOUNT.fullmatch(text)
    if not match or match["kind"] not in _KIND:
        hint = ""
        if match:
            close = difflib.get_close_matches(match["kind"], [k for k in _KIND if k], n=1)
            hint = f" ({match['kind']!r} is no unit convcalc knows" + (f"; did you mean {close[0]!r}?)" if close else ")")
        raise AnswersError(f"{where}: cannot read {value!r}{hint}; {_WRITE}")
    number, prefix, kind = match["number"].replace(",", ""), match["prefix"], _KIND[match["kind"]]
    if prefix in ("K", "M", "G", "T", "k") and kind == "bytes":
        # KB, MB, GB: decimal by the SI, binary in many courses; either reading, the decimal one first
        power = {"k": 1, "K": 1, "M": 2, "G": 3, "T": 4}[prefix]
        readings: tuple[tuple[str, int], ...] = ((f"{prefix}B = 10^{3 * power} bytes", 10 ** (3 * power)),
                                                 (f"{prefix}B = 2^{10 * power} bytes", 2 ** (10 * power)))
    else:
        readings = ((prefix, _PREFIX[prefix]),)
    places = len(number.split(".")[1]) if "." in number else 0
    if places == 0 and prefix == "":
        places = -1  # "1,536,000" or "760 FLOPs": exact
    return Amount(value, Decimal(number), places, readings, kind, text[len(match["number"]):])


def parse_sizes(value: Any, where: str, what: str = "a shape as [32, 24, 24] or '32x24x24'", zero: bool = False) -> tuple[int, ...]:
    """Sizes as an answer gives them: a list of ints, an int, or text (``32x24x24``, ``(2, 2)``); ``zero``: 0 is a size."""
    from .parsing import parse_shape

    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, str):
        try:
            return parse_shape(value)
        except ConvCalcError as error:
            sizes = re.split(r"\s*[x×X*,]\s*", value.strip().strip("()[]").strip())
            if zero and all(re.fullmatch(r"[0-9]{1,9}", p) for p in sizes):  # a padding may be 0, which no shape holds
                return tuple(int(p) for p in sizes)
            raise AnswersError(f"{where}: {error}") from None
    raise AnswersError(f"{where}: give {what}, got {value!r}")


parse_shape_answer = parse_sizes


@record
class Mark:
    """One answer, marked: its ``status`` (``right``, ``close``, ``wrong``, ``unreadable``), the given
    and the true value, the working for a wrong one and a note (a reading, a slip)."""

    question: str
    quantity: str
    given: str
    truth: str
    ok: bool
    working: str = ""
    note: str = ""
    status: str = ""  # "" for marks made as before: right when ok, else wrong

    @property
    def verdict(self) -> str:
        return self.status or ("right" if self.ok else "wrong")

    def __str__(self) -> str:
        verdict = self.verdict
        if verdict == "unreadable":
            return f"? unreadable: {self.working}"
        glyph = {"right": "✓", "close": "≈", "wrong": "✗"}[verdict]
        head = f"{glyph} {self.question} {self.quantity}: {self.given}"
        if verdict in ("right", "close"):
            return f"{head} (true {self.truth})" + (f"  [{self.note}]" if self.note else "")
        return f"{head}, true {self.truth}" + (f"\n    {self.working}" if self.working else "") + (
            f"\n    probably: {self.note}" if self.note else "")


def unreadable(question: str, quantity: str, message: str) -> Mark:
    """The mark of a question or answer that cannot be read or computed: neither right nor wrong."""
    return Mark(question, quantity, "", "", False, message, status="unreadable")


# --- which rows a question asks about ----------------------------------------------------------------


def _one_row(report: Report, layer: Any, where: str) -> Row:
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


def _rows(report: Report, layer: Any, where: str) -> tuple[Row, ...] | None:
    """The rows a question asks about: one (a row number or path), several (a list: their sum), or
    None for the whole network (a network of one row is that row)."""
    if layer is None:
        return (report.rows[0],) if len(report.rows) == 1 else None
    if isinstance(layer, list):
        if not layer:
            raise AnswersError(f"{where}: layer = [] names no layer; give row numbers or paths")
        rows = tuple(_one_row(report, item, where) for item in layer)
        if len({r.index for r in rows}) != len(rows):
            raise AnswersError(f"{where}: layer names a row twice")
        return rows
    return (_one_row(report, layer, where),)


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
    if step is None or row.batch != 1:
        return f"{int(getattr(row, quantity)):,}"
    return f"({step.substituted})" if "+" in step.substituted else step.substituted


# --- the figures -------------------------------------------------------------------------------------


def _keras(report: Report, rows: tuple[Row, ...] | None) -> dict[str, int]:
    """Keras' parameter view of the rows (or the network): total, trainable, non-trainable."""
    if rows is None:
        return report.keras_params()
    return replace(report, rows=rows, leaf_rows=None, leaf_warnings=None).keras_params()


def _figure(report: Report, rows: tuple[Row, ...] | None, quantity: str, per_mac: int) -> int:
    """The true count a quantity asks for: of the network, of one row, or summed over rows."""
    if quantity in ("trainable_params", "non_trainable_params"):
        view = _keras(report, rows)
        return view["trainable" if quantity == "trainable_params" else "non_trainable"]
    if quantity == "inference_peak_bytes":
        peak = report.totals.inference_peak_bytes
        if peak is None:
            raise AnswersError("the inference peak needs the data flow, which this report does not have")
        return peak
    if quantity in ("flops", "flops_with_bias") and per_mac == 1:
        return _figure(report, rows, quantity, 2) - _figure(report, rows, "macs", 2)
    if rows is None:
        t = report.totals
        return int(getattr(t, quantity))
    if quantity == "param_bytes":
        return sum(r.params for r in rows) * report.dtype_bytes
    return sum(int(getattr(r, quantity)) for r in rows)


def _working(report: Report, rows: tuple[Row, ...] | None, quantity: str, per_mac: int) -> str:
    """How the truth comes about, in one line (the formulas with the numbers in, where there are few)."""
    t = report.totals
    if quantity in ("flops", "flops_with_bias") and per_mac == 1:
        return (f"with a multiply-add counted as one FLOP: FLOPs − MACs = {_figure(report, rows, quantity, 2):,} − "
                f"{_figure(report, rows, 'macs', 2):,} = {_figure(report, rows, quantity, 1):,}")
    if quantity in ("trainable_params", "non_trainable_params"):
        view = _keras(report, rows)
        return (f"as Keras counts them: {view['total']:,} parameters, {view['trainable']:,} trainable and "
                f"{view['non_trainable']:,} non-trainable (batch-norm moving statistics, frozen weights)")
    if quantity == "inference_peak_bytes":
        return (f"the most activation memory live at once, each tensor freed after its last use: {t.peak_activation_bytes:,} "
                f"bytes, plus parameters and buffers ({t.params:,} + {t.buffers:,})·{report.dtype_bytes} bytes = "
                f"{t.inference_peak_bytes:,}")
    if quantity == "flops_with_bias":
        return (f"FLOPs + bias additions = {_figure(report, rows, 'flops', 2):,} + {_figure(report, rows, 'bias_adds', 2):,} = "
                f"{_figure(report, rows, quantity, 2):,}")
    if quantity == "param_bytes":
        return (f"parameters × bytes per element = {_figure(report, rows, 'params', 2):,}·{report.dtype_bytes} = "
                f"{_figure(report, rows, quantity, 2):,}")
    if quantity == "activation_bytes" and rows is None:
        return f"input {t.input_bytes:,} + each new tensor's bytes (all kept, as training keeps them) = {t.activation_bytes:,}"
    if quantity == "activation_bytes" and len(rows or ()) == 1:
        row = (rows or ())[0]
        return f"{'·'.join(map(str, row.output_shape))} elements × batch {row.batch} × bytes per element = {row.activation_bytes:,}"
    if quantity == "neurons" and rows is None:
        counted = [r for r in report.leaves if r.macs]
        terms = " + ".join(f"{r.neurons:,}" for r in counted) if len(counted) <= 12 else f"the sum over {len(counted)} layers"
        return f"output elements of the layers with weights (conv, linear): {terms} = {t.neurons:,}"
    if quantity == "neurons":
        return " + ".join(f"{'·'.join(map(str, r.output_shape))}·{r.batch}" if r.batch != 1 else "·".join(map(str, r.output_shape))
                          for r in rows or ()) + f" output elements = {_figure(report, rows, quantity, 2):,}"
    if quantity == "bias_adds":
        biased = [r for r in (rows or report.leaves) if r.bias_adds]
        if not biased:
            return "no layer here has a bias"
        return f"one per output element of each layer with a bias: {' + '.join(f'{r.bias_adds:,}' for r in biased)}"
    chosen = [r for r in (rows if rows is not None else report.rows) if getattr(r, quantity)]
    total = _figure(report, rows, quantity, 2)
    if len(chosen) == 1 and rows is not None:
        steps = [s.text() for s in _steps(chosen[0]) if s.quantity == _STEP_OF.get(quantity)]
        if steps and chosen[0].batch == 1:
            return "; ".join(steps)
    if len(chosen) > 12:
        return f"{quantity} = the sum over {len(chosen)} layers = {total:,}"
    return f"{quantity} = {' + '.join(_substituted(r, quantity) for r in chosen) or '0'} = {total:,}"


def _slips(report: Report, rows: tuple[Row, ...] | None, quantity: str, per_mac: int, amount: Amount,
           others: Callable[[], list[tuple[Report, str]]]) -> str:
    """What the source probably did, where a common slip gives exactly the figure it wrote."""
    def fig(q: str, r: Report = report, pm: int = per_mac, rs: tuple[Row, ...] | None = rows) -> int | None:
        try:
            return _figure(r, rs, q, pm)
        except (AnswersError, ConvCalcError, AttributeError):
            return None

    t = report.totals
    candidates: list[tuple[int | None, str]] = []
    if quantity == "macs":
        candidates.append((fig("flops", pm=2), "these are the FLOPs (2 per multiply-accumulate); MACs are half"))
    if quantity == "flops" and per_mac == 2:
        candidates.append((fig("macs"), "these are the MACs; FLOPs count a multiply-add as 2 (if the source counts it "
                                        "as 1, say flops_per_mac = 1)"))
        candidates.append((fig("flops", pm=1), "the source counts a multiply-add as one FLOP: say flops_per_mac = 1"))
    if quantity == "flops" and per_mac == 1:
        candidates.append((fig("macs"), "these are the MACs alone; with flops_per_mac = 1 the other operations (pools, "
                                        "activations, norms) still count, one FLOP each"))
        candidates.append((fig("flops", pm=2), "a multiply-add is counted as 2 FLOPs here: drop flops_per_mac = 1"))
    if quantity == "flops":
        candidates.append((fig("flops_with_bias"), "the bias additions are included: that is flops_with_bias"))
    if quantity == "flops_with_bias":
        candidates.append((fig("flops"), "the bias additions are left out: that is flops"))
    if quantity in ("params", "param_bytes"):
        weights = sum(r.weights for r in (rows if rows is not None else report.rows))
        scale = report.dtype_bytes if quantity == "param_bytes" else 1
        candidates.append((weights * scale, "the biases are left out (weights only)"))
        mac_biases = sum(r.biases for r in (rows if rows is not None else report.rows) if r.macs)
        candidates.append(((_figure(report, rows, "params", 2) - mac_biases) * scale,
                           "the conv and linear biases are left out"))
    if quantity == "activation_bytes" and rows is None:
        candidates.append((t.activation_bytes - t.input_bytes, "the input is left out"))
        candidates.append((t.activation_bytes - t.input_bytes - sum(r.activation_bytes for r in report.rows if r.activation_bytes
                           and r.spec is not None and type(r.spec).family == "activation"),
                           "the activation functions' outputs are left out (as if in place)"))
    if quantity == "inference_peak_bytes":
        candidates.append((t.peak_activation_bytes, "the parameters are left out (activations only)"))
        candidates.append((t.activation_bytes + t.param_bytes, "all activations are kept, as training keeps them"))
        candidates.append((t.activation_bytes, "all activations are kept and the parameters left out"))
    if quantity == "params":
        candidates.append((fig("trainable_params"), "only the trainable ones (Keras' trainable count)"))
        candidates.append((report.keras_params()["total"] if rows is None else None,
                           "Keras' count: batch-norm moving statistics are parameters there"))
    if report.batch > 1 and quantity not in ("params", "param_bytes", "trainable_params", "non_trainable_params"):
        value = fig(quantity)
        candidates.append((None if value is None else value // report.batch, f"for one sample; the batch is {report.batch}"))
    for other, why in others():
        candidates.append((fig(quantity, r=other, rs=None if rows is None else _same_rows(other, rows)), why))
    for value, why in candidates:
        if value is not None and value != fig(quantity) and amount.matches(value):
            return why
    if amount.kind == "bytes" and len(amount.readings) == 1 and amount.readings[0][1] > 1:
        scale = amount.readings[0][1]
        other_scale = {10**3: 2**10, 10**6: 2**20, 10**9: 2**30, 2**10: 10**3, 2**20: 10**6, 2**30: 10**9}.get(scale)
        truth = fig(quantity)
        if other_scale and truth is not None and replace(amount, readings=(("", other_scale),)).matches(truth):
            binary = other_scale & (other_scale - 1) == 0
            return (f"10^n and 2^n mixed up: with {'binary (2^10 = 1024)' if binary else 'decimal (10^3 = 1000)'} units "
                    "the figure is right")
    return ""


def _same_rows(other: Report, rows: tuple[Row, ...]) -> tuple[Row, ...] | None:
    """The rows of another reading of the same network at the same places (None if the rows differ)."""
    if len(other.rows) < max(r.index for r in rows):
        return None
    return tuple(other.rows[r.index - 1] for r in rows)


# --- one question ------------------------------------------------------------------------------------


def _network(question: dict[str, Any], base: Path | None) -> Any:
    """The network a question names: spec text, a spec file (by path, next to the answers file first),
    or a model (a zoo name or a spec file)."""
    from .parsing import parse_spec, read_spec_file

    if "spec" in question:
        text = question["spec"]
        path = _file(text, base)
        if path is not None:
            return read_spec_file(path)
        if text.strip().endswith((".txt", ".spec", ".py")) and "\n" not in text.strip():
            raise AnswersError(f"spec {text!r} names no file" + (f" (looked in {base} and here)" if base else ""))
        return parse_spec(text, name=str(question.get("id", "spec")))
    model = question["model"]
    path = _file(model, base)
    return str(path) if path is not None else model


def _file(text: str, base: Path | None) -> Path | None:
    """The file ``text`` names, relative to the answers file's folder first, then to the working one."""
    name = text.strip()
    if not name or "\n" in name or len(name) > 4096:
        return None
    for folder in ([base] if base else []) + [Path(".")]:
        candidate = folder / name
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


def _settings(question: dict[str, Any], where: str) -> tuple[int, int, Decimal | None, str | None, str]:
    """batch, flops_per_mac, tolerance (a share), layout and dtype of a question, checked."""
    batch = question.get("batch", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise AnswersError(f"{where}: batch must be a whole number ≥ 1, got {batch!r}")
    per_mac = question.get("flops_per_mac", 2)
    if per_mac not in (1, 2) or isinstance(per_mac, bool):
        raise AnswersError(f"{where}: flops_per_mac is 2 (a multiply-add is 2 FLOPs, as torch counts) or 1 (the source "
                           f"counts it as one FLOP), got {per_mac!r}")
    tolerance = None
    if "tolerance" in question:
        given = question["tolerance"]
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", given) if isinstance(given, str) else None
        if not match:
            raise AnswersError(f"{where}: tolerance is a percentage such as '1%', got {given!r}")
        tolerance = Decimal(match[1]) / 100
    try:
        layout = check_layout(question.get("layout"))
    except ConvCalcError as error:
        raise AnswersError(f"{where}: {error}") from None
    dtype = question.get("dtype", "float32")
    if not isinstance(dtype, str):
        raise AnswersError(f"{where}: dtype is text such as 'float16', got {dtype!r}")
    return batch, per_mac, tolerance, layout, dtype


def _report(question: dict[str, Any], where: str, base: Path | None, layout: str | None, batch: int,
            dtype: str) -> tuple[Report, bool, Callable[[], list[tuple[Report, str]]]]:
    """The question's report, whether its layout was said (by the question, or by the spec text: an
    ``input … hwc`` line, Keras layers), and (when asked: only a wrong answer needs them) the other
    readings of its input that a slip would give: channels swapped."""
    from .api import resolve
    from .walk import analyze

    given = question.get("input")
    if isinstance(given, list):
        given = tuple(given)
    try:
        network = _network(question, base)
        r = resolve(network, given, layout=layout)
        report = analyze(r.net, r.shape, batch=batch, dtype=dtype, model=r.name, notes=r.notes, functional=r.functional)
    except ConvCalcError as error:
        raise AnswersError(f"{where}: {error}") from None
    report = replace(report, layout=r.layout)
    explicit = layout is not None or getattr(network, "layout", None) is not None  # the question or the text says

    def others() -> list[tuple[Report, str]]:
        found: list[tuple[Report, str]] = []
        if given is None or len(r.shape) < 3:
            return found
        for other in ("chw", "hwc"):
            try:
                o = resolve(network, given, layout=other)
                if o.shape != r.shape:
                    found.append((analyze(o.net, o.shape, batch=batch, dtype=dtype),
                                  f"channels swapped: the input read as {'C×H×W' if other == 'chw' else 'H×W×C'} "
                                  f"({'×'.join(map(str, o.shape))} channels first) gives this"))
            except ConvCalcError:
                pass
        return found

    return report, explicit, others


def _shape_mark(qid: str, quantity: str, given: Any, label: str, report: Report, rows: tuple[Row, ...] | None,
                explicit: bool) -> Mark:
    if rows is not None and len(rows) > 1:
        raise AnswersError(f"{label}: a sum over layers has no {quantity.replace('_', ' ')}; ask one layer")
    row = rows[0] if rows else None
    layout = report.layout
    if quantity in ("padding", "stride"):
        return _window_mark(qid, quantity, given, label, row if row is not None else _only_window(report, label, quantity))
    if quantity == "output_shape":
        truth = shown(row.output_shape if row else report.output_shape, layout)
    else:
        truth = tuple((row or report.rows[-1]).receptive_field or ())
    answer = parse_sizes(given, label)
    if quantity == "receptive_field" and len(answer) == 1 and len(truth) > 1:
        answer = answer * len(truth)  # "11" for an 11×11 field
    note = ""
    ok = answer == tuple(truth)
    other = "chw" if layout == "hwc" else "hwc"
    swapped = quantity == "output_shape" and len(answer) > 1 and answer == shown(row.output_shape if row else report.output_shape, other)
    if not ok and swapped and not explicit:
        ok, note = True, f"read as {'H×W×C' if other == 'hwc' else 'C×H×W'}"
    working = ""
    if not ok:
        working = _shape_working(report, row, quantity)
        if swapped:
            note = (f"channels swapped: this is the shape written {'H×W×C' if other == 'hwc' else 'C×H×W'}; the question's "
                    f"layout is {layout}")
    return Mark(qid, quantity, "×".join(map(str, answer)), "×".join(map(str, truth)), ok, working, note,
                status="right" if ok else "wrong")


def _shape_working(report: Report, row: Row | None, quantity: str) -> str:
    if quantity == "receptive_field":
        return "each layer adds (effective kernel − 1) × the product of the strides before it"
    if row is None:
        last = report.rows[-1]
        return f"the last layer, {last.layer}: {last.formula}"
    return _row_working(row)


def _row_working(row: Row) -> str:
    """The output-size equations (O = …) of a row, as the working shows them."""
    found = [s.text() for s in _steps(row) if s.symbolic.startswith("O") or s.quantity == "output"]
    return "; ".join(found) or row.formula


def _only_window(report: Report, label: str, quantity: str) -> Row:
    windows = [r for r in report.rows if r.window() is not None]
    if len(windows) != 1:
        raise AnswersError(f"{label}: say which layer's {quantity} (layer = a row number or path); "
                           f"{len(windows)} layers here have one")
    return windows[0]


def _window_mark(qid: str, quantity: str, given: Any, label: str, row: Row) -> Mark:
    window = row.window()
    if window is None:
        raise AnswersError(f"{label}: {row.where} has no {quantity}; ask a conv or pool layer")
    pads, strides = window
    truth_text = "×".join(str(l) if l == r else f"({l}+{r})" for l, r in pads) if quantity == "padding" else "×".join(map(str, strides))
    if quantity == "stride":
        answer = parse_sizes(given, label, "a number, or one per dim as [2, 2] or '2x2'")
        if len(answer) == 1 and len(strides) > 1:
            answer = answer * len(strides)
        ok = answer == strides
        given_text = "×".join(map(str, answer))
        note = ""
    else:
        sides = _padding_answer(given, label, len(pads))
        if len(sides) == 1 and len(pads) > 1:
            sides = sides * len(pads)
        # a number per dim is each side's padding, or, where the sides differ, their total; a pair is (before, after)
        ok = len(sides) == len(pads) and all(
            v == (l, r) if isinstance(v, tuple) else v == (l if l == r else l + r) for v, (l, r) in zip(sides, pads))
        given_text = "×".join(f"({v[0]}+{v[1]})" if isinstance(v, tuple) else str(v) for v in sides)
        note = "" if all(l == r for l, r in pads) else "uneven: " + ", ".join(
            f"{l} before and {r} after" for l, r in dict.fromkeys(pads)) + (" per dim" if len(set(pads)) == 1 and len(pads) > 1 else "")
    working = "" if ok else f"{row.layer}: " + _row_working(row)
    return Mark(qid, quantity, given_text, truth_text, ok, working, note if ok else "", status="right" if ok else "wrong")


_SIDES = re.compile(r"\(\s*(\d{1,9})\s*\+\s*(\d{1,9})\s*\)|(\d{1,9})")


def _padding_answer(given: Any, label: str, ndim: int) -> tuple[int | tuple[int, int], ...]:
    """A padding answer: a number, one per dim (``2x2``, ``[2, 2]``), sides per dim as convcalc shows them
    (``(0+1)x(0+1)``) or as pairs (``[[0, 1], [0, 1]]``), or torch's padding-layer tuple, last dim first
    (``(1, 2, 3, 4)``: left 1, right 2, top 3, bottom 4)."""
    if isinstance(given, list) and given and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v)
            for v in given):
        return tuple((v[0], v[1]) for v in given)
    if isinstance(given, str) and "+" in given:
        parts = re.split(r"\s*[x×X*]\s*", given.strip())
        found = [_SIDES.fullmatch(p) for p in parts]
        if all(found):
            return tuple((int(m[1]), int(m[2])) if m[1] else int(m[3]) for m in found if m)
        raise AnswersError(f"{label}: cannot read {given!r}; write a padding as 2, '2x2', '(0+1)x(0+1)' or [[0, 1], [0, 1]]")
    sizes = parse_sizes(given, label, "a number, one per dim as [2, 2] or '2x2', or sides as '(0+1)x(0+1)'", zero=True)
    if ndim > 1 and len(sizes) == 2 * ndim:  # torch's F.pad / nn.ZeroPad2d order: the last dim's two sides first
        return tuple((sizes[2 * (ndim - 1 - d)], sizes[2 * (ndim - 1 - d) + 1]) for d in range(ndim))
    return sizes


def _count_mark(qid: str, quantity: str, given: Any, label: str, report: Report, rows: tuple[Row, ...] | None,
                per_mac: int, tolerance: Decimal | None, others: Callable[[], list[tuple[Report, str]]]) -> Mark:
    amount = parse_amount(given, label)
    truth = _figure(report, rows, quantity, per_mac)
    notes = []
    expected_kind = {"macs": "macs", "flops": "flops", "flops_with_bias": "flops", "params": "params",
                     "trainable_params": "params", "non_trainable_params": "params", "neurons": "neurons"}.get(
                         quantity, "bytes" if quantity in BYTES else "")
    if amount.kind and amount.kind != expected_kind:
        if amount.kind == "bytes" or quantity in BYTES:
            raise AnswersError(f"{label}: {amount.text!r} is {'a size in bytes' if amount.kind == 'bytes' else 'not bytes'}; "
                               f"{quantity} is {'bytes' if quantity in BYTES else 'a count'}"
                               + ("; the parameters' memory is param_bytes" if quantity == "params" else ""))
        notes.append(f"the unit says {_UNIT_NAMES.get(amount.kind, amount.kind)}, the question asks {quantity}: "
                     f"judged as {quantity}")
    reading = amount.reading(truth)
    status = "right" if reading is not None else "wrong"
    if reading is None and tolerance is not None:
        reading = amount.within(truth, tolerance)
        if reading is not None:
            status = "right"
            notes.append(f"within the tolerance of {(tolerance * 100).normalize():f}%")
    if reading is None and not amount.exact:
        reading = amount.within(truth, CLOSE)
        if reading is not None:
            status = "close"
            off = abs(amount.value() - truth) / truth * 100 if truth else Decimal(0)
            notes.append(f"close: within {off:.2f}% (a source that rounds terms before adding them gets this)")
    if reading and "=" in reading:
        notes.append(f"read as {reading}")
    exact_truth = f"{truth:,}"
    truth_text = exact_truth if amount.exact else f"{exact_truth} ({amount.rounded(truth)})"
    working, slip = "", ""
    if status == "wrong":
        working = _working(report, rows, quantity, per_mac)
        slip = _slips(report, rows, quantity, per_mac, amount, others)
    note = "; ".join(([slip] if slip else []) + notes) if status == "wrong" else "; ".join(notes)
    return Mark(qid, quantity, amount.text, truth_text, status != "wrong", working, note, status=status)


def check_question(question: dict[str, Any], number: int, base: Path | None = None) -> list[Mark]:
    """Mark every answer of one ``[[question]]``: AnswersError when the question as a whole cannot be
    read or computed; one answer that cannot be read is an unreadable mark among the others."""
    qid = str(question.get("id", f"question {number}"))
    where = f"question {number}" + (f" ({question['id']})" if "id" in question else "")
    for key in question:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            raise AnswersError(f"{where}: unknown key {key!r}" + (f"; did you mean {close[0]}?" if close else
                                                                   f"; the keys are {', '.join(KEYS)}"))
    if ("spec" in question) == ("model" in question):
        raise AnswersError(f"{where}: give the network as spec (layer calls or a spec file) or model (a zoo name or a "
                           "spec file), one of them")
    if not any(q in question for q in QUANTITIES):
        raise AnswersError(f"{where}: no answer to check; give one of {', '.join(QUANTITIES)}")
    for key in ("spec", "model"):
        if key in question and not isinstance(question[key], str):
            raise AnswersError(f"{where}: {key} must be text, got {question[key]!r}")
    if "input" in question and not isinstance(question["input"], (str, list)):
        raise AnswersError(f"{where}: input is a shape such as '3x32x32' or [3, 32, 32], got {question['input']!r}")
    batch, per_mac, tolerance, layout, dtype = _settings(question, where)
    report, explicit, others = _report(question, where, base, layout, batch, dtype)
    rows = _rows(report, question.get("layer"), where)
    marks = []
    for quantity in (key for key in question if key in QUANTITIES):  # in the order the file asks them
        label = f"{where}, {quantity}"
        try:
            if quantity in SHAPES:
                marks.append(_shape_mark(qid, quantity, question[quantity], label, report, rows, explicit))
            else:
                if quantity == "inference_peak_bytes" and question.get("layer") is not None:
                    raise AnswersError(f"{label}: the inference peak is the whole network's; leave out layer")
                marks.append(_count_mark(qid, quantity, question[quantity], label, report, rows, per_mac, tolerance, others))
        except ConvCalcError as error:
            message = str(error)
            marks.append(unreadable(qid, quantity, message if message.startswith(where) else f"{label}: {message}"))
    return marks


def check_file(path: str | Path) -> list[Mark]:
    """Every answer in an answers file, marked; a question that cannot be read is an unreadable mark
    (naming the file and the question) and the others are still marked. AnswersError only for a
    file that cannot be read: missing, not TOML, or without questions."""
    p = Path(path)
    return check_text(read_user_file(p, "an answers file (TOML)", AnswersError), p)


def check_text(text: str, p: Path | str) -> list[Mark]:
    """The answers in ``text`` (TOML), marked as :func:`check_file` marks a file's; ``p`` names it in the marks, and
    its folder is where the files its questions name are found (the browser page: a name with no folder)."""
    p = Path(p)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnswersError(f"{p} is not valid TOML: {error}") from None
    questions = data.get("question")
    if not isinstance(questions, list) or not questions:
        extra = sorted(set(data) - {"question"})
        raise AnswersError(f"{p} has no [[question]] tables" + (f" (unknown table or key {extra[0]!r}; questions go in "
                                                                 "[[question]] tables)" if extra else ""))
    marks: list[Mark] = []
    for key in sorted(set(data) - {"question"}):
        marks.append(unreadable(str(p), key, f"{p}: unknown table or key {key!r}; questions go in [[question]] tables"))
    for number, question in enumerate(questions, 1):
        if not isinstance(question, dict):
            marks.append(unreadable(f"question {number}", "", f"{p}: question {number} is not a table"))
            continue
        qid = str(question.get("id", f"question {number}"))
        try:
            found = check_question(question, number, p.parent)
        except ConvCalcError as error:
            marks.append(unreadable(qid, "", f"{p}: {error}"))
            continue
        marks += [replace(m, working=f"{p}: {m.working}") if m.verdict == "unreadable" else m for m in found]
    return marks


def tally(marks: list[Mark]) -> tuple[str, int]:
    """The summary line of a marked file and the exit status: 0 when nothing is wrong or unreadable, else 1."""
    counts = {v: sum(m.verdict == v for m in marks) for v in ("right", "close", "wrong", "unreadable")}
    marked = counts["right"] + counts["close"] + counts["wrong"]
    line = f"{counts['right']} of {marked} right" + "".join(
        f", {counts[v]} {v}" for v in ("close", "wrong", "unreadable") if counts[v])
    return line, 1 if counts["wrong"] or counts["unreadable"] else 0

