"""The limits ``make lint`` holds the package to, each seen failing on a deliberate fault.

The import contracts live in pyproject.toml (``[tool.importlinter]``), the
line limit in ``[tool.module-size]``; these tests run the same commands as
``make lint`` on a copy of the package with one fault added.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def package_copy(tmp_path: Path) -> Path:
    """The kernel package's sources (no build output) under ``tmp_path``."""
    shutil.copytree(
        ROOT / "kernel_ext" / "tgraph",
        tmp_path / "tgraph",
        ignore=shutil.ignore_patterns("labextension", "static", "__pycache__"),
    )
    return tmp_path / "tgraph"


def lint_imports(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=path,
        env={"PYTHONPATH": str(path), "PATH": ""},
        capture_output=True,
        text=True,
    )


def add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text("utf-8") + f"\n{line}  # noqa\n", "utf-8")


def broken(output: str) -> list[str]:
    """The names of the contracts lint-imports reports broken."""
    return [line[: -len(" BROKEN")] for line in output.splitlines() if line.endswith(" BROKEN")]


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_package_keeps_its_import_contracts(tmp_path: Path) -> None:
    done = lint_imports(package_copy(tmp_path).parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 4 kept, 0 broken." in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_a_plugin_importing_the_session_breaks_the_layers(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    add_import(package / "frontends" / "jax" / "costs.py", "from ...registry import Registry")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    # registry reaches layout too, which a plug-in may not even indirectly
    assert broken(done.stdout) == [
        "layers: magic, then the session, the protocol, the cores",
        "plug-ins see the protocol and the cores, never the picture",
    ]
    assert "tgraph.frontends.jax.costs -> tgraph.registry" in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_protocol_importing_a_plugin_breaks_the_layers(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    add_import(package / "protocol.py", "from .frontends.pytensor import labels")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert "tgraph.protocol -> tgraph.frontends.pytensor.labels" in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_an_import_circle_breaks_the_circle_check(tmp_path: Path) -> None:
    """requests and registry share a layer, so only the circle check sees this one."""
    package = package_copy(tmp_path)
    add_import(package / "requests.py", "from .registry import Registry")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert broken(done.stdout) == ["no import circles in any package"]
    assert ".requests -> .registry" in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_a_circle_inside_a_plugin_breaks_the_circle_check(tmp_path: Path) -> None:
    package = package_copy(tmp_path)
    add_import(package / "frontends" / "pytensor" / "labels.py", "from .rewrites import Recorded")
    add_import(package / "frontends" / "pytensor" / "evaluate.py", "from .values import Drawn")
    done = lint_imports(tmp_path)
    assert broken(done.stdout) == ["no import circles in any package"]
    assert "tgraph.frontends.pytensor" in done.stdout


def layered(pyproject: Path) -> set[str]:
    """The modules the layers contract places, optional ones included."""
    config = tomllib.loads(pyproject.read_text("utf-8"))["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    names = " : ".join(layers).replace("|", ":").replace("(", "").replace(")", "")
    return {name.strip() for name in names.split(":")}


def test_every_module_of_the_package_has_a_layer() -> None:
    """A module the contract does not name would escape it: each new one must be placed."""
    package = ROOT / "kernel_ext" / "tgraph"
    modules = {f"tgraph.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"tgraph.{p.parent.name}" for p in package.glob("*/__init__.py")}
    assert modules - layered(ROOT / "pyproject.toml") == set()


def test_a_module_without_a_layer_is_found(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    pyproject.write_text(text.replace(" : tgraph.tables", ""), "utf-8")
    assert "tgraph.tables" in layered(ROOT / "pyproject.toml") - layered(pyproject)


def module_size(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "module_size.py"), str(root)],
        capture_output=True,
        text=True,
    )


def test_a_module_past_500_lines_fails_and_one_at_500_passes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    package = tmp_path / "kernel_ext" / "tgraph"
    (tmp_path / "labextension" / "src" / "common").mkdir(parents=True)
    (package / "static").mkdir(parents=True)
    (package / "ok.py").write_text("x = 1\n" * 500)
    (package / "static" / "widget.js.py").write_text("x = 1\n" * 900)  # build output
    (tmp_path / "labextension/src/common/v.generated.ts").write_text("let x;\n" * 900)
    assert module_size(tmp_path).returncode == 0
    (package / "long.py").write_text("x = 1\n" * 501)
    (tmp_path / "labextension/src/common/view.ts").write_text("let x;\n" * 620)
    done = module_size(tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "labextension/src/common/view.ts: 620 lines, past the limit of [tool.module-size]; "
        "split it by job",
        "kernel_ext/tgraph/long.py: 501 lines, past the limit of [tool.module-size]; "
        "split it by job",
    ]
