"""Entra ID sign-in app, consent, automation service principals (issue 3 fills the resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from components._base import type_token
from settings import Settings
from settings.model import ServicePrincipal, SignInApp


@dataclass(frozen=True)
class EntraIdentityArgs:
    sign_in_app: SignInApp
    service_principals: dict[str, ServicePrincipal]  # kinds federated and secret only
    group_object_ids: dict[str, pulumi.Output[str]]  # mapped groups, assigned to the sign-in app
    tenant_id: str
    is_prod: bool
    protect: bool

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: dict[str, pulumi.Output[str]]) -> "EntraIdentityArgs":
        sps = {k: sp for k, sp in s.service_principals.items() if sp.kind != "managed-identity"}
        mapped = {k: v for k, v in group_object_ids.items() if k in s.mapped_groups}
        return cls(sign_in_app=s.sign_in_app, service_principals=sps, group_object_ids=mapped,
                   tenant_id=s.tenant_id, is_prod=s.is_prod, protect=s.protect)


class EntraIdentity(pulumi.ComponentResource):
    sign_in_client_id: pulumi.Output[str]
    client_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: EntraIdentityArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(type_token("entra", "EntraIdentity"), name, None, opts)
        self.sign_in_client_id = pulumi.Output.from_input("")
        self.client_ids = {}
        self.register_outputs({"signInClientId": self.sign_in_client_id})
