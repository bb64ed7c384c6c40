"""Issue 14.3: no config crashes the program. Property-based tests over the shipped stacks.

Hypothesis derives configs from ``Pulumi.dev.yaml`` and ``Pulumi.prod.yaml`` by type
confusion at any path, boundary values, deleted keys and cross-section combinations of
switches, and asserts that settings either accept the config or refuse it with a
SettingsError (gate exit 2) - never another exception. Configs that settings accept are then run
through the real program under mocks: no component may raise on a config settings accepted.

Default run: a few thousand settings-level examples (fast) and a small program-level subset.
``FUZZ_HEAVY=1`` runs the slow-marked generators with many more examples.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.capture import capture
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from settings.yaml12 import YamlRefused, parse_text
from tests.conftest import NS, stack_document

HEAVY = os.environ.get("FUZZ_HEAVY") == "1"
STACKS = ("dev", "prod")
BASE = {s: stack_document(s) for s in STACKS}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


PATHS = {s: _paths(BASE[s]["config"]) for s in STACKS}

WEIRD: list[Any] = [
    None, 0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**400, 1.5, -0.0, math.inf, -math.inf,
    math.nan, True, False, "", " ", "x" * 257, "y" * 4097, "0", "true", "yes", "no", "null",
    "\u202e", "\u200b", "a\x00b", "\ud800", "💥" * 70, [], {}, [None], [[]], {"": None},
    {"a": {"b": {"c": []}}}, ["x"] * 30, {"secure": "v1:abc"}, "https://localhost/cb",
    "00000000-0000-0000-0000-000000000000", "10.0.0.0/8", "::/0", "256.0.0.0/24",
    "CAN_MANAGE", ["MANAGE", "ALL_PRIVILEGES"], "admin", "scim", "workspace", "Enabled",
]
BOUNDARY_INTS = [0, 1, 6, 7, 8, 29, 30, 31, 179, 180, 181, 364, 365, 366, 719, 720, 721, 730,
                 731, 100000]
BOUNDARY_STRINGS = [n * "a" for n in (0, 1, 2, 3, 23, 24, 25, 62, 63, 64, 65, 90, 119, 120, 121,
                                      127, 128, 255, 256, 257, 512, 513, 601)]

values = st.one_of(
    st.sampled_from(WEIRD), st.sampled_from(BOUNDARY_INTS), st.sampled_from(BOUNDARY_STRINGS),
    st.text(max_size=40), st.integers(), st.floats(),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6))

SWITCHES: dict[str, list[Any]] = {
    "databricks.identityMode": ["account", "workspace"],
    "provisioning": [None, {"mode": "automatic-identity-management"}, {"mode": "scim"},
                     {"mode": "scim",
                      "scimServicePrincipalObjectId": "cccccccc-0000-0000-0000-000000000001"}],
    "scimToken": [None, {"secure": "v1:abc"}, ""],
    "workspace.publicNetworkAccess": ["Enabled", "Disabled"],
    "workspace.privateLink": [{"enabled": True}, {"enabled": False},
                              {"enabled": True, "browserAuthentication": True}],
    "workspace.customerManagedKeys": [
        None, {"keyVaultUri": "https://kv.vault.azure.net/"},
        {"keyVaultUri": "https://kv.vault.azure.net/", "managedServicesKeyName": "k",
         "managedServicesKeyVersion": "1"}],
    "workspace.enhancedSecurityCompliance": [
        None, {"enabled": False}, {"enabled": True, "complianceStandards": ["HIPAA"]}],
    "conditionalAccess.state": ["enabled", "enabledForReportingButNotEnforced", "disabled"],
    "conditionalAccess.breakGlassGroupObjectIds": [[], ["bbbbbbbb-0000-0000-0000-000000000001"]],
    "protect": [True, False],
    "replacementLock": [None],
    "network.privateEndpointSubnetCidr": [None, "10.50.4.0/27", "10.20.2.0/27"],
    "models.churn-legacy.registry": ["workspace", "unity-catalog"],
    "models.credit-default.registry": ["workspace", "unity-catalog"],
    "servicePrincipals.batch-scoring.kind": ["federated", "secret", "managed-identity"],
    "servicePrincipals.risk-agent.kind": ["federated", "secret", "managed-identity"],
    "servicePrincipals.ci-deployer.role": ["admin", "automation", "agent"],
    "groups.platform-admins.role": [None, "admin", "engineer"],
    "groups.auditors.role": [None, "auditor"],
    "audit.entraLogs": [True, False],
    "network.hub": [None],
    "network.hub.peering": [None, {"declareHubSide": True},
                            {"useRemoteGateways": True, "allowForwardedTraffic": True}],
    "network.hub.privateDnsZoneId": [None],
}


def _set(config: dict[str, Any], dotted: str, value: Any) -> None:
    head, *rest = dotted.split(".")
    key = f"{NS}:{head}"
    if not rest:
        if value is None:
            config.pop(key, None)
        else:
            config[key] = copy.deepcopy(value)
        return
    node = config.get(key)
    for part in rest[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        if value is None:
            node.pop(rest[-1], None)
        else:
            node[rest[-1]] = copy.deepcopy(value)


def _replace(config: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> None:
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    elif delete and isinstance(node, list):
        node.pop(path[-1])
    else:
        node[path[-1]] = value


@st.composite
def configs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(STACKS))
    config = copy.deepcopy(BASE[stack]["config"])
    for name in draw(st.lists(st.sampled_from(sorted(SWITCHES)), max_size=6, unique=True)):
        _set(config, name, draw(st.sampled_from(SWITCHES[name])))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(config)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        # A copy: sampled values (WEIRD) are shared objects, and a later replacement inside
        # one must not change what the next example draws (hypothesis: FlakyStrategyDefinition).
        _replace(config, path, copy.deepcopy(draw(values)), draw(st.booleans()))
    return stack, config


def _parse(stack: str, config: dict[str, Any]) -> Any:
    doc = {"config": config}
    try:
        return parse(raw_from_stack_document(doc, "x"), stack=stack), raw_from_stack_document(
            doc, "x")
    except SettingsError as exc:
        exc.render()  # rendering must not raise either
        return None, None


FAST = settings(max_examples=500 if not HEAVY else 20000, deadline=None, derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(configs())
def test_settings_accept_or_refuse_every_generated_config(
        case: tuple[str, dict[str, Any]]) -> None:
    _parse(*case)


@FAST
@given(st.sampled_from(STACKS), st.dictionaries(
    st.text(max_size=30).map(lambda k: k if ":" in k or not k else f"{NS}:{k}"), values,
    max_size=8))
def test_settings_survive_arbitrary_top_level_maps(stack: str, config: dict[str, Any]) -> None:
    merged = {**BASE[stack]["config"], **config}
    _parse(stack, merged)


YAML_FAST = settings(max_examples=500 if not HEAVY else 20000, deadline=None, derandomize=True,
                     database=None, suppress_health_check=[HealthCheck.too_slow])
PROD_TEXT = yaml.safe_dump(BASE["prod"], sort_keys=False)


@YAML_FAST
@given(st.one_of(
    st.text(alphabet=st.sampled_from(list("{}[]:,-?!&*|>'\"#%@`\n\t abyn01.~")), max_size=80),
    st.tuples(st.integers(0, len(PROD_TEXT)), st.text(max_size=12)).map(
        lambda t: PROD_TEXT[:t[0]] + t[1] + PROD_TEXT[t[0]:]),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_loader_fuzz_refuses_or_reads(text: str) -> None:
    """The loader over mutated stack files and YAML-ish noise: a value or YamlRefused."""
    try:
        parse_text(text)
    except YamlRefused as exc:
        assert str(exc)


def _program_runs(case: tuple[str, dict[str, Any]]) -> None:
    stack, config = case
    parsed, raw = _parse(stack, config)
    if parsed is None:
        return
    capture(stack, raw)  # a component raising on a config settings accepted is a bug


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(configs())
def test_program_runs_on_every_accepted_config_subset(
        case: tuple[str, dict[str, Any]]) -> None:
    _program_runs(case)


@pytest.mark.slow
@pytest.mark.skipif(not HEAVY, reason="set FUZZ_HEAVY=1 for the heavy program-level generator")
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(configs())
def test_program_runs_on_every_accepted_config(case: tuple[str, dict[str, Any]]) -> None:
    _program_runs(case)
