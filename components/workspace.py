"""Hardened Azure Databricks workspace with audit logging (issue 4 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components._base import type_token
from settings import Settings
from settings.model import Audit, Network, Workspace


@dataclass(frozen=True)
class WorkspaceArgs:
    workspace: Workspace
    network: Network
    audit: Audit
    location: str
    tenant_id: str
    tags: dict[str, str]
    is_prod: bool
    protect: bool

    @classmethod
    def from_settings(cls, s: Settings) -> "WorkspaceArgs":
        return cls(workspace=s.workspace, network=s.network, audit=s.audit, location=s.location,
                   tenant_id=s.tenant_id, tags=s.all_tags, is_prod=s.is_prod, protect=s.protect)


class DatabricksWorkspace(pulumi.ComponentResource):
    workspace_url: pulumi.Output[str]
    workspace_resource_id: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    managed_resource_group_id: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("workspace", "DatabricksWorkspace"), name, None, opts)
        self.workspace_url = pulumi.Output.from_input("")
        self.workspace_resource_id = pulumi.Output.from_input("")
        self.workspace_id = pulumi.Output.from_input("")
        self.managed_resource_group_id = pulumi.Output.from_input("")
        self.resource_group_name = pulumi.Output.from_input(args.workspace.resource_group_name)
        self.register_outputs({"workspaceUrl": self.workspace_url})
