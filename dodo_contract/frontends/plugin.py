"""pytest plugin: ``pytest --dodo-base-url=URL`` runs the contract suite, one test item per check.

Loaded by every pytest session (entry point ``pytest11``), so importing it must stay cheap: the engine, the
reports and httpx are imported only when the contract suite or a fixture is actually used. Without
``--dodo-base-url`` (or the ``dodo_base_url`` ini key) the plugin adds no test item; its fixtures
(``dodo_client``, ``dodo_fixtures``, ``dodo_validator``) are available to users' own tests either way.

The contract engine runs once per session and its reports are written once:

* without xdist, on the first contract item's setup;
* under ``pytest -n N`` (pytest-xdist), in the controller while it starts the workers; each worker receives
  the controller's (redacted) report in ``workerinput`` and only turns it into item outcomes.

So ``-n N`` sends exactly the same requests as a serial run and there is one merged report. ``-k``/``-m`` choose
the checks, and the engine plans and sends only what they judge (the controller of an xdist run, which collects
nothing, reads the same expressions against the check names).

Nothing that goes wrong inside the plugin reaches pytest as an exception: a traceback would print the frames'
locals, and some of them hold the API key. Any internal error becomes one redacted line on each contract item,
and it is cached like a result, so the engine runs once per session whatever happens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import ConfigError, escape_surrogates, redact
from .config import RunConfig, resolve_config

if TYPE_CHECKING:
    import httpx

    from ..contract.fixtures import Fixtures
    from ..contract.versions import SpecVersion
    from ..validation.validator import ValidationResult

__all__ = ["ContractCheckItem", "DodoValidator"]

# option name -> (help, is a switch)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "base_url": ("run the contract suite against this implementation of POST /payments", False),
    "api_key": ("API key (default: env DODO_API_KEY, then DODO_PAYMENTS_API_KEY)", False),
    "fixtures": ("catalog/fixtures file (JSON or TOML) describing what the implementation holds", False),
    "max_examples": ("generated requests per kind (default: the engine's)", False),
    "seed": ("seed for generated requests (default: random, printed in the report)", False),
    "report_dir": ("folder for dodo-contract.{json,junit.xml,html,md} (default: reports/)", False),
    "timeout": ("per-request timeout in seconds (default 10)", False),
    "rate_limit": ("requests per second (default: unlimited on loopback, 20/s elsewhere)", False),
    "concurrency": ("requests in flight at once (default 16; 1 sends one at a time)", False),
    "spec_version": ("the spec version to judge by, e.g. 1.86.0 (default: latest; dodo-contract spec list)", False),
    "openapi": ("judge by this newer Dodo OpenAPI document (JSON or YAML) instead of a bundled version", False),
    "operation": (
        "what to judge: payments (default), checkouts (the three Checkout Sessions operations) or all",
        False,
    ),
    "allow_live": ("allow Dodo's live host (positive, request-budgeted subset only)", True),
    "schemathesis": ("also fuzz with Schemathesis-generated bodies, judged by our validator (slower)", True),
}
_FLAGS = {name: "--dodo-" + name.replace("_", "-") for name in _OPTIONS}
_REPORT_KEY = "dodo_contract_report"
_config_key = pytest.StashKey[RunConfig]()
_data_key = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dodo-contract", "dodo-contract: contract tests of Dodo Payments POST /payments")
    for name, (text, switch) in _OPTIONS.items():
        if switch:
            group.addoption(_FLAGS[name], action="store_true", default=None, dest=f"dodo_{name}", help=text)
            parser.addini(f"dodo_{name}", text, type="bool", default=False)
        else:
            group.addoption(_FLAGS[name], default=None, dest=f"dodo_{name}", metavar=name.upper(), help=text)
            parser.addini(f"dodo_{name}", text, default="")


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("dodo_base_url", None) or config.getini("dodo_base_url"))


def _run_config(config: pytest.Config) -> RunConfig:
    """Resolve the options (flags > env > ini > pyproject > defaults) once per session."""
    if _config_key not in config.stash:
        flags = {name: config.getoption(f"dodo_{name}", None) for name in _OPTIONS}
        ini: dict[str, Any] = {name: config.getini(f"dodo_{name}") for name in _OPTIONS}
        ini["allow_live"] = ini["allow_live"] or None
        ini["schemathesis"] = ini["schemathesis"] or None
        try:
            config.stash[_config_key] = resolve_config(
                flags, flag_names=_FLAGS, ini=ini, cwd=config.invocation_params.dir
            )
        except ConfigError as exc:
            import os

            from .config import API_KEY_ENV

            maybe = [flags.get("api_key"), ini.get("api_key"), *(os.environ.get(n) for n in API_KEY_ENV)]
            keys = [k.strip() for k in maybe if isinstance(k, str) and k.strip()]
            raise pytest.UsageError(redact(f"dodo-contract: {exc}", keys)) from None
    return config.stash[_config_key]


def pytest_configure(config: pytest.Config) -> None:
    if _active(config):
        _run_config(config)  # bad options stop the session before anything is collected


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    # xdist calls this in the controller for each worker it starts, after every normal-priority sessionstart
    # (Hypothesis counts engine work before those as "slow plugin code"). Run the engine once, here, and ship
    # the redacted report to the workers, so `-n N` sends one run's requests and writes one report.
    config = node.config
    if _active(config):
        data = _contract_data(config, _selected_checks(config))
        node.workerinput[_REPORT_KEY] = json.dumps(data)  # a str crosses execnet safely


def _contract_data(config: pytest.Config, checks: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Return the redacted report dict of this session's contract run, running the engine if nobody has.

    ``checks`` are the selected checks (None: all). Whatever fails in here is caught and cached as an ``error``
    report, redacted: it never propagates (a traceback would show the key held in some frame's locals).
    """
    if _data_key in config.stash:
        return config.stash[_data_key]
    worker_input: Mapping[str, Any] = getattr(config, "workerinput", {})
    if _REPORT_KEY in worker_input:
        config.stash[_data_key] = json.loads(worker_input[_REPORT_KEY])
        return config.stash[_data_key]
    settings = _run_config(config)
    interrupted = False
    try:
        from ..reports.report import clear_reports, report_data, write_reports
        from .gate import run_gate

        clear_reports(settings.report_dir)
        run = run_gate(settings, checks=checks)
        interrupted = run.interrupted
        data = report_data(run, secrets=settings.secrets)
        try:
            write_reports(run, settings.report_dir, secrets=settings.secrets)
        except ConfigError as exc:
            data = {**data, "verdict": "error", "errors": [*data.get("errors", []), _safe(str(exc), settings)]}
    except Exception as exc:  # fail closed, one redacted line, and never a re-run per item
        data = _error_data(settings, f"internal error in dodo-contract: {type(exc).__name__}: {exc}")
    config.stash[_data_key] = data
    if interrupted:
        raise KeyboardInterrupt  # reports are written; now let pytest stop the session as it would have
    return data


def _safe(text: str, settings: RunConfig) -> str:
    return redact(escape_surrogates(text), settings.secrets)


def _error_data(settings: RunConfig, message: str) -> dict[str, Any]:
    return {
        "verdict": "error",
        "passed": False,
        "target": _safe(settings.base_url or "the embedded reference mock", settings),
        "errors": [_safe(message, settings)],
        "violations": [],
        "checks": [],
        "stats": {},
    }


def _selected_checks(config: pytest.Config) -> tuple[str, ...] | None:
    """Return the checks ``-k``/``-m`` select, judged as pytest judges our items (None: all of them).

    Used where nothing is collected (the xdist controller). An expression this cannot evaluate selects all:
    sending more than needed is safe, judging less is not.
    """

    keyword = str(config.getoption("keyword", "") or "").strip()
    marks = str(config.getoption("markexpr", "") or "").strip()
    if not keyword and not marks:
        return None
    items = _item_names(config)
    try:
        from _pytest.mark.expression import Expression

        by_keyword = Expression.compile(keyword) if keyword else None
        by_mark = Expression.compile(marks) if marks else None

        def selected(name: str) -> bool:
            names = (name.lower(), "dodo-contract")  # an item's keywords: its own name and its parent's

            def keywords(sub: str, /, **kwargs: str | int | bool | None) -> bool:
                return any(sub.lower() in n for n in names)

            def no_marks(sub: str, /, **kwargs: str | int | bool | None) -> bool:
                return False  # our items carry no marks

            return (by_keyword is None or by_keyword.evaluate(keywords)) and (
                by_mark is None or by_mark.evaluate(no_marks)
            )

        return tuple(dict.fromkeys(_check_of(name) for name in items if selected(name)))
    except Exception:
        return None


class ContractCheckItem(pytest.Item):
    """One contract check of the session's contract run (the run is shared by every item)."""

    def _data(self) -> dict[str, Any]:
        selected = tuple(i.name for i in self.session.items if isinstance(i, ContractCheckItem))
        every = _item_names(self.config)
        checks = tuple(dict.fromkeys(_check_of(n) for n in selected))
        return _contract_data(self.config, checks if selected and len(selected) < len(every) else None)

    def setup(self) -> None:
        data = self._data()
        verdict = data.get("verdict")
        family = self.name.split("::", 1)[0] if "::" in self.name else None
        part = next((p for p in data.get("parts") or [] if p.get("operation") == family), None)
        if part is not None:  # a run of "all": this item's family decides whether it could be judged
            verdict = part.get("verdict")
        if verdict in ("error", "incomplete") and not self._violations(data):
            errors = "\n".join((part or data).get("errors") or []) or "the run could not check the implementation"
            what = "did not finish checking" if verdict == "incomplete" else "could not check"
            # pytest.fail in setup reports an ERROR with just this message (no traceback); fail closed.
            pytest.fail(f"dodo-contract {what} {data.get('target') or 'the target'}:\n{errors}", pytrace=False)

    def _violations(self, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [v for v in data.get("violations") or [] if v.get("check") == self.name]

    def runtest(self) -> None:
        from ..reports.report import check_outcomes, format_finding

        data = self._data()
        found = self._violations(data)
        if found:
            try:
                text = "\n\n".join(format_finding(v) for v in found)
            except Exception as exc:  # the findings are redacted already; never let a renderer bug show frames
                text = f"(could not render the findings: {type(exc).__name__})"
            pytest.fail(f"{self.name}: {len(found)} contract violation(s)\n\n{text}", pytrace=False)
        outcome = check_outcomes(data, [self.name])[self.name]
        if outcome["status"] == "not run":
            if _check_of(self.name) not in (data.get("checks") or []):
                pytest.skip(f"{self.name} was not run (the live host gets only the positive subset)")
            pytest.skip(f"{self.name} judged no request in this run (none of the answers was one it judges)")

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "dodo-contract", None, f"dodo-contract::{self.name}"


def _item_names(config: pytest.Config) -> tuple[str, ...]:
    """Return the names of the contract items: the checks of the operation judged (``checkouts::<check>`` and
    ``payments::<check>`` when it is ``all``)."""
    from ..checks.core import checks_for

    families = _run_config(config).families
    if len(families) == 1:
        return checks_for(families[0])
    return tuple(f"{family}::{name}" for family in families for name in checks_for(family))


def _check_of(item: str) -> str:
    return item.rsplit("::", 1)[-1]


class _ContractSuite(pytest.Collector):
    """The virtual collector the check items hang from (node id ``dodo-contract``)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return [ContractCheckItem.from_parent(self, name=name) for name in _item_names(self.config)]


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so `-k auth_required` selects a check
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    suite = _ContractSuite.from_parent(session, name="dodo-contract", nodeid="dodo-contract")
    ours = suite.collect()
    items.extend(item for item in ours if isinstance(item, pytest.Item))
    # Tell the terminal (and anyone counting) about the virtual collector, as a file collector would.
    config.hook.pytest_collectreport(report=pytest.CollectReport(suite.nodeid, "passed", None, ours))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _active(config) or hasattr(config, "workerinput") or _data_key not in config.stash:
        return
    from ..reports.report import format_summary

    terminalreporter.section("dodo-contract")
    data: dict[str, Any] = config.stash[_data_key]
    try:
        text = format_summary(data, report_dir=_run_config(config).report_dir, show_violations=False)
    except Exception as exc:  # never a traceback from here either
        text = f"dodo-contract: could not print the summary ({type(exc).__name__}); see the reports"
    for line in text.splitlines():
        terminalreporter.line(line)


# --- fixtures for users' own tests -------------------------------------------------------------------------


class DodoValidator:
    """Validate payloads against the contract: ``request(payload)``, ``response(...)``, ``error(...)``.

    ``spec_version`` is the version judged by (a version, a ``Contract``, or None for the latest); the fixture
    ``dodo_validator`` passes the session's (``--dodo-spec-version`` / ``--dodo-openapi``).
    """

    def __init__(self, spec_version: SpecVersion = None) -> None:
        self.spec_version = spec_version

    def request(self, payload: Any, *, strict: bool = False) -> ValidationResult:
        """Validate a create-payment request body."""
        from ..validation.validator import validate_request

        return validate_request(payload, strict=strict, spec_version=self.spec_version)

    def response(self, payload: Any, *, strict: bool = False) -> ValidationResult:
        """Validate a 200 response body."""
        from ..validation.validator import validate_response

        return validate_response(payload, strict=strict, spec_version=self.spec_version)

    def error(self, payload: Any) -> ValidationResult:
        """Validate an error body ({code, message})."""
        from ..validation.validator import validate_error

        return validate_error(payload, spec_version=self.spec_version)

    validate_request = request
    validate_response = response
    validate_error = error


@pytest.fixture(scope="session")
def dodo_fixtures(pytestconfig: pytest.Config) -> Fixtures:
    """The catalog the target holds: ``--dodo-fixtures`` if given, else the built-in default catalog."""
    from ..contract.fixtures import default_fixtures, load_fixtures

    settings = _run_config(pytestconfig)
    return load_fixtures(settings.fixtures) if settings.fixtures else default_fixtures()


@pytest.fixture(scope="session")
def dodo_validator(pytestconfig: pytest.Config) -> DodoValidator:
    """An object with ``request``/``response``/``error`` validate methods returning ``ValidationResult``.

    It judges by the session's spec version (``--dodo-spec-version``, ``--dodo-openapi``; default: the latest).
    """
    return DodoValidator(_run_config(pytestconfig).spec())


@pytest.fixture(scope="session")
def dodo_client(pytestconfig: pytest.Config) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` with the target's base URL and ``Authorization: Bearer <key>``; skips without a target."""
    import httpx

    from ..engine._hosts import guard_target

    settings = _run_config(pytestconfig)
    if settings.base_url is None or settings.api_key is None:
        pytest.skip("dodo_client needs a target: pass --dodo-base-url (and --dodo-api-key or DODO_API_KEY)")
    try:  # resolve_config guarded it already; this client sends the key too, so it checks again
        base_url = guard_target(settings.base_url, allow_live=settings.allow_live)
    except ConfigError as exc:
        pytest.fail(f"dodo_client: {exc}", pytrace=False)
    with httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {settings.api_key}", "Content-Type": "application/json"},
        timeout=settings.timeout,
    ) as client:
        yield client
