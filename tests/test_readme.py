"""The README stays true: its rule catalogue matches the pack, its commands match CI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_rule_catalogue_matches_the_pack() -> None:
    proc = subprocess.run([sys.executable, "policies/catalogue.py", "--check", "README.md"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_quick_start_is_two_commands_and_ci_runs_the_test_command() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    gate_cmd, test_cmd = commands
    assert gate_cmd.endswith("venv/bin/python -m gate dev")
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd.replace(" -q", "") in ci.replace(" -q", "") or test_cmd in ci


def test_every_config_section_is_documented() -> None:
    from settings.model import Settings

    documented: set[str] = set()
    for cell in re.findall(r"^\| (`[^|]+`) \|", README, re.M):
        documented.update(k.split(".")[0] for k in re.findall(r"`([A-Za-z.<>]+)`", cell))
    for name, field in Settings.model_fields.items():
        if name in ("stack", "location", "scim_token_set"):
            continue
        assert (field.alias or name) in documented, field.alias
