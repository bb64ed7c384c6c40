"""Entra ID Governance rules: access packages and just-in-time admin through PIM for groups.

Two kinds of test: the case table (a compliant resource, one thing broken per case, so each
case proves exactly one cause), and drift tests that take the real program's plan for the prod
stack, change one input of a governance component's resource (as a hand edit or a provider
default would) and see the rule fire through the pack's analyzer.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_harness import (
    BREAK_GLASS_GROUP_ID,
    DELETE,
    OWNER_ID,
    UNKNOWN,
    Case,
    Res,
    Secret,
    check_case,
    passes,
    preview,
    violation,
)

from gate import model as gate_model
from gate.capture import Plan

APPROVAL = "entra-access-package-approval-and-expiry"
REVIEW = "entra-access-review-removes-on-no-response"
JIT = "entra-admin-groups-just-in-time"
OPEN = "entra-access-package-no-open-self-service"

POLICY_TYPE = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
GROUP = "azuread:index/group:Group"
GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
ELIGIBILITY = ("azuread:index/privilegedAccessGroupEligibilitySchedule:"
               "PrivilegedAccessGroupEligibilitySchedule")
ACTIVE = ("azuread:index/privilegedAccessGroupAssignmentSchedule:"
          "PrivilegedAccessGroupAssignmentSchedule")
ROLE_POLICY = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"

ADMIN_NAME = "sg-dbx-prod-platform-admins"  # prod.json's adminGroupNames
ADMIN_ID = "a0a0a0a0-0000-4000-8000-000000000001"
ELIGIBLE_ID = "cccccccc-0000-0000-0000-000000000010"
REQUESTORS_ID = "cccccccc-0000-0000-0000-000000000001"
PERSON = "dddddddd-0000-4000-8000-000000000001"
PROD_BREAK_GLASS = "bbbbbbbb-0000-0000-0000-000000000001"  # Pulumi.prod.yaml and prod.json


def assignment_policy() -> Res:
    """What the component declares for a prod requestable group."""
    return Res(POLICY_TYPE, "governance-data-scientists-policy", {
        "accessPackageId": "4eebd9f2-8f28-5f5d-a3e7-88f881abd01f",
        "displayName": "sg-dbx-prod-data-scientists requests",
        "description": "Who may request it.",
        "durationInDays": 90,
        "extensionEnabled": True,
        "requestorSettings": {
            "scopeType": "SpecificDirectorySubjects", "requestsAccepted": True,
            "requestors": [{"subjectType": "groupMembers", "objectId": REQUESTORS_ID}]},
        "approvalSettings": {
            "approvalRequired": True, "approvalRequiredForExtension": True,
            "requestorJustificationRequired": True,
            "approvalStages": [{"approvalTimeoutInDays": 7, "approverJustificationRequired": True,
                                "primaryApprovers": [{"subjectType": "singleUser",
                                                      "objectId": OWNER_ID}]}]},
        "assignmentReviewSettings": {
            "enabled": True, "reviewFrequency": "quarterly", "reviewType": "Reviewers",
            "durationInDays": 14, "accessReviewTimeoutBehavior": "removeAccess",
            "reviewers": [{"subjectType": "singleUser", "objectId": OWNER_ID}]},
    }, protect=True)


def admin_group() -> Res:
    return Res(GROUP, "groups-platform-admins", {
        "displayName": ADMIN_NAME, "securityEnabled": True, "mailEnabled": False,
        "owners": [OWNER_ID]}, outputs={"objectId": ADMIN_ID}, protect=True)


def eligibility(principal: str = ELIGIBLE_ID) -> Res:
    return Res(ELIGIBILITY, "governance-platform-admins-pim-eligible", {
        "groupId": ADMIN_ID, "principalId": principal, "assignmentType": "member",
        "permanentAssignment": True, "justification": "eligible admins"})


def role_policy() -> Res:
    return Res(ROLE_POLICY, "governance-platform-admins-pim-policy", {
        "groupId": ADMIN_ID, "roleId": "member",
        "activationRules": {"maximumDuration": "PT4H", "requireJustification": True,
                            "requireMultifactorAuthentication": True},
        "activeAssignmentRules": {"expirationRequired": True, "expireAfter": "P15D"},
        "eligibleAssignmentRules": {"expirationRequired": False}})


def admin_member(member: str = PERSON) -> Res:
    return Res(GROUP_MEMBER, f"groups-platform-admins-member-{member}", {
        "groupObjectId": ADMIN_ID, "memberObjectId": member})


def active_assignment() -> Res:
    return Res(ACTIVE, "standing-admin", {
        "groupId": ADMIN_ID, "principalId": PERSON, "assignmentType": "member",
        "permanentAssignment": True})


def jit_stack(*extra: Res, drop: tuple[str, ...] = ()) -> list[Res]:
    base = [admin_group(), eligibility(), role_policy()]
    return [r for r in base if r.name not in drop] + list(extra)


_NEVER_APPROVED = ("approvalSettings does not require approval with at least one approver per "
                   "stage; set approvalRequired=true with approvalStages[].primaryApprovers (the "
                   "group's owners by default).")
_NO_REVIEW = ("assignmentReviewSettings.enabled is not true; review assignments periodically "
              "(reviewFrequency quarterly, accessReviewTimeoutBehavior removeAccess).")


def _standing(who: list[str]) -> str:
    return (f"admin group 'groups-platform-admins' has standing member(s) {who}; make people "
            "eligible through PIM instead, or list a recorded exception in "
            "standingMemberExceptions.")


_NO_ELIGIBILITY = ("admin group 'groups-platform-admins' has no PIM eligibility schedule for "
                   "its member role; make the eligible administrators' group eligible.")

CASES: list[Case] = [
    # --- approval and expiry ------------------------------------------------------------------
    passes(APPROVAL, "approved-and-expiring", assignment_policy()),
    violation(APPROVAL, "approval-off",
              assignment_policy().set("approvalSettings.approvalRequired", False),
              _NEVER_APPROVED),
    violation(APPROVAL, "stage-without-approvers",
              assignment_policy().set("approvalSettings.approvalStages.0.primaryApprovers", []),
              _NEVER_APPROVED),
    violation(APPROVAL, "never-expires", assignment_policy().set("durationInDays", DELETE),
              "assignments never expire; set durationInDays (at most 90) so access ends unless "
              "it is requested again."),
    violation(APPROVAL, "too-long", assignment_policy().set("durationInDays", 365),
              "durationInDays is 365, above the maximum of 90; shorten it."),
    passes(APPROVAL, "dev-ceiling", assignment_policy().set("durationInDays", 365),
           config={"maxDurationDays": 365}),
    preview(APPROVAL, "approvers", assignment_policy().set(
        "approvalSettings.approvalStages.0.primaryApprovers", UNKNOWN),
            "approvalSettings.approvalStages.0.primaryApprovers"),
    # --- review removes on no response --------------------------------------------------------
    passes(REVIEW, "quarterly-remove", assignment_policy()),
    violation(REVIEW, "no-review", assignment_policy().set("assignmentReviewSettings",
                                                           {"enabled": False}), _NO_REVIEW),
    violation(REVIEW, "keeps-access", assignment_policy().set(
        "assignmentReviewSettings.accessReviewTimeoutBehavior", "keepAccess"),
              "assignmentReviewSettings.accessReviewTimeoutBehavior is 'keepAccess'; set "
              "'removeAccess' so access nobody vouches for is removed."),
    preview(REVIEW, "behaviour", assignment_policy().set(
        "assignmentReviewSettings.accessReviewTimeoutBehavior", UNKNOWN),
            "assignmentReviewSettings.accessReviewTimeoutBehavior"),
    # --- open self-service --------------------------------------------------------------------
    passes(OPEN, "specific-groups-unapproved",
           assignment_policy().set("approvalSettings.approvalRequired", False)),
    passes(OPEN, "everyone-approved", assignment_policy().set(
        "requestorSettings", {"scopeType": "AllExistingDirectoryMemberUsers"})),
    violation(OPEN, "everyone-unapproved", assignment_policy().set(
        "requestorSettings", {"scopeType": "AllExistingDirectoryMemberUsers"}).set(
        "approvalSettings.approvalRequired", False),
              "requestorSettings.scopeType is 'AllExistingDirectoryMemberUsers' and no approval "
              "is required: anyone could add themselves to the group; require approval or "
              "narrow the requestors to SpecificDirectorySubjects."),
    violation(OPEN, "guests-unapproved", assignment_policy().set(
        "requestorSettings", {"scopeType": "AllExternalSubjects"}).set(
        "approvalSettings.approvalStages", []),
              "requestorSettings.scopeType is 'AllExternalSubjects' and no approval is required: "
              "anyone could add themselves to the group; require approval or narrow the "
              "requestors to SpecificDirectorySubjects."),
    preview(OPEN, "scope", assignment_policy().set("requestorSettings.scopeType", UNKNOWN),
            "requestorSettings.scopeType"),
    # --- admin groups just in time ------------------------------------------------------------
    passes(JIT, "eligible-no-members", jit_stack()),
    passes(JIT, "recorded-exception", jit_stack(admin_member()),
           config={"standingMemberExceptions": [PERSON]}),
    violation(JIT, "standing-member", jit_stack(admin_member()), _standing([PERSON])),
    violation(JIT, "members-on-the-group", jit_stack(drop=("groups-platform-admins",)) + [
        admin_group().set("members", [PERSON])], _standing([PERSON])),
    violation(JIT, "no-eligibility", jit_stack(drop=(eligibility().name,)), _NO_ELIGIBILITY),
    violation(JIT, "permanent-active", jit_stack(active_assignment()),
              "'standing-admin' makes a permanent active member of admin group "
              "'groups-platform-admins'; use an eligibility schedule."),
    violation(JIT, "break-glass-eligible-only",
              jit_stack(drop=(eligibility().name,)) + [eligibility(BREAK_GLASS_GROUP_ID)],
              f"'governance-platform-admins-pim-eligible' makes break-glass group "
              f"{BREAK_GLASS_GROUP_ID} eligible-only; emergency access must never wait for an "
              "activation.", config={"breakGlassGroupObjectIds": [BREAK_GLASS_GROUP_ID]}),
    violation(JIT, "permanent-active-allowed",
              jit_stack(drop=(role_policy().name,)) + [role_policy().set(
                  "activeAssignmentRules.expirationRequired", False)],
              "'governance-platform-admins-pim-policy' allows permanent active membership of "
              "admin group 'groups-platform-admins'; set "
              "activeAssignmentRules.expirationRequired=true."),
    preview(JIT, "group-id", jit_stack(drop=(eligibility().name,)) + [
        eligibility().set("groupId", UNKNOWN)], "groupId"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_governance_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_dev_levels_are_looser(dev_pack) -> None:
    """In dev, an unapproved package is advisory and a keep-access review is not checked."""
    unapproved = assignment_policy().set("approvalSettings.approvalRequired", False).set(
        "assignmentReviewSettings.accessReviewTimeoutBehavior", "keepAccess")
    found = [d for d in dev_pack.analyze(unapproved) if d.policy in (APPROVAL, REVIEW)]
    assert [(d.policy, d.level) for d in found] == [(APPROVAL, "advisory")]
    everyone = unapproved.set("requestorSettings", {"scopeType": "AllExistingDirectoryMemberUsers"})
    assert [d.level for d in dev_pack.analyze(everyone) if d.policy == OPEN] == ["mandatory"]


# --- drift: the real program's plan, one component input changed ---------------------------------


def _to_harness(value: Any) -> Any:
    if value is gate_model.UNKNOWN:
        return UNKNOWN
    if isinstance(value, gate_model.Secret):
        return Secret(_to_harness(value.value))
    if isinstance(value, dict):
        return {k: _to_harness(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_harness(v) for v in value]
    return value


def _governed(plan: Plan) -> list[Res]:
    """The governance resources and the Entra groups of the plan, as the analyzer sees them."""
    wanted = (POLICY_TYPE, GROUP, GROUP_MEMBER, ELIGIBILITY, ROLE_POLICY)
    return [Res(r.type, r.name, _to_harness(r.inputs),
                outputs={k: _to_harness(v) for k, v in r.outputs.items() if k not in r.inputs})
            for r in plan.resources if r.type in wanted]


def _drift(resources: list[Res], name: str, path: str, value: Any) -> list[Res]:
    return [r.set(path, value) if r.name == name else r for r in resources]


def _fired(pack, resources: list[Res], rule: str) -> list[str]:
    found = [d.message for r in resources for d in pack.analyze(r) if d.policy == rule]
    return found + [d.message for d in pack.analyze_stack(resources) if d.policy == rule]


def test_shipped_prod_plan_passes_every_governance_rule(pack, plan_prod: Plan) -> None:
    resources = _governed(plan_prod)
    assert any(r.type == ELIGIBILITY for r in resources)
    assert sum(r.type == POLICY_TYPE for r in resources) == 3
    for rule in (APPROVAL, REVIEW, JIT, OPEN):
        assert _fired(pack, resources, rule) == [], rule


@pytest.mark.parametrize(("rule", "name", "path", "value"), [
    (APPROVAL, "governance-data-scientists-policy", "approvalSettings.approvalRequired", False),
    (APPROVAL, "governance-auditors-policy", "durationInDays", 180),
    (REVIEW, "governance-ml-engineers-policy",
     "assignmentReviewSettings.accessReviewTimeoutBehavior", "keepAccess"),
    (REVIEW, "governance-ml-engineers-policy", "assignmentReviewSettings.enabled", False),
    (JIT, "governance-platform-admins-pim-eligible", "groupId",
     "99999999-0000-4000-8000-000000000000"),
    (JIT, "governance-platform-admins-pim-eligible", "principalId", PROD_BREAK_GLASS),
    (JIT, "groups-platform-admins", "members", [PERSON]),
    (JIT, "governance-platform-admins-pim-policy", "activeAssignmentRules.expirationRequired",
     False),
], ids=lambda v: v if isinstance(v, str) and v.startswith("entra-") else None)
def test_drifted_component_fires(pack, plan_prod: Plan, rule: str, name: str, path: str,
                                 value: Any) -> None:
    resources = _governed(plan_prod)
    assert any(r.name == name for r in resources), name
    assert _fired(pack, resources, rule) == []
    assert _fired(pack, _drift(resources, name, path, value), rule)


def test_drift_open_scope_without_approval_fires(pack, plan_prod: Plan) -> None:
    drifted = _drift(_governed(plan_prod), "governance-data-scientists-policy",
                     "requestorSettings", {"scopeType": "AllExistingDirectoryMemberUsers"})
    drifted = _drift(drifted, "governance-data-scientists-policy",
                     "approvalSettings.approvalRequired", False)
    assert _fired(pack, drifted, OPEN)


def test_standing_member_resource_drift_fires(pack, plan_prod: Plan) -> None:
    resources = _governed(plan_prod)
    admin = next(r for r in resources if r.type == GROUP and r.props["displayName"] == ADMIN_NAME)
    member = Res(GROUP_MEMBER, f"{admin.name}-member-{PERSON}", {
        "groupObjectId": admin.outputs["objectId"], "memberObjectId": PERSON})
    assert _fired(pack, [*resources, member], JIT) == [
        _standing([PERSON]).replace("groups-platform-admins", admin.name)]
