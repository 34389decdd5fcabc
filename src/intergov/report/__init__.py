"""Renderers of findings: one module per format, each a function of a result.

Nothing else in intergov prints findings. Every renderer takes the same
:class:`~intergov.validate.Result` and returns text.

>>> sorted(FORMATS)
['github', 'json', 'markdown', 'text']
"""

from __future__ import annotations

from importlib import import_module

#: Format name -> module holding its ``render(result, **options) -> str``.
FORMATS = {
    "text": "intergov.report.text",
    "json": "intergov.report.json",
    "markdown": "intergov.report.markdown",
    "github": "intergov.report.github",
}


def render(result, fmt: str = "text", **options) -> str:
    """Render ``result`` in format ``fmt`` (see :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(sorted(FORMATS))}")
    return import_module(FORMATS[fmt]).render(result, **options)
