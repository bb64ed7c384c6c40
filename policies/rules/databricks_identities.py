"""Databricks identities and workspace access: groups and service principals linked to Entra
ID, membership managed in Entra, workspace access through groups.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import Report, config_int, dependencies, is_set, is_type, is_uuid, of_type, peek, read
from ._policy import Controls, Family, integer_property
from ._types import (
    AAD_GROUP_MEMBER,
    DB_GROUP,
    DB_GROUP_MEMBER,
    DB_PERMISSION_ASSIGNMENT,
    DB_SERVICE_PRINCIPAL,
    GROUP,
    SERVICE_PRINCIPAL,
)

policy = Family("databricks-access")


NON_USER_MEMBER_TYPES = (
    DB_GROUP,
    DB_SERVICE_PRINCIPAL,
    GROUP,
    SERVICE_PRINCIPAL,
)


@policy.resource(
    name="databricks-group-external-id",
    types=[DB_GROUP],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.2",), iso27001=("A.5.16",), cis=("v5.0.0-2.1.4",)),
    remediation="Set externalId=<azuread Group object_id> on the databricks Group.",
)
def check_group_external_id(args: ResourceValidationArgs, report: Report) -> None:
    """Databricks groups carry the object id of their Entra group (externalId)."""
    external_id = read(args.props, "externalId")
    if not external_id:
        report(
            "externalId is not set; set it to the Entra group object id so the group is managed "
            "from Entra ID (SCIM / automatic identity management)."
        )
    elif not is_uuid(external_id):
        report(f"externalId '{external_id}' is not a UUID; use the Entra group object id.")


@policy.resource(
    name="databricks-service-principal-entra-linked",
    types=[DB_SERVICE_PRINCIPAL],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.2",), iso27001=("A.5.16", "A.5.17"), cis=("v5.0.0-2.1.4",)),
    remediation=(
        "Set applicationId=<azuread Application client_id> on the databricks "
        "ServicePrincipal."
    ),
)
def check_service_principal_linked(args: ResourceValidationArgs, report: Report) -> None:
    """Databricks service principals are Entra ID service principals."""
    application_id = read(args.props, "applicationId")
    if not application_id:
        report(
            "applicationId is not set, which creates a Databricks-managed service principal with "
            "its own secrets; set applicationId to the Entra application (client) id."
        )
    elif not is_uuid(application_id):
        report(f"applicationId '{application_id}' is not a UUID; use the Entra application id.")


def _is_user_membership(member: PolicyResource) -> bool:
    """False only when the member is provably a group or service principal of the stack."""
    prop = "memberId" if is_type(member.resource_type, DB_GROUP_MEMBER) else "memberObjectId"
    deps = dependencies(member, prop)
    return not (deps and all(is_type(d.resource_type, *NON_USER_MEMBER_TYPES) for d in deps))


@policy.stack(
    name="databricks-no-per-user-memberships",
    severity=Severity.LOW,
    controls=Controls(soc2=("CC6.2",), iso27001=("A.5.16", "A.5.18"), cis=("v5.0.0-2.1.4",)),
    remediation=(
        "Replace per-user GroupMember resources by Entra group membership (assigned or "
        "dynamic) synchronised to Databricks."
    ),
    config={
        "maxUserMemberships": integer_property(
            25, "Per-user GroupMember resources tolerated in one stack."
        ),
    },
)
def check_direct_memberships(args: StackValidationArgs, report: Report) -> None:
    """Group membership is managed in Entra ID, not with per-user resources.

    Up to ``maxUserMemberships`` (default 25) per-user GroupMember resources (databricks or
    azuread, whose member is not provably a group or service principal) are tolerated.
    """
    maximum = config_int(args.get_config(), "maxUserMemberships", 25)
    members = [m for m in of_type(args.resources, DB_GROUP_MEMBER, AAD_GROUP_MEMBER)
               if _is_user_membership(m)]
    if len(members) <= maximum:
        return
    databricks = sum(1 for m in members if is_type(m.resource_type, DB_GROUP_MEMBER))
    report(
        f"{len(members)} per-user group memberships are declared ({databricks} databricks "
        f"GroupMember, {len(members) - databricks} azuread GroupMember), more than "
        f"maxUserMemberships={maximum}; manage membership in Entra ID groups synced to Databricks "
        "instead of per-user resources."
    )


@policy.resource(
    name="databricks-workspace-access-via-groups",
    types=[DB_PERMISSION_ASSIGNMENT],
    severity=Severity.LOW,
    controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18")),
    remediation="Assign workspace permissions with groupName (an Entra-synced group).",
)
def check_workspace_access_via_groups(
    args: ResourceValidationArgs, report: Report
) -> None:
    """Databricks workspace access is assigned to groups, not to users."""
    if is_set(peek(args.props, "userName")):
        user = read(args.props, "userName")
        report(
            f"assigns workspace permissions directly to user '{user}'; assign them to an "
            "Entra-synced group (groupName) instead."
        )
