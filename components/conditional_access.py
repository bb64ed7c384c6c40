"""Conditional access for Azure Databricks and the client app.

Licensing: conditional access requires Microsoft Entra ID P1 (or P2) for the users in scope;
without it Microsoft Graph refuses to create the policies. The deployer needs
``Policy.ReadWrite.ConditionalAccess`` and ``Policy.Read.All`` (or the Conditional Access
Administrator role).

Every policy targets Azure Databricks (2ff814a6-3304-4ab8-85cb-cd0e6f879c1d, the app people
sign in to workspaces through) and the client app when one is configured, includes the mapped
groups and excludes exactly the break-glass groups plus the exclusions recorded with a reason.
The state comes from config: ``enabled``, ``enabledForReportingButNotEnforced`` (report-only)
or ``disabled``. Policies: MFA always; a compliant device (``requireCompliantDevice``); a
sign-in frequency; and, with ``outsideTrustedLocations``, a policy for every location except
the trusted named locations (``includedLocations: ["All"]``, ``excludedLocations``: their ids)
that blocks sign-in or requires a compliant device there.

No legacy-authentication policy: legacy clients (Exchange ActiveSync, IMAP/POP/SMTP basic auth,
"other") cannot sign in to Azure Databricks or an authorization-code + PKCE client at all, so a
block scoped to these apps is a no-op; block legacy authentication tenant-wide instead.

Enum values are the ones Microsoft Graph documents for conditionalAccessPolicy: client app
types ``all``; built-in controls ``mfa``, ``compliantDevice``, ``block``; locations ``All``;
sign-in frequency ``type`` ``hours``/``days`` with ``frequencyInterval`` ``timeBased``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azuread as azuread

from components._base import child, type_token
from settings import Settings
from settings.model import ConditionalAccess, NamedLocation
from settings.wellknown import AZURE_DATABRICKS_APP_ID

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class ConditionalAccessArgs:
    """Inputs of :class:`ConditionalAccessPolicies`."""

    conditional_access: ConditionalAccess
    group_object_ids: dict[str, pulumi.Output[str]]  # mapped groups only
    client_app_client_id: Optional[pulumi.Input[str]]  # None: the stack has no client app
    environment: str

    @classmethod
    def from_settings(cls, s: Settings, *, group_object_ids: dict[str, pulumi.Output[str]],
                      client_app_client_id: Optional[pulumi.Input[str]]
                      ) -> ConditionalAccessArgs:
        mapped = s.only_mapped(group_object_ids)
        return cls(conditional_access=s.conditional_access, group_object_ids=mapped,
                   client_app_client_id=client_app_client_id,
                   environment=s.environment.value)

    @property
    def included_applications(self) -> list[pulumi.Input[str]]:
        """Azure Databricks, and the client app when there is one."""
        apps: list[pulumi.Input[str]] = [AZURE_DATABRICKS_APP_ID]
        if self.client_app_client_id is not None:
            apps.append(self.client_app_client_id)
        return apps


@dataclass(frozen=True)
class SignInFrequency:
    """A sign-in frequency as Graph takes it: a value and a unit."""

    value: int
    period: str  # "hours" or "days"


@dataclass(frozen=True)
class PolicySpec:
    """One policy, independent of Pulumi: what it requires and of which clients."""

    key: str
    title: str
    client_app_types: tuple[str, ...] = ("all",)
    built_in_controls: tuple[str, ...] = ()
    sign_in_frequency: Optional[SignInFrequency] = None
    outside_trusted_locations: bool = False


def sign_in_frequency(hours: int) -> SignInFrequency:
    """Whole days as ``days``; shorter spans as ``hours``.

    The Entra admin center offers 1-23 hours or 1-365 days. A span of 24 hours or more that is
    not a whole number of days is rounded *down* to whole days, which is stricter, never looser.
    """
    if hours < 1:
        raise ValueError(f"sign-in frequency must be at least 1 hour (got {hours})")
    if hours < HOURS_PER_DAY:
        return SignInFrequency(hours, "hours")
    return SignInFrequency(hours // HOURS_PER_DAY, "days")


def policy_specs(ca: ConditionalAccess) -> list[PolicySpec]:
    """The policies the config asks for, in a stable order."""
    specs = [PolicySpec("require-mfa", "require MFA", built_in_controls=("mfa",))]
    if ca.require_compliant_device:
        specs.append(PolicySpec("require-compliant-device", "require a compliant device",
                                built_in_controls=("compliantDevice",)))
    if ca.sign_in_frequency_hours is not None:
        specs.append(PolicySpec("sign-in-frequency", "sign-in frequency",
                                sign_in_frequency=sign_in_frequency(ca.sign_in_frequency_hours)))
    if ca.outside_trusted_locations == "block":
        specs.append(PolicySpec("block-outside-trusted-locations",
                                "block sign-in outside trusted locations",
                                built_in_controls=("block",), outside_trusted_locations=True))
    elif ca.outside_trusted_locations == "requireCompliantDevice":
        specs.append(PolicySpec("compliant-device-outside-trusted-locations",
                                "require a compliant device outside trusted locations",
                                built_in_controls=("compliantDevice",),
                                outside_trusted_locations=True))
    return specs


def trusted_location_keys(ca: ConditionalAccess) -> list[str]:
    """Keys of the named locations marked trusted."""
    return [key for key, loc in ca.named_locations.items() if loc.trusted]


class ConditionalAccessPolicies(pulumi.ComponentResource):
    """Named locations and the conditional access policies for Azure Databricks."""

    named_location_ids: dict[str, pulumi.Output[str]]
    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ConditionalAccessArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        check_args(args)
        super().__init__(type_token("conditionalaccess", "ConditionalAccessPolicies"), name, None,
                         opts)
        self._name = name
        self._args = args
        ca = args.conditional_access
        self.named_location_ids = {key: self._named_location(key, loc)
                                   for key, loc in ca.named_locations.items()}
        self.policy_ids = {spec.key: self._policy(spec) for spec in policy_specs(ca)}
        self.register_outputs({"namedLocationIds": self.named_location_ids,
                               "policyIds": self.policy_ids})

    def _named_location(self, key: str, loc: NamedLocation) -> pulumi.Output[str]:
        location = azuread.NamedLocation(
            f"{self._name}-location-{key}",
            display_name=loc.display_name,
            ip=azuread.NamedLocationIpArgs(ip_ranges=list(loc.ip_ranges), trusted=loc.trusted),
            opts=child(self),
        )
        # The resource id is "/identity/conditionalAccess/namedLocations/<id>"; policies take
        # the bare object id.
        return location.object_id

    def _policy(self, spec: PolicySpec) -> pulumi.Output[str]:
        args = self._args
        policy = azuread.ConditionalAccessPolicy(
            f"{self._name}-{spec.key}",
            display_name=f"Databricks ML ({args.environment}): {spec.title}",
            state=args.conditional_access.state,
            conditions=azuread.ConditionalAccessPolicyConditionsArgs(
                client_app_types=list(spec.client_app_types),
                applications=azuread.ConditionalAccessPolicyConditionsApplicationsArgs(
                    included_applications=args.included_applications),
                users=azuread.ConditionalAccessPolicyConditionsUsersArgs(
                    included_groups=list(args.group_object_ids.values()),
                    excluded_groups=args.conditional_access.excluded_group_object_ids),
                locations=self._locations(spec),
            ),
            grant_controls=_grant_controls(spec),
            session_controls=_session_controls(spec),
            opts=child(self),
        )
        return policy.id

    def _locations(self, spec: PolicySpec
                   ) -> Optional[azuread.ConditionalAccessPolicyConditionsLocationsArgs]:
        if not spec.outside_trusted_locations:
            return None
        trusted = trusted_location_keys(self._args.conditional_access)
        return azuread.ConditionalAccessPolicyConditionsLocationsArgs(
            included_locations=["All"],
            excluded_locations=[self.named_location_ids[key] for key in trusted])


def check_args(args: ConditionalAccessArgs) -> None:
    """Refuse configurations that would produce a policy targeting nobody or everybody."""
    ca = args.conditional_access
    if not args.group_object_ids:
        raise ValueError("conditional access needs at least one group with a role (a mapped "
                         "group) to include; give a group in `groups` a `role`")
    if ca.outside_trusted_locations != "none" and not trusted_location_keys(ca):
        raise ValueError("conditionalAccess.outsideTrustedLocations applies everywhere but the "
                         "trusted locations, and no named location is trusted: mark one "
                         "`trusted: true`")


def _grant_controls(spec: PolicySpec) -> Optional[azuread.ConditionalAccessPolicyGrantControlsArgs]:
    if not spec.built_in_controls:
        return None
    return azuread.ConditionalAccessPolicyGrantControlsArgs(
        operator="OR", built_in_controls=list(spec.built_in_controls))


def _session_controls(spec: PolicySpec
                      ) -> Optional[azuread.ConditionalAccessPolicySessionControlsArgs]:
    frequency = spec.sign_in_frequency
    if frequency is None:
        return None
    return azuread.ConditionalAccessPolicySessionControlsArgs(
        sign_in_frequency=frequency.value,
        sign_in_frequency_period=frequency.period,
        sign_in_frequency_interval="timeBased",
        sign_in_frequency_authentication_type="primaryAndSecondaryAuthentication",
    )
