"""Bad input for the adoption and CI keys: the preview identity and brownfield references.

Each case breaks one thing in a shipped stack and runs the gate on it: exit 2, the key named,
and nothing registered (the settings fail before the program runs).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.capture import RecordingMonitor, capture
from gate.cli import main
from gate.mocks import TypeAwareMocks
from settings import SettingsError
from settings.load import raw_from_stack_document
from tests.conftest import NS, plan_for, stack_document, with_legacy_model

Config = dict[str, Any]
LAW_ID = ("/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-soc/providers/"
          "Microsoft.OperationalInsights/workspaces/{name}")


def c(key: str) -> str:
    return f"{NS}:{key}"


def gate_on(tmp_path: Path, stack: str, mutate: Callable[[Config], None]) -> tuple[int, str]:
    doc = stack_document(stack)
    mutate(doc["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    # Nothing is registered: the settings refuse the config before the program runs.
    monitor = RecordingMonitor(TypeAwareMocks())
    with pytest.raises(SettingsError):
        capture(stack, raw_from_stack_document(doc, str(path)), monitor=monitor)
    assert monitor.records == []
    err = io.StringIO()
    code = main([stack, "--stack-file", str(path), "--no-policies", "--quiet"],
                stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


def preview(cfg: Config) -> Config:
    return cfg[c("servicePrincipals")]["ci-preview"]


@pytest.mark.parametrize("mutate, key, words", [
    (lambda cfg: cfg.__setitem__(c("previewer"), "nobody"), c("previewer"),
     "does not name a declared service principal"),
    (lambda cfg: cfg.__setitem__(c("previewer"), "ci-deployer"), c("previewer"),
     "is the deployer"),
    (lambda cfg: preview(cfg).__setitem__("role", "admin"),
     c("servicePrincipals.ci-preview.role"), "read-only"),
    (lambda cfg: preview(cfg)["federation"].update(pullRequest=False, environment="prod"),
     c("servicePrincipals.ci-preview.federation.pullRequest"), "pull-request workflows"),
    (lambda cfg: cfg.pop(c("previewer")),
     c("servicePrincipals.ci-preview.federation.pullRequest"), "only the read-only preview"),
    (lambda cfg: preview(cfg)["federation"].__setitem__("environment", "prod"),
     c("servicePrincipals.ci-preview.federation"), "sets both"),
    (lambda cfg: cfg[c("servicePrincipals")]["ci-deployer"]["federation"].pop("environment"),
     c("servicePrincipals.ci-deployer.federation"), "needs `environment`"),
    (lambda cfg: cfg[c("models")]["churn"]["permissions"].__setitem__(
        "ci-preview", ["EXECUTE", "MANAGE"]),
     c("models.churn.permissions.ci-preview"), "read-only preview identity MANAGE"),
    (lambda cfg: with_legacy_model(cfg)[c("models")]["churn-legacy"]["permissions"].__setitem__(
        "ci-preview", "CAN_MANAGE"),
     c("models.churn-legacy.permissions.ci-preview"), "read-only preview identity CAN_MANAGE"),
    (lambda cfg: cfg[c("audit")].__setitem__("existingWorkspaceId", "log-soc"),
     c("audit.existingWorkspaceId"), "not the ARM id of a Log Analytics workspace"),
    (lambda cfg: cfg[c("audit")].__setitem__("existingWorkspaceId",
                                             LAW_ID.format(name="log-soc")),
     c("audit.logAnalyticsName"), "does not match the existing workspace 'log-soc'"),
    (lambda cfg: cfg[c("workspace")].__setitem__("existingResourceGroup", "maybe"),
     c("workspace.existingResourceGroup"), "true or false"),
])
def test_adoption_keys_refuse_bad_input(tmp_path: Path, mutate: Callable[[Config], None],
                                        key: str, words: str) -> None:
    code, err = gate_on(tmp_path, "prod", mutate)
    assert code == 2, err
    line = next((ln for ln in err.splitlines() if key + ":" in ln), "")
    assert line, f"{key} not named in:\n{err}"
    assert words in err[err.index(line):], err
    assert "registered no resource" in err


def test_existing_resource_group_is_used_not_declared() -> None:
    def mutate(cfg: Config) -> None:
        cfg[c("workspace")]["existingResourceGroup"] = True

    plan = plan_for("dev", mutate)
    assert plan.by_type("azure-native:resources:ResourceGroup") == []
    (workspace,) = plan.by_type("azure-native:databricks:Workspace")
    assert workspace.inputs["resourceGroupName"] == stack_document("dev")["config"][
        c("workspace")]["resourceGroupName"]
    assert all(r.inputs.get("resourceGroupName") for r in plan.by_type(
        "azure-native:network:VirtualNetwork"))


def test_existing_log_analytics_receives_the_logs_and_is_not_declared() -> None:
    name = stack_document("prod")["config"][c("audit")]["logAnalyticsName"]
    law_id = LAW_ID.format(name=name)

    def mutate(cfg: Config) -> None:
        cfg[c("audit")]["existingWorkspaceId"] = law_id

    plan = plan_for("prod", mutate)
    assert plan.by_type("azure-native:operationalinsights:Workspace") == []
    settings = plan.by_type("azure-native:monitor:DiagnosticSetting") + plan.by_type(
        "azure-native:aadiam:DiagnosticSetting")
    assert settings and all(s.inputs["workspaceId"] == law_id for s in settings)


def test_preview_identity_is_read_only_and_trusts_pull_requests_only() -> None:
    plan = plan_for("prod")
    creds = [r for r in plan.by_type(
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")
        if r.inputs["subject"].endswith(":pull_request")]
    assert len(creds) == 1  # exactly the preview identity's
    assert creds[0].inputs["subject"] == "repo:fabrikam/ml-platform-infra:pull_request"
    assigns = [r for r in plan.by_type(
        "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment")
        if r.name.endswith("-ci-preview")]
    assert assigns and all(a.inputs["permissions"] == ["USER"] for a in assigns)


def test_preview_identity_gets_reader_on_the_resource_group_and_nothing_more() -> None:
    plan = plan_for("prod")
    (assignment,) = plan.by_type("azure-native:authorization:RoleAssignment")
    doc = stack_document("prod")["config"]
    sub, rg = doc[c("subscriptionId")], doc[c("workspace")]["resourceGroupName"]
    assert assignment.inputs["scope"] == f"/subscriptions/{sub}/resourceGroups/{rg}"
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
        "acdd72a7-3385-48ef-bd42-f606fba81ae7")  # built-in Reader
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    (preview_sp,) = [r for r in plan.by_type("azuread:index/servicePrincipal:ServicePrincipal")
                     if r.name.endswith("-sp-ci-preview")]
    assert assignment.inputs["principalId"] == preview_sp.outputs["objectId"]
    # Without a previewer the stack grants no Azure role at all.
    def without_previewer(cfg: Config) -> None:
        cfg.pop(c("previewer"))
        cfg[c("servicePrincipals")].pop("ci-preview")

    bare = plan_for("dev", without_previewer)
    assert bare.by_type("azure-native:authorization:RoleAssignment") == []
