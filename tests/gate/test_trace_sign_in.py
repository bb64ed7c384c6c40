"""SARIF locations keep working for the renamed sign-in keys: every resource of the sign-in
components traces to its config key, and that key is found on its line of the stack file."""

from __future__ import annotations

from pathlib import Path

from gate.capture import Plan
from gate.locate import line_of
from gate.trace import trace
from settings import Settings
from tests.conftest import NS, plan_for

ROOT = Path(__file__).resolve().parents[2]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_sign_in_resources_point_at_their_config_lines(plan_prod: Plan,
                                                        settings_prod: Settings) -> None:
    trace(plan_prod.resources, settings_prod)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    keys = {r.name: r.source_key for r in plan_prod.resources if r.type.startswith("azuread:")}
    assert keys["azure-databricks-app"] == f"{NS}:azureDatabricksApp"
    assert keys["azure-databricks-app-assign-ml-engineers"] == (
        f"{NS}:azureDatabricksApp.requireAssignment")
    assert keys["client-app"] == f"{NS}:clientApp"
    assert keys["client-app-consent-azure-databricks"] == f"{NS}:clientApp"
    assert line_of(text, keys["client-app"]) == _line(text, f"{NS}:clientApp:")
    assert line_of(text, keys["azure-databricks-app-assign-ml-engineers"]) == _line(
        text, "requireAssignment: true")


def test_an_additional_assignment_points_at_its_own_entry() -> None:
    def extra(cfg: dict) -> None:  # type: ignore[type-arg]
        cfg[f"{NS}:azureDatabricksApp"]["additionalAssignments"] = {
            "bi-connector": {"objectId": "cccccccc-0000-0000-0000-000000000001",
                             "reason": "BI gateway"}}

    plan = plan_for("dev", extra)
    from settings import parse
    from settings.load import raw_from_stack_document
    from tests.conftest import stack_document
    doc = stack_document("dev")
    extra(doc["config"])
    settings = parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    trace(plan.resources, settings)
    name = "azure-databricks-app-assign-bi-connector"
    [assignment] = [r for r in plan.resources if r.name == name]
    assert assignment.source_key == f"{NS}:azureDatabricksApp.additionalAssignments.bi-connector"
