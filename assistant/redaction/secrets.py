"""Passwords, API keys and tokens, wherever a customer pastes or types them.

Three kinds of evidence, strongest first:

- a shape: known key prefixes (ours, and the detect-secrets plugins' patterns for AWS, GitHub,
  GitLab, Slack, Stripe, OpenAI, SendGrid, PyPI, Square, Discord, Telegram, Twilio, Mailchimp,
  Azure), JWTs, private key blocks, a password inside a URL (``https://user:pw@host``);
- a keyword with ``:`` or ``=`` (``password=x``, ``DB_PASSWORD=``, ``x-api-key:``), the keyword
  allowed inside an identifier;
- a keyword in a sentence: "my password is Hunter2-Secret!", "pw: x", "the key is sk-...",
  "PIN 4821", "CVV 123", in a few languages ("mein Passwort ist ...").

Only the value is replaced, so the text still says what was removed ("password: [SECRET]").
A keyword's value must look like a secret, not a word: prose ("Password: reset fails", "the
password is wrong", "the key is to reconnect") stays.
"""

from __future__ import annotations

import re

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from assistant.redaction.values import Rule, secret_like, value, whole

_PREFIXED = re.compile(
    r"(?<![\w-])(?:tb_(?:live|test)_[A-Za-z0-9_]{8,}"
    r"|sk-[A-Za-z0-9_-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}(?![0-9A-Z])"
    r"|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,})"
)


def _plugin_pattern(detectors: tuple[type[RegexBasedDetector], ...]) -> re.Pattern[str]:
    """One pattern from the plugins' own: a token that starts like one of theirs, whole (their
    patterns fix lengths that newer keys exceed: ``sk_live_`` keys are longer than 24)."""
    parts = []
    for detector in detectors:
        for regex in detector().denylist:
            if "{0,20}" in regex.pattern:  # AWS's keyword-and-quotes form: _KEYED covers it
                continue
            flags = "i" if regex.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{regex.pattern})" if flags else f"(?:{regex.pattern})")
    return re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(parts) + r")[A-Za-z0-9_-]*")


_PLUGINS = _plugin_pattern(
    (
        AWSKeyDetector,
        AzureStorageKeyDetector,
        DiscordBotTokenDetector,
        GitHubTokenDetector,
        GitLabTokenDetector,
        MailchimpDetector,
        OpenAIDetector,
        PypiTokenDetector,
        SendGridDetector,
        SlackDetector,
        SquareOAuthDetector,
        StripeDetector,
        TelegramBotTokenDetector,
        TwilioKeyDetector,
    )
)
_PRIVATE_KEY_HEADERS = PrivateKeyDetector().denylist
# A pasted key, to its END line (or the end of the text when the paste was cut short).
_KEY_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]{1,40})-----[\s\S]*?(?:-----END (?P=label)-----|\Z)"
)
_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/?#@\[\]]+:(?P<v>[^\s/?#@\[\]]+)@")
_BEARER = re.compile(r"\b(?i:bearer)\s+(?P<v>[A-Za-z0-9._~+/-]+=*)")
# Keywords may sit inside identifiers: DB_PASSWORD=, aws_secret_access_key =, x-api-key:.
# The identifier around them is bounded so a long pasted blob cannot cost quadratic time.
_PASSWORD = re.compile(
    r"(?i)(?<![\w-])[\w-]{0,32}?(?:password|passwd|pwd|passphrase|passcode)[\w-]{0,32}"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<v>[^\s\"']+)"
)
_KEYED = re.compile(
    r"(?i)(?<![\w-])[\w-]{0,32}?(?:secret|api[_ -]?key|token)[\w-]{0,32}"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?(?P<v>[^\s\"']+)"
)

# Sentences: the keyword, then "is", ":" or "=", or (for passwords) nothing at all.
_SEP = (
    r"(?:[ \t]+(?:is|was|ist|est|es|er|är)(?!\w)(?:[ \t]+(?:now|still|currently|just|set[ \t]+to))?"
    r"[ \t]*[:=]?|[ \t]*[:=])[ \t]*"
)
_QUOTE = r"[\"'“‘«]?"
_VALUE = r"(?P<v>[^\s\"'”’»]+)"
_PW_WORDS = (
    r"pass(?:word|wd|phrase|code)|pwd?|passwort|kennwort|wachtwoord|mot[ \t]+de[ \t]+passe"
    r"|contrase[ñn]a|senha|has[łl]o|l[öo]senord|adgangskode|salasana"
)
_SAID_PASSWORD = re.compile(rf"(?i)(?<![\w-])(?:{_PW_WORDS}){_SEP}{_QUOTE}{_VALUE}")
# "my password Summer2026!": with no "is" between, the word after must be strong as passwords go.
_BARE_PASSWORD = re.compile(rf"(?i)(?<![\w-])(?:{_PW_WORDS})[ \t]+{_QUOTE}{_VALUE}")
_SAID_PIN = re.compile(
    r"(?i)(?<![\w-])(?:pin(?:[ -]?code)?|cvv2?|cvc2?|csc|security[ \t]+code)"
    rf"(?:[ \t]+number)?(?:{_SEP}|[ \t]+)(?P<v>\d{{3,8}})(?![\w.,/-]\d|\w)"
)
_SAID_KEY = re.compile(
    r"(?i)(?<![\w-])(?:(?:api|access|secret|private|licen[cs]e|recovery|backup)[ _-]?"
    rf"(?:key|code|token)|secret|token|key){_SEP}{_QUOTE}{_VALUE}"
)
_CODE = re.compile(r"[A-Z]{2,6}-\d{2,5}")  # an error code after "password" (TB-401), not one

_ENTROPY = Base64HighEntropyString()


def _private_key(block: str) -> int:
    header = block[: block.index("-----", 5) + 5]
    return len(block) if any(r.search(header) for r in _PRIVATE_KEY_HEADERS) else 0


_WRAP = "*_`~()[]{}<>\"'"  # markup and brackets around a word: "password **and**", "(below)"


def _password(candidate: str) -> int:
    def ok(v: str) -> bool:
        core = v.strip(_WRAP)
        return len(core) >= 4 and secret_like(core) and not _CODE.fullmatch(core)

    return value(candidate, 4, ok)


def _strong_password(candidate: str) -> int:
    def ok(v: str) -> bool:
        core = v.strip(_WRAP)
        classes = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
        varied = sum(any(map(test, core)) for test in classes)
        letters_and_digits = any(map(str.isalpha, core)) and any(map(str.isdigit, core))
        return len(core) >= 6 and (letters_and_digits or varied >= 3) and not _CODE.fullmatch(core)

    return value(candidate, 6, ok)


def _key(candidate: str) -> int:
    def ok(v: str) -> bool:
        # Digits, or letters as random as a key's (detect-secrets' Shannon entropy): not a word
        # ("expired"), nor a class name ("MissingApiKeyError").
        random = len(v) >= 16 and _ENTROPY.calculate_shannon_entropy(v) > 4.0
        return any(c.isdigit() for c in v) or random

    return value(candidate, 8, lambda v: ok(v) and not _CODE.fullmatch(v))


SECRET_RULES: tuple[Rule, ...] = (
    ("SECRET", _KEY_BLOCK, _private_key),
    ("SECRET", _PREFIXED, whole),
    ("SECRET", _PLUGINS, whole),
    # Before emails: "https://user:pw@host" holds one ("pw@host").
    ("SECRET", _URL_PASSWORD, lambda v: value(v, 1, lambda t: True)),
    # Prose ("Bearer tokens expire", "Password: reset fails") and examples ("Bearer tb_live_...")
    # stay: real values are long or contain digits, symbols or inner capitals.
    ("SECRET", _BEARER, lambda v: value(v, 16, lambda t: len(t) >= 20 or not t.isalpha())),
    ("SECRET", _PASSWORD, lambda v: value(v, 4, secret_like)),
    ("SECRET", _KEYED, _key),
    ("SECRET", _SAID_PASSWORD, _password),
    ("SECRET", _BARE_PASSWORD, _strong_password),
    ("SECRET", _SAID_PIN, whole),
    ("SECRET", _SAID_KEY, _key),
)
