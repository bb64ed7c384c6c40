"""The gate's linear-time internals give exactly what the straightforward versions gave.

``decode_struct`` walks the protobuf instead of going through
``MessageToDict``; a stack file is parsed once, with libyaml when available; a stack config too
large for one environment variable is split the way the Python SDK reads it back.
"""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format, struct_pb2

from gate.analyzer import PackStartError, PolicyPackSession, _config_environment
from gate.capture import _decode, decode_struct
from gate.model import UNKNOWN, Secret
from gate.pack_wire import (
    RESOURCE_REFERENCE_SIG,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN_STRING_VALUE,
)
from settings import SettingsError
from settings.load import load_yaml, read_stack_file

ROOT = Path(__file__).resolve().parents[2]
SIG = SPECIAL_SIG_KEY
UNKNOWN_WIRE = UNKNOWN_STRING_VALUE


def _reference(struct: struct_pb2.Struct) -> Any:
    decoded = _decode(json_format.MessageToDict(struct, preserving_proto_field_name=True))
    return decoded if isinstance(decoded, dict) else {}


def _comparable(value: Any) -> Any:
    if isinstance(value, Secret):
        return ("secret", _comparable(value.value))
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return (type(value).__name__, value)


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    choice = rnd.randint(0, 9 if depth < 3 else 4)
    if choice == 0:
        return None
    if choice == 1:
        return rnd.choice([True, False])
    if choice == 2:
        return rnd.choice([0, 1.0, 2.5, -3, 1e20, 123456789012.0])
    if choice == 3:
        return rnd.choice(["x", "", UNKNOWN_WIRE])
    if choice in (4, 5):
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    if choice == 6:
        return {SIG: SECRET_SIG, "value": _random_value(rnd, depth + 1)}
    if choice == 7:
        ref: dict[str, Any] = {SIG: RESOURCE_REFERENCE_SIG, "urn": "urn:x"}
        if rnd.random() < 0.7:
            ref["id"] = rnd.choice(["", "an-id", UNKNOWN_WIRE])
        return ref
    if choice == 8:
        return {SIG: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "secret": rnd.random() < 0.5,
                **({"value": _random_value(rnd, depth + 1)} if rnd.random() < 0.7 else {})}
    return {f"k{i}": _random_value(rnd, depth + 1) for i in range(rnd.randint(0, 4))}


def test_decode_struct_matches_the_message_to_dict_path() -> None:
    rnd = random.Random(11)
    for _ in range(5_000):
        struct = struct_pb2.Struct()
        struct.update({f"k{i}": _random_value(rnd) for i in range(rnd.randint(0, 4))})
        assert _comparable(decode_struct(struct)) == _comparable(_reference(struct))


def test_decode_struct_matches_on_the_shipped_plans(plan_prod: Any, plan_dev: Any) -> None:
    from gate.analyzer import to_wire_value

    for plan in (plan_prod, plan_dev):
        for resource in plan.resources:
            for values in (resource.inputs, resource.outputs):
                struct = struct_pb2.Struct()
                struct.update(to_wire_value(values))
                assert _comparable(decode_struct(struct)) == _comparable(_reference(struct))


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
    # quote (a line of a stack file can hold a credential: issue 14.1).
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
