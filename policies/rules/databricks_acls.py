"""Who may manage a Databricks object: workspace ACLs (Permissions) and Unity Catalog model
grants keep admins and the deployer, never give everyone management or production rights,
and each object has one authoritative ACL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    UNKNOWN,
    Report,
    config_strings,
    dependencies,
    elements,
    is_set,
    is_uuid,
    lower,
    of_type,
    peek,
    read,
    reasoned_entries,
)
from ._policy import Controls, Family, string_list_property
from ._types import DB_GRANT, DB_GRANTS, DB_PERMISSIONS
from .uc_grants import GRANTS_SECURABLE_PROPS, grants_of

policy = Family("databricks-access")


CAN_MANAGE = "CAN_MANAGE"
CAN_MANAGE_PRODUCTION_VERSIONS = "CAN_MANAGE_PRODUCTION_VERSIONS"
BROAD_LEVELS = (CAN_MANAGE, CAN_MANAGE_PRODUCTION_VERSIONS)
# Unity Catalog privileges that manage a model: grant, alias (promote) and delete versions.
UC_MANAGE_PRIVILEGES = {"MANAGE", "ALL_PRIVILEGES"}
PERMISSIONS_OBJECT_PROPS = (
    "registeredModelId", "experimentId", "servingEndpointId", "clusterId", "clusterPolicyId",
    "instancePoolId", "jobId", "pipelineId", "notebookId", "notebookPath", "directoryId",
    "directoryPath", "repoId", "repoPath", "workspaceFileId", "workspaceFilePath",
    "sqlEndpointId", "sqlQueryId", "sqlAlertId", "sqlDashboardId", "dashboardId",
    "vectorSearchEndpointId", "appName", "databaseInstanceName", "databaseProjectName",
    "knowledgeAssistantId", "supervisorAgentId", "authorization",
)
DEFAULT_ADMIN_GROUPS = ("admins",)
DEFAULT_ALL_USERS_GROUPS = ("users",)
ACCESS = Controls(soc2=("CC6.1", "CC6.3"), iso27001=("A.5.15", "A.5.18", "A.8.2"))


@dataclass(frozen=True)
class AccessControl:
    """One principal's entry of a Permissions access control list."""

    kind: str  # "group", "service principal" or "user"
    principal: Any  # name, or UNKNOWN
    level: str


def _access_controls(props: Any) -> list[AccessControl]:
    """The entries of ``accessControls`` (principal peeked, level read)."""
    result: list[AccessControl] = []
    for entry in elements(read(props, "accessControls")):
        level = str(read(entry, "permissionLevel"))
        for kind, key in (("group", "groupName"), ("service principal", "servicePrincipalName"),
                          ("user", "userName")):
            principal = peek(entry, key)
            if is_set(principal):
                result.append(AccessControl(kind, principal, level))
    return result


def _resolve(acl: AccessControl, props: Any) -> str:
    """The principal name, reading it (SDK unknown check) when it is not known."""
    if acl.principal is UNKNOWN:
        for entry in elements(read(props, "accessControls")):
            for key in ("groupName", "servicePrincipalName", "userName"):
                read(entry, key)
    return str(acl.principal)


def _is_model_grants(args: ResourceValidationArgs) -> bool:
    """A Unity Catalog Grants/Grant resource on a registered model."""
    return args.resource_type in (DB_GRANTS, DB_GRANT) and peek(args.props, "model") is not None


def _uc_admins_and_deployer(args: ResourceValidationArgs, report: Report) -> None:
    """The UC form: admin groups and a service principal (application id) hold MANAGE."""
    if not _is_model_grants(args):
        return
    admins = config_strings(args.get_config(), "adminGroupNames", DEFAULT_ADMIN_GROUPS)
    managers = {p for p, privs in grants_of(args.props) if UC_MANAGE_PRIVILEGES & set(privs)}
    missing = [g for g in admins if g not in managers]
    if missing:
        report(f"grants does not give MANAGE to admin group(s) {missing}; keep "
               "{'principal': '<admin group>', 'privileges': ['MANAGE']} on every model.")
    if not any(is_uuid(p) for p in managers):
        report("no service principal (application id) has MANAGE; keep the deployer service "
               "principal at MANAGE so the pipeline can still manage this model.")


@policy.resource(
    name="databricks-acl-keeps-admins-and-deployer",
    types=[DB_PERMISSIONS, DB_GRANTS],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.3", "A1.2"), iso27001=("A.5.18", "A.8.2")),
    remediation=(
        "Include {'groupName': <each adminGroupNames entry>, "
        "'permissionLevel': 'CAN_MANAGE'} and "
        "{'servicePrincipalName': <deployer application id>, 'permissionLevel': 'CAN_MANAGE'}; "
        "on Unity Catalog model grants, MANAGE for the same principals."
    ),
    config={
        "adminGroupNames": string_list_property(
            DEFAULT_ADMIN_GROUPS, "Groups that must keep CAN_MANAGE on every object."
        ),
    },
)
def check_admins_and_deployer(args: ResourceValidationArgs, report: Report) -> None:
    """Databricks ACLs and Unity Catalog model grants keep the admin group(s) and a deployer SP at
    CAN_MANAGE / MANAGE.

    Token and password ACLs (``authorization``) grant CAN_USE only and are not checked. On a
    Unity Catalog model's Grants, the admin groups and a service principal (an application id)
    hold MANAGE.
    """
    if args.resource_type == DB_GRANTS:
        _uc_admins_and_deployer(args, report)
        return
    if read(args.props, "authorization") is not None:
        return  # token/password ACLs use CAN_USE only
    admins = config_strings(args.get_config(), "adminGroupNames", DEFAULT_ADMIN_GROUPS)
    managers = [a for a in _access_controls(args.props) if a.level == CAN_MANAGE]
    groups = [a for a in managers if a.kind == "group"]
    known = {str(a.principal) for a in groups if a.principal is not UNKNOWN}
    missing = [g for g in admins if g not in known]
    if missing and len(known) < len(groups):
        names = {_resolve(a, args.props) for a in groups}
        missing = [g for g in admins if g not in names]
    if missing:
        report(
            f"accessControls does not grant CAN_MANAGE to admin group(s) {missing}; keep "
            "{'groupName': '<admin group>', 'permissionLevel': 'CAN_MANAGE'} in every list."
        )
    if not any(a.kind == "service principal" for a in managers):
        report(
            "no servicePrincipalName has CAN_MANAGE; keep the deployer service principal at "
            "CAN_MANAGE so the pipeline can still manage this object."
        )


@policy.resource(
    name="databricks-acl-no-manage-for-all-users",
    types=[DB_PERMISSIONS],
    severity=Severity.CRITICAL,
    controls=ACCESS,
    remediation="Grant CAN_MANAGE / CAN_MANAGE_PRODUCTION_VERSIONS to a dedicated principal.",
    config={
        "allUsersGroupNames": string_list_property(
            DEFAULT_ALL_USERS_GROUPS, "Group names that mean every workspace user."
        ),
    },
)
def check_no_broad_manage(args: ResourceValidationArgs, report: Report) -> None:
    """The all-users group never gets CAN_MANAGE or production-transition rights, and nothing on a
    model."""
    everyone = config_strings(args.get_config(), "allUsersGroupNames", DEFAULT_ALL_USERS_GROUPS)
    on_model = peek(args.props, "registeredModelId") is not None
    for acl in _access_controls(args.props):
        if acl.kind != "group" or (acl.level not in BROAD_LEVELS and not on_model):
            continue
        name = _resolve(acl, args.props)
        if name in everyone:
            report(
                f"grants {acl.level} to the '{name}' group (all workspace users); grant it to a "
                "dedicated group or service principal instead."
            )


def _uc_production_rights(args: ResourceValidationArgs, report: Report) -> None:
    """The UC form: MANAGE/ALL_PRIVILEGES on a model only for service principals and admins."""
    if not _is_model_grants(args):
        return
    config = args.get_config()
    exceptions = reasoned_entries(config, "productionTransitionExceptions", "principal")
    admins = set(config_strings(config, "adminGroupNames", DEFAULT_ADMIN_GROUPS))
    for principal, privileges in grants_of(args.props):
        held = sorted(UC_MANAGE_PRIVILEGES & set(privileges))
        if not held or is_uuid(principal) or principal in admins:
            continue
        if exceptions.get(principal) is True:
            continue
        report(
            f"grants {held[0]} on the model to '{principal}', which is not a service principal; "
            "only service principals (the release pipeline) may promote model versions - grant "
            f"it to a service principal's application id, or add {{'principal': '{principal}', "
            "'reason': '...'}} to productionTransitionExceptions."
        )


@policy.resource(
    name="databricks-production-transitions-by-service-principal",
    types=[DB_PERMISSIONS, DB_GRANTS, DB_GRANT],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.3", "CC8.1"), iso27001=("A.8.2", "A.8.32")),
    remediation=(
        "Grant CAN_MANAGE_PRODUCTION_VERSIONS (Unity Catalog models: MANAGE) only to the "
        "release service principal (MANAGE also to adminGroupNames); list any exception as "
        "{'principal': ..., 'reason': ...} in productionTransitionExceptions."
    ),
    config={
        "adminGroupNames": string_list_property(
            DEFAULT_ADMIN_GROUPS, "Operator groups that keep MANAGE on Unity Catalog models."
        ),
        "productionTransitionExceptions": {
            "type": "array",
            "default": [],
            "description": "Non-service-principal holders of production rights, with reason.",
            "items": {
                "type": "object",
                "properties": {
                    "principal": {"type": "string"},
                    "reason": {"type": "string"},
                },
                "required": ["principal", "reason"],
            },
        },
    },
)
def check_production_transitions(args: ResourceValidationArgs, report: Report) -> None:
    """Only service principals may transition models to Production (workspace
    CAN_MANAGE_PRODUCTION_VERSIONS; Unity Catalog MANAGE, which the admin groups also keep).

    A principal listed in ``productionTransitionExceptions`` with a reason is exempt.
    """
    if args.resource_type in (DB_GRANTS, DB_GRANT):
        _uc_production_rights(args, report)
        return
    exceptions = reasoned_entries(args.get_config(), "productionTransitionExceptions",
                                  "principal")
    for acl in _access_controls(args.props):
        if acl.level != CAN_MANAGE_PRODUCTION_VERSIONS or acl.kind == "service principal":
            continue
        name = _resolve(acl, args.props)
        if exceptions.get(name) is True:
            continue
        if name in exceptions:
            report(
                f"productionTransitionExceptions lists '{name}' without a reason; add the reason "
                "to honour the exception."
            )
            continue
        report(
            f"grants CAN_MANAGE_PRODUCTION_VERSIONS to {acl.kind} '{name}'; only service "
            "principals (the release pipeline) may transition models to Production - grant it "
            f"to a servicePrincipalName, or add {{'principal': '{name}', 'reason': '...'}} to "
            "productionTransitionExceptions."
        )


def _identity(resource: PolicyResource, props: Sequence[str]) -> Optional[tuple[str, str, str]]:
    """(property, comparable value, shown value) of the object a resource manages."""
    for prop in props:
        value = peek(resource.props, prop)
        if value is None:
            continue
        if value is not UNKNOWN:
            return prop, lower(str(value)), str(value)
        deps = sorted(d.urn for d in dependencies(resource, prop))
        if not deps:
            read(resource.props, prop)  # unknown and untraceable: the SDK reports it
        names = ", ".join(sorted(d.name for d in dependencies(resource, prop)))
        return prop, "depends-on:" + ",".join(deps), f"<output of {names}>"
    return None


def _duplicates(resources: list[PolicyResource], token: str, props: Sequence[str],
                report: Report) -> None:
    """Report objects managed by more than one resource of type ``token``."""
    owners: dict[tuple[str, str, str], list[PolicyResource]] = {}
    shown: dict[tuple[str, str, str], str] = {}
    for resource in of_type(resources, token):
        identity = _identity(resource, props)
        if identity is None:
            continue
        provider = resource.provider.urn if resource.provider else ""
        key = (provider, identity[0], identity[1])
        owners.setdefault(key, []).append(resource)
        shown.setdefault(key, identity[2])
    short = token.rsplit(":", 1)[-1]
    for key, found in owners.items():
        if len(found) > 1:
            names = ", ".join(f"'{r.name}'" for r in found)
            report(
                f"{len(found)} {short} resources ({names}) manage {key[1]} '{shown[key]}'; keep "
                "exactly one - each is authoritative and they overwrite each other.",
                found[1].urn,
            )


@policy.stack(
    name="databricks-single-acl-per-object",
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.3", "CC8.1"), iso27001=("A.5.18", "A.8.9")),
    remediation="Merge the access control lists / grants of the object into one resource.",
)
def check_single_acl(args: StackValidationArgs, report: Report) -> None:
    """One Permissions resource per object and one Grants resource per securable."""
    _duplicates(args.resources, DB_PERMISSIONS, PERMISSIONS_OBJECT_PROPS, report)
    _duplicates(args.resources, DB_GRANTS, GRANTS_SECURABLE_PROPS, report)
