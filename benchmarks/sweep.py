"""``cc.from_torch`` over real networks nobody here wrote, against torch and the peer tools (a benchmark, never a CI test).

    python benchmarks/sweep.py                          # every model, every tool (long: real CPU forwards)
    python benchmarks/sweep.py --no-tools               # speed and unsupported ops only
    python benchmarks/sweep.py --only 'resnet*' --limit 5 --tools torch,fvcore
    python benchmarks/sweep.py --json sweep.json        # written after each model; a rerun resumes from it
    python benchmarks/sweep.py --every 3 --time from_torch,meta --no-tools    # a sample, speed only
    python benchmarks/sweep.py --json sweep.json --report                     # the lines and summary again
    python benchmarks/sweep.py --tools torch --time ''                        # params, torch profile, unsupported ops only

The networks: every torchvision classification, segmentation and video builder
(``torchvision.models.list_models`` of ``torchvision.models``, ``.segmentation`` and ``.video``), and one
timm model per architecture family: per module ``timm.models.<module>`` (``timm.list_modules()``), the
first name ``timm.list_models(module=...)`` lists (alphabetical; the same pick the other sweeps of issue
17 use). Never any weights: torchvision's builders get ``weights=None`` (segmentation also
``weights_backbone=None``), timm's ``pretrained=False``.

Neither library is a dependency of convcalc, and torchvision's wheel here is built for the CUDA torch,
whose compiled operators do not load against the CPU build. So this script INSTALLS TORCHVISION AND
TIMM WITHOUT THEIR DEPENDENCIES into scratch folders (torchvision through
``benchmarks/check_torchvision_zoo.py``'s ``install``: the release built for the installed torch;
timm pinned to ``TIMM_VERSION``; ``pip install --no-deps --target``, nothing else on the machine
changes) and imports torchvision with ITS COMPILED-OPERATOR REGISTRATION SKIPPED
(``torchvision._meta_registrations`` replaced by an empty module): the models need none of those
operators (nms, roi_align, deform_conv2d belong to detection, which is not swept). The run says so
in its first line.

Inputs (batch 1): classification 3×224×224 (inception_v3 3×299×299); segmentation 3×520×520 (the
size torchvision's segmentation weights resize to), the tensor under ``"out"`` of the output dict;
video 3×16×C×C with C the crop of the builder's default weights' transforms (112, or 224 for MViT,
S3D and Swin3D); timm: the model's ``pretrained_cfg["input_size"]``.

Per model it reports:

- params: ``cc.from_torch``'s total against ``sum(p.numel() for p in model.parameters())``;
- each profile against its real tool (``tests/other_tools.py`` runs them: ``torch`` is
  FlopCounterMode, then torchinfo, fvcore, thop, ptflops): ``=`` equal, ``~`` differs but the
  profile is flagged not exact (``Profile.inexact``), ``X`` differs unflagged, ``!`` the tool
  failed. FlopCounterMode runs on the meta model (any size, in seconds; on the CPU torch would take
  its fast paths for attention and LSTMs, whose fused kernels it counts as 0). The other tools need
  real tensors: they get the same model built on the CPU (weights initialised as the builder does)
  and a CPU tensor of zeros of the input size, in eval mode;
- the unsupported rows and their kinds: ``module:Name`` for a leaf module convcalc has no formula
  for, ``aten.op`` for an operation;
- time, side by side in the same process, the median of ``--repeat`` runs each:
  ``from_torch`` = ``cc.from_torch(model, input_shape)`` of the model built on the meta device (its
  copy, hooks, forward and report; the first call, which imports and fills caches, is a warm-up
  and not timed); ``meta`` = a BARE META FORWARD: the same model, already on the meta device and in
  eval mode, called once on a meta tensor of the input size under ``torch.no_grad()`` — no copy,
  no hooks, no dispatch mode, nothing recorded: the floor any shape-only counter has to pay;
  ``torchinfo`` = ``torchinfo.summary(model, input_data=x, verbose=0)`` as users call it, on the
  CPU model with a real CPU forward (its default), torch on ``--threads`` threads (default 1: the
  from_torch and meta runs are one Python thread, and on a shared machine more threads only wait for
  each other). Both the wall time and this process's CPU time are kept (``time``, ``cpu_time``): on a
  loaded machine the CPU time is the steadier of the two. The ratios from_torch/torchinfo and
  from_torch/meta are per model; the summary gives their medians;
- peak memory, where ``--memory`` is given: the peak of Python's heap (tracemalloc) during one
  more from_torch call (meta tensors hold no data, so this is convcalc's own bookkeeping).

It prints one line per model and a summary block (counts and medians; the README's "Speed" section
shows it). Timings are wall time on whatever else the machine is doing: say so beside them.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMM_VERSION = "1.0.22"
TOOLS = ("torch", "torchinfo", "fvcore", "thop", "ptflops")
TIMES = ("from_torch", "torchinfo", "meta")

sys.path[:0] = [str(HERE), str(ROOT / "tests")]
from check_torchvision_zoo import import_torchvision, install, out_tensor, torchvision_version  # noqa: E402


def install_timm(site: Path, version: str = TIMM_VERSION) -> None:
    """timm alone (no dependencies) into ``site``, unless that version is there already."""
    if (site / f"timm-{version}.dist-info").exists():
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), f"timm=={version}"], check=True)


def import_timm(site: Path) -> Any:
    sys.path.insert(0, str(site))
    import timm

    return timm


def models(tv: Any, timm: Any) -> list[tuple[str, str, Callable[[], Any], tuple[int, ...]]]:
    """(name, source, build, per-sample input shape) for every network swept; ``build`` makes the module
    on the current default device."""
    import torchvision.models as M

    out: list[tuple[str, str, Callable[[], Any], tuple[int, ...]]] = []
    for name in M.list_models(module=M):
        size = 299 if name == "inception_v3" else 224
        out.append((name, "torchvision", lambda n=name: M.get_model(n, weights=None), (3, size, size)))
    for name in M.list_models(module=M.segmentation):
        out.append((name, "torchvision.segmentation",
                    lambda n=name: out_tensor(M.get_model(n, weights=None, weights_backbone=None)), (3, 520, 520)))
    for name in M.list_models(module=M.video):
        crop = M.get_model_weights(name).DEFAULT.transforms.keywords["crop_size"]
        out.append((name, "torchvision.video", lambda n=name: M.get_model(n, weights=None), (3, 16, *crop)))
    for module in timm.list_modules():
        names = timm.list_models(module=module)
        if not names:
            continue
        name = names[0]
        cfg = timm.models.get_pretrained_cfg(name)
        size = tuple(cfg.input_size) if cfg is not None else (3, 224, 224)
        out.append((name, f"timm.{module}", lambda n=name: timm.create_model(n, pretrained=False), size))
    return out


def _median_times(runs: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall time and the median CPU time of this process (every thread of it) of each run, the runs
    interleaved (a, b, c, a, b, c, …) so that a change in the machine's load falls on all of them alike."""
    wall: dict[str, list[float]] = {key: [] for key in runs}
    cpu: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(repeat):
        for key, run in runs.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[key].append(time.process_time() - start_cpu)
            wall[key].append(time.perf_counter() - start)
    return ({key: statistics.median(values) for key, values in wall.items() if values},
            {key: statistics.median(values) for key, values in cpu.items() if values})


def _kinds(report: Any) -> list[str]:
    """The unsupported kinds of a report: ``module:Name`` (a leaf module without a formula) or ``aten.op``."""
    kinds = []
    for row in report.unsupported:
        module = next((w.split("the module ", 1)[1].split()[0].rstrip(";:,") for w in row.warnings if "no formula for the module" in w), None)
        kinds.append(f"module:{module}" if module else row.formula if row.formula.startswith("aten.") else row.kind)
    return kinds


def measure(name: str, build: Callable[[], Any], shape: tuple[int, ...], tools: list[str], times: list[str],
            repeat: int, memory: bool) -> dict[str, Any]:
    import torch

    import convcalc as cc
    from convcalc.torch_bridge.capture import meta_autocast  # (autocast for the meta device taken as the CPU's,
    # as from_torch takes it: EfficientViT turns autocast off for its tensors' device, which torch refuses for
    # "meta"; the bare meta forward and FlopCounterMode run under it too, and count the same)

    record: dict[str, Any] = {"input": list(shape)}
    try:
        with torch.device("meta"):
            meta = build().eval()
    except NotImplementedError:  # a builder that reads data while it builds (regnet's widths): on the CPU, then moved
        meta = build().to("meta").eval()
        record["built"] = "on the CPU, then moved to the meta device"
    torch_params = sum(p.numel() for p in meta.parameters())
    record["torch_params"] = torch_params
    x_meta = torch.empty(1, *shape, device="meta")
    try:
        report = cc.from_torch(meta, shape)  # the warm-up, and the report the figures come from
    except Exception as error:  # noqa: BLE001 (any failure is a result)
        record["error"] = f"from_torch: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return record
    record["params"] = report.totals.params
    record["rows"] = len(report.rows)
    kinds = _kinds(report)
    record["unsupported_rows"] = len(kinds)
    record["unsupported"] = dict(Counter(kinds))
    comparison = report.comparison
    record["profiles"] = {tool: comparison[tool].total for tool in TOOLS}
    record["exact"] = {tool: comparison[tool].exact for tool in TOOLS}

    if "torch" in tools:  # FlopCounterMode on the meta model: any size, and torch's standard path (its CPU fast
        import other_tools  # paths for attention and fused LSTMs run kernels it counts as 0)

        learned = [p for p in meta.parameters() if p.requires_grad]
        try:  # (without gradients: FlopCounterMode's module tracker asserts on a module that returns a parameter
            for p in learned:  # as it is, as CaiT's and PiT's class tokens are; the count is the same)
                p.requires_grad_(False)
            with meta_autocast():
                record.setdefault("tools", {})["torch"] = other_tools.flop_counter_mode(meta, x_meta)
        except Exception as error:  # noqa: BLE001
            record.setdefault("tools", {})["torch"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
        finally:
            for p in learned:
                p.requires_grad_(True)
    tools = [tool for tool in tools if tool != "torch"]

    runs: dict[str, Callable[[], Any]] = {}
    if "from_torch" in times:
        runs["from_torch"] = lambda: cc.from_torch(meta, shape)
    if "meta" in times:
        def bare() -> None:
            with torch.no_grad(), meta_autocast():
                meta(x_meta)

        bare()  # (its warm-up)
        runs["meta"] = bare
    if memory:
        gc.collect()
        tracemalloc.start()
        cc.from_torch(meta, shape)
        record["from_torch_peak_heap"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    if tools or "torchinfo" in times:
        import other_tools

        torch.manual_seed(0)
        try:
            cpu = build().eval()
        except Exception as error:  # noqa: BLE001
            record["tool_error"] = f"building on the CPU: {type(error).__name__}: {error}"[:300]
            cpu = None
        if cpu is not None:
            x = torch.zeros(1, *shape)
            record.setdefault("tools", {})
            for tool in tools:
                try:
                    record["tools"][tool] = other_tools.TOOLS[tool](cpu, x)
                except Exception as error:  # noqa: BLE001 (a tool that cannot run this model)
                    record["tools"][tool] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
            if "torchinfo" in times:
                import torchinfo

                def info(model: Any = cpu, data: Any = x) -> None:
                    torchinfo.summary(model, input_data=data, verbose=0)

                try:
                    info()  # (its warm-up; a model torchinfo cannot run is not timed)
                    runs["torchinfo"] = info
                except Exception as error:  # noqa: BLE001
                    record["torchinfo_time_error"] = f"{type(error).__name__}: {error}"[:200]
    record["time"], record["cpu_time"] = _median_times(runs, repeat)
    return record


def _verdict(record: dict[str, Any], tool: str) -> str:
    """``=`` the profile equals the tool, ``~`` it differs and is flagged not exact, ``X`` differs unflagged,
    ``!`` the tool failed, ``.`` not run."""
    theirs = record.get("tools", {}).get(tool)
    if theirs is None:
        return "."
    if isinstance(theirs, str):
        return "!"
    if record["profiles"][tool] == theirs:
        return "="
    return "~" if not record["exact"][tool] else "X"


def line(name: str, record: dict[str, Any]) -> str:
    if "error" in record:
        return f"{name:<34} ERROR {record['error']}"
    ok = "=" if record["params"] == record["torch_params"] else "X"
    verdicts = "".join(_verdict(record, t) for t in TOOLS)
    t = record.get("time", {})
    ft, ti, me = t.get("from_torch"), t.get("torchinfo"), t.get("meta")

    def ms(v: float | None) -> str:
        return f"{v * 1000:8.1f}" if v is not None else "       -"

    ratios = (f" ft/ti {ft / ti:5.2f}" if ft and ti else " ft/ti    -") + (f" ft/meta {ft / me:5.2f}" if ft and me else " ft/meta    -")
    unsupported = record["unsupported_rows"]
    kinds = ",".join(sorted(record["unsupported"]))
    return (f"{name:<34} params {record['torch_params']:>12,} {ok} profiles {verdicts} rows {record['rows']:>5} "
            f"ms: from_torch {ms(ft)} torchinfo {ms(ti)} meta {ms(me)}{ratios} unsupported {unsupported}"
            + (f" ({kinds})" if kinds else ""))


def summary(results: dict[str, dict[str, Any]], tools: list[str]) -> str:
    done = {n: r for n, r in results.items() if "error" not in r}
    unbuilt = sorted(n for n, r in results.items() if r.get("error", "").startswith("building"))
    failed = sorted(n for n, r in results.items() if "error" in r and n not in unbuilt)
    out = [f"models: {len(results)}, analysed {len(done)}, from_torch failed on {len(failed)}"
           + (f" ({', '.join(failed)})" if failed else "")
           + (f"; {len(unbuilt)} did not build ({', '.join(unbuilt)})" if unbuilt else "")]
    out.append(f"params equal to torch's: {sum(r['params'] == r['torch_params'] for r in done.values())} of {len(done)}")
    for tool in tools:
        verdicts = Counter(_verdict(r, tool) for r in done.values())
        ran = sum(verdicts[v] for v in "=~X")
        out.append(f"{tool:<9} profile = tool on {verdicts['=']} of {ran}, flagged not exact {verdicts['~']}, "
                   f"differs unflagged {verdicts['X']}; tool failed on {verdicts['!']}")
    clean = sum(r["unsupported_rows"] == 0 for r in done.values())
    kinds: Counter[str] = Counter()
    for r in done.values():
        kinds.update(r["unsupported"].keys())
    out.append(f"no unsupported row: {clean} of {len(done)} ({100 * clean / max(len(done), 1):.0f}%); "
               f"{len(kinds)} unsupported kinds" + (": " + ", ".join(f"{k} ({n})" for k, n in kinds.most_common(12)) if kinds else ""))
    for clock, label in (("time", "wall"), ("cpu_time", "CPU")):
        times = [r.get(clock, {}) for r in done.values()]
        for key in TIMES:
            values = [t[key] for t in times if key in t]
            if values:
                out.append(f"median {key:<10} {1000 * statistics.median(values):8.1f} ms {label} over {len(values)} models "
                           f"(max {1000 * max(values):.0f} ms)")
        for a, b in (("from_torch", "torchinfo"), ("from_torch", "meta")):
            ratios = [t[a] / t[b] for t in times if t.get(a) and t.get(b)]
            if ratios:
                out.append(f"median {a}/{b} ({label}): {statistics.median(ratios):.2f} over {len(ratios)} models "
                           f"(from_torch slower on {sum(x > 1 for x in ratios)}, over 1.25× on {sum(x > 1.25 for x in ratios)})")
    ft = sorted(((r["time"]["from_torch"], n) for n, r in done.items() if "from_torch" in r.get("time", {})), reverse=True)
    if ft:
        out.append(f"from_torch over 1 s: {sum(s > 1 for s, _ in ft)}; slowest: "
                   + ", ".join(f"{n} {s * 1000:.0f} ms" for s, n in ft[:5]))
    peaks = [r["from_torch_peak_heap"] for r in done.values() if "from_torch_peak_heap" in r]
    if peaks:
        out.append(f"from_torch peak Python heap: median {statistics.median(peaks) / 2**20:.1f} MiB, max {max(peaks) / 2**20:.1f} MiB")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="fnmatch pattern(s) of model names (repeatable)")
    parser.add_argument("--every", type=int, default=1, help="a sample: every N-th model of the list (after --only)")
    parser.add_argument("--limit", type=int, help="at most this many models (after --only)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"real tools to hold the profiles to (default {','.join(TOOLS)})")
    parser.add_argument("--no-tools", action="store_true", help="no profile checks: speed and unsupported ops only")
    parser.add_argument("--time", default=",".join(TIMES), help=f"what to time (default {','.join(TIMES)}; '' none)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, their median reported (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch's intra-op threads for the real CPU forwards (default 1)")
    parser.add_argument("--memory", action="store_true", help="also from_torch's peak Python heap (tracemalloc)")
    parser.add_argument("--json", type=Path, help="results file, written after each model; models already in it are skipped")
    parser.add_argument("--report", action="store_true", help="measure nothing: print the lines and summary of the models in --json")
    parser.add_argument("--tv-site", type=Path, default=Path("/tmp/tvsite"), help="scratch folder for torchvision")
    parser.add_argument("--timm-site", type=Path, default=Path("/tmp/timmsite"), help="scratch folder for timm")
    args = parser.parse_args(argv)
    tools = [] if args.no_tools else [t for t in args.tools.split(",") if t]
    times = [t for t in args.time.split(",") if t]
    if bad := [t for t in tools if t not in TOOLS] + [t for t in times if t not in TIMES]:
        parser.error(f"unknown tool or timing {', '.join(bad)}; choose from {', '.join(TOOLS)} / {', '.join(TIMES)}")

    import warnings

    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(args.threads)
    install(args.tv_site, torchvision_version(torch.__version__))
    install_timm(args.timm_site)
    tv = import_torchvision(args.tv_site)
    timm = import_timm(args.timm_site)
    import torchvision

    import convcalc as cc

    print(f"torch {torch.__version__}, torchvision {torchvision.__version__} (installed without dependencies; its compiled-"
          f"operator registration skipped: the models need none), timm {timm.__version__}; convcalc from "
          f"{Path(cc.__file__).parent}; {os.cpu_count()} CPUs, torch on {torch.get_num_threads()} thread(s), Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    chosen = models(tv, timm)
    if args.only:
        chosen = [m for m in chosen if any(fnmatch.fnmatch(m[0], p) for p in args.only)]
    chosen = chosen[::max(args.every, 1)]
    if args.limit is not None:
        chosen = chosen[:args.limit]
    results: dict[str, dict[str, Any]] = {}
    if args.json and args.json.exists():
        results = json.loads(args.json.read_text(encoding="utf-8")).get("models", {})
    for name, source, build, shape in chosen:
        if args.report:
            if name in results:
                print(line(name, results[name]))
            continue
        if name in results:
            print(line(name, results[name]) + "  (from the JSON)", flush=True)
            continue
        try:
            record = measure(name, build, shape, tools, times, args.repeat, args.memory)
        except Exception as error:  # noqa: BLE001 (the model does not build: a result too)
            record = {"input": list(shape), "error": f"building: {type(error).__name__}: {error}"[:300]}
        record["source"] = source
        results[name] = record
        print(line(name, record), flush=True)
        if args.json:
            tmp = args.json.with_suffix(".tmp")
            tmp.write_text(json.dumps({"convcalc": str(Path(cc.__file__).parent), "models": results}, indent=1), encoding="utf-8")
            tmp.replace(args.json)
    swept = {name: results[name] for name, *_ in chosen if name in results}
    print()
    print(summary(swept, tools or [t for t in TOOLS if any(t in r.get("tools", {}) for r in swept.values())]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
