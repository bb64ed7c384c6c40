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

from settings.wellknown import AZURE_DATABRICKS_APP_ID, MS_GRAPH_APP_ID

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


def _nested(provider_ns: str, parent_kind: str, parent_key: str, kind: str,
            name_key: str) -> OutputFn:
    """A child resource's ARM id: ``.../<parent_kind>/<parent>/<kind>/<name>``."""
    def fn(c: Context) -> tuple[str, dict[str, Any]]:
        name = c.inputs.get(name_key) or c.name
        parent = c.arm_id(provider_ns, parent_kind, parent_key)
        return f"{parent}/{kind}/{name}", {"name": name}

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


def _app_role_assignment(c: Context) -> tuple[str, dict[str, Any]]:
    resource = c.inputs.get("resourceObjectId", "unknown")
    assignment = _uuid(c.seed, "assignment")
    return (f"/servicePrincipals/{resource}/appRoleAssignedTo/{assignment}",
            {"principalType": "Group", "resourceDisplayName": "mock"})


def _delegated_grant(c: Context) -> tuple[str, dict[str, Any]]:
    return _uuid(c.seed, "grant"), {}


def _federated_credential(c: Context) -> tuple[str, dict[str, Any]]:
    credential = _uuid(c.seed, "credential")
    app = c.inputs.get("applicationId", "/applications/unknown")
    return f"{app}/federatedIdentityCredential/{credential}", {"credentialId": credential}


def _group_member(c: Context) -> tuple[str, dict[str, Any]]:
    group = c.inputs.get("groupObjectId", "unknown")
    member = c.inputs.get("memberObjectId", "unknown")
    return f"/groups/{group}/members/{member}", {}


def _databricks_numeric(c: Context) -> tuple[str, dict[str, Any]]:
    return _digits(c.seed, 16), {}


def _mlflow_model(c: Context) -> tuple[str, dict[str, Any]]:
    name = c.inputs.get("name", c.name)
    return name, {"registeredModelId": _digits(c.seed, 12)}


def _registered_model(c: Context) -> tuple[str, dict[str, Any]]:
    full = ".".join(str(c.inputs.get(k, "")) for k in ("catalogName", "schemaName", "name"))
    return full, {"fullName": full, "owner": "deployer"}


def _guid(c: Context) -> tuple[str, dict[str, Any]]:
    """Entitlement management objects (catalogs, packages, policies): the Graph object id."""
    return _uuid(c.seed, "id"), {}


def _catalog_resource(c: Context) -> tuple[str, dict[str, Any]]:
    """The provider's id ``{catalogId}/{resourceOriginId}``."""
    return f"{c.inputs.get('catalogId', 'unknown')}/{c.inputs.get('resourceOriginId', 'unknown')}", {}


def _package_resource(c: Context) -> tuple[str, dict[str, Any]]:
    """``{accessPackageId}/{roleId}_{scopeId}/{resourceOriginId}/{accessType}``."""
    package = c.inputs.get("accessPackageId", "unknown")
    origin = str(c.inputs.get("catalogResourceAssociationId", "unknown")).rpartition("/")[2]
    role_scope = f"{_uuid(c.seed, 'role')}_{_uuid(c.seed, 'scope')}"
    return f"{package}/{role_scope}/{origin}/{c.inputs.get('accessType', 'Member')}", {}


def _group_role_policy(c: Context) -> tuple[str, dict[str, Any]]:
    """``Group_{groupId}_{policyId}``, as Graph names a group's role management policy."""
    return (f"Group_{c.inputs.get('groupId', 'unknown')}_{_uuid(c.seed, 'policy')}",
            {"displayName": "Group", "description": "Group"})


def _pim_schedule(c: Context) -> tuple[str, dict[str, Any]]:
    """``{groupId}_{member|owner}_{principalId}``, as Graph names a PIM for groups schedule."""
    rid = "_".join(str(c.inputs.get(k, "unknown"))
                   for k in ("groupId", "assignmentType", "principalId"))
    return rid, {"status": "Provisioned"}


MOCK_OUTPUTS: dict[str, OutputFn] = {
    "azure-native:resources:ResourceGroup": _rg,
    "azure-native:network:VirtualNetwork": _arm("Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
    "azure-native:network:NetworkSecurityGroup": _arm("Microsoft.Network", "networkSecurityGroups", "networkSecurityGroupName"),
    "azure-native:network:Subnet": _nested("Microsoft.Network", "virtualNetworks", "virtualNetworkName", "subnets", "subnetName"),
    "azure-native:network:PrivateEndpoint": _arm("Microsoft.Network", "privateEndpoints", "privateEndpointName"),
    "azure-native:network:PrivateDnsZoneGroup": _nested("Microsoft.Network", "privateEndpoints", "privateEndpointName", "privateDnsZoneGroups", "privateDnsZoneGroupName"),
    "azure-native:network:VirtualNetworkPeering": _nested("Microsoft.Network", "virtualNetworks", "virtualNetworkName", "virtualNetworkPeerings", "virtualNetworkPeeringName"),
    "azure-native:privatedns:PrivateZone": _arm("Microsoft.Network", "privateDnsZones", "privateZoneName"),
    "azure-native:privatedns:VirtualNetworkLink": _nested("Microsoft.Network", "privateDnsZones", "privateZoneName", "virtualNetworkLinks", "virtualNetworkLinkName"),
    "azure-native:databricks:Workspace": _arm("Microsoft.Databricks", "workspaces", "workspaceName", _workspace_extra),
    "azure-native:operationalinsights:Workspace": _arm("Microsoft.OperationalInsights", "workspaces", "workspaceName", _law_extra),
    "azure-native:monitor:DiagnosticSetting": lambda c: (f"{c.inputs.get('resourceUri', '')}/providers/microsoft.insights/diagnosticSettings/{c.inputs.get('name', c.name)}", {}),
    "azure-native:aadiam:DiagnosticSetting": lambda c: (f"/providers/microsoft.aadiam/diagnosticSettings/{c.inputs.get('name', c.name)}", {}),
    "azure-native:managedidentity:UserAssignedIdentity": _arm("Microsoft.ManagedIdentity", "userAssignedIdentities", "resourceName", _uami_extra),
    "azure-native:managedidentity:FederatedIdentityCredential": _nested("Microsoft.ManagedIdentity", "userAssignedIdentities", "resourceName", "federatedIdentityCredentials", "federatedIdentityCredentialResourceName"),
    "azure-native:keyvault:Secret": _arm("Microsoft.KeyVault", "secrets", "secretName"),
    "azure-native:keyvault:Vault": _arm("Microsoft.KeyVault", "vaults", "vaultName"),
    "azure-native:authorization:RoleAssignment": lambda c: (f"{c.inputs.get('scope', '')}/providers/Microsoft.Authorization/roleAssignments/{c.inputs.get('roleAssignmentName', c.name)}", {}),
    "azuread:index/application:Application": _application,
    "azuread:index/servicePrincipal:ServicePrincipal": _service_principal,
    "azuread:index/group:Group": _object("/groups/"),
    "azuread:index/applicationPassword:ApplicationPassword": _password,
    "azuread:index/namedLocation:NamedLocation": _object(),
    "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy": _object(),
    "azuread:index/appRoleAssignment:AppRoleAssignment": _app_role_assignment,
    "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant": _delegated_grant,
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": _federated_credential,
    "azuread:index/groupMember:GroupMember": _group_member,
    "azuread:index/accessPackageCatalog:AccessPackageCatalog": _guid,
    "azuread:index/accessPackage:AccessPackage": _guid,
    "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy": _guid,
    "azuread:index/accessPackageResourceCatalogAssociation:AccessPackageResourceCatalogAssociation": _catalog_resource,
    "azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation": _package_resource,
    "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy": _group_role_policy,
    "azuread:index/privilegedAccessGroupEligibilitySchedule:PrivilegedAccessGroupEligibilitySchedule": _pim_schedule,
    "databricks:index/group:Group": _databricks_numeric,
    "databricks:index/servicePrincipal:ServicePrincipal": _databricks_numeric,
    "databricks:index/mlflowModel:MlflowModel": _mlflow_model,
    "databricks:index/registeredModel:RegisteredModel": _registered_model,
}

# Reads of existing objects (invokes). Published first-party service principals expose their
# delegated scopes; the ids below are the real, documented ones (settings/wellknown.py).
PUBLISHED_SCOPES = {
    MS_GRAPH_APP_ID: {
        "openid": "37f7f235-527c-4136-accd-4a02d197296e",
        "profile": "14dad69e-099b-42c9-810b-d002981feec1",
        "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
        "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    },
    AZURE_DATABRICKS_APP_ID: {"user_impersonation": "739272be-e143-11e8-9f32-f2801f1b9fd1"},
}


def _service_principal_lookup(args: dict[str, Any]) -> dict[str, Any]:
    client_id = args.get("clientId") or args.get("applicationId") or ""
    scopes = PUBLISHED_SCOPES.get(client_id, {})
    return {
        "id": _uuid("published-sp", client_id),
        "objectId": _uuid("published-sp", client_id),
        "clientId": client_id,
        "displayName": {MS_GRAPH_APP_ID: "Microsoft Graph", AZURE_DATABRICKS_APP_ID: "AzureDatabricks"}.get(client_id, client_id),
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


def _databricks_group_lookup(args: dict[str, Any]) -> dict[str, Any]:
    """``get_group`` of a built-in workspace group (``admins``, ``users``): a stable numeric id."""
    name = str(args.get("displayName") or "")
    return {"id": _digits(f"databricks-group::{name}", 16), "displayName": name,
            "externalId": "", "members": [], "groups": [], "servicePrincipals": [], "users": []}


def _databricks_current_config(_: dict[str, Any]) -> dict[str, Any]:
    """``get_current_config`` through the workspace provider: a workspace host."""
    return {"host": "https://adb-1000000000000001.1.azuredatabricks.net", "isAccount": False,
            "accountId": "", "authType": "azure-cli", "cloudType": "azure"}


MOCK_CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "databricks:index/getGroup:getGroup": _databricks_group_lookup,
    "databricks:index/getCurrentConfig:getCurrentConfig": _databricks_current_config,
    "azuread:index/getServicePrincipal:getServicePrincipal": _service_principal_lookup,
    "azuread:index/getClientConfig:getClientConfig": _client_config,
}


EXTERNAL_GROUP = "databricks:index/getAccountIamExternalGroupV2:getAccountIamExternalGroupV2"
EXTERNAL_SP = ("databricks:index/getAccountIamExternalServicePrincipalV2:"
               "getAccountIamExternalServicePrincipalV2")


class TypeAwareMocks(pulumi.runtime.Mocks):
    """Inputs echo into state, plus the computed outputs the real provider would return.

    The Databricks account resolves Entra identities by their object id (automatic identity
    management). The mock keeps what the mocked Entra holds (groups, service principals and
    managed identities the program created) so that those lookups answer as the real account
    would: the Entra display name and application id, and a Databricks internal id; an object
    id Entra does not know is an error, as it is on a real tenant.
    """

    def __init__(self, subscription_id: str = "00000000-0000-0000-0000-000000000000") -> None:
        self.subscription_id = subscription_id
        # provider id -> the subscription an azure-native provider is scoped to (a resource's
        # ARM id carries its provider's subscription, e.g. the hub's for front-end endpoints)
        self._provider_subscriptions: dict[str, str] = {}
        # Entra object id -> (display name, application id or "" for a group)
        self.entra: dict[str, tuple[str, str]] = {}

    def _remember(self, typ: str, state: dict[str, Any]) -> None:
        token = _unversioned(typ)
        if token == "azuread:index/group:Group":
            self.entra[str(state.get("objectId"))] = (str(state.get("displayName", "")), "")
        elif token == "azuread:index/servicePrincipal:ServicePrincipal":
            self.entra[str(state.get("objectId"))] = (str(state.get("displayName", "")),
                                                      str(state.get("clientId", "")))
        elif token == "azure-native:managedidentity:UserAssignedIdentity":
            self.entra[str(state.get("principalId"))] = (str(state.get("name", "")),
                                                         str(state.get("clientId", "")))

    def _external(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """An account-level external-principal lookup by ``accounts/<id>/external-*/<oid>``."""
        name = str(args.get("name") or "")
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "accounts" or not parts[2].startswith("external-"):
            raise ValueError(f"{token}: name must be accounts/<account>/external-.../<object id>, "
                             f"got {name!r}")
        account, object_id = parts[1], parts[3]
        if object_id not in self.entra:
            raise LookupError(f"{token}: Entra has no principal with object id {object_id}")
        display, application_id = self.entra[object_id]
        result = {"name": name, "accountId": account, "displayName": display,
                  "internalId": _digits(f"account-principal::{object_id}", 16)}
        if token == EXTERNAL_GROUP:
            result["externalGroupId"] = object_id
        else:
            result.update({"externalServicePrincipalId": object_id,
                           "applicationId": application_id, "accountSpStatus": "ACTIVE"})
        return result

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            pid = _uuid("provider", args.name)
            if args.inputs.get("subscriptionId"):
                self._provider_subscriptions[pid] = str(args.inputs["subscriptionId"])
            return pid, state
        fn = MOCK_OUTPUTS.get(_unversioned(args.typ))
        if fn is None:
            return f"{args.name}-id", state
        provider_id = (args.provider or "").rpartition("::")[2]
        subscription = self._provider_subscriptions.get(provider_id, self.subscription_id)
        rid, computed = fn(Context(args, subscription))
        state.update(computed)
        self._remember(args.typ, state)
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token in (EXTERNAL_GROUP, EXTERNAL_SP):
            return self._external(args.token, dict(args.args)), []
        fn = MOCK_CALLS.get(args.token)
        if fn is None:
            raise LookupError(
                f"the offline gate has no mock for the invoke {args.token}; add one to "
                "gate/mocks.py MOCK_CALLS")
        # No check failures: MockMonitor.Invoke iterates the second element, so it must be a list.
        return fn(dict(args.args)), []


def _unversioned(token: str) -> str:
    """``azure-native:databricks/v20240501:Workspace`` -> ``azure-native:databricks:Workspace``."""
    pkg, _, rest = token.partition(":")
    module, _, kind = rest.partition(":")
    return f"{pkg}:{module.split('/')[0]}:{kind}" if pkg == "azure-native" else token
