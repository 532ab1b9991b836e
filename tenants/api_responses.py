"""Kept for imports written before `tenants.api_docs`: the error shape and its
OpenAPI responses live there."""

from .api_docs import ErrorSerializer, error_responses

__all__ = ["ErrorSerializer", "error_responses"]
