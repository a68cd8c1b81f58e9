"""What a question asks an extractive answer for: the fix steps when it tells of a problem,
not a sentence that merely shares a count with it, and the words that tell this knowledge
base's pages apart rather than the words every page uses."""

from __future__ import annotations

import pytest

from assistant.backends.extractive import compose
from assistant.backends.extractive_scoring import already_done, rarities, score, weights_of
from assistant.backends.extractive_units import Unit
from assistant.rarity import word_rarity
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


# A help center about receipts: "receipt" and "show" are everywhere, "black" and "screen" rare.
VOCABULARY = {"receipt": 400, "receipts": 300, "show": 200, "showing": 150, "shows": 100}
VOCABULARY |= {"black": 2, "screen": 3, "camera": 4, "scan": 30, "web": 60, "app": 500}


def test_the_words_that_tell_the_pages_apart_weigh_more_than_the_words_all_pages_use() -> None:
    weights = weights_of("my receipt scan shows a black screen")
    rare = rarities(weights, word_rarity(VOCABULARY))
    assert rare["black"] > 1 > rare["receipt"]
    assert sum(rare.values()) / len(rare) == pytest.approx(1.0)  # the question's scale is kept
    common = Unit(1, 0, 1, "sentence", "The receipt is showing on the web after the next sync.")
    telling = Unit(1, 0, 2, "sentence", "A black screen means the app has no camera permission.")
    assert score(common, weights, set()) >= score(telling, weights, set())  # words alike
    assert score(telling, weights, set(), rare) > score(common, weights, set(), rare)


def test_a_troubleshooting_list_gives_the_customers_situation_not_its_neighbours() -> None:
    article = passage(
        1,
        "article",
        "Capture receipts with the mobile app",
        "- **The receipt isn't showing on the web.** It may not have synced yet. Check More → "
        "Sync status in the app.\n"
        "- **The camera screen is black.** The app doesn't have camera permission. Allow "
        "Camera for Tallybook in your phone's settings.\n",
        "If this doesn't work",
    )
    question = "scanning a receipt just shows a black screen"
    text = compose(question, [article], word_rarity(VOCABULARY)).text
    assert "Allow Camera" in text, text
    assert "synced" not in text, text


@pytest.mark.parametrize(
    ("question", "done"),
    [
        ("is there any way to get back a workspace i deleted 2 weeks ago?", {"delet"}),
        ("i did the reconnect and approved it in my bank app", {"reconnect"}),
        ("we've already uploaded the logo", {"upload"}),
        ("my bank connection expired, what do I do?", set()),  # a state, not a task done
        ("need the numbers for the tax thing", set()),
    ],
)
def test_what_the_customer_says_they_did_already_is_read_from_the_question(
    question: str, done: set[str]
) -> None:
    assert already_done(question) == done
