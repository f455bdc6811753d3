"""`pathways fit --dask ADDRESS`: the skills fitted on a Dask scheduler give the file
the in-process fit writes; an address nobody answers is one error line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from cli.main import app
from tests.cli.test_fit_cli import assert_bad_input, write_pybkt

runner = CliRunner()


@pytest.mark.slow  # a scheduler and two worker processes
def test_fit_on_a_dask_cluster_writes_the_in_process_parameters(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "answers.csv"
    write_pybkt(path, np.random.default_rng(seed))
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    args = ["fit", str(path), "--seed", "3", "--restarts", "2", "--forgets"]
    assert runner.invoke(app, [*args, "--out", str(here)]).exit_code == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = runner.invoke(
            app, [*args, "--out", str(there), "--dask", cluster.scheduler_address]
        )
    assert result.exit_code == 0, result.output
    assert json.loads(there.read_text())["skills"] == json.loads(here.read_text())["skills"]


@pytest.mark.slow  # the client waits its 10 s connect timeout
def test_fit_with_no_scheduler_at_the_address_is_bad_input(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "answers.csv"
    write_pybkt(path, np.random.default_rng(seed))
    out = tmp_path / "p.json"
    result = runner.invoke(
        app, ["fit", str(path), "--out", str(out), "--dask", "tcp://127.0.0.1:9"]
    )
    assert_bad_input(result, "--dask tcp://127.0.0.1:9", "no Dask scheduler answered")
    assert not out.exists()
