"""Streaming an answer: each sentence is shown as soon as it is complete *and* grounded.

A language model writes its answer token by token; the customer should not wait for the last
token to read the first sentence. But nothing unchecked may reach them, so the growing text is
cut into claims exactly as the grounding check cuts a whole draft (one list item, or one prose
sentence), and each claim, once complete, is judged by that same check. The check is re-run on
all complete claims so far, not on the new one alone: it judges each claim on its own and
appends what it keeps, so the text it keeps for a prefix of the draft is a prefix of the text
it keeps for the whole draft. What is streamed is therefore, piece by piece, the grounded
answer the turn ends with (citation numbers included) — unless the turn then refuses to
answer, which the caller must tell the client (see `server/routes/customer.py`).

The trade-off: a sentence is held until the next one starts (a "." alone does not end a
sentence: "e.g." and "v2.1" do not), so the last sentence arrives with the full answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from assistant.backends import parse_draft
from assistant.grounding import _claims as claims_of  # the check's own cut, so both agree
from assistant.grounding import check
from assistant.triage import Triage
from assistant.types import Draft, Passage

# Receives each checked sentence of an answer as it is generated.
SentenceSink = Callable[[str], None]


def may_stream(signals: Triage) -> bool:
    """Whether a turn may stream its answer: not when triage alone already hands it off.

    The same triggers `decision.decide` hands off on before it looks at the answer; the test
    suite holds the two together, so a customer never reads sentences of a refused answer.
    Milder frustration streams: its answer goes first, unless unsure (then retracted, as any).
    """
    return not (
        signals.human_requested
        or (signals.angry and signals.strongly_angry)
        or signals.repeated_failure
        or (signals.policy and not signals.bot_may_answer_first)
    )


def complete_claims(text: str, final: bool = False) -> list[tuple[str, bool]]:
    """The claims of `text` that more text cannot change: all but one still being written.

    The last claim is complete only at a line break, or once the stream is over (`final`);
    every earlier one ended at a sentence boundary that already saw the next sentence begin.
    """
    claims = claims_of(text)
    return claims if final or text.endswith("\n") else claims[:-1]


def rebuild(claims: Sequence[tuple[str, bool]]) -> str:
    """Text that the check cuts into exactly these claims (a claim that starts a line goes on a
    new line; the others follow on the same line)."""
    return "".join(
        ("\n" if starts_line else " ") + claim if i else claim
        for i, (claim, starts_line) in enumerate(claims)
    )


class SentenceGate:
    """Feed it the pieces of a stream; it passes each complete, grounded sentence to `sink`.

    `allowed` is the answer's other output check, per sentence: the first sentence it refuses
    withholds the rest of the answer too (the whole answer will fail that check as well).
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        sink: SentenceSink,
        allowed: Callable[[str], bool] = lambda _: True,
    ) -> None:
        self.passages = passages
        self.sink = sink
        self.allowed = allowed
        self.withheld = False
        self.text = ""  # everything streamed so far
        self.sent: list[str] = []  # what reached the sink, in order
        self._judged = 0  # complete claims already judged
        self._shown = ""  # the grounded text of those claims

    def feed(self, piece: str) -> None:
        self.text += piece
        self._release(complete_claims(self.text))

    def close(self) -> Draft:
        """The stream is over: judge the last claim; the whole text becomes the draft."""
        self._release(complete_claims(self.text, final=True))
        return parse_draft(self.text)

    def _release(self, done: list[tuple[str, bool]]) -> None:
        if self.withheld or parse_draft(self.text).abstained:
            return  # "I don't know…": the model declined; nothing of it is an answer
        while self._judged < len(done):
            self._judged += 1
            grounded = check(rebuild(done[: self._judged]), self.passages).text
            if not grounded.startswith(self._shown):
                continue  # cannot happen (see the module docstring); never show a changed text
            sentence = grounded[len(self._shown) :].strip()
            self._shown = grounded
            if not sentence:  # the claim was dropped, or was a fragment with no fact
                continue
            if not self.allowed(sentence):
                self.withheld = True
                return
            self.sent.append(sentence)
            self.sink(sentence)


def stream_draft(
    pieces: Iterator[str],
    passages: Sequence[Passage],
    sink: SentenceSink,
    allowed: Callable[[str], bool] = lambda _: True,
) -> Draft:
    """Consume a model's stream, passing its checked sentences to `sink`; return the draft."""
    gate = SentenceGate(passages, sink, allowed)
    for piece in pieces:
        gate.feed(piece)
    return gate.close()
