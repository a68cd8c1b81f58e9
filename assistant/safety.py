"""Text aimed at the model is data, never instructions; a reply never phishes.

Knowledge-base articles, customer cases and customer messages can carry text addressed to the
model: "ignore previous instructions…", a fake "system:" turn, a request to print the prompt.
Such sentences are found here and dropped: at ingest, from every retrieved passage before any
backend reads it; and a customer message carrying one is never answered by the bot. The
prompts also fence passages off as reference data, and `output_problems` checks what a backend
wrote before a customer sees it.

Detection scores features (`assistant.injection_features`) rather than matching phrasings.
Each sentence is read in several forms — canonical (NFKC, no invisible characters, look-alike
letters as Latin, no accents), with markup unwrapped (alt text, titles, quoted strings on their
own), leetspeak read as letters, spaced-out or hyphenated letters joined, base64, rot13 and
reversed text decoded — and a disguise that hides something adds to the score. What is kept is
the original text.

The trade-off: a false positive costs one sentence of context (or a hand-off, for a customer
message), a miss can cost the conversation; tests/security/corpus holds both sides.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import html
import re
import unicodedata
from collections.abc import Collection, Iterable
from urllib.parse import unquote, urlsplit

from assistant.injection_features import CARRIES, COMPILED, NEGATABLE, NEGATED, THRESHOLD

__all__ = [
    "THRESHOLD",
    "canonical",
    "credential_requests",
    "fold",
    "injection_score",
    "injection_signals",
    "looks_like_injection",
    "output_problems",
    "outside_links",
    "site_domains",
    "strip_injections",
]

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u180e"))
# Letters that render like Latin ones (the usual homoglyph substitutions).
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁɡӏАВЕКМНОРСТХІЈЅαεορτυνκιΑΒΕΖΗΙΚΜΝΟΡΤΥΧɑı",
    "aeopcyxijsdglABEKMHOPCTXIJSaeoptuvkiABEZHIKMNOPTYXai",
)
# Letters NFKD does not take apart (Polish ł, German ß...).
_LETTERS = str.maketrans({"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "’": "'", "‘": "'"})
_LEET = str.maketrans("013457@$|!", "oieastasli")
ENCODED = 0.5  # added when a feature shows only once the text is decoded: hiding is intent


def canonical(text: str) -> str:
    """The form every check reads: compatibility-normalised, no invisible characters,
    look-alike letters as the Latin ones they imitate."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_LOOKALIKES)


def fold(text: str) -> str:
    """Canonical, lower case, without accents: "Instruções" and "INSTRUCOES" read the same."""
    decomposed = unicodedata.normalize("NFKD", canonical(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)


# --- Forms of a sentence -----------------------------------------------------------------

_TAG = re.compile(r"<[^<>]{0,2000}>")
_QUOTED = re.compile(r"\"([^\"\n]{8,})\"")
_ATTRIBUTE = re.compile(r"=\s*\"([^\"]*)\"|=\s*'([^']*)'")
_MIXED_TOKEN = re.compile(r"(?<![\w@$|!])(?=[\w@$|!]*[a-z])(?=[\w@$|!]*[013457@$|!])[\w@$|!]{3,}")
# Single letters joined by single separators ("i g n o r e", "i.g.n.o.r.e", "r-u-l-e-s") and
# words cut into syllables ("ig-no-re").
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .\-_*/|][a-z](?![a-z0-9])){2,}")
_SYLLABLES = re.compile(r"(?<=[a-z])-(?=[a-z]{1,6}\b)")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_BACKWARDS = re.compile(r"\b(?:backwards?|reversed?|right to left|mirror(?:ed)?)\b", re.I)


def _markup_free(text: str) -> str:
    """Entities and %-escapes decoded; tags replaced by their quoted attribute values (alt
    text, titles) and quoted strings put on lines of their own, so each starts a sentence."""
    text = unquote(html.unescape(text))

    def attributes(tag: re.Match[str]) -> str:
        values = [a or b for a, b in _ATTRIBUTE.findall(tag.group(0))]
        return "\n" + "\n".join(values) + "\n"

    return _QUOTED.sub(lambda m: "\n" + m.group(1) + "\n", _TAG.sub(attributes, text))


def _joined(text: str) -> str:
    def join(run: re.Match[str]) -> str:
        letters = run.group(0)
        separators = set(letters[1::2])
        if len(separators) > 1 and " " in separators:  # "i.g.n.o.r.e p.r.e.v": spaces part words
            return " ".join(re.sub(r"[^a-z]", "", w) for w in letters.split(" "))
        return re.sub(r"[^a-z]", "", letters)

    return _SYLLABLES.sub("", _SPACED.sub(join, text))


def _decoded(text: str) -> list[str]:
    """Base64 chunks that decode to readable text; the rot13 reading when rot13 is named; the
    text reversed when it says to read it backwards."""
    found = []
    for chunk in _BASE64.findall(text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            if len(raw) >= 8 and sum(c.isprintable() for c in raw) >= 0.95 * len(raw):
                found.append(raw)
                break
    if re.search(r"\brot[ -]?13\b", text, re.I):
        found.append(codecs.decode(text, "rot13"))
    if _BACKWARDS.search(text):
        found.append(text[::-1])
    return found


def _forms(text: str) -> tuple[list[str], list[str]]:
    """The folded readings of one sentence: those of the text as written, and those that
    only decoding reveals."""
    plain = fold(text)
    forms = [plain]
    if "<" in text or "&" in text or "%" in text or '"' in text:
        forms.append(fold(_markup_free(text)))
    if _MIXED_TOKEN.search(plain):
        forms.append(_MIXED_TOKEN.sub(lambda m: m.group(0).translate(_LEET), plain))
    if _SPACED.search(plain) or _SYLLABLES.search(plain):
        forms.append(_joined(plain))
    decoded = [fold(d) for d in _decoded(canonical(text))]
    return forms, decoded


def _features(forms: Iterable[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for form in forms:
        for name, weight, pattern in COMPILED:
            if name in found:
                continue
            match = pattern.search(form)
            if match and not (name in NEGATABLE and _negated(form, match)):
                found[name] = weight
    return found


def _negated(text: str, match: re.Match[str]) -> bool:
    """Inside a "never ask customers for their password"-style clause."""
    return bool(NEGATED.search(text[max(0, match.start() - 60) : match.start()]))


def injection_signals(text: str) -> dict[str, float]:
    """The features found in one sentence (any reading of it), with their weights."""
    forms, decoded = _forms(text)
    found = _features(forms)
    hidden = _features(decoded)
    if hidden:
        found.update({k: v for k, v in hidden.items() if k not in found})
        found["hidden in an encoding"] = ENCODED
    if len(found) > 1 or "hidden from readers" not in found:
        return found
    return {}  # markup that hides nothing aimed at a model is only markup


_SENTENCE = re.compile(r".*?(?:[.!?]+(?=\s|$)\s*|\Z)", re.S)
# A line that starts a block of its own (blank, heading, list item, quote, table, markup,
# fence); other lines continue the paragraph before them (a soft-wrapped sentence is one).
_BLOCK = re.compile(r"\s*(?:$|[#>|<`~*+\-\[!]|\d+[.)]\s)")


def sentences(text: str) -> list[str]:
    """`text` cut into sentences, each with its trailing space; joined, they are `text`."""
    paragraphs: list[str] = []
    lines = text.splitlines(keepends=True)
    for previous, line in zip(["", *lines], lines, strict=False):
        if paragraphs and not _BLOCK.match(line) and not _BLOCK.match(previous):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    return [s for p in paragraphs for s in _SENTENCE.findall(p) if s]


@functools.lru_cache(maxsize=4096)  # the same passages come back turn after turn
def _scores(text: str) -> tuple[tuple[str, float], ...]:
    """Each sentence of `text` (with its trailing space) and its score. A bare header ("###
    System", "<|im_start|>system") lends its weight to the next sentence; if the two add up,
    both go."""
    parts = sentences(text)
    signals = [injection_signals(s) if s.strip() else {} for s in parts]
    scores = [sum(found.values()) for found in signals]
    final = list(scores)
    for i, found in enumerate(signals):
        header = CARRIES & found.keys() and len(fold(parts[i]).split()) <= 4
        if not header or scores[i] >= THRESHOLD:  # flagged alone: it goes, and alone
            continue
        after = next((j for j in range(i + 1, len(parts)) if parts[j].strip()), None)
        if after is not None and scores[after] + max(found.values()) >= THRESHOLD:
            final[after] = max(final[after], scores[after] + max(found.values()))
            final[i] = max(final[i], final[after])
    return tuple(zip(parts, final, strict=True))


def injection_score(text: str) -> float:
    """The highest sentence score of `text`; THRESHOLD or more is an injection."""
    return max((score for _, score in _scores(text)), default=0.0)


def looks_like_injection(text: str) -> bool:
    return injection_score(text) >= THRESHOLD


def strip_injections(text: str) -> str:
    """The text without the sentences that address a model instead of a customer."""
    scored = _scores(text)
    if all(score < THRESHOLD for _, score in scored):
        return text
    return "".join(s for s, score in scored if score < THRESHOLD).strip()


# --- The output check -----------------------------------------------------------------------

_LINK = re.compile(
    r"(?:\b(?:https?|ftp)://|\bmailto:|\bwww\.)[^\s<>()\[\]\"'`]+"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>()\[\]\"'`]*",
    re.I,
)
_SEND = (
    r"(?:send(?:ing)?|e-?mail(?:ing)?|text(?:ing)?|dm|messag(?:e|ing)|reply(?:ing)? (?:to us "
    r"|to me )?with|respond(?:ing)? with|tell(?:ing)?|giv(?:e|ing)|provid(?:e|ing)|shar(?:e|ing)"
    r"|post(?:ing)?|past(?:e|ing)|forward(?:ing)?|read(?:ing)? (?:out|back)|let (?:us|me) (?:know"
    r"|have)|includ(?:e|ing))"
)
_ENTER = (
    r"(?:enter(?:ing)?|typ(?:e|ing)|submit(?:ting)?|confirm(?:ing)?|verify(?:ing)?|fill(?:ing)?"
    r" in|input(?:ting)?|(?:sign|log)(?:ging)? (?:in|on)(?: \S+)? with)"
)
# Who the secret would go to, then whose it is: "send us your", "reply with the".
_TO = r"(?: (?:us|me|them|it|support|our team|the team|back))?"
_WHOSE = r" (?:your|their|the|a copy of your)(?: \w+){0,2}? "
_CARD = (
    r"(?:(?:credit |debit |full )?card (?:number|details|info(?:rmation)?)s?|cvv2?|cvc2?|csc"
    r"|card security code|security code on (?:the|your) card|expiry date|expiration date)"
)
_CREDENTIAL = (
    rf"(?:{_CARD}|passwords?|passcodes?|passphrases?|pin(?: code| number)?s?|one-time (?:pass)?"
    r"(?:codes?|passwords?)|otp|2fa codes?|two-factor codes?|verification codes?|authentication"
    r" codes?|(?:login|sign-in|security) codes?|codes? (?:that )?(?:we|i) (?:just )?"
    r"(?:texted|sent|emailed|messaged)|recovery codes?|backup codes?|api keys?|secret keys?"
    r"|private keys?|seed phrase|recovery phrase|(?:online )?bank(?:ing)? (?:login|password"
    r"|credentials)|login (?:details|credentials)|credentials|iban|account number|routing number"
    r"|sort code|social security number)"
)
# Where typing a secret is part of using the product ("enter your password to confirm" is
# an in-app step), as opposed to "here", "in this chat" or a link.
_ELSEWHERE = (
    r"(?:\bhere\b|\bbelow\b|\bin (?:this|the) (?:chat|conversation|form|reply|message)\b"
    r"|\bon (?:this|the following|our) (?:page|form|link|site)\b|://|\bwww\.)"
)
_CREDENTIAL_REQUEST = re.compile(
    rf"\b(?:{_SEND}{_TO}{_WHOSE}{_CREDENTIAL}\b"
    rf"|{_ENTER}{_WHOSE}{_CREDENTIAL}\b(?=[^.!?\n]*{_ELSEWHERE})"
    rf"|what(?:'s| is) your {_CREDENTIAL}\b|(?:we|i) (?:need|require) your {_CREDENTIAL}\b)",
)
# Card data typed anywhere but the product's own billing page.
_CARD_ENTRY = re.compile(rf"\b{_ENTER}{_TO} your(?: \w+)?? {_CARD}\b")
_IN_PRODUCT = re.compile(r"settings|billing|→|->|in the app")


def site_domains(urls: Iterable[str]) -> frozenset[str]:
    """The domains a knowledge base lives on, from its documents' URLs: each host and its
    parent domain ("help.example.com" allows "app.example.com", not "example.org"). The
    parent is the host less its first label, so a host directly under a shared suffix
    ("me.github.io") would allow its neighbours; help centers rarely live there."""
    domains: set[str] = set()
    for url in urls:
        host = _host(url) if "://" in url else ""
        if host and _HOSTNAME.fullmatch(host):
            domains.add(host)
            labels = host.split(".")
            if len(labels) >= 3:
                domains.add(".".join(labels[1:]))
    return frozenset(domains)


_HOSTNAME = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def _host(link: str) -> str:
    text = unicodedata.normalize("NFKC", link).strip()
    if "://" not in text:
        text = "//" + text.removeprefix("mailto:").split("@")[-1]
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return "?"
    return host.rstrip(".").lower()


def outside_links(text: str, allowed_domains: Collection[str]) -> list[str]:
    """Links in `text` to hosts outside `allowed_domains` (and their subdomains)."""
    outside = []
    # NFKC only: look-alike letters stay what they are, so "tallybооk.example" is not ours.
    for match in _LINK.finditer(unicodedata.normalize("NFKC", text).translate(_INVISIBLE)):
        link = match.group(0).rstrip(".,;:!?*_~")
        host = _host(link)
        if host and not any(host == d or host.endswith("." + d) for d in allowed_domains):
            outside.append(link)
    return outside


def credential_requests(text: str) -> list[str]:
    """Phrases that ask the reader for a password, a code, card or bank details ("send us
    your password", "enter your card number and CVV"), unless negated ("we will never ask
    you to send your password") or, for card details, on the product's billing page."""
    found = []
    for sentence in sentences(fold(text)):
        matches = list(_CREDENTIAL_REQUEST.finditer(sentence))
        if not _IN_PRODUCT.search(sentence):
            matches += _CARD_ENTRY.finditer(sentence)
        found += [m.group(0) for m in matches if not _negated(sentence, m)]
    return found


def output_problems(text: str, allowed_domains: Collection[str]) -> list[str]:
    """Why a drafted reply must not be shown: links outside the knowledge base's own domains,
    requests for credentials or payment details. Empty when it may be shown."""
    problems = [
        f"links outside the knowledge base: {u}" for u in outside_links(text, allowed_domains)
    ]
    problems += [f"asks for credentials: {phrase}" for phrase in credential_requests(text)]
    return problems
