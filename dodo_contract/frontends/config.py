"""Resolve the options of a contract run, the same way for the pytest plugin and the ``dodo-contract`` CLI.

Each option is taken from the first layer that sets it:

1. a command-line flag (``--base-url`` for the CLI, ``--dodo-base-url`` for pytest);
2. an environment variable (``DODO_CONTRACT_BASE_URL``, ...; the API key from ``DODO_API_KEY``, then
   ``DODO_PAYMENTS_API_KEY``);
3. a pytest ini key (``dodo_base_url``, ...; pytest only);
4. the ``[tool.dodo-contract]`` table of the nearest ``pyproject.toml`` (searched from the working directory up);
5. the defaults below.

``[tool.dodo-contract.inferred]`` overrides the facts Dodo's documents do not state (``ContractSettings``:
``invalid-status``, ``auth-status``, ``documented-statuses``, ``business-codes``, ...).

Relative paths from ``pyproject.toml`` are taken relative to that file; all others relative to the working
directory. Every bad value raises ``ConfigError`` naming the option, where it came from and what is allowed;
the API key itself is never part of a message.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract.settings import ContractSettings
from ..contract.versions import Contract, get_contract, load_contract, resolve_version
from ..engine._hosts import LIVE_HOSTS, canonical_base_url, is_live_host, live_host_refusal
from ..engine._limits import MAX_CONCURRENCY, MAX_EXAMPLES
from ..errors import MIN_KEY_LENGTH, ConfigError, Secret

__all__ = [
    "API_KEY_ENV",
    "DEFAULT_REPORT_DIR",
    "LIVE_HOST",
    "OPERATIONS",
    "OPTION_NAMES",
    "RunConfig",
    "env_name",
    "find_pyproject",
    "resolve_config",
]

LIVE_HOST = min(LIVE_HOSTS)
API_KEY_ENV = ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY")
DEFAULT_REPORT_DIR = "reports"
_ENV_PREFIX = "DODO_CONTRACT_"
_DEFAULT_TIMEOUT = 10.0
_DEFAULT_LATENCY_BUDGET_MS = 2000.0
_DEFAULT_TIME_BUDGET_S = 120.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Every option of a contract run, resolved and validated.

    ``base_url`` None means "start the embedded reference mock"; otherwise it is the canonical URL
    (``engine._hosts.canonical_base_url``) the transport will connect to. ``max_examples`` and ``concurrency``
    None leave the engine's defaults. ``contract`` holds overrides of the inferred facts
    (``[tool.dodo-contract.inferred]``), None for the defaults. ``sources`` says where each option that was set
    came from (for messages), e.g. ``"--seed"``. ``spec_version`` is a bundled version (None: the default, the
    latest, not chosen), ``openapi`` a user's Dodo OpenAPI document to judge by instead; ``spec()`` is the
    ``Contract`` they name (checked, and a document loaded, when the options are resolved). ``operation`` is
    what is judged: ``payments`` (the default), ``checkouts`` (the three Checkout Sessions operations) or ``all``.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    fixtures: Path | None = None
    max_examples: int | None = None
    seed: int | None = None
    report_dir: Path = Path(DEFAULT_REPORT_DIR)
    timeout: float = _DEFAULT_TIMEOUT
    rate_limit: float | None = None
    allow_live: bool = False
    schemathesis: bool = False
    concurrency: int | None = None
    latency_budget_ms: float = _DEFAULT_LATENCY_BUDGET_MS
    time_budget_s: float = _DEFAULT_TIME_BUDGET_S
    contract: ContractSettings | None = None
    spec_version: str | None = None
    openapi: Path | None = None
    operation: str = "payments"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the values that must never appear in any output (the API key)."""
        return (self.api_key,) if self.api_key else ()

    def source(self, name: str) -> str:
        """Return where option ``name`` came from ("default" when nobody set it)."""
        return self.sources.get(name, "default")

    @property
    def families(self) -> tuple[str, ...]:
        """Return the operation families judged: ``("payments",)``, ``("checkouts",)`` or both for ``all``."""
        return ("payments", "checkouts") if self.operation == "all" else (self.operation,)

    def spec(self, operation: str | None = None) -> Contract:
        """Return the contract the run judges by: ``openapi``'s document, else ``spec_version`` (None: latest).

        ``operation`` is a family (None: the first judged); the contract is that family's.
        """
        family = operation or self.families[0]
        if self.openapi is not None:
            try:
                return load_contract(self.openapi, operation=family)
            except ConfigError as exc:
                raise ConfigError(f"{self.source('openapi')}: {exc}") from None
        return get_contract(self.spec_version, operation=family)

    @property
    def spec_chosen(self) -> bool:
        """True when a version or document was chosen (the hint to try another is only for the default)."""
        return self.spec_version is not None or self.openapi is not None


# name -> (converter, takes_path_base). Converters get (raw value, where) and raise ConfigError.
_Converter = Callable[[Any, str], Any]


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string, got {type(value).__name__}")
    return value.strip() or None


def _int(minimum: int, maximum: int | None = None) -> _Converter:
    def convert(value: Any, where: str) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{where}: must be an integer >= {minimum}, got {value!r}")
        try:
            number = int(value)
        except ValueError:  # also the 4,300-digit limit of int(): such a string is no count anyway
            shown = str(value)[:40]
            raise ConfigError(f"{where}: must be an integer >= {minimum}, got {shown!r}") from None
        if number < minimum:
            raise ConfigError(f"{where}: must be an integer >= {minimum}, got {number}")
        if maximum is not None and number > maximum:
            shown = f"{number:,}" if number.bit_length() < 128 else "a huge number"
            raise ConfigError(f"{where}: must be at most {maximum:,} (the documented maximum), got {shown}")
        return number

    return convert


def _positive_float(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{where}: must be a number > 0, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{where}: must be a number > 0, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{where}: must be a number > 0, got {value!r}")
    return number


def _bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{where}: must be true or false, got {value!r}")


def _url(value: Any, where: str) -> str | None:
    text = _text(value, where)
    if text is None:
        return None
    return canonical_base_url(text, where=where)


def _spec_version(value: Any, where: str) -> str | None:
    text = _text(value, where)
    if text is None:
        return None
    try:
        resolved = resolve_version(text)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return "latest" if text == "latest" else resolved  # an explicit "latest" is a choice, kept as said


OPERATIONS = ("payments", "checkouts", "all")


def _operation(value: Any, where: str) -> str | None:
    text = _text(value, where)
    if text is None:
        return None
    if text.lower() not in OPERATIONS:
        raise ConfigError(f"{where}: unknown operation {text!r}; known: {', '.join(OPERATIONS)}")
    return text.lower()


def _api_key(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: the API key must be a string")
    key = value.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        # Never echo the key: say only what is wrong with it.
        raise ConfigError(f"{where}: the API key contains whitespace or control characters")
    if key and len(key) < MIN_KEY_LENGTH:
        # A real key is far longer, and a short one could not be told apart from ordinary text when redacting.
        raise ConfigError(f"{where}: the API key is too short ({len(key)} characters, at least {MIN_KEY_LENGTH})")
    return Secret(key) if key else None


_CONVERTERS: dict[str, _Converter] = {
    "base_url": _url,
    "api_key": _api_key,
    "fixtures": _text,
    "max_examples": _int(1, MAX_EXAMPLES),
    "seed": _int(0),
    "report_dir": _text,
    "timeout": _positive_float,
    "rate_limit": _positive_float,
    "allow_live": _bool,
    "schemathesis": _bool,
    "concurrency": _int(1, MAX_CONCURRENCY),
    "latency_budget_ms": _positive_float,
    "time_budget_s": _positive_float,
    "spec_version": _spec_version,
    "openapi": _text,
    "operation": _operation,
}
OPTION_NAMES = tuple(_CONVERTERS)
_PATHS = frozenset({"fixtures", "report_dir", "openapi"})


def env_name(option: str) -> str:
    """Return the environment variable of ``option`` (``seed`` -> ``DODO_CONTRACT_SEED``)."""
    return _ENV_PREFIX + option.upper()


def find_pyproject(start: Path) -> Path | None:
    """Return the nearest ``pyproject.toml`` in ``start`` or one of its parents, or None."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _pyproject_table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool.dodo-contract] lives in it), got {_kind(tool)}")
    table = tool.get("dodo-contract", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dodo-contract] must be a table, got {_kind(table)}")
    out: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key == _INFERRED:
            out[key] = _contract_settings(value, f"{path} [tool.dodo-contract.inferred]")
            continue
        if key not in _CONVERTERS:
            known = ", ".join(k.replace("_", "-") for k in OPTION_NAMES)
            raise ConfigError(f"{path}: unknown key {raw_key!r} in [tool.dodo-contract]; known keys: {known}")
        out[key] = value
    return out


def _kind(value: Any) -> str:
    names = {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


_INFERRED = "inferred"
_INT_SETS = frozenset({"documented_statuses"})
_STR_SETS = frozenset({"business_codes", "schema_codes", "documented_codes"})
_INTS = frozenset(
    {
        "invalid_status",
        "business_status",
        "auth_status",
        "max_retries_429",
        "stall_limit",
        "minimum_charge",
        "class_min_cases",
        "rounding_per_line",
    }
)
_FLOATS = frozenset({"expires_on_skew_s", "max_retry_after_s", "success_floor", "tax_ceiling"})
_BOOLS = frozenset({"tax_ids_validated", "discount_codes_validated"})
_MAPS = frozenset({"expected_codes"})


def _contract_settings(table: Any, where: str) -> ContractSettings:
    """Build the overrides of the inferred facts from ``[tool.dodo-contract.inferred]``."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table, got {_kind(table)}")
    known = _INT_SETS | _STR_SETS | _INTS | _FLOATS | _BOOLS | _MAPS
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            names = ", ".join(sorted(k.replace("_", "-") for k in known))
            raise ConfigError(f"{where}: unknown key {raw_key!r}; known keys: {names}")
        if key in _INT_SETS | _STR_SETS:
            kind = int if key in _INT_SETS else str
            if not isinstance(value, list) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
                raise ConfigError(f"{where} {raw_key}: must be a list of {kind.__name__}s")
            values[key] = frozenset(value)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{where} {raw_key}: must be true or false, got {value!r}")
            values[key] = value
        elif key in _MAPS:
            if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
                raise ConfigError(f'{where} {raw_key}: must be a table of rule id = "CODE", got {value!r}')
            values[key] = {**dict(ContractSettings().expected_codes), **value}
        elif key in _INTS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{where} {raw_key}: must be an integer, got {value!r}")
            values[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{where} {raw_key}: must be a finite number >= 0, got {value!r}")
            values[key] = float(value)
    try:
        return ContractSettings(**values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _env_layer(env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    layer: dict[str, tuple[Any, str]] = {}
    for name in OPTION_NAMES:
        if name == "api_key":
            continue
        var = env_name(name)
        if env.get(var, "").strip():
            layer[name] = (env[var], f"env {var}")
    for var in API_KEY_ENV:
        if env.get(var, "").strip():
            layer["api_key"] = (env[var], f"env {var}")
            break
    return layer


def resolve_config(
    flags: Mapping[str, Any] | None = None,
    *,
    flag_names: Mapping[str, str] | None = None,
    ini: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
) -> RunConfig:
    """Resolve every option from flags > env > ini > ``[tool.dodo-contract]`` > defaults; validate them.

    ``flags`` and ``ini`` map option names (``base_url``, ...) to values, None meaning "not given";
    ``flag_names`` maps option names to the flag spelling used in messages (default ``--base-url``).
    ``env`` defaults to ``os.environ``, ``cwd`` to the working directory.
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    environ = os.environ if env is None else env
    spelled = flag_names or {}
    layers: list[tuple[dict[str, tuple[Any, str]], Path]] = []
    layers.append(
        (
            {
                k: (v, spelled.get(k, "--" + k.replace("_", "-")))
                for k, v in (flags or {}).items()
                if v is not None and v != ""
            },
            base,
        )
    )
    layers.append((_env_layer(environ), base))
    layers.append(({k: (v, f"ini {k!r}") for k, v in (ini or {}).items() if v is not None and v != ""}, base))
    pyproject = find_pyproject(base)
    contract: ContractSettings | None = None
    if pyproject is not None:
        table = _pyproject_table(pyproject)
        contract = table.pop(_INFERRED, None)
        layers.append(
            (
                {k: (v, f"{pyproject} [tool.dodo-contract] {k.replace('_', '-')}") for k, v in table.items()},
                pyproject.parent,
            )
        )
    for layer, _ in layers:
        unknown = set(layer) - set(_CONVERTERS)
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(sorted(unknown))}")

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, convert in _CONVERTERS.items():
        for layer, folder in layers:
            if name not in layer:
                continue
            raw, where = layer[name]
            value = convert(raw, where)
            if value is None:
                continue
            if name in _PATHS:
                value = _path(folder, value, where)
            values[name] = value
            sources[name] = where
            break

    config = RunConfig(
        base_url=values.get("base_url"),
        api_key=values.get("api_key"),
        fixtures=values.get("fixtures"),
        max_examples=values.get("max_examples"),
        seed=values.get("seed"),
        report_dir=values.get("report_dir", (base / DEFAULT_REPORT_DIR).resolve()),
        timeout=values.get("timeout", _DEFAULT_TIMEOUT),
        rate_limit=values.get("rate_limit"),
        allow_live=bool(values.get("allow_live", False)),
        schemathesis=bool(values.get("schemathesis", False)),
        concurrency=values.get("concurrency"),
        latency_budget_ms=values.get("latency_budget_ms", _DEFAULT_LATENCY_BUDGET_MS),
        time_budget_s=values.get("time_budget_s", _DEFAULT_TIME_BUDGET_S),
        contract=contract,
        spec_version=values.get("spec_version"),
        openapi=values.get("openapi"),
        operation=values.get("operation", "payments"),
        sources=sources,
    )
    _check(config)
    return config


def _path(folder: Path, value: str, where: str) -> Path:
    try:
        return (folder / Path(value).expanduser()).resolve()
    except (RuntimeError, ValueError, OSError) as exc:  # "~nobody/x", an embedded NUL, a loop of symlinks
        raise ConfigError(f"{where}: not a usable path ({exc}), got {value!r}") from None


def _check(config: RunConfig) -> None:
    """Reject combinations that cannot work, before anything is sent."""
    if config.fixtures is not None and not config.fixtures.is_file():
        raise ConfigError(f"{config.source('fixtures')}: fixtures file {config.fixtures} does not exist")
    if config.report_dir.exists() and not config.report_dir.is_dir():
        raise ConfigError(f"{config.source('report_dir')}: report dir {config.report_dir} is not a directory")
    if config.openapi is not None:
        if config.spec_version is not None:
            raise ConfigError(
                f"give spec-version or openapi, not both: spec version {config.spec_version} from "
                f"{config.source('spec_version')}, openapi {config.openapi} from {config.source('openapi')}"
            )
        if not config.openapi.is_file():
            raise ConfigError(f"{config.source('openapi')}: OpenAPI document {config.openapi} does not exist")
        for family in config.families:  # a document that does not parse, or lacks an operation, stops everything
            config.spec(family)
    if config.base_url is None:
        return
    if is_live_host(config.base_url) and not config.allow_live:
        raise live_host_refusal()
    if config.api_key is None:
        raise ConfigError(
            f"no API key for {config.base_url}: pass --api-key (pytest: --dodo-api-key) or set "
            f"{API_KEY_ENV[0]} (or {API_KEY_ENV[1]})"
        )
