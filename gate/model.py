"""The plan as the gate captures it: one record per resource registration.

This is the contract between the capture (the program under mocks), the analyzer
client (the policy pack over gRPC) and the reports. Values in ``inputs`` and
``outputs`` are plain JSON-like Python values keyed by **wire name**, with two
markers that survive every hop:

* :data:`UNKNOWN` for a value that is not known during preview;
* :class:`Secret` wrapping a value that Pulumi treats as secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    """The singleton that stands for a computed value not known in preview."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

# The type token of the stack resource (the root of every URN tree).
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Secret:
    """A value Pulumi marks as secret. Reports print it as ``[secret]``."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


@dataclass
class CapturedResource:
    """One resource registration as the engine would see it."""

    urn: str
    type: str  # type token, e.g. "azure-native:databricks:Workspace"
    name: str  # logical name
    custom: bool  # False for component resources
    inputs: dict[str, Any]  # by wire name
    outputs: dict[str, Any] = field(default_factory=dict)  # inputs + computed outputs from the mock
    id: str = ""
    parent: str = ""  # parent URN ("" for the stack itself)
    provider: str = ""  # provider reference "urn::id" ("" when none)
    protect: bool = False
    delete_before_replace: bool = False
    # retainOnDelete travels in RegisterResource but not to the analyzer (AnalyzerResourceOptions
    # has no such field): tests read it here, policies cannot.
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)  # URNs
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # the config key that produced this resource (e.g. "groups.ml-engineers"), when known
    source_key: str = ""
    # its ``aliases`` as sent (earlier identities it takes over): {"urn": ...} or a spec with
    # name/type/stack/project/parentUrn/noParent; gate.urns.alias_urns resolves them
    aliases: list[dict[str, Any]] = field(default_factory=list)
