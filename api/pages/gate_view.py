"""The activation gate's verdict as the refit page shows it: reasons and a comparison table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScoreRow:
    """One line of the comparison: the new set and the running one on the same answers."""

    label: str
    n: int
    new_log_loss: float | None
    cur_log_loss: float | None
    new_auc: float | None
    cur_auc: float | None

    @property
    def verdict(self) -> str:
        """ "better" / "worse" / "same" by log-loss (the gate's proper score)."""
        if self.new_log_loss is None or self.cur_log_loss is None:
            return ""
        diff = self.new_log_loss - self.cur_log_loss
        if abs(diff) < 5e-4:
            return "same"
        return "better" if diff < 0 else "worse"


@dataclass(frozen=True)
class GateView:
    passed: bool
    reasons: tuple[str, ...]
    degenerate: tuple[tuple[str, str], ...]  # (skill name, reasons)
    overall: ScoreRow | None
    per_skill: tuple[ScoreRow, ...]
    test_rows: int


def _row(label: str, scores: Mapping[str, Any]) -> ScoreRow:
    new, cur = scores["candidate"], scores["current"]
    return ScoreRow(
        label=label,
        n=int(scores["n"]),
        new_log_loss=new.get("log_loss"),
        cur_log_loss=cur.get("log_loss"),
        new_auc=new.get("auc"),
        cur_auc=cur.get("auc"),
    )


def gate_view(gate: Mapping[str, Any] | None, names: Mapping[str, str]) -> GateView | None:
    """None before the job has a verdict (running, failed, or a job from before the gate)."""
    if not gate:
        return None
    overall = gate.get("overall")
    per_skill = gate.get("per_skill") or {}
    return GateView(
        passed=bool(gate.get("passed")),
        reasons=tuple(gate.get("reasons") or ()),
        degenerate=tuple(
            (names.get(s, s), "; ".join(r))
            for s, r in sorted((gate.get("degenerate") or {}).items())
        ),
        overall=_row("All skills", overall) if overall else None,
        per_skill=tuple(
            _row(names.get(s, s), v)
            for s, v in sorted(per_skill.items(), key=lambda kv: names.get(kv[0], kv[0]))
        ),
        test_rows=int(gate.get("test_rows") or 0),
    )
