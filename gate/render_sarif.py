"""SARIF 2.1.0 for code-scanning systems (GitHub, Azure DevOps).

Each pack policy is a rule (help text = remediation, tags = framework mappings); each
violation is a result located at the stack file and, where the gate traced it, at the config
key that produced the resource. Values from the stack go through :mod:`gate.escape.sarif`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from gate.document import Finding, PolicyResult
from gate.escape import jsondoc
from gate.escape import markdown as md
from gate.escape import sarif as esc
from gate.locate import line_of

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# The tool as code scanning names it (policy results and error reports alike).
TOOL_NAME = "databricks-ml-entra-gate"
TOOL_INFORMATION_URI = "https://www.pulumi.com/docs/iac/crossguard/"
LEVELS = {"mandatory": "error", "advisory": "warning", "remediate": "warning", "disabled": "none"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def artifact_uri(stack_file: Path, root: Path) -> str:
    """The stack file as a result's location: relative to the checkout, else its name."""
    try:
        return stack_file.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return stack_file.name


def sarif_log(stack: str, rules: list[dict[str, Any]], run: dict[str, Any],
              version: str | None = None) -> str:
    """The SARIF document of one gate run: the tool, its rules, and the run's own fields.

    Policy results and error reports share the tool's name and the run's category
    (``automationDetails``), so code scanning reads them as one tool and one stack."""
    driver: dict[str, Any] = {"name": TOOL_NAME}
    if version is not None:
        driver["semanticVersion"] = version
    driver.update({"informationUri": TOOL_INFORMATION_URI, "rules": rules})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver},
                  "automationDetails": {"id": f"databricks-ml-entra/{esc.name(stack)}/"},
                  **run}],
    }
    return jsondoc.dumps(log, indent=2) + "\n"


def render_sarif(doc: dict[str, Any], policy: PolicyResult, stack_file: Path, root: Path) -> str:
    uri = artifact_uri(stack_file, root)
    text = stack_file.read_text(encoding="utf-8")
    rules = [_rule(p) for p in policy.policies]
    index = {r["id"]: i for i, r in enumerate(rules)}
    for f in policy.findings:  # a violation of a policy the pack did not list still gets a rule
        if esc.name(f.policy) not in index:
            index[esc.name(f.policy)] = len(rules)
            rules.append(_rule({"name": f.policy, "description": f.description,
                                "enforcementLevel": f.enforcement_level, "severity": f.severity,
                                "frameworks": list(f.frameworks), "remediation": f.remediation}))
    results = [_result(f, index[esc.name(f.policy)], uri, text, doc["stack"])
               for f in policy.findings]
    return sarif_log(doc["stack"], rules, {
        "results": results,
        "properties": {"stack": esc.name(doc["stack"]), "environment": doc["environment"],
                       "policyPack": esc.name(policy.pack_name),
                       "resourcesEvaluated": doc["summary"]["resources"]},
    }, version=policy.pack_version or "0.0.0")


def _rule(p: dict[str, Any]) -> dict[str, Any]:
    severity = str(p.get("severity") or "").lower()
    remediation = esc.name(" ".join(str(p.get("remediation") or "").split()))
    description = esc.name(" ".join(str(p.get("description") or p["name"]).split()))
    props: dict[str, Any] = {"tags": ["security", "compliance", *p.get("frameworks", [])]}
    if severity in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[severity]
        props["severity"] = severity
    rule_id = esc.name(p["name"])
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": description.split(". ")[0][:200]},
        "fullDescription": {"text": description},
        "help": {"text": remediation or description,
                 "markdown": f"**How to fix:** {md.prose(remediation)}" if remediation
                 else md.prose(description)},
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
        shown = f.resource_name or f.urn.split("::")[-1]
        location["logicalLocations"] = [{"name": esc.name(shown),
                                         "fullyQualifiedName": esc.name(f.urn),
                                         "kind": "resource"}]
    seed = f"{stack}|{f.policy}|{f.urn}|{f.message}".encode("utf-8", "surrogatepass")
    fingerprint = hashlib.sha256(seed).hexdigest()
    return {
        "ruleId": esc.name(f.policy),
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.enforcement_level, "warning"),
        "message": {"text": esc.message(f.message.strip() or f.policy)},
        "locations": [location],
        "partialFingerprints": {"gateFinding/v1": fingerprint[:32]},
        "properties": {"enforcementLevel": f.enforcement_level, "urn": esc.name(f.urn),
                       "resourceType": esc.name(f.resource_type),
                       "configKey": esc.name(f.source_key)},
    }
