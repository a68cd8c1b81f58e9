"""Conversation scripts: multi-turn chats with what each turn must do, run through the help desk.

A script (YAML under `evals/data/conversations/`, format in the GUIDE.md beside them) is a
customer, the messages they send in order — with a thumbs-down or an agent's move in between —
and, per message, what the desk must do: the action, the source it cites, the details it asks
for (never twice), words it must not say, and for a hand-off the case an agent then reads (the
issue, the triggers, the priority, the error message, a draft about the issue or none).

Each script runs against a fresh SQLite store, a clock fixed inside support hours and the given
assistant (the sample knowledge base: the scripts' questions are written for it), through the
`HelpDesk` public API only. Every expectation is checked and every miss is recorded with its
turn and what the desk did, so one run says everything that is wrong, not only the first thing.
Case summaries are read through one function (`case_facts`): the summary's shape has one reader.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.desk import HelpDesk
from assistant.errors import AnswerdeskError, ErrorCode
from assistant.service import SupportAssistant
from assistant.store import SqlCaseStore, make_engine, upgrade
from assistant.store.protocol import Customer
from assistant.turn import TurnResult

SCRIPTS = Path(__file__).resolve().parent / "data" / "conversations"
# The golden set of the knowledge base the scripts are written for.
SAMPLE_GOLDEN = Path(__file__).resolve().parents[1] / "data" / "sample" / "golden.yaml"
Action = Literal["answer", "clarify", "handoff", "waiting", "agent"]
Label = Literal["low", "normal", "high", "urgent"]
LABELS: tuple[Label, ...] = ("low", "normal", "high", "urgent")
Sentiment = Literal["calm", "frustrated", "angry"]
AGENT = "alice"
# Monday 2026-11-23 10:00 UTC: inside the default support hours; each step moves it a minute.
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


# --- the script format ----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseExpect(_Strict):
    """The case an agent reads after this turn (the conversation's latest case)."""

    issue_mentions: list[str] = Field(default_factory=list)  # all of these words
    issue_excludes: list[str] = Field(default_factory=list)  # none of these words
    triggers: list[str] = Field(default_factory=list)  # reason codes; "policy" = any policy:*
    priority: Label | None = None
    min_priority: Label | None = None
    sentiment: list[Sentiment] = Field(default_factory=list)  # any of these
    error_message: str | None = None  # exactly
    fields: dict[str, str] = Field(default_factory=dict)  # label → exact value
    complete: bool | None = None  # nothing left for the agent to ask
    queue: str | None = None
    draft_about: list[str] = Field(default_factory=list)  # the draft is empty or names one
    draft_excludes: list[str] = Field(default_factory=list)
    same_case: bool = False  # still the conversation's first case (updated, not a second one)


class Expect(_Strict):
    action: Action | list[Action]
    # Each entry cited: a document id or title fragment, or a list of them (any one will do).
    cites: list[str | list[str]] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    asks_for: list[str] | None = None  # details asked; [] = none
    no_repeated_intake: bool = False
    offers_articles: bool | None = None
    case: CaseExpect | None = None

    @property
    def actions(self) -> list[Action]:
        return [self.action] if isinstance(self.action, str) else list(self.action)


class Step(_Strict):
    """One thing that happens: the customer says something, marks our last answer unhelpful,
    or an agent claims, replies to or resolves the case."""

    say: str | None = None
    thumbs_down: bool = False
    agent: Literal["claim", "release", "reply", "resolve"] | None = None
    text: str = ""  # the agent's reply or resolution
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_event(self) -> Step:
        events = [self.say is not None, self.thumbs_down, self.agent is not None]
        if sum(events) != 1:
            raise ValueError("a turn is exactly one of `say`, `thumbs_down: true` or `agent`")
        if self.expect is not None and self.say is None:
            raise ValueError("only a `say` turn has an `expect`")
        if self.agent in ("reply", "resolve") and not self.text:
            raise ValueError(f"`agent: {self.agent}` needs the `text` the agent writes")
        return self


class Who(_Strict):
    email: str = ""
    plan: str = ""


class Script(_Strict):
    id: str
    description: str  # why it exists: the behaviour or trap it pins
    tags: list[str] = Field(default_factory=list)
    customer: Who | Literal["anonymous"] = "anonymous"
    turns: list[Step] = Field(min_length=1)
    # Why the desk does not pass it yet, when it does not: the script still runs, counts as
    # failed in `conversation_pass_rate`; the test suite reports XFAIL, or XPASS once it passes.
    known_failure: str = ""
    file: str = ""  # set by the loader

    @model_validator(mode="after")
    def _expects_something(self) -> Script:
        if not any(s.expect for s in self.turns):
            raise ValueError("a script needs at least one `expect`")
        return self


class ScriptFile(_Strict):
    version: int = 1
    description: str = ""
    scripts: list[Script] = Field(min_length=1)


def load_file(path: Path) -> list[Script]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = ScriptFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"{path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(data, first["loc"])
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT,
            f"{path}: {where}: {first['msg']} ({exc.error_count()} errors)",
        ) from exc
    return [s.model_copy(update={"file": path.name}) for s in parsed.scripts]


def _where(data: Any, loc: Sequence[int | str]) -> str:
    """`scripts[3] (id: anger-while-waiting).turns.1.expect.action`: the field, and the script
    by its id so it can be found in the file."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "scripts" and isinstance(loc[1], int):
        try:
            name = data["scripts"][loc[1]]["id"]
        except (KeyError, IndexError, TypeError):
            name = None
        head = f"scripts[{loc[1]}]" + (f" (id: {name})" if name else "")
        return ".".join([head, *parts[2:]])
    return ".".join(parts)


def load_scripts(folder: Path = SCRIPTS) -> list[Script]:
    """Every `*.yaml` script in `folder`, in file order; ids are unique across files."""
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise AnswerdeskError(ErrorCode.NOT_FOUND, f"no conversation scripts (*.yaml) in {folder}")
    scripts = [s for p in paths for s in load_file(p)]
    ids = [s.id for s in scripts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise AnswerdeskError(
            ErrorCode.INVALID_INPUT, f"{folder}: duplicate script ids {duplicates}"
        )
    return scripts


# --- what a run found -----------------------------------------------------------------------


@dataclass(frozen=True)
class Miss:
    """One expectation the desk did not meet."""

    turn: int  # 1-based position in the script's turns
    expectation: str
    seen: str
    action: str = ""  # what the desk did on that turn
    reply: str = ""

    def __str__(self) -> str:
        did = f" [desk: {self.action}: {self.reply[:160]!r}]" if self.action else ""
        return f"turn {self.turn}: {self.expectation}; seen {self.seen}{did}"


@dataclass(frozen=True)
class ScriptResult:
    id: str
    file: str
    misses: list[Miss] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.misses

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "passed": self.passed,
            "misses": [asdict(m) for m in self.misses],
        }


@dataclass(frozen=True)
class CaseFacts:
    """What the expectations read from a case: the one place that knows the summary's shape."""

    id: int
    issue: str
    triggers: list[str]
    priority: str
    sentiment: str
    fields: dict[str, str]
    missing: list[str]
    queue: str
    draft: str


def _get(value: Any, name: str) -> Any:
    """A summary field, whether the summary is a JSON dict or a typed object."""
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def case_facts(desk: HelpDesk, case_id: int) -> CaseFacts:
    view = desk.agents.case(case_id)
    summary = view.summary
    return CaseFacts(
        id=view.case.id,
        issue=str(_get(summary, "issue") or ""),
        triggers=list(_get(summary, "handoff_reasons") or []),
        priority=str(_get(_get(summary, "priority"), "label") or ""),
        sentiment=str(_get(_get(summary, "sentiment"), "label") or ""),
        fields=dict(_get(summary, "fields") or {}),
        missing=list(_get(summary, "missing") or []),
        queue=view.case.queue,
        draft=str(_get(summary, "draft_reply") or ""),
    )


# --- checking -------------------------------------------------------------------------------

Missed = tuple[str, str]  # (what was expected, what was seen)


def _cited(needle: str, turn: TurnResult) -> bool:
    n = needle.lower()
    return any(
        n == c.document_id.lower() or n in c.document_id.lower() or n in c.title.lower()
        for c in turn.citations
    )


def check_turn(expect: Expect, turn: TurnResult, asked_before: Sequence[str]) -> list[Missed]:
    """The missed expectations of one turn, as (expected, seen). `asked_before`:
    the details and question texts of this conversation's earlier intake questions."""
    out: list[Missed] = []
    if turn.action not in expect.actions:
        out.append((f"action {' or '.join(expect.actions)}", turn.action))
    cited = [f"{c.document_id} ({c.title})" for c in turn.citations]
    for entry in expect.cites:
        options = [entry] if isinstance(entry, str) else entry
        if not any(_cited(o, turn) for o in options):
            out.append((f"cites {' or '.join(map(repr, options))}", str(cited or "no citation")))
    text = turn.text.lower()
    out += [
        (f"contains {w!r}", "not in the reply") for w in expect.contains if w.lower() not in text
    ]
    out += [
        (f"does not contain {w!r}", "it does") for w in expect.not_contains if w.lower() in text
    ]
    if expect.asks_for is not None:
        wanted = set(expect.asks_for)
        if (wanted and not wanted <= set(turn.asks_for)) or (not wanted and turn.asks_for):
            out.append((f"asks for {sorted(wanted) or 'nothing'}", f"asks for {turn.asks_for}"))
    if expect.no_repeated_intake:
        again = [f for f in turn.asks_for if f in asked_before]
        if again or (turn.text and turn.text in asked_before):
            out.append(
                ("no intake question asked twice", f"asked again for {again or turn.text!r}")
            )
    if expect.offers_articles is not None and bool(turn.related) != expect.offers_articles:
        titles = [c.title for c in turn.related]
        out.append((f"offers articles: {expect.offers_articles}", f"related {titles}"))
    return out


def check_case(expect: CaseExpect, case: CaseFacts, first_case: int | None) -> list[Missed]:
    out: list[Missed] = []
    issue = case.issue.lower()
    out += [
        (f"case issue mentions {w!r}", f"issue {case.issue!r}")
        for w in expect.issue_mentions
        if w.lower() not in issue
    ]
    out += [
        (f"case issue does not mention {w!r}", f"issue {case.issue!r}")
        for w in expect.issue_excludes
        if w.lower() in issue
    ]
    for trigger in expect.triggers:
        hit = (
            any(t.startswith("policy:") for t in case.triggers)
            if trigger == "policy"
            else trigger in case.triggers
        )
        if not hit:
            out.append((f"case trigger {trigger!r}", f"triggers {case.triggers}"))
    rank = LABELS.index(case.priority) if case.priority in LABELS else -1
    if expect.priority and case.priority != expect.priority:
        out.append((f"case priority {expect.priority}", case.priority or "none"))
    if expect.min_priority and rank < LABELS.index(expect.min_priority):
        out.append((f"case priority at least {expect.min_priority}", case.priority or "none"))
    if expect.sentiment and case.sentiment not in expect.sentiment:
        out.append((f"case sentiment {' or '.join(expect.sentiment)}", case.sentiment))
    if expect.error_message is not None:
        seen = case.fields.get("Error message")
        if (seen or "") != expect.error_message:  # "" expects no error message at all
            out.append((f"case error message {expect.error_message!r}", repr(seen)))
    for label, value in expect.fields.items():
        if case.fields.get(label) != value:
            out.append((f"case field {label} = {value!r}", f"{case.fields.get(label)!r}"))
    if expect.complete is not None and (not case.missing) != expect.complete:
        out.append((f"case complete: {expect.complete}", f"missing {case.missing}"))
    if expect.queue and case.queue != expect.queue:
        out.append((f"case queue {expect.queue}", case.queue))
    draft = case.draft.lower()
    if (
        case.draft
        and expect.draft_about
        and not any(w.lower() in draft for w in expect.draft_about)
    ):
        out.append(
            (f"case draft empty or about {expect.draft_about}", f"draft {case.draft[:200]!r}")
        )
    out += [
        (f"case draft does not mention {w!r}", f"draft {case.draft[:200]!r}")
        for w in expect.draft_excludes
        if w.lower() in draft
    ]
    if expect.same_case and first_case is not None and case.id != first_case:
        out.append((f"the open case #{first_case} updated", f"a new case #{case.id}"))
    return out


# --- running --------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


def _customer(who: Who | Literal["anonymous"], script_id: str) -> Customer:
    if who == "anonymous":
        return Customer()
    return Customer(id=script_id, email=who.email, plan=who.plan)


def run_script(assistant: SupportAssistant, script: Script, store_template: Path) -> ScriptResult:
    """Run one script against a copy of `store_template` (a migrated, empty SQLite file)."""
    with tempfile.TemporaryDirectory(prefix="answerdesk-conversation-") as folder:
        path = Path(folder) / "cases.sqlite3"
        shutil.copyfile(store_template, path)
        clock = _Clock()
        store = SqlCaseStore(make_engine(f"sqlite:///{path}"), now=clock)
        try:
            desk = HelpDesk(assistant.settings, store, assistant, now=clock)
            return _play(desk, script, clock)
        finally:
            store.close()


def _play(desk: HelpDesk, script: Script, clock: _Clock) -> ScriptResult:
    chat = desk.start(_customer(script.customer, script.id))
    misses: list[Miss] = []
    asked: list[str] = []  # details and texts of our intake questions so far
    last: TurnResult | None = None
    first_case: int | None = None
    for n, step in enumerate(script.turns, start=1):
        clock.at += timedelta(minutes=1)
        try:
            if step.say is None:
                _event(desk, chat.id, chat.token, step, last)
                continue
            turn = desk.send(chat.id, chat.token, step.say)
        except AnswerdeskError as error:
            misses.append(Miss(n, "the step runs", f"{error.code.slug}: {error.message}"))
            break
        seen = [*asked]
        if turn.asks_for:
            asked += [*turn.asks_for, turn.text]
        if turn.handoff is not None and first_case is None:
            first_case = turn.handoff.case_id
        last = turn
        if step.expect is None:
            continue
        found = check_turn(step.expect, turn, seen)
        if step.expect.case is not None:
            handoff = turn.handoff or desk.handoff_of(chat.id)
            case_id = handoff.case_id if handoff else None
            if case_id is None:
                found.append(("a case", "no case for this conversation"))
            else:
                found += check_case(step.expect.case, case_facts(desk, case_id), first_case)
        misses += [Miss(n, wanted, seen, turn.action, turn.text) for wanted, seen in found]
    return ScriptResult(script.id, script.file, misses)


def _event(desk: HelpDesk, cid: str, token: str, step: Step, last: TurnResult | None) -> None:
    if step.thumbs_down:
        if last is None or last.message is None:
            raise AnswerdeskError(ErrorCode.INVALID_INPUT, "no answer to mark unhelpful yet")
        desk.feedback(cid, token, helpful=False, message_id=last.message.id)
        return
    handoff = desk.handoff_of(cid)
    if handoff is None:
        raise AnswerdeskError(ErrorCode.INVALID_INPUT, f"no case for the agent to {step.agent}")
    agents = desk.agents
    if step.agent == "claim":
        agents.claim(handoff.case_id, AGENT)
    elif step.agent == "release":
        agents.release(handoff.case_id, AGENT)
    elif step.agent == "reply":
        agents.reply(handoff.case_id, AGENT, step.text)
    else:
        agents.resolve(handoff.case_id, AGENT, step.text)


def empty_store(folder: Path) -> Path:
    """A migrated, empty SQLite case store: copied per script (migrating each time is slow)."""
    path = folder / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


def run(
    assistant: SupportAssistant,
    scripts: Sequence[Script],
    progress: Callable[[int, int], None] | None = None,
) -> list[ScriptResult]:
    with tempfile.TemporaryDirectory(prefix="answerdesk-conversations-") as folder:
        template = empty_store(Path(folder))
        results = []
        for n, script in enumerate(scripts, start=1):
            results.append(run_script(assistant, script, template))
            if progress:
                progress(n, len(scripts))
        return results


def summarise(results: Sequence[ScriptResult]) -> dict[str, Any]:
    """The report's section: the pass rate and every failing script with its misses."""
    passed = sum(r.passed for r in results)
    return {
        "scripts": len(results),
        "passed": passed,
        "pass_rate": round(passed / len(results), 4) if results else None,
        "failing": [r.to_json() for r in results if not r.passed],
    }


def evaluate(
    assistant: SupportAssistant,
    folder: Path = SCRIPTS,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    scripts = load_scripts(folder)
    return summarise(run(assistant, scripts[:limit] if limit else scripts, progress))
