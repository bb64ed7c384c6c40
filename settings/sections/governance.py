"""Entra ID Governance: self-service access packages and just-in-time admins (PIM for groups)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from settings.sections.base import NonEmpty, Strict, Uuid

# Days between two access reviews, per recurrence (the recurrence values are the wire values
# Microsoft Graph and the azuread provider accept, azuread 6.11 docstrings).
REVIEW_PERIOD_DAYS = {"weekly": 7, "monthly": 28, "quarterly": 90, "halfyearly": 182,
                      "annual": 365}
# Longest assignment an access package may grant, per environment (prod stricter).
ACCESS_DURATION_CEILING_DAYS = {"dev": 365, "prod": 90}
# Longest PIM activation per environment; Entra allows at most one day (P1D).
ACTIVATION_CEILING_HOURS = {"dev": 24, "prod": 8}


class Requestors(Strict):
    """Who may request an access package: members of some groups, or every member user."""

    scope: Literal["groups", "all-members"]
    group_object_ids: list[Uuid] = Field(default_factory=list)


class ApprovalStage(Strict):
    """One approval stage. With no approver groups, the group's owners approve."""

    approver_group_object_ids: list[Uuid] = Field(default_factory=list)
    requestor_manager: bool = False
    timeout_days: int = Field(default=14, ge=1, le=14)
    approver_justification_required: bool = True


class Approval(Strict):
    required: bool = True
    stages: list[ApprovalStage] = Field(default_factory=lambda: [ApprovalStage()],
                                        min_length=1, max_length=2)


class AccessReviewSettings(Strict):
    """Periodic review of the package's assignments (an Entra access review)."""

    frequency: Literal["weekly", "monthly", "quarterly", "halfyearly", "annual"] = "quarterly"
    reviewers: Literal["owners", "self", "manager"] = "owners"
    on_no_response: Literal["keepAccess", "removeAccess",
                            "acceptAccessRecommendation"] = "removeAccess"
    duration_days: int = Field(default=14, ge=1, le=180)


class AccessPackage(Strict):
    """Self-service access to one mapped group through an access package and its policy."""

    description: Optional[NonEmpty] = None
    requestors: Requestors
    approval: Approval = Field(default_factory=Approval)
    justification_required: bool = True
    duration_days: int = Field(ge=1, le=3660)
    review: Optional[AccessReviewSettings] = None


class PrivilegedAccess(Strict):
    """Just-in-time membership of an admin group (PIM for groups)."""

    eligible_group_object_id: Uuid
    max_activation_hours: int = Field(default=8, ge=1, le=24)
    justification_required: bool = True
    mfa_required: bool = True
    activation_approver_group_object_ids: list[Uuid] = Field(default_factory=list)


def access_duration_ceiling(environment: str, governance: Optional[Governance]) -> int:
    """The longest assignment an access package may grant in this stack."""
    ceiling = ACCESS_DURATION_CEILING_DAYS[environment]
    if governance is not None and governance.max_duration_days is not None:
        return min(ceiling, governance.max_duration_days)
    return ceiling


class AccessCatalog(Strict):
    display_name: NonEmpty
    description: NonEmpty


class Governance(Strict):
    """Entra ID Governance, opt-in per stack (needs Entra ID Governance or P2 licences).

    ``accessPackages`` and ``privilegedAccess`` are keyed by group keys.
    ``standingAdminMembers`` records, by object id, why a member sits permanently in an admin
    group (prod refuses one without a reason).
    """

    catalog: Optional[AccessCatalog] = None
    max_duration_days: Optional[int] = Field(default=None, ge=1, le=3660)
    access_packages: dict[str, AccessPackage] = Field(default_factory=dict)
    privileged_access: dict[str, PrivilegedAccess] = Field(default_factory=dict)
    standing_admin_members: dict[Uuid, NonEmpty] = Field(default_factory=dict)
