"""``dbx-gate``: one command line for the offline gate and the adoption tools.

Subcommands share their flags (a stack name, ``--stack-file``, ``--resolved-config``,
``--format``, ``--output``, ``--quiet``) and their exit codes. ``python -m gate <stack>`` keeps
its own flags and exit codes (it is ``dbx-gate plan <stack>``), and ``python -m gate
<subcommand> ...`` reaches this module too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from gate.project import NoProjectError, find_root, is_this_checkout, run_in, user_path
from gate.version import __version__

EXIT_OK, EXIT_VIOLATIONS, EXIT_CONFIG, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES = """exit codes:
  0  success (plan/check: no mandatory policy violation)
  1  plan/check: mandatory policy violations; revocations --fail-on-revocations: revocations;
     schema --check: stale schema; drift-issue: drift found or the check failed
  2  invalid configuration, input file or usage (nothing was registered)
  3  internal error, or a policy that crashed
"""
SUBCOMMANDS = ("plan", "check", "access", "diff", "validate", "import", "revocations",
               "schema", "comment", "drift-issue")
PLAN_FORMATS = ("text", "json", "junit", "sarif", "markdown")


class UsageError(Exception):
    """Bad command line or input: exit 2."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dbx-gate", epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Offline policy gate and adoption tools for databricks-ml-entra. Runs the "
                    "Pulumi program under mocks and the policy pack over its analyzer protocol; "
                    "no cloud credentials needed.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--project-dir", help="project folder (default: the nearest folder with a "
                   "Pulumi.yaml, from the current directory upwards)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml (dev, prod, ...)")
    stack.add_argument("--stack-file", help="read the stack config from this file instead")
    stack.add_argument("--resolved-config", help="the stack's resolved config (`pulumi config "
                       "--json --open --show-secrets=false`), for stack files that take their "
                       "values from Pulumi ESC")
    stack.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--output", "-o", help="write to this file instead of stdout")

    def add(name: str, help_: str, parents: list[argparse.ArgumentParser],
            **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=parents,
                              epilog=EXIT_CODES,
                              formatter_class=argparse.RawDescriptionHelpFormatter, **kw)

    for name, aliases in (("plan", ["check"]),):
        sp = add(name, "run the program under mocks and the policy pack; report the plan and "
                 "the violations (same as `python -m gate <stack>`)", [stack, output],
                 aliases=aliases)
        sp.add_argument("--format", choices=PLAN_FORMATS, default="text")
        sp.add_argument("--policy-pack", help="policy pack folder (default: policies/)")
        sp.add_argument("--policy-pack-config",
                        help="policy config JSON (default: policies/config/<environment>.json)")
        sp.add_argument("--no-policies", action="store_true", help="only show the plan")

    sp = add("access", "the auditor's access review: who can do what to which model, and why",
             [stack, output])
    sp.add_argument("--format", choices=("markdown", "json", "csv"), default="markdown")

    sp = add("diff", "access diff: what a config change grants, revokes and changes",
             [output])
    sp.add_argument("base", help="STACK or STACK@GIT-REV (e.g. prod@origin/main)")
    sp.add_argument("head", help="STACK or STACK@GIT-REV")
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")
    sp.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    sp = add("validate", "check stack settings only (no program run, about a second)", [])
    sp.add_argument("stacks", nargs="*", help="stack names (default: every Pulumi.<stack>.yaml)")
    sp.add_argument("--stack-file", help="validate this file (with exactly one stack name)")
    sp.add_argument("--resolved-config", help="resolved config for a stack that uses Pulumi ESC")
    sp.add_argument("--format", choices=("text", "json"), default="text")

    sp = add("import", "write a `pulumi import --file` document for objects that already "
             "exist (brownfield adoption)", [stack, output])
    sp.add_argument("--ids", required=True, help="YAML/JSON map: resource name -> existing id")

    sp = add("revocations", "what the first apply of the authoritative ACLs and grants would "
             "revoke, from a snapshot of the live permissions", [stack, output])
    sp.add_argument("--live", required=True, help="snapshot JSON of the live permissions")
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")
    sp.add_argument("--fail-on-revocations", action="store_true",
                    help="exit 1 when anything would be revoked")

    sp = add("schema", "print, write or check the stack files' JSON Schema", [])
    mode = sp.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true",
                      help="write settings/stack-config.schema.json")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if the checked-in schema is stale")

    sp = add("comment", "compose the pull request's sticky comment from CI's report folder",
             [output])
    sp.add_argument("--reports", required=True,
                    help="folder with gate-<stack>.md, gate-<stack>.exit, diff-<stack>.md")
    sp.add_argument("--report-url", default="", help="link to the full reports (the CI run)")
    sp.add_argument("--limit", type=int, default=65_536, help="maximum characters")

    sp = add("drift-issue", "compose the drift issue from the scheduled refresh's outputs "
             "(exit 1 when something drifted or the check failed)", [output])
    sp.add_argument("--reports", required=True,
                    help="folder with drift-<stack>.txt and drift-<stack>.exit")
    sp.add_argument("--run-url", default="", help="link to the workflow run")
    return p


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse printed
        return EXIT_OK if exc.code in (0, None) else EXIT_CONFIG
    try:
        root = find_root(explicit=str(user_path(args.project_dir)) if args.project_dir else None)
        if not is_this_checkout(root):
            return run_in(root, argv)
        return _COMMANDS[args.command](args, root, out, err)
    except (UsageError, NoProjectError) as exc:
        err.write(f"dbx-gate: {exc}\n")
        return EXIT_CONFIG
    except Exception as exc:  # noqa: BLE001 - sorted into config (2) or internal (3) errors
        from settings import SettingsError

        if isinstance(exc, SettingsError):
            err.write(exc.render() + "\n")
            return EXIT_CONFIG
        err.write("dbx-gate: internal error\n" + traceback.format_exc())
        return EXIT_INTERNAL


def entry_point() -> None:
    raise SystemExit(main())


# --- commands -----------------------------------------------------------------------------

def _plan(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.cli import main as gate_main

    argv = [args.stack, "--format", args.format, *_stack_flags(args)]
    argv += _opt("--output", args.output) + _opt("--policy-pack", args.policy_pack)
    argv += _opt("--policy-pack-config", args.policy_pack_config)
    if args.no_policies:
        argv.append("--no-policies")
    return gate_main(argv, stdout=out, stderr=err)


def _access(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.cli import main as gate_main

    fmt = ["--csv"] if args.format == "csv" else ["--format", args.format]
    argv = [args.stack, "--access-report", *fmt, *_stack_flags(args), *_opt("--output",
                                                                             args.output)]
    return gate_main(argv, stdout=out, stderr=err)


def _diff(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate import diff

    try:
        changes = diff.diff_reports(diff.report_for(args.base), diff.report_for(args.head))
    except ValueError as exc:
        from settings import SettingsError

        if isinstance(exc, SettingsError):
            raise
        raise UsageError(str(exc)) from None
    text = (json.dumps(diff.changes_json(changes), indent=2) + "\n" if args.format == "json"
            else diff.render_markdown(changes, args.base, args.head))
    _emit(text, args.output, out)
    return EXIT_OK


def _validate(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.esc import read_stack
    from settings import SettingsError

    stacks = args.stacks or sorted(p.name[len("Pulumi."):-len(".yaml")]
                                   for p in root.glob("Pulumi.*.yaml"))
    if (args.stack_file or args.resolved_config) and len(stacks) != 1:
        raise UsageError("--stack-file and --resolved-config take exactly one stack name")
    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    for stack in stacks:
        start = time.perf_counter()
        path = user_path(args.stack_file) or root / f"Pulumi.{stack}.yaml"
        if not path.exists() and not args.resolved_config:
            raise UsageError(f"no stack file {path}")
        try:
            settings, _ = read_stack(path, stack, user_path(args.resolved_config))
        except SettingsError as exc:
            worst = EXIT_CONFIG
            results.append({"stack": stack, "valid": False, "problems": [
                {"key": p.key, "message": p.message, "fix": p.fix} for p in exc.problems],
                "text": exc.render()})
            continue
        results.append({"stack": stack, "valid": True, "environment": settings.environment.value,
                        "groups": len(settings.groups),
                        "servicePrincipals": len(settings.service_principals),
                        "models": len(settings.models),
                        "seconds": round(time.perf_counter() - start, 3)})
    if args.format == "json":
        out.write(json.dumps([{k: v for k, v in r.items() if k != "text"} for r in results],
                             indent=2) + "\n")
    else:
        for r in results:
            if r["valid"]:
                out.write(f"{r['stack']}: valid ({r['environment']}; {r['groups']} groups, "
                          f"{r['servicePrincipals']} service principals, {r['models']} models)\n")
            else:
                out.write(f"{r['stack']}: INVALID\n{r['text']}\n")
    return worst


def _import(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.adopt import import_document, provider_urns, read_ids

    ids_path = user_path(args.ids)
    assert ids_path is not None
    ids = read_ids(ids_path)
    settings, plan = _capture(args, root, err)
    doc = import_document(plan, settings, ids, source=ids_path.name)
    _emit(json.dumps(doc, indent=2) + "\n", args.output, out)
    if not args.quiet:
        target = " ".join(f"--target '{u}'" for u in provider_urns(doc))
        err.write(f"dbx-gate: {sum('id' in r for r in doc['resources'])} object(s) to adopt.\n"
                  "Next (see README, 'Adopting existing objects'):\n"
                  + (f"  pulumi up --stack {args.stack} {target}   # the explicit providers\n"
                     if target else "")
                  + f"  pulumi import --stack {args.stack} --file {args.output or 'import.json'}"
                  " --generate-code=false\n"
                  f"  pulumi preview --stack {args.stack}   # adopted objects: no replace\n")
    return EXIT_OK


def _revocations(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.access import build_access_report
    from gate.diff import changes_json
    from gate.revocations import read_snapshot, render_markdown, revocations

    live_path = user_path(args.live)
    assert live_path is not None
    snapshot = read_snapshot(live_path)
    settings, plan = _capture(args, root, err)
    report = build_access_report(settings, plan)
    changes = revocations(snapshot, settings, report, source=live_path.name)
    text = (json.dumps(changes_json(changes), indent=2) + "\n" if args.format == "json"
            else render_markdown(changes, live_path.name, args.stack))
    _emit(text, args.output, out)
    revoked = any(c.kind == "revoked" or set(c.before) - set(c.after) for c in changes)
    return EXIT_VIOLATIONS if revoked and args.fail_on_revocations else EXIT_OK


def _schema(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from settings import schema

    if args.write:
        err.write(f"wrote {schema.write()}\n")
        return EXIT_OK
    if args.check:
        if schema.is_current():
            return EXIT_OK
        err.write(f"{schema.SCHEMA_PATH} is stale: run `dbx-gate schema --write`\n")
        return EXIT_VIOLATIONS
    out.write(schema.render())
    return EXIT_OK


def _comment(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.comment import build_comment

    folder = user_path(args.reports)
    assert folder is not None
    if not folder.is_dir():
        raise UsageError(f"--reports {args.reports}: no such folder")
    _emit(build_comment(folder, args.report_url, args.limit), args.output, out)
    return EXIT_OK


def _drift_issue(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from gate.drift import build_issue

    folder = user_path(args.reports)
    assert folder is not None
    if not folder.is_dir():
        raise UsageError(f"--reports {args.reports}: no such folder")
    body, attention = build_issue(folder, args.run_url)
    _emit(body, args.output, out)
    return EXIT_VIOLATIONS if attention else EXIT_OK


_COMMANDS = {"plan": _plan, "check": _plan, "access": _access, "diff": _diff,
             "validate": _validate, "import": _import, "revocations": _revocations,
             "schema": _schema, "comment": _comment, "drift-issue": _drift_issue}


# --- helpers ------------------------------------------------------------------------------

def _capture(args: argparse.Namespace, root: Path, err: TextIO):  # type: ignore[no-untyped-def]
    """Settings and the plan of a stack, as the gate computes them."""
    from gate.capture import capture
    from gate.esc import read_stack
    from gate.trace import trace

    path = user_path(args.stack_file) or root / f"Pulumi.{args.stack}.yaml"
    if not path.exists() and not args.resolved_config:
        raise UsageError(f"no stack file {path}")
    if not args.quiet:
        err.write(f"dbx-gate: running the {args.stack} program under mocks\n")
    settings, raw = read_stack(path, args.stack, user_path(args.resolved_config))
    plan = capture(args.stack, raw)
    trace(plan.resources, settings)
    return settings, plan


def _stack_flags(args: argparse.Namespace) -> list[str]:
    flags = _opt("--stack-file", args.stack_file) + _opt("--resolved-config",
                                                         args.resolved_config)
    return flags + (["--quiet"] if args.quiet else [])


def _opt(flag: str, value: str | None) -> list[str]:
    return [flag, str(user_path(value))] if value else []


def _emit(text: str, output: str | None, out: TextIO) -> None:
    path = user_path(output)
    if path is None:
        out.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
