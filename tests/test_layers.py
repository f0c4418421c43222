"""The library's house: packages import only downward, in pipeline order, with no import cycle.

Every ``import`` in ``lib/sqlfix`` counts, at module level or inside a function, and so does a module loaded by
name (``importlib.import_module``, the CLI's table of commands). A module may import its own package, or a
package on a lower floor; the simulator is a tool of the demo and the tests (only the commands that run it
may import it).
"""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"

# Floors, lowest first. The shared core (errors, config, contracts, Spark, the SQL core, the lake, the
# paper's figures) is under everything, in its own order; taxonomy sits below mining because mining labels
# each pair it mines. The simulator is a tool of the demo and the tests: it sits above every stage (no stage
# can import it) and only the commands that run it may. The package root is on top: it is the Python API
# (``sqlfix.fix``), a facade over the repair stage.
FLOORS = [
    {"sqlfix.errors", "sqlfix.reference", "sqlfix.progress"},
    {"sqlfix.config"},
    {"sqlfix.tables"},
    {"sqlfix.spark"},
    {"sqlfix.sql"},
    {"sqlfix.lake"},
    {"sqlfix.context"},
    {"sqlfix.ingest"},
    {"sqlfix.taxonomy"},
    {"sqlfix.mining"},
    {"sqlfix.feedback"},
    {"sqlfix.filtering"},
    {"sqlfix.spotcheck"},
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
    {"sqlfix.simulate"},
    {"sqlfix.commands"},
    {"sqlfix.cli", "sqlfix"},
]  # fmt: skip
SIMULATOR = "sqlfix.simulate"
MAY_RUN_THE_SIMULATOR = {"sqlfix.commands.simulate_logs", "sqlfix.commands.demo"}
IMPORTERS = {"import_module", "__import__"}


def modules_of(lib: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` below ``lib/package``."""
    out = {}
    for path in sorted((lib / package).rglob("*.py")):
        name = ".".join(path.relative_to(lib).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """What a module imports: ``import`` statements (module level or in a function, relative ones
    resolved), ``importlib.import_module("x.y")`` / ``__import__("x.y")`` calls, and dotted string constants
    that name a module (a table of modules loaded by name, as the CLI's ``COMMANDS``)."""
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
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in IMPORTERS:
            candidates = [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            candidates = [node.value]
        else:
            continue
        found |= {c for c in candidates if c in modules and c != name}
    return found


def _unit(module: str) -> str:
    """The package a module counts as: its second-level package (``sqlfix.filtering``), or itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def floor_of(module: str, floors: list[set[str]]) -> int | None:
    unit = _unit(module)
    return next((i for i, floor in enumerate(floors) if unit in floor), None)


def wrong_imports(edges: dict[str, set[str]], floors: list[set[str]], simulator: str | None = None,
                  may_run: set[str] = frozenset()) -> list[str]:  # fmt: skip
    """Every import that goes up a floor or sideways (within a floor, between two packages), imports a
    package with no floor, or reaches the simulator from a module not allowed to run it."""
    wrong = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if _unit(source) == _unit(target):
                continue
            if simulator and _unit(target) == simulator and source not in may_run:
                wrong.append(f"{source} -> {target} (the simulator is a tool of the demo and the tests)")
                continue
            low, high = floor_of(target, floors), floor_of(source, floors)
            if low is None or high is None:
                wrong.append(f"{source} -> {target} (a package with no floor)")
            elif low >= high:
                wrong.append(f"{source} (floor {high}) -> {target} (floor {low})")
    return wrong


def cycles_of(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
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

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


MODULES = modules_of(LIB, "sqlfix")
EDGES = {name: imports_of(name, path, MODULES) for name, path in MODULES.items()}


def test_every_package_has_a_floor():
    assert sorted({_unit(m) for m in MODULES if floor_of(m, FLOORS) is None}) == []


def test_no_import_goes_up_or_sideways():
    assert wrong_imports(EDGES, FLOORS, SIMULATOR, MAY_RUN_THE_SIMULATOR) == []


def test_no_import_cycle():
    assert cycles_of(EDGES) == []


def test_the_cli_loads_commands_by_name_and_that_counts():
    assert "sqlfix.commands.ingest" in EDGES["sqlfix.cli"]


def test_the_checker_finds_an_upward_import_a_dynamic_one_and_a_cycle(tmp_path):
    """The checker itself, on a package written for the test: ``low`` imports ``high`` (up a floor), ``mid``
    loads ``high`` through importlib (up too), ``a`` and ``b`` import each other (sideways and a cycle), and
    ``high`` runs the simulator it may not run."""
    pkg = tmp_path / "pkg"
    for sub in ("low", "mid", "high", "a", "b", "sim"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "m.py").write_text("from pkg.high import x\n")
    (pkg / "mid" / "m.py").write_text("import importlib\n\ndef f():\n    return importlib.import_module('pkg.high.x')\n")
    (pkg / "high" / "x.py").write_text("from ..low import m\nimport pkg.sim.tool\n")
    (pkg / "a" / "m.py").write_text("import pkg.b.m\n")
    (pkg / "b" / "m.py").write_text("from pkg.a import m\n")
    (pkg / "sim" / "tool.py").write_text("")
    modules = modules_of(tmp_path, "pkg")
    edges = {name: imports_of(name, path, modules) for name, path in modules.items()}
    floors = [{"pkg.low"}, {"pkg.mid"}, {"pkg.a", "pkg.b"}, {"pkg.sim"}, {"pkg.high"}]
    assert wrong_imports(edges, floors, "pkg.sim") == [
        "pkg.a.m (floor 2) -> pkg.b.m (floor 2)",
        "pkg.b.m (floor 2) -> pkg.a (floor 2)",
        "pkg.b.m (floor 2) -> pkg.a.m (floor 2)",
        "pkg.high.x -> pkg.sim.tool (the simulator is a tool of the demo and the tests)",
        "pkg.low.m (floor 0) -> pkg.high (floor 4)",
        "pkg.low.m (floor 0) -> pkg.high.x (floor 4)",
        "pkg.mid.m (floor 1) -> pkg.high.x (floor 4)",
    ]
    assert cycles_of(edges) == [["pkg.a.m", "pkg.b.m"], ["pkg.high.x", "pkg.low.m"]]
    # Allowed to run the simulator, high's import of it is fine; the rest stands.
    assert wrong_imports(edges, floors, "pkg.sim", {"pkg.high.x"})[3] == "pkg.low.m (floor 0) -> pkg.high (floor 4)"


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
