"""Shared test settings: hypothesis profiles with a bounded example count."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if os.environ.get("PYTEST_XDIST_WORKER"):  # one of several workers (addopts -n auto): one thread each for torch's
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # kernels, rather than each worker's threads contending for every core

# CI runs a bounded number of examples so the suite stays well inside its time;
# HYPOTHESIS_PROFILE=thorough runs many more locally.
settings.register_profile("ci", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

#: For the property tests the torch bridge must pass in CI: never fewer than 300 examples.
AT_LEAST_300 = settings(max_examples=max(300, settings.default.max_examples), deadline=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --- golden outputs --------------------------------------------------------------------------------
#
# tests/golden/ holds the exact text of tables and other outputs whose layout users rely on. A change
# of layout fails those tests until someone looks at the difference and runs
#   python -m pytest --update-goldens
# which rewrites the files (and examples/notebook.ipynb's saved outputs). Nothing rewrites them otherwise.

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/* and the example notebook's outputs from the current code")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def golden(update_goldens: bool) -> Callable[[str, str], None]:
    """``golden(name, text)``: text must equal tests/golden/name (rewritten with --update-goldens)."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update_goldens:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run `python -m pytest --update-goldens` and review it")
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "golden", "now"))
            pytest.fail(f"{name} differs from its golden file (if the change is meant, run "
                        f"`python -m pytest --update-goldens` and review the diff):\n{diff}")

    return check
