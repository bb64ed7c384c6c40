"""Audit logs: every workspace streams its resource logs to Log Analytics, which keeps them."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._common import (
    Report,
    config_int,
    config_strings,
    elements,
    is_set,
    label,
    of_type,
    peek,
    read,
)
from ._policy import (
    AP_DIAG_TO_LOG_ANALYTICS,
    AP_RESOURCE_LOGS,
    Controls,
    Family,
    integer_property,
    string_list_property,
)
from ._types import DIAGNOSTIC_SETTING, LOG_ANALYTICS, WORKSPACE
from .workspace import refers

policy = Family("workspace")


DEFAULT_LOG_CATEGORIES = (
    "accounts",
    "clusters",
    "jobs",
    "notebook",
    "workspace",
    "secrets",
    "mlflowExperiment",
    "modelRegistry",
    "unityCatalog",
)


def _diagnostic_problems(setting: PolicyResource, required: list[str]) -> list[str]:
    """What is wrong with a diagnostic setting that targets a workspace (empty = compliant)."""
    problems: list[str] = []
    if not is_set(peek(setting.props, "workspaceId")):
        problems.append("does not send to Log Analytics (workspaceId is not set)")
    enabled_groups: set[str] = set()
    enabled_categories: set[str] = set()
    for entry in elements(read(setting.props, "logs")):
        if read(entry, "enabled") is not True:
            continue
        group = read(entry, "categoryGroup")
        category = read(entry, "category")
        if isinstance(group, str):
            enabled_groups.add(group.lower())
        if isinstance(category, str):
            enabled_categories.add(category.lower())
    if "alllogs" not in enabled_groups:
        missing = [c for c in required if c.lower() not in enabled_categories]
        if missing:
            problems.append(f"does not enable log categories {missing}")
    return problems


def _diagnostic_target(setting: PolicyResource) -> Any:
    """The resource a diagnostic setting is attached to: ``resourceUri``, else its id's prefix."""
    uri = peek(setting.props, "resourceUri")
    if uri is not None:
        return uri
    own_id = peek(setting.props, "id")
    marker = "/providers/microsoft.insights/diagnosticsettings/"
    if isinstance(own_id, str) and marker in own_id.lower():
        return own_id[: own_id.lower().index(marker)]
    return None


@policy.stack(
    name="databricks-workspace-diagnostic-logs",
    severity=Severity.HIGH,
    controls=Controls(
        soc2=("CC7.2",), iso27001=("A.8.15", "A.8.16"), cis=("v4.0.0-3.1.7",),
        azure_policy=(AP_RESOURCE_LOGS, AP_DIAG_TO_LOG_ANALYTICS),
    ),
    remediation=(
        "Declare an azure-native monitor DiagnosticSetting with resourceUri=workspace.id, "
        "workspaceId=<Log Analytics workspace id> and logs=[{'categoryGroup': 'allLogs', "
        "'enabled': True}]."
    ),
    config={
        "requiredLogCategories": string_list_property(
            DEFAULT_LOG_CATEGORIES,
            "Categories that must be enabled when categoryGroup 'allLogs' is not used.",
        ),
    },
)
def check_diagnostic_logs(args: StackValidationArgs, report: Report) -> None:
    """Every Azure Databricks workspace sends all resource logs to Log Analytics."""
    required = config_strings(args.get_config(), "requiredLogCategories", DEFAULT_LOG_CATEGORIES)
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for workspace in of_type(args.resources, WORKSPACE):
        decided = {s.urn: refers(s, "resourceUri", _diagnostic_target(s), workspace)
                   for s in settings}
        targeting = [s for s in settings if decided[s.urn] is True]
        if not targeting:
            for setting in settings:
                if decided[setting.urn] is None:
                    read(setting.props, "resourceUri")
            report(
                f"workspace {label(workspace)} has no azure-native:monitor:DiagnosticSetting; add "
                "one with resourceUri=<workspace id>, workspaceId=<Log Analytics workspace id> "
                "and logs=[{'categoryGroup': 'allLogs', 'enabled': True}].",
                workspace.urn,
            )
            continue
        problems = {s.urn: _diagnostic_problems(s, required) for s in targeting}
        if any(not found for found in problems.values()):
            continue
        for setting in targeting:
            report(
                f"diagnostic setting {label(setting)} for workspace {label(workspace)} "
                + " and ".join(problems[setting.urn])
                + "; set workspaceId and logs=[{'categoryGroup': 'allLogs', 'enabled': True}].",
                setting.urn,
            )


@policy.resource(
    name="log-analytics-retention",
    types=[LOG_ANALYTICS],
    severity=Severity.MEDIUM,
    controls=Controls(soc2=("CC7.2",), iso27001=("A.8.15",)),
    remediation="Set retentionInDays on the Log Analytics workspace to the minimum or more.",
    config={
        "minRetentionDays": integer_property(365, "Minimum retentionInDays.", minimum=30),
    },
)
def check_log_retention(args: ResourceValidationArgs, report: Report) -> None:
    """Log Analytics workspaces retain logs for at least the configured days."""
    minimum = config_int(args.get_config(), "minRetentionDays", 365)
    days = read(args.props, "retentionInDays")
    if days is None:
        report(
            f"retentionInDays is not set (the service default is 30 days); set it to at least "
            f"{minimum}."
        )
    elif isinstance(days, bool) or not isinstance(days, (int, float)):
        report(f"retentionInDays is {days!r}, not a number; set it to at least {minimum}.")
    elif days < minimum:
        report(f"retentionInDays is {int(days)}; set it to at least {minimum}.")
