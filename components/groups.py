"""Entra ID security groups from config.

Membership is owned by Entra (access reviews, PIM, dynamic rules, HR provisioning): a group is
declared without ``members``, so the provider never reconciles who is in it and the number of
resources does not grow with people. The one exception is a group's explicit ``members`` list,
bounded by settings (25 at most), for small setups: one ``GroupMember`` per member, named after
the member's object id so that reordering the list replaces nothing.

A group's resources sit under its ``config:Group`` entry (:mod:`components.entries`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_azuread as azuread

from components._base import type_token
from components.entries import entry_child
from settings import Settings
from settings.model import Group


@dataclass(frozen=True)
class GroupsArgs:
    """Inputs of :class:`EntraGroups`: the groups by config key, ``protect_critical``, and the
    config entries (:mod:`components.entries`) their resources are declared under."""

    groups: dict[str, Group]
    protect: bool
    entries: Mapping[str, pulumi.Resource] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings,
                      entries: Optional[Mapping[str, pulumi.Resource]] = None) -> GroupsArgs:
        return cls(groups=dict(s.groups), protect=s.protect_critical, entries=dict(entries or {}))


def unique_members(group: Group) -> list[str]:
    """The explicit members, each once, in config order (object ids are case-insensitive)."""
    return list(dict.fromkeys(m.lower() for m in group.members))


class EntraGroups(pulumi.ComponentResource):
    """One security group per config key, each under its ``config:Group`` entry (when given);
    ``object_ids`` maps each key to its object id."""

    object_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GroupsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("groups", "EntraGroups"), name, None, opts)
        self.object_ids = {key: self._group(name, key, spec, args.protect, args.entries.get(key))
                           for key, spec in args.groups.items()}
        self.register_outputs({"objectIds": self.object_ids})

    def _group(self, name: str, key: str, spec: Group, protect: bool,
               entry: Optional[pulumi.Resource]) -> pulumi.Output[str]:
        group = azuread.Group(
            f"{name}-{key}",
            display_name=spec.display_name,
            description=spec.description,
            owners=list(spec.owners),
            security_enabled=True,
            mail_enabled=False,
            prevent_duplicate_names=True,
            opts=entry_child(self, entry, protect=protect),
        )
        for member in unique_members(spec):
            azuread.GroupMember(
                f"{name}-{key}-member-{member}",
                group_object_id=group.object_id,
                member_object_id=member,
                opts=entry_child(self, entry),
            )
        return group.object_id
