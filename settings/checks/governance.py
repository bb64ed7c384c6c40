"""Checks of Entra ID Governance: access packages for the mapped groups, just-in-time (PIM)
membership of the admin groups, and no standing admins in prod."""

from __future__ import annotations

from collections.abc import Iterator

from settings.checks.registry import check, key, problem
from settings.errors import Problem
from settings.model import (
    ACCESS_DURATION_CEILING_DAYS,
    ACTIVATION_CEILING_HOURS,
    REVIEW_PERIOD_DAYS,
    AccessPackage,
    Role,
    Settings,
    access_duration_ceiling,
)

_GOV = ("governance",)


@check
def check_governance_access_packages(s: Settings) -> Iterator[Problem]:
    """One package per requestable mapped group, within the environment's limits."""
    gov = s.governance
    if gov is None:
        return
    env = s.environment.value
    prod = s.is_prod
    ceiling = ACCESS_DURATION_CEILING_DAYS[env]
    if gov.max_duration_days is not None and gov.max_duration_days > ceiling:
        yield problem(key(*_GOV, "maxDurationDays"), f"exceeds the {env} ceiling of {ceiling} "
                      "days", f"use at most {ceiling} (the ceiling can only be lowered per "
                      "stack)", gov.max_duration_days)
    limit = access_duration_ceiling(env, gov)
    for k, pkg in gov.access_packages.items():
        path = (*_GOV, "accessPackages", k)
        group = s.groups.get(k)
        if group is None:
            yield problem(key(*path), "names an undeclared group", "use a key of groups: "
                          f"{', '.join(sorted(s.groups))}", k)
            continue
        if not group.is_mapped:
            yield problem(key(*path), "the group is not mapped into Databricks (it has no role), "
                          "so there is nothing to request", f"set `groups.{k}.role`, or remove "
                          "the package", k)
        elif group.role is Role.ADMIN:
            yield problem(key(*path), "an admin group is never requestable: admins get in just "
                          "in time through PIM", f"remove it and declare "
                          f"`governance.privilegedAccess.{k}`", k)
        yield from _requestors(pkg, path)
        if prod and not pkg.approval.required:
            yield problem(key(*path, "approval", "required"), "requestable access in prod must "
                          "be approved", "set `approval.required: true` (the group's owners "
                          "approve by default)", False)
        if pkg.duration_days > limit:
            yield problem(key(*path, "durationDays"), f"exceeds the {env} ceiling of {limit} "
                          "days", f"use at most {limit} days (requestors can ask again, or "
                          "extend, before expiry)", pkg.duration_days)
        if prod and not pkg.justification_required:
            yield problem(key(*path, "justificationRequired"), "prod requests must carry a "
                          "business justification for the approvers and the audit trail",
                          "set `justificationRequired: true`", False)
        yield from _review(pkg, path, prod)


def _requestors(pkg: AccessPackage, path: tuple[str, ...]) -> Iterator[Problem]:
    req = pkg.requestors
    if req.scope == "groups" and not req.group_object_ids:
        yield problem(key(*path, "requestors", "groupObjectIds"), "scope 'groups' needs at least "
                      "one group whose members may request", "list the object ids of the "
                      "requesting groups, or use `scope: all-members`")
    if req.scope == "all-members" and req.group_object_ids:
        yield problem(key(*path, "requestors", "groupObjectIds"), "scope 'all-members' takes no "
                      "groups", "remove groupObjectIds, or use `scope: groups`",
                      req.group_object_ids)
    if req.scope == "all-members" and not pkg.approval.required:
        yield problem(key(*path, "approval", "required"), "every member of the tenant could join "
                      "this group without anyone approving", "set `approval.required: true`, or "
                      "narrow `requestors` to `scope: groups`", False)


def _review(pkg: AccessPackage, path: tuple[str, ...], prod: bool) -> Iterator[Problem]:
    review = pkg.review
    if review is None:
        if prod:
            yield problem(key(*path, "review"), "prod access must be reviewed periodically",
                          "add `review: {frequency: quarterly, reviewers: owners, "
                          "onNoResponse: removeAccess}`")
        return
    if prod and review.on_no_response != "removeAccess":
        yield problem(key(*path, "review", "onNoResponse"), "in prod, access nobody vouches for "
                      "must go", "set `onNoResponse: removeAccess`", review.on_no_response)
    period = REVIEW_PERIOD_DAYS[review.frequency]
    if review.duration_days >= period:
        yield problem(key(*path, "review", "durationDays"), f"a {review.frequency} review must "
                      f"finish before the next one starts ({period} days)", f"use fewer than "
                      f"{period} days", review.duration_days)


@check
def check_governance_privileged_access(s: Settings) -> Iterator[Problem]:
    """PIM for groups: only admin groups, within the activation ceiling; every prod admin group."""
    gov = s.governance
    if gov is None:
        return
    env = s.environment.value
    prod = s.is_prod
    ceiling = ACTIVATION_CEILING_HOURS[env]
    break_glass = {i.lower() for i in s.conditional_access.break_glass_group_object_ids}
    for k, pim in gov.privileged_access.items():
        path = (*_GOV, "privilegedAccess", k)
        group = s.groups.get(k)
        if group is None:
            yield problem(key(*path), "names an undeclared group", "use the key of an admin "
                          f"group: {', '.join(sorted(s.admin_groups))}", k)
            continue
        if group.role is not Role.ADMIN:
            yield problem(key(*path), "just-in-time membership is for admin groups only",
                          f"request other groups through `governance.accessPackages.{k}`", k)
        if pim.max_activation_hours > ceiling:
            yield problem(key(*path, "maxActivationHours"), f"exceeds the {env} ceiling of "
                          f"{ceiling} hours", f"use at most {ceiling}", pim.max_activation_hours)
        if prod and not pim.justification_required:
            yield problem(key(*path, "justificationRequired"), "prod activations must say why",
                          "set `justificationRequired: true`", False)
        if prod and not pim.mfa_required:
            yield problem(key(*path, "mfaRequired"), "prod activations must be confirmed with "
                          "MFA", "set `mfaRequired: true`", False)
        if pim.eligible_group_object_id.lower() in break_glass:
            yield problem(key(*path, "eligibleGroupObjectId"), "is a break-glass group: "
                          "emergency access must never depend on a PIM activation", "name the "
                          "day-to-day administrators' group; keep break-glass accounts "
                          "permanent and outside PIM", pim.eligible_group_object_id)
    if prod:
        for k in s.admin_groups:
            if k not in gov.privileged_access:
                yield problem(key(*_GOV, "privilegedAccess"), f"admin group '{k}' has no "
                              "just-in-time access: in prod admins get in through PIM, not "
                              "standing membership", f"add `privilegedAccess.{k}: "
                              "{eligibleGroupObjectId: <group of eligible admins>}`")


@check
def check_no_standing_admins_in_prod(s: Settings) -> Iterator[Problem]:
    """Prod admin groups have no permanent members unless each is recorded with a reason."""
    if not s.is_prod:
        return
    standing = s.governance.standing_admin_members if s.governance else {}
    recorded = {m.lower() for m in standing}
    admin_members: set[str] = set()
    for k in s.admin_groups:
        for i, member in enumerate(s.groups[k].members):
            admin_members.add(member.lower())
            if member.lower() not in recorded:
                yield problem(key("groups", k, "members", str(i)), "is a standing member of a "
                              "prod admin group", "remove it (admins activate through PIM), or "
                              f"record why under `governance.standingAdminMembers.{member}: "
                              "<reason>`", member)
    for member in standing:
        if member.lower() not in admin_members:
            yield problem(key(*_GOV, "standingAdminMembers", member), "records a reason for "
                          "someone who is not a member of any admin group", "remove the stale "
                          "entry", member)
