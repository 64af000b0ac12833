"""``handler400`` that answers a body Django cannot parse with a 400 instead of a 500 (RFC 9110 §15.5.1)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's default 400 view runs the CSRF check, which reads ``request.POST``; for the body that caused
    the 400 (a form in a charset other than UTF-8, since Django 5) that raises the same error again, and
    the client gets a 500. This view reads nothing of the request. Set ``handler400`` to it in the root
    URLconf."""
    return HttpResponseBadRequest(b"<!doctype html><title>Bad Request (400)</title><h1>Bad Request (400)</h1>")
