"""What a question asks an extractive answer for: the fix steps when it tells of a problem,
and not a sentence that merely shares a count with it."""

from __future__ import annotations

from assistant.backends.extractive import compose
from tests.assistant.extractive_passages import other_section, passage


def test_a_problem_report_gets_the_fix_steps_of_the_section_that_explains_it() -> None:
    steps = (
        '1. Search your whole mailbox for "Tallybook", including spam, junk, and tabs such as '
        "Gmail's Promotions or Updates and Outlook's Other.\n"
        "2. Check quarantine. Microsoft 365 and Google Workspace admins can hold messages in a "
        "quarantine you don't see. Ask your IT team to release them.\n"
        "3. Allowlist the domain tallybook.example in your email client, or ask IT to add it to "
        "the company mail gateway's safe senders.\n"
        "4. Check the address. Go to Profile → Email addresses and confirm your primary address "
        "is spelled correctly.\n"
        "5. Request a fresh email, and use the newest one: password reset links expire after 1 "
        "hour and data export links after 48 hours.\n"
    )
    emails = passage(
        1,
        "article",
        "Emails not arriving",
        "Account emails are sent from addresses at tallybook.example. They include password "
        "resets, team invitations and security alerts.",
        "Emails Tallybook sends to you",
        more=(other_section(1, "Emails Tallybook sends to you > Step by step", steps),),
    )
    reported = compose("our staff dont get the invite emails from tallybook", [emails])
    assert "team invitations" in reported.text and "1. Search your whole mailbox" in reported.text
    # Asked what the emails are, the steps are beside the point.
    asked = compose("which emails does tallybook send, invitations too?", [emails])
    assert "team invitations" in asked.text and "Search your whole mailbox" not in asked.text


def test_a_count_in_the_question_does_not_pick_a_sentence_that_happens_to_share_it() -> None:
    article = passage(
        1,
        "article",
        "Webhooks",
        "Events can arrive more than once. Use the event id to ignore duplicates.",
        "Retries",
        more=(
            other_section(
                1,
                "Disabled endpoints",
                "If an endpoint keeps failing for 3 consecutive days, it is disabled.",
            ),
        ),
    )
    text = compose("we get the same webhook event 2-3 times, duplicates?", [article]).text
    assert "ignore duplicates" in text and "3 consecutive days" not in text, text
