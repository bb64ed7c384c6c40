"""A type-aware mock of the providers: realistic computed outputs, deterministic ids.

The providers compute ids, object ids, client ids and the workspace URL at create time. The
program and the policies need them (the Databricks workspace provider is built from the
workspace URL and resource id; a group's Databricks counterpart carries its Entra object id), so
the mock returns values of the real shape, derived from the URN so that every run of the same
config yields the same plan.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

_NAMESPACE = uuid.UUID("6f1c3b57-4a0e-4c1f-9a55-0d5e3c1b2a77")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _digits(seed: str, n: int) -> str:
    h = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(h)[:n].rjust(n, "1")


class Context:
    """What an output function may use: the resource's identity and its inputs."""

    def __init__(self, args: pulumi.runtime.MockResourceArgs, subscription: str) -> None:
        self.type = args.typ
        self.name = args.name
        self.inputs = args.inputs
        self.seed = f"{args.typ}::{args.name}"
        self.subscription = subscription

    def arm_id(self, provider_ns: str, kind: str, name_key: str = "name") -> str:
        rg = self.inputs.get("resourceGroupName", "rg")
        name = self.inputs.get(name_key) or self.name
        return (f"/subscriptions/{self.subscription}/resourceGroups/{rg}/providers/"
                f"{provider_ns}/{kind}/{name}")


OutputFn = Callable[[Context], tuple[str, dict[str, Any]]]


def _rg(c: Context) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("resourceGroupName", c.name)
    rid = f"/subscriptions/{c.subscription}/resourceGroups/{name}"
    return rid, {"name": name, "azureApiVersion": "2024-03-01"}


def _arm(provider_ns: str, kind: str, name_key: str, extra: Callable[[Context], dict[str, Any]] | None = None) -> OutputFn:
    def fn(c: Context) -> tuple[str, dict[str, Any]]:
        rid = c.arm_id(provider_ns, kind, name_key)
        out: dict[str, Any] = {"name": c.inputs.get(name_key) or c.name}
        if extra:
            out.update(extra(c))
        return rid, out

    return fn


def _workspace_extra(c: Context) -> dict[str, Any]:
    digits = _digits(c.seed, 16)
    return {
        "workspaceId": digits,
        "workspaceUrl": f"adb-{digits}.{int(digits[-1]) % 4 + 1}.azuredatabricks.net",
        "managedResourceGroupId": c.inputs.get("managedResourceGroupId", ""),
        "provisioningState": "Succeeded",
    }


def _uami_extra(c: Context) -> dict[str, Any]:
    return {"clientId": _uuid(c.seed, "client"), "principalId": _uuid(c.seed, "principal"),
            "tenantId": _uuid("tenant")}


def _law_extra(c: Context) -> dict[str, Any]:
    return {"customerId": _uuid(c.seed, "customer")}


def _object(prefix: str = "") -> OutputFn:
    def fn(c: Context) -> tuple[str, dict[str, Any]]:
        oid = _uuid(c.seed, "object")
        return prefix + oid, {"objectId": oid}

    return fn


def _application(c: Context) -> tuple[str, dict[str, Any]]:
    oid = _uuid(c.seed, "object")
    return f"/applications/{oid}", {"objectId": oid, "clientId": _uuid(c.seed, "client"),
                                    "publisherDomain": "fabrikam.example"}


def _service_principal(c: Context) -> tuple[str, dict[str, Any]]:
    oid = _uuid(c.seed, "object")
    return oid, {"objectId": oid, "applicationTenantId": _uuid("tenant"),
                 "displayName": c.inputs.get("displayName", c.name)}


def _password(c: Context) -> tuple[str, dict[str, Any]]:
    key_id = _uuid(c.seed, "key")
    app = c.inputs.get("applicationId", "/applications/unknown")
    return f"{app}/password/{key_id}", {"keyId": key_id, "value": pulumi.Output.secret("mock-secret")}


def _databricks_numeric(c: Context) -> tuple[str, dict[str, Any]]:
    return _digits(c.seed, 16), {}


def _mlflow_model(c: Context) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name", c.name)
    return name, {"registeredModelId": _digits(c.seed, 12)}


def _registered_model(c: Context) -> tuple[str, dict[str, Any]]:
    full = ".".join(str(c.inputs.get(k, "")) for k in ("catalogName", "schemaName", "name"))
    return full, {"fullName": full, "owner": "deployer"}


MOCK_OUTPUTS: dict[str, OutputFn] = {
    "azure-native:resources:ResourceGroup": _rg,
    "azure-native:network:VirtualNetwork": _arm("Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
    "azure-native:network:NetworkSecurityGroup": _arm("Microsoft.Network", "networkSecurityGroups", "networkSecurityGroupName"),
    "azure-native:network:Subnet": _arm("Microsoft.Network", "subnets", "subnetName"),
    "azure-native:network:PrivateEndpoint": _arm("Microsoft.Network", "privateEndpoints", "privateEndpointName"),
    "azure-native:network:PrivateDnsZoneGroup": _arm("Microsoft.Network", "privateDnsZoneGroups", "privateDnsZoneGroupName"),
    "azure-native:privatedns:PrivateZone": _arm("Microsoft.Network", "privateDnsZones", "privateZoneName"),
    "azure-native:privatedns:VirtualNetworkLink": _arm("Microsoft.Network", "virtualNetworkLinks", "virtualNetworkLinkName"),
    "azure-native:databricks:Workspace": _arm("Microsoft.Databricks", "workspaces", "workspaceName", _workspace_extra),
    "azure-native:operationalinsights:Workspace": _arm("Microsoft.OperationalInsights", "workspaces", "workspaceName", _law_extra),
    "azure-native:monitor:DiagnosticSetting": lambda c: (f"{c.inputs.get('resourceUri', '')}/providers/microsoft.insights/diagnosticSettings/{c.inputs.get('name', c.name)}", {}),
    "azure-native:aadiam:DiagnosticSetting": lambda c: (f"/providers/microsoft.aadiam/diagnosticSettings/{c.inputs.get('name', c.name)}", {}),
    "azure-native:managedidentity:UserAssignedIdentity": _arm("Microsoft.ManagedIdentity", "userAssignedIdentities", "resourceName", _uami_extra),
    "azure-native:managedidentity:FederatedIdentityCredential": _arm("Microsoft.ManagedIdentity", "federatedIdentityCredentials", "federatedIdentityCredentialResourceName"),
    "azure-native:keyvault:Secret": _arm("Microsoft.KeyVault", "secrets", "secretName"),
    "azuread:index/application:Application": _application,
    "azuread:index/servicePrincipal:ServicePrincipal": _service_principal,
    "azuread:index/group:Group": _object("/groups/"),
    "azuread:index/applicationPassword:ApplicationPassword": _password,
    "azuread:index/namedLocation:NamedLocation": _object(),
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": _object(),
    "databricks:index/group:Group": _databricks_numeric,
    "databricks:index/servicePrincipal:ServicePrincipal": _databricks_numeric,
    "databricks:index/mlflowModel:MlflowModel": _mlflow_model,
    "databricks:index/registeredModel:RegisteredModel": _registered_model,
}

# Reads of existing objects (invokes). Published first-party service principals expose their
# delegated scopes; the ids below are the real, documented ones (see components/entra_identity.py).
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
PUBLISHED_SCOPES = {
    GRAPH_APP_ID: {
        "openid": "37f7f235-527c-4136-accd-4a02d197296e",
        "profile": "14dad69e-099b-42c9-810b-d002981feec1",
        "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
        "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    },
    DATABRICKS_APP_ID: {"user_impersonation": "739272be-e143-11e8-9f32-f2801f1b9fd1"},
}


def _service_principal_lookup(args: dict[str, Any]) -> dict[str, Any]:
    client_id = args.get("clientId") or args.get("applicationId") or ""
    scopes = PUBLISHED_SCOPES.get(client_id, {})
    return {
        "id": _uuid("published-sp", client_id),
        "objectId": _uuid("published-sp", client_id),
        "clientId": client_id,
        "displayName": {GRAPH_APP_ID: "Microsoft Graph", DATABRICKS_APP_ID: "AzureDatabricks"}.get(client_id, client_id),
        "oauth2PermissionScopeIds": dict(scopes),
        "appRoleIds": {},
        "oauth2PermissionScopes": [{"id": v, "value": k, "type": "User", "enabled": True,
                                    "adminConsentDescription": k, "adminConsentDisplayName": k,
                                    "userConsentDescription": k, "userConsentDisplayName": k}
                                   for k, v in scopes.items()],
        "appRoles": [],
    }


def _client_config(_: dict[str, Any]) -> dict[str, Any]:
    return {"clientId": _uuid("deployer-client"), "objectId": _uuid("deployer-object"),
            "tenantId": _uuid("tenant")}


MOCK_CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azuread:index/getServicePrincipal:getServicePrincipal": _service_principal_lookup,
    "azuread:index/getClientConfig:getClientConfig": _client_config,
}


class TypeAwareMocks(pulumi.runtime.Mocks):
    """Inputs echo into state, plus the computed outputs the real provider would return."""

    def __init__(self, subscription_id: str = "00000000-0000-0000-0000-000000000000") -> None:
        self.subscription_id = subscription_id

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return _uuid("provider", args.name), state
        fn = MOCK_OUTPUTS.get(_unversioned(args.typ))
        if fn is None:
            return f"{args.name}-id", state
        rid, computed = fn(Context(args, self.subscription_id))
        state.update(computed)
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        fn = MOCK_CALLS.get(args.token)
        if fn is None:
            raise LookupError(
                f"the offline gate has no mock for the invoke {args.token}; add one to "
                "gate/mocks.py MOCK_CALLS")
        return fn(dict(args.args)), None


def _unversioned(token: str) -> str:
    """``azure-native:databricks/v20240501:Workspace`` -> ``azure-native:databricks:Workspace``."""
    pkg, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    return f"{pkg}:{module.split('/')[0]}:{kind}" if pkg == "azure-native" else token
