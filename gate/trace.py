"""Trace each captured resource back to the config key that declared it, by reading the tree.

The program parents every resource it declares for a ``groups``, ``servicePrincipals`` or
``models`` entry to that entry's component (:mod:`components.entries`): type
``databricks-ml-entra:config:<Section>``, named by the key. So a resource's config key is the
name of the nearest such component on its parent chain, its section that component's type.

Resources of a section rather than of a map entry are read from the nearest component that
declared them:

* the workspace component's children point at ``workspace``, ``network`` or ``audit`` by the
  service they belong to (one component declares all three), and its hub DNS zone, hub
  resource group, hub endpoints and peerings (``<workspace>-hub-…``, ``<workspace>-pe-hub-…``,
  ``<workspace>-peering-…``) at ``network.hub``;
* the conditional access component's named locations (``<component>-location-<key>``) at
  ``conditionalAccess.namedLocations.<key>``, its policies at ``conditionalAccess``;
* governance's per-group components (``<governance>-<key>`` requests, ``<governance>-<key>-pim``
  eligibility) at ``governance.accessPackages.<key>`` / ``governance.privilegedAccess.<key>``,
  its catalog at ``governance``;
* the Azure Databricks enterprise app's assignments (``<app>-assign-<key>``) at
  ``azureDatabricksApp.additionalAssignments.<key>`` for an additional assignment, else at
  ``azureDatabricksApp.requireAssignment``; the app itself at ``azureDatabricksApp``; everything
  of the client app at ``clientApp``.

Anything else (providers, the Key Vaults, Unity Catalog attachment, provisioning's connector,
the ``users`` baseline, other components) has no ``source_key``.
"""

from __future__ import annotations

from collections.abc import Callable

from gate.model import CapturedResource
from settings import Settings
from settings.model import PROJECT

_TOKEN = "databricks-ml-entra:{}"
# the per-entry components' type tokens (components/entries.py) -> their config section
ENTRY_SECTIONS = {
    _TOKEN.format("config:Group"): "groups",
    _TOKEN.format("config:ServicePrincipal"): "servicePrincipals",
    _TOKEN.format("config:Model"): "models",
}
WORKSPACE = _TOKEN.format("workspace:DatabricksWorkspace")
CONDITIONAL_ACCESS = _TOKEN.format("conditionalaccess:ConditionalAccessPolicies")
GOVERNANCE = _TOKEN.format("governance:Governance")
SELF_SERVICE = _TOKEN.format("governance:SelfServiceAccess")
JUST_IN_TIME = _TOKEN.format("governance:JustInTimeAdmin")
AZURE_DATABRICKS_APP = _TOKEN.format("signin:AzureDatabricksEnterpriseApp")
CLIENT_APP = _TOKEN.format("signin:ClientApplication")

# azure-native module of a workspace child -> its config section
_WORKSPACE_SERVICES = {"network": "network", "privatedns": "network",
                       "operationalinsights": "audit", "monitor": "audit", "aadiam": "audit",
                       "databricks": "workspace", "resources": "workspace"}


# the name parts of the workspace component's network.hub children (components/private_network.py)
_HUB_PARTS = ("hub", "pe-hub", "peering")


def _ns(path: str) -> str:
    return f"{PROJECT}:{path}"


def _suffix(name: str, prefix: str) -> str:
    """``name`` without ``prefix`` ("" when it does not start with it)."""
    return name[len(prefix):] if name.startswith(prefix) else ""


# (resource, name of its component, the component's group key (governance), settings) -> key
_Reader = Callable[[CapturedResource, str, str, Settings], str]


def _workspace(res: CapturedResource, comp: str, _: str, s: Settings) -> str:
    if not res.type.startswith("azure-native:"):
        return ""
    module = res.type.split(":")[1].split("/")[0]
    section = _WORKSPACE_SERVICES.get(module, "")
    if section in ("network", "workspace") and res.name.startswith(
            tuple(f"{comp}-{part}-" for part in _HUB_PARTS)):
        return _ns("network.hub")
    return _ns(section) if section else ""


def _conditional_access(res: CapturedResource, comp: str, _: str, s: Settings) -> str:
    location = _suffix(res.name, f"{comp}-location-")
    if location in s.conditional_access.named_locations:
        return _ns(f"conditionalAccess.namedLocations.{location}")
    return _ns("conditionalAccess")


def _self_service(res: CapturedResource, comp: str, key: str, s: Settings) -> str:
    return _ns(f"governance.accessPackages.{key}") if key else ""


def _just_in_time(res: CapturedResource, comp: str, key: str, s: Settings) -> str:
    return _ns(f"governance.privilegedAccess.{key}") if key else ""


def _azure_databricks_app(res: CapturedResource, comp: str, _: str, s: Settings) -> str:
    assignee = _suffix(res.name, f"{comp}-assign-")
    if assignee in s.azure_databricks_app.additional_assignments:
        return _ns(f"azureDatabricksApp.additionalAssignments.{assignee}")
    return _ns("azureDatabricksApp.requireAssignment" if assignee else "azureDatabricksApp")


# component type -> how it names the config key of a resource below it
_SECTIONS: dict[str, _Reader] = {
    WORKSPACE: _workspace,
    CONDITIONAL_ACCESS: _conditional_access,
    GOVERNANCE: lambda res, comp, key, s: _ns("governance"),
    SELF_SERVICE: _self_service,
    JUST_IN_TIME: _just_in_time,
    AZURE_DATABRICKS_APP: _azure_databricks_app,
    CLIENT_APP: lambda res, comp, key, s: _ns("clientApp"),
}


def _governance_keys(resources: list[CapturedResource], by_urn: dict[str, CapturedResource],
                     settings: Settings) -> dict[str, str]:
    """URN of each governance per-group component -> its group key (its name, less its
    parent's name and, for just-in-time, ``-pim``)."""
    gov = settings.governance
    keys: dict[str, str] = {}
    for r in resources:
        parent = by_urn.get(r.parent)
        if parent is None or gov is None:
            continue
        key = _suffix(r.name, f"{parent.name}-")
        if r.type == SELF_SERVICE and key in gov.access_packages:
            keys[r.urn] = key
        elif r.type == JUST_IN_TIME and key.endswith("-pim") and key[:-4] in gov.privileged_access:
            keys[r.urn] = key[:-4]
    return keys


def entry_key(res: CapturedResource, section: str) -> str:
    """The key of the ``section`` entry (``groups``, ...) that declared ``res``, once traced."""
    prefix = _ns(f"{section}.")
    return res.source_key[len(prefix):] if res.source_key.startswith(prefix) else ""


def trace(resources: list[CapturedResource], settings: Settings) -> None:
    """Fill ``source_key`` on every resource that a config entry or section declared.

    Each parent chain is walked once: a component's answer is kept for its descendants.
    """
    by_urn = {r.urn: r for r in resources}
    governance = _governance_keys(resources, by_urn, settings)
    entry_of: dict[str, str] = {}  # URN -> its config entry's key ("" when none), memoised
    for res in resources:
        if res.type.startswith("pulumi:providers:"):
            continue
        entry = _entry(res, by_urn, entry_of)
        if entry:
            res.source_key = entry
            continue
        if not res.custom:
            continue
        comp = by_urn.get(res.parent)
        while comp is not None and comp.type not in _SECTIONS:
            comp = by_urn.get(comp.parent)
        if comp is None:
            continue
        res.source_key = _SECTIONS[comp.type](res, comp.name, governance.get(comp.urn, ""),
                                              settings)


def _entry(res: CapturedResource, by_urn: dict[str, CapturedResource],
           entry_of: dict[str, str]) -> str:
    """``<project>:<section>.<key>`` of the nearest config entry component at or above ``res``."""
    chain: list[str] = []
    node: CapturedResource | None = res
    found = ""
    while node is not None:
        if node.urn in entry_of:
            found = entry_of[node.urn]
            break
        chain.append(node.urn)
        section = ENTRY_SECTIONS.get(node.type)
        if section:
            found = _ns(f"{section}.{node.name}")
            break
        node = by_urn.get(node.parent)
    for urn in chain:
        entry_of[urn] = found
    return found
