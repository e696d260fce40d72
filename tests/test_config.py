"""Option resolution shared by the CLI and the pytest plugin: layers, validation, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dodo_contract.errors import ConfigError
from dodo_contract.frontends.config import RunConfig, env_name, find_pyproject, resolve_config

KEY = "sk_test_cfg_0123456789abcdef"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An isolated project folder with an empty pyproject.toml (so no outer file leaks in)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path


def _pyproject(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(f"[tool.dodo-contract]\n{body}\n")


def test_defaults_in_an_empty_project(project: Path) -> None:
    config = resolve_config({}, env={}, cwd=project)
    assert config.base_url is None
    assert config.api_key is None
    assert config.report_dir == (project / "reports").resolve()
    assert config.timeout == 10.0
    assert config.allow_live is False
    assert config.schemathesis is False
    assert config.max_examples is None
    assert config.source("seed") == "default"


def test_layers_flag_beats_env_beats_ini_beats_pyproject(project: Path) -> None:
    _pyproject(project, "seed = 1\nmax-examples = 11\ntimeout = 3\nrate_limit = 7")
    env = {env_name("seed"): "2", env_name("max_examples"): "22"}
    ini = {"seed": "3", "max_examples": "33", "timeout": "4"}
    config = resolve_config({"seed": 4}, env=env, ini=ini, cwd=project)
    assert config.seed == 4
    assert config.max_examples == 22
    assert config.timeout == 4.0
    assert config.rate_limit == 7.0
    assert config.source("seed") == "--seed"
    assert config.source("max_examples") == "env DODO_CONTRACT_MAX_EXAMPLES"
    assert "pyproject.toml" in config.source("rate_limit")


def test_none_and_empty_flags_do_not_hide_lower_layers(project: Path) -> None:
    config = resolve_config({"seed": None, "fixtures": ""}, env={env_name("seed"): "9"}, cwd=project)
    assert config.seed == 9


def test_api_key_order_flag_then_dodo_api_key_then_payments_key(project: Path) -> None:
    env = {"DODO_API_KEY": "key_from_dodo_env", "DODO_PAYMENTS_API_KEY": "key_from_payments_env"}
    assert resolve_config({}, env=env, cwd=project).api_key == "key_from_dodo_env"
    assert resolve_config({}, env={"DODO_PAYMENTS_API_KEY": "key_payments"}, cwd=project).api_key == "key_payments"
    assert resolve_config({"api_key": "key_flag"}, env=env, cwd=project).api_key == "key_flag"


def test_api_key_is_stripped_and_hidden_from_repr(project: Path) -> None:
    config = resolve_config({"api_key": f"  {KEY}\n"}, env={}, cwd=project)
    assert config.api_key == KEY
    assert KEY not in repr(config)
    assert config.secrets == (KEY,)


def test_nearest_pyproject_wins_and_relative_paths_follow_it(project: Path) -> None:
    _pyproject(project, 'report-dir = "out/contract"\nfixtures = "catalog.json"\nseed = 5')
    (project / "catalog.json").write_text('{"products": [{"id": "p", "price": 1}]}')
    nested = project / "a" / "b"
    nested.mkdir(parents=True)
    config = resolve_config({}, env={}, cwd=nested)
    assert find_pyproject(nested) == project / "pyproject.toml"
    assert config.report_dir == (project / "out" / "contract").resolve()
    assert config.fixtures == (project / "catalog.json").resolve()
    assert config.seed == 5
    # a nearer pyproject without the table stops the search: its (empty) settings apply
    (nested / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    assert resolve_config({}, env={}, cwd=nested).seed is None


def test_flag_paths_are_relative_to_the_working_directory(project: Path) -> None:
    config = resolve_config({"report_dir": "r"}, env={}, cwd=project)
    assert config.report_dir == (project / "r").resolve()


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({"max_examples": 0}, {}, "--max-examples: must be an integer >= 1, got 0"),
        ({"max_examples": "abc"}, {}, "--max-examples: must be an integer >= 1, got 'abc'"),
        ({}, {env_name("seed"): "-1"}, "env DODO_CONTRACT_SEED: must be an integer >= 0, got -1"),
        ({"timeout": "0"}, {}, "--timeout: must be a number > 0"),
        ({"timeout": "nan"}, {}, "--timeout: must be a number > 0"),
        ({"rate_limit": "inf"}, {}, "--rate-limit: must be a number > 0"),
        ({}, {env_name("allow_live"): "maybe"}, "env DODO_CONTRACT_ALLOW_LIVE: must be true or false"),
        ({"base_url": "ftp://example.com"}, {}, "--base-url: must be an absolute http(s) URL"),
        ({"base_url": "localhost:8000"}, {}, "--base-url: must be an absolute http(s) URL"),
        ({"base_url": "http://u:p@example.com"}, {}, "must not carry credentials"),
        ({"base_url": "http://example.com/?x=1"}, {}, "must not have a query or fragment"),
        ({"base_url": "http://example.com:99999"}, {}, "invalid port"),
        ({"base_url": "http://127.0.0.1:8000"}, {}, "no API key for http://127.0.0.1:8000"),
        ({"fixtures": "missing.json"}, {}, "--fixtures: fixtures file"),
    ],
)
def test_bad_values_name_the_option_and_its_source(
    project: Path, flags: dict[str, object], env: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        resolve_config(flags, env=env, cwd=project)
    assert expected in str(info.value)


def test_flag_names_are_spelled_as_the_front_end_spells_them(project: Path) -> None:
    with pytest.raises(ConfigError, match="--dodo-max-examples: must be an integer"):
        resolve_config({"max_examples": "x"}, flag_names={"max_examples": "--dodo-max-examples"}, env={}, cwd=project)


def test_bad_api_key_message_never_contains_the_key(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config({"api_key": "sk_test_has space_secret"}, env={}, cwd=project)
    assert "whitespace" in str(info.value)
    assert "has space" not in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    "url", ["https://live.dodopayments.com", "https://LIVE.dodopayments.com/", "http://live.dodopayments.com:443/v1"]
)
def test_live_host_refused_unless_allowed(project: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="refusing to test Dodo's live host"):
        resolve_config({"base_url": url, "api_key": KEY}, env={}, cwd=project)
    config = resolve_config({"base_url": url, "api_key": KEY, "allow_live": True}, env={}, cwd=project)
    assert config.allow_live


def test_bool_values_from_env_and_pyproject(project: Path) -> None:
    assert resolve_config({}, env={env_name("allow_live"): "yes"}, cwd=project).allow_live is True
    _pyproject(project, "allow-live = true")
    assert resolve_config({}, env={}, cwd=project).allow_live is True
    assert resolve_config({}, env={env_name("allow_live"): "0"}, cwd=project).allow_live is False


def test_unknown_pyproject_key_is_an_error_listing_known_keys(project: Path) -> None:
    _pyproject(project, "base_ur = 'http://x'")
    with pytest.raises(ConfigError, match=r"unknown key 'base_ur'.*known keys: base-url"):
        resolve_config({}, env={}, cwd=project)


def test_invalid_toml_is_a_clear_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.dodo-contract\nseed = ")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve_config({}, env={}, cwd=project)


def test_pyproject_type_errors_name_the_file_and_key(project: Path) -> None:
    _pyproject(project, "max-examples = 2.5")
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.dodo-contract\] max-examples: must be an integer"):
        resolve_config({}, env={}, cwd=project)


def test_report_dir_that_is_a_file_is_refused(project: Path) -> None:
    (project / "reports").write_text("not a folder")
    with pytest.raises(ConfigError, match="is not a directory"):
        resolve_config({}, env={}, cwd=project)


def test_unknown_flag_is_a_programming_error(project: Path) -> None:
    with pytest.raises(ConfigError, match="unknown option"):
        resolve_config({"bogus": 1}, env={}, cwd=project)


def test_run_config_is_frozen() -> None:
    config = RunConfig()
    with pytest.raises(AttributeError):
        config.seed = 3  # type: ignore[misc]


def test_inferred_facts_can_be_overridden_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.dodo-contract]\nseed = 1\n[tool.dodo-contract.inferred]\n"
        "invalid-status = 400\ndocumented-statuses = [200, 400, 401, 422]\nbusiness-codes = ['OUT_OF_STOCK']\n"
    )
    config = resolve_config({}, env={}, cwd=project)
    assert config.contract is not None
    assert config.contract.invalid_status == 400
    assert config.contract.business_status == 422  # business refusals keep their own status
    assert config.contract.documented_statuses == frozenset({200, 400, 401, 422})
    assert config.contract.business_codes == frozenset({"OUT_OF_STOCK"})


def test_the_pricing_and_business_code_facts_can_be_overridden_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.dodo-contract.inferred]\ntax-ceiling = 1.5\nrounding-per-line = 0\ntax-ids-validated = false\n"
        "discount-codes-validated = false\n"
        'expected-codes = {"business.unknown_customer" = "CUSTOMER_NOT_FOUND"}\n'
    )
    contract = resolve_config({}, env={}, cwd=project).contract
    assert contract is not None
    assert (contract.tax_ceiling, contract.rounding_per_line, contract.tax_ids_validated) == (1.5, 0, False)
    assert contract.discount_codes_validated is False
    assert contract.expected_code("business.unknown_customer") == "CUSTOMER_NOT_FOUND"
    assert contract.expected_code("business.unknown_product") == "NOT_FOUND"  # merged with the defaults


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tax-ceiling = 0.9", "tax_ceiling: must be within 1..10"),
        ("rounding-per-line = -1", "rounding_per_line: must be an integer >= 0"),
        ("tax-ids-validated = 'no'", "tax-ids-validated: must be true or false"),
        ("expected-codes = ['NOT_FOUND']", "expected-codes: must be a table"),
        ("invalid-status = 400", "invalid_status (400) must be among documented_statuses"),
        ("business-status = 409", "business_status (409) must be among documented_statuses"),
        ("invalid-status = '422'", "invalid-status: must be an integer"),
        ("business-codes = 'X'", "business-codes: must be a list of strs"),
        ("documented-statuses = [200, '401']", "documented-statuses: must be a list of ints"),
        ("guess = 1", "unknown key 'guess'"),
    ],
)
def test_bad_inferred_overrides_are_clear_errors(project: Path, body: str, message: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.dodo-contract.inferred]\n{body}\n")
    with pytest.raises(ConfigError, match=r"\[tool.dodo-contract.inferred\]") as info:
        resolve_config({}, env={}, cwd=project)
    assert message in str(info.value)


def test_schemathesis_switch_from_flag_env_and_pyproject(project: Path) -> None:
    assert resolve_config({"schemathesis": True}, env={}, cwd=project).schemathesis is True
    assert resolve_config({}, env={env_name("schemathesis"): "true"}, cwd=project).schemathesis is True
    _pyproject(project, "schemathesis = true")
    assert resolve_config({}, env={}, cwd=project).schemathesis is True
    with pytest.raises(ConfigError, match="DODO_CONTRACT_SCHEMATHESIS"):
        resolve_config({}, env={env_name("schemathesis"): "sometimes"}, cwd=project)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tool = 5", "'tool' must be a table"),
        ('tool = "dodo"', "'tool' must be a table"),
        ("[tool]\ndodo-contract = 5", "[tool.dodo-contract] must be a table, got int"),
        ("[tool]\ndodo-contract = [1, 2]", "[tool.dodo-contract] must be a table, got an array"),
        ("[tool.dodo-contract]\ninferred = 5", "[tool.dodo-contract.inferred] must be a table, got int"),
        ("[tool.dodo-contract]\ntimeout = [1]", "timeout: must be a number > 0"),
        ("[tool.dodo-contract]\nmax-examples = [1]", "max-examples: must be an integer >= 1"),
        ("[tool.dodo-contract]\nmax-examples = 10001", "max-examples: must be at most 10,000"),
        ("[tool.dodo-contract]\nconcurrency = 0", "concurrency: must be an integer >= 1"),
        ("[tool.dodo-contract]\nconcurrency = 65", "concurrency: must be at most 64"),
        ("[tool.dodo-contract]\nseed = 1.5", "seed: must be an integer >= 0"),
        ("[tool.dodo-contract]\nseed = 1979-05-27", "seed: must be an integer >= 0"),
        ("[tool.dodo-contract]\nbase-url = 5", "base-url: must be a string"),
        ("[tool.dodo-contract]\nbase-url = 'http://[zz]/'", "base-url: is not a URL the HTTP client can use"),
        ("[tool.dodo-contract]\nallow-live = 5", "allow-live: must be true or false"),
        ("[tool.dodo-contract]\nreport-dir = {a = 1}", "report-dir: must be a string"),
        ("[tool.dodo-contract]\nreport-dir = '~no_such_user_dodo/r'", "report-dir: not a usable path"),
        ("[tool.dodo-contract.inferred]\nexpires-on-skew-s = nan", "expires-on-skew-s: must be a finite number"),
        ("[tool.dodo-contract.inferred]\nsuccess-floor = 2", "success_floor must be within 0..1"),
        ("[tool.dodo-contract.inferred]\nbusiness-status = 5000", "business_status: must be an HTTP status"),
        ("[tool.dodo-contract.inferred]\ndocumented-statuses = [200, 401, 422, 1000]", "must be HTTP statuses"),
        ("[tool.dodo-contract.inferred]\nstall-limit = '3'", "stall-limit: must be an integer"),
    ],
)
def test_type_confusions_in_pyproject_are_clear_errors(project: Path, body: str, message: str) -> None:
    (project / "pyproject.toml").write_text(body + "\n")
    with pytest.raises(ConfigError) as info:
        resolve_config({}, env={}, cwd=project)
    assert message in str(info.value)
    assert "pyproject.toml" in str(info.value)


def test_type_confusions_reach_the_gate_as_exit_2_without_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from dodo_contract.frontends.cli import main

    monkeypatch.chdir(project)
    for body in ("tool = 5", "[tool.dodo-contract]\ninferred = 5", "[tool.dodo-contract]\ntimeout = [1]"):
        (project / "pyproject.toml").write_text(body + "\n")
        err = io.StringIO()
        assert main(["gate"], stdout=io.StringIO(), stderr=err) == 2
        assert "Traceback" not in err.getvalue() and err.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        ({"api_key": "short"}, {}, "--api-key: the API key is too short (5 characters, at least 8)"),
        ({"max_examples": "99999999"}, {}, "--max-examples: must be at most 10,000"),
        ({"max_examples": "9" * 5000}, {}, "--max-examples: must be an integer >= 1"),
        ({}, {env_name("concurrency"): "many"}, "env DODO_CONTRACT_CONCURRENCY: must be an integer >= 1"),
    ],
)
def test_bounds_and_short_keys(project: Path, flags: dict[str, object], env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config(flags, env=env, cwd=project)
    assert expected in str(info.value)
    assert "short" not in str(info.value).replace("too short", "")  # the key itself is never echoed


def test_concurrency_from_every_layer(project: Path) -> None:
    assert resolve_config({}, env={}, cwd=project).concurrency is None  # the engine's default
    assert resolve_config({"concurrency": "3"}, env={}, cwd=project).concurrency == 3
    assert resolve_config({}, env={env_name("concurrency"): "4"}, cwd=project).concurrency == 4
    assert resolve_config({}, env={}, ini={"concurrency": "5"}, cwd=project).concurrency == 5
    _pyproject(project, "concurrency = 6")
    assert resolve_config({}, env={}, cwd=project).concurrency == 6


def test_the_key_is_held_as_a_secret(project: Path) -> None:
    from dodo_contract.errors import Secret

    config = resolve_config({"api_key": KEY}, env={}, cwd=project)
    assert isinstance(config.api_key, Secret)
    assert KEY not in repr(config.api_key)


# --- the spec version --------------------------------------------------------------------------------------------


@pytest.fixture
def dodo_document(project: Path) -> Path:
    from tests import _shared

    target = project / "specs" / "dodo.json"
    target.parent.mkdir()
    target.write_bytes((_shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json").read_bytes())
    return target


def test_spec_version_from_every_layer_and_the_default_is_not_a_choice(project: Path) -> None:
    default = resolve_config({}, env={}, cwd=project)
    assert (default.spec_version, default.spec_chosen, default.spec().version) == (None, False, "1.113.0")
    _pyproject(project, 'spec-version = "1.86.0"')
    assert resolve_config({}, env={}, cwd=project).spec().version == "1.86.0"
    assert resolve_config({}, env={}, ini={"spec_version": "1.113.0"}, cwd=project).spec_version == "1.113.0"
    env = {"DODO_CONTRACT_SPEC_VERSION": "v1.86.0"}
    from_env = resolve_config({}, env=env, ini={"spec_version": "1.113.0"}, cwd=project)
    assert (from_env.spec_version, from_env.source("spec_version")) == ("1.86.0", "env DODO_CONTRACT_SPEC_VERSION")
    chosen = resolve_config({"spec_version": "latest"}, env=env, cwd=project)
    assert (chosen.spec_version, chosen.spec_chosen, chosen.spec().version) == ("latest", True, "1.113.0")


@pytest.mark.parametrize(
    ("flags", "env", "ini", "where"),
    [
        ({"spec_version": "1.2.3"}, {}, {}, "--spec-version"),
        ({}, {"DODO_CONTRACT_SPEC_VERSION": "1.2.3"}, {}, "env DODO_CONTRACT_SPEC_VERSION"),
        ({}, {}, {"spec_version": "1.2.3"}, "ini 'spec_version'"),
    ],
)
def test_an_unknown_version_names_the_option_its_source_and_the_bundled_versions(
    project: Path, flags: dict[str, str], env: dict[str, str], ini: dict[str, str], where: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_config(flags, env=env, ini=ini, cwd=project)
    message = str(caught.value)
    assert message.startswith(f"{where}: unknown spec version '1.2.3'")
    assert "1.86.0, 1.113.0" in message


def test_an_unknown_version_in_pyproject_names_the_file_and_key(project: Path) -> None:
    _pyproject(project, 'spec-version = "2.0.0"')
    with pytest.raises(ConfigError, match=r"pyproject\.toml \[tool\.dodo-contract\] spec-version: unknown spec"):
        resolve_config({}, env={}, cwd=project)


def test_openapi_from_pyproject_is_relative_to_it_and_loaded_while_resolving(
    project: Path, dodo_document: Path
) -> None:
    _pyproject(project, 'openapi = "specs/dodo.json"')
    nested = project / "deep"
    nested.mkdir()
    config = resolve_config({}, env={}, cwd=nested)
    assert config.openapi == dodo_document.resolve()
    assert config.spec_chosen
    contract = config.spec()
    assert not contract.bundled
    assert contract.version == "1.113.0"
    assert contract.source.file == "dodo.json"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("{not json", "dodo.json"),
        ('{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}', "POST /payments"),
    ],
    ids=["missing", "not-json", "no-operation"],
)
def test_a_bad_openapi_document_stops_resolution_with_its_source(
    project: Path, content: str | None, fragment: str
) -> None:
    if content is not None:
        (project / "dodo.json").write_text(content)
    with pytest.raises(ConfigError) as caught:
        resolve_config({"openapi": "dodo.json"}, env={}, cwd=project)
    assert str(caught.value).startswith("--openapi: ")
    assert fragment in str(caught.value)


def test_spec_version_and_openapi_together_are_refused(project: Path, dodo_document: Path) -> None:
    with pytest.raises(ConfigError, match="not both") as caught:
        resolve_config({"spec_version": "1.86.0"}, env={"DODO_CONTRACT_OPENAPI": str(dodo_document)}, cwd=project)
    assert "--spec-version" in str(caught.value)
    assert "env DODO_CONTRACT_OPENAPI" in str(caught.value)
