"""toyexpr's tgraph frontend: the protocol, for a framework tgraph never heard of.

It lives outside tgraph and plugs in through the ``tgraph.frontends`` entry
point declared in ``toyexpr_tgraph-0.1.dist-info``, which proves that a third
framework needs no change anywhere in tgraph. Built on ``FrontendBase``, it
writes only what its expression language needs: targets, views and a call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import toyexpr as tx
from tgraph.graph import Graph, GraphBuilder, GraphBundle, Node
from tgraph.protocol import (
    CellInfo,
    Declared,
    FrontendBase,
    LazyView,
    Offers,
    Options,
    Target,
    Traced,
    TraceError,
    ViewOffer,
    ViewResult,
)


def _draw(outputs: dict[str, tx.Expr], names: dict[int, str]) -> Graph:
    builder = GraphBuilder()
    ids: dict[int, str] = {}

    def node(e: tx.Expr) -> str:
        if id(e) in ids:
            return ids[id(e)]
        if isinstance(e, tx.Var):
            made = Node(builder.new_id("v"), "input", e.name, name=e.name, dtype="float")
        elif isinstance(e, tx.Num):
            made = Node(builder.new_id("c"), "constant", f"{e.value:g}", dtype="float")
        else:
            assert isinstance(e, tx.Op)
            made = Node(builder.new_id("o"), "op", e.kind, op=e.kind, name=names.get(id(e), ""))
            builder.add(made)
            ids[id(e)] = made.id
            for slot, arg in enumerate(e.args):
                builder.connect(node(arg), made.id, slot, "float")
            return made.id
        builder.add(made)
        ids[id(e)] = made.id
        return made.id

    for label, expr in outputs.items():
        out = builder.add(Node(builder.new_id("out"), "output", label, name=label))
        builder.connect(node(expr), out.id)
    return builder.graph


def _folded(expr: tx.Expr) -> tx.Expr:
    """The 'optimizer': fold constant subexpressions and x * 1, x + 0."""
    if not isinstance(expr, tx.Op):
        return expr
    a, b = (_folded(x) for x in expr.args)
    if isinstance(a, tx.Num) and isinstance(b, tx.Num):
        return tx.Num(tx.evaluate(tx.Op(expr.kind, (a, b)), {}))
    unit = 1.0 if expr.kind == "mul" else 0.0
    if isinstance(b, tx.Num) and b.value == unit:
        return a
    if isinstance(a, tx.Num) and a.value == unit:
        return b
    return tx.Op(expr.kind, (a, b))


@dataclass
class ToyTarget(Target):
    """A target with the user's names for expressions drawn inside it."""

    named: dict[str, tx.Expr] = field(default_factory=dict)


class ToyFrontend(FrontendBase):
    """Only what the expression language needs: the rest are ``FrontendBase``'s defaults."""

    framework = "toyexpr"
    title = "toyexpr"

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        ops = {n: v for n, v in changed.items() if isinstance(v, tx.Op)}
        inner: set[int] = set()

        def walk(e: tx.Expr, top: bool) -> None:
            if isinstance(e, tx.Op):
                if not top:
                    inner.add(id(e))
                for a in e.args:
                    walk(a, False)

        for value in ops.values():
            walk(value, True)
        inside = {m: w for m, w in ops.items() if id(w) in inner}
        return [
            ToyTarget(n, self.framework, v, aliases=list(inside), named=inside)
            for n, v in ops.items()
            if id(v) not in inner
        ]

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        return [
            Declared(n, "Var", "float", "0", "()")
            for n, v in changed.items()
            if isinstance(v, tx.Var)
        ]

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        expr = target.obj
        if not isinstance(expr, tx.Expr):
            raise TraceError(f"{target.name} is not a toyexpr expression")
        named = target.named if isinstance(target, ToyTarget) else {}
        names = {id(v): n for n, v in named.items()}
        bundle = GraphBundle(
            target.name, self.framework, {"original": _draw({target.name: expr}, names)}
        )
        later = {
            "optimized": LazyView(
                "folding constants", lambda: ViewResult(_draw({target.name: _folded(expr)}, {}))
            ),
            "gradient": LazyView("differentiating", lambda: _gradient(target.name, expr)),
        }
        offers = Offers(
            [
                ViewOffer("original", "Original"),
                ViewOffer("optimized", "Folded"),
                ViewOffer("gradient", "Gradient"),
            ],
        )
        return Traced(bundle, offers, later)

    def call(self, target: Target) -> Callable[[], Any] | None:
        env = {v.name: 1.0 for v in tx.variables(target.obj)}
        return lambda: tx.evaluate(target.obj, env)


def _gradient(name: str, expr: tx.Expr) -> ViewResult:
    grads = {f"d{name}/d{v.name}": _folded(tx.grad(expr, v)) for v in tx.variables(expr)}
    return ViewResult(_draw(grads, {}))
