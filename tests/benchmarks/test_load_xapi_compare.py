"""`benchmarks.load --xapi both [--pairs K]`: the on/off verdict."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.load import compare, compare_pairs, parse_args


def _run(service: float, bare: float = 800.0) -> dict[str, Any]:
    return {
        "phases": {
            "service_saturation": {"loops_per_s": service},
            "service_paced": {"latency_ms": {"p95": 9.0}},
            "bare_saturation": {"loops_per_s": bare},
        }
    }


def test_one_pair_is_the_saturation_loops_on_over_off() -> None:
    got = compare(_run(400.0, 800.0), _run(340.0, 680.0))
    assert got["ratio_on_to_off"] == 0.85 and not got["on_within_10_percent"]
    assert got["peer_ratio_on_to_off"] == 1.0  # both lost 15%: shown beside, not judged


def test_the_median_pair_decides_so_one_burst_of_drift_does_not() -> None:
    pairs = [compare(_run(400.0), _run(on)) for on in (380.0, 200.0, 372.0)]
    got = compare_pairs(pairs)
    assert got["pair_ratios"] == [0.5, 0.93, 0.95]
    assert got["ratio_on_to_off"] == 0.93 and got["on_within_10_percent"]
    even = compare_pairs([*pairs[:2], compare(_run(400.0), _run(300.0))])
    assert even["ratio_on_to_off"] == 0.75 and not even["on_within_10_percent"]
    two = compare_pairs(pairs[:2])
    assert two["ratio_on_to_off"] == pytest.approx(0.725)


def test_pairs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--json", "o.json", "--xapi", "both", "--pairs", "3"]).pairs == 3
    with pytest.raises(SystemExit):
        parse_args(["--json", "o.json", "--pairs", "0"])
    assert "--pairs" in capsys.readouterr().err
