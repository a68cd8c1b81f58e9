"""Write an eval run: results.json (stable schema), report.md, and a self-contained report.html
with plots (reliability diagram, recall@k curve, per-tag bars) above the report's Markdown,
rendered (headings, tables, lists) with raw HTML escaped: the report quotes customers' words."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

SCHEMA_VERSION = 1


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def plots(results: dict[str, Any]) -> dict[str, str]:
    """Base64 PNGs by name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    m = results["metrics"]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for name, table in results["reliability"].items():
        if table:
            ax.plot(
                [b["confidence"] for b in table], [b["accuracy"] for b in table], "o-", label=name
            )
    ax.set(xlabel="confidence", ylabel="share correct", title="Reliability diagram")
    ax.legend(fontsize=8)
    out["reliability"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    ks = [1, 3, 5]
    ax.plot(ks, [m.get(f"recall_at_{k}") or 0 for k in ks], "o-")
    ax.set(xlabel="k", ylabel="recall@k", ylim=(0, 1.05), title="Retrieval recall@k", xticks=ks)
    out["recall"] = _png(fig)
    plt.close(fig)

    curve = results.get("tradeoff") or []
    if curve:
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.plot([p["answered"] for p in curve], [p["wrong"] for p in curve], "o-", ms=3)
        chosen = results.get("threshold")
        if chosen is not None:
            nearest = min(curve, key=lambda p: abs(p["threshold"] - chosen))
            ax.plot([nearest["answered"]], [nearest["wrong"]], "r*", ms=12, label="operating point")
            ax.legend(fontsize=8)
        ax.set(
            xlabel="share of questions answered",
            ylabel="share answered wrongly",
            title="Trade-off over thresholds",
        )
        out["tradeoff"] = _png(fig)
        plt.close(fig)

    for tag, groups in results["by_tag"].items():
        names = list(groups)
        fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(names)), 3.5))
        xs = range(len(names))
        ax.bar(
            [x - 0.2 for x in xs],
            [groups[n].get("recall_at_5") or 0 for n in names],
            0.4,
            label="recall@5",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [groups[n].get("self_service_rate") or 0 for n in names],
            0.4,
            label="self-service",
        )
        ax.set_xticks(list(xs), names, rotation=45, ha="right")
        ax.set(ylim=(0, 1.05), title=f"By {tag}")
        ax.legend(fontsize=8)
        out[f"tag_{tag}"] = _png(fig)
        plt.close(fig)
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# answerdesk eval — {results['golden']}",
        "",
        f"{results['cases']} cases, backend `{results['backend']}`, "
        f"threshold {results['threshold']}, prompt `{results['prompt_version']}`",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in results["metrics"].items()]
    if results.get("comparison"):
        lines += [
            "",
            "## Against the baseline",
            "",
            "| metric | baseline | now | change |",
            "|---|---|---|---|",
        ]
        for row in results["comparison"]:
            flag = " ⚠ regression" if row["regressed"] else ""
            lines.append(
                f"| {row['metric']} | {_fmt(row['baseline'])} | {_fmt(row['now'])} | "
                f"{_fmt(row['change'])}{flag} |"
            )
    external = results.get("external")
    if external:
        lines += _external_markdown(results, external)
    lines += _tradeoff_markdown(results.get("tradeoff") or [])
    lines += [
        "",
        "## Hand-off recall by reason",
        "",
        "| reason | cases | recall |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r} | {v['cases']} | {_fmt(v['recall'])} |"
        for r, v in results["handoff_by_reason"].items()
    ]
    lines += _conversations_markdown(results.get("conversations"))
    lines += _graded_markdown(results.get("graded"))
    lines += ["", "## Content gaps (what to write next)", ""]
    for gap in results["content_gaps"]:
        lines.append(
            f"- **{gap['count']}× near `{gap['nearest']}`**: "
            + "; ".join(f"“{q}”" for q in gap["questions"][:3])
        )
    lines += ["", f"## Failures ({len(results['failures'])})", ""]
    for f in results["failures"]:
        lines.append(
            f"- `{f['id']}` {f['question']!r}: {', '.join(f['problems'])}; "
            f"retrieved {f['retrieved'][:3]}, expected {f['expected_sources'][:3]}"
        )
    return "\n".join(lines) + "\n"


def _external_markdown(results: dict[str, Any], external: dict[str, Any]) -> list[str]:
    used = results.get("calibration_used", {})
    lines = [
        "",
        "## Operating point and calibration",
        "",
        f"Calibration `{used.get('version')}`: {used.get('source')}; threshold "
        f"{used.get('threshold')}; weights {used.get('weights')}; probes "
        f"{(used.get('details') or {}).get('probes')}.",
    ]
    for title, key in (("answerability label", "by_answerability"), ("domain", "by_domain")):
        groups = external.get(key) or {}
        if not groups:
            continue
        lines += [
            "",
            f"## By {title}",
            "",
            "| group | cases | answered | handed off | clarified | correct when answered |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {g['cases']} | {_fmt(g['answered'])} | {_fmt(g['handed_off'])} | "
            f"{_fmt(g['clarified'])} | {_fmt(g['correct_when_answered'])} |"
            for name, g in groups.items()
        ]
    return lines


def _conversations_markdown(scripts: dict[str, Any] | None) -> list[str]:
    """The conversation scripts' pass rate and every miss of each failing script."""
    if not scripts:
        return []
    lines = [
        "",
        f"## Conversation scripts: {scripts['passed']} of {scripts['scripts']} pass",
        "",
    ]
    for script in scripts["failing"]:
        lines.append(f"- `{script['id']}` ({script['file']})")
        lines += [
            f"  - turn {m['turn']}: expected {m['expectation']}; seen {m['seen']}"
            + (f" — the desk: {m['action']}, {m['reply'][:160]!r}" if m["action"] else "")
            for m in script["misses"]
        ]
    return lines


def _graded_markdown(batch: dict[str, Any] | None) -> list[str]:
    """The hand-graded answers (evals/data/graded): shares by grade, and what needs grading."""
    if not batch:
        return []
    lines = [
        "",
        f"## Graded answers: {batch['graded']} of {batch['items']} graded",
        "",
        f"Good {_fmt(batch['good'])}, Acceptable {_fmt(batch['acceptable'])}, "
        f"Poor {_fmt(batch['poor'])} (RUBRIC.md; goal: Good >= 0.8, Poor <= 0.05).",
    ]
    if batch["changed_since_grading"]:
        lines.append(
            "Answers changed since grading (grade again: `python -m evals.graded --refresh`): "
            + ", ".join(f"`{i}`" for i in batch["changed_since_grading"])
        )
    if batch["ungraded"]:
        lines.append("Ungraded: " + ", ".join(f"`{i}`" for i in batch["ungraded"]))
    return lines


def _tradeoff_markdown(curve: list[dict[str, Any]]) -> list[str]:
    if not curve:
        return []
    lines = [
        "",
        "## Trade-off: answered vs wrong, by threshold",
        "",
        "Only the confidence threshold moves; hand-offs for anger, a request for a person or a "
        "policy stay as they were.",
        "",
        "| threshold | answered | wrong | answerable handed off | unanswerable answered |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p['threshold']} | {_fmt(p['answered'])} | {_fmt(p['wrong'])} | "
        f"{_fmt(p['answerable_handed_off'])} | {_fmt(p['unanswerable_answered'])} |"
        for p in curve
    ]
    return lines


def render_markdown(text: str) -> str:
    """The report's Markdown as HTML; raw HTML in it (a question quoting a tag) stays text."""
    return str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


def html_report(results: dict[str, Any], images: dict[str, str]) -> str:
    body = render_markdown(markdown(results))
    figures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, data in images.items()
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>answerdesk eval</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;"
        "padding:0 1rem}figure{display:inline-block;margin:.5rem}pre{white-space:pre-wrap}"
        "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;"
        "padding:.2rem .5rem;text-align:left}th{background:#f3f3f3}td:not(:first-child)"
        "{font-variant-numeric:tabular-nums}</style></head><body><h1>answerdesk eval</h1>"
        f"<section>{figures}</section><article>{body}</article></body></html>"
    )


def write(results: dict[str, Any], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "results.json", directory / "report.md", directory / "report.html"]
    paths[0].write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(results), encoding="utf-8")
    paths[2].write_text(html_report(results, plots(results)), encoding="utf-8")
    return paths
