"""Run golden cases through the same `SupportAssistant` the server uses, turn by turn."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.service import SupportAssistant
from assistant.types import Answer, Turn
from evals.golden import GoldenCase
from evals.metrics import fact_coverage


@dataclass
class CaseResult:
    id: str
    question: str
    expected: str
    reason: str | None
    tags: dict[str, str]
    expected_sources: list[str]
    decision: str  # answer | handoff | clarify
    decision_reason: str | None
    ranked: list[str]  # document ids, best first
    cited: list[str]
    answer: str
    draft: str
    confidence: float
    grounded_share: float
    facts: float  # fact coverage of the draft
    correct: bool
    latency_ms: float
    features: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.0  # the operating point the answer was held to
    calibration: str = ""  # version of the calibration that scored it

    @property
    def answerable(self) -> bool:
        return self.expected == "answer"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def is_correct(case: GoldenCase, answer: Answer, facts: float) -> bool:
    """Answerable, every required fact stated, nothing forbidden, and a right source cited
    (the citation alone decides when the case lists no facts)."""
    if not case.answerable or not answer.draft:
        return False
    cited = {c.document_id for c in answer.draft_citations}
    source_ok = not case.expected_sources or bool(cited & set(case.expected_sources))
    return facts == 1.0 and (bool(case.must_include) or source_ok)


def run_case(assistant: SupportAssistant, case: GoldenCase) -> CaseResult:
    """The conversation turn by turn; the last customer message is the one evaluated."""
    history: list[Turn] = []
    messages = case.messages
    for earlier in messages[:-1]:
        reply = assistant.answer(earlier, history)
        history += [Turn("user", earlier), Turn("assistant", reply.text)]
    started = time.perf_counter()  # latency is the evaluated turn's
    turn = assistant.respond(messages[-1], history)
    latency = (time.perf_counter() - started) * 1000
    answer = turn.answer
    decision = turn.decision.action
    reason = turn.decision.reasons[0] if turn.decision.reasons else None
    facts = fact_coverage(answer.draft, case.must_include, case.must_not_include)
    draft_cited = [c.document_id for c in answer.draft_citations]
    return CaseResult(
        id=case.id,
        question=messages[-1],
        expected=case.expected,
        reason=case.reason,
        tags=case.tags,
        expected_sources=case.expected_sources,
        decision=decision,
        decision_reason=reason,
        ranked=[p.document_id for p in answer.passages],
        cited=draft_cited,
        answer=answer.text,
        draft=answer.draft,
        confidence=answer.confidence,
        grounded_share=answer.grounded_share,
        facts=facts,
        correct=is_correct(case, answer, facts),
        latency_ms=latency,
        features=answer.features,
        threshold=answer.threshold,
        calibration=answer.calibration,
    )


def run(
    assistant: SupportAssistant,
    cases: Sequence[GoldenCase],
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseResult]:
    results: list[CaseResult] = []
    if progress:
        progress(0, len(cases))
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        for result in pool.map(lambda c: run_case(assistant, c), cases):
            results.append(result)
            if progress:
                progress(len(results), len(cases))
    return results
