"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine> .`` in this folder).

Constructing the PolicyPack starts the analyzer gRPC server and never returns, so nothing
else may live here; the rules are in the ``rules`` package next to this file.

The pack process lives for one preview or update and its garbage is acyclic request data, but
the SDK rebuilds every resource of the stack for each stack policy: with the default
thresholds the collector rescans the long-lived heap over and over. The imported code is
frozen out of collections and young objects are collected less often.

``install_request_reuse`` (rules/_sdk.py) makes the SDK's servicer build each request's
arguments once instead of once per policy, and parse the stack config once (bench/RESULTS.md).
"""

import gc

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import ALL_POLICIES
from rules._sdk import install_request_reuse

install_request_reuse()
gc.freeze()
gc.set_threshold(10_000, 50, 100)

PolicyPack(
    name="databricks-ml-entra-baseline",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
)
