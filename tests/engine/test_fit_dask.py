"""DaskFitter: the per-skill fits on a 2-worker LocalCluster (separate processes) give
exactly the in-process whole-log fit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from distributed import Client, LocalCluster

from engine.fit import BKTFitter, service_fitter
from engine.fit_dask import DaskFitter, cluster_threads
from engine.fit_stream import ResponsesSource
from tests.engine.test_fit_stream import SKILLS
from tests.factories import model, simulated

pytestmark = pytest.mark.slow  # starts a scheduler and two worker processes


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_port=0,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.mark.parametrize(
    "settings",
    [
        {"restarts": 2},
        {"multigs": True, "forgets": True, "guess_floors": {"b/item0": 0.34}},
    ],
    ids=["flat", "multigs_forgets_floors"],
)
def test_the_cluster_fit_equals_the_in_process_fit(
    client: Client, seed: int, settings: dict[str, Any]
) -> None:
    data = simulated(model(SKILLS), 40, 12, seed, items=3)
    whole = BKTFitter(**settings, random_state=seed).fit(data)
    fitter = BKTFitter(**settings, random_state=seed)
    source = ResponsesSource(data)
    dask = DaskFitter(fitter, client=client).fit(source.plan(fitter), source)
    assert dask.params_.to_json_dict() == whole.params_.to_json_dict()
    assert dask.report_.to_json_dict() == whole.report_.to_json_dict()
    assert dask.n_iter_ == whole.n_iter_


def test_the_service_fit_on_the_cluster_with_progress(client: Client, seed: int) -> None:
    """Empirical Bayes: two rounds through the cluster; progress reaches its total here."""
    data = simulated(model(SKILLS), 30, 12, seed, items=3)
    whole = service_fitter(random_state=seed).fit(data)
    ticks: list[tuple[int, int]] = []
    fitter = service_fitter(random_state=seed, progress=lambda d, t: ticks.append((d, t)))
    source = ResponsesSource(data)
    dask = DaskFitter(fitter, client=client, max_in_flight=1).fit(source.plan(fitter), source)
    assert dask.params_.to_json_dict() == whole.params_.to_json_dict()
    assert ticks[-1] == (8, 8)
    assert cluster_threads(client) == 2
