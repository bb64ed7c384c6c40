"""Entra ID (azuread) application, credential, service principal and group rules."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Optional
from urllib.parse import urlsplit

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from ._common import (
    AZURE_DATABRICKS_APP_ID,
    GITHUB_ISSUER,
    MS_GRAPH_APP_ID,
    TOKEN_EXCHANGE_AUDIENCE,
    UNKNOWN,
    Controls,
    Report,
    config_int,
    config_strings,
    dependencies,
    depends_on,
    elements,
    integer_property,
    is_set,
    label,
    lower,
    now_utc,
    of_type,
    parse_go_duration_seconds,
    parse_rfc3339,
    peek,
    raw_elements,
    read,
    read_all,
    resource_rule,
    stack_rule,
    string_list_property,
)

DOMAIN = "entra"

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
APP_FEDERATED_CREDENTIAL = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
MI_FEDERATED_CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
GROUP = "azuread:index/group:Group"
APP_ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"

# Azure Databricks hosts (workspaces adb-*.azuredatabricks.net, the account console): people
# sign in there through Microsoft's Azure Databricks app; no app of ours redirects there.
DATABRICKS_DOMAIN = "azuredatabricks.net"
# http:// is acceptable only on loopback (RFC 8252 for native clients; Entra's localhost rule).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
REDIRECT_SECTIONS = ("web", "singlePageApplication", "publicClient")

# Microsoft Graph application permissions (app roles) that allow tenant takeover.
DANGEROUS_GRAPH_ROLES = {
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
}

DEFAULT_MAX_PASSWORD_DAYS = 180
DEFAULT_OVERLAP_DAYS = 30
DAY_SECONDS = 86400.0

# AKS workload identity: the cluster's OIDC issuer and one service account as subject.
_AKS_ISSUER = re.compile(
    r"^https://[a-z0-9]+\.oic\.prod-aks\.azure\.com/[0-9a-f-]{36}/[0-9a-f-]{36}/?$"
)
_K8S_NAME = r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?"
_AKS_SUBJECT = re.compile(rf"^system:serviceaccount:{_K8S_NAME}:{_K8S_NAME}$")

_GITHUB_ENVIRONMENT_SUBJECT = re.compile(
    r"^repo:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):environment:[A-Za-z0-9_. -]+$"
)
# The read-only preview identity's subject: pull-request workflows of one repository.
_GITHUB_PULL_REQUEST_SUBJECT = re.compile(
    r"^repo:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):pull_request$"
)

# ---------------------------------------------------------------------------------------------
# Shared with conditional_access.py
# ---------------------------------------------------------------------------------------------


def requests_databricks_scope(app: PolicyResource) -> bool:
    """True for an application that requests a delegated scope on Azure Databricks (a client)."""
    for access in elements(read(app.props, "requiredResourceAccesses")):
        if lower(read(access, "resourceAppId")) != AZURE_DATABRICKS_APP_ID:
            continue
        if any(read(ra, "type") == "Scope" for ra in elements(read(access, "resourceAccesses"))):
            return True
    return False


def client_apps(resources: list[PolicyResource]) -> list[PolicyResource]:
    """The applications of the stack that get user tokens for Azure Databricks (OAuth clients)."""
    return [app for app in of_type(resources, APPLICATION) if requests_databricks_scope(app)]


def is_azure_databricks_sp(props: Any) -> bool:
    """True for a ServicePrincipal of Microsoft's Azure Databricks app (the enterprise app)."""
    return lower(peek(props, "clientId")) == AZURE_DATABRICKS_APP_ID


def _host(uri: str) -> str:
    try:
        return (urlsplit(uri).hostname or "").lower()
    except ValueError:
        return ""


def _redirect_uris(props: Any) -> list[tuple[str, str]]:
    """(platform section, uri) for every redirect URI of an application."""
    return [(section, uri) for section in REDIRECT_SECTIONS
            for uri in elements(read(props, section, "redirectUris")) if isinstance(uri, str)]


# ---------------------------------------------------------------------------------------------
# Application checks
# ---------------------------------------------------------------------------------------------


def check_single_tenant(args: ResourceValidationArgs, report: Report) -> None:
    """Applications accept sign-ins from this tenant only."""
    audience = read(args.props, "signInAudience")
    if audience is not None and audience != "AzureADMyOrg":
        report(
            f"signInAudience is '{audience}'; set signInAudience='AzureADMyOrg' so only accounts "
            "of this tenant can sign in."
        )


def check_no_implicit_grant(args: ResourceValidationArgs, report: Report) -> None:
    """The OAuth implicit grant flow is disabled."""
    for flag in ("accessTokenIssuanceEnabled", "idTokenIssuanceEnabled"):
        if read(args.props, "web", "implicitGrant", flag) is True:
            report(
                f"web.implicitGrant.{flag} is true; set it to false and use the authorization "
                "code flow with PKCE."
            )


def check_redirect_uris(args: ResourceValidationArgs, report: Report) -> None:
    """Redirect URIs use HTTPS (http only on loopback for public clients and SPAs) and no
    wildcards."""
    for section, uri in _redirect_uris(args.props):
        if "*" in uri:
            report(
                f"{section}.redirectUris contains wildcard URI '{uri}'; register each exact "
                "redirect URI."
            )
        elif uri.lower().startswith("https://"):
            continue
        elif (uri.lower().startswith("http://") and section != "web"
              and _host(uri) in LOOPBACK_HOSTS):
            continue
        else:
            report(f"{section}.redirectUris contains non-HTTPS URI '{uri}'; use https:// URIs "
                   "(or http://localhost / http://127.0.0.1 for a native client).")


def check_no_workspace_host_redirect(args: ResourceValidationArgs, report: Report) -> None:
    """No redirect URI points at an Azure Databricks host."""
    for section, uri in _redirect_uris(args.props):
        host = _host(uri)
        if host == DATABRICKS_DOMAIN or host.endswith("." + DATABRICKS_DOMAIN):
            report(
                f"{section}.redirectUris contains '{uri}' on an Azure Databricks host; people "
                "sign in to workspaces through Microsoft's Azure Databricks app, so an app of "
                "ours never receives codes there. Use the redirect URI of your own tool."
            )


def check_client_public_pkce(args: ResourceValidationArgs, report: Report) -> None:
    """An app that gets user tokens for Azure Databricks is a public client or SPA (auth code +
    PKCE) with no secret."""
    if not requests_databricks_scope(args):  # type: ignore[arg-type]
        return
    if elements(read(args.props, "web", "redirectUris")):
        report("web.redirectUris is set: a web (confidential) platform needs a client secret; "
               "register the tool's redirect URIs under publicClient or singlePageApplication "
               "(authorization code + PKCE).")
    if not (elements(read(args.props, "publicClient", "redirectUris"))
            or elements(read(args.props, "singlePageApplication", "redirectUris"))):
        report("no publicClient or singlePageApplication redirect URI: the tool cannot run the "
               "authorization code flow with PKCE; add its redirect URI there.")
    if is_set(peek(args.props, "password")):
        report("password is set: a public client or SPA has no secret; remove it.")
    if read(args.props, "fallbackPublicClientEnabled") is True:
        report("fallbackPublicClientEnabled is true (ROPC and device-code flows without a "
               "redirect URI); set it to false and use authorization code + PKCE.")


def check_app_owners(args: ResourceValidationArgs, report: Report) -> None:
    """Applications have at least the configured number of owners."""
    minimum = config_int(args.get_config(), "minOwners", 1)
    owners = peek(args.props, "owners")
    if owners is UNKNOWN:
        return
    count = len(raw_elements(owners))
    if count < minimum:
        report(
            f"owners has {count} entr{'y' if count == 1 else 'ies'}; set owners to at least "
            f"{minimum} accountable object id(s) (e.g. the deployer service principal and a human "
            "owner)."
        )


def _graph_roles(props: Any) -> list[str]:
    """Ids of the Microsoft Graph application permissions (type Role) an application requests."""
    roles: list[str] = []
    for access in elements(read(props, "requiredResourceAccesses")):
        if lower(read(access, "resourceAppId")) != MS_GRAPH_APP_ID:
            continue
        for entry in elements(read(access, "resourceAccesses")):
            if read(entry, "type") == "Role":
                roles.append(str(read(entry, "id")))
    return roles


def check_graph_roles(args: ResourceValidationArgs, report: Report) -> None:
    """No Microsoft Graph application permissions beyond the allow-list."""
    allowed = {a.lower() for a in config_strings(args.get_config(), "allowedGraphAppRoles", [])}
    for role in _graph_roles(args.props):
        if role.lower() in allowed:
            continue
        name = DANGEROUS_GRAPH_ROLES.get(role.lower())
        shown = f"{name} ({role})" if name else role
        danger = " which allows privilege escalation to tenant admin" if name else ""
        report(
            f"requests Microsoft Graph application permission {shown}{danger}; remove it (use a "
            "delegated scope) or add its id to allowedGraphAppRoles with a justification."
        )


def check_group_claims(args: ResourceValidationArgs, report: Report) -> None:
    """Tokens carry only the groups assigned to the application."""
    claims = [c for c in elements(read(args.props, "groupMembershipClaims")) if isinstance(c, str)]
    if "All" in claims:
        report(
            "groupMembershipClaims includes 'All' (security groups, distribution lists and "
            "directory roles); use ['ApplicationGroup'] to emit only groups assigned to the app."
        )


# ---------------------------------------------------------------------------------------------
# Password credential checks
# ---------------------------------------------------------------------------------------------


def check_password_lifetime(args: ResourceValidationArgs, report: Report) -> None:
    """Application passwords expire within the configured maximum lifetime."""
    maximum = config_int(args.get_config(), "maxLifetimeDays", DEFAULT_MAX_PASSWORD_DAYS)
    suggestion = f"'{maximum * 24}h'"
    relative = read(args.props, "endDateRelative")
    if relative is not None:
        seconds = parse_go_duration_seconds(str(relative))
        if seconds is None:
            report(f"endDateRelative '{relative}' is not a duration like {suggestion}.")
        elif seconds / DAY_SECONDS > maximum:
            report(
                f"endDateRelative '{relative}' is {seconds / DAY_SECONDS:g} days; set it to at "
                f"most {maximum} days (e.g. {suggestion})."
            )
        return
    end = read(args.props, "endDate")
    if end is None:
        report(
            "neither endDate nor endDateRelative is set, so the password defaults to a 2-year "
            f"lifetime; set endDateRelative to at most {maximum} days (e.g. {suggestion})."
        )
        return
    parsed = parse_rfc3339(str(end))
    if parsed is None:
        report(f"endDate '{end}' is not an RFC 3339 timestamp.")
        return
    days = (parsed - now_utc()).total_seconds() / DAY_SECONDS
    if days > maximum:
        report(
            f"endDate '{end}' is {int(days)} days from now; set it at most {maximum} days ahead "
            f"(or use endDateRelative={suggestion})."
        )


def check_password_no_delete_before_replace(
    args: ResourceValidationArgs, report: Report
) -> None:
    """Password replacement creates the new credential before deleting the old one."""
    if args.opts.delete_before_replace:
        report(
            "deleteBeforeReplace is set; remove it so a replacement password is created before "
            "the old one is deleted and a valid credential always exists."
        )


def _password_window(
    password: PolicyResource, now: datetime
) -> Optional[tuple[datetime, datetime]]:
    """(start, end) of a password credential when both are known, else None."""
    start_raw = peek(password.props, "startDate")
    if start_raw is UNKNOWN:
        return None
    start = parse_rfc3339(start_raw) if isinstance(start_raw, str) else now
    end_raw = peek(password.props, "endDate")
    end = parse_rfc3339(end_raw) if isinstance(end_raw, str) else None
    if end is None:
        relative = peek(password.props, "endDateRelative")
        seconds = parse_go_duration_seconds(relative) if isinstance(relative, str) else None
        end = now + timedelta(seconds=seconds) if seconds is not None else None
    if start is None or end is None:
        return None
    return start, end


def _application_key(password: PolicyResource) -> tuple[str, str]:
    """(grouping key, display label) of the application a password belongs to."""
    value = peek(password.props, "applicationId")
    if isinstance(value, str):
        return value.lower(), f"'{value}'"
    apps = [d for d in dependencies(password, "applicationId") if d.resource_type == APPLICATION]
    if apps:
        return apps[0].urn, label(apps[0])
    read(password.props, "applicationId")  # unknown and untraceable: let the SDK report it
    return password.urn, label(password)


def _end_date(password: PolicyResource, now: datetime) -> Optional[datetime]:
    """When a password expires (endDate, or endDateRelative from now); None when unknown."""
    window = _password_window(password, now)
    return window[1] if window is not None else None


def check_password_overlap(args: StackValidationArgs, report: Report) -> None:
    """Every application with a password has two live slots whose expiries are staggered.

    When the older slot expires, the newer one must still be valid for at least
    ``minOverlapDays``: consumers always have time to move to the newest secret. Slots are
    compared by end date; Entra rejects start dates in the past, so start dates are not used.
    """
    overlap_days = config_int(args.get_config(), "minOverlapDays", DEFAULT_OVERLAP_DAYS)
    groups: dict[str, tuple[str, list[PolicyResource]]] = {}
    for password in of_type(args.resources, APPLICATION_PASSWORD):
        key, shown = _application_key(password)
        groups.setdefault(key, (shown, []))[1].append(password)
    now = now_utc()
    for shown, passwords in groups.values():
        if len(passwords) < 2:
            report(
                f"application {shown} has 1 password credential ({label(passwords[0])}); declare "
                "two ApplicationPassword slots with staggered end dates so one can be rotated "
                "while the other stays valid.",
                passwords[0].urn,
            )
            continue
        ends = [_end_date(p, now) for p in passwords]
        if any(end is None for end in ends):
            continue
        live = sorted(end for end in ends if end is not None and end > now)
        if len(live) < 2:
            report(
                f"application {shown} has {len(live)} unexpired password slot(s); two must be "
                "valid at every moment so a rotation never cuts off the consumer.",
                passwords[0].urn,
            )
            continue
        stagger = (live[-1] - live[-2]).total_seconds() / DAY_SECONDS
        if stagger < overlap_days:
            report(
                f"the two newest password slots of application {shown} expire only "
                f"{max(int(stagger), 0)} days apart; stagger their end dates by at least "
                f"{overlap_days} days so the newer one outlives the older one by that much.",
                passwords[0].urn,
            )


# ---------------------------------------------------------------------------------------------
# Federated credentials, service principals, groups
# ---------------------------------------------------------------------------------------------


def _subject_problem(subject: str, repositories: list[str]) -> Optional[str]:
    """Why a GitHub OIDC subject is not pinned to one repository environment (None if it is)."""
    if "*" in subject:
        return f"subject '{subject}' contains a wildcard"
    if "pull_request" in subject:
        return f"subject '{subject}' trusts pull_request workflows"
    if ":ref:" in subject:
        return f"subject '{subject}' trusts a branch or tag ref instead of an environment"
    match = _GITHUB_ENVIRONMENT_SUBJECT.match(subject)
    if match is None:
        return f"subject '{subject}' is not pinned to a repository environment"
    wanted = {r.lower() for r in repositories}
    if wanted and match["repo"].lower() not in wanted:
        return f"subject '{subject}' names a repository outside allowedRepositories"
    return None


def check_federated_credential(args: ResourceValidationArgs, report: Report) -> None:
    """Federated credentials trust one GitHub repository environment or one AKS service
    account, for token exchange only."""
    config = args.get_config()
    issuers = config_strings(config, "allowedIssuers", [GITHUB_ISSUER])
    allow_aks = config.get("allowAksWorkloadIdentity", True) is not False
    issuer = read(args.props, "issuer")
    is_aks = allow_aks and isinstance(issuer, str) and _AKS_ISSUER.match(issuer) is not None
    if issuer not in issuers and not is_aks:
        report(f"issuer '{issuer}' is not one of the allowed issuers {issuers}"
               + (" nor an AKS OIDC issuer." if allow_aks else "."))
    if is_aks:
        subject = str(read(args.props, "subject"))
        if not _AKS_SUBJECT.match(subject):
            report(f"subject '{subject}' is not one Kubernetes service account; use "
                   "'system:serviceaccount:<namespace>:<service-account>' without wildcards.")
    if issuer == GITHUB_ISSUER:
        subject = str(read(args.props, "subject"))
        repositories = config_strings(config, "allowedRepositories", [])
        preview = _GITHUB_PULL_REQUEST_SUBJECT.match(subject)
        if preview and read(args.props, "displayName") in config_strings(
                config, "previewCredentials", []):
            # The read-only preview identity, named in the pack config on purpose.
            problem = (None if not repositories or preview["repo"].lower() in
                       {r.lower() for r in repositories}
                       else f"subject '{subject}' names a repository outside allowedRepositories")
        else:
            problem = _subject_problem(subject, repositories)
        if problem:
            report(
                f"{problem}; use 'repo:<org>/<repo>:environment:<environment>' with a protected "
                "GitHub environment."
            )
    audiences = read_all(args.props, "audiences") or []
    if audiences != [TOKEN_EXCHANGE_AUDIENCE]:
        report(f"audiences is {audiences}; set audiences=['{TOKEN_EXCHANGE_AUDIENCE}'].")


def _principals_of(app: PolicyResource, principals: list[PolicyResource]) -> list[PolicyResource]:
    """The service principals created for ``app`` (by clientId dependency or equal value)."""
    matched = [sp for sp in principals if depends_on(sp, "clientId", app)]
    if matched:
        return matched
    app_client = peek(app.props, "clientId")
    undecided = []
    for sp in principals:
        sp_client = peek(sp.props, "clientId")
        if app_client is UNKNOWN or sp_client is UNKNOWN:
            undecided.append(sp)
        elif isinstance(sp_client, str) and lower(sp_client) == lower(app_client):
            matched.append(sp)
    if not matched and undecided:
        read(app.props, "clientId")
        for sp in undecided:
            read(sp.props, "clientId")
    return matched


def check_assignment_required(args: StackValidationArgs, report: Report) -> None:
    """Service principals of the Azure Databricks client apps require app role assignment."""
    principals = of_type(args.resources, SERVICE_PRINCIPAL)
    for app in client_apps(args.resources):
        matched = _principals_of(app, principals)
        if not matched:
            report(
                f"client application {label(app)} has no azuread ServicePrincipal in this stack; "
                "create one with appRoleAssignmentRequired=True and assign the Databricks groups.",
                app.urn,
            )
        for sp in matched:
            required = read(sp.props, "appRoleAssignmentRequired")
            if required is not True:
                state = "not set (defaults to False)" if required is None else f"{required}"
                report(
                    f"service principal {label(sp)} of client application {label(app)} has "
                    f"appRoleAssignmentRequired {state}; set it to True so only assigned users "
                    "and groups can use it.",
                    sp.urn,
                )


def check_azure_databricks_app_retained(args: ResourceValidationArgs, report: Report) -> None:
    """The Azure Databricks enterprise app is adopted, never created or deleted by a stack.

    The analyzer protocol carries ``protect`` but not ``retainOnDelete``: this rule sees
    adoption (``useExisting``) and, with ``requireProtect``, protection; the program's tests
    assert ``retain_on_delete`` (tests/components/test_azure_databricks_app.py).
    """
    if not is_azure_databricks_sp(args.props):
        return
    if read(args.props, "useExisting") is not True:
        report("the Azure Databricks service principal is declared without useExisting=True; "
               "adopt the tenant's existing enterprise app (use_existing=True, "
               "retain_on_delete=True) instead of creating one this stack would delete.")
    require_protect = args.get_config().get("requireProtect", True) is not False
    if require_protect and not args.opts.protect:
        report("the adopted Azure Databricks service principal is not protected; set "
               "protect=True (and retain_on_delete=True) so no destroy or rename can remove the "
               "tenant's Azure Databricks enterprise app.")


def _assignments_to(sp: PolicyResource, assignments: list[PolicyResource]) -> list[PolicyResource]:
    found = []
    sp_id = peek(sp.props, "objectId")
    for assignment in assignments:
        target = peek(assignment.props, "resourceObjectId")
        if depends_on(assignment, "resourceObjectId", sp) or (
                isinstance(target, str) and isinstance(sp_id, str)
                and lower(target) == lower(sp_id)):
            found.append(assignment)
    return found


def check_azure_databricks_assignment(args: StackValidationArgs, report: Report) -> None:
    """With ``requireAssignment``, the Azure Databricks enterprise app admits assigned principals
    only; a stack never turns an admin's restriction off."""
    required = args.get_config().get("requireAssignment", False) is True
    principals = [sp for sp in of_type(args.resources, SERVICE_PRINCIPAL)
                  if is_azure_databricks_sp(sp.props)]
    for sp in principals:
        if read(sp.props, "appRoleAssignmentRequired") is not True:
            report(f"the Azure Databricks service principal {label(sp)} is adopted with "
                   "appRoleAssignmentRequired not true: adopting it would let every user of the "
                   "tenant get an Azure Databricks token (and undo an admin's restriction); set "
                   "it to True.", sp.urn)
    if not required:
        return
    if not principals:
        report("requireAssignment is configured but the stack does not adopt the Azure "
               f"Databricks enterprise app ({AZURE_DATABRICKS_APP_ID}); set "
               "azureDatabricksApp.requireAssignment: true in the stack config.")
        return
    assignments = of_type(args.resources, APP_ROLE_ASSIGNMENT)
    for sp in principals:
        if not _assignments_to(sp, assignments):
            report(f"the Azure Databricks service principal {label(sp)} requires assignment but "
                   "nobody is assigned: every sign-in would be refused; assign the mapped groups, "
                   "the automation identities and the break-glass groups.", sp.urn)


def check_security_group(args: ResourceValidationArgs, report: Report) -> None:
    """Groups are owned, security-enabled and not mail-enabled."""
    if read(args.props, "securityEnabled") is not True:
        report("securityEnabled is not true; set securityEnabled=True for access-control groups.")
    if read(args.props, "mailEnabled") is True:
        report("mailEnabled is true; set mailEnabled=False (do not mix access control and mail).")
    if not is_set(peek(args.props, "owners")):
        report("owners is empty; set owners so someone is accountable for the group's membership.")


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------

POLICIES = [
    resource_rule(
        name="entra-app-single-tenant",
        description="Entra applications are single-tenant (AzureADMyOrg).",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_single_tenant,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.5.15", "A.8.5")),
        remediation="Set signInAudience='AzureADMyOrg' on the azuread Application.",
    ),
    resource_rule(
        name="entra-app-no-implicit-grant",
        description="Entra applications do not issue tokens through the implicit grant flow.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_no_implicit_grant,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5",)),
        remediation=(
            "Set web.implicitGrant.accessTokenIssuanceEnabled and idTokenIssuanceEnabled to False; "
            "use the authorization code flow with PKCE."
        ),
    ),
    resource_rule(
        name="entra-app-redirect-uris-https",
        description="Entra application redirect URIs use HTTPS and no wildcards.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_redirect_uris,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.1", "CC6.7"), iso27001=("A.8.5", "A.8.24")),
        remediation="List every exact https:// redirect URI under web/singlePageApplication.",
    ),
    resource_rule(
        name="entra-app-owners",
        description="Entra applications have accountable owners.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_app_owners,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC1.3", "CC6.2"), iso27001=("A.5.9", "A.5.15")),
        remediation="Set owners to the deployer service principal and a human owner's object id.",
        config={"minOwners": integer_property(1, "Minimum number of owners.", minimum=1)},
    ),
    resource_rule(
        name="entra-app-no-privileged-graph-roles",
        description="Entra applications request no Microsoft Graph application permissions.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_graph_roles,
        severity=Severity.CRITICAL,
        controls=Controls(soc2=("CC6.3",), iso27001=("A.8.2", "A.5.15")),
        remediation=(
            "Remove requiredResourceAccesses entries of type 'Role' on Microsoft Graph "
            "(00000003-0000-0000-c000-000000000000) or allow-list the id with a justification."
        ),
        config={
            "allowedGraphAppRoles": string_list_property(
                [], "Microsoft Graph app role ids that applications may request."
            ),
        },
    ),
    resource_rule(
        name="entra-app-group-claims-assigned-only",
        description="Entra application tokens carry only groups assigned to the application.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_group_claims,
        severity=Severity.LOW,
        controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.8.3")),
        remediation="Set groupMembershipClaims=['ApplicationGroup'] and assign groups to the app.",
    ),
    resource_rule(
        name="entra-app-password-lifetime",
        description="Entra application passwords expire within the maximum lifetime.",
        domain=DOMAIN,
        types=[APPLICATION_PASSWORD],
        check=check_password_lifetime,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.5.17",)),
        remediation="Set endDateRelative (e.g. '4320h') or an endDate no further than the maximum.",
        config={
            "maxLifetimeDays": integer_property(
                DEFAULT_MAX_PASSWORD_DAYS, "Maximum password lifetime in days.", minimum=1
            ),
        },
    ),
    resource_rule(
        name="entra-app-password-create-before-delete",
        description="Entra application passwords are never deleted before their replacement.",
        domain=DOMAIN,
        types=[APPLICATION_PASSWORD],
        check=check_password_no_delete_before_replace,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("A1.2", "CC8.1"), iso27001=("A.5.17", "A.8.32")),
        remediation="Remove delete_before_replace=True from the ApplicationPassword options.",
    ),
    stack_rule(
        name="entra-app-password-overlapping-slots",
        description="Applications with passwords keep two overlapping password slots.",
        domain=DOMAIN,
        check=check_password_overlap,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("A1.2", "CC6.1"), iso27001=("A.5.17",)),
        remediation=(
            "Declare two ApplicationPassword resources per application with staggered "
            "rotation so both are valid together for at least the overlap period."
        ),
        config={
            "minOverlapDays": integer_property(
                DEFAULT_OVERLAP_DAYS, "Days two password slots must be valid together.", minimum=1
            ),
        },
    ),
    resource_rule(
        name="entra-federated-credential-pinned",
        description=("Federated credentials trust one GitHub repository environment or one AKS "
                     "service account only."),
        domain=DOMAIN,
        types=[APP_FEDERATED_CREDENTIAL, MI_FEDERATED_CREDENTIAL],
        check=check_federated_credential,
        severity=Severity.CRITICAL,
        controls=Controls(soc2=("CC6.1", "CC8.1"), iso27001=("A.5.17", "A.8.5")),
        remediation=(
            "Use issuer 'https://token.actions.githubusercontent.com', subject "
            "'repo:<org>/<repo>:environment:<env>' (or an AKS OIDC issuer with subject "
            "'system:serviceaccount:<namespace>:<name>') and audiences "
            "['api://AzureADTokenExchange']."
        ),
        config={
            "allowedIssuers": string_list_property([GITHUB_ISSUER], "Trusted OIDC issuers."),
            "allowAksWorkloadIdentity": {
                "type": "boolean", "default": True,
                "description": "Also trust AKS OIDC issuers, with one service account as subject.",
            },
            "allowedRepositories": string_list_property(
                [], "'org/repo' names allowed in GitHub subjects (empty: any repository)."
            ),
            "previewCredentials": string_list_property(
                [], "Display names of the read-only preview identity's credentials, which may "
                "trust 'repo:<org>/<repo>:pull_request' (settings require that identity to be "
                "read-only)."
            ),
        },
    ),
    stack_rule(
        name="entra-client-app-assignment-required",
        description="Azure Databricks client applications only admit assigned users and groups.",
        domain=DOMAIN,
        check=check_assignment_required,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18"),
                          cis=("v5.0.0-2.1.4",)),
        remediation=(
            "Create the application's azuread ServicePrincipal with clientId=app.client_id and "
            "appRoleAssignmentRequired=True, then assign the Databricks groups to it."
        ),
    ),
    resource_rule(
        name="entra-client-app-public-pkce",
        description=("Azure Databricks client applications are public clients or SPAs "
                     "(authorization code + PKCE) without a secret."),
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_client_public_pkce,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5", "A.5.17")),
        remediation=(
            "Register the tool's redirect URIs under publicClient or singlePageApplication, "
            "leave web.redirectUris empty, set no password and fallbackPublicClientEnabled=False."
        ),
    ),
    resource_rule(
        name="entra-app-no-workspace-host-redirect",
        description="No application redirect URI points at an Azure Databricks host.",
        domain=DOMAIN,
        types=[APPLICATION],
        check=check_no_workspace_host_redirect,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5",)),
        remediation=(
            "Remove *.azuredatabricks.net redirect URIs; workspaces sign users in through "
            "Microsoft's Azure Databricks app (2ff814a6-3304-4ab8-85cb-cd0e6f879c1d)."
        ),
    ),
    resource_rule(
        name="entra-azure-databricks-app-retained",
        description=("The Azure Databricks enterprise app is adopted (useExisting) and "
                     "protected, never created or deleted by a stack."),
        domain=DOMAIN,
        types=[SERVICE_PRINCIPAL],
        check=check_azure_databricks_app_retained,
        severity=Severity.CRITICAL,
        controls=Controls(soc2=("A1.2", "CC8.1"), iso27001=("A.8.32", "A.5.15")),
        remediation=(
            "Declare azuread.ServicePrincipal(client_id='2ff814a6-3304-4ab8-85cb-cd0e6f879c1d', "
            "use_existing=True) with ResourceOptions(retain_on_delete=True, protect=True)."
        ),
        config={
            "requireProtect": {
                "type": "boolean", "default": True,
                "description": "Also require protect=True (prod); retainOnDelete is not visible "
                               "to the analyzer and is asserted by the program's tests.",
            },
        },
    ),
    stack_rule(
        name="entra-azure-databricks-assignment-required",
        description=("The Azure Databricks enterprise app requires assignment and has "
                     "assignments (when configured); a stack never turns it off."),
        domain=DOMAIN,
        check=check_azure_databricks_assignment,
        severity=Severity.HIGH,
        controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18")),
        remediation=(
            "Set azureDatabricksApp.requireAssignment: true: the program adopts the enterprise "
            "app with appRoleAssignmentRequired=True and assigns the mapped groups, automation "
            "identities and break-glass groups."
        ),
        config={
            "requireAssignment": {
                "type": "boolean", "default": False,
                "description": "The stack must adopt the Azure Databricks enterprise app with "
                               "assignment required and at least one assignment.",
            },
        },
    ),
    resource_rule(
        name="entra-group-security-settings",
        description="Entra groups are owned, security-enabled and not mail-enabled.",
        domain=DOMAIN,
        types=[GROUP],
        check=check_security_group,
        severity=Severity.MEDIUM,
        controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.16")),
        remediation="Set securityEnabled=True, mailEnabled=False and owners on the azuread Group.",
    ),
]
