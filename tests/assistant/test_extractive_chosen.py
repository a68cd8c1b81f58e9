"""What a chosen unit brings into an extractive answer: the rule an example illustrates, the
sentence it points back to, the page "the same page" means, its paragraph's opening, the rest of
its table; never the steps of what the customer says they did already; and the length limits
leave room for a past case's note."""

from __future__ import annotations

from assistant.backends.extractive import compose
from assistant.grounding import check
from assistant.text import CASE_NOTE_LEAD
from tests.assistant.extractive_passages import case, other_section, passage


def test_an_example_follows_the_rule_it_illustrates() -> None:
    article = passage(
        1,
        "article",
        "Change your plan",
        "When you upgrade mid-period, you are charged the price difference for the days left. "
        "Example: half a month from Starter to Pro costs $8.50 today.",
    )
    text = compose("what's the $8.50 on my card?", [article]).text
    assert "$8.50" in text and "you are charged the price difference" in text, text
    assert text.index("you are charged the price difference") < text.index("Example:"), text


def test_a_sentence_pointing_back_brings_the_sentence_it_points_to() -> None:
    article = passage(
        1,
        "article",
        "Send a recurring invoice",
        "You can downgrade at any time. Downgrades take effect at the end of your billing "
        "period. From then on, on Starter or Free, recurring schedules are paused, not deleted.",
        "What happens if you downgrade",
    )
    text = compose("would my recurring schedules be paused or deleted?", [article]).text
    assert "Downgrades take effect at the end of your billing period." in text, text
    assert text.index("Downgrades take effect") < text.index("From then on"), text


def test_on_the_same_page_comes_only_after_what_names_the_page() -> None:
    schedule = (
        "You need to be the Owner or an Admin.\n\n"
        "1. Go to **Settings → Invoicing → Reminders**.\n2. Edit the days of each reminder.\n\n"
        "To switch reminders off entirely, turn off **Send automatic reminders** on the same page."
    )
    article = passage(
        1,
        "article",
        "Payment reminders",
        "- **One customer:** open the customer, select Edit, and turn off Send payment "
        "reminders.\n- **One invoice:** open the invoice and select Pause reminders.",
        "Turn off reminders for one customer",
        more=(other_section(1, "Change the reminder schedule", schedule),),
    )
    text = compose("can we switch reminders off for one customer only?", [article]).text
    assert "One customer" in text, text
    assert "on the same page" not in text, text  # no page named: it would point at nothing
    alone = passage(1, "article", "Payment reminders", schedule, "Change the reminder schedule")
    text = compose("how do i switch automatic reminders off entirely?", [alone]).text
    assert "on the same page" in text, text
    assert text.index("Settings → Invoicing → Reminders") < text.index("on the same page"), text


def test_one_sentence_from_mid_paragraph_comes_with_the_paragraphs_opening() -> None:
    status = passage(
        1,
        "article",
        "Fix common errors",
        "Go to https://status.example.com. Incidents and maintenance are shown per region. If "
        "an incident is listed, there's nothing you need to do: your data is safe.",
        "Step 1: Check the status page",
    )
    text = compose("everything errors for 40 minutes now, is my data safe?", [status]).text
    # "If an incident is listed" means nothing without where it is listed; a short sentence
    # telling where to go is an answer, not a title-like fragment
    assert text.startswith("Go to https://status.example.com."), text
    assert "nothing you need to do" in text, text


def test_rows_of_one_table_are_shown_together() -> None:
    article = passage(
        1,
        "article",
        "Payment reminders",
        "Out of the box, Tallybook emails your customer when an unpaid invoice is:\n\n"
        "| Reminder | When |\n| --- | --- |\n| 1st | 3 days overdue |\n"
        "| 2nd | 7 days overdue |\n| 3rd | 14 days overdue |\n",
        "Default reminder schedule",
    )
    text = check(
        compose("when does tallybook send reminders for overdue invoices", [article]).text,
        [article],
    ).text
    assert "| 1st | 3 days overdue |" in text and "| 3rd | 14 days overdue [1] |" in text, text
    assert text.count("| --- | --- |") == 1


def test_a_long_article_answer_leaves_room_for_the_past_case_that_tells_the_fix() -> None:
    # Five sentences of the article fill the answer's units; the case's note is not one of them.
    article = passage(
        1, "article", "Invoice templates",
        "Tallybook has three invoice templates for long invoices. You can switch invoice "
        "templates at any time. The Compact template fits long invoices with many line items on "
        "fewer pages. Each invoice template shows your logo on every page of a long invoice. A "
        "long invoice template preview uses one of your recent invoices. You can pick another "
        "template for a single long invoice while editing it.",
        "Choose a template",
    )  # fmt: skip
    limit = case(
        2,
        "Invoice with 730 lines will not save",
        "Invoices are limited to 500 line items. "
        "They split the month into two invoices, each on the Compact template.",
    )
    text = compose(
        "our long invoice has 730 line items and won't save, any way round the limit?",
        [article, limit],
    ).text
    assert text.count("[1]") == 5, text
    assert f"{CASE_NOTE_LEAD} Invoices are limited to 500 line items. [2]" in text, text


def test_the_steps_of_what_the_customer_says_they_did_already_are_not_the_answer() -> None:
    article = passage(
        1,
        "article",
        "Delete your workspace",
        "| Timeline | Status |\n| --- | --- |\n| Day 0 | The workspace is deactivated. |\n"
        "| Days 1–30 | Grace period. Support can restore the workspace in full. |\n",
        "What happens when you delete a workspace",
        more=(
            other_section(
                1,
                "Delete the workspace",
                "1. Go to Settings → Account → Delete workspace.\n"
                "2. Type the workspace name to confirm.\n"
                "3. Click Delete workspace permanently.\n",
            ),
        ),
    )
    done = compose("can i get back a workspace i deleted 2 weeks ago?", [article]).text
    assert "restore the workspace" in done and "Delete workspace permanently" not in done, done
    # Asked how to do it, the same steps are the answer.
    asked = compose("how do i delete a workspace for good?", [article]).text
    assert "Delete workspace permanently" in asked, asked
