"""Cross-field rules over the parsed config sections.

Each rule is a pure function ``(parts, fail) -> None`` over the sections that parsed. A rule
declares the sections it needs and runs only when all of them parsed, so a typo in one
section never hides a problem in another.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from settings.errors import Problem
from settings.model import (
    ACCESS_DURATION_CEILING_DAYS,
    ACTIVATION_CEILING_HOURS,
    AZURE_NAME,
    MODEL_NAME_PATTERNS,
    PROJECT,
    REVIEW_PERIOD_DAYS,
    SLUG,
    UC_IDENT,
    UC_PRIVILEGES,
    WORKSPACE_LEVELS,
    AccessPackage,
    AzureDatabricksApp,
    ClientApp,
    ConditionalAccess,
    Environment,
    Governance,
    Group,
    Model,
    Network,
    ReplacementLock,
    Role,
    ServicePrincipal,
    Workspace,
    access_duration_ceiling,
)
from settings.sign_in import azure_databricks_assignees

Fail = Callable[..., None]
Parts = dict[str, Any]
RULES: list[tuple[tuple[str, ...], Callable[[Parts, Fail], None]]] = []

# Levels and privileges that let a principal put a model version into production.
PRODUCTION_LEVELS = ("CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE")
PRODUCTION_PRIVILEGES = ("MANAGE", "ALL_PRIVILEGES")
MIN_PROD_RETENTION_DAYS = 365
MAX_EXPLICIT_MEMBERS = 25


Rule = Callable[[Parts, Fail], None]


def rule(*sections: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((sections, fn))
        return fn

    return register


def key(*path: str) -> str:
    return f"{PROJECT}:" + ".".join(path)


def run_rules(parts: Parts) -> list[Problem]:
    problems: list[Problem] = []

    def fail(k: str, message: str, fix: str = "", **kw: Any) -> None:
        if "value" in kw:
            problems.append(Problem(k, message, fix, kw["value"], True))
        else:
            problems.append(Problem(k, message, fix))

    for sections, fn in RULES:
        if all(parts.get(s) is not None for s in sections):
            fn(parts, fail)
    return problems


def _is_prod(parts: Parts) -> bool:
    return parts.get("environment") is Environment.PROD


# --- map keys ---------------------------------------------------------------------------

@rule()
def stable_keys(parts: Parts, fail: Fail) -> None:
    """Map keys become resource names: they must be short lower-case slugs."""
    maps: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for section in ("groups", "service_principals", "models"):
        if parts.get(section):
            maps.append(((_alias(section),), parts[section]))
    ca: ConditionalAccess | None = parts.get("conditional_access")
    if ca:
        maps.append((("conditionalAccess", "namedLocations"), ca.named_locations))
    for sp_key, sp in (parts.get("service_principals") or {}).items():
        maps.append((("servicePrincipals", sp_key, "federatedCredentials"),
                     sp.federated_credentials))
    for path, mapping in maps:
        for k in mapping:
            if not SLUG.match(k):
                fail(key(*path, k), "is not a valid map key: keys become resource names",
                     "use lower-case letters, digits and '-', starting with a letter or digit, "
                     "at most 63 characters (e.g. 'ml-engineers')", value=k)


def _alias(section: str) -> str:
    head, *rest = section.split("_")
    return head + "".join(p.capitalize() for p in rest)


@rule("groups", "service_principals")
def principal_keys_unique(parts: Parts, fail: Fail) -> None:
    for k in set(parts["groups"]) & set(parts["service_principals"]):
        fail(key("servicePrincipals", k), "uses the same key as a group, so ACLs naming "
             f"'{k}' would be ambiguous", "rename the service principal or the group key")


@rule("groups")
def group_display_names_unique(parts: Parts, fail: Fail) -> None:
    _unique_names(parts["groups"], "groups", fail)


@rule("service_principals")
def sp_display_names_unique(parts: Parts, fail: Fail) -> None:
    _unique_names(parts["service_principals"], "servicePrincipals", fail)


def _unique_names(mapping: dict[str, Any], section: str, fail: Fail) -> None:
    seen: dict[str, str] = {}
    for k, item in mapping.items():
        folded = item.display_name.casefold()
        if folded in seen:
            fail(key(section, k, "displayName"),
                 f"duplicates the display name of {section}.{seen[folded]} (names are compared "
                 "case-insensitively, as Entra ID and Databricks do)",
                 "give every entry a distinct displayName", value=item.display_name)
        else:
            seen[folded] = k


@rule("groups")
def admin_group_declared(parts: Parts, fail: Fail) -> None:
    groups: dict[str, Group] = parts["groups"]
    if not any(g.role is Role.ADMIN for g in groups.values()):
        fail(key("groups"), "no group has role 'admin', so nobody would administer the workspace",
             "set `role: admin` on the platform administrators' group")


@rule("service_principals")
def deployer_declared(parts: Parts, fail: Fail) -> None:
    deployer = parts.get("deployer")
    sps: dict[str, ServicePrincipal] = parts["service_principals"]
    if deployer is None:
        return
    if deployer not in sps:
        fail(key("deployer"), "does not name a declared service principal",
             "set it to one of the keys of servicePrincipals: "
             f"{', '.join(sorted(sps)) or '(none)'}",
             value=deployer)
    elif sps[deployer].role is not Role.ADMIN:
        fail(key("servicePrincipals", deployer, "role"),
             "the deployer manages every ACL and must be a workspace admin",
             "set `role: admin` on the deployer", value=sps[deployer].role.value)


# --- environment hardening --------------------------------------------------------------

@rule("environment")
def prod_protected(parts: Parts, fail: Fail) -> None:
    if _is_prod(parts) and parts.get("protect") is False:
        fail(key("protect"), "is false in a prod stack: the workspace, groups and ACLs could be "
             "deleted by a single `pulumi up`", "set `databricks-ml-entra:protect: true`",
             value=False)


@rule("environment", "workspace")
def prod_private(parts: Parts, fail: Fail) -> None:
    ws: Workspace = parts["workspace"]
    if _is_prod(parts) and ws.public_network_access != "Disabled":
        fail(key("workspace", "publicNetworkAccess"), "prod workspaces must not be reachable "
             "from the public internet", "set `publicNetworkAccess: Disabled` (users reach the "
             "workspace through the private endpoint)", value=ws.public_network_access)
    if ws.public_network_access == "Disabled" and not ws.private_link.enabled:
        fail(key("workspace", "privateLink", "enabled"), "public network access is disabled and "
             "private link is off, so nobody could reach the workspace",
             "set `privateLink.enabled: true`", value=False)


@rule("environment", "conditional_access")
def prod_ca_enforced(parts: Parts, fail: Fail) -> None:
    ca: ConditionalAccess = parts["conditional_access"]
    if _is_prod(parts) and ca.state != "enabled":
        fail(key("conditionalAccess", "state"), "prod conditional access must be enforced",
             "set `state: enabled` (use enabledForReportingButNotEnforced only in dev)",
             value=ca.state)


@rule("environment", "audit")
def prod_retention(parts: Parts, fail: Fail) -> None:
    days = parts["audit"].retention_days
    if _is_prod(parts) and days < MIN_PROD_RETENTION_DAYS:
        fail(key("audit", "retentionDays"), f"prod audit logs must be kept at least "
             f"{MIN_PROD_RETENTION_DAYS} days", f"set `retentionDays: {MIN_PROD_RETENTION_DAYS}` "
             "or more", value=days)


@rule("conditional_access")
def break_glass(parts: Parts, fail: Fail) -> None:
    ca: ConditionalAccess = parts["conditional_access"]
    if ca.state != "disabled" and not ca.break_glass_group_object_ids:
        fail(key("conditionalAccess", "breakGlassGroupObjectIds"),
             f"conditional access is '{ca.state}' but no break-glass group is excluded: a "
             "misconfigured policy could lock every administrator out of the tenant",
             "add the object id of your emergency-access group to breakGlassGroupObjectIds")


# --- identities -------------------------------------------------------------------------

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@rule("service_principals")
def sp_kinds(parts: Parts, fail: Fail) -> None:
    for k, sp in parts["service_principals"].items():
        path = ("servicePrincipals", k)
        if sp.kind == "federated":
            if sp.federation is None:
                fail(key(*path, "federation"), "a federated identity needs its federation",
                     "add `federation: {repository: org/repo, environment: prod}`")
            elif not _REPO.match(sp.federation.repository):
                fail(key(*path, "federation", "repository"), "must be 'owner/repository' with "
                     "no wildcards", "write the GitHub repository as e.g. contoso/ml-platform",
                     value=sp.federation.repository)
            if sp.federation is not None and any(c in (sp.federation.environment or "")
                                                 for c in "*?:"):
                fail(key(*path, "federation", "environment"), "must name one GitHub environment",
                     "use the environment name exactly, without wildcards",
                     value=sp.federation.environment)
        if sp.kind != "federated" and sp.federation is not None:
            fail(key(*path, "federation"), f"only kind 'federated' takes a federation "
                 f"(this one is '{sp.kind}')", "remove it or change `kind: federated`")
        if sp.kind == "secret" and sp.rotation is None:
            fail(key(*path, "rotation"), "a secret-bearing identity needs a rotation schedule",
                 "add `rotation: {periodDays: 90, overlapDays: 30}`")
        if sp.kind != "secret" and sp.rotation is not None:
            fail(key(*path, "rotation"), f"kind '{sp.kind}' has no password to rotate",
                 "remove `rotation`")
        if sp.kind != "secret" and sp.key_vault is not None:
            fail(key(*path, "keyVault"), f"kind '{sp.kind}' has no secret to store",
                 "remove `keyVault`")
        if sp.kind != "managed-identity" and sp.federated_credentials:
            fail(key(*path, "federatedCredentials"), "only managed identities take "
                 "federatedCredentials", "use `federation` for a GitHub Actions identity")
        if sp.rotation is not None and sp.rotation.overlap_days >= sp.rotation.period_days:
            fail(key(*path, "rotation", "overlapDays"), "must be shorter than periodDays, or the "
                 "two slots could never be staggered", "use e.g. periodDays 90, overlapDays 30",
                 value=sp.rotation.overlap_days)
        for fk, fc in sp.federated_credentials.items():
            if not fc.issuer.startswith("https://"):
                fail(key(*path, "federatedCredentials", fk, "issuer"), "must be an https URL",
                     "use the OIDC issuer URL of your cluster", value=fc.issuer)


# --- sign-in: the Azure Databricks enterprise app and the client app ----------------------

# Loopback hosts a native client may redirect to over plain http (RFC 8252, section 7.3); Entra
# accepts http:// for localhost redirect URIs only (learn.microsoft.com, "Redirect URI (reply
# URL) restrictions and limitations": https except localhost; at most 256 characters and 256
# URIs; no ! $ ' ( ) , ; in a URI).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_REDIRECT_URI_LENGTH = 256
MAX_REDIRECT_URIS = 256
_REDIRECT_FORBIDDEN = set("!$'(),;")
# Azure Databricks hosts: workspaces (adb-*.azuredatabricks.net) and the account console. The
# Azure Databricks first-party app signs users in to them; a client of ours never redirects there.
DATABRICKS_DOMAIN = "azuredatabricks.net"


def redirect_uri_problem(uri: str) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) for a client-app redirect URI; None when acceptable."""
    try:
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
    except ValueError:
        return ("is not a URI", "write an absolute https:// URI")
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return (f"is {len(uri)} characters long; Entra accepts at most "
                f"{MAX_REDIRECT_URI_LENGTH}", "use a shorter callback path")
    if _REDIRECT_FORBIDDEN & set(uri):
        return ("contains a character Entra refuses in redirect URIs (! $ ' ( ) , ;)",
                "remove it from the callback path")
    if "*" in uri:
        return ("contains a wildcard; Entra matches redirect URIs exactly",
                "register each exact redirect URI")
    if parts.fragment or "#" in uri:
        return ("contains a fragment, which OAuth 2.0 forbids in a redirect URI",
                "remove the '#...' part")
    if host == DATABRICKS_DOMAIN or host.endswith("." + DATABRICKS_DOMAIN):
        return ("points at an Azure Databricks host: people sign in to a workspace through "
                "Microsoft's Azure Databricks app, never through this client app",
                "use the redirect URI of your own tool (e.g. https://ml-portal.example.com/auth "
                "or http://localhost for a desktop tool)")
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return ("must be https://, or http:// on a loopback address for a native client (RFC 8252)",
            "use https://<your tool>/<callback>, or http://localhost / http://127.0.0.1")


@rule("client_app")
def client_app_redirect_uris(parts: Parts, fail: Fail) -> None:
    app: ClientApp = parts["client_app"]
    seen: set[str] = set()
    if len(app.redirect_uris) > MAX_REDIRECT_URIS:
        fail(key("clientApp", "redirectUris"), f"lists {len(app.redirect_uris)} URIs; Entra "
             f"accepts at most {MAX_REDIRECT_URIS} per application", "remove unused ones")
    for i, uri in enumerate(app.redirect_uris):
        path = key("clientApp", "redirectUris", str(i))
        problem = redirect_uri_problem(uri)
        if problem is not None:
            fail(path, problem[0], problem[1], value=uri)
        if uri.casefold() in seen:
            fail(path, "is listed twice", "list each redirect URI once", value=uri)
        seen.add(uri.casefold())


@rule("azure_databricks_app", "groups", "service_principals")
def azure_databricks_assignments(parts: Parts, fail: Fail) -> None:
    """With assignment required, the operators and the break-glass groups must be assigned."""
    app: AzureDatabricksApp = parts["azure_databricks_app"]
    groups: dict[str, Group] = parts["groups"]
    sps: dict[str, ServicePrincipal] = parts["service_principals"]
    ca: ConditionalAccess | None = parts.get("conditional_access")
    base = ("azureDatabricksApp",)
    for k in app.additional_assignments:
        if not SLUG.match(k):
            fail(key(*base, "additionalAssignments", k), "is not a valid map key: keys become "
                 "resource names", "use lower-case letters, digits and '-' (e.g. 'bi-service')",
                 value=k)
        elif k in groups or k in sps or k.startswith("break-glass-"):
            fail(key(*base, "additionalAssignments", k), "uses the key of a group, a service "
                 "principal or a break-glass assignment", "choose another key", value=k)
    if not app.require_assignment:
        if app.additional_assignments:
            fail(key(*base, "additionalAssignments"), "lists principals to assign, but "
                 "requireAssignment is false, so nothing would be assigned",
                 "set `requireAssignment: true`, or remove additionalAssignments")
        return
    assigned = {a.key for a in azure_databricks_assignees(groups, sps, ca, app)}
    admins = [k for k, g in groups.items() if g.role is Role.ADMIN]
    if not admins:
        fail(key(*base, "requireAssignment"), "would leave every administrator without an "
             "Azure Databricks token: no group has role 'admin'",
             "set `role: admin` on the platform administrators' group", value=True)
    for k in admins:
        if k not in assigned:
            fail(key(*base, "requireAssignment"), f"would not assign the admin group '{k}'",
                 "give it a role so it is mapped and assigned", value=True)
    deployer = parts.get("deployer")
    if deployer is not None and deployer not in assigned:
        fail(key(*base, "requireAssignment"), f"would leave the deployer '{deployer}' out: it "
             "would lose its Azure Databricks token and could not apply the next change",
             "set `deployer` to a key of servicePrincipals (it is then assigned)", value=True)
    if ca is not None and not ca.break_glass_group_object_ids:
        fail(key(*base, "requireAssignment"), "requires assignment but no break-glass group is "
             "configured, so the emergency-access accounts could not reach Azure Databricks",
             "add your emergency-access group to conditionalAccess.breakGlassGroupObjectIds",
             value=True)
    ids: dict[str, str] = {oid: "conditionalAccess.breakGlassGroupObjectIds"
                           for oid in (ca.break_glass_group_object_ids if ca else [])}
    for k, extra in app.additional_assignments.items():
        if extra.object_id in ids:
            fail(key(*base, "additionalAssignments", k, "objectId"), f"is already assigned "
                 f"through {ids[extra.object_id]}", "remove the duplicate",
                 value=extra.object_id)
        ids[extra.object_id] = f"azureDatabricksApp.additionalAssignments.{k}"


@rule("conditional_access")
def named_locations_used(parts: Parts, fail: Fail) -> None:
    """Every declared named location is used by a policy; a location policy has a location."""
    ca: ConditionalAccess = parts["conditional_access"]
    base = ("conditionalAccess",)
    for k, loc in ca.named_locations.items():
        if ca.outside_trusted_locations == "none":
            fail(key(*base, "namedLocations", k), "is declared but no policy uses it "
                 "(outsideTrustedLocations is 'none')", "set `outsideTrustedLocations: block` "
                 "(or requireCompliantDevice) to use it, or remove the location")
        elif not loc.trusted:
            fail(key(*base, "namedLocations", k, "trusted"), "an untrusted location is used by "
                 "no policy: only trusted locations are exempted from the "
                 "outsideTrustedLocations policy", "mark it `trusted: true`, or remove it",
                 value=False)
    if ca.outside_trusted_locations != "none" and not any(
            loc.trusted for loc in ca.named_locations.values()):
        fail(key(*base, "outsideTrustedLocations"), "applies outside the trusted locations, "
             "but no named location is trusted, so it would apply everywhere",
             "declare a named location with `trusted: true`, or set "
             "`outsideTrustedLocations: none`", value=ca.outside_trusted_locations)


@rule("conditional_access")
def recorded_exclusions(parts: Parts, fail: Fail) -> None:
    """Exclusions besides break-glass are keyed, have a reason and are not break-glass twice."""
    ca: ConditionalAccess = parts["conditional_access"]
    for k, exclusion in ca.recorded_exclusions.items():
        path = ("conditionalAccess", "recordedExclusions", k)
        if not SLUG.match(k):
            fail(key(*path), "is not a valid map key", "use lower-case letters, digits and '-'",
                 value=k)
        if exclusion.object_id in ca.break_glass_group_object_ids:
            fail(key(*path, "objectId"), "is a break-glass group, which every policy excludes "
                 "already", "remove this recorded exclusion", value=exclusion.object_id)


# A user-assigned managed identity's resource name (it is also its Entra display name), and
# the name of a federated identity credential on it (Microsoft.ManagedIdentity naming rules).
_UAMI_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")
_FIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")


@rule("service_principals")
def managed_identity_names(parts: Parts, fail: Fail) -> None:
    """A managed identity's displayName becomes an Azure resource name; its credential keys too."""
    for k, sp in parts["service_principals"].items():
        if sp.kind != "managed-identity":
            continue
        if not _UAMI_NAME.match(sp.display_name):
            fail(key("servicePrincipals", k, "displayName"), "names a user-assigned managed "
                 "identity, so it must be a valid Azure resource name",
                 "use 3-128 letters, digits, '-' or '_', starting with a letter or digit "
                 "(e.g. mi-dbx-prod-risk-agent)", value=sp.display_name)
        for fk in sp.federated_credentials:
            if not _FIC_NAME.match(fk):
                fail(key("servicePrincipals", k, "federatedCredentials", fk), "becomes the name "
                     "of a federated identity credential, which needs 3-120 characters",
                     "use a longer key, e.g. 'aks-<service-account>'", value=fk)


# --- network ----------------------------------------------------------------------------

@rule("network")
def subnets(parts: Parts, fail: Fail) -> None:
    net: Network = parts["network"]
    space = ipaddress.ip_network(net.address_space)
    named = [("publicSubnetCidr", net.public_subnet_cidr),
             ("privateSubnetCidr", net.private_subnet_cidr)]
    if net.private_endpoint_subnet_cidr:
        named.append(("privateEndpointSubnetCidr", net.private_endpoint_subnet_cidr))
    nets = [(n, ipaddress.ip_network(c)) for n, c in named]
    for name, subnet in nets:
        if subnet.version != space.version or not subnet.subnet_of(space):  # type: ignore[arg-type]
            fail(key("network", name), f"is not inside addressSpace {space}",
                 "choose a range inside the virtual network's address space", value=str(subnet))
        if name != "privateEndpointSubnetCidr" and subnet.prefixlen > 26:
            fail(key("network", name), "Azure Databricks needs a /26 or larger subnet",
                 "use a prefix length of 26 or less", value=str(subnet))
    for i, (a_name, a) in enumerate(nets):
        for b_name, b in nets[i + 1:]:
            if a.overlaps(b):
                fail(key("network", b_name), f"overlaps {a_name} ({a})",
                     "give each subnet its own, non-overlapping range", value=str(b))


@rule("network", "workspace")
def private_endpoint_subnet(parts: Parts, fail: Fail) -> None:
    ws: Workspace = parts["workspace"]
    if ws.private_link.enabled and not parts["network"].private_endpoint_subnet_cidr:
        fail(key("network", "privateEndpointSubnetCidr"), "private link is enabled but there is "
             "no subnet for the private endpoint", "add e.g. `privateEndpointSubnetCidr: "
             "10.20.2.0/27` inside the address space")


@rule("workspace")
def workspace_names(parts: Parts, fail: Fail) -> None:
    ws: Workspace = parts["workspace"]
    for field, value in (("name", ws.name), ("resourceGroupName", ws.resource_group_name),
                         ("managedResourceGroupName", ws.managed_resource_group_name)):
        if not AZURE_NAME.match(value):
            fail(key("workspace", field), "is not a valid Azure resource name",
                 "use 3-64 letters, digits, '-', '_' or '.', not ending in '.' or '-'", value=value)
    if ws.resource_group_name.casefold() == ws.managed_resource_group_name.casefold():
        fail(key("workspace", "managedResourceGroupName"), "must differ from resourceGroupName: "
             "Azure Databricks owns and locks the managed resource group",
             "use e.g. '<resourceGroupName>-managed'", value=ws.managed_resource_group_name)


@rule("environment", "workspace", "replacement_lock")
def replacement_guard(parts: Parts, fail: Fail) -> None:
    """In prod, a change to a property that replaces the workspace must be acknowledged."""
    ws: Workspace = parts["workspace"]
    lock: ReplacementLock = parts["replacement_lock"]
    if not _is_prod(parts) or ws.acknowledge_replacement:
        return
    current = {"workspace_name": ws.name, "location": parts.get("location"),
               "managed_resource_group_name": ws.managed_resource_group_name,
               "resource_group_name": ws.resource_group_name}
    paths = {"workspace_name": "workspace.name", "location": "azure-native:location",
             "managed_resource_group_name": "workspace.managedResourceGroupName",
             "resource_group_name": "workspace.resourceGroupName"}
    for field, value in current.items():
        locked = getattr(lock, field)
        if value is not None and value != locked:
            path = paths[field]
            fail(path if ":" in path else key(path), f"differs from replacementLock ({locked!r}): "
                 "this change REPLACES the prod workspace, deleting its notebooks, jobs, "
                 "clusters and workspace model registry", "revert it; or, if the replacement "
                 "is intended, set `workspace.acknowledgeReplacement: <change ticket>` and "
                 "update replacementLock after the migration", value=value)


@rule("environment")
def prod_has_lock(parts: Parts, fail: Fail) -> None:
    lock_failed = "replacement_lock" in parts.get("_failed", ())
    if _is_prod(parts) and parts.get("replacement_lock") is None and not lock_failed:
        fail(key("replacementLock"), "prod stacks must pin the properties whose change replaces "
             "the workspace", "add `replacementLock: {workspaceName, location, "
             "managedResourceGroupName, resourceGroupName}` with the deployed values")


# --- workspace features -----------------------------------------------------------------

@rule("workspace")
def customer_managed_keys(parts: Parts, fail: Fail) -> None:
    """Azure needs name, version and vault URI for each customer-managed key it is given."""
    cmk = parts["workspace"].customer_managed_keys
    if cmk is None:
        return
    path = ("workspace", "customerManagedKeys")
    if not cmk.key_vault_uri.startswith("https://"):
        fail(key(*path, "keyVaultUri"), "must be the https URI of the key vault",
             "use e.g. https://kv-name.vault.azure.net/", value=cmk.key_vault_uri)
    slots = (("managedServices", cmk.managed_services_key_name, cmk.managed_services_key_version),
             ("managedDisks", cmk.managed_disks_key_name, cmk.managed_disks_key_version))
    if not any(name for _, name, _ in slots):
        fail(key(*path), "names no key", "set managedServicesKeyName and/or "
             "managedDisksKeyName with their versions, or remove customerManagedKeys")
    for slot, name, version in slots:
        if name and not version:
            fail(key(*path, f"{slot}KeyVersion"), "Azure Databricks needs the key version "
                 "together with the key name", "add the key's current version (the last "
                 "segment of its key identifier)")
        if version and not name:
            fail(key(*path, f"{slot}KeyName"), "a key version without its key name",
                 f"add `{slot}KeyName`, or remove `{slot}KeyVersion`")


@rule("workspace")
def enhanced_security_compliance(parts: Parts, fail: Fail) -> None:
    """The compliance security profile turns on monitoring and cluster updates with it."""
    esc = parts["workspace"].enhanced_security_compliance
    if esc is None:
        return
    path = ("workspace", "enhancedSecurityCompliance")
    if esc.enabled:
        for field, value in (("automaticClusterUpdate", esc.automatic_cluster_update),
                             ("enhancedSecurityMonitoring", esc.enhanced_security_monitoring)):
            if not value:
                fail(key(*path, field), "the compliance security profile always enables "
                     "automatic cluster update and enhanced security monitoring",
                     f"set `{field}: true`, or `enabled: false`", value=value)
    elif esc.compliance_standards:
        fail(key(*path, "complianceStandards"), "compliance standards apply through the "
             "compliance security profile, which is disabled", "set `enabled: true` or remove "
             "complianceStandards", value=esc.compliance_standards)
    if "NONE" in esc.compliance_standards and len(esc.compliance_standards) > 1:
        fail(key(*path, "complianceStandards"), "'NONE' cannot be combined with a standard",
             "remove 'NONE'", value=esc.compliance_standards)


# --- provisioning -----------------------------------------------------------------------

@rule("provisioning", "databricks")
def provisioning_mode(parts: Parts, fail: Fail) -> None:
    prov = parts["provisioning"]
    account_mode = parts["databricks"].identity_mode == "account"
    if prov.mode == "automatic-identity-management" and not account_mode:
        fail(key("provisioning", "mode"), "automatic identity management needs account identity "
             "mode", "set `databricks.identityMode: account`, or use `mode: scim`",
             value=prov.mode)
    if prov.mode == "scim":
        if prov.scim_service_principal_object_id is None:
            fail(key("provisioning", "scimServicePrincipalObjectId"), "mode 'scim' needs the "
                 "object id of the Databricks SCIM enterprise application",
                 "add the object id of the enterprise application created from the gallery")
        if not parts.get("scim_token_set"):
            fail(key("scimToken"), "mode 'scim' needs the SCIM token of the Databricks account",
                 "run `pulumi config set --secret databricks-ml-entra:scimToken <token>`")


# --- models and ACLs --------------------------------------------------------------------

def _operators(parts: Parts) -> set[str]:
    ops = {k for k, g in (parts.get("groups") or {}).items() if g.role is Role.ADMIN}
    if parts.get("deployer"):
        ops.add(parts["deployer"])
    return ops


@rule("models", "groups", "service_principals")
def model_acls(parts: Parts, fail: Fail) -> None:
    groups: dict[str, Group] = parts["groups"]
    sps: dict[str, ServicePrincipal] = parts["service_principals"]
    operators = _operators(parts)
    declared = sorted(set(groups) | set(sps))
    full_names: dict[str, str] = {}
    for mk, model in parts["models"].items():
        path = ("models", mk)
        _model_name(mk, model, fail, full_names)
        if not model.permissions:
            fail(key(*path, "permissions"), "is empty: nobody but the operators could use "
                 "this model", "grant at least one group or service principal access, e.g. "
                 "`permissions: {data-scientists: CAN_READ}`")
        for principal, level in model.permissions.items():
            ppath = (*path, "permissions", principal)
            if principal not in groups and principal not in sps:
                fail(key(*ppath), "names an undeclared principal",
                     f"use a key of groups or servicePrincipals: {', '.join(declared)}",
                     value=principal)
                continue
            levels = _levels(model, level, ppath, fail)
            if levels is None:
                continue
            _operator_entry(principal, model, levels, operators, ppath, fail)
            _least_privilege(principal, model, levels, groups, sps, ppath, fail)
            _production_rights(parts, principal, model, levels, groups, operators, ppath, fail)
        for principal in model.exceptions:
            if principal not in model.permissions:
                fail(key(*path, "exceptions", principal), "is an exception for a principal "
                     "that has no permission on this model", "remove it", value=principal)


def _model_name(mk: str, model: Model, fail: Fail, seen: dict[str, str]) -> None:
    path = ("models", mk)
    if not MODEL_NAME_PATTERNS[model.registry].match(model.name):
        how = ("lower-case letters, digits and underscores" if model.registry == "unity-catalog"
               else "letters, digits, spaces, '-' and '_' (no '/', ':' or '.')")
        fail(key(*path, "name"), f"is not a valid {model.registry} model name", f"use {how}",
             value=model.name)
    if model.registry == "unity-catalog":
        for field, value in (("catalog", model.catalog), ("schema", model.schema_)):
            if not value:
                fail(key(*path, field), "a Unity Catalog model needs its catalog and schema",
                     f"add `{field}: <name>`; the model is addressed as catalog.schema.name")
            elif not UC_IDENT.match(value):
                fail(key(*path, field), "is not a valid Unity Catalog identifier",
                     "use lower-case letters, digits and underscores", value=value)
        full = f"{model.catalog}.{model.schema_}.{model.name}"
    else:
        for field, value in (("catalog", model.catalog), ("schema", model.schema_)):
            if value:
                fail(key(*path, field), "only Unity Catalog models live in a catalog",
                     "remove it, or set `registry: unity-catalog`", value=value)
        full = f"workspace:{model.name}"
    if full.casefold() in seen:
        fail(key(*path, "name"), f"declares the same model as models.{seen[full.casefold()]}",
             "declare each model once and put all its permissions there", value=model.name)
    seen[full.casefold()] = mk


def _levels(model: Model, level: Any, ppath: tuple[str, ...], fail: Fail) -> list[str] | None:
    if model.registry == "workspace":
        if not isinstance(level, str) or level not in WORKSPACE_LEVELS:
            fail(key(*ppath), "is not a workspace registry permission level",
                 f"use one of: {', '.join(WORKSPACE_LEVELS)}", value=level)
            return None
        return [level]
    items = [level] if isinstance(level, str) else list(level)
    bad = [p for p in items if p not in UC_PRIVILEGES]
    if bad or not items:
        fail(key(*ppath), "is not a list of Unity Catalog model privileges",
             f"use a list of: {', '.join(UC_PRIVILEGES)}", value=level)
        return None
    return items


def _operator_entry(principal: str, model: Model, levels: list[str], operators: set[str],
                    ppath: tuple[str, ...], fail: Fail) -> None:
    if principal not in operators:
        return
    top = "CAN_MANAGE" if model.registry == "workspace" else "MANAGE"
    if top not in levels:
        fail(key(*ppath), f"lowers an operator below {top}: workspace admins and the deployer "
             f"always keep {top} so an apply can never lock them out",
             "remove this entry (operators are added automatically)", value=levels)


def _least_privilege(principal: str, model: Model, levels: list[str], groups: dict[str, Group],
                     sps: dict[str, ServicePrincipal], ppath: tuple[str, ...], fail: Fail) -> None:
    sp = sps.get(principal)
    if sp is None or sp.role is not Role.AGENT:
        return
    allowed = ("CAN_READ",) if model.registry == "workspace" else ("EXECUTE",)
    if any(level not in allowed for level in levels):
        fail(key(*ppath), "an agent identity may only read or execute models",
             f"grant {' or '.join(allowed)} only", value=levels)


def _production_rights(parts: Parts, principal: str, model: Model, levels: list[str],
                       groups: dict[str, Group], operators: set[str], ppath: tuple[str, ...],
                       fail: Fail) -> None:
    if not _is_prod(parts) or principal not in groups or principal in operators:
        return
    risky = PRODUCTION_LEVELS if model.registry == "workspace" else PRODUCTION_PRIVILEGES
    held = [lvl for lvl in levels if lvl in risky]
    if held and principal not in model.exceptions:
        fail(key(*ppath), f"gives the human group '{principal}' {held[0]} in prod; only service "
             "principals may move model versions to production",
             f"grant it to the release service principal instead, or record why under "
             f"`models.{ppath[1]}.exceptions.{principal}: <reason>`", value=levels)


# --- Databricks identity mapping ---------------------------------------------------------

# Built-in Databricks groups: a mapped group with one of these names would become a grant to
# every user of the workspace or account.
RESERVED_GROUP_NAMES = ("users", "admins", "account users")


@rule("groups")
def reserved_group_names(parts: Parts, fail: Fail) -> None:
    for k, group in parts["groups"].items():
        if group.is_mapped and group.display_name.casefold() in RESERVED_GROUP_NAMES:
            fail(key("groups", k, "displayName"), "is the name of a built-in Databricks group; "
                 "mapping it would grant access to every user", "give the Entra group its own "
                 "name, e.g. 'sg-dbx-<env>-<team>'", value=group.display_name)


@rule("databricks", "models", "groups")
def unity_catalog_needs_account_groups(parts: Parts, fail: Fail) -> None:
    """Workspace-local groups (identityMode: workspace) cannot hold Unity Catalog privileges."""
    if parts["databricks"].identity_mode != "workspace":
        return
    groups: dict[str, Group] = parts["groups"]
    for mk, model in parts["models"].items():
        if model.registry != "unity-catalog":
            continue
        for principal in model.permissions:
            if principal in groups:
                fail(key("models", mk, "permissions", principal), "names a group, but with "
                     "`databricks.identityMode: workspace` groups are workspace-local and cannot "
                     "be granted Unity Catalog privileges", "use `identityMode: account`, or "
                     "grant this model to service principals only", value=principal)


@rule("models", "groups")
def acl_principals_mapped(parts: Parts, fail: Fail) -> None:
    """An ACL can only name a group that exists in Databricks, i.e. one with a role."""
    groups: dict[str, Group] = parts["groups"]
    for mk, model in parts["models"].items():
        for principal in model.permissions:
            group = groups.get(principal)
            if group is not None and not group.is_mapped:
                fail(key("models", mk, "permissions", principal), "names an Entra-only group "
                     "(it has no `role`, so it is not mapped into Databricks and has no "
                     "Databricks principal to grant to)", f"set `groups.{principal}.role` "
                     "(e.g. scientist), or grant the model to a mapped group", value=principal)


# --- Unity Catalog metastore (issue 12) ------------------------------------------------------

@rule("databricks", "models")
def unity_catalog_needs_metastore(parts: Parts, fail: Fail) -> None:
    """Unity Catalog objects exist only once the workspace is assigned to a metastore."""
    dbx = parts["databricks"]
    uc = sorted(k for k, m in parts["models"].items() if m.registry == "unity-catalog")
    if uc and dbx.metastore_id is None:
        fail(key("databricks", "metastoreId"), f"is missing, but models {', '.join(uc)} live in "
             "Unity Catalog: the workspace must be assigned to a metastore before any Unity "
             "Catalog object can be created", "set `databricks.metastoreId: <metastore id>` "
             "(account console > Catalog > the metastore of the workspace's region)")
    if dbx.default_catalog is not None:
        if dbx.metastore_id is None:
            fail(key("databricks", "defaultCatalog"), "a default catalog needs a metastore",
                 "set `databricks.metastoreId`, or remove `defaultCatalog`",
                 value=dbx.default_catalog)
        elif not UC_IDENT.match(dbx.default_catalog):
            fail(key("databricks", "defaultCatalog"), "is not a valid Unity Catalog identifier",
                 "use lower-case letters, digits and underscores, e.g. 'ml_prod'",
                 value=dbx.default_catalog)


# --- Key Vault for secret-bearing identities (issue 12) ---------------------------------------

# Key Vault names: 3-24 characters, letters, digits and '-', starting with a letter, ending
# with a letter or digit, no consecutive hyphens (globally unique DNS label).
_VAULT_NAME = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
_VAULT_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.KeyVault/vaults/(?P<name>[^/]+)$", re.IGNORECASE)


def parse_vault_id(vault_id: str) -> tuple[str, str, str] | None:
    """``(subscription, resource group, vault name)`` of a Key Vault resource id, or None."""
    m = _VAULT_ID.match(vault_id)
    return (m["sub"].lower(), m["rg"], m["name"]) if m else None


@rule("service_principals")
def secret_identities_have_a_vault(parts: Parts, fail: Fail) -> None:
    """A rotated password nobody can retrieve is useless: it goes to a Key Vault."""
    for k, sp in parts["service_principals"].items():
        path = ("servicePrincipals", k, "keyVault")
        if sp.kind == "secret" and sp.key_vault is None:
            fail(key(*path), "a secret-bearing identity needs a Key Vault destination: without "
                 "one its two rotated passwords exist but nobody can retrieve them",
                 "add `keyVault: {secretName: <name>, vaultName: <new vault>}` (declared by this "
                 "stack) or `keyVault: {secretName: <name>, vaultId: <existing vault resource "
                 "id>}`; or switch to kind federated / managed-identity")
        target = sp.key_vault
        if target is None:
            continue
        if (target.vault_name is None) == (target.vault_id is None):
            fail(key(*path), "must give exactly one of vaultName (a vault this stack declares) "
                 "and vaultId (an existing vault)", "keep one of the two")
        if target.vault_name is not None and not _VAULT_NAME.match(target.vault_name):
            fail(key(*path, "vaultName"), "is not a valid Key Vault name",
                 "use 3-24 letters, digits and single hyphens, starting with a letter",
                 value=target.vault_name)
        if target.resource_group_name is not None and target.vault_name is None:
            fail(key(*path, "resourceGroupName"), "only applies to a vault this stack declares "
                 "(vaultName); an existing vault's resource group is part of its vaultId",
                 "remove `resourceGroupName`")
        if target.resource_group_name is not None and not AZURE_NAME.match(
                target.resource_group_name):
            fail(key(*path, "resourceGroupName"), "is not a valid Azure resource group name",
                 "use 3-64 letters, digits, '-', '_' or '.'", value=target.resource_group_name)
        if target.vault_id is not None:
            parsed = parse_vault_id(target.vault_id)
            subscription = str(parts.get("subscription_id") or "").lower()
            if parsed is None:
                fail(key(*path, "vaultId"), "is not a Key Vault resource id",
                     "use /subscriptions/<id>/resourceGroups/<rg>/providers/"
                     "Microsoft.KeyVault/vaults/<name>", value=target.vault_id)
            elif subscription and parsed[0] != subscription:
                fail(key(*path, "vaultId"), "is in another subscription than the stack's "
                     "subscriptionId; the stack's azure-native provider writes the secret in its "
                     "own subscription", "use a vault in the stack's subscription, or declare "
                     "one with vaultName", value=target.vault_id)


# --- Entra ID Governance: access packages and just-in-time admin -------------------------

# Requestor scopes that open a package to (nearly) everyone in or outside the tenant.
_GOV = ("governance",)


def _failed(parts: Parts, section: str) -> bool:
    return section in parts.get("_failed", ())


@rule("governance", "groups", "environment")
def governance_access_packages(parts: Parts, fail: Fail) -> None:
    """One package per requestable mapped group, within the environment's limits."""
    gov: Governance = parts["governance"]
    groups: dict[str, Group] = parts["groups"]
    env = parts["environment"].value
    prod = _is_prod(parts)
    ceiling = ACCESS_DURATION_CEILING_DAYS[env]
    if gov.max_duration_days is not None and gov.max_duration_days > ceiling:
        fail(key(*_GOV, "maxDurationDays"), f"exceeds the {env} ceiling of {ceiling} days",
             f"use at most {ceiling} (the ceiling can only be lowered per stack)",
             value=gov.max_duration_days)
    limit = access_duration_ceiling(env, gov)
    for k, pkg in gov.access_packages.items():
        path = (*_GOV, "accessPackages", k)
        group = groups.get(k)
        if group is None:
            fail(key(*path), "names an undeclared group", "use a key of groups: "
                 f"{', '.join(sorted(groups))}", value=k)
            continue
        if not group.is_mapped:
            fail(key(*path), "the group is not mapped into Databricks (it has no role), so "
                 "there is nothing to request", f"set `groups.{k}.role`, or remove the package",
                 value=k)
        elif group.role is Role.ADMIN:
            fail(key(*path), "an admin group is never requestable: admins get in just in time "
                 "through PIM", f"remove it and declare `governance.privilegedAccess.{k}`",
                 value=k)
        _requestors(pkg, path, fail)
        _approval(pkg, path, prod, fail)
        if pkg.duration_days > limit:
            fail(key(*path, "durationDays"), f"exceeds the {env} ceiling of {limit} days",
                 f"use at most {limit} days (requestors can ask again, or extend, before "
                 "expiry)", value=pkg.duration_days)
        if prod and not pkg.justification_required:
            fail(key(*path, "justificationRequired"), "prod requests must carry a business "
                 "justification for the approvers and the audit trail",
                 "set `justificationRequired: true`", value=False)
        _review(pkg, path, prod, fail)


def _requestors(pkg: AccessPackage, path: tuple[str, ...], fail: Fail) -> None:
    req = pkg.requestors
    if req.scope == "groups" and not req.group_object_ids:
        fail(key(*path, "requestors", "groupObjectIds"), "scope 'groups' needs at least one "
             "group whose members may request", "list the object ids of the requesting groups, "
             "or use `scope: all-members`")
    if req.scope == "all-members" and req.group_object_ids:
        fail(key(*path, "requestors", "groupObjectIds"), "scope 'all-members' takes no groups",
             "remove groupObjectIds, or use `scope: groups`", value=req.group_object_ids)
    if req.scope == "all-members" and not pkg.approval.required:
        fail(key(*path, "approval", "required"), "every member of the tenant could join this "
             "group without anyone approving", "set `approval.required: true`, or narrow "
             "`requestors` to `scope: groups`", value=False)


def _approval(pkg: AccessPackage, path: tuple[str, ...], prod: bool, fail: Fail) -> None:
    if prod and not pkg.approval.required:
        fail(key(*path, "approval", "required"), "requestable access in prod must be approved",
             "set `approval.required: true` (the group's owners approve by default)",
             value=False)


def _review(pkg: AccessPackage, path: tuple[str, ...], prod: bool, fail: Fail) -> None:
    review = pkg.review
    if review is None:
        if prod:
            fail(key(*path, "review"), "prod access must be reviewed periodically",
                 "add `review: {frequency: quarterly, reviewers: owners, "
                 "onNoResponse: removeAccess}`")
        return
    if prod and review.on_no_response != "removeAccess":
        fail(key(*path, "review", "onNoResponse"), "in prod, access nobody vouches for must "
             "go", "set `onNoResponse: removeAccess`", value=review.on_no_response)
    period = REVIEW_PERIOD_DAYS[review.frequency]
    if review.duration_days >= period:
        fail(key(*path, "review", "durationDays"), f"a {review.frequency} review must finish "
             f"before the next one starts ({period} days)", f"use fewer than {period} days",
             value=review.duration_days)


@rule("governance", "groups", "environment")
def governance_privileged_access(parts: Parts, fail: Fail) -> None:
    """PIM for groups: only admin groups, within the activation ceiling; every prod admin group."""
    gov: Governance = parts["governance"]
    groups: dict[str, Group] = parts["groups"]
    env = parts["environment"].value
    prod = _is_prod(parts)
    ceiling = ACTIVATION_CEILING_HOURS[env]
    ca = parts.get("conditional_access")
    break_glass = {i.lower() for i in (ca.break_glass_group_object_ids if ca else [])}
    for k, pim in gov.privileged_access.items():
        path = (*_GOV, "privilegedAccess", k)
        group = groups.get(k)
        if group is None:
            fail(key(*path), "names an undeclared group", "use the key of an admin group: "
                 f"{', '.join(sorted(g for g, v in groups.items() if v.role is Role.ADMIN))}",
                 value=k)
            continue
        if group.role is not Role.ADMIN:
            fail(key(*path), "just-in-time membership is for admin groups only", "request "
                 f"other groups through `governance.accessPackages.{k}`", value=k)
        if pim.max_activation_hours > ceiling:
            fail(key(*path, "maxActivationHours"), f"exceeds the {env} ceiling of {ceiling} "
                 "hours", f"use at most {ceiling}", value=pim.max_activation_hours)
        if prod and not pim.justification_required:
            fail(key(*path, "justificationRequired"), "prod activations must say why",
                 "set `justificationRequired: true`", value=False)
        if prod and not pim.mfa_required:
            fail(key(*path, "mfaRequired"), "prod activations must be confirmed with MFA",
                 "set `mfaRequired: true`", value=False)
        if pim.eligible_group_object_id.lower() in break_glass:
            fail(key(*path, "eligibleGroupObjectId"), "is a break-glass group: emergency "
                 "access must never depend on a PIM activation", "name the day-to-day "
                 "administrators' group; keep break-glass accounts permanent and outside PIM",
                 value=pim.eligible_group_object_id)
    if prod:
        for k, group in groups.items():
            if group.role is Role.ADMIN and k not in gov.privileged_access:
                fail(key(*_GOV, "privilegedAccess"), f"admin group '{k}' has no just-in-time "
                     "access: in prod admins get in through PIM, not standing membership",
                     f"add `privilegedAccess.{k}: {{eligibleGroupObjectId: <group of "
                     "eligible admins>}}`")


@rule("groups", "environment")
def no_standing_admins_in_prod(parts: Parts, fail: Fail) -> None:
    """Prod admin groups have no permanent members unless each is recorded with a reason."""
    if not _is_prod(parts) or _failed(parts, "governance"):
        return
    gov: Governance | None = parts.get("governance")
    recorded = {m.lower() for m in (gov.standing_admin_members if gov else {})}
    admin_members: set[str] = set()
    for k, group in parts["groups"].items():
        if group.role is not Role.ADMIN:
            continue
        for i, member in enumerate(group.members):
            admin_members.add(member.lower())
            if member.lower() not in recorded:
                fail(key("groups", k, "members", str(i)), "is a standing member of a prod "
                     "admin group", "remove it (admins activate through PIM), or record why "
                     f"under `governance.standingAdminMembers.{member}: <reason>`", value=member)
    for member in (gov.standing_admin_members if gov else {}):
        if member.lower() not in admin_members:
            fail(key(*_GOV, "standingAdminMembers", member), "records a reason for someone who "
                 "is not a member of any admin group", "remove the stale entry", value=member)


# The hub-and-spoke rules, and the rules for adoption and CI, live in their own modules;
# importing them registers them.
from settings import network_rules, rules_adoption  # noqa: E402,F401
