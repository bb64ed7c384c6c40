"""Entra ID sign-in app, admin consent and the automation service principals.

The sign-in app
    A single-tenant app registration users sign in to Databricks through (OIDC, authorization
    code flow; the implicit grant is off). Its service principal requires an app role
    assignment, and each mapped group is assigned the default role, so only members of those
    groups get a token. Admin consent is code: one ``ServicePrincipalDelegatedPermissionGrant``
    per resource API, for all users, with exactly the scopes the app declares.

Published APIs (Microsoft Graph, Azure Databricks) are *looked up*, never managed. An
``azuread.ServicePrincipal`` with ``use_existing=True`` would adopt the tenant-wide first-party
service principal: the provider then PATCHes it with this program's values (empty tags,
description and notes, ``appRoleAssignmentRequired=false``, which would undo an admin's
restriction on the Azure Databricks enterprise app) and tries to delete it on destroy. The
lookup has no side effects. Microsoft Graph exists in every tenant; the AzureDatabricks service
principal exists once Azure Databricks has been used in the tenant. On a fresh tenant, create it
once: ``az ad sp create --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d``.

Automation identities
    ``federated``: an app + service principal with one GitHub Actions federated credential
    pinned to a repository environment and no password at all. ``secret``: two password slots
    rotated by :mod:`components.rotation`; the newest value is written to Key Vault when
    ``keyVault`` is configured. Password values are secret outputs and are never exported.

Deployer permissions (per the azuread provider docs): ``Application.ReadWrite.All`` for apps,
service principals and credentials, ``AppRoleAssignment.ReadWrite.All`` for the group
assignments, and ``Directory.ReadWrite.All`` (or the Global Administrator role) for the
delegated permission grants. The Key Vault secret is written through Azure Resource Manager,
which needs the control-plane action ``Microsoft.KeyVault/vaults/secrets/write`` on the vault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Optional

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import keyvault

from components import rotation
from components._base import child, type_token
from settings import Settings
from settings.model import Federation, KeyVaultTarget, Rotation, ServicePrincipal, SignInApp

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AZURE_DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class PublishedApi:
    """A Microsoft-published API the sign-in app requests delegated scopes on."""

    key: str  # stable child-name suffix
    client_id: str
    scopes: tuple[str, ...]


# Scope ids are resolved at deploy time from each API's published service principal
# (oauth2PermissionScopeIds), never hard-coded. For reference, the published ids are:
#   Microsoft Graph: openid 37f7f235-527c-4136-accd-4a02d197296e, profile
#   14dad69e-099b-42c9-810b-d002981feec1, email 64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0,
#   offline_access 7427e0e9-2fba-42fe-b0c0-848c9e6a8182, User.Read
#   e1fe6dd8-ba31-4d61-89e7-88639da4683d (https://graphpermissions.merill.net/permission/,
#   generated from the Microsoft Graph service principal's oauth2PermissionScopes);
#   Azure Databricks: user_impersonation 739272be-e143-11e8-9f32-f2801f1b9fd1 (the id used by
#   the Azure Databricks app-registration guides and `az ad app permission add` examples).
REQUIRED_APIS: tuple[PublishedApi, ...] = (
    PublishedApi("microsoft-graph", GRAPH_APP_ID,
                 ("openid", "profile", "email", "offline_access", "User.Read")),
    PublishedApi("azure-databricks", AZURE_DATABRICKS_APP_ID, ("user_impersonation",)),
)

_CREDENTIAL_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class EntraIdentityArgs:
    """Inputs of :class:`EntraIdentity`.

    ``now`` drives password rotation; the program passes the current UTC time, tests inject a
    fixed instant. ``protect`` applies to the app registrations and service principals in prod
    only; credentials are never protected (rotation must be able to replace them).
    """

    sign_in_app: SignInApp
    service_principals: dict[str, ServicePrincipal]  # kinds federated and secret only
    group_object_ids: dict[str, pulumi.Output[str]]  # mapped groups, assigned to the sign-in app
    tenant_id: str
    is_prod: bool
    protect: bool
    now: datetime = field(default_factory=_utc_now)
    tags: dict[str, str] = field(default_factory=dict)  # for the Azure resources (Key Vault)

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: dict[str, pulumi.Output[str]],
                      now: Optional[datetime] = None) -> EntraIdentityArgs:
        sps = {k: sp for k, sp in s.service_principals.items() if sp.kind != "managed-identity"}
        mapped_keys = s.mapped_groups  # a property that builds the map: read it once
        mapped = {k: v for k, v in group_object_ids.items() if k in mapped_keys}
        return cls(sign_in_app=s.sign_in_app, service_principals=sps, group_object_ids=mapped,
                   tenant_id=s.tenant_id, is_prod=s.is_prod, protect=s.protect,
                   now=now or _utc_now(), tags=dict(s.all_tags))

    @property
    def protect_identities(self) -> bool:
        """Protect app registrations and service principals (prod with protection on)."""
        return self.protect and self.is_prod


def github_subject(federation: Federation) -> str:
    """The OIDC subject GitHub Actions presents: a job in a repository environment, or (the
    preview identity only) a pull-request workflow, whose subject is ``repo:<o>/<r>:pull_request``
    when the job names no environment."""
    if federation.pull_request:
        return f"repo:{federation.repository}:pull_request"
    return f"repo:{federation.repository}:environment:{federation.environment}"


def credential_display_name(federation: Federation) -> str:
    """A federated credential name Entra accepts (letters, digits, '-' and '_', <= 120)."""
    raw = (f"github-{federation.repository}-pull-request" if federation.pull_request
           else f"github-{federation.repository}-{federation.environment}")
    return _CREDENTIAL_NAME.sub("-", raw).strip("-")[:120]


def scope_id(published: azuread.GetServicePrincipalResult, api: PublishedApi, scope: str) -> str:
    """The id of ``scope`` as published by ``api``'s service principal in this tenant."""
    scopes = published.oauth2_permission_scope_ids or {}
    if scope not in scopes:
        raise ValueError(
            f"the service principal of {api.key} ({api.client_id}) publishes no delegated scope "
            f"'{scope}' (published: {', '.join(sorted(scopes)) or 'none'})")
    return scopes[scope]


def delegated_scope(published: pulumi.Output[azuread.GetServicePrincipalResult],
                    api: PublishedApi, scope: str
                    ) -> azuread.ApplicationRequiredResourceAccessResourceAccessArgs:
    """A ``Scope`` entry whose id is resolved from the published service principal."""

    def resolve(sp: azuread.GetServicePrincipalResult) -> str:
        return scope_id(sp, api, scope)

    return azuread.ApplicationRequiredResourceAccessResourceAccessArgs(
        id=published.apply(resolve), type="Scope")


class EntraIdentity(pulumi.ComponentResource):
    """The sign-in app with its consent and assignments, plus the automation identities."""

    sign_in_client_id: pulumi.Output[str]
    client_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: EntraIdentityArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("entra", "EntraIdentity"), name, None, opts)
        self._name = name
        self._args = args
        published = {api.key: self._lookup(api) for api in REQUIRED_APIS}
        app = self._sign_in_app(published)
        sp = self._sign_in_service_principal(app)
        self._assign_groups(sp)
        self._grant_consent(sp, published)
        self.sign_in_client_id = app.client_id
        # Entra object ids of the automation identities' service principals (role assignments).
        self.object_ids: dict[str, pulumi.Output[str]] = {}
        self.client_ids = {key: self._automation_identity(key, spec)
                           for key, spec in args.service_principals.items()}
        self.register_outputs({
            "signInClientId": self.sign_in_client_id,
            "tenantId": args.tenant_id,
            "clientIds": self.client_ids,
        })

    # --- the sign-in app ------------------------------------------------------------------

    def _lookup(self, api: PublishedApi) -> pulumi.Output[azuread.GetServicePrincipalResult]:
        return azuread.get_service_principal_output(
            client_id=api.client_id, opts=pulumi.InvokeOutputOptions(parent=self))

    def _sign_in_app(self, published: dict[str, pulumi.Output[azuread.GetServicePrincipalResult]]
                     ) -> azuread.Application:
        spec = self._args.sign_in_app
        return azuread.Application(
            f"{self._name}-sign-in",
            display_name=spec.display_name,
            sign_in_audience="AzureADMyOrg",
            owners=list(spec.owners),
            group_membership_claims=["SecurityGroup"],
            web=azuread.ApplicationWebArgs(
                redirect_uris=list(spec.redirect_uris),
                logout_url=spec.logout_url,
                implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                    access_token_issuance_enabled=False, id_token_issuance_enabled=False),
            ),
            required_resource_accesses=[
                azuread.ApplicationRequiredResourceAccessArgs(
                    resource_app_id=api.client_id,
                    resource_accesses=[delegated_scope(published[api.key], api, scope)
                                       for scope in api.scopes],
                )
                for api in REQUIRED_APIS],
            opts=child(self, protect=self._args.protect_identities),
        )

    def _sign_in_service_principal(self, app: azuread.Application) -> azuread.ServicePrincipal:
        return azuread.ServicePrincipal(
            f"{self._name}-sign-in",
            client_id=app.client_id,
            app_role_assignment_required=True,
            owners=list(self._args.sign_in_app.owners),
            opts=child(self, protect=self._args.protect_identities),
        )

    def _assign_groups(self, sp: azuread.ServicePrincipal) -> None:
        for key, object_id in self._args.group_object_ids.items():
            azuread.AppRoleAssignment(
                f"{self._name}-sign-in-assignment-{key}",
                app_role_id=DEFAULT_APP_ROLE_ID,
                principal_object_id=object_id,
                resource_object_id=sp.object_id,
                opts=child(self),
            )

    def _grant_consent(self, sp: azuread.ServicePrincipal,
                       published: dict[str, pulumi.Output[azuread.GetServicePrincipalResult]]
                       ) -> None:
        """Tenant-wide admin consent (no user object id) for exactly the requested scopes."""
        for api in REQUIRED_APIS:
            azuread.ServicePrincipalDelegatedPermissionGrant(
                f"{self._name}-sign-in-consent-{api.key}",
                service_principal_object_id=sp.object_id,
                resource_service_principal_object_id=published[api.key].object_id,
                claim_values=list(api.scopes),
                opts=child(self),
            )

    # --- automation identities --------------------------------------------------------------

    def _automation_identity(self, key: str, spec: ServicePrincipal) -> pulumi.Output[str]:
        owners = list(spec.owners) or None
        app = azuread.Application(
            f"{self._name}-sp-{key}",
            display_name=spec.display_name,
            description=spec.purpose,
            sign_in_audience="AzureADMyOrg",
            owners=owners,
            opts=child(self, protect=self._args.protect_identities),
        )
        principal = azuread.ServicePrincipal(
            f"{self._name}-sp-{key}",
            client_id=app.client_id,
            description=spec.purpose,
            owners=owners,
            opts=child(self, protect=self._args.protect_identities),
        )
        self.object_ids[key] = principal.object_id
        if spec.kind == "federated":
            self._federated_credential(key, spec, app)
        elif spec.kind == "secret":
            self._rotated_passwords(key, spec, app)
        else:
            raise ValueError(f"servicePrincipals.{key}: kind '{spec.kind}' is not an Entra app "
                             "identity (managed identities belong to ManagedIdentities)")
        return app.client_id

    def _federated_credential(self, key: str, spec: ServicePrincipal,
                              app: azuread.Application) -> None:
        federation = spec.federation
        if federation is None:
            raise ValueError(f"servicePrincipals.{key}: kind 'federated' needs `federation`")
        azuread.ApplicationFederatedIdentityCredential(
            f"{self._name}-sp-{key}-github",
            application_id=app.id,
            display_name=credential_display_name(federation),
            description=(f"GitHub Actions, {federation.repository}, pull requests "
                         "(read-only preview)" if federation.pull_request else
                         f"GitHub Actions, {federation.repository}, environment "
                         f"{federation.environment}"),
            issuer=federation.issuer,
            subject=github_subject(federation),
            audiences=[federation.audience],
            opts=child(self),
        )

    def _rotated_passwords(self, key: str, spec: ServicePrincipal,
                           app: azuread.Application) -> None:
        schedule: Optional[Rotation] = spec.rotation
        if schedule is None:
            raise ValueError(f"servicePrincipals.{key}: kind 'secret' needs `rotation`")
        plan = rotation.plan_rotation(self._args.now, schedule.period_days, schedule.overlap_days)
        passwords = {
            slot.slot: azuread.ApplicationPassword(
                f"{self._name}-sp-{key}-password-{slot.slot}",
                application_id=app.id,
                display_name=f"rotation slot {slot.slot}, epoch {slot.key}",
                end_date=slot.end_date,
                rotate_when_changed={"epoch": str(slot.key)},
                opts=child(self),
            )
            for slot in plan.slots}
        if spec.key_vault is not None:
            self._publish_current(key, spec.key_vault, plan.current_slot,
                                  passwords[plan.current])

    def _publish_current(self, key: str, target: KeyVaultTarget, slot: rotation.SlotPlan,
                         password: azuread.ApplicationPassword) -> None:
        """Write the newest password to Key Vault (a new secret version on each rotation)."""
        keyvault.Secret(
            f"{self._name}-sp-{key}-key-vault",
            vault_name=target.vault_name,
            resource_group_name=target.resource_group_name,
            secret_name=target.secret_name,
            tags=self._args.tags,
            properties=keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(password.value),
                content_type="client-secret",
                attributes=keyvault.SecretAttributesArgs(
                    enabled=True, expires=int(slot.ends.timestamp())),
            ),
            opts=child(self),
        )
