"""The library's house: packages import only downward, in pipeline order, with no import cycle.

Every ``import`` in ``lib/sqlfix`` counts, at module level or inside a function. A module may import its own
package, or a package on a lower floor; the simulator is a tool of the demo and the tests (only the
commands that run it may import it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"

# Floors, lowest first. The shared core (errors, config, contracts, Spark, the SQL core, the lake, the
# paper's figures) is under everything; taxonomy sits below mining because mining labels each pair it mines.
# The package root is on top: it is the Python API (``sqlfix.fix``), a facade over the repair stage.
FLOORS = [
    {"sqlfix.errors", "sqlfix.config", "sqlfix.tables", "sqlfix.spark", "sqlfix.sql", "sqlfix.lake",
     "sqlfix.reference", "sqlfix.progress"},
    {"sqlfix.ingest"},
    {"sqlfix.taxonomy"},
    {"sqlfix.mining"},
    {"sqlfix.feedback"},
    {"sqlfix.filtering"},
    {"sqlfix.review"},
    {"sqlfix.generation"},
    {"sqlfix.dataset"},
    {"sqlfix.training"},
    {"sqlfix.registry"},
    {"sqlfix.inference"},
    {"sqlfix.evaluation"},
    {"sqlfix.experiment"},
    {"sqlfix.optimize"},
    {"sqlfix.repair"},
    {"sqlfix.report"},
    {"sqlfix.commands"},
    {"sqlfix.cli", "sqlfix"},
]  # fmt: skip
SIMULATOR = "sqlfix.simulate"
MAY_RUN_THE_SIMULATOR = {"sqlfix.commands.simulate_logs", "sqlfix.commands.demo"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((LIB / "sqlfix").rglob("*.py")):
        name = ".".join(path.relative_to(LIB).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in modules and c != name}
    return found


def _unit(module: str) -> str:
    """The package a module counts as: its second-level package (``sqlfix.filtering``), or itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _floor(module: str) -> int | None:
    unit = _unit(module)
    for i, floor in enumerate(FLOORS):
        if unit in floor:
            return i
    return None


MODULES = _modules()
EDGES = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def test_every_package_has_a_floor():
    assert sorted({_unit(m) for m in MODULES if _floor(m) is None}) == [SIMULATOR]


def test_no_import_goes_up_or_sideways():
    wrong = []
    for source, targets in EDGES.items():
        for target in targets:
            if _unit(target) == SIMULATOR:
                if _unit(source) != SIMULATOR and source not in MAY_RUN_THE_SIMULATOR:
                    wrong.append(f"{source} -> {target} (the simulator is a tool of the demo and the tests)")
                continue
            if _unit(source) == SIMULATOR or _unit(source) == _unit(target):
                continue
            if _floor(source) is None or _floor(target) is None:
                wrong.append(f"{source} -> {target} (a package with no floor)")
            elif _floor(target) >= _floor(source) and not (_floor(source) == 0 == _floor(target)):
                wrong.append(f"{source} (floor {_floor(source)}) -> {target} (floor {_floor(target)})")
    assert wrong == []


def test_no_import_cycle():
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in EDGES[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(EDGES):
        if module not in index:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [("sqlfix.mining.pairs", "sqlfix.commands.mine", False), ("sqlfix.commands.mine", "sqlfix.mining.pairs", True),
     ("sqlfix.dataset.build", "sqlfix.simulate.sessions", False), ("sqlfix.lake", "sqlfix.sql.diff", True)],
)  # fmt: skip
def test_the_rule_itself(source, target, allowed):
    """The floors say what the pipeline says: a stage never reaches up to a command or the simulator."""
    up = _floor(target) is not None and _floor(target) >= _floor(source) and _floor(source) != 0
    assert (not up and _unit(target) != SIMULATOR) == allowed


def test_training_and_generation_import_without_spark_or_the_sql_parser():
    """A GPU machine trains and generates with torch and transformers alone: the recipe, the generator and
    the experiment's train stage import no Spark, sqlglot, Delta or MLflow (they load them where used)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in ("pyspark", "sqlglot", "deltalake", "mlflow"):
                    raise ImportError("blocked " + name)
        sys.meta_path.insert(0, Block())
        sys.path.insert(0, {str(LIB)!r})
        import sqlfix.training.recipe, sqlfix.inference.generate, sqlfix.experiment.dmsft, sqlfix.dataset.prompt
        from sqlfix.training.examples import build_example
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
