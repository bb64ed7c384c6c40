"""Entra ID security groups from config (issue 3 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components._base import type_token
from settings import Settings
from settings.model import Group


@dataclass(frozen=True)
class GroupsArgs:
    groups: dict[str, Group]
    protect: bool

    @classmethod
    def from_settings(cls, s: Settings) -> "GroupsArgs":
        return cls(groups=dict(s.groups), protect=s.protect and s.is_prod)


class EntraGroups(pulumi.ComponentResource):
    object_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GroupsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("groups", "EntraGroups"), name, None, opts)
        self.object_ids = {}
        self.register_outputs({"objectIds": self.object_ids})
