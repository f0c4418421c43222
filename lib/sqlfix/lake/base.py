"""What every lake backend shares: its errors and the result of a merge."""

from __future__ import annotations

from dataclasses import dataclass

from sqlfix.errors import SqlfixError, UsageError


class LakeError(SqlfixError, RuntimeError):
    """A lake operation that cannot be done (unknown table, bad rows, schema conflict)."""


class UnknownTableError(LakeError, UsageError):
    """A table name that no contract declares."""


@dataclass(frozen=True)
class MergeResult:
    """Rows a merge inserted and updated."""

    inserted: int
    updated: int
