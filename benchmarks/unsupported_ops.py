"""Which operations real networks run that ``cc.from_torch`` lists as unsupported (a study, never a CI test).

    PYTHONPATH=. python benchmarks/unsupported_ops.py [--tvsite /tmp/tvsite] [--timmsite /tmp/timmsite]
                                                      [--only PATTERN] [--json OUT]

torchvision and timm are no dependencies of convcalc: point ``--tvsite``/``--timmsite`` at folders they were
unpacked into WITHOUT THEIR DEPENDENCIES (see benchmarks/check_torchvision_zoo.py for how). torchvision's
compiled-operator registration is replaced by an empty module before import (its models need none of
those operators). Every torchvision classification, segmentation and video builder (``weights=None``) and the
first model ``timm.list_models(module=M)`` names for each module M of ``timm.models`` (``pretrained=False``)
is built on the meta device and read with ``cc.from_torch`` only (no other tool runs, nothing is timed):
per model, the kinds of its unsupported rows and its warnings, and whether its parameters are torch's count and
its ``torch`` profile FlopCounterMode's total (one more meta forward; ``--no-flops`` skips it). The summary
counts models with unsupported rows and the kinds, over all models.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

#: Input per sample of the torchvision builders that need one other than 3×224×224.
_TV_INPUTS = {"inception_v3": (3, 299, 299), "googlenet": (3, 224, 224)}


def _torchvision(site: str) -> Any:
    sys.path.insert(0, site)
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision.models as tvm

    return tvm


def models(tvsite: str, timmsite: str) -> list[tuple[str, Any, tuple[int, ...]]]:
    """(name, builder of the module, input per sample) for each model of the study."""
    out: list[tuple[str, Any, tuple[int, ...]]] = []
    tvm = _torchvision(tvsite)
    for package, shape in ((tvm, (3, 224, 224)), (tvm.segmentation, (3, 224, 224)), (tvm.video, (3, 16, 224, 224))):
        for name in tvm.list_models(module=package):
            extra = {"aux_logits": False, "init_weights": False} if name in ("inception_v3", "googlenet") else {}
            if package is tvm.segmentation:
                extra = {"weights_backbone": None, "aux_loss": False}
            out.append((f"tv.{name}", lambda n=name, e=extra: tvm.get_model(n, weights=None, **e), _TV_INPUTS.get(name, shape)))
    sys.path.insert(0, timmsite)
    import timm

    for module in timm.list_modules():
        names = timm.list_models(module=module)
        if not names:
            continue
        name = names[0]
        cfg = timm.models.get_pretrained_cfg(name)
        shape = tuple(cfg.input_size) if cfg is not None and cfg.input_size else (3, 224, 224)
        out.append((f"timm.{name}", lambda n=name: timm.create_model(n, pretrained=False), shape))
    return out


def _label(row: Any) -> str:
    """``module:Name`` for a module convcalc has no class for, else ``aten:op``."""
    for warning in row.warnings:
        found = re.search(r"no formula for the module (\w+)", warning)
        if found:
            return f"module:{found.group(1)}"
    return f"aten:{row.kind}"


def _flop_counter(module: Any, shape: tuple[int, ...]) -> int:
    """FlopCounterMode's total over one forward of ``module`` on the meta device, in eval mode."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    meta = module.to("meta").eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        meta(torch.empty(1, *shape, device="meta"))
    return int(counter.get_total_flops())


def _build(build: Any) -> Any:
    """The model, built on the meta device where its constructor allows, else on the CPU (RegNet's
    initialisation copies data)."""
    import torch

    try:
        with torch.device("meta"):
            return build()
    except NotImplementedError:
        return build()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tvsite", default="/tmp/tvsite")
    parser.add_argument("--timmsite", default="/tmp/timmsite")
    parser.add_argument("--only", help="a regular expression the model's name must match")
    parser.add_argument("--json", type=Path, help="write the per-model findings here")
    parser.add_argument("--no-flops", dest="flops", action="store_false",
                        help="skip holding the torch profile to FlopCounterMode (one more meta forward per model)")
    args = parser.parse_args(argv)


    import convcalc as cc

    findings: dict[str, Any] = {}
    kinds: collections.Counter[str] = collections.Counter()  # kind -> models
    rows_of: collections.Counter[str] = collections.Counter()  # kind -> rows
    for name, build, shape in models(args.tvsite, args.timmsite):
        if args.only and not re.search(args.only, name):
            continue
        try:
            module = _build(build)
            report = cc.from_torch(module, shape)
        except Exception as error:  # noqa: BLE001 - a study: say what failed and go on
            findings[name] = {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
            print(f"{name:40} ERROR {findings[name]['error'][:150]}", flush=True)
            continue
        params = sum(p.numel() for p in module.parameters())
        try:
            torch_flops = _flop_counter(module, shape) if args.flops else None
        except Exception:  # noqa: BLE001 - FlopCounterMode's own module tracker fails on some models (timm's cait)
            torch_flops = None
        mismatch = [f"params {report.totals.params} vs torch {params}"] if report.totals.params != params else []
        if torch_flops is not None and report.profiles()["torch"] != torch_flops:
            mismatch.append(f"torch profile {report.profiles()['torch']} vs FlopCounterMode {torch_flops}")
        bad = collections.Counter(_label(r) for r in report.rows if r.unsupported)
        warnings = collections.Counter(w.split(";")[0] for r in report.rows for w in r.warnings)
        findings[name] = {"rows": len(report.rows), "unsupported": dict(bad), "warnings": dict(warnings), "mismatch": mismatch}
        for kind, n in bad.items():
            kinds[kind] += 1
            rows_of[kind] += n
        print(f"{name:40} rows {len(report.rows):5} unsupported {sum(bad.values()):4} {dict(bad) if bad else ''}"
              f"{' MISMATCH ' + '; '.join(mismatch) if mismatch else ''}", flush=True)
    analysed = [f for f in findings.values() if "error" not in f]
    print(f"\n{len(findings)} models, {len(analysed)} analysed, {sum(1 for f in analysed if f['unsupported'])} with unsupported rows, "
          f"{len(kinds)} kinds; params or torch profile off on {sum(1 for f in analysed if f['mismatch'])}")
    for kind, n in kinds.most_common():
        print(f"  {kind:45} {n:4} models {rows_of[kind]:6} rows")
    if args.json:
        args.json.write_text(json.dumps(findings, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
