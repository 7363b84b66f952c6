"""`sam build` ships the shared/ library as it is now, even after an earlier cached build (issue: stale layer).

The layer's Makefile copies ../../shared, which lies outside the layer's ContentUri, so SAM's cache key cannot see
a change there. This test builds a copy of the app twice with the repository's samconfig.toml and checks that the
second build's layer holds a line just added to shared/. It runs the real SAM CLI (the venv `make validate` uses,
created the same way when missing); the layer's third-party requirements are emptied in the copy so that no
package is fetched and the build stays quick.
"""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.infra.conftest import sam_venv

REPO = Path(__file__).resolve().parents[2]
LAYER_INIT = Path(".aws-sam/build/WorkerLayer/python/mnemoscope/__init__.py")

pytestmark = pytest.mark.slow  # ~30 s; CI runs it (plain `pytest` deselects nothing)


def _copy_app(to: Path) -> None:
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy2(REPO / name, to / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "functions", to / "functions", ignore=ignore)
    shutil.copytree(REPO / "shared/mnemoscope", to / "shared/mnemoscope", ignore=ignore)
    (to / "layers/worker").mkdir(parents=True)
    shutil.copy2(REPO / "layers/worker/Makefile", to / "layers/worker/Makefile")
    (to / "layers/worker/requirements.txt").write_text("")  # no downloads: only shared/ matters here


def _build_env() -> dict[str, str]:
    env = os.environ | {
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "PIP_NO_INDEX": "1",
    }
    # As validate_template.sh: SAM looks for the runtime's python3.12 even for functions without requirements.
    if shutil.which("pyenv"):
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True, check=False)
        if "3.12.1" in versions.stdout.split():
            env["PYENV_VERSION"] = "3.12.1:" + env.get("PYENV_VERSION", "3.11.7")
    return env


def _sam_build(sam: Path, app: Path, *extra: str) -> None:
    built = subprocess.run(
        [str(sam / "bin/sam"), "build", "--template-file", "template.yaml", *extra],
        cwd=app,
        env=_build_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]


def test_a_change_in_shared_reaches_the_layer_after_a_cached_build(tmp_path: Path) -> None:
    # Given a copy of the app built once, with the build cache filled
    sam = sam_venv()
    _copy_app(tmp_path)
    _sam_build(sam, tmp_path, "--cached")
    marker = f"BUILD_MARKER = {uuid.uuid4().hex!r}\n"
    assert marker not in (tmp_path / LAYER_INIT).read_text()
    # When shared/ changes and the app is built the way samconfig.toml says
    with (tmp_path / "shared/mnemoscope/__init__.py").open("a") as init:
        init.write(marker)
    _sam_build(sam, tmp_path)
    # Then the layer ships the change
    assert marker in (tmp_path / LAYER_INIT).read_text()
