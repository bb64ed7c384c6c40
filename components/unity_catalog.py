"""The workspace's Unity Catalog metastore assignment and default catalog.

``databricks.metastoreId`` assigns the workspace to that metastore with a
``MetastoreAssignment`` through the **account** provider (account API
``/api/2.0/accounts/<account>/workspaces/<id>/metastores/<metastore>``, reachable from the
internet whatever the workspace's network; needs a Databricks account admin). The provider
infers the account API from the account host. ``databricks.defaultCatalog`` sets the
workspace's default catalog with ``DefaultNamespaceSetting`` through the workspace provider
(the replacement the provider documents for the deprecated ``default_catalog_name`` of the
assignment; it needs a workspace admin and takes effect after a compute restart).

Every Unity Catalog object of the stack (registered models, their grants, the USE_CATALOG /
USE_SCHEMA grants) depends on :attr:`MetastoreAttachment.ready`, so none is created before the
workspace has a metastore. In prod the assignment is protected: removing it would cut the
workspace off every catalog. ``destroy`` (with protection off) unassigns the metastore; the
metastore and its data stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_databricks as databricks

from components._base import child, type_token
from components.workspace_access import numeric_workspace_id
from settings import Settings


@dataclass(frozen=True)
class MetastoreAttachmentArgs:
    metastore_id: str
    default_catalog: Optional[str]
    workspace_id: pulumi.Input[str]
    account_provider: databricks.Provider
    workspace_provider: databricks.Provider
    protect: bool = False

    @classmethod
    def from_settings(cls, s: Settings, *, workspace_id: pulumi.Input[str],
                      account_provider: databricks.Provider,
                      workspace_provider: databricks.Provider) -> MetastoreAttachmentArgs:
        if s.databricks.metastore_id is None:
            raise ValueError("databricks.metastoreId is not set: nothing to assign")
        return cls(metastore_id=s.databricks.metastore_id,
                   default_catalog=s.databricks.default_catalog, workspace_id=workspace_id,
                   account_provider=account_provider, workspace_provider=workspace_provider,
                   protect=s.protect_critical)


class MetastoreAttachment(pulumi.ComponentResource):
    """Assigns the workspace to its metastore, then sets its default catalog."""

    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: MetastoreAttachmentArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("catalog", "MetastoreAttachment"), name, None, opts)
        assignment = databricks.MetastoreAssignment(
            f"{name}-assignment", metastore_id=args.metastore_id,
            workspace_id=numeric_workspace_id(args.workspace_id),
            opts=child(self, protect=args.protect, provider=args.account_provider))
        self.ready = [assignment]
        if args.default_catalog is not None:
            self.ready.append(databricks.DefaultNamespaceSetting(
                f"{name}-default-catalog",
                namespace=databricks.DefaultNamespaceSettingNamespaceArgs(
                    value=args.default_catalog),
                opts=child(self, provider=args.workspace_provider, depends_on=[assignment])))
        self.register_outputs({"metastoreId": args.metastore_id,
                               "defaultCatalog": args.default_catalog})
