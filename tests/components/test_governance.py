"""Rules the governance component must satisfy, on the real program's plan.

Both stacks declare one catalog, one package + policy per requestable group with the group as its
resource, and the PIM eligibility of the admin group; the wire values are ones the azuread
provider and Microsoft Graph accept; resources grow with groups, never with people; the policy
pack's copies of the facts agree with the settings.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pytest

from components.governance import activation_duration
from gate.capture import Plan
from gate.tokens import ASSIGNMENT_POLICY as POLICY
from gate.tokens import (
    CATALOG_RESOURCE,
    ELIGIBILITY,
    PACKAGE_RESOURCE,
    ROLE_POLICY,
)
from gate.tokens import ENTRA_GROUP as GROUP
from settings import Settings
from settings.model import ACCESS_DURATION_CEILING_DAYS, ACTIVATION_CEILING_HOURS, Role
from tests.conftest import NS, ROOT, plan_for

CATALOG = "azuread:index/accessPackageCatalog:AccessPackageCatalog"
PACKAGE = "azuread:index/accessPackage:AccessPackage"
GOVERNANCE_TYPES = (CATALOG, PACKAGE, CATALOG_RESOURCE, PACKAGE_RESOURCE, POLICY, ROLE_POLICY,
                    ELIGIBILITY)

# Values the azuread 6.11 docstrings (and the Graph types behind them) accept.
SCOPE_TYPES = {"AllConfiguredConnectedOrganizationSubjects",
               "AllExistingConnectedOrganizationSubjects", "AllExistingDirectoryMemberUsers",
               "AllExistingDirectorySubjects", "AllExternalSubjects", "NoSubjects",
               "SpecificConnectedOrganizationSubjects", "SpecificDirectorySubjects"}
SUBJECT_TYPES = {"singleUser", "groupMembers", "connectedOrganizationMembers",
                 "requestorManager", "internalSponsors", "externalSponsors"}
FREQUENCIES = {"weekly", "monthly", "quarterly", "halfyearly", "annual"}
REVIEW_TYPES = {"Manager", "Reviewers", "Self"}
TIMEOUTS = {"keepAccess", "removeAccess", "acceptAccessRecommendation"}
ACTIVE_EXPIRY = {"P15D", "P30D", "P90D", "P180D", "P365D"}
PEOPLE = [f"{i:08x}-2000-4000-8000-{i:012x}" for i in range(1, 1001)]
STACKS = ("dev", "prod")


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest, plan_dev: Plan, plan_prod: Plan,
          settings_dev: Settings, settings_prod: Settings) -> tuple[Plan, Settings]:
    return {"dev": (plan_dev, settings_dev), "prod": (plan_prod, settings_prod)}[request.param]


def _group_ids(plan: Plan, settings: Settings) -> dict[str, str]:
    by_name = {g.inputs["displayName"]: g.outputs["objectId"] for g in plan.by_type(GROUP)}
    return {k: by_name[g.display_name] for k, g in settings.groups.items()}


def _by_id(plan: Plan, token: str) -> dict[str, Any]:
    return {r.id: r for r in plan.by_type(token)}


def test_one_catalog_and_one_package_per_requestable_group(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    assert settings.governance is not None
    requestable = settings.governance.access_packages
    (catalog,) = plan.by_type(CATALOG)
    assert catalog.inputs["externallyVisible"] is False
    packages = plan.by_type(PACKAGE)
    assert sorted(p.inputs["displayName"] for p in packages) == sorted(
        settings.groups[k].display_name for k in requestable)
    assert all(p.inputs["catalogId"] == catalog.id for p in packages)
    assert len(plan.by_type(POLICY)) == len(requestable)


def test_each_package_grants_member_of_exactly_its_group(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    ids = _group_ids(plan, settings)
    catalog_resources = _by_id(plan, CATALOG_RESOURCE)
    packages = _by_id(plan, PACKAGE)
    granted: dict[str, str] = {}
    for assoc in plan.by_type(PACKAGE_RESOURCE):
        assert assoc.inputs["accessType"] == "Member"
        resource = catalog_resources[assoc.inputs["catalogResourceAssociationId"]]
        assert resource.inputs["resourceOriginSystem"] == "AadGroup"
        package = packages[assoc.inputs["accessPackageId"]]
        granted[package.inputs["displayName"]] = resource.inputs["resourceOriginId"]
    assert settings.governance is not None
    assert granted == {settings.groups[k].display_name: ids[k]
                       for k in settings.governance.access_packages}


def test_assignment_policies_use_wire_values_the_provider_accepts(
        stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    assert settings.governance is not None
    packages = _by_id(plan, PACKAGE)
    ceiling = ACCESS_DURATION_CEILING_DAYS[settings.environment.value]
    for policy in plan.by_type(POLICY):
        inputs = policy.inputs
        assert inputs["accessPackageId"] in packages
        assert 1 <= inputs["durationInDays"] <= ceiling
        assert inputs["requestorSettings"]["scopeType"] in SCOPE_TYPES
        approval = inputs["approvalSettings"]
        for stage in approval.get("approvalStages", []):
            assert 1 <= stage["approvalTimeoutInDays"] <= 14
            assert stage["primaryApprovers"]
            assert {a["subjectType"] for a in stage["primaryApprovers"]} <= SUBJECT_TYPES
        for requestor in inputs["requestorSettings"].get("requestors", []):
            assert requestor["subjectType"] in SUBJECT_TYPES
        review = inputs["assignmentReviewSettings"]
        if review["enabled"]:
            assert review["reviewFrequency"] in FREQUENCIES
            assert review["reviewType"] in REVIEW_TYPES
            assert review["accessReviewTimeoutBehavior"] in TIMEOUTS
            if review["reviewType"] == "Reviewers":
                assert review["reviewers"]


def test_owners_approve_by_default(plan_dev: Plan, settings_dev: Settings) -> None:
    """dev's data-scientists package names no approvers: its owners approve."""
    package = next(p for p in plan_dev.by_type(POLICY)
                   if p.name == "governance-data-scientists-policy")
    (stage,) = package.inputs["approvalSettings"]["approvalStages"]
    owners = settings_dev.groups["data-scientists"].owners
    assert stage["primaryApprovers"] == [{"subjectType": "singleUser", "objectId": o}
                                         for o in owners]


def test_prod_requestable_access_is_approved_expiring_and_reviewed(plan_prod: Plan) -> None:
    for policy in plan_prod.by_type(POLICY):
        approval = policy.inputs["approvalSettings"]
        assert approval["approvalRequired"] is True
        assert approval["requestorJustificationRequired"] is True
        assert approval["approvalRequiredForExtension"] is True
        assert policy.inputs["durationInDays"] <= ACCESS_DURATION_CEILING_DAYS["prod"]
        review = policy.inputs["assignmentReviewSettings"]
        assert review["enabled"] is True
        assert review["accessReviewTimeoutBehavior"] == "removeAccess"
    two_stage = next(p for p in plan_prod.by_type(POLICY)
                     if p.name == "governance-ml-engineers-policy")
    stages = two_stage.inputs["approvalSettings"]["approvalStages"]
    assert [s["primaryApprovers"][0]["subjectType"] for s in stages] == [
        "requestorManager", "singleUser"]


def test_admin_groups_are_reached_just_in_time(stack: tuple[Plan, Settings]) -> None:
    plan, settings = stack
    ids = _group_ids(plan, settings)
    assert settings.governance is not None
    env = settings.environment.value
    for key in settings.admin_groups:
        pim = settings.governance.privileged_access[key]
        (eligible,) = [e for e in plan.by_type(ELIGIBILITY) if e.inputs["groupId"] == ids[key]]
        assert eligible.inputs["principalId"] == pim.eligible_group_object_id
        assert eligible.inputs["assignmentType"] == "member"
        assert eligible.inputs["principalId"] not in (
            settings.conditional_access.break_glass_group_object_ids)
        (policy,) = [p for p in plan.by_type(ROLE_POLICY) if p.inputs["groupId"] == ids[key]]
        assert policy.inputs["roleId"] == "member"
        rules = policy.inputs["activationRules"]
        assert rules["maximumDuration"] == activation_duration(pim.max_activation_hours)
        assert pim.max_activation_hours <= ACTIVATION_CEILING_HOURS[env]
        assert rules["requireJustification"] is True
        assert rules["requireMultifactorAuthentication"] is True
        assert policy.inputs["activeAssignmentRules"]["expirationRequired"] is True
        assert policy.inputs["activeAssignmentRules"]["expireAfter"] in ACTIVE_EXPIRY
        assert policy.urn in [u for u in eligible.dependencies], "policy before eligibility"


def test_pim_takes_object_ids_not_resource_ids(stack: tuple[Plan, Settings]) -> None:
    """The provider validates group_id as a UUID: the group's object id, not "/groups/<id>"."""
    plan, _ = stack
    for r in plan.by_type(ROLE_POLICY) + plan.by_type(ELIGIBILITY):
        assert not str(r.inputs["groupId"]).startswith("/"), r.name


@pytest.mark.parametrize("hours,wire", [(1, "PT1H"), (8, "PT8H"), (23, "PT23H"), (24, "P1D")])
def test_activation_duration_wire_format(hours: int, wire: str) -> None:
    assert activation_duration(hours) == wire


def test_governance_is_protected_in_prod_only(plan_dev: Plan, plan_prod: Plan) -> None:
    protected = (CATALOG, PACKAGE, POLICY, ROLE_POLICY, ELIGIBILITY)
    assert all(r.protect for t in protected for r in plan_prod.by_type(t))
    assert not any(r.protect for t in protected for r in plan_dev.by_type(t))


def test_every_governance_resource_is_traced_to_its_config_key(plan_prod: Plan,
                                                               settings_prod: Settings) -> None:
    from gate.trace import trace

    trace(plan_prod.resources, settings_prod)
    for token in GOVERNANCE_TYPES:
        for r in plan_prod.by_type(token):
            assert r.source_key.startswith(f"{NS}:governance"), (r.name, r.source_key)


# --- scale and opt-in -----------------------------------------------------------------------------


def _counts(plan: Plan) -> Counter[str]:
    return Counter(r.type for r in plan.resources if r.type in GOVERNANCE_TYPES)


@cache
def _plan(stack: str, mutation: str) -> Plan:
    def more_people(cfg: dict[str, Any]) -> None:
        gov = cfg[f"{NS}:governance"]
        for pkg in gov["accessPackages"].values():
            if pkg["requestors"]["scope"] == "groups":
                pkg["requestors"]["groupObjectIds"] += PEOPLE[:20]

    def one_more_group(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:groups"]["feature-engineers"] = {
            "displayName": "sg-dbx-prod-feature-engineers", "description": "Feature pipelines.",
            "owners": ["aaaaaaaa-0000-0000-0000-000000000002"], "role": "engineer"}
        cfg[f"{NS}:governance"]["accessPackages"]["feature-engineers"] = {
            "requestors": {"scope": "groups",
                           "groupObjectIds": ["cccccccc-0000-0000-0000-000000000003"]},
            "durationDays": 60,
            "review": {"frequency": "quarterly", "onNoResponse": "removeAccess"}}

    def opted_out(cfg: dict[str, Any]) -> None:
        cfg.pop(f"{NS}:governance")

    fns = {"more_people": more_people, "one_more_group": one_more_group, "opted_out": opted_out}
    return plan_for(stack, fns[mutation])


def test_requesting_groups_do_not_add_resources(plan_prod: Plan) -> None:
    assert _counts(_plan("prod", "more_people")) == _counts(plan_prod)


def test_one_more_requestable_group_adds_exactly_one_package(plan_prod: Plan) -> None:
    added = _counts(_plan("prod", "one_more_group")) - _counts(plan_prod)
    assert added == Counter({PACKAGE: 1, POLICY: 1, CATALOG_RESOURCE: 1, PACKAGE_RESOURCE: 1})


def test_opting_out_declares_nothing(plan_dev: Plan) -> None:
    assert _counts(_plan("dev", "opted_out")) == Counter()


# --- one owner per fact: the pack's copies agree with the settings ----------------------------


@pytest.mark.parametrize("name", STACKS)
def test_policy_config_agrees_with_settings(name: str, settings_dev: Settings,
                                            settings_prod: Settings) -> None:
    settings = {"dev": settings_dev, "prod": settings_prod}[name]
    config = json.loads((ROOT / "policies" / "config" / f"{name}.json").read_text())
    jit = config["entra-admin-groups-just-in-time"]
    assert sorted(jit["adminGroupNames"]) == sorted(
        g.display_name for g in settings.groups.values() if g.role is Role.ADMIN)
    assert sorted(jit["breakGlassGroupObjectIds"]) == sorted(
        settings.conditional_access.break_glass_group_object_ids)
    assert settings.governance is not None
    assert sorted(jit["standingMemberExceptions"]) == sorted(
        settings.governance.standing_admin_members)
    ceiling = ACCESS_DURATION_CEILING_DAYS[settings.environment.value]
    assert config["entra-access-package-approval-and-expiry"]["maxDurationDays"] == ceiling
