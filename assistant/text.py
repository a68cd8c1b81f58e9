"""Plain-text structure shared by chunking and answering: blocks, sentences, content words."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import Stemmer

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | list | code | table
    text: str
    level: int = 0


def _block_start(line: str) -> bool:
    """A heading or a code fence always starts a new block, even without a blank line."""
    return bool(_HEADING.match(line) or _FENCE.match(line.strip()))


def parse_blocks(markdown: str) -> list[Block]:
    """Split Markdown into headings and whole content blocks (lists and code kept intact)."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if heading := _HEADING.match(line):
            blocks.append(Block("heading", heading.group(2).strip(), len(heading.group(1))))
            i += 1
            continue
        if fence := _FENCE.match(line.strip()):
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(fence.group(1)):
                end += 1
            blocks.append(Block("code", "\n".join(lines[i : end + 1])))
            i = end + 1
            continue
        kind = (
            "table"
            if line.lstrip().startswith("|")
            else "list"
            if LIST_ITEM.match(line)
            else "paragraph"
        )
        end = i + 1
        while end < len(lines) and lines[end].strip():
            nxt = lines[end]
            if _block_start(nxt):
                break
            if kind == "paragraph" and LIST_ITEM.match(nxt):
                break
            end += 1
        # A list continues across blank lines while the next line is another item or indented.
        while (
            kind == "list"
            and end + 1 < len(lines)
            and not lines[end].strip()
            and (LIST_ITEM.match(lines[end + 1]) or lines[end + 1].startswith(("  ", "\t")))
        ):
            end += 2
            while end < len(lines) and lines[end].strip() and not _block_start(lines[end]):
                end += 1
        blocks.append(Block(kind, "\n".join(lines[i:end]).strip("\n")))
        i = end
    return blocks


# --- words -------------------------------------------------------------------------------

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "pls",
        "plz",
        "get",
        "got",
        "im",
        "i'm",
        "ive",
        "i've",
        "dont",
        "don't",
        "cant",
        "can't",
        "wont",
        "won't",
        "whats",
        "what's",
        "hows",
        "how's",
        "anyone",
        "someone",
        "something",
        "thing",
        "things",
        "still",
        "also",
        "know",
        "need",
        "want",
        "like",
        "way",
        "help",
        "us",
        "let",
        "tell",
        "really",
        "much",
        "many",
        "one",
        "use",
        "using",
        "used",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_'][A-Za-z0-9]+)*|\$?\d[\d,.]*%?")
CODE = re.compile(r"\b[A-Z]{2,5}-\d{3}\b")


_STEMMER = Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """Snowball (Porter 2): 'connection', 'connecting' and 'connect' meet."""
    return str(_STEMMER.stemWord(word))


def content_words(text: str) -> list[str]:
    """Lower-cased, stemmed words that carry meaning (no stop words), numbers normalised."""
    return list(_content_words(text))


# A turn reads the same passages several times (composing, grounding, confidence), and the
# same help-center passages come up turn after turn: each text is split and stemmed once.
@functools.lru_cache(maxsize=4096)
def _content_words(text: str) -> tuple[str, ...]:
    words = []
    for match in _WORD.finditer(text):
        for word in _parts(match.group(0).lower().strip(".,")):
            if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
                continue
            if word[0].isdigit() or word[0] == "$":
                words.append(word.replace(",", "").rstrip("."))
            else:
                words.append(stem(word))
    return tuple(words)


def _parts(word: str) -> list[str]:
    """A hyphenated compound of plain words is its words: customers type "two factor" and
    "multi currency" where help centers write "two-factor" and "multi-currency". A code
    ("bank-102") stays whole: it names one error."""
    parts = word.split("-")
    if len(parts) > 1 and all(p.isalpha() for p in parts):
        return parts
    return [word]


# Everyday words customers use for what help centers call otherwise (general SaaS support
# vocabulary, not tuned to one knowledge base). Used to widen lexical matching only.
SYNONYMS = {
    "money back": "refund",
    "refunded": "refund",
    "reimburse": "refund",
    "how much": "price cost",
    "pricing": "price cost",
    "costs": "price",
    "log in": "sign in",
    "login": "sign in",
    "logged out": "signed out session",
    "password": "password reset",
    "locked out": "sign in lockout",
    "2fa": "two-factor authentication",
    "mfa": "two-factor authentication",
    "sso": "single sign-on saml",
    "quit": "cancel",
    "stop paying": "cancel subscription",
    "get rid of": "delete",
    "erase": "delete",
    "remove my data": "delete export data",
    "bill": "invoice",
    "bills": "invoices",
    "receipt": "receipt expense",
    "seats": "users",
    "seat": "user",
    "people": "users",
    "colleague": "user team",
    "charged twice": "duplicate charge refund",
    "double charged": "duplicate charge refund",
    "lock": "read-only past due",
    "locked": "read-only",
    "phone": "mobile app",
    "app store": "mobile app ios android",
    "offline": "offline mode sync",
    "bank feed": "bank connection sync",
    "bank thing": "bank connection",
    "yearly": "annual",
    "a year": "annual",
    "per year": "annual",
    "monthly": "month",
}


def expand(text: str) -> str:
    """The synonyms of the everyday phrases found in `text` (empty if none)."""
    lowered = text.lower()
    return " ".join(v for k, v in SYNONYMS.items() if re.search(rf"\b{re.escape(k)}\b", lowered))


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def plain(text: str) -> str:
    """Markdown emphasis and code ticks removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"\*\*|__|`", "", text)).strip()


# A problem report ("our staff don't get the invite emails"): like "how do I…", it is answered by
# a list of steps (the fix).
PROBLEM = re.compile(
    r"\b(?:(?:do|does|did|is|are|was|were|has|have|could)(?:n'?t| not)|won'?t|can'?t|cannot"
    r"|never|no longer)"
    r"\s+(?:\w+\s+)?(?:get|getting|got|receiv\w*|arriv\w*|work\w*|load\w*|show\w*|sync\w*|"
    r"send\w*|sent|go(?:ing)? through|open\w*|come|coming|came|appear\w*)\b"
    r"|\b(?:stopped|fail\w*|broken|stuck|missing|not (?:working|arriving|receiving|getting))\b",
    re.I,
)

# --- past cases ----------------------------------------------------------------------------

# A resolved case reaches an answer only through what the agent wrote about how it was solved,
# kept apart from the customer's words end to end: the loader puts it in this metadata field,
# chunking copies it onto the case's chunks, and answers, grounding and snippets read it there.
RESOLUTION_FIELD = "resolution"
# …and its vector, embedded once at ingest (base64 float32): a turn led by the case searches
# for the guidance it applied without embedding the resolution again. Not for the vector store.
RESOLUTION_VECTOR_FIELD = "resolution_vector"
CASE_TITLE = "Resolved support case"  # what a customer sees of another customer's case
CASE_NOTE_LEAD = "Other customers fixed this as follows:"
CASE_NOTE_SENTENCES = 3

# A sentence about that one customer, not about the fix: a redacted name or number, an address,
# a date, a particular person, an identity check, a favour or exception that is not policy,
# or what we did internally. Another customer is never told it; nor what that customer decided
# or plans to do (their choice, not the fix).
_ABOUT_THAT_CUSTOMER = re.compile(
    r"\[[A-Z_]+\]|@|https?://|www\.|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}\b"
    r"|\bID (?:photo|card|document)s?\b|\bphoto ID\b"
    r"|(?i:\b(?:identity|passport|driving licen[cs]e|goodwill"
    r"|one-off|one-time|as an exception|courtesy|internal ticket|feedback|post-incident)\b)"
)
_TOLD_THAT = re.compile(
    r"^(?:we |support |the agent )?(?:explained|confirmed|clarified)(?: to (?:the customer|them))?"
    r" that\s+",
    re.I,
)
_THEIR_CHOICE = re.compile(  # dropped, but no sign the case was about that customer alone
    r"(?i:\b(?:decided to|plan(?:s|ned)? to|next (?:week|month|quarter|year))\b)"
)
_OBJECT = (
    r"(?i:for|to|with|from|by|on|at|asked|told|helped|gave|sent|showed|reminded|advised|pointed"
    r"|emailed|called|contacted|refunded|charged|let)"
)
_THE_CUSTOMER = r"\b([Tt])he (?:[A-Z]\w+ )?customer"
_NOT_A_PERSON = r"(?! (?:record|records|list|field|data|details|contact|contacts|name|portal)\b)"
_THEY_VERB = re.compile(
    rf"(?:{_THE_CUSTOMER}|\b(C)ustomer){_NOT_A_PERSON}((?: now| still| also| then| no longer)?)"
    r"(?: (\w+(?:n't)?))?"
)
_PERSON: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?<![Tt]he )\b[Cc]ustomer (told|advised|given|shown|offered|reminded)\b"),
        r"they were \1",
    ),
    (re.compile(_THE_CUSTOMER + r"'s(?= to\b|[.,;])"), r"\1heirs"),
    (re.compile(_THE_CUSTOMER + r"'s\b"), r"\1heir"),
    (re.compile(r"^Customer's\b"), "Their"),
    (re.compile(rf"\b({_OBJECT}) the customer\b{_NOT_A_PERSON}"), r"\1 them"),
]
_PLURAL = {
    "was": "were",
    "has": "have",
    "is": "are",
    "does": "do",
    "doesn't": "don't",
    "wasn't": "weren't",
    "hasn't": "haven't",
    "isn't": "aren't",
}


def _plural_verb(word: str) -> str:
    """The verb as "they" says it: "forwards" → "forward", "was" → "were", "reconnected" as is."""
    if word in _PLURAL:
        return _PLURAL[word]
    for singular, plural in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss")):
        if word.endswith(singular):
            return word[: -len(singular)] + plural
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


_PRONOUN = re.compile(
    r"\b(he|she|his|him|her)\b(?:( )(was|is|has|does|wasn't|isn't|hasn't|doesn't)\b)?", re.I
)
_OBJECT_NEXT = re.compile(r"\s+(?:a|an|the|to|in|on|at|with|for|and|as|so)\b|\W*$")


def _pronoun(match: re.Match[str]) -> str:
    """One person of that case ("she was", "his") becomes anyone ("they were", "their")."""
    word = match.group(1)
    lower = word.lower()
    if lower == "her":
        new = "them" if _OBJECT_NEXT.match(match.string, match.end(1)) else "their"
    else:
        new = {"he": "they", "she": "they", "his": "their", "him": "them"}[lower]
    if match.group(3):
        new += " " + _PLURAL[match.group(3).lower()]
    return new.capitalize() if word[0].isupper() else new


def _they(match: re.Match[str]) -> str:
    initial = match.group(1) or match.group(2)
    pronoun = "They" if initial in "TC" and (match.group(2) or initial == "T") else "they"
    verb = match.group(4)
    return pronoun + match.group(3) + (f" {_plural_verb(verb)}" if verb else "")


def case_note(resolution: str) -> list[str]:
    """The sentences of an agent's resolution that another customer may read, in the plural
    ("they reconnected", not "the customer reconnected"); empty when the case was mostly about
    that customer."""
    kept: list[str] = []
    private = 0
    for sentence in split_sentences(plain(resolution)):
        if _ABOUT_THAT_CUSTOMER.search(sentence):
            private += 1
            continue
        if _THEIR_CHOICE.search(sentence):
            continue
        sentence = _TOLD_THAT.sub("", sentence)  # "Explained that the fee was…": the fact
        for pattern, replacement in _PERSON:
            sentence = pattern.sub(replacement, sentence)
        sentence = _THEY_VERB.sub(_they, sentence)
        sentence = _PRONOUN.sub(_pronoun, sentence)
        kept.append(sentence[:1].upper() + sentence[1:])
    # A case that was mostly about that customer (an exception, an identity check) is no
    # pattern for others: what is left of it would be a fix out of its context.
    return kept[:CASE_NOTE_SENTENCES] if len(kept) > private else []
