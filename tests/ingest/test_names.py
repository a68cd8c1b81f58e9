"""Specification of ingest.names: which people a ticket names, and which capitalised words are not.

Each table row is one shape support tickets use. Found names are compared exactly, so a row also
says that nothing else in its text is taken for a name.
"""

from __future__ import annotations

import pytest

from assistant.types import Document
from ingest.names import find_person_names
from ingest.redact import redact
from ingest.sync import redact_document

# (text, the names found in it, as written)
FOUND = [
    # A role or relationship before the name, with or without a determiner or adjectives.
    ("Please give my accountant Willem read access.", {"Willem"}),
    ("our bookkeeper Anna Kowalski needs the VAT report", {"Anna Kowalski"}),
    ("our old finance manager Desmond left in January", {"Desmond"}),
    ("hand it over to our finance lead Chiara Benedetti today", {"Chiara Benedetti"}),
    ("everyone can log in except one user, Jonathan, who gets SSO-403", {"Jonathan"}),
    ("make our practice manager, Dafydd, the owner", {"Dafydd"}),
    ("The developer is Bram if you need details", {"Bram"}),
    ("a new user named Priyanka can't see invoices", {"Priyanka"}),
    ("my brother Raymond Jennings ran the business", {"Raymond Jennings"}),
    ("for a client (Boulangerie Martin, owner Jean-Luc Martin)", {"Jean-Luc Martin"}),
    ("my accountant Willem van der Berg uses Xero", {"Willem van der Berg"}),
    ("My wife Siobhán does the invoicing", {"Siobhán"}),
    ("my colleague Łukasz Nowak is an admin too", {"Łukasz Nowak"}),
    ("our designer Aoife O'Brien made the template", {"Aoife O'Brien"}),
    ("the account owner is Fiona MacLeod", {"Fiona MacLeod"}),
    ("our IT provider, contact: Julien Roux, +33 4 72 55 01 88", {"Julien Roux"}),
    ("our main contact is Ines Duarte", {"Ines Duarte"}),
    # Honorifics (the title itself is not part of the name).
    ("our data protection officer (Dr. Petra Lang) requires EU hosting", {"Petra Lang"}),
    ("a former client, Mr. Krzysztof Malinowski, wants his data deleted", {"Krzysztof Malinowski"}),
    ("Dear Ms Okafor, thank you for writing", {"Okafor"}),
    ("Prof Ingrid Halvorsen signs the invoices", {"Ingrid Halvorsen"}),
    # "name is", "one is", "invited", "asked".
    ("Her name is Jana Svoboda if you can look", {"Jana Svoboda"}),
    ("Other one is Torsten Hoffmann", {"Torsten Hoffmann"}),
    ("I invited Layla as a team member to help", {"Layla"}),
    ("ok i asked Petra to make one", {"Petra"}),
    # An email address (or its placeholder) right after the name.
    ("example row: Ola Nordmann;ola@fjord.example;+47 22 55 01 23", {"Ola Nordmann"}),
    ("Contact Julien Roux, [EMAIL], [PHONE].", {"Julien Roux"}),
    ("our accountant (Femke, [EMAIL], in cc) says no", {"Femke"}),
    ("replies land with Sabine <sabine@studio.example> instead", {"Sabine"}),
    ("Google Workspace is run by Thomas (thomas@girard.example).", {"Thomas"}),
    ("Approved by: Sarah Connor (sarah@x.example)", {"Sarah Connor"}),
    # What follows the name says it is a person.
    ("I asked Petra (our admin) to make one", {"Petra"}),
    ("Marta, our bookkeeper, will reconcile March", {"Marta"}),
    ("I can see Olga Sokolova is also an Admin in your workspace.", {"Olga Sokolova"}),
    ("Yesterday we added Kwame as a second admin.", {"Kwame"}),
    # Greetings and sign-offs.
    ("Hi Travis,\n\nZapier is available from Starter.", {"Travis"}),
    ("Agent: Hello Quentin,\nOur log shows the failure.", {"Quentin"}),
    ("Split the trip. Thanks Lena.", {"Lena"}),
    ("Thank you, Harold. Both documents are verified.", {"Harold"}),
    ("Cheers Tom!", {"Tom"}),
    ("Hoi, bedankt.\n\nKind regards,\nOluwaseun Bakare\nFinance Lead", {"Oluwaseun Bakare"}),
    ("Best,\nHannah | Tallybook Support", {"Hannah"}),
    ("Thanks for checking — Seun", {"Seun"}),
    ("Could you confirm when it lands?\n\nSeun\n\n## Resolution", {"Seun"}),
    ("I need to send 3 invoices.\n\nAlexander Petrov\n+65 6555 0199\n", {"Alexander Petrov"}),
    ("Works now, thanks!\n\nMirela", {"Mirela"}),
    # Possessives mid-sentence, and names a stronger cue found elsewhere.
    ("set up the second rate and split Morag's crossing trip", {"Morag"}),
    ("I can see Olga Sokolova is an admin.\n\nOlga added the IP.", {"Olga Sokolova", "Olga"}),
    ("my brother Raymond Jennings died. Raymond's estate", {"Raymond Jennings", "Raymond"}),
    ("we split Morag's trip and Jana's account", {"Morag", "Jana"}),
    # Several people in one ticket.
    (
        "Her name is Jana Svoboda.\n\nOther one is Torsten Hoffmann\n\nAgent: Hi Bettina!",
        {"Jana Svoboda", "Torsten Hoffmann", "Bettina"},
    ),
]

# Text in which no person is named: product and UI terms, plans, dates, places, companies,
# codes, placeholders and ordinary words at the start of a sentence or line.
NOTHING = [
    "Go to Settings → Billing and choose Pro or Business.",
    "Zapier is available from the Starter plan, so the Free plan can't connect to it.",
    "Connect Stripe, PayPal or Shopify under Settings → Connections.",
    "Export to QuickBooks, Xero or Sage from Reports → Export.",
    "Open Banking connections must be renewed every 90 days.",
    "Google Workspace admins can mark Tallybook as Trusted.",
    "Signed in from Safari on iOS and Chrome on Android, and from Okta and Azure.",
    "Payroll comes from Gusto; receipts are synced from Dropbox and Slack.",
    "We invoice clients in Germany, France and Ireland every Monday in March.",
    "Paid on Friday, 3 October; the next run is in June.",
    "Error SSO-403 SAML assertion rejected; TB-403 means Plan not supported.",
    "Your [NAME] was redacted; ask [NAME] (our admin) or [NAME], [EMAIL].",
    "The Accountant role can't change Settings.",
    "Invite your accountant as a member with the Accountant role.",
    "my accountant uses QuickBooks Online for my year-end",
    "please contact Stripe support, or ask the owner. Then open Billing.",
    "the user Settings page shows each member's role",
    "Use the Expense by Category report in the Pro plan.",
    "Select Mark as paid. Will you add Norwegian headers?",
    "In the Pro plan, Starter's limits are lifted; we use Xero's bank rules.",
    "Rheinland Sparbank's export differs from the usual format.",
    "I am the owner, Tallybook says I'm not.",
    # Statuses, features and roles written in capitals after a cue; companies' possessions.
    "one is Partially Paid and the other is Viewed",
    "This is Recurring Invoices in action, the user Guest can only view",
    "we use Grammarly's extension and Nimbus's consent screen",
    # Companies: a legal suffix or "&" after the capitalised words.
    "Byrne Design Ltd, accounts@byrne.example, is the customer.",
    "Müller GmbH (info@mueller.example) and Acme Inc, billing@acme.example",
    "refunds to Bakare & Partners LLP, billing@bakare.example",
    "Invoice INV-0042 for Casa Azul SARL is overdue.",
    "Studio Noord BV, info@noord.example, and Hartley LLC (ops@hartley.example) were billed.",
    "our customer Casa Azul Restaurante pays late",
    # Greetings, sign-offs and lines that are ordinary words.
    "Hi,\n\nSince Monday my bank feed is empty.",
    "Hello,\nUrgent: invoices not sending",
    "Hi Team,\nHello Support,\nDear Sir or Madam,\nDear Customer,\nHi there, hi all",
    "Thanks!\n\nTallybook Support",
    "Best,\nThe Tallybook team",
    "That fixed it.\n\nCheers\n",
    "Thanks again.\n\nRegards\n\nBest\n\nThanks\n\nHello\n",
    "Thanks for the quick help — Tallybook is great",
    "## Steps\n\n1. Open Settings\n2. Click Connect\n\nStep 2 — Connect\n\nTroubleshooting\n",
    "From: billing@tallybook.example\nReply-To: support@tallybook.example",
    # A signature's second line is a company or a job title, not a person.
    "Charged twice.\n\nDeclan Brophy\nBrophy Joinery\n+44 20 7946 0958",
    "Invoices are late.\n\nPennington Joinery Ltd\n+44 117 496 0231",
]

PRODUCTS = """
    Tallybook Settings Billing Banking Connections Pro Business Starter Free Stripe PayPal Shopify
    Slack Zapier QuickBooks Xero Okta Azure Gusto Dropbox Safari Chrome iOS Android Team Support
    January Monday Friday December London Germany
""".split()  # noqa: SIM905


@pytest.mark.parametrize(("text", "names"), FOUND)
def test_finds_the_people_a_ticket_names(text: str, names: set[str]) -> None:
    assert find_person_names(text) == names


@pytest.mark.parametrize("text", NOTHING)
def test_finds_nobody_where_nobody_is_named(text: str) -> None:
    assert find_person_names(text) == set()


@pytest.mark.parametrize("word", PRODUCTS)
def test_products_ui_terms_dates_and_places_are_never_names_whatever_the_cue(word: str) -> None:
    cues = [
        f"my accountant {word} said",
        f"Hi {word},",
        f"Thanks, {word}.",
        f"It broke.\n\n{word}\n",
        f"contact: {word}, {word.lower()}@example.com",
        f"{word} (our admin)",
        f"I invited {word} as a member",
        f"we split {word}'s trip",
    ]
    assert find_person_names("\n\n".join(cues)) == set()


def test_plan_and_product_names_in_multi_word_forms_are_not_names() -> None:
    assert find_person_names("the owner is Tallybook Support\n\nHi Google Workspace,") == set()


def test_the_found_names_let_redact_remove_every_mention() -> None:
    text = (
        "My accountant Willem (willem@kantoor.example) asked for a CSV. Willem's version of "
        "QuickBooks Online is new.\n\nThanks,\nPetronella"
    )
    out = redact(text, sorted(find_person_names(text))).text
    assert out == (
        "My accountant [NAME] ([EMAIL]) asked for a CSV. [NAME]'s version of "
        "QuickBooks Online is new.\n\nThanks,\n[NAME]"
    )


def test_redact_document_removes_people_named_in_a_case_but_leaves_articles_alone() -> None:
    body = "## Problem\n\nour finance lead Chiara Benedetti should become the owner of Starter"
    case = Document(id="case:1", kind="case", title="Transfer", text=body, redact_names=("Ana",))
    assert redact_document(case).text == (
        "## Problem\n\nour finance lead [NAME] should become the owner of Starter"
    )
    article = Document(id="article:1", kind="article", title="Transfer", text=body)
    assert redact_document(article).text == body
