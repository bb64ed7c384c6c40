"""Dual-slot rotation, proven on a simulated clock (pure logic, no Pulumi).

A simulated operator deploys on a schedule (daily at 10:00 UTC, or with irregular gaps no
longer than ``P - O`` days). Each deploy applies the plan the way the engine would: a slot
whose key changed is replaced (create-before-delete), every other password is left alone, and
Key Vault gets the current slot. Between deploys the clock is checked several times a day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest

from components.rotation import (
    EPOCH,
    SLOTS,
    SlotPlan,
    max_deploy_interval_days,
    plan_rotation,
    plan_slot,
)

START = datetime(2026, 3, 17, 10, 0, tzinfo=UTC)
SIMULATED_DAYS = 800  # more than two years
# (period, overlap) pairs across the settings' range: period 30-365, overlap 7-180, O < P.
SCHEDULES = [(30, 7), (30, 29), (45, 15), (60, 20), (90, 30), (120, 100), (180, 90), (365, 7),
             (365, 180)]
CHECK_HOURS = (0.0, 6.0, 9.99, 12.0, 18.0, 23.99)  # between deploys, including just before one


@dataclass(frozen=True)
class Credential:
    """A password as it exists in the tenant."""

    slot: str
    key: int
    created: datetime
    ends: datetime

    def valid_at(self, t: datetime) -> bool:
        return self.created <= t < self.ends

    def days_left(self, t: datetime) -> float:
        return (self.ends - t).total_seconds() / 86400


@dataclass
class Tenant:
    """The simulated deployed state: one credential per slot, the Key Vault pointer, history."""

    period: int
    overlap: int
    slots: dict[str, Credential] = field(default_factory=dict)
    key_vault: Credential | None = None
    rotations: dict[str, list[datetime]] = field(default_factory=lambda: {s: [] for s in SLOTS})

    def newest(self) -> Credential | None:
        """The password that expires last (equivalently: the one issued for the later epoch)."""
        return max(self.slots.values(), key=lambda c: c.ends, default=None)

    def deploy(self, now: datetime) -> None:
        plan = plan_rotation(now, self.period, self.overlap)
        newest_before = self.newest()
        for planned in plan.slots:
            existing = self.slots.get(planned.slot)
            if existing is not None and existing.key == planned.key:
                assert existing.ends == planned.ends, "same key, different end date: a diff"
                continue
            if existing is not None:
                assert existing is not newest_before, (
                    f"{now}: rotating slot {planned.slot} would replace the newest password")
                self.rotations[planned.slot].append(now)
            self.slots[planned.slot] = Credential(planned.slot, planned.key, now, planned.ends)
        self.key_vault = self.slots[plan.current]
        assert self.key_vault is self.newest(), "Key Vault must hold the newest password"

    def check(self, t: datetime) -> None:
        valid = [c for c in self.slots.values() if c.valid_at(t)]
        assert any(c.days_left(t) >= self.overlap for c in valid), (
            f"{t}: no valid password with >= {self.overlap} days left: "
            f"{[(c.slot, round(c.days_left(t), 2)) for c in self.slots.values()]}")
        assert self.key_vault is not None and self.key_vault.valid_at(t)
        assert self.key_vault.days_left(t) >= self.overlap, (
            f"{t}: the password consumers read has only {self.key_vault.days_left(t):.2f} days")


def simulate(period: int, overlap: int, deploys: list[datetime]) -> Tenant:
    """Deploy at each instant and check the clock between consecutive deploys."""
    tenant = Tenant(period, overlap)
    for i, deployed_at in enumerate(deploys):
        tenant.deploy(deployed_at)
        until = deploys[i + 1] if i + 1 < len(deploys) else deployed_at + timedelta(days=1)
        day = deployed_at.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < until:
            for hours in CHECK_HOURS:
                t = day + timedelta(hours=hours)
                if deployed_at <= t < until:
                    tenant.check(t)
            day += timedelta(days=1)
    return tenant


def daily(start: datetime, days: int) -> list[datetime]:
    return [start + timedelta(days=d) for d in range(days)]


def assert_bounded_churn(tenant: Tenant) -> None:
    """Each slot rotates at most once per period (here: exactly every 2P days, give or take
    the deploy granularity)."""
    for slot, times in tenant.rotations.items():
        for earlier, later in zip(times, times[1:], strict=False):
            gap = (later - earlier).total_seconds() / 86400
            assert gap >= tenant.period, f"slot {slot} rotated twice within {gap:.1f} days"


# --- the simulation --------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "overlap"), SCHEDULES)
def test_daily_deploys_for_two_years(period: int, overlap: int) -> None:
    tenant = simulate(period, overlap, daily(START, SIMULATED_DAYS))
    assert_bounded_churn(tenant)
    expected = SIMULATED_DAYS // period - 1  # a new password every P days, alternating slots
    assert sum(len(t) for t in tenant.rotations.values()) >= expected


@pytest.mark.parametrize(("period", "overlap"), SCHEDULES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_irregular_deploys_within_the_allowed_gap(period: int, overlap: int, seed: int) -> None:
    rng = random.Random(seed * 1000 + period)
    gap = max_deploy_interval_days(period, overlap)
    deploys, t = [], START + timedelta(hours=rng.uniform(0, 24))
    while t < START + timedelta(days=SIMULATED_DAYS):
        deploys.append(t)
        t += timedelta(hours=rng.uniform(1, gap * 24))
    tenant = simulate(period, overlap, deploys)
    assert_bounded_churn(tenant)


@pytest.mark.parametrize(("period", "overlap"), [(30, 7), (90, 30), (365, 180)])
def test_first_deploy_at_any_hour_gives_a_current_password_with_a_full_period(
        period: int, overlap: int) -> None:
    for hours in range(0, 24 * 2 * period, 7):
        now = START + timedelta(hours=hours)
        plan = plan_rotation(now, period, overlap)
        assert plan.current_slot.days_left(now) > period
        assert all(s.days_left(now) > 0 for s in plan.slots)


# --- the arithmetic ------------------------------------------------------------------------------

def test_slots_are_staggered_by_one_period_and_live_two() -> None:
    plan = plan_rotation(START, 90, 30)
    a, b = plan.slot("a"), plan.slot("b")
    assert abs(a.starts - b.starts) == timedelta(days=90)
    for slot in plan.slots:
        assert slot.ends - slot.starts == timedelta(days=180)
        assert slot.starts <= START < slot.ends


def test_key_and_end_date_are_stable_inside_an_epoch_and_change_at_its_end() -> None:
    slot = plan_slot("a", START, 60)
    later = plan_slot("a", slot.starts + timedelta(days=119, hours=23), 60)
    assert (later.key, later.end_date) == (slot.key, slot.end_date)
    nxt = plan_slot("a", slot.starts + timedelta(days=120), 60)
    assert nxt.key == slot.key + 1
    assert nxt.starts == slot.ends


def test_end_date_is_rfc3339_utc_at_a_midnight_boundary() -> None:
    slot = plan_slot("b", START, 90)
    assert slot.end_date.endswith("T00:00:00Z")
    assert datetime.strptime(slot.end_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) == slot.ends


def test_the_current_slot_is_the_one_that_started_last() -> None:
    for days in range(0, 400, 11):
        now = START + timedelta(days=days)
        plan = plan_rotation(now, 60, 20)
        assert plan.current_slot.starts == max(s.starts for s in plan.slots)


def test_the_plan_depends_on_the_instant_only() -> None:
    shifted = START.astimezone(timezone(timedelta(hours=5)))
    assert plan_rotation(START, 90, 30) == plan_rotation(shifted, 90, 30)


def test_epoch_boundaries_are_anchored_at_the_unix_epoch() -> None:
    slot = plan_slot("a", EPOCH + timedelta(days=181), 90)
    assert (slot.key, slot.starts) == (1, EPOCH + timedelta(days=180))
    assert isinstance(slot, SlotPlan)


@pytest.mark.parametrize(("period", "overlap"), [(30, 30), (30, 31), (30, 0), (0, 0)])
def test_an_overlap_that_cannot_be_staggered_is_refused(period: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        plan_rotation(START, period, overlap)


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_rotation(datetime(2026, 1, 1), 90, 30)


def test_unknown_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown slot"):
        plan_slot("c", START, 90)


def test_a_stalled_pipeline_is_what_breaks_the_guarantee() -> None:
    """The guarantee needs deploys at least every P - O days: stall longer, right before a
    rotation is due, and the password consumers read drops below O days."""
    period, overlap = 30, 20
    boundary = max(s.ends for s in plan_rotation(START, period, overlap).slots) - timedelta(
        days=period)  # the next rotation instant after START
    deploys = [d for d in daily(START, 2 * period) if d < boundary]
    deploys.append(deploys[-1] + timedelta(days=max_deploy_interval_days(period, overlap) + 2))
    with pytest.raises(AssertionError, match="days"):
        simulate(period, overlap, deploys)
