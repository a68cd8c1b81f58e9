"""`SupportAssistant`: one question in, one cited and scored `Answer` out.

The orchestration, top to bottom: condense a follow-up into a standalone query, retrieve (led
by the guidance a matching past case points to), widen the top passages, generate, check
grounding and fix citations, score confidence, and below the threshold say so instead of
bluffing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.anger import AngerDetector
from assistant.backends import language_model, make_chat_model, make_embedder, make_extractive
from assistant.condense import condense
from assistant.confidence import Calibration, fallback_calibration, features, lead, settled
from assistant.decision import Decision, decide
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.grounding import check, shown_to_model, snippet
from assistant.index import LiveIndex
from assistant.ports import ChatModel, Embedder, Vectors
from assistant.probes import is_question
from assistant.retrieval import Filters, Retriever
from assistant.safety import looks_like_injection, output_problems, site_domains
from assistant.settings import Settings
from assistant.spelling import correct
from assistant.streaming import SentenceSink as SentenceSink  # re-exported for the desk
from assistant.streaming import may_stream, stream_draft
from assistant.tokens import fit_passages
from assistant.triage import CustomerContext, Policy, Triage, load_policies, triage
from assistant.types import Answer, Citation, GenerationRequest, Message, Passage, Turn
from prompts import load_prompt

QUESTION_MATCH_TOP = 3  # passages whose own question (an FAQ's) is compared with the customer's
NOT_SURE = (
    "I'm not sure I can answer that correctly from our help center, and I'd rather not guess."
)


@dataclass(frozen=True)
class Reply:
    """One turn: the answer, the signals read from the conversation, and what to do."""

    answer: Answer
    triage: Triage
    decision: Decision


@dataclass
class SupportAssistant:
    settings: Settings
    index: LiveIndex
    embedder: Embedder
    chat_model: ChatModel
    # An explicit calibration (a file named in settings); None: the index's own, else the
    # packaged fallback.
    calibration: Calibration | None
    detector: AngerDetector | None = None
    policies: tuple[Policy, ...] = field(default_factory=load_policies)

    def respond(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        context: CustomerContext | None = None,
        thumbs_down: bool = False,
        on_sentence: SentenceSink | None = None,
    ) -> Reply:
        """Triage the conversation, answer, and decide: the whole turn, top to bottom.

        Triage comes first so that an answer the turn will refuse whatever it says (the
        customer asked for a person, is upset, …) is not streamed to them sentence by sentence.
        """
        validate_question(question, self.settings.max_question_chars)
        detector = self.detector or AngerDetector(self.embedder)
        signals = triage(
            [*history, Turn("user", question)], detector, self.policies, context, thumbs_down
        )
        sink = on_sentence if may_stream(signals) else None
        answer = self.answer(question, history, filters, on_sentence=sink)
        return Reply(answer, signals, decide(signals, answer, question, history))

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None = None
    ) -> SupportAssistant:
        """The assistant `settings` describe; `embedder`: one already loaded, to share it."""
        embedder = embedder or make_embedder(settings)
        return cls(
            settings,
            LiveIndex(settings),
            embedder,
            make_chat_model(settings),
            load_calibration(settings),
            AngerDetector(embedder),
        )

    @property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, self.settings)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        on_sentence: SentenceSink | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        llm = language_model(self.chat_model)
        query = correct(condense(question, history, llm), self.index.vocabulary())
        query_vector = self.embedder.embed([query])[0]
        passages = self.retriever.search(query, filters, vector=query_vector)
        top = self.retriever.guided(passages, self.settings.answer_passages, filters)
        context = [self.retriever.widen(p, query) for p in top]
        request = self.request(question, query, context, history, self.index.rarity())

        failure = None
        try:
            if on_sentence is None or llm is None:
                draft = self.chat_model.generate(request)
            else:  # each sentence is checked against `context` before it reaches the sink
                shown = may_show(self.index, question)  # the output check, per sentence
                draft = stream_draft(self.chat_model.stream(request), context, on_sentence, shown)
        except Exception:
            # The model endpoint is down or broken: answer extractively, and let the caller
            # hand the conversation off with this reason.
            failure = "backend_unavailable"
            draft = make_extractive().generate(request)
        grounding = check(draft.text, context)
        # The output check: a draft linking outside the knowledge base or asking for credentials,
        # or any reply to a message carrying instructions for the assistant, is withheld.
        blocked = output_problems(grounding.text, knowledge_base_domains(self.index))
        if looks_like_injection(question):
            blocked.append("the question carries instructions for the assistant")
        cited = [context[_index_of(c, context)] for c in grounding.citations]
        values = features(
            query,
            passages,
            grounding.text,
            grounding.grounded_share,
            draft.abstained,
            cited,
            0.0,  # answer_similarity: measured below, only where it can change the decision
            self.question_match(query_vector, passages),
        )
        calibration = self.current_calibration()
        threshold = threshold_of(calibration, self.settings)
        if grounding.text:
            values["answer_similarity"] = self.answer_similarity(
                grounding.text, query_vector, cited, calibration, values, threshold
            )
        confidence = calibration.probability(values)
        unsure = draft.abstained or not grounding.text or confidence < threshold or bool(blocked)
        return Answer(
            text=NOT_SURE if unsure else grounding.text,
            citations=[] if unsure else grounding.citations,
            confidence=round(confidence, 4),
            needs_handoff=unsure or failure is not None,
            grounded_share=grounding.grounded_share,
            query=query,
            passages=passages,
            backend=self.chat_model.name,
            prompt_version=request_version(),
            abstained=draft.abstained,
            features=values,
            related=related(passages) if unsure else [],
            failure=failure,
            blocked=blocked,
            calibration=calibration.version,
            threshold=threshold,
            draft="" if blocked else grounding.text,
            draft_citations=[] if blocked else grounding.citations,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def answer_similarity(
        self,
        text: str,
        query_vector: Vectors,
        cited: Sequence[Passage],
        calibration: Calibration,
        values: dict[str, float],
        threshold: float,
    ) -> float:
        """Cosine of the answer's lead to the question. Embedding the lead is a model call per
        turn; where no value of the feature could move the confidence across the threshold
        (most turns), the similarity retrieval measured for the passage the answer cites
        stands in for it: the decision is the same; only the confidence shown may differ a
        little. Measured always when `confidence_shortcut` is off, as it is for fitting a
        calibration (`assistant/selfcal.py`, `answerdesk eval --calibrate`)."""
        estimate = next((p.dense_score for p in cited if p.dense_score is not None), None)
        if (
            self.settings.confidence_shortcut
            and estimate is not None
            and settled(calibration, values, "answer_similarity", threshold)
        ):
            return estimate
        return float(self.embedder.embed([lead(text)])[0] @ query_vector)

    def question_match(self, query_vector: Vectors, passages: Sequence[Passage]) -> float:
        """Cosine of the question to the closest FAQ-style question among the top passages
        (their titles are cached by the embedder: the same FAQs come up again and again)."""
        questions = [
            p.title
            for p in passages[:QUESTION_MATCH_TOP]
            if p.kind != "case" and is_question(p.title)
        ]
        if not questions:
            return 0.0
        return float(np.max(self.embedder.embed(questions) @ query_vector))

    def current_calibration(self) -> Calibration:
        return self.calibration or self.index.calibration() or fallback_calibration()

    def request(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        history: Sequence[Turn],
        rarity: Mapping[str, float] | None = None,
    ) -> GenerationRequest:
        """The prompt and passages a backend reads; `rarity`: the index's (`LiveIndex.rarity`),
        for the extractive composer."""
        shown = [shown_to_model(p) for p in passages]
        fitted = fit_passages([text for _, text in shown], self.settings.llm_context_tokens)
        # "Passage [n] (title): text" on one line: small models copy a header on its own line.
        # A passage with nothing to show keeps its number: citations count from the context.
        numbered = "\n\n".join(
            f"Passage [{n}] ({heading}): " + " ".join(text.split())
            for n, ((heading, _), text) in enumerate(zip(shown, fitted, strict=True), start=1)
            if text
        )
        messages = [
            Message("system", load_prompt("system").render(company=self.settings.company_name)),
            Message("user", load_prompt("answer").render(passages=numbered, question=query)),
        ]
        return GenerationRequest(question, query, passages, messages, list(history), rarity or {})


def validate_question(question: str, limit: int) -> str:
    question = question.strip()
    if not question:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, "the question is empty")
    if len(question) > limit:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            f"the question is {len(question):,} characters; the limit is {limit:,}",
        )
    return question


def request_version() -> str:
    return "+".join(load_prompt(n).version for n in ("system", "answer"))


def related(passages: Sequence[Passage], limit: int = 3) -> list[Citation]:
    """The closest articles or FAQs to show when we are not sure (never customer cases)."""
    useful = [p for p in passages if p.kind != "case"][:limit]
    return [
        Citation(n, p.document_id, p.title, p.url, p.chunk.section, p.kind, snippet(p))
        for n, p in enumerate(useful, start=1)
    ]


def load_calibration(settings: Settings) -> Calibration | None:
    """A calibration file named in settings; None means: the index's own."""
    if settings.calibration_file is not None:
        return Calibration.load(settings.calibration_file)
    return None


def threshold_of(calibration: Calibration, settings: Settings) -> float:
    """A threshold set by the operator wins; otherwise the calibration's operating point."""
    if settings.confidence_threshold is not None:
        return settings.confidence_threshold
    return calibration.threshold


_DOMAINS: dict[str, frozenset[str]] = {}


def knowledge_base_domains(index: LiveIndex) -> frozenset[str]:
    """The domains of the indexed documents' URLs: the only sites a reply may link to. Read
    once per version the index serves (every sync names a new keyword folder)."""
    key = f"{index.manifest.location}:{index.generation}"
    if key not in _DOMAINS:
        if len(_DOMAINS) > 16:
            _DOMAINS.clear()
        _DOMAINS[key] = site_domains(d.url for d in index.manifest.documents())
    return _DOMAINS[key]


def may_show(index: LiveIndex, question: str) -> Callable[[str], bool]:
    """The output check for one streamed sentence; nothing streams in reply to a message that
    carries instructions for the assistant."""
    if looks_like_injection(question):
        return lambda _: False
    domains = knowledge_base_domains(index)
    return lambda sentence: not output_problems(sentence, domains)


def _index_of(citation: Citation, passages: Sequence[Passage]) -> int:
    return next(i for i, p in enumerate(passages) if p.document_id == citation.document_id)
