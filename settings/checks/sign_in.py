"""Checks of how people sign in: conditional access, the Azure Databricks enterprise app's
assignments and the client app's redirect URIs."""

from __future__ import annotations

from collections.abc import Iterator

from settings.checks.registry import check, key, problem, too_long
from settings.errors import Problem
from settings.limits import (
    APP_DISPLAY_NAME_MAX,
    MAX_REDIRECT_URIS,
    NAMED_LOCATION_DISPLAY_NAME_MAX,
    redirect_uri_problems,
)
from settings.model import SLUG, Settings
from settings.sign_in import azure_databricks_assignees


@check
def check_prod_ca_enforced(s: Settings) -> Iterator[Problem]:
    """Prod conditional access is enforced, not report-only."""
    ca = s.conditional_access
    if s.is_prod and ca.state != "enabled":
        yield problem(key("conditionalAccess", "state"), "prod conditional access must be "
                      "enforced", "set `state: enabled` (use enabledForReportingButNotEnforced "
                      "only in dev)", ca.state)


@check
def check_break_glass(s: Settings) -> Iterator[Problem]:
    """Conditional access that is on excludes a break-glass group."""
    ca = s.conditional_access
    if ca.state != "disabled" and not ca.break_glass_group_object_ids:
        yield problem(key("conditionalAccess", "breakGlassGroupObjectIds"),
                      f"conditional access is '{ca.state}' but no break-glass group is excluded: "
                      "a misconfigured policy could lock every administrator out of the tenant",
                      "add the object id of your emergency-access group to "
                      "breakGlassGroupObjectIds")


@check
def check_client_app_redirect_uris(s: Settings) -> Iterator[Problem]:
    """The client app's redirect URIs are few enough, distinct, and of a kind Entra accepts.

    A public client (desktop or CLI tool) receives its code on the user's own loopback address
    (RFC 8252), in prod too. A single-page app on localhost only exists on a developer's machine.
    """
    app = s.client_app
    if app is None:
        return
    public_client = app.platform == "publicClient"
    prod = s.is_prod and not public_client
    seen: set[str] = set()
    if len(app.redirect_uris) > MAX_REDIRECT_URIS:
        yield problem(key("clientApp", "redirectUris"), f"lists {len(app.redirect_uris)} URIs; "
                      f"Entra accepts at most {MAX_REDIRECT_URIS} per application",
                      "remove unused ones")
    for i, uri in enumerate(app.redirect_uris):
        path = key("clientApp", "redirectUris", str(i))
        for message, fix in redirect_uri_problems(uri, prod=prod, public_client=public_client):
            yield problem(path, message, fix, uri)
        if uri.casefold() in seen:
            yield problem(path, "is listed twice", "list each redirect URI once", uri)
        seen.add(uri.casefold())


@check
def check_azure_databricks_assignments(s: Settings) -> Iterator[Problem]:
    """With assignment required, the operators and the break-glass groups must be assigned."""
    app = s.azure_databricks_app
    ca = s.conditional_access
    base = ("azureDatabricksApp",)
    for k in app.additional_assignments:
        if not SLUG.match(k):
            yield problem(key(*base, "additionalAssignments", k), "is not a valid map key: keys "
                          "become resource names", "use lower-case letters, digits and '-' "
                          "(e.g. 'bi-service')", k)
        elif k in s.groups or k in s.service_principals or k.startswith("break-glass-"):
            yield problem(key(*base, "additionalAssignments", k), "uses the key of a group, a "
                          "service principal or a break-glass assignment", "choose another key", k)
    if not app.require_assignment:
        if app.additional_assignments:
            yield problem(key(*base, "additionalAssignments"), "lists principals to assign, but "
                          "requireAssignment is false, so nothing would be assigned",
                          "set `requireAssignment: true`, or remove additionalAssignments")
        return
    assigned = {a.key for a in azure_databricks_assignees(s.groups, s.service_principals, ca,
                                                          app)}
    admins = s.admin_groups
    if not admins:
        yield problem(key(*base, "requireAssignment"), "would leave every administrator without "
                      "an Azure Databricks token: no group has role 'admin'",
                      "set `role: admin` on the platform administrators' group", True)
    for k in admins:
        if k not in assigned:
            yield problem(key(*base, "requireAssignment"), f"would not assign the admin group "
                          f"'{k}'", "give it a role so it is mapped and assigned", True)
    if s.deployer not in assigned:
        yield problem(key(*base, "requireAssignment"), f"would leave the deployer "
                      f"'{s.deployer}' out: it would lose its Azure Databricks token and could "
                      "not apply the next change", "set `deployer` to a key of servicePrincipals "
                      "(it is then assigned)", True)
    if not ca.break_glass_group_object_ids:
        yield problem(key(*base, "requireAssignment"), "requires assignment but no break-glass "
                      "group is configured, so the emergency-access accounts could not reach "
                      "Azure Databricks", "add your emergency-access group to "
                      "conditionalAccess.breakGlassGroupObjectIds", True)
    ids: dict[str, str] = {oid: "conditionalAccess.breakGlassGroupObjectIds"
                           for oid in ca.break_glass_group_object_ids}
    for k, extra in app.additional_assignments.items():
        if extra.object_id in ids:
            yield problem(key(*base, "additionalAssignments", k, "objectId"), f"is already "
                          f"assigned through {ids[extra.object_id]}", "remove the duplicate",
                          extra.object_id)
        ids[extra.object_id] = f"azureDatabricksApp.additionalAssignments.{k}"


@check
def check_named_locations_used(s: Settings) -> Iterator[Problem]:
    """Every declared named location is used by a policy; a location policy has a location."""
    ca = s.conditional_access
    base = ("conditionalAccess",)
    for k, loc in ca.named_locations.items():
        if ca.outside_trusted_locations == "none":
            yield problem(key(*base, "namedLocations", k), "is declared but no policy uses it "
                          "(outsideTrustedLocations is 'none')", "set `outsideTrustedLocations: "
                          "block` (or requireCompliantDevice) to use it, or remove the location")
        elif not loc.trusted:
            yield problem(key(*base, "namedLocations", k, "trusted"), "an untrusted location is "
                          "used by no policy: only trusted locations are exempted from the "
                          "outsideTrustedLocations policy", "mark it `trusted: true`, or remove "
                          "it", False)
    if ca.outside_trusted_locations != "none" and not any(
            loc.trusted for loc in ca.named_locations.values()):
        yield problem(key(*base, "outsideTrustedLocations"), "applies outside the trusted "
                      "locations, but no named location is trusted, so it would apply "
                      "everywhere", "declare a named location with `trusted: true`, or set "
                      "`outsideTrustedLocations: none`", ca.outside_trusted_locations)


@check
def check_recorded_exclusions(s: Settings) -> Iterator[Problem]:
    """Exclusions besides break-glass are keyed, have a reason and are not break-glass twice."""
    ca = s.conditional_access
    for k, exclusion in ca.recorded_exclusions.items():
        path = ("conditionalAccess", "recordedExclusions", k)
        if not SLUG.match(k):
            yield problem(key(*path), "is not a valid map key", "use lower-case letters, digits "
                          "and '-'", k)
        if exclusion.object_id in ca.break_glass_group_object_ids:
            yield problem(key(*path, "objectId"), "is a break-glass group, which every policy "
                          "excludes already", "remove this recorded exclusion",
                          exclusion.object_id)


@check
def check_client_app_name_length(s: Settings) -> Iterator[Problem]:
    """The client app's displayName fits Entra's limit for app registrations."""
    if s.client_app is not None:
        yield from too_long(("clientApp", "displayName"), s.client_app.display_name,
                            APP_DISPLAY_NAME_MAX, "an Entra app registration's displayName")


@check
def check_named_location_name_length(s: Settings) -> Iterator[Problem]:
    """A named location's displayName fits Graph's limit."""
    for k, loc in s.conditional_access.named_locations.items():
        yield from too_long(("conditionalAccess", "namedLocations", k, "displayName"),
                            loc.display_name, NAMED_LOCATION_DISPLAY_NAME_MAX,
                            "a conditional access named location's displayName")
