"""Access diff for pull requests: what a config change grants, revokes and changes.

``python -m gate.diff prod@origin/main prod`` compares the prod stack file at a git revision
with the working tree; ``python -m gate.diff dev prod`` compares two stacks. Both sides run
through the current program under mocks, so the diff is of declared rights, operators
included. Rights are keyed by config keys (principal, model), which are stable across stacks
and revisions. Revocations and new production rights are highlighted.

Exit codes: 0 diff printed; 2 invalid config or usage.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.access import PRODUCTION_RIGHTS, AccessReport, build_access_report
from gate.access_paths import easier_access
from gate.capture import Plan, capture
from gate.document import scrub
from gate.escape import jsondoc, terminal
from gate.escape import markdown as md
from gate.trace import trace
from settings import Settings, SettingsError
from settings.stacks import StackMappingError, environment_of

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Change:
    kind: str  # granted | revoked | changed
    principal: str
    subject: str  # "workspace" or "model:<key>"
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def new_production_rights(self) -> tuple[str, ...]:
        return tuple(sorted((set(self.after) - set(self.before)) & PRODUCTION_RIGHTS))

    @property
    def highlighted(self) -> bool:
        return self.kind == "revoked" or bool(self.new_production_rights) or \
            (self.kind == "changed" and bool(set(self.before) - set(self.after)))


def rights_of(report: AccessReport) -> dict[tuple[str, str], tuple[str, ...]]:
    """(principal key, subject) -> sorted rights."""
    out: dict[tuple[str, str], set[str]] = {}
    for p in report.principals:
        if p.workspace_permission:
            out.setdefault((p.key, "workspace"), set()).update(p.workspace_permission)
            ents = {f"entitlement:{k}" for k, v in p.entitlements.items() if v}
            out[(p.key, "workspace")].update(ents)
        for m in p.models:
            out.setdefault((p.key, f"model:{m.model}"), set()).update(m.access)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def diff_reports(base: AccessReport, head: AccessReport) -> list[Change]:
    return diff_rights(rights_of(base), rights_of(head))


def diff_rights(a: dict[tuple[str, str], tuple[str, ...]],
                b: dict[tuple[str, str], tuple[str, ...]]) -> list[Change]:
    """Changes from rights ``a`` to rights ``b``, both keyed (principal, subject)."""
    changes = []
    for key in sorted(set(a) | set(b)):
        before, after = a.get(key, ()), b.get(key, ())
        if before == after:
            continue
        kind = "granted" if not before else "revoked" if not after else "changed"
        changes.append(Change(kind, key[0], key[1], before, after))
    return changes


@dataclass(frozen=True)
class EasierAccess:
    """A group that a change makes easier to get into (approval, duration, requestors...)."""

    group: str
    reasons: tuple[str, ...]
    before: str
    after: str


def easier_access_changes(base: AccessReport, head: AccessReport) -> list[EasierAccess]:
    """Per group: what in ``head`` lowers the bar to get in, compared with ``base``."""
    before = {p.group: p for p in base.access_paths}
    out = []
    for path in head.access_paths:
        reasons = easier_access(before.get(path.group), path)
        if reasons:
            old = before.get(path.group)
            out.append(EasierAccess(path.group, tuple(reasons),
                                    old.summary if old else "(group not declared)",
                                    path.summary))
    return out


def render_easier_access(items: list[EasierAccess]) -> list[str]:
    """The "Access made easier to get" section of the diff (empty when there is none)."""
    if not items:
        return []
    lines = ["", "**Access made easier to get** (needs the group owners' and security's "
             "review):", ""]
    for item in items:
        lines.append(f"- :warning: {md.code(item.group)}: "
                     f"{md.text('; '.join(item.reasons))}")
    return lines


def render_markdown(changes: list[Change], base: str, head: str,
                    easier: list[EasierAccess] | None = None) -> str:
    lines = [f"### Access diff: {md.code(base)} → {md.code(head)}", ""]
    if not changes and not easier:
        return "\n".join(lines + ["No access changes."]) + "\n"
    if not changes:
        return "\n".join([*lines, "No rights changed.", *render_easier_access(easier or [])]) \
            + "\n"
    counts = {k: sum(c.kind == k for c in changes) for k in ("granted", "revoked", "changed")}
    lines.append(f"{counts['granted']} granted, {counts['revoked']} revoked, "
                 f"{counts['changed']} changed.")
    hot = [c for c in changes if c.highlighted]
    if hot:
        lines += ["", "**Needs attention** (revocations and new production rights):", ""]
        for c in hot:
            why = "revoked" if c.kind == "revoked" else (
                "new production rights: " + ", ".join(c.new_production_rights)
                if c.new_production_rights else "rights removed")
            lines.append(f"- :warning: {md.code(c.principal)} on {md.text(c.subject)}: "
                         f"{md.text(why)}")
    lines += render_easier_access(easier or [])
    lines += ["", "| change | principal | on | before | after |", "|---|---|---|---|---|"]
    for c in changes:
        mark = "**" if c.highlighted else ""
        lines.append(f"| {mark}{c.kind}{mark} | {md.code(c.principal)} | {md.text(c.subject)} | "
                     f"{md.text(', '.join(c.before) or '-')} | "
                     f"{md.text(', '.join(c.after) or '-')} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PlanChange:
    """A resource the head plan adds, removes or declares differently than the base plan."""

    kind: str  # added | removed | changed
    urn: str
    type: str
    name: str
    source_key: str
    fields: tuple[str, ...] = ()  # changed inputs (wire names), "protect", "parent"


@dataclass
class BaseComparison:
    """What is new or changed in a stack since a base revision (``python -m gate --base REV``)."""

    base: str
    resources: list[PlanChange] = field(default_factory=list)
    access: list[Change] = field(default_factory=list)
    error: str = ""  # why the base could not be compared (then the lists are empty)

    def touched(self) -> dict[str, str]:
        """URN -> "added" / "changed" for the head plan's resources."""
        return {c.urn: c.kind for c in self.resources if c.kind != "removed"}


def diff_plans(base: Plan, head: Plan) -> list[PlanChange]:
    """Resources keyed by URN (stable: names come from config keys); secrets compared masked."""
    a = {r.urn: r for r in base.resources}
    b = {r.urn: r for r in head.resources}
    out: list[PlanChange] = []
    for urn in sorted(set(a) | set(b)):
        old, new = a.get(urn), b.get(urn)
        if old is None or new is None:
            r = new or old
            assert r is not None
            out.append(PlanChange("added" if old is None else "removed", urn, r.type, r.name,
                                  r.source_key))
            continue
        before, after = scrub(old.inputs), scrub(new.inputs)
        fields = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        if old.protect != new.protect:
            fields.append("protect")
        if old.parent != new.parent:
            fields.append("parent")
        if fields:
            out.append(PlanChange("changed", urn, new.type, new.name, new.source_key,
                                  tuple(fields)))
    return out


def compare_with_base(rev: str, stack: str, stack_file: Path, head_settings: Settings,
                      head_plan: Plan) -> BaseComparison:
    """Run the stack file as it was at git revision ``rev`` through the current program and
    compare it with the head plan: resources added, removed or changed, and access changes."""
    if rev.startswith("-"):
        raise ValueError(f"--base {rev!r} looks like an option, not a git revision")
    try:
        name = stack_file.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        name = f"Pulumi.{stack}.yaml"
    try:
        text = _git_show(rev, name)
    except ValueError as exc:
        return BaseComparison(rev, error=str(exc))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(text)  # as git holds it: the stack reader checks the encoding
        from gate.esc import read_stack  # as the gate reads it (values from Pulumi ESC)

        try:
            settings, raw = read_stack(path, stack)
        except SettingsError as exc:
            return BaseComparison(rev, error=f"the stack file at {rev} has "
                                  f"{len(exc.problems)} configuration problem(s)")
    try:
        plan = capture(stack, raw)
    except Exception as exc:  # noqa: BLE001 - the base's failure is reported, not the head's
        return BaseComparison(rev, error=f"the program failed on the stack file at {rev}: "
                              f"{type(exc).__name__}")
    trace(plan.resources, settings)
    access = diff_reports(build_access_report(settings, plan),
                          build_access_report(head_settings, head_plan))
    return BaseComparison(rev, diff_plans(plan, head_plan), access)


def changes_json(changes: list[Change]) -> list[dict[str, Any]]:
    return [{"kind": c.kind, "principal": c.principal, "subject": c.subject,
             "before": list(c.before), "after": list(c.after), "highlighted": c.highlighted,
             "newProductionRights": list(c.new_production_rights)} for c in changes]


def report_for(spec: str) -> AccessReport:
    """``STACK`` (working tree) or ``STACK@REV`` (the stack file at a git revision)."""
    stack, _, rev = spec.partition("@")
    _check_stack(stack)
    path = ROOT / f"Pulumi.{stack}.yaml"
    if rev:
        _check_revision(rev)
        data = _git_show(rev, path.name)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / path.name
            path.write_bytes(data)
            return _report(stack, path)
    if not path.exists():
        raise ValueError(f"no stack file {path.name}")
    return _report(stack, path)


def _report(stack: str, path: Path) -> AccessReport:
    from gate.esc import read_stack  # a stack whose values come from Pulumi ESC says so

    settings, raw = read_stack(path, stack)
    plan = capture(stack, raw)
    trace(plan.resources, settings)
    return build_access_report(settings, plan)


# A git revision as people write them (branch, tag, sha, HEAD~2, origin/main, main@{1}). It may
# not start with '-' (git would read it as an option, e.g. --output=<file>) nor contain ':'
# (which would address another path) or whitespace and control characters.
_REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./~^@{}+-]{0,199}")


def _check_stack(stack: str) -> None:
    try:
        environment_of(stack)
    except StackMappingError as exc:
        raise ValueError(str(exc)) from None


def _check_revision(rev: str) -> None:
    if rev.startswith("-"):
        raise ValueError(f"the git revision {rev!r} starts with '-', so git would read it as an "
                         "option; name a branch, tag or commit (e.g. prod@origin/main)")
    if not _REVISION.fullmatch(rev) or ".." in rev:
        raise ValueError(f"{rev!r} is not a plain git revision; use a branch, tag, commit or "
                         "HEAD~N (no ':', '..', spaces or control characters)")


def _git_show(rev: str, name: str) -> bytes:
    try:
        proc = subprocess.run(["git", "show", "--end-of-options", f"{rev}:{name}"], cwd=ROOT,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ValueError(f"cannot read {name} at {rev}: {type(exc).__name__}") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"cannot read {name} at {rev}: {detail[0] if detail else 'git failed'}")
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gate.diff", description=__doc__.split("\n")[0])
    p.add_argument("base", help="STACK or STACK@GIT-REV (e.g. prod@origin/main)")
    p.add_argument("head", help="STACK or STACK@GIT-REV")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    args = p.parse_args(argv)
    try:
        base_report, head_report = report_for(args.base), report_for(args.head)
        changes = diff_reports(base_report, head_report)
        easier = easier_access_changes(base_report, head_report)
    except SettingsError as exc:
        sys.stderr.write(terminal.block(exc.render()) + "\n")
        return 2
    except ValueError as exc:
        sys.stderr.write(terminal.block(f"gate.diff: {exc}") + "\n")
        return 2
    if args.format == "json":
        doc: list[dict[str, Any]] = changes_json(changes)
        doc += [{"kind": "easier-access", "principal": e.group, "subject": "membership",
                 "before": [e.before], "after": [e.after], "highlighted": True,
                 "newProductionRights": [], "reasons": list(e.reasons)} for e in easier]
        sys.stdout.write(jsondoc.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_markdown(changes, args.base, args.head, easier))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
