"""Secrets never leak: not into stack outputs, the plan document or any report format."""

from __future__ import annotations

import json
from typing import Any

from gate.capture import Plan
from gate.document import SECRET_TEXT, build_document
from gate.model import Secret
from gate.render_text import render_text

MOCK_SECRET = "mock-secret"  # the value the type-aware mock gives every generated password


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


def test_generated_passwords_are_secret_outputs(plan_prod: Plan) -> None:
    passwords = plan_prod.by_type("azuread:index/applicationPassword:ApplicationPassword")
    assert len(passwords) == 2
    for p in passwords:
        assert isinstance(p.outputs["value"], Secret)


def test_key_vault_secret_value_is_a_pulumi_secret(plan_prod: Plan) -> None:
    (kv,) = plan_prod.by_type("azure-native:keyvault:Secret")
    assert isinstance(kv.inputs["properties"]["value"], Secret)


def test_stack_outputs_carry_no_secret(plan_dev: Plan, plan_prod: Plan) -> None:
    for plan in (plan_dev, plan_prod):
        values = _walk(plan.outputs)
        assert not any(isinstance(v, Secret) for v in values)
        assert MOCK_SECRET not in json.dumps(values, default=str)


def test_reports_mask_secrets(plan_prod: Plan) -> None:
    doc = build_document(plan_prod, "prod", None)
    text = json.dumps(doc)
    assert MOCK_SECRET not in text
    assert SECRET_TEXT in text  # the Key Vault secret's value, masked
    assert MOCK_SECRET not in render_text(doc, None)
