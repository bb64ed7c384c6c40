"""Markdown for a pull-request comment: verdict first, then what to fix and where.

Every value that came from the stack or the policy messages goes through
:mod:`gate.escape.markdown`; only the gate's own words are written as Markdown.
"""

from __future__ import annotations

from typing import Any

from gate.document import Finding, PolicyResult
from gate.escape import markdown as md

_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def heading(doc: dict[str, Any]) -> str:
    env = f" ({md.text(doc['environment'])})" if doc.get("environment") else ""
    return f"### Policy gate: {md.code(doc['project'])} / {md.code(doc['stack'])}{env}"


def render_markdown(doc: dict[str, Any], policy: PolicyResult) -> str:
    mandatory = [f for f in policy.findings if f.blocking]
    advisory = [f for f in policy.findings if not f.blocking]
    verdict = (
        "**Blocked**: mandatory policy violations"
        if mandatory
        else "**Passed**: no mandatory policy violation"
    )
    lines = [
        heading(doc),
        "",
        verdict,
        "",
        "| resources | protected | mandatory | advisory | policy pack |",
        "|---:|---:|---:|---:|---|",
        f"| {doc['summary']['resources']} | {doc['summary']['protected']} | {len(mandatory)} | "
        f"{len(advisory)} | {md.code(policy.pack_name)} {md.text(policy.pack_version)} |",
    ]
    for title, group in (("Mandatory violations", mandatory), ("Advisory", advisory)):
        if not group:
            continue
        lines += [
            "",
            f"#### {title}",
            "",
            "| severity | policy | resource | config key | finding |",
            "|---|---|---|---|---|",
        ]
        for f in sorted(group, key=lambda x: (_SEV.get(x.severity.lower(), 9), x.policy, x.urn)):
            lines.append(
                f"| {md.text(f.severity or '-')} | {md.code(f.policy)} "
                f"| {md.text(f.resource_name or 'stack')} "
                f"| {md.code(f.source_key) if f.source_key else '-'} "
                f"| {md.text(f.message)} |"
            )
        fixes = _fixes(group)
        if fixes:
            lines += ["", "<details><summary>How to fix</summary>", ""]
            lines += [f"- {md.code(name)}: {md.prose(text)}" for name, text in fixes]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _fixes(group: list[Finding]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for f in group:
        if f.remediation and f.policy not in seen:
            seen[f.policy] = f.remediation
    return sorted(seen.items())
