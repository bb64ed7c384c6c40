"""Reports for a run that ended without verdicts: invalid config or usage (exit 2) or a crash
(exit 3).

CI uploads the SARIF, posts the Markdown and reads the JUnit whatever the exit code; when the
gate stops early those files must still exist and say why, or the pipeline shows "file not
found" instead of the cause. Each format gets the same content: one result per problem, named
by its config key (or option, or policy) with the message and the fix. Values judged secret are
masked before they get here (the settings' own rendering), and anything in an exception message
that looks like a credential is masked again.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.escape import jsondoc
from gate.escape import markdown as md
from gate.escape import sarif as esc
from gate.escape import terminal as term
from gate.escape import xmltext as xt

KINDS = {
    "configuration": ("gate-invalid-configuration", "The stack configuration is invalid"),
    "usage": ("gate-usage-error", "The gate was called in a way it cannot run"),
    "policy-crash": ("gate-policy-crashed", "A policy raised an exception"),
    "internal": ("gate-internal-error", "The gate failed"),
}


@dataclass(frozen=True)
class ProblemEntry:
    key: str  # config key, option, environment variable or policy ("" when none)
    message: str
    fix: str = ""


@dataclass
class Failure:
    """Why the gate stopped without verdicts."""

    exit_code: int  # 2 or 3
    kind: str  # one of KINDS
    project: str
    stack: str
    problems: list[ProblemEntry] = field(default_factory=list)
    environment: str | None = None
    stack_file: Path | None = None

    @property
    def rule_id(self) -> str:
        return KINDS[self.kind][0]

    @property
    def title(self) -> str:
        return KINDS[self.kind][1]


def redact(text: str) -> str:
    """Mask anything that looks like a credential (the settings' patterns)."""
    from settings.secrets import SECRET_PATTERNS

    for _kind, pattern in SECRET_PATTERNS:
        text = pattern.sub("****", text)
    return text


def from_settings_error(exc: Any) -> list[ProblemEntry]:
    """One entry per settings problem, rendered the way the settings render it (masked)."""
    out = []
    for p in exc.problems:
        body = p.render()
        body = body.split("\n    fix: ")[0]
        if body.startswith(f"{p.key}: "):
            body = body[len(p.key) + 2:]
        out.append(ProblemEntry(p.key, redact(body), redact(p.fix or "")))
    return out


# --- rendering -----------------------------------------------------------------------------


def render_failure(fmt: str, failure: Failure, root: Path) -> str:
    if fmt == "json":
        return render_json(failure)
    if fmt == "junit":
        return render_junit(failure)
    if fmt == "sarif":
        return render_sarif(failure, root)
    if fmt == "markdown":
        return render_markdown(failure)
    return render_text(failure)


def render_text(failure: Failure) -> str:
    lines = [f"FAILED (exit {failure.exit_code})  {term.line(failure.project)}/"
             f"{term.line(failure.stack)}: {failure.title}; no policy verdicts."]
    for p in failure.problems:
        lines.append(f"  - {term.line(p.key) + ': ' if p.key else ''}{term.line(p.message)}")
        if p.fix:
            lines.append(f"      fix: {term.line(p.fix)}")
    return "\n".join(lines) + "\n"


def render_markdown(failure: Failure) -> str:
    lines = [
        f"### Policy gate: {md.code(failure.project)} / {md.code(failure.stack)}",
        "",
        f"**Failed** (exit {failure.exit_code}): {md.text(failure.title)}; "
        "no policy verdicts were produced.",
        "",
        "| key | problem | fix |",
        "|---|---|---|",
    ]
    for p in failure.problems:
        lines.append(f"| {md.code(p.key) if p.key else '-'} | {md.text(p.message)} | "
                     f"{md.text(p.fix) if p.fix else '-'} |")
    return "\n".join(lines) + "\n"


def render_json(failure: Failure) -> str:
    from gate.document import SCHEMA_VERSION

    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "project": failure.project,
        "stack": failure.stack,
        "environment": failure.environment,
        "summary": {"resources": 0, "byType": {}, "protected": 0},
        "resources": [],
        "outputs": {},
        "policies": None,
        "outcome": {"exitCode": failure.exit_code, "verdict": f"{failure.kind}-error"
                    if failure.kind in ("configuration", "usage", "internal") else failure.kind},
        "errors": [{"key": p.key, "message": p.message, "fix": p.fix} for p in failure.problems],
    }
    return jsondoc.dumps(doc, indent=2) + "\n"


def render_junit(failure: Failure) -> str:
    title = f"policy gate {xt.text(failure.project)}/{xt.text(failure.stack)}"
    suites = ET.Element("testsuites", name=title, tests="1", failures="0", errors="1",
                        skipped="0")
    suite = ET.SubElement(suites, "testsuite", name=title, tests="1", failures="0", errors="1",
                          skipped="0")
    case = ET.SubElement(suite, "testcase",
                         classname=f"{xt.text(failure.project)}.{xt.text(failure.stack)}",
                         name=failure.rule_id)
    first = failure.problems[0] if failure.problems else ProblemEntry("", failure.title)
    summary = f"{xt.text(first.key) + ': ' if first.key else ''}{xt.text(first.message)}"
    error = ET.SubElement(case, "error", type=failure.rule_id,
                          message=summary if len(summary) <= 500 else summary[:497] + "...")
    body = [f"{failure.title} (exit {failure.exit_code}); no policy verdicts."]
    for p in failure.problems:
        body.append(f"- {xt.text(p.key) + ': ' if p.key else ''}{xt.text(p.message)}")
        if p.fix:
            body.append(f"  fix: {xt.text(p.fix)}")
    error.text = xt.lines(body)
    ET.indent(suites)
    xml = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n"


def render_sarif(failure: Failure, root: Path) -> str:
    from gate.render_sarif import sarif_log

    uri, text = _artifact(failure.stack_file, root)
    results = []
    for p in failure.problems or [ProblemEntry("", failure.title)]:
        message = f"{p.key + ': ' if p.key else ''}{p.message}"
        if p.fix:
            message += f"{'' if message.endswith('.') else '.'} Fix: {p.fix}"
        results.append({
            "ruleId": failure.rule_id,
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": esc.message(message)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": _line(text, p.key)}}}],
            "properties": {"configKey": esc.name(p.key), "exitCode": failure.exit_code},
        })
    rule = {
        "id": failure.rule_id,
        "shortDescription": {"text": failure.title},
        "fullDescription": {"text": f"{failure.title}: the gate stopped with exit "
                            f"{failure.exit_code} before any policy verdict."},
        "help": {"text": "Fix the problem named in the result and run the gate "
                         "again; the policy verdicts appear once it runs through."},
        "defaultConfiguration": {"level": "error"},
    }
    return sarif_log(failure.stack, [rule], {
        "invocations": [{"executionSuccessful": False, "exitCode": failure.exit_code}],
        "results": results,
        "properties": {"stack": esc.name(failure.stack), "exitCode": failure.exit_code},
    })


def _artifact(stack_file: Path | None, root: Path) -> tuple[str, str]:
    from gate.render_sarif import artifact_uri

    if stack_file is None:
        return "Pulumi.yaml", ""
    uri = artifact_uri(stack_file, root)
    try:
        if stack_file.is_file() and stack_file.stat().st_size <= 4 * 1024 * 1024:
            return uri, stack_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    return uri, ""


def _line(text: str, key: str) -> int:
    if not text or ":" not in key or key.startswith(("-", "env:")):  # not a config key
        return 1
    from gate.locate import line_of

    try:
        return line_of(text, key)
    except Exception:  # noqa: BLE001 - a hostile file must not break the error report
        return 1
