"""The expected wait: queue statistics inside support hours, the next opening outside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.handoff.wait import QueueState, SupportHours, estimate

HOURS = SupportHours.parse("Mon-Fri 08:00-20:00", "UTC")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
FRIDAY_19_50 = datetime(2026, 11, 27, 19, 50, tzinfo=UTC)


def test_support_hours_parse_and_know_when_they_are_open() -> None:
    assert HOURS.is_open(MONDAY_10)
    assert not HOURS.is_open(SATURDAY_10)
    assert not HOURS.is_open(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))
    assert HOURS.next_opening(SATURDAY_10) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert HOURS.describe() == "Mon–Fri 08:00–20:00 UTC"


def test_support_hours_in_another_time_zone() -> None:
    berlin = SupportHours.parse("Mon-Sat 09:00-17:00", "Europe/Berlin")
    assert berlin.is_open(SATURDAY_10)  # 11:00 in Berlin
    assert not berlin.is_open(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))  # Sunday


def test_open_intervals_cover_only_the_open_hours_clipped_to_the_range() -> None:
    end = MONDAY_10 + timedelta(days=14)  # Monday 7 December, 10:00
    got = HOURS.open_between(FRIDAY_19_50, end)
    assert got[0] == (FRIDAY_19_50, FRIDAY_19_50.replace(hour=20, minute=0))
    assert got[1] == (datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 11, 30, 20, tzinfo=UTC))
    assert got[-1] == (datetime(2026, 12, 7, 8, tzinfo=UTC), end)
    assert len(got) == 7 and all(a.weekday() < 5 and a < b for a, b in got)
    assert HOURS.open_between(SATURDAY_10, SATURDAY_10 + timedelta(hours=30)) == []


def test_open_intervals_follow_daylight_saving_time() -> None:
    berlin = SupportHours.parse("Mon-Fri 09:00-17:00", "Europe/Berlin")
    # Clocks go back on Sunday 25 October 2026: 09:00 in Berlin is 07:00 UTC, then 08:00.
    friday, monday = berlin.open_between(
        datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)
    )
    assert friday[0] == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert monday == (datetime(2026, 10, 26, 8, tzinfo=UTC), datetime(2026, 10, 26, 16, tzinfo=UTC))


@pytest.mark.parametrize("text", ["weekdays 9-5", "Mon-Fri 25:00-26:00", "Mon-Fri 08:00"])
def test_unreadable_hours_are_a_configuration_error(text: str) -> None:
    with pytest.raises(AnswerdeskError) as error:
        SupportHours.parse(text)
    assert error.value.code is ErrorCode.CONFIGURATION


def test_inside_hours_the_wait_is_the_recent_median_plus_the_queue_ahead() -> None:
    wait = estimate(MONDAY_10, HOURS, QueueState(2, [4.0, 30.0, 8.0]), 10, 5)
    assert (wait.minutes, wait.within_hours, wait.back_at) == (18, True, None)
    assert "about 18 minutes" in wait.text


def test_without_history_the_configured_default_is_used() -> None:
    assert estimate(MONDAY_10, HOURS, QueueState(0, []), 10, 5).minutes == 10


def test_outside_hours_the_customer_is_told_when_someone_is_back() -> None:
    wait = estimate(SATURDAY_10, HOURS, QueueState(0, []), 10, 5)
    assert wait.minutes is None and not wait.within_hours
    assert wait.back_at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert "Monday 08:00 UTC" in wait.text and "Mon–Fri 08:00–20:00 UTC" in wait.text


def test_a_wait_that_runs_past_closing_says_so() -> None:
    wait = estimate(FRIDAY_19_50, HOURS, QueueState(1, []), 10, 5)
    assert wait.within_hours and wait.minutes == 15
    assert "Monday 08:00" in wait.text
