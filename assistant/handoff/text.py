"""What the customer reads when a person takes over: in the second person, with empathy when
they are upset. The reasons' agent-facing explanations ("the customer is upset") stay in the
case; a customer is never told about themselves in the third person."""

from __future__ import annotations

from collections.abc import Sequence

# Why a person takes over, said to the customer (the first reason that has a phrase wins).
CUSTOMER_REASONS = {
    "human_requested": "as you asked",
    "repeated_failure": "since my answers haven't solved it",
    "out_of_scope": "because our help center doesn't cover this",
    "low_confidence": "because I'm not sure enough of an answer to give you one",
    "backend_unavailable": "because I'm having trouble answering right now",
}
# Hand-offs where the knowledge base fell short: the closest articles may still help.
ARTICLE_REASONS = frozenset({"low_confidence", "repeated_failure"})


def offers_articles(reasons: Sequence[str]) -> bool:
    """Closest articles help when the knowledge base fell short; out of scope they are about
    something else, and a customer who asked for a person or is upset wants the person."""
    return bool(ARTICLE_REASONS & set(reasons)) and not {"human_requested", "angry"} & set(reasons)


def acknowledged(answer: str) -> str:
    """An answer to a frustrated customer: sorry first, and a person one message away (saying
    it did not help hands off at once: assistant/triage.py, repeated failure)."""
    return (
        f"I'm sorry for the trouble.\n\n{answer}\n\nIf this doesn't solve it, tell me and "
        "I'll bring in a person right away."
    )


def handoff_text(
    reasons: Sequence[str], queue: str, case_id: int, wait: str, has_related: bool
) -> str:
    team = "" if queue in ("support", "general") else f" on our {queue} team"
    sorry = "I'm sorry this has been frustrating. " if "angry" in reasons else ""
    why = next((f" {CUSTOMER_REASONS[r]}" for r in reasons if r in CUSTOMER_REASONS), "")
    meanwhile = " Meanwhile, the articles below may help." if has_related else ""
    return (
        f"{sorry}I'm passing this to a person{team}{why}. They already have a summary of our "
        f"conversation, so you won't need to repeat yourself. {wait}"
        f"{meanwhile} Their reply will appear right here (case #{case_id})."
    )


def waiting_text(reasons_added: Sequence[str], wait: str) -> str:
    """A message while the case waits: anger or a request for a person is acknowledged (the
    case was raised), anything else joined the case."""
    if "angry" in reasons_added:
        lead = (
            "I'm sorry this is taking so long. I've raised the priority of your case and told "
            "the team how you feel, so the person picking it up knows."
        )
    elif "human_requested" in reasons_added:
        lead = "A person will answer you here; I've flagged your case so it is picked up first."
    else:
        lead = "Thanks, I've added that to your case so the person picking it up sees it."
    return f"{lead} {wait}"
