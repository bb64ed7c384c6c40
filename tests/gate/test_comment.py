"""CI's sticky pull request comment and the drift issue, from CI's report folders."""

from __future__ import annotations

from pathlib import Path

from gate.comment import GITHUB_LIMIT, MARKER, build_comment
from gate.drift import build_issue


def reports(folder: Path, stack: str, code: int, gate_md: str, diff_md: str) -> None:
    (folder / f"gate-{stack}.exit").write_text(f"{code}\n")
    (folder / f"gate-{stack}.md").write_text(gate_md)
    (folder / f"diff-{stack}.md").write_text(diff_md)


def test_comment_starts_with_the_marker_and_summarises_each_stack(tmp_path: Path) -> None:
    reports(tmp_path, "dev", 0, "## dev\nall good\n", "No access changes.\n")
    reports(tmp_path, "prod", 1, "## prod\n2 violations\n",
            "### Access diff\n\n1 granted, 1 revoked, 0 changed.\n")
    body = build_comment(tmp_path, "https://ci/run/7")
    assert body.startswith(MARKER)  # the workflow finds and updates this one comment
    assert "| `dev` | :white_check_mark: passed | No access changes. |" in body
    assert "| `prod` | :x: mandatory policy violations | 1 granted, 1 revoked, 0 changed. |" \
        in body
    assert "2 violations" in body and "https://ci/run/7" in body


def test_config_errors_and_missing_reports_are_named(tmp_path: Path) -> None:
    (tmp_path / "gate-prod.exit").write_text("2")
    (tmp_path / "diff-dev.md").write_text("No access changes.")
    body = build_comment(tmp_path)
    assert ":warning: configuration or usage error" in body
    assert "| `dev` | :grey_question: did not run |" in body
    assert "_no report was written_" in body


def test_huge_reports_are_cut_below_githubs_limit_with_a_link(tmp_path: Path) -> None:
    line = "| violation | resource | " + "x" * 80 + " |\n"
    reports(tmp_path, "dev", 1, line * 2000, "1 granted, 0 revoked, 0 changed.\n" + line * 900)
    reports(tmp_path, "prod", 1, line * 3000, line * 10)
    body = build_comment(tmp_path, "https://ci/run/8")
    assert len(body) <= GITHUB_LIMIT
    assert body.startswith(MARKER) and "| `prod` |" in body
    assert "cut to fit GitHub's comment limit; the full report is at https://ci/run/8" in body
    small = build_comment(tmp_path, "https://ci/run/8", limit=5_000)
    assert len(small) <= 5_000 and small.startswith(MARKER)


def write_drift(folder: Path, stack: str, code: int, text: str) -> None:
    (folder / f"drift-{stack}.exit").write_text(str(code))
    (folder / f"drift-{stack}.txt").write_text(text)


def test_drift_issue_names_what_drifted(tmp_path: Path) -> None:
    write_drift(tmp_path, "dev", 0, "no changes\n")
    write_drift(tmp_path, "prod", 255, (
        "     Type                       Name                 Plan\n"
        "     pulumi:pulumi:Stack        databricks-ml-entra-prod\n"
        " ~   azuread:index/group:Group  groups-ml-engineers  update  [diff: ~description]\n"
        " -   databricks:index/permissions:Permissions  model-access-churn-legacy-acl  delete\n"
        "error: no changes were expected but changes were proposed\n"))
    body, attention = build_issue(tmp_path, "https://ci/run/9")
    assert attention
    assert "| `dev` | :white_check_mark: no drift |" in body
    assert "| `prod` | :warning: drift (2 resource(s)) |" in body
    assert "azuread:index/group:Group groups-ml-engineers" in body
    assert "model-access-churn-legacy-acl" in body


def test_a_failed_check_is_not_reported_as_clean(tmp_path: Path) -> None:
    write_drift(tmp_path, "prod", 255, "error: failed to authenticate\n")
    body, attention = build_issue(tmp_path)
    assert attention and ":x: the check failed" in body
    (tmp_path / "drift-prod.exit").write_text("0")
    assert build_issue(tmp_path)[1] is False
