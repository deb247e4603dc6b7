"""JupyterLab settings for the browser tests (Galata's recommended ones)."""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
