"""Helpers shared by every rule module: well-known ids, type matching, property access,
policy config and messages (how a policy is declared: :mod:`rules._policy`).

Property access comes in two flavours:

* :func:`read` goes through the SDK's unknown-checking proxies. Reading a value that is not
  known during preview raises ``UnknownValueError``, which the SDK reports as the advisory
  "can't run policy ... during preview". Use it whenever the decision depends on the value.
* :func:`peek` looks at the raw value without that check and returns :data:`UNKNOWN` for an
  unknown. Use it only where an unknown value cannot change the outcome (e.g. "is it set?").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Optional, Protocol

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._sdk import is_unknown_sentinel, raw


class Report(Protocol):
    """The ``report_violation`` callback the SDK passes (its ``urn`` argument is optional)."""

    def __call__(self, message: str, urn: Optional[str] = None) -> None: ...


ResourceCheck = Callable[[ResourceValidationArgs, Report], None]
StackCheck = Callable[[StackValidationArgs, Report], None]


class _Unknown:
    """Marker returned by :func:`peek` for a value that is not known during preview."""

    _instance: Optional[_Unknown] = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()

# ---------------------------------------------------------------------------------------------
# Well-known identifiers
# ---------------------------------------------------------------------------------------------

MS_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AZURE_DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VERSIONED_AZURE_NATIVE = re.compile(r"^azure-native:(?P<module>[^:/]+)/v[^:]+:(?P<resource>.+)$")

# ---------------------------------------------------------------------------------------------
# Type tokens
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def canonical_type(token: str) -> str:
    """Map versioned azure-native tokens to the default-version token.

    ``azure-native:databricks/v20240501:Workspace`` -> ``azure-native:databricks:Workspace``.
    """
    match = _VERSIONED_AZURE_NATIVE.match(token)
    if match is None:
        return token
    return f"azure-native:{match['module']}:{match['resource']}"


def is_type(token: str, *types: str) -> bool:
    """True when ``token`` (possibly versioned) is one of ``types``."""
    return canonical_type(token) in types


class StackResources(list[PolicyResource]):
    """The resources a stack policy receives, indexed by canonical type token on first use.

    Stack rules look resources up by type many times (per principal, per workspace...); with
    the index each lookup costs the resources of that type, not a scan of the whole stack.
    """

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        super().__init__(resources)
        self._index: dict[str, list[tuple[int, PolicyResource]]] | None = None
        self._indexed_length = -1

    def of_type(self, types: Sequence[str]) -> list[PolicyResource]:
        """Like :func:`of_type`: the resources of these types, in stack order."""
        if self._index is None or self._indexed_length != len(self):
            index: dict[str, list[tuple[int, PolicyResource]]] = {}
            for position, resource in enumerate(self):
                index.setdefault(canonical_type(resource.resource_type), []).append(
                    (position, resource))
            self._index, self._indexed_length = index, len(self)
        wanted = set(types)
        if len(wanted) == 1:
            return [resource for _, resource in self._index.get(next(iter(wanted)), ())]
        found = [entry for token in wanted for entry in self._index.get(token, ())]
        return [resource for _, resource in sorted(found, key=itemgetter(0))]


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    """The resources of the stack whose type token is one of ``types``."""
    if isinstance(resources, StackResources):
        return resources.of_type(types)
    return [r for r in resources if is_type(r.resource_type, *types)]


# ---------------------------------------------------------------------------------------------
# Property access
# ---------------------------------------------------------------------------------------------


def _step(container: Any, key: Any, *, strict: bool) -> Any:
    """One step of a path; ``None`` when the container has no such key/index."""
    if isinstance(container, str):
        return None
    if isinstance(container, Mapping):
        source = container if strict else raw(container)
        return source.get(key) if isinstance(key, str) else None
    if isinstance(container, Sequence) and isinstance(key, int):
        source = container if strict else raw(container)
        return source[key] if -len(source) <= key < len(source) else None
    return None


def peek(value: Any, *path: Any) -> Any:
    """The value at ``path`` without unknown checks: ``UNKNOWN``, ``None`` if absent."""
    current = value
    for key in path:
        if current is None or current is UNKNOWN:
            return current
        current = _step(current, key, strict=False)
        if is_unknown_sentinel(current):
            return UNKNOWN
    if is_unknown_sentinel(current):
        return UNKNOWN
    return current


def read(value: Any, *path: Any) -> Any:
    """The value at ``path`` read through the SDK proxies (raises on unknown), None if absent."""
    current = value
    for key in path:
        if current is None:
            return None
        current = _step(current, key, strict=True)
    return current


def read_all(value: Any, *path: Any) -> Any:
    """Deep-read the subtree at ``path`` into plain dicts/lists (raises on any unknown in it)."""
    return to_plain(read(value, *path))


def to_plain(value: Any) -> Any:
    """Copy an SDK proxy tree into plain dicts/lists, reading every element through the proxy."""
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, Mapping):
        return {key: to_plain(value[key]) for key in value}
    if isinstance(value, Sequence):
        return [to_plain(value[index]) for index in range(len(value))]
    return value


def elements(value: Any) -> list[Any]:
    """Elements of a (proxy) list read through the proxy; ``[]`` for None/non-lists."""
    if value is None or isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        return []
    return [value[index] for index in range(len(value))]


def raw_elements(value: Any) -> list[Any]:
    """Elements of a list without unknown checks (unknown elements become ``UNKNOWN``)."""
    if value is None or value is UNKNOWN or isinstance(value, (str, Mapping)):
        return []
    if not isinstance(value, Sequence):
        return []
    return [UNKNOWN if is_unknown_sentinel(item) else item for item in raw(value)]


def is_set(value: Any) -> bool:
    """True for any value other than None/""/empty containers; unknown values count as set."""
    if value is None:
        return False
    if value is UNKNOWN:
        return True
    if isinstance(value, (str, Mapping, Sequence)):
        return len(value) > 0
    return True


def is_uuid(value: Any) -> bool:
    """True for a canonical 8-4-4-4-12 hex UUID string."""
    return isinstance(value, str) and _UUID.match(value) is not None


def lower(value: Any) -> Any:
    """Lower-case strings; anything else unchanged."""
    return value.lower() if isinstance(value, str) else value


def dependencies(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    """The resources that the given top-level property of ``resource`` depends on."""
    return list(resource.property_dependencies.get(prop, []))


def depends_on(resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
    """True when ``resource``'s property ``prop`` was computed from ``target``'s outputs."""
    return any(dep.urn == target.urn for dep in dependencies(resource, prop))


DAY_SECONDS = 86400.0


def now_utc() -> datetime:
    """The current time (UTC); one place so tests and rules agree on the clock."""
    return datetime.now(UTC)


def parse_rfc3339(value: str) -> Optional[datetime]:
    """Parse an RFC 3339 timestamp (``Z`` or offset); None when it is not one."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_go_duration_seconds(value: str) -> Optional[float]:
    """Parse a Go duration such as ``4320h`` or ``2400h30m`` into seconds (None if invalid)."""
    text = value.strip()
    if not text or _GO_DURATION_PART.sub("", text) != "":
        return None
    return sum(float(n) * _GO_UNIT_SECONDS[unit] for n, unit in _GO_DURATION_PART.findall(text))


# ---------------------------------------------------------------------------------------------
# Policy configuration
# ---------------------------------------------------------------------------------------------


def config_value(config: Mapping[str, Any], key: str, default: Any) -> Any:
    """A policy config property, falling back to ``default`` when absent or null."""
    value = config.get(key)
    return default if value is None else value


def config_int(config: Mapping[str, Any], key: str, default: int) -> int:
    """An integer config property (the engine sends JSON numbers as floats)."""
    value = config_value(config, key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def config_strings(config: Mapping[str, Any], key: str, default: Sequence[str]) -> list[str]:
    """A list-of-strings config property."""
    value = config_value(config, key, list(default))
    if isinstance(value, str) or not isinstance(value, Sequence):
        return list(default)
    return [str(item) for item in value]


def reasoned_entries(config: Mapping[str, Any], key: str, field: str,
                     normalise: Callable[[str], str] = str) -> dict[str, bool]:
    """A config list of ``{field: ..., "reason": ...}`` exceptions as {normalised field: has a
    non-blank reason}; entries without a string ``field`` are ignored."""
    result: dict[str, bool] = {}
    entries = config_value(config, key, [])
    if isinstance(entries, Sequence) and not isinstance(entries, str):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get(field), str):
                reason = entry.get("reason")
                result[normalise(entry[field])] = isinstance(reason, str) and bool(reason.strip())
    return result


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def label(resource: PolicyResource) -> str:
    """How messages name a resource: its logical name in quotes."""
    return f"'{resource.name}'"
