"""The streamed fit's per-skill work fanned out to a Dask `distributed` cluster.

For logs that outgrow one machine's cores: `DaskFitter` is `StreamingFitter` with each
skill's `engine.fit_stream.fit_skill(job)` sent to the cluster's workers instead of this
process's threads. Blocks are read here (the caller's `SkillSource`) and shipped with
their job, at most `max_in_flight` at once (default: twice the cluster's threads, so a
worker has its next skill queued while it fits one), so this process still holds only
that many blocks. Workers need the same package installed; nothing else is shared. The
result equals `BKTFitter.fit` on the whole log exactly: the starts are drawn here, and a
worker runs the same kernel on the same arrays.

`distributed` is an optional dependency (`pip install pathways[dask]`); this module
imports it only for its types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.fit import BKTFitter
from engine.fit_stream import SkillJob, SkillOutcome, StreamingFitter

if TYPE_CHECKING:
    from distributed import Client


class _ClientSubmitter:
    """`submit(fn, job)` on a distributed.Client; each job is a new task (pure=False: two
    jobs with equal contents, e.g. a skill's first round and refit, are not merged)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def submit(self, fn: Callable[[SkillJob], SkillOutcome], job: SkillJob, /) -> Any:
        return self.client.submit(fn, job, pure=False)


def cluster_threads(client: Client) -> int:
    """Worker threads the cluster has now (at least 1)."""
    return max(1, sum(client.nthreads().values()))


class DaskFitter(StreamingFitter):
    """Estimator: `fit(plan, source)` as StreamingFitter, the skills fitted on `client`'s
    workers. Same learned attributes (`params_`, `report_`, ...)."""

    def __init__(
        self, fitter: BKTFitter, *, client: Client, max_in_flight: int | None = None
    ) -> None:
        super().__init__(
            fitter,
            submit=_ClientSubmitter(client),
            max_in_flight=max_in_flight or 2 * cluster_threads(client),
        )
        self.client = client
