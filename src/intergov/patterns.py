"""The ``pattern`` constraint: the whole value must match, tested in linear time with RE2.

A pattern is written in Python's regular-expression syntax, as frictionless-py
reads it, and means what Python's ``re.fullmatch(f"(?:{pattern})", value)``
means, with two exceptions: ``$`` is the end of the value (Python's ``$``
also matches before a final line break, so ``^[a-z]+$`` would accept
``"aze\\n"``), and case-insensitive matching folds as Unicode's simple case
folding. It is never matched with Python's ``re``, whose backtracking can
take hours on a pattern such as ``(a+)+``: :func:`re2_syntax` rewrites it
into RE2's syntax with Python's meaning (``\\d``, ``\\w`` and ``\\s`` are
Unicode classes, as in Python), and RE2 matches it in time linear in the
value. Every consumer (both engines, pyarrow's own RE2 through
:func:`anchored`, the pandera check, ``intergov fmt``) goes through here.

A pattern that RE2 cannot match so (a backreference, a lookahead or
lookbehind, an atomic group or possessive quantifier, a Unicode word boundary,
a repetition above 1000) raises :class:`PatternError`; the schema check
reports it.

>>> matcher("[a-z]+")("aze\\n"), matcher("a|b")("ab"), matcher("a|b")("b"), matcher(r"\\d+")("١٢")
(False, False, True, True)
>>> matcher("(a+)+")("a" * 30 + "é")
False
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Sequence
from functools import cache

import re2

_MAX_CODE_POINT = 0x10FFFF


class PatternError(ValueError):
    """A ``pattern`` that is not a regular expression, or that RE2 cannot match in linear time."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    return options


_OPTIONS = _options()


@cache
def matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a value matches ``pattern`` as a whole (raises :class:`PatternError` for an unusable pattern)."""
    compiled = compile_re2(pattern)

    def matches(value: str) -> bool:
        try:
            return compiled.fullmatch(value) is not None
        except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text, so no match
            return False

    return matches


@cache
def compile_re2(pattern: str) -> re2._Regexp:
    """``pattern`` compiled by RE2 (see :func:`re2_syntax`)."""
    try:
        return re2.compile(re2_syntax(pattern), _OPTIONS)
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise PatternError(f"is beyond what RE2 can match ({reason})") from None


def anchored(pattern: str) -> str:
    """``pattern`` for an RE2 search of the whole value (pyarrow's ``match_substring_regex``).

    >>> anchored("[A-Z]{3}")
    '\\\\A(?:(?:[A-Z]){3})\\\\z'
    """
    return rf"\A(?:{re2_syntax(pattern)})\z"


def problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used, as "the pattern ..." goes on (``None`` when it can).

    >>> problem("[a-z]+"), problem("([a-z")
    (None, 'is not a regular expression (unterminated character set at position 1)')
    >>> problem(r"(a)\\1")
    'uses a backreference, which RE2 cannot match in linear time'
    """
    try:
        compile_re2(pattern)
    except PatternError as e:
        return str(e)
    return None


@cache
def re2_syntax(pattern: str) -> str:
    """``pattern``, read as Python reads it, written in RE2's syntax with the same meaning.

    >>> re2_syntax("[A-Z]{3}")
    '(?:[A-Z]){3}'
    >>> re2_syntax(r"\\d")
    '[0-9\\\\x{660}-\\\\x{669}\\\\x{6f0}-\\\\x{6f9}\\\\x{7c0}-\\\\x{7c9}\\\\x{966}-\\\\x{96f}\\\\x{9e6}-\\\\x{9ef}...'
    """
    try:
        parsed = re._parser.parse(pattern)
    except re.error as e:
        raise PatternError(f"is not a regular expression ({e})") from None
    except RecursionError:
        raise PatternError("nests its groups too deeply") from None
    try:
        return _emit(parsed.data, parsed.state.flags)
    except RecursionError:
        raise PatternError("nests its groups too deeply") from None


def _emit(items: Sequence, flags: int) -> str:
    return "".join(_node(op, av, flags) for op, av in items)


_C = re._constants

#: What RE2 cannot do, by the parser's node.
_UNSUPPORTED = {
    _C.GROUPREF: "a backreference",
    _C.GROUPREF_EXISTS: "a conditional group",
    _C.ASSERT: "a lookahead or lookbehind",
    _C.ASSERT_NOT: "a lookahead or lookbehind",
    _C.ATOMIC_GROUP: "an atomic group",
    _C.POSSESSIVE_REPEAT: "a possessive quantifier",
}


def _node(op, av, flags: int) -> str:
    if op in _UNSUPPORTED:
        raise PatternError(f"uses {_UNSUPPORTED[op]}, which RE2 cannot match in linear time")
    if op is _C.LITERAL:
        return _class([(av, av)], flags, single=True)
    if op is _C.NOT_LITERAL:
        return _class([(av, av)], flags, negate=True)
    if op is _C.ANY:
        return "(?s:.)" if flags & re.DOTALL else "."
    if op is _C.IN:
        negate = any(kind is _C.NEGATE for kind, _ in av)
        return _class(_set(av, flags), flags, negate=negate)
    if op is _C.BRANCH:
        return "(?:" + "|".join(_emit(branch, flags) for branch in av[1]) + ")"
    if op is _C.SUBPATTERN:
        _, add, remove, sub = av
        return "(?:" + _emit(sub, (flags | add) & ~remove) + ")"
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
        low, high, sub = av
        if high is _C.MAXREPEAT:
            count = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        else:
            count = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return f"(?:{_emit(sub, flags)}){count}"
    if op is _C.AT:
        return _at(av, flags)
    raise PatternError(f"uses {op}, which RE2 cannot match in linear time")


def _at(where, flags: int) -> str:
    if where is _C.AT_BEGINNING:
        return "(?m:^)" if flags & re.MULTILINE else r"\A"
    if where is _C.AT_END:
        return "(?m:$)" if flags & re.MULTILINE else r"\z"
    if where is _C.AT_BEGINNING_STRING:
        return r"\A"
    if where is _C.AT_END_STRING:
        return r"\z"
    if flags & re.ASCII:  # RE2's word boundary is Python's with ASCII word characters
        return r"\b" if where is _C.AT_BOUNDARY else r"\B"
    raise PatternError(r"uses a word boundary (\b, \B) of Unicode words, which RE2 cannot match; (?a) makes it ASCII")


Ranges = list[tuple[int, int]]


def _set(items: Sequence, flags: int) -> Ranges:
    """The code points a character class lists (before its negation), as sorted disjoint ranges."""
    ranges: Ranges = []
    for kind, value in items:
        if kind is _C.LITERAL:
            ranges.append((value, value))
        elif kind is _C.RANGE:
            ranges.append(value)
        elif kind is _C.CATEGORY:
            ranges.extend(_category(str(value), bool(flags & re.ASCII)))
    return _union(ranges)


@cache
def _category(name: str, ascii_only: bool) -> Ranges:
    r"""The code points of ``\d``, ``\w``, ``\s`` or their complements, as Python reads them.

    >>> _category("CATEGORY_SPACE", True)
    [(9, 13), (32, 32)]
    """
    every = _every_code_point()
    letter = {"DIGIT": "d", "WORD": "w", "SPACE": "s"}[name.removeprefix("CATEGORY_").removeprefix("NOT_")]
    found = [(m.start(), m.end() - 1) for m in re.finditer(rf"\{letter}+", every, re.ASCII if ascii_only else 0)]
    return _complement(found) if "_NOT_" in name else found


@cache
def _every_code_point() -> str:
    """A string of every code point, in order (built from their UTF-32 bytes: fast)."""
    codes = array("I", range(_MAX_CODE_POINT + 1))
    return codes.tobytes().decode(f"utf-32-{sys.byteorder[0]}e", "surrogatepass")


def _union(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _complement(ranges: Ranges) -> Ranges:
    out, start = [], 0
    for low, high in ranges:
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX_CODE_POINT:
        out.append((start, _MAX_CODE_POINT))
    return out


def _class(ranges: Ranges, flags: int, *, negate: bool = False, single: bool = False) -> str:
    """A character class of ``ranges`` (or its complement), case-folded as Python folds under ``flags``."""
    fold = bool(flags & re.IGNORECASE)
    if fold and flags & re.ASCII:  # Python folds ASCII letters only: add their other case, fold nothing else
        ranges = _union(ranges + [(ord(chr(c).swapcase()),) * 2 for c in _ascii_letters(ranges)])
        fold = False
    if single and len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not negate:
        body = _char(ranges[0][0])
    elif not ranges:
        body = "[\\x{0}-\\x{10ffff}]" if negate else "[^\\x{0}-\\x{10ffff}]"
    else:
        parts = "".join(_char(low) if low == high else f"{_char(low)}-{_char(high)}" for low, high in ranges)
        body = f"[{'^' if negate else ''}{parts}]"
    return f"(?i:{body})" if fold else body


def _ascii_letters(ranges: Ranges) -> list[int]:
    return [c for low, high in ranges for c in range(max(low, 65), min(high, 122) + 1) if chr(c).isalpha()]


def _char(code: int) -> str:
    """One code point in RE2's syntax: itself when a letter or digit of ASCII, else escaped."""
    return chr(code) if chr(code).isascii() and chr(code).isalnum() else f"\\x{{{code:x}}}"
