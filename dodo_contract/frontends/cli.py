"""The ``dodo-contract`` command line: wiring only (options, output, exit codes); the logic is in the library.

Exit codes everywhere: 0 success / contract honoured, 1 violations found, 2 usage, IO or could-not-check error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from ..errors import DodoContractError
from ..validation.validator import ValidationResult, parse_json, validate_error, validate_request, validate_response

__all__ = ["main"]

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would sys.exit(2) itself; keep main() in control
        raise _UsageError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dodo-contract", description="Contract testing for Dodo Payments POST /payments.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    v = sub.add_parser("validate", help="validate request, response or error payloads")
    v.add_argument("kind", choices=["request", "response", "error"])
    v.add_argument("files", nargs="*", metavar="FILE", help="JSON or JSON Lines files; '-' or none reads stdin")
    v.add_argument("--json", action="store_true", help="print a machine-readable list")
    v.add_argument("--strict", action="store_true", help="also report unknown keys")
    v.add_argument(
        "--spec-only", action="store_true", help="judge by the spec's schema alone, without the docs' prose rules"
    )

    m = sub.add_parser("mock", help="serve the reference mock of POST /payments")
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    m.add_argument("--catalog", metavar="FILE", help="catalog (fixtures) file, JSON or TOML")
    m.add_argument(
        "--api-key",
        metavar="KEY",
        help="the bearer key to accept (default: env DODO_API_KEY, "
        "then DODO_PAYMENTS_API_KEY, else a printed test key)",
    )
    m.add_argument("--fault", metavar="NAME", help="break the mock on purpose (see --list-faults)")
    m.add_argument("--seed", type=int, default=None, help="seed for generated ids")
    m.add_argument("--list-faults", action="store_true", help="list fault modes and exit")

    g = sub.add_parser("gate", help="judge an implementation (default: the embedded reference mock)")
    g.add_argument("--base-url", metavar="URL")
    g.add_argument("--api-key", metavar="KEY")
    g.add_argument("--fixtures", metavar="FILE")
    g.add_argument("--max-examples", type=int, default=None)
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--report-dir", metavar="DIR", default=None)
    g.add_argument("--timeout", type=float, default=None, help="per-request timeout, seconds")
    g.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    g.add_argument(
        "--concurrency", type=int, default=None, help="requests in flight at once (default 10; 1: one at a time)"
    )
    g.add_argument("--allow-live", action="store_true", help="allow Dodo's live host (positive subset only)")
    g.add_argument(
        "--schemathesis",
        action="store_true",
        help="also fuzz with Schemathesis-generated bodies from schemas/openapi.yaml (slower; judged by our validator)",
    )

    t = sub.add_parser("selftest", help="mutation score: the engine against the reference mock in every fault mode")
    t.add_argument("--fault", action="append", metavar="NAME", help="only these faults (repeatable; default: all)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--max-examples", type=int, default=30)

    r = sub.add_parser("replay", help="re-send a case from a report")
    r.add_argument("report", metavar="REPORT")
    r.add_argument("--case", type=int, default=None, help="index of the violation to replay (default: all)")
    r.add_argument("--base-url", metavar="URL")
    r.add_argument("--api-key", metavar="KEY")
    r.add_argument("--fixtures", metavar="FILE", help="the fixtures the gate used (default: the built-in catalog)")
    r.add_argument("--timeout", type=float, default=None, help="per-request timeout, seconds")
    r.add_argument("--allow-live", action="store_true", help="allow Dodo's live host")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _build_parser()
    try:
        args, extra = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
        # argparse stops filling a '*' positional at the first option ("validate request --json a.json").
        files = [e for e in extra if e == "-" or not e.startswith("-")]
        if getattr(args, "command", None) == "validate":
            args.files.extend(files)
            extra = [e for e in extra if e not in files]
        if extra:
            raise _UsageError(f"dodo-contract: unrecognized arguments: {' '.join(extra)}")
    except _UsageError as exc:
        print(str(exc), file=err)
        return EXIT_ERROR
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_ERROR
    try:
        if args.command == "validate":
            return _validate(args, out, err)
        if args.command == "mock":
            from ..mock.app import run_mock_command

            return run_mock_command(args, out=out, err=err)
        if args.command == "gate":
            from .gate import run_gate_command

            return run_gate_command(args, out=out, err=err)
        if args.command == "selftest":
            from .selftest import selftest

            result = selftest(faults=args.fault, seed=args.seed, max_examples=args.max_examples)
            print(result.matrix(), file=out)
            return EXIT_OK if result.passed else EXIT_VIOLATIONS
        from .gate import run_replay_command

        return run_replay_command(args, out=out, err=err)
    except DodoContractError as exc:
        print(f"dodo-contract {args.command}: {exc}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"dodo-contract {args.command}: interrupted", file=err)
        return EXIT_ERROR


def _documents(name: str, text: str) -> Iterator[tuple[str, Any]]:
    """Yield (location, payload) for one JSON value, or for each line of JSON Lines."""
    stripped = text.strip()
    try:
        yield name, parse_json(stripped) if stripped else stripped
        return
    except ValueError:
        pass
    lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) <= 1 or not _is_json(lines[0][1]):
        yield name, text  # one malformed document (not JSON Lines): the validator reports it once, as body.json
        return
    for number, line in lines:
        yield f"{name}:{number}", line


def _is_json(text: str) -> bool:
    try:
        parse_json(text)
    except ValueError:
        return False
    return True


def _read(files: list[str], err: TextIO) -> list[tuple[str, str]] | None:
    sources: list[tuple[str, str]] = []
    for name in files or ["-"]:
        if name == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
            label = "<stdin>"
        else:
            try:
                with open(name, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                print(f"dodo-contract validate: cannot read {name}: {exc.strerror or exc}", file=err)
                return None
            label = name
        try:
            sources.append((label, data.decode("utf-8")))
        except UnicodeDecodeError as exc:
            print(f"dodo-contract validate: {label} is not UTF-8 text (byte {exc.start})", file=err)
            return None
    return sources


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sources = _read(args.files, err)
    if sources is None:
        return EXIT_ERROR
    results: list[tuple[str, ValidationResult]] = []
    for label, text in sources:
        for where, payload in _documents(label, text):
            if args.kind == "request":
                result = validate_request(payload, strict=args.strict, spec_only=args.spec_only)
            elif args.kind == "response":
                result = validate_response(payload, strict=args.strict, spec_only=args.spec_only)
            else:
                result = validate_error(payload)
            results.append((where, result))
    if args.json:
        json.dump([{"source": w, **r.to_dict()} for w, r in results], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for where, result in results:
            if result.ok:
                print(f"{where}: valid {args.kind}", file=out)
            else:
                print(f"{where}: INVALID {args.kind} ({len(result.violations)} violation(s))", file=out)
                for v in result.violations:
                    print(f"  {v}  <{v.rule}>", file=out)
    return EXIT_OK if all(r.ok for _, r in results) else EXIT_VIOLATIONS


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
