"""A managed identity's Databricks rights stay within the role it declares.

A user-assigned managed identity declares its Databricks role in its ``databricks-role`` tag
(``components/managed_identities.py`` sets it, with a ``purpose`` tag, from the stack
config). The rule follows the identity into Databricks - its client id is the application
id of a Databricks service principal - and collects what that principal actually holds:
workspace assignments, entitlements, object ACLs and Unity Catalog privileges. Rights beyond
the declared role are violations, so an "agent" cannot quietly become an administrator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from ._common import (
    UNKNOWN,
    Report,
    dependencies,
    label,
    lower,
    of_type,
    peek,
    raw_elements,
    read,
    read_all,
)
from ._policy import Controls, Family
from ._types import (
    DB_ENTITLEMENTS,
    DB_GRANT,
    DB_GRANTS,
    DB_MWS_PERMISSION_ASSIGNMENT,
    DB_PERMISSION_ASSIGNMENT,
    DB_PERMISSIONS,
    DB_SERVICE_PRINCIPAL,
    USER_ASSIGNED_IDENTITY,
)
from .uc_grants import GRANTS_SECURABLE_PROPS

policy = Family("identities")


ROLE_TAG = "databricks-role"
PURPOSE_TAG = "purpose"
ROLES = ("admin", "engineer", "scientist", "auditor", "automation", "agent")
WORKSPACE_ADMIN = "ADMIN"
INTERACTIVE_ENTITLEMENTS = (
    "workspaceAccess", "databricksSqlAccess", "allowClusterCreate", "allowInstancePoolCreate",
)
CREATION_ENTITLEMENTS = ("allowClusterCreate", "allowInstancePoolCreate")
# The one access entitlement an agent needs to call the workspace APIs of the models it may
# execute (every principal needs at least one access entitlement to use a workspace at all).
AGENT_ENTITLEMENTS = frozenset({"workspaceAccess"})
# An agent reads models: CAN_READ on workspace objects, EXECUTE on Unity Catalog models (plus
# the USE_CATALOG / USE_SCHEMA it needs to reach them, which grant nothing by themselves).
AGENT_ACL_LEVELS = frozenset({"CAN_READ"})
AGENT_UC_PRIVILEGES = frozenset({"EXECUTE", "USE_CATALOG", "USE_SCHEMA"})
AUTOMATION_FORBIDDEN = frozenset({"ADMIN", "CAN_MANAGE", "MANAGE", "ALL_PRIVILEGES"})
ROLE_LIMITS = {
    "agent": (
        "an agent may hold only CAN_READ and EXECUTE (with USE_CATALOG/USE_SCHEMA to reach "
        "the model), no workspace ADMIN and no entitlement but workspace access"
    ),
    "automation": (
        "automation may not hold ADMIN, CAN_MANAGE, MANAGE, ALL_PRIVILEGES or cluster/pool "
        "creation"
    ),
}
OTHER_ROLES_LIMIT = "only the admin role may hold workspace ADMIN"


@dataclass(frozen=True)
class Right:
    """One right a Databricks principal holds, and the resource that grants it."""

    kind: str  # "workspace", "entitlement", "permission" or "privilege"
    value: str
    resource: PolicyResource
    target: str = ""  # the securable of a Unity Catalog privilege, when known

    def describe(self) -> str:
        where = label(self.resource)
        if self.kind == "workspace":
            return f"workspace {self.value} ({where})"
        if self.kind == "entitlement":
            return f"entitlement {self.value} ({where})"
        if self.kind == "permission":
            return f"permission {self.value} ({where})"
        on = f" on {self.target}" if self.target else ""
        return f"privilege {self.value}{on} ({where})"


@dataclass(frozen=True)
class Principal:
    """A managed identity as Databricks knows it: what refers to it, by URN or by value."""

    anchors: frozenset[str]  # URNs of the identity and its Databricks service principals
    sp_anchors: frozenset[str]  # URNs of its Databricks service principals
    sp_ids: frozenset[str]  # known Databricks ids of those service principals (lower case)
    application_ids: frozenset[str]  # known application (client) ids (lower case)

    @property
    def id_anchors(self) -> frozenset[str]:
        """What a Databricks principal id of this identity is computed from: its Databricks
        service principals, or, with automatic identity management (no such resource; the id
        comes from the account's external-principal lookup by the identity's object id), the
        identity itself."""
        return self.sp_anchors or self.anchors


def _depends_on_any(resource: PolicyResource, prop: str, urns: Iterable[str]) -> bool:
    """True when ``prop`` of ``resource`` was computed from one of the resources ``urns``."""
    wanted = set(urns)
    return any(d.urn in wanted for d in dependencies(resource, prop))


def _service_principals(identity: PolicyResource,
                        principals: list[PolicyResource]) -> list[PolicyResource]:
    """The Databricks service principals whose applicationId is the identity's client id."""
    matched = [sp for sp in principals if _depends_on_any(sp, "applicationId", [identity.urn])]
    if matched:
        return matched
    client_id = peek(identity.props, "clientId")
    undecided = []
    for sp in principals:
        application_id = peek(sp.props, "applicationId")
        if application_id is UNKNOWN:
            if not dependencies(sp, "applicationId"):
                undecided.append(sp)
            continue
        if isinstance(client_id, str) and isinstance(application_id, str) and (
                lower(application_id) == lower(client_id)):
            matched.append(sp)
    if not matched:
        for sp in undecided:
            read(sp.props, "applicationId")  # unknown and untraceable: the SDK reports it
    return matched


def _principal(identity: PolicyResource, principals: list[PolicyResource]) -> Principal:
    sps = _service_principals(identity, principals)
    application_ids = {peek(identity.props, "clientId"),
                       *(peek(sp.props, "applicationId") for sp in sps)}
    sp_ids = {peek(sp.props, "id") for sp in sps}
    return Principal(
        anchors=frozenset({identity.urn, *(sp.urn for sp in sps)}),
        sp_anchors=frozenset(sp.urn for sp in sps),
        sp_ids=frozenset(v.lower() for v in sp_ids if isinstance(v, str)),
        application_ids=frozenset(v.lower() for v in application_ids if isinstance(v, str)),
    )


def _names(resource: PolicyResource, prop: str, anchors: frozenset[str],
           values: frozenset[str]) -> bool:
    """True when scalar ``prop`` names the principal: computed from an anchor, or equal to one
    of ``values``. An unknown value that cannot be traced to any resource is read, so the SDK
    reports that the policy cannot run during preview."""
    if _depends_on_any(resource, prop, anchors):
        return True
    value = peek(resource.props, prop)
    if value is UNKNOWN and not dependencies(resource, prop):
        read(resource.props, prop)
    return isinstance(value, str) and value.lower() in values


def _entries(resource: PolicyResource, prop: str, key: str, principal: Principal) -> list[Any]:
    """The entries of list ``prop`` whose ``key`` is one of the principal's application ids.

    Entries are compared by value; when an entry (or the list) is unknown and the list was
    computed from the principal, it is read so that the SDK reports the preview advisory.
    """
    related = _depends_on_any(resource, prop, principal.anchors)
    value = peek(resource.props, prop)
    if value is UNKNOWN:
        if related:
            read(resource.props, prop)
        return []
    found = []
    for index, entry in enumerate(raw_elements(value)):
        name = UNKNOWN if entry is UNKNOWN else peek(entry, key)
        if name is UNKNOWN:
            if related:
                read(resource.props, prop, index, key)
            continue
        if isinstance(name, str) and name.lower() in principal.application_ids:
            found.append(entry)
    return found


def _securable(resource: PolicyResource) -> str:
    """The securable a Grants/Grant resource targets ("model 'a.b.c'"), when known."""
    for prop in GRANTS_SECURABLE_PROPS:
        value = peek(resource.props, prop)
        if isinstance(value, str):
            return f"{prop} '{value}'"
    return ""


def _privileges(resource: PolicyResource, source: Any) -> list[Right]:
    target = _securable(resource)
    return [Right("privilege", str(p).upper(), resource, target)
            for p in read_all(source, "privileges") or []]


def _rights(resources: Sequence[PolicyResource], principal: Principal,
            principals: list[PolicyResource]) -> list[Right]:
    """Everything the principal holds in Databricks, with the resource that grants it."""
    rights: list[Right] = []
    assignments = of_type(resources, DB_MWS_PERMISSION_ASSIGNMENT, DB_PERMISSION_ASSIGNMENT)
    for assignment in assignments:
        by_id = _names(assignment, "principalId", principal.id_anchors, principal.sp_ids)
        by_name = peek(assignment.props, "servicePrincipalName") is not None and _names(
            assignment, "servicePrincipalName", principal.anchors, principal.application_ids)
        if by_id or by_name:
            rights += [Right("workspace", str(p).upper(), assignment)
                       for p in read_all(assignment.props, "permissions") or []]
    holders = [sp for sp in principals if sp.urn in principal.sp_anchors]
    for entitlements in of_type(resources, DB_ENTITLEMENTS):
        if peek(entitlements.props, "servicePrincipalId") is not None and _names(
                entitlements, "servicePrincipalId", principal.id_anchors, principal.sp_ids):
            holders.append(entitlements)
    for holder in holders:
        rights += [Right("entitlement", flag, holder) for flag in INTERACTIVE_ENTITLEMENTS
                   if read(holder.props, flag) is True]
    for acl in of_type(resources, DB_PERMISSIONS):
        for entry in _entries(acl, "accessControls", "servicePrincipalName", principal):
            rights.append(Right("permission", str(read(entry, "permissionLevel")).upper(), acl))
    for grants in of_type(resources, DB_GRANTS):
        for entry in _entries(grants, "grants", "principal", principal):
            rights += _privileges(grants, entry)
    for grant in of_type(resources, DB_GRANT):
        if _names(grant, "principal", principal.anchors, principal.application_ids):
            rights += _privileges(grant, grant.props)
    return rights


def exceeds(role: str, right: Right) -> bool:
    """True when ``right`` is more than the declared ``role`` may hold."""
    if role == "admin":
        return False
    if right.kind == "workspace":
        return right.value == WORKSPACE_ADMIN
    if role == "agent":
        if right.kind == "entitlement":
            return right.value not in AGENT_ENTITLEMENTS
        allowed = AGENT_ACL_LEVELS if right.kind == "permission" else AGENT_UC_PRIVILEGES
        return right.value not in allowed
    if role == "automation":
        if right.kind == "entitlement":
            return right.value in CREATION_ENTITLEMENTS
        return right.value in AUTOMATION_FORBIDDEN
    return False


@policy.stack(
    name="managed-identity-role-matches-purpose",
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1", "CC6.3"), iso27001=("A.5.15", "A.5.18", "A.8.2")),
    remediation=(
        "Tag the UserAssignedIdentity with 'databricks-role' and 'purpose'; remove workspace "
        "ADMIN, entitlements, ACL levels or Unity Catalog privileges beyond that role (an "
        "agent: workspace access and CAN_READ/EXECUTE only; automation: no ADMIN, "
        "CAN_MANAGE, MANAGE, ALL_PRIVILEGES or cluster/pool creation), or change the "
        "identity's role."
    ),
)
def check_role_matches_purpose(args: StackValidationArgs, report: Report) -> None:
    """A managed identity's Databricks rights do not exceed the role its 'databricks-role' tag
    declares."""
    principals = of_type(args.resources, DB_SERVICE_PRINCIPAL)
    identities = of_type(args.resources, USER_ASSIGNED_IDENTITY)
    for identity in identities:
        role = read(identity.props, "tags", ROLE_TAG) if peek(
            identity.props, "tags") is not None else None
        if not isinstance(role, str) or not role.strip():
            report(
                f"managed identity {label(identity)} has no '{ROLE_TAG}' tag; declare its "
                f"Databricks role ({', '.join(ROLES)}) in '{ROLE_TAG}' and why it exists in "
                f"'{PURPOSE_TAG}' so its rights can be checked against its purpose.",
                identity.urn,
            )
            continue
        role = role.strip().lower()
        if role not in ROLES:
            report(
                f"managed identity {label(identity)} declares {ROLE_TAG} '{role}', which is not "
                f"one of {', '.join(ROLES)}; tag it with the role preset it is deployed with.",
                identity.urn,
            )
            continue
        rights = _rights(args.resources, _principal(identity, principals), principals)
        excess = [r.describe() for r in rights if exceeds(role, r)]
        if excess:
            limit = ROLE_LIMITS.get(role, OTHER_ROLES_LIMIT)
            report(
                f"managed identity {label(identity)} declares {ROLE_TAG} '{role}' but holds "
                f"{', '.join(excess)}; {limit}. Remove the excess rights, or change the "
                "identity's role and purpose in the stack config if it really needs them.",
                identity.urn,
            )
