"""Human-readable verdict and plan (the gate's default output), readable at 100 columns.

The verdict comes first, then what changed since the base revision (``--base``), then the
violations with their fixes, then the plan. Every value from the stack or the policy messages
goes through :mod:`gate.escape.terminal`, so nothing in a config can move the cursor, colour or
reorder the terminal, or add a line. Ids the offline mock invented are marked ``(mock)``.
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gate.document import Finding
from gate.escape import terminal as term

if TYPE_CHECKING:
    from gate.diff import BaseComparison

WIDTH = 100
SEVERITY_ORDER = ("critical", "high", "medium", "low", "")
MOCK_MARK = " (mock)"
MOCK_NOTE = ("Values marked (mock) were invented by the offline mock (object ids, client ids, "
             "workspace URL and ids); the real ones exist only after `pulumi up`.")
LIST_LIMIT = 40  # changed resources listed by name before "... and N more"


def render_text(doc: dict[str, Any], findings: list[Finding] | None, *,
                base: BaseComparison | None = None,
                mock: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    lines.extend(_verdict(doc, findings))
    if base is not None:
        lines.append("")
        lines.extend(_since_base(base))
    if mock:
        lines.append("")
        lines.extend(_wrap(MOCK_NOTE, ""))
    if findings is not None:
        lines.append("")
        lines.extend(_findings(findings, base, mock))
    lines.append("")
    lines.append("Plan (by parent):")
    lines.extend(_tree(doc["resources"]))
    lines.append("")
    lines.append("Resources by type:")
    width = max((len(t) for t in doc["summary"]["byType"]), default=0)
    for token, count in doc["summary"]["byType"].items():
        lines.append(_clip(f"  {term.line(token).ljust(width)}  {count:>4}"))
    if doc.get("lookups"):
        lines.append("")
        lines.append("Lookups (reads of existing objects, no resource; by provider):")
        for lk in doc["lookups"]:
            args = ", ".join(f"{k}={_short(v)}" for k, v in sorted(lk["args"].items()))
            lines.extend(_wrap(term.line(f"{lk['token'].split(':')[-1]}  via "
                                         f"{_provider_name(lk['provider'])}  ({args})"),
                               "  ", "      "))
    lines.append("")
    lines.append("Stack outputs:")
    for name, value in doc["outputs"].items():
        lines.extend(_value(term.line(name), value, 1, mock))
    return "\n".join(lines) + "\n"


def _verdict(doc: dict[str, Any], findings: list[Finding] | None) -> list[str]:
    where = (f"{term.line(doc['project'])}/{term.line(doc['stack'])} "
             f"({term.line(doc['environment'])})")
    summary = doc["summary"]
    counts = f"  {summary['resources']} resources, {summary['protected']} protected"
    if findings is None:
        head = f"PLAN ONLY  {where}: policy pack not run (--no-policies)"
    else:
        mandatory = sum(1 for f in findings if f.blocking)
        advisory = len(findings) - mandatory
        if mandatory:
            head = (f"BLOCKED  {where}: {mandatory} mandatory policy violation(s), "
                    f"{advisory} advisory")
        else:
            head = f"PASSED  {where}: no mandatory policy violation, {advisory} advisory"
    return [*_wrap(head, "", "  "), counts]


def _since_base(base: BaseComparison) -> list[str]:
    rev = term.line(base.base)
    if base.error:
        return _wrap(f"Since {rev}: not compared ({term.line(base.error)})", "", "  ")
    kinds = {k: [c for c in base.resources if c.kind == k] for k in ("added", "removed", "changed")}
    head = (f"Since {rev}: {len(kinds['added'])} resource(s) added, {len(kinds['removed'])} "
            f"removed, {len(kinds['changed'])} changed; {len(base.access)} access change(s)")
    lines = _wrap(head, "", "  ")
    if not base.resources and not base.access:
        lines.append("  nothing new or changed")
        return lines
    marks = {"added": "+", "removed": "-", "changed": "~"}
    shown = 0
    for kind in ("added", "removed", "changed"):
        for c in kinds[kind]:
            if shown == LIST_LIMIT:
                break
            shown += 1
            what = f"  {marks[kind]} {term.line(c.name)}  {_short_type(c.type)}"
            if c.fields:
                what += "  changed: " + ", ".join(term.line(f) for f in c.fields)
            key = f"  <- {term.line(c.source_key)}" if c.source_key else ""
            if len(what) + len(key) <= WIDTH:
                lines.append(what + key)
            else:
                lines.extend(_wrap(what.strip(), "  ", "      "))
                if key:
                    lines.extend(_wrap(key.strip(), "      ", "        "))
    if len(base.resources) > shown:
        lines.append(f"  ... and {len(base.resources) - shown} more")
    for a in base.access:
        flag = "  [needs attention]" if a.highlighted else ""
        text = (f"access {a.kind}: {term.line(a.principal)} on {term.line(a.subject)}: "
                f"{', '.join(term.line(x) for x in a.before) or '-'} -> "
                f"{', '.join(term.line(x) for x in a.after) or '-'}{flag}")
        lines.extend(_wrap(text, "  ", "      "))
    return lines


def _tree(resources: list[dict[str, Any]]) -> list[str]:
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    urns = {r["urn"] for r in resources}
    for r in resources:
        parent = r["parent"] if r["parent"] in urns else ""
        children[parent].append(r)
    out: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x["type"], x["name"])):
            indent = "  " * (depth + 1)
            flag = " [protected]" if r["protect"] else ""
            line = f"{indent}{term.line(r['name'])}{flag}  {_short_type(r['type'])}"
            key = f"  <- {term.line(r['sourceKey'])}" if r["sourceKey"] else ""
            if len(line) + len(key) <= WIDTH:
                out.append(line + key)
            else:
                out.extend(_wrap(line.strip(), indent, indent + "    "))
                if key:
                    out.extend(_wrap(key.strip(), indent + "    ", indent + "      "))
            walk(r["urn"], depth + 1)

    walk("", 0)
    return out


def _short_type(token: str) -> str:
    """``databricks:index/group:Group`` -> ``databricks:Group``; readable, still unambiguous
    together with the "Resources by type" table."""
    pkg, _, rest = token.partition(":")
    module, _, kind = rest.rpartition(":")
    if pkg == "azure-native":
        return term.line(f"{pkg}:{module.split('/')[0]}:{kind}")
    return term.line(f"{pkg}:{kind}" if kind else token)


def _findings(findings: list[Finding], base: BaseComparison | None,
              mock: frozenset[str]) -> list[str]:
    mandatory = [f for f in findings if f.enforcement_level == "mandatory"]
    advisory = [f for f in findings if f.enforcement_level != "mandatory"]
    touched = base.touched() if base is not None and not base.error else {}
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
            lines.append(f"  severity {term.line(sev) or 'unspecified'}:")
            for f in sorted(by_sev[sev], key=lambda x: (x.policy, x.urn)):
                where = term.line(f.resource_name or "stack")
                what = term.line(f.resource_type or "stack")
                since = f"  [{touched[f.urn]} since base]" if f.urn in touched else ""
                lines.extend(_wrap(f"[{term.line(f.policy)}] {where} ({what}){since}",
                                   "    ", "        "))
                lines.extend(_wrap(_marked(term.line(f.message.strip()), mock),
                                   "      ", "      "))
                if f.source_key:
                    lines.extend(_wrap(f"config: {term.line(f.source_key)}", "      ", "        "))
                if f.remediation:
                    lines.extend(_wrap(f"fix: {term.line(' '.join(f.remediation.split()))}",
                                       "      ", "        "))
    if not findings:
        lines.append("  none")
    return lines


def _value(name: str, value: Any, depth: int, mock: frozenset[str]) -> list[str]:
    indent = "  " * depth
    if isinstance(value, dict) and value:
        lines = [f"{indent}{name}:"]
        for k, v in value.items():
            lines.extend(_value(term.line(k), v, depth + 1, mock))
        return lines
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        lines = [f"{indent}{name}:"]
        for v in value:
            lines.extend(_wrap(f"- {_suffixed(term.line(v), mock)}", indent + "  ",
                               indent + "    "))
        return lines
    return _wrap(f"{name}: {_suffixed(term.line(_plain(value)), mock)}", indent, indent + "    ")


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _suffixed(text: str, mock: frozenset[str]) -> str:
    """A value that contains a mock-invented id, followed by ``(mock)``."""
    return text + MOCK_MARK if mock and _mock_pattern(mock).search(text) else text


def _marked(text: str, mock: frozenset[str]) -> str:
    """Each mock-invented id in ``text`` followed by ``(mock)``."""
    if not mock:
        return text
    return _mock_pattern(mock).sub(lambda m: m.group() + MOCK_MARK, text)


@lru_cache(maxsize=8)
def _mock_pattern(mock: frozenset[str]) -> re.Pattern[str]:
    alternatives = sorted(mock, key=len, reverse=True)  # longest first: no mark inside an id
    return re.compile("|".join(re.escape(t) for t in alternatives))


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first,
                         subsequent_indent=first if rest is None else rest,
                         break_long_words=True, break_on_hyphens=False) or [first.rstrip()]


def _clip(text: str) -> str:
    return text if len(text) <= WIDTH else text[: WIDTH - 3] + "..."


def _provider_name(ref: str) -> str:
    """A provider reference (``<urn>::<id>``) -> the provider's name, e.g. databricks-account."""
    urn = ref.split("::")
    return urn[-2] if len(urn) >= 2 else (ref or "default provider")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 160 else text[:157] + "..."
