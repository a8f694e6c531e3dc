"""Every error tangent_ad raises, with the user's source location.

`TangentADError` is the one exception users catch. Its message always says
what construct could not be differentiated, where it is (the user's file and
line, with the line's text), and what to do about it.
"""

import linecache

__all__ = [
    "TangentADError",
    "UnsupportedConstructError",
    "MissingRuleError",
    "NoSourceError",
    "StaleSourceError",
    "NonScalarOutputError",
    "AliasingError",
    "Location",
    "GradientCheckError",
]


class Location:
    """A place in the user's source: file, line and the line's text."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename, lineno, function=None):
        self.filename = filename
        self.lineno = lineno
        self.function = function

    @property
    def text(self):
        if not self.filename or not self.lineno:
            return ""
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        where = f"{self.filename}:{self.lineno}"
        if self.function:
            where += f" (in {self.function})"
        return where


class TangentADError(Exception):
    """A function (or part of one) that tangent_ad cannot differentiate.

    Attributes: ``construct`` (what was not supported), ``location`` (a
    `Location` or None) and ``hint`` (what the user can do instead).
    """

    def __init__(self, construct, location=None, hint=None, detail=None):
        self.construct = construct
        self.location = location
        self.hint = hint
        self.detail = detail
        super().__init__(self._format())

    def _format(self):
        parts = []
        head = self.construct if not self.detail else f"{self.construct}: {self.detail}"
        if self.location is not None:
            parts.append(f"{self.location}: {head}")
            text = self.location.text
            if text:
                parts.append(f"    {text}")
        else:
            parts.append(head)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedConstructError(TangentADError):
    """Syntax or a language feature that the transformer does not handle."""


class MissingRuleError(TangentADError):
    """A call on differentiated values to a function with no derivative rule."""


class NoSourceError(TangentADError):
    """The function's Python source cannot be read (built-in, eval, C)."""


class StaleSourceError(NoSourceError):
    """The source file no longer holds the code that runs (edited since import)."""


class NonScalarOutputError(TangentADError):
    """`grad` of a function whose output is not a scalar."""


class AliasingError(TangentADError):
    """An in-place write through a name that may share memory with another."""


class GradientCheckError(AssertionError):
    """`check_grad` found a generated gradient that disagrees with finite
    differences. The message is a per-argument report."""

    def __init__(self, report):
        self.report = report
        super().__init__(report)
