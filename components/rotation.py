"""Dual-slot password rotation as pure, deterministic arithmetic (no Pulumi, no clock).

The scheme
==========
Time is measured from the Unix epoch (1970-01-01T00:00:00Z). With a period of ``P`` days:

* slot ``a`` rotates at the instants ``2kP`` and slot ``b`` at ``2kP + P`` (k = 0, 1, 2, ...),
  so the two slots are staggered by exactly ``P`` and a new password appears every ``P`` days,
  alternately in ``a`` and ``b``;
* a slot's **key** is the index ``k`` of the rotation instant it last passed. The program maps
  it to ``rotate_when_changed={"epoch": str(key)}``: the key, and so the password, changes
  exactly when the slot passes its next rotation instant, i.e. once every ``2P`` days;
* a slot's password **ends** at ``start + 2P`` where ``start`` is that rotation instant. The end
  date depends on the key only, so every deploy inside one epoch declares the identical value
  and nothing diffs; ``end_date_relative`` would instead be measured from the creation time by
  the provider (and is deprecated in azuread 6), so the program could not know the expiry.
* the **current** slot is the one whose rotation instant is the most recent. It is the newest
  password, the one written to Key Vault and the one consumers use.

Why it is safe
==============
Let ``t`` be any instant and ``d <= t`` the last deploy, at most ``D`` days earlier.

1. *A valid credential with at least O days left.* At ``d`` the current slot started in
   ``(d - P, d]``, so its password ends after ``d + P``. At ``t`` it therefore has more than
   ``P - D`` days left: at least ``O`` days whenever deploys run at least every ``P - O``
   days (settings guarantee ``1 <= O < P``, so a daily deploy always qualifies).
2. *A rotation never replaces the password consumers use.* A deploy replaces slot ``s`` only if
   ``s`` passed a rotation instant since the previous deploy. If deploys are less than ``P``
   days apart only one instant (of one slot) can have passed; the other slot started ``P`` days
   after the password being replaced, so it is the newer one and it is left alone. Replacement
   is create-before-delete, and the replaced password has reached its end date anyway.
3. *Bounded churn.* A slot's key grows by one every ``2P`` days, so each slot rotates at most
   once per period (in fact once every two).
4. *Overlap.* Consecutive passwords are valid together for ``P`` days (the newer appears ``P``
   days before the older ends), which is the window consumers have to pick up the new value;
   ``P > O``.

Each password lives ``2P`` days, which is what a tenant's app-management policy (maximum
password lifetime) has to allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SLOTS = ("a", "b")


@dataclass(frozen=True)
class SlotPlan:
    """What one password slot should hold at a given instant."""

    slot: str  # "a" or "b"
    key: int  # rotation epoch index; a change replaces the password
    starts: datetime  # the rotation instant the slot last passed
    ends: datetime  # the password's end date: starts + 2 * period

    @property
    def end_date(self) -> str:
        """``ends`` as the RFC 3339 string the azuread provider takes (``...Z``, seconds)."""
        return self.ends.strftime("%Y-%m-%dT%H:%M:%SZ")

    def days_left(self, at: datetime) -> float:
        """Days until the password expires, seen from ``at`` (negative once expired)."""
        return (self.ends - at).total_seconds() / 86400.0


@dataclass(frozen=True)
class RotationPlan:
    """Both slots at one instant, and which of them is current (the newest)."""

    slots: tuple[SlotPlan, SlotPlan]
    current: str

    def slot(self, name: str) -> SlotPlan:
        """The plan of slot ``name``."""
        return next(s for s in self.slots if s.slot == name)

    @property
    def current_slot(self) -> SlotPlan:
        """The newest password: the one consumers should read."""
        return self.slot(self.current)


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("rotation needs a timezone-aware instant, e.g. datetime.now(UTC)")
    return now.astimezone(UTC)


def _check(period_days: int, overlap_days: int) -> None:
    if period_days < 1:
        raise ValueError(f"period_days must be at least 1 (got {period_days})")
    if not 1 <= overlap_days < period_days:
        raise ValueError(
            f"overlap_days must be at least 1 and shorter than period_days "
            f"(got overlap {overlap_days}, period {period_days})")


def plan_slot(slot: str, now: datetime, period_days: int) -> SlotPlan:
    """The key, start and end of ``slot`` at ``now`` for a period of ``period_days``."""
    if slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}; use one of {SLOTS}")
    period = timedelta(days=period_days)
    cycle = 2 * period
    offset = period * SLOTS.index(slot)
    elapsed = _require_aware(now) - EPOCH - offset
    key = elapsed // cycle
    starts = EPOCH + offset + key * cycle
    return SlotPlan(slot=slot, key=key, starts=starts, ends=starts + cycle)


def plan_rotation(now: datetime, period_days: int, overlap_days: int) -> RotationPlan:
    """Both slots at ``now``; ``overlap_days`` is validated against ``period_days``."""
    _check(period_days, overlap_days)
    a, b = (plan_slot(s, now, period_days) for s in SLOTS)
    current = a if a.starts >= b.starts else b
    return RotationPlan(slots=(a, b), current=current.slot)


def max_deploy_interval_days(period_days: int, overlap_days: int) -> int:
    """The longest gap between deploys for which the guarantees above hold (``P - O``)."""
    _check(period_days, overlap_days)
    return period_days - overlap_days
