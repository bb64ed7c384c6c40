"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine> .`` in this folder).

Constructing the PolicyPack starts the analyzer gRPC server and never returns, so nothing
else may live here; the rules are in the ``rules`` package next to this file.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import ALL_POLICIES

PolicyPack(
    name="databricks-ml-entra-baseline",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
)
