"""The auditor's access review: who can do what to which model, and why.

Computed from the captured plan (what the stack will really declare, operators included).
Each resource says which principal or model it belongs to through the config entry it sits
under (:mod:`gate.trace`): no display name is matched. ACL entries name principals by their
Databricks name, so those names are read off the plan's own Databricks principals (or, with
automatic identity management, the account lookups keyed by Entra object id and client id).
The settings explain why (which config key, or operator rule, granted each right). Formats
(:mod:`gate.access_formats`): Markdown with a Mermaid graph, CSV, JSON.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from gate.access_formats import render_access_markdown, render_csv
from gate.access_paths import AccessPath, build_access_paths
from gate.capture import Plan
from gate.escape import jsondoc
from gate.model import CapturedResource
from gate.tokens import (
    APP_ROLE_ASSIGNMENT,
    CA_POLICY,
    DBX_ASSIGN,
    DBX_GROUP,
    DBX_GROUP_MEMBER,
    DBX_SP,
    ENTITLEMENTS,
    ENTRA_GROUP,
    ENTRA_SP,
    EXTERNAL_GROUP_LOOKUP,
    EXTERNAL_SP_LOOKUP,
    GRANTS,
    PERMISSIONS,
    UAMI,
)
from gate.trace import entry_key, trace
from settings import Settings
from settings.model import PRODUCTION_LEVELS, PRODUCTION_PRIVILEGES, PROJECT
from settings.wellknown import AZURE_DATABRICKS_APP_ID

NOT_MAPPED_PATH = "not mapped (Entra only)"
ENTITLEMENT_WIRE = (
    "workspaceAccess",
    "databricksSqlAccess",
    "allowClusterCreate",
    "allowInstancePoolCreate",
)
# Rights that let a principal put a model version into production or change who may.
PRODUCTION_RIGHTS = {*PRODUCTION_LEVELS, *PRODUCTION_PRIVILEGES}
BUILTIN_ADMINS = "admins"


@dataclass
class ModelRight:
    model: str  # config key of the model
    registry: str
    full_name: str
    access: list[str]
    granted_by: str  # the config key (or rule) that produced this right

    @property
    def production(self) -> bool:
        return bool(PRODUCTION_RIGHTS & set(self.access))


@dataclass
class PrincipalAccess:
    key: str
    kind: str  # group | service-principal | managed-identity | built-in
    display_name: str
    identifier: str  # Entra object id (groups) or application/client id (service principals)
    role: str
    workspace_permission: list[str]
    entitlements: dict[str, bool]
    granted_by: str
    conditional_access: list[str] = field(default_factory=list)
    models: list[ModelRight] = field(default_factory=list)
    # How it became a Databricks principal (the stack output identityPaths): resolved via
    # automatic identity management, created by SCIM, created by this stack, workspace-local.
    path: str = ""
    # Can this principal get a token for Azure Databricks at all, and through what?
    can_sign_in: str = ""  # "yes" | "no"
    sign_in_via: str = ""


@dataclass
class AccessReport:
    stack: str
    environment: str
    workspace: str
    principals: list[PrincipalAccess]
    conditional_access: list[dict[str, Any]]
    break_glass_group_object_ids: list[str]
    azure_databricks_assignment_required: bool = False
    # Entra ID Governance: how a person gets into each group (see gate/access_paths.py).
    access_paths: list[AccessPath] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        for p, src in zip(doc["principals"], self.principals, strict=False):
            for m, right in zip(p["models"], src.models, strict=False):
                m["production"] = right.production
        for path_doc, path in zip(doc["access_paths"], self.access_paths, strict=False):
            path_doc["summary"] = path.summary
        return doc


def _ns(path: str) -> str:
    return f"{PROJECT}:{path}"


def principal_of(r: CapturedResource) -> str:
    """The group or service principal key whose config entry declared ``r`` ("" if none)."""
    return entry_key(r, "groups") or entry_key(r, "servicePrincipals")


@dataclass
class _Identities:
    """How the plan names each principal, by config key (read from the resources' entries)."""

    entra_group_ids: dict[str, str] = field(default_factory=dict)  # key -> Entra object id
    acl_to_key: dict[str, str] = field(default_factory=dict)  # ACL name -> principal key
    app_to_key: dict[str, str] = field(default_factory=dict)  # application id -> SP key
    client_to_key: dict[str, str] = field(default_factory=dict)  # client id -> SP key


def _identities(plan: Plan, by_type: dict[str, list[CapturedResource]]) -> _Identities:
    """ACL entries name a group by its Databricks display name and a service principal by its
    application id: the names the plan's own Databricks principals carry, under their entries.
    Automatic identity management declares no Databricks principal: the account lookup of a
    group is keyed by its Entra object id, that of a service principal returns its client id."""
    ids = _Identities()
    for r in by_type[ENTRA_GROUP]:
        key = entry_key(r, "groups")
        if key:
            ids.entra_group_ids[key] = str(r.outputs.get("objectId", ""))
    for r in by_type[DBX_GROUP]:
        key = entry_key(r, "groups")
        if key:
            ids.acl_to_key[str(r.outputs.get("displayName", r.inputs.get("displayName", "")))] = key
    for r in by_type[DBX_SP]:
        key = entry_key(r, "servicePrincipals")
        if key:
            ids.app_to_key[str(r.inputs.get("applicationId", ""))] = key
    ids.client_to_key = {str(v): k for k, v in
                         (plan.outputs.get("servicePrincipalApplicationIds") or {}).items()}
    group_of_oid = {oid: k for k, oid in ids.entra_group_ids.items()}
    for lookup in plan.lookups:
        result = lookup.get("result") or {}
        if lookup["token"] == EXTERNAL_GROUP_LOOKUP:
            oid = str((lookup.get("args") or {}).get("name", "")).rpartition("/")[2]
            key = group_of_oid.get(oid, "")
            if key:
                ids.acl_to_key[str(result.get("displayName", ""))] = key
        elif lookup["token"] == EXTERNAL_SP_LOOKUP:
            app = str(result.get("applicationId", ""))
            if app in ids.client_to_key:
                ids.app_to_key[app] = ids.client_to_key[app]
    ids.acl_to_key.update(ids.app_to_key)
    return ids


def build_access_report(settings: Settings, plan: Plan) -> AccessReport:
    """The review of ``plan`` (traced here: every key is read from the resources' entries)."""
    trace(plan.resources, settings)
    res = plan.resources
    by_type: dict[str, list[CapturedResource]] = defaultdict(list)
    for r in res:
        by_type[r.type].append(r)

    ids = _identities(plan, by_type)
    entra_ids = ids.entra_group_ids
    app_to_key = ids.app_to_key
    client_to_key = ids.client_to_key
    paths: dict[str, str] = {str(k): str(v) for k, v in
                             (plan.outputs.get("identityPaths") or {}).items()}

    # Workspace assignment, entitlements and (workspace identity mode) admins membership: each
    # sits under its principal's config entry, which names the key.
    permission: dict[str, list[str]] = defaultdict(list)
    for token in DBX_ASSIGN:
        for r in by_type[token]:
            key = principal_of(r)
            if key:
                permission[key] = sorted(
                    set(permission[key]) | set(r.inputs.get("permissions", []))
                )
    entitlements: dict[str, dict[str, bool]] = {}
    for r in by_type[ENTITLEMENTS]:
        key = principal_of(r)
        if key:
            entitlements[key] = {w: bool(r.inputs.get(w, False)) for w in ENTITLEMENT_WIRE}
    for r in by_type[DBX_GROUP]:  # workspace identity mode: entitlements on the group itself
        key = principal_of(r)
        if key and key not in entitlements and any(w in r.inputs for w in ENTITLEMENT_WIRE):
            entitlements[key] = {w: bool(r.inputs.get(w, False)) for w in ENTITLEMENT_WIRE}
    for r in by_type[DBX_GROUP_MEMBER]:  # workspace mode: admin principals join the built-in admins
        key = principal_of(r)
        if key:
            permission[key] = sorted(set(permission[key]) | {"ADMIN"})

    def principal_key(acl_name: str) -> str:
        if acl_name == BUILTIN_ADMINS:
            return BUILTIN_ADMINS
        return ids.acl_to_key.get(acl_name, acl_name)

    rights: dict[str, list[ModelRight]] = defaultdict(list)
    model_of_resource = {r.urn: _model_key(r, settings) for r in res}
    for r in by_type[PERMISSIONS]:
        mk = model_of_resource.get(r.urn)
        if not mk:
            continue
        model = settings.models[mk]
        for ac in r.inputs.get("accessControls", []):
            name = ac.get("groupName") or ac.get("servicePrincipalName") or ac.get("userName") or ""
            pk = principal_key(str(name))
            rights[pk].append(
                ModelRight(
                    mk,
                    model.registry,
                    model.name,
                    [str(ac.get("permissionLevel"))],
                    _why(settings, mk, pk),
                )
            )
    for r in by_type[GRANTS]:
        mk = model_of_resource.get(r.urn)
        if not mk:
            continue
        model = settings.models[mk]
        full = f"{model.catalog}.{model.schema_}.{model.name}"
        for g in r.inputs.get("grants", []):
            pk = principal_key(str(g.get("principal", "")))
            rights[pk].append(
                ModelRight(
                    mk,
                    model.registry,
                    full,
                    sorted(g.get("privileges", [])),
                    _why(settings, mk, pk),
                )
            )

    ca = settings.conditional_access
    policies = []
    for r in sorted(by_type[CA_POLICY], key=lambda x: x.name):
        users = (r.inputs.get("conditions") or {}).get("users") or {}
        controls = (r.inputs.get("grantControls") or {}).get("builtInControls") or []
        policies.append(
            {
                "name": r.inputs.get("displayName", r.name),
                "state": r.inputs.get("state", ""),
                "controls": list(controls),
                "includedGroups": list(users.get("includedGroups") or []),
                "excludedGroups": list(users.get("excludedGroups") or []),
                "excludesBreakGlass": bool(
                    set(ca.break_glass_group_object_ids) & set(users.get("excludedGroups") or [])
                ),
            }
        )

    principals: list[PrincipalAccess] = []
    for key, g in settings.groups.items():
        oid = entra_ids.get(key, "")
        covered = [
            p["name"]
            for p in policies
            if oid and oid in p["includedGroups"] and p["state"] != "disabled"
        ]
        principals.append(
            PrincipalAccess(
                key=key,
                kind="group",
                display_name=g.display_name,
                identifier=oid,
                role=g.role.value if g.role else "(not mapped to Databricks)",
                workspace_permission=permission.get(key, []),
                entitlements=entitlements.get(key, {}),
                granted_by=_ns(f"groups.{key}.role") if g.is_mapped else _ns(f"groups.{key}"),
                conditional_access=covered,
                models=_sorted(rights.get(key, [])),
                path=paths.get(key, "") if g.is_mapped else NOT_MAPPED_PATH,
            )
        )
    for key, sp in settings.service_principals.items():
        app = next((a for a, k in app_to_key.items() if k == key), "") or next(
            (a for a, k in client_to_key.items() if k == key), "")
        principals.append(
            PrincipalAccess(
                key=key,
                kind="managed-identity" if sp.kind == "managed-identity" else "service-principal",
                display_name=sp.display_name,
                identifier=app,
                role=sp.role.value,
                workspace_permission=permission.get(key, []),
                entitlements=entitlements.get(key, {}),
                granted_by=_ns(f"servicePrincipals.{key}.role"),
                models=_sorted(rights.get(key, [])),
                path=paths.get(key, ""),
            )
        )
    if rights.get(BUILTIN_ADMINS):
        principals.append(
            PrincipalAccess(
                key=BUILTIN_ADMINS,
                kind="built-in",
                display_name="workspace admins (built-in)",
                identifier="admins",
                role="admin",
                workspace_permission=["ADMIN"],
                entitlements={},
                granted_by="built-in: members of the workspace admins group",
                models=_sorted(rights[BUILTIN_ADMINS]),
                path="built-in workspace group",
            )
        )
    for i, oid in enumerate(ca.break_glass_group_object_ids):
        principals.append(PrincipalAccess(
            key=f"break-glass-{i + 1}", kind="break-glass", display_name="break-glass group",
            identifier=oid, role="(emergency access)", workspace_permission=[], entitlements={},
            granted_by=_ns(f"conditionalAccess.breakGlassGroupObjectIds.{i}"),
            conditional_access=["excluded from every policy"]))
    for key, extra in settings.azure_databricks_app.additional_assignments.items():
        principals.append(PrincipalAccess(
            key=key, kind=f"additional {extra.principal_type}", display_name=extra.reason,
            identifier=extra.object_id, role="(not mapped to Databricks)",
            workspace_permission=[], entitlements={},
            granted_by=_ns(f"azureDatabricksApp.additionalAssignments.{key}")))
    required = _sign_in(principals, by_type, _object_ids(by_type, entra_ids, settings))
    return AccessReport(
        stack=plan.stack,
        environment=settings.environment.value,
        workspace=settings.workspace.name,
        principals=principals,
        conditional_access=policies,
        break_glass_group_object_ids=list(ca.break_glass_group_object_ids),
        azure_databricks_assignment_required=required,
        access_paths=build_access_paths(settings, plan),
    )


def _object_ids(by_type: dict[str, list[CapturedResource]], entra_ids: dict[str, str],
                settings: Settings) -> dict[str, str]:
    """Entra object id -> principal key, from the plan (what the stack really assigns): each
    group, service principal and managed identity under its config entry."""
    out = {oid: k for k, oid in entra_ids.items()}
    for sp in by_type[ENTRA_SP]:
        key = entry_key(sp, "servicePrincipals")
        if key:
            out[str(sp.outputs.get("objectId", sp.id))] = key
    for mi in by_type[UAMI]:
        key = entry_key(mi, "servicePrincipals")
        if key:
            out[str(mi.outputs.get("principalId", ""))] = key
    for i, oid in enumerate(settings.conditional_access.break_glass_group_object_ids):
        out[oid] = f"break-glass-{i + 1}"
    for k, extra in settings.azure_databricks_app.additional_assignments.items():
        out[extra.object_id] = k
    return out


def _sign_in(principals: list[PrincipalAccess], by_type: dict[str, list[CapturedResource]],
             owners: dict[str, str]) -> bool:
    """Fill can_sign_in / sign_in_via from the adopted enterprise app and its assignments.

    Returns whether the Azure Databricks enterprise app requires assignment in this plan.
    """
    adopted = [sp for sp in by_type[ENTRA_SP]
               if str(sp.inputs.get("clientId", "")).lower() == AZURE_DATABRICKS_APP_ID]
    required = any(sp.inputs.get("appRoleAssignmentRequired") is True for sp in adopted)
    targets = {str(sp.outputs.get("objectId", sp.id)) for sp in adopted}
    assigned: dict[str, str] = {}
    for a in by_type[APP_ROLE_ASSIGNMENT]:
        if str(a.inputs.get("resourceObjectId", "")) in targets:
            key = owners.get(str(a.inputs.get("principalObjectId", "")))
            if key:
                assigned[key] = a.name
    for p in principals:
        if p.key == BUILTIN_ADMINS:
            p.can_sign_in, p.sign_in_via = "-", "a Databricks group, not an Entra principal"
        elif not required:
            p.can_sign_in = "yes"
            p.sign_in_via = ("assignment not required on Azure Databricks: every user and "
                             "identity of the tenant can get a token")
        elif p.key in assigned:
            p.can_sign_in = "yes"
            p.sign_in_via = f"app role assignment '{assigned[p.key]}' on Azure Databricks"
        else:
            p.can_sign_in = "no"
            p.sign_in_via = "not assigned to Azure Databricks: Entra issues it no token"
    return required


def _model_key(r: CapturedResource, settings: Settings) -> str:
    prefix = _ns("models.")
    return (
        r.source_key[len(prefix) :]
        if r.source_key.startswith(prefix) and r.source_key[len(prefix) :] in settings.models
        else ""
    )


def _why(settings: Settings, mk: str, pk: str) -> str:
    if pk in settings.models[mk].permissions:
        return _ns(f"models.{mk}.permissions.{pk}")
    if pk == BUILTIN_ADMINS:
        return "operator: built-in workspace admins always keep CAN_MANAGE"
    if pk == settings.deployer:
        return f"operator: the deployer ({_ns('deployer')})"
    if pk in settings.admin_groups:
        return f"operator: admin group ({_ns(f'groups.{pk}.role')})"
    return "not in config: investigate"


def _sorted(rights: list[ModelRight]) -> list[ModelRight]:
    return sorted(rights, key=lambda m: m.model)


def render_access_report(settings: Settings, plan: Plan, fmt: str) -> str:
    """The review in ``fmt``: ``json``, ``csv`` or (anything else) Markdown."""
    report = build_access_report(settings, plan)
    if fmt == "json":
        return jsondoc.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(report)
    return render_access_markdown(report)
