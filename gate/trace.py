"""Trace each captured resource back to the config key that produced it.

Components name children ``<component>-<config key>[-<suffix>]`` (STYLE.md: child names from
the component name and a stable key), so a resource's logical name and type family identify
its config entry. Resources that no map entry produced point at their section
(``workspace``, ``network``, ``audit``, ``conditionalAccess``). The sign-in components
(:data:`_SIGN_IN_PREFIXES`) name their children after their section, so their resources point at
``azureDatabricksApp`` (or the additional assignment that produced them) and ``clientApp``.
"""

from __future__ import annotations

import re

from gate.model import CapturedResource
from settings import Settings
from settings.model import PROJECT

# type token (package:module:Type, unversioned) -> the config sections that may produce it
_FAMILIES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"^azuread:index/(group|groupMember):"), ("groups",)),
    (re.compile(r"^databricks:index/(group|groupMember|entitlements|mwsPermissionAssignment|"
                r"permissionAssignment):"), ("groups", "servicePrincipals")),
    (re.compile(r"^azuread:index/(application|servicePrincipal|applicationPassword|"
                r"applicationFederatedIdentityCredential|appRoleAssignment|"
                r"servicePrincipalDelegatedPermissionGrant):"), ("servicePrincipals",)),
    (re.compile(r"^azure-native:managedidentity(/[^:]+)?:"), ("servicePrincipals",)),
    (re.compile(r"^azure-native:keyvault(/[^:]+)?:"), ("servicePrincipals",)),
    (re.compile(r"^databricks:index/servicePrincipal:"), ("servicePrincipals",)),
    (re.compile(r"^databricks:index/(mlflowModel|registeredModel|permissions|grants):"),
     ("models",)),
    # USE_CATALOG / USE_SCHEMA grants are per principal, shared by the models that need them.
    (re.compile(r"^databricks:index/grant:"), ("groups", "servicePrincipals")),
    (re.compile(r"^azuread:index/(accessPackage|accessPackageAssignmentPolicy|"
                r"accessPackageResourceCatalogAssociation|"
                r"accessPackageResourcePackageAssociation):"), ("governance.accessPackages",)),
    (re.compile(r"^azuread:index/accessPackageCatalog:"), ("governance",)),
    (re.compile(r"^azuread:index/(groupRoleManagementPolicy|"
                r"privilegedAccessGroupEligibilitySchedule):"), ("governance.privilegedAccess",)),
    (re.compile(r"^azuread:index/namedLocation:"), ("conditionalAccess.namedLocations",)),
    (re.compile(r"^azuread:index/conditionalAccessPolicy:"), ("conditionalAccess",)),
    (re.compile(r"^azure-native:(network|privatedns)(/[^:]+)?:"), ("network",)),
    (re.compile(r"^azure-native:(operationalinsights|monitor|aadiam)(/[^:]+)?:"), ("audit",)),
    (re.compile(r"^azure-native:(databricks|resources)(/[^:]+)?:"), ("workspace",)),
]


# child-name prefix of a sign-in component -> its config section (the names __main__.py gives
# components/azure_databricks_app.py and components/client_app.py)
_SIGN_IN_PREFIXES = (("azure-databricks-app", "azureDatabricksApp"), ("client-app", "clientApp"))


def _sign_in_key(name: str, settings: Settings) -> str:
    """The config key of a sign-in component's child, or "" when ``name`` is not one."""
    for prefix, section in _SIGN_IN_PREFIXES:
        if name != prefix and not name.startswith(prefix + "-"):
            continue
        if section == "azureDatabricksApp":
            extra = name[len(prefix + "-assign-"):] if name.startswith(prefix + "-assign-") else ""
            if extra in settings.azure_databricks_app.additional_assignments:
                return f"{PROJECT}:{section}.additionalAssignments.{extra}"
            if extra:
                return f"{PROJECT}:{section}.requireAssignment"
        return f"{PROJECT}:{section}"
    return ""


# Children of the workspace that network.hub declares (components/private_network.py names).
_HUB_NAME = re.compile(r"-(hub|peering)-")


def _maps(settings: Settings) -> dict[str, list[str]]:
    gov = settings.governance
    return {
        "groups": list(settings.groups),
        "servicePrincipals": list(settings.service_principals),
        "models": list(settings.models),
        "conditionalAccess.namedLocations": list(settings.conditional_access.named_locations),
        "governance.accessPackages": list(gov.access_packages) if gov else [],
        "governance.privilegedAccess": list(gov.privileged_access) if gov else [],
    }


def _contains_key(name: str, key: str) -> bool:
    """``key`` occurs in ``name`` between dashes or the ends (the reference definition)."""
    return re.search(rf"(^|-){re.escape(key)}(-|$)", name) is not None


def _segments(name: str) -> set[str]:
    """Every substring of ``name`` that starts and ends at a dash or an end of ``name``.

    ``key`` is one of them exactly when ``_contains_key(name, key)``: the dash-separated runs of
    ``name.split("-")``, joined back. A name has a handful of dashes, so this is small.
    """
    parts = name.split("-")
    return {"-".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}


# (minus the key's length, its section's position, its position): the smallest rank wins
_Rank = tuple[int, int, int]


def trace(resources: list[CapturedResource], settings: Settings) -> None:
    """Fill ``source_key`` on every resource that a config entry or section produced.

    Linear in the resources: each name is split once and its segments are looked up in a
    per-section index of the config keys (rather than one pattern per resource and key).
    """
    maps = _maps(settings)
    index: dict[str, list[tuple[str, int]]] = {}
    for section, keys in maps.items():
        for position, key in enumerate(keys):
            index.setdefault(key, []).append((section, position))
    families: dict[str, tuple[str, ...] | None] = {}
    for res in resources:
        if res.type.startswith("pulumi:providers:"):
            continue
        if res.type.startswith("azuread:"):
            sign_in = _sign_in_key(res.name, settings)
            if sign_in:
                res.source_key = sign_in
                continue
        if res.type not in families:
            families[res.type] = next(
                (sections for pattern, sections in _FAMILIES if pattern.match(res.type)), None)
        sections = families[res.type]
        if sections is not None:
            res.source_key = _match(res.name, sections, maps, index)
            if sections in (("network",), ("workspace",)) and _HUB_NAME.search(res.name):
                res.source_key = f"{PROJECT}:network.hub"


def _match(name: str, sections: tuple[str, ...], maps: dict[str, list[str]],
           index: dict[str, list[tuple[str, int]]]) -> str:
    """The longest key of ``sections`` in ``name``; on a tie, the first section's, first key's."""
    order = {section: i for i, section in enumerate(sections)}
    best = ""
    best_rank: _Rank | None = None
    for segment in _segments(name):
        for section, position in index.get(segment, ()):
            if section not in order:
                continue
            rank = (-len(segment), order[section], position)
            if best_rank is None or rank < best_rank:
                best, best_rank = f"{PROJECT}:{section}.{segment}", rank
    if best:
        return best
    section = sections[0]
    return "" if section in maps else f"{PROJECT}:{section}"
