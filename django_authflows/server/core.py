"""The oauthlib server and the Django <-> oauthlib bridge (DOT's OAuthLibCore, with JSON bodies)."""

from __future__ import annotations

import codecs
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

from ..conf import authflows_settings
from ..issuer import ISSUER_HEADER, issuer_for
from .context import HEADER as CONTEXT_HEADER, context
from .limits import parameter_problem, query_problem
from .tokens import access_token_lifetime, generate_access_token, generate_refresh_token

#: Parameters RFC 8707 lets a client repeat; every other one must appear once (RFC 6749 §3.1).
REPEATABLE = frozenset({"resource"})
MAX_BODY_PARAMS = 64
#: No client request needs more (a signed JWT assertion is a few KB); larger bodies are not read at all.
MAX_BODY_BYTES = 1024 * 1024


class AuthflowsServer(Server):
    """oauthlib's OpenID Connect server, narrowed to what we serve.

    - PKCE accepts S256 only (RFC 9700 §2.1.1: ``plain`` gives no protection against a leaked request).
    - No resource owner password grant (RFC 9700 §2.4) and no hybrid response types.
    """

    def __init__(self, validator: Any) -> None:
        super().__init__(
            validator,
            token_expires_in=access_token_lifetime,
            token_generator=generate_access_token,
            refresh_token_generator=generate_refresh_token,
        )
        s256_only = {"S256": code_challenge_method_s256}
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            grant._code_challenge_methods = s256_only  # type: ignore[attr-defined]  # oauthlib's private table
        del self.grant_types["password"]
        for response_type in ("code token", "code id_token", "code id_token token", "none"):
            del self.response_types[response_type]


class BodyError(ValueError):
    """A token-endpoint body we refuse before oauthlib sees it."""


def parse_body(request: HttpRequest) -> list[tuple[str, str]]:
    """Form (any charset) or JSON body as (key, value) pairs. JSON keys with null values are ignored,
    as Auth0 does; nested values, repeated parameters (RFC 6749 §3.1) and values longer than
    :mod:`.limits` allows are refused, and so is a query string oauthlib could not read (it reads the
    query of every request it is given)."""
    problem = query_problem(request.META.get("QUERY_STRING", ""))
    if problem:
        raise BodyError(problem)
    length = str(request.META.get("CONTENT_LENGTH") or "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:  # refused unread: nothing of it is allocated
        raise BodyError("The request body is too large.")
    content_type = (request.content_type or "").lower()
    if content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (RequestDataTooBig, BadRequest):
            raise BodyError("The request body is too large.") from None
        except (UnicodeDecodeError, ValueError):
            raise BodyError("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise BodyError("The JSON body must be an object.")
        pairs = []
        for key, value in data.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise BodyError(f"The parameter {key!r} must be a string.")
            pairs.append((key, str(value)))
    else:
        pairs = form_pairs(request)
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen and key not in REPEATABLE:
                raise BodyError(f"The parameter {key!r} is included more than once.")
            seen.add(key)
    if len(pairs) > MAX_BODY_PARAMS:
        raise BodyError("Too many parameters.")
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            raise BodyError("Parameters must not contain NUL characters.")
    problem = parameter_problem(pairs)
    if problem:
        raise BodyError(problem)
    return pairs


def form_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` in any charset (Django 5 accepts only UTF-8, and device
    clients send ``charset=ISO-8859-1`` and others), or ``multipart/form-data`` through Django."""
    if (request.content_type or "").lower() == "multipart/form-data":
        try:
            return [(k, v) for k, values in request.POST.lists() for v in values]
        except Exception as exc:  # Django raises several types for a body it cannot parse
            raise BodyError("The request body cannot be parsed as a form.") from exc
    charset = (request.content_params or {}).get("charset", "utf-8")
    try:
        codecs.lookup(charset)
        body = request.body
    except LookupError:
        raise BodyError(f"Unknown charset {charset!r}.") from None
    except (RequestDataTooBig, BadRequest):
        raise BodyError("The request body is too large.") from None
    try:
        text = body.decode(charset)
        return parse_qsl(
            text, keep_blank_values=True, encoding=charset, errors="strict", max_num_fields=MAX_BODY_PARAMS
        )
    except (UnicodeDecodeError, ValueError):
        raise BodyError(f"The request body is not a valid {charset} form.") from None


class AuthflowsOAuthLibCore(OAuthLibCore):
    """Bridges Django requests to :class:`AuthflowsServer`; the issuer travels in a server-set header."""

    def __init__(self, server: Any = None) -> None:
        if server is None:
            from .validator import AuthflowsValidator

            server = AuthflowsServer(AuthflowsValidator())
        self.server = server

    def extract_headers(self, request: HttpRequest) -> dict[str, Any]:
        headers = super().extract_headers(request)
        headers[ISSUER_HEADER] = issuer_for(request)
        headers[CONTEXT_HEADER] = context(request)  # for the validator hooks (see context.context_of)
        return headers

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        if request.method != "POST":
            return []
        cached = getattr(request, "_authflows_body", None)
        if cached is None:
            cached = request._authflows_body = parse_body(request)  # type: ignore[attr-defined]
        return cached

    def create_token_response(self, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        try:
            return super().create_token_response(request)
        finally:
            # A code the validator accepted is spent even when the request then failed (flows.authorization_code)
            spend = getattr(self.server.request_validator, "spend_pending_code", None)
            if spend is not None:
                spend(context(request))

    def create_authorization_response(
        self, request: HttpRequest, scopes: list[str], credentials: dict[str, Any], allow: bool
    ) -> tuple[str, int]:
        """Run the authorization endpoint; returns the Location oauthlib built and its status.
        The ``iss`` parameter (RFC 9207) and the response mode are added by the view."""
        if not allow:
            raise errors.AccessDeniedError(state=credentials.get("state"))
        credentials["user"] = request.user
        uri, http_method, _, headers = self._extract_params(request)
        headers_out, _body, status = self.server.create_authorization_response(
            uri=uri, http_method=http_method, headers=headers, scopes=scopes, credentials=credentials
        )
        return headers_out.get("Location", ""), status


class AuthorizationCore(AuthflowsOAuthLibCore):
    """The bridge for /authorize. The view hands it the authorization request's parameters, read from the
    query of a GET or the form body of a POST (OIDC Core §3.1.2.1) and normalised; oauthlib sees them as
    the query of a GET, so the fields of our consent form are never read as request parameters."""

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        return []

    @staticmethod
    def request_uri(request: HttpRequest, pairs: list[tuple[str, str]]) -> str:
        return f"{request.path}?{urlencode(pairs)}"

    def validate(self, request: HttpRequest, pairs: list[tuple[str, str]]) -> tuple[list[str], dict[str, Any]]:
        """As DOT's ``validate_authorization_request``, on ``pairs`` rather than the request's own query."""
        try:
            return self.server.validate_authorization_request(
                self.request_uri(request, pairs), http_method="GET", body=None, headers=self.extract_headers(request)
            )
        except errors.FatalClientError as error:
            raise FatalClientError(error=error) from None
        except errors.OAuth2Error as error:
            raise OAuthToolkitError(error=error) from None

    def authorize(
        self, request: HttpRequest, pairs: list[tuple[str, str]], scopes: list[str], credentials: dict[str, Any]
    ) -> str:
        """Run the authorization endpoint for the signed-in user; returns the Location oauthlib built."""
        credentials["user"] = request.user
        headers_out, _body, _status = self.server.create_authorization_response(
            uri=self.request_uri(request, pairs),
            http_method="GET",
            headers=self.extract_headers(request),
            scopes=scopes,
            credentials=credentials,
        )
        return headers_out.get("Location", "")


_core: AuthflowsOAuthLibCore | None = None
_authorization_core: AuthorizationCore | None = None


def get_core() -> AuthflowsOAuthLibCore:
    """One server per process: oauthlib's objects are stateless across requests."""
    global _core
    if _core is None:
        _core = AuthflowsOAuthLibCore()
    return _core


def get_authorization_core() -> AuthorizationCore:
    """The /authorize bridge, on the same oauthlib server as :func:`get_core`."""
    global _authorization_core
    server = get_core().server
    if _authorization_core is None or _authorization_core.server is not server:
        _authorization_core = AuthorizationCore(server)
    return _authorization_core


def reset_core(**kwargs: Any) -> None:
    global _core, _authorization_core
    _core = _authorization_core = None


__all__ = [
    "AuthflowsOAuthLibCore",
    "AuthflowsServer",
    "AuthorizationCore",
    "BodyError",
    "authflows_settings",
    "get_authorization_core",
    "get_core",
]
