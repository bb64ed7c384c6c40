"""The resource type tokens the rules match, one name per token (default-version tokens:
:func:`rules._common.canonical_type` maps versioned azure-native tokens onto these)."""

from __future__ import annotations

# --- Microsoft Entra ID (azuread) ------------------------------------------------------------
APPLICATION = "azuread:index/application:Application"
APPLICATION_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
APP_FEDERATED_CREDENTIAL = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
GROUP = "azuread:index/group:Group"
AAD_GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
CA_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
NAMED_LOCATION = "azuread:index/namedLocation:NamedLocation"
SYNCHRONIZATION_SECRET = "azuread:index/synchronizationSecret:SynchronizationSecret"
ASSIGNMENT_POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
ELIGIBILITY = ("azuread:index/privilegedAccessGroupEligibilitySchedule:"
               "PrivilegedAccessGroupEligibilitySchedule")
ACTIVE_ASSIGNMENT = ("azuread:index/privilegedAccessGroupAssignmentSchedule:"
                     "PrivilegedAccessGroupAssignmentSchedule")
ROLE_POLICY = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"

# --- Azure (azure-native) --------------------------------------------------------------------
WORKSPACE = "azure-native:databricks:Workspace"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
SUBNET = "azure-native:network:Subnet"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"
KEY_VAULT_SECRET = "azure-native:keyvault:Secret"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
MI_FEDERATED_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"

# --- Databricks ------------------------------------------------------------------------------
DB_GROUP = "databricks:index/group:Group"
DB_SERVICE_PRINCIPAL = "databricks:index/servicePrincipal:ServicePrincipal"
DB_GROUP_MEMBER = "databricks:index/groupMember:GroupMember"
DB_PERMISSIONS = "databricks:index/permissions:Permissions"
DB_GRANTS = "databricks:index/grants:Grants"
DB_GRANT = "databricks:index/grant:Grant"  # one principal on one securable, non-authoritative
DB_REGISTERED_MODEL = "databricks:index/registeredModel:RegisteredModel"
DB_MLFLOW_MODEL = "databricks:index/mlflowModel:MlflowModel"
DB_PERMISSION_ASSIGNMENT = "databricks:index/permissionAssignment:PermissionAssignment"
DB_MWS_PERMISSION_ASSIGNMENT = "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment"
DB_ENTITLEMENTS = "databricks:index/entitlements:Entitlements"

# --- Pulumi ----------------------------------------------------------------------------------
STACK_TYPE = "pulumi:pulumi:Stack"
