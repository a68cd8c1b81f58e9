"""An extractive answer's Markdown, through the grounding check: numbered steps with their
nested choices, a table under its header, steps and bullets as two lists, each claim cited
once."""

from __future__ import annotations

from assistant.backends.extractive import compose
from assistant.grounding import check
from tests.assistant.extractive_passages import passage


def test_numbered_steps_stay_a_numbered_markdown_list_through_the_check() -> None:
    article = passage(
        1,
        "article",
        "Connect your bank account",
        "- **Your plan.** Starter includes up to 3 bank connections.\n"
        "- **Your role.** The Owner or an Admin sets up connections.\n\n"
        "To connect a bank:\n\n"
        "1. Go to **Banking → Connections**.\n2. Select **Add connection**.\n"
        "3. Search for your bank by name.\n4. Select **Finish**.",
    )
    draft = compose("how do I connect my bank account", [article])
    text = check(draft.text, [article]).text
    steps = [line for line in text.splitlines() if line[:1].isdigit()]
    assert [s.split(".", 1)[0] for s in steps] == ["1", "2", "3", "4"], text
    assert "\n1. Go to Banking → Connections.\n2. Select Add connection." in text, text
    assert "\n\n1. " in text  # a list starts its own Markdown block


def test_choices_within_a_step_stay_nested_in_it_and_the_steps_go_on() -> None:
    article = passage(
        1,
        "article",
        "Connect Slack",
        "1. Go to **Settings → Integrations → Slack** and click **Connect**.\n"
        "2. Choose the channel to post to, then click **Allow**.\n"
        "3. Tick the events you want posted:\n"
        "   - Invoice paid\n"
        "   - Invoice overdue\n"
        "4. Click **Send test message** to check it arrives.",
    )
    draft = compose("how do I set up slack notifications for paid invoices", [article])
    text = check(draft.text, [article]).text
    assert "posted:\n   - Invoice paid\n   - Invoice overdue\n4. Click Send test" in text, text
    assert text.count("\n\n") == 0, text  # one list: the choices do not split the steps


def test_a_table_stays_a_markdown_table_with_its_header_through_the_check() -> None:
    article = passage(
        1,
        "article",
        "Reconnect an expired bank connection",
        "| Code | Message | What to do |\n| --- | --- | --- |\n"
        "| BANK-102 | Bank connection expired | Reconnect under Banking → Connections |\n"
        "| BANK-205 | Institution temporarily unavailable | Wait and try again later |\n",
        "Which error do you have?",
    )
    draft = compose("what should I do about BANK-102 bank connection expired", [article])
    text = check(draft.text, [article]).text
    lines = text.splitlines()
    header = lines.index("| Code | Message | What to do |")
    assert lines[header + 1].replace(" ", "") == "|---|---|---|", text
    assert lines[header + 2].startswith("| BANK-102 | Bank connection expired | Reconnect"), text
    assert lines[header + 2].endswith("[1] |")  # the citation inside the table's last cell
    assert "BANK-205" not in text  # the other code's row is not about this question


def test_steps_then_bullets_stay_two_lists_through_the_check() -> None:
    article = passage(
        1,
        "article",
        "Resolve a sync conflict",
        "1. Open the conflict under Sync status.\n2. Choose the version to keep.\n\n"
        "- Sync before you go offline.\n- Agree who edits shared invoices.",
    )
    text = check("1. Open the conflict under Sync status.\n2. Choose the version to keep. [1]\n\n"
                 "- Sync before you go offline. [1]\n- Agree who edits shared invoices. [1]",
                 [article]).text  # fmt: skip
    assert "keep. [1]\n\n- Sync" in text, text  # Markdown shows two lists, not one
    assert "offline. [1]\n- Agree" in text, text


def test_a_claim_cites_each_source_once_however_its_sentences_were_split() -> None:
    # The composer splits "(D). 19 because…" into two cited sentences; the check reads one.
    faq = passage(
        1,
        "faq",
        "Why is it called COVID-19?",
        "COVID comes from corona (CO), virus (VI), and disease (D). 19 because it was "
        "identified in the year 2019.",
    )
    text = check(compose("why is it called covid-19", [faq]).text, [faq]).text
    assert "2019. [1]" in text and "[1] [1]" not in text, text
