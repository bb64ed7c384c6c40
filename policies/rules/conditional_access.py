"""Entra ID conditional access rules protecting Azure Databricks sign-ins."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    AZURE_DATABRICKS_APP_ID,
    UNKNOWN,
    Report,
    config_int,
    config_strings,
    depends_on,
    elements,
    is_set,
    label,
    lower,
    of_type,
    peek,
    raw_elements,
    read,
    read_all,
    reasoned_entries,
)
from ._policy import Controls, Family, integer_property, string_list_property
from ._types import CA_POLICY, NAMED_LOCATION
from .entra_sign_in import client_apps

policy = Family("conditional-access")


# Microsoft Graph conditionalAccessPolicy.state / clientAppTypes / builtInControls values.
ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"
ACTIVE_STATES = (ENABLED, REPORT_ONLY)
USER_EXCLUSIONS = ("excludedGroups", "excludedUsers", "excludedRoles")


@dataclass(frozen=True)
class Target:
    """An application whose sign-ins conditional access must cover."""

    description: str
    client_id: Any  # a string, UNKNOWN, or None when not exported
    resource: Optional[PolicyResource]

    def shown_id(self) -> str:
        """The client id for messages."""
        return self.client_id if isinstance(self.client_id, str) else "<client id>"


def databricks_targets(resources: list[PolicyResource]) -> list[Target]:
    """The first-party Azure Databricks app and every client application of the stack."""
    first_party = f"Azure Databricks ({AZURE_DATABRICKS_APP_ID})"
    targets = [Target(first_party, AZURE_DATABRICKS_APP_ID, None)]
    for app in client_apps(resources):
        targets.append(
            Target(f"client application {label(app)}", peek(app.props, "clientId"), app)
        )
    return targets


def _includes(policy: PolicyResource, target: Target) -> Optional[bool]:
    """Does the policy include the target application? None when undecidable in preview."""
    included = peek(policy.props, "conditions", "applications", "includedApplications")
    if included is UNKNOWN:
        return None
    entries = raw_elements(included)
    known = {lower(e) for e in entries if isinstance(e, str)}
    if "all" in known:
        return True
    if isinstance(target.client_id, str) and target.client_id.lower() in known:
        return True
    has_unknown = UNKNOWN in entries or target.client_id is UNKNOWN
    if has_unknown and target.resource and depends_on(policy, "conditions", target.resource):
        return True
    return None if has_unknown else False


def _excludes(policy: PolicyResource, target: Target) -> bool:
    """True when the policy explicitly excludes the target application."""
    excluded = raw_elements(
        peek(policy.props, "conditions", "applications", "excludedApplications")
    )
    known = {lower(e) for e in excluded if isinstance(e, str)}
    return isinstance(target.client_id, str) and target.client_id.lower() in known


def _targets_users(policy: PolicyResource) -> bool:
    """True when the policy applies to some users, groups or roles."""
    users = ("includedUsers", "includedGroups", "includedRoles")
    return any(is_set(peek(policy.props, "conditions", "users", key)) for key in users)


def _controls(policy: PolicyResource) -> list[Any]:
    """The built-in grant controls of the policy."""
    return read_all(policy.props, "grantControls", "builtInControls") or []


def requires_mfa(policy: PolicyResource) -> bool:
    """True when every sign-in the policy applies to must complete MFA."""
    controls = _controls(policy)
    operator = read(policy.props, "grantControls", "operator")
    strength = peek(policy.props, "grantControls", "authenticationStrengthPolicyId")
    exclusive = operator == "AND" or len(controls) <= 1
    if is_set(strength) and exclusive:
        return True
    return "mfa" in controls and exclusive


def uncovered(
    resources: list[PolicyResource], qualifies: Callable[[PolicyResource], bool]
) -> list[Target]:
    """Databricks targets that no active, qualifying, user-targeting policy includes."""
    policies = [
        p
        for p in of_type(resources, CA_POLICY)
        if read(p.props, "state") in ACTIVE_STATES and _targets_users(p) and qualifies(p)
    ]
    missing: list[Target] = []
    for target in databricks_targets(resources):
        decisions = [(p, _includes(p, target)) for p in policies if not _excludes(p, target)]
        if any(decision is True for _, decision in decisions):
            continue
        undecided = [p for p, decision in decisions if decision is None]
        if undecided:
            if target.resource is not None:
                read(target.resource.props, "clientId")
            for policy in undecided:
                read_all(policy.props, "conditions", "applications", "includedApplications")
        missing.append(target)
    return missing


@policy.resource(
    name="ca-break-glass-excluded",
    types=[CA_POLICY],
    severity=Severity.CRITICAL,
    controls=Controls(soc2=("A1.2", "CC6.1"), iso27001=("A.5.15", "A.5.30")),
    remediation=(
        "Add the break-glass group object id(s) to conditions.users.excludedGroups of every "
        "enabled or report-only policy and list them in breakGlassGroupObjectIds."
    ),
    config={
        "breakGlassGroupObjectIds": string_list_property(
            [], "Object ids of the emergency-access groups every policy must exclude."
        ),
    },
)
def check_break_glass(args: ResourceValidationArgs, report: Report) -> None:
    """Active conditional access policies exclude the break-glass group(s)."""
    if read(args.props, "state") not in ACTIVE_STATES:
        return
    break_glass = config_strings(args.get_config(), "breakGlassGroupObjectIds", [])
    if not break_glass:
        if not is_set(peek(args.props, "conditions", "users", "excludedGroups")):
            report(
                "conditions.users.excludedGroups is empty and breakGlassGroupObjectIds is not "
                "configured; exclude the break-glass group and list its object id in the policy "
                "config."
            )
        return
    excluded = read_all(args.props, "conditions", "users", "excludedGroups") or []
    present = {lower(e) for e in excluded}
    missing = [g for g in break_glass if g.lower() not in present]
    if missing:
        report(
            f"conditions.users.excludedGroups does not contain break-glass group(s) {missing}; "
            "exclude them so the emergency access accounts are never locked out."
        )


@policy.stack(
    name="ca-mfa-for-databricks",
    severity=Severity.CRITICAL,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5",)),
    remediation=(
        "Declare a ConditionalAccessPolicy (state enabled) including the Databricks app ids "
        "(or 'All'), the Databricks user groups, and grantControls.builtInControls=['mfa']."
    ),
)
def check_mfa(args: StackValidationArgs, report: Report) -> None:
    """Sign-ins to Azure Databricks and its client applications require MFA."""
    for target in uncovered(args.resources, requires_mfa):
        report(
            f"{target.description} is not covered by an enabled or report-only conditional access "
            "policy that requires MFA; add a policy whose "
            f"conditions.applications.includedApplications contains '{target.shown_id()}' (or "
            "'All') with grantControls.builtInControls=['mfa'].",
            target.resource.urn if target.resource else None,
        )


@policy.resource(
    name="ca-policies-enabled",
    types=[CA_POLICY],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.8.5", "A.5.15")),
    remediation="Set state='enabled' once the report-only results have been reviewed.",
)
def check_enabled(args: ResourceValidationArgs, report: Report) -> None:
    """Conditional access policies are enforced, not report-only (production)."""
    state = read(args.props, "state")
    if state != ENABLED:
        report(
            f"state is '{state}'; set state='enabled' in production (report-only and disabled "
            "policies do not protect sign-ins)."
        )


@policy.resource(
    name="ca-exclusions-only-break-glass",
    types=[CA_POLICY],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1", "CC6.2"), iso27001=("A.5.15", "A.5.18")),
    remediation=(
        "Exclude only breakGlassGroupObjectIds; for any other exclusion add "
        "{'objectId': ..., 'reason': ...} to recordedExclusions."
    ),
    config={
        "breakGlassGroupObjectIds": string_list_property(
            [], "Object ids of the emergency-access groups policies may exclude."
        ),
        "recordedExclusions": {
            "type": "array",
            "default": [],
            "description": "Further exclusions, each with the reason it was accepted.",
            "items": {
                "type": "object",
                "properties": {"objectId": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["objectId", "reason"],
            },
        },
    },
)
def check_exclusions(args: ResourceValidationArgs, report: Report) -> None:
    """Active conditional access policies exclude the break-glass groups and nothing else, unless
    the exclusion is recorded with a reason."""
    if read(args.props, "state") not in ACTIVE_STATES:
        return
    config = args.get_config()
    allowed = {g.lower() for g in config_strings(config, "breakGlassGroupObjectIds", [])}
    recorded = reasoned_entries(config, "recordedExclusions", "objectId", str.lower)
    for field in USER_EXCLUSIONS:
        for entry in read_all(args.props, "conditions", "users", field) or []:
            oid = lower(entry)
            if oid in allowed or recorded.get(oid) is True:
                continue
            why = ("is listed in recordedExclusions without a reason" if oid in recorded
                   else "is neither a break-glass group nor a recorded exclusion")
            report(
                f"conditions.users.{field} excludes '{entry}', which {why}; remove the "
                "exclusion, or record it as {'objectId': ..., 'reason': ...} in "
                "recordedExclusions (and conditionalAccess.recordedExclusions in the stack)."
            )


def _location_refs(policy: PolicyResource) -> tuple[set[str], bool]:
    """Known location ids a policy includes or excludes, and whether any entry is unknown."""
    refs: set[str] = set()
    unknown = False
    for field in ("includedLocations", "excludedLocations"):
        entries = peek(policy.props, "conditions", "locations", field)
        if entries is UNKNOWN:
            unknown = True
            continue
        for entry in raw_elements(entries):
            if isinstance(entry, str):
                refs.add(entry.lower())
            elif entry is UNKNOWN:
                unknown = True
    return refs, unknown


@policy.stack(
    name="ca-named-locations-used",
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.1", "CC6.6"), iso27001=("A.8.20", "A.5.15")),
    remediation=(
        "Reference each NamedLocation in conditions.locations of an enabled or report-only "
        "policy (e.g. excludedLocations of an outside-trusted-locations policy), or remove it."
    ),
)
def check_locations_used(args: StackValidationArgs, report: Report) -> None:
    """Every declared named location is used by an active conditional access policy."""
    policies = [p for p in of_type(args.resources, CA_POLICY)
                if read(p.props, "state") in ACTIVE_STATES]
    refs = [(p, *_location_refs(p)) for p in policies]
    for location in of_type(args.resources, NAMED_LOCATION):
        ids = {lower(v) for v in (peek(location.props, "objectId"), peek(location.props, "id"))
               if isinstance(v, str)}
        used = any(ids & known or depends_on(p, "conditions", location)
                   for p, known, _ in refs)
        if used:
            continue
        if any(unknown for _, _, unknown in refs):
            read(location.props, "objectId")  # undecidable in preview: the SDK says so
        report(
            f"named location {label(location)} is declared but no enabled or report-only "
            "conditional access policy includes or excludes it; use it (e.g. exclude the "
            "trusted locations from a policy that blocks or requires a compliant device "
            "everywhere else) or remove it.",
            location.urn,
        )


@policy.resource(
    name="ca-named-location-narrow-trusted-ranges",
    types=[NAMED_LOCATION],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.1", "CC6.6"), iso27001=("A.8.20", "A.5.15")),
    remediation="List only your egress (NAT/VPN) ranges in a trusted NamedLocation.",
    config={
        "minTrustedPrefixLengthIpv4": integer_property(24, "Narrowest allowed IPv4 prefix."),
        "minTrustedPrefixLengthIpv6": integer_property(48, "Narrowest allowed IPv6 prefix."),
    },
)
def check_trusted_ranges(args: ResourceValidationArgs, report: Report) -> None:
    """Trusted named locations contain only narrow IP ranges."""
    if read(args.props, "ip", "trusted") is not True:
        return
    config = args.get_config()
    minimum = {
        4: config_int(config, "minTrustedPrefixLengthIpv4", 24),
        6: config_int(config, "minTrustedPrefixLengthIpv6", 48),
    }
    for entry in elements(read(args.props, "ip", "ipRanges")):
        try:
            network = ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            report(f"ipRanges entry '{entry}' is not a valid CIDR range.")
            continue
        if network.prefixlen < minimum[network.version]:
            report(
                f"trusted range '{entry}' is broader than /{minimum[network.version]}; trust only "
                "your specific egress ranges."
            )
