"""The access review answers "can this principal sign in to Azure Databricks, through which
assignment, under which conditional access policies" from the plan."""

from __future__ import annotations

from typing import Any

from gate.access import build_access_report
from gate.access_formats import render_csv
from gate.capture import Plan
from settings import Settings, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, plan_for, stack_document


def _entra_only(cfg: dict[str, Any]) -> None:
    cfg[f"{NS}:groups"]["finance-readers"] = {
        "displayName": "sg-finance-readers", "description": "Entra only, no role.",
        "owners": ["aaaaaaaa-0000-0000-0000-000000000001"]}


def _settings(mutate: Any) -> Settings:
    doc = stack_document("dev")
    mutate(doc["config"])
    return parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")


def test_every_mapped_principal_signs_in_through_its_assignment(
        plan_prod: Plan, settings_prod: Settings) -> None:
    report = build_access_report(settings_prod, plan_prod)
    assert report.azure_databricks_assignment_required
    by_key = {p.key: p for p in report.principals}
    for key in [*settings_prod.mapped_groups, *settings_prod.service_principals, "break-glass-1"]:
        assert by_key[key].can_sign_in == "yes", key
        assert f"azure-databricks-app-assign-{key}" in by_key[key].sign_in_via
    for key in settings_prod.mapped_groups:
        assert any("require MFA" in name for name in by_key[key].conditional_access)
    assert "can_sign_in" in render_csv(report).splitlines()[0]


def test_a_group_outside_the_mapping_cannot_sign_in() -> None:
    report = build_access_report(_settings(_entra_only), plan_for("dev", _entra_only))
    [outsider] = [p for p in report.principals if p.key == "finance-readers"]
    assert outsider.can_sign_in == "no"
    assert "not assigned" in outsider.sign_in_via


def test_without_assignment_required_everyone_in_the_tenant_can() -> None:
    def opt_out(cfg: dict[str, Any]) -> None:
        _entra_only(cfg)
        cfg[f"{NS}:azureDatabricksApp"] = {"requireAssignment": False}

    report = build_access_report(_settings(opt_out), plan_for("dev", opt_out))
    assert not report.azure_databricks_assignment_required
    [outsider] = [p for p in report.principals if p.key == "finance-readers"]
    assert outsider.can_sign_in == "yes" and "assignment not required" in outsider.sign_in_via
