"""The extractive composer as a whole: it answers from one source section, takes another
source's steps only for the same task, and adds a past case's fix after the article as a note,
or alone when the article says nothing of it."""

from __future__ import annotations

from dataclasses import replace

from assistant.backends.extractive import compose
from assistant.grounding import check
from assistant.text import CASE_NOTE_LEAD
from assistant.types import Passage
from tests.assistant.extractive_passages import case, other_section, passage

# --- one source section --------------------------------------------------------------------


def test_an_answer_follows_one_section_of_an_article_not_the_next_heading() -> None:
    export = passage(
        1,
        "article",
        "Export your data",
        "You can export all your invoices and customers as a ZIP of CSV files. "
        "The export link is emailed to you and stays valid for 48 hours.",
        "Export everything",
        more=(
            other_section(
                1,
                "Delete your workspace",
                "Deleting the workspace removes your invoices and customers after 30 days. "
                "Export your data first if you want to keep a copy of the invoices.",
            ),
        ),
    )
    draft = compose("how do I export my invoices and customers", [export])
    assert "ZIP of CSV files" in draft.text and "48 hours" in draft.text, draft.text
    assert "Deleting the workspace" not in draft.text and "30 days" not in draft.text


def test_an_faq_answer_is_kept_whole_and_another_source_does_not_join_it() -> None:
    faq = passage(
        1,
        "faq",
        "What does BANK-205 Institution temporarily unavailable mean?",
        "Your bank is having an outage on its side. Try again later and check the status page.",
    )
    unrelated = passage(
        2,
        "article",
        "Invite your team",
        "Invite a colleague under Settings → Team. They receive an email with a link.",
    )
    draft = compose(
        "BANK-205 institution temporarily unavailable, should I delete it?", [faq, unrelated]
    )
    assert "status page" in draft.text and "outage" in draft.text, draft.text
    assert "[2]" not in draft.text


# --- the lead section, and another source's steps --------------------------------------------


def test_the_steps_of_the_best_passage_win_over_another_passages_steps() -> None:
    best = passage(
        1,
        "article",
        "Transfer workspace ownership",
        "If the Owner has left the company, our support team can transfer ownership. "
        "For security, we need proof that you are authorised:\n\n"
        "1. An Admin emails support from the company's domain.\n"
        "2. Include a signed letter on company letterhead.\n"
        "3. We wait 5 business days for an objection.\n",
        "The Owner has left",
    )
    other = passage(
        2,
        "article",
        "Invite your team",
        "1. Make sure the new owner is an Admin with two-factor authentication.\n"
        "2. Go to Settings → Team → Transfer ownership.\n"
        "3. Confirm the new owner with your password.\n",
        "Transfer ownership",
    )
    draft = compose("our owner left, how do we move ownership to an admin?", [best, other])
    assert "letterhead" in draft.text and "5 business days" in draft.text, draft.text
    assert "Confirm the new owner" not in draft.text


def test_another_articles_steps_for_an_unrelated_task_never_join_an_answer() -> None:
    roles = passage(
        1,
        "faq",
        "What can each role do?",
        "There is one Owner per workspace, who handles billing and deletion. Admins manage the "
        "workspace. Members work with their own invoices and expenses only.",
    )
    credit_notes = passage(
        2,
        "article",
        "Credit notes",
        "1. Open the invoice she sent and select More → Create credit note.\n"
        "2. Choose the invoices and amounts to credit.\n"
        "3. Select Issue credit note; the client receives it by email.\n",
        "Create a credit note",
    )
    draft = compose(
        "i invited someone but she only sees the 2 invoices she made, not the other 300",
        [roles, credit_notes],
    )
    assert "Members work with their own invoices" in draft.text, draft.text
    assert "credit note" not in draft.text  # a procedure for another task, however many words


def test_a_past_cases_fix_that_leads_takes_no_other_articles_steps() -> None:
    # The case's fix leads (the article that scores better is about something else); steps
    # sharing a word with the fix ("account", "Accountant") are a procedure for another task.
    fixed = case(
        1,
        "She only sees her own invoices",
        "Members only see their own invoices. The owner changed her role to Admin so she could "
        "see all invoices (Accountant would have given read-only access).",
    )
    credit = passage(
        2, "article", "Credit notes", "Invoices you made can be credited before you chase payments."
    )
    reconcile = passage(
        3,
        "article",
        "Reconcile your bank account",
        "1. Go to Banking → Reconcile and choose the account for the payments.\n"
        "2. Check the payment Tallybook suggests and select Match.\n",
        "Reconcile",
    )
    question = (
        "i invited someone to chase payments but she doesn't see the 2 invoices she made, "
        "not the other 300"
    )
    draft = compose(question, [fixed, credit, reconcile])
    assert "role to Admin" in draft.text, draft.text
    assert "Reconcile" not in draft.text, draft.text


def test_the_section_about_the_error_code_asked_leads_over_one_sharing_more_words() -> None:
    article = passage(
        1,
        "article",
        "Fix invoice delivery problems",
        "If a customer says they never received an invoice, this article will help you.",
        more=(
            other_section(
                1,
                "Error INV-310: recipient address rejected",
                "The most common causes:\n\n| Cause | Fix |\n| --- | --- |\n"
                "| Typo in the address | Correct the email on the customer record |\n"
                "| Mailbox full | Wait a day and resend |\n\n"
                "1. Open the customer and correct the billing email.\n"
                "2. Open the invoice and select Resend.",
            ),
            other_section(
                1,
                "Delivered, but the client can't find it",
                "If the client says the invoice shows as delivered but they never got it, ask "
                "the client to search their spam folder.",
            ),
        ),
    )
    text = compose("invoice shows INV-310 and the client says he never got it", [article]).text
    assert "select Resend" in text and "| Mailbox full |" in text, text
    assert "spam" not in text  # the delivered-but-not-found advice is another problem
    assert "this article" not in text  # a sentence about the page answers nothing


def test_where_to_go_joins_only_an_answer_to_how_or_where() -> None:
    manage = "Go to **Invoices → Recurring** and select the schedule.\n\n- **Pause** skips dates."
    article = passage(
        1,
        "article",
        "Downgrade your plan",
        "On Starter, recurring schedules are paused, not deleted.",
        "What happens when you downgrade",
        more=(other_section(1, "Edit, pause or stop a schedule", manage),),
    )
    # The path is the first step of a task nobody asked how to do: alone, it leads nowhere
    text = compose("would my recurring invoices be lost on starter?", [article]).text
    assert "paused, not deleted" in text, text
    assert "Invoices → Recurring" not in text, text
    text = compose("where do i pause recurring invoices?", [article]).text
    assert "Invoices → Recurring" in text, text


# --- past cases --------------------------------------------------------------------------


def test_an_article_that_covers_the_question_leads_and_the_case_follows_as_a_note() -> None:
    past = case(
        1,
        "Bank feed stopped - BANK-102",
        "The 90-day PSD2 consent had expired (BANK-102). Customer reconnected under "
        "Banking → Connections and the feed backfilled the missing days.",
    )
    article = passage(
        2,
        "article",
        "Reconnect an expired bank connection",
        "If the bank feed stopped and shows BANK-102, the consent for the bank connection has "
        "expired. Reconnect the bank under Banking → Connections to renew the consent.",
    )
    text = check(
        compose("my bank feed stopped, BANK-102", [past, article]).text, [past, article]
    ).text
    assert text.index("Reconnect the bank") < text.index(CASE_NOTE_LEAD), text
    assert "They reconnected under Banking → Connections" in text
    assert text.count(CASE_NOTE_LEAD) == 1


def scored(p: Passage, dense: float) -> Passage:
    """The passage as dense search found it, at this cosine to the question."""
    return replace(p, dense_score=dense)


def test_the_case_far_closest_to_the_story_follows_the_guidance_as_a_note() -> None:
    guidance = passage(1, "article", "Capture receipts", "If the camera screen is black, allow "
                       "Camera for the app in your phone's settings.")  # fmt: skip
    same_story = case(2, "Scanner black", "The app had no camera permission on iOS. Enabling "
                      "Camera in Settings fixed the scanner.")  # fmt: skip
    question = "scan receipt just shows a black screen"
    close = compose(question, [scored(guidance, 0.56), scored(same_story, 0.80)]).text
    assert CASE_NOTE_LEAD in close and "no camera permission" in close, close
    # Not when an article is about as close to the question: then the article says it all.
    near = compose(question, [scored(guidance, 0.75), scored(same_story, 0.80)]).text
    assert CASE_NOTE_LEAD not in near, near


def test_an_article_saying_nothing_of_the_closest_cases_fix_does_not_lead_its_note() -> None:
    declined = passage(1, "article", "Failed payments", "If your card is declined when "
                       "you update the card on the billing page, call your bank.")  # fmt: skip
    blocked = case(2, "Card form empty", "An ad blocker was hiding the payment frame. They "
                   "paused the ad blocker for the site and the form appeared.")  # fmt: skip
    question = "the card form on the billing page is empty, cant update my card"
    alone = compose(question, [scored(declined, 0.55), scored(blocked, 0.80)]).text
    assert alone.startswith(CASE_NOTE_LEAD) and "ad blocker" in alone, alone
    assert "declined" not in alone and "[1]" not in alone  # nothing of the article
    # An article that tells the same fix leads, and the case follows it as a note.
    paused = passage(1, "article", "Card form missing", "If the card form is empty, an ad "
                     "blocker may hide the payment frame: pause it for the site.")  # fmt: skip
    both = compose(question, [scored(paused, 0.55), scored(blocked, 0.80)]).text
    assert both.index("pause it for the site") < both.index(CASE_NOTE_LEAD), both


def test_two_cases_telling_the_same_fix_make_one_note() -> None:
    first = case(
        1,
        "Bank feed stopped - BANK-102",
        "The 90-day PSD2 consent had expired (BANK-102). Customer reconnected under "
        "Banking → Connections and the feed backfilled the missing days.",
    )
    second = case(
        2,
        "No transactions since last week - BANK-102",
        "The bank consent had expired after 90 days (BANK-102). The customer reconnected under "
        "Banking → Connections and the missing transactions backfilled.",
    )
    text = compose("bank feed stopped, BANK-102", [first, second]).text
    assert text.count(CASE_NOTE_LEAD) == 1 and "[2]" not in text, text
