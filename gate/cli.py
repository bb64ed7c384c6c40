"""``python -m gate <stack>``: the offline gate.

Loads the stack's settings exactly as the program does, runs the real program under mocks,
evaluates the policy pack over its analyzer protocol, and reports.

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 invalid config or usage;
3 internal error or a policy that crashed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from gate.escape import terminal as term
from gate.options import FORMATS, UsageError, check_combinations, requested_report
from settings import SettingsError

if TYPE_CHECKING:
    from gate.capture import Plan
    from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_VIOLATIONS, EXIT_CONFIG, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a UsageError (reported like every other exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().rstrip()}", key="command line")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m gate",
        description="Offline gate: run the Pulumi program under mocks, evaluate the policy pack "
                    "over its analyzer protocol, report. No cloud credentials needed.")
    p.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml (dev, prod, ...)")
    p.add_argument("--format", choices=FORMATS,
                   help="output format (default text; with --access-report: markdown)")
    p.add_argument("--output", "-o", help="write the report to this file instead of stdout; "
                   "written also when the gate stops on an error (exit 2 or 3)")
    p.add_argument("--stack-file", help="read the stack config from this file instead of "
                   "Pulumi.<stack>.yaml (for fixtures and what-if checks)")
    p.add_argument("--policy-pack", help="policy pack folder (default: policies/)")
    p.add_argument("--policy-pack-config",
                   help="policy config JSON (default: policies/config/<environment>.json)")
    p.add_argument("--no-policies", action="store_true",
                   help="only show the plan; do not run the policy pack")
    p.add_argument("--access-report", action="store_true",
                   help="print the auditor's access review instead of the plan "
                        "(formats: markdown, json, csv via --format markdown|json or --csv)")
    p.add_argument("--csv", action="store_true", help="with --access-report: CSV output")
    p.add_argument("--base", metavar="REV",
                   help="text output: also show what is new or changed since the stack file at "
                        "this git revision (e.g. origin/main)")
    p.add_argument("--policy-timeout", type=_seconds, default=900.0, metavar="SECONDS",
                   help="stop the policy pack if its start, or its evaluation of the plan, "
                        "takes longer than this (exit 3, naming the policy that was running; "
                        "default 900)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.add_argument("--resolved-config", help="the stack's resolved config (`pulumi config "
                   "--json --open --show-secrets=false`) when its values come from Pulumi ESC")
    from gate.version import __version__

    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help
        return EXIT_OK if exc.code == 0 else EXIT_CONFIG
    except UsageError as exc:
        err.write(_usage_text(exc))
        _failure_report(requested_report(argv), out, EXIT_CONFIG, "usage",
                        [_usage_problem(exc)])
        return EXIT_CONFIG
    progress = _Progress(err, quiet=args.quiet)
    try:
        check_combinations(args)
        return _run(args, out, progress)
    except SettingsError as exc:
        from gate.failure import from_settings_error

        err.write(term.block(exc.render()) + "\n")
        err.write("The gate registered no resource: fix the configuration above and run again.\n")
        _failure_report(args, out, EXIT_CONFIG, "configuration", from_settings_error(exc))
        return EXIT_CONFIG
    except UsageError as exc:
        err.write(_usage_text(exc))
        _failure_report(args, out, EXIT_CONFIG, "usage", [_usage_problem(exc)])
        return EXIT_CONFIG
    except KeyboardInterrupt:
        err.write("gate: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - reported with traceback, exit 3
        from gate.evaluate import PolicyCrashed
        from gate.failure import ProblemEntry, redact

        if isinstance(exc, PolicyCrashed):
            err.write(term.block(exc.render()) + "\n")
            last = (exc.detail.strip().splitlines() or [""])[-1]
            where = f" while analyzing {exc.urn}" if exc.urn else ""
            problem = ProblemEntry(exc.policy or "", redact(
                f"policy raised an exception{where}: {last}".rstrip(": ")),
                "fix the policy (the traceback is in the gate's log); the verdicts are "
                "incomplete, so the gate fails")
            _failure_report(args, out, EXIT_INTERNAL, "policy-crash", [problem])
        else:
            err.write(term.block("gate: internal error\n" + traceback.format_exc()))
            problem = ProblemEntry("", redact(f"{type(exc).__name__}: {exc}"),
                                   "report it with the gate's log (the traceback)")
            _failure_report(args, out, EXIT_INTERNAL, "internal", [problem])
        return EXIT_INTERNAL


def _usage_text(exc: UsageError) -> str:
    fix = f"\n  fix: {exc.fix}" if exc.fix else ""
    return term.block(f"gate: {exc}{fix}") + "\n"


def _usage_problem(exc: UsageError) -> Any:
    from gate.failure import ProblemEntry, redact

    return ProblemEntry(exc.key, redact(str(exc).split("\n")[0]), redact(exc.fix))


def _failure_report(args: argparse.Namespace, out: TextIO, code: int, kind: str,
                    problems: list[Any]) -> None:
    """Write the report the command line asked for, naming why there are no verdicts.

    Text goes to the file only (stderr already has it); the access review's CSV has no place for
    an error, so it gets none. A failure while writing is reported, never raised."""
    from gate.failure import Failure, render_failure
    from settings.model import PROJECT

    fmt = args.format or ("markdown" if getattr(args, "access_report", False) else "text")
    if getattr(args, "csv", False) or (fmt == "text" and not args.output):
        return
    stack_file = Path(args.stack_file) if getattr(args, "stack_file", None) else (
        ROOT / f"Pulumi.{args.stack}.yaml" if args.stack else None)
    failure = Failure(code, kind, PROJECT, args.stack or "(none)", problems,
                      stack_file=stack_file)
    try:
        _emit(render_failure(fmt, failure, ROOT), args.output, out)
    except Exception as exc:  # noqa: BLE001 - the exit code and stderr still say why
        sys.stderr.write(term.block(f"gate: could not write the error report: {exc}") + "\n")


def _run(args: argparse.Namespace, out: TextIO, progress: _Progress) -> int:
    from gate.capture import capture, plan_kept
    from gate.esc import read_stack
    from gate.trace import trace
    from settings.environment import check_environment
    from settings.stacks import StackMappingError, environment_of

    stack_file = Path(args.stack_file) if args.stack_file else ROOT / f"Pulumi.{args.stack}.yaml"
    if not stack_file.exists():
        stacks = sorted(p.name[7:-5] for p in ROOT.glob("Pulumi.*.yaml"))
        raise UsageError(f"no stack file {stack_file}; known stacks: {', '.join(stacks)}",
                         key="stack", fix=f"use one of: {', '.join(stacks)}, or --stack-file")
    try:
        environment_of(args.stack)
    except StackMappingError as exc:
        raise UsageError(f"{exc}; add it to stacks.json in a reviewed change",
                         key="stack", fix="map the stack to dev or prod in stacks.json") from None
    progress.say(f"loading settings from {stack_file.name}")
    check_environment()
    settings, raw = read_stack(stack_file, args.stack,
                               Path(args.resolved_config) if args.resolved_config else None)
    with _pack_started(args, progress, settings, raw) as started:
        progress.say("running the program under mocks (preview)")
        plan = capture(args.stack, raw)
        trace(plan.resources, settings)
        progress.say(f"captured {len(plan.resources)} resources")
        base = None
        if args.base:
            from gate.diff import compare_with_base

            progress.say(f"comparing with the stack file at {args.base}")
            try:
                base = compare_with_base(args.base, args.stack, stack_file, settings, plan)
            except ValueError as exc:
                raise UsageError(str(exc), key="--base") from None
        with plan_kept():
            return _report(args, out, progress, settings, raw, plan, stack_file, started, base)


def _pack_started(args: argparse.Namespace, progress: _Progress, settings: Settings,
                  raw: dict[str, Any]) -> Any:
    """Start and configure the policy pack while the program runs, as the CLI does."""
    if args.no_policies or args.access_report:
        return nullcontext(None)
    from gate.capture import config_for_runtime
    from gate.evaluate import start_pack
    from settings.model import PROJECT

    pack_dir = _pack_dir(args)
    config_file = _policy_config_file(args, settings)
    if not config_file.exists():
        raise UsageError(f"policy config {config_file} not found", key="--policy-pack-config")
    _check_policy_config(config_file)  # a config the pack would refuse: exit 2, before any run
    stack_config = config_for_runtime(raw)[0]
    _check_config_fits(stack_config)
    progress.say(f"starting policy pack {pack_dir} with {config_file.name}")
    return start_pack(pack_dir, config_file, stack=args.stack, project=PROJECT,
                      stack_config=stack_config, deadline=args.policy_timeout)


def _report(args: argparse.Namespace, out: TextIO, progress: _Progress, settings: Settings,
            raw: dict[str, Any], plan: Plan, stack_file: Path, started: Any = None,
            base: Any = None) -> int:
    """Evaluate the pack over the captured plan (unless told not to) and emit the report."""
    from gate.document import build_document

    if args.access_report:
        from gate.access import render_access_report

        fmt = "csv" if args.csv else (args.format or "markdown")
        _emit(render_access_report(settings, plan, fmt), args.output, out)
        return EXIT_OK

    policy = None
    if not args.no_policies:
        from gate.evaluate import evaluate

        progress.say(f"evaluating policy pack {started.pack_dir} with "
                     f"{started.config_file.name}")
        policy = evaluate(plan, started.pack_dir, started.config_file, progress=progress.say,
                          started=started)
        _check_policy_names(_check_policy_config(started.config_file), policy.policies,
                            started.config_file)
        progress.say(f"{len(policy.findings)} violation(s)")

    doc = build_document(plan, settings.environment.value, policy)
    findings = policy.findings if policy is not None else None
    mock: frozenset[str] = frozenset()
    if (args.format or "text") == "text":
        from gate.mockids import mock_tokens

        mock = mock_tokens(plan, raw)
    _emit(_render(args.format or "text", doc, findings, stack_file, policy, base, mock),
          args.output, out)
    if findings and any(f.blocking for f in findings):
        return EXIT_VIOLATIONS
    return EXIT_OK


def _policy_config_file(args: argparse.Namespace, settings: Settings) -> Path:
    """--policy-pack-config, else config/<environment>.json (environment from stacks.json)."""
    if args.policy_pack_config:
        return Path(args.policy_pack_config)
    return _pack_dir(args) / "config" / f"{settings.environment.value}.json"


def _pack_dir(args: argparse.Namespace) -> Path:
    return Path(args.policy_pack) if args.policy_pack else ROOT / "policies"


def _check_policy_config(config_file: Path) -> dict[str, Any] | None:
    """A policy config the pack would refuse is a usage error (exit 2), named, before any run."""
    from gate.analyzer import PolicyConfigError, load_policy_pack_config, parse_policy_pack_config

    try:
        doc = load_policy_pack_config(config_file)
        parse_policy_pack_config(doc)
    except PolicyConfigError as exc:
        raise UsageError(f"policy config {config_file}: " + "; ".join(exc.errors),
                         key="--policy-pack-config") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"policy config {config_file} is not valid JSON: "
                         f"{exc.args[0] if exc.args else type(exc).__name__}",
                         key="--policy-pack-config") from None
    except OSError as exc:
        raise UsageError(f"policy config {config_file} cannot be read: "
                         f"{exc.strerror or type(exc).__name__}",
                         key="--policy-pack-config") from None
    return doc


def _check_policy_names(doc: dict[str, Any] | None, policies: list[dict[str, Any]],
                        config_file: Path) -> None:
    """A policy name the pack does not have is a typo that would silently drop a setting."""
    import difflib

    names = [p["name"] for p in policies]
    unknown = sorted(k for k in (doc or {}) if k != "all" and k not in names)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise UsageError(f"policy config {config_file} names policies the pack does not have: "
                         f"{', '.join(hints)}; see the policy catalogue in README.md",
                         key="--policy-pack-config")


def _check_config_fits(stack_config: dict[str, str]) -> None:
    """The pack gets the stack config in its environment; a value too large cannot be passed."""
    from gate.analyzer import PackStartError, _config_environment

    try:
        _config_environment(stack_config)
    except PackStartError as exc:
        raise UsageError(f"{exc}. The Pulumi CLI hands the whole stack config to a policy pack "
                         "through environment variables, and Linux limits one to 128 KiB: "
                         "split the value (for example, fewer entries per map)") from None


def _render(fmt: str, doc: dict, findings, stack_file: Path, policy,  # type: ignore[no-untyped-def]
            base=None, mock: frozenset[str] = frozenset()) -> str:
    if fmt == "json":
        from gate.document import dumps

        return dumps(doc)
    if fmt == "text":
        from gate.render_text import render_text

        return render_text(doc, findings, base=base, mock=mock)
    if policy is None:
        raise UsageError(f"--format {fmt} reports policy verdicts; drop --no-policies")
    if fmt == "junit":
        from gate.render_junit import render_junit

        return render_junit(doc, policy)
    if fmt == "sarif":
        from gate.render_sarif import render_sarif

        return render_sarif(doc, policy, stack_file, ROOT)
    from gate.render_markdown import render_markdown

    return render_markdown(doc, policy)


def _emit(text: str, output: str | None, out: TextIO) -> None:
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    else:
        out.write(text)


class _Progress:
    def __init__(self, err: TextIO, quiet: bool) -> None:
        self.err = err
        self.quiet = quiet
        self.start = time.perf_counter()

    def say(self, message: str) -> None:
        if not self.quiet:
            self.err.write(f"[gate {time.perf_counter() - self.start:6.1f}s] "
                           f"{term.line(message)}\n")
            self.err.flush()
