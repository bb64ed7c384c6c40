"""Cross-field checks over the validated :class:`~settings.model.Settings`.

Field validators (in :mod:`settings.sections`) judge one value each. A rule that relates several
fields is a check here: ``def check_xxx(s: Settings) -> Iterator[Problem]``, registered with
:func:`~settings.checks.registry.check` and stating its rule in its docstring. Checks see the
whole validated model, defaults included, so no rule can miss a section left at its default.
:func:`settings.load.parse` runs them once every section has validated, after reporting every
field problem at once (the order pydantic itself follows: model validators after fields).

One module per family: :mod:`~settings.checks.identities` (map keys, groups, automation
identities), :mod:`~settings.checks.sign_in` (conditional access, the Azure Databricks app, the
client app), :mod:`~settings.checks.workspace` (prod hardening, names, replacement lock,
encryption, audit, tags), :mod:`~settings.checks.network` (subnets, hub-and-spoke),
:mod:`~settings.checks.access` (provisioning, models and ACLs, Unity Catalog),
:mod:`~settings.checks.governance` (access packages, PIM, standing admins) and
:mod:`~settings.checks.adoption` (the pull-request preview identity). Importing this package
registers them all, in this order.
"""

# Importing a family registers its checks; the order of these imports is the order they run.
# isort: off
from settings.checks import (  # noqa: F401
    identities,
    sign_in,
    workspace,
    network,
    access,
    governance,
    adoption,
)
# isort: on
from settings.checks.registry import CHECKS, check, run_checks
from settings.checks.workspace import MIN_PROD_RETENTION_DAYS

__all__ = ["CHECKS", "MIN_PROD_RETENTION_DAYS", "check", "run_checks"]
