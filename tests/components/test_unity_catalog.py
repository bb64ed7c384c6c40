"""Unity Catalog: the metastore assignment comes first, and the shipped models live in UC."""

from __future__ import annotations

import pytest

from gate.capture import Plan
from settings import Settings
from tests.conftest import plan_for

METASTORE_ASSIGNMENT = "databricks:index/metastoreAssignment:MetastoreAssignment"
DEFAULT_NAMESPACE = "databricks:index/defaultNamespaceSetting:DefaultNamespaceSetting"
UC_TYPES = ("databricks:index/registeredModel:RegisteredModel",
            "databricks:index/grants:Grants", "databricks:index/grant:Grant")
MLFLOW_MODEL = "databricks:index/mlflowModel:MlflowModel"
PERMISSIONS = "databricks:index/permissions:Permissions"
STACKS = ["dev", "prod"]


def on(resource_provider: str, name: str) -> bool:
    return f"::{name}::" in resource_provider


@pytest.mark.parametrize("stack", STACKS)
def test_the_workspace_is_assigned_to_the_configured_metastore(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    (assignment,) = plan.by_type(METASTORE_ASSIGNMENT)
    assert assignment.inputs["metastoreId"] == settings.databricks.metastore_id
    assert assignment.inputs["workspaceId"] == plan.outputs["workspaceId"]  # the numeric id
    assert on(assignment.provider, "databricks-account")
    assert "defaultCatalogName" not in assignment.inputs  # deprecated: DefaultNamespaceSetting
    assert assignment.protect is settings.is_prod
    (default,) = plan.by_type(DEFAULT_NAMESPACE)
    assert default.inputs["namespace"] == {"value": settings.databricks.default_catalog}
    assert on(default.provider, "databricks-workspace")
    assert assignment.urn in default.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_every_unity_catalog_object_waits_for_the_metastore_assignment(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    (assignment,) = plan.by_type(METASTORE_ASSIGNMENT)
    uc = [r for t in UC_TYPES for r in plan.by_type(t)]
    assert uc
    for resource in uc:
        assert assignment.urn in resource.dependencies, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_model_every_model_in_unity_catalog(
        stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"plan_{stack}")
    settings: Settings = request.getfixturevalue(f"settings_{stack}")
    assert settings.models
    assert {m.registry for m in settings.models.values()} == {"unity-catalog"}
    assert plan.by_type(MLFLOW_MODEL) == [] and plan.by_type(PERMISSIONS) == []


def test_the_legacy_workspace_registry_stays_supported(plan_prod_legacy: Plan) -> None:
    """`registry: workspace` still declares the MLflow model and its one ACL, next to UC."""
    (model,) = plan_prod_legacy.by_type(MLFLOW_MODEL)
    (acl,) = plan_prod_legacy.by_type(PERMISSIONS)
    assert acl.inputs["registeredModelId"] == model.outputs["registeredModelId"]
    assert plan_prod_legacy.by_type(METASTORE_ASSIGNMENT)


def test_without_uc_models_no_metastore_is_needed() -> None:
    def workspace_registry_only(config: dict) -> None:
        from tests.conftest import NS, with_legacy_model
        config[f"{NS}:models"] = {}
        with_legacy_model(config)
        del config[f"{NS}:databricks"]["metastoreId"]
        del config[f"{NS}:databricks"]["defaultCatalog"]

    plan = plan_for("dev", workspace_registry_only)
    assert plan.by_type(METASTORE_ASSIGNMENT) == [] and plan.by_type(DEFAULT_NAMESPACE) == []
    assert len(plan.by_type(MLFLOW_MODEL)) == 1
