"""Where models are registered: Unity Catalog, not the legacy workspace model registry."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from ._common import Report, peek
from ._policy import Controls, Family
from ._types import DB_MLFLOW_MODEL

policy = Family("databricks-access")


@policy.resource(
    name="databricks-model-registry-unity-catalog",
    types=[DB_MLFLOW_MODEL],
    severity=Severity.LOW,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.5.15", "A.8.2")),
    remediation=(
        "Copy the model's versions to a Unity Catalog model (MLflow copy_model_version), "
        "move its consumers to models:/<catalog>.<schema>.<model>, set `registry: "
        "unity-catalog` with catalog, schema and privileges in the stack config, then "
        "remove the workspace model."
    ),
    enforcement=EnforcementLevel.ADVISORY,
)
def check_legacy_model_registry(args: ResourceValidationArgs, report: Report) -> None:
    """Models are registered in Unity Catalog, not in the legacy workspace model registry."""
    name = peek(args.props, "name")
    report(
        f"model '{name if isinstance(name, str) else '<unknown>'}' is in the legacy workspace "
        "model registry, which Databricks disabled for new workspaces in accounts whose default "
        "catalog is in Unity Catalog; its ACLs are workspace-local and its lineage and audit "
        "stay outside Unity Catalog. Migrate it (README, 'Legacy workspace model registry')."
    )
