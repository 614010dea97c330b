"""``cc.from_torch(..., train=True)`` over real networks nobody here wrote, against torch (a benchmark, never a CI test).

    python benchmarks/train_sweep.py --every 4                 # a sample of benchmarks/sweep.py's networks
    python benchmarks/train_sweep.py --only 'resnet*' --json train.json

The networks are benchmarks/sweep.py's (every torchvision classification, segmentation and video builder, one timm
model per family), built the same way: TORCHVISION AND TIMM ARE INSTALLED WITHOUT THEIR DEPENDENCIES into scratch
folders and torchvision's compiled-operator registration is skipped (the models need none); the run says so in its
first line. Per model, at batch 2 and the model's own input size:

- saved: from_torch's saved activation bytes against ``saved_tensors_hooks`` over a real CPU forward in train mode
  (tests/training_oracle.py: storages once, parameters and buffers left out);
- torch: the ``torch`` profile of the training step against FlopCounterMode over the forward and the backward of
  the meta model (``sum()`` of the output);
- the time from_torch takes for the training step, beside its inference pass.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]


def measure(build: Any, shape: tuple[int, ...], batch: int) -> dict[str, Any]:
    import torch
    import training_oracle as oracle

    import convcalc as cc
    from convcalc.torch_bridge.capture import meta_autocast

    record: dict[str, Any] = {"input": list(shape), "batch": batch}
    torch.manual_seed(0)
    cpu = build()
    x = torch.randn(batch, *shape)
    try:
        with meta_autocast():
            start = time.perf_counter()
            report = cc.from_torch(cpu, shape, batch=batch, train=True)
            record["from_torch_train_s"] = time.perf_counter() - start
            start = time.perf_counter()
            cc.from_torch(cpu, shape, batch=batch)
            record["from_torch_s"] = time.perf_counter() - start
    except Exception as error:  # noqa: BLE001 (any failure is a result)
        record["error"] = f"from_torch: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
        return record
    record["saved"] = report.totals.saved_activation_bytes
    record["torch"] = report.profiles()["torch"]
    record["unmodelled"] = sum(1 for w in report.warnings if "training model" in w)
    try:
        record["hooks"] = oracle.saved_bytes(cpu, x)
    except Exception as error:  # noqa: BLE001
        record["hooks_error"] = f"{type(error).__name__}: {error}"[:200]
    try:
        with meta_autocast():
            record["flop_counter"] = oracle.step_flops(build, x.to("meta"))
    except Exception as error:  # noqa: BLE001
        record["flop_counter_error"] = f"{type(error).__name__}: {error}"[:200]
    return record


def line(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{name:<34} ERROR {r['error']}"
    saved = "=" if r.get("hooks") == r["saved"] else "!" if "hooks" not in r else "X"
    flops = "=" if r.get("flop_counter") == r["torch"] else "!" if "flop_counter" not in r else "X"
    diff = "" if saved != "X" else f" saved {r['saved'] - r['hooks']:+,} B"
    diff += "" if flops != "X" else f" torch {r['torch'] - r['flop_counter']:+,}"
    return (f"{name:<34} saved {saved} torch {flops}{diff}  from_torch train {r['from_torch_train_s'] * 1000:7.0f} ms, "
            f"inference {r['from_torch_s'] * 1000:7.0f} ms" + (f"; {r['unmodelled']} rows without a training model" if r["unmodelled"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="fnmatch pattern(s) of model names (repeatable)")
    parser.add_argument("--every", type=int, default=1, help="a sample: every N-th model of the list")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--json", type=Path, help="results file, written after each model; models in it are skipped")
    parser.add_argument("--tv-site", type=Path, default=Path("/tmp/tvsite"))
    parser.add_argument("--timm-site", type=Path, default=Path("/tmp/timmsite"))
    args = parser.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore")
    import torch
    from check_torchvision_zoo import import_torchvision, install, torchvision_version
    from sweep import import_timm, install_timm, models

    torch.set_num_threads(1)
    install(args.tv_site, torchvision_version(torch.__version__))
    install_timm(args.timm_site)
    tv = import_torchvision(args.tv_site)
    timm = import_timm(args.timm_site)
    import torchvision

    print(f"torch {torch.__version__}, torchvision {torchvision.__version__} (installed without dependencies; its compiled-operator "
          f"registration skipped: the models need none), timm {timm.__version__}", flush=True)
    chosen = models(tv, timm)
    if args.only:
        chosen = [m for m in chosen if any(fnmatch.fnmatch(m[0], p) for p in args.only)]
    chosen = chosen[::max(args.every, 1)]
    results: dict[str, dict[str, Any]] = json.loads(args.json.read_text())["models"] if args.json and args.json.exists() else {}
    for name, source, build, shape in chosen:
        if name not in results:
            try:
                results[name] = {"source": source, **measure(build, shape, args.batch)}
            except Exception as error:  # noqa: BLE001 (the model does not build: a result too)
                results[name] = {"source": source, "error": f"building: {type(error).__name__}: {error}"[:300]}
            if args.json:
                args.json.write_text(json.dumps({"models": results}, indent=1))
        print(line(name, results[name]), flush=True)
    done = [results[n] for n, *_ in chosen if "error" not in results[n]]
    print(f"\nmodels {len(chosen)}, analysed {len(done)}; saved bytes = saved_tensors_hooks on "
          f"{sum(r.get('hooks') == r['saved'] for r in done)} of {sum('hooks' in r for r in done)}; torch profile = "
          f"FlopCounterMode forward+backward on {sum(r.get('flop_counter') == r['torch'] for r in done)} of "
          f"{sum('flop_counter' in r for r in done)}; rows without a training model in {sum(r['unmodelled'] > 0 for r in done)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
