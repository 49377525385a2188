"""Refuse user regexes that Python's backtracking engine can take exponential time on.

allow/deny patterns are searched against every link a listing page holds; one pattern like
`(a+)+$` stops a crawl on a long URL. The classic shapes are a repeated group that holds
another repeat which can match the same characters (`(a+)+`, `(\\w+\\s?)*`, `(.*/)+`) and a
repeated alternation whose branches can start alike (`(a|ab)+`). A repeated group is allowed when
it holds a required character its inner repeats cannot match (`(/[a-z0-9-]+)+`: each round
starts at a '/'), since then there is one way to split the text. The check is conservative:
what it cannot analyse it refuses, and the message says how to rewrite.
"""
from __future__ import annotations

import re
from re import _constants as C, _parser as P

_ALL = None  # a character predicate standing for "any character"


def problem(pattern: str) -> str | None:
    """Why the pattern may backtrack catastrophically, or None when it is safe."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return None  # compiled (and reported) by the caller
    return _walk(list(tree))


def _walk(items) -> str | None:
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            body = list(sub)
            if hi == C.MAXREPEAT or hi > 1:
                why = _repeat_problem(body)
                if why:
                    return why
            found = _walk(body)
        elif op is C.SUBPATTERN:
            found = _walk(list(av[-1]))
        elif op is C.BRANCH:
            found = next((w for alt in av[1] if (w := _walk(list(alt)))), None)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            found = _walk(list(av[1]))
        elif op is C.ATOMIC_GROUP:
            found = _walk(list(av))
        else:
            found = None
        if found:
            return found
    return None


def _repeat_problem(body) -> str | None:
    inner = _inner_repeats(body)
    if inner:
        required = _required_literals(body)
        for chars in inner:
            if chars is _ALL or not any(not chars(c) for c in required):
                return ("a repeated group holds another repeat that can match the same text "
                        "(like (a+)+): this can take exponential time; rewrite it without the "
                        "nested repeat, e.g. (a+)+ as a+")
    if any(_branches_overlap(alts) for alts in _branches(body)):
        return ("a repeated alternation whose branches can match alike (like (a|a)* or "
                "(a|aa)+): this can take exponential time; make the branches start differently")
    return None


def _branches(items) -> list:
    """The alternatives of every alternation in the sequence (groups opened, repeats not)."""
    out = []
    for op, av in items:
        if op is C.SUBPATTERN:
            out += _branches(list(av[-1]))
        elif op is C.BRANCH:
            out.append(av[1])
            for alt in av[1]:
                out += _branches(list(alt))
    return out


def _inner_repeats(items) -> list:
    """Character predicates of every repeat (of more than one) nested in items."""
    out = []
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if hi == C.MAXREPEAT or hi > 1:
                out.append(_chars(list(sub)))
            out += _inner_repeats(list(sub))
        elif op is C.SUBPATTERN:
            out += _inner_repeats(list(av[-1]))
        elif op is C.BRANCH:
            for alt in av[1]:
                out += _inner_repeats(list(alt))
    return out


def _required_literals(items) -> list[int]:
    """Characters every match of the sequence must contain, at its top level."""
    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(av)
        elif op is C.SUBPATTERN:
            out += _required_literals(list(av[-1]))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1 and av[1] == 1:
            out += _required_literals(list(av[2]))
    return out


_CATEGORIES = {
    C.CATEGORY_DIGIT: lambda c: chr(c).isdigit(),
    C.CATEGORY_NOT_DIGIT: lambda c: not chr(c).isdigit(),
    C.CATEGORY_SPACE: lambda c: chr(c).isspace(),
    C.CATEGORY_NOT_SPACE: lambda c: not chr(c).isspace(),
    C.CATEGORY_WORD: lambda c: chr(c).isalnum() or c == ord("_"),
    C.CATEGORY_NOT_WORD: lambda c: not (chr(c).isalnum() or c == ord("_")),
}


def _chars(items):
    """A predicate on code points: can the sequence match this character? _ALL when unknown."""
    tests = []
    for op, av in items:
        if op is C.LITERAL:
            tests.append(lambda c, v=av: c == v)
        elif op is C.NOT_LITERAL:
            tests.append(lambda c, v=av: c != v)
        elif op is C.IN:
            t = _in_set(av)
            if t is _ALL:
                return _ALL
            tests.append(t)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            t = _chars(list(av[2]))
            if t is _ALL:
                return _ALL
            tests.append(t)
        elif op is C.SUBPATTERN:
            t = _chars(list(av[-1]))
            if t is _ALL:
                return _ALL
            tests.append(t)
        elif op is C.BRANCH:
            for alt in av[1]:
                t = _chars(list(alt))
                if t is _ALL:
                    return _ALL
                tests.append(t)
        elif op is C.AT:
            continue
        else:  # ANY, groups referred back to, lookarounds: assume anything
            return _ALL
    return lambda c: any(t(c) for t in tests)


def _in_set(members):
    negate = False
    tests = []
    for op, av in members:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            tests.append(lambda c, v=av: c == v)
        elif op is C.RANGE:
            tests.append(lambda c, lo=av[0], hi=av[1]: lo <= c <= hi)
        elif op is C.CATEGORY and av in _CATEGORIES:
            tests.append(_CATEGORIES[av])
        else:
            return _ALL
    if negate:
        return lambda c: not any(t(c) for t in tests)
    return lambda c: any(t(c) for t in tests)


def _branches_overlap(alternatives) -> bool:
    firsts = []
    for alt in alternatives:
        alt = list(alt)
        if not alt or alt[0][0] is not C.LITERAL:
            return True  # empty or not a plain first character: cannot tell, so refuse
        firsts.append(alt[0][1])
    return len(set(firsts)) < len(firsts)
