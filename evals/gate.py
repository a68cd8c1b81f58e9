"""The regression gate: compare headline metrics with a baseline results.json."""

from __future__ import annotations

from typing import Any

from evals.summary import HEADLINE, LOWER_IS_BETTER

# Latency depends on the machine and its load: reported, never gated.
NOT_GATED = {"latency_p50_ms", "latency_p95_ms"}


def compare(
    now: dict[str, float | None], baseline: dict[str, Any], tolerance: float
) -> list[dict[str, Any]]:
    rows = []
    for metric in HEADLINE:
        old, new = baseline.get(metric), now.get(metric)
        if old is None or new is None:
            rows.append(
                {"metric": metric, "baseline": old, "now": new, "change": None, "regressed": False}
            )
            continue
        change = float(new) - float(old)
        worse = change > tolerance if metric in LOWER_IS_BETTER else -change > tolerance
        rows.append(
            {
                "metric": metric,
                "baseline": old,
                "now": new,
                "change": change,
                "regressed": worse and metric not in NOT_GATED,
            }
        )
    return rows
