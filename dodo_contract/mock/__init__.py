"""The reference mock of Dodo's API (``create_app``, ``serve_mock``) and its fault modes."""

from .app import MAX_BODY_BYTES, MockServer, create_app, run_mock_command, serve_mock

__all__ = ["MAX_BODY_BYTES", "MockServer", "create_app", "run_mock_command", "serve_mock"]
