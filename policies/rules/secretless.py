"""Automation identities prefer secretless sign-in: an application with a password credential
(client secret) is flagged unless accepted with a reason in ``acceptedPasswordApplications``;
a managed identity (workloads on Azure) or a federated identity credential (CI, external
identity providers) has no secret to leak or rotate.
"""

from __future__ import annotations

from typing import Optional

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from ._common import (
    UNKNOWN,
    Report,
    dependencies,
    is_type,
    label,
    lower,
    of_type,
    peek,
    read,
    reasoned_entries,
)
from ._policy import Controls, Family
from ._types import APPLICATION, APPLICATION_PASSWORD

policy = Family("identities")


def _password_owner(password: PolicyResource,
                    applications: list[PolicyResource]) -> Optional[PolicyResource]:
    """The application of the stack a password belongs to (by dependency or object id)."""
    linked = [d for d in dependencies(password, "applicationId")
              if is_type(d.resource_type, APPLICATION)]
    if linked:
        return linked[0]
    value = peek(password.props, "applicationId")
    if value is UNKNOWN:
        read(password.props, "applicationId")  # unknown and untraceable: the SDK reports it
    if not isinstance(value, str):
        return None
    for app in applications:
        object_id = peek(app.props, "objectId")
        if isinstance(object_id, str) and lower(value) in (
                lower(object_id), f"/applications/{lower(object_id)}"):
            return app
    return None


def _credentials(passwords: list[PolicyResource]) -> str:
    """'N password credential(s) (names)' for a message."""
    names = ", ".join(label(p) for p in sorted(passwords, key=lambda p: p.name))
    count = len(passwords)
    return f"{count} password credential{'' if count == 1 else 's'} ({names})"


SECRETLESS_FIX = (
    "use a managed identity (workloads running on Azure) or a federated identity credential "
    "(CI, external identity providers) instead"
)


@policy.stack(
    name="entra-prefer-secretless-identity",
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.1",), iso27001=("A.5.17", "A.8.5")),
    remediation=(
        "Replace the ApplicationPassword by a managed identity (workloads on Azure) or an "
        "ApplicationFederatedIdentityCredential (GitHub Actions, AKS, other OIDC issuers); "
        "for an identity that truly cannot federate, list {'displayName': ..., 'reason': "
        "...} in acceptedPasswordApplications."
    ),
    enforcement=EnforcementLevel.ADVISORY,
    config={
        "acceptedPasswordApplications": {
            "type": "array",
            "default": [],
            "description": (
                "Applications that may keep password credentials (they cannot federate), "
                "by display name; an entry without a reason is not honoured."
            ),
            "items": {
                "type": "object",
                "properties": {
                    "displayName": {"type": "string"},
                    "reason": {"type": "string"},
                },
                "required": ["displayName"],
            },
        },
    },
)
def check_prefer_secretless(args: StackValidationArgs, report: Report) -> None:
    """Automation identities authenticate without secrets (managed identity or federated
    credential); client secrets only where accepted with a reason.

    Every application of the stack with an ApplicationPassword is judged, and passwords of
    applications declared elsewhere (by application id); ``acceptedPasswordApplications``
    exempts an application by display name when the entry has a reason.
    """
    accepted = reasoned_entries(args.get_config(), "acceptedPasswordApplications",
                                "displayName", lambda name: name.strip().casefold())
    applications = of_type(args.resources, APPLICATION)
    owned: dict[str, tuple[PolicyResource, list[PolicyResource]]] = {}
    foreign: dict[str, list[PolicyResource]] = {}
    for password in of_type(args.resources, APPLICATION_PASSWORD):
        app = _password_owner(password, applications)
        if app is not None:
            owned.setdefault(app.urn, (app, []))[1].append(password)
            continue
        value = peek(password.props, "applicationId")
        if isinstance(value, str):
            foreign.setdefault(value, []).append(password)
    for app, passwords in owned.values():
        display = str(read(app.props, "displayName"))
        honoured = accepted.get(display.strip().casefold())
        if honoured is True:
            continue
        if honoured is False:
            report(
                f"acceptedPasswordApplications lists '{display}' without a reason; add the "
                "reason to honour the exception.",
                app.urn,
            )
            continue
        report(
            f"application {label(app)} ('{display}') has {_credentials(passwords)}; "
            f"{SECRETLESS_FIX}, or, if it truly cannot federate, add {{'displayName': "
            f"'{display}', 'reason': '...'}} to acceptedPasswordApplications.",
            app.urn,
        )
    for application_id, passwords in foreign.items():
        report(
            f"application '{application_id}' (not declared in this stack) has "
            f"{_credentials(passwords)}; {SECRETLESS_FIX}.",
            passwords[0].urn,
        )
