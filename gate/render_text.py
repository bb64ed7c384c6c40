"""Human-readable plan and verdicts (the gate's default output)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gate.document import Finding

SEVERITY_ORDER = ("critical", "high", "medium", "low", "")


def render_text(doc: dict[str, Any], findings: list[Finding] | None) -> str:
    lines: list[str] = []
    summary = doc["summary"]
    lines.append(
        f"Stack {doc['project']}/{doc['stack']} ({doc['environment']}): "
        f"{summary['resources']} resources, {summary['protected']} protected"
    )
    lines.append("")
    lines.append("Plan (by parent):")
    lines.extend(_tree(doc["resources"]))
    lines.append("")
    lines.append("Resources by type:")
    width = max((len(t) for t in summary["byType"]), default=0)
    for token, count in summary["byType"].items():
        lines.append(f"  {token.ljust(width)}  {count:>4}")
    if doc.get("lookups"):
        lines.append("")
        lines.append("Lookups (reads of existing objects, no resource; by provider):")
        for lk in doc["lookups"]:
            args = ", ".join(f"{k}={_short(v)}" for k, v in sorted(lk["args"].items()))
            lines.append(f"  {lk['token'].split(':')[-1]}  via {_provider_name(lk['provider'])}"
                         f"  ({args})")
    lines.append("")
    lines.append("Stack outputs:")
    for name, value in doc["outputs"].items():
        lines.append(f"  {name}: {_short(value)}")
    if findings is not None:
        lines.append("")
        lines.extend(_findings(findings))
    return "\n".join(lines) + "\n"


def _tree(resources: list[dict[str, Any]]) -> list[str]:
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    urns = {r["urn"] for r in resources}
    for r in resources:
        parent = r["parent"] if r["parent"] in urns else ""
        children[parent].append(r)
    out: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x["type"], x["name"])):
            flag = " [protected]" if r["protect"] else ""
            key = f"  <- {r['sourceKey']}" if r["sourceKey"] else ""
            out.append(f"{'  ' * (depth + 1)}{r['type']}  {r['name']}{flag}{key}")
            walk(r["urn"], depth + 1)

    walk("", 0)
    return out


def _findings(findings: list[Finding]) -> list[str]:
    mandatory = [f for f in findings if f.enforcement_level == "mandatory"]
    advisory = [f for f in findings if f.enforcement_level != "mandatory"]
    lines = [f"Policy violations: {len(mandatory)} mandatory, {len(advisory)} advisory"]
    for title, group in (("MANDATORY (blocks the deploy)", mandatory), ("ADVISORY", advisory)):
        if not group:
            continue
        lines.append("")
        lines.append(title)
        by_sev: dict[str, list[Finding]] = defaultdict(list)
        for f in group:
            by_sev[f.severity.lower()].append(f)
        for sev in sorted(
            by_sev, key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else 9
        ):
            lines.append(f"  severity {sev or 'unspecified'}:")
            for f in sorted(by_sev[sev], key=lambda x: (x.policy, x.urn)):
                where = f.resource_name or "stack"
                lines.append(f"    [{f.policy}] {where} ({f.resource_type or 'stack'})")
                for part in f.message.strip().splitlines():
                    lines.append(f"      {part}")
                if f.source_key:
                    lines.append(f"      config: {f.source_key}")
                if f.remediation:
                    lines.append(f"      fix: {' '.join(f.remediation.split())}")
    if not findings:
        lines.append("  none")
    return lines


def _provider_name(ref: str) -> str:
    """A provider reference (``<urn>::<id>``) -> the provider's name, e.g. databricks-account."""
    urn = ref.split("::")
    return urn[-2] if len(urn) >= 2 else (ref or "default provider")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 160 else text[:157] + "..."
