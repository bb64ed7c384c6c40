"""Issue 14.2: a stack cannot choose how strictly it is judged (stacks.json binds it)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml

from gate.cli import main
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from settings.stacks import STACKS_FILE, environment_of, stack_environments
from tests.conftest import NS, ROOT, stack_document

WORKFLOW = ROOT / ".github" / "workflows" / "infrastructure.yml"


def test_every_shipped_stack_is_mapped_and_has_its_policy_config() -> None:
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    assert stacks and set(stacks) <= set(stack_environments())
    for stack in stacks:
        assert (ROOT / "policies" / "config" / f"{environment_of(stack)}.json").exists()


def test_prod_stack_file_saying_dev_is_refused() -> None:
    doc = stack_document("prod")
    doc["config"][f"{NS}:environment"] = "dev"
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack="prod")
    text = info.value.render()
    assert f"{NS}:environment" in text and "stacks.json" in text


def test_prod_without_environment_key_is_still_prod() -> None:
    doc = stack_document("prod")
    doc["config"].pop(f"{NS}:environment", None)
    assert parse(raw_from_stack_document(doc, "x"), stack="prod").is_prod


def test_prod_config_under_another_stack_name_is_refused() -> None:
    """Relabelling: the prod file under an unmapped stack name gets no lenient judgement."""
    doc = stack_document("prod")
    with pytest.raises(SettingsError) as info:
        parse(raw_from_stack_document(doc, "x"), stack="prod-lenient")
    assert "stacks.json" in info.value.render()


def test_gate_refuses_an_unknown_stack_and_a_disagreeing_file(tmp_path: Path) -> None:
    relabelled = tmp_path / "Pulumi.staging.yaml"
    relabelled.write_text(yaml.safe_dump(stack_document("prod")), encoding="utf-8")
    err = io.StringIO()
    assert main(["staging", "--stack-file", str(relabelled), "-q"], stdout=io.StringIO(),
                stderr=err) == 2
    assert "stacks.json" in err.getvalue()
    doc = stack_document("prod")
    doc["config"][f"{NS}:environment"] = "dev"
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    err = io.StringIO()
    assert main(["prod", "--stack-file", str(path), "-q"], stdout=io.StringIO(),
                stderr=err) == 2
    assert "cannot choose how strictly it is judged" in err.getvalue()


def test_mapping_is_valid_json_with_known_environments() -> None:
    doc = json.loads(STACKS_FILE.read_text(encoding="utf-8"))
    assert set(doc["stacks"].values()) <= {"dev", "prod"}


def _workflow_policy_configs() -> list[tuple[str, str]]:
    """(stack expression, policy config expression) for every pulumi step of the workflow."""
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    found = []
    for job in doc["jobs"].values():
        matrix = ((job.get("strategy") or {}).get("matrix") or {}).get("stack")
        for step in job.get("steps", []):
            with_ = step.get("with") or {}
            if "policyPackConfigs" in with_:
                stacks = matrix or [with_["stack-name"].rsplit("/", 1)[-1]]
                if not isinstance(stacks, list):
                    stacks = [stacks]
                for stack in stacks:
                    # An expression (matrix include, inputs): check it for every mapped stack.
                    names = sorted(stack_environments()) if "${{" in str(stack) else [stack]
                    found += [(n, with_["policyPackConfigs"]) for n in names]
    return found


def _resolve(expression: str, stack: str) -> str:
    """Substitute the expressions the workflow may use to pick a policy config."""
    env = environment_of(stack)
    text = expression.replace("${{ matrix.stack }}", stack)
    return re.sub(r"\$\{\{\s*(steps\.\w+\.outputs\.environment|env\.ENVIRONMENT)\s*\}\}", env,
                  text)


def test_workflow_policy_config_agrees_with_the_mapping() -> None:
    """The CI workflow and `pulumi preview --policy-pack-config` judge each stack as the gate."""
    pairs = _workflow_policy_configs()
    assert pairs, "the workflow passes no policy config to pulumi"
    for stack, expression in pairs:
        chosen = _resolve(expression, stack)
        assert chosen == f"policies/config/{environment_of(stack)}.json", (stack, expression)
        # Read from the mapping, not spelled per stack: a stack whose name differs from its
        # environment is judged by the same config in the workflow as in the gate.
        assert "outputs.environment" in expression, expression


def test_workflow_reads_the_environment_from_stacks_json() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for job in doc["jobs"].values():
        steps = job.get("steps", [])
        ids = {step.get("id"): step for step in steps}
        for step in steps:
            config = (step.get("with") or {}).get("policyPackConfigs")
            if config is None:
                continue
            match = re.search(r"steps\.(\w+)\.outputs\.environment", config)
            assert match, config
            source = ids[match.group(1)]
            assert "stacks.json" in source["run"] and "GITHUB_OUTPUT" in source["run"]
            assert steps.index(source) < steps.index(step)
