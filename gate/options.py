"""The gate's command line: which combinations it refuses, and what a refused line asked for.

An option the gate would ignore is refused (exit 2) before any work, naming the option and the
fix, so that a CI job never passes while doing something else than it says.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

FORMATS = ("text", "json", "junit", "sarif", "markdown")


class UsageError(Exception):
    """Bad command line or environment: exit 2. ``key`` names the option or variable."""

    def __init__(self, message: str, key: str = "", fix: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.fix = fix


class _Lenient(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)  # never printed: the real parser already said what was wrong


def requested_report(argv: list[str]) -> argparse.Namespace:
    """The report the command line asked for, read leniently from a command line that argparse
    refused (so that the usage error still reaches the file CI uploads)."""
    p = _Lenient(add_help=False)
    p.add_argument("stack", nargs="?", default="")
    p.add_argument("--format")
    p.add_argument("--output", "-o")
    p.add_argument("--stack-file")
    p.add_argument("--access-report", action="store_true")
    p.add_argument("--csv", action="store_true")
    try:
        args, _ = p.parse_known_args(argv)
    except (ValueError, argparse.ArgumentError):
        args = argparse.Namespace(stack="", format=None, output=None, stack_file=None,
                                  access_report=False, csv=False)
    if args.format not in FORMATS:
        args.format = None
    return args


def check_combinations(args: argparse.Namespace) -> None:
    """Refuse options that would be silently ignored (exit 2), before any work is done."""
    def refuse(message: str, key: str, fix: str) -> NoReturn:
        raise UsageError(message, key=key, fix=fix)

    pack_options = [o for o, v in (("--policy-pack", args.policy_pack),
                                   ("--policy-pack-config", args.policy_pack_config)) if v]
    if args.csv and not args.access_report:
        refuse("--csv applies only to --access-report", "--csv",
               "add --access-report, or use --format json for the plan")
    if args.access_report:
        if args.format in ("text", "junit", "sarif"):
            refuse(f"--access-report has no {args.format} format", "--format",
                   "use the default (Markdown), --format json or --csv")
        if args.csv and args.format:
            refuse(f"--csv and --format {args.format} both choose the access review's format",
                   "--csv", "give one of them")
        if args.no_policies:
            refuse("--access-report never runs the policy pack", "--no-policies",
                   "drop --no-policies")
        if pack_options:
            refuse(f"--access-report does not use {' or '.join(pack_options)}", pack_options[0],
                   "drop the policy pack options")
        if args.base:
            refuse("--base applies to the text report", "--base",
                   "for the access changes since a revision run "
                   "`python -m gate.diff STACK@REV STACK`")
        return
    if args.no_policies:
        if args.format in ("junit", "sarif", "markdown"):
            refuse(f"--format {args.format} reports policy verdicts", "--no-policies",
                   "drop --no-policies, or use --format text or json for the plan")
        if pack_options:
            refuse(f"--no-policies does not use {' or '.join(pack_options)}", pack_options[0],
                   "drop the policy pack options or --no-policies")
    if args.base is not None:
        if (args.format or "text") != "text":
            refuse(f"--base applies to the text report, not --format {args.format}", "--base",
                   "drop --base, or use the text format")
        if not args.base or args.base.startswith("-"):
            refuse(f"--base {args.base!r} is not a git revision", "--base",
                   "give a branch, tag or commit, e.g. --base origin/main")
