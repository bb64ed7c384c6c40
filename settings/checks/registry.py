"""How a cross-field check is declared and run.

A check is a function over the validated :class:`~settings.model.Settings` that yields one
:class:`~settings.errors.Problem` per thing wrong, registered with :func:`check`::

    @check
    def check_prod_retention(s: Settings) -> Iterator[Problem]:
        \"\"\"Prod audit logs are kept at least a year.\"\"\"
        if s.is_prod and s.audit.retention_days < MIN_PROD_RETENTION_DAYS:
            yield problem(key("audit", "retentionDays"), "...", "...", s.audit.retention_days)

The docstring states the rule in one sentence (the registry refuses a check without one).
:func:`run_checks` runs every check in registration order; the order only decides which of two
problems at the same key is listed first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from settings.errors import Problem
from settings.model import PROJECT, Settings

Check = Callable[[Settings], Iterator[Problem]]
CHECKS: list[Check] = []

_NO_VALUE = object()


def check(fn: Check) -> Check:
    """Register ``fn`` as a cross-field check over the validated settings."""
    if not (fn.__doc__ or "").strip():
        raise TypeError(f"check {fn.__name__} needs a docstring stating its rule")
    CHECKS.append(fn)
    return fn


def run_checks(s: Settings) -> list[Problem]:
    """Every problem every registered check finds in ``s``."""
    return [p for fn in CHECKS for p in fn(s)]


def key(*path: str) -> str:
    """The full config key of a path in this project's namespace."""
    return f"{PROJECT}:" + ".".join(path)


def problem(at: str, message: str, fix: str = "", value: object = _NO_VALUE) -> Problem:
    """A problem at config key ``at``; ``value`` (when given) is shown, masked if secret."""
    if value is _NO_VALUE:
        return Problem(at, message, fix)
    return Problem(at, message, fix, value, True)


def too_long(path: tuple[str, ...], value: str, limit: int, what: str) -> Iterator[Problem]:
    """A problem at ``path`` when ``value`` is longer than ``what`` accepts (``limit``)."""
    if len(value) > limit:
        yield problem(key(*path), f"is {len(value)} characters; {what} accepts at most {limit}",
                      f"shorten it to {limit} characters or fewer", value)
