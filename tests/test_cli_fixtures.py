"""``dodo-contract fixtures init [FILE]``, called through ``main(argv)``: a catalog to start from."""

from __future__ import annotations

import io
import json
from pathlib import Path

from dodo_contract.contract.fixtures import default_fixtures, load_fixtures
from dodo_contract.frontends.cli import main


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_init_writes_the_built_in_catalog_which_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "catalog.json"
    code, out, err = _run(["fixtures", "init", str(target)])
    assert (code, err) == (0, "")
    assert str(target) in out
    assert load_fixtures(target) == default_fixtures()
    data = json.loads(target.read_text(encoding="utf-8"))
    # A starting point shows the whole format: tax treatments and a flat discount beside percentages.
    assert {p.get("tax") for p in data["products"]} >= {"inclusive", "exclusive"}
    assert any("amount" in d for d in data["discount_codes"] if isinstance(d, dict))
    assert not list(tmp_path.glob(".*partial"))


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "catalog.json"
    target.write_text("mine", encoding="utf-8")
    code, out, err = _run(["fixtures", "init", str(target)])
    assert (code, out) == (2, "")
    assert "exists" in err and "--force" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "mine"
    assert _run(["fixtures", "init", str(target), "--force"])[0] == 0
    assert load_fixtures(target) == default_fixtures()


def test_init_dash_writes_to_stdout(tmp_path: Path) -> None:
    code, out, err = _run(["fixtures", "init", "-"])
    assert (code, err) == (0, "")
    assert load_fixtures(json.loads(out)) == default_fixtures()


def test_init_into_a_missing_folder_or_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    for target in (tmp_path / "no" / "such" / "catalog.json", tmp_path):
        code, out, err = _run(["fixtures", "init", str(target)])
        assert code == 2 and out == "" and str(target) in err and "Traceback" not in err


def test_fixtures_without_a_subcommand_is_a_usage_error() -> None:
    code, _out, err = _run(["fixtures"])
    assert code == 2 and "FIXTURES_COMMAND" in err
