"""`benchmarks.load --xapi both`: on/off judged against each run's own bare peer."""

from __future__ import annotations

from typing import Any

from benchmarks.load import compare


def _run(service: float, bare: float) -> dict[str, Any]:
    return {
        "phases": {
            "service_saturation": {"loops_per_s": service},
            "service_paced": {"latency_ms": {"p95": 9.0}},
            "bare_saturation": {"loops_per_s": bare},
        }
    }


def test_the_machine_slowing_between_the_runs_cancels_out() -> None:
    # Both the service and its peer lost 15%: sending statements cost nothing.
    got = compare(_run(400.0, 800.0), _run(340.0, 680.0))
    assert got["raw_ratio_on_to_off"] == 0.85
    assert got["ratio_on_to_off"] == 1.0
    assert got["on_within_10_percent"]


def test_a_cost_of_its_own_is_still_seen() -> None:
    # The peer kept its speed, the service lost 15%: that is the sender's cost.
    got = compare(_run(400.0, 800.0), _run(340.0, 800.0))
    assert got["ratio_on_to_off"] == 0.85
    assert not got["on_within_10_percent"]
