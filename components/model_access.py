"""Model registry ACLs for MLflow and Unity Catalog (issue 5 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_databricks as databricks

from components._base import type_token
from components.workspace_access import Principal
from settings import Settings


@dataclass(frozen=True)
class ModelAccessArgs:
    settings: Settings
    principals: dict[str, Principal]
    workspace_provider: databricks.Provider

    @classmethod
    def from_settings(cls, s: Settings, *, principals: dict[str, Principal],
                      workspace_provider: databricks.Provider) -> "ModelAccessArgs":
        return cls(settings=s, principals=principals, workspace_provider=workspace_provider)


class ModelAccess(pulumi.ComponentResource):
    model_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ModelAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("models", "ModelAccess"), name, None, opts)
        self.model_ids = {}
        self.register_outputs({})
