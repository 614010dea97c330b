"""``verify``: run the network in torch and hold every row to what torch saw.

For each leaf row: the output shape a forward hook saw, the module's parameter
count, and for convolutions, linear and recurrent layers the FLOPs of
torch.utils.flop_counter.FlopCounterMode, 2 per multiply-accumulate (torch counts no other layer, so the
other rows are held to shape and parameters only; of a recurrent layer it counts the matrix products,
run one by one: see :func:`decomposed_rnn`).
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..api import resolve
from ..errors import DeviceError
from ..inputs import Input
from ..layers.base import Leaf, Shape
from ..report import Report
from ..walk import analyze
from .build import to_torch
from .modules import standard_path


def counted(row: Any) -> bool:
    """Whether FlopCounterMode counts this row's FLOPs: its layer class says so (convolutions, linear, attention)."""
    return row.spec is not None and type(row.spec).flop_counter


def counter_flops(row: Any) -> int:
    """What FlopCounterMode counts of a row it counts: 2 per multiply-accumulate (the row's FLOPs for conv and linear;
    attention's FLOPs also hold its softmax (and windowed attention its scaling), a recurrent layer's its gates'
    elementwise work, which torch does not count; its layer's ``counted_macs`` says which of its MACs torch runs as
    counted products)."""
    spec = row.spec
    if spec is None or type(spec).counted_macs is Leaf.counted_macs:  # (every MAC: the whole batch's, as the row has them)
        return 2 * row.macs
    return 2 * spec.counted_macs(row.input_shape, row.macs // row.batch) * row.batch


@dataclass(frozen=True)
class Check:
    """One figure from convcalc and from torch; ``theirs`` None when torch does not count it."""

    ours: Any
    theirs: Any

    @property
    def ok(self) -> bool:
        return self.theirs is None or self.ours == self.theirs


@dataclass(frozen=True)
class VerifyRow:
    index: int
    path: str
    kind: str
    shape: Check
    params: Check
    flops: Check

    @property
    def ok(self) -> bool:
        return self.shape.ok and self.params.ok and self.flops.ok


@dataclass(frozen=True)
class VerifyReport:
    """convcalc's rows beside torch's: ``ok`` when every figure agrees."""

    model: str | None
    input_shape: Shape
    batch: int
    device: str
    torch_version: str
    rows: tuple[VerifyRow, ...]
    params: Check
    flops: Check
    layout: str = "chw"  # how shapes are shown ("hwc": channels last); the fields stay channels first
    input_dtype: str | None = None  # the input's element type where it was given one (ids: "int64")

    @property
    def ok(self) -> bool:
        return self.params.ok and self.flops.ok and all(r.ok for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        def check(c: Check) -> dict[str, Any]:
            return {"convcalc": list(c.ours) if isinstance(c.ours, tuple) else c.ours,
                    "torch": list(c.theirs) if isinstance(c.theirs, tuple) else c.theirs, "ok": c.ok}

        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch": self.batch, "device": self.device,
            "torch": self.torch_version, "ok": self.ok, "layout": self.layout,
            "totals": {"params": check(self.params), "flops_conv_linear": check(self.flops)},
            "rows": [{"index": r.index, "path": r.path, "kind": r.kind, "ok": r.ok, "output_shape": check(r.shape),
                      "params": check(r.params), "flops": check(r.flops)} for r in self.rows],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render(self, fmt: str = "table", *, human: bool = False) -> str:
        """The comparison as ``table``, ``markdown``, ``latex``, ``html``, ``csv`` or ``json`` text."""
        from ..rendering import render, verification

        return render(verification(self), fmt, human)

    def __str__(self) -> str:
        return self.render("table")


def torch_device(device: str) -> torch.device:
    """The device asked for, refusing one this torch cannot use (never a silent CPU run)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise DeviceError(f"unknown device {device!r}; use cpu, meta, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {device!r} asked for, but torch {torch.__version__} sees no CUDA GPU here; "
                              "use --device cpu, or meta to check shapes without memory")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(f"device {device!r} asked for, but torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    elif dev.type not in ("cpu", "meta"):
        raise DeviceError(f"device {device!r} is not supported; use cpu, meta, cuda or cuda:N")
    return dev


@contextlib.contextmanager
def decomposed_rnn(module: torch.nn.Module) -> Iterator[None]:
    """Where ``module`` holds an ``nn.RNN``/``LSTM``/``GRU``: oneDNN (CPU) and cuDNN (CUDA) off, so torch runs their
    matrix products one by one, which FlopCounterMode counts (their fused kernels it counts as 0). Other modules run
    as they always do (a convolution is counted alike either way, and runs faster with them)."""
    if not any(isinstance(m, torch.nn.RNNBase) for m in module.modules()):
        yield
        return
    with warnings.catch_warnings():  # (switching oneDNN warns about TF32 on Intel GPUs, which do not matter here)
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False), torch.backends.cudnn.flags(enabled=False):
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                yield


def _first_tensor(value: Any) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else _first_tensor(value[0])


def verify_report(report: Report, module: torch.nn.Module, device: torch.device) -> VerifyReport:
    """Run ``module`` on ``device`` and hold each row of ``report`` to what torch saw."""
    seen: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    names = {id(m): name for name, m in module.named_modules()}  # first name, as FlopCounterMode uses
    handles: dict[int, Any] = {}  # one hook per module, however many rows it serves
    for row in report.rows:
        sub = module.get_submodule(row.path)
        if id(sub) not in handles:
            handles[id(sub)] = sub.register_forward_hook(
                lambda m, i, out: seen[id(m)].append(tuple(_first_tensor(out).shape[1:])))
    first = report.rows[0].spec if report.rows else None
    given = report.inputs[0].dtype if report.inputs else None  # (ids: int64 or int32, where an Embedding comes first)
    dtype = getattr(torch, given or (type(first).input_dtype if first is not None else None) or "float32")
    x = torch.zeros(report.batch, *report.input_shape, device=device, dtype=dtype)
    try:
        with torch.no_grad(), decomposed_rnn(module), standard_path(), FlopCounterMode(display=False) as counter:
            module(x)  # (attention and recurrent layers as the products FlopCounterMode counts: see standard_path)
    finally:
        for handle in handles.values():
            handle.remove()
    flop_counts = counter.get_flop_counts()
    root = type(module).__name__

    def torch_flops(sub: torch.nn.Module) -> int:
        name = names[id(sub)]
        return int(sum(flop_counts.get(f"{root}.{name}" if name else root, {}).values()))

    calls: dict[int, int] = defaultdict(int)
    ours_per_module: dict[int, int] = defaultdict(int)
    for row in report.rows:
        ours_per_module[id(module.get_submodule(row.path))] += counter_flops(row)
    rows = []
    for row in report.rows:
        sub = module.get_submodule(row.path)
        call = calls[id(sub)]
        calls[id(sub)] += 1
        shapes = seen[id(sub)]
        theirs_shape = shapes[call] if call < len(shapes) else "not run"
        theirs_params = sum(p.numel() for p in sub.parameters()) if call == 0 else 0
        if counted(row) and call == 0:  # a module called twice: both calls are summed on its first row
            flops = Check(ours_per_module[id(sub)], torch_flops(sub))
        else:
            flops = Check(row.flops, None)
        rows.append(VerifyRow(row.index, row.path, row.kind, Check(row.output_shape, theirs_shape),
                              Check(row.params, theirs_params), flops))
    ours_counted = sum(counter_flops(r) for r in report.rows if counted(r))
    return VerifyReport(
        model=report.model, input_shape=report.input_shape, batch=report.batch, device=str(device),
        torch_version=torch.__version__, rows=tuple(rows),
        params=Check(report.totals.params, sum(p.numel() for p in module.parameters())),
        flops=Check(ours_counted, int(counter.get_total_flops())), layout=report.layout, input_dtype=given,
    )


def verify(net_or_name: Any, input_shape: Shape | str | Input | None = None, device: str = "cpu", batch: int = 1,
           layout: str | None = None) -> VerifyReport:
    """Build the network in torch, run it on ``device`` (cpu, cuda, cuda:N or meta) and compare
    (the input read as :func:`convcalc.api.resolve` reads it; torch runs it channels first)."""
    dev = torch_device(device)
    r = resolve(net_or_name, input_shape, layout)
    report = analyze(r.net, r.shape, batch=batch, model=r.name, notes=r.notes, layout=r.layout, inputs=r.inputs)
    with torch.device("meta" if dev.type == "meta" else "cpu"):
        module = to_torch(r.net, r.shape)
    return verify_report(report, module.to(dev), dev)
