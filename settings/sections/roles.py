"""Workspace roles: each preset is a workspace permission and a set of entitlements."""

from __future__ import annotations

from enum import Enum
from typing import Optional

from settings.sections.base import Strict


class Role(str, Enum):
    """Role presets. Each maps to a workspace permission and a set of entitlements."""

    ADMIN = "admin"
    ENGINEER = "engineer"
    SCIENTIST = "scientist"
    AUDITOR = "auditor"
    AUTOMATION = "automation"
    AGENT = "agent"


class Entitlements(Strict):
    """Databricks workspace entitlements (None = take the role preset's value)."""

    workspace_access: Optional[bool] = None
    databricks_sql_access: Optional[bool] = None
    allow_cluster_create: Optional[bool] = None
    allow_instance_pool_create: Optional[bool] = None


ENTITLEMENT_NAMES = tuple(Entitlements.model_fields)

ROLE_PRESETS: dict[Role, tuple[str, dict[str, bool]]] = {
    # role: (workspace permission, entitlements)
    Role.ADMIN: ("ADMIN", {"workspace_access": True, "databricks_sql_access": True,
                           "allow_cluster_create": True, "allow_instance_pool_create": True}),
    Role.ENGINEER: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                             "allow_cluster_create": True, "allow_instance_pool_create": False}),
    Role.SCIENTIST: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                              "allow_cluster_create": False, "allow_instance_pool_create": False}),
    Role.AUDITOR: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                            "allow_cluster_create": False, "allow_instance_pool_create": False}),
    Role.AUTOMATION: ("USER", {"workspace_access": True, "databricks_sql_access": False,
                               "allow_cluster_create": False, "allow_instance_pool_create": False}),
    # An agent calls the workspace APIs to load and run the models it may EXECUTE: workspace
    # access is the one access entitlement that allows that (every principal needs at least one
    # access entitlement to use a workspace at all); no SQL, no compute creation.
    Role.AGENT: ("USER", {"workspace_access": True, "databricks_sql_access": False,
                          "allow_cluster_create": False, "allow_instance_pool_create": False}),
}


def effective_entitlements(role: Role, overrides: Entitlements) -> dict[str, bool]:
    """The role preset's entitlements with the per-principal overrides applied."""
    base = dict(ROLE_PRESETS[role][1])
    for name in ENTITLEMENT_NAMES:
        value = getattr(overrides, name)
        if value is not None:
            base[name] = value
    return base
