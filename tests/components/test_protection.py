"""``protect`` has one meaning, owned by ``Settings.protect_critical``.

The critical resources (workspace, resource groups, Log Analytics, groups, app registrations and
service principals, ACLs and grants, models, governance objects, Key Vault) follow ``protect`` in
every environment; prod must set it true. Credentials and plumbing are never protected.
"""

from __future__ import annotations

from collections import defaultdict

from gate.capture import Plan
from settings import Settings
from tests.conftest import NS, plan_for


def _protection_by_type(plan: Plan) -> dict[str, set[bool]]:
    by_type: dict[str, set[bool]] = defaultdict(set)
    for r in plan.resources:
        if r.custom:
            by_type[r.type].add(bool(r.protect))
    return by_type


def _dev_with_protect(value: bool) -> Plan:
    def mutate(config: dict[str, object]) -> None:
        config[f"{NS}:protect"] = value
    return plan_for("dev", mutate)


def test_protect_true_protects_the_same_kinds_in_dev_as_in_prod(plan_prod: Plan) -> None:
    dev, prod = _protection_by_type(_dev_with_protect(True)), _protection_by_type(plan_prod)
    # Each kind is either always or never protected: no component has a meaning of its own.
    assert all(len(v) == 1 for v in dev.values()), dev
    assert all(len(v) == 1 for v in prod.values()), prod
    shared = set(dev) & set(prod)
    assert {t for t in shared if dev[t] == {True}} == {t for t in shared if prod[t] == {True}}
    # The critical kinds the README names are among them.
    for token in ("azure-native:databricks:Workspace", "azure-native:resources:ResourceGroup",
                  "azure-native:operationalinsights:Workspace", "azuread:index/group:Group",
                  "azuread:index/application:Application",
                  "azuread:index/servicePrincipal:ServicePrincipal",
                  "databricks:index/registeredModel:RegisteredModel",
                  "databricks:index/grants:Grants"):
        assert dev[token] == {True}, token
    # Credentials are never protected: rotation must replace them.
    assert dev["azuread:index/applicationPassword:ApplicationPassword"] == {False}


def test_protect_false_protects_nothing(plan_dev: Plan) -> None:
    assert not any(r.protect for r in plan_dev.resources)


def test_protect_critical_is_protect(settings_dev: Settings, settings_prod: Settings) -> None:
    assert settings_dev.protect_critical is settings_dev.protect is False
    assert settings_prod.protect_critical is settings_prod.protect is True
