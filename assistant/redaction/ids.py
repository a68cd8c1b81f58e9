"""National identity numbers, told from look-alikes by python-stdnum's checksums.

Most national ids are nine to fifteen digits with a weak check (one number in ten or eleven
passes), so alone they look like order or account numbers. Two cases, then:

- a shape no other number has (US SSN ``536-90-4399``, Spanish DNI/NIE ``12345678Z``, Italian
  codice fiscale, Brazilian CPF ``123.456.789-09``, Finnish HETU ``131052-308T``) is redacted
  wherever it is valid;
- anything else only after a word that names a national id ("SSN", "BSN", "PESEL",
  "personnummer", "national insurance number", "tax id"...), when one of the supported
  schemes below accepts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum.be import nn as be_nn
from stdnum.br import cpf as br_cpf
from stdnum.ca import sin as ca_sin
from stdnum.de import idnr as de_idnr
from stdnum.dk import cpr as dk_cpr
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.fi import hetu as fi_hetu
from stdnum.fr import nir as fr_nir
from stdnum.in_ import aadhaar as in_aadhaar
from stdnum.it import codicefiscale as it_cf
from stdnum.nl import bsn as nl_bsn
from stdnum.no import fodselsnummer as no_fnr
from stdnum.pl import pesel as pl_pesel
from stdnum.se import personnummer as se_pnr
from stdnum.us import ssn as us_ssn

from assistant.redaction.values import Rule, longest_prefix

_Valid = Callable[[str], bool]

# Validators of every scheme a keyword may introduce. A UK National Insurance number has no
# checksum (stdnum has no module for it): its letter-digit shape is enough after its keyword.
_NINO = re.compile(r"(?i)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
_SCHEMES: tuple[_Valid, ...] = (
    us_ssn.is_valid,
    nl_bsn.is_valid,
    ca_sin.is_valid,
    de_idnr.is_valid,
    pl_pesel.is_valid,
    no_fnr.is_valid,
    dk_cpr.is_valid,
    se_pnr.is_valid,
    fi_hetu.is_valid,
    fr_nir.is_valid,
    be_nn.is_valid,
    in_aadhaar.is_valid,
    br_cpf.is_valid,
    es_dni.is_valid,
    es_nie.is_valid,
    it_cf.is_valid,
    lambda v: bool(_NINO.fullmatch(v)),
)

# Acronyms that are also words ("nie", "sin", "dni") count only in capitals.
_KEYWORD = (
    r"(?i:ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?))?|national[ \t]+(?:insurance|id"
    r"|identity|identification)(?:[ \t]+(?:number|no\.?|card))?|personal[ \t]+(?:id"
    r"|identity|identification)[ \t]+(?:number|code|no\.?)|id[ \t]+card[ \t]+number"
    r"|identity[ \t]+number|tax[ \t]+id(?:entification)?(?:[ \t]+number)?|bsn"
    r"|burgerservicenummer|pesel|personnummer|f[øo]dselsnummer|henkil[öo]tunnus"
    r"|steuer-?id(?:entifikationsnummer)?|rijksregisternummer|codice[ \t]+fiscale|aadhaar)"
    r"|NINO|HETU|CPR(?:-nummer)?|NIR|IdNr|DNI|NIE|CPF|SIN"
)
_AFTER_KEYWORD = re.compile(
    rf"(?<![\w-])(?:{_KEYWORD})(?![A-Za-z])"
    r"(?i:[ \t]+(?:is|was|number|no\.|no|#)(?!\w))*[ \t]*[:#=]?[ \t]*"
    r"(?P<v>[A-Za-z0-9](?:[ .\-/]?[A-Za-z0-9]){5,19})(?![A-Za-z0-9])"
)
_SHAPES: tuple[tuple[re.Pattern[str], _Valid], ...] = (
    (re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"), us_ssn.is_valid),
    (re.compile(r"(?<![\w-])\d{8}-?[A-Z](?![\w-])"), es_dni.is_valid),
    (re.compile(r"(?<![\w-])[XYZ]-?\d{7}-?[A-Z](?![\w-])"), es_nie.is_valid),
    (re.compile(r"(?<![\w-])[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?![\w-])"), it_cf.is_valid),
    (re.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-])"), br_cpf.is_valid),
    (re.compile(r"(?<![\w-])\d{6}[-+A]\d{3}[0-9A-Y](?![\w-])"), fi_hetu.is_valid),
)


def _after_keyword(candidate: str) -> int:
    def ok(v: str) -> bool:
        # No supported id is shorter than eight characters; some schemes pad short numbers
        # with zeros ("12" is a valid BSN).
        return sum(c.isalnum() for c in v) >= 8 and any(valid(v) for valid in _SCHEMES)

    return longest_prefix(candidate, ok, " .-/")


def _shape(valid: _Valid) -> Callable[[str], int]:
    return lambda v: len(v) if valid(v) else 0


ID_RULES: tuple[Rule, ...] = (
    ("NATIONAL_ID", _AFTER_KEYWORD, _after_keyword),
    *(("NATIONAL_ID", pattern, _shape(valid)) for pattern, valid in _SHAPES),
)
