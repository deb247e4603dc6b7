"""``%%tgraph``: let IPython run the cell untouched, then show its graphs.

The cell body is never executed by tgraph. An input transformer blanks the
``%%tgraph`` line (keeping line numbers), IPython runs the rest as an
ordinary cell, and the ``pre_run_cell`` / ``post_run_cell`` events bracket
it. So the namespace, displayed output, ``Out`` history, exceptions and
tracebacks are exactly IPython's own: tgraph only adds output after them.
"""

from __future__ import annotations

import ast
import os
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from .discovery import loaded_frontends, observe_cell
from .protocol import CellInfo, Declared, Frontend, Options, Target, Traced, TraceError
from .quiet import quiet
from .registry import Registry
from .runner import Runner, devices_of, host_fallback

MAGIC = "%%tgraph"


def _is_tgraph_cell(raw: str) -> bool:
    first = raw.lstrip("\n").split("\n", 1)[0]
    return first == MAGIC or first.startswith(MAGIC + " ")


def _switches(raw: str) -> bool:
    """A cell of only ``%tgraph on`` / ``%tgraph off`` lines (and blanks) is not traced."""
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return bool(lines) and all(line.startswith("%tgraph ") for line in lines)


def _blank_magic_line(lines: list[str]) -> list[str]:
    """Input transformer: an empty line where ``%%tgraph`` stood.

    Pure (no side effects), so IPython may also call it to check whether a
    cell is complete.
    """
    if lines and _is_tgraph_cell(lines[0]):
        return ["\n", *lines[1:]]
    return lines


def split_line(line: str) -> list[str]:
    """Split the magic line on blanks outside brackets: ``f(x, y) --wrt x``."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in line:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


@magic_arguments()
@argument(
    "targets",
    nargs="*",
    help="Names to show (default: every graph the cell made); "
    "a JAX function may be given with arguments, e.g. f(x0, y0).",
)
@argument(
    "--wrt",
    default="",
    help="Inputs (PyTensor names, or JAX argnums) to differentiate "
    "with respect to, comma separated.",
)
@argument("--show-noise", action="store_true", help="List merge and constant-folding rewrites too.")
@argument(
    "--device",
    default="",
    help="cpu, gpu or gpu:i for timing and the compiled graph (default: where the framework runs).",
)
@argument("--backend", default=None, help="PyTensor backend for timing: numba, cvm or jax.")
@argument("--no-run", action="store_true", help="Show the graphs without timing them.")
@argument("--budget", type=float, default=2.0, help="Seconds of timing per run.")
@argument("--size", type=int, default=None, help="Size of unknown dimensions of made-up inputs.")
@argument(
    "--sync",
    action="store_true",
    help="Build every view and time inside the cell, for batch runs without a front end "
    "(also TGRAPH_SYNC=1 in the kernel's environment).",
)
def _signature(line: str) -> None:
    """Trace the PyTensor and JAX graphs a cell defines and show them below it.

    The cell runs exactly as it would without the magic; afterwards each
    graph it created (symbolic outputs, compiled functions, jitted JAX
    functions) is shown as written, as optimized by the real compiler
    pipeline, and differentiated.
    """


def parse_options(line: str) -> Options:
    args = _signature.parser.parse_args(split_line(line))
    names: list[str] = []
    calls: dict[str, str] = {}
    for target in args.targets:
        name = target.split("(", 1)[0].strip()
        names.append(name)
        if "(" in target:
            calls[name] = target
    return Options(
        names=names,
        calls=calls,
        wrt=[w for w in args.wrt.split(",") if w],
        show_noise=args.show_noise,
        device=args.device,
        backend=args.backend,
        size=args.size,
        budget=args.budget,
        run=not args.no_run,
        sync=args.sync or os.environ.get("TGRAPH_SYNC", "") not in ("", "0"),
    )


def evaluate_call(call: str, namespace: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Evaluate the arguments of ``f(x0, y0)`` in the user's namespace."""
    tree = ast.parse(call, mode="eval").body
    if not isinstance(tree, ast.Call):
        raise TraceError(f"{call!r} is not a call like f(x, y)")

    def value(node: ast.expr) -> Any:
        return eval(compile(ast.Expression(node), "<tgraph>", "eval"), namespace)

    args = tuple(value(a) for a in tree.args)
    kwargs = {k.arg: value(k.value) for k in tree.keywords if k.arg}
    return args, kwargs


def _warn(message: str) -> None:
    print(f"tgraph: {message}", file=sys.stderr)


def _nothing_shown() -> str:
    """Why the cell showed nothing: a frontend's own words (JAX run op by op) first."""
    for frontend in loaded_frontends():
        why = getattr(frontend, "nothing_shown", None)
        said = why() if callable(why) else None
        if said:
            return str(said)
    return "this cell defined no graph to show."


def present(
    frontend: Frontend,
    target: Target,
    traced: Traced,
    options: Options,
    registry: Registry,
    cell: int | None = None,
) -> Any:
    """The widget of one traced target, kept in ``registry`` (the side panel lists it)."""
    from .widget import GraphWidget

    traced.bundle.cell = cell
    traced.offers.show_noise = options.show_noise
    entry = registry.add(traced)
    if options.sync:
        entry.build_all()
    timed = options.run and traced.offers.timing and not target.effects
    runner = Runner(
        frontend, target, options, registry.devices, entry.record_timing, entry.build_all
    )
    return GraphWidget(
        entry,
        runner.time if traced.offers.timing else None,
        runner.profile if traced.offers.timing else None,
        runner.devices,
        submit=registry.idle.submit,
        autorun=timed and not options.sync,
        timing_error=runner.notice() if traced.offers.timing else "",
    )


@dataclass
class _Pending:
    options: Options
    cell: CellInfo
    before: dict[str, Any]
    #: Traced because ``%tgraph on`` is in force, not by its own magic line.
    always: bool = False
    observing: ExitStack = field(default_factory=ExitStack)


@magics_class
class TgraphMagics(Magics):
    """Per-shell state of the extension: the pending cell and the registry."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.ip = shell  # ``Magics.shell`` is typed as optional
        self.registry = Registry()
        self._pending: _Pending | None = None
        #: The options of ``%tgraph on``, while it is in force.
        self.always: str | None = None

    @line_cell_magic
    def tgraph(self, line: str, cell: str | None = None) -> None:
        if cell is None:
            self._switch(line)
            return
        # Reached only through run_cell_magic(): a typed %%tgraph cell is
        # handled by the transformer and the events. Replay it as one.
        self.ip.run_cell(f"{MAGIC} {line}\n{cell}", store_history=False)

    def _switch(self, line: str) -> None:
        """``%tgraph on [options]``: trace every later cell; ``%tgraph off``: stop."""
        word, _, rest = line.strip().partition(" ")
        if word == "off" and not rest.strip():
            self.always = None
            return
        if word != "on":
            _warn("the line magic is %tgraph on [options] or %tgraph off")
            return
        try:
            options = parse_options(rest)
        except Exception as error:  # argparse's UsageError and SystemExit alike
            _warn(f"could not read the magic line: {error}")
            return
        if options.names:
            _warn("%tgraph on takes options only: name targets on a %%tgraph cell")
            return
        self.always = rest

    tgraph.__doc__ = _signature.__doc__ + "\n" + (_signature.parser.format_help())

    # -- IPython hooks -----------------------------------------------------

    def install(self) -> None:
        self.ip.input_transformers_cleanup.append(_blank_magic_line)
        self.ip.events.register("pre_run_cell", self.pre_run_cell)
        self.ip.events.register("post_run_cell", self.post_run_cell)
        self.registry.open()

    def uninstall(self) -> None:
        if _blank_magic_line in self.ip.input_transformers_cleanup:
            self.ip.input_transformers_cleanup.remove(_blank_magic_line)
        self.ip.events.unregister("pre_run_cell", self.pre_run_cell)
        self.ip.events.unregister("post_run_cell", self.post_run_cell)
        self.registry.close()

    def pre_run_cell(self, info: ExecutionInfo) -> None:
        self.registry.idle.cell_started()
        raw = info.raw_cell or ""
        self._pending = None
        always = self.always is not None and not _is_tgraph_cell(raw)
        if always:
            if _switches(raw):
                return
            options = parse_options(self.always or "")
        elif not _is_tgraph_cell(raw):
            return
        else:
            first, _, _ = raw.lstrip("\n").partition("\n")
            try:
                options = parse_options(first[len(MAGIC) :])
            except Exception as error:  # argparse's UsageError and SystemExit alike
                _warn(f"could not read the magic line: {error}")
                return
        # IPython has already counted this cell when it announces it.
        count = self.ip.execution_count - (1 if info.store_history else 0)
        try:
            transformed = self.ip.transform_cell(raw)
        except SyntaxError:
            return  # IPython reports it itself; the cell will not run
        cell = CellInfo(
            code=raw,
            filename=self.ip.compile.get_code_name(raw, transformed, count),
            execution_count=count,
        )
        pending = _Pending(options, cell, dict(self.ip.user_ns), always)
        pending.observing.enter_context(observe_cell())
        self._pending = pending

    def post_run_cell(self, result: ExecutionResult) -> None:
        pending, self._pending = self._pending, None
        try:
            if pending is not None:
                self._after_cell(pending, result)
        finally:
            self.registry.idle.cell_ended()

    def _after_cell(self, pending: _Pending, result: ExecutionResult) -> None:
        pending.observing.close()
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            self._hint(error)
            return
        try:
            self._show_cell(pending)
        except Exception as bug:  # a tgraph bug must never look like the cell's error
            _warn(f"internal error, please report it: {type(bug).__name__}: {bug}")

    # -- after a successful cell -------------------------------------------

    def _hint(self, error: BaseException) -> None:
        for frontend in loaded_frontends():
            hint = frontend.hint(error)
            if hint:
                _warn(hint)
                return

    def _changed(self, pending: _Pending) -> dict[str, Any]:
        ns = self.ip.user_ns
        hidden = self.ip.user_ns_hidden
        options = pending.options
        if options.names:
            missing = [n for n in options.names if n not in ns]
            for name in missing:
                _warn(f"no variable named {name!r} after this cell; nothing to show for it.")
            return {n: ns[n] for n in options.names if n in ns}
        return {
            name: value
            for name, value in ns.items()
            if not name.startswith("_")
            and name not in hidden
            and (name not in pending.before or pending.before[name] is not value)
        }

    def _targets(
        self, changed: dict[str, Any], pending: _Pending
    ) -> tuple[list[tuple[Frontend, Target]], list[Declared]]:
        """Every graph among ``changed``, and the declarations when there is none."""
        cell, options = pending.cell, pending.options
        targets: list[tuple[Frontend, Target]] = []
        declared: list[Declared] = []
        frontends = loaded_frontends()
        for frontend in frontends:
            try:
                found = frontend.targets(changed, cell)
            except TraceError as error:
                if not pending.always:  # under %tgraph on, what cannot be shown stays silent
                    _warn(str(error))
                continue
            targets += [(frontend, t) for t in found]
        shown = {n for _, t in targets for n in (t.name, *t.aliases)}
        for name in options.calls:
            # f(x0, y0) may name a function no framework has seen run: trace it now.
            if name not in changed or name in shown:
                continue
            for frontend in frontends:
                target = frontend.target_for_call(name, changed[name])
                if target is not None:
                    targets.append((frontend, target))
                    shown.add(name)
                    break
        if options.names:  # programs the cell called are shown only when named
            wanted = set(options.names)
            targets = [(f, t) for f, t in targets if wanted & {t.name, *t.aliases}]
            shown = {n for _, t in targets for n in (t.name, *t.aliases)}
        unshown = [n for n in options.names if n in changed and n not in shown]
        if not targets or unshown:  # declarations cost a walk over every graph
            declared = [d for frontend in frontends for d in frontend.declared(changed)]
        titles = " or ".join(f.title for f in frontends) or "framework"
        for name in unshown:
            if not any(d.name == name for d in declared):
                _warn(f"{name!r} is not a {titles} graph or function this cell made.")
        return targets, declared

    def _trace(self, frontend: Frontend, target: Target, pending: _Pending) -> Traced | None:
        """The cheap views of one target, or None after a one-line message."""
        options, cell = pending.options, pending.cell
        try:
            if target.name in options.calls:
                target.args, target.kwargs = evaluate_call(
                    options.calls[target.name], self.ip.user_ns
                )
            if options.device:  # an explicit device is worth discovering devices
                devices = devices_of(frontend, self.registry.devices)
                options, problem = host_fallback(options, devices)
                if problem:
                    _warn(problem)
            with quiet():
                return frontend.trace(target, options, cell)
        except TraceError as error:
            if not pending.always:  # under %tgraph on, what cannot be shown stays silent
                _warn(str(error))
        except Exception as error:  # a tgraph bug must never cost the user their cell
            _warn(f"could not trace {target.name!r}: {type(error).__name__}: {error}")
        return None

    def _show_cell(self, pending: _Pending) -> None:
        changed = self._changed(pending)
        options = pending.options
        targets, declared = self._targets(changed, pending)

        from .widget import declared_table

        for frontend, target in targets:
            traced = self._trace(frontend, target, pending)
            if traced is None:
                continue
            count = pending.cell.execution_count
            widget = present(frontend, target, traced, options, self.registry, count)
            display(widget)
            # no front end will ask; a program with side effects runs only on Run
            if options.run and traced.offers.timing and options.sync and not target.effects:
                widget.run_timing({})
        if declared and not targets:
            display(declared_table(declared))
        if not targets and not declared and not options.names and not pending.always:
            _warn(_nothing_shown())
