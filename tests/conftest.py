"""Shared test settings: hypothesis profiles with a bounded example count."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI runs a bounded number of examples so the suite stays well inside its time;
# HYPOTHESIS_PROFILE=thorough runs many more locally.
settings.register_profile("ci", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

#: For the property tests the torch bridge must pass in CI: never fewer than 300 examples.
AT_LEAST_300 = settings(max_examples=max(300, settings.default.max_examples), deadline=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
