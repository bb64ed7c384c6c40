"""Entra groups and service principals mapped into Databricks (issue 5 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

import pulumi
import pulumi_databricks as databricks

from components._base import type_token
from settings import Settings


@dataclass(frozen=True)
class Principal:
    """A principal as model ACLs name it."""

    key: str
    kind: Literal["group", "service-principal"]
    acl_name: pulumi.Output[str]  # group display name, or service principal application id
    is_operator: bool  # admin group or deployer: always keeps CAN_MANAGE


@dataclass(frozen=True)
class WorkspaceAccessArgs:
    settings: Settings
    workspace_id: pulumi.Input[str]
    group_object_ids: dict[str, pulumi.Output[str]]
    client_ids: dict[str, pulumi.Output[str]]
    account_provider: databricks.Provider
    workspace_provider: databricks.Provider

    @classmethod
    def from_settings(cls, s: Settings, *, workspace_id: pulumi.Input[str],
                      group_object_ids: dict[str, pulumi.Output[str]],
                      client_ids: dict[str, pulumi.Output[str]],
                      account_provider: databricks.Provider,
                      workspace_provider: databricks.Provider) -> "WorkspaceAccessArgs":
        return cls(settings=s, workspace_id=workspace_id, group_object_ids=group_object_ids,
                   client_ids=client_ids, account_provider=account_provider,
                   workspace_provider=workspace_provider)


class WorkspaceAccess(pulumi.ComponentResource):
    principals: dict[str, Principal]

    def __init__(self, name: str, args: WorkspaceAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("access", "WorkspaceAccess"), name, None, opts)
        self.principals = {}
        self.register_outputs({})
