"""The ``dodo-contract`` command line: wiring only (options, output, exit codes); the logic is in the library.

Exit codes everywhere: 0 success / contract honoured, 1 violations found, 2 usage, IO or could-not-check error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..contract.diff import diff_contracts, format_diff, format_list
from ..contract.endpoints import OPERATIONS
from ..contract.settings import ContractSettings
from ..contract.versions import BUNDLED, Contract, get_contract, load_contract
from ..errors import ConfigError, DodoContractError
from ..validation.validator import ValidationResult, parse_json, validate_error, validate_request, validate_response
from ._cli_parser import _build_parser, _UsageError

__all__ = ["main"]

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _build_parser()
    try:
        with contextlib.redirect_stdout(out):  # --help prints to sys.stdout; send it where main() writes
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
        if args.command == "spec":
            return _spec(args, out)
        if args.command == "fixtures":
            return _fixtures_init(args, out)
        if args.command == "mock":
            from ..mock.app import run_mock_command

            return run_mock_command(args, out=out, err=err)
        if args.command == "gate":
            from .gate import run_gate_command

            return run_gate_command(args, out=out, err=err)
        if args.command == "selftest":
            from .selftest import selftest

            result = selftest(
                faults=args.fault,
                seed=args.seed,
                max_examples=args.max_examples,
                spec_version=args.spec_version,
                operation=args.operation,
            )
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


def _fixtures_init(args: argparse.Namespace, out: TextIO) -> int:
    from ..contract.fixtures import default_catalog_text, write_default_catalog

    if args.file == "-":
        out.write(default_catalog_text())
        return EXIT_OK
    written = write_default_catalog(args.file, force=args.force)
    print(f"wrote the built-in catalog to {written}; edit it to say what your implementation holds", file=out)
    return EXIT_OK


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


def _readings(pairs: list[str]) -> dict[str, Any]:
    """Return ``--reading NAME=VALUE`` options as a reading map, checked by ``ContractSettings``."""
    fields: dict[str, Any] = {}
    known = ContractSettings().readings
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ConfigError(f"--reading {pair!r}: give NAME=VALUE with NAME one of {', '.join(known)}")
        fields[name.replace("-", "_")] = int(value) if value.strip().lstrip("-").isdigit() else value.strip()
    return ContractSettings(**fields).readings


def _contract(
    text: str | None, openapi: str | None, operation: str = "payments", readings: Sequence[str] = ()
) -> Contract:
    if text is not None and openapi is not None:
        raise ConfigError("give --spec-version or --openapi, not both")
    chosen = _readings(list(readings))
    if openapi is not None:
        return load_contract(openapi, operation=operation, readings=chosen)
    return get_contract(text, operation=operation, readings=chosen)


def _spec(args: argparse.Namespace, out: TextIO) -> int:
    if args.spec_command == "list":
        contracts = [get_contract(v) for v in BUNDLED]
        if args.json:
            json.dump([{**c.to_dict(), "operations": _operations(c.version)} for c in contracts], out, indent=2)
            out.write("\n")
        else:
            print(format_list(contracts), file=out)
        return EXIT_OK
    operation = args.operation
    sides = [
        load_contract(x, operation=operation) if Path(x).is_file() else get_contract(x, operation=operation)
        for x in (args.a, args.b)
    ]
    diff = diff_contracts(sides[0], sides[1])
    if args.json:
        json.dump(diff, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        print(format_diff(diff), file=out)
    return EXIT_OK


def _operations(version: str) -> list[dict[str, Any]]:
    out = []
    for name in OPERATIONS:
        contract = get_contract(version, operation=name)
        out.append({"operation": name, "method": contract.endpoint.method, "path": contract.endpoint.path,
                    "kinds": list(contract.kinds), "statuses": list(contract.statuses)})  # fmt: skip
    return out


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # Before reading anything: a bad version, operation, reading or kind is exit 2.
    contract = _contract(args.spec_version, args.openapi, args.operation, args.reading)
    contract.schema(args.kind)
    sources = _read(args.files, err)
    if sources is None:
        return EXIT_ERROR
    results: list[tuple[str, ValidationResult]] = []
    for label, text in sources:
        for where, payload in _documents(label, text):
            if args.kind == "request":
                result = validate_request(payload, strict=args.strict, spec_only=args.spec_only, spec_version=contract)
            elif args.kind == "response":
                result = validate_response(payload, strict=args.strict, spec_only=args.spec_only, spec_version=contract)
            else:
                result = validate_error(payload, spec_version=contract)
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
