"""Progress bars for long CLI work (fits, imports, replays)."""

from __future__ import annotations

from collections.abc import Callable


def progress_bar(
    desc: str, unit: str = "task"
) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr (only on a terminal) fed by progress(done, total) callbacks;
    returns (update, close)."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar.close
