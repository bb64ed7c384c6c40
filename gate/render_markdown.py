"""Markdown for a pull-request comment: verdict first, then what to fix and where."""

from __future__ import annotations

from typing import Any

from gate.document import Finding, PolicyResult

_SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(doc: dict[str, Any], policy: PolicyResult) -> str:
    mandatory = [f for f in policy.findings if f.blocking]
    advisory = [f for f in policy.findings if not f.blocking]
    verdict = (
        "**Blocked**: mandatory policy violations"
        if mandatory
        else "**Passed**: no mandatory policy violation"
    )
    lines = [
        f"### Policy gate: `{doc['project']}` / `{doc['stack']}` ({doc['environment']})",
        "",
        verdict,
        "",
        "| resources | protected | mandatory | advisory | policy pack |",
        "|---:|---:|---:|---:|---|",
        f"| {doc['summary']['resources']} | {doc['summary']['protected']} | {len(mandatory)} | "
        f"{len(advisory)} | `{policy.pack_name}` {policy.pack_version} |",
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
                f"| {f.severity or '-'} | `{f.policy}` | {_cell(f.resource_name or 'stack')} "
                f"| {('`' + f.source_key + '`') if f.source_key else '-'} "
                f"| {_cell(f.message)} |"
            )
        fixes = _fixes(group)
        if fixes:
            lines += ["", "<details><summary>How to fix</summary>", ""]
            lines += [f"- `{name}`: {_cell(text)}" for name, text in fixes]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _fixes(group: list[Finding]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for f in group:
        if f.remediation and f.policy not in seen:
            seen[f.policy] = f.remediation
    return sorted(seen.items())
