"""Who is assigned to the Azure Databricks enterprise app: the one owner of that list, read by
the component that assigns them, the settings check that no operator is left out
(:func:`settings.checks.sign_in.check_azure_databricks_assignments`) and the access review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from settings.model import AzureDatabricksApp, ConditionalAccess, Group, ServicePrincipal


@dataclass(frozen=True)
class Assignee:
    """A principal that gets an app role assignment on Azure Databricks.

    ``key`` is the stable config key (a group or service principal key, ``break-glass-<n>`` or
    the key under ``additionalAssignments``); ``object_id`` is set for principals whose object
    id is written in config (break-glass and additional assignments) and None for principals
    this stack creates (their object id is an output).
    """

    key: str
    kind: str  # group | service-principal | managed-identity | break-glass | additional
    config_key: str  # the config path (without namespace) that made this assignment
    object_id: Optional[str] = None
    principal_type: str = "group"  # group | user | servicePrincipal (for additional ones)


def azure_databricks_assignees(groups: dict[str, Group],
                               service_principals: dict[str, ServicePrincipal],
                               conditional_access: Optional[ConditionalAccess],
                               app: AzureDatabricksApp) -> list[Assignee]:
    """Every principal assigned when ``requireAssignment`` is on; empty when it is off.

    Mapped groups (a ``role``), every automation identity (service principals and managed
    identities alike: without an assignment they lose their Azure Databricks tokens), the
    break-glass groups and the further principals the config lists.
    """
    if not app.require_assignment:
        return []
    out = [Assignee(k, "group", f"groups.{k}.role") for k, g in groups.items()
           if g.is_mapped]
    for k, sp in service_principals.items():
        kind = "managed-identity" if sp.kind == "managed-identity" else "service-principal"
        out.append(Assignee(k, kind, f"servicePrincipals.{k}",
                            principal_type="servicePrincipal"))
    break_glass = conditional_access.break_glass_group_object_ids if conditional_access else []
    for i, oid in enumerate(break_glass):
        out.append(Assignee(f"break-glass-{i + 1}", "break-glass",
                            f"conditionalAccess.breakGlassGroupObjectIds.{i}", oid))
    for k, extra in app.additional_assignments.items():
        out.append(Assignee(k, "additional", f"azureDatabricksApp.additionalAssignments.{k}",
                            extra.object_id, extra.principal_type))
    return out
