"""`benchmarks.load --nodes`: the counts it takes, and what it refuses."""

from __future__ import annotations

import pytest

from benchmarks.load import parse_args


def test_node_counts_are_read_from_a_comma_separated_list() -> None:
    args = parse_args(["--json", "out.json", "--nodes", "1,2,3"])
    assert args.nodes == [1, 2, 3]
    assert parse_args(["--json", "out.json"]).nodes is None  # the single-server benchmark


@pytest.mark.parametrize("text", ["0", "1,x", "", "2,-1"])
def test_bad_node_counts_are_refused_naming_the_option(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--json", "out.json", "--nodes", text])
    assert stopped.value.code == 2
    assert "--nodes" in capsys.readouterr().err
