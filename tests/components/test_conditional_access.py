"""Rules the conditional access component must satisfy, on the real program's plan.

Break-glass (and only break-glass, unless recorded) is excluded, prod enforces and dev reports,
Azure Databricks and the client app require MFA for the mapped groups, the named locations are
used by a policy, and every enum value is one Microsoft Graph documents for
conditionalAccessPolicy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from components.conditional_access import (
    AZURE_DATABRICKS_APP_ID,
    ConditionalAccessArgs,
    SignInFrequency,
    check_args,
    policy_specs,
    sign_in_frequency,
)
from gate.capture import Plan
from gate.model import CapturedResource
from settings import Settings
from settings.model import ConditionalAccess
from tests.conftest import NS, plan_for

POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
NAMED_LOCATION = "azuread:index/namedLocation:NamedLocation"
STACKS = ("dev", "prod")
# Microsoft Graph conditionalAccessPolicy enums (conditionalAccessConditionSet.clientAppTypes,
# conditionalAccessGrantControls.builtInControls, signInFrequencySessionControl).
GRAPH_CLIENT_APP_TYPES = {"all", "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync",
                          "other"}
GRAPH_BUILT_IN_CONTROLS = {"block", "mfa", "compliantDevice", "domainJoinedDevice",
                           "approvedApplication", "compliantApplication", "passwordChange"}
GRAPH_STATES = {"enabled", "disabled", "enabledForReportingButNotEnforced"}
EXPECTED_STATE = {"dev": "enabledForReportingButNotEnforced", "prod": "enabled"}


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[str, Plan, Settings]:
    plans = {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}
    return (request.param, *plans[request.param])


def controls(policy: CapturedResource) -> set[str]:
    return set(policy.inputs.get("grantControls", {}).get("builtInControls", []))


def client_app_types(policy: CapturedResource) -> set[str]:
    return set(policy.inputs["conditions"]["clientAppTypes"])


def mapped_group_ids(plan: Plan, settings: Settings) -> set[str]:
    return {plan.outputs["groupObjectIds"][k] for k in settings.mapped_groups}


def databricks_apps(plan: Plan) -> set[str]:
    """Azure Databricks and, when the stack has one, the client app."""
    return {AZURE_DATABRICKS_APP_ID, plan.outputs["clientAppClientId"]}


def compliant_outside(config: dict[str, Any]) -> None:
    """Prod asking for a compliant device (instead of blocking) outside the trusted locations,
    with one further exclusion recorded with its reason."""
    ca = config[f"{NS}:conditionalAccess"]
    ca["outsideTrustedLocations"] = "requireCompliantDevice"
    ca["recordedExclusions"] = {"sync-accounts": {
        "objectId": RECORDED, "reason": "Directory sync accounts sign in from the datacenter."}}


RECORDED = "dddddddd-0000-0000-0000-000000000001"


@cache
def plan_compliant_outside() -> Plan:
    return plan_for("prod", compliant_outside)


def location_policies(plan: Plan) -> list[CapturedResource]:
    return [p for p in plan.by_type(POLICY) if "locations" in p.inputs["conditions"]]


# --- every policy -----------------------------------------------------------------------------

def test_every_policy_excludes_break_glass(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    policies = plan.by_type(POLICY)
    assert policies
    break_glass = set(settings.conditional_access.break_glass_group_object_ids)
    assert break_glass
    for p in policies:
        excluded = set(p.inputs["conditions"]["users"].get("excludedGroups", []))
        assert break_glass <= excluded, p.name


def test_policies_exclude_exactly_break_glass_and_recorded_exclusions(
        stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    break_glass = set(settings.conditional_access.break_glass_group_object_ids)
    for p in plan.by_type(POLICY):
        users = p.inputs["conditions"]["users"]
        assert set(users["excludedGroups"]) == break_glass, p.name
        assert not users.get("excludedUsers") and not users.get("excludedRoles"), p.name
    recorded = plan_compliant_outside()
    for p in recorded.by_type(POLICY):
        assert set(p.inputs["conditions"]["users"]["excludedGroups"]) == break_glass | {RECORDED}


def test_prod_enforces_and_dev_reports_only(stack: tuple[str, Plan, Settings]) -> None:
    name, plan, _ = stack
    assert {p.inputs["state"] for p in plan.by_type(POLICY)} == {EXPECTED_STATE[name]}


def test_every_policy_targets_both_databricks_apps_and_the_mapped_groups(
        stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    for p in plan.by_type(POLICY):
        conditions = p.inputs["conditions"]
        assert set(conditions["applications"]["includedApplications"]) == databricks_apps(plan)
        assert set(conditions["users"]["includedGroups"]) == mapped_group_ids(plan, settings)
        assert "includedUsers" not in conditions["users"]


def test_every_enum_value_is_one_graph_documents(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, _ = stack
    for p in plan.by_type(POLICY):
        assert p.inputs["state"] in GRAPH_STATES
        assert client_app_types(p) <= GRAPH_CLIENT_APP_TYPES, p.name
        assert controls(p) <= GRAPH_BUILT_IN_CONTROLS, p.name
        grant = p.inputs.get("grantControls")
        assert grant is None or grant["operator"] in {"AND", "OR"}
        session = p.inputs.get("sessionControls")
        if session:
            assert session["signInFrequencyPeriod"] in {"hours", "days"}
            assert session["signInFrequencyInterval"] == "timeBased"
        assert grant or session, f"{p.name} has neither grant nor session controls"


# --- specific policies ---------------------------------------------------------------------------

def test_databricks_apps_require_mfa(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    mfa = [p for p in plan.by_type(POLICY) if "mfa" in controls(p)]
    assert mfa, "an MFA policy"
    assert any(client_app_types(p) == {"all"}
               and databricks_apps(plan) <= set(
                   p.inputs["conditions"]["applications"]["includedApplications"])
               and mapped_group_ids(plan, settings) <= set(
                   p.inputs["conditions"]["users"]["includedGroups"])
               for p in mfa)


def test_no_policy_is_a_no_op_scoped_to_legacy_clients(stack: tuple[str, Plan, Settings]) -> None:
    """Legacy clients cannot sign in to these apps at all: a legacy block on them is a no-op."""
    _, plan, _ = stack
    assert all(client_app_types(p) == {"all"} for p in plan.by_type(POLICY))


def test_compliant_device_everywhere_only_when_configured(
        stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    compliant = [p for p in plan.by_type(POLICY) if "compliantDevice" in controls(p)
                 and "locations" not in p.inputs["conditions"]]
    assert len(compliant) == int(settings.conditional_access.require_compliant_device)


def test_sign_in_frequency_matches_config(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    hours = settings.conditional_access.sign_in_frequency_hours
    sessions = [p.inputs["sessionControls"] for p in plan.by_type(POLICY)
                if p.inputs.get("sessionControls")]
    if hours is None:
        assert sessions == []
        return
    (session,) = sessions
    unit = {"hours": 1, "days": 24}[session["signInFrequencyPeriod"]]
    assert session["signInFrequency"] * unit == hours


def test_named_locations_mirror_config(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    named = settings.conditional_access.named_locations
    declared = {loc.display_name: loc for loc in named.values()}
    locations = plan.by_type(NAMED_LOCATION)
    assert {n.inputs["displayName"] for n in locations} == set(declared)
    for n in locations:
        loc = declared[n.inputs["displayName"]]
        assert n.inputs["ip"] == {"ipRanges": list(loc.ip_ranges), "trusted": loc.trusted}


def test_every_named_location_is_used_by_a_policy(stack: tuple[str, Plan, Settings]) -> None:
    _, plan, settings = stack
    ca = settings.conditional_access
    assert ca.named_locations and ca.outside_trusted_locations != "none"
    (policy,) = location_policies(plan)
    expected = {"block": {"block"}, "requireCompliantDevice": {"compliantDevice"}}
    assert controls(policy) == expected[ca.outside_trusted_locations]
    excluded = set(policy.inputs["conditions"]["locations"]["excludedLocations"])
    assert excluded == {n.outputs["objectId"] for n in plan.by_type(NAMED_LOCATION)}


def test_outside_trusted_locations_applies_everywhere_but_trusted_locations() -> None:
    plan = plan_compliant_outside()
    (policy,) = location_policies(plan)
    assert controls(policy) == {"compliantDevice"}
    assert client_app_types(policy) == {"all"}
    locations = policy.inputs["conditions"]["locations"]
    assert locations["includedLocations"] == ["All"]
    trusted = {n.outputs["objectId"] for n in plan.by_type(NAMED_LOCATION)
               if n.inputs["ip"]["trusted"]}
    assert trusted and set(locations["excludedLocations"]) == trusted
    assert not any(x.startswith("/") for x in locations["excludedLocations"]), "bare object ids"


# --- pure helpers ----------------------------------------------------------------------

@pytest.mark.parametrize(("hours", "expected"), [
    (1, SignInFrequency(1, "hours")), (8, SignInFrequency(8, "hours")),
    (23, SignInFrequency(23, "hours")), (24, SignInFrequency(1, "days")),
    (30, SignInFrequency(1, "days")), (720, SignInFrequency(30, "days")),
])
def test_sign_in_frequency_is_never_looser_than_configured(
        hours: int, expected: SignInFrequency) -> None:
    result = sign_in_frequency(hours)
    assert result == expected
    assert result.value * {"hours": 1, "days": 24}[result.period] <= hours


def test_minimal_config_still_requires_mfa() -> None:
    ca = ConditionalAccess.model_validate({
        "state": "enabled", "breakGlassGroupObjectIds": ["bbbbbbbb-0000-0000-0000-000000000001"]})
    assert [s.key for s in policy_specs(ca)] == ["require-mfa"]


def _args(ca: dict[str, Any], groups: dict[str, Any]) -> ConditionalAccessArgs:
    return ConditionalAccessArgs(conditional_access=ConditionalAccess.model_validate(ca),
                                 group_object_ids=groups, client_app_client_id="x",
                                 environment="dev")


def test_a_policy_without_groups_is_refused() -> None:
    with pytest.raises(ValueError, match="mapped group"):
        check_args(_args({"state": "enabled"}, {}))


def test_a_location_block_without_a_trusted_location_is_refused() -> None:
    ca = {"state": "enabled", "outsideTrustedLocations": "block",
          "namedLocations": {"x": {"displayName": "x", "ipRanges": ["192.0.2.0/24"],
                                   "trusted": False}}}
    with pytest.raises(ValueError, match="trusted"):
        check_args(_args(ca, {"g": "id"}))
