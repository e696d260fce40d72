"""The ``dodo-contract`` argument parser: every command, its options, their defaults and help.

Parse errors raise ``_UsageError`` instead of exiting, so ``cli.main`` keeps control of the output and the exit
code (2).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..contract.endpoints import OPERATIONS

__all__ = ["_UsageError", "_build_parser"]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would sys.exit(2) itself; keep main() in control
        raise _UsageError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dodo-contract", description="Contract testing for Dodo Payments POST /payments.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    v = sub.add_parser("validate", help="validate request, response or error payloads")
    v.add_argument("kind", choices=["request", "response", "error"], help="what the payloads are")
    v.add_argument("files", nargs="*", metavar="FILE", help="JSON or JSON Lines files (default: '-', stdin)")
    v.add_argument("--json", action="store_true", help="print a machine-readable list")
    v.add_argument("--strict", action="store_true", help="also report unknown keys")
    v.add_argument(
        "--spec-only", action="store_true", help="judge by the spec's schema alone, without the docs' prose rules"
    )
    v.add_argument("--spec-version", metavar="V", help="the spec version to judge by (default: latest; see spec list)")
    v.add_argument(
        "--openapi",
        metavar="FILE",
        help="judge by this Dodo OpenAPI document (JSON or YAML) instead of a bundled version (default: none)",
    )
    v.add_argument(
        "--operation",
        choices=OPERATIONS,
        default="payments",
        help="the operation the payloads belong to (default: %(default)s; checkouts.get has no request)",
    )
    v.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="where the sources disagree, the reading to judge by, e.g. checkouts-min-quantity=0 or "
        "checkouts-cart=schema (default: the docs' readings, see ARCHITECTURE.md)",
    )

    sp = sub.add_parser("spec", help="the bundled spec versions: list them, or diff two")
    spec_sub = sp.add_subparsers(
        dest="spec_command", metavar="SPEC_COMMAND", parser_class=_Parser, required=True, help="list or diff"
    )
    sl = spec_sub.add_parser("list", help="bundled versions, their source and date, which is latest, their operations")
    sl.add_argument("--json", action="store_true", help="print machine-readable JSON")
    sd = spec_sub.add_parser("diff", help="what changed for an operation from version A to version B")
    sd.add_argument("a", metavar="A", help="a bundled version, 'latest', or an OpenAPI document file")
    sd.add_argument("b", metavar="B", help="a bundled version, 'latest', or an OpenAPI document file")
    sd.add_argument("--json", action="store_true", help="print machine-readable JSON")
    sd.add_argument(
        "--operation", choices=OPERATIONS, default="payments", help="the operation to compare (default: %(default)s)"
    )

    fx = sub.add_parser("fixtures", help="the fixtures (catalog) file: write a starting point")
    fx_sub = fx.add_subparsers(
        dest="fixtures_command", metavar="FIXTURES_COMMAND", parser_class=_Parser, required=True, help="init"
    )
    fi = fx_sub.add_parser("init", help="write the built-in catalog (every field of the format) to edit")
    fi.add_argument(
        "file",
        nargs="?",
        default="dodo-catalog.json",
        metavar="FILE",
        help="where to write ('-': stdout; default: %(default)s)",
    )
    fi.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    m = sub.add_parser("mock", help="serve the reference mock of POST /payments")
    m.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    m.add_argument(
        "--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: %(default)s)"
    )
    m.add_argument(
        "--catalog",
        metavar="FILE",
        help="catalog (fixtures) file, JSON or TOML "
        "(default: the built-in one, dodo_contract/contract/default_catalog.json)",
    )
    m.add_argument(
        "--api-key",
        metavar="KEY",
        help="the bearer key to accept "
        "(default: env DODO_API_KEY, then DODO_PAYMENTS_API_KEY, else a printed test key)",
    )
    m.add_argument("--fault", metavar="NAME", help="break the mock on purpose (see --list-faults; default: none)")
    m.add_argument("--seed", type=int, default=None, help="seed for generated ids (default: random)")
    m.add_argument(
        "--spec-version",
        metavar="V",
        help="the spec version to serve: validate with it, know only its fields (default: latest; see spec list)",
    )
    m.add_argument(
        "--openapi",
        metavar="FILE",
        help="serve the contract of this Dodo OpenAPI document (JSON or YAML) instead (default: none)",
    )
    m.add_argument("--list-faults", action="store_true", help="list fault modes and exit")

    g = sub.add_parser(
        "gate",
        help="judge an implementation (default: the embedded reference mock)",
        description="Judge an implementation of POST /payments and write the reports; exit 0 contract honoured, "
        "1 violations, 2 could not check. Each option can also come from its environment variable or from "
        "[tool.dodo-contract] in pyproject.toml (flag > env > pyproject > default).",
    )
    g.add_argument(
        "--base-url",
        metavar="URL",
        help="the server to judge; only POST URL/payments is sent (env DODO_CONTRACT_BASE_URL; "
        "default: start the embedded reference mock)",
    )
    g.add_argument(
        "--api-key",
        metavar="KEY",
        help="the bearer key the server accepts; prefer the env var, a flag shows in process lists "
        "(default: env DODO_API_KEY, then DODO_PAYMENTS_API_KEY; required with --base-url)",
    )
    g.add_argument(
        "--fixtures",
        metavar="FILE",
        help="catalog of what the server holds (products, customers, discount codes...), JSON or TOML "
        "(env DODO_CONTRACT_FIXTURES; default: the built-in catalog)",
    )
    g.add_argument(
        "--max-examples",
        type=int,
        default=None,
        metavar="N",
        help="generated valid requests to send (env DODO_CONTRACT_MAX_EXAMPLES; default: 100)",
    )
    g.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="the same seed sends the same requests byte for byte (env DODO_CONTRACT_SEED; "
        "default: random, recorded in the report)",
    )
    g.add_argument(
        "--report-dir",
        metavar="DIR",
        default=None,
        help="where the JSON, JUnit, HTML and Markdown reports go (env DODO_CONTRACT_REPORT_DIR; default: reports/)",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="per-request timeout in seconds (env DODO_CONTRACT_TIMEOUT; default: 10)",
    )
    g.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="R",
        help="requests per second (env DODO_CONTRACT_RATE_LIMIT; default: unlimited on loopback, 20 elsewhere)",
    )
    g.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="requests in flight at once, 1..64; answers are judged in plan order, so the verdict does not change "
        "(env DODO_CONTRACT_CONCURRENCY; default: 16, 1 = one at a time)",
    )
    g.add_argument(
        "--allow-live",
        action="store_true",
        help="allow Dodo's live host, which moves real money: only a few canonical requests are sent "
        "(env DODO_CONTRACT_ALLOW_LIVE; default: refused)",
    )
    g.add_argument(
        "--schemathesis",
        action="store_true",
        help="also fuzz with Schemathesis-generated bodies from schemas/openapi.yaml, judged by our validator; "
        "slower (env DODO_CONTRACT_SCHEMATHESIS; default: off)",
    )
    g.add_argument(
        "--spec-version",
        metavar="V",
        help="the spec version to judge by, e.g. 1.86.0 for a server built to it (env DODO_CONTRACT_SPEC_VERSION; "
        "default: latest, what Dodo's servers speak; see spec list)",
    )
    g.add_argument(
        "--openapi",
        metavar="FILE",
        help="judge by this newer Dodo OpenAPI document (JSON or YAML) with the newest overlay "
        "(env DODO_CONTRACT_OPENAPI; default: none)",
    )
    g.add_argument(
        "--operation",
        metavar="NAME",
        help="what to judge: payments (POST /payments), checkouts (POST /checkouts, POST /checkouts/preview, "
        "GET /checkouts/{id}) or all; only these documented operations are ever sent "
        "(env DODO_CONTRACT_OPERATION; default: payments)",
    )

    t = sub.add_parser("selftest", help="mutation score: the engine against the reference mock in every fault mode")
    t.add_argument(
        "--fault", action="append", metavar="NAME", help="only these faults (repeatable; default: all of them)"
    )
    t.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every run (default: %(default)s)")
    t.add_argument(
        "--max-examples",
        type=int,
        default=30,
        metavar="N",
        help="generated valid requests per run (default: %(default)s)",
    )
    t.add_argument(
        "--spec-version",
        metavar="V",
        help="only this spec version: the mock serves it and the engine judges by it "
        "(default: every bundled version, one matrix each)",
    )
    t.add_argument(
        "--operation",
        default="payments",
        metavar="NAME",
        help="the faults of payments, checkouts (the checkouts_* faults, judged on the three Checkout Sessions "
        "operations) or all (default: %(default)s)",
    )

    r = sub.add_parser(
        "replay",
        help="re-send a case from a report",
        description="Re-send the failing requests recorded in a JSON report and re-run the check that failed; "
        "exit 1 if a case still violates the contract, 0 if none does, 2 if nothing could be replayed.",
    )
    r.add_argument("report", metavar="REPORT", help="a dodo-contract.json report, or the folder holding it")
    r.add_argument(
        "--case", type=int, default=None, metavar="N", help="index of the violation to replay (default: all)"
    )
    r.add_argument("--base-url", metavar="URL", help="the server to re-send to (default: the report's target)")
    r.add_argument(
        "--api-key",
        metavar="KEY",
        help="the bearer key the server accepts (default: env DODO_API_KEY, then DODO_PAYMENTS_API_KEY)",
    )
    r.add_argument(
        "--fixtures",
        metavar="FILE",
        help="the fixtures the gate used (env DODO_CONTRACT_FIXTURES; default: the built-in catalog)",
    )
    r.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="per-request timeout in seconds (env DODO_CONTRACT_TIMEOUT; default: 10)",
    )
    r.add_argument(
        "--allow-live",
        action="store_true",
        help="allow Dodo's live host (env DODO_CONTRACT_ALLOW_LIVE; default: refused)",
    )
    r.add_argument(
        "--spec-version",
        metavar="V",
        help="the spec version to re-judge by (env DODO_CONTRACT_SPEC_VERSION; default: the report's)",
    )
    r.add_argument(
        "--openapi",
        metavar="FILE",
        help="re-judge by this Dodo OpenAPI document (env DODO_CONTRACT_OPENAPI; default: the report's version)",
    )
    return parser
