"""Pulumi components: one module per concern (identity, groups, conditional access, workspace,
workspace access, model access, ...), plus one small component per config map entry
(:mod:`components.entries`) that the per-entry resources sit under."""
