"""Conditional access rules protecting Azure Databricks sign-ins."""

from __future__ import annotations

import pytest
from policy_harness import (
    BREAK_GLASS_GROUP_ID,
    DATABRICKS_APP_ID,
    DELETE,
    SIGNIN_CLIENT_ID,
    UNKNOWN,
    Case,
    application,
    ca_location_policy,
    ca_mfa_policy,
    check_case,
    compliant_stack,
    named_location,
    passes,
    preview,
    swap,
    violation,
)

BREAK_GLASS = "ca-break-glass-excluded"
MFA = "ca-mfa-for-databricks"
ENABLED = "ca-policies-enabled"
NAMED = "ca-named-location-narrow-trusted-ranges"
EXCLUSIONS = "ca-exclusions-only-break-glass"
USED = "ca-named-locations-used"

FIRST_PARTY = f"Azure Databricks ({DATABRICKS_APP_ID})"
SIGNIN = "client application 'app-databricks-signin'"
REPORT_ONLY = "enabledForReportingButNotEnforced"
OTHER_GROUP = "99999999-9999-4999-8999-999999999999"


def _mfa(subject: str, app_id: str) -> str:
    return (
        f"{subject} is not covered by an enabled or report-only conditional access policy that "
        "requires MFA; add a policy whose conditions.applications.includedApplications contains "
        f"'{app_id}' (or 'All') with grantControls.builtInControls=['mfa']."
    )


def _excluded(field: str, entry: str, why: str) -> str:
    return (
        f"conditions.users.{field} excludes '{entry}', which {why}; remove the exclusion, or "
        "record it as {'objectId': ..., 'reason': ...} in recordedExclusions (and "
        "conditionalAccess.recordedExclusions in the stack)."
    )


NOT_RECORDED = "is neither a break-glass group nor a recorded exclusion"
UNUSED = (
    "named location 'nl-corp-egress' is declared but no enabled or report-only conditional "
    "access policy includes or excludes it; use it (e.g. exclude the trusted locations from a "
    "policy that blocks or requires a compliant device everywhere else) or remove it."
)


def _stack(*replacements, drop=()):
    return swap(compliant_stack(), *replacements, drop=drop)


MFA_BOTH = (_mfa(FIRST_PARTY, DATABRICKS_APP_ID), _mfa(SIGNIN, SIGNIN_CLIENT_ID))
BREAK_GLASS_CONFIG = {"breakGlassGroupObjectIds": [BREAK_GLASS_GROUP_ID]}

CASES: list[Case] = [
    # --- break-glass exclusion -------------------------------------------------------------
    passes(BREAK_GLASS, "excluded", ca_mfa_policy(), config=BREAK_GLASS_CONFIG),
    passes(BREAK_GLASS, "any-exclusion-without-config", ca_mfa_policy(),
           config={"breakGlassGroupObjectIds": []}),
    passes(BREAK_GLASS, "disabled-policy",
           ca_mfa_policy().set("state", "disabled").set("conditions.users.excludedGroups", [])),
    violation(BREAK_GLASS, "not-excluded", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [OTHER_GROUP]),
              f"conditions.users.excludedGroups does not contain break-glass group(s) "
              f"['{BREAK_GLASS_GROUP_ID}']; exclude them so the emergency access accounts are "
              "never locked out.", config=BREAK_GLASS_CONFIG),
    violation(BREAK_GLASS, "report-only-too", ca_location_policy().set("state", REPORT_ONLY).set(
        "conditions.users.excludedGroups", DELETE),
              f"conditions.users.excludedGroups does not contain break-glass group(s) "
              f"['{BREAK_GLASS_GROUP_ID}']; exclude them so the emergency access accounts are "
              "never locked out.", config=BREAK_GLASS_CONFIG),
    violation(BREAK_GLASS, "nothing-excluded", ca_mfa_policy().set(
        "conditions.users.excludedGroups", []),
              "conditions.users.excludedGroups is empty and breakGlassGroupObjectIds is not "
              "configured; exclude the break-glass group and list its object id in the policy "
              "config."),
    preview(BREAK_GLASS, "excluded-group", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [UNKNOWN]), "conditions.users.excludedGroups.0",
            config=BREAK_GLASS_CONFIG),
    passes(BREAK_GLASS, "unknown-exclusion-without-config", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [UNKNOWN])),
    preview(BREAK_GLASS, "state", ca_mfa_policy().set("state", UNKNOWN), "state"),
    # --- MFA (stack) -----------------------------------------------------------------------
    passes(MFA, "covered", compliant_stack()),
    passes(MFA, "report-only-counts", _stack(ca_mfa_policy().set("state", REPORT_ONLY))),
    passes(MFA, "all-applications", _stack(ca_mfa_policy().set(
        "conditions.applications.includedApplications", ["All"]))),
    passes(MFA, "and-operator", _stack(ca_mfa_policy().set(
        "grantControls", {"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}))),
    passes(MFA, "authentication-strength", _stack(ca_mfa_policy().set(
        "grantControls", {"operator": "OR", "authenticationStrengthPolicyId": "/policies/mfa"}))),
    passes(MFA, "client-id-by-dependency", _stack(
        application().set_output("clientId", UNKNOWN),
        ca_mfa_policy().set("conditions.applications.includedApplications",
                            [DATABRICKS_APP_ID, UNKNOWN]).depends("conditions", application()))),
    violation(MFA, "either-control", _stack(ca_mfa_policy().set(
        "grantControls.builtInControls", ["mfa", "compliantDevice"])), *MFA_BOTH),
    violation(MFA, "disabled", _stack(ca_mfa_policy().set("state", "disabled")), *MFA_BOTH),
    violation(MFA, "no-users", _stack(ca_mfa_policy().set(
        "conditions.users", {"excludedGroups": [BREAK_GLASS_GROUP_ID]})), *MFA_BOTH),
    violation(MFA, "first-party-only", _stack(ca_mfa_policy().set(
        "conditions.applications.includedApplications", [DATABRICKS_APP_ID])),
              _mfa(SIGNIN, SIGNIN_CLIENT_ID)),
    violation(MFA, "excluded-app", _stack(ca_mfa_policy().set(
        "conditions.applications", {"includedApplications": ["All"],
                                    "excludedApplications": [SIGNIN_CLIENT_ID]})),
              _mfa(SIGNIN, SIGNIN_CLIENT_ID)),
    preview(MFA, "client-id", _stack(application().set_output("clientId", UNKNOWN), ca_mfa_policy()
                                     .set("conditions.applications.includedApplications",
                                          [DATABRICKS_APP_ID])), "clientId"),
    # --- enabled in production -------------------------------------------------------------
    passes(ENABLED, "enabled", ca_mfa_policy()),
    violation(ENABLED, "report-only", ca_mfa_policy().set("state", REPORT_ONLY),
              f"state is '{REPORT_ONLY}'; set state='enabled' in production (report-only and "
              "disabled policies do not protect sign-ins)."),
    violation(ENABLED, "disabled", ca_location_policy().set("state", "disabled"),
              "state is 'disabled'; set state='enabled' in production (report-only and disabled "
              "policies do not protect sign-ins)."),
    preview(ENABLED, "state", ca_mfa_policy().set("state", UNKNOWN), "state"),
    # --- exclusions are exactly break-glass --------------------------------------------------
    passes(EXCLUSIONS, "break-glass-only", ca_mfa_policy()),
    passes(EXCLUSIONS, "disabled-policy-may-exclude", ca_mfa_policy().set("state", "disabled")
           .set("conditions.users.excludedUsers", [OTHER_GROUP])),
    passes(EXCLUSIONS, "recorded-with-reason", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [BREAK_GLASS_GROUP_ID, OTHER_GROUP]),
           config={"recordedExclusions": [{"objectId": OTHER_GROUP,
                                           "reason": "sync accounts sign in from the DC"}]}),
    violation(EXCLUSIONS, "extra-group", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [BREAK_GLASS_GROUP_ID, OTHER_GROUP]),
              _excluded("excludedGroups", OTHER_GROUP, NOT_RECORDED)),
    violation(EXCLUSIONS, "report-only-excluded-user", ca_mfa_policy().set(
        "state", REPORT_ONLY).set("conditions.users.excludedUsers", ["GuestsOrExternalUsers"]),
              _excluded("excludedUsers", "GuestsOrExternalUsers", NOT_RECORDED)),
    violation(EXCLUSIONS, "excluded-role", ca_mfa_policy().set(
        "conditions.users.excludedRoles", [OTHER_GROUP]),
              _excluded("excludedRoles", OTHER_GROUP, NOT_RECORDED)),
    violation(EXCLUSIONS, "recorded-without-reason", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [BREAK_GLASS_GROUP_ID, OTHER_GROUP]),
              _excluded("excludedGroups", OTHER_GROUP,
                        "is listed in recordedExclusions without a reason"),
              config={"recordedExclusions": [{"objectId": OTHER_GROUP, "reason": " "}]}),
    preview(EXCLUSIONS, "excluded", ca_mfa_policy().set(
        "conditions.users.excludedGroups", [UNKNOWN]), "conditions.users.excludedGroups.0"),
    # --- every named location is used (stack) --------------------------------------------
    passes(USED, "excluded-by-location-policy", compliant_stack()),
    passes(USED, "by-dependency", _stack(
        named_location().set_output("objectId", UNKNOWN),
        ca_location_policy().set("conditions.locations.excludedLocations", [UNKNOWN])
        .depends("conditions", named_location()))),
    violation(USED, "no-policy", _stack(drop=["ca-locations"]), UNUSED),
    violation(USED, "policy-disabled", _stack(ca_location_policy().set("state", "disabled")),
              UNUSED),
    violation(USED, "other-location", _stack(ca_location_policy().set(
        "conditions.locations.excludedLocations", [OTHER_GROUP])), UNUSED),
    preview(USED, "location-id", _stack(
        named_location().set_output("objectId", UNKNOWN),
        ca_location_policy().set("conditions.locations.excludedLocations", [UNKNOWN])),
            "objectId"),
    # --- trusted named locations -----------------------------------------------------------
    passes(NAMED, "narrow", named_location()),
    passes(NAMED, "untrusted-broad", named_location().set("ip", {"ipRanges": ["10.0.0.0/8"],
                                                                 "trusted": False})),
    violation(NAMED, "ipv4", named_location().set("ip.ipRanges", ["203.0.113.0/28",
                                                                  "10.0.0.0/8"]),
              "trusted range '10.0.0.0/8' is broader than /24; trust only your specific egress "
              "ranges."),
    violation(NAMED, "ipv6", named_location().set("ip.ipRanges", ["2001:db8::/32"]),
              "trusted range '2001:db8::/32' is broader than /48; trust only your specific egress "
              "ranges."),
    violation(NAMED, "invalid", named_location().set("ip.ipRanges", ["corp-egress"]),
              "ipRanges entry 'corp-egress' is not a valid CIDR range."),
    violation(NAMED, "configured", named_location().set("ip.ipRanges", ["203.0.113.0/24"]),
              "trusted range '203.0.113.0/24' is broader than /28; trust only your specific "
              "egress ranges.", config={"minTrustedPrefixLengthIpv4": 28}),
    preview(NAMED, "trusted", named_location().set("ip.trusted", UNKNOWN), "ip.trusted"),
]

@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}:{c.id}")
def test_conditional_access_rules(pack, case: Case) -> None:
    check_case(pack, case)


def test_report_only_is_fine_in_dev(dev_pack) -> None:
    assert dev_pack.messages(ca_mfa_policy().set("state", REPORT_ONLY), ENABLED) == []


def test_mfa_rule_is_mandatory_in_dev(dev_pack) -> None:
    stack = _stack(drop=["ca-mfa"])
    assert {d.level for d in dev_pack.analyze_stack(stack) if d.policy == MFA} == {"mandatory"}
