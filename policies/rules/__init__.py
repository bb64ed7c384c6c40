"""The rules of the databricks-ml-entra-baseline policy pack.

Each module is one resource family; it declares its policies on their checks
(``@policy.resource(...)`` / ``@policy.stack(...)``, see :mod:`rules._policy`). The pack's policy
list is the families below, in this order, each in declaration order: :data:`DOMAINS` groups
them by domain (the ``domain:`` tag), :data:`ALL_POLICIES` is every policy.

Importing this package installs the secret-marking hook (see :mod:`rules._sdk`) so that rules
can tell Pulumi secrets from plaintext.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import (
    conditional_access,
    databricks_acls,
    databricks_identities,
    databricks_models,
    entra_apps,
    entra_credentials,
    entra_groups,
    entra_sign_in,
    governance,
    managed_identity_roles,
    secretless,
    secrets,
    tags_and_protect,
    uc_grants,
    workspace,
    workspace_encryption,
    workspace_logs,
    workspace_private_link,
    workspace_subnets,
)
from ._policy import Family
from ._sdk import install_secret_markers

install_secret_markers()

PACK_NAME = "databricks-ml-entra-baseline"
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

FAMILIES: tuple[Family, ...] = (
    workspace.policy,
    workspace_private_link.policy,
    workspace_logs.policy,
    workspace_encryption.policy,
    workspace_subnets.policy,
    tags_and_protect.policy,
    entra_apps.policy,
    entra_credentials.policy,
    entra_sign_in.policy,
    entra_groups.policy,
    conditional_access.policy,
    databricks_models.policy,
    databricks_identities.policy,
    databricks_acls.policy,
    uc_grants.policy,
    secrets.policy,
    secretless.policy,
    managed_identity_roles.policy,
    governance.policy,
)

DOMAINS: dict[str, list[Policy]] = {}
for _family in FAMILIES:
    DOMAINS.setdefault(_family.domain, []).extend(_family.policies)

ALL_POLICIES: list[Policy] = [policy for policies in DOMAINS.values() for policy in policies]

__all__ = ["ALL_POLICIES", "DOMAINS", "FAMILIES", "PACK_ENFORCEMENT_LEVEL", "PACK_NAME"]
