"""The standalone validator: ``validate_request/response/error`` with every violation, and ``known_rules``."""

from .validator import ValidationResult, known_rules, parse_json, validate_error, validate_request, validate_response

__all__ = [
    "ValidationResult",
    "known_rules",
    "parse_json",
    "validate_error",
    "validate_request",
    "validate_response",
]
