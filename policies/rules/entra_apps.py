"""Entra ID (azuread) applications: audience, grant flows, redirect URIs, owners, Microsoft
Graph permissions and group claims.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import ResourceValidationArgs, Severity

from ._common import (
    MS_GRAPH_APP_ID,
    UNKNOWN,
    Report,
    config_int,
    config_strings,
    elements,
    lower,
    peek,
    raw_elements,
    read,
)
from ._policy import Controls, Family, integer_property, string_list_property
from ._types import APPLICATION

policy = Family("entra")


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


def uri_host(uri: str) -> str:
    try:
        return (urlsplit(uri).hostname or "").lower()
    except ValueError:
        return ""


def redirect_uris(props: Any) -> list[tuple[str, str]]:
    """(platform section, uri) for every redirect URI of an application."""
    return [(section, uri) for section in REDIRECT_SECTIONS
            for uri in elements(read(props, section, "redirectUris")) if isinstance(uri, str)]


@policy.resource(
    name="entra-app-single-tenant",
    types=[APPLICATION],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.5.15", "A.8.5")),
    remediation="Set signInAudience='AzureADMyOrg' on the azuread Application.",
)
def check_single_tenant(args: ResourceValidationArgs, report: Report) -> None:
    """Entra applications are single-tenant (AzureADMyOrg)."""
    audience = read(args.props, "signInAudience")
    if audience is not None and audience != "AzureADMyOrg":
        report(
            f"signInAudience is '{audience}'; set signInAudience='AzureADMyOrg' so only accounts "
            "of this tenant can sign in."
        )


@policy.resource(
    name="entra-app-no-implicit-grant",
    types=[APPLICATION],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5",)),
    remediation=(
        "Set web.implicitGrant.accessTokenIssuanceEnabled and idTokenIssuanceEnabled to False; "
        "use the authorization code flow with PKCE."
    ),
)
def check_no_implicit_grant(args: ResourceValidationArgs, report: Report) -> None:
    """Entra applications do not issue tokens through the implicit grant flow."""
    for flag in ("accessTokenIssuanceEnabled", "idTokenIssuanceEnabled"):
        if read(args.props, "web", "implicitGrant", flag) is True:
            report(
                f"web.implicitGrant.{flag} is true; set it to false and use the authorization "
                "code flow with PKCE."
            )


@policy.resource(
    name="entra-app-redirect-uris-https",
    types=[APPLICATION],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.1", "CC6.7"), iso27001=("A.8.5", "A.8.24")),
    remediation=(
        "List every exact https:// redirect URI (http://localhost or http://127.0.0.1 only "
        "under publicClient or singlePageApplication); no wildcards."
    ),
)
def check_redirect_uris(args: ResourceValidationArgs, report: Report) -> None:
    """Entra application redirect URIs use HTTPS and no wildcards.

    http:// is accepted only on loopback (localhost, 127.0.0.1) for public clients and SPAs
    (RFC 8252 for native clients; Entra's localhost rule), never for the web platform.
    """
    for section, uri in redirect_uris(args.props):
        if "*" in uri:
            report(
                f"{section}.redirectUris contains wildcard URI '{uri}'; register each exact "
                "redirect URI."
            )
        elif uri.lower().startswith("https://"):
            continue
        elif (uri.lower().startswith("http://") and section != "web"
              and uri_host(uri) in LOOPBACK_HOSTS):
            continue
        else:
            report(f"{section}.redirectUris contains non-HTTPS URI '{uri}'; use https:// URIs "
                   "(or http://localhost / http://127.0.0.1 for a native client).")


@policy.resource(
    name="entra-app-owners",
    types=[APPLICATION],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC1.3", "CC6.2"), iso27001=("A.5.9", "A.5.15")),
    remediation="Set owners to the deployer service principal and a human owner's object id.",
    config={"minOwners": integer_property(1, "Minimum number of owners.", minimum=1)},
)
def check_app_owners(args: ResourceValidationArgs, report: Report) -> None:
    """Entra applications have accountable owners.

    At least ``minOwners`` (default 1) object ids in ``owners``.
    """
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


@policy.resource(
    name="entra-app-no-privileged-graph-roles",
    types=[APPLICATION],
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
)
def check_graph_roles(args: ResourceValidationArgs, report: Report) -> None:
    """Entra applications request no Microsoft Graph application permissions.

    Every application permission (type Role) on Microsoft Graph is flagged unless its id is in
    ``allowedGraphAppRoles``; the ones that allow tenant takeover are named.
    """
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


@policy.resource(
    name="entra-app-group-claims-assigned-only",
    types=[APPLICATION],
    severity=Severity.LOW,
    controls=Controls(soc2=("CC6.3",), iso27001=("A.5.15", "A.8.3")),
    remediation="Set groupMembershipClaims=['ApplicationGroup'] and assign groups to the app.",
)
def check_group_claims(args: ResourceValidationArgs, report: Report) -> None:
    """Entra application tokens carry only groups assigned to the application."""
    claims = [c for c in elements(read(args.props, "groupMembershipClaims")) if isinstance(c, str)]
    if "All" in claims:
        report(
            "groupMembershipClaims includes 'All' (security groups, distribution lists and "
            "directory roles); use ['ApplicationGroup'] to emit only groups assigned to the app."
        )
