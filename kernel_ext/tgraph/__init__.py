"""jupyter-tgraph: see the graphs PyTensor and JAX build, inline in Jupyter.

``%load_ext tgraph`` registers the ``%%tgraph`` cell magic and the ``%tgraph on`` /
``%tgraph off`` line magic; ``tgraph.show(f, *args)`` and ``tgraph.export(f, *args,
path=...)`` draw one graph from any Python code.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def show(obj: Any, *args: Any, **kwargs: Any) -> None:
    """Display the widget of ``obj`` called on ``args`` (see ``tgraph.api.show``)."""
    from .api import show as shown

    shown(obj, *args, **kwargs)


def __getattr__(name: str) -> Any:
    # ``tgraph.export`` is also the module behind ``python -m tgraph.export``:
    # imported, it is callable as the API function (see ``tgraph/export.py``).
    if name == "export":
        import importlib

        return importlib.import_module(".export", __name__)
    raise AttributeError(name)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-tgraph"}]


def load_ipython_extension(shell: Any) -> None:
    from .magic import TgraphMagics

    magics = TgraphMagics(shell)
    shell.register_magics(magics)
    magics.install()


def unload_ipython_extension(shell: Any) -> None:
    from .magic import TgraphMagics

    magics = shell.magics_manager.registry.get(TgraphMagics.__name__)
    if magics is not None:
        magics.uninstall()
