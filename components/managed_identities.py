"""User-assigned managed identities for automation and agents (issue 9 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components._base import type_token
from settings import Settings
from settings.model import ServicePrincipal


@dataclass(frozen=True)
class ManagedIdentitiesArgs:
    identities: dict[str, ServicePrincipal]  # kind managed-identity only
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]

    @classmethod
    def from_settings(cls, s: Settings, *, resource_group_name: pulumi.Input[str]) -> "ManagedIdentitiesArgs":
        ids = {k: sp for k, sp in s.service_principals.items() if sp.kind == "managed-identity"}
        return cls(identities=ids, resource_group_name=resource_group_name, location=s.location,
                   tags=s.all_tags)


class ManagedIdentities(pulumi.ComponentResource):
    client_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ManagedIdentitiesArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("identity", "ManagedIdentities"), name, None, opts)
        self.client_ids = {}
        self.register_outputs({"clientIds": self.client_ids})
