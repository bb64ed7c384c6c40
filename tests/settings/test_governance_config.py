"""Bad input for the ``governance`` section: every key is refused with its path, the problem and
the fix, before a single resource is registered. Each case breaks one thing in a shipped stack."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.capture import RecordingMonitor, capture
from gate.mocks import TypeAwareMocks
from settings import SettingsError, parse
from settings.load import raw_from_stack_document
from tests.conftest import NS, ROOT, stack_document
from tests.settings.test_bad_config import Config, only, problems_for

GOV = f"{NS}:governance"
PKG = f"{GOV}.accessPackages"
PIM = f"{GOV}.privilegedAccess"
PERSON = "dddddddd-0000-4000-8000-000000000001"


def gov(cfg: Config) -> Config:
    return cfg[GOV]


def pkg(cfg: Config, key: str = "data-scientists") -> Config:
    return cfg[GOV]["accessPackages"][key]


def pim(cfg: Config) -> Config:
    return cfg[GOV]["privilegedAccess"]["platform-admins"]


def setter(getter: Callable[[Config], Config], field: str, value: Any) -> Callable[[Config], None]:
    def mutate(cfg: Config) -> None:
        getter(cfg)[field] = value
    return mutate


# (stack, mutation, key, words the message must contain)
CASES: list[tuple[str, Callable[[Config], object], str, tuple[str, ...]]] = [
    ("dev", lambda cfg: cfg.update({GOV: ["data-scientists"]}), GOV, ("expected a mapping",)),
    ("dev", setter(gov, "catlog", {}), f"{GOV}.catlog", ("did you mean `catalog`",)),
    ("dev", lambda cfg: gov(cfg)["catalog"].pop("displayName"), f"{GOV}.catalog.displayName",
     ("required key is missing",)),
    ("dev", lambda cfg: gov(cfg)["catalog"].update(description=""),
     f"{GOV}.catalog.description", ("at least 1 character",)),
    ("dev", setter(gov, "maxDurationDays", 0), f"{GOV}.maxDurationDays", ("at least 1",)),
    ("prod", setter(gov, "maxDurationDays", 180), f"{GOV}.maxDurationDays",
     ("exceeds the prod ceiling of 90 days", "at most 90")),
    ("dev", lambda cfg: gov(cfg)["accessPackages"].update(
        {"data-engineers": {"requestors": {"scope": "all-members"}, "durationDays": 30}}),
     f"{PKG}.data-engineers", ("undeclared group", "data-scientists")),
    ("dev", lambda cfg: gov(cfg)["accessPackages"].update(
        {"platform-admins": {"requestors": {"scope": "all-members"}, "durationDays": 30}}),
     f"{PKG}.platform-admins", ("never requestable", "privilegedAccess.platform-admins")),
    ("dev", lambda cfg: (cfg[f"{NS}:groups"].update(
        {"readers": {"displayName": "sg-readers", "description": "d",
                     "owners": ["aaaaaaaa-0000-0000-0000-000000000001"]}}),
        gov(cfg)["accessPackages"].update(
        {"readers": {"requestors": {"scope": "all-members"}, "durationDays": 30}})),
     f"{PKG}.readers", ("not mapped into Databricks",)),
    ("dev", setter(pkg, "description", ""), f"{PKG}.data-scientists.description",
     ("at least 1 character",)),
    ("dev", lambda cfg: pkg(cfg).pop("requestors"), f"{PKG}.data-scientists.requestors",
     ("required key is missing",)),
    ("dev", setter(lambda c: pkg(c)["requestors"], "scope", "everyone"),
     f"{PKG}.data-scientists.requestors.scope", ("not an allowed value", "'all-members'")),
    ("prod", setter(lambda c: pkg(c)["requestors"], "groupObjectIds", ["analytics"]),
     f"{PKG}.data-scientists.requestors.groupObjectIds.0", ("is not a UUID",)),
    ("prod", setter(lambda c: pkg(c)["requestors"], "groupObjectIds", []),
     f"{PKG}.data-scientists.requestors.groupObjectIds", ("needs at least one group",)),
    ("dev", setter(lambda c: pkg(c)["requestors"], "groupObjectIds", [PERSON]),
     f"{PKG}.data-scientists.requestors.groupObjectIds", ("takes no groups",)),
    ("dev", setter(pkg, "approval", {"required": False}),
     f"{PKG}.data-scientists.approval.required", ("every member of the tenant",)),
    ("prod", setter(pkg, "approval", {"required": False}),
     f"{PKG}.data-scientists.approval.required", ("must be approved",)),
    ("prod", setter(pkg, "approval", {"stages": [{}, {}, {}]}),
     f"{PKG}.data-scientists.approval.stages", ("at most 2",)),
    ("prod", setter(pkg, "approval", {"stages": []}),
     f"{PKG}.data-scientists.approval.stages", ("at least 1",)),
    ("prod", setter(pkg, "approval", {"stages": [{"approverGroupObjectIds": ["owners"]}]}),
     f"{PKG}.data-scientists.approval.stages.0.approverGroupObjectIds.0", ("is not a UUID",)),
    ("prod", setter(pkg, "approval", {"stages": [{"requestorManager": "boss"}]}),
     f"{PKG}.data-scientists.approval.stages.0.requestorManager", ("true or false",)),
    ("prod", setter(pkg, "approval", {"stages": [{"timeoutDays": 30}]}),
     f"{PKG}.data-scientists.approval.stages.0.timeoutDays", ("at most 14",)),
    ("prod", setter(pkg, "approval", {"stages": [{"approverJustificationRequired": "often"}]}),
     f"{PKG}.data-scientists.approval.stages.0.approverJustificationRequired",
     ("true or false",)),
    ("prod", setter(pkg, "justificationRequired", False),
     f"{PKG}.data-scientists.justificationRequired", ("business justification",)),
    ("dev", lambda cfg: pkg(cfg).pop("durationDays"), f"{PKG}.data-scientists.durationDays",
     ("required key is missing",)),
    ("prod", setter(pkg, "durationDays", 120), f"{PKG}.data-scientists.durationDays",
     ("exceeds the prod ceiling of 90 days",)),
    ("dev", setter(pkg, "durationDays", 200), f"{PKG}.data-scientists.durationDays",
     ("exceeds the dev ceiling of 180 days",)),
    ("prod", lambda cfg: pkg(cfg).pop("review"), f"{PKG}.data-scientists.review",
     ("reviewed periodically",)),
    ("prod", setter(lambda c: pkg(c)["review"], "frequency", "annually"),
     f"{PKG}.data-scientists.review.frequency", ("not an allowed value", "'annual'")),
    ("prod", setter(lambda c: pkg(c)["review"], "reviewers", "approvers"),
     f"{PKG}.data-scientists.review.reviewers", ("not an allowed value", "'owners'")),
    ("prod", setter(lambda c: pkg(c)["review"], "onNoResponse", "keepAccess"),
     f"{PKG}.data-scientists.review.onNoResponse", ("removeAccess",)),
    ("dev", setter(lambda c: pkg(c)["review"], "onNoResponse", "remove"),
     f"{PKG}.data-scientists.review.onNoResponse", ("not an allowed value",)),
    ("prod", setter(lambda c: pkg(c)["review"], "durationDays", 90),
     f"{PKG}.data-scientists.review.durationDays", ("must finish before the next one",)),
    ("dev", lambda cfg: gov(cfg)["privilegedAccess"].update(
        {"ml-engineers": {"eligibleGroupObjectId": PERSON}}),
     f"{PIM}.ml-engineers", ("admin groups only",)),
    ("dev", lambda cfg: gov(cfg)["privilegedAccess"].update(
        {"admins": {"eligibleGroupObjectId": PERSON}}),
     f"{PIM}.admins", ("undeclared group", "platform-admins")),
    ("dev", lambda cfg: pim(cfg).pop("eligibleGroupObjectId"),
     f"{PIM}.platform-admins.eligibleGroupObjectId", ("required key is missing",)),
    ("dev", setter(pim, "eligibleGroupObjectId", "admins"),
     f"{PIM}.platform-admins.eligibleGroupObjectId", ("is not a UUID",)),
    ("prod", setter(pim, "eligibleGroupObjectId", "bbbbbbbb-0000-0000-0000-000000000001"),
     f"{PIM}.platform-admins.eligibleGroupObjectId", ("break-glass group",)),
    ("dev", setter(pim, "maxActivationHours", 48), f"{PIM}.platform-admins.maxActivationHours",
     ("at most 24",)),
    ("prod", setter(pim, "maxActivationHours", 12), f"{PIM}.platform-admins.maxActivationHours",
     ("exceeds the prod ceiling of 8 hours",)),
    ("prod", setter(pim, "justificationRequired", False),
     f"{PIM}.platform-admins.justificationRequired", ("must say why",)),
    ("prod", setter(pim, "mfaRequired", False), f"{PIM}.platform-admins.mfaRequired",
     ("confirmed with MFA",)),
    ("dev", setter(pim, "activationApproverGroupObjectIds", ["leads"]),
     f"{PIM}.platform-admins.activationApproverGroupObjectIds.0", ("is not a UUID",)),
    ("prod", lambda cfg: gov(cfg).update(privilegedAccess={}), f"{PIM}",
     ("admin group 'platform-admins' has no just-in-time access",)),
    ("prod", setter(gov, "standingAdminMembers", {"alice": "on call"}),
     f"{GOV}.standingAdminMembers.alice", ("is not a UUID",)),
    ("prod", setter(gov, "standingAdminMembers", {PERSON: "on call"}),
     f"{GOV}.standingAdminMembers.{PERSON}", ("not a member of any admin group",)),
    ("prod", lambda cfg: (cfg[f"{NS}:groups"]["platform-admins"].update(members=[PERSON]),
                          gov(cfg).update(standingAdminMembers={PERSON: ""})),
     f"{GOV}.standingAdminMembers.{PERSON}", ("at least 1 character",)),
    ("prod", lambda cfg: cfg[f"{NS}:groups"]["platform-admins"].update(members=[PERSON]),
     f"{NS}:groups.platform-admins.members.0",
     ("standing member of a prod admin group", f"governance.standingAdminMembers.{PERSON}")),
]


@pytest.mark.parametrize(("stack", "mutate", "key", "words"), CASES,
                         ids=[f"{c[0]}:{c[2].removeprefix(NS + ':')}:{i}"
                              for i, c in enumerate(CASES)])
def test_bad_governance_key_is_named(stack: str, mutate: Callable[[Config], None], key: str,
                                     words: tuple[str, ...]) -> None:
    msg = only(problems_for(stack, mutate), key)
    for word in words:
        assert word in msg, msg


def test_recorded_standing_member_is_accepted() -> None:
    doc = stack_document("prod")
    doc["config"][f"{NS}:groups"]["platform-admins"]["members"] = [PERSON]
    doc["config"][GOV]["standingAdminMembers"] = {PERSON: "INC-4711: PIM outage runbook owner"}
    settings = parse(raw_from_stack_document(doc, "Pulumi.prod.yaml"), stack="prod")
    assert settings.governance is not None
    assert PERSON in settings.governance.standing_admin_members


def test_prod_without_governance_still_refuses_standing_admins() -> None:
    def mutate(cfg: Config) -> None:
        cfg.pop(GOV)
        cfg[f"{NS}:groups"]["platform-admins"]["members"] = [PERSON]

    assert "standing member" in only(problems_for("prod", mutate),
                                     f"{NS}:groups.platform-admins.members.0")


def test_dev_allows_standing_admin_members() -> None:
    doc = stack_document("dev")
    doc["config"][f"{NS}:groups"]["platform-admins"]["members"] = [PERSON]
    parse(raw_from_stack_document(doc, "Pulumi.dev.yaml"), stack="dev")


def test_every_problem_at_once_and_nothing_registered() -> None:
    doc = stack_document("prod")
    pkg(doc["config"])["durationDays"] = 365
    pim(doc["config"])["maxActivationHours"] = 24
    monitor = RecordingMonitor(TypeAwareMocks())
    with pytest.raises(SettingsError) as info:
        capture("prod", raw_from_stack_document(doc, "Pulumi.prod.yaml"), monitor=monitor)
    assert {p.key for p in info.value.problems} >= {
        f"{PKG}.data-scientists.durationDays", f"{PIM}.platform-admins.maxActivationHours"}
    assert monitor.records == []


def test_gate_exits_2_on_bad_governance(tmp_path: Path) -> None:
    doc = stack_document("prod")
    pkg(doc["config"])["approval"] = {"required": False}
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gate", "prod", "--stack-file", str(path), "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2
    assert f"{PKG}.data-scientists.approval.required" in proc.stderr
    assert "registered no resource" in proc.stderr
