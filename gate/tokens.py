"""The type tokens the gate's reports read, once (the access review, its paths, the diff).

Tokens are the providers' own (``package:module/name:Type``, unversioned). The pack keeps its
own list (``policies/rules/_types.py``): it is an independent control and imports nothing of
the gate's.
"""

from __future__ import annotations

# Entra ID (azuread)
ENTRA_GROUP = "azuread:index/group:Group"
ENTRA_GROUP_MEMBER = "azuread:index/groupMember:GroupMember"
ENTRA_SP = "azuread:index/servicePrincipal:ServicePrincipal"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
CA_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
CATALOG_RESOURCE = ("azuread:index/accessPackageResourceCatalogAssociation:"
                    "AccessPackageResourceCatalogAssociation")
PACKAGE_RESOURCE = ("azuread:index/accessPackageResourcePackageAssociation:"
                    "AccessPackageResourcePackageAssociation")
ASSIGNMENT_POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
ROLE_POLICY = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"
ELIGIBILITY = ("azuread:index/privilegedAccessGroupEligibilitySchedule:"
               "PrivilegedAccessGroupEligibilitySchedule")

# Azure
UAMI = "azure-native:managedidentity:UserAssignedIdentity"

# Databricks
DBX_GROUP = "databricks:index/group:Group"
DBX_SP = "databricks:index/servicePrincipal:ServicePrincipal"
DBX_GROUP_MEMBER = "databricks:index/groupMember:GroupMember"
DBX_ASSIGN = (
    "databricks:index/mwsPermissionAssignment:MwsPermissionAssignment",
    "databricks:index/permissionAssignment:PermissionAssignment",
)
ENTITLEMENTS = "databricks:index/entitlements:Entitlements"
PERMISSIONS = "databricks:index/permissions:Permissions"
GRANTS = "databricks:index/grants:Grants"
EXTERNAL_GROUP_LOOKUP = "databricks:index/getAccountIamExternalGroupV2:getAccountIamExternalGroupV2"
EXTERNAL_SP_LOOKUP = ("databricks:index/getAccountIamExternalServicePrincipalV2:"
                      "getAccountIamExternalServicePrincipalV2")
