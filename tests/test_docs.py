"""The README's examples and the GitHub Actions example work as written (run from the text itself, not copies)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from dodo_contract.contract.fixtures import load_fixtures
from dodo_contract.frontends.config import resolve_config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORKFLOW = ROOT / "examples" / "github-actions.yml"
BIN = str(Path(sys.executable).parent)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DODO_")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return {**env, **extra}


def test_the_asgi_transport_example_runs_and_prints_what_it_says() -> None:
    (block,) = [b for b in _blocks("python") if "httpx.ASGITransport" in b]
    assert "httpx.AsyncClient(" in block  # ASGITransport is async-only: a sync Client cannot send through it
    claimed = re.search(r"print\(.*\)\s+# (.+)\n", block)
    assert claimed is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert printed.getvalue().strip() == claimed.group(1).strip()


def _catalog_commands() -> tuple[str, str]:
    (block,) = [b for b in _blocks("bash") if "--catalog catalog.json" in b]
    lines = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    make = next(line for line in lines if line.rstrip().endswith("> catalog.json"))
    serve = next(line for line in lines if "--catalog catalog.json" in line).split("  #")[0].strip()
    return make, serve


def test_the_readme_says_how_to_get_a_catalog_and_the_mock_serves_it_from_an_empty_folder(tmp_path: Path) -> None:
    make, serve = _catalog_commands()
    subprocess.run(["bash", "-eo", "pipefail", "-c", make], cwd=tmp_path, env=_env(), check=True, timeout=60)
    catalog = tmp_path / "catalog.json"
    packaged = ROOT / "dodo_contract" / "contract" / "default_catalog.json"
    assert catalog.read_bytes() == packaged.read_bytes()
    load_fixtures(catalog)  # raises if it is not a catalog
    assert "--port 0" in serve  # a free loopback port; the mock binds 127.0.0.1 by default
    mock = subprocess.Popen(
        ["bash", "-c", f"exec {serve}"], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert mock.stdout is not None
        first = mock.stdout.readline().decode()
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert url is not None, first + mock.stderr.read().decode() if mock.stderr else first
        key = re.search(r"--api-key (\S+)", serve)
        assert key is not None
        product = json.loads(catalog.read_text())["products"][0]["id"]
        answer = httpx.post(
            url.group(1) + "/payments",
            headers={"Authorization": f"Bearer {key.group(1)}"},
            json={
                "product_cart": [{"product_id": product, "quantity": 1}],
                "customer": {"email": "ada@example.com"},
                "billing": {"country": "US"},
            },
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    finally:
        mock.send_signal(signal.SIGINT)
        try:
            mock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            mock.kill()
            mock.wait()
        for stream in (mock.stdout, mock.stderr):
            if stream is not None:
                stream.close()


def _workflow_step(job: str, command: str) -> str:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"][job]["steps"]
    (script,) = [s["run"] for s in steps if command in s.get("run", "") and "pip install" not in s["run"]]
    return str(script)


@pytest.mark.parametrize(("job", "command"), [("gate", "dodo-contract gate"), ("pytest", "pytest -n")])
@pytest.mark.parametrize("has_catalog", [False, True])
def test_the_workflow_passes_the_catalog_only_when_it_exists(
    tmp_path: Path, job: str, command: str, has_catalog: bool
) -> None:
    # Stand-ins for the two tools record what the step would have run them with.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    record = tmp_path / "record.txt"
    for tool in ("dodo-contract", "pytest"):
        stub = fake_bin / tool
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "fixtures=${{DODO_CONTRACT_FIXTURES-}}" "$@" > {record}\n')
        stub.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    if has_catalog:
        (repo / "tests").mkdir()
        (repo / "tests" / "dodo-catalog.json").write_text((ROOT / "tests/cases/mock/catalog.json").read_text())
    env = _env(STAGING_URL="https://staging.example.com", GITHUB_RUN_NUMBER="7")
    env["PATH"] = str(fake_bin) + os.pathsep + env["PATH"]
    # The shell GitHub Actions runs a `run:` step with on Linux.
    script = _workflow_step(job, command)
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo, env=env, check=True)
    seen = record.read_text().splitlines()
    assert not any("fixtures" in arg for arg in seen[1:])  # no flag naming a file that may not exist
    fixtures = seen[0].removeprefix("fixtures=")
    if has_catalog:
        assert fixtures == "tests/dodo-catalog.json"
        config = resolve_config({}, env={"DODO_CONTRACT_FIXTURES": fixtures}, cwd=repo)
        assert config.fixtures == (repo / "tests" / "dodo-catalog.json").resolve()
    else:
        assert fixtures == ""
        assert resolve_config({}, env={}, cwd=repo).fixtures is None  # the built-in catalog
    assert "https://staging.example.com" in " ".join(seen)
