"""Plain-text structure shared by chunking and answering: blocks, sentences, content words."""

from __future__ import annotations

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
    words = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower().strip(".,")
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word[0].isdigit() or word[0] == "$":
            words.append(word.replace(",", "").rstrip("."))
        else:
            words.append(stem(word))
    return words


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
