"""Where the project is: the folder with ``Pulumi.yaml``, the stack files and the program.

``dbx-gate`` can be installed with ``pip install .`` and run from any directory. It finds the
project the way ``pulumi`` does (``--project-dir``, else the nearest ``Pulumi.yaml`` from the
current directory upwards), then runs *that checkout's* gate, so a branch's program, settings
and policy pack are what get checked, never a stale copy installed into site-packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CALLER_CWD = "DBX_GATE_CALLER_CWD"


class NoProjectError(Exception):
    """No project folder could be found (usage error, exit 2)."""


def find_root(start: Path | None = None, explicit: str | None = None) -> Path:
    """The project folder: ``explicit`` if given, else the nearest ``Pulumi.yaml`` upwards."""
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / "Pulumi.yaml").is_file():
            raise NoProjectError(f"--project-dir {explicit}: no Pulumi.yaml there")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise NoProjectError(f"no Pulumi.yaml in {here} or any parent folder; run inside a "
                    "databricks-ml-entra checkout or pass --project-dir")


def is_this_checkout(root: Path) -> bool:
    return root.resolve() == PACKAGE_ROOT


def run_in(root: Path, argv: list[str]) -> int:
    """Run ``python -m gate.commands argv`` with the gate of the checkout at ``root``."""
    if not (root / "gate" / "commands.py").is_file():
        raise NoProjectError(f"{root} has a Pulumi.yaml but no gate/ of this project; pass the "
                        "folder of a databricks-ml-entra checkout with --project-dir")
    env = dict(os.environ)
    env.setdefault(CALLER_CWD, os.getcwd())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    return subprocess.call([sys.executable, "-m", "gate.commands", *argv], cwd=root, env=env)


def user_path(value: str | None) -> Path | None:
    """A path the user typed, relative to the directory the user ran ``dbx-gate`` in."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return Path(os.environ.get(CALLER_CWD) or os.getcwd()) / path
