"""Signing in to Azure Databricks: our client applications (assignment, PKCE, redirect
hosts) and Microsoft's Azure Databricks enterprise app (adopted, assignment required).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    AZURE_DATABRICKS_APP_ID,
    UNKNOWN,
    Report,
    depends_on,
    elements,
    is_set,
    label,
    lower,
    of_type,
    peek,
    read,
)
from ._policy import Controls, Family
from ._types import APP_ROLE_ASSIGNMENT, APPLICATION, SERVICE_PRINCIPAL
from .entra_apps import redirect_uris, uri_host

policy = Family("entra")


# Azure Databricks hosts (workspaces adb-*.azuredatabricks.net, the account console): people
# sign in there through Microsoft's Azure Databricks app; no app of ours redirects there.
DATABRICKS_DOMAIN = "azuredatabricks.net"


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


@policy.stack(
    name="entra-client-app-assignment-required",
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.18"),
                      cis=("v5.0.0-2.1.4",)),
    remediation=(
        "Create the application's azuread ServicePrincipal with clientId=app.client_id and "
        "appRoleAssignmentRequired=True, then assign the Databricks groups to it."
    ),
)
def check_assignment_required(args: StackValidationArgs, report: Report) -> None:
    """Azure Databricks client applications only admit assigned users and groups.

    Each client application (one that requests a delegated scope on Azure Databricks) has its
    azuread ServicePrincipal in the stack, with ``appRoleAssignmentRequired`` true.
    """
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


@policy.resource(
    name="entra-client-app-public-pkce",
    types=[APPLICATION],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5", "A.5.17")),
    remediation=(
        "Register the tool's redirect URIs under publicClient or singlePageApplication, "
        "leave web.redirectUris empty, set no password and fallbackPublicClientEnabled=False."
    ),
)
def check_client_public_pkce(args: ResourceValidationArgs, report: Report) -> None:
    """Azure Databricks client applications are public clients or SPAs (authorization code + PKCE)
    without a secret."""
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


@policy.resource(
    name="entra-app-no-workspace-host-redirect",
    types=[APPLICATION],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5",)),
    remediation=(
        "Remove *.azuredatabricks.net redirect URIs; workspaces sign users in through "
        "Microsoft's Azure Databricks app (2ff814a6-3304-4ab8-85cb-cd0e6f879c1d)."
    ),
)
def check_no_workspace_host_redirect(args: ResourceValidationArgs, report: Report) -> None:
    """No application redirect URI points at an Azure Databricks host."""
    for section, uri in redirect_uris(args.props):
        host = uri_host(uri)
        if host == DATABRICKS_DOMAIN or host.endswith("." + DATABRICKS_DOMAIN):
            report(
                f"{section}.redirectUris contains '{uri}' on an Azure Databricks host; people "
                "sign in to workspaces through Microsoft's Azure Databricks app, so an app of "
                "ours never receives codes there. Use the redirect URI of your own tool."
            )


@policy.resource(
    name="entra-azure-databricks-app-retained",
    types=[SERVICE_PRINCIPAL],
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
)
def check_azure_databricks_app_retained(args: ResourceValidationArgs, report: Report) -> None:
    """The Azure Databricks enterprise app is adopted (useExisting) and protected, never created or
    deleted by a stack.

    The analyzer protocol carries ``protect`` but not ``retainOnDelete``: this rule sees
    adoption (``useExisting``) and, with ``requireProtect``, protection; the program's tests
    assert ``retain_on_delete`` (tests/components/test_sign_in.py).
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


@policy.stack(
    name="entra-azure-databricks-assignment-required",
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
)
def check_azure_databricks_assignment(args: StackValidationArgs, report: Report) -> None:
    """The Azure Databricks enterprise app requires assignment and has assignments (when
    configured); a stack never turns it off."""
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
