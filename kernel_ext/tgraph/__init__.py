"""jupyter-tgraph: see the graphs PyTensor and JAX build, inline in Jupyter.

``%load_ext tgraph`` registers the ``%%tgraph`` cell magic.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


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
