"""Azure rights of the read-only preview identity (``previewer``): Reader, nothing else.

Pull-request previews (and the scheduled drift check) run as this identity, never as the admin
deployer. ``pulumi preview`` and ``pulumi refresh --preview-only`` read: the built-in **Reader**
role on the stack's resource group lets the identity read every Azure resource the stack
declares there and change none. The assignment is declared here (azure-native,
``Microsoft.Authorization/roleAssignments``, ARM endpoint, by the deployer, who holds Owner or
User Access Administrator) after the resource group exists; deleting the stack removes it.
Entra read rights (Directory Readers) and resource groups outside the stack (a Key Vault's)
are granted by an administrator: README, "Adopting the CI workflow".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native.authorization as authorization

from components._base import child, type_token
from settings import Settings

# Built-in role "Reader" (the same id in every tenant).
READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


@dataclass(frozen=True)
class PreviewAccessArgs:
    previewer: str
    subscription_id: str
    resource_group_name: pulumi.Input[str]
    principal_object_id: pulumi.Input[str]

    @classmethod
    def from_settings(cls, s: Settings, *, resource_group_name: pulumi.Input[str],
                      object_ids: dict[str, pulumi.Output[str]]) -> Optional[PreviewAccessArgs]:
        """None when the stack names no preview identity."""
        if s.previewer is None:
            return None
        return cls(previewer=s.previewer, subscription_id=s.subscription_id,
                   resource_group_name=resource_group_name,
                   principal_object_id=object_ids[s.previewer])


class PreviewAccess(pulumi.ComponentResource):
    """Reader on the stack's resource group for the preview identity."""

    def __init__(self, name: str, args: PreviewAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("identity", "PreviewAccess"), name, None, opts)
        scope = pulumi.Output.concat("/subscriptions/", args.subscription_id,
                                     "/resourceGroups/", args.resource_group_name)
        # A stable GUID per (subscription, preview identity, role): re-runs never duplicate it.
        assignment_name = str(uuid.uuid5(uuid.NAMESPACE_URL, (
            f"databricks-ml-entra/{args.subscription_id}/{args.previewer}/{READER_ROLE_ID}")))
        assignment = authorization.RoleAssignment(
            f"{name}-reader",
            role_assignment_name=assignment_name,
            scope=scope,
            role_definition_id=(f"/subscriptions/{args.subscription_id}/providers/"
                                f"Microsoft.Authorization/roleDefinitions/{READER_ROLE_ID}"),
            principal_id=args.principal_object_id,
            # Set for a principal created in the same deployment: ARM then does not wait for
            # Entra replication to find it.
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            description=f"Read-only preview identity {args.previewer} (pull-request previews)",
            opts=child(self))
        self.role_assignment_id = assignment.id
        self.register_outputs({"roleAssignmentId": self.role_assignment_id})
