"""The access review's formats: CSV (one row per principal and model right) and Markdown (a
Mermaid graph, then principals, sign-in, model rights, conditional access and how people get
into each group). JSON is :meth:`gate.access.AccessReport.to_json`.

Every value from the stack goes through :mod:`gate.escape` (spreadsheet cells, Markdown text,
Mermaid labels); node ids are numbered, never built from names.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from gate.access_paths import render_access_paths_markdown
from gate.escape import markdown as md
from gate.escape import mermaid, spreadsheet

if TYPE_CHECKING:
    from gate.access import AccessReport

CSV_COLUMNS = (
    "principal",
    "kind",
    "path",
    "display_name",
    "identifier",
    "role",
    "workspace_permission",
    "entitlements",
    "conditional_access",
    "can_sign_in",
    "sign_in_via",
    "model",
    "registry",
    "model_name",
    "access",
    "production_rights",
    "granted_by",
)


class _SafeWriter:
    """A CSV writer whose every cell goes through :func:`gate.escape.spreadsheet.cell`."""

    def __init__(self, buf: io.StringIO) -> None:
        self._w = csv.writer(buf, lineterminator="\n")

    def writerow(self, row: Any) -> None:
        self._w.writerow([spreadsheet.cell(v) for v in row])


def render_csv(report: AccessReport) -> str:
    buf = io.StringIO()
    w = _SafeWriter(buf)
    w.writerow(CSV_COLUMNS)
    for p in report.principals:
        ents = ";".join(k for k, v in sorted(p.entitlements.items()) if v)
        base = [
            p.key,
            p.kind,
            p.path,
            p.display_name,
            p.identifier,
            p.role,
            ";".join(p.workspace_permission),
            ents,
            ";".join(p.conditional_access),
            p.can_sign_in,
            p.sign_in_via,
        ]
        if not p.models:
            w.writerow([*base, "", "", "", "", "", p.granted_by])
        for m in p.models:
            w.writerow(
                [
                    *base,
                    m.model,
                    m.registry,
                    m.full_name,
                    ";".join(m.access),
                    "yes" if m.production else "no",
                    m.granted_by,
                ]
            )
    return buf.getvalue()


def render_access_markdown(report: AccessReport) -> str:
    lines = [
        f"# Access review: {md.code(report.stack)} ({md.text(report.environment)})",
        "",
        f"Workspace {md.code(report.workspace)}. Every right below is what the stack declares; "
        "'granted by' names the config key (or the operator rule) that produced it.",
        "",
    ]
    # Mermaid: node ids are numbered, never built from names; every label is quoted and escaped.
    lines += ["## Graph", "", "```mermaid", "graph LR",
              f"  ws[({mermaid.label(report.workspace)})]"]
    model_ids: dict[str, str] = {}
    model_names: dict[str, str] = {}
    for i, p in enumerate(report.principals):
        pid = mermaid.node_id("p", i)
        lines.append(f"  {pid}[{mermaid.label(p.display_name, f'{p.kind}, {p.role}')}]")
        if p.workspace_permission:
            lines.append(f"  {pid} -->|{mermaid.label('/'.join(p.workspace_permission))}| ws")
        for m in p.models:
            mid = model_ids.setdefault(m.model, mermaid.node_id("m", len(model_ids)))
            model_names[mid] = m.full_name
            style = "==>" if m.production else "-.->"
            lines.append(f"  {pid} {style}|{mermaid.label(', '.join(m.access))}| {mid}")
    for mid, name in sorted(model_names.items(), key=lambda kv: int(kv[0][1:])):
        lines.append(f"  {mid}[[{mermaid.label(name)}]]")
        lines.append(f"  ws --- {mid}")
    lines += [
        "```",
        "",
        "Thick arrows are production rights (CAN_MANAGE_PRODUCTION_VERSIONS, "
        "CAN_MANAGE, MANAGE, ALL_PRIVILEGES).",
        "",
        "## Principals",
        "",
        "| principal | kind | path into Databricks | role | workspace | entitlements "
        "| conditional access | granted by |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in report.principals:
        ents = ", ".join(k for k, v in sorted(p.entitlements.items()) if v) or "-"
        cap = "<br/>".join(md.text(c) for c in p.conditional_access) or "-"
        lines.append(
            f"| {md.code(p.key)} {md.text(p.display_name)} | {md.text(p.kind)} | "
            f"{md.text(p.path or '-')} | {md.text(p.role)} | "
            f"{md.text('/'.join(p.workspace_permission) or '-')} | "
            f"{md.text(ents)} | {cap} | {md.code(p.granted_by)} |"
        )
    state = ("requires assignment: only the principals below marked 'yes' get a token"
             if report.azure_databricks_assignment_required
             else "does not require assignment: every user and identity of the tenant gets a "
                  "token (conditional access still applies to users)")
    lines += [
        "",
        "## Sign-in to Azure Databricks",
        "",
        f"The tenant's Azure Databricks enterprise app {state}. Conditional access applies to "
        "user sign-ins; service principals and managed identities are not in its scope.",
        "",
        "| principal | kind | can sign in | through | conditional access |",
        "|---|---|---|---|---|",
    ]
    for p in report.principals:
        cap = "<br/>".join(md.text(c) for c in p.conditional_access) or "-"
        lines.append(f"| {md.code(p.key)} {md.text(p.display_name)} | {md.text(p.kind)} | "
                     f"{md.text(p.can_sign_in or '-')} | {md.text(p.sign_in_via or '-')} | {cap} |")
    lines += [
        "",
        "## Model rights",
        "",
        "| model | registry | principal | access | production | granted by |",
        "|---|---|---|---|---|---|",
    ]
    rows = [(m.model, m.registry, p.key, m) for p in report.principals for m in p.models]
    for mk, reg, pk, m in sorted(rows, key=lambda r: (r[0], r[2])):
        lines.append(
            f"| {md.code(mk)} {md.text(m.full_name)} | {md.text(reg)} | {md.code(pk)} | "
            f"{md.text(', '.join(m.access))} | "
            f"{'**yes**' if m.production else 'no'} | {md.code(m.granted_by)} |"
        )
    lines += [
        "",
        "## Conditional access",
        "",
        f"Break-glass groups excluded everywhere: "
        f"{md.text(', '.join(report.break_glass_group_object_ids) or '(none)')}",
        "",
        "| policy | state | controls | groups | excludes break-glass |",
        "|---|---|---|---|---|",
    ]
    for c in report.conditional_access:
        lines.append(
            f"| {md.text(c['name'])} | {md.text(c['state'])} | "
            f"{md.text(', '.join(c['controls']) or '-')} | "
            f"{len(c['includedGroups'])} | {'yes' if c['excludesBreakGlass'] else '**NO**'} |"
        )
    lines += ["", *render_access_paths_markdown(report.access_paths)]
    return "\n".join(lines) + "\n"
