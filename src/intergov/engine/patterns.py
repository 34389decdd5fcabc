"""The ``pattern`` constraint, as both engines read it: the pattern matches the whole value.

frictionless-py tests ``re.match(f"^{pattern}$", cell)``, and ``$`` also
matches before a final line break, so it would accept ``"aze-kaz-igc-19\\n"``
for ``^[a-z0-9-]+$``; Table Schema means the whole value. Every engine tests
``re.fullmatch(f"(?:{pattern})", cell)``: Python's ``re`` with
:func:`matcher`, RE2 (pyarrow) with :func:`re2`, and frictionless-py itself
with the field :func:`for_frictionless` gives it.

>>> matcher("[a-z]+")("aze\\n"), matcher("a|b")("ab"), matcher("a|b")("b")
(False, False, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any


@cache
def matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a value matches ``pattern`` as a whole."""
    compiled = re.compile(f"(?:{pattern})")
    return lambda value: compiled.fullmatch(value) is not None


def re2(pattern: str) -> str:
    """``pattern`` anchored for RE2 (pyarrow), where ``$`` is the end of the text only.

    >>> re2("a|b")
    '^(?:a|b)$'
    """
    return f"^(?:{pattern})$"


def for_frictionless(field: Mapping[str, Any]) -> dict[str, Any]:
    """``field`` with its pattern rewritten so that frictionless-py's ``^pattern$`` matches the whole value.

    >>> for_frictionless({"name": "c", "constraints": {"pattern": "[A-Z]{3}"}})["constraints"]
    {'pattern': '(?:[A-Z]{3})\\\\Z'}
    """
    out = dict(field)
    constraints = field.get("constraints")
    if isinstance(constraints, Mapping) and isinstance(constraints.get("pattern"), str):
        out["constraints"] = {**constraints, "pattern": rf"(?:{constraints['pattern']})\Z"}
    return out
