"""The deployer's environment: Databricks authentication without personal access tokens.

Provider inputs must be identical whoever deploys (a person with the Azure CLI, CI with GitHub
OIDC), or every alternate run shows a provider diff. So no authentication setting is ever put
into a provider's inputs: the Databricks SDK reads ``DATABRICKS_AUTH_TYPE`` and the ``ARM_*``
variables from the environment at run time. What the environment may hold is checked here,
before a single resource is registered (the program and the gate both call
:func:`check_environment`; exit 2 on a problem).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from settings.errors import Problem, SettingsError

AZURE_AUTH_TYPES = ("azure-cli", "azure-msi", "github-oidc-azure", "azure-client-secret")
# Environment variables that make the Databricks SDK authenticate with a static Databricks
# credential (personal access token, basic auth) or a config-file profile that may hold one.
STATIC_CREDENTIAL_VARIABLES = ("DATABRICKS_TOKEN", "DATABRICKS_PASSWORD",
                               "DATABRICKS_CONFIG_PROFILE")


def environment_problems(environ: Mapping[str, str]) -> list[Problem]:
    """Every way ``environ`` would make Databricks authenticate other than through Entra ID."""
    problems: list[Problem] = []
    chosen = environ.get("DATABRICKS_AUTH_TYPE", "")
    if chosen and chosen not in AZURE_AUTH_TYPES:
        problems.append(Problem(
            "env:DATABRICKS_AUTH_TYPE", "is not an Azure (Entra ID) authentication type; this "
            "project never uses personal access tokens",
            f"unset it or use one of: {', '.join(AZURE_AUTH_TYPES)} (people: azure-cli; GitHub "
            "Actions: github-oidc-azure)", chosen, True))
    for name in STATIC_CREDENTIAL_VARIABLES:
        if environ.get(name):
            problems.append(Problem(
                f"env:{name}", "is set: the Databricks SDK would authenticate with a static "
                "Databricks credential (personal access token or a config-file profile) instead "
                "of Entra ID", f"unset {name} and sign in with `az login` (or OIDC in CI)"))
    return problems


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Raise :class:`SettingsError` when the environment would authenticate with a static token."""
    problems = environment_problems(os.environ if environ is None else environ)
    if problems:
        raise SettingsError(problems, "the deployer's environment")
