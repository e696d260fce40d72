"""The pre-deploy gate: judge an implementation (or the embedded reference mock), write reports, exit 0/1/2.

``run_gate`` is the library function both front ends call (the ``dodo-contract gate`` command and the pytest
plugin), so they cannot disagree. It fails closed: anything that stops the run from judging the implementation
(unreachable host, the key refused, every answer 404, no 200 seen, an interrupt or SIGTERM, an internal error)
gives verdict ``error``, a run cut short gives ``incomplete``; both exit 2. ``replay`` fails closed the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import secrets
import shlex
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from ..contract.endpoints import ENDPOINTS, FAMILIES
from ..contract.versions import Contract, get_contract
from ..engine.outcome import ContractRun
from ..errors import REDACTED, ConfigError, DodoContractError, Secret, Violation, escape_surrogates, redact
from ..reports._terminal import exit_line, print_summary, progress_bar
from ..reports.report import clear_reports, load_report, report_data, write_reports
from ._hypothesis_storage import hypothesis_storage_outside_cwd
from .config import API_KEY_ENV, RunConfig, resolve_config

if TYPE_CHECKING:
    from ..engine._transport import AuthMode

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_VIOLATIONS",
    "exit_code",
    "run_gate",
    "run_gate_command",
    "run_replay_command",
]

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
Progress = Callable[[int, "int | None", str], None]
MOCK_TARGET = "embedded reference mock"


def exit_code(run: ContractRun) -> int:
    """Return 0 when the contract is honoured, 1 for violations, 2 when the run could not check all it planned.

    ``error`` (could not check) and ``incomplete`` (cut short without a violation) are both 2: fail closed.
    """
    if run.verdict == "passed" and not run.interrupted:
        return EXIT_OK
    if run.verdict == "failed" and not run.interrupted:
        return EXIT_VIOLATIONS
    return EXIT_ERROR


def _error_run(
    config: RunConfig, target: str, seed: int | None, message: str, *, interrupted: bool = False
) -> ContractRun:
    try:
        contract = config.spec()
        spec: dict[str, Any] = {"spec_version": contract.version, "spec": contract.to_dict()}
    except DodoContractError:
        spec = {}
    return ContractRun(
        verdict="error",
        errors=(escape_surrogates(redact(message, config.secrets)),),
        seed=seed,
        target=target,
        interrupted=interrupted,
        **spec,
    )


def _saw_a_200(stats: Mapping[str, Any]) -> bool | None:
    counts = stats.get("status_counts")
    if not isinstance(counts, Mapping) or not counts:
        return None
    return any(str(k) == "200" and v for k, v in counts.items())


def _fail_closed(run: ContractRun) -> ContractRun:
    """Downgrade a "passed" run that never saw a 200 (or sent nothing) to "error": nothing was really judged."""
    if run.verdict != "passed":
        return run
    if run.interrupted:
        return dataclasses.replace(run, verdict="error", errors=(*run.errors, "the run was interrupted"))
    if _saw_a_200(run.stats) is False or run.stats.get("requests") == 0:
        reason = "no request was answered with 200, so nothing was judged"
        return dataclasses.replace(run, verdict="error", errors=(*run.errors, reason))
    return run


def run_gate(
    config: RunConfig, *, progress: Progress | None = None, checks: Iterable[str] | None = None
) -> ContractRun:
    """Judge ``config.base_url``, or the embedded reference mock when it is None; return the run.

    Problems met while running (unreachable host, bad fixtures, an interrupt, an internal error) come back as a
    run with verdict ``error`` and a message, never as an exception, so every front end can still write reports.
    A run interrupted by Ctrl-C has ``interrupted=True``. ``checks`` restricts the checks (and so the phases
    planned and sent), as the pytest plugin does for ``-k``. The run is judged by ``config.spec()`` (the chosen
    version or document, else the latest), and the embedded mock serves that same version.
    """
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    target = config.base_url or MOCK_TARGET
    try:
        from ..contract.fixtures import default_fixtures, load_fixtures
        from ..engine.engine import check_implementation

        fixtures = load_fixtures(config.fixtures) if config.fixtures else default_fixtures()
        contract = config.spec()
        options: dict[str, Any] = {
            "spec_version": contract if config.spec_chosen else None,  # None: the default, which may give a hint
            "fixtures": fixtures,
            "seed": seed,
            "timeout": config.timeout,
            "rate_limit": config.rate_limit,
            "latency_budget_ms": config.latency_budget_ms,
            "time_budget_s": config.time_budget_s,
            "allow_live": config.allow_live,
            "schemathesis": config.schemathesis,
            "concurrency": config.concurrency,
            "checks": None if checks is None else tuple(checks),
            "progress": progress,
            "operation": config.operation,
        }
        if config.contract is not None:
            options["settings"] = config.contract
        if config.max_examples is not None:
            options["max_examples"] = config.max_examples
        if config.base_url is not None:
            assert config.api_key is not None  # resolve_config insists on a key for a real target
            run = check_implementation(config.base_url, api_key=config.api_key, **options)
        else:
            from ..mock.app import serve_mock

            key = Secret("sk_test_mock_" + secrets.token_hex(16))
            mock_spec = config.spec("payments")  # the mock serves every operation of that version
            with serve_mock(fixtures=fixtures, api_key=key, seed=seed, spec_version=mock_spec) as server:
                target = f"{MOCK_TARGET} at {server.url}"
                run = check_implementation(server.url, api_key=key, **options)
                run = dataclasses.replace(run, errors=tuple(redact(e, [key]) for e in run.errors), target=target)
    except KeyboardInterrupt:
        return _error_run(config, target, seed, "interrupted (Ctrl-C) before the run finished", interrupted=True)
    except DodoContractError as exc:
        return _error_run(config, target, seed, f"could not check: {exc}")
    except Exception as exc:  # fail closed: an internal error must never look like a pass
        return _error_run(config, target, seed, f"internal error in dodo-contract: {type(exc).__name__}: {exc}")
    if run.seed is None:
        run = dataclasses.replace(run, seed=seed)
    return _fail_closed(run)


def _flags(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    flags = {name: getattr(args, name, None) for name in names}
    for switch in ("allow_live", "schemathesis"):
        if switch in flags:
            flags[switch] = True if flags[switch] else None  # an absent switch must not hide env/pyproject
    return flags


_GATE_FLAGS = (
    "base_url",
    "api_key",
    "fixtures",
    "max_examples",
    "seed",
    "report_dir",
    "timeout",
    "rate_limit",
    "allow_live",
    "schemathesis",
    "concurrency",
    "spec_version",
    "openapi",
    "operation",
)


@contextmanager
def _sigterm_as_sigint() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while the gate runs: the run stops, reports are written, marked interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # Re-raising it as SIGINT lets whichever SIGINT handler is in force (Python's, asyncio's, the planner's) act.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _candidate_keys(args: argparse.Namespace) -> list[str]:
    """Every value that may be the key before the options are resolved (a bad option's message may quote it)."""
    import os

    values = [getattr(args, "api_key", None), *(os.environ.get(name) for name in API_KEY_ENV)]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def run_gate_command(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """Run ``dodo-contract gate``: resolve options, judge, write the four reports, print a summary.

    Whatever goes wrong ends in one redacted line on stderr and exit 2, never a traceback.
    """
    try:
        config = resolve_config(_flags(args, _GATE_FLAGS))
    except ConfigError as exc:
        print(redact(f"dodo-contract gate: {exc}", _candidate_keys(args)), file=err)
        return EXIT_ERROR
    try:
        return _gate(config, out=out, err=err)
    except Exception as exc:  # fail closed: a bug in writing or printing must not print frames or the key
        message = f"dodo-contract gate: internal error in dodo-contract: {type(exc).__name__}: {exc}"
        print(escape_surrogates(redact(message, config.secrets)), file=err)
        return EXIT_ERROR


def _gate(config: RunConfig, *, out: TextIO, err: TextIO) -> int:
    keys = config.secrets
    try:
        clear_reports(config.report_dir)  # an earlier run's PASSED must never pass for this run's
    except ConfigError as exc:
        print(redact(f"dodo-contract gate: {exc}", keys), file=err)
        return EXIT_ERROR
    if config.base_url is None:
        print("dodo-contract gate: no --base-url, gating the embedded reference mock", file=out)
    bar = progress_bar(out)
    try:
        with hypothesis_storage_outside_cwd(), _sigterm_as_sigint():
            run = run_gate(config, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    try:
        write_reports(run, config.report_dir, secrets=keys)
    except ConfigError as exc:
        print(redact(f"dodo-contract gate: {exc}", keys), file=err)
        return EXIT_ERROR
    data = report_data(run, secrets=keys)
    print_summary(data, out, report_dir=config.report_dir, secrets=keys)
    code = exit_code(run)
    if code == EXIT_ERROR:
        print(redact(exit_line(data), keys), file=err)
    return code


# --- replay -------------------------------------------------------------------------------------------------


def _curl_body(curl: str) -> bytes | None:
    """Return the exact body a recorded curl reproducer sends (inline or base64-piped), or None."""
    try:
        tokens = shlex.split(curl)
    except ValueError:
        return None
    if "--data-binary" not in tokens or tokens.index("--data-binary") + 1 >= len(tokens):
        return None
    value = tokens[tokens.index("--data-binary") + 1]
    if value != "@-":
        return value.encode("utf-8")
    if tokens[:2] == ["printf", "%s"] and len(tokens) > 2:
        try:
            return base64.b64decode(tokens[2], validate=True)
        except ValueError:
            return None
    return None


def _body_bytes(finding: Mapping[str, Any]) -> bytes:
    # The reproducer holds the exact bytes; the recorded body is a JSON value, or text when it was not JSON.
    exact = _curl_body(str(finding.get("curl") or ""))
    if exact is not None:
        return exact
    body = (finding.get("request") or {}).get("body")
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _auth_mode(headers: Mapping[str, Any]) -> AuthMode:
    value = next((str(v) for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None:
        return "missing"
    from ..engine._transport import near_miss_placeholder
    from ..errors import NEAR_MISS_LABELS

    for mode in NEAR_MISS_LABELS:
        if near_miss_placeholder(mode) in value:
            return mode  # type: ignore[return-value]
    return "key" if REDACTED in value else "wrong"


def _replay_one(
    finding: Mapping[str, Any], config: RunConfig, base_url: str, contract: Contract
) -> tuple[str, list[Violation] | str]:
    """Re-send one recorded request and re-run its check; return (what came back, violations or why unjudged)."""
    from ..checks.core import APPLIES_TO, CHECKS, PAIR_RULES, RUN_CHECKS, CheckContext, Kind
    from ..contract.fixtures import default_fixtures, load_fixtures
    from ..contract.settings import ContractSettings
    from ..engine._plan import Case
    from ..engine._transport import Transport
    from ..engine.engine import observe

    check = str(finding.get("check")).rsplit("::", 1)[-1]  # a run of "all" names them checkouts::<check>
    if check not in CHECKS:
        return "not sent", f"{check!r} is not a check of this version of dodo-contract"
    if check == "payment_id_unique" or finding.get("rule") in RUN_CHECKS:
        return "not sent", "not replayable on its own (it judges the whole run); run the gate again"
    if finding.get("rule") in PAIR_RULES:
        return "not sent", "not replayable on its own (it judges a pair of requests together); run the gate again"
    request = finding.get("request")
    if not isinstance(request, Mapping):
        return "not sent", "the report does not record the request"
    operation = _recorded_operation(request)
    if operation is None:
        return "not sent", "not replayable on its own (a GET of a session the run created); run the gate again"
    family = operation.split(".", 1)[0]
    contract = get_contract(contract, operation=family)
    headers = request.get("headers")
    body = _body_bytes(finding)
    mode = _auth_mode(headers if isinstance(headers, Mapping) else {})
    assert config.api_key is not None
    settings = (config.contract or ContractSettings()).for_contract(contract)

    async def send() -> Any:
        async with Transport(
            base_url,
            api_key=config.api_key or "",
            timeout=config.timeout,
            allow_live=config.allow_live,
            operations=FAMILIES[family],
        ) as transport:
            return await transport.send(body, auth=mode, operation=operation)

    raw = asyncio.run(send())
    answer = f"HTTP {raw.status}" if raw.status is not None else f"no answer ({raw.error})"
    if raw.status is None:
        return answer, f"no answer from {base_url}: {raw.error}"
    if raw.status == 429:
        return answer, "the target answered 429 Too Many Requests (after the retries Retry-After allowed)"
    if mode == "key" and raw.status == settings.auth_status:
        return answer, f"the API key was refused by {base_url} (HTTP {raw.status})"
    kinds = sorted(APPLIES_TO[check])
    # Checks that judge every kind of request judge them alike; "valid" stands for them.
    kind: Kind = kinds[0] if len(kinds) == 1 else "valid"
    try:
        sent = json.loads(body)
    except ValueError:
        sent = None
    case = Case(
        kind,
        body,
        sent,
        str(finding.get("label") or ""),
        rule=str(finding.get("rule") or ""),
        pointer=str(finding.get("pointer") or ""),
        operation=operation,
    )
    obs = observe(case, raw, secrets=[config.api_key])
    fixtures = load_fixtures(config.fixtures) if config.fixtures else default_fixtures()
    context = CheckContext(
        fixtures=fixtures, settings=settings, latency_budget_ms=config.latency_budget_ms, contract=contract
    )
    return answer, CHECKS[check](obs, context)


def _recorded_operation(request: Mapping[str, Any]) -> str | None:
    """Return the documented operation a recorded request was sent to (None: a GET, which needs its run)."""
    from urllib.parse import urlsplit

    method = str(request.get("method") or "POST").upper()
    path = urlsplit(str(request.get("url") or "")).path.rstrip("/")
    if method == "GET":
        return None
    for name in ("checkouts.preview", "checkouts", "payments"):
        if path.endswith(ENDPOINTS[name].path):
            return name
    return "payments"  # a report of an older version records no other


def run_replay_command(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """Run ``dodo-contract replay REPORT [--case N]``: re-send recorded failing cases and re-judge them.

    Exit 1 when a replayed case still breaks its check, 0 when every case was judged and none does, 2 when any
    case could not be judged (no answer, timeout, the key refused, not replayable) or nothing was replayed. The key
    goes only to ``--base-url``, or to the report's target if it passes the same live-host guard as the gate.
    """
    try:
        data = load_report(args.report)
        flags = _flags(args, ("base_url", "api_key", "fixtures", "timeout", "allow_live", "spec_version", "openapi"))
        target = str(data.get("target") or "").strip()
        if not flags["base_url"]:
            if not target.startswith(("http://", "https://")):
                raise ConfigError(
                    f"the report's target ({target or 'unknown'}) is not reachable any more; pass --base-url"
                )
            flags["base_url"] = target
        config = resolve_config(flags)  # the live-host guard judges the report's target like any --base-url
        contract = _replay_contract(data, config)
    except ConfigError as exc:
        print(redact(f"dodo-contract replay: {exc}", _candidate_keys(args)), file=err)
        return EXIT_ERROR
    try:
        return _replay(args, data, config, contract, out=out, err=err)
    except Exception as exc:  # fail closed, one redacted line
        message = f"dodo-contract replay: internal error in dodo-contract: {type(exc).__name__}: {exc}"
        print(escape_surrogates(redact(message, config.secrets)), file=err)
        return EXIT_ERROR


def _replay_contract(data: Mapping[str, Any], config: RunConfig) -> Contract:
    """Return the contract to re-judge by: the one chosen now, else the version the report was judged by."""
    if config.spec_chosen:
        return config.spec()
    spec = data.get("spec") if isinstance(data.get("spec"), Mapping) else {}
    if spec and spec.get("bundled") is False:
        raise ConfigError(
            f"the report was judged by a loaded OpenAPI document ({(spec.get('source') or {}).get('file')}); "
            "pass it again with --openapi FILE"
        )
    version = data.get("spec_version")
    return get_contract(str(version)) if isinstance(version, str) and version else get_contract()


def _replay(
    args: argparse.Namespace,
    data: Mapping[str, Any],
    config: RunConfig,
    contract: Contract,
    *,
    out: TextIO,
    err: TextIO,
) -> int:
    findings = list(data["violations"])
    if args.case is not None:
        if not 0 <= args.case < len(findings):
            print(
                f"dodo-contract replay: --case {args.case} is out of range: the report has {len(findings)} "
                "violation(s), numbered from 0",
                file=err,
            )
            return EXIT_ERROR
        findings = [findings[args.case]]
    if not findings:
        if data.get("verdict") == "passed":
            print("dodo-contract replay: the report has no violations to replay", file=out)
            return EXIT_OK
        print(
            f"dodo-contract replay: the report has no violations, and its run did not pass "
            f"(verdict {str(data.get('verdict'))!r}): nothing can be replayed; run the gate again",
            file=err,
        )
        return EXIT_ERROR
    assert config.base_url is not None
    keys = config.secrets
    still = unjudged = 0
    for index, finding in enumerate(findings):
        if not isinstance(finding, Mapping):
            unjudged += 1
            out.write(f"#{index} not a violation record\n")
            continue
        number = finding.get("index", index if args.case is None else args.case)
        head = f"#{number} [{finding.get('check')}] {finding.get('pointer') or '(root)'}: {finding.get('message')}"
        try:
            answer, outcome = _replay_one(finding, config, config.base_url, contract)
        except DodoContractError as exc:
            print(escape_surrogates(redact(f"dodo-contract replay: {exc}", keys)), file=err)
            return EXIT_ERROR
        if isinstance(outcome, str):
            unjudged += 1
            out.write(escape_surrogates(redact(f"{head}\n  COULD NOT JUDGE ({answer}): {outcome}\n", keys)))
            if "API key was refused" in outcome:
                break  # every other case would be refused too
        elif outcome:
            still += 1
            lines = "\n".join(f"    {v}  <{v.rule}>" for v in outcome)
            out.write(escape_surrogates(redact(f"{head}\n  STILL VIOLATES ({answer}):\n{lines}\n", keys)))
        else:
            out.write(escape_surrogates(redact(f"{head}\n  no longer reproduces ({answer})\n", keys)))
    if unjudged:
        print(
            f"dodo-contract replay: {unjudged} case(s) could not be judged; failing closed "
            f"({still} still violate{'s' if still == 1 else ''})",
            file=err,
        )
        return EXIT_ERROR
    return EXIT_VIOLATIONS if still else EXIT_OK
