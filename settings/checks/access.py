"""Checks of access inside Databricks: how identities are provisioned, the registered models,
their ACLs (least privilege, production rights in prod, operators never locked out) and the
Unity Catalog metastore they need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from settings.checks.registry import check, key, problem
from settings.errors import Problem
from settings.limits import UC_IDENTIFIER_MAX
from settings.model import (
    MODEL_NAME_PATTERNS,
    PRODUCTION_LEVELS,
    PRODUCTION_PRIVILEGES,
    UC_IDENT,
    UC_PRIVILEGES,
    WORKSPACE_LEVELS,
    Model,
    Role,
    Settings,
)


@check
def check_provisioning_mode(s: Settings) -> Iterator[Problem]:
    """Automatic identity management needs account identities; SCIM needs its app and token."""
    prov = s.provisioning
    if prov.mode == "automatic-identity-management" and s.databricks.identity_mode != "account":
        yield problem(key("provisioning", "mode"), "automatic identity management needs account "
                      "identity mode", "set `databricks.identityMode: account`, or use `mode: "
                      "scim`", prov.mode)
    if prov.mode == "scim":
        if prov.scim_service_principal_object_id is None:
            yield problem(key("provisioning", "scimServicePrincipalObjectId"), "mode 'scim' needs "
                          "the object id of the Databricks SCIM enterprise application",
                          "add the object id of the enterprise application created from the "
                          "gallery")
        if not s.scim_token_set:
            yield problem(key("scimToken"), "mode 'scim' needs the SCIM token of the Databricks "
                          "account", "run `pulumi config set --secret "
                          "databricks-ml-entra:scimToken <token>`")


@check
def check_model_acls(s: Settings) -> Iterator[Problem]:
    """Each model has a valid name and ACL; operators keep full rights; agents only read; in
    prod only service principals (or recorded exceptions) move versions to production."""
    operators = s.operators
    declared = sorted(set(s.groups) | set(s.service_principals))
    full_names: dict[str, str] = {}
    for mk, model in s.models.items():
        path = ("models", mk)
        yield from _model_name(mk, model, full_names)
        if not model.permissions:
            yield problem(key(*path, "permissions"), "is empty: nobody but the operators could "
                          "use this model", "grant at least one group or service principal "
                          "access, e.g. `permissions: {data-scientists: CAN_READ}`")
        for principal, level in model.permissions.items():
            ppath = (*path, "permissions", principal)
            if principal not in s.groups and principal not in s.service_principals:
                yield problem(key(*ppath), "names an undeclared principal",
                              f"use a key of groups or servicePrincipals: {', '.join(declared)}",
                              principal)
                continue
            levels, found = _levels(model, level, ppath)
            if found is not None:
                yield found
                continue
            yield from _operator_entry(principal, model, levels, operators, ppath)
            yield from _least_privilege(s, principal, model, levels, ppath)
            yield from _production_rights(s, principal, model, levels, operators, ppath)
        for principal in model.exceptions:
            if principal not in model.permissions:
                yield problem(key(*path, "exceptions", principal), "is an exception for a "
                              "principal that has no permission on this model", "remove it",
                              principal)


def _model_name(mk: str, model: Model, seen: dict[str, str]) -> Iterator[Problem]:
    path = ("models", mk)
    if not MODEL_NAME_PATTERNS[model.registry].match(model.name):
        how = ("lower-case letters, digits and underscores" if model.registry == "unity-catalog"
               else "letters, digits, spaces, '-' and '_' (no '/', ':' or '.')")
        yield problem(key(*path, "name"), f"is not a valid {model.registry} model name",
                      f"use {how}", model.name)
    if model.registry == "unity-catalog":
        for field, value in (("catalog", model.catalog), ("schema", model.schema_)):
            if not value:
                yield problem(key(*path, field), "a Unity Catalog model needs its catalog and "
                              "schema", f"add `{field}: <name>`; the model is addressed as "
                              "catalog.schema.name")
            elif not UC_IDENT.match(value):
                yield problem(key(*path, field), "is not a valid Unity Catalog identifier",
                              "use lower-case letters, digits and underscores", value)
        full = f"{model.catalog}.{model.schema_}.{model.name}"
    else:
        for field, value in (("catalog", model.catalog), ("schema", model.schema_)):
            if value:
                yield problem(key(*path, field), "only Unity Catalog models live in a catalog",
                              "remove it, or set `registry: unity-catalog`", value)
        full = f"workspace:{model.name}"
    if full.casefold() in seen:
        yield problem(key(*path, "name"), f"declares the same model as "
                      f"models.{seen[full.casefold()]}", "declare each model once and put all "
                      "its permissions there", model.name)
    seen[full.casefold()] = mk


def _levels(model: Model, level: Any,
            ppath: tuple[str, ...]) -> tuple[list[str], Problem | None]:
    """The levels of one ACL entry, or the problem that they are not valid for the registry."""
    if model.registry == "workspace":
        if not isinstance(level, str) or level not in WORKSPACE_LEVELS:
            return [], problem(key(*ppath), "is not a workspace registry permission level",
                               f"use one of: {', '.join(WORKSPACE_LEVELS)}", level)
        return [level], None
    items = [level] if isinstance(level, str) else list(level)
    bad = [p for p in items if p not in UC_PRIVILEGES]
    if bad or not items:
        return [], problem(key(*ppath), "is not a list of Unity Catalog model privileges",
                           f"use a list of: {', '.join(UC_PRIVILEGES)}", level)
    return items, None


def _operator_entry(principal: str, model: Model, levels: list[str], operators: set[str],
                    ppath: tuple[str, ...]) -> Iterator[Problem]:
    if principal not in operators:
        return
    top = "CAN_MANAGE" if model.registry == "workspace" else "MANAGE"
    if top not in levels:
        yield problem(key(*ppath), f"lowers an operator below {top}: workspace admins and the "
                      f"deployer always keep {top} so an apply can never lock them out",
                      "remove this entry (operators are added automatically)", levels)


def _least_privilege(s: Settings, principal: str, model: Model, levels: list[str],
                     ppath: tuple[str, ...]) -> Iterator[Problem]:
    sp = s.service_principals.get(principal)
    if sp is None or sp.role is not Role.AGENT:
        return
    allowed = ("CAN_READ",) if model.registry == "workspace" else ("EXECUTE",)
    if any(level not in allowed for level in levels):
        yield problem(key(*ppath), "an agent identity may only read or execute models",
                      f"grant {' or '.join(allowed)} only", levels)


def _production_rights(s: Settings, principal: str, model: Model, levels: list[str],
                       operators: set[str], ppath: tuple[str, ...]) -> Iterator[Problem]:
    if not s.is_prod or principal not in s.groups or principal in operators:
        return
    risky = PRODUCTION_LEVELS if model.registry == "workspace" else PRODUCTION_PRIVILEGES
    held = [lvl for lvl in levels if lvl in risky]
    if held and principal not in model.exceptions:
        yield problem(key(*ppath), f"gives the human group '{principal}' {held[0]} in prod; only "
                      "service principals may move model versions to production",
                      f"grant it to the release service principal instead, or record why under "
                      f"`models.{ppath[1]}.exceptions.{principal}: <reason>`", levels)


@check
def check_unity_catalog_needs_account_groups(s: Settings) -> Iterator[Problem]:
    """Workspace-local groups (identityMode: workspace) cannot hold Unity Catalog privileges."""
    if s.databricks.identity_mode != "workspace":
        return
    for mk, model in s.models.items():
        if model.registry != "unity-catalog":
            continue
        for principal in model.permissions:
            if principal in s.groups:
                yield problem(key("models", mk, "permissions", principal), "names a group, but "
                              "with `databricks.identityMode: workspace` groups are "
                              "workspace-local and cannot be granted Unity Catalog privileges",
                              "use `identityMode: account`, or grant this model to service "
                              "principals only", principal)


@check
def check_acl_principals_mapped(s: Settings) -> Iterator[Problem]:
    """An ACL can only name a group that exists in Databricks, i.e. one with a role."""
    for mk, model in s.models.items():
        for principal in model.permissions:
            group = s.groups.get(principal)
            if group is not None and not group.is_mapped:
                yield problem(key("models", mk, "permissions", principal), "names an Entra-only "
                              "group (it has no `role`, so it is not mapped into Databricks and "
                              "has no Databricks principal to grant to)", f"set "
                              f"`groups.{principal}.role` (e.g. scientist), or grant the model "
                              "to a mapped group", principal)


@check
def check_unity_catalog_needs_metastore(s: Settings) -> Iterator[Problem]:
    """Unity Catalog objects exist only once the workspace is assigned to a metastore."""
    dbx = s.databricks
    uc = sorted(k for k, m in s.models.items() if m.registry == "unity-catalog")
    if uc and dbx.metastore_id is None:
        yield problem(key("databricks", "metastoreId"), f"is missing, but models "
                      f"{', '.join(uc)} live in Unity Catalog: the workspace must be assigned to "
                      "a metastore before any Unity Catalog object can be created", "set "
                      "`databricks.metastoreId: <metastore id>` (account console > Catalog > the "
                      "metastore of the workspace's region)")
    if dbx.default_catalog is not None:
        if dbx.metastore_id is None:
            yield problem(key("databricks", "defaultCatalog"), "a default catalog needs a "
                          "metastore", "set `databricks.metastoreId`, or remove "
                          "`defaultCatalog`", dbx.default_catalog)
        elif not UC_IDENT.match(dbx.default_catalog):
            yield problem(key("databricks", "defaultCatalog"), "is not a valid Unity Catalog "
                          "identifier", "use lower-case letters, digits and underscores, e.g. "
                          "'ml_prod'", dbx.default_catalog)


@check
def check_unity_catalog_identifier_length(s: Settings) -> Iterator[Problem]:
    """A model's name, catalog and schema fit Databricks' limit on identifiers."""
    for mk, model in s.models.items():
        for field, value in (("name", model.name), ("catalog", model.catalog),
                             ("schema", model.schema_)):
            if value and len(value) > UC_IDENTIFIER_MAX:
                yield problem(key("models", mk, field), f"is {len(value)} characters; "
                              f"Databricks accepts at most {UC_IDENTIFIER_MAX} in a name",
                              "shorten it", value)
