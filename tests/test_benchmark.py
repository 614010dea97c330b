"""benchmarks/run.py still runs (its smoke mode, with tiny counts). Speed itself is never asserted
in tests: the full run of the script measures it, and the README shows its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_in_smoke_mode(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["mode"] == "smoke"
    assert set(results) >= {"machine", "cold_start", "in_process", "depth", "input_size", "verify_meta", "targets"}
    assert results["cold_start"]["convcalc summary alexnet"]["median_ms"] > 0
    assert set(results["in_process"]) == {"alexnet", "resnet152"}
    assert "1. CLI cold start" in done.stdout and "5. verify on the meta device" in done.stdout
