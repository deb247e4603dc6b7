"""A tiny expression language, only for tgraph's tests: a third framework.

Expressions are built with ``+`` and ``*`` over named scalars and numbers,
and evaluated with ``evaluate(expr, {"x": 2.0})``.
"""

from __future__ import annotations

from dataclasses import dataclass


class Expr:
    def __add__(self, other: object) -> Expr:
        return Op("add", (self, lift(other)))

    def __radd__(self, other: object) -> Expr:
        return Op("add", (lift(other), self))

    def __mul__(self, other: object) -> Expr:
        return Op("mul", (self, lift(other)))

    def __rmul__(self, other: object) -> Expr:
        return Op("mul", (lift(other), self))


@dataclass(eq=False)
class Var(Expr):
    name: str


@dataclass(eq=False)
class Num(Expr):
    value: float


@dataclass(eq=False)
class Op(Expr):
    kind: str
    args: tuple[Expr, ...]


def lift(value: object) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, int | float):
        return Num(float(value))
    raise TypeError(f"not an expression: {value!r}")


def evaluate(expr: Expr, env: dict[str, float]) -> float:
    if isinstance(expr, Var):
        return env[expr.name]
    if isinstance(expr, Num):
        return expr.value
    assert isinstance(expr, Op)
    left, right = (evaluate(a, env) for a in expr.args)
    return left + right if expr.kind == "add" else left * right


def grad(expr: Expr, wrt: Var) -> Expr:
    """d expr / d wrt, by the sum and product rules."""
    if isinstance(expr, Var):
        return Num(1.0 if expr is wrt else 0.0)
    if isinstance(expr, Num):
        return Num(0.0)
    assert isinstance(expr, Op)
    a, b = expr.args
    if expr.kind == "add":
        return grad(a, wrt) + grad(b, wrt)
    return grad(a, wrt) * b + a * grad(b, wrt)


def variables(expr: Expr) -> list[Var]:
    found: dict[int, Var] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Var):
            found.setdefault(id(e), e)
        elif isinstance(e, Op):
            for a in e.args:
                walk(a)

    walk(expr)
    return list(found.values())
