"""The access review is correct for every model and principal: checked against the config by an
independent computation (config permissions + the operator rule), not by re-reading the report."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gate.access import build_access_report
from gate.access_formats import render_access_markdown, render_csv
from gate.capture import Plan
from gate.diff import diff_reports, render_markdown
from gate.trace import trace
from settings import ROLE_PRESETS, Settings, effective_entitlements
from settings.model import Role
from tests.conftest import NS, plan_for

WIRE = {
    "workspace_access": "workspaceAccess",
    "databricks_sql_access": "databricksSqlAccess",
    "allow_cluster_create": "allowClusterCreate",
    "allow_instance_pool_create": "allowInstancePoolCreate",
}


def expected_model_rights(s: Settings) -> dict[tuple[str, str], tuple[str, ...]]:
    """(principal key, model key) -> rights, computed from the config alone."""
    out: dict[tuple[str, str], set[str]] = {}
    operators = [k for k, g in s.groups.items() if g.role is Role.ADMIN] + [s.deployer]
    for mk, model in s.models.items():
        top = "CAN_MANAGE" if model.registry == "workspace" else "MANAGE"
        for pk, level in model.permissions.items():
            out.setdefault((pk, mk), set()).update([level] if isinstance(level, str) else level)
        for op in operators:
            out.setdefault((op, mk), set()).add(top)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def report_rights(report: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    out: dict[tuple[str, str], set[str]] = {}
    for p in report.principals:
        for m in p.models:
            out.setdefault((p.key, m.model), set()).update(m.access)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def report(stack: str, plan: Plan, settings: Settings) -> Any:
    trace(plan.resources, settings)
    return build_access_report(settings, plan)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_model_rights_match_config(stack: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(f"plan_{stack}")
    settings = request.getfixturevalue(f"settings_{stack}")
    rep = report(stack, plan, settings)
    assert report_rights(rep) == expected_model_rights(settings)
    for p in rep.principals:
        for m in p.models:
            if p.key in settings.models[m.model].permissions:
                assert m.granted_by == f"{NS}:models.{m.model}.permissions.{p.key}"
            else:
                assert m.granted_by.startswith("operator:"), (p.key, m)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workspace_roles_and_entitlements_match_config(
    stack: str, request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(f"plan_{stack}")
    settings = request.getfixturevalue(f"settings_{stack}")
    rep = {p.key: p for p in report(stack, plan, settings).principals}
    principals = {
        **{k: (g.role, g.entitlements) for k, g in settings.groups.items()},
        **{k: (sp.role, sp.entitlements) for k, sp in settings.service_principals.items()},
    }
    for key, (role, overrides) in principals.items():
        if role is None:
            assert rep[key].workspace_permission == [], key
            continue
        assert rep[key].workspace_permission == [ROLE_PRESETS[role][0]], key
        want = {WIRE[k]: v for k, v in effective_entitlements(role, overrides).items()}
        if key in settings.service_principals:  # Databricks grants pool creation to groups only
            want["allowInstancePoolCreate"] = False
        assert rep[key].entitlements == want, key


def test_conditional_access_covers_mapped_groups_and_excludes_break_glass(
    plan_prod: Plan, settings_prod: Settings
) -> None:
    rep = report("prod", plan_prod, settings_prod)
    assert rep.conditional_access and all(c["excludesBreakGlass"] for c in rep.conditional_access)
    for p in rep.principals:
        if p.kind == "group" and settings_prod.groups[p.key].role is not None:
            assert any("MFA" in name for name in p.conditional_access), p.key


def test_formats(plan_prod: Plan, settings_prod: Settings) -> None:
    rep = report("prod", plan_prod, settings_prod)
    md = render_access_markdown(rep)
    assert "```mermaid" in md and "graph LR" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(rep))))
    assert len([r for r in rows if r["model"]]) == sum(len(p.models) for p in rep.principals)
    doc = json.loads(json.dumps(rep.to_json()))
    assert {p["key"] for p in doc["principals"]} >= set(settings_prod.groups)


def test_diff_shows_a_planted_revocation_and_new_production_right(
    plan_prod: Plan, settings_prod: Settings
) -> None:
    base = report("prod", plan_prod, settings_prod)

    def plant(cfg: dict[str, Any]) -> None:
        perms = cfg[f"{NS}:models"]["credit-default"]["permissions"]
        perms.pop("auditors")  # the planted revocation
        perms["batch-scoring"] = ["EXECUTE", "MANAGE"]  # a new production right

    from settings import parse
    from settings.load import raw_from_stack_document
    from tests.conftest import stack_document

    doc = stack_document("prod")
    plant(doc["config"])
    head_settings = parse(raw_from_stack_document(doc, "x"), stack="prod")
    head = report("prod", plan_for("prod", plant), head_settings)
    changes = diff_reports(base, head)
    kinds = {(c.kind, c.principal, c.subject) for c in changes}
    assert ("revoked", "auditors", "model:credit-default") in kinds
    changed = [c for c in changes if c.principal == "batch-scoring"]
    assert changed and changed[0].new_production_rights == ("MANAGE",)
    assert len(changes) == 2
    md = render_markdown(changes, "prod@main", "prod")
    assert ":warning: `auditors` on model:credit-default: revoked" in md
    assert "new production rights: MANAGE" in md


def test_diff_cli_between_revisions_has_no_change_for_same_file() -> None:
    root = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    from gate.diff import main

    assert main(["dev", "dev", "--format", "json"]) == 0
