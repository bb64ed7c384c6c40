"""The one version of this project.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), ``dbx-gate --version`` prints it,
and the policy pack's ``policies/PulumiPolicy.yaml`` must carry the same ``version:`` (the gate
reports the pack's version as the tool version in SARIF and JSON); ``tests/test_release.py``
fails when they disagree. Bump it here and there together, and add a CHANGELOG.md entry.
"""

__version__ = "0.2.0"
