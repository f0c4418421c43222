"""What every analyst notebook opens with: its parameters, the config, the SparkSession and the lake's tables
as views — the same cell on Databricks and on a laptop.

A notebook's parameters are settings of the config's ``notebook`` section (their defaults in
``conf/local.yaml``). On Databricks (the notebook's namespace has ``dbutils`` and ``spark``) each parameter,
plus ``catalog`` and ``schema``, is a text widget whose default is the ``databricks`` profile's value (a job
passes them as base parameters); the notebook's own ``spark`` is used, never a new session. Elsewhere the
local profile is used (under ``SQLFIX_OUTPUT_ROOT``, default ``.``) and a parameter comes from
``SQLFIX_<NAME>`` when that is set. Either way each value is laid as an ``Override`` whose source (``widget
figures``, ``SQLFIX_FIGURES``) ``ctx.cfg.sources`` records.
"""

from __future__ import annotations

import os

from sqlfix.config import Override, lay, load_config
from sqlfix.context import Context
from sqlfix.errors import UsageError
from sqlfix.sql.names import is_identifier


def notebook_params(namespace: dict, *names: str) -> tuple[dict, dict, object | None]:
    """(config, the parameters ``names`` -> their values, the notebook's ``spark`` or ``None``).

    Example:
        >>> cfg, values, spark = notebook_params({}, "eval_set")
        >>> cfg["spark"]["profile"], values, spark, cfg.sources["notebook.eval_set"].endswith("local.yaml")
        ('local', {'eval_set': ''}, None, True)
    """
    dbutils, spark = namespace.get("dbutils"), namespace.get("spark")
    if dbutils is None or spark is None:
        env = {n: f"SQLFIX_{n.upper()}" for n in names}
        cfg = load_config(overrides=[Override(f"notebook.{n}", os.environ[v], v) for n, v in env.items() if v in os.environ])
        return cfg, {n: cfg["notebook"][n] for n in names}, None
    base = load_config("databricks")
    wanted = {"lake.catalog": ("catalog", base["lake"]["catalog"]), "lake.schema": ("schema", base["lake"]["schema"])}
    wanted |= {f"notebook.{n}": (n, base["notebook"].get(n, "")) for n in names}
    overrides = []
    for key, (widget, default) in wanted.items():
        dbutils.widgets.text(widget, "" if default is None else str(default))
        value = dbutils.widgets.get(widget)
        if key.startswith("lake.") and not is_identifier(value):  # a catalog name in Spark SQL: plain only
            raise UsageError(f"the {widget} widget is not a plain name", input=repr(value))
        overrides.append(Override(key, value, f"widget {widget}"))
    cfg = lay(base, overrides=overrides)
    return cfg, {n: cfg["notebook"][n] for n in names}, spark


def open_notebook(namespace: dict, *names: str) -> tuple[Context, dict]:
    """The notebook's ``Context`` (its ``spark`` on Databricks) with every lake table registered as a view of
    its name, and the values of its parameters ``names`` (settings of the ``notebook`` section)."""
    cfg, values, spark = notebook_params(namespace, *names)
    ctx = Context(cfg, _spark=spark)
    ctx.lake.register_views()
    return ctx, values


def save_figure(fig, folder: str, name: str) -> None:
    """Save ``fig`` as ``folder/name`` when a folder is given (a notebook shows it inline either way)."""
    if folder:
        fig.savefig(os.path.join(folder, name))
