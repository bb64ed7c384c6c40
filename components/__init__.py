"""Pulumi components: one module per concern (see DESIGN.md)."""
