"""One small component per config map entry, so the resource tree says which entry declared what.

Every ``groups.<key>``, ``servicePrincipals.<key>`` and ``models.<key>`` gets a
:class:`ConfigEntry` named by its key, with the section in its type token:

==========================  ================================================
config entry                type token of its component
==========================  ================================================
``groups.<key>``            ``databricks-ml-entra:config:Group``
``servicePrincipals.<key>`` ``databricks-ml-entra:config:ServicePrincipal``
``models.<key>``            ``databricks-ml-entra:config:Model``
==========================  ================================================

The section components (:mod:`components.groups`, :mod:`components.entra_identity`,
:mod:`components.managed_identities`, :mod:`components.workspace_access`,
:mod:`components.provisioning`, :mod:`components.model_access`) still decide *what* to declare,
but they parent every resource they declare for an entry to that entry's component: the Entra
group and its members, the Databricks group or service principal, its workspace assignment and
entitlements, the app, service principal, credentials and Key Vault secret, the managed
identity and its federated credentials, the model and its ACL or grants. A principal's
``USE_CATALOG`` / ``USE_SCHEMA`` grants belong to the principal (they are shared by the models
that need them), so they sit under the principal's entry. So a URN's parent chain answers
"which line of config declared me" (``…::databricks-ml-entra:config:Group$azuread:index/group:
Group::groups-ml-engineers``) and the gate reads the key instead of guessing it.

The entries carry the Azure and Entra providers; Databricks children name theirs explicitly.
The child names are those of 0.2.0, where the section component was the parent: each moved
child carries an alias to that parent (:func:`entry_child`), so a stack deployed with 0.2.0
updates in place instead of replacing its (protected) groups and identities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

import pulumi

from components._base import child, type_token
from settings import Settings

# The config section a ConfigEntry stands for -> the Type part of its token.
ENTRY_TYPES = {"groups": "Group", "servicePrincipals": "ServicePrincipal", "models": "Model"}
ENTRY_MODULE = "config"


def entry_type(section: str) -> str:
    """``databricks-ml-entra:config:<Type>`` for a config section (``groups``, ...)."""
    return type_token(ENTRY_MODULE, ENTRY_TYPES[section])


class ConfigEntry(pulumi.ComponentResource):
    """The component of one config map entry: its name is the key, its type the section."""

    section: str
    key: str

    def __init__(self, section: str, key: str,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(entry_type(section), key, None, opts)
        self.section = section
        self.key = key
        self.register_outputs({})


@dataclass(frozen=True)
class ConfigEntries:
    """The entry components by key, one mapping per section."""

    groups: Mapping[str, ConfigEntry] = field(default_factory=dict)
    service_principals: Mapping[str, ConfigEntry] = field(default_factory=dict)
    models: Mapping[str, ConfigEntry] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings,
                      opts: Optional[pulumi.ResourceOptions] = None) -> ConfigEntries:
        """One entry per configured group, service principal and model, in config order."""
        return cls(
            groups={k: ConfigEntry("groups", k, opts) for k in s.groups},
            service_principals={k: ConfigEntry("servicePrincipals", k, opts)
                                for k in s.service_principals},
            models={k: ConfigEntry("models", k, opts) for k in s.models})

    def principal(self, key: str) -> Optional[ConfigEntry]:
        """The entry of a group or service principal key (the two never share a key)."""
        return self.groups.get(key) or self.service_principals.get(key)


def entry_child(component: pulumi.Resource, entry: Optional[pulumi.Resource], *,
                protect: bool = False, depends_on: Optional[list[pulumi.Resource]] = None,
                provider: Optional[pulumi.ProviderResource] = None,
                **kwargs: object) -> pulumi.ResourceOptions:
    """Options for a resource a section component declares for one config entry.

    Parented to ``entry`` when the program passes one, aliased to ``component`` (its 0.2.0
    parent, whose URN did not change) so that an existing stack moves it in place. Without an
    entry (a component built on its own, as unit tests do) it stays the component's child.
    """
    if entry is None:
        return child(component, protect=protect, depends_on=depends_on, provider=provider,
                     **kwargs)
    return child(entry, protect=protect, depends_on=depends_on, provider=provider,
                 aliases=[pulumi.Alias(parent=component)], **kwargs)
