"""Cross-field rules for adoption and CI: the preview identity and brownfield references.

Registered with :func:`settings.rules.rule` like every other rule (imported at the end of
``settings/rules.py``).
"""

from __future__ import annotations

import re

from settings.model import Model, Role, ServicePrincipal
from settings.rules import Fail, Parts, key, rule

# What a read-only identity may hold on a model: read a workspace model, run a UC model.
READ_ONLY_MODEL_RIGHTS = {"CAN_READ", "EXECUTE"}
_LAW_ID = re.compile(r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/"
                     r"Microsoft\.OperationalInsights/workspaces/(?P<name>[^/]+)$", re.I)


@rule("service_principals")
def preview_identity(parts: Parts, fail: Fail) -> None:
    """The previewer is a federated, pull-request, read-only identity, and the only one."""
    sps: dict[str, ServicePrincipal] = parts["service_principals"]
    previewer = parts.get("previewer")
    for k, sp in sps.items():
        if sp.federation is not None and sp.federation.pull_request and k != previewer:
            fail(key("servicePrincipals", k, "federation", "pullRequest"),
                 "trusts pull-request workflows, but only the read-only preview identity may "
                 "(any pull request, also from a branch nobody reviewed, can sign in as it)",
                 "pin it to a protected environment with `environment:`, or name it in "
                 "`previewer` if it is the read-only preview identity", value=True)
    if previewer is None:
        return
    preview = sps.get(previewer)
    if preview is None:
        fail(key("previewer"), "does not name a declared service principal",
             f"set it to one of: {', '.join(sorted(sps)) or '(none)'}", value=previewer)
        return
    if previewer == parts.get("deployer"):
        fail(key("previewer"), "is the deployer; previews of pull requests must not run with "
             "the admin deployer's rights", "declare a separate read-only identity",
             value=previewer)
    if (preview.kind != "federated" or preview.federation is None
            or not preview.federation.pull_request):
        fail(key("servicePrincipals", previewer, "federation", "pullRequest"),
             "the preview identity must sign in from pull-request workflows without a secret",
             "set `kind: federated` and `federation: {repository: <org>/<repo>, "
             "pullRequest: true}`")
    if preview.role is not Role.AUDITOR:
        fail(key("servicePrincipals", previewer, "role"),
             "the preview identity must be read-only in Databricks", "set `role: auditor`",
             value=preview.role.value)


@rule("service_principals", "models")
def preview_identity_reads_models_only(parts: Parts, fail: Fail) -> None:
    previewer = parts.get("previewer")
    if previewer is None:
        return
    models: dict[str, Model] = parts["models"]
    for mk, model in models.items():
        granted = model.permissions.get(previewer)
        if granted is None:
            continue
        rights = [granted] if isinstance(granted, str) else list(granted)
        extra = sorted(set(rights) - READ_ONLY_MODEL_RIGHTS)
        if extra:
            fail(key("models", mk, "permissions", previewer), f"gives the read-only preview "
                 f"identity {', '.join(extra)}", "grant it CAN_READ (workspace registry) or "
                 "EXECUTE (Unity Catalog) at most", value=rights)


@rule("audit")
def existing_log_analytics(parts: Parts, fail: Fail) -> None:
    audit = parts["audit"]
    if audit.existing_workspace_id is None:
        return
    match = _LAW_ID.match(audit.existing_workspace_id)
    if match is None:
        fail(key("audit", "existingWorkspaceId"), "is not the ARM id of a Log Analytics "
             "workspace", "copy it from the workspace's JSON view: /subscriptions/<id>/"
             "resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>",
             value=audit.existing_workspace_id)
    elif match["name"].casefold() != audit.log_analytics_name.casefold():
        fail(key("audit", "logAnalyticsName"), f"does not match the existing workspace "
             f"'{match['name']}' named by audit.existingWorkspaceId",
             f"set `logAnalyticsName: {match['name']}`", value=audit.log_analytics_name)
