"""Catalog table definitions: ``CREATE TABLE`` files or JSON Lines into ``table_schemas`` rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlfix.sql.ddl import read_ddl
from sqlfix.sql.names import name_problem


def read_schema_file(path: Path, captured_at: dt.datetime | None = None) -> tuple[list[dict], list[dict]]:
    """Rows of ``table_schemas`` and rejected rows (with reasons) from one file.

    ``.sql``/``.ddl``: CREATE TABLE statements, captured at ``captured_at`` or the file's mtime.
    ``.jsonl``/``.json``: one object a line with ``table_name`` (optional), ``ddl``, ``captured_at``.
    DDL is read by ``sql.ddl.read_ddl``: a statement that defines no table is rejected with its reason
    (``unreadable_ddl``, ``not_create_table``, ``no_column_list``). A table name that is not ``table`` or
    ``database.table`` of plain identifiers (``sql.names``) is rejected as ``bad_table_name``: it would reach
    the sandbox's own SQL.
    """
    good, bad = [], []
    default_time = captured_at or dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc)
    source = str(path.resolve())
    if path.suffix.lower() in (".sql", ".ddl"):
        defs, problems = read_ddl(path.read_text(errors="replace"))
        bad += [{"raw_row": p.statement, "reason": p.reason, "source_file": source} for p in problems]
        for t in defs:
            if name_problem(t.name, parts=2):
                bad.append({"raw_row": t.statement, "reason": "bad_table_name", "source_file": source})
            else:
                good.append({"table_name": t.name, "ddl": t.statement, "captured_at": default_time, "source_file": source})
        return good, bad
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError
        except (UnicodeDecodeError, ValueError):
            bad.append({"raw_row": line.decode("utf-8", "replace"), "reason": "malformed_json", "source_file": source})
            continue
        ddl = obj.get("ddl")
        defs, problems = read_ddl(ddl) if isinstance(ddl, str) else ([], [])
        name = (obj.get("table_name") or (defs[0].name if defs else "")).lower()
        stamp = _parse_time(obj.get("captured_at")) if obj.get("captured_at") else default_time
        reason = (
            "missing_ddl" if not isinstance(ddl, str) or not ddl.strip()
            else problems[0].reason if not defs
            else "missing_table_name" if not name
            else "bad_table_name" if name_problem(name, parts=2)
            else "unparseable_captured_at" if stamp is None
            else None
        )  # fmt: skip
        if reason:
            bad.append({"raw_row": line.decode("utf-8", "replace"), "reason": reason, "source_file": source})
        else:
            good.append({"table_name": name, "ddl": ddl.strip(), "captured_at": stamp, "source_file": source})
    return good, bad


def _parse_time(value) -> dt.datetime | None:
    try:
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)
        stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
