"""Entra ID Governance rules: access packages (entitlement management) and PIM for groups.

Wire names are the azuread provider's (``approvalSettings.approvalStages[].primaryApprovers``,
``requestorSettings.scopeType``, ``assignmentReviewSettings.accessReviewTimeoutBehavior``);
enum values are Microsoft Graph's (requestor scope types, ``removeAccess``, ``member``).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    Report,
    config_int,
    config_strings,
    elements,
    is_set,
    label,
    lower,
    of_type,
    read,
)
from ._policy import Controls, Family, integer_property, string_list_property
from ._types import (
    AAD_GROUP_MEMBER,
    ACTIVE_ASSIGNMENT,
    ASSIGNMENT_POLICY,
    ELIGIBILITY,
    GROUP,
    ROLE_POLICY,
)

policy = Family("governance")


# requestorSettings.scopeType values that let (nearly) anyone request, in or outside the tenant.
OPEN_SCOPES = (
    "AllExistingDirectoryMemberUsers",
    "AllExistingDirectorySubjects",
    "AllExternalSubjects",
    "AllConfiguredConnectedOrganizationSubjects",
    "AllExistingConnectedOrganizationSubjects",
)
REMOVE_ACCESS = "removeAccess"
MEMBER = "member"
DEFAULT_MAX_DURATION_DAYS = 90
ACCESS_APPROVAL = Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18"))
PRIVILEGED = Controls(soc2=("CC6.1", "CC6.3"), iso27001=("A.8.2", "A.5.18"))


def _approved(props: Any) -> bool:
    """Approval is required and every stage names at least one primary approver."""
    if read(props, "approvalSettings", "approvalRequired") is not True:
        return False
    stages = elements(read(props, "approvalSettings", "approvalStages"))
    return bool(stages) and all(elements(read(s, "primaryApprovers")) for s in stages)


@policy.resource(
    name="entra-access-package-approval-and-expiry",
    types=[ASSIGNMENT_POLICY],
    severity=Severity.HIGH,
    controls=ACCESS_APPROVAL,
    remediation=(
        "Set approvalSettings.approvalRequired=true with at least one primary "
        "approver per stage, and durationInDays at most maxDurationDays."
    ),
    config={"maxDurationDays": integer_property(
        DEFAULT_MAX_DURATION_DAYS, "Longest assignment a package may grant, in days.", 1)},
)
def check_approval_and_expiry(args: ResourceValidationArgs, report: Report) -> None:
    """Requestable access is approved and expires within the maximum duration."""
    limit = config_int(args.get_config(), "maxDurationDays", DEFAULT_MAX_DURATION_DAYS)
    if not _approved(args.props):
        report("approvalSettings does not require approval with at least one approver per "
               "stage; set approvalRequired=true with approvalStages[].primaryApprovers (the "
               "group's owners by default).")
    days = read(args.props, "durationInDays")
    expires = read(args.props, "expirationDate")
    if not is_set(expires) and (not isinstance(days, (int, float)) or days <= 0):
        report("assignments never expire; set durationInDays (at most "
               f"{limit}) so access ends unless it is requested again.")
    elif isinstance(days, (int, float)) and days > limit:
        report(f"durationInDays is {int(days)}, above the maximum of {limit}; shorten it.")


@policy.resource(
    name="entra-access-review-removes-on-no-response",
    types=[ASSIGNMENT_POLICY],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.2",), iso27001=("A.5.18",)),
    remediation=(
        "Set assignmentReviewSettings {enabled: true, reviewFrequency: quarterly, "
        "accessReviewTimeoutBehavior: removeAccess}."
    ),
)
def check_review_removes(args: ResourceValidationArgs, report: Report) -> None:
    """Access package assignments are reviewed and removed when nobody answers."""
    review = read(args.props, "assignmentReviewSettings")
    if read(review, "enabled") is not True:
        report("assignmentReviewSettings.enabled is not true; review assignments periodically "
               "(reviewFrequency quarterly, accessReviewTimeoutBehavior removeAccess).")
        return
    behaviour = read(review, "accessReviewTimeoutBehavior")
    if behaviour != REMOVE_ACCESS:
        report(f"assignmentReviewSettings.accessReviewTimeoutBehavior is '{behaviour}'; set "
               "'removeAccess' so access nobody vouches for is removed.")


def _admin_groups(resources: list[PolicyResource], names: list[str]) -> list[PolicyResource]:
    wanted = {n.casefold() for n in names}
    return [g for g in of_type(resources, GROUP)
            if str(read(g.props, "displayName") or "").casefold() in wanted]


@policy.stack(
    name="entra-admin-groups-just-in-time",
    severity=Severity.HIGH,
    controls=PRIVILEGED,
    remediation=(
        "Remove standing members of the admin groups; declare a "
        "PrivilegedAccessGroupEligibilitySchedule (assignmentType member) for the "
        "eligible administrators' group, never for a break-glass group."
    ),
    config={
        "adminGroupNames": string_list_property(
            [], "Display names of the admin groups that must be reached through PIM."),
        "standingMemberExceptions": string_list_property(
            [], "Object ids allowed to stay standing members (recorded with a reason)."),
        "breakGlassGroupObjectIds": string_list_property(
            [], "Break-glass groups, which must never be made eligible-only."),
    },
)
def check_admins_just_in_time(args: StackValidationArgs, report: Report) -> None:
    """Admin groups have no permanent members; admins are PIM-eligible.

    A member (``members`` or a GroupMember resource) is standing unless listed in
    ``standingMemberExceptions``; no permanent active assignment; an eligibility schedule for
    the member role exists and never makes a break-glass group eligible-only; the group's role
    management policy requires active assignments to expire.
    """
    config = args.get_config()
    names = config_strings(config, "adminGroupNames", [])
    exceptions = {lower(m) for m in config_strings(config, "standingMemberExceptions", [])}
    break_glass = {lower(m) for m in config_strings(config, "breakGlassGroupObjectIds", [])}
    resources = args.resources
    for group in _admin_groups(resources, names):
        oid = lower(read(group.props, "objectId"))
        standing = [m for m in elements(read(group.props, "members")) if lower(m) not in exceptions]
        for m in of_type(resources, AAD_GROUP_MEMBER):
            member = lower(read(m.props, "memberObjectId"))
            if lower(read(m.props, "groupObjectId")) == oid and member not in exceptions:
                standing.append(member)
        if standing:
            report(f"admin group {label(group)} has standing member(s) {sorted(set(standing))}; "
                   "make people eligible through PIM instead, or list a recorded exception in "
                   "standingMemberExceptions.", group.urn)
        for active in of_type(resources, ACTIVE_ASSIGNMENT):
            if (lower(read(active.props, "groupId")) == oid
                    and read(active.props, "assignmentType") == MEMBER
                    and read(active.props, "permanentAssignment") is True):
                report(f"{label(active)} makes a permanent active member of admin group "
                       f"{label(group)}; use an eligibility schedule.", active.urn)
        eligible = [e for e in of_type(resources, ELIGIBILITY)
                    if lower(read(e.props, "groupId")) == oid
                    and read(e.props, "assignmentType") == MEMBER]
        if not eligible:
            report(f"admin group {label(group)} has no PIM eligibility schedule for its member "
                   "role; make the eligible administrators' group eligible.", group.urn)
        for e in eligible:
            if lower(read(e.props, "principalId")) in break_glass:
                report(f"{label(e)} makes break-glass group {read(e.props, 'principalId')} "
                       "eligible-only; emergency access must never wait for an activation.",
                       e.urn)
        for policy in of_type(resources, ROLE_POLICY):
            if (lower(read(policy.props, "groupId")) == oid
                    and read(policy.props, "roleId") == MEMBER
                    and read(policy.props, "activeAssignmentRules", "expirationRequired")
                    is not True):
                report(f"{label(policy)} allows permanent active membership of admin group "
                       f"{label(group)}; set activeAssignmentRules.expirationRequired=true.",
                       policy.urn)


@policy.resource(
    name="entra-access-package-no-open-self-service",
    types=[ASSIGNMENT_POLICY],
    severity=Severity.CRITICAL,
    controls=ACCESS_APPROVAL,
    remediation=(
        "Require approval (approvalSettings.approvalRequired=true), or set "
        "requestorSettings.scopeType=SpecificDirectorySubjects with the "
        "requesting groups."
    ),
)
def check_open_self_service(args: ResourceValidationArgs, report: Report) -> None:
    """No access package lets everyone join a group without approval."""
    scope = read(args.props, "requestorSettings", "scopeType")
    if scope in OPEN_SCOPES and not _approved(args.props):
        report(f"requestorSettings.scopeType is '{scope}' and no approval is required: anyone "
               "could add themselves to the group; require approval or narrow the requestors "
               "to SpecificDirectorySubjects.")
