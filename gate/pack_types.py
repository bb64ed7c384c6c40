"""What the policy pack protocol returns and how it fails: the gate's view of the analyzer.

Errors (:class:`PolicyPackError` and its kinds) and results (:class:`Violation`,
:class:`Remediation`, :class:`PolicyInfo`, :class:`AnalyzerInfo`, :class:`PolicyConfig`)
shared by the wire format (:mod:`gate.pack_wire`), the policy config
(:mod:`gate.pack_config`), the pack process (:mod:`gate.pack_process`) and the session
(:mod:`gate.pack_session`). :mod:`gate.analyzer` re-exports all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from google.protobuf import struct_pb2

EnforcementLevel = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: tuple[EnforcementLevel, ...] = ("advisory", "mandatory", "remediate", "disabled")

# --------------------------------------------------------------------------------------------
# Errors


class PolicyPackError(RuntimeError):
    """Base class of every failure of the policy pack or of the protocol."""


class PackStartError(PolicyPackError):
    """The pack could not be started, or did not come up as an analyzer."""

    def __init__(self, message: str, *, stderr: str = "", exit_code: int | None = None) -> None:
        text = message
        if stderr.strip():
            text += f"\n--- policy pack stderr ---\n{stderr.rstrip()}"
        super().__init__(text)
        self.stderr = stderr
        self.exit_code = exit_code


class PolicyCrash(PolicyPackError):  # noqa: N818 - the name the gate's reports use
    """A policy raised inside the pack, which aborts the whole Analyze/AnalyzeStack call."""

    def __init__(self, policy_name: str | None, resource_urn: str | None, detail: str) -> None:
        who = f"policy {policy_name!r}" if policy_name else "a policy (could not tell which)"
        where = f" while analyzing {resource_urn}" if resource_urn else " during stack analysis"
        super().__init__(f"{who} raised{where}: {detail}")
        self.policy_name = policy_name
        self.resource_urn = resource_urn
        self.detail = detail


class PackRPCError(PolicyPackError):
    """A gRPC call failed for another reason than a policy raising (pack died, hung...)."""

    def __init__(self, method: str, code: str, details: str, *, stderr: str = "") -> None:
        text = f"{method} failed with {code}: {details}"
        if stderr.strip():
            text += f"\n--- policy pack stderr ---\n{stderr.rstrip()}"
        super().__init__(text)
        self.method = method
        self.code = code
        self.details = details
        self.stderr = stderr


class PolicyConfigError(PolicyPackError, ValueError):
    """The policy pack config document is malformed or does not match the config schemas."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("invalid policy pack config:\n  " + "\n  ".join(self.errors))


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Violation:
    """One diagnostic of the pack, as the CLI reports it (``apitype.AnalyzeDiagnostic``)."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    message: str  # as built by the SDK: the policy description, a newline, the reported text
    enforcement_level: EnforcementLevel
    urn: str  # the resource the CLI attributes the violation to
    severity: str = ""  # "", "low", "medium", "high" or "critical"


@dataclass(frozen=True)
class Remediation:
    """One entry of a ``Remediate`` answer: new properties, or a diagnostic (a warning)."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    properties: struct_pb2.Struct | None  # the whole remediated property map, in wire form
    diagnostic: str


@dataclass(frozen=True)
class PolicyConfig:
    """The config of one policy: an enforcement level ("" when unset) and its properties."""

    enforcement_level: str
    properties: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PolicyInfo:
    """Metadata of one policy, from ``GetAnalyzerInfo``: what the gate reports and configures."""

    name: str
    description: str
    enforcement_level: EnforcementLevel
    policy_type: str  # "resource", "stack" or "unknown"
    severity: str = ""
    config_schema: Mapping[str, Any] | None = None  # {"properties": {...}, "required": [...]}
    tags: tuple[str, ...] = ()
    remediation_steps: str = ""


@dataclass(frozen=True)
class AnalyzerInfo:
    """Metadata of the pack, from ``GetAnalyzerInfo`` (version from PulumiPolicy.yaml first)."""

    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]
    initial_config: Mapping[str, PolicyConfig] = field(default_factory=dict)
