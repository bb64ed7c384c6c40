"""The gate's linear-time internals give exactly what the straightforward versions gave.

``trace`` looks config keys up among a name's dash-delimited segments instead of matching one
pattern per key; a stack file is parsed once, with libyaml when available; a stack config too
large for one environment variable is split the way the Python SDK reads it back.
"""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

import pytest
import yaml

from gate.analyzer import PackStartError, PolicyPackSession, _config_environment
from gate.trace import _contains_key, _segments
from settings import SettingsError
from settings.load import load_yaml, read_stack_file

ROOT = Path(__file__).resolve().parents[2]


def test_segments_hold_exactly_the_keys_contains_key_finds() -> None:
    rnd = random.Random(5)
    for _ in range(20_000):
        name = "".join(rnd.choice("ab-") for _ in range(rnd.randint(0, 8)))
        key = "".join(rnd.choice("ab-") for _ in range(rnd.randint(1, 4)))
        assert (key in _segments(name)) == _contains_key(name, key), (name, key)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_file_read_once_gives_the_same_settings_and_config(stack: str) -> None:
    path = ROOT / f"Pulumi.{stack}.yaml"
    settings, raw = read_stack_file(path, stack)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert load_yaml(path.read_text(encoding="utf-8")) == document
    assert set(raw) == set(document["config"])
    assert settings == read_stack_file(path, stack)[0]


def test_invalid_yaml_reads_as_the_pure_python_parser_says(tmp_path: Path) -> None:
    text = "config:\n  a: [1, 2\n  b: 3\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        read_stack_file(path, "dev")
    # The pure-Python parser's words and position, without the snippet of the file it would
    # quote (a line of a stack file can hold a credential).
    mark = expected.value.problem_mark
    assert (f"is not valid YAML: {expected.value.problem} at line {mark.line + 1}, column "
            f"{mark.column + 1}") in raised.value.render()
    assert "b: 3" not in raised.value.render()


def test_small_stack_config_travels_as_one_variable() -> None:
    config = {"proj:size": "3", "proj:name": "x"}
    assert _config_environment(config) == {"PULUMI_CONFIG": json.dumps(config)}


def test_large_stack_config_moves_its_largest_values_to_their_own_variables() -> None:
    config = {"proj:groups": json.dumps({f"team-{i:04d}": {"role": "engineer"}
                                          for i in range(3400)}),
              "proj:size": "3"}
    assert len(json.dumps(config)) > 128 * 1024
    environment = _config_environment(config)
    assert json.loads(environment["PULUMI_CONFIG"]) == {"proj:size": "3"}
    assert environment["PULUMI_CONFIG_PROJ_GROUPS"] == config["proj:groups"]


def test_a_single_value_over_the_limit_is_refused() -> None:
    with pytest.raises(PackStartError, match="PULUMI_CONFIG_PROJ_HUGE"):
        _config_environment({"proj:huge": "x" * (130 * 1024)})


def test_the_pack_reads_a_large_stack_config_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent("""
        import json, sys
        import pulumi
        config = pulumi.Config("proj")
        print(json.dumps([config.get("groups"), config.get("size")]), file=sys.stderr)
        raise SystemExit(3)
    """))
    groups = {f"team-{i:04d}": {"role": "engineer"} for i in range(3400)}
    session = PolicyPackSession(tmp_path, stack="dev", project="proj",
                                stack_config={"proj:groups": groups, "proj:size": 3})
    with pytest.raises(PackStartError) as caught:
        session.start()
    seen_groups, seen_size = json.loads(caught.value.stderr.splitlines()[0])
    assert json.loads(seen_groups) == groups and seen_size == "3"
