"""The rules of the databricks-ml-entra-baseline policy pack.

Importing this package installs the secret-marking hook (see :mod:`rules._sdk`) so that rules
can tell Pulumi secrets from plaintext, then exposes every policy as :data:`ALL_POLICIES`.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import (
    conditional_access,
    databricks_access,
    entra,
    governance,
    identities,
    secrets,
    workspace,
)
from ._sdk import install_secret_markers

install_secret_markers()

PACK_NAME = "databricks-ml-entra-baseline"
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

DOMAINS = {
    "workspace": workspace.POLICIES,
    "entra": entra.POLICIES,
    "conditional-access": conditional_access.POLICIES,
    "databricks-access": databricks_access.POLICIES,
    "secrets": secrets.POLICIES,
    "identities": identities.POLICIES,
    "governance": governance.POLICIES,
}

ALL_POLICIES: list[Policy] = [policy for policies in DOMAINS.values() for policy in policies]

__all__ = ["ALL_POLICIES", "DOMAINS", "PACK_ENFORCEMENT_LEVEL", "PACK_NAME"]
