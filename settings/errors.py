"""Configuration problems, collected and reported all at once."""

from __future__ import annotations

from dataclasses import dataclass

from settings.secrets import mask, redact, secret_literals


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stack configuration.

    ``key`` is the full config key path as the user writes it in ``Pulumi.<stack>.yaml``
    (``databricks-ml-entra:groups.ml-engineers.displayName``); ``fix`` says what to do.
    """

    key: str
    message: str
    fix: str = ""
    value: object = None
    has_value: bool = False
    # True when the value was judged a credential (pattern, key name, secret setting): it is
    # never printed, and neither is it anywhere else in the report (see SettingsError).
    secret: bool = False

    def render(self) -> str:
        text = f"{self.key}: {self.message}"
        if self.has_value:
            text += f" (got {mask(self.value, secret=self.secret)})"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class SettingsError(ValueError):
    """Raised when the stack configuration is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = sorted(problems, key=lambda p: p.key)
        self.source = source
        # Every value judged secret, wherever else it might show up (a parent's value, a key).
        self._secrets = [s for p in self.problems if p.secret for s in secret_literals(p.value)]
        super().__init__(self.render())

    def render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        head = f"{len(self.problems)} configuration problem(s){where}:"
        text = "\n".join([head, *(f"  - {p.render()}" for p in self.problems)])
        return redact(text, self._secrets)
