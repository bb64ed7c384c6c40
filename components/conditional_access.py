"""Conditional access for the Databricks apps (issue 3 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components._base import type_token
from settings import Settings
from settings.model import ConditionalAccess


@dataclass(frozen=True)
class ConditionalAccessArgs:
    conditional_access: ConditionalAccess
    group_object_ids: dict[str, pulumi.Output[str]]  # mapped groups only
    sign_in_client_id: pulumi.Input[str]
    environment: str

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: dict[str, pulumi.Output[str]],
                      sign_in_client_id: pulumi.Input[str]) -> "ConditionalAccessArgs":
        mapped = {k: v for k, v in group_object_ids.items() if k in s.mapped_groups}
        return cls(conditional_access=s.conditional_access, group_object_ids=mapped,
                   sign_in_client_id=sign_in_client_id, environment=s.environment.value)


class ConditionalAccessPolicies(pulumi.ComponentResource):
    def __init__(self, name: str, args: ConditionalAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("conditionalaccess", "ConditionalAccessPolicies"), name, None, opts)
        self.register_outputs({})
