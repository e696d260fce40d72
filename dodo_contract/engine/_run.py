"""The state machine of one engine run: plan, send with bounded concurrency, judge in plan order, shrink findings.

Requests go out up to ``opts.concurrency`` at a time, in plan order, but answers are judged strictly in plan
order: checks that keep run state (``payment_id_unique``, the new-customer memory of ``request_values_reflected``)
see the same sequence whatever the concurrency. When a stop condition fires at case k, whatever was sent after
k is cancelled or discarded, so ``stats["requests"]``, the request digest and the findings equal a serial run's.
``_shrink.shrink_all`` then shrinks the findings, one request at a time; ``_verdict.decide`` turns the state into a
``ContractRun``.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..checks.core import CheckContext, Observation, fold_server_errors, judges, run_checks
from ..contract.endpoints import FAMILIES
from ..errors import Violation, near_miss_keys
from ._observe import exchange_record, observe
from ._plan import PHASES, Case, Stop, plan_cases
from ._plan_checkouts import unknown_session_id
from ._transport import BudgetExhausted, Raw, Transport, UnsafeRequest
from .outcome import ContractRun, Exchange, Finding

if TYPE_CHECKING:
    from .engine import _Options


_FAST_MS = 10.0  # a target answering faster than this gains nothing from requests in flight


def window_opens(alone: Sequence[float]) -> bool:
    """Return True once the last three answers sent alone each took at least ``_FAST_MS`` (a target far enough)."""
    return len(alone) >= 3 and min(list(alone)[-3:]) >= _FAST_MS


Progress = Callable[..., None]  # (done, total, phase[, violations]): a user's 3-argument callback keeps working


def _takes_a_fourth_argument(callback: Progress | None) -> bool:
    if callback is None:
        return False
    try:
        inspect.signature(callback).bind(0, 0, "", 0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (a builtin): call it as documented, with three
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Got:
    raw: Raw | None  # None: the run's own deadline stopped or cut the request (nothing to judge)
    concurrent: bool  # sent while the window allowed others in flight


class _Run:
    """The mutable state of one run; ``result()`` can be called at any point (e.g. after an interrupt)."""

    def __init__(
        self,
        opts: _Options,
        *,
        progress: Progress | None,
        on_request: Callable[[str, bytes], None] | None,
        schemathesis: bool,
    ) -> None:
        self.opts = opts
        self.progress = progress
        self.progress_counts = _takes_a_fourth_argument(progress)
        self.on_request = on_request
        self.use_schemathesis = schemathesis
        self.started = time.monotonic()
        self.deadline = self.started + opts.time_budget_s
        self.transport = Transport(
            opts.base_url,
            app=opts.app,
            api_key=opts.api_key,
            timeout=opts.timeout,
            rate_limit=opts.rate_limit,
            settings=opts.settings,
            deadline=self.deadline,
            allow_live=opts.allow_live,
            operations=FAMILIES[opts.contract.endpoint.family],
        )
        self.family = opts.contract.endpoint.family
        if self.family == "checkouts":
            self.transport.allow_id(unknown_session_id(opts.seed))
        self.trips: list[Case] = []  # GET /checkouts/{id} of the sessions created, sent after the planned phases
        self.ctx = CheckContext(opts.fixtures, opts.settings, opts.latency_budget_ms, contract=opts.contract)
        self.observations: list[Observation] = []
        self.judged: list[Case] = []  # the case of each observation, same order
        self.findings: dict[tuple[str, str], tuple[Finding, Case | None, Violation]] = {}
        self.errors: list[str] = []
        self.interrupted = False
        self.stopped: str | None = None
        self.halt: str | None = None  # "key" or "path": the canonical requests show the run cannot judge anything
        self.failing = 0
        self.stalls = 0
        self.retries_429 = 0
        self.rate_limited = 0
        self.shrink_requests = 0
        self.confirm_requests = 0
        self.window = opts.concurrency
        self.most_in_flight = 0
        self.reduced: str | None = None
        self.digest = hashlib.sha256()
        self.cases: list[Case] = []
        self.kinds: frozenset[str] = frozenset()
        self.plan_ok = False
        self.plan_complete = True
        self.planned: dict[str, int] = {}
        self.sent: Counter[str] = Counter()
        self.per_rule: Counter[str] = Counter()
        self.per_check: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.rules: tuple[str, ...] = ()
        self.total: int | None = None
        self.extra_stats: dict[str, Any] = {}
        self._control_checked = False
        self._confirming = True  # until a confirmation shows the server is slow on its own
        self._alone: deque[float] = deque(maxlen=3)  # latencies of the last answers sent alone
        self._opened = False  # the window opens once answers sent alone show the target is not instant

    # --- planning ------------------------------------------------------------------------------------------

    def plan(self, *, stop: Stop) -> None:
        """Plan every case from the seed (synchronously, before the event loop starts), within the time budget.

        ``stop()`` may raise ``KeyboardInterrupt``; a planner crash is recorded as an error (never a pass).
        """
        from ..checks.core import APPLIES_TO

        checks = self.opts.checks
        # A phase is sent when a selected check that judges only some kinds judges it (-k auth_required sends
        # the auth probe and one canonical control); checks that judge every kind ride along, and alone get all.
        every = frozenset(PHASES)
        specific = [APPLIES_TO[name] for name in checks if not every <= APPLIES_TO[name]]
        self.kinds = frozenset().union(*specific) if specific else every | {"fuzz"}
        self.rules = (
            self.opts.contract.known_rules("request")
            if not self.opts.live and "invalid_request_rejected" in checks
            else ()
        )

        def halt() -> bool:
            return stop() or time.monotonic() >= self.deadline

        try:
            plan = plan_cases(
                self.opts.fixtures,
                seed=self.opts.seed,
                max_examples=self.opts.max_examples,
                per_rule=max(2, self.opts.max_examples // 25),
                rules=None if "invalid" in self.kinds else (),
                live=self.opts.live,
                kinds=self.kinds,
                stop=halt,
                contract=self.opts.contract,
                tax_ids_validated=self.opts.settings.tax_ids_validated,
                codes_validated=self.opts.settings.discount_codes_validated,
            )
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a generator bug must not pass silently as "no violations"
            self.errors.append(self._redact(f"could not plan the requests: {type(exc).__name__}: {exc}"))
            return
        self.plan_ok = True
        self.plan_complete = plan.complete
        near = near_miss_keys(self.opts.api_key)
        # A key without letters has no case to flip: that probe would send the real key.
        plan = plan.without(lambda case: case.auth.startswith("near_") and case.auth not in near)
        self.planned = {name: len(cases) for name, cases in plan.phases()}
        self.rules += tuple(dict.fromkeys(case.rule for case in plan.business))  # business rules count as covered
        if plan.notes:
            self.ctx.notes.setdefault("pricing", []).extend(plan.notes)
        self.cases = [case for _name, cases in plan.phases() for case in cases]
        self.total = len(self.cases)

    # --- sending -------------------------------------------------------------------------------------------

    async def main(self) -> None:
        async with self.transport:
            try:
                await self._send_all(self.cases)
                self._check_control()
                if self.trips and not self.stopped and not self.halt:
                    trips, self.trips = self.trips, []
                    self.total = (self.total or 0) + len(trips)
                    self.planned["roundtrip"] = self.planned.get("roundtrip", 0) + len(trips)
                    await self._send_all(trips)
            except UnsafeRequest as exc:  # a bug of ours: never sent, and the run is not a pass
                self.errors.append(self._redact(f"dodo-contract refused its own request: {exc}"))
                self.stopped = self.stopped or "a request outside the contract was refused before it was sent"
                return
            if self.use_schemathesis and not self.stopped and self.kinds & {"fuzz", "invalid"}:
                from ._schemathesis import run_schemathesis_phase

                await run_schemathesis_phase(self)
            if not self.halt:
                from ._shrink import shrink_all

                await shrink_all(self)

    async def _send_all(self, cases: Sequence[Case]) -> None:
        """Send ``cases`` with up to ``self.window`` in flight; judge each answer in order; stop when told to."""
        queue = deque(cases)
        flight: deque[tuple[Case, asyncio.Task[_Got]]] = deque()
        try:
            while not self.stopped and (queue or flight):
                window = self._open()
                while queue and len(flight) < window:
                    case = queue.popleft()
                    if self.on_request is not None:
                        self.on_request(case.kind, case.body)
                    flight.append((case, asyncio.ensure_future(self._attempt(case, concurrent=window > 1))))
                self.most_in_flight = max(self.most_in_flight, len(flight))
                case, task = flight.popleft()
                got = await self._head(task, flight)
                if got is not None and not got.concurrent and got.raw is not None and got.raw.elapsed_ms is not None:
                    self._alone.append(got.raw.elapsed_ms)
                if got is None or (got.concurrent and self._confirming and self._doubtful(got.raw)):
                    await self._go_serial(flight, queue)
                    got = await self._confirm(case)
                self._judge(case, got.raw)
        except (asyncio.CancelledError, KeyboardInterrupt):
            self._salvage(flight)  # an interrupt: keep every answer that did arrive
            raise
        finally:
            for _case, task in flight:
                task.cancel()
            await asyncio.gather(*(task for _case, task in flight), return_exceptions=True)

    def _open(self) -> int:
        """Return how many requests may be in flight now: 1 until three answers sent alone took over 10 ms each.

        Against a target that answers within a few milliseconds (the in-process app, a loopback server in this
        very process) requests in flight only add overhead; a target further away gets the whole window.
        """
        if self.window > 1 and not self._opened:
            self._opened = window_opens(self._alone)
        return self.window if self._opened else 1

    async def _head(self, task: asyncio.Task[_Got], flight: deque[tuple[Case, asyncio.Task[_Got]]]) -> _Got | None:
        """Wait for the oldest request; None when it is over the latency budget while others are in flight.

        Waiting longer would only measure the queue of a server that serialises requests (or keeps an idle
        keep-alive connection served while others wait): the request is cancelled and sent again alone.
        """
        if not (flight and self._confirming):
            return await task
        done, _pending = await asyncio.wait({task}, timeout=self.opts.latency_budget_ms / 1000)
        if done:
            return task.result()
        task.cancel()  # it may be queued behind the others on a server that serialises: measure it alone
        await asyncio.gather(task, return_exceptions=True)
        return None

    async def _go_serial(self, flight: deque[tuple[Case, asyncio.Task[_Got]]], queue: deque[Case]) -> None:
        """Go on one request at a time: keep the answers already in (a prefix, in plan order), send the rest later."""
        if self.window > 1:
            self.reduced = (
                f"an answer was slow or missing with up to {self.window} requests in flight: it was sent "
                "again alone, and the run went on one request at a time"
            )
            self.window = 1
        done = 0
        while done < len(flight) and flight[done][1].done():
            done += 1
        rest = [flight.pop() for _ in range(len(flight) - done)][::-1]
        for _case, task in rest:
            task.cancel()
        await asyncio.gather(*(task for _case, task in rest), return_exceptions=True)
        queue.extendleft(case for case, _task in reversed(rest))

    def _salvage(self, flight: deque[tuple[Case, asyncio.Task[_Got]]]) -> None:
        """Judge, in plan order, the answers already in when the run is interrupted (the run is partial anyway)."""
        for case, task in flight:
            if self.stopped:
                return
            if task.done() and not task.cancelled() and task.exception() is None:
                self._judge(case, task.result().raw)

    async def _attempt(self, case: Case, *, concurrent: bool) -> _Got:
        try:
            raw = await self.transport.send(case.body, auth=case.auth, operation=case.operation, path_id=case.path_id)
            return _Got(raw, concurrent)
        except BudgetExhausted:
            return _Got(None, concurrent)

    def _doubtful(self, raw: Raw | None) -> bool:
        """True for an answer that may be slow only because others were in flight (a server that serialises)."""
        if raw is None:
            return False
        return raw.status is None or (raw.elapsed_ms or 0.0) > self.opts.latency_budget_ms

    async def _confirm(self, case: Case) -> _Got:
        """Send ``case`` again alone (nothing else in flight): its answer, not the one queued behind others, counts.

        A first try may still queue behind the burst (a server's accept backlog, connections it keeps open), so a
        doubtful one is tried once more. If that one is doubtful too, the server is slow by itself: the answer is
        judged as it is, and no other answer is confirmed.
        """
        got = _Got(None, False)
        for _try in range(2):
            await self.transport.reset_connections()
            self.confirm_requests += 1
            if self.on_request is not None:
                self.on_request(case.kind, case.body)
            got = await self._attempt(case, concurrent=False)
            if not self._doubtful(got.raw):
                return got
            # Slow alone too, probably: do not wait the full timeout again.
            self.transport.timeout = min(self.transport.timeout, max(1.0, 2 * self.opts.latency_budget_ms / 1000))
        self._confirming = False
        return got

    def _judge(self, case: Case, raw: Raw | None) -> None:
        if case.kind not in ("auth", "canonical"):
            self._check_control()
            if self.halt:
                return
        if raw is None:
            self.stopped = self.stopped or "time budget"
            return
        self.retries_429 += raw.retries_429
        if raw.status == 429:
            self.rate_limited += 1
            if self.rate_limited == 1:
                self.errors.append(
                    "the target kept answering 429 Too Many Requests after the retries "
                    "Retry-After allowed; lower rate_limit"
                )
            if self.rate_limited >= 3:
                self.stopped = "rate limited"
            return
        obs = observe(case, raw, secrets=[self.opts.api_key])
        if case.operation != "payments" and case.role != "created":  # a created id is the server's, not the plan's
            self.digest.update(f"{case.operation} {case.path_id}\n".encode())
        if case.role != "created":
            self.digest.update(len(case.body).to_bytes(8, "big") + case.body)
        self.observations.append(obs)
        self.judged.append(case)
        self.sent[case.kind] += 1
        if case.kind in ("invalid", "business"):
            self.per_rule[case.rule] += 1
        for name in self.opts.checks:
            if judges(name, obs, self.ctx):
                self.per_check[name] += 1
        settings = self.opts.settings
        if case.kind == "valid" and obs.status == settings.business_status and isinstance(obs.body, dict):
            code = obs.body.get("code")
            if isinstance(code, str) and code in settings.business_codes:
                self.refusals[code] += 1
        found = self._checks(obs)
        for check, violation in found:
            key = (check, violation.rule)
            if key not in self.findings:
                self.findings[key] = (self._finding(check, violation, case, obs, raw), case, violation)
        self._account(obs, bool(found))
        self._plan_trip(case, obs)
        if self.progress is not None:
            if self.progress_counts:  # the live violation count, for callbacks that take it (the gate's bar)
                self.progress(len(self.observations), self.total, case.kind, len(self.findings))
            else:
                self.progress(len(self.observations), self.total, case.kind)
        if case.kind == "canonical" and self.sent["canonical"] >= self.planned.get("canonical", 0):
            self._check_control()

    def _plan_trip(self, case: Case, obs: Observation) -> None:
        """Plan ``GET /checkouts/{id}`` of a session a create answered (the id is the server's, so it comes now)."""
        body = obs.body
        if not case.trip or obs.status != 200 or not isinstance(body, dict):
            return
        session = body.get("session_id")
        if not isinstance(session, str) or session.strip(".") == "":
            return  # not an id to fetch: session_shape's finding
        self.transport.allow_id(session)
        label = f"GET the session of {case.label}"
        trip = Case("roundtrip", b"", case.payload, label, rule="round_trip.id_resolves", operation="checkouts.get",
                    path_id=session, role="created")  # fmt: skip
        self.trips.append(trip)

    def _checks(self, obs: Observation, ctx: CheckContext | None = None) -> list[tuple[str, Violation]]:
        found = run_checks(obs, ctx or self.ctx, self.opts.checks)
        return fold_server_errors(found) if obs.status is not None and obs.status >= 500 else found

    def _check_control(self) -> None:
        """After the canonical phase: if every answer was 401 (key refused) or 404 (wrong base URL), stop."""
        if self._control_checked:
            return
        self._control_checked = True
        answered = [o for o in self.observations if o.kind == "canonical" and o.status is not None]
        if not answered:
            return
        if all(o.status == self.opts.settings.auth_status for o in answered):
            self.halt, self.stopped = "key", "the API key was refused"
        elif all(o.status == 404 for o in answered):
            self.halt, self.stopped = "path", "every canonical request got 404"

    def _account(self, obs: Observation, failed: bool) -> None:
        self.failing += failed
        slow = obs.elapsed_ms is not None and obs.elapsed_ms > self.opts.latency_budget_ms
        if obs.status is None or slow:
            self.stalls += 1
            # The first stall is the evidence; waiting the full timeout on the next ones only delays the verdict.
            self.transport.timeout = min(self.transport.timeout, max(1.0, 2 * self.opts.latency_budget_ms / 1000))
        if self.failing >= self.opts.max_failures:
            self.stopped = self.stopped or f"max_failures ({self.opts.max_failures}) reached"
        elif self.stalls >= self.opts.settings.stall_limit:
            self.stopped = self.stopped or f"{self.stalls} requests timed out, failed or exceeded the latency budget"

    def _finding(self, check: str, violation: Violation, case: Case, obs: Observation, raw: Raw | None) -> Finding:
        return Finding(
            check,
            violation,
            self._exchange_record(case, obs, raw),
            self.transport.curl(case.body, case.auth, operation=case.operation, path_id=case.path_id),
            case.label,
            self.family,
        )

    def _exchange_record(self, case: Case, obs: Observation, raw: Raw | None) -> Exchange:
        return exchange_record(case, obs, raw, transport=self.transport, api_key=self.opts.api_key)

    def _redact(self, text: str) -> str:
        return self.transport.redact(text)

    # --- verdict -------------------------------------------------------------------------------------------

    def result(self) -> ContractRun:
        from ._verdict import decide

        return decide(self)

    def phases_sent(self) -> dict[str, int]:
        """Return requests judged per phase, in sending order (planned phases, and any that sent something)."""
        return {k: self.sent[k] for k in PHASES if k in self.planned or self.sent[k]}
