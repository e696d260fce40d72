"""Render a report dict as one self-contained HTML page (inline CSS and an SVG chart, no scripts)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from ._summary import _stat_line, _verdict_line, check_outcomes, empty_body, not_run_reason, plural

_CSS = """body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:72em;
padding:0 1em;color:#1b1f24}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
.v{padding:.6em 1em;border-radius:6px;font-weight:600}.passed{background:#dafbe1}.failed{background:#ffebe9}
.error,.incomplete{background:#fff8c5}table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.3em .6em;
text-align:left;vertical-align:top}td.n{text-align:right}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;
white-space:pre-wrap;word-break:break-all}details{margin:.4em 0;border:1px solid #d0d7de;border-radius:6px;
padding:.4em .8em}summary{cursor:pointer}code{background:#f6f8fa;padding:0 .2em}
.st-failed{color:#cf222e;font-weight:600}
.st-passed{color:#1a7f37}.st-error{color:#9a6700;font-weight:600}.st-not-run{color:#57606a}"""
_BAR_COLOURS = {"passed": "#2da44e", "failed": "#cf222e", "error": "#bf8700"}
_OTHER_BAR = "#afb8c1"  # "not run", and any status this version does not know


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _chart(outcomes: Mapping[str, Mapping[str, Any]]) -> str:
    """Return an inline SVG horizontal bar chart of cases per check (red bars for failed checks)."""
    rows = list(outcomes.items())
    if not rows:
        return "<p>No checks ran.</p>"
    top = max((o["cases"] for _, o in rows), default=0) or 1
    label_w, bar_w, row_h = 230, 420, 20
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="cases per check" '
        f'width="{label_w + bar_w + 70}" height="{height}" font-size="12" font-family="monospace">'
    ]
    for i, (name, o) in enumerate(rows):
        y = 5 + i * row_h
        width = max(1, round(bar_w * o["cases"] / top)) if o["cases"] else 0
        color = _BAR_COLOURS.get(str(o["status"]), _OTHER_BAR)
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{_e(name)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{width}" height="{row_h - 6}" fill="{color}">'
            f"<title>{_e(name)}: {plural(o['cases'], 'case')}, {_e(o['status'])}</title></rect>"
        )
        parts.append(f'<text x="{label_w + width + 6}" y="{y + 13}">{o["cases"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _pre(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<pre>{_e(text)}</pre>"


def render_html(data: Mapping[str, Any]) -> str:
    """Render a self-contained HTML report (inline CSS and SVG, no scripts, no external resources)."""
    verdict = str(data.get("verdict"))
    outcomes = data.get("check_outcomes") or check_outcomes(data)
    body = [f'<h1>dodo-contract report</h1><p class="v {_e(verdict)}">{_e(_verdict_line(data))}</p><ul>']
    body += [f"<li>{_e(line)}</li>" for line in _stat_line(data, " · ")]
    body.append(
        f"<li>generated {_e(data.get('generated_at', ''))} · dodo-contract {_e(data.get('tool_version', ''))}</li></ul>"
    )
    body += [f'<p class="v error">{_e(err)}</p>' for err in data.get("errors") or []]
    body.append("<h2>Checks</h2><table><tr><th>check</th><th>status</th><th>cases</th><th>violations</th></tr>")
    for name, o in outcomes.items():
        state = str(o.get("status"))
        why = f" <small>({_e(not_run_reason(data, name))})</small>" if state == "not run" else ""
        body.append(
            f'<tr><td><code>{_e(name)}</code></td><td class="st-{_e(state).replace(" ", "-")}">'
            f'{_e(state)}{why}</td><td class="n">{_e(o.get("cases", 0))}</td>'
            f'<td class="n">{_e(o.get("violations", 0))}</td></tr>'
        )
    body.append("</table><h2>Cases per check</h2>" + _chart(outcomes))
    violations = list(data.get("violations") or [])
    body.append(f"<h2>Violations ({len(violations)})</h2>")
    if not violations:
        body.append("<p>None.</p>")
    for v in violations:
        response = v.get("response") or {}
        status = response.get("status")
        body.append(
            f"<details{' open' if v['index'] < 5 else ''}><summary><b>#{v['index']}</b> "
            f"<code>{_e(v.get('check'))}</code> <code>{_e(v.get('pointer') or '(root)')}</code>: "
            f"{_e(v.get('message'))} <small>[{_e(v.get('rule'))}]</small></summary>"
        )
        if v.get("label"):
            body.append(f"<p>Request: {_e(v['label'])}</p>")
        if v.get("curl"):
            body.append("<p>Reproduce:</p>" + _pre(v["curl"]))
        if v.get("request"):
            body.append("<p>Request sent:</p>" + _pre(v["request"]))
        if status is None:
            body.append(f"<p>Answer: none ({_e(response.get('error') or 'unknown')})</p>")
        elif empty_body(response):
            body.append(f"<p>Answer: HTTP {_e(status)} (empty body)</p>")
        else:
            body.append(f"<p>Answer: HTTP {_e(status)}</p>" + _pre(response.get("body")))
        body.append("</details>")
    cov = data.get("rule_coverage") or {}
    per_rule = (data.get("stats") or {}).get("cases_per_rule") or {}
    failing_rules: dict[str, int] = {}
    for v in violations:
        failing_rules[str(v.get("rule"))] = failing_rules.get(str(v.get("rule")), 0) + 1
    rules = sorted(set(cov.get("covered") or []) | set(cov.get("missing") or []) | set(per_rule))
    body.append("<h2>Rule coverage</h2>")
    if cov.get("ratio") is not None:
        body.append(
            f"<p>{cov['n_covered']} of {cov['n_covered'] + cov['n_missing']} rules exercised ({cov['ratio']:.0%}).</p>"
        )
    if rules:
        body.append("<table><tr><th>rule</th><th>cases</th><th>exercised</th><th>violations</th></tr>")
        missing = set(cov.get("missing") or [])
        for rule in rules:
            hit = "no" if rule in missing else "yes"
            body.append(
                f'<tr><td><code>{_e(rule)}</code></td><td class="n">{_e(per_rule.get(rule, 0))}</td>'
                f'<td>{hit}</td><td class="n">{failing_rules.get(rule, 0)}</td></tr>'
            )
        body.append("</table>")
    else:
        body.append("<p>No rule coverage recorded.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>dodo-contract: {_e(verdict)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
