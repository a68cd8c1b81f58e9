"""Specification of ingest.redact: what is replaced by which placeholder, and what must survive."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.redact import Redacted, redact

CUSTOMERS = ("Tom Becker", "Will Turner", "Anna-Lena Müller", "Mark Sage")

# (input, expected output) -- every placeholder kind, in the shapes support tickets use.
REDACTED = [
    # EMAIL
    ("Reply to tom.becker@example.com please", "Reply to [EMAIL] please"),
    ("plus-addressing: tom+invoices@mail.eu.example.co.uk.", "plus-addressing: [EMAIL]."),
    ("<a.b-c_d@sub.domain.example>", "<[EMAIL]>"),
    # PHONE
    ("Call +49 30 901820 today", "Call [PHONE] today"),
    ("DE: +49 (0)30 901820", "DE: [PHONE]"),
    ("UK: +44 20 7946 0958 or 020 7946 0958", "UK: [PHONE] or [PHONE]"),
    ("mobile 07700 900123, +44 7700 900123", "mobile [PHONE], [PHONE]"),
    ("US: (555) 013-4477 / 555-013-4477", "US: [PHONE] / [PHONE]"),
    ("US intl: +1 (555) 013-4477.", "US intl: [PHONE]."),
    ("compact +4915112345678 works", "compact [PHONE] works"),
    ("toll free 1-800-555-0199", "toll free [PHONE]"),
    ("SE +46 8 555 012 34, FR +33 1 55 50 01 23", "SE [PHONE], FR [PHONE]"),
    ("IE 087 555 0143; NI 028 9018 0647", "IE [PHONE]; NI [PHONE]"),
    ("UK (+44) 7700 900812, FR 06 12 34 56 78", "UK [PHONE], FR [PHONE]"),
    # CARD (Luhn-valid, 13-19 digits, plain or grouped by spaces or dashes)
    ("card 4111 1111 1111 1111 declined", "card [CARD] declined"),
    ("card 5500-0000-0000-0004", "card [CARD]"),
    ("card 4111111111111111.", "card [CARD]."),
    ("amex 3782 822463 10005 exp 12/27", "amex [CARD] exp 12/27"),
    # IBAN (ISO 13616 mod-97), grouped or not; a trailing BIC is not swallowed
    ("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", "IBAN [IBAN] BIC COBADEFFXXX"),
    ("pay to GB82WEST12345698765432.", "pay to [IBAN]."),
    ("FR14 2004 1010 0505 0001 3M02 606 please", "[IBAN] please"),
    # IP
    ("login from 192.168.1.20 failed", "login from [IP] failed"),
    ("allowlist 10.0.0.1, 203.0.113.255.", "allowlist [IP], [IP]."),
    ("v6 2001:db8::1 and fe80::1ff:fe23:4567:890a", "v6 [IP] and [IP]"),
    ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok", "full [IP] ok"),
    ("mapped ::ffff:192.0.2.1 and ::1", "mapped [IP] and [IP]"),
    # SECRET: known prefixes
    ("key tb_live_4f9a8b7c6d5e4f3a2b1c0d leaked", "key [SECRET] leaked"),
    ("test key tb_test_abc123def456", "test key [SECRET]"),
    ("sk-proj-abcdefghij1234567890XYZ", "[SECRET]"),
    ("stripe sk_live_51Habcdefghijklmnop", "stripe [SECRET]"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[SECRET]"),
    ("slack xoxb-1234567890-abcdefghij and xoxp-123456789012-abc", "slack [SECRET] and [SECRET]"),
    ("aws AKIAIOSFODNN7EXAMPLE", "aws [SECRET]"),
    # SECRET: JWT, Bearer (keeps the word), password/token values (keep the keyword)
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9",
        "jwt [SECRET]",
    ),
    ("Authorization: Bearer abc123.def456-ghi", "Authorization: Bearer [SECRET]"),
    ("password: hunter2!, then", "password: [SECRET], then"),
    ("password=Summer2026.", "password=[SECRET]."),
    ('{"password": "s3cr3t-pw"}', '{"password": "[SECRET]"}'),
    ("api_key=9f8e7d6c5b4a", "api_key=[SECRET]"),
    ("DB_PASSWORD=x9!kLm2q", "DB_PASSWORD=[SECRET]"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = [SECRET]",
    ),
    # SECRET: long high-entropy strings
    ("sha 9fceb02d0ae598e95dc970b74767f19372d61af8", "sha [SECRET]"),
    ("reset?token_hint=Zx8Qp2Lm9Rt4Vb7Nc1Kd6Hs3Jf5Gw0Ay", "reset?token_hint=[SECRET]"),
]

# Secrets typed in sentences, not only as `password=x`: the keyword stays, the value goes.
REDACTED += [
    ("my password is Hunter2-Secret!", "my password is [SECRET]"),
    ("My new password is now Summer2026.", "My new password is now [SECRET]."),
    ("pw: Tr0ub4dor&3 thanks", "pw: [SECRET] thanks"),
    ("tried password Summer2026! twice", "tried password [SECRET] twice"),
    ("the passcode was 80417321", "the passcode was [SECRET]"),
    ("mein Passwort ist Sommer2026!", "mein Passwort ist [SECRET]"),
    ("mot de passe: Soleil2026", "mot de passe: [SECRET]"),
    ("PIN 4821, CVV: 123", "PIN [SECRET], CVV: [SECRET]"),
    ("my security code is 7391.", "my security code is [SECRET]."),
    ("the key is sk-proj-abcdefghij1234567890XYZ", "the key is [SECRET]"),
    ("my API key is 9f8e7d6c5b4a", "my API key is [SECRET]"),
    ("the token is Zx8Qp2Lm9Rt4 ok", "the token is [SECRET] ok"),
    ("api_key=qwfpGJluyaRStdhnEIo", "api_key=[SECRET]"),  # no digit, but random letters
    # detect-secrets plugins' shapes
    ("aws ASIAIOSFODNN7EXAMPLE", "aws [SECRET]"),
    ("gitlab glpat-abcdefghij1234567890", "gitlab [SECRET]"),
    (
        "sendgrid SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
        "sendgrid [SECRET]",
    ),
    ("hook https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX", "hook [SECRET]"),
    ("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 ok", "bot [SECRET] ok"),
    ("stripe rk_live_51HabcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "stripe [SECRET]"),
    ("twilio AC1234567890abcdef1234567890abcdef", "twilio [SECRET]"),
    (
        "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nq3Zx\n"
        "-----END RSA PRIVATE KEY-----\nthanks",
        "key:\n[SECRET]\nthanks",
    ),
    ("cut short: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r", "cut short: [SECRET]"),
    (
        "dsn postgres://app:S3cr3t@db.internal:5432/x",
        "dsn postgres://app:[SECRET]@db.internal:5432/x",
    ),
    # NATIONAL_ID: python-stdnum checksums, after a keyword or in a shape no other number has
    ("SSN 536-90-4399", "SSN [NATIONAL_ID]"),
    ("my ssn is 536904399.", "my ssn is [NATIONAL_ID]."),
    ("DNI 12345678Z, NIE X1234567L", "DNI [NATIONAL_ID], NIE [NATIONAL_ID]"),
    ("codice fiscale RSSMRA85T10A562S", "codice fiscale [NATIONAL_ID]"),
    ("CPF 390.533.447-05", "CPF [NATIONAL_ID]"),
    ("BSN 111222333 and PESEL 44051401359", "BSN [NATIONAL_ID] and PESEL [NATIONAL_ID]"),
    ("personnummer 811218-9876", "personnummer [NATIONAL_ID]"),
    ("national insurance number is AB 12 34 56 C", "national insurance number is [NATIONAL_ID]"),
    ("Steuer-ID 86095742719; SIN 130 692 544", "Steuer-ID [NATIONAL_ID]; SIN [NATIONAL_ID]"),
    ("shape alone: 536-90-4399 or RSSMRA85T10A562S", "shape alone: [NATIONAL_ID] or [NATIONAL_ID]"),
]

# Text that must come back unchanged: tickets about an invoicing product must stay useful.
UNCHANGED = [
    "Dates 2026-08-03, 03/08/2026, 03.08.2026 and 2026-08-03T09:12:00Z",
    "On 03-08-2026 15 invoices failed, on 04.08.2026 1200 more",
    "Times 09:12, 09:12:00 and 08:00–20:00 UTC",
    "Money $29, $290/year, €790.00, £1,250.50, 1,250.50 USD",
    "Invoices INV-0042, INV-2026-0042, INV-20260042 and credit note CN-0001",
    "Case CASE-10231 about order #100234 and #1002345678",
    "Errors TB-429, TB-401, BANK-102, PAY-402, IMP-413, SSO-403, SYNC-500",
    "Versions 2.13.0, iOS 16.4.1, Android 10, API v2, TLS 1.2+",
    "Uptime 99.9%, discount 15%, 5,000 rows, 25 MB, 500 line items, 14,000+ banks",
    "See https://help.tallybook.example/articles/connect-your-bank-account",
    "Short numbers 42, 7, 120 requests per minute, retried 8 times",
    "Not an IP: 999.1.1.1 or 256.0.0.1",
    "Luhn fails: 4111 1111 1111 1112 and 4111111111111112",
    "Bad IBAN check digits: DE89 3704 0044 0532 0130 01",
    "Request id 550e8400-e29b-41d4-a716-446655440000",
    "Slug how-to-export-invoices-to-csv-in-2026-and-2027-quickly",
    "Path https://app.tallybook.example/reports/2026/profit-and-loss/export",
    "HMAC-SHA256 signature, AES-256, SOC 2 Type II, 2FA",
    "Bearer tokens expire after 30 days; the password must be 12 characters",
    "The header must be exactly `Authorization: Bearer tb_live_...` or Bearer YOUR_API_KEY",
    "Password: reset link never arrived. Token: expired",
    "password:\nThanks for the quick reply",
    "Pay by Visa or Mastercard; the IBAN field is optional",
    "Already redacted: [EMAIL], [PHONE] and [NAME]",
    "",
    # Passwords, keys and PINs named in prose, not given.
    "My password is wrong and the token is expired; the key is to reconnect",
    "The password is at least 12 characters, like the key is 2FA",
    "4. Enter your password (and your 2FA code) to confirm.",
    "It used your password **and** your authenticator code",
    "Password sign-in is disabled for everyone except the Owner",
    "The password TB-401 error again, and the token SSO-403",
    "api_key: MissingApiKeyError, the key is ReadOnlyAccess",
    "PIN the invoice to the top; pin 2 of them",
    # Numbers that look like ids or cards but fail their checksums or lack a keyword.
    "Order 4111 1111 1111 1112 shipped; order 100234567 and 111222333",
    "tax id 2026-08-03, SSN field on the W-9 form, BSN 12",
    "invoice 20260803 total 536.90",
    "Not valid SSNs: 000-12-3456 or 666-12-3456",
]

# (text, expected) for redact(text, names=CUSTOMERS).
NAMES = [
    ("Cheers, Tom Becker", "Cheers, [NAME]"),
    ("tom becker called; TOM BECKER again", "[NAME] called; [NAME] again"),
    ("Hi Tom, Mr Becker's invoice", "Hi [NAME], Mr [NAME]'s invoice"),
    ("Tom\nBecker", "[NAME]"),
    ("Tomas and Beckers are other people", "Tomas and Beckers are other people"),
    ("Will Turner wrote. Turner says we will see", "[NAME] wrote. [NAME] says we will see"),
    ("Will do, thanks", "Will do, thanks"),
    ("Mark as paid for Mark Sage; Sage export", "Mark as paid for [NAME]; Sage export"),
    ("Anna-Lena Müller, aka Anna, aka müller", "[NAME], aka [NAME], aka [NAME]"),
    ("Mail tom.becker@example.com, Tom", "Mail [EMAIL], [NAME]"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redacts(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_alone(text: str) -> None:
    assert redact(text, names=CUSTOMERS) == Redacted(text, {})


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_redacts_customer_names(text: str, expected: str) -> None:
    assert redact(text, names=CUSTOMERS).text == expected


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("a@x.io, b@y.io and c@z.io", {"EMAIL": 3}),
        (
            "Tom Becker, tom@x.io, +44 20 7946 0958, 10.0.0.1",
            {"NAME": 1, "EMAIL": 1, "PHONE": 1, "IP": 1},
        ),
        ("Bearer abc123def456ghi789 and 4111 1111 1111 1111", {"SECRET": 1, "CARD": 1}),
        ("GB82WEST12345698765432", {"IBAN": 1}),
        ("nothing to see", {}),
    ],
)
def test_counts(text: str, counts: dict[str, int]) -> None:
    assert redact(text, names=CUSTOMERS).counts == counts


@pytest.mark.parametrize("text", [t for t, _ in REDACTED + NAMES] + UNCHANGED)
def test_idempotent(text: str) -> None:
    once = redact(text, names=CUSTOMERS).text
    assert redact(once, names=CUSTOMERS) == Redacted(once, {})


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        # A name that is also a placeholder kind never rewrites an existing placeholder.
        ("[EMAIL] from Email Smith", ["Email Smith"], "[EMAIL] from [NAME]"),
        # A secret that contains an email-like part becomes one placeholder, not two.
        ("password=tom@x.io", [], "password=[SECRET]"),
        # Digits inside an IBAN ("0532 0130 00") never become a PHONE or CARD as well.
        ("IBAN DE89 3704 0044 0532 0130 00", [], "IBAN [IBAN]"),
    ],
)
def test_never_nests_placeholders(text: str, names: list[str], expected: str) -> None:
    assert redact(text, names=names).text == expected


def test_empty_and_blank_inputs() -> None:
    assert redact("") == Redacted("", {})
    assert redact("   ", names=["", "  "]) == Redacted("   ", {})


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        # Parts shorter than three letters are only redacted as part of the full name.
        ("Li Wu paid. Li did.", ["Li Wu"], "[NAME] paid. Li did."),
        # A surname that is a product term must not break case ids.
        ("Justin Case about CASE-10231", ["Justin Case"], "[NAME] about CASE-10231"),
        ("Sent by Anna", ["  Anna   Schmidt "], "Sent by [NAME]"),
        # A single string is one name, not an iterable of one-letter names.
        ("a note from Tom", "Tom Becker", "a note from [NAME]"),
        # Accents are ignored both ways: help desks often store names without them.
        ("Róisín Keane; RÓISÍN; roisin", ["Roisin Keane"], "[NAME]; [NAME]; [NAME]"),
        ("Thanks, Laszlo", ["László Farkas"], "Thanks, [NAME]"),
    ],
)
def test_name_edge_cases(text: str, names: list[str] | str, expected: str) -> None:
    assert redact(text, names=names).text == expected


def test_result_is_frozen() -> None:
    result = redact("tom@x.io")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "changed"  # type: ignore[misc]


def test_kinds_can_be_kept() -> None:
    text = "Mail billing@tallybook.example or call +44 20 7946 0958; card 4111 1111 1111 1111"
    kept = redact(text, keep={"EMAIL", "PHONE"})
    assert kept.text == ("Mail billing@tallybook.example or call +44 20 7946 0958; card [CARD]")
    assert kept.counts == {"CARD": 1}


def test_a_value_cut_short_leaves_the_rest_to_be_searched() -> None:
    # The id candidate after "SSN" runs on into "and BSN ..."; the BSN is still found.
    assert redact("SSN 536-90-4399 and BSN 111222333").text == (
        "SSN [NATIONAL_ID] and BSN [NATIONAL_ID]"
    )
