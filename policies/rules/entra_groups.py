"""Entra ID groups used for access control."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from ._common import Report, is_set, peek, read
from ._policy import Controls, Family
from ._types import GROUP

policy = Family("entra")


@policy.resource(
    name="entra-group-security-settings",
    types=[GROUP],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC6.2", "CC6.3"), iso27001=("A.5.15", "A.5.16")),
    remediation="Set securityEnabled=True, mailEnabled=False and owners on the azuread Group.",
)
def check_security_group(args: ResourceValidationArgs, report: Report) -> None:
    """Entra groups are owned, security-enabled and not mail-enabled."""
    if read(args.props, "securityEnabled") is not True:
        report("securityEnabled is not true; set securityEnabled=True for access-control groups.")
    if read(args.props, "mailEnabled") is True:
        report("mailEnabled is true; set mailEnabled=False (do not mix access control and mail).")
    if not is_set(peek(args.props, "owners")):
        report("owners is empty; set owners so someone is accountable for the group's membership.")
