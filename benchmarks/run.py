"""How fast convcalc answers, measured side by side with what it is compared to.

    python benchmarks/run.py                 # the full run (a few minutes); writes benchmarks/results.json
    python benchmarks/run.py --smoke         # tiny counts, to prove the script still runs (CI)
    python benchmarks/run.py --json out.json

Five measurements, each a median of repeated runs on this machine:
1. CLI cold start: ``convcalc summary alexnet`` against ``python -c pass``, and against
   torchinfo's summary of the same network written in torch (when torchinfo is installed).
2. In process: ``cc.summary(name)`` for every zoo model.
3. Depth: chains of 10 … 10,000 layers, every layer different (so nothing is served from a cache).
4. Input size: vgg16 at 224 … 10,000 pixels a side.
5. Peak memory of ``verify`` on the meta device: vgg16 at 4096×4096.
6. Pictures: ``report.draw()`` (its default style) and ``report.to_mermaid()`` for a few networks and a
   1,000-layer chain, the report made beforehand.

Timings belong here, not in the tests: the test suite only checks that this script runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: The targets of issues 6 and 14 (the CLI's start-up budget), checked at the end of a full run.
TARGETS = {
    "cli_vs_python": 8.0,           # convcalc summary alexnet, at most this many times `python -c pass`
    "cli_vs_torchinfo": 30.0,       # and at least this many times faster than torchinfo
    "resnet152_ms": 10.0,           # cc.summary("resnet152") in process
    "chain_10000_s": 1.0,           # a 10,000-layer chain
    "size_flat_ratio": 2.0,         # vgg16 at 10,000 px within this factor of vgg16 at 224
}

# AlexNet as CS231n's table gives it (convcalc's "alexnet"), in plain torch, for torchinfo.
TORCHINFO = """
import torch, torchinfo
from torch import nn
net = nn.Sequential(
    nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
    nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    nn.Flatten(), nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
    nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Linear(4096, 1000),
)
torchinfo.summary(net, input_size=(1, 3, 227, 227))
"""


def median_ms(samples: Sequence[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


# A child's peak memory (ru_maxrss) inherits the memory of the process that forked it, so every
# command is started by this small launcher, a fresh interpreter with nothing imported: the peak
# it reports is the command's own (or the launcher's ~10 MiB, whichever is larger).
_LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_process(argv: list[str]) -> tuple[float, int]:
    """Wall time (s) and peak resident memory (KiB) of one run of ``argv`` (its own, not the launcher's)."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *argv], capture_output=True, text=True, check=False)
    try:
        elapsed, rss, code = done.stdout.split()
    except ValueError:
        raise RuntimeError(f"the launcher failed: {done.stderr.strip()[-500:]}") from None
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}… exited {code}: {done.stderr.strip()[-500:]}")
    return float(elapsed), int(rss)


def processes(argv: list[str], runs: int) -> dict[str, float]:
    results = [run_process(argv) for _ in range(runs + 1)][1:]  # the first run only warms the disk cache
    return {"median_ms": median_ms([t for t, _ in results]), "peak_rss_mib": round(max(m for _, m in results) / 1024, 1)}


def convcalc_command() -> tuple[list[str], str]:
    """The installed ``convcalc`` script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("convcalc")
    if script.exists():
        return [str(script)], str(script)
    found = shutil.which("convcalc")
    if found:
        return [found], found
    return [sys.executable, "-m", "convcalc"], "python -m convcalc"


def cold_start(runs: int) -> dict[str, Any]:
    command, how = convcalc_command()
    out: dict[str, Any] = {
        "python -c pass": processes([sys.executable, "-c", "pass"], runs),
        "convcalc summary alexnet": {**processes([*command, "summary", "alexnet"], runs), "command": how},
    }
    base = out["python -c pass"]["median_ms"]
    ours = out["convcalc summary alexnet"]["median_ms"]
    out["ratio_vs_python"] = round(ours / base, 2)
    out["budget_vs_python"] = TARGETS["cli_vs_python"]
    if importlib.util.find_spec("torchinfo") is None:
        out["torchinfo"] = "not installed (pip install torchinfo to compare)"
        return out
    try:
        theirs = processes([sys.executable, "-c", TORCHINFO], max(1, runs // 2))
    except RuntimeError as error:  # e.g. torchinfo without numpy, which it imports
        out["torchinfo"] = f"could not run: {str(error).splitlines()[-1]}"
        return out
    out["torchinfo summary (alexnet)"] = theirs
    out["ratio_torchinfo_vs_convcalc"] = round(theirs["median_ms"] / ours, 1)
    return out


def repeat(call: Callable[[], object], runs: int) -> dict[str, float]:
    """First call (cold caches) and the median of the next ``runs``."""
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return {"first_ms": round(first * 1000, 3), "median_ms": median_ms(samples)}


def in_process(runs: int, names: list[str]) -> dict[str, Any]:
    import convcalc as cc

    return {name: repeat(lambda name=name: cc.summary(name), runs) for name in names}


def depth(runs: int, lengths: list[int]) -> dict[str, Any]:
    """A chain of Conv2d(i+1, i+2, 3, padding=1): every layer different, so none is served from the
    analysis's memo of identical layers (the worst case for it)."""
    import convcalc as cc

    out: dict[str, Any] = {}
    for n in lengths:
        chain = cc.Sequential(*[cc.Conv2d(i + 1, i + 2, 3, padding=1) for i in range(n)])
        timing = repeat(lambda chain=chain: cc.summary(chain, (1, 8, 8)), max(1, runs // max(1, n // 100)))
        out[str(n)] = {**timing, "us_per_layer": round(timing["median_ms"] * 1000 / n, 2)}
    return out


def input_size(runs: int, sizes: list[int]) -> dict[str, Any]:
    import convcalc as cc

    return {str(s): repeat(lambda s=s: cc.summary("vgg16", (3, s, s)), runs) for s in sizes}


def pictures(runs: int, names: list[str], chain: int) -> dict[str, Any]:
    """``draw()`` and ``to_mermaid()`` of reports made beforehand (the summary's time is measurement 2)."""
    import convcalc as cc

    reports = {name: cc.summary(name) for name in names}
    reports[f"chain of {chain:,}"] = cc.summary(cc.Sequential(*[cc.Conv2d(i + 1, i + 2, 3, padding=1) for i in range(chain)]),
                                                (1, 8, 8))
    return {name: {"style": r.draw().style, "draw": repeat(r.draw, runs), "mermaid": repeat(r.to_mermaid, runs)}
            for name, r in reports.items()}


def verify_memory(size: int) -> dict[str, Any]:
    if importlib.util.find_spec("torch") is None:  # found, not imported: this process stays torch-free
        return {"skipped": "torch is not installed"}
    code = (f"import convcalc as cc\nr = cc.verify('vgg16', (3, {size}, {size}), device='meta')\n"
            "assert r.ok, 'verify disagreed'\n")
    elapsed, rss = run_process([sys.executable, "-c", code])
    return {"input": f"3x{size}x{size}", "device": "meta", "seconds": round(elapsed, 2), "peak_rss_mib": round(rss / 1024, 1)}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("convcalc", "torch", "torchinfo", "click"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - not installed
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "versions": versions}


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    """Each target: met or missed, with the figure."""
    cold, out = results["cold_start"], {}
    ratio, budget = cold["ratio_vs_python"], TARGETS["cli_vs_python"]
    out[f"CLI ≤ {budget:g}× python -c pass"] = f"{'met' if ratio <= budget else 'MISSED'} ({ratio}×)"
    if "ratio_torchinfo_vs_convcalc" in cold:
        t = cold["ratio_torchinfo_vs_convcalc"]
        out["CLI ≥ 30× faster than torchinfo"] = f"{'met' if t >= TARGETS['cli_vs_torchinfo'] else 'MISSED'} ({t}×)"
    if "resnet152" in results["in_process"]:
        ms = results["in_process"]["resnet152"]["median_ms"]
        out["resnet152 ≤ 10 ms"] = f"{'met' if ms <= TARGETS['resnet152_ms'] else 'MISSED'} ({ms} ms)"
    if "10000" in results["depth"]:
        s = results["depth"]["10000"]["median_ms"] / 1000
        out["10,000 layers ≤ 1 s"] = f"{'met' if s <= TARGETS['chain_10000_s'] else 'MISSED'} ({s:.3f} s)"
    sizes = results["input_size"]
    small, big = sizes[min(sizes, key=int)]["median_ms"], sizes[max(sizes, key=int)]["median_ms"]
    flat = round(big / small, 2)
    out["input size flat"] = f"{'met' if flat <= TARGETS['size_flat_ratio'] else 'MISSED'} ({max(sizes, key=int)} px / {min(sizes, key=int)} px = {flat}×)"
    return out


def report(results: dict[str, Any]) -> str:
    """The results as a few aligned tables."""
    m = results["machine"]
    lines = [f"convcalc benchmark ({results['mode']}) on {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
             f"{m['system']}", ""]
    cold = results["cold_start"]
    lines.append("1. CLI cold start (median wall time, peak RSS)")
    for key, value in cold.items():
        if isinstance(value, dict):
            lines.append(f"   {key:<30} {value['median_ms']:>10.1f} ms {value['peak_rss_mib']:>8.1f} MiB")
    ratio, budget = cold["ratio_vs_python"], cold["budget_vs_python"]
    lines.append(f"   convcalc / python -c pass      {ratio:>10.2f}×  (budget {budget:g}×: "
                 f"{'within' if ratio <= budget else 'OVER'})")
    if "ratio_torchinfo_vs_convcalc" in cold:
        lines.append(f"   torchinfo / convcalc           {cold['ratio_torchinfo_vs_convcalc']:>10.1f}×")
    else:
        lines.append(f"   torchinfo: {cold['torchinfo']}")
    lines += ["", "2. cc.summary(name) in process (ms: first call, then the median of repeats)"]
    for name, t in results["in_process"].items():
        lines.append(f"   {name:<22} {t['first_ms']:>9.2f} {t['median_ms']:>9.2f}")
    lines += ["", "3. Depth: a chain of n different convs (ms, µs per layer)"]
    for n, t in results["depth"].items():
        lines.append(f"   {int(n):>7,} layers {t['median_ms']:>11.2f} ms {t['us_per_layer']:>8.2f} µs")
    lines += ["", "4. Input size: vgg16 (ms, median)"]
    for s, t in results["input_size"].items():
        lines.append(f"   {int(s):>6,} × {int(s):<6,} {t['median_ms']:>9.2f}")
    v = results["verify_meta"]
    lines += ["", "5. verify on the meta device"]
    lines.append(f"   {v['skipped']}" if "skipped" in v else
                 f"   vgg16 at {v['input']}: {v['seconds']} s, peak RSS {v['peak_rss_mib']} MiB")
    lines += ["", "6. Pictures: draw() and to_mermaid() of a report (ms, median)"]
    for name, t in results["pictures"].items():
        lines.append(f"   {name:<22} {t['style']:<8} {t['draw']['median_ms']:>9.2f} {t['mermaid']['median_ms']:>9.2f}")
    if results["mode"] == "full":
        lines += ["", "Targets (issues 6 and 14)"] + [f"   {k:<34} {t}" for k, t in results["targets"].items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: prove the script runs (CI)")
    parser.add_argument("--json", type=Path, default=None, help="where to write the results (default: "
                        "benchmarks/results.json for a full run, nothing for a smoke run)")
    args = parser.parse_args(argv)
    import convcalc as cc

    if args.smoke:
        runs, names, lengths, sizes, verify_size = 1, ["alexnet", "resnet152"], [10, 100], [224, 1024], 224
    else:
        runs, names, lengths, sizes, verify_size = 15, cc.models.list(), [10, 100, 1_000, 10_000], [224, 1024, 4096, 10_000], 4096
    results: dict[str, Any] = {"mode": "smoke" if args.smoke else "full", "machine": machine()}
    results["cold_start"] = cold_start(2 if args.smoke else 15)
    results["in_process"] = in_process(runs if args.smoke else 30, names)
    results["depth"] = depth(runs if args.smoke else 10, lengths)
    results["input_size"] = input_size(runs if args.smoke else 30, sizes)
    results["verify_meta"] = verify_memory(verify_size)
    pictured = ["alexnet", "resnet18"] if args.smoke else ["alexnet", "vgg16", "resnet18", "resnet152", "googlenet",
                                                           "densenet121", "inception_v3"]
    results["pictures"] = pictures(1 if args.smoke else 10, pictured, 10 if args.smoke else 1_000)
    results["targets"] = verdicts(results)
    print(report(results))
    target = args.json or (None if args.smoke else HERE / "results.json")
    if target is not None:
        target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
