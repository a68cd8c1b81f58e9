"""Case intake: what a person needs to start work, read from the conversation, and what to ask.

Pure functions. Each case category declares its required fields (`REQUIRED`); `collect()` reads
them from the customer's own messages and the context the widget passed; `question()` asks for
what is missing in one short message. Research we start from: most escalations arrive without
the details an agent needs, and collecting them costs two more interactions. We collect them
before the hand-off — at most two questions, and none when the customer is upset or asked for
a person (then the agent asks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.store.protocol import Customer

MAX_QUESTIONS = 2  # intake questions per hand-off
PER_QUESTION = 2  # fields one question may ask for


@dataclass(frozen=True)
class CaseField:
    name: str
    label: str  # what the agent reads in the summary
    ask: str  # the clause of a question that asks for it


FIELDS: dict[str, CaseField] = {
    f.name: f
    for f in (
        CaseField("account", "Account", "the email address (or account ID) of your account"),
        CaseField("product_area", "Product area", "which part of the product this is about"),
        CaseField("error_message", "Error message", "the exact error message you see"),
        CaseField("started", "Started", "when it started"),
        CaseField("charge", "Charge", "the amount and date of the charge"),
        CaseField("seats", "Team size", "how many people (seats) would use it"),
    )
}

# Category → what a person needs before they can start. A category is a policy name, or one of
# the product-question categories below.
REQUIRED: dict[str, tuple[str, ...]] = {
    "problem": ("account", "product_area", "error_message", "started"),
    "question": ("account", "product_area"),
    "general": (),  # not a product question: nothing to collect before a person replies
    "refund": ("account", "charge"),
    "billing_dispute": ("account", "charge"),
    "compensation": ("account",),
    "cancellation": ("account",),
    "security_incident": ("account", "started"),
    "legal": ("account",),
    "data_deletion": ("account",),
    "sales": ("account", "seats"),
}

PRODUCT_AREAS: dict[str, tuple[str, ...]] = {
    "banking": (
        "bank",
        "bank feed",
        "bank sync",
        "transactions",
        "reconcil",
        "plaid",
        "open banking",
    ),
    "invoicing": ("invoice", "quote", "estimate", "payment link", "late fee", "reminder"),
    "billing": (
        "subscription",
        "my plan",
        "charged",
        "charge",
        "billing",
        "refund",
        "upgrade",
        "downgrade",
        "receipt for my",
    ),
    "payroll": ("payroll", "salary", "salaries", "payslip", "contractor"),
    "expenses": ("expense", "receipt", "mileage", "bill"),
    "reports": ("report", "profit and loss", "p&l", "balance sheet", "export"),
    "integrations": (
        "integration",
        "stripe",
        "shopify",
        "paypal",
        "zapier",
        "xero",
        "quickbooks",
        "gusto",
        "slack",
    ),
    "api": ("api", "webhook", "token", "oauth", "endpoint", "rate limit"),
    "mobile": ("mobile", "app store", "android", "iphone", "ios", "phone app"),
    "account": (
        "password",
        "log in",
        "login",
        "sign in",
        "2fa",
        "two-factor",
        "email address",
        "workspace",
        "user",
        "seat",
    ),
    "security": (
        "security",
        "breach",
        "hacked",
        "phishing",
        "suspicious",
        "gdpr",
        "data residency",
    ),
}

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
ACCOUNT_ID = re.compile(
    r"\b(?:account|workspace|customer|company)\s*(?:id|number|no\.?|#)\s*(?:is|:|=)?\s*([A-Z0-9][\w-]{3,})",
    re.I,
)
# Quoted text; an apostrophe inside a word ("didn't") opens or closes nothing.
_QUOTED = re.compile(r"(?<![A-Za-z])[\"“'‘]([^\"”’']{4,160})[\"”’'](?![A-Za-z])")
_ERROR = re.compile(
    r"\b(?:error|code|exception|message|says|saying|shows?|showing|displays?|get(?:ting)?)\b"
    r"[^.!?\n]{0,20}?(?:[:\"“']|\b(?:code\s*)?[A-Z]{1,4}[-_ ]?\d{2,5}\b)",
    re.I,
)
_ERROR_CODE = re.compile(r"\b(?:[A-Z]{1,5}[-_]?\d{2,5}|\d{3})\b")
_NAMED_CODE = re.compile(r"\b[A-Z]{2,5}-\d{2,5}\b")  # a product's error code, never a number
_SAYS = re.compile(r"\b(?:error|message|says|saying)\b\s*[:\-–]?\s*(.{3,120})", re.I)
_NO_ERROR = re.compile(
    r"\b(?:no|without|there(?:'s| is) no|doesn't show|does not show|didn't get)\s+"
    r"(?:an?\s+|any\s+)?(?:error|message)",
    re.I,
)
_PROBLEM = re.compile(
    r"\b(?:error|fail\w*|broken|crash\w*|stuck|bug|not working|doesn't work|does not work|"
    r"won't|wont|can't|cannot|can not|unable|isn't|is not|aren't|not (?:syncing|loading|showing|"
    r"sending|updating|connecting)|stopped|missing|disappeared|wrong|keeps?|outages?|downtime|"
    r"(?:is|was|went|are|were|been) down)\b",
    re.I,
)
_WHEN = re.compile(
    r"\b(?:since|started|began|yesterday|today|this (?:morning|afternoon|week|month)|last "
    r"(?:night|week|month|friday|monday|tuesday|wednesday|thursday|saturday|sunday)|"
    r"\d+\s+(?:minutes?|hours?|days?|weeks?|months?)\s+ago|ago|"
    r"on (?:mon|tue|wed|thu|fri|sat|sun)\w*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*\.?\s+\d{1,2}|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|after (?:the|your|an?) (?:update|upgrade|release))\b",
    re.I,
)
_MONEY = re.compile(
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d{2})?"
    r"|\b\d[\d,]*(?:\.\d{2})?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b)",
    re.I,
)
_SEATS = re.compile(
    r"\b(\d[\d,]*)\s*(?:\+\s*)?(?:seats?|users?|people|employees|staff|members|licen[cs]es|"
    r"person team|-person)\b",
    re.I,
)


@dataclass(frozen=True)
class Intake:
    category: str
    required: tuple[str, ...]
    found: dict[str, str]  # field → the value, as the customer gave it
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def _first(pattern: re.Pattern[str], texts: Sequence[str], group: int = 0) -> str:
    for text in reversed(texts):  # the latest statement wins
        match = pattern.search(text)
        if match:
            return match.group(group).strip()
    return ""


def _sentence_with(pattern: re.Pattern[str], texts: Sequence[str]) -> str:
    for text in reversed(texts):
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            if pattern.search(sentence):
                return sentence.strip()[:200]
    return ""


def product_area(texts: Sequence[str], customer: Customer, kb_area: str = "") -> str:
    """The widget's page context first; then the customer's words; then the best KB match."""
    if customer.product_area:
        return customer.product_area
    lowered = " ".join(texts).lower()
    scores = {
        area: sum(bool(re.search(rf"\b{re.escape(k)}", lowered)) for k in keys)
        for area, keys in PRODUCT_AREAS.items()
    }
    best = max(scores, key=lambda a: scores[a])
    return best if scores[best] else kb_area


def error_message(texts: Sequence[str]) -> str:
    """The error itself, not the sentence around it: a quoted message, else an error code, else
    the clause after "error:" / "says"."""
    quoted = _first(_QUOTED, texts, 1)
    if quoted:
        return quoted
    if _sentence_with(_NO_ERROR, texts):
        return "no error message shown"
    sentence = (
        _sentence_with(_ERROR, texts)
        or _sentence_with(_ERROR_CODE, [t for t in texts if _PROBLEM.search(t)])
        or _sentence_with(_NAMED_CODE, texts)  # "my emails bounce with INV-310"
    )
    if not sentence:
        return ""
    code = _ERROR_CODE.search(sentence)
    if code:
        return code.group(0)
    said = _SAYS.search(sentence)
    return said.group(1).strip(" .") if said else sentence


def collect(texts: Sequence[str], customer: Customer, kb_area: str = "") -> dict[str, str]:
    """Every field we can read: `texts` are the customer's messages, oldest first."""
    account = customer.email or customer.id or _first(EMAIL, texts) or _first(ACCOUNT_ID, texts, 1)
    values = {
        "account": account,
        "product_area": product_area(texts, customer, kb_area),
        "error_message": error_message(texts),
        "started": _sentence_with(_WHEN, texts),
        "charge": _sentence_with(_MONEY, texts)
        or _sentence_with(
            re.compile(r"\bcharg\w*\b.*\b(?:on|last)\b|\binvoice\s*#?\s*\w*\d", re.I), texts
        ),
        "seats": _first(_SEATS, texts, 1),
    }
    return {k: v for k, v in values.items() if v}


def reports_problem(text: str) -> bool:
    """The message describes something wrong ("stopped updating", "error", "can't")."""
    return bool(_PROBLEM.search(text))


def category(policies: Sequence[str], texts: Sequence[str], answered_area: bool) -> str:
    """A policy names the category; otherwise a reported problem, a product question, or general
    (nothing in the knowledge base is near it)."""
    for name in policies:
        if name in REQUIRED:
            return name
    if any(_PROBLEM.search(t) for t in texts):
        return "problem"
    return "question" if answered_area else "general"


def assess(
    policies: Sequence[str],
    texts: Sequence[str],
    customer: Customer,
    kb_area: str = "",
    known: Mapping[str, str] | None = None,
) -> Intake:
    """`known`: fields read from earlier messages as they were said (the stored transcript is
    redacted: an email given for the account is kept only where the intake recorded it)."""
    name = category(policies, texts, bool(kb_area))
    found = {**(known or {}), **collect(texts, customer, kb_area)}
    required = REQUIRED[name]
    return Intake(name, required, found, tuple(f for f in required if f not in found))


def may_ask(reasons: Sequence[str], asked: int) -> bool:
    """Ask only while fewer than two questions went out, and never when the customer is upset,
    asked for a person, or a dependency failed: then hand off at once and let the agent ask."""
    urgent = {"angry", "human_requested", "backend_unavailable"}
    return asked < MAX_QUESTIONS and not urgent.intersection(reasons)


def asking_for(missing: Sequence[str]) -> str:
    """ "X" or "X, and Y": the first (at most) two missing fields, as a question asks for them."""
    wanted = [FIELDS[m].ask for m in missing[:PER_QUESTION]]
    return wanted[0] if len(wanted) == 1 else f"{wanted[0]}, and {wanted[1]}"


def question(missing: Sequence[str], asked: int, queue: str = "support") -> str:
    """One short message asking for (at most) two missing fields."""
    joined = asking_for(missing)
    team = "our team" if queue in ("support", "general") else f"our {queue} team"
    opener = (
        f"I'll pass this to a person on {team}. So they can start right away, could you tell me "
        if asked == 0
        else "Thanks. One more thing for the person picking this up: "
    )
    return f"{opener}{joined}?"


def labelled(found: Mapping[str, str]) -> dict[str, str]:
    """Field values keyed by the label the agent reads."""
    return {FIELDS[k].label: v for k, v in found.items() if k in FIELDS}


_BY_LABEL = {f.label: name for name, f in FIELDS.items()}


def unlabelled(fields: Mapping[str, str]) -> dict[str, str]:
    """`labelled` undone: field values keyed by the field's name."""
    return {_BY_LABEL[k]: v for k, v in fields.items() if k in _BY_LABEL}


def field_names(labels: Sequence[str]) -> list[str]:
    """The names of the fields these labels stand for (a summary lists what is missing by label)."""
    return [_BY_LABEL[label] for label in labels if label in _BY_LABEL]
