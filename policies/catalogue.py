"""Render the rule catalogue of the policy pack as a Markdown table, from the pack's metadata.

Usage::

    python policies/catalogue.py                    # print the table
    python policies/catalogue.py --write README.md  # replace the table between the markers
    python policies/catalogue.py --check README.md  # exit 1 when the table is out of date

The table lives between ``<!-- rule-catalogue:start -->`` and ``<!-- rule-catalogue:end -->``.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi_policy import Policy  # noqa: E402
from rules import ALL_POLICIES  # noqa: E402

START = "<!-- rule-catalogue:start -->"
END = "<!-- rule-catalogue:end -->"
FRAMEWORK_PREFIXES = ("soc2:", "iso27001-2022:", "cis-azure-databricks:", "azure-policy:")
HEADER = (
    "| Rule | Severity | Frameworks | What it checks | How to fix |",
    "| --- | --- | --- | --- | --- |",
)


class CatalogueError(Exception):
    """The target file cannot hold the catalogue (e.g. markers missing)."""


def _cell(text: str) -> str:
    """Make text safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _frameworks(policy: Policy) -> str:
    """Every framework mapping of a policy, from its tags."""
    tags = [t for t in policy.tags or [] if t.startswith(FRAMEWORK_PREFIXES)]
    return ", ".join(f"`{t}`" for t in tags)


def _row(policy: Policy) -> str:
    """One table row for a policy."""
    severity = policy.severity.value if policy.severity else ""
    cells = [
        f"`{policy.name}`",
        severity,
        _frameworks(policy),
        _cell(policy.description),
        _cell(policy.remediation_steps or ""),
    ]
    return "| " + " | ".join(cells) + " |"


def render(policies: Sequence[Policy] = tuple(ALL_POLICIES)) -> str:
    """The Markdown table (no trailing newline)."""
    return "\n".join([*HEADER, *(_row(p) for p in policies)])


def splice(document: str, table: str) -> str:
    """``document`` with the text between the markers replaced by ``table``."""
    start = document.find(START)
    end = document.find(END)
    if start < 0 or end < 0 or end < start:
        raise CatalogueError(f"no '{START}' ... '{END}' markers (in that order)")
    return document[: start + len(START)] + "\n" + table + "\n" + document[end:]


def write(path: Path) -> None:
    """Replace the catalogue in ``path``."""
    path.write_text(splice(path.read_text(encoding="utf-8"), render()), encoding="utf-8")


def check(path: Path) -> list[str]:
    """A unified diff from the catalogue in ``path`` to the current one (empty when in sync)."""
    current = path.read_text(encoding="utf-8")
    wanted = splice(current, render())
    return list(
        difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), str(path), f"{path} (expected)", lineterm=""
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", type=Path, help="update the table in FILE")
    group.add_argument("--check", metavar="FILE", type=Path, help="fail if FILE is out of date")
    args = parser.parse_args(argv)
    try:
        if args.write:
            write(args.write)
            print(f"{args.write}: rule catalogue updated ({len(ALL_POLICIES)} rules)")
        elif args.check:
            diff = check(args.check)
            if diff:
                print(
                    f"{args.check}: the rule catalogue is out of date; run "
                    f"`python policies/catalogue.py --write {args.check}`",
                    file=sys.stderr,
                )
                print("\n".join(diff), file=sys.stderr)
                return 1
            print(f"{args.check}: rule catalogue is up to date ({len(ALL_POLICIES)} rules)")
        else:
            print(render())
    except (CatalogueError, OSError) as error:
        target = args.write or args.check
        print(f"{target}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
