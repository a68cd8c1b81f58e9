"""The default `ChatModel`: composes a short Markdown reply from one source section.

No model, instant, deterministic. An answer follows one source section: an article's text under
one heading, one FAQ answer, or one past case's resolution. Sentences spliced from several
sources read as fragments and can contradict each other (the fix for BANK-205 is not the fix for
BANK-102), so another section joins only when the question has a part the first leaves open, and
only when the two agree: same error code, platform and plan. A passage that names only other
error codes or platforms than the question is not used at all. Another source's steps are a
procedure for one task: they join only when about the answer's own subject, never after a past
case's fix that leads because no article answered. The bullets of a troubleshooting list (each
opening with its situation in bold) are alternatives: one joins the answer on its own merit,
never because its neighbour was the customer's situation.

Structure is kept: numbered steps stay a numbered list, bullets stay bullets, table rows stay a
Markdown table under their header. Past cases speak only through their agent-written resolution
(the chunk's `resolution` field, never the customer's words), as a note about how other customers
fixed it, and never alone when an article or FAQ covers the question (an article that says
little of what fixed the past case closest to the customer's story does not). Every sentence is
copied from a cited passage, so the composer cannot invent a fact; it abstains when nothing
shares meaning-carrying words with the question.

How a unit scores against the question is in `extractive_scoring`; what a chosen unit brings
along (the sentence it points back to, the steps it introduces) and the length limits are in
`extractive_chosen`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from assistant.backends.extractive_chosen import Chosen
from assistant.backends.extractive_facets import PLAN_WORDS, Facets
from assistant.backends.extractive_render import render
from assistant.backends.extractive_scoring import (
    ASKS_HOW,
    STEPS,
    already_done,
    covered,
    rarities,
    score,
    weights_of,
)
from assistant.backends.extractive_units import (
    Unit,
    asks_yes_or_no,
    headings,
    units_of,
    without_reply,
)
from assistant.text import content_words
from assistant.types import Draft, GenerationRequest, Message, Passage

SUPPORT_RATIO = 0.45  # a unit of the lead's section joins when it scores this share of the lead
OTHER_RATIO = 0.65  # a unit of another section, answering another part, needs this share
FIRST_PASSAGE = 0.3  # the first passage's best section leads when worth this share of the best
COVERS = 0.5  # an article or FAQ scoring this share of the best case note answers instead
SAME_SECTION = 1.0  # preference for more of the lead's section over other sections
MAX_SECTIONS = 2  # sections one answer draws on: a second only for a second part of the question
PRIMARY = 1.5  # preference for the section retrieval found over the document's other sections
EXTRA_COVERAGE = 0.25  # a section's worth: its best unit, and this share of what the rest add
CASE_CLOSER = 0.15  # cosine by which a case must beat every article to add its note unasked
FIX_SHARE = 0.25  # of that case's fix, what the article text must say to lead before its note


# A sentence that only says where to go ("Go to Invoices → Recurring and select the schedule.").
_GOES_TO = re.compile(r"(?:Go to|Open|Navigate to|Head to)\b[^.]{0,80}(?:→|https?://)[^.]*\.?$")
# A section of links ("Related articles"), not an answer.
_NAVIGATION = re.compile(r"(?:^|> )(?:related|see also|further reading|more help)\b[^>]*$", re.I)


def compose(
    question: str, passages: Sequence[Passage], rarity: Mapping[str, float] | None = None
) -> Draft:
    """`rarity`: each word's rarity in the knowledge base (`word_rarity`), so that the words
    that tell its passages apart decide what answers; without it every word weighs alike."""
    weights = weights_of(question)
    if not weights or not passages:
        return Draft("", abstained=True)
    rare = rarities(weights, rarity or {})
    asked = Facets.of(question)
    scored: list[tuple[float, Unit]] = []
    by_section: dict[tuple[int, int], list[Unit]] = {}
    facets: dict[tuple[int, int], Facets] = {}
    polar = asks_yes_or_no(question)
    for number, passage in enumerate(passages, start=1):
        for unit in units_of(passage, number):
            if unit.kind == "answer" and not polar:
                unit = replace(unit, text=without_reply(unit.text))
            by_section.setdefault(unit.where, []).append(unit)
        for where, heading in headings(passage, number).items():
            members = by_section.get(where, [])
            facets[where] = _section_facets(heading, members)
            if asked.contradicts(facets[where]) or _NAVIGATION.search(heading):
                continue  # about another error code or platform than asked; or a link list
            context = set(content_words(f"{passage.title} {heading}"))
            for unit in members:
                value = score(unit, weights, context, rare)
                if value > 0 and not asked.contradicts(Facets.of(unit.text)):
                    scored.append((value, unit))
    if not scored:
        return Draft("", abstained=True)
    scored.sort(key=lambda su: (-su[0], su[1].passage, su[1].position))
    naming = {w for w, f in facets.items() if asked.codes & f.codes}
    where, reserved = _lead_section(scored, weights, passages, naming)
    lead_score, lead = next(su for su in scored if su[1].where == where)
    chosen = Chosen(by_section, weights, already_done(question))
    chosen.take(lead)
    # More of the lead's own section first: one source reads as one answer. The section about
    # the error asked is read in order, as written (what it means, the causes, the fix), and
    # no other section joins it: they are about other situations.
    about_error = where in naming
    for s, unit in scored:
        if unit.where != where:
            continue
        # A situation of a troubleshooting list is not the customer's because its neighbour
        # is: it joins on its own merit, as a unit of another section would.
        if unit.situation:
            needed = OTHER_RATIO * lead_score
        else:
            needed = SUPPORT_RATIO * lead_score - SAME_SECTION
        if s >= needed:
            chosen.consider(unit)
    for unit in by_section[where] if about_error else ():
        if not asked.contradicts(Facets.of(unit.text)):
            chosen.consider(unit)
    # Asked how, or told of a problem, an answer gives the steps: when the lead's section has
    # none, the best-scoring steps of the same source follow it (the fix after "why"); the
    # answer never takes a second list of steps (`Chosen.consider`).
    if STEPS in weights and not about_error and lead.kind != "note":
        steps = next(
            (u for _, u in scored if u.kind == "steps" and u.passage == lead.passage), None
        )
        if steps is not None:
            chosen.consider(steps)
    # A past case that matched best, when an article covers the question: after it, as a note.
    # So is the case far closest to the customer's story, when the answer is the guidance its
    # resolution pointed to or another article: it tells the fix for that very situation.
    closest = _closest_case(passages, by_section)
    if reserved is None and closest is not None and lead.kind != "note":
        reserved = closest
    if (
        reserved is not None
        and not facets[where].contradicts(Facets.of(reserved.text), plans=True)
        and (reserved is closest or _related(chosen.units, reserved, weights))
    ):
        chosen.take(reserved)
    # Another section only for a part of the question the answer leaves open, and only when it
    # agrees with the lead's section.
    for s, unit in scored:
        if s < OTHER_RATIO * lead_score or unit.where in chosen.sections:
            continue
        if unit.kind == "note" and (
            chosen.notes if lead.kind != "note" else len(chosen.notes) >= 2
        ):
            continue  # a note after an article: one case; a note alone: two that agree
        if unit.kind == "note" and lead.kind == "note":
            agrees = not facets[where].contradicts(Facets.of(unit.text), plans=True)
            if agrees and _novel(chosen.units, unit) and _related(chosen.units, unit, weights):
                chosen.consider(unit)
            continue
        if unit.kind != "note" and (
            about_error
            or len(chosen.sections - chosen.notes) >= MAX_SECTIONS
            or (lead.kind == "note" and unit.kind == "steps")
        ):
            continue  # (a case's fix leads where no article's steps answered: none join it)
        if facets[where].contradicts(Facets.of(unit.text), plans=True):
            continue
        if (
            unit.passage != lead.passage
            and (s < lead_score or unit.kind in {"note", "steps"})
            and not _related(chosen.units, unit, weights)
        ):
            # another source about something else: only an article's text at least as strong;
            # its steps are a procedure for one task, so they must be about the answer's thing
            continue
        if _GOES_TO.match(unit.text) and ASKS_HOW not in weights:
            continue  # the first step of a task the customer did not ask how to do
        if chosen.open_part(unit):
            chosen.consider(unit)
    # The other rows of a table the answer shows: a table is read whole, like steps.
    for unit in [u for units in by_section.values() for u in units]:
        if (
            unit.kind == "row"
            and chosen.has_table(unit)
            and not asked.contradicts(Facets.of(unit.text))
        ):
            chosen.consider(unit)
    # One sentence out of the middle of a paragraph lacks what was said before it ("If an
    # incident is listed, …" follows "Go to the status page."): the paragraph's opening joins.
    said = [u for u in chosen.units if u.kind != "note"]
    if len(said) == 1 and said[0].kind == "sentence":
        opening = chosen.opening(said[0])
        if opening is not None:
            chosen.consider(opening)
    # The case closest to the customer's story, after an article that says little of its fix:
    # the article is about another problem, and the case's note answers alone.
    if (
        closest is not None
        and closest in chosen.units
        and lead.kind != "note"
        and not about_error
        and not _tells_fix(chosen.units, closest, weights)
    ):
        return Draft(render([closest]))
    return Draft(render(chosen.units))


def _lead_section(
    scored: list[tuple[float, Unit]],
    weights: dict[str, float],
    passages: Sequence[Passage],
    naming: set[tuple[int, int]],
) -> tuple[tuple[int, int], Unit | None]:
    """The section the answer follows, and a past case's note to add after it.

    A section is worth its best unit plus part of what its other units add to the question's
    words, and the section retrieval found is preferred to the document's others. The first
    passage's best section leads unless another is far better (on the sample golden set, the
    retrieval rank is the surest sign of the right source); an article's or FAQ's section leads
    over a past case when it covers the question nearly as well and is about the same thing,
    and the case's note then follows it. A section `naming` the error code asked about leads
    whatever the others score: it is the one about that error.
    """
    members: dict[tuple[int, int], list[tuple[float, Unit]]] = {}
    for s, unit in scored:
        members.setdefault(unit.where, []).append((s, unit))

    def value(where: tuple[int, int]) -> float:
        units = members[where]
        extra = covered(weights, [u for _, u in units]) - covered(weights, [units[0][1]])
        # the section retrieval found, rather than the article's other sections
        found = where[1] == 0 and passages[where[0] - 1].kind == "article"
        return units[0][0] + EXTRA_COVERAGE * extra + (PRIMARY if found else 0.0)

    values = {where: value(where) for where in members}
    ranked = sorted(values, key=lambda w: (-values[w], w))
    lead = ranked[0]
    first = [w for w in ranked if w[0] == 1]
    about_code = [w for w in ranked if w in naming and members[w][0][1].kind != "note"]
    if first and values[first[0]] >= FIRST_PASSAGE * values[lead]:
        lead = first[0]
    note = members[lead][0][1]
    if about_code:  # …and the case's note that would have led, if about the same, follows it
        related = _related([u for _, u in members[about_code[0]]], note, weights)
        return about_code[0], note if note.kind == "note" and related else None
    if note.kind == "note":
        ours = [w for w in ranked if members[w][0][1].kind != "note"]
        if (
            ours
            and values[ours[0]] >= COVERS * values[lead]
            and _related([u for _, u in members[ours[0]]], note, weights)
        ):
            return ours[0], note
    return lead, None


def _closest_case(
    passages: Sequence[Passage], by_section: dict[tuple[int, int], list[Unit]]
) -> Unit | None:
    """The note of the past case most similar to the question, when it is far more similar than
    any article or FAQ retrieval found for the question: the help center covers the topic, the
    case the customer's very situation. Dense scores; None where retrieval measured none."""
    cases = [
        (p.dense_score, n)
        for n, p in enumerate(passages, start=1)
        if p.kind == "case" and p.dense_score is not None and by_section.get((n, 0))
    ]
    ours = [p.dense_score for p in passages if p.kind != "case" and p.dense_score is not None]
    if not cases or not ours:
        return None
    score, number = max(cases)
    return by_section[(number, 0)][0] if score >= max(ours) + CASE_CLOSER else None


def _tells_fix(units: Sequence[Unit], note: Unit, weights: dict[str, float]) -> bool:
    """Whether the answer's own text says something of what fixed the closest past case: a
    share of the words of its resolution that the question does not use. A past case far
    closer to the customer's story than any article is their very situation; an article
    section saying little of its fix is about another problem (a card declined, when an ad
    blocker hid the card form), and leading with it would mislead."""
    fix = set(content_words(note.text)) - set(weights) - PLAN_WORDS
    said = set(content_words(" ".join(u.text for u in units if u.kind != "note")))
    return not fix or len(fix & said) >= FIX_SHARE * len(fix)


def _novel(units: Sequence[Unit], unit: Unit) -> bool:
    """Whether most of what `unit` says is not said already (another case told the same way)."""
    words = set(content_words(unit.text))
    return len(words - set(content_words(" ".join(u.text for u in units)))) >= 0.5 * len(words)


def _related(units: Sequence[Unit], unit: Unit, weights: dict[str, float]) -> bool:
    """Whether another source's `unit` is about the same thing as the answer so far: they share
    a word besides the question's own and the plans' names ("plan limits" asks about API rate
    limits and invoice limits alike; those are two answers, not one)."""
    shared = set(content_words(" ".join(u.text for u in units))) & set(content_words(unit.text))
    return bool(shared - {t for t, w in weights.items() if w >= 1.0} - PLAN_WORDS)


def _section_facets(heading: str, units: Sequence[Unit]) -> Facets:
    """A section is about the error codes its heading names; without any, those its text names."""
    named = Facets.of(heading)
    text = Facets.of(" ".join(u.text for u in units))
    return Facets(named.codes or text.codes, named.platforms or text.platforms, text.plans)


class ExtractiveComposer:
    name = "extractive"

    def generate(self, request: GenerationRequest) -> Draft:
        return compose(request.query, request.passages, request.rarity)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        text = self.generate(request).text
        yield from re.findall(r"\S+\s*", text)

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str | None:
        return None
