"""SARIF 2.1.0 for code-scanning systems (GitHub, Azure DevOps).

Each pack policy is a rule (help text = remediation, tags = framework mappings); each
violation is a result located at the stack file and, where the gate traced it, at the config
key that produced the resource.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gate.document import Finding, PolicyResult
from gate.locate import line_of

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"mandatory": "error", "advisory": "warning", "remediate": "warning", "disabled": "none"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render_sarif(doc: dict[str, Any], policy: PolicyResult, stack_file: Path, root: Path) -> str:
    try:
        uri = stack_file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        uri = stack_file.name
    text = stack_file.read_text(encoding="utf-8")
    rules = [_rule(p) for p in policy.policies]
    index = {r["id"]: i for i, r in enumerate(rules)}
    for f in policy.findings:  # a violation of a policy the pack did not list still gets a rule
        if f.policy not in index:
            index[f.policy] = len(rules)
            rules.append(_rule({"name": f.policy, "description": f.description,
                                "enforcementLevel": f.enforcement_level, "severity": f.severity,
                                "frameworks": list(f.frameworks), "remediation": f.remediation}))
    results = [_result(f, index[f.policy], uri, text, doc["stack"]) for f in policy.findings]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "databricks-ml-entra-gate",
                "semanticVersion": policy.pack_version or "0.0.0",
                "informationUri": "https://www.pulumi.com/docs/iac/crossguard/",
                "rules": rules,
            }},
            "automationDetails": {"id": f"databricks-ml-entra/{doc['stack']}/"},
            "results": results,
            "properties": {"stack": doc["stack"], "environment": doc["environment"],
                           "policyPack": policy.pack_name,
                           "resourcesEvaluated": doc["summary"]["resources"]},
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule(p: dict[str, Any]) -> dict[str, Any]:
    severity = str(p.get("severity") or "").lower()
    remediation = " ".join(str(p.get("remediation") or "").split())
    description = str(p.get("description") or p["name"])
    props: dict[str, Any] = {"tags": ["security", "compliance", *p.get("frameworks", [])]}
    if severity in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[severity]
        props["severity"] = severity
    return {
        "id": p["name"],
        "name": "".join(part.capitalize() for part in p["name"].split("-")),
        "shortDescription": {"text": description.split(". ")[0][:200]},
        "fullDescription": {"text": description},
        "help": {"text": remediation or description,
                 "markdown": f"**How to fix:** {remediation}" if remediation else description},
        "defaultConfiguration": {"level": LEVELS.get(str(p.get("enforcementLevel")), "warning")},
        "properties": props,
    }


def _result(f: Finding, rule_index: int, uri: str, text: str, stack: str) -> dict[str, Any]:
    line = line_of(text, f.source_key)
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": uri},
                             "region": {"startLine": line}},
    }
    if f.urn:
        location["logicalLocations"] = [{"name": f.resource_name or f.urn.split("::")[-1],
                                         "fullyQualifiedName": f.urn, "kind": "resource"}]
    fingerprint = hashlib.sha256(f"{stack}|{f.policy}|{f.urn}|{f.message}".encode()).hexdigest()
    return {
        "ruleId": f.policy,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.enforcement_level, "warning"),
        "message": {"text": " ".join(f.message.split()) or f.policy},
        "locations": [location],
        "partialFingerprints": {"gateFinding/v1": fingerprint[:32]},
        "properties": {"enforcementLevel": f.enforcement_level, "urn": f.urn,
                       "resourceType": f.resource_type, "configKey": f.source_key},
    }
