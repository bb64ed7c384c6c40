"""How a person gets into each group, and how often that is reviewed (Entra ID Governance).

Read from the captured plan (what the stack really declares; each group found by the config
entry it sits under, see :mod:`gate.trace`): for each Entra group, the access
package and its assignment policy that make it requestable (requestors, approval stages,
justification, duration, periodic review), the PIM eligibility that makes it reachable just in
time (eligible group, maximum activation, justification, MFA, approvers), the explicit standing
members, or none of these ("managed elsewhere": Entra owns membership outside this stack).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from gate.capture import Plan
from gate.escape import markdown as md
from gate.tokens import (
    ASSIGNMENT_POLICY,
    CATALOG_RESOURCE,
    ELIGIBILITY,
    ENTRA_GROUP,
    ENTRA_GROUP_MEMBER,
    PACKAGE_RESOURCE,
    ROLE_POLICY,
)
from gate.trace import entry_key
from settings import Settings
from settings.model import PROJECT

ALL_MEMBERS = "AllExistingDirectoryMemberUsers"
# requestorSettings.scopeType from narrowest to widest (wider = easier to get).
SCOPE_WIDTH = {"NoSubjects": 0, "SpecificDirectorySubjects": 1,
               "SpecificConnectedOrganizationSubjects": 2,
               "AllExistingDirectoryMemberUsers": 3, "AllExistingDirectorySubjects": 4,
               "AllExistingConnectedOrganizationSubjects": 5,
               "AllConfiguredConnectedOrganizationSubjects": 5, "AllExternalSubjects": 6}


@dataclass
class RequestPath:
    """An access package that makes the group requestable."""

    scope: str  # requestorSettings.scopeType
    requestor_groups: list[str]
    approval_required: bool
    approval_stages: list[list[str]]  # per stage, who approves
    justification_required: bool
    duration_days: int | None  # None: assignments never expire
    review: str  # "" when assignments are never reviewed
    review_frequency: str
    review_on_no_response: str


@dataclass
class EligibilityPath:
    """PIM for groups: members of ``eligible_group`` may activate membership for a while."""

    eligible_group: str
    max_activation: str  # ISO 8601, e.g. PT4H
    justification_required: bool
    mfa_required: bool
    approvers: list[str]


@dataclass
class AccessPath:
    """Every way into one group."""

    group: str  # config key
    display_name: str
    request: RequestPath | None = None
    eligibility: EligibilityPath | None = None
    standing_members: int = 0
    granted_by: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = []
        if self.request:
            r = self.request
            who = "any member user" if r.scope == ALL_MEMBERS else (
                f"members of {', '.join(r.requestor_groups) or '(nobody)'}")
            approval = (" then ".join(f"[{' or '.join(s)}]" for s in r.approval_stages)
                        if r.approval_required else "no approval")
            duration = f"{r.duration_days} days" if r.duration_days else "no expiry"
            parts.append(f"request ({who}; approved by {approval}; "
                         f"{'justification, ' if r.justification_required else ''}{duration})")
        if self.eligibility:
            e = self.eligibility
            extras = [x for x, on in (("justification", e.justification_required),
                                      ("MFA", e.mfa_required)) if on]
            if e.approvers:
                extras.append(f"approved by {' or '.join(e.approvers)}")
            parts.append(f"eligibility (members of {e.eligible_group} activate for at most "
                         f"{e.max_activation}{'; ' + ', '.join(extras) if extras else ''})")
        if self.standing_members:
            parts.append(f"{self.standing_members} standing member(s) declared in config")
        return "; ".join(parts) or "managed elsewhere (Entra owns membership outside this stack)"

    @property
    def review(self) -> str:
        return self.request.review if self.request and self.request.review else "-"


def _approver(subject: dict[str, Any], owners: set[str]) -> str:
    kind, oid = subject.get("subjectType", ""), str(subject.get("objectId", ""))
    if kind == "requestorManager":
        return "requestor's manager"
    if kind == "groupMembers":
        return f"members of {oid}"
    if kind == "singleUser":
        return f"owner {oid}" if oid.lower() in owners else f"user {oid}"
    return f"{kind} {oid}".strip()


def _request(inputs: dict[str, Any], owners: set[str]) -> RequestPath:
    req = inputs.get("requestorSettings") or {}
    approval = inputs.get("approvalSettings") or {}
    review = inputs.get("assignmentReviewSettings") or {}
    required = approval.get("approvalRequired") is True
    stages = [[_approver(a, owners) for a in stage.get("primaryApprovers") or []]
              for stage in approval.get("approvalStages") or []] if required else []
    reviewed = review.get("enabled") is True
    named = " or ".join(_approver(r, owners) for r in review.get("reviewers") or [])
    who = {"Reviewers": named or "reviewers", "Self": "the members themselves",
           "Manager": "their managers"}.get(str(review.get("reviewType", "")), "reviewers")
    text = (f"{review.get('reviewFrequency')} by {who}; no response: "
            f"{review.get('accessReviewTimeoutBehavior')}") if reviewed else ""
    days = inputs.get("durationInDays")
    return RequestPath(
        scope=str(req.get("scopeType", "")),
        requestor_groups=[str(r.get("objectId")) for r in req.get("requestors") or []],
        approval_required=required, approval_stages=stages,
        justification_required=approval.get("requestorJustificationRequired") is True,
        duration_days=int(days) if isinstance(days, (int, float)) and days > 0 else None,
        review=text, review_frequency=str(review.get("reviewFrequency", "")) if reviewed else "",
        review_on_no_response=(str(review.get("accessReviewTimeoutBehavior", ""))
                               if reviewed else ""))


def _eligibility(schedule: dict[str, Any], policy: dict[str, Any] | None) -> EligibilityPath:
    rules = (policy or {}).get("activationRules") or {}
    stage = rules.get("approvalStage") or {}
    return EligibilityPath(
        eligible_group=str(schedule.get("principalId", "")),
        max_activation=str(rules.get("maximumDuration") or "tenant default"),
        justification_required=rules.get("requireJustification") is True,
        mfa_required=rules.get("requireMultifactorAuthentication") is True,
        approvers=[f"members of {a.get('objectId')}" if a.get("type") == "groupMembers"
                   else f"user {a.get('objectId')}"
                   for a in stage.get("primaryApprovers") or []]
        if rules.get("requireApproval") else [])


def build_access_paths(settings: Settings, plan: Plan) -> list[AccessPath]:
    """One entry per group of the stack, in config order (``plan`` traced: gate.trace)."""
    by_type: dict[str, list[Any]] = defaultdict(list)
    for r in plan.resources:
        by_type[r.type].append(r)
    # each Entra group sits under its config entry (the plan is traced), which names the key
    key_by_oid = {str(r.outputs.get("objectId", "")): entry_key(r, "groups")
                  for r in by_type[ENTRA_GROUP]}
    origin_of = {r.id: str(r.inputs.get("resourceOriginId", "")) for r in by_type[CATALOG_RESOURCE]}
    group_of_package = {
        str(r.inputs.get("accessPackageId", "")): origin_of.get(
            str(r.inputs.get("catalogResourceAssociationId", "")), "")
        for r in by_type[PACKAGE_RESOURCE] if r.inputs.get("accessType", "Member") == "Member"}
    role_policies = {str(r.inputs.get("groupId", "")): r.inputs for r in by_type[ROLE_POLICY]
                     if r.inputs.get("roleId") == "member"}
    paths = {k: AccessPath(k, g.display_name) for k, g in settings.groups.items()}
    for policy in by_type[ASSIGNMENT_POLICY]:
        key = key_by_oid.get(group_of_package.get(str(policy.inputs.get("accessPackageId")), ""))
        if key:
            owners = {o.lower() for o in settings.groups[key].owners}
            paths[key].request = _request(policy.inputs, owners)
            paths[key].granted_by.append(f"{PROJECT}:governance.accessPackages.{key}")
    for schedule in by_type[ELIGIBILITY]:
        oid = str(schedule.inputs.get("groupId", ""))
        key = key_by_oid.get(oid)
        if key and schedule.inputs.get("assignmentType") == "member":
            paths[key].eligibility = _eligibility(schedule.inputs, role_policies.get(oid))
            paths[key].granted_by.append(f"{PROJECT}:governance.privilegedAccess.{key}")
    for member in by_type[ENTRA_GROUP_MEMBER]:
        key = key_by_oid.get(str(member.inputs.get("groupObjectId", "")))
        if key:
            paths[key].standing_members += 1
    for key, path in paths.items():
        if path.standing_members:
            path.granted_by.append(f"{PROJECT}:groups.{key}.members")
    return list(paths.values())


def render_access_paths_markdown(paths: list[AccessPath]) -> list[str]:
    """The "How people get in" section of the access review."""
    lines = ["## How people get in", "",
             "Per group: the self-service request (who may ask, who approves, for how long), the "
             "just-in-time eligibility (PIM), standing members declared in config, or none of "
             "these (managed elsewhere); and how often access is reviewed.", "",
             "| group | how a person gets in | review | declared by |", "|---|---|---|---|"]
    for p in paths:  # values from the stack go through gate.escape.markdown
        lines.append(f"| {md.code(p.group)} {md.text(p.display_name)} | {md.text(p.summary)} | "
                     f"{md.text(p.review)} | "
                     f"{', '.join(md.code(g) for g in p.granted_by) or '-'} |")
    return lines


# --- what makes access easier to get (for the access diff) --------------------------------------


def easier_access(base: AccessPath | None, head: AccessPath) -> list[str]:
    """Reasons why ``head`` lets people into the group more easily than ``base``."""
    reasons: list[str] = []
    before_req = base.request if base else None
    after_req = head.request
    if after_req and not before_req:
        reasons.append("group became requestable (new access package)")
    elif before_req and after_req:
        reasons += _easier_request(before_req, after_req)
    before_el = base.eligibility if base else None
    after_el = head.eligibility
    if after_el and not before_el:
        reasons.append(f"members of {after_el.eligible_group} became eligible (PIM)")
    elif before_el and after_el:
        reasons += _easier_eligibility(before_el, after_el)
    if head.standing_members > (base.standing_members if base else 0):
        reasons.append("standing members added")
    return reasons


def _easier_request(a: RequestPath, b: RequestPath) -> list[str]:
    out = []
    if a.approval_required and not b.approval_required:
        out.append("approval removed")
    elif a.approval_required and len(b.approval_stages) < len(a.approval_stages):
        out.append(f"approval stages {len(a.approval_stages)} -> {len(b.approval_stages)}")
    if a.justification_required and not b.justification_required:
        out.append("requestor justification no longer required")
    if b.duration_days is None and a.duration_days is not None:
        out.append(f"duration {a.duration_days} days -> no expiry")
    elif a.duration_days and b.duration_days and b.duration_days > a.duration_days:
        out.append(f"longer duration: {a.duration_days} -> {b.duration_days} days")
    wider = SCOPE_WIDTH.get(b.scope, 9) > SCOPE_WIDTH.get(a.scope, 9)
    if wider:
        out.append(f"wider requestors: {a.scope} -> {b.scope}")
    elif a.scope == b.scope and set(b.requestor_groups) - set(a.requestor_groups):
        out.append("wider requestors: groups added "
                   + ", ".join(sorted(set(b.requestor_groups) - set(a.requestor_groups))))
    if a.review and not b.review:
        out.append("periodic review removed")
    elif a.review_on_no_response == "removeAccess" and b.review and \
            b.review_on_no_response != "removeAccess":
        out.append(f"review no longer removes access on no response "
                   f"({b.review_on_no_response})")
    return out


def _iso_minutes(value: str) -> int | None:
    """Minutes of ``PT<h>H<m>M`` / ``P1D``; None when it is not one of those."""
    import re

    if value == "P1D":
        return 24 * 60
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", value)
    if not m or not any(m.groups()):
        return None
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def _easier_eligibility(a: EligibilityPath, b: EligibilityPath) -> list[str]:
    out = []
    if a.eligible_group != b.eligible_group:
        out.append(f"eligible group changed: {a.eligible_group} -> {b.eligible_group}")
    before, after = _iso_minutes(a.max_activation), _iso_minutes(b.max_activation)
    if before is not None and (after is None or after > before):
        out.append(f"longer activation: {a.max_activation} -> {b.max_activation}")
    if a.justification_required and not b.justification_required:
        out.append("activation justification no longer required")
    if a.mfa_required and not b.mfa_required:
        out.append("activation MFA no longer required")
    if a.approvers and not b.approvers:
        out.append("activation approval removed")
    return out
