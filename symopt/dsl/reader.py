"""Walks a LibCST module into a :class:`Program`, failing at the first node outside the DSL.

Nested expressions are flattened: each inner call or operation becomes a
statement of its own, assigned to a fresh temporary (``t1``, ``t2``, ... skipping
any word the text already holds), in the order Python evaluates them, before
the statement that reads it. So ``u = sign(interp(g, m, 0.9))`` reads as
``t1 = interp(g, m, 0.9)`` then ``u = sign(t1)``. Temporaries are positioned at
the inner expression they hold.

Example:
    >>> import libcst as cst
    >>> from libcst.metadata import MetadataWrapper, PositionProvider
    >>> text = "def train(w, g, lr):\\n    u = g * (lr * 0.002)\\n    return u\\n"
    >>> module = cst.parse_module(text)
    >>> positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    >>> program, where = read_module(module, positions, text)
    >>> [f"{s.target} = {s.fn}{tuple(map(str, s.args))}" for s in program.statements]
    ["t1 = mul('lr', '0.002')", "u = mul('g', 't1')"]
    >>> where
    ((2, 14), (2, 5))
"""

from __future__ import annotations

import difflib
import itertools
import keyword
import math
import re
from typing import Iterator, Mapping, NoReturn, Sequence

import libcst as cst
from libcst.metadata import CodeRange

from symopt.dsl.errors import DSLSyntaxError
from symopt.dsl.functions import CONST_LIMIT, FUNCTIONS, NAMED_CONSTANTS
from symopt.dsl.program import INPUTS, Arg, Const, Program, Statement, Var

__all__ = ["OPERATORS", "Position", "call_problem", "name_problem", "read_module", "state_problem"]

# Naming and call rules: the parser enforces them and the printer relies on them.
OPERATORS: dict[str, str] = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
"""Library functions written as binary operators, and their operator."""


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a variable, or None if it can.

    Example:
        >>> name_problem("sqrt")
        'it is a library function'
        >>> call_problem("sqr", 1)
        "unknown function 'sqr'; did you mean 'sqrt'?"
    """
    if name in NAMED_CONSTANTS:
        return "it is a named constant"
    if name in FUNCTIONS:
        return "it is a library function"
    if keyword.iskeyword(name) or not (name.isascii() and name.isidentifier()):
        return "it is not a valid variable name"
    return None


def state_problem(name: str, earlier: Sequence[str]) -> str | None:
    """Why ``name`` cannot be the next state slot after ``earlier``, or None."""
    if name in INPUTS:
        return f"state slot '{name}' clashes with the input '{name}'"
    if name in earlier:
        return f"state slot '{name}' is listed twice"
    problem = name_problem(name)
    return f"state slot '{name}' is not allowed: {problem}" if problem else None


def call_problem(fn: str, n_args: int) -> str | None:
    """Why ``fn`` cannot be called with ``n_args`` arguments, or None."""
    if fn not in FUNCTIONS:
        close = difflib.get_close_matches(fn, FUNCTIONS, n=1)
        return f"unknown function '{fn}'" + (f"; did you mean '{close[0]}'?" if close else "")
    arity = FUNCTIONS[fn].arity
    if n_args != arity:
        return f"'{fn}' takes {arity} argument{'' if arity == 1 else 's'}, got {n_args}"
    return None


Position = tuple[int, int]
"""``(line, column)``, both 1-based, of a statement's first character."""

_SUGAR: dict[type[cst.BaseBinaryOp], str] = {
    cst.Add: "add", cst.Subtract: "sub", cst.Multiply: "mul", cst.Divide: "div",
}

_SIGNATURE = "def train(w, g, <state...>, lr)"
_DOCSTRING = "strings are not part of the DSL (docstrings included); use comments"
_CALLABLE = "only library functions can be called, by name"

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

_WORD = re.compile(r"[^\W\d]\w*")


def read_module(
    module: cst.Module,
    positions: Mapping[cst.CSTNode, CodeRange],
    source: str,
    filename: str = "<string>",
) -> tuple[Program, tuple[Position, ...]]:
    """The program in ``module`` (parsed from ``source``), and where each statement starts.

    Raises:
        DSLSyntaxError: at the first construct outside the DSL.
    """
    return _Reader(filename, positions, set(_WORD.findall(source))).module(module)


def _number(node: cst.CSTNode) -> float | None:
    """The value of a numeric literal or bare named constant, else None."""
    if isinstance(node, cst.Name):
        return NAMED_CONSTANTS.get(node.value)
    if isinstance(node, cst.Float):
        return float(node.value)
    if isinstance(node, cst.Integer):
        try:
            return float(int(node.value, 0))
        except OverflowError:  # an integer past float range
            return math.inf
    return None


def _described(node: cst.CSTNode, table: _Messages, default: str) -> str:
    return next((message for kind, message in table if isinstance(node, kind)), default)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


class _Reader:
    """Reads one parsed module, failing at the first node outside the DSL."""

    def __init__(self, filename: str, positions: Mapping[cst.CSTNode, CodeRange], taken: set[str]):
        self._filename = filename
        self._positions = positions
        self._temporaries: Iterator[str] = (
            name for name in (f"t{k}" for k in itertools.count(1)) if name not in taken
        )
        self._inner: list[tuple[Statement, Position]] = []  # the current statement's temporaries

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
        flat = [pair for node in body[:-1] for pair in self._statement(node)]
        output = self._returned(body[-1], state)
        program = Program(tuple(statement for statement, _ in flat), state, output)
        return program, tuple(where for _, where in flat)

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
            problem = state_problem(state[i], state[:i])
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

    def _statement(self, node: cst.BaseSmallStatement) -> list[tuple[Statement, Position]]:
        """The statement ``node`` assigns, after the temporaries its nested expressions need."""
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
        problem = name_problem(target.value)
        if problem:
            self._fail(target, f"cannot assign to '{target.value}': {problem}")
        self._inner = []
        fn, args = self._call(node.value)
        return [*self._inner, (Statement(target.value, fn, args), self._where(node))]

    def _call(self, node: cst.BaseExpression) -> tuple[str, tuple[Arg, ...]]:
        """The function an expression calls, and its arguments (temporaries for nested ones)."""
        if isinstance(node, cst.Call):
            if not isinstance(node.func, cst.Name):
                self._fail(node.func, _described(node.func, _EXPRESSIONS, _CALLABLE))
            for arg in node.args:
                if arg.keyword is not None:
                    self._fail(arg, "keyword arguments are not part of the DSL")
                if arg.star:
                    self._fail(arg, "starred arguments are not part of the DSL")
            problem = call_problem(node.func.value, len(node.args))
            if problem:
                self._fail(node, problem)
            return node.func.value, tuple(self._operand(arg.value) for arg in node.args)
        if isinstance(node, cst.BinaryOperation):
            fn = self._sugar(node.operator)
            return fn, (self._operand(node.left), self._operand(node.right))
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            if _number(node.expression) is None:
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
        if isinstance(node, cst.UnaryOperation) and not isinstance(node.operator, cst.Minus):
            self._fail(node, f"the unary {_code(node.operator)} operator is not part of the DSL")
        negated = isinstance(node, cst.UnaryOperation)
        value = _number(node.expression if negated else node)
        if value is not None:
            if not abs(value) <= CONST_LIMIT:
                limit = f"{CONST_LIMIT:g}".replace("e+", "e")
                self._fail(node, f"the constant {_code(node)} is outside the DSL's range +-{limit}")
            return Const(-value if negated else value)
        if isinstance(node, cst.Name):
            problem = name_problem(node.value)
            if problem:
                self._fail(node, f"'{node.value}' cannot be an argument: {problem}")
            return Var(node.value)
        if isinstance(node, (cst.Call, cst.BinaryOperation, cst.UnaryOperation)):
            fn, args = self._call(node)
            temporary = next(self._temporaries)
            self._inner.append((Statement(temporary, fn, args), self._where(node)))
            return Var(temporary)
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
        problem = name_problem(first)
        if problem:
            self._fail(elements[0], f"cannot return '{first}': {problem}")
        return first
