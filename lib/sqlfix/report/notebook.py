"""What every analyst notebook opens with: its parameters, the config, the SparkSession and the lake's tables
as views — the same cell on Databricks and on a laptop.

On Databricks (the notebook's namespace has ``dbutils`` and ``spark``) each parameter, plus ``catalog`` and
``schema``, is a text widget (a job passes them as base parameters); the ``databricks`` profile is laid with
that catalog and schema, and the notebook's own ``spark`` is used, never a new session. Elsewhere the local
profile is used under ``SQLFIX_OUTPUT_ROOT`` (default ``.``), and each parameter comes from ``SQLFIX_<NAME>``
or its default.
"""

from __future__ import annotations

import os

from sqlfix.config import load_config
from sqlfix.context import Context
from sqlfix.errors import UsageError
from sqlfix.sql.names import is_identifier

LAKE_DEFAULTS = {"catalog": "main", "schema": "sqlfix"}


def notebook_params(namespace: dict, **params) -> tuple[dict, dict, object | None]:
    """(config, parameter values, the notebook's ``spark`` or ``None``) for a notebook's ``namespace``.

    Example:
        >>> cfg, values, spark = notebook_params({}, eval_set="")
        >>> cfg["spark"]["profile"], values, spark
        ('local', {'eval_set': ''}, None)
    """
    dbutils, spark = namespace.get("dbutils"), namespace.get("spark")
    if dbutils is None or spark is None:
        root = os.environ.get("SQLFIX_OUTPUT_ROOT", ".")
        values = {k: os.environ.get(f"SQLFIX_{k.upper()}", "" if v is None else str(v)) for k, v in params.items()}
        return load_config(overrides=[f"output_root={root}"]), values, None
    wanted = {**LAKE_DEFAULTS, **params}
    for key, default in wanted.items():
        dbutils.widgets.text(key, "" if default is None else str(default))
    values = {key: dbutils.widgets.get(key) for key in wanted}
    for key in LAKE_DEFAULTS:  # they become catalog names in Spark SQL: plain identifiers only
        if not is_identifier(values[key]):
            raise UsageError(f"the {key} widget is not a plain name", input=repr(values[key]))
    overrides = [f"lake.catalog={values['catalog']}", f"lake.schema={values['schema']}"]
    cfg = load_config("databricks", overrides=overrides)
    return cfg, {k: values[k] for k in params}, spark


def open_notebook(namespace: dict, **params) -> tuple[Context, dict]:
    """The notebook's ``Context`` (its ``spark`` on Databricks) with every lake table registered as a view of
    its name, and its parameter values (``params``: name -> default)."""
    cfg, values, spark = notebook_params(namespace, **params)
    ctx = Context(cfg, _spark=spark)
    ctx.lake.register_views()
    return ctx, values


def save_figure(fig, folder: str, name: str) -> None:
    """Save ``fig`` as ``folder/name`` when a folder is given (a notebook shows it inline either way)."""
    if folder:
        fig.savefig(os.path.join(folder, name))
