"""The sections of a stack file, one module per family, assembled by :mod:`settings.model`.

Import them from :mod:`settings.model`, which re-exports every section and constant.
"""
