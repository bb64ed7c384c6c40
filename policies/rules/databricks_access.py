"""Databricks identity, workspace access, model-registry ACL and Unity Catalog grant rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from ._common import (
    UNKNOWN,
    Controls,
    Report,
    config_int,
    config_strings,
    config_value,
    dependencies,
    elements,
    integer_property,
    is_set,
    is_type,
    is_uuid,
    lower,
    of_type,
    peek,
    read,
    read_all,
    resource_rule,
    stack_rule,
    string_list_property,
)

DOMAIN = "databricks-access"

DB_GROUP = "databricks:index/group:Group"
DB_USER = "databricks:index/user:User"
DB_SERVICE_PRINCIPAL = "databricks:index/servicePrincipal:ServicePrincipal"
DB_GROUP_MEMBER = "databricks:index/groupMember:GroupMember"
DB_PERMISSIONS = "databricks:index/permissions:Permissions"
DB_GRANTS = "databricks:index/grants:Grants"
DB_GRANT = "databricks:index/grant:Grant"  # one principal on one securable, non-authoritative
DB_REGISTERED_MODEL = "databricks:index/registeredModel:RegisteredModel"
DB_MLFLOW_MODEL = "databricks:index/mlflowModel:MlflowModel"
DB_PERMISSION_ASSIGNMENT = "databricks:index/permissionAssignment:PermissionAssignment"
AAD_GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
NON_USER_MEMBER_TYPES = (
    DB_GROUP,
    DB_SERVICE_PRINCIPAL,
    "azuread:index/group:Group",
    "azuread:index/servicePrincipal:ServicePrincipal",
)

CAN_MANAGE = "CAN_MANAGE"
CAN_MANAGE_PRODUCTION_VERSIONS = "CAN_MANAGE_PRODUCTION_VERSIONS"
BROAD_LEVELS = (CAN_MANAGE, CAN_MANAGE_PRODUCTION_VERSIONS)
EXECUTE_PRIVILEGES = {"EXECUTE", "ALL_PRIVILEGES"}
USE_CATALOG_PRIVILEGES = {"USE_CATALOG", "ALL_PRIVILEGES"}
USE_SCHEMA_PRIVILEGES = {"USE_SCHEMA", "ALL_PRIVILEGES"}

PERMISSIONS_OBJECT_PROPS = (
    "registeredModelId", "experimentId", "servingEndpointId", "clusterId", "clusterPolicyId",
    "instancePoolId", "jobId", "pipelineId", "notebookId", "notebookPath", "directoryId",
    "directoryPath", "repoId", "repoPath", "workspaceFileId", "workspaceFilePath",
    "sqlEndpointId", "sqlQueryId", "sqlAlertId", "sqlDashboardId", "dashboardId",
    "vectorSearchEndpointId", "appName", "databaseInstanceName", "databaseProjectName",
    "knowledgeAssistantId", "supervisorAgentId", "authorization",
)
GRANTS_SECURABLE_PROPS = (
    "metastore", "catalog", "schema", "table", "volume", "model", "function",
    "externalLocation", "storageCredential", "credential", "foreignConnection", "share",
    "recipient", "pipeline", "modelService", "mcpService", "modelProviderService",
)

DEFAULT_ADMIN_GROUPS = ("admins",)
DEFAULT_ALL_USERS_GROUPS = ("users",)
DEFAULT_BROAD_UC_PRINCIPALS = ("account users", "users")


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


# ---------------------------------------------------------------------------------------------
# Identity checks
# ---------------------------------------------------------------------------------------------


def check_group_external_id(args: ResourceValidationArgs, report: Report) -> None:
    """Databricks groups are linked to their Entra group."""
    external_id = read(args.props, "externalId")
    if not external_id:
        report(
            "externalId is not set; set it to the Entra group object id so the group is managed "
            "from Entra ID (SCIM / automatic identity management)."
        )
    elif not is_uuid(external_id):
        report(f"externalId '{external_id}' is not a UUID; use the Entra group object id.")


def check_service_principal_linked(args: ResourceValidationArgs, report: Report) -> None:
    """Databricks service principals are Entra ID (Azure-managed) service principals."""
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


def check_direct_memberships(args: StackValidationArgs, report: Report) -> None:
    """Per-user group memberships stay below the configured threshold."""
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


def check_workspace_access_via_groups(
    args: ResourceValidationArgs, report: Report
) -> None:
    """Workspace access is assigned to groups, not individual users."""
    if is_set(peek(args.props, "userName")):
        user = read(args.props, "userName")
        report(
            f"assigns workspace permissions directly to user '{user}'; assign them to an "
            "Entra-synced group (groupName) instead."
        )


# ---------------------------------------------------------------------------------------------
# Permissions (workspace object ACL) checks
# ---------------------------------------------------------------------------------------------


# Unity Catalog privileges that manage a model: grant, alias (promote) and delete versions.
UC_MANAGE_PRIVILEGES = {"MANAGE", "ALL_PRIVILEGES"}


def _is_model_grants(args: ResourceValidationArgs) -> bool:
    """A Unity Catalog Grants/Grant resource on a registered model."""
    return args.resource_type in (DB_GRANTS, DB_GRANT) and peek(args.props, "model") is not None


def _uc_admins_and_deployer(args: ResourceValidationArgs, report: Report) -> None:
    """The UC form: admin groups and a service principal (application id) hold MANAGE."""
    if args.resource_type != DB_GRANTS or not _is_model_grants(args):
        return
    admins = config_strings(args.get_config(), "adminGroupNames", DEFAULT_ADMIN_GROUPS)
    managers = {p for p, privs in _grants(args.props) if UC_MANAGE_PRIVILEGES & set(privs)}
    missing = [g for g in admins if g not in managers]
    if missing:
        report(f"grants does not give MANAGE to admin group(s) {missing}; keep "
               "{'principal': '<admin group>', 'privileges': ['MANAGE']} on every model.")
    if not any(is_uuid(p) for p in managers):
        report("no service principal (application id) has MANAGE; keep the deployer service "
               "principal at MANAGE so the pipeline can still manage this model.")


def check_admins_and_deployer(args: ResourceValidationArgs, report: Report) -> None:
    """Every ACL keeps the admin group(s) and a deployer service principal at CAN_MANAGE."""
    if args.resource_type in (DB_GRANTS, DB_GRANT):
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


def check_no_broad_manage(args: ResourceValidationArgs, report: Report) -> None:
    """The all-users group never gets CAN_MANAGE or CAN_MANAGE_PRODUCTION_VERSIONS; on a model
    ACL it gets nothing at all (the README's "nothing is granted to all users")."""
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


def _exceptions(config: Mapping[str, Any]) -> dict[str, bool]:
    """productionTransitionExceptions as {principal: has a reason}."""
    result: dict[str, bool] = {}
    entries = config_value(config, "productionTransitionExceptions", [])
    if isinstance(entries, Sequence) and not isinstance(entries, str):
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get("principal"), str):
                reason = entry.get("reason")
                result[entry["principal"]] = isinstance(reason, str) and bool(reason.strip())
    return result


def _uc_production_rights(args: ResourceValidationArgs, report: Report) -> None:
    """The UC form: MANAGE/ALL_PRIVILEGES on a model only for service principals and admins."""
    if not _is_model_grants(args):
        return
    config = args.get_config()
    exceptions = _exceptions(config)
    admins = set(config_strings(config, "adminGroupNames", DEFAULT_ADMIN_GROUPS))
    for principal, privileges in _grants(args.props):
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


def check_production_transitions(args: ResourceValidationArgs, report: Report) -> None:
    """Only service principals may move model versions to Production."""
    if args.resource_type in (DB_GRANTS, DB_GRANT):
        _uc_production_rights(args, report)
        return
    exceptions = _exceptions(args.get_config())
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


# ---------------------------------------------------------------------------------------------
# Object identity (one authoritative ACL / grant set per object)
# ---------------------------------------------------------------------------------------------


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


def check_single_acl(args: StackValidationArgs, report: Report) -> None:
    """At most one Permissions resource per object and one Grants resource per securable."""
    _duplicates(args.resources, DB_PERMISSIONS, PERMISSIONS_OBJECT_PROPS, report)
    _duplicates(args.resources, DB_GRANTS, GRANTS_SECURABLE_PROPS, report)


# ---------------------------------------------------------------------------------------------
# Unity Catalog grants
# ---------------------------------------------------------------------------------------------


def _grants(props: Any) -> list[tuple[str, list[str]]]:
    """(principal, privileges) pairs of a Grants resource, or of a single Grant resource."""
    if peek(props, "grants") is None and peek(props, "principal") is not None:
        return [(str(read(props, "principal")),
                 [str(p) for p in read_all(props, "privileges") or []])]
    return [
        (str(read(g, "principal")), [str(p) for p in read_all(g, "privileges") or []])
        for g in elements(read(props, "grants"))
    ]


def check_no_grant_to_everyone(args: ResourceValidationArgs, report: Report) -> None:
    """Unity Catalog privileges are never granted to every user."""
    broad = {p.lower() for p in config_strings(
        args.get_config(), "broadPrincipals", DEFAULT_BROAD_UC_PRINCIPALS)}
    for principal, privileges in _grants(args.props):
        if principal.lower() in broad:
            report(
                f"grants {privileges} to '{principal}' (every user); grant them to a specific "
                "group instead."
            )


def _model_name(grants: PolicyResource) -> Optional[str]:
    """Full name (catalog.schema.model) of the model a Grants resource targets."""
    value = peek(grants.props, "model")
    if value is None or isinstance(value, str):
        return value
    models = [
        d for d in dependencies(grants, "model") if is_type(d.resource_type, DB_REGISTERED_MODEL)
    ]
    if len(models) == 1:
        parts = [peek(models[0].props, k) for k in ("catalogName", "schemaName", "name")]
        if all(isinstance(p, str) for p in parts):
            return ".".join(parts)
    return str(read(grants.props, "model"))


def _privileges_on(resources: list[PolicyResource], prop: str) -> dict[str, dict[str, set[str]]]:
    """{securable (lower): {principal (lower): privileges}} for Grants on ``prop`` securables."""
    result: dict[str, dict[str, set[str]]] = {}
    for grants in [*of_type(resources, DB_GRANTS), *of_type(resources, DB_GRANT)]:
        if peek(grants.props, prop) is None:
            continue
        securable = str(read(grants.props, prop)).lower()
        for principal, privileges in _grants(grants.props):
            result.setdefault(securable, {}).setdefault(principal.lower(), set()).update(
                p.upper() for p in privileges
            )
    return result


def check_model_execute_usage(args: StackValidationArgs, report: Report) -> None:
    """Principals with EXECUTE on a UC model also have USE_CATALOG and USE_SCHEMA."""
    catalogs = _privileges_on(args.resources, "catalog")
    schemas = _privileges_on(args.resources, "schema")
    for grants in of_type(args.resources, DB_GRANTS):
        model = _model_name(grants)
        if model is None or model.count(".") != 2:
            continue
        catalog, schema, _ = model.lower().split(".")
        for principal, privileges in _grants(grants.props):
            if not EXECUTE_PRIVILEGES & {p.upper() for p in privileges}:
                continue
            on_catalog = catalogs.get(catalog, {}).get(principal.lower(), set())
            on_schema = schemas.get(f"{catalog}.{schema}", {}).get(principal.lower(), set())
            missing = []
            if not on_catalog & USE_CATALOG_PRIVILEGES:
                missing.append(f"USE_CATALOG on catalog '{catalog}'")
            if not (on_schema | on_catalog) & USE_SCHEMA_PRIVILEGES:
                missing.append(f"USE_SCHEMA on schema '{catalog}.{schema}'")
            if missing:
                report(
                    f"'{principal}' has EXECUTE on model '{model}' but lacks "
                    + " and ".join(missing)
                    + "; grant them on the catalog and the schema (databricks Grant or Grants).",
                    grants.urn,
                )


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------

def check_legacy_model_registry(args: ResourceValidationArgs, report: Report) -> None:
    """A model in the workspace MLflow registry (legacy) instead of Unity Catalog."""
    name = peek(args.props, "name")
    report(
        f"model '{name if isinstance(name, str) else '<unknown>'}' is in the legacy workspace "
        "model registry, which Databricks disabled for new workspaces in accounts whose default "
        "catalog is in Unity Catalog; its ACLs are workspace-local and its lineage and audit "
        "stay outside Unity Catalog. Migrate it (README, 'Legacy workspace model registry')."
    )


ACCESS = Controls(soc2=("CC6.1", "CC6.3"), iso27001=("A.5.15", "A.5.18", "A.8.2"))

POLICIES = [
    resource_rule(
        name="databricks-model-registry-unity-catalog",
        description=(
            "Models are registered in Unity Catalog, not in the legacy workspace model registry."
        ),
        domain=DOMAIN,
        types=[DB_MLFLOW_MODEL],
        check=check_legacy_model_registry,
        severity=Severity.LOW,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.5.15", "A.8.2")),
        remediation=(
            "Copy the model's versions to a Unity Catalog model (MLflow copy_model_version), "
            "move its consumers to models:/<catalog>.<schema>.<model>, set `registry: "
            "unity-catalog` with catalog, schema and privileges in the stack config, then "
            "remove the workspace model."
        ),
        enforcement=EnforcementLevel.ADVISORY,
    ),
    resource_rule(
        name="databricks-group-external-id",
        description="Databricks groups carry the object id of their Entra group (externalId).",
        domain=DOMAIN,
        types=[DB_GROUP],
        check=check_group_external_id,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.2",), iso27001=("A.5.16",), cis=("v5.0.0-2.1.4",)),
        remediation="Set externalId=<azuread Group object_id> on the databricks Group.",
    ),
    resource_rule(
        name="databricks-service-principal-entra-linked",
        description="Databricks service principals are Entra ID service principals.",
        domain=DOMAIN,
        types=[DB_SERVICE_PRINCIPAL],
        check=check_service_principal_linked,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.2",), iso27001=("A.5.16", "A.5.17"), cis=("v5.0.0-2.1.4",)),
        remediation=(
            "Set applicationId=<azuread Application client_id> on the databricks "
            "ServicePrincipal."
        ),
    ),
    stack_rule(
        name="databricks-no-per-user-memberships",
        description="Group membership is managed in Entra ID, not with per-user resources.",
        domain=DOMAIN,
        check=check_direct_memberships,
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
    ),
    resource_rule(
        name="databricks-workspace-access-via-groups",
        description="Databricks workspace access is assigned to groups, not to users.",
        domain=DOMAIN,
        types=[DB_PERMISSION_ASSIGNMENT],
        check=check_workspace_access_via_groups,
        severity=Severity.LOW,
        controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18")),
        remediation="Assign workspace permissions with groupName (an Entra-synced group).",
    ),
    resource_rule(
        name="databricks-acl-keeps-admins-and-deployer",
        description="Databricks ACLs and Unity Catalog model grants keep the admin group(s) and "
                    "a deployer SP at CAN_MANAGE / MANAGE.",
        domain=DOMAIN,
        types=[DB_PERMISSIONS, DB_GRANTS],
        check=check_admins_and_deployer,
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
    ),
    resource_rule(
        name="databricks-acl-no-manage-for-all-users",
        description="The all-users group never gets CAN_MANAGE or production-transition rights, "
                    "and nothing on a model.",
        domain=DOMAIN,
        types=[DB_PERMISSIONS],
        check=check_no_broad_manage,
        severity=Severity.CRITICAL,
        controls=ACCESS,
        remediation="Grant CAN_MANAGE / CAN_MANAGE_PRODUCTION_VERSIONS to a dedicated principal.",
        config={
            "allUsersGroupNames": string_list_property(
                DEFAULT_ALL_USERS_GROUPS, "Group names that mean every workspace user."
            ),
        },
    ),
    resource_rule(
        name="databricks-production-transitions-by-service-principal",
        description="Only service principals may transition models to Production (workspace "
                    "CAN_MANAGE_PRODUCTION_VERSIONS, Unity Catalog MANAGE).",
        domain=DOMAIN,
        types=[DB_PERMISSIONS, DB_GRANTS, DB_GRANT],
        check=check_production_transitions,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.3", "CC8.1"), iso27001=("A.8.2", "A.8.32")),
        remediation=(
            "Grant CAN_MANAGE_PRODUCTION_VERSIONS only to the release service principal; list any "
            "exception as {'principal': ..., 'reason': ...} in productionTransitionExceptions."
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
    ),
    stack_rule(
        name="databricks-single-acl-per-object",
        description="One Permissions resource per object and one Grants resource per securable.",
        domain=DOMAIN,
        check=check_single_acl,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.3", "CC8.1"), iso27001=("A.5.18", "A.8.9")),
        remediation="Merge the access control lists / grants of the object into one resource.",
    ),
    resource_rule(
        name="databricks-uc-no-grants-to-everyone",
        description="Unity Catalog privileges are never granted to 'account users' or 'users'.",
        domain=DOMAIN,
        types=[DB_GRANTS, DB_GRANT],
        check=check_no_grant_to_everyone,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.8.3"), cis=("v5.0.0-2.1",)),
        remediation="Grant the privileges to a dedicated, Entra-synced group.",
        config={
            "broadPrincipals": string_list_property(
                DEFAULT_BROAD_UC_PRINCIPALS, "Principals that stand for every user."
            ),
        },
    ),
    stack_rule(
        name="databricks-uc-model-execute-has-usage",
        description="Principals with EXECUTE on a UC model can use its catalog and schema.",
        domain=DOMAIN,
        check=check_model_execute_usage,
        severity=Severity.LOW,
        controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.5.18")),
        remediation=(
            "Grant USE_CATALOG on the catalog and USE_SCHEMA on the schema to every principal that "
            "has EXECUTE on a model."
        ),
    ),
]
