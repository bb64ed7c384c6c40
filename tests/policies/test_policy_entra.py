"""Entra ID application, credential, service principal and group rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from policy_harness import (
    DATABRICKS_APP_ID,
    DELETE,
    DIRECTORY_READ_WRITE_ALL,
    ROLE_MANAGEMENT_READ_WRITE,
    SIGNIN_APP_OBJECT_ID,
    UNKNOWN,
    Case,
    Res,
    application,
    application_password,
    azure_databricks_assignment,
    azure_databricks_sp,
    check_case,
    compliant_stack,
    entra_group,
    federated_credential,
    passes,
    preview,
    rfc3339,
    service_principal,
    swap,
    violation,
)

SINGLE_TENANT = "entra-app-single-tenant"
IMPLICIT = "entra-app-no-implicit-grant"
REDIRECTS = "entra-app-redirect-uris-https"
OWNERS = "entra-app-owners"
GRAPH = "entra-app-no-privileged-graph-roles"
GROUP_CLAIMS = "entra-app-group-claims-assigned-only"
LIFETIME = "entra-app-password-lifetime"
DBR = "entra-app-password-create-before-delete"
OVERLAP = "entra-app-password-overlapping-slots"
FEDERATED = "entra-federated-credential-pinned"
ASSIGNMENT = "entra-client-app-assignment-required"
PKCE = "entra-client-app-public-pkce"
NO_WORKSPACE_HOST = "entra-app-no-workspace-host-redirect"
RETAINED = "entra-azure-databricks-app-retained"
ADB_ASSIGNMENT = "entra-azure-databricks-assignment-required"
WORKSPACE_URI = "https://adb-1234567890.12.azuredatabricks.net/login.html"
NOT_ADOPTED = (
    "the Azure Databricks service principal is declared without useExisting=True; adopt the "
    "tenant's existing enterprise app (use_existing=True, retain_on_delete=True) instead of "
    "creating one this stack would delete."
)
NOT_PROTECTED = (
    "the adopted Azure Databricks service principal is not protected; set protect=True (and "
    "retain_on_delete=True) so no destroy or rename can remove the tenant's Azure Databricks "
    "enterprise app."
)
GROUP = "entra-group-security-settings"

APP_ID = f"/applications/{SIGNIN_APP_OBJECT_ID}"
USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214"
PIN_FIX = (
    "; use 'repo:<org>/<repo>:environment:<environment>' with a protected GitHub environment."
)
GRAPH_FIX = (
    "; remove it (use a delegated scope) or add its id to allowedGraphAppRoles with a "
    "justification."
)


def replace_protect(res: Res, protect: bool) -> Res:
    from dataclasses import replace
    return replace(res, protect=protect)


def _stack(*replacements, drop=()):
    return swap(compliant_stack(), *replacements, drop=drop)


def _graph_role(role_id: str) -> Res:
    return application().set("requiredResourceAccesses.1.resourceAccesses.1",
                             {"id": role_id, "type": "Role"})


def _in_days(days: float) -> str:
    return rfc3339(datetime.now(UTC) + timedelta(days=days))


def _managed_identity_credential(subject: str) -> Res:
    return Res("azure-native:managedidentity:FederatedIdentityCredential", "mi-fic-github", {
        "resourceName": "id-deployer", "resourceGroupName": "rg-ml-prod",
        "federatedIdentityCredentialResourceName": "github-prod",
        "issuer": "https://token.actions.githubusercontent.com", "subject": subject,
        "audiences": ["api://AzureADTokenExchange"]})


AKS_ISSUER = ("https://westeurope.oic.prod-aks.azure.com/11111111-1111-1111-1111-111111111111/"
              "55555555-5555-5555-5555-555555555555/")


def _aks_credential(subject: str) -> Res:
    return _managed_identity_credential(subject).set("issuer", AKS_ISSUER)


LATER = _in_days(400.5)

CASES: list[Case] = [
    # --- single tenant ---------------------------------------------------------------------
    passes(SINGLE_TENANT, "my-org", application()),
    passes(SINGLE_TENANT, "default-is-my-org", application().set("signInAudience", DELETE)),
    violation(SINGLE_TENANT, "multi-tenant",
              application().set("signInAudience", "AzureADMultipleOrgs"),
              "signInAudience is 'AzureADMultipleOrgs'; set signInAudience='AzureADMyOrg' so "
              "only accounts of this tenant can sign in."),
    preview(SINGLE_TENANT, "audience", application().set("signInAudience", UNKNOWN),
            "signInAudience"),
    # --- implicit grant --------------------------------------------------------------------
    passes(IMPLICIT, "off", application()),
    violation(IMPLICIT, "id-tokens",
              application().set("web.implicitGrant.idTokenIssuanceEnabled", True),
              "web.implicitGrant.idTokenIssuanceEnabled is true; set it to false and use the "
              "authorization code flow with PKCE."),
    violation(IMPLICIT, "both", application().set(
        "web.implicitGrant", {"accessTokenIssuanceEnabled": True, "idTokenIssuanceEnabled": True}),
              "web.implicitGrant.accessTokenIssuanceEnabled is true; set it to false and use the "
              "authorization code flow with PKCE.",
              "web.implicitGrant.idTokenIssuanceEnabled is true; set it to false and use the "
              "authorization code flow with PKCE."),
    preview(IMPLICIT, "flag",
            application().set("web.implicitGrant.accessTokenIssuanceEnabled", UNKNOWN),
            "web.implicitGrant.accessTokenIssuanceEnabled"),
    # --- redirect URIs ---------------------------------------------------------------------
    passes(REDIRECTS, "https", application()),
    passes(REDIRECTS, "spa-localhost", application().set(
        "singlePageApplication.redirectUris", ["http://localhost:3000/auth"])),
    passes(REDIRECTS, "native-loopback", application().set(
        "publicClient.redirectUris", ["http://127.0.0.1:8400/cb"])),
    violation(REDIRECTS, "http-web", application().set("web.redirectUris", ["http://localhost/cb"]),
              "web.redirectUris contains non-HTTPS URI 'http://localhost/cb'; use https:// URIs "
              "(or http://localhost / http://127.0.0.1 for a native client)."),
    violation(REDIRECTS, "http-not-loopback", application().set(
        "publicClient.redirectUris", ["http://tools.example.com/cb"]),
              "publicClient.redirectUris contains non-HTTPS URI 'http://tools.example.com/cb'; "
              "use https:// URIs (or http://localhost / http://127.0.0.1 for a native client)."),
    violation(REDIRECTS, "wildcard",
              application().set("singlePageApplication.redirectUris",
                                ["https://*.azuredatabricks.net/cb"]),
              "singlePageApplication.redirectUris contains wildcard URI "
              "'https://*.azuredatabricks.net/cb'; register each exact redirect URI."),
    preview(REDIRECTS, "uri", application().set("web.redirectUris", [UNKNOWN]),
            "web.redirectUris.0"),
    # --- no redirect URI on an Azure Databricks host ----------------------------------------
    passes(NO_WORKSPACE_HOST, "own-tool", application()),
    violation(NO_WORKSPACE_HOST, "workspace-host", application().set(
        "web.redirectUris", [WORKSPACE_URI]),
              f"web.redirectUris contains '{WORKSPACE_URI}' on an Azure Databricks host; people "
              "sign in to workspaces through Microsoft's Azure Databricks app, so an app of ours "
              "never receives codes there. Use the redirect URI of your own tool."),
    violation(NO_WORKSPACE_HOST, "account-console", application().set(
        "singlePageApplication.redirectUris",
        ["https://accounts.azuredatabricks.net/oidc/consume"]),
              "singlePageApplication.redirectUris contains "
              "'https://accounts.azuredatabricks.net/oidc/consume' on an Azure Databricks host; "
              "people sign in to workspaces through Microsoft's Azure Databricks app, so an app "
              "of ours never receives codes there. Use the redirect URI of your own tool."),
    preview(NO_WORKSPACE_HOST, "uri", application().set(
        "publicClient.redirectUris", [UNKNOWN]), "publicClient.redirectUris.0"),
    # --- the client app is a public client or SPA with PKCE ---------------------------------
    passes(PKCE, "spa", application()),
    passes(PKCE, "public-client", application().set("singlePageApplication", DELETE).set(
        "publicClient", {"redirectUris": ["http://localhost"]})),
    passes(PKCE, "not-a-databricks-client", application().set(
        "requiredResourceAccesses", []).set("web.redirectUris", ["https://x.example/cb"])),
    violation(PKCE, "web-platform", application().set("singlePageApplication", DELETE).set(
        "web.redirectUris", ["https://ml-portal.example.com/signin-oidc"]),
              "web.redirectUris is set: a web (confidential) platform needs a client secret; "
              "register the tool's redirect URIs under publicClient or singlePageApplication "
              "(authorization code + PKCE).",
              "no publicClient or singlePageApplication redirect URI: the tool cannot run the "
              "authorization code flow with PKCE; add its redirect URI there."),
    violation(PKCE, "inline-password", application().set(
        "password", {"displayName": "portal secret"}),
              "password is set: a public client or SPA has no secret; remove it."),
    violation(PKCE, "ropc", application().set("fallbackPublicClientEnabled", True),
              "fallbackPublicClientEnabled is true (ROPC and device-code flows without a "
              "redirect URI); set it to false and use authorization code + PKCE."),
    preview(PKCE, "fallback", application().set("fallbackPublicClientEnabled", UNKNOWN),
            "fallbackPublicClientEnabled"),
    # --- the Azure Databricks enterprise app is adopted, never deleted ------------------------
    passes(RETAINED, "adopted-protected", azure_databricks_sp()),
    passes(RETAINED, "other-service-principal", service_principal()),
    passes(RETAINED, "dev-unprotected", replace_protect(azure_databricks_sp(), False),
           config={"requireProtect": False}),
    violation(RETAINED, "created-not-adopted", azure_databricks_sp().set("useExisting", DELETE),
              NOT_ADOPTED),
    violation(RETAINED, "unprotected-in-prod", replace_protect(azure_databricks_sp(), False),
              NOT_PROTECTED),
    preview(RETAINED, "use-existing", azure_databricks_sp().set("useExisting", UNKNOWN),
            "useExisting"),
    # --- the Azure Databricks enterprise app requires assignment (stack) --------------------
    passes(ADB_ASSIGNMENT, "assigned", compliant_stack()),
    passes(ADB_ASSIGNMENT, "assigned-by-dependency", _stack(
        azure_databricks_sp().set_output("objectId", UNKNOWN),
        azure_databricks_assignment().set("resourceObjectId", UNKNOWN)
        .depends("resourceObjectId", azure_databricks_sp()))),
    passes(ADB_ASSIGNMENT, "not-configured-not-adopted", _stack(
        drop=["azure-databricks-app", "azure-databricks-app-assign-ml-engineers"]),
           config={"requireAssignment": False}),
    violation(ADB_ASSIGNMENT, "not-adopted", _stack(
        drop=["azure-databricks-app", "azure-databricks-app-assign-ml-engineers"]),
              "requireAssignment is configured but the stack does not adopt the Azure Databricks "
              f"enterprise app ({DATABRICKS_APP_ID}); set azureDatabricksApp.requireAssignment: "
              "true in the stack config."),
    violation(ADB_ASSIGNMENT, "nobody-assigned", _stack(
        drop=["azure-databricks-app-assign-ml-engineers"]),
              "the Azure Databricks service principal 'azure-databricks-app' requires assignment "
              "but nobody is assigned: every sign-in would be refused; assign the mapped groups, "
              "the automation identities and the break-glass groups."),
    violation(ADB_ASSIGNMENT, "adopted-open", _stack(
        azure_databricks_sp().set("appRoleAssignmentRequired", False)),
              "the Azure Databricks service principal 'azure-databricks-app' is adopted with "
              "appRoleAssignmentRequired not true: adopting it would let every user of the "
              "tenant get an Azure Databricks token (and undo an admin's restriction); set it to "
              "True.", config={"requireAssignment": False}),
    preview(ADB_ASSIGNMENT, "required", _stack(
        azure_databricks_sp().set("appRoleAssignmentRequired", UNKNOWN)),
            "appRoleAssignmentRequired"),
    # --- owners ----------------------------------------------------------------------------
    passes(OWNERS, "one-owner", application()),
    passes(OWNERS, "unknown-owners-count", application().set("owners", [UNKNOWN])),
    violation(OWNERS, "none", application().set("owners", []),
              "owners has 0 entries; set owners to at least 1 accountable object id(s) (e.g. the "
              "deployer service principal and a human owner)."),
    violation(OWNERS, "missing", application().set("owners", DELETE),
              "owners has 0 entries; set owners to at least 1 accountable object id(s) (e.g. the "
              "deployer service principal and a human owner)."),
    violation(OWNERS, "configured-minimum", application(),
              "owners has 1 entry; set owners to at least 2 accountable object id(s) (e.g. the "
              "deployer service principal and a human owner).", config={"minOwners": 2}),
    # --- Microsoft Graph application permissions -------------------------------------------
    passes(GRAPH, "delegated-only", application()),
    passes(GRAPH, "allow-listed", _graph_role(USER_READ_ALL),
           config={"allowedGraphAppRoles": [USER_READ_ALL]}),
    passes(GRAPH, "role-on-other-api", application().set(
        "requiredResourceAccesses.0.resourceAccesses.0.type", "Role")),
    violation(GRAPH, "directory-read-write", _graph_role(DIRECTORY_READ_WRITE_ALL),
              f"requests Microsoft Graph application permission Directory.ReadWrite.All "
              f"({DIRECTORY_READ_WRITE_ALL}) which allows privilege escalation to tenant admin"
              + GRAPH_FIX),
    violation(GRAPH, "role-management", _graph_role(ROLE_MANAGEMENT_READ_WRITE),
              f"requests Microsoft Graph application permission RoleManagement.ReadWrite.Directory "
              f"({ROLE_MANAGEMENT_READ_WRITE}) which allows privilege escalation to tenant admin"
              + GRAPH_FIX),
    violation(GRAPH, "other-role", _graph_role(USER_READ_ALL),
              f"requests Microsoft Graph application permission {USER_READ_ALL}" + GRAPH_FIX),
    preview(GRAPH, "type", application().set(
        "requiredResourceAccesses.1.resourceAccesses.0.type", UNKNOWN),
            "requiredResourceAccesses.1.resourceAccesses.0.type"),
    # --- group claims ----------------------------------------------------------------------
    passes(GROUP_CLAIMS, "application-group", application()),
    violation(GROUP_CLAIMS, "all", application().set("groupMembershipClaims", ["All"]),
              "groupMembershipClaims includes 'All' (security groups, distribution lists and "
              "directory roles); use ['ApplicationGroup'] to emit only groups assigned to the "
              "app."),
    preview(GROUP_CLAIMS, "claims", application().set("groupMembershipClaims", [UNKNOWN]),
            "groupMembershipClaims.0"),
    # --- password lifetime -----------------------------------------------------------------
    passes(LIFETIME, "180-days", application_password(relative="4320h")),
    passes(LIFETIME, "end-date-within", application_password().set("endDateRelative", DELETE)
           .set("endDate", _in_days(100))),
    violation(LIFETIME, "one-year", application_password(relative="8760h"),
              "endDateRelative '8760h' is 365 days; set it to at most 180 days (e.g. '4320h')."),
    violation(LIFETIME, "configured-maximum", application_password(relative="2400h"),
              "endDateRelative '2400h' is 100 days; set it to at most 90 days (e.g. '2160h').",
              config={"maxLifetimeDays": 90}),
    violation(LIFETIME, "not-a-duration", application_password(relative="6 months"),
              "endDateRelative '6 months' is not a duration like '4320h'."),
    violation(LIFETIME, "default-two-years", application_password().set(
        "endDateRelative", DELETE),
              "neither endDate nor endDateRelative is set, so the password defaults to a 2-year "
              "lifetime; set endDateRelative to at most 180 days (e.g. '4320h')."),
    violation(LIFETIME, "end-date-too-far", application_password().set(
        "endDateRelative", DELETE).set("endDate", LATER),
              f"endDate '{LATER}' is 400 days from now; set it at most 180 days ahead (or use "
              "endDateRelative='4320h')."),
    violation(LIFETIME, "bad-end-date", application_password().set(
        "endDateRelative", DELETE).set("endDate", "next year"),
              "endDate 'next year' is not an RFC 3339 timestamp."),
    preview(LIFETIME, "relative", application_password(relative=UNKNOWN), "endDateRelative"),
    preview(LIFETIME, "end-date", application_password().set("endDateRelative", DELETE)
            .set("endDate", UNKNOWN), "endDate"),
    # --- create before delete --------------------------------------------------------------
    passes(DBR, "default", application_password()),
    passes(DBR, "explicit-false", application_password().with_(delete_before_replace=False)),
    violation(DBR, "delete-first", application_password().with_(delete_before_replace=True),
              "deleteBeforeReplace is set; remove it so a replacement password is created before "
              "the old one is deleted and a valid credential always exists."),
    # --- overlapping password slots (stack) ------------------------------------------------
    passes(OVERLAP, "two-slots", compliant_stack()),
    passes(OVERLAP, "grouped-by-dependency", _stack(
        application_password("pwd-signin-a").set("applicationId", UNKNOWN)
        .depends("applicationId", application()),
        application_password("pwd-signin-b", "2160h").set("applicationId", UNKNOWN)
        .depends("applicationId", application()))),
    passes(OVERLAP, "unknown-end-dates-skip-overlap", _stack(
        application_password("pwd-signin-b").set("endDateRelative", UNKNOWN))),
    violation(OVERLAP, "single-slot", _stack(drop=["pwd-signin-b"]),
              f"application '{APP_ID}' has 1 password credential ('pwd-signin-a'); declare two "
              "ApplicationPassword slots with staggered end dates so one can be rotated while the "
              "other stays valid."),
    violation(OVERLAP, "single-slot-by-dependency", _stack(
        application_password("pwd-signin-a").set("applicationId", UNKNOWN)
        .depends("applicationId", application()), drop=["pwd-signin-b"]),
              "application 'app-databricks-signin' has 1 password credential ('pwd-signin-a'); "
              "declare two ApplicationPassword slots with staggered end dates so one can be "
              "rotated while the other stays valid."),
    # a=180 days, b=170 days: when the older slot expires the newer has only 10 days left
    violation(OVERLAP, "short-overlap", _stack(application_password("pwd-signin-b", "4080h")),
              f"the two newest password slots of application '{APP_ID}' expire only 10 days "
              "apart; stagger their end dates by at least 30 days so the newer one outlives the "
              "older one by that much."),
    passes(OVERLAP, "older-slot-about-to-expire",
           _stack(application_password("pwd-signin-b", "120h"))),
    violation(OVERLAP, "configured-overlap", compliant_stack(),
              f"the two newest password slots of application '{APP_ID}' expire only 90 days "
              "apart; stagger their end dates by at least 120 days so the newer one outlives "
              "the older one by that much.", config={"minOverlapDays": 120}),
    preview(OVERLAP, "application", _stack(
        application_password("pwd-signin-a").set("applicationId", UNKNOWN)), "applicationId"),
    # --- federated credentials -------------------------------------------------------------
    passes(FEDERATED, "environment", federated_credential()),
    passes(FEDERATED, "managed-identity",
           _managed_identity_credential("repo:contoso/ml-platform:environment:prod")),
    passes(FEDERATED, "allowed-repository", federated_credential(),
           config={"allowedRepositories": ["contoso/ml-platform"]}),
    violation(FEDERATED, "branch", federated_credential().set(
        "subject", "repo:contoso/ml-platform:ref:refs/heads/main"),
              "subject 'repo:contoso/ml-platform:ref:refs/heads/main' trusts a branch or tag ref "
              "instead of an environment" + PIN_FIX),
    violation(FEDERATED, "wildcard", federated_credential().set(
        "subject", "repo:contoso/*:environment:prod"),
              "subject 'repo:contoso/*:environment:prod' contains a wildcard" + PIN_FIX),
    violation(FEDERATED, "pull-request", federated_credential().set(
        "subject", "repo:contoso/ml-platform:pull_request"),
              "subject 'repo:contoso/ml-platform:pull_request' trusts pull_request workflows"
              + PIN_FIX),
    # The read-only preview identity: a pull_request subject, accepted only by name.
    passes(FEDERATED, "preview-identity", federated_credential().set(
        "subject", "repo:contoso/ml-platform:pull_request").set("displayName", "github-pr"),
           config={"previewCredentials": ["github-pr"]}),
    violation(FEDERATED, "preview-identity-other-repository", federated_credential().set(
        "subject", "repo:contoso/ml-platform:pull_request").set("displayName", "github-pr"),
              "subject 'repo:contoso/ml-platform:pull_request' names a repository outside "
              "allowedRepositories" + PIN_FIX,
              config={"previewCredentials": ["github-pr"], "allowedRepositories": ["contoso/x"]}),
    violation(FEDERATED, "pull-request-not-the-preview-identity", federated_credential().set(
        "subject", "repo:contoso/ml-platform:pull_request"),
              "subject 'repo:contoso/ml-platform:pull_request' trusts pull_request workflows"
              + PIN_FIX, config={"previewCredentials": ["github-pr"]}),
    violation(FEDERATED, "no-environment", federated_credential().set(
        "subject", "repo:contoso/ml-platform"),
              "subject 'repo:contoso/ml-platform' is not pinned to a repository environment"
              + PIN_FIX),
    violation(FEDERATED, "managed-identity-branch", _managed_identity_credential(
        "repo:contoso/ml-platform:ref:refs/heads/*"),
              "subject 'repo:contoso/ml-platform:ref:refs/heads/*' contains a wildcard" + PIN_FIX),
    violation(FEDERATED, "other-repository", federated_credential(),
              "subject 'repo:contoso/ml-platform:environment:prod' names a repository outside "
              "allowedRepositories" + PIN_FIX, config={"allowedRepositories": ["contoso/other"]}),
    violation(FEDERATED, "issuer", federated_credential().set(
        "issuer", "https://sts.windows.net/tenant/"),
              "issuer 'https://sts.windows.net/tenant/' is not one of the allowed issuers "
              "['https://token.actions.githubusercontent.com'] nor an AKS OIDC issuer."),
    passes(FEDERATED, "aks-service-account", _aks_credential(
        "system:serviceaccount:risk-agent:risk-agent")),
    violation(FEDERATED, "aks-wildcard", _aks_credential("system:serviceaccount:risk-agent:*"),
              "subject 'system:serviceaccount:risk-agent:*' is not one Kubernetes service "
              "account; use 'system:serviceaccount:<namespace>:<service-account>' without "
              "wildcards."),
    violation(FEDERATED, "aks-disallowed", _aks_credential(
        "system:serviceaccount:risk-agent:risk-agent"),
              f"issuer '{AKS_ISSUER}' is not one of the allowed issuers "
              "['https://token.actions.githubusercontent.com'].",
              config={"allowAksWorkloadIdentity": False}),
    violation(FEDERATED, "audience", federated_credential().set("audiences", ["api://other"]),
              "audiences is ['api://other']; set audiences=['api://AzureADTokenExchange']."),
    preview(FEDERATED, "subject", federated_credential().set("subject", UNKNOWN), "subject"),
    # --- assignment required (stack) -------------------------------------------------------
    passes(ASSIGNMENT, "required", compliant_stack()),
    passes(ASSIGNMENT, "joined-by-dependency", _stack(
        service_principal().set("clientId", UNKNOWN).depends("clientId", application()))),
    passes(ASSIGNMENT, "non-signin-app-needs-no-sp", _stack(
        application().set("requiredResourceAccesses", []), drop=["sp-databricks-signin"])),
    violation(ASSIGNMENT, "not-required", _stack(
        service_principal().set("appRoleAssignmentRequired", False)),
              "service principal 'sp-databricks-signin' of client application "
              "'app-databricks-signin' has appRoleAssignmentRequired False; set it to True so only "
              "assigned users and groups can use it."),
    violation(ASSIGNMENT, "default", _stack(
        service_principal().set("appRoleAssignmentRequired", DELETE)
        .set("clientId", UNKNOWN).depends("clientId", application())),
              "service principal 'sp-databricks-signin' of client application "
              "'app-databricks-signin' has appRoleAssignmentRequired not set (defaults to "
              "False); set it to True so only assigned users and groups can use it."),
    violation(ASSIGNMENT, "no-service-principal", _stack(drop=["sp-databricks-signin"]),
              "client application 'app-databricks-signin' has no azuread ServicePrincipal in this "
              "stack; create one with appRoleAssignmentRequired=True and assign the Databricks "
              "groups."),
    preview(ASSIGNMENT, "client-id", _stack(
        application().set_output("clientId", UNKNOWN)), "clientId"),
    # --- groups ----------------------------------------------------------------------------
    passes(GROUP, "security-group", entra_group()),
    violation(GROUP, "not-security", entra_group().set("securityEnabled", False),
              "securityEnabled is not true; set securityEnabled=True for access-control groups."),
    violation(GROUP, "mail", entra_group().set("mailEnabled", True),
              "mailEnabled is true; set mailEnabled=False (do not mix access control and mail)."),
    violation(GROUP, "no-owners", entra_group().set("owners", []),
              "owners is empty; set owners so someone is accountable for the group's "
              "membership."),
    preview(GROUP, "security", entra_group().set("securityEnabled", UNKNOWN), "securityEnabled"),
]

@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_entra_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_identity_rules_are_mandatory_in_dev(dev_pack) -> None:
    bad = application().set("signInAudience", "AzureADMultipleOrgs")
    assert {d.level for d in dev_pack.analyze(bad) if d.policy == SINGLE_TENANT} == {"mandatory"}
