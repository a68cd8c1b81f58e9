"""The expected wait for a person: from queue statistics and the configured support hours.

Pure functions over a clock reading. Support hours are written like `Mon-Fri 08:00-20:00` (days
and a daily window) in one time zone; outside them the customer is told when someone is back.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.errors import AnswerdeskError, ErrorCode

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$",
    re.I,
)


@dataclass(frozen=True)
class SupportHours:
    days: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str = "UTC") -> SupportHours:
        match = _HOURS.match(text)
        if not match:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION,
                f"support hours {text!r}: write them like 'Mon-Fri 08:00-20:00'",
            )
        try:
            first = DAYS.index(match["first"].lower())
            last = DAYS.index((match["last"] or match["first"]).lower())
            opens, closes = (time.fromisoformat(match[k].zfill(5)) for k in ("open", "close"))
            tz = ZoneInfo(zone)
        except (ValueError, KeyError) as exc:
            raise AnswerdeskError(
                ErrorCode.CONFIGURATION, f"support hours {text!r} in {zone!r}: {exc}"
            ) from exc
        days = {(first + i) % 7 for i in range((last - first) % 7 + 1)}
        return cls(frozenset(days), opens, closes, tz)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            opening = datetime.combine(day, self.opens, self.zone)
            if day.weekday() in self.days and opening > local:
                return opening
        raise AnswerdeskError(ErrorCode.CONFIGURATION, "support hours never open")

    def open_between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals within [start, end], in UTC, in order (daylight saving time
        moves them as the zone does)."""
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        intervals = []
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            if day.weekday() not in self.days:
                continue
            opens = datetime.combine(day, self.opens, self.zone).astimezone(UTC)
            closes = datetime.combine(day, self.closes, self.zone).astimezone(UTC)
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:
                intervals.append((opens, closes))
        return intervals

    def describe(self) -> str:
        days = sorted(self.days)
        span = (
            DAYS[days[0]].title()
            if len(days) == 1
            else f"{DAYS[days[0]].title()}–{DAYS[days[-1]].title()}"
        )
        return f"{span} {self.opens:%H:%M}–{self.closes:%H:%M} {self.zone.key}"


@dataclass(frozen=True)
class QueueState:
    ahead: int  # cases waiting that are as urgent or more
    recent_waits: Sequence[float]  # minutes from hand-off to claim, recent cases


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int | None
    within_hours: bool
    back_at: datetime | None
    text: str


def estimate(
    now: datetime,
    hours: SupportHours,
    queue: QueueState,
    default_minutes: int,
    per_case_minutes: int,
) -> WaitEstimate:
    """The median recent wait (or the configured default when there is no history yet), plus a
    few minutes for each case ahead; outside support hours, when the team is back."""
    base = statistics.median(queue.recent_waits) if queue.recent_waits else default_minutes
    minutes = max(1, round(base + per_case_minutes * queue.ahead))
    if not hours.is_open(now):
        back = hours.next_opening(now)
        text = (
            f"Our support team is offline right now (hours: {hours.describe()}). Someone will "
            f"pick this up when we're back, {back:%A %H:%M} {hours.zone.key}."
        )
        return WaitEstimate(None, False, back, text)
    closes = datetime.combine(now.astimezone(hours.zone).date(), hours.closes, hours.zone)
    if now + timedelta(minutes=minutes) > closes:
        back = hours.next_opening(now)
        text = (
            f"The usual wait is about {_minutes(minutes)}, which runs past today's closing time; "
            f"if nobody reaches you today, we're back {back:%A %H:%M} {hours.zone.key}."
        )
        return WaitEstimate(minutes, True, back, text)
    text = f"The usual wait right now is about {_minutes(minutes)}."
    return WaitEstimate(minutes, True, None, text)


def _minutes(n: int) -> str:
    if n < 60:
        return f"{n} minute{'s' if n != 1 else ''}"
    hours, rest = divmod(n, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} hour{'s' if hours != 1 else ''}"
