"""Errors sqlfix raises on purpose: each says what went wrong, about which input, and how to fix it.

The library raises them; only the command line (``sqlfix.cli``) turns them into a one-line message and an
exit code: 2 for a ``UsageError`` (the command, a path or a name it was given does not work), 1 for any
other ``SqlfixError`` (the job could not do its work). ``--debug`` shows the traceback as well.
"""

from __future__ import annotations


class SqlfixError(Exception):
    """A failure with a record: ``what`` went wrong, the ``input`` it is about, and a ``hint``.

    Example:
        >>> str(SqlfixError("no approved batch", hint="run sqlfix spotcheck gate"))
        'no approved batch — run sqlfix spotcheck gate'
        >>> str(UsageError("no such file or folder", input="/no/such/path"))
        'no such file or folder: /no/such/path'
    """

    exit_code = 1

    def __init__(self, what: str, *, input: str | None = None, hint: str | None = None):  # noqa: A002
        self.what, self.input, self.hint = what, input, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.what}: {self.input}" if self.input is not None else self.what
        return f"{text} — {self.hint}" if self.hint else text


class UsageError(SqlfixError):
    """The command line, or a path or name it gave, does not work (exit code 2)."""

    exit_code = 2
