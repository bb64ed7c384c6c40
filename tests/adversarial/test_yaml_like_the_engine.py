"""Issue 14.7: the stack file is read the way the Pulumi engine (yaml.v3, YAML 1.2) reads it."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gate.cli import main
from settings import SettingsError
from settings.load import read_stack_file
from settings.yaml12 import YamlRefused, parse_text
from tests.conftest import NS, ROOT

PROD = (ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8")


def _refused(tmp_path: Path, text: str | bytes, stack: str = "prod") -> str:
    path = tmp_path / f"Pulumi.{stack}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        read_stack_file(path, stack)
    return info.value.render()


def test_duplicated_key_is_refused_naming_both_lines(tmp_path: Path) -> None:
    text = PROD.replace("  databricks-ml-entra:protect: true\n",
                        "  databricks-ml-entra:protect: true\n"
                        "  databricks-ml-entra:protect: false\n")
    lines = text.splitlines()
    first = lines.index("  databricks-ml-entra:protect: true") + 1
    message = _refused(tmp_path, text)
    assert f"line {first}" in message and f"line {first + 1}" in message


def test_nested_duplicated_key_is_refused(tmp_path: Path) -> None:
    text = PROD.replace("    publicNetworkAccess: Disabled\n",
                        "    publicNetworkAccess: Disabled\n    publicNetworkAccess: Enabled\n")
    assert "twice" in _refused(tmp_path, text)


@pytest.mark.parametrize("a,b", [("project", "Project"), ("project", "'project '"),
                                 ("project", "ｐｒｏｊｅｃｔ")])
def test_keys_differing_only_by_case_or_whitespace_do_not_merge(tmp_path: Path, a: str,
                                                                 b: str) -> None:
    text = PROD.replace("      project: credit-risk-ml\n",
                        f"      {a}: credit-risk-ml\n      {b}: other\n")
    assert "differ only by case" in _refused(tmp_path, text)


@pytest.mark.parametrize("plain,expected", [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("NO", "NO"), ("y", "y"),
    ("1:20", "1:20"), ("2024-01-01", "2024-01-01"), ("2001-12-14t21:59:43.10-05:00",
                                                      "2001-12-14t21:59:43.10-05:00"),
    ("true", True), ("False", False), ("~", None), ("0x1F", 31), ("0xZ1", "0xZ1"),
    ("0o17", 15), ("12", 12), ("1.5", 1.5), ("=", "="), ("<<", "<<"),
])
def test_scalars_mean_what_yaml_1_2_says(plain: str, expected: object) -> None:
    assert parse_text(f"v: {plain}\n") == {"v": expected}


@pytest.mark.parametrize("text", [
    "a: &x [1]\nb: *x\n",
    "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b]\n",
    "a: !!binary aGVsbG8=\n", "a: !!timestamp 2024-01-01\n", "a: !!set {x, y}\n",
    "a: !!omap [{x: 1}]\n", "a: !!python/object/apply:os.system [id]\n", "a: !custom 1\n",
    "? [a, b]\n: 1\n", "a: 0777\n", "a: 1_000\n", "a: 0b101\n", "---\na: 1\n---\nb: 2\n",
    "a: [1, 2\n", "a: !!int x\n",
])
def test_hostile_documents_are_refused(text: str) -> None:
    with pytest.raises(YamlRefused):
        parse_text(text)


def test_deep_nesting_is_refused_in_bounded_time() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, "a:\n" + "".join(
            " " * i + "a:\n" for i in range(1, 3000))):
        started = time.perf_counter()
        with pytest.raises(YamlRefused, match="nests deeper"):
            parse_text(text)
        assert time.perf_counter() - started < 5


@pytest.mark.parametrize("data", [
    PROD.encode("utf-16"), PROD.encode("utf-8").replace(b"westeurope", b"west\xffeurope"),
    b"config:\n  a: \x00\x01\x02\n", bytes(range(256)) * 4,
])
def test_non_utf8_and_binary_files_are_refused(tmp_path: Path, data: bytes) -> None:
    assert "configuration problem" in _refused(tmp_path, data)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + PROD.encode("utf-8"))
    assert read_stack_file(path, "prod")[0].is_prod


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), Path("/dev/null"), tmp_path):
        err = io.StringIO()
        started = time.perf_counter()
        code = main(["prod", "--stack-file", str(path), "-q"], stdout=io.StringIO(),
                    stderr=err)
        assert code == 2, err.getvalue()
        assert time.perf_counter() - started < 10


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(PROD, encoding="utf-8")
    path.chmod(0)
    assert "permission" in _refused_path(path)


def _refused_path(path: Path) -> str:
    with pytest.raises(SettingsError) as info:
        read_stack_file(path, "prod")
    return info.value.render()


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    with path.open("wb") as f:
        f.truncate(64 * 1024 * 1024)
    assert "bytes" in _refused_path(path)


def test_alias_bomb_in_a_subprocess_stays_small(tmp_path: Path) -> None:
    """The billion-laughs document is refused with bounded memory (512 MiB address cap)."""
    lines = ["config:", f"  {NS}:x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"  {NS}:x{i}: &a{i} [{refs}]")
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    proc = subprocess.run([sys.executable, "-m", "gate", "prod", "--stack-file", str(path), "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=cap)
    assert proc.returncode == 2, proc.stderr
    assert "anchor" in proc.stderr


def test_program_path_refuses_keys_differing_only_by_case() -> None:
    """Under pulumi the engine hands JSON; folded key collisions are refused there too."""
    from settings import parse
    from tests.conftest import stack_document

    doc = stack_document("prod")
    doc["config"][f"{NS}:tags"]["extra"]["Project"] = "other"
    raw = {k: v for k, v in doc["config"].items()}
    with pytest.raises(SettingsError) as info:
        parse(raw, stack="prod")
    assert any(p.key == f"{NS}:tags.extra.Project" for p in info.value.problems), \
        info.value.render()
