"""The eval report's HTML shows its Markdown rendered, and never runs what a question quotes."""

from __future__ import annotations

from evals.report import render_markdown


def test_headings_tables_and_lists_are_rendered() -> None:
    html = render_markdown(
        "## Metrics\n\n| metric | value |\n| --- | --- |\n| recall_at_5 | 0.957 |\n\n- one\n- two\n"
    )
    assert "<h2>Metrics</h2>" in html
    assert "<table>" in html and "<td>recall_at_5</td>" in html
    assert "<li>one</li>" in html
    assert "##" not in html and "| ---" not in html


def test_markup_a_customer_typed_stays_text() -> None:
    html = render_markdown("- failing: <script>alert(1)</script> [x](javascript:alert(1))\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
