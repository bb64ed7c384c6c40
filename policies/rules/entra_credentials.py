"""Entra ID credentials: application passwords (lifetime, rotation slots) and federated
identity credentials (what they trust).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Optional

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    DAY_SECONDS,
    GITHUB_ISSUER,
    TOKEN_EXCHANGE_AUDIENCE,
    UNKNOWN,
    Report,
    config_int,
    config_strings,
    dependencies,
    label,
    now_utc,
    of_type,
    parse_go_duration_seconds,
    parse_rfc3339,
    peek,
    read,
    read_all,
)
from ._policy import Controls, Family, integer_property, string_list_property
from ._types import (
    APP_FEDERATED_CREDENTIAL,
    APPLICATION,
    APPLICATION_PASSWORD,
    MI_FEDERATED_CREDENTIAL,
)

policy = Family("entra")


DEFAULT_MAX_PASSWORD_DAYS = 180
DEFAULT_OVERLAP_DAYS = 30
# AKS workload identity: the cluster's OIDC issuer and one service account as subject.
_AKS_ISSUER = re.compile(
    r"^https://[a-z0-9]+\.oic\.prod-aks\.azure\.com/[0-9a-f-]{36}/[0-9a-f-]{36}/?$"
)
_K8S_NAME = r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?"
_AKS_SUBJECT = re.compile(rf"^system:serviceaccount:{_K8S_NAME}:{_K8S_NAME}$")
_GITHUB_ENVIRONMENT_SUBJECT = re.compile(
    r"^repo:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):environment:[A-Za-z0-9_. -]+$"
)
# The read-only preview identity's subject: pull-request workflows of one repository.
_GITHUB_PULL_REQUEST_SUBJECT = re.compile(
    r"^repo:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):pull_request$"
)


@policy.resource(
    name="entra-app-password-lifetime",
    types=[APPLICATION_PASSWORD],
    severity=Severity.HIGH,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.5.17",)),
    remediation="Set endDateRelative (e.g. '4320h') or an endDate no further than the maximum.",
    config={
        "maxLifetimeDays": integer_property(
            DEFAULT_MAX_PASSWORD_DAYS, "Maximum password lifetime in days.", minimum=1
        ),
    },
)
def check_password_lifetime(args: ResourceValidationArgs, report: Report) -> None:
    """Entra application passwords expire within the maximum lifetime."""
    maximum = config_int(args.get_config(), "maxLifetimeDays", DEFAULT_MAX_PASSWORD_DAYS)
    suggestion = f"'{maximum * 24}h'"
    relative = read(args.props, "endDateRelative")
    if relative is not None:
        seconds = parse_go_duration_seconds(str(relative))
        if seconds is None:
            report(f"endDateRelative '{relative}' is not a duration like {suggestion}.")
        elif seconds / DAY_SECONDS > maximum:
            report(
                f"endDateRelative '{relative}' is {seconds / DAY_SECONDS:g} days; set it to at "
                f"most {maximum} days (e.g. {suggestion})."
            )
        return
    end = read(args.props, "endDate")
    if end is None:
        report(
            "neither endDate nor endDateRelative is set, so the password defaults to a 2-year "
            f"lifetime; set endDateRelative to at most {maximum} days (e.g. {suggestion})."
        )
        return
    parsed = parse_rfc3339(str(end))
    if parsed is None:
        report(f"endDate '{end}' is not an RFC 3339 timestamp.")
        return
    days = (parsed - now_utc()).total_seconds() / DAY_SECONDS
    if days > maximum:
        report(
            f"endDate '{end}' is {int(days)} days from now; set it at most {maximum} days ahead "
            f"(or use endDateRelative={suggestion})."
        )


@policy.resource(
    name="entra-app-password-create-before-delete",
    types=[APPLICATION_PASSWORD],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("A1.2", "CC8.1"), iso27001=("A.5.17", "A.8.32")),
    remediation="Remove delete_before_replace=True from the ApplicationPassword options.",
)
def check_password_no_delete_before_replace(
    args: ResourceValidationArgs, report: Report
) -> None:
    """Entra application passwords are never deleted before their replacement."""
    if args.opts.delete_before_replace:
        report(
            "deleteBeforeReplace is set; remove it so a replacement password is created before "
            "the old one is deleted and a valid credential always exists."
        )


def _password_window(
    password: PolicyResource, now: datetime
) -> Optional[tuple[datetime, datetime]]:
    """(start, end) of a password credential when both are known, else None."""
    start_raw = peek(password.props, "startDate")
    if start_raw is UNKNOWN:
        return None
    start = parse_rfc3339(start_raw) if isinstance(start_raw, str) else now
    end_raw = peek(password.props, "endDate")
    end = parse_rfc3339(end_raw) if isinstance(end_raw, str) else None
    if end is None:
        relative = peek(password.props, "endDateRelative")
        seconds = parse_go_duration_seconds(relative) if isinstance(relative, str) else None
        end = now + timedelta(seconds=seconds) if seconds is not None else None
    if start is None or end is None:
        return None
    return start, end


def _application_key(password: PolicyResource) -> tuple[str, str]:
    """(grouping key, display label) of the application a password belongs to."""
    value = peek(password.props, "applicationId")
    if isinstance(value, str):
        return value.lower(), f"'{value}'"
    apps = [d for d in dependencies(password, "applicationId") if d.resource_type == APPLICATION]
    if apps:
        return apps[0].urn, label(apps[0])
    read(password.props, "applicationId")  # unknown and untraceable: let the SDK report it
    return password.urn, label(password)


def _end_date(password: PolicyResource, now: datetime) -> Optional[datetime]:
    """When a password expires (endDate, or endDateRelative from now); None when unknown."""
    window = _password_window(password, now)
    return window[1] if window is not None else None


@policy.stack(
    name="entra-app-password-overlapping-slots",
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("A1.2", "CC6.1"), iso27001=("A.5.17",)),
    remediation=(
        "Declare two ApplicationPassword resources per application with staggered "
        "rotation so both are valid together for at least the overlap period."
    ),
    config={
        "minOverlapDays": integer_property(
            DEFAULT_OVERLAP_DAYS, "Days two password slots must be valid together.", minimum=1
        ),
    },
)
def check_password_overlap(args: StackValidationArgs, report: Report) -> None:
    """Applications with passwords keep two overlapping password slots.

    When the older slot expires, the newer one must still be valid for at least
    ``minOverlapDays``: consumers always have time to move to the newest secret. Slots are
    compared by end date; Entra rejects start dates in the past, so start dates are not used.
    """
    overlap_days = config_int(args.get_config(), "minOverlapDays", DEFAULT_OVERLAP_DAYS)
    groups: dict[str, tuple[str, list[PolicyResource]]] = {}
    for password in of_type(args.resources, APPLICATION_PASSWORD):
        key, shown = _application_key(password)
        groups.setdefault(key, (shown, []))[1].append(password)
    now = now_utc()
    for shown, passwords in groups.values():
        if len(passwords) < 2:
            report(
                f"application {shown} has 1 password credential ({label(passwords[0])}); declare "
                "two ApplicationPassword slots with staggered end dates so one can be rotated "
                "while the other stays valid.",
                passwords[0].urn,
            )
            continue
        ends = [_end_date(p, now) for p in passwords]
        if any(end is None for end in ends):
            continue
        live = sorted(end for end in ends if end is not None and end > now)
        if len(live) < 2:
            report(
                f"application {shown} has {len(live)} unexpired password slot(s); two must be "
                "valid at every moment so a rotation never cuts off the consumer.",
                passwords[0].urn,
            )
            continue
        stagger = (live[-1] - live[-2]).total_seconds() / DAY_SECONDS
        if stagger < overlap_days:
            report(
                f"the two newest password slots of application {shown} expire only "
                f"{max(int(stagger), 0)} days apart; stagger their end dates by at least "
                f"{overlap_days} days so the newer one outlives the older one by that much.",
                passwords[0].urn,
            )


def _subject_problem(subject: str, repositories: list[str]) -> Optional[str]:
    """Why a GitHub OIDC subject is not pinned to one repository environment (None if it is)."""
    if "*" in subject:
        return f"subject '{subject}' contains a wildcard"
    if "pull_request" in subject:
        return f"subject '{subject}' trusts pull_request workflows"
    if ":ref:" in subject:
        return f"subject '{subject}' trusts a branch or tag ref instead of an environment"
    match = _GITHUB_ENVIRONMENT_SUBJECT.match(subject)
    if match is None:
        return f"subject '{subject}' is not pinned to a repository environment"
    wanted = {r.lower() for r in repositories}
    if wanted and match["repo"].lower() not in wanted:
        return f"subject '{subject}' names a repository outside allowedRepositories"
    return None


@policy.resource(
    name="entra-federated-credential-pinned",
    types=[APP_FEDERATED_CREDENTIAL, MI_FEDERATED_CREDENTIAL],
    severity=Severity.CRITICAL,
    controls=Controls(soc2=("CC6.1", "CC8.1"), iso27001=("A.5.17", "A.8.5")),
    remediation=(
        "Use issuer 'https://token.actions.githubusercontent.com', subject "
        "'repo:<org>/<repo>:environment:<env>' (or an AKS OIDC issuer with subject "
        "'system:serviceaccount:<namespace>:<name>') and audiences "
        "['api://AzureADTokenExchange']."
    ),
    config={
        "allowedIssuers": string_list_property([GITHUB_ISSUER], "Trusted OIDC issuers."),
        "allowAksWorkloadIdentity": {
            "type": "boolean", "default": True,
            "description": "Also trust AKS OIDC issuers, with one service account as subject.",
        },
        "allowedRepositories": string_list_property(
            [], "'org/repo' names allowed in GitHub subjects (empty: any repository)."
        ),
        "previewCredentials": string_list_property(
            [], "Display names of the read-only preview identity's credentials, which may "
            "trust 'repo:<org>/<repo>:pull_request' (settings require that identity to be "
            "read-only)."
        ),
    },
)
def check_federated_credential(args: ResourceValidationArgs, report: Report) -> None:
    """Federated credentials trust one GitHub repository environment or one AKS service account
    only.

    The issuer is one of ``allowedIssuers`` (or an AKS OIDC issuer); a GitHub subject names one
    environment of one repository (of ``allowedRepositories`` when set), except the read-only
    preview identity's credentials (``previewCredentials``), which may trust that repository's
    pull_request workflows; the audience is exactly ``api://AzureADTokenExchange``.
    """
    config = args.get_config()
    issuers = config_strings(config, "allowedIssuers", [GITHUB_ISSUER])
    allow_aks = config.get("allowAksWorkloadIdentity", True) is not False
    issuer = read(args.props, "issuer")
    is_aks = allow_aks and isinstance(issuer, str) and _AKS_ISSUER.match(issuer) is not None
    if issuer not in issuers and not is_aks:
        report(f"issuer '{issuer}' is not one of the allowed issuers {issuers}"
               + (" nor an AKS OIDC issuer." if allow_aks else "."))
    if is_aks:
        subject = str(read(args.props, "subject"))
        if not _AKS_SUBJECT.match(subject):
            report(f"subject '{subject}' is not one Kubernetes service account; use "
                   "'system:serviceaccount:<namespace>:<service-account>' without wildcards.")
    if issuer == GITHUB_ISSUER:
        subject = str(read(args.props, "subject"))
        repositories = config_strings(config, "allowedRepositories", [])
        preview = _GITHUB_PULL_REQUEST_SUBJECT.match(subject)
        if preview and read(args.props, "displayName") in config_strings(
                config, "previewCredentials", []):
            # The read-only preview identity, named in the pack config on purpose.
            problem = (None if not repositories or preview["repo"].lower() in
                       {r.lower() for r in repositories}
                       else f"subject '{subject}' names a repository outside allowedRepositories")
        else:
            problem = _subject_problem(subject, repositories)
        if problem:
            report(
                f"{problem}; use 'repo:<org>/<repo>:environment:<environment>' with a protected "
                "GitHub environment."
            )
    audiences = read_all(args.props, "audiences") or []
    if audiences != [TOKEN_EXCHANGE_AUDIENCE]:
        report(f"audiences is {audiences}; set audiences=['{TOKEN_EXCHANGE_AUDIENCE}'].")
