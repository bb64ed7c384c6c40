"""The scheduled drift check's issue: which stack drifted, and which resources.

The drift workflow runs, per stack, ``pulumi refresh --preview-only --expect-no-changes
--diff`` (reads every resource, changes nothing) and stores its output and exit code as
``drift-<stack>.txt`` and ``drift-<stack>.exit``. ``dbx-gate drift-issue --reports out``
turns them into the body of the one open drift issue. A non-zero exit with Pulumi's
"no changes were expected" message is drift; any other non-zero exit means the check itself
failed (credentials, network), which is reported as such, never as "no drift".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gate.model import STACK_TYPE

MARKER = "<!-- dbx-gate:drift-issue -->"
EXPECT_NO_CHANGES = "no changes were expected"
# Resource lines of a preview: an operation symbol, the type token, the logical name.
_RESOURCE_LINE = re.compile(r"^\s*(?P<op>[~+\-]{1,2}|\+-|-\+)\s+(?P<type>[\w.-]+:[\w./-]*:[\w.-]+)"
                            r"\s+(?P<name>\S+)(?P<rest>.*)$")
LIMIT = 60_000


@dataclass
class StackDrift:
    stack: str
    state: str  # "clean" | "drift" | "failed" | "missing"
    resources: list[str] = field(default_factory=list)
    output: str = ""


def read_stack(folder: Path, stack: str) -> StackDrift:
    try:
        code = int((folder / f"drift-{stack}.exit").read_text().strip())
    except (OSError, ValueError):
        return StackDrift(stack, "missing")
    output = ""
    try:
        output = (folder / f"drift-{stack}.txt").read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass
    if code == 0:
        return StackDrift(stack, "clean", output=output)
    resources = []
    for line in output.splitlines():
        m = _RESOURCE_LINE.match(line)
        if m and m["type"] != STACK_TYPE:
            resources.append(f"{m['op']} {m['type']} {m['name']}{m['rest'].rstrip()}")
    state = "drift" if EXPECT_NO_CHANGES in output or resources else "failed"
    return StackDrift(stack, state, resources, output)


def stacks_in(folder: Path) -> list[str]:
    return sorted(p.name[len("drift-"):-len(".exit")] for p in folder.glob("drift-*.exit"))


def build_issue(folder: Path, run_url: str = "") -> tuple[str, bool]:
    """(issue body, whether anything needs attention)."""
    results = [read_stack(folder, s) for s in stacks_in(folder)]
    attention = any(r.state in ("drift", "failed", "missing") for r in results)
    lines = [MARKER, "## Drift between the stacks and the live tenant", ""]
    if run_url:
        lines += [f"Checked by {run_url} with `pulumi refresh --preview-only "
                  "--expect-no-changes` (reads only; nothing was changed).", ""]
    lines += ["| stack | result |", "|---|---|"]
    words = {"clean": ":white_check_mark: no drift",
             "drift": ":warning: drift",
             "failed": ":x: the check failed (see its output)",
             "missing": ":grey_question: no result"}
    for r in results:
        extra = f" ({len(r.resources)} resource(s))" if r.state == "drift" else ""
        lines.append(f"| `{r.stack}` | {words[r.state]}{extra} |")
    for r in results:
        if r.state == "drift":
            lines += ["", f"### `{r.stack}`: what drifted", ""]
            lines += [f"- `{x}`" for x in r.resources] or ["- (see the output below)"]
        if r.state in ("drift", "failed"):
            tail = r.output[-8000:]
            lines += ["", f"<details><summary>{r.stack}: refresh output (last part)</summary>",
                      "", "```", tail.replace("```", "'''"), "```", "", "</details>"]
    lines += ["", "Someone changed these objects outside Pulumi (portal, CLI, another tool). "
              "Either make the stack config say the same and deploy, or run `pulumi up` to put "
              "the declared state back. Do not `pulumi refresh` blindly: it would accept the "
              "change into the state and hide it."]
    body = "\n".join(lines) + "\n"
    return body[:LIMIT], attention
