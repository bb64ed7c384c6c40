"""Microsoft's well-known application ids: the one owner of each for the program and the gate.

The policy pack is an independent control and does not import settings: it keeps its own copy
(policies/rules/_common.py); tests/policies/test_policy_copies_agree.py asserts they agree.
"""

from __future__ import annotations

# The first-party Azure Databricks application (the resource every workspace token is for).
AZURE_DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
# Microsoft Graph.
MS_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# GitHub Actions' OIDC issuer, and the audience Entra expects of a federated token.
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
