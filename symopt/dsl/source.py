"""The source form of programs: parse ``def train(...)`` text, and print it back.

The text is read with LibCST and walked node by node into a :class:`Program`;
nothing in it is ever evaluated. Anything outside the DSL raises
:class:`DSLSyntaxError` located at the offending node (1-based line and column;
a parenthesised node is located inside its parentheses).
Parsing checks syntax, function names and arity only; types and reads before
assignment are abstract execution's business (:mod:`symopt.dsl.analysis`).

The accepted form::

    # comments anywhere
    def train(w, g, m, v, lr):      # w, g, <state slots...>, lr
        g2 = square(g)              # one library function per statement
        m = interp(g, m, 0.9)       # arguments: variable names or numbers
        update = m / g2             # + - * / are add, sub, mul, div
        x = -m                      # negative(m); but -0.01 is a constant
        c = pi()                    # the 0-ary function; a bare pi, e or eps
        y = interp(g, m, pi)        # as an argument is that number
        return update, m, v         # the update, then the state slots in order

With no state slots the return is ``return update`` (``return update,`` is
accepted too). Printing is canonical and exact: ``parse(to_source(p)) == p``.

Example:
    >>> p = parse("def train(w, g, m, lr):\\n    m = interp(g, m, 0.9)\\n"
    ...           "    update = sign(m)\\n    return update, m\\n")
    >>> p.statements[1]
    Statement(target='update', fn='sign', args=(Var(name='m'),))
    >>> print(to_source(p), end="")
    def train(w, g, m, lr):
        m = interp(g, m, 0.9)
        update = sign(m)
        return update, m
"""

from __future__ import annotations

import difflib
import keyword
import math
import os
import re
from pathlib import Path
from typing import Mapping, NoReturn, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from symopt.dsl.errors import DSLSyntaxError, InvalidProgram
from symopt.dsl.functions import FUNCTIONS, NAMED_CONSTANTS
from symopt.dsl.program import INPUTS, Arg, Const, Program, Statement, Var

__all__ = ["Position", "parse", "parse_with_positions", "to_source", "load"]

Position = tuple[int, int]
"""``(line, column)``, both 1-based, of a statement's first character."""

# Library function -> (operator as printed, the LibCST operator node parsed).
_OPERATORS: dict[str, tuple[str, type[cst.BaseBinaryOp]]] = {
    "add": ("+", cst.Add),
    "sub": ("-", cst.Subtract),
    "mul": ("*", cst.Multiply),
    "div": ("/", cst.Divide),
}
_SUGAR: dict[type[cst.BaseBinaryOp], str] = {node: fn for fn, (_, node) in _OPERATORS.items()}

_SIGNATURE = "def train(w, g, <state...>, lr)"
_DOCSTRING = "strings are not part of the DSL (docstrings included); use comments"
_NESTED = "one function per statement: assign the inner expression to a variable first"

# Constructs people reach for, with what to say; anything else gets a generic line.
_Messages = tuple[tuple[type[cst.CSTNode], str], ...]
_EXPRESSIONS: _Messages = (
    (cst.Attribute, "attributes are not part of the DSL"),
    (cst.Subscript, "subscripts are not part of the DSL"),
    (cst.Lambda, "lambdas are not part of the DSL"),
    (cst.IfExp, "conditional expressions are not part of the DSL"),
    (cst.Comparison, "comparisons are not part of the DSL"),
    (cst.BooleanOperation, "boolean operators are not part of the DSL"),
    (cst.BaseString, "strings are not part of the DSL"),
    (cst.Imaginary, "complex numbers are not part of the DSL"),
    (cst.BaseComp, "comprehensions are not part of the DSL"),
    (cst.Tuple, "tuples are not part of the DSL"),
    (cst.BaseList, "lists are not part of the DSL"),
    (cst.BaseSet, "sets are not part of the DSL"),
    (cst.BaseDict, "dicts are not part of the DSL"),
    (cst.NamedExpr, "assignment expressions (:=) are not part of the DSL"),
    (cst.Await, "await is not part of the DSL"),
    (cst.Yield, "yield is not part of the DSL"),
)
_STATEMENTS: _Messages = (
    (cst.Import, "imports are not part of the DSL"),
    (cst.ImportFrom, "imports are not part of the DSL"),
    (cst.For, "loops are not part of the DSL"),
    (cst.While, "loops are not part of the DSL"),
    (cst.If, "conditionals are not part of the DSL"),
    (cst.FunctionDef, "nested functions are not part of the DSL"),
    (cst.ClassDef, "classes are not part of the DSL"),
    (cst.With, "with blocks are not part of the DSL"),
    (cst.Try, "try blocks are not part of the DSL"),
    (cst.TryStar, "try blocks are not part of the DSL"),
    (cst.Global, "global declarations are not part of the DSL"),
    (cst.Nonlocal, "nonlocal declarations are not part of the DSL"),
    (cst.AnnAssign, "annotations are not part of the DSL"),
)

# "parser error: error at 2:13: expected one of ..." (the position is optional).
_LIBCST_ERROR = re.compile(r"(?:\w+ error: )?(?:error at (\d+):(\d+): )?(.*)")


def parse(source: str, filename: str = "<string>") -> Program:
    """Parses program text into a :class:`Program`, executing nothing.

    Args:
        source: the text of one ``def train(w, g, <state...>, lr):``.
        filename: named in error messages.

    Raises:
        DSLSyntaxError: at the first construct outside the DSL.

    Example:
        >>> parse("def train(w, g, lr):\\n    update = g * lr\\n    return update\\n").statements
        (Statement(target='update', fn='mul', args=(Var(name='g'), Var(name='lr'))),)
    """
    return parse_with_positions(source, filename)[0]


def parse_with_positions(
    source: str, filename: str = "<string>"
) -> tuple[Program, tuple[Position, ...]]:
    """Like :func:`parse`, also giving where each statement starts.

    Returns:
        The program, and one 1-based ``(line, column)`` per statement of
        ``program.statements``, for messages about statements found later.

    Example:
        >>> _, where = parse_with_positions("def train(w, g, lr):\\n    u = -g\\n    return u\\n")
        >>> where
        ((2, 5),)
    """
    module = _parse_module(source, filename)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return _Reader(filename, positions).module(module)


def load(path: str | os.PathLike[str]) -> Program:
    """Reads and parses a program file; errors name the path.

    Example:
        >>> load("symopt/dsl/programs/lion.py").state  # doctest: +SKIP
        ('m', 'v')
    """
    return parse(Path(path).read_text(encoding="utf-8"), os.fspath(path))


def to_source(program: Program) -> str:
    """Prints a program canonically, so that ``parse(to_source(p)) == p``.

    Four-space indents, ``a + b`` for add/sub/mul/div, ``-x`` for ``negative``
    of a variable, calls for the rest, constants as ``repr(float)``.

    Raises:
        InvalidProgram: if the program has no source form (an unknown function,
            a wrong arity, a name that is a keyword, function or named constant).

    Example:
        >>> p = Program((Statement("update", "sub", (Const(-1.0), Var("g"))),), state=())
        >>> print(to_source(p), end="")
        def train(w, g, lr):
            update = -1.0 - g
            return update
    """
    _check_printable(program)
    lines = [f"def train({', '.join(program.signature)}):"]
    lines += [f"    {s.target} = {_expression(s)}" for s in program.statements]
    lines.append(f"    return {', '.join(program.returns)}")
    return "\n".join(lines) + "\n"


# --- rules shared by the parser and the printer ------------------------------


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a variable, or None if it can."""
    if name in NAMED_CONSTANTS:
        return "it is a named constant"
    if name in FUNCTIONS:
        return "it is a library function"
    if keyword.iskeyword(name) or not (name.isascii() and name.isidentifier()):
        return "it is not a valid variable name"
    return None


def _state_problem(name: str, earlier: Sequence[str]) -> str | None:
    """Why ``name`` cannot be the next state slot after ``earlier``, or None."""
    if name in INPUTS:
        return f"state slot '{name}' clashes with the input '{name}'"
    if name in earlier:
        return f"state slot '{name}' is listed twice"
    problem = _name_problem(name)
    return f"state slot '{name}' is not allowed: {problem}" if problem else None


def _call_problem(fn: str, n_args: int) -> str | None:
    """Why ``fn`` cannot be called with ``n_args`` arguments, or None."""
    if fn not in FUNCTIONS:
        close = difflib.get_close_matches(fn, FUNCTIONS, n=1)
        return f"unknown function '{fn}'" + (f"; did you mean '{close[0]}'?" if close else "")
    arity = FUNCTIONS[fn].arity
    if n_args != arity:
        return f"'{fn}' takes {arity} argument{'' if arity == 1 else 's'}, got {n_args}"
    return None


# --- printing ----------------------------------------------------------------


def _check_printable(program: Program) -> None:
    for i, name in enumerate(program.state):
        problem = _state_problem(name, program.state[:i])
        if problem:
            raise InvalidProgram(problem)
    for index, stmt in enumerate(program.statements):
        bad = [name for name in (stmt.target, *stmt.reads()) if _name_problem(name)]
        problem = _call_problem(stmt.fn, len(stmt.args))
        problem = problem or (bad and f"'{bad[0]}': {_name_problem(bad[0])}")
        if problem:
            raise InvalidProgram(f"no source form: {problem}", index)
    problem = _name_problem(program.output)
    if problem:
        raise InvalidProgram(f"no source form: cannot return '{program.output}': {problem}")


def _operand_text(arg: Arg) -> str:
    # repr of a float round-trips exactly; a negative one parses back as a
    # negative constant in every position the printer uses, since unary minus
    # binds tighter than + - * /.
    return arg.name if isinstance(arg, Var) else repr(float(arg.value))


def _expression(stmt: Statement) -> str:
    args = [_operand_text(a) for a in stmt.args]
    if stmt.fn in _OPERATORS:
        return f"{args[0]} {_OPERATORS[stmt.fn][0]} {args[1]}"
    if stmt.fn == "negative" and isinstance(stmt.args[0], Var):
        return f"-{args[0]}"
    return f"{stmt.fn}({', '.join(args)})"


# --- parsing -----------------------------------------------------------------


def _parse_module(source: str, filename: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as err:
        # LibCST's native parser puts its best position in the message, often a
        # token late; the raw attributes are a poorer fallback (tokenizer errors
        # carry only those). Both columns are 0-based.
        found = _LIBCST_ERROR.match(err.message.splitlines()[0] if err.message else "")
        line, col = (int(found[1]), int(found[2])) if found[1] else (err.raw_line, err.raw_column)
        line = min(max(line, 1), source.count("\n") + 1)
        raise DSLSyntaxError(f"invalid syntax: {found[3]}", filename, line, col + 1) from None


def _number(node: cst.CSTNode) -> float | None:
    """The value of a numeric literal or bare named constant, else None."""
    if isinstance(node, cst.Name):
        return NAMED_CONSTANTS.get(node.value)
    if isinstance(node, cst.Float):
        return float(node.value)
    if isinstance(node, cst.Integer):
        try:
            return float(int(node.value, 0))
        except OverflowError:  # an integer past float range; Const clips it anyway
            return math.inf
    return None


def _described(node: cst.CSTNode, table: _Messages, default: str) -> str:
    return next((message for kind, message in table if isinstance(node, kind)), default)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


class _Reader:
    """Reads one parsed module, failing at the first node outside the DSL."""

    def __init__(self, filename: str, positions: Mapping[cst.CSTNode, CodeRange]):
        self._filename = filename
        self._positions = positions

    def _where(self, node: cst.CSTNode) -> Position:
        start = self._positions[node].start
        return start.line, start.column + 1

    def _fail(self, node: cst.CSTNode, message: str) -> NoReturn:
        raise DSLSyntaxError(message, self._filename, *self._where(node))

    def module(self, module: cst.Module) -> tuple[Program, tuple[Position, ...]]:
        functions = []
        for node in module.body:
            if isinstance(node, cst.FunctionDef):
                if functions:
                    self._fail(node, "only one `def train(...)` is allowed")
                functions.append(node)
            elif isinstance(node, cst.SimpleStatementLine):
                self._top_level(node.body[0])
            else:
                self._fail(node, _described(node, _STATEMENTS, "only `def train(...)` is allowed"))
        if not functions:
            raise DSLSyntaxError(f"expected `{_SIGNATURE}:`", self._filename, 1, 1)
        return self._function(functions[0])

    def _top_level(self, node: cst.BaseSmallStatement) -> NoReturn:
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.BaseString):
            self._fail(node, _DOCSTRING)
        outside = "only comments and one `def train(...)` may stand outside it"
        self._fail(node, _described(node, _STATEMENTS, outside))

    def _function(self, fn: cst.FunctionDef) -> tuple[Program, tuple[Position, ...]]:
        if fn.decorators:
            self._fail(fn.decorators[0], "decorators are not part of the DSL")
        if fn.asynchronous:
            self._fail(fn, "async functions are not part of the DSL")
        if fn.name.value != "train":
            self._fail(fn.name, f"the function must be named 'train', not '{fn.name.value}'")
        if getattr(fn, "type_parameters", None) is not None:
            self._fail(fn.type_parameters, "type parameters are not part of the DSL")
        if fn.returns is not None:
            self._fail(fn.returns, "annotations are not part of the DSL")
        state = self._state(fn)
        body = self._small_statements(fn.body)
        returns = [i for i, node in enumerate(body) if isinstance(node, cst.Return)]
        if not returns:
            self._fail(fn, f"train must end with `return {', '.join(('update', *state))}`")
        if returns[0] != len(body) - 1:
            self._fail(body[returns[0] + 1], "statements after return are not part of the DSL")
        statements = tuple(self._statement(node) for node in body[:-1])
        output = self._returned(body[-1], state)
        program = Program(statements, state, output)
        return program, tuple(self._where(node) for node in body[:-1])

    def _state(self, fn: cst.FunctionDef) -> tuple[str, ...]:
        params = fn.params
        in_source_order = (
            *params.posonly_params, params.posonly_ind, params.star_arg,
            *params.kwonly_params, params.star_kwarg,
        )
        for node in in_source_order:
            if isinstance(node, cst.CSTNode):
                self._fail(node, f"parameters must be plain names: `{_SIGNATURE}`")
        for param in params.params:
            if param.default is not None:
                self._fail(param.default, "default values are not part of the DSL")
            if param.annotation is not None:
                self._fail(param.annotation, "annotations are not part of the DSL")
        names = [param.name.value for param in params.params]
        expected = ["w", "g", *names[2:-1], "lr"]
        if len(names) < 3 or names != expected:
            wrong = (p for p, want in zip(params.params, expected) if p.name.value != want)
            message = f"parameters must be `w, g, <state slots...>, lr`, got `{', '.join(names)}`"
            self._fail(next(wrong, fn.name), message)
        state = tuple(names[2:-1])
        for i, param in enumerate(params.params[2:-1]):
            problem = _state_problem(state[i], state[:i])
            if problem:
                self._fail(param, problem)
        return state

    def _small_statements(self, block: cst.BaseSuite) -> list[cst.BaseSmallStatement]:
        if isinstance(block, cst.SimpleStatementSuite):
            return list(block.body)
        small: list[cst.BaseSmallStatement] = []
        for line in block.body:
            if not isinstance(line, cst.SimpleStatementLine):
                default = "only assignments and a final return are allowed"
                self._fail(line, _described(line, _STATEMENTS, default))
            small.extend(line.body)
        return small

    def _statement(self, node: cst.BaseSmallStatement) -> Statement:
        if isinstance(node, cst.AugAssign):
            target, op, value = _code(node.target), _code(node.operator)[:-1], _code(node.value)
            rewrite = f"power({target}, {value})" if op == "**" else f"{target} {op} {value}"
            message = f"augmented assignment is not part of the DSL; write `{target} = {rewrite}`"
            self._fail(node, message)
        if isinstance(node, cst.Expr):
            if isinstance(node.value, cst.BaseString):
                self._fail(node, _DOCSTRING)
            self._fail(node, "an expression on its own does nothing; assign it to a variable")
        if not isinstance(node, cst.Assign):
            default = f"'{_code(node).split()[0]}' is not part of the DSL"
            self._fail(node, _described(node, _STATEMENTS, default))
        if len(node.targets) > 1:
            self._fail(node.targets[1].target, "assign one variable per statement")
        target = node.targets[0].target
        if isinstance(target, (cst.Tuple, cst.List)):
            self._fail(target, "assign one variable per statement")
        if not isinstance(target, cst.Name):
            self._fail(target, _described(target, _EXPRESSIONS, "assign to a variable name"))
        problem = _name_problem(target.value)
        if problem:
            self._fail(target, f"cannot assign to '{target.value}': {problem}")
        fn, args = self._call(node.value)
        return Statement(target.value, fn, args)

    def _call(self, node: cst.BaseExpression) -> tuple[str, tuple[Arg, ...]]:
        """The one function a statement's right-hand side calls, and its arguments."""
        if isinstance(node, cst.Call):
            if not isinstance(node.func, cst.Name):
                self._fail(node.func, _described(node.func, _EXPRESSIONS, _NESTED))
            for arg in node.args:
                if arg.keyword is not None:
                    self._fail(arg, "keyword arguments are not part of the DSL")
                if arg.star:
                    self._fail(arg, "starred arguments are not part of the DSL")
            problem = _call_problem(node.func.value, len(node.args))
            if problem:
                self._fail(node, problem)
            return node.func.value, tuple(self._operand(arg.value) for arg in node.args)
        if isinstance(node, cst.BinaryOperation):
            return self._sugar(node.operator), (self._operand(node.left), self._operand(node.right))
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            if isinstance(node.expression, cst.Name) and _number(node.expression) is None:
                return "negative", (self._operand(node.expression),)
        what = "plain copies" if isinstance(self._operand(node), Var) else "constant assignments"
        self._fail(node, f"a statement must call one function; {what} are not part of the DSL")

    def _sugar(self, op: cst.BaseBinaryOp) -> str:
        if type(op) in _SUGAR:
            return _SUGAR[type(op)]
        if isinstance(op, cst.Power):
            self._fail(op, "the ** operator is not part of the DSL; use power(x, p) = |x| ** p")
        self._fail(op, f"the {_code(op)} operator is not part of the DSL")

    def _operand(self, node: cst.BaseExpression) -> Arg:
        value = _number(node)
        if value is not None:
            return Const(value)
        if isinstance(node, cst.Name):
            problem = _name_problem(node.value)
            if problem:
                self._fail(node, f"'{node.value}' cannot be an argument: {problem}")
            return Var(node.value)
        if isinstance(node, cst.UnaryOperation):
            if not isinstance(node.operator, cst.Minus):
                operator = _code(node.operator)
                self._fail(node, f"the unary {operator} operator is not part of the DSL")
            value = _number(node.expression)
            if value is not None:
                return Const(-value)
        if isinstance(node, cst.BinaryOperation):
            self._sugar(node.operator)  # `sign(x ** 2)`: naming ** helps more than "nested"
        if isinstance(node, (cst.Call, cst.BinaryOperation, cst.UnaryOperation)):
            self._fail(node, _NESTED)
        self._fail(node, _described(node, _EXPRESSIONS, f"`{_code(node)}` is not part of the DSL"))

    def _returned(self, node: cst.Return, state: tuple[str, ...]) -> str:
        """The output variable of the final return, checking it names the state in order."""
        value = node.value
        elements = [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
        first = elements[0].value if elements and isinstance(elements[0], cst.Name) else "update"
        expected = f"`return {', '.join((first, *state))}`"
        if value is None or len(elements) != 1 + len(state):
            self._fail(node, f"return the update, then the state slots in order: {expected}")
        for element in value.elements if isinstance(value, cst.Tuple) else ():
            if isinstance(element, cst.StarredElement):
                self._fail(element, "starred expressions are not part of the DSL")
        for element, want in zip(elements, (first, *state)):
            if not isinstance(element, cst.Name) or element.value != want:
                self._fail(element, f"return the update, then the state slots in order: {expected}")
        problem = _name_problem(first)
        if problem:
            self._fail(elements[0], f"cannot return '{first}': {problem}")
        return first
