"""The gate's JSON document: the plan, and the policy verdicts when the pack ran.

The schema is checked in at ``gate/schema/gate-report.schema.json`` and tested. Secrets are
rendered as ``"[secret]"`` and preview unknowns as ``"[unknown]"``, everywhere.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.capture import Plan
from gate.escape import jsondoc
from gate.model import UNKNOWN, CapturedResource, Secret

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "gate-report.schema.json"
SCHEMA_VERSION = "1.1"  # 1.1 adds "outcome" (and "errors" when the gate stopped early)
SECRET_TEXT = "[secret]"
UNKNOWN_TEXT = "[unknown]"


@dataclass(frozen=True)
class Finding:
    """One policy verdict, joined with the pack's metadata and the resource it is about."""

    policy: str
    enforcement_level: str  # advisory | mandatory | remediate | disabled
    message: str
    description: str = ""
    severity: str = ""
    urn: str = ""
    resource_type: str = ""
    resource_name: str = ""
    source_key: str = ""
    frameworks: tuple[str, ...] = ()
    remediation: str = ""

    @property
    def blocking(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass
class PolicyResult:
    """What the policy pack said about a plan."""

    pack_name: str = ""
    pack_version: str = ""
    config_file: str = ""
    policies: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def scrub(value: Any) -> Any:
    """Plain JSON with secrets masked and unknowns marked."""
    if isinstance(value, Secret):
        return SECRET_TEXT
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def resource_entry(res: CapturedResource) -> dict[str, Any]:
    return {
        "urn": res.urn,
        "type": res.type,
        "name": res.name,
        "custom": res.custom,
        "parent": res.parent,
        "provider": res.provider,
        "protect": res.protect,
        "deleteBeforeReplace": res.delete_before_replace,
        "dependencies": sorted(res.dependencies),
        "sourceKey": res.source_key,
        "inputs": scrub(res.inputs),
    }


def build_document(plan: Plan, environment: str, policy: PolicyResult | None) -> dict[str, Any]:
    resources = sorted(plan.resources, key=lambda r: r.urn)
    counts = Counter(r.type for r in resources)
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "project": plan.project,
        "stack": plan.stack,
        "environment": environment,
        "summary": {
            "resources": len(resources),
            "byType": dict(sorted(counts.items())),
            "protected": sum(1 for r in resources if r.protect),
        },
        "resources": [resource_entry(r) for r in resources],
        "outputs": scrub(plan.outputs),
        "lookups": [{"token": lk["token"], "provider": lk["provider"],
                     "args": scrub(lk["args"])} for lk in plan.lookups],
        "policies": None,
        "outcome": {"exitCode": 0, "verdict": "plan-only"},
    }
    if policy is not None:
        levels = Counter(f.enforcement_level for f in policy.findings)
        doc["summary"]["violations"] = {"mandatory": levels.get("mandatory", 0),
                                        "advisory": levels.get("advisory", 0)}
        doc["policies"] = {
            "pack": {"name": policy.pack_name, "version": policy.pack_version},
            "configFile": policy.config_file,
            "policies": policy.policies,
            "violations": [finding_entry(f) for f in policy.findings],
        }
        blocked = any(f.blocking for f in policy.findings)
        doc["outcome"] = {"exitCode": 1 if blocked else 0,
                          "verdict": "blocked" if blocked else "passed"}
    return doc


def finding_entry(f: Finding) -> dict[str, Any]:
    return {
        "policy": f.policy,
        "enforcementLevel": f.enforcement_level,
        "severity": f.severity,
        "message": f.message,
        "description": f.description,
        "urn": f.urn,
        "resourceType": f.resource_type,
        "resourceName": f.resource_name,
        "sourceKey": f.source_key,
        "frameworks": list(f.frameworks),
        "remediation": f.remediation,
    }


def dumps(doc: dict[str, Any]) -> str:
    return jsondoc.dumps(doc, indent=2, sort_keys=False) + "\n"


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
