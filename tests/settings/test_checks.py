"""The cross-field checks: typed functions over the validated Settings, each stating its rule.

They see the whole validated model, defaults included, and run once every field is valid.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest

from settings import Problem, Settings, SettingsError, load_stack_file, parse
from settings.checks import CHECKS, check
from settings.load import raw_from_stack_document
from tests.conftest import NS, ROOT, stack_document


def _problems(stack: str, config: dict[str, Any]) -> list[Problem]:
    doc = stack_document(stack)
    doc["config"] = config
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack=stack)
    return info.value.problems


def test_every_check_is_a_typed_generator_over_settings_stating_its_rule() -> None:
    assert len(CHECKS) >= 40
    names = [fn.__name__ for fn in CHECKS]
    assert len(names) == len(set(names)), "two checks share a name"
    for fn in CHECKS:
        assert fn.__name__.startswith("check_"), fn.__name__
        assert inspect.isgeneratorfunction(fn), fn.__name__
        hints = get_type_hints(fn)
        assert list(inspect.signature(fn).parameters) == ["s"], fn.__name__
        assert hints["s"] is Settings and hints["return"] == Iterator[Problem], fn.__name__
        assert (fn.__doc__ or "").strip(), f"{fn.__name__} does not state its rule"


def test_a_check_without_its_rule_is_refused() -> None:
    def check_nothing(s: Settings) -> Iterator[Problem]:
        yield from ()

    before = list(CHECKS)
    with pytest.raises(TypeError, match="docstring"):
        check(check_nothing)
    assert CHECKS == before


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_pass_every_check(stack: str) -> None:
    s = load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    assert [p for fn in CHECKS for p in fn(s)] == []


def test_a_check_sees_a_section_left_at_its_default() -> None:
    """No `provisioning` key: the default mode (automatic identity management) is still judged
    against workspace identity mode."""
    config = stack_document("dev")["config"]
    config.pop(f"{NS}:provisioning", None)
    config[f"{NS}:databricks"]["identityMode"] = "workspace"
    problems = _problems("dev", config)
    found = [p for p in problems if p.key == f"{NS}:provisioning.mode"]
    assert found and "automatic identity management needs account identity mode" in \
        found[0].message
    assert found[0].value == "automatic-identity-management"


def test_field_problems_first_then_the_checks() -> None:
    """A field problem anywhere holds the checks back; the same cross-field problem is reported
    once the fields are valid (with its key, message and value)."""
    config = stack_document("prod")["config"]
    config[f"{NS}:protect"] = False
    cross = _problems("prod", config)
    assert [p.key for p in cross] == [f"{NS}:protect"]
    assert "is false in a prod stack" in cross[0].message and cross[0].value is False

    config[f"{NS}:audit"]["retentionDays"] = "a year"
    fields = _problems("prod", config)
    assert [p.key for p in fields] == [f"{NS}:audit.retentionDays"]
