"""The pull request's sticky comment: gate result and access diff per stack, size-capped.

CI writes, per stack, ``gate-<stack>.md`` (the gate's Markdown report), ``gate-<stack>.exit``
(its exit code) and ``diff-<stack>.md`` (the access diff against the base branch) into one
folder; ``dbx-gate comment --reports out --report-url <run url>`` turns them into one body
that starts with a hidden marker, so the workflow updates the same comment on every push
instead of adding another. GitHub refuses comment bodies over 65,536 characters: when the
reports are longer, each section is cut at a line boundary and the comment links to the run,
where the full reports are attached.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "<!-- dbx-gate:sticky-comment -->"
GITHUB_LIMIT = 65_536
VERDICTS = {
    0: ":white_check_mark: passed",
    1: ":x: mandatory policy violations",
    2: ":warning: configuration or usage error",
    3: ":boom: internal error or a policy crashed",
}


def stacks_in(folder: Path) -> list[str]:
    names = {p.name[len("gate-"):-len(".exit")] for p in folder.glob("gate-*.exit")}
    names |= {p.name[len("diff-"):-len(".md")] for p in folder.glob("diff-*.md")}
    return sorted(names)


def build_comment(folder: Path, report_url: str = "", limit: int = GITHUB_LIMIT,
                  title: str = "Policy gate") -> str:
    stacks = stacks_in(folder)
    head = [MARKER, f"## {title}", ""]
    rows = ["| stack | gate | access changes |", "|---|---|---|"]
    sections: list[tuple[str, str]] = []
    for stack in stacks:
        code = _exit_code(folder / f"gate-{stack}.exit")
        verdict = VERDICTS.get(code, f":grey_question: exit {code}") if code is not None \
            else ":grey_question: did not run"
        diff = _read(folder / f"diff-{stack}.md")
        changes = _first_line_with(diff, ("granted,", "No access changes")) or "-"
        rows.append(f"| `{stack}` | {verdict} | {changes} |")
        body = _read(folder / f"gate-{stack}.md")
        sections.append((f"<details><summary>{stack}: gate report</summary>\n\n",
                         body or "_no report was written_"))
        sections.append((f"<details><summary>{stack}: access diff against the base branch"
                         "</summary>\n\n", diff or "_no diff was computed_"))
    link = f"Full reports: {report_url}" if report_url else ""
    tail = ["", link] if link else []
    fixed = "\n".join(head + rows + [""]) + "\n".join(tail)
    close = "\n\n</details>\n"
    budget = limit - len(fixed) - sum(len(o) + len(close) for o, _ in sections) - 1
    bodies = _fit([b for _, b in sections], budget, report_url)
    parts = "".join(o + b + close for (o, _), b in zip(sections, bodies, strict=True))
    text = "\n".join(head + rows + [""]) + parts + "\n".join(tail) + "\n"
    if len(text) > limit:  # pathological: hundreds of stacks; keep the table only
        text = "\n".join(head + rows[: max(2, limit // 200)] + tail) + "\n"
    return text[:limit]


def _fit(bodies: list[str], budget: int, url: str) -> list[str]:
    if sum(len(b) for b in bodies) <= budget:
        return bodies
    note = f"\n\n… cut to fit GitHub's comment limit; the full report is at {url or 'the run'}.\n"
    share = max(0, budget // max(1, len(bodies)) - len(note))
    out = []
    for body in bodies:
        if len(body) <= share + len(note):
            out.append(body)
            continue
        cut = body.rfind("\n", 0, share)
        out.append(body[: cut if cut > 0 else share] + note)
    return out


def _exit_code(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _first_line_with(text: str, needles: tuple[str, ...]) -> str:
    for line in text.splitlines():
        if any(n in line for n in needles):
            return line.strip().replace("|", "\\|")
    return ""
