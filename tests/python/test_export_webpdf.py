"""``jupyter nbconvert --to webpdf`` with Debian's Chromium: every picture is in the PDF.

nbconvert's WebPDFExporter has no option for the browser's path, and Playwright
cannot download its own here; Playwright does start whatever executable sits
where it would have installed its headless shell, so the test links Debian's
Chromium there, as the README tells users to.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("playwright")
pypdf = pytest.importorskip("pypdf")

from test_export import DLOGISTIC, execute  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium")


def expected_browser(browsers: Path) -> Path:
    """Where Playwright looks for its headless shell: its launch error names the file."""
    from playwright.sync_api import Error, sync_playwright

    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(browsers)
    try:
        with sync_playwright() as p, pytest.raises(Error) as failed:
            p.chromium.launch()
    finally:
        del os.environ["PLAYWRIGHT_BROWSERS_PATH"]
    found = re.search(r"Executable doesn't exist at (\S+)", str(failed.value))
    assert found, failed.value
    return Path(found[1])


def test_webpdf_draws_every_picture(tmp_path: Path) -> None:
    nb = execute(DLOGISTIC)
    nbformat.write(nb, tmp_path / "run.ipynb")
    browsers = tmp_path / "browsers"
    link = expected_browser(browsers)
    link.parent.mkdir(parents=True)
    link.symlink_to(CHROMIUM)

    subprocess.run(
        [
            *(sys.executable, "-m", "jupyter", "nbconvert", "--to", "webpdf"),
            "--WebPDFExporter.disable_sandbox=True",
            "run.ipynb",
        ],
        cwd=tmp_path,
        env={**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(browsers)},
        capture_output=True,
        timeout=300,
        check=True,
    )
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "run.pdf").pages)
    # Each picture is printed as vector graphics: its caption and labels are text.
    captions = re.findall(r"(Original|Optimized|Gradient) · (\w+)", text)
    assert captions == [
        ("Original", "dLogistic"),
        ("Optimized", "dLogistic"),
        ("Gradient", "dLogistic"),
    ]
    assert "Composite{(sigmoid((-i0)) * sig… · 5 ops ▸" in text  # the optimized node
