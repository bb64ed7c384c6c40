"""The auditor sees how a person gets into each group, and the diff flags changes that make it
easier. Expectations are computed from the config, independently of the plan walk that builds the
report (which follows the package -> catalog resource -> group links the stack declares)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from gate.access import AccessReport, build_access_report
from gate.access_formats import render_access_markdown
from gate.capture import Plan
from gate.diff import easier_access_changes, main, render_markdown
from gate.trace import trace
from settings import Settings, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, plan_for, stack_document

Mutation = Callable[[dict[str, Any]], None]


def report(plan: Plan, settings: Settings) -> AccessReport:
    trace(plan.resources, settings)
    return build_access_report(settings, plan)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_group_has_its_path(stack: str, request: pytest.FixtureRequest) -> None:
    plan, settings = request.getfixturevalue(f"plan_{stack}"), request.getfixturevalue(
        f"settings_{stack}")
    paths = {p.group: p for p in report(plan, settings).access_paths}
    assert set(paths) == set(settings.groups)
    gov = settings.governance
    assert gov is not None
    for key, path in paths.items():
        pkg, pim = gov.access_packages.get(key), gov.privileged_access.get(key)
        assert (path.request is not None) == (pkg is not None), key
        assert (path.eligibility is not None) == (pim is not None), key
        if pkg is not None and path.request is not None:
            assert path.request.duration_days == pkg.duration_days
            assert path.request.approval_required == pkg.approval.required
            assert len(path.request.approval_stages) == (
                len(pkg.approval.stages) if pkg.approval.required else 0)
            assert path.request.review_frequency == (pkg.review.frequency if pkg.review else "")
        if pim is not None and path.eligibility is not None:
            assert path.eligibility.eligible_group == pim.eligible_group_object_id
            hours = pim.max_activation_hours
            assert path.eligibility.max_activation == ("P1D" if hours == 24 else f"PT{hours}H")
        if pkg is None and pim is None and not settings.groups[key].members:
            assert path.summary.startswith("managed elsewhere"), key


def test_prod_review_shows_approvers_duration_and_cadence(plan_prod: Plan,
                                                          settings_prod: Settings) -> None:
    rep = report(plan_prod, settings_prod)
    paths = {p.group: p for p in rep.access_paths}
    owner = settings_prod.groups["data-scientists"].owners[0]
    ds = paths["data-scientists"].request
    assert ds is not None
    assert ds.approval_stages == [[f"owner {owner}"],
                                  ["members of cccccccc-0000-0000-0000-000000000002"]]
    assert paths["auditors"].review.startswith("monthly by owner ")
    assert paths["auditors"].review.endswith("no response: removeAccess")
    md = render_access_markdown(rep)
    assert "## How people get in" in md
    assert "| `model-risk-reviewers` sg-dbx-prod-model-risk | managed elsewhere" in md
    assert "activate for at most PT4H; justification, MFA" in md
    doc = json.loads(json.dumps(rep.to_json()))
    assert {p["group"] for p in doc["access_paths"]} == set(settings_prod.groups)
    assert all(p["summary"] for p in doc["access_paths"])


# --- the diff flags access made easier to get -----------------------------------------------


@cache
def _head(name: str) -> AccessReport:
    mutate = MUTATIONS[name]
    doc = stack_document("prod")
    mutate(doc["config"])
    settings = parse(raw_from_stack_document(doc, "Pulumi.prod.yaml"), stack="prod")
    return report(plan_for("prod", mutate), settings)


def _pkg(cfg: dict[str, Any], key: str) -> dict[str, Any]:
    return cfg[f"{NS}:governance"]["accessPackages"][key]


def _one_stage(cfg: dict[str, Any]) -> None:
    _pkg(cfg, "data-scientists")["approval"]["stages"].pop()


def _shorter(cfg: dict[str, Any]) -> None:
    _pkg(cfg, "auditors")["durationDays"] = 14


def _more_requestors(cfg: dict[str, Any]) -> None:
    _pkg(cfg, "auditors")["requestors"]["groupObjectIds"].append(
        "cccccccc-0000-0000-0000-000000000099")


def _everyone_may_request(cfg: dict[str, Any]) -> None:
    _pkg(cfg, "auditors")["requestors"] = {"scope": "all-members"}


def _longer(cfg: dict[str, Any]) -> None:
    cfg[f"{NS}:governance"]["maxDurationDays"] = 90
    _pkg(cfg, "auditors")["durationDays"] = 90


def _longer_activation(cfg: dict[str, Any]) -> None:
    cfg[f"{NS}:governance"]["privilegedAccess"]["platform-admins"]["maxActivationHours"] = 8


def _new_package(cfg: dict[str, Any]) -> None:
    _pkg(cfg, "auditors")  # exists
    cfg[f"{NS}:governance"]["accessPackages"]["model-risk-reviewers"] = {
        "requestors": {"scope": "groups",
                       "groupObjectIds": ["cccccccc-0000-0000-0000-000000000004"]},
        "durationDays": 30,
        "review": {"frequency": "monthly", "onNoResponse": "removeAccess", "durationDays": 7}}


MUTATIONS: dict[str, Mutation] = {
    "one_stage": _one_stage, "shorter": _shorter, "more_requestors": _more_requestors,
    "everyone": _everyone_may_request, "longer": _longer, "activation": _longer_activation,
    "new_package": _new_package,
}


@pytest.mark.parametrize(("name", "group", "reason"), [
    ("one_stage", "data-scientists", "approval stages 2 -> 1"),
    ("more_requestors", "auditors",
     "wider requestors: groups added cccccccc-0000-0000-0000-000000000099"),
    ("everyone", "auditors",
     "wider requestors: SpecificDirectorySubjects -> AllExistingDirectoryMemberUsers"),
    ("longer", "auditors", "longer duration: 30 -> 90 days"),
    ("activation", "platform-admins", "longer activation: PT4H -> PT8H"),
    ("new_package", "model-risk-reviewers", "group became requestable (new access package)"),
])
def test_diff_flags_easier_access(plan_prod: Plan, settings_prod: Settings, name: str,
                                  group: str, reason: str) -> None:
    easier = easier_access_changes(report(plan_prod, settings_prod), _head(name))
    assert [(e.group, e.reasons) for e in easier] == [(group, (reason,))]
    md = render_markdown([], "prod@main", "prod", easier)
    assert "**Access made easier to get**" in md and f":warning: `{group}`: {reason}" in md


def test_stricter_access_is_not_flagged(plan_prod: Plan, settings_prod: Settings) -> None:
    assert easier_access_changes(report(plan_prod, settings_prod), _head("shorter")) == []
    assert easier_access_changes(_head("longer"), report(plan_prod, settings_prod)) == []


def test_approval_removed_is_flagged_between_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    """dev's ml-engineers package needs no approval, prod's does: prod -> dev lowers the bar."""
    assert main(["prod", "dev", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    easier = {d["principal"]: d["reasons"] for d in doc if d["kind"] == "easier-access"}
    assert "approval removed" in easier["ml-engineers"]
    assert "longer duration: 90 -> 180 days" in easier["ml-engineers"]
    assert ("wider requestors: SpecificDirectorySubjects -> AllExistingDirectoryMemberUsers"
            in easier["data-scientists"])
    assert main(["dev", "prod", "--format", "json"]) == 0
    back = {d["principal"]: d["reasons"] for d in json.loads(capsys.readouterr().out)
            if d["kind"] == "easier-access"}
    # prod is stricter everywhere; what it adds is a package for auditors and another PIM group.
    assert back == {
        "auditors": ["group became requestable (new access package)"],
        "platform-admins": ["eligible group changed: cccccccc-0000-0000-0000-000000000011 -> "
                            "cccccccc-0000-0000-0000-000000000010"]}
