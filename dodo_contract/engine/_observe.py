"""Turn one answer into what the checks read (``observe``) and what the report records (``exchange_record``).

Both redact the API key: the checks never see it in a body, and a report's exchange never shows it (the
Authorization header is a placeholder, a non-JSON answer is redacted whole before it is cut).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..checks.core import NOT_JSON, Observation
from ..errors import REDACTED
from ..validation.validator import parse_answer
from ._case import Case
from ._transport import Raw, Transport, UnsafeRequest, near_miss_placeholder, redact_json
from .outcome import Exchange

__all__ = ["exchange_record", "observe"]

_MAX_TEXT = 4096


def observe(case: Case, raw: Raw, *, secrets: Iterable[str]) -> Observation:
    """Turn the answer to one case into what the checks read: the JSON body parsed, the secrets redacted."""
    body: Any = NOT_JSON
    defects: tuple[tuple[str, str], ...] = ()
    if raw.status is not None and raw.content and not raw.truncated:
        try:
            value, defects = parse_answer(raw.content)  # strict: a BOM, trailing bytes, duplicate keys noted
            body = redact_json(value, list(secrets))
        except ValueError:
            body = NOT_JSON
    return Observation(
        kind=case.kind,
        request=case.payload,
        status=raw.status,
        headers=raw.headers,
        body=body,
        elapsed_ms=raw.elapsed_ms,
        error=raw.error,
        error_kind=raw.error_kind,
        rule=case.rule,
        pointer=case.pointer,
        label=case.label,
        received_at=raw.received_at,
        reason=case.reason,
        truncated=raw.truncated,
        json_defects=defects,
        pair=case.pair,
        role=case.role,
        operation=case.operation,
        session=case.path_id,
    )


def exchange_record(case: Case, obs: Observation, raw: Raw | None, *, transport: Transport, api_key: str) -> Exchange:
    """Return the report's record of one exchange: the key redacted from the headers, the bodies and the text."""
    headers = transport.headers(case.auth)
    if case.auth == "key":
        headers["Authorization"] = f"Bearer {REDACTED}"
    elif case.auth.startswith("near_"):
        headers["Authorization"] = f"Bearer {near_miss_placeholder(case.auth)}"
    request_body = case.payload if case.payload is not None else case.body.decode("utf-8", "replace")
    endpoint = transport.operations.get(case.operation)
    method = endpoint.method if endpoint is not None else "POST"
    if method == "GET":
        headers = {k: v for k, v in headers.items() if k != "Content-Type"}
        request_body = None
    try:
        url = transport.url_for(case.operation, case.path_id)
    except UnsafeRequest:
        url = transport.url
    response_body: Any = obs.body
    if obs.body is NOT_JSON:
        content = raw.content if raw is not None else b""
        # Redact the whole text first, then cut it: a cut first could keep most of an echoed key.
        text = transport.redact(content.decode("utf-8", "replace"))[:_MAX_TEXT]
        response_body = text if content else None
    return Exchange(
        method=method,
        url=url,
        request_headers=headers,
        request_body=redact_json(request_body, [api_key]),
        status=obs.status,
        response_headers=dict(obs.headers),
        response_body=response_body,
        elapsed_ms=None if obs.elapsed_ms is None else round(obs.elapsed_ms, 2),
        error=obs.error,
    )
