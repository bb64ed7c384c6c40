"""Release hygiene: one version everywhere, a licence, a changelog, an installable entry point."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from gate.version import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_one_version_for_project_pack_and_reports() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "gate.version.__version__"}
    pack = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    # The gate reports the pack's version as the tool version (SARIF semanticVersion, JSON).
    assert str(pack["version"]) == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_changelog_has_an_entry_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", text, re.M)


def test_apache_licence() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"  # SPDX expression (PEP 639)
    assert pyproject["project"]["license-files"] == ["LICENSE"]


def test_console_entry_point_is_declared() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["dbx-gate"] == "gate.commands:entry_point"


@pytest.mark.slow
def test_pip_install_gives_a_dbx_gate_that_works_from_any_directory(tmp_path: Path) -> None:
    """`pip install .`: the wheel carries the entry point and the version, and the installed
    command finds the checkout from a subdirectory and runs its gate."""
    wheels, target, source = tmp_path / "wheels", tmp_path / "site", tmp_path / "source"
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "venv", ".git", "__pycache__", ".*_cache", "build", "*.egg-info", "out"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(wheels), str(source)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    if proc.returncode != 0 and "satisfies the requirement setuptools" in proc.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = wheels.glob("databricks_ml_entra-*.whl")
    assert f"-{__version__}-" in wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        entry = next(n for n in names if n.endswith("entry_points.txt"))
        assert "dbx-gate = gate.commands:entry_point" in z.read(entry).decode()
        assert "gate/commands.py" in names and "settings/stack-config.schema.json" in names
        meta = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
        assert "Requires-Dist: pulumi==3.272.0" in meta
        assert "License-Expression: Apache-2.0" in meta
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    version = subprocess.run([sys.executable, str(target / "bin" / "dbx-gate"), "--version"],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert version.stdout.strip() == f"dbx-gate {__version__}"
    validate = subprocess.run([sys.executable, str(target / "bin" / "dbx-gate"), "validate"],
                              capture_output=True, text=True, env=env, cwd=ROOT / "components",
                              timeout=120)
    assert validate.returncode == 0, validate.stderr
    assert "prod: valid" in validate.stdout
