"""Deliberately non-compliant configs, one per rule family, each caught by the gate end to end.

Every folder of ``tests/fixtures/noncompliant/`` holds one stack file (``Pulumi.<stack>.yaml``,
derived from the shipped one with the smallest change that breaks the baseline), optionally a
``policy-config.json``, and an ``expect.json``:

* ``{"exit": 1, "caughtBy": "policy", "rules": [...]}``: settings accept the config and the
  policy pack rejects it; each rule must be among the mandatory violations of the JSON report;
* ``{"exit": 2, "caughtBy": "settings", "keys": [...]}``: the settings layer is the control
  that refuses it before any resource is registered; each key must be named on stderr.

The gate runs as a real subprocess (``python -m gate``) from the repository root, as CI runs it.
The runs are started together, two at a time, and each test waits for its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.document import load_schema

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "noncompliant"
FAMILIES = ("workspace", "entra", "conditional-access", "databricks-access", "secrets",
            "identities", "governance")
GATE_TIMEOUT_SECONDS = 300
WORKERS = 2


@dataclass(frozen=True)
class Fixture:
    """One non-compliant config and what the gate must do with it."""

    family: str
    stack: str
    stack_file: Path
    policy_config: Path | None
    expect: dict[str, Any]

    @classmethod
    def load(cls, family: str) -> Fixture:
        folder = FIXTURES / family
        (stack_file,) = sorted(folder.glob("Pulumi.*.yaml"))
        stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = folder / "policy-config.json"
        expect = json.loads((folder / "expect.json").read_text(encoding="utf-8"))
        return cls(family, stack, stack_file, config if config.exists() else None, expect)

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "gate", self.stack, "--stack-file", str(self.stack_file),
                "--format", "json", "--quiet"]
        if self.policy_config is not None:
            argv += ["--policy-pack-config", str(self.policy_config)]
        return argv


def run_gate(fixture: Fixture) -> subprocess.CompletedProcess[str]:
    return subprocess.run(fixture.argv(), cwd=ROOT, capture_output=True, text=True,
                          timeout=GATE_TIMEOUT_SECONDS, check=False)


@pytest.fixture(scope="module")
def gate_runs() -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """Every fixture's gate run, submitted at once to a two-worker pool."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        runs = {family: pool.submit(run_gate, Fixture.load(family)) for family in FAMILIES}
        yield runs
        for future in runs.values():
            future.cancel()


def test_one_fixture_per_rule_family() -> None:
    found = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert found == sorted(FAMILIES)
    for family in FAMILIES:
        fixture = Fixture.load(family)
        expect = fixture.expect
        assert fixture.stack in ("dev", "prod"), family
        if expect["exit"] == 1:
            assert expect["caughtBy"] == "policy" and expect["rules"], family
        else:
            assert expect["exit"] == 2, family
            assert expect["caughtBy"] == "settings" and expect["keys"], family


@pytest.mark.parametrize("family", FAMILIES)
def test_the_gate_catches_the_fixture(
        family: str, gate_runs: dict[str, Future[subprocess.CompletedProcess[str]]]) -> None:
    fixture = Fixture.load(family)
    result = gate_runs[family].result()
    expect = fixture.expect
    assert result.returncode == expect["exit"], result.stderr[-3000:]
    if expect["exit"] == 2:
        # the JSON report asked for still comes, naming each problem (so CI shows why)
        doc = json.loads(result.stdout)
        jsonschema.Draft202012Validator(load_schema()).validate(doc)
        assert doc["outcome"] == {"exitCode": 2, "verdict": "configuration-error"}
        assert doc["resources"] == [] and doc["policies"] is None
        assert set(expect["keys"]) <= {e["key"] for e in doc["errors"]}
        assert "registered no resource" in result.stderr
        for key in expect["keys"]:
            assert f"{key}:" in result.stderr, f"{key} not reported:\n{result.stderr}"
        return
    report = json.loads(result.stdout)
    mandatory = {v["policy"] for v in report["policies"]["violations"]
                 if v["enforcementLevel"] == "mandatory"}
    assert report["summary"]["violations"]["mandatory"] > 0
    missing = [rule for rule in expect["rules"] if rule not in mandatory]
    assert not missing, f"not reported as mandatory: {missing}; mandatory: {sorted(mandatory)}"
