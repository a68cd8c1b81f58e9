"""An extractive answer never splices in a passage about another error code or platform than
the question names."""

from __future__ import annotations

from assistant.backends.extractive import compose
from tests.assistant.extractive_passages import passage


def test_passages_about_another_error_code_are_never_spliced_in() -> None:
    fix_102 = passage(
        1,
        "faq",
        "What does BANK-102 Bank connection expired mean?",
        "Your consent has run out after 90 days. Reconnect the bank under Banking → Connections.",
    )
    about_101 = passage(
        2,
        "article",
        "Bank errors",
        "BANK-101 means the bank rejected your login. Sign in to your bank directly first, "
        "then connect the bank again under Banking → Connections.",
    )
    about_205 = passage(
        3,
        "article",
        "Reconnect an expired bank connection (BANK-102, BANK-205)",
        "This error comes from the bank's side, so reconnecting won't help and can make the "
        "warning last longer. Wait for the bank feed to recover; BANK-205 clears by itself.",
        "Fix BANK-205: Institution temporarily unavailable",
    )
    question = "hi, my bank feed stopped updating and there's a warning saying BANK-102"
    draft = compose(question, [about_205, about_101, fix_102])
    assert "Reconnect the bank" in draft.text, draft.text
    assert "won't help" not in draft.text and "BANK-101" not in draft.text
    assert "rejected your login" not in draft.text


def test_a_platform_the_question_does_not_name_stays_out() -> None:
    ios = passage(
        1,
        "article",
        "Scan receipts",
        "On iPhone, allow Camera access under Settings → Tallybook and restart the app.",
    )
    android = passage(
        2,
        "article",
        "Scan receipts",
        "On Android, allow the camera permission under Apps → Tallybook → Permissions.",
    )
    draft = compose("the receipt scanner camera is black on my android phone", [ios, android])
    assert "Apps → Tallybook → Permissions" in draft.text, draft.text
    assert "iPhone" not in draft.text
