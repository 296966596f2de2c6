"""The container image (Dockerfile): built by `make image` where a Docker builder answers; what
it installs, Deskside's wheel, carries everything the desk reads at run time."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = os.environ.get("UV") or str(ROOT / ".tools" / "bin" / "uv")


def test_make_image_says_why_it_skips_without_a_docker_engine(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the daemon' >&2\nexit 1\n")
    (fake / "docker").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["make", "-s", "image"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "make image: skipped: no Docker engine answers here ('docker info' failed)"
    )


def test_the_wheel_the_image_installs_holds_templates_static_files_and_translations(tmp_path):
    """The image installs Deskside as a wheel (`uv sync --no-editable`), not the source tree:
    what is not in the wheel is not in the image."""
    built = subprocess.run(
        [UV, "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("deskside-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "deskside/templates/404.html",
        "deskside/desk/templates/desk/queue.html",
        "deskside/static/vendor/htmx.LICENSE",
        "deskside/locale/nl/LC_MESSAGES/django.mo",
        "deskside/mail/templates/mail/held.en.txt",
        "deskside/runtime/migrations/0002_tallies.py",
    ):
        assert needed in names, needed
    assert not [name for name in names if name.startswith("tests/")]
