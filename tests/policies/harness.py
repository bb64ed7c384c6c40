"""Drive the policy pack's real analyzer servicer in-process, the way the Pulumi engine does.

* :func:`capture_pack_arguments` runs ``policies/__main__.py`` with the servicer class swapped
  for a recorder, so the tests use exactly the name, policies and enforcement level the CLI
  would (no gRPC server is started).
* :class:`Pack` wraps a fresh ``_PolicyAnalyzerServicer`` and speaks protobuf to it:
  ``ConfigureStack``, ``GetAnalyzerInfo``, ``Configure``, ``Analyze`` and ``AnalyzeStack``.
  It has no engine emulation of its own: requests are built and values marshalled by the
  gate's :mod:`gate.pack_wire` (unknowns as the sentinel string, secrets as signature
  objects) and the ``--policy-pack-config`` style dict is reconciled by the gate's
  :mod:`gate.pack_config`, exactly as for the real pack the gate boots.
* The ``*()`` factories build one compliant resource per type; :meth:`Res.set` breaks one thing.
"""

from __future__ import annotations

import copy
import runpy
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Optional

from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import policy as policy_module

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gate.model import UNKNOWN, CapturedResource, Secret  # noqa: E402
from gate.pack_config import reconcile_policy_pack_config  # noqa: E402
from gate.pack_wire import (  # noqa: E402
    SECRET_SIG,
    UNKNOWN_STRING_VALUE,
    add_stack_resource,
    analyze_request,
    configure_request,
    configure_stack_request,
    convert_info,
    resource_options,
    to_struct,
    to_wire_value,
)
from gate.pack_wire import SPECIAL_SIG_KEY as SIG_KEY  # noqa: E402

__all__ = ["SECRET_SIG", "SIG_KEY", "UNKNOWN", "UNKNOWN_STRING", "Secret", "marshal", "to_struct"]

POLICIES_DIR = ROOT / "policies"
PACK_NAME = "databricks-ml-entra-baseline"
PACK_VERSION = "0.0.1"  # what the Python SDK reports; the CLI uses PulumiPolicy.yaml's version
PROJECT = "databricks-ml-entra"
STACK = "prod"

UNKNOWN_STRING = UNKNOWN_STRING_VALUE
marshal = to_wire_value  # the engine's marshalling, as the gate does it
DELETE = object()  # pass to Res.set to remove a property


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------


def _split(path: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


@dataclass(frozen=True)
class Res:
    """One resource registration: inputs (``props``), extra outputs and options."""

    type: str
    name: str
    props: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    delete_before_replace: Optional[bool] = None
    parent: str = ""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:{STACK}::{PROJECT}::{self.type}::{self.name}"

    def set(self, path: str, value: Any) -> Res:
        """A copy with the (dotted) input property ``path`` set, or removed with DELETE."""
        props = copy.deepcopy(self.props)
        *parents, last = _split(path)
        node: Any = props
        for key in parents:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(value)
        else:
            node[last] = value
        return replace(self, props=props)

    def set_output(self, key: str, value: Any) -> Res:
        """A copy with an extra (output-only) property, seen by AnalyzeStack only."""
        return replace(self, outputs={**self.outputs, key: value})

    def with_(self, **changes: Any) -> Res:
        """A copy with other fields changed (protect, delete_before_replace, name, ...)."""
        return replace(self, **changes)

    def depends(self, prop: str, *targets: Res) -> Res:
        """A copy whose input ``prop`` was computed from the targets' outputs."""
        deps = {**self.property_dependencies, prop: tuple(t.urn for t in targets)}
        return replace(self, property_dependencies=deps)

    def options(self) -> pb.AnalyzerResourceOptions:
        """The options as the engine marshals them (``deleteBeforeReplace`` None: not set)."""
        return resource_options(protect=self.protect,
                                delete_before_replace=self.delete_before_replace,
                                parent=self.parent)

    def captured(self) -> CapturedResource:
        """This registration as the gate captures one: outputs are the inputs plus extras."""
        return CapturedResource(
            urn=self.urn, type=self.type, name=self.name, custom=True,
            inputs=self.props, outputs={**self.props, **self.outputs}, parent=self.parent,
            protect=self.protect, delete_before_replace=bool(self.delete_before_replace),
            dependencies=sorted({u for urns in self.property_dependencies.values()
                                 for u in urns}),
            property_dependencies={k: list(v) for k, v in self.property_dependencies.items()},
        )


def resource_request(res: Res) -> pb.AnalyzeRequest:
    """The ``AnalyzeRequest`` (also ``Remediate``'s) for one resource, built by the gate's code."""
    return analyze_request(res.captured(), options=res.options())


def stack_request(resources: Iterable[Res]) -> pb.AnalyzeStackRequest:
    """The ``AnalyzeStackRequest`` for resources (their props and outputs), built by the gate."""
    request = pb.AnalyzeStackRequest()
    for res in resources:
        add_stack_resource(request, res.captured(), options=res.options())
    return request


# ---------------------------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------------------------

LEVELS = {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.DISABLED: "disabled",
          pb.REMEDIATE: "remediate"}


@dataclass(frozen=True)
class Diagnostic:
    """One AnalyzeDiagnostic, with the message split from the description the SDK prepends."""

    policy: str
    message: str
    level: str
    urn: str
    severity: int
    full_message: str


def _diagnostics(response: pb.AnalyzeResponse) -> list[Diagnostic]:
    result = []
    for d in response.diagnostics:
        prefix = d.description + "\n"
        text = d.message[len(prefix):] if d.message.startswith(prefix) else d.message
        result.append(Diagnostic(d.policyName, text, LEVELS[d.enforcementLevel], d.urn,
                                 d.severity, d.message))
    return result


def preview_message(policy: str, kind: str, path: str) -> str:
    """The advisory the SDK emits when ``policy`` reads an unknown value."""
    return (
        f"can't run policy '{policy}' from policy pack '{PACK_NAME}@v{PACK_VERSION}' during "
        f"preview: {kind} value at .{path} can't be known during preview"
    )


# ---------------------------------------------------------------------------------------------
# The pack
# ---------------------------------------------------------------------------------------------


class _CapturedError(Exception):
    """Raised by the recorder to stop PolicyPack before it starts a gRPC server."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        super().__init__("captured")
        self.args_ = args


_CAPTURED: Optional[tuple[Any, ...]] = None


def capture_pack_arguments() -> tuple[Any, ...]:
    """The positional arguments PolicyPack in policies/__main__.py passes to the servicer."""
    global _CAPTURED
    if _CAPTURED is not None:
        return _CAPTURED
    original = policy_module._PolicyAnalyzerServicer

    def recorder(*args: Any) -> None:
        raise _CapturedError(args)

    policy_module._PolicyAnalyzerServicer = recorder  # type: ignore[assignment,misc]
    try:
        runpy.run_path(str(POLICIES_DIR / "__main__.py"), run_name="__main__")
    except _CapturedError as captured:
        _CAPTURED = captured.args_
    finally:
        policy_module._PolicyAnalyzerServicer = original  # type: ignore[misc]
    if _CAPTURED is None:
        raise AssertionError("policies/__main__.py did not construct a PolicyPack")
    return _CAPTURED


class Pack:
    """The pack's analyzer servicer plus engine-like request builders."""

    def __init__(self) -> None:
        self.servicer = policy_module._PolicyAnalyzerServicer(*capture_pack_arguments())

    def info(self) -> pb.AnalyzerInfo:
        return self.servicer.GetAnalyzerInfo(None, None)

    def configure_stack(self, stack: str = STACK, tags: Optional[dict[str, str]] = None) -> None:
        request = configure_stack_request(stack=stack, project=PROJECT, organization="contoso",
                                          dry_run=True, stack_config={}, tags=tags or {})
        self.servicer.ConfigureStack(request, None)

    def configure(self, config: Optional[Mapping[str, Any]] = None) -> None:
        """Send the per-policy config the CLI would for a ``--policy-pack-config`` document.

        Reconciled by the gate's code (defaults, initial config, then "all", then each policy,
        validated against the config schemas), as for the pack the gate boots.
        """
        reconciled = reconcile_policy_pack_config(convert_info(self.info()), config or None)
        if reconciled:
            self.servicer.Configure(configure_request(reconciled), None)

    def analyze(self, res: Res) -> list[Diagnostic]:
        return _diagnostics(self.servicer.Analyze(resource_request(res), None))

    def analyze_stack(self, resources: Iterable[Res]) -> list[Diagnostic]:
        return _diagnostics(self.servicer.AnalyzeStack(stack_request(resources), None))

    def messages(self, res: Res, policy: str) -> list[str]:
        """Messages of ``policy`` for one resource (Analyze)."""
        return [d.message for d in self.analyze(res) if d.policy == policy]

    def stack_messages(self, resources: Iterable[Res], policy: str) -> list[str]:
        """Messages of ``policy`` for a stack (AnalyzeStack)."""
        return [d.message for d in self.analyze_stack(resources) if d.policy == policy]


# Tenant-specific values in the shipped configs, replaced by the names the fixtures below use.
FIXTURE_TENANT: dict[str, dict[str, Any]] = {
    "databricks-acl-keeps-admins-and-deployer": {"adminGroupNames": ["admins"]},
    "databricks-production-transitions-by-service-principal": {"adminGroupNames": ["admins"]},
    "ca-break-glass-excluded": {"breakGlassGroupObjectIds": []},
    "ca-exclusions-only-break-glass": {
        "breakGlassGroupObjectIds": ["77777777-7777-4777-8777-777777777777"]},
    "entra-prefer-secretless-identity": {"acceptedPasswordApplications": [
        {"displayName": "Databricks ML sign-in", "reason": "fixture: its two rotated slots are "
         "what the password rules are tested on"}]},
}
# Rules the shipped prod.json keeps advisory on purpose (CMK is advisory in every stack; a
# password credential is a nudge towards secretless identities, not a blocker; a legacy model
# is reported for migration, not blocked).
PROD_ADVISORY = {"databricks-workspace-customer-managed-keys", "entra-prefer-secretless-identity",
                 "databricks-model-registry-unity-catalog"}


def load_config(name: str) -> dict[str, Any]:
    """A config file from policies/config, with the fixture tenant's names and ids."""
    import json

    config = json.loads((POLICIES_DIR / "config" / f"{name}.json").read_text())
    for rule, props in FIXTURE_TENANT.items():
        entry = config.get(rule)
        base = dict(entry) if isinstance(entry, Mapping) else (
            {"enforcementLevel": entry} if isinstance(entry, str) else {})
        config[rule] = {**base, **props}
    return config


# ---------------------------------------------------------------------------------------------
# Compliant resources
# ---------------------------------------------------------------------------------------------

SUBSCRIPTION = "00000000-0000-0000-0000-00000000a001"
RG_NAME = "rg-ml-prod"
RG_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG_NAME}"
VNET_NAME = "vnet-ml"
VNET_ID = f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/{VNET_NAME}"
NSG_ID = f"{RG_ID}/providers/Microsoft.Network/networkSecurityGroups/nsg-dbw"
WORKSPACE_NAME = "dbw-ml-prod"
WORKSPACE_ID = f"{RG_ID}/providers/Microsoft.Databricks/workspaces/{WORKSPACE_NAME}"
LOG_ANALYTICS_ID = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log-ml-prod"
KEY_VAULT_URI = "https://kv-ml-prod.vault.azure.net/"
HUB_VNET_ID = ("/subscriptions/00000000-0000-0000-0000-00000000b001/resourceGroups/rg-hub/"
               "providers/Microsoft.Network/virtualNetworks/vnet-hub")
DNS_ZONE = "privatelink.azuredatabricks.net"
DNS_ZONE_ID = f"{RG_ID}/providers/Microsoft.Network/privateDnsZones/{DNS_ZONE}"
HOST_SUBNET = "snet-dbw-host"
CONTAINER_SUBNET = "snet-dbw-container"

DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
DATABRICKS_USER_IMPERSONATION = "739272be-e143-11e8-9f32-f2801f1b9fd1"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"
DIRECTORY_READ_WRITE_ALL = "19dbc75e-c2e2-444c-a770-ec69d8559fc7"
ROLE_MANAGEMENT_READ_WRITE = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
SIGNIN_CLIENT_ID = "11111111-1111-4111-8111-111111111111"
SIGNIN_APP_OBJECT_ID = "22222222-2222-4222-8222-222222222222"
DEPLOYER_APP_ID = "33333333-3333-4333-8333-333333333333"
RELEASE_APP_ID = "44444444-4444-4444-8444-444444444444"
OWNER_ID = "55555555-5555-4555-8555-555555555555"
ML_GROUP_ID = "66666666-6666-4666-8666-666666666666"
BREAK_GLASS_GROUP_ID = "77777777-7777-4777-8777-777777777777"
ADB_SP_OBJECT_ID = "88888888-8888-4888-8888-88888888a0db"
NAMED_LOCATION_ID = "99999999-9999-4999-8999-99999999a10c"
PORTAL_REDIRECT = "https://ml-portal.example.com/auth/callback"
CLIENT_SECRET_LIKE = "xYz8Q~abcdefghijklmnopqrstuvwxyz01234567"
DATABRICKS_PAT_LIKE = "dapi" + "0123456789abcdef" * 2
TAGS = {
    "owner": "ml-platform",
    "cost-center": "cc-4711",
    "environment": "prod",
    "data-classification": "confidential",
}

AN = "azure-native"


def _days_from_now(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_group() -> Res:
    return Res(f"{AN}:resources:ResourceGroup", RG_NAME,
               {"resourceGroupName": RG_NAME, "location": "westeurope", "tags": dict(TAGS)},
               protect=True)


def virtual_network() -> Res:
    return Res(f"{AN}:network:VirtualNetwork", VNET_NAME, {
        "virtualNetworkName": VNET_NAME, "resourceGroupName": RG_NAME,
        "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "tags": dict(TAGS)})


def network_security_group() -> Res:
    return Res(f"{AN}:network:NetworkSecurityGroup", "nsg-dbw", {
        "networkSecurityGroupName": "nsg-dbw", "resourceGroupName": RG_NAME, "tags": dict(TAGS)})


def subnet(name: str = HOST_SUBNET, prefix: str = "10.20.1.0/24") -> Res:
    return Res(f"{AN}:network:Subnet", name, {
        "subnetName": name, "virtualNetworkName": VNET_NAME, "resourceGroupName": RG_NAME,
        "addressPrefix": prefix,
        "delegations": [{"name": "databricks", "serviceName": "Microsoft.Databricks/workspaces"}],
        "networkSecurityGroup": {"id": NSG_ID}})


def workspace() -> Res:
    key = {"keyVaultUri": KEY_VAULT_URI, "keyName": "dbw-cmk", "keyVersion": "0123456789abcdef"}
    return Res(f"{AN}:databricks:Workspace", WORKSPACE_NAME, {
        "workspaceName": WORKSPACE_NAME, "resourceGroupName": RG_NAME, "location": "westeurope",
        "managedResourceGroupId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dbw-managed",
        "sku": {"name": "premium"},
        "publicNetworkAccess": "Disabled",
        "requiredNsgRules": "NoAzureDatabricksRules",
        "parameters": {
            "customVirtualNetworkId": {"value": VNET_ID},
            "customPublicSubnetName": {"value": HOST_SUBNET},
            "customPrivateSubnetName": {"value": CONTAINER_SUBNET},
            "enableNoPublicIp": {"value": True},
            "encryption": {"value": {"keySource": "Microsoft.Keyvault", **key}},
        },
        "encryption": {"entities": {
            "managedServices": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": key},
            "managedDisk": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": key},
        }},
        "tags": dict(TAGS),
    }, outputs={"id": WORKSPACE_ID}, protect=True)


def private_endpoint() -> Res:
    return Res(f"{AN}:network:PrivateEndpoint", "pe-dbw-ui-api", {
        "privateEndpointName": "pe-dbw-ui-api", "resourceGroupName": RG_NAME,
        "subnet": {"id": f"{VNET_ID}/subnets/snet-pe"},
        "privateLinkServiceConnections": [{
            "name": "dbw-ui-api", "privateLinkServiceId": WORKSPACE_ID,
            "groupIds": ["databricks_ui_api"]}],
        "tags": dict(TAGS)})


def private_dns_zone() -> Res:
    return Res(f"{AN}:privatedns:PrivateZone", "dns-dbw", {
        "privateZoneName": DNS_ZONE, "resourceGroupName": RG_NAME, "location": "global",
        "tags": dict(TAGS)}, outputs={"id": DNS_ZONE_ID})


def dns_zone_link(name: str = "dns-link-hub", vnet_id: str = HUB_VNET_ID) -> Res:
    return Res(f"{AN}:privatedns:VirtualNetworkLink", name, {
        "privateZoneName": DNS_ZONE, "resourceGroupName": RG_NAME, "virtualNetworkLinkName": name,
        "virtualNetwork": {"id": vnet_id}, "registrationEnabled": False, "location": "global",
        "tags": dict(TAGS)})


def dns_zone_group(zone_id: str = DNS_ZONE_ID) -> Res:
    return Res(f"{AN}:network:PrivateDnsZoneGroup", "pe-dbw-ui-api-dns", {
        "privateEndpointName": "pe-dbw-ui-api", "resourceGroupName": RG_NAME,
        "privateDnsZoneGroupName": "default",
        "privateDnsZoneConfigs": [{"name": "privatelink-azuredatabricks-net",
                                   "privateDnsZoneId": zone_id}]})


def log_analytics() -> Res:
    return Res(f"{AN}:operationalinsights:Workspace", "log-ml-prod", {
        "workspaceName": "log-ml-prod", "resourceGroupName": RG_NAME,
        "sku": {"name": "PerGB2018"}, "retentionInDays": 365, "tags": dict(TAGS)},
        outputs={"id": LOG_ANALYTICS_ID}, protect=True)


def diagnostic_setting() -> Res:
    return Res(f"{AN}:monitor:DiagnosticSetting", "diag-dbw", {
        "name": "diag-dbw", "resourceUri": WORKSPACE_ID, "workspaceId": LOG_ANALYTICS_ID,
        "logs": [{"categoryGroup": "allLogs", "enabled": True}]})


def user_assigned_identity() -> Res:
    return Res(f"{AN}:managedidentity:UserAssignedIdentity", "id-deployer", {
        "resourceName": "id-deployer", "resourceGroupName": RG_NAME,
        "tags": {**TAGS, "databricks-role": "admin", "purpose": "Deploys the platform."}})


def key_vault_secret() -> Res:
    return Res(f"{AN}:keyvault:Secret", "kv-secret-signin", {
        "secretName": "signin-client-secret", "vaultName": "kv-ml-prod",
        "resourceGroupName": RG_NAME, "tags": dict(TAGS),
        "properties": {"value": Secret(CLIENT_SECRET_LIKE),
                       "attributes": {"expires": _days_from_now(90).timestamp()}}})


def application() -> Res:
    return Res("azuread:index/application:Application", "app-databricks-signin", {
        "displayName": "Databricks ML sign-in", "signInAudience": "AzureADMyOrg",
        "owners": [OWNER_ID],
        "singlePageApplication": {"redirectUris": [PORTAL_REDIRECT]},
        "fallbackPublicClientEnabled": False,
        "web": {"implicitGrant": {"accessTokenIssuanceEnabled": False,
                                  "idTokenIssuanceEnabled": False}},
        "requiredResourceAccesses": [
            {"resourceAppId": DATABRICKS_APP_ID, "resourceAccesses": [
                {"id": DATABRICKS_USER_IMPERSONATION, "type": "Scope"}]},
            {"resourceAppId": GRAPH_APP_ID, "resourceAccesses": [
                {"id": GRAPH_USER_READ, "type": "Scope"}]},
        ],
        "groupMembershipClaims": ["ApplicationGroup"],
    }, outputs={"clientId": SIGNIN_CLIENT_ID, "objectId": SIGNIN_APP_OBJECT_ID})


def service_principal() -> Res:
    return Res("azuread:index/servicePrincipal:ServicePrincipal", "sp-databricks-signin", {
        "clientId": SIGNIN_CLIENT_ID, "appRoleAssignmentRequired": True, "owners": [OWNER_ID]})


def azure_databricks_sp() -> Res:
    """The tenant's Azure Databricks enterprise app, adopted with assignment required."""
    return Res("azuread:index/servicePrincipal:ServicePrincipal", "azure-databricks-app", {
        "clientId": DATABRICKS_APP_ID, "useExisting": True, "appRoleAssignmentRequired": True},
        outputs={"objectId": ADB_SP_OBJECT_ID}, protect=True)


def azure_databricks_assignment() -> Res:
    return Res("azuread:index/appRoleAssignment:AppRoleAssignment",
               "azure-databricks-app-assign-ml-engineers", {
                   "appRoleId": "00000000-0000-0000-0000-000000000000",
                   "principalObjectId": ML_GROUP_ID, "resourceObjectId": ADB_SP_OBJECT_ID})


def application_password(name: str = "pwd-signin-a", relative: str = "4320h") -> Res:
    return Res("azuread:index/applicationPassword:ApplicationPassword", name, {
        "applicationId": f"/applications/{SIGNIN_APP_OBJECT_ID}", "displayName": name,
        "endDateRelative": relative})


def federated_credential() -> Res:
    return Res(
        "azuread:index/applicationFederatedIdentityCredential:"
        "ApplicationFederatedIdentityCredential", "fic-github-prod", {
            "applicationId": f"/applications/{SIGNIN_APP_OBJECT_ID}",
            "displayName": "github-prod",
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/ml-platform:environment:prod",
            "audiences": ["api://AzureADTokenExchange"]})


def entra_group() -> Res:
    return Res("azuread:index/group:Group", "grp-ml-engineers", {
        "displayName": "ml-engineers", "securityEnabled": True, "mailEnabled": False,
        "owners": [OWNER_ID]}, outputs={"objectId": ML_GROUP_ID}, protect=True)


def ca_mfa_policy() -> Res:
    return Res("azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy", "ca-mfa", {
        "displayName": "Databricks: require MFA", "state": "enabled",
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includedApplications": [DATABRICKS_APP_ID, SIGNIN_CLIENT_ID]},
            "users": {"includedGroups": [ML_GROUP_ID], "excludedGroups": [BREAK_GLASS_GROUP_ID]},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})


def ca_location_policy() -> Res:
    """Block sign-in to the Databricks apps from everywhere but the trusted location."""
    return Res("azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy", "ca-locations", {
        "displayName": "Databricks: block outside trusted locations", "state": "enabled",
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includedApplications": [DATABRICKS_APP_ID, SIGNIN_CLIENT_ID]},
            "users": {"includedGroups": [ML_GROUP_ID], "excludedGroups": [BREAK_GLASS_GROUP_ID]},
            "locations": {"includedLocations": ["All"],
                          "excludedLocations": [NAMED_LOCATION_ID]},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["block"]}})


def named_location() -> Res:
    return Res("azuread:index/namedLocation:NamedLocation", "nl-corp-egress", {
        "displayName": "Corporate egress", "ip": {"ipRanges": ["203.0.113.0/28"], "trusted": True}},
        outputs={"objectId": NAMED_LOCATION_ID})


def databricks_group() -> Res:
    return Res("databricks:index/group:Group", "dbx-ml-engineers", {
        "displayName": "ml-engineers", "externalId": ML_GROUP_ID})


def databricks_service_principal() -> Res:
    return Res("databricks:index/servicePrincipal:ServicePrincipal", "dbx-sp-deployer", {
        "applicationId": DEPLOYER_APP_ID, "displayName": "deployer"})


def permission_assignment() -> Res:
    return Res("databricks:index/permissionAssignment:PermissionAssignment", "pa-ml-engineers", {
        "groupName": "ml-engineers", "permissions": ["USER"]})


def model_permissions(name: str = "perm-model-churn", model_id: str = "churn-model-id") -> Res:
    return Res("databricks:index/permissions:Permissions", name, {
        "registeredModelId": model_id,
        "accessControls": [
            {"groupName": "admins", "permissionLevel": "CAN_MANAGE"},
            {"servicePrincipalName": DEPLOYER_APP_ID, "permissionLevel": "CAN_MANAGE"},
            {"servicePrincipalName": RELEASE_APP_ID,
             "permissionLevel": "CAN_MANAGE_PRODUCTION_VERSIONS"},
            {"groupName": "ml-engineers", "permissionLevel": "CAN_MANAGE_STAGING_VERSIONS"},
            {"groupName": "data-scientists", "permissionLevel": "CAN_READ"},
        ]}, protect=True)


def registered_model() -> Res:
    return Res("databricks:index/registeredModel:RegisteredModel", "uc-model-churn", {
        "catalogName": "ml", "schemaName": "models", "name": "churn"})


def catalog_grants() -> Res:
    return Res("databricks:index/grants:Grants", "grants-catalog-ml", {
        "catalog": "ml", "grants": [
            {"principal": "ml-engineers", "privileges": ["USE_CATALOG"]},
            {"principal": DEPLOYER_APP_ID, "privileges": ["ALL_PRIVILEGES"]},
            {"principal": "admins", "privileges": ["MANAGE"]}]}, protect=True)


def schema_grants() -> Res:
    return Res("databricks:index/grants:Grants", "grants-schema-models", {
        "schema": "ml.models", "grants": [
            {"principal": "ml-engineers", "privileges": ["USE_SCHEMA"]}]}, protect=True)


def model_grants() -> Res:
    return Res("databricks:index/grants:Grants", "grants-model-churn", {
        "model": "ml.models.churn", "grants": [
            {"principal": "ml-engineers", "privileges": ["EXECUTE"]},
            {"principal": DEPLOYER_APP_ID, "privileges": ["ALL_PRIVILEGES"]},
            {"principal": "admins", "privileges": ["MANAGE"]}]}, protect=True)


def databricks_group_member(name: str = "gm-alice", member: str = "1001") -> Res:
    return Res("databricks:index/groupMember:GroupMember", name, {
        "groupId": "9001", "memberId": member})


def azuread_group_member(name: str = "agm-alice", member: str = OWNER_ID) -> Res:
    return Res("azuread:index/groupMember:GroupMember", name, {
        "groupObjectId": ML_GROUP_ID, "memberObjectId": member})


def azuread_provider() -> Res:
    return Res("pulumi:providers:azuread", "azuread-oidc", {
        "tenantId": "88888888-8888-4888-8888-888888888888", "useOidc": "true",
        "oidcRequestToken": Secret("eyJ0eXAiOiJKV1QifQ.payload.signature")})


def databricks_provider() -> Res:
    return Res("pulumi:providers:databricks", "databricks-ws", {
        "host": "https://adb-1234567890.12.azuredatabricks.net",
        "azureWorkspaceResourceId": WORKSPACE_ID, "authType": "azure-cli"})


def stack_resource() -> Res:
    return Res("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}", {
        "workspaceUrl": "https://adb-1234567890.12.azuredatabricks.net",
        "clientAppClientId": SIGNIN_CLIENT_ID})


def compliant_stack() -> list[Res]:
    """A complete stack that every rule accepts."""
    return [
        stack_resource(), azuread_provider(), databricks_provider(),
        resource_group(), virtual_network(), network_security_group(),
        subnet(HOST_SUBNET, "10.20.1.0/24"), subnet(CONTAINER_SUBNET, "10.20.2.0/24"),
        workspace(), private_endpoint(), private_dns_zone(), dns_zone_link(), dns_zone_group(),
        log_analytics(), diagnostic_setting(),
        user_assigned_identity(), key_vault_secret(),
        application(), service_principal(), azure_databricks_sp(), azure_databricks_assignment(),
        application_password("pwd-signin-a", "4320h"),
        application_password("pwd-signin-b", "2160h"),
        federated_credential(), entra_group(), ca_mfa_policy(), ca_location_policy(),
        named_location(),
        databricks_group(), databricks_service_principal(), permission_assignment(),
        registered_model(), model_permissions(), catalog_grants(), schema_grants(), model_grants(),
        databricks_group_member(), azuread_group_member(),
    ]


def swap(resources: list[Res], *replacements: Res, drop: Iterable[str] = ()) -> list[Res]:
    """The stack with same-named resources replaced, others appended, ``drop`` names removed."""
    by_name = {r.name: r for r in replacements}
    dropped = set(drop)
    result = [by_name.pop(r.name, r) for r in resources if r.name not in dropped]
    return result + list(by_name.values())


# ---------------------------------------------------------------------------------------------
# Test cases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One expectation for one rule.

    ``target`` is a single resource (Analyze) or a list of resources (AnalyzeStack).
    ``expected`` lists the rule's exact messages; for a preview case use
    :func:`preview_message`, which is reported at advisory level.
    ``config`` overrides per-policy properties on top of prod.json.
    """

    rule: str
    id: str
    target: Any
    expected: tuple[str, ...]
    config: Optional[Mapping[str, Any]] = None

    def run(self, pack: Pack) -> list[Diagnostic]:
        """Configure ``pack`` (if needed) and return the rule's diagnostics."""
        if self.config is not None:
            merged = dict(load_config("prod"))
            entry = merged.get(self.rule)
            base = dict(entry) if isinstance(entry, Mapping) else {}
            merged[self.rule] = {**base, **self.config}
            pack.configure(merged)
        if isinstance(self.target, Res):
            found = pack.analyze(self.target)
        else:
            found = pack.analyze_stack(self.target)
        return [d for d in found if d.policy == self.rule]


def violation(rule: str, id: str, target: Any, *expected: str,
              config: Optional[Mapping[str, Any]] = None) -> Case:
    """The rule reports exactly ``expected`` (mandatory under prod.json)."""
    return Case(rule, id, target, tuple(expected), config)


def passes(rule: str, id: str, target: Any, config: Optional[Mapping[str, Any]] = None) -> Case:
    """The rule reports nothing."""
    return Case(rule, id, target, (), config)


def preview(rule: str, id: str, target: Any, path: str, kind: str = "string",
            config: Optional[Mapping[str, Any]] = None) -> Case:
    """Reading an unknown value yields the SDK's advisory instead of a verdict or a crash."""
    return Case(rule, f"{id}-unknown", target, (preview_message(rule, kind, path),), config)


def check_case(pack: Pack, case: Case) -> None:
    """Assert a case: messages match exactly; preview advisories are advisory, others mandatory."""
    found = case.run(pack)
    assert [d.message for d in found] == list(case.expected)
    for diagnostic in found:
        is_preview = diagnostic.message.startswith("can't run policy")
        advisory = is_preview or (case.rule in PROD_ADVISORY and case.config is None)
        assert diagnostic.level == ("advisory" if advisory else "mandatory"), diagnostic
