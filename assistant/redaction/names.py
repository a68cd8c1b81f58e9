"""Find people named in a support message or ticket, so that redaction can remove them.

A ticket's requester comes from its metadata; in a live chat the customer introduces themselves
("I'm Maria Kowalska", "this is Tom from Acme", a signature); colleagues, accountants and
clients only appear in the text. Without an NER model, a name is a run of one to four
capitalised words (with particles such as "van der") that a cue marks as a person: a role
before it ("my accountant Willem", "one user, Jonathan,", "developer is Bram"), an honorific
("Dr. Petra Lang"), a greeting or sign-off ("Hi Tom,", "Thanks, Lena.", "— Seun", a name alone
on the last line of a message), what follows it (an email address, "(our admin)", "is also an
admin", "as a member"), "name is X", "I'm X", "call me X", "invited X", a possessive
mid-sentence ("Morag's trip"), and "X said/added..." for an X a stronger cue found. Each word
must look like a name (no all-caps or inner capitals but Mc/Mac/O') and not be on the stop
list; "Martin Ltd", "Bakare & Partners" are companies.

Precision beats recall: a false positive removes a useful word from a ticket. Limits: names
without a cue ("Olga will do it") or in lower case ("i'm maria") are missed; names that are
stop words ("May", "Sage") are never found; a company or product unknown to the stop list in a
cue position ("my client Acme", "Thanks Acme!") is taken for a person; non-Latin scripts are not
handled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_UP = "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper())  # A-Z, À-Þ, Ā, Ł, Ž...
_LOW = rf"[^\W\d_{_UP}]"  # a letter that is not upper case
_WORD = rf"[{_UP}][^\W\d_]*(?:-[{_UP}][^\W\d_]+|['’](?!s\b)[^\W\d_]+)*(?![\w@])"
_PARTICLE = r"(?:van|von|der|den|de|da|di|du|del|della|la|le|dos|das|bin|ibn|al|ten|ter)"
# One to four capitalised words; the look-behind keeps out email, URL and identifier fragments.
_NAME = rf"(?<![\w@./'’-])(?P<n>{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_WORD}){{0,3}})"
_PART = re.compile(rf"(?:Ma?c|[OD]['’])?[{_UP}]{_LOW}+")
_PARTICLES = re.compile(rf"[ \t]+(?:{_PARTICLE}[ \t]+)*")

_ROLES = (
    r"colleague|co-?worker|teammate|accountant|book-?keeper|admin|administrator|co-?owner|owner"
    r"|manager|developer|dev|officer|lead|boss|director|assistant|secretary|ceo|cfo|cto|coo"
    r"|co-?founder|founder|partner|brother|sister|wife|husband|son|daughter|father|mother|dad"
    r"|mum|mom|uncle|aunt|cousin|friend|fianc[eé]e?|girlfriend|boyfriend|client|customer|user"
    r"|member|employee|consultant|advis[eo]r|controller|clerk|intern|contractor"
    r"|freelancer|designer|engineer|technician|receptionist|supervisor|landlord|tenant|lawyer"
    r"|solicitor|attorney|notary|auditor|treasurer|president|rep|representative|person|guy"
    r"|lady|woman|man|someone|somebody|staff|nurse|carer|driver|neighbou?r|mentor|investor"
)
_GREETINGS = (
    r"hi|hello|hey|hiya|dear|morning|good[ \t]+(?:morning|afternoon|evening|day)"
    r"|(?:many[ \t]+)?thanks(?:[ \t]+(?:again|so[ \t]+much|a[ \t]+lot))?"
    r"|thank[ \t]+you(?:[ \t]+(?:again|so[ \t]+much))?|cheers|regards|(?:best|kind|warm)"
    r"(?:[ \t]+(?:regards|wishes))?|all[ \t]+the[ \t]+best|bonjour|hola|hallo|hej|ciao"
    r"|salut|merci|danke|ta"
)
_EMAIL = r"(?:\[EMAIL\]|[\w.%+-]+@[\w-]+(?:\.[\w-]+)+)"
_SP = r"[ \t]+"  # names never span lines
_MY = r"(?:our|my|his|her|their)"
_THINGS = (  # what companies and products have, unlike people
    r"apps?|api|extensions?|plugins?|add-ons?|integrations?|web-?site|site|platform|software"
    r"|system|servers?|support|team|terms|polic(?:y|ies)|docs|documentation|format|exports?"
    r"|imports?|feeds?|consent|screen|page|dashboard|settings|rules|rates|fees|pricing|plans?"
    r"|service|network|version|release|update|end|side|bank|engineers|customers|clients|users"
)
_A_ROLE = rf"(?:an?|the|{_MY}){_SP}(?:[\w-]+{_SP}){{0,2}}(?i:{_ROLES}|contact)\b"  # "an Admin"

# (lead, pattern): the cue sits before the name, or after it when ``lead`` is true; then the
# matched run of capitalised words may start with ordinary ones ("Contact Julien Roux, [EMAIL]").
# Otherwise every word must pass: "one is Partially Paid" is a status, not Ms Partially.
# fmt: off
_CUES = tuple(
    (lead, re.compile(pattern, re.MULTILINE))
    for lead, pattern in (
        # "my accountant Willem", "one user, Jonathan,", "developer is Bram", "a user named Jo"
        (False, rf"(?:\b(?:{_ROLES})|\b(?:my|our|the|main){_SP}contact)"
               rf"(?:[ \t]*,[ \t]*|{_SP}(?:(?:is|was|named|called){_SP})?){_NAME}"),
        (False, rf"\b(?i:contact(?:{_SP}person)?):[ \t]*{_NAME}"),  # but not "contact Stripe"
        (False, rf"\b(?:Mrs|Mr|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle)\.?{_SP}{_NAME}"),
        (False, rf"(?i:\bname{_SP}is|\bname's|\b(?:one|he|she|this){_SP}is|\bI['’]m|\bI{_SP}am"
               rf"|\bcall{_SP}me){_SP}{_NAME}"),
        (False, rf"(?i:\b(?:re-?)?invited|\bhired|\bcc'?d|\bcc:?|\basked|\btold|\bthanked)"
               rf"{_SP}{_NAME}"),
        # "Hi Tom,", "Thanks Lena.", "Best,\nHannah | Support": the name ends the clause.
        (False, rf"(?:^|(?<=[.!?:]){_SP})[ \t>*_]*(?i:{_GREETINGS})(?!\w)[ \t]*,?[ \t]*"
               rf"(?:\n[ \t]*)?{_NAME}(?=[ \t]*(?:[!?,.:;|)(—–-]|$))"),
        # A line of its own after a paragraph, "Thanks," or a dash, before a gap, contact
        # details or the end; not the second line of a signature ("Turner Bakes").
        (False, rf"(?:(?:\A|\n[ \t]*\n|[,.!?)][ \t]*\n)[ \t]*|[—–~][ \t]*|--[ \t]*){_NAME}[ \t]*$"
               rf"(?=\n[ \t]*\n|\n?\Z|\n[ \t]*(?:[+(\d\[]|{_EMAIL}))"),
        (True, rf"{_NAME}[ \t]*(?:[,;(<:]|{_SP}-)[ \t]*{_EMAIL}"),  # "Femke, femke@x.example"
        # "Petra (our admin)", "Ana, our bookkeeper", "Olga is also an Admin", "Layla as a member"
        (True, rf"{_NAME}(?:[ \t]*\({_MY}\b|,{_SP}{_MY}{_SP}(?:[\w-]+{_SP}){{0,2}}"
              rf"(?:{_ROLES}|contact)\b|{_SP}is{_SP}(?:(?:also|now|still){_SP})?{_A_ROLE}"
              rf"|{_SP}as{_SP}{_A_ROLE})"),
        # Mid-sentence "split Morag's trip", but not "Grammarly's extension", "Acme's API".
        (False, rf"(?<![\w'’-])[a-z]+,?{_SP}{_NAME}['’]s\b"
               rf"(?!{_SP}(?:[\w-]+{_SP})?(?:{_THINGS})\b)"),
    )
)
# fmt: on
# Weak cue: only for names (or their parts) that a cue above found.
_ECHO = re.compile(
    rf"{_NAME}(?:['’]s\b|[ \t]+(?:added|said|says|left|asked|told|set|gave|fixed|changed|made"
    r"|sent|is|was|has|had|will|can|did|does|approved|confirmed|wants|needs|uses|tried|got"
    r"|created|invited|removed|started|reconnected|updated|replied|emailed|called)\b)"
)
_SUFFIXES = frozenset(
    """Ltd Limited GmbH Inc LLC LLP BV SARL SAS SA AG PLC Co Corp Oy AB AS ApS SRL SpA KG NV Pty
    Group Holdings""".split()  # noqa: SIM905
)
_COMPANY = re.compile(rf"[ \t,]*(?:&|(?:{'|'.join(_SUFFIXES)}|B\.V)\b)")

# Never (part of) a name, lower-cased: greetings, products and UI terms, plans, months and days,
# places, roles, company words, ordinary words that start sentences or label things.
_STOP = frozenset(
    """
    hi hello hey hiya dear morning afternoon evening good thanks thank thx cheers regards best
    kind warm many wishes sincerely yours bonjour merci hola hallo hej hoi hei moin ciao salut
    danke gracias parfait greetings team support everyone all there sir madam folks guys
    tallybook stripe paypal shopify slack zapier quickbooks xero google workspace okta azure
    gusto dropbox safari chrome firefox edge opera brave ios android apple microsoft windows mac
    macos macbook iphone ipad excel outlook gmail sage freshbooks wave plaid truelayer
    gocardless wise revolut monzo starling barclays hsbc lloyds natwest santander hubspot
    salesforce mailchimp square amazon teams zoom notion trello asana jira woocommerce etsy ebay
    drive docs sheets linux whatsapp visa mastercard amex sepa bacs hmrc irs datev online mobile
    web desktop app settings billing banking connections connection integrations integration
    reports report invoices invoice expenses expense dashboard account accounts profile security
    subscription plan plans payments payment pay receipts receipt customers clients products
    product items item taxes tax categories category export import home help history overview
    notifications api preferences webhooks webhook keys key audit log sso saml mileage bank
    banks card cards transfer members roles role trusted disconnect connect connected verify
    save cancel delete edit send sent new add remove reconnect upgrade downgrade sign login
    logout open portal guide management status draft paid unpaid overdue void pending approved
    rejected total amount date name email phone address number reference currency balance credit
    debit note notes step steps error warning example row column file upload download button
    page link menu tab list view sync free starter pro business enterprise trial basic plus
    premium standard annual monthly yearly january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec monday
    tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat
    sun weekend easter christmas today tomorrow yesterday europe european africa asia america
    american eu uk usa us britain british england english scotland scottish wales welsh ireland
    irish germany german france french spain spanish italy italian portugal portuguese
    netherlands dutch belgium belgian switzerland swiss austria austrian norway norwegian sweden
    swedish denmark danish finland finnish poland polish czech greece greek turkey turkish
    romania nigeria kenya india indian japan japanese china chinese singapore australia
    australian canada canadian mexico brazil london paris berlin madrid rome lisbon dublin
    amsterdam oslo stockholm copenhagen vienna zurich brussels warsaw prague lagos nairobi
    toronto sydney tokyo york manchester edinburgh glasgow belfast lyon munich hamburg frankfurt
    milan barcelona istanbul owner admin accountant member manager lead director officer
    bookkeeper administrator developer engineer assistant head founder ceo cfo cto coo partner
    partners client customer user users contact staff operations sales marketing accounting
    legal practice office finance hr it i i'm i've i'd we we're you he she they this that these
    those the a an my our your his her their its and or but so if when then also just please
    sorry yes no ok okay not now still one other another same both each every some any none what
    which who why how where here after before since until while because as at by for from in
    into of on to with without about again already only even maybe perhaps unfortunately
    hopefully quick question urgent update issue problem fixed done great perfect awesome
    brilliant lovely sure fine right left next previous first second last back following
    attached regarding re fw fwd subject cc bcc ps nb ta mr mrs ms dr prof mx miss nothing
    something everything anything someone reply sender recipient username could would should can
    will did does do is are was were has have had got get let see go agent resolution
    conversation description details summary info information troubleshooting solved resolved
    screenshot attachment background context expected actual result viewed partially recurring
    scheduled active inactive archived disabled enabled verified locked expired failed declined
    refunded cancelled canceled completed processing closed guest viewer editor approver
    restaurant restaurante bakery cafe café studio design consulting solutions services shop
    store books joinery plumbing electric logistics media digital labs systems events fitness
    clinic hotel salon agency associates architects builders nordea danske sparkasse rabobank
    bunq netlify vercel heroku github gitlab grammarly typeform calendly uber samsung xiaomi
    huawei quicken
    unable able happy glad trying getting having looking writing reaching contacting using
    working struggling wondering experiencing facing seeing receiving confused stuck really very
    afraid interested curious frustrated annoyed upset angry disappointed concerned worried tired
    """.split()  # noqa: SIM905
)


def _is_word(word: str) -> bool:
    parts = word.split("-")
    return (
        len(word) >= 2
        and word.casefold() not in _STOP
        and all(_PART.fullmatch(p) and p.casefold() not in _STOP for p in parts)
    )


def _clean(candidate: str, lead: bool) -> str:
    """The name in a matched run of capitalised words, or "" if it is not one."""
    words = _PARTICLES.split(candidate)
    while lead and words and not _is_word(words[0]):
        words.pop(0)
    if not words or not all(map(_is_word, words)):
        return ""
    # Cut from the original text so particles survive ("Willem van der Berg").
    end = candidate.rindex(words[-1]) + len(words[-1])
    return " ".join(candidate[candidate.index(words[0]) : end].split())


def find_person_names(text: str) -> set[str]:
    """Names of people that cues in ``text`` point at, as written ("Chiara Benedetti")."""
    found: set[str] = set()
    for lead, pattern in _CUES:
        for m in pattern.finditer(text):
            if _COMPANY.match(text, m.end("n")) or _SUFFIXES & set(m.group("n").split()):
                continue  # "Martin Ltd", "Bakare & Partners"
            name = _clean(m.group("n"), lead)
            if name:
                found.add(name)
    parts = {p for name in found for p in name.split()}
    for m in _ECHO.finditer(text):
        name = _clean(m.group("n"), True)
        if name and set(name.split()) <= parts:
            found.add(name)
    return found


# Redacting the names found, or given (a ticket's requester): every mention of the full name or
# of a part of it. Names match accent-insensitively: help desks often store "Roisin Keane" for
# "Róisín".
_ACCENTS = "àáâãäåāăą:a çćč:c ď:d èéêëēęě:e ìíîïī:i ł:l ñńň:n òóôõöøōő:o ř:r śšş:s ť:t"
_ACCENTS += " ùúûüūůű:u ýÿ:y źżž:z"
_VARIANTS = {plain: plain + marked for marked, plain in (g.split(":") for g in _ACCENTS.split())}
_FOLD = str.maketrans({m: plain for plain, chars in _VARIANTS.items() for m in chars[1:]})

# Name parts that are everyday words or product terms: redacting them alone would damage
# tickets ("mark as paid", "Sync now", "Pro plan"), so only the full name is redacted.
_COMMON_WORDS = frozenset(  # one readable block rather than ninety quoted strings
    """
    will may mark bill grant sage chase page sync pro june april august summer rose hope grace
    joy faith dawn ray guy jack frank rich art don dean drew penny cash price bank banks king
    young long short green brown white black gray grey hall wood stone hill lane ward bell day
    cross fox gold little rice ford sterling max amber ruby ivy iris pat sue jan van von der
    den del des mrs miss prof team sales support admin owner paypal stripe invoice credit order
    case free basic plus starter business best love park hunt cook march north south east west
    """.split()  # noqa: SIM905
)


def _fuzzy(folded: str) -> str:
    return "".join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else re.escape(c) for c in folded)


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for every mention of these people: the full name, or a part of three letters or
    more that is not an everyday word ("Anna-Lena Müller" is also "Anna", "Lena", "müller")."""
    alternatives: dict[str, int] = {}  # pattern -> length of the name it matches
    for name in [names] if isinstance(names, str) else names:  # a lone str is one name
        words = (w.strip(".,;").casefold().translate(_FOLD) for w in name.split())
        parts = [w for w in words if w]
        if not parts:
            continue
        alternatives[r"\s+".join(map(_fuzzy, parts))] = len(" ".join(parts))
        for part in {*parts, *(sub for p in parts for sub in p.split("-"))}:
            if sum(c.isalpha() for c in part) >= 3 and part not in _COMMON_WORDS:
                alternatives[_fuzzy(part)] = len(part)
    if not alternatives:
        return None
    # Longest first so "Tom Becker" wins over "Tom" and yields one placeholder, not two.
    ordered = sorted(alternatives, key=alternatives.__getitem__, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)", re.IGNORECASE)
