"""What logged SQL may do in the sandbox, decided on Spark's plans; a text screen is only the first cut.

Logged SQL is untrusted. The filter never executes DDL or DML (it analyses their plans), and it lets a
statement through only when every layer agrees:

1. **Text screen** (``check_text``, cheap, before Spark): the complexity bounds (a statement over
   ``max_chars`` or nested deeper than ``max_depth`` parentheses is ``too_complex``) and the obvious
   refusals visible in the tokens (reflection and file functions, file paths, direct file queries).
2. **Statement allowlist** (``check_plan``, on the *parsed* plan, before analysis): a command is let
   in only if its class is in ``ALLOWED_COMMANDS`` (queries, temporary views, ``SET``/``RESET``/``USE``,
   table DDL and DML that analysis resolves but never runs); ``EXECUTE IMMEDIATE``, scripts, ``TRANSFORM``
   and every other command are refused. ``CREATE``/``REPLACE TABLE`` must use a provider of
   ``ALLOWED_PROVIDERS`` (a provider is a class Spark loads by name) with no ``LOCATION`` and no ``path``
   option; ``SET`` must name a session setting that keeps the sandbox's guarantees.
3. **Plan allowlist** (``check_tree``, on the *analysed* plan, before anything of the script is applied
   or executed): every operator of the plan and of its subqueries must be in ``QUERY_NODES`` or
   ``COMMAND_NODES``, and every relation must be a table of the sandbox's catalog.
4. **A registry without the dangerous functions** (``DENIED_FUNCTIONS``, removed from every sandbox
   session by ``Sandbox``): reflection, file and class-loading functions cannot even be resolved, however
   they are named (``IDENTIFIER('re' || 'flect')``, a view, a lambda, a CTE), so a case the screens miss
   fails closed; ``denied_routine`` turns the analyzer's ``UNRESOLVED_ROUTINE`` for one of them into a
   refusal. Expressions are thereby the registry's built-ins minus the denied ones, plus syntax (CASE,
   CAST, subqueries, lambdas, windows); UDFs cannot exist in a sandbox session (``CREATE FUNCTION`` is
   refused and no session registers any).

``statement_kind`` names what a statement does (query, create, insert, drop, ...): a fix may not do
something its bug did not (a SELECT "fixed" by a DROP), which the judge drops as its own reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot.tokens import TokenType

# Parsed command classes a pair may contain, and what each does. Anything else that Spark parses as a
# command is refused before analysis.
ALLOWED_COMMANDS = {
    "SetCommand": "session",
    "ResetCommand": "session",
    "SetCatalogAndNamespace": "session",
    "CreateViewCommand": "view",  # temporary views stay in the script's session; others are only analysed
    "CreateView": "view",
    "CreateTable": "create",
    "CreateTableAsSelect": "create",
    "ReplaceTable": "create",
    "ReplaceTableAsSelect": "create",
    "InsertIntoStatement": "insert",
    "DeleteFromTable": "delete",
    "UpdateTable": "update",
    "MergeIntoTable": "merge",
    "DropTable": "drop",
    "DropView": "drop",
    "TruncateTable": "drop",
    "DescribeRelation": "describe",
    "DescribeColumn": "describe",
    "ShowTables": "describe",
    "ShowColumns": "describe",
    "ExplainCommand": "describe",
}
# Kinds of statements that change data or tables: a fix may not bring one its bug did not have.
DESTRUCTIVE_KINDS = {"drop", "delete", "update", "merge", "insert", "create"}
# Parsed roots of queries (and of the statements Spark parses as plans rather than commands). Any other
# parsed root that is not an allowed command is refused before analysis.
QUERY_ROOTS = {
    "Project", "Filter", "Aggregate", "Sort", "GlobalLimit", "LocalLimit", "Offset", "Tail", "Union",
    "Intersect", "Except", "Distinct", "Deduplicate", "SubqueryAlias", "UnresolvedWith", "WithCTE", "Join",
    "LateralJoin", "UnresolvedRelation", "UnresolvedInlineTable", "LocalRelation", "OneRowRelation",
    "UnresolvedTableValuedFunction", "Generate", "Pivot", "Unpivot", "Window", "WithWindowDefinition",
    "UnresolvedHint", "RepartitionByExpression", "Repartition", "Sample", "UnresolvedSubqueryColumnAliases",
    "Range", "Expand", "UnresolvedHaving", "UnresolvedTVFAliases",
}  # fmt: skip
# Parsed roots that are not commands but must never reach the analyzer.
REFUSED_ROOTS = {
    "UnresolvedExecuteImmediate": ("dynamic_sql", "EXECUTE IMMEDIATE builds SQL the screens never saw"),
    "ExecuteImmediateQuery": ("dynamic_sql", "EXECUTE IMMEDIATE builds SQL the screens never saw"),
    "CompoundBody": ("statement_not_allowed", "SQL scripts are not judged"),
    "ScriptTransformation": ("script_transform", "TRANSFORM ... USING runs an external program"),
}
REFUSED_PLANS = {  # commands refused with a reason of their own (the rest: statement_not_allowed)
    "AddJarsCommand": "add_jar",
    "AddFilesCommand": "add_file",
    "AddArchivesCommand": "add_file",
    "CreateFunction": "create_function",
    "CreateFunctionCommand": "create_function",
    "InsertIntoDir": "file_path",
    "LoadData": "file_path",
}
ALLOWED_PROVIDERS = {"parquet", "delta", "orc", "json", "csv", "avro", "text", "hive"}
# Functions removed from every sandbox session's registry, with the reason a call of one is refused.
DENIED_FUNCTIONS = {
    "reflect": "reflection",
    "java_method": "reflection",
    "try_reflect": "reflection",
    "input_file_name": "file_path",
    "input_file_block_start": "file_path",
    "input_file_block_length": "file_path",
    # XML parsers (external entities can read local files) and Avro/Protobuf codecs (load classes and
    # descriptor files by name)
    "xpath": "xml_parser",
    "xpath_boolean": "xml_parser",
    "xpath_double": "xml_parser",
    "xpath_float": "xml_parser",
    "xpath_int": "xml_parser",
    "xpath_long": "xml_parser",
    "xpath_number": "xml_parser",
    "xpath_short": "xml_parser",
    "xpath_string": "xml_parser",
    "from_xml": "xml_parser",
    "schema_of_xml": "xml_parser",
    "from_avro": "class_loading",
    "to_avro": "class_loading",
    "schema_of_avro": "class_loading",
    "from_protobuf": "class_loading",
    "to_protobuf": "class_loading",
}
REFLECTION = {name for name, reason in DENIED_FUNCTIONS.items() if reason == "reflection"}
# Operators an analysed plan may hold (``TreeNode.nodeName``: the class's simple name).
QUERY_NODES = {
    "Project", "Filter", "Aggregate", "Join", "LateralJoin", "Sort", "GlobalLimit", "LocalLimit", "Offset",
    "Tail", "Union", "Intersect", "Except", "Distinct", "Deduplicate", "SubqueryAlias", "View", "LocalRelation",
    "OneRowRelation", "Range", "Window", "WindowGroupLimit", "Generate", "Expand", "Sample", "WithCTE",
    "CTERelationDef", "CTERelationRef", "Repartition", "RepartitionByExpression", "RebalancePartitions",
    "ResolvedHint", "Relation", "Subquery",
    "LogicalRDD",  # only the sandbox's own empty stand-in for a one-part CREATE TABLE: SQL cannot make one
}  # fmt: skip
COMMAND_NODES = {
    "SetCommand", "ResetCommand", "SetCatalogAndNamespace", "SetNamespaceCommand", "CreateViewCommand",
    "CreateView", "CreateTable", "CreateTableAsSelect", "ReplaceTable", "ReplaceTableAsSelect",
    "CreateDataSourceTableCommand", "CreateDataSourceTableAsSelectCommand", "CreateTableCommand",
    "InsertIntoHadoopFsRelationCommand", "InsertIntoStatement", "AppendData", "OverwriteByExpression",
    "OverwritePartitionsDynamic", "DeleteFromTable", "UpdateTable", "MergeIntoTable", "DropTable",
    "DropTableCommand", "DropView", "TruncateTable", "TruncateTableCommand", "DescribeRelation",
    "DescribeColumn", "DescribeTableCommand", "DescribeColumnCommand", "ShowTables", "ShowTablesCommand",
    "ShowColumns", "ShowColumnsCommand", "ExplainCommand", "ResolvedIdentifier", "ResolvedTable",
    "ResolvedPersistentView", "ResolvedTempView", "ResolvedNamespace", "ResolvedV1TableIdentifier",
    "ResolvedV1TableOrViewIdentifier", "UnresolvedTableOrView", "UnresolvedIdentifier", "UnresolvedNamespace",
}  # fmt: skip
SET_ALLOWED = re.compile(r"^(spark\.sql\.|hive\.|mapred\.|mapreduce\.|tez\.)", re.IGNORECASE)
SET_DENIED = re.compile(
    r"^spark\.sql\.(warehouse\.dir|catalog\.|catalogImplementation|extensions|hive\.metastore|"
    r"streaming\.checkpointLocation|sources\.|session\.localRelationCacheThreshold|artifact\.|"
    r"legacy\.allowUntypedScalaUDF|execution\.pyspark\.|execution\.python\.|"
    # the sandbox's own guarantees: file queries stay off, plans render whole
    r"runSQLOnFiles|maxPlanStringLength|debug\.|planChangeLog|optimizer\.(excludedRules|plan)|"
    r"defaultCatalog|function\.|udf\.|scripting\.|execution\.(arrow|pandas)|variable\.)",
    re.IGNORECASE,
)
# Every refusal the text screen makes names one of these words; text with none of them (and too few
# parentheses to nest past the bound) needs no tokenising, which is most SQL.
FILE_FUNCTIONS = {"read_files", "input_file_name"}  # input_file_name only reveals paths; refused alike
FILE_FORMATS = {"parquet", "orc", "json", "csv", "text", "avro", "delta", "binaryfile", "xml"}
PATH_KEYWORDS = {"LOCATION", "DIRECTORY", "INPATH"}
PATH_OPTIONS = {"path", "paths"}  # data source options that name files (``paths`` is a JSON list of them)


_STRINGS = (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING)
# Every refusal names one of these words; text with none of them (and too few parentheses to nest past
# the bound) needs no tokenising, which is most SQL.
_SUSPECT = re.compile(
    r"\b(?:"
    + "|".join(sorted(REFLECTION | FILE_FUNCTIONS | FILE_FORMATS | {k.lower() for k in PATH_KEYWORDS}))
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Refusal:
    """Why a statement is not let into the sandbox."""

    reason: str  # add_jar, add_file, create_function, reflection, file_path, set_outside_session, too_complex
    detail: str


def check_text(sql: str, max_chars: int = 200_000, max_depth: int = 200) -> Refusal | None:
    """Refusals visible in the statement's tokens, and the complexity bounds.

    Example:
        >>> check_text("SELECT reflect('java.lang.System', 'exit', 1)").reason
        'reflection'
        >>> check_text("SELECT * FROM parquet.`/data/x`").reason
        'file_path'
        >>> check_text("SELECT " + "(" * 300 + "1" + ")" * 300).reason
        'too_complex'
        >>> check_text("SELECT 'LOCATION' AS location FROM t") is None
        True
        >>> check_text("SELECT JAVA_METHOD('java.lang.Runtime', 'getRuntime')").reason
        'reflection'
        >>> check_text("select * from JSON.`s3://bucket/x`").reason
        'file_path'
        >>> check_text("INSERT OVERWRITE DIRECTORY '/tmp/x' SELECT 1").reason
        'file_path'
        >>> check_text("SELECT a FROM t WHERE " + " AND ".join(["(a > 1)"] * 300)) is None
        True
    """
    if len(sql) > max_chars:
        return Refusal("too_complex", f"statement of {len(sql)} characters (limit {max_chars})")
    if sql.count("(") <= max_depth and not _SUSPECT.search(sql):
        return None
    try:
        tokens = sqlglot.tokenize(sql, read="spark")
    except Exception:  # noqa: BLE001 - untokenisable text: Spark's parser will say why
        return _depth_only(sql, max_depth)
    depth = deepest = 0
    for i, token in enumerate(tokens):
        kind, text = token.token_type, token.text
        if kind == TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
        elif kind == TokenType.R_PAREN:
            depth -= 1
        if kind in _STRINGS:
            continue
        word = text.upper()
        following = tokens[i + 1].token_type if i + 1 < len(tokens) else None
        if following == TokenType.L_PAREN and text.lower() in REFLECTION:
            return Refusal("reflection", f"reflection function {text}()")
        if following == TokenType.L_PAREN and text.lower() in FILE_FUNCTIONS:
            return Refusal("file_path", f"file function {text}()")
        if word in PATH_KEYWORDS and following in _STRINGS:
            return Refusal("file_path", f"{word} names a file path")
        if text.lower() in FILE_FORMATS and following == TokenType.DOT and i + 2 < len(tokens):
            target = tokens[i + 2]
            if target.token_type == TokenType.IDENTIFIER and ("/" in target.text or ":" in target.text):
                return Refusal("file_path", f"direct file query {text}.`{target.text}`")
    if deepest > max_depth:
        return Refusal("too_complex", f"parentheses nested {deepest} deep (limit {max_depth})")
    return None


def _depth_only(sql: str, max_depth: int) -> Refusal | None:
    depth = deepest = 0
    for char in sql:
        depth += char == "("
        depth -= char == ")"
        deepest = max(deepest, depth)
    return (
        Refusal("too_complex", f"parentheses nested {deepest} deep (limit {max_depth})")
        if deepest > max_depth
        else None
    )


def check_plan(
    plan_class: str,
    set_key: str | None = None,
    *,
    command: bool = True,
    provider: str | None = None,
    location: str | None = None,
    options: tuple[str, ...] = (),
) -> Refusal | None:
    """The statement allowlist, on the parsed plan's root class (and, for ``SET`` and ``CREATE TABLE``,
    the facts the parser read out of it). Decided before Spark analyses anything.

    Example:
        >>> check_plan("AddJarsCommand").reason
        'add_jar'
        >>> check_plan("SetCommand", "spark.sql.warehouse.dir").reason
        'set_outside_session'
        >>> check_plan("SetCommand", "spark.sql.ansi.enabled") is None
        True
        >>> check_plan("CreateVariable").reason
        'statement_not_allowed'
        >>> check_plan("UnresolvedExecuteImmediate", command=False).reason
        'dynamic_sql'
        >>> check_plan("Project", command=False) is None
        True
        >>> check_plan("InsertIntoStatement", command=False) is None, check_plan("SomeNewPlan", command=False).reason
        (True, 'statement_not_allowed')
        >>> check_plan("CreateTableAsSelect", provider="csv", options=("PATH",)).reason
        'file_path'
        >>> check_plan("CreateTable", provider="com.example.Source").reason
        'provider_not_allowed'
        >>> check_plan("CreateTable", provider="parquet", options=("paths",)).reason
        'file_path'
    """
    if plan_class in REFUSED_ROOTS:
        return Refusal(*REFUSED_ROOTS[plan_class])
    if not command and plan_class in QUERY_ROOTS:
        return None
    if plan_class in REFUSED_PLANS:
        return Refusal(REFUSED_PLANS[plan_class], f"{plan_class} is not allowed in the sandbox")
    if plan_class not in ALLOWED_COMMANDS:
        return Refusal("statement_not_allowed", f"{plan_class} is not a statement a bug-fix pair may hold")
    if plan_class == "SetCommand" and set_key is not None:
        if not SET_ALLOWED.match(set_key) or SET_DENIED.match(set_key):
            return Refusal("set_outside_session", f"SET {set_key} reaches outside the session")
    if location:
        return Refusal("file_path", f"{plan_class} names a location ({location[:80]})")
    if any(key.lower() in PATH_OPTIONS for key in options):
        return Refusal("file_path", f"{plan_class} names a path option")
    if provider is not None and provider.lower() not in ALLOWED_PROVIDERS:
        return Refusal(
            "provider_not_allowed", f"USING {provider[:80]} (allowed: {', '.join(sorted(ALLOWED_PROVIDERS))})"
        )
    return None


_PARSED_LINE = re.compile(r"^(?:[\s:|]*[+:]- )?'?([A-Za-z][A-Za-z0-9]*)")
# Statement classes that may stand below a query-shaped root: a multi-insert (``FROM u INSERT ... INSERT
# ...`` parses as a ``Union`` of inserts) or a write behind a WITH clause (``WITH c AS (...) DELETE ...``).
_STATEMENTS = set(ALLOWED_COMMANDS) | set(REFUSED_PLANS) | set(REFUSED_ROOTS)


def nested_statement(tree: str) -> str | None:
    """The first statement class below the root of a *parsed* plan's ``treeString`` (``None`` for a plain
    query): what a query-shaped root (``Union``, ``UnresolvedWith``) really does. As in ``check_tree``, a line
    without the tree's child prefix is the rest of a string literal; a literal can only make a query look
    like a statement (refused or kept apart: safe), never hide one.

    Example:
        >>> nested_statement("'Union false, false\\n:- 'InsertIntoStatement 'UnresolvedRelation [t]\\n+- 'Project ['a]")
        'InsertIntoStatement'
        >>> nested_statement("CTE [c]\\n:  +- SubqueryAlias c\\n+- 'DeleteFromTable 'a IN (list#2 [])")
        'DeleteFromTable'
        >>> nested_statement("'Project ['a]\\n+- 'UnresolvedRelation [t], [], false") is None
        True
    """
    for number, line in enumerate(tree.splitlines()):
        if not number or not _CHILD.match(line):
            continue
        match = _PARSED_LINE.match(line)
        if match and match.group(1) in _STATEMENTS:
            return match.group(1)
    return None


_TREE_LINE = re.compile(r"^(?:[\s:|]*[+:]- )?([A-Za-z][A-Za-z0-9]*)")
_CHILD = re.compile(r"^[\s:|]*[+:]- ")
_RELATION = re.compile(r"^(?:[\s:|]*[+:]- )?Relation (\S*?)\[")


def check_tree(tree: str, tables: set[str] | frozenset[str]) -> Refusal | None:
    """The plan allowlist, on an analysed plan's ``treeString``: one line per operator, subqueries'
    operators included, each starting with the operator's ``nodeName``. Every operator must be in
    ``QUERY_NODES``/``COMMAND_NODES``; every relation must be one of ``tables`` (``db.table``, lower case).

    Every operator's line but the root's starts with the tree's ``+- ``/``:- `` prefix; a line without one
    is the rest of a string literal that spans lines, and is read as text. A literal can only add lines
    (one that looks like an operator that is not allowed makes the statement refused: safe); it cannot
    hide an operator's own line.

    Example:
        >>> tree = "Project [a#1]\\n+- SubqueryAlias spark_catalog.shop.t\\n   +- Relation spark_catalog.shop.t[a#1] parquet"
        >>> check_tree(tree, {"shop.t"}) is None
        True
        >>> check_tree("ScriptTransformation cat, [a#1]\\n+- OneRowRelation", set()).reason
        'operator_not_allowed'
        >>> check_tree("Project [a#1]\\n+- Relation [a#1] parquet", {"shop.t"}).reason
        'file_path'
        >>> check_tree("Project [multi\\nline AS s#2]\\n+- OneRowRelation", set()) is None
        True
    """
    for number, line in enumerate(tree.splitlines()):
        match = _TREE_LINE.match(line)
        if not match or (number and not _CHILD.match(line)):
            continue
        node = match.group(1)
        if node not in QUERY_NODES and node not in COMMAND_NODES:
            return Refusal("operator_not_allowed", f"{node} is not allowed in the sandbox")
        if node == "Relation":
            relation = _RELATION.match(line)
            name = (relation.group(1) if relation else "").lower().removeprefix("spark_catalog.")
            if not name:
                return Refusal("file_path", "a relation that is not a table of the sandbox (a file source)")
            if name not in tables:
                return Refusal("relation_not_allowed", f"{name} is not a table of the sandbox")
    return None


_ROUTINE = re.compile(r"routine ((?:`[^`]*`\.?)+|\S+)", re.IGNORECASE)
_TABLE = re.compile(r"table or view ((?:`[^`]*`\.?)+)", re.IGNORECASE)


def refused_error(condition: str | None, message: str | None) -> Refusal | None:
    """A refusal for an analysis error that shows the SQL reached for what the sandbox removed: an
    ``UNRESOLVED_ROUTINE`` naming a denied function (however qualified), a ``TABLE_OR_VIEW_NOT_FOUND``
    naming a direct file query (``IDENTIFIER('parquet.`/path`')``).

    Example:
        >>> refused_error("UNRESOLVED_ROUTINE", "[UNRESOLVED_ROUTINE] Cannot resolve routine `java_method` on search path").reason
        'reflection'
        >>> refused_error("UNRESOLVED_ROUTINE", "Cannot resolve routine `system`.`builtin`.`reflect` on search path").reason
        'reflection'
        >>> refused_error("UNRESOLVED_ROUTINE", "[UNRESOLVED_ROUTINE] Cannot resolve routine `summ` on search path") is None
        True
        >>> refused_error("TABLE_OR_VIEW_NOT_FOUND", "The table or view `text`.`/etc/hostname` cannot be found.").reason
        'file_path'
        >>> refused_error("TABLE_OR_VIEW_NOT_FOUND", "The table or view `shop`.`ordrs` cannot be found.") is None
        True
    """
    if not message:
        return None
    if condition == "UNRESOLVED_ROUTINE":
        match = _ROUTINE.search(message)
        name = _parts(match.group(1))[-1].lower() if match else ""
        if name in DENIED_FUNCTIONS:
            return Refusal(DENIED_FUNCTIONS[name], f"{name}() is not available in the sandbox")
    elif condition == "TABLE_OR_VIEW_NOT_FOUND":
        match = _TABLE.search(message)
        parts = _parts(match.group(1)) if match else []
        if len(parts) == 2 and parts[0].lower() in FILE_FORMATS and ("/" in parts[1] or ":" in parts[1]):
            return Refusal("file_path", f"direct file query {parts[0]}.`{parts[1]}`")
    return None


def _parts(name: str) -> list[str]:
    return [p for p in re.findall(r"`([^`]*)`", name)] or name.split(".")


_LEADING = {
    "SELECT": "query", "WITH": "query", "FROM": "query", "VALUES": "query", "TABLE": "query", "(": "query",
    "INSERT": "insert", "DELETE": "delete", "UPDATE": "update", "MERGE": "merge", "DROP": "drop",
    "TRUNCATE": "drop", "SET": "session", "RESET": "session", "USE": "session", "DESCRIBE": "describe",
    "DESC": "describe", "SHOW": "describe", "EXPLAIN": "describe",
}  # fmt: skip


def statement_kind(plan_class: str | None, command: bool = True, sql: str = "") -> str:
    """What a statement does: ``query``, ``view``, ``session``, ``create``, ``insert``, ``delete``,
    ``update``, ``merge``, ``drop``, ``describe``, ``other`` (a command not allowed) or ``unknown`` (it
    did not parse: read from its first word, where that is a keyword).

    Example:
        >>> statement_kind("Project", command=False), statement_kind("DropTable")
        ('query', 'drop')
        >>> statement_kind("InsertIntoStatement", command=False)
        'insert'
        >>> statement_kind(None, sql="SELEC a FROM t"), statement_kind(None, sql="  insert into t values (1")
        ('unknown', 'insert')
        >>> statement_kind(None, sql="CREATE TEMP VIEW v AS SELEC 1"), statement_kind(None, sql="create table t as select")
        ('view', 'create')
    """
    if plan_class is not None:
        if plan_class in ALLOWED_COMMANDS:
            return ALLOWED_COMMANDS[plan_class]
        return "query" if not command and plan_class in QUERY_ROOTS else "other"
    words = re.findall(r"\(|[A-Za-z_]+", sql[:200])
    if not words:
        return "unknown"
    first = words[0].upper()
    if first == "CREATE":
        head = {w.upper() for w in words[1:6]}
        return "view" if "VIEW" in head else "create" if "TABLE" in head else "unknown"
    if first == "REPLACE":
        return "create"
    return _LEADING.get(first, "unknown")


def kind_changed(bug_kinds: tuple[str, ...], fix_kinds: tuple[str, ...]) -> str | None:
    """Why a fix does something its bug did not, or ``None``: a fix may add queries and statements of
    the session's own state, but no statement that changes data or tables (``DESTRUCTIVE_KINDS``:
    create, insert, delete, update, merge, drop) of a kind its bug did not have.

    Example:
        >>> kind_changed(("query",), ("drop",))
        'the fix brings a drop statement the bug did not have'
        >>> kind_changed(("session", "query"), ("view", "query")) is None
        True
        >>> kind_changed(("create", "insert"), ("create", "query")) is None
        True
        >>> kind_changed(("unknown",), ("query",)) is None, kind_changed(("unknown",), ("insert",)) is not None
        (True, True)
    """
    for kind in fix_kinds:
        if kind in DESTRUCTIVE_KINDS and kind not in bug_kinds:
            return f"the fix brings a {kind} statement the bug did not have"
    return None
