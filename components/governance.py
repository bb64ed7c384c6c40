"""Entra ID Governance: self-service access packages and just-in-time admin (PIM for groups).

Licensing: entitlement management (access packages, assignment policies, their access reviews)
and Privileged Identity Management for groups need **Microsoft Entra ID Governance** (or
**Entra ID P2**) licences for the people in scope. The section is opt-in per stack
(``governance``); without it this component declares nothing.

Provider and endpoint: the explicit azuread provider (parent chain), i.e. Microsoft Graph
(``/identityGovernance/entitlementManagement/...`` and ``/identityGovernance/
privilegedAccess/group/...`` plus ``/policies/roleManagementPolicies``). Graph is a public
endpoint: reachable from the CI runner like every other Entra object. The deployer needs the
application permissions ``EntitlementManagement.ReadWrite.All``,
``RoleManagementPolicy.ReadWrite.AzureADGroup`` and
``PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup`` (or the Identity Governance
Administrator / Privileged Role Administrator roles), plus ``Group.ReadWrite.All``: Graph
requires it of an application that adds a group to a catalog (accessPackageResourceRequest).
Everything here is created after the groups it governs (it takes their object ids).

What it declares, per stack:

* one access-package catalog (only when a group is requestable);
* per requestable group: the group added to the catalog as a resource (``AadGroup``), one access
  package, the group's ``Member`` role as the package's resource role, and one assignment policy
  (requestors, approval stages, justification, duration, periodic review);
* per admin group: the PIM policy for its ``member`` role (maximum activation, justification,
  MFA, optional approvers; active assignments must expire) and one eligibility schedule that
  makes the configured eligible group eligible for membership.

Resource count grows with groups, never with people: who is eligible or assigned lives in Entra.
``destroy`` removes the packages (and with them every assignment granted through them: people
lose access) and the eligibility; in prod these resources are protected. Renaming a group key
replaces its package (assignments are lost), so keys are stable by design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, TypeAlias

import pulumi
import pulumi_azuread as azuread

from components._base import child, type_token
from settings import Settings
from settings.model import AccessPackage, Group, PrivilegedAccess

# Wire values (azuread 6.11 docstrings, Microsoft Graph userSet and requestorSettings types).
ORIGIN_AAD_GROUP = "AadGroup"
ACCESS_TYPE_MEMBER = "Member"
SCOPE_ALL_MEMBERS = "AllExistingDirectoryMemberUsers"
SCOPE_SPECIFIC = "SpecificDirectorySubjects"
SUBJECT_USER = "singleUser"
SUBJECT_GROUP = "groupMembers"
SUBJECT_MANAGER = "requestorManager"
REVIEW_TYPES = {"owners": "Reviewers", "self": "Self", "manager": "Manager"}
PIM_ROLE_MEMBER = "member"
# Active (standing) PIM assignments to an admin group must expire; P15D is the shortest Entra
# accepts (P15D, P30D, P90D, P180D, P365D).
ACTIVE_ASSIGNMENT_MAX = "P15D"


def activation_duration(hours: int) -> str:
    """ISO 8601 maximum activation: ``PT<h>H`` below a day, ``P1D`` for 24 hours."""
    if not 1 <= hours <= 24:
        raise ValueError(f"activation must last 1-24 hours (got {hours})")
    return "P1D" if hours == 24 else f"PT{hours}H"


@dataclass(frozen=True)
class GovernanceArgs:
    """Inputs of :class:`Governance`: the section, the groups it names and their object ids."""

    protect: bool
    catalog_name: str
    catalog_description: str
    packages: dict[str, tuple[Group, AccessPackage]]
    privileged: dict[str, PrivilegedAccess]
    group_object_ids: Mapping[str, pulumi.Input[str]]

    @classmethod
    def from_settings(cls, s: Settings, *,
                      group_object_ids: Mapping[str, pulumi.Input[str]]) -> GovernanceArgs:
        gov = s.governance
        packages = {k: (s.groups[k], p) for k, p in (gov.access_packages if gov else {}).items()}
        privileged = dict(gov.privileged_access) if gov else {}
        catalog = gov.catalog if gov else None
        return cls(
            protect=s.protect_critical,
            catalog_name=catalog.display_name if catalog else f"Databricks ML ({s.stack})",
            catalog_description=(catalog.description if catalog else
                                 "Self-service access to the Databricks ML platform's groups."),
            packages=packages, privileged=privileged,
            group_object_ids={k: group_object_ids[k] for k in (*packages, *privileged)})


def requestor_settings(
        pkg: AccessPackage) -> azuread.AccessPackageAssignmentPolicyRequestorSettingsArgs:
    """Who may request: every member user, or the members of the listed groups."""
    if pkg.requestors.scope == "all-members":
        return azuread.AccessPackageAssignmentPolicyRequestorSettingsArgs(
            scope_type=SCOPE_ALL_MEMBERS, requests_accepted=True)
    return azuread.AccessPackageAssignmentPolicyRequestorSettingsArgs(
        scope_type=SCOPE_SPECIFIC, requests_accepted=True,
        requestors=[azuread.AccessPackageAssignmentPolicyRequestorSettingsRequestorArgs(
            subject_type=SUBJECT_GROUP, object_id=g) for g in pkg.requestors.group_object_ids])


_Approver: TypeAlias = (
    azuread.AccessPackageAssignmentPolicyApprovalSettingsApprovalStagePrimaryApproverArgs)


_ApprovalSettings: TypeAlias = azuread.AccessPackageAssignmentPolicyApprovalSettingsArgs


def approval_settings(group: Group, pkg: AccessPackage) -> _ApprovalSettings:
    """Approval stages; a stage without named approvers is approved by the group's owners."""
    approval = pkg.approval
    stages = []
    for stage in approval.stages if approval.required else []:
        approvers: list[_Approver] = []
        if stage.requestor_manager:
            approvers.append(_Approver(subject_type=SUBJECT_MANAGER))
        approvers += [_Approver(subject_type=SUBJECT_GROUP, object_id=g)
                      for g in stage.approver_group_object_ids]
        if not approvers:
            approvers = [_Approver(subject_type=SUBJECT_USER, object_id=o) for o in _owners(group)]
        stages.append(azuread.AccessPackageAssignmentPolicyApprovalSettingsApprovalStageArgs(
            approval_timeout_in_days=stage.timeout_days,
            approver_justification_required=stage.approver_justification_required,
            primary_approvers=approvers))
    return _ApprovalSettings(
        approval_required=approval.required,
        approval_required_for_extension=approval.required,
        requestor_justification_required=pkg.justification_required,
        approval_stages=stages or None)


def _owners(group: Group) -> list[str]:
    """The group's owners, each once (object ids are case-insensitive)."""
    return list(dict.fromkeys(o.lower() for o in group.owners))


def review_settings(group: Group, pkg: AccessPackage
                    ) -> azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsArgs:
    """The access review of the assignments, or ``enabled: false`` without one."""
    review = pkg.review
    if review is None:
        return azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsArgs(enabled=False)
    reviewers = ([azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsReviewerArgs(
        subject_type=SUBJECT_USER, object_id=o) for o in _owners(group)]
        if review.reviewers == "owners" else None)
    return azuread.AccessPackageAssignmentPolicyAssignmentReviewSettingsArgs(
        enabled=True,
        review_frequency=review.frequency,
        review_type=REVIEW_TYPES[review.reviewers],
        duration_in_days=review.duration_days,
        access_review_timeout_behavior=review.on_no_response,
        access_recommendation_enabled=True,
        approver_justification_required=True,
        reviewers=reviewers)


def activation_rules(pim: PrivilegedAccess) -> azuread.GroupRoleManagementPolicyActivationRulesArgs:
    """Activation of the admin group's membership: how long, with what proof, who approves."""
    approvers = pim.activation_approver_group_object_ids
    stage = azuread.GroupRoleManagementPolicyActivationRulesApprovalStageArgs(primary_approvers=[
        azuread.GroupRoleManagementPolicyActivationRulesApprovalStagePrimaryApproverArgs(
            type=SUBJECT_GROUP, object_id=g) for g in approvers]) if approvers else None
    return azuread.GroupRoleManagementPolicyActivationRulesArgs(
        maximum_duration=activation_duration(pim.max_activation_hours),
        require_justification=pim.justification_required,
        require_multifactor_authentication=pim.mfa_required,
        require_approval=bool(approvers),
        approval_stage=stage)


class SelfServiceAccess(pulumi.ComponentResource):
    """One requestable group: catalog resource, access package, member role, policy."""

    def __init__(self, name: str, *, group: Group, pkg: AccessPackage,
                 group_object_id: pulumi.Input[str], catalog: azuread.AccessPackageCatalog,
                 protect: bool, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("governance", "SelfServiceAccess"), name, None, opts)
        resource = azuread.AccessPackageResourceCatalogAssociation(
            f"{name}-resource", catalog_id=catalog.id, resource_origin_id=group_object_id,
            resource_origin_system=ORIGIN_AAD_GROUP, opts=child(self))
        package = azuread.AccessPackage(
            name, catalog_id=catalog.id, display_name=group.display_name,
            description=pkg.description or group.description, hidden=False,
            opts=child(self, protect=protect))
        azuread.AccessPackageResourcePackageAssociation(
            f"{name}-member", access_package_id=package.id,
            catalog_resource_association_id=resource.id, access_type=ACCESS_TYPE_MEMBER,
            opts=child(self))
        policy = azuread.AccessPackageAssignmentPolicy(
            f"{name}-policy", access_package_id=package.id,
            display_name=f"{group.display_name} requests",
            description=f"Who may request {group.display_name}, who approves, for how long.",
            duration_in_days=pkg.duration_days,
            extension_enabled=True,
            requestor_settings=requestor_settings(pkg),
            approval_settings=approval_settings(group, pkg),
            assignment_review_settings=review_settings(group, pkg),
            opts=child(self, protect=protect))
        self.package_id = package.id
        self.policy_id = policy.id
        self.register_outputs({"accessPackageId": package.id, "policyId": policy.id})


class JustInTimeAdmin(pulumi.ComponentResource):
    """One admin group under PIM: its member-role policy and the eligible group's eligibility."""

    def __init__(self, name: str, *, pim: PrivilegedAccess, group_object_id: pulumi.Input[str],
                 protect: bool, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("governance", "JustInTimeAdmin"), name, None, opts)
        policy = azuread.GroupRoleManagementPolicy(
            f"{name}-policy", group_id=group_object_id, role_id=PIM_ROLE_MEMBER,
            activation_rules=activation_rules(pim),
            eligible_assignment_rules=azuread.GroupRoleManagementPolicyEligibleAssignmentRulesArgs(
                expiration_required=False),
            active_assignment_rules=azuread.GroupRoleManagementPolicyActiveAssignmentRulesArgs(
                expiration_required=True, expire_after=ACTIVE_ASSIGNMENT_MAX,
                require_justification=True, require_multifactor_authentication=True),
            opts=child(self, protect=protect))
        eligibility = azuread.PrivilegedAccessGroupEligibilitySchedule(
            f"{name}-eligible", group_id=group_object_id,
            principal_id=pim.eligible_group_object_id, assignment_type=PIM_ROLE_MEMBER,
            permanent_assignment=True,
            justification="Eligible administrators of the Databricks ML platform "
                          "(declared in the stack's governance.privilegedAccess).",
            opts=child(self, protect=protect, depends_on=[policy]))
        self.eligibility_id = eligibility.id
        self.register_outputs({"policyId": policy.id, "eligibilityId": eligibility.id})


class Governance(pulumi.ComponentResource):
    """The stack's catalog, one :class:`SelfServiceAccess` per requestable group and one
    :class:`JustInTimeAdmin` per admin group under PIM."""

    access_package_ids: dict[str, pulumi.Output[str]]
    eligibility_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GovernanceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("governance", "Governance"), name, None, opts)
        self.access_package_ids = {}
        self.eligibility_ids = {}
        if args.packages:
            catalog = azuread.AccessPackageCatalog(
                f"{name}-catalog", display_name=args.catalog_name,
                description=args.catalog_description, published=True,
                externally_visible=False, opts=child(self, protect=args.protect))
            for key, (group, pkg) in args.packages.items():
                access = SelfServiceAccess(
                    f"{name}-{key}", group=group, pkg=pkg,
                    group_object_id=args.group_object_ids[key], catalog=catalog,
                    protect=args.protect, opts=child(self))
                self.access_package_ids[key] = access.package_id
        for key, pim in args.privileged.items():
            jit = JustInTimeAdmin(f"{name}-{key}-pim", pim=pim,
                                  group_object_id=args.group_object_ids[key],
                                  protect=args.protect, opts=child(self))
            self.eligibility_ids[key] = jit.eligibility_id
        self.register_outputs({"accessPackageIds": self.access_package_ids,
                               "eligibilityIds": self.eligibility_ids})
