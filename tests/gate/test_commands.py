"""``dbx-gate``: one command line, consistent flags, exit codes, any working directory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gate.commands import SUBCOMMANDS, main
from tests.conftest import NS, ROOT, stack_document


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def subprocess_gate(*argv: str, cwd: Path = ROOT,
                    env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gate.commands", *argv], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def test_help_lists_every_subcommand_and_the_exit_codes() -> None:
    code, out, _ = run("--help")
    assert code == 0
    proc = subprocess_gate("--help")
    assert proc.returncode == 0
    for sub in ("plan", "access", "diff", "validate", "import", "revocations"):
        assert sub in proc.stdout
    assert "exit codes:" in proc.stdout
    for code_line in ("0  success", "1  plan/check", "2  invalid configuration", "3  internal"):
        assert code_line in proc.stdout
    sub_help = subprocess_gate("import", "--help").stdout
    assert "exit codes:" in sub_help and "--ids" in sub_help and "--stack-file" in sub_help


def test_version_is_the_project_version() -> None:
    from gate.version import __version__

    proc = subprocess_gate("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"dbx-gate {__version__}"
    legacy = subprocess.run([sys.executable, "-m", "gate", "--version"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert legacy.returncode == 0 and legacy.stdout.strip().endswith(__version__)


def test_usage_errors_exit_2() -> None:
    assert run("plan")[0] == 2  # no stack
    assert run("nonsense")[0] == 2
    code, _, err = run("plan", "nosuchstack", "--quiet")
    assert code == 2 and "no stack file" in err


def test_validate_checks_every_stack_without_running_the_program() -> None:
    # Settings only: not a single Pulumi module is imported, so it answers in about a second.
    probe = ("import sys, time; t = time.perf_counter(); from gate.commands import main; "
             "code = main(['validate']); "
             "loaded = sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')); "
             "print(code, loaded, round(time.perf_counter() - t, 2))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("0 [] "), last
    assert "dev: valid" in proc.stdout and "prod: valid" in proc.stdout


def test_validate_reports_a_broken_stack_with_the_key(tmp_path: Path) -> None:
    doc = stack_document("prod")
    doc["config"][f"{NS}:protect"] = False
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text(yaml.safe_dump(doc))
    start = time.perf_counter()
    code, out, _ = run("validate", "prod", "--stack-file", str(bad))
    assert code == 2 and f"{NS}:protect" in out and "prod: INVALID" in out
    assert time.perf_counter() - start < 5
    code, out, _ = run("validate", "prod", "--stack-file", str(bad), "--format", "json")
    (result,) = json.loads(out)
    assert result["valid"] is False and result["problems"][0]["key"] == f"{NS}:protect"


def test_plan_is_the_gate_with_the_same_exit_codes(tmp_path: Path) -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:tenantId"] = "not-a-uuid"
    bad = tmp_path / "Pulumi.dev.yaml"
    bad.write_text(yaml.safe_dump(doc))
    code, _, err = run("plan", "dev", "--stack-file", str(bad), "--quiet")
    assert code == 2 and f"{NS}:tenantId" in err
    out_file = tmp_path / "plan.json"
    code, _, _ = run("check", "dev", "--no-policies", "--format", "json", "-o", str(out_file),
                     "--quiet")
    assert code == 0
    assert json.loads(out_file.read_text())["stack"] == "dev"


def test_access_and_diff_share_the_flags(tmp_path: Path) -> None:
    code, out, _ = run("access", "dev", "--format", "csv", "--quiet")
    assert code == 0 and out.splitlines()[0].count(",") > 3
    code, out, _ = run("diff", "dev", "prod", "--format", "json")
    changes = json.loads(out)
    assert code == 0 and changes and {"kind", "principal", "subject"} <= set(changes[0])


def test_runs_from_any_directory_inside_the_project(tmp_path: Path) -> None:
    proc = subprocess_gate("validate", "dev", cwd=ROOT / "tests" / "gate")
    assert proc.returncode == 0 and "dev: valid" in proc.stdout, proc.stderr
    # Outside any project: a usage error that says how to point at one.
    proc = subprocess_gate("validate", cwd=tmp_path)
    assert proc.returncode == 2 and "--project-dir" in proc.stderr
    proc = subprocess_gate("--project-dir", str(ROOT), "validate", "prod", cwd=tmp_path)
    assert proc.returncode == 0 and "prod: valid" in proc.stdout, proc.stderr


def test_another_checkout_runs_its_own_gate_and_paths_stay_the_callers(tmp_path: Path) -> None:
    """An installed dbx-gate hands over to the gate of the checkout it finds."""
    other = tmp_path / "other-checkout"
    (other / "gate").mkdir(parents=True)
    (other / "Pulumi.yaml").write_text("name: databricks-ml-entra\n")
    (other / "gate" / "__init__.py").write_text("")
    (other / "gate" / "commands.py").write_text(
        "import os, sys\n"
        "from pathlib import Path\n"
        "print('other checkout', Path.cwd().name, sys.argv[1:], "
        "os.environ['DBX_GATE_CALLER_CWD'])\n")
    caller = tmp_path / "somewhere"
    caller.mkdir()
    proc = subprocess_gate("--project-dir", "../other-checkout", "validate", cwd=caller)
    assert proc.returncode == 0, proc.stderr
    assert "other checkout other-checkout" in proc.stdout
    assert str(caller) in proc.stdout  # relative paths resolve against the caller's directory


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_python_dash_m_gate_reaches_every_subcommand(sub: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "gate", sub, "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "exit codes:" in proc.stdout
