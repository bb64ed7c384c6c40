"""How the pack is declared: each policy on its check, each family registered, one order.

A rule module that is not listed in ``rules.FAMILIES`` would silently drop its policies from
the pack; a domain whose families are not adjacent would reorder the pack (and its reports and
catalogue) behind the declaration order. Both fail here, as does a check with no description.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import rules
from pulumi_policy import ResourceValidationArgs, Severity
from rules._policy import Controls, Family

POLICIES_DIR = Path(rules.__file__).resolve().parent.parent
RULES_DIR = POLICIES_DIR / "rules"
FAMILY_MODULES = sorted(p.stem for p in RULES_DIR.glob("*.py") if not p.stem.startswith("_"))
MAX_LINES = 450
PACK_FILES = sorted([*POLICIES_DIR.glob("*.py"), *RULES_DIR.glob("*.py")])


def test_every_rule_module_is_a_registered_family() -> None:
    registered = {id(family) for family in rules.FAMILIES}
    for name in FAMILY_MODULES:
        module = importlib.import_module(f"rules.{name}")
        family = getattr(module, "policy", None)
        assert isinstance(family, Family), f"rules/{name}.py declares no `policy = Family(...)`"
        assert family.policies, f"rules/{name}.py declares no policy"
        assert id(family) in registered, f"rules/{name}.py is not listed in rules.FAMILIES"
    assert len(rules.FAMILIES) == len(FAMILY_MODULES)


def test_the_pack_order_is_the_family_order() -> None:
    domains = [family.domain for family in rules.FAMILIES]
    adjacent = [d for i, d in enumerate(domains) if i == 0 or domains[i - 1] != d]
    assert len(adjacent) == len(set(adjacent)), f"a domain's families are split: {domains}"
    declared = [p for family in rules.FAMILIES for p in family.policies]
    assert [p.name for p in rules.ALL_POLICIES] == [p.name for p in declared]
    assert list(rules.DOMAINS) == adjacent


def test_the_description_is_the_first_paragraph_of_the_docstring() -> None:
    family = Family("test")

    @family.resource(name="t-rule", types=["t:index/t:T"], severity=Severity.LOW,
                     controls=Controls(soc2=("CC6.1",)), remediation="Fix it.")
    def check(args: ResourceValidationArgs, report: rules._common.Report) -> None:
        """Resources are compliant,
        across two lines.

        Explanation for readers, not published.
        """

    assert family.policies[0].description == "Resources are compliant, across two lines."
    assert family.policies[0].framework.specification == family.policies[0].description
    assert family.policies[0].tags == ["domain:test", "soc2:CC6.1"]


def test_a_check_without_a_docstring_is_refused() -> None:
    family = Family("test")
    declare = family.stack(name="t-rule", severity=Severity.LOW,
                           controls=Controls(soc2=("CC6.1",)), remediation="Fix it.")
    with pytest.raises(TypeError, match="needs a docstring"):
        declare(lambda args, report: None)
    assert family.policies == []


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.name)
def test_every_file_of_the_pack_reads_in_one_sitting(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(POLICIES_DIR)} has {lines} lines"


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.name)
def test_the_pack_never_imports_the_program(path: Path) -> None:
    """The pack is an independent control: it keeps its own copies (test_policy_copies_agree)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0]
    assert not [m for m in imported if re.match(r"^(settings|gate|components)(\.|$)", m)]
