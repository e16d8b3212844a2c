"""A real headless browser (Debian's chromium) for the HTML report's test: which images loaded,
and a screenshot. No driver: chromium's --dump-dom prints the page after its load event, by
which time every image has loaded or failed, and a script added to a copy of the page writes
its verdict into the DOM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# .ci/run installs chromium and sets this: there the test fails instead of skipping
REQUIRED = "REPTILE_SINE_REQUIRE_CHROMIUM"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--hide-scrollbars"]
PROBE = """<script>
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => (i.getAttribute('src') || '').slice(0, 80));
  const out = document.createElement('script');
  out.type = 'application/json'; out.id = 'verdict';
  out.textContent = JSON.stringify({images: images.length, loaded: images.length - broken.length,
    broken, scripts: document.scripts.length, title: document.title,
    sizes: images.map(i => [i.naturalWidth, i.naturalHeight])});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    """The browser's path; skips the test where it is not installed (fails where CI said it
    must be)."""
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get(REQUIRED):
        pytest.fail(f"chromium is not installed but {REQUIRED} is set (.ci/run installs it)")
    pytest.skip("Debian's chromium is not installed here (apt-get install chromium; .ci/run "
                "installs it)")


def _run(*args: str, timeout: float = 120) -> str:
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no lock shared by tests
        out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def image_check(page: Path, folder: Path) -> dict:
    """Opens a copy of `page` in `folder` (nothing else there: only what the page holds itself
    can load) and returns what its images did: {images, loaded, broken, sizes, scripts,
    title}; scripts counts the page's own scripts and this probe's one."""
    text = page.read_text(encoding="utf-8")
    assert text.count("</body>") == 1
    probe = folder / page.name
    probe.write_text(text.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    dom = _run("--dump-dom", probe.resolve().as_uri())
    found = re.search(r'<script type="application/json" id="verdict">(.*?)</script>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(found.group(1))


def screenshot(page: Path, png: Path, width: int = 1200, height: int = 2400) -> Path:
    """A PNG of the page's first `height` pixels at `width`."""
    _run(f"--screenshot={png.resolve()}", f"--window-size={width},{height}",
         page.resolve().as_uri())
    return png
