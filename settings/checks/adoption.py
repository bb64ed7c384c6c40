"""Checks of adoption and CI: the read-only identity that previews pull requests.

(The brownfield references, an existing resource group or Log Analytics workspace, are checked
with the workspace and its audit logs in :mod:`settings.checks.workspace`.)
"""

from __future__ import annotations

from collections.abc import Iterator

from settings.checks.registry import check, key, problem
from settings.errors import Problem
from settings.model import Role, Settings

# What a read-only identity may hold on a model: read a workspace model, run a UC model.
READ_ONLY_MODEL_RIGHTS = {"CAN_READ", "EXECUTE"}


@check
def check_preview_identity(s: Settings) -> Iterator[Problem]:
    """The previewer is a federated, pull-request, read-only identity, and the only one."""
    sps = s.service_principals
    previewer = s.previewer
    for k, sp in sps.items():
        if sp.federation is not None and sp.federation.pull_request and k != previewer:
            yield problem(key("servicePrincipals", k, "federation", "pullRequest"),
                          "trusts pull-request workflows, but only the read-only preview "
                          "identity may (any pull request, also from a branch nobody reviewed, "
                          "can sign in as it)", "pin it to a protected environment with "
                          "`environment:`, or name it in `previewer` if it is the read-only "
                          "preview identity", True)
    if previewer is None:
        return
    preview = sps.get(previewer)
    if preview is None:
        yield problem(key("previewer"), "does not name a declared service principal",
                      f"set it to one of: {', '.join(sorted(sps)) or '(none)'}", previewer)
        return
    if previewer == s.deployer:
        yield problem(key("previewer"), "is the deployer; previews of pull requests must not run "
                      "with the admin deployer's rights", "declare a separate read-only "
                      "identity", previewer)
    if (preview.kind != "federated" or preview.federation is None
            or not preview.federation.pull_request):
        yield problem(key("servicePrincipals", previewer, "federation", "pullRequest"),
                      "the preview identity must sign in from pull-request workflows without a "
                      "secret", "set `kind: federated` and `federation: {repository: "
                      "<org>/<repo>, pullRequest: true}`")
    if preview.role is not Role.AUDITOR:
        yield problem(key("servicePrincipals", previewer, "role"),
                      "the preview identity must be read-only in Databricks",
                      "set `role: auditor`", preview.role.value)


@check
def check_preview_identity_reads_models_only(s: Settings) -> Iterator[Problem]:
    """The preview identity holds at most read (or execute) rights on any model."""
    if s.previewer is None:
        return
    for mk, model in s.models.items():
        granted = model.permissions.get(s.previewer)
        if granted is None:
            continue
        rights = [granted] if isinstance(granted, str) else list(granted)
        extra = sorted(set(rights) - READ_ONLY_MODEL_RIGHTS)
        if extra:
            yield problem(key("models", mk, "permissions", s.previewer), f"gives the read-only "
                          f"preview identity {', '.join(extra)}", "grant it CAN_READ (workspace "
                          "registry) or EXECUTE (Unity Catalog) at most", rights)
