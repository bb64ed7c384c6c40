"""Rules for the managed identities, checked on the real program's plan.

A service principal of kind ``managed-identity`` is one user-assigned identity with its
federated credentials, and no secret of any kind: no password, no certificate, no app
registration that could carry one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gate.capture import Plan
from gate.model import CapturedResource
from settings import Settings, SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, plan_for, stack_document

UAMI = "azure-native:managedidentity:UserAssignedIdentity"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
STACKS = ("dev", "prod")


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> tuple[Plan, Settings]:
    return (request.getfixturevalue(f"plan_{request.param}"),
            request.getfixturevalue(f"settings_{request.param}"))


def managed(s: Settings) -> dict[str, Any]:
    return {k: sp for k, sp in s.service_principals.items() if sp.kind == "managed-identity"}


def identity_for(plan: Plan, display_name: str) -> CapturedResource:
    found = [r for r in plan.by_type(UAMI) if r.inputs["resourceName"] == display_name]
    assert len(found) == 1, f"{display_name}: {len(found)} user-assigned identities"
    return found[0]


def strings(value: Any) -> Iterator[str]:
    """Every string inside a captured value (inputs are nested dicts and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)
    elif hasattr(value, "value"):  # Secret
        yield from strings(value.value)


def test_shipped_stacks_declare_managed_identities(settings_dev: Settings,
                                                   settings_prod: Settings) -> None:
    assert managed(settings_dev) and len(managed(settings_prod)) >= 2


def test_one_identity_per_managed_identity_principal(stack: tuple[Plan, Settings]) -> None:
    plan, s = stack
    wanted = managed(s)
    assert len(plan.by_type(UAMI)) == len(wanted)
    for sp in wanted.values():
        identity = identity_for(plan, sp.display_name)
        assert identity.inputs["resourceGroupName"] == s.workspace.resource_group_name
        assert identity.inputs["location"] == s.location


def test_federated_credentials_match_the_config(stack: tuple[Plan, Settings]) -> None:
    plan, s = stack
    expected = {(sp.display_name, fk, fc.issuer, fc.subject, (fc.audience,))
                for sp in managed(s).values() for fk, fc in sp.federated_credentials.items()}
    declared = {(r.inputs["resourceName"], r.inputs["federatedIdentityCredentialResourceName"],
                 r.inputs["issuer"], r.inputs["subject"], tuple(r.inputs["audiences"]))
                for r in plan.by_type(FIC)}
    assert declared == expected
    assert len(plan.by_type(FIC)) == len(expected)
    for r in plan.by_type(FIC):
        identity = identity_for(plan, r.inputs["resourceName"])
        assert identity.urn in r.dependencies  # created on the identity, after it
        assert r.inputs["resourceGroupName"] == identity.inputs["resourceGroupName"]


def test_credentials_of_one_identity_are_written_one_at_a_time() -> None:
    """Azure rejects concurrent federated-credential writes on one identity."""
    def mutate(cfg: dict[str, Any]) -> None:
        creds = cfg[f"{NS}:servicePrincipals"]["risk-agent"]["federatedCredentials"]
        creds["aks-risk-agent-canary"] = dict(creds["aks-risk-agent"],
                                              subject="system:serviceaccount:risk-agent:canary")

    plan = plan_for("dev", mutate)
    first, second = plan.by_type(FIC)
    assert first.urn in second.dependencies or second.urn in first.dependencies


def test_client_ids_are_the_identities_client_ids(stack: tuple[Plan, Settings]) -> None:
    plan, s = stack
    exported = plan.outputs["servicePrincipalApplicationIds"]
    for key, sp in managed(s).items():
        assert exported[key] == identity_for(plan, sp.display_name).outputs["clientId"]


def test_no_secret_can_exist_for_a_managed_identity(stack: tuple[Plan, Settings]) -> None:
    plan, s = stack
    for key, sp in managed(s).items():
        identity = identity_for(plan, sp.display_name)
        markers = {identity.id, identity.outputs["clientId"], identity.outputs["principalId"],
                   sp.display_name}
        for r in plan.resources:
            kind = r.type.rsplit(":", 1)[-1]
            credential = kind.endswith(("Password", "Certificate", "Secret"))
            registration = kind in ("Application", "ApplicationRegistration")
            if not (credential or registration):
                continue
            assert not markers & set(strings(r.inputs)), f"{r.type} {r.name} targets {key}"
            assert key not in r.name.split("-"), f"{r.type} {r.name} is named after {key}"


def test_other_kinds_get_no_managed_identity(stack: tuple[Plan, Settings]) -> None:
    plan, s = stack
    others = {sp.display_name for sp in s.service_principals.values()
              if sp.kind != "managed-identity"}
    assert not others & {r.inputs["resourceName"] for r in plan.by_type(UAMI)}


def test_an_identity_name_must_be_a_valid_azure_resource_name() -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:servicePrincipals"]["risk-agent"]["displayName"] = "Risk agent (AKS)"
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")
    assert [p.key for p in info.value.problems] == [
        f"{NS}:servicePrincipals.risk-agent.displayName"]


def test_identities_declare_their_databricks_role_and_purpose(
        stack: tuple[Plan, Settings]) -> None:
    """The tags the policy managed-identity-role-matches-purpose checks the rights against."""
    plan, s = stack
    for sp in managed(s).values():
        tags = identity_for(plan, sp.display_name).inputs["tags"]
        assert tags["databricks-role"] == sp.role.value
        assert tags["purpose"] == sp.purpose[:256]
        assert {k: tags[k] for k in s.all_tags} == s.all_tags


def test_a_long_purpose_is_cut_to_the_azure_tag_limit() -> None:
    def mutate(cfg: dict[str, Any]) -> None:
        cfg[f"{NS}:servicePrincipals"]["risk-agent"]["purpose"] = "Reads models. " * 30

    plan = plan_for("dev", mutate)
    (identity,) = plan.by_type(UAMI)
    assert identity.inputs["tags"]["purpose"] == ("Reads models. " * 30)[:256]
    assert identity.inputs["tags"]["databricks-role"] == "agent"
