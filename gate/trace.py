"""Trace each captured resource back to the config key that produced it.

Components name children ``<component>-<config key>[-<suffix>]`` (STYLE.md: child names from
the component name and a stable key), so a resource's logical name and type family identify
its config entry. Resources that no map entry produced point at their section
(``workspace``, ``network``, ``audit``, ``signInApp``, ``conditionalAccess``).
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
                r"servicePrincipalDelegatedPermissionGrant):"), ("servicePrincipals", "signInApp")),
    (re.compile(r"^azure-native:managedidentity(/[^:]+)?:"), ("servicePrincipals",)),
    (re.compile(r"^azure-native:keyvault(/[^:]+)?:"), ("servicePrincipals",)),
    (re.compile(r"^databricks:index/servicePrincipal:"), ("servicePrincipals",)),
    (re.compile(r"^databricks:index/(mlflowModel|registeredModel|permissions|grants):"),
     ("models",)),
    # USE_CATALOG / USE_SCHEMA grants are per principal, shared by the models that need them.
    (re.compile(r"^databricks:index/grant:"), ("groups", "servicePrincipals")),
    (re.compile(r"^azuread:index/namedLocation:"), ("conditionalAccess.namedLocations",)),
    (re.compile(r"^azuread:index/conditionalAccessPolicy:"), ("conditionalAccess",)),
    (re.compile(r"^azure-native:(network|privatedns)(/[^:]+)?:"), ("network",)),
    (re.compile(r"^azure-native:(operationalinsights|monitor|aadiam)(/[^:]+)?:"), ("audit",)),
    (re.compile(r"^azure-native:(databricks|resources)(/[^:]+)?:"), ("workspace",)),
]


def _maps(settings: Settings) -> dict[str, list[str]]:
    return {
        "groups": list(settings.groups),
        "servicePrincipals": list(settings.service_principals),
        "models": list(settings.models),
        "conditionalAccess.namedLocations": list(settings.conditional_access.named_locations),
    }


def _contains_key(name: str, key: str) -> bool:
    return re.search(rf"(^|-){re.escape(key)}(-|$)", name) is not None


def trace(resources: list[CapturedResource], settings: Settings) -> None:
    """Fill ``source_key`` on every resource that a config entry or section produced."""
    maps = _maps(settings)
    for res in resources:
        if res.type.startswith("pulumi:providers:"):
            continue
        for pattern, sections in _FAMILIES:
            if not pattern.match(res.type):
                continue
            res.source_key = _match(res, sections, maps)
            break


def _match(res: CapturedResource, sections: tuple[str, ...], maps: dict[str, list[str]]) -> str:
    best = ""
    best_len = 0
    for section in sections:
        for key in maps.get(section, []):
            if len(key) > best_len and _contains_key(res.name, key):
                best, best_len = f"{PROJECT}:{section}.{key}", len(key)
    if best:
        return best
    section = sections[-1] if sections[-1] in ("signInApp",) else sections[0]
    return "" if section in maps else f"{PROJECT}:{section}"
