"""The optional OAuth client through which the company's own tools call Azure Databricks.

What it is for: an internal ML portal (single-page app), a notebook or desktop tool, a BI
connector signs a user in and gets a token for the Azure Databricks API on that user's behalf
(delegated ``user_impersonation``). It is never the way people sign in to a workspace: that is
Microsoft's Azure Databricks app (see :mod:`components.azure_databricks_app`).

The registration is a public client (``publicClient``, loopback redirect per RFC 8252) or a
single-page app (``singlePageApplication``): authorization code + PKCE, no implicit grant, no
web platform, no password, no fallback public-client flows (ROPC, device code), single tenant.
Admin consent is code: one ``ServicePrincipalDelegatedPermissionGrant`` per resource API for
all users, with exactly the scopes the app requests. Its service principal requires assignment
and every mapped group is assigned, so only those users can use the tool at all (and Azure
Databricks' own assignment still applies to the token it asks for).

Group claims are not configured: the tool gets tokens for Azure Databricks, which resolves the
user's groups itself; group claims in the client's own ID token would be a no-op here.

Endpoint and identity: Microsoft Graph through the azuread provider. The deployer needs
``Application.ReadWrite.All``, ``AppRoleAssignment.ReadWrite.All`` and
``DelegatedPermissionGrant.ReadWrite.All`` (or ``Directory.ReadWrite.All``). A ``destroy``
deletes the registration (it is ours) unless protected in prod; a rename of the component
replaces it (new client id: the tools must be reconfigured).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azuread as azuread

from components._base import child, type_token
from components.azure_databricks_app import DEFAULT_APP_ROLE_ID
from settings import Settings
from settings.model import ClientApp
from settings.wellknown import AZURE_DATABRICKS_APP_ID
from settings.wellknown import MS_GRAPH_APP_ID as GRAPH_APP_ID


@dataclass(frozen=True)
class PublishedApi:
    """A Microsoft-published API the client app requests delegated scopes on."""

    key: str  # stable child-name suffix
    client_id: str
    scopes: tuple[str, ...]


# Scope ids are resolved at deploy time from each API's published service principal
# (oauth2PermissionScopeIds), never hard-coded. For reference, the published ids are:
#   Microsoft Graph: openid 37f7f235-527c-4136-accd-4a02d197296e, profile
#   14dad69e-099b-42c9-810b-d002981feec1, email 64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0,
#   offline_access 7427e0e9-2fba-42fe-b0c0-848c9e6a8182, User.Read
#   e1fe6dd8-ba31-4d61-89e7-88639da4683d; Azure Databricks: user_impersonation
#   739272be-e143-11e8-9f32-f2801f1b9fd1.
REQUIRED_APIS: tuple[PublishedApi, ...] = (
    PublishedApi("microsoft-graph", GRAPH_APP_ID,
                 ("openid", "profile", "email", "offline_access", "User.Read")),
    PublishedApi("azure-databricks", AZURE_DATABRICKS_APP_ID, ("user_impersonation",)),
)


@dataclass(frozen=True)
class ClientAppArgs:
    """Inputs of :class:`ClientApplication`."""

    spec: ClientApp
    group_object_ids: dict[str, pulumi.Output[str]]  # mapped groups, assigned to the client
    protect: bool

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: dict[str, pulumi.Output[str]]
                      ) -> Optional[ClientAppArgs]:
        """None when the stack declares no client app."""
        if s.client_app is None:
            return None
        mapped = s.only_mapped(group_object_ids)
        return cls(spec=s.client_app, group_object_ids=mapped, protect=s.protect_critical)


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


class ClientApplication(pulumi.ComponentResource):
    """The client app registration, its service principal, consent and group assignments."""

    client_id: pulumi.Output[str]

    def __init__(self, name: str, args: ClientAppArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("signin", "ClientApplication"), name, None, opts)
        self._name = name
        self._args = args
        published = {api.key: azuread.get_service_principal_output(
            client_id=api.client_id, opts=pulumi.InvokeOutputOptions(parent=self))
            for api in REQUIRED_APIS}
        app = self._application(published)
        sp = azuread.ServicePrincipal(
            name,
            client_id=app.client_id,
            app_role_assignment_required=True,
            owners=list(args.spec.owners),
            opts=child(self, protect=args.protect),
        )
        for key, object_id in args.group_object_ids.items():
            azuread.AppRoleAssignment(
                f"{name}-assign-{key}",
                app_role_id=DEFAULT_APP_ROLE_ID,
                principal_object_id=object_id,
                resource_object_id=sp.object_id,
                opts=child(self),
            )
        for api in REQUIRED_APIS:  # tenant-wide admin consent for exactly the requested scopes
            azuread.ServicePrincipalDelegatedPermissionGrant(
                f"{name}-consent-{api.key}",
                service_principal_object_id=sp.object_id,
                resource_service_principal_object_id=published[api.key].object_id,
                claim_values=list(api.scopes),
                opts=child(self),
            )
        self.client_id = app.client_id
        self.register_outputs({"clientId": self.client_id})

    def _application(self, published: dict[str, pulumi.Output[azuread.GetServicePrincipalResult]]
                     ) -> azuread.Application:
        spec = self._args.spec
        uris = list(spec.redirect_uris)
        public = spec.platform == "publicClient"
        return azuread.Application(
            self._name,
            display_name=spec.display_name,
            sign_in_audience="AzureADMyOrg",
            owners=list(spec.owners),
            fallback_public_client_enabled=False,
            public_client=azuread.ApplicationPublicClientArgs(redirect_uris=uris) if public
            else None,
            single_page_application=None if public
            else azuread.ApplicationSinglePageApplicationArgs(redirect_uris=uris),
            web=azuread.ApplicationWebArgs(
                implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                    access_token_issuance_enabled=False, id_token_issuance_enabled=False)),
            required_resource_accesses=[
                azuread.ApplicationRequiredResourceAccessArgs(
                    resource_app_id=api.client_id,
                    resource_accesses=[delegated_scope(published[api.key], api, scope)
                                       for scope in api.scopes],
                )
                for api in REQUIRED_APIS],
            opts=child(self, protect=self._args.protect),
        )
