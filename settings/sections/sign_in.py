"""How people sign in: the Azure Databricks enterprise app, our client app, conditional access."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from settings.sections.base import Cidr, NonEmpty, Strict, Uuid


class AzureDatabricksAssignment(Strict):
    """A further principal assigned to the Azure Databricks enterprise app, with the reason."""

    object_id: Uuid
    principal_type: Literal["group", "user", "servicePrincipal"] = "group"
    reason: NonEmpty


class AzureDatabricksApp(Strict):
    """The tenant's Azure Databricks enterprise app (first-party app 2ff814a6-...).

    ``requireAssignment: true`` adopts the tenant's Azure Databricks service principal, sets
    ``appRoleAssignmentRequired`` and assigns every mapped group, every automation identity, the
    break-glass groups and ``additionalAssignments``. This is TENANT-WIDE: nobody else in the
    tenant gets a token for Azure Databricks, in any workspace. Off (the default), the enterprise
    app is only looked up and never changed.
    """

    require_assignment: bool = False
    additional_assignments: dict[str, AzureDatabricksAssignment] = Field(default_factory=dict)


class ClientApp(Strict):
    """An OAuth client of our own tools that call Azure Databricks on behalf of signed-in users.

    Public client (``publicClient``: desktop/CLI tools, loopback redirect per RFC 8252) or
    single-page app (``singlePageApplication``); authorization code + PKCE, never a secret.
    """

    display_name: NonEmpty
    platform: Literal["publicClient", "singlePageApplication"]
    redirect_uris: list[str] = Field(min_length=1)
    owners: list[Uuid] = Field(min_length=1)


class NamedLocation(Strict):
    display_name: NonEmpty
    ip_ranges: list[Cidr] = Field(min_length=1)
    trusted: bool = True


class RecordedExclusion(Strict):
    """A group excluded from every conditional access policy besides break-glass, and why."""

    object_id: Uuid
    reason: NonEmpty


class ConditionalAccess(Strict):
    """Conditional access for Azure Databricks and the client app.

    ``outsideTrustedLocations`` uses the trusted named locations: ``block`` refuses sign-in from
    anywhere else, ``requireCompliantDevice`` asks for a compliant device there, ``none`` adds
    no location policy (and then no named location may be declared: it would be unused).
    """

    state: Literal["enabled", "enabledForReportingButNotEnforced", "disabled"]
    break_glass_group_object_ids: list[Uuid] = Field(default_factory=list)
    named_locations: dict[str, NamedLocation] = Field(default_factory=dict)
    require_compliant_device: bool = False
    outside_trusted_locations: Literal["none", "block", "requireCompliantDevice"] = "none"
    sign_in_frequency_hours: Optional[int] = Field(default=None, ge=1, le=720)
    recorded_exclusions: dict[str, RecordedExclusion] = Field(default_factory=dict)

    @property
    def excluded_group_object_ids(self) -> list[str]:
        """Break-glass groups first, then the recorded exclusions (each id once)."""
        ids = list(self.break_glass_group_object_ids)
        for exclusion in self.recorded_exclusions.values():
            if exclusion.object_id not in ids:
                ids.append(exclusion.object_id)
        return ids
