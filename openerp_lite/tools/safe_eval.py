"""A restricted expression evaluator for data files, record-rule domains and ``<function eval>``.

Why not ``eval`` with empty builtins: every known escape from that goes through dunder attributes,
format strings or frames, and closing them one by one is a losing game. Instead the expression is
parsed (``ast.parse(mode='eval')``) and *interpreted* node by node here; anything not on the allow
list below is refused with a ``ValueError`` naming the construct, before or while evaluating.

Allowed: literals; list/tuple/dict/set displays; names from the context plus ``True``/``False``/
``None``; unary ``-``, ``+``, ``not``; ``+ - * / // %`` (and ``**`` with a small exponent);
comparisons; ``and``/``or``; subscripts and slices; ``a if c else b``; attribute access whose name
does not start with ``_`` and is not on a deny list, never on modules, functions, frames or code;
calls of a context name or of a method reached by an allowed attribute; list/set/dict
comprehensions with one ``for`` clause. A work budget bounds the time and memory an expression can
use (``'x' * 10**9`` and ``10**10**10`` are refused, not computed).

Exceptions raised by callables from the context that belong to the server's error root
(``openerp_lite.exceptions``) pass through unchanged; any other failure becomes a ``ValueError``.
"""

import ast
import datetime as _dt
import operator
import re
import time as _time
import types

from openerp_lite.exceptions import OpenERPLiteError

__all__ = ['safe_eval', 'check_expression', 'default_eval_context', 'context_today']

#: attribute names refused even without a leading underscore: doors to frames, globals, code
#: objects and class internals, ``str.format`` (which reaches attributes through ``{0.attr}``),
#: and the ORM handles that would let a rule domain run SQL or escalate privileges.
DENIED_ATTRIBUTES = frozenset(
    {
        'format',
        'format_map',
        'mro',
        'func_globals',
        'func_code',
        'func_closure',
        'func_defaults',
        'func_dict',
        'im_func',
        'im_self',
        'im_class',
        'gi_frame',
        'gi_code',
        'gi_yieldfrom',
        'gi_running',
        'cr_frame',
        'cr_code',
        'cr_await',
        'ag_frame',
        'ag_code',
        'ag_await',
        'f_globals',
        'f_locals',
        'f_builtins',
        'f_back',
        'f_code',
        'f_trace',
        'tb_frame',
        'tb_next',
        'co_code',
        'co_consts',
        'env',
        'cr',
        'pool',
        'registry',
        'sudo',
        'with_user',
        'with_env',
    }
)

#: objects whose attributes are never readable: their public surface is all internals.
_OPAQUE_TYPES = (
    types.ModuleType,
    types.FunctionType,
    types.LambdaType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
)

_CONSTANTS = {'True': True, 'False': False, 'None': None}

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARYOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}

#: friendly names for the constructs people try most, used in error messages
_CONSTRUCT_NAMES = {
    ast.Lambda: 'lambda',
    ast.GeneratorExp: 'generator expression',
    ast.Await: 'await',
    ast.Yield: 'yield',
    ast.YieldFrom: 'yield from',
    ast.NamedExpr: 'assignment expression (:=)',
    ast.JoinedStr: 'f-string',
    ast.FormattedValue: 'f-string',
    ast.Starred: 'star unpacking',
}

#: budget of work units (nodes evaluated + elements created) per evaluation
MAX_WORK = 1_000_000
#: largest sequence a single ``*``/``+`` may build
MAX_SEQUENCE = 100_000
#: largest integer (in bits) arithmetic may produce
MAX_INT_BITS = 4096
_MAX_EXPONENT = 1024
_FORMAT_WIDTH = re.compile(r'%[-#0 +]*(\*|\d{4,})|%[-#0 +]*\d*\.(\*|\d{4,})')


def _describe(node):
    if type(node) in _CONSTRUCT_NAMES:
        return _CONSTRUCT_NAMES[type(node)]
    return type(node).__name__


def _check_name(name, what='name'):
    if '__' in name:
        raise ValueError('%s %r is not allowed (double underscore)' % (what, name))


def _check_attribute_name(name):
    if name.startswith('_'):
        raise ValueError('access to private attribute %r is not allowed' % name)
    if name in DENIED_ATTRIBUTES:
        raise ValueError('access to attribute %r is not allowed' % name)


class _Checker(ast.NodeVisitor):
    """Static pass: refuse disallowed node types and names before anything runs."""

    ALLOWED = (
        (
            ast.Expression,
            ast.Constant,
            ast.List,
            ast.Tuple,
            ast.Dict,
            ast.Set,
            ast.Name,
            ast.Load,
            ast.Store,
            ast.UnaryOp,
            ast.BinOp,
            ast.BoolOp,
            ast.Compare,
            ast.Subscript,
            ast.Slice,
            ast.IfExp,
            ast.Attribute,
            ast.Call,
            ast.keyword,
            ast.ListComp,
            ast.SetComp,
            ast.DictComp,
            ast.comprehension,
            ast.And,
            ast.Or,
        )
        + tuple(_BINOPS)
        + tuple(_UNARYOPS)
        + tuple(_CMPOPS)
    )

    def generic_visit(self, node):
        if not isinstance(node, self.ALLOWED):
            raise ValueError('%s is not allowed' % _describe(node))
        super().generic_visit(node)

    def visit_Constant(self, node):
        if not isinstance(node.value, (str, bytes, int, float, complex, bool, type(None))):
            raise ValueError('constant %r is not allowed' % (node.value,))

    def visit_Name(self, node):
        _check_name(node.id)

    def visit_Attribute(self, node):
        _check_attribute_name(node.attr)
        self.generic_visit(node)

    def visit_Call(self, node):
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise ValueError('only calls of a named function or method are allowed')
        for kw in node.keywords:
            if kw.arg is None:
                raise ValueError('**keyword unpacking is not allowed')
            _check_name(kw.arg, 'keyword argument')
        self.generic_visit(node)

    def _visit_comprehension(self, node):
        if len(node.generators) != 1:
            raise ValueError('comprehensions with more than one "for" are not allowed')
        gen = node.generators[0]
        if gen.is_async:
            raise ValueError('async comprehensions are not allowed')
        targets = gen.target.elts if isinstance(gen.target, ast.Tuple) else [gen.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                raise ValueError('comprehension targets must be plain names')
        self.generic_visit(node)

    visit_ListComp = visit_SetComp = visit_DictComp = _visit_comprehension


def _parse(expr):
    if not isinstance(expr, str):
        raise ValueError('expression must be a string, not %s' % type(expr).__name__)
    try:
        tree = ast.parse(expr.strip(), mode='eval')
    except SyntaxError as exc:
        raise ValueError('invalid syntax in expression %r: %s' % (expr, exc.msg))
    _Checker().visit(tree)
    return tree


def check_expression(expr):
    """Refuse (``ValueError``) an expression with a disallowed construct, without evaluating it.

    Data files call this while parsing, so a bad ``eval=`` is reported with its line even before
    a database is involved. Unknown names are only found at evaluation time.
    """
    _parse(expr)


class _Interpreter:
    """Evaluates a checked tree; ``names`` is the caller's context plus comprehension locals."""

    def __init__(self, context):
        self.names = dict(context)
        self.work = 0

    def spend(self, units):
        self.work += units
        if self.work > MAX_WORK:
            raise ValueError('expression exceeds the evaluation budget')

    def eval(self, node):
        self.spend(1)
        method = getattr(self, 'eval_' + type(node).__name__, None)
        if method is None:
            raise ValueError('%s is not allowed' % _describe(node))
        return method(node)

    def eval_Expression(self, node):
        return self.eval(node.body)

    def eval_Constant(self, node):
        return node.value

    def eval_Name(self, node):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError('name %r is not defined' % node.id)

    def eval_List(self, node):
        return [self.eval(elt) for elt in node.elts]

    def eval_Tuple(self, node):
        return tuple(self.eval(elt) for elt in node.elts)

    def eval_Set(self, node):
        return {self.eval(elt) for elt in node.elts}

    def eval_Dict(self, node):
        if any(key is None for key in node.keys):
            raise ValueError('**dict unpacking is not allowed')
        return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}

    def eval_UnaryOp(self, node):
        return _UNARYOPS[type(node.op)](self.eval(node.operand))

    def eval_BinOp(self, node):
        left, right = self.eval(node.left), self.eval(node.right)
        op = type(node.op)
        if op is ast.Pow:
            self._check_pow(left, right)
        elif op is ast.Mult:
            self._check_repeat(left, right)
        elif op is ast.Mod and isinstance(left, str) and _FORMAT_WIDTH.search(left):
            raise ValueError('format widths above 999 are not allowed')
        result = _BINOPS[op](left, right)
        if isinstance(result, (str, bytes, list, tuple)):
            self.spend(len(result))
        elif isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise ValueError('integer result too large')
        return result

    def _check_pow(self, base, exponent):
        if not all(isinstance(v, (int, float)) for v in (base, exponent)):
            raise ValueError('** is only allowed on numbers')
        if abs(exponent) > _MAX_EXPONENT:
            raise ValueError('exponent %r is too large' % (exponent,))
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            if base.bit_length() * exponent > MAX_INT_BITS:
                raise ValueError('integer result too large')

    def _check_repeat(self, left, right):
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int):
                if len(seq) * count > MAX_SEQUENCE:
                    raise ValueError('sequence repetition too large')

    def eval_BoolOp(self, node):
        is_and = isinstance(node.op, ast.And)
        value = None
        for operand in node.values:
            value = self.eval(operand)
            if bool(value) is not is_and:
                return value
        return value

    def eval_Compare(self, node):
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def eval_IfExp(self, node):
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def eval_Subscript(self, node):
        return self.eval(node.value)[self.eval(node.slice)]

    def eval_Slice(self, node):
        return slice(
            *(None if part is None else self.eval(part) for part in (node.lower, node.upper, node.step))
        )

    def eval_Attribute(self, node):
        _check_attribute_name(node.attr)
        value = self.eval(node.value)
        if isinstance(value, _OPAQUE_TYPES):
            raise ValueError('attribute access on %s objects is not allowed' % type(value).__name__)
        return getattr(value, node.attr)

    def eval_Call(self, node):
        func = self.eval(node.func)
        if not callable(func):
            raise ValueError('%r is not callable' % (func,))
        if isinstance(func, type) and issubclass(func, BaseException):
            raise ValueError('raising or building exceptions is not allowed')
        args = [self.eval(arg) for arg in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords}
        return func(*args, **kwargs)

    def _comprehension(self, node, build):
        gen = node.generators[0]
        targets = gen.target.elts if isinstance(gen.target, ast.Tuple) else [gen.target]
        names = [t.id for t in targets]
        saved = {name: self.names[name] for name in names if name in self.names}
        try:
            for item in self.eval(gen.iter):
                self.spend(1)
                if len(names) == 1 and not isinstance(gen.target, ast.Tuple):
                    self.names[names[0]] = item
                else:
                    self.names.update(_unpack(names, item))
                if all(self.eval(cond) for cond in gen.ifs):
                    build()
        finally:
            for name in names:
                self.names.pop(name, None)
            self.names.update(saved)

    def eval_ListComp(self, node):
        result = []
        self._comprehension(node, lambda: result.append(self.eval(node.elt)))
        return result

    def eval_SetComp(self, node):
        result = set()
        self._comprehension(node, lambda: result.add(self.eval(node.elt)))
        return result

    def eval_DictComp(self, node):
        result = {}

        def add():
            result[self.eval(node.key)] = self.eval(node.value)

        self._comprehension(node, add)
        return result


def _unpack(names, item):
    values = tuple(item)
    if len(values) != len(names):
        raise ValueError('cannot unpack %d values into %d names' % (len(values), len(names)))
    return zip(names, values)


def safe_eval(expr, context=None):
    """Evaluate ``expr`` with only the names of ``context`` (plus True/False/None) available.

    Raises ``ValueError`` naming the disallowed construct or the failure; errors of the server's
    own exception root raised by context callables (e.g. a missing external id) pass through.
    """
    tree = _parse(expr)
    for name in context or ():
        _check_name(name, 'context name')
    try:
        return _Interpreter(context or {}).eval(tree)
    except (ValueError, OpenERPLiteError):
        raise
    except RecursionError:
        raise ValueError('expression %r is nested too deeply' % expr)
    except Exception as exc:
        raise ValueError('cannot evaluate %r: %s: %s' % (expr, type(exc).__name__, exc)) from exc


# -- the default evaluation context ---------------------------------------------------------------


class _DateTimeNamespace(type):
    """Lets ``datetime.date`` / ``datetime.timedelta`` work on the class, as with the module.

    Data files written for OpenERP use both ``datetime.now()`` (the class) and
    ``datetime.datetime.now()`` / ``datetime.date.today()`` (the module); properties on the
    metaclass serve the module spelling without hiding the instance methods ``.date()``/``.time()``.
    """

    date = property(lambda cls: _dt.date)
    datetime = property(lambda cls: cls)
    timedelta = property(lambda cls: _dt.timedelta)
    time = property(lambda cls: _dt.time)


class SafeDateTime(_dt.datetime, metaclass=_DateTimeNamespace):
    """``datetime.datetime`` usable both as a class and as the ``datetime`` module in expressions."""


#: the subset of the ``time`` module an expression may use (no ``sleep``)
safe_time = types.SimpleNamespace(
    time=_time.time,
    strftime=_time.strftime,
    strptime=_time.strptime,
    localtime=_time.localtime,
    gmtime=_time.gmtime,
    mktime=_time.mktime,
)


def context_today():
    """Today's date in the server's timezone (no user timezone is known to data files)."""
    return _dt.date.today()


def default_eval_context():
    """A fresh dict with the date helpers every expression may use."""
    return {
        'time': safe_time,
        'datetime': SafeDateTime,
        'date': _dt.date,
        'timedelta': _dt.timedelta,
        'context_today': context_today,
    }
