"""Model registry ACLs for the workspace MLflow registry and Unity Catalog.

Workspace registry (``registry: workspace``)
    ``MlflowModel`` plus exactly one authoritative ``Permissions`` resource per model: the
    configured levels, plus ``CAN_MANAGE`` for the operators (admin-role groups and the
    deployer). The workspace ``admins`` group is deliberately *not* listed: workspace admins
    always hold ``CAN_MANAGE`` on registered models, and the provider refuses any explicit
    ``admins`` entry on them ("it is not possible to modify admin permissions for
    registered-model resources"). Admin-role groups are listed even in account identity mode,
    where their ``ADMIN`` workspace assignment already implies it, so that the ACL alone keeps
    them managers in either identity mode.

Unity Catalog (``registry: unity-catalog``)
    ``RegisteredModel`` plus exactly one authoritative ``Grants`` resource per model on
    ``catalog.schema.model``: the configured privileges, plus ``MANAGE`` for the operators that
    Unity Catalog knows (account groups and the deployer's application id; the workspace
    ``admins`` group is workspace-local and not a Unity Catalog principal).

    A model is reachable only with ``USE_CATALOG`` on its catalog and ``USE_SCHEMA`` on its
    schema. Catalogs and schemas are shared with data teams, so an authoritative ``Grants`` on
    them would revoke everyone else's grants. Instead each (principal, catalog) and
    (principal, schema) pair gets one non-authoritative ``Grant`` (singular), deduplicated
    across models. ``Grant`` never touches other principals' grants, but it *is* authoritative
    for its own principal on that securable: any other privilege that principal holds directly
    on the catalog or schema is reset to what is declared here. Grant such principals anything
    else on these catalogs and schemas through this stack, or on narrower securables (tables,
    volumes), which are separate. The operators get no such ``Grant``: the deployer needs
    ``USE_CATALOG``, ``USE_SCHEMA`` and ``CREATE_MODEL`` there before it can create a model at
    all, and a per-principal ``Grant`` would strip its other privileges (see
    :attr:`ModelAccess.manual_steps`).

Nothing is ever granted to the built-in ``users`` / ``account users`` groups: ACL entries name
only principals declared in the settings, whose display names may not be built-in names.
ACLs wait for the Databricks principals, their workspace assignments and entitlements
(through the principals' outputs and ``depends_on``, never through resources made in apply).

A model and its ACL or grants sit under its ``config:Model`` entry; a principal's ``USE_CATALOG``
/ ``USE_SCHEMA`` grants, shared by its models, under the principal's entry
(:mod:`components.entries`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_databricks as databricks

from components._base import type_token
from components.entries import ConfigEntries, entry_child
from components.workspace_access import Principal
from settings import Settings
from settings.model import Model

WORKSPACE_OPERATOR_LEVEL = "CAN_MANAGE"
UC_OPERATOR_PRIVILEGE = "MANAGE"
USE_CATALOG = "USE_CATALOG"
USE_SCHEMA = "USE_SCHEMA"
DEPLOYER_UC_STEP = (
    "Unity Catalog: before the first deployment, grant the deployer ({deployer}) USE_CATALOG "
    "and MANAGE on catalog(s) {catalogs}, and USE_SCHEMA, CREATE_MODEL and MANAGE on schema(s) "
    "{schemas} (or make it their owner): it creates the models and grants USE_CATALOG / "
    "USE_SCHEMA to the model users. Operators (admin groups) get MANAGE on every model but "
    "their catalog and schema access stays with the data platform team.")


@dataclass(frozen=True)
class ModelAccessArgs:
    settings: Settings
    principals: dict[str, Principal]
    workspace_provider: databricks.Provider
    # The metastore assignment (and default catalog): every Unity Catalog object waits for it.
    unity_catalog_ready: tuple[pulumi.Resource, ...] = ()
    # The config entries the models' (and the principals' usage grants') resources go under.
    entries: ConfigEntries = field(default_factory=ConfigEntries)

    @classmethod
    def from_settings(cls, s: Settings, *, principals: dict[str, Principal],
                      workspace_provider: databricks.Provider,
                      unity_catalog_ready: tuple[pulumi.Resource, ...] = (),
                      entries: Optional[ConfigEntries] = None) -> ModelAccessArgs:
        return cls(settings=s, principals=principals, workspace_provider=workspace_provider,
                   unity_catalog_ready=tuple(unity_catalog_ready),
                   entries=entries or ConfigEntries())


class ModelAccess(pulumi.ComponentResource):
    """One registered model and one authoritative ACL per configured model."""

    # Workspace registry: the registered model id the Permissions API uses.
    # Unity Catalog: the three-level name ``catalog.schema.model``.
    model_ids: dict[str, pulumi.Output[str]]
    manual_steps: list[str]

    def __init__(self, name: str, args: ModelAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("models", "ModelAccess"), name, None, opts)
        s = args.settings
        self._prefix = name
        self._args = args
        self._critical = s.protect_critical
        self._catalog_users: dict[str, set[str]] = defaultdict(set)
        self._schema_users: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._operator_list: list[Principal] | None = None

        self.model_ids = {}
        for key, model in sorted(s.models.items()):
            if model.registry == "workspace":
                self.model_ids[key] = self._workspace_model(key, model)
            else:
                self.model_ids[key] = self._uc_model(key, model)
        self._usage_grants()
        self.manual_steps = self._steps()
        self.register_outputs({"modelIds": self.model_ids, "manualSteps": self.manual_steps})

    def _model_child(self, key: str, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a resource of model ``key``: under its config entry, when given."""
        return entry_child(self, self._args.entries.models.get(key), **kwargs)

    def _principal_child(self, key: str, **kwargs: Any) -> pulumi.ResourceOptions:
        """A principal's usage grant belongs to the principal (shared by its models)."""
        return entry_child(self, self._args.entries.principal(key), **kwargs)

    # --- principals --------------------------------------------------------------------

    def _principal(self, key: str) -> Principal:
        try:
            return self._args.principals[key]
        except KeyError:
            raise ValueError(f"model ACLs name '{key}', which WorkspaceAccess did not map "
                             f"(have: {sorted(self._args.principals)})") from None

    def _operators(self) -> list[Principal]:
        if self._operator_list is None:  # once, not once per model
            self._operator_list = [p for _, p in sorted(self._args.principals.items())
                                   if p.is_operator]
        return self._operator_list

    def _waits_for(self, keys: list[str]) -> list[pulumi.Resource]:
        return [r for k in keys for r in self._principal(k).depends_on]

    # --- workspace registry ------------------------------------------------------------

    def _workspace_model(self, key: str, model: Model) -> pulumi.Output[str]:
        provider = self._args.workspace_provider
        registered = databricks.MlflowModel(
            f"{self._prefix}-{key}", name=model.name, description=model.description or None,
            opts=self._model_child(key, protect=self._critical, provider=provider))
        levels = {k: str(level) for k, level in model.permissions.items()}
        for operator in self._operators():
            levels[operator.key] = WORKSPACE_OPERATOR_LEVEL
        controls = [self._access_control(k, levels[k]) for k in sorted(levels)]
        databricks.Permissions(
            f"{self._prefix}-{key}-acl", registered_model_id=registered.registered_model_id,
            access_controls=controls,
            opts=self._model_child(key, protect=self._critical, provider=provider,
                       depends_on=[registered, *self._waits_for(sorted(levels))]))
        return registered.registered_model_id

    def _access_control(self, key: str, level: str) -> databricks.PermissionsAccessControlArgs:
        principal = self._principal(key)
        if principal.kind == "group":
            return databricks.PermissionsAccessControlArgs(
                group_name=principal.acl_name, permission_level=level)
        return databricks.PermissionsAccessControlArgs(
            service_principal_name=principal.acl_name, permission_level=level)

    # --- Unity Catalog -----------------------------------------------------------------

    def _uc_model(self, key: str, model: Model) -> pulumi.Output[str]:
        catalog, schema = model.catalog, model.schema_
        if not catalog or not schema:
            raise ValueError(f"model '{key}' lives in Unity Catalog but has no catalog/schema "
                             "(settings should have refused this)")
        if not self._args.unity_catalog_ready:
            raise ValueError(f"model '{key}' lives in Unity Catalog but the workspace has no "
                             "metastore assignment (settings should have refused this)")
        provider = self._args.workspace_provider
        registered = databricks.RegisteredModel(
            f"{self._prefix}-{key}", catalog_name=catalog, schema_name=schema, name=model.name,
            comment=model.description or None,
            opts=self._model_child(key, protect=self._critical, provider=provider,
                       depends_on=list(self._args.unity_catalog_ready)))
        full_name = pulumi.Output.concat(catalog, ".", schema, ".", registered.name)

        privileges: dict[str, set[str]] = {}
        for principal_key, granted in model.permissions.items():
            privileges[principal_key] = {granted} if isinstance(granted, str) else set(granted)
            self._uc_principal(principal_key, key)
            if not self._principal(principal_key).is_operator:
                self._catalog_users[catalog].add(principal_key)
                self._schema_users[(catalog, schema)].add(principal_key)
        for operator in self._operators():
            if operator.unity_catalog:
                privileges.setdefault(operator.key, set()).add(UC_OPERATOR_PRIVILEGE)

        grants = [databricks.GrantsGrantArgs(principal=self._principal(k).acl_name,
                                             privileges=sorted(privileges[k]))
                  for k in sorted(privileges)]
        databricks.Grants(
            f"{self._prefix}-{key}-grants", model=full_name, grants=grants,
            opts=self._model_child(key, protect=self._critical, provider=provider,
                       depends_on=[registered, *self._args.unity_catalog_ready,
                                   *self._waits_for(sorted(privileges))]))
        return full_name

    def _uc_principal(self, principal_key: str, model_key: str) -> Principal:
        principal = self._principal(principal_key)
        if not principal.unity_catalog:
            raise ValueError(f"model '{model_key}' grants to '{principal_key}', a workspace-local "
                             "group that Unity Catalog does not know (settings should have "
                             "refused this)")
        return principal

    def _usage_grants(self) -> None:
        """One non-authoritative Grant per (principal, catalog) and (principal, schema)."""
        provider = self._args.workspace_provider
        for catalog, keys in sorted(self._catalog_users.items()):
            for k in sorted(keys):
                databricks.Grant(
                    f"{self._prefix}-use-catalog-{catalog}-{k}", catalog=catalog,
                    principal=self._principal(k).acl_name, privileges=[USE_CATALOG],
                    opts=self._principal_child(k, protect=self._critical, provider=provider,
                               depends_on=[*self._args.unity_catalog_ready,
                                           *self._waits_for([k])]))
        for (catalog, schema), keys in sorted(self._schema_users.items()):
            for k in sorted(keys):
                databricks.Grant(
                    f"{self._prefix}-use-schema-{catalog}-{schema}-{k}",
                    schema=f"{catalog}.{schema}", principal=self._principal(k).acl_name,
                    privileges=[USE_SCHEMA],
                    opts=self._principal_child(k, protect=self._critical, provider=provider,
                               depends_on=[*self._args.unity_catalog_ready,
                                           *self._waits_for([k])]))

    def _steps(self) -> list[str]:
        uc = [m for m in self._args.settings.models.values() if m.registry == "unity-catalog"]
        if not uc:
            return []
        catalogs = sorted({m.catalog for m in uc if m.catalog})
        schemas = sorted({f"{m.catalog}.{m.schema_}" for m in uc})
        return [DEPLOYER_UC_STEP.format(deployer=self._args.settings.deployer,
                                        catalogs=", ".join(catalogs),
                                        schemas=", ".join(schemas))]
