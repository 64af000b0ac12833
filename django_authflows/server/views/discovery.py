"""Discovery (OIDC Discovery 1.0 §3, RFC 8414 §2) and the key set (RFC 7517)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import NoReverseMatch
from django.views.decorators.http import require_safe

from ...conf import authflows_settings
from ...dpop import ALGS as DPOP_ALGS
from ...issuer import endpoint, issuer_for
from .. import client_keys
from ..keys import published_jwks_body
from ..oidc import ID_TOKEN_ALGS

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CACHE_CONTROL = "public, max-age=300"

#: issuer -> the discovery document's JSON body. It depends on the issuer, the settings and the URLconf only,
#: all fixed per process (``setting_changed`` empties it); one issuer unless it is derived from the request.
_documents: dict[str, bytes] = {}
_MAX_DOCUMENTS = 32


def _forget_documents(**kwargs: Any) -> None:
    _documents.clear()


setting_changed.connect(_forget_documents)


#: body -> its strong ETag. The bodies are the prepared bytes above (one object until the document or the key
#: set changes), whose hash Python keeps on the object, so finding the tag costs one dict lookup.
_etags: dict[bytes, str] = {}
_MAX_ETAGS = 64


def _etag(body: bytes) -> str:
    tag = _etags.get(body)
    if tag is None:
        if len(_etags) >= _MAX_ETAGS:
            _etags.clear()
        tag = _etags[body] = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return tag


def _prepared(request: HttpRequest, body: bytes) -> HttpResponse:
    """The prepared body with Cache-Control and a strong ETag; 304 Not Modified when ``If-None-Match`` names
    that tag or ``*`` (RFC 9110 §13.1.2, weak comparison), so a client that caches the key set or the
    discovery document (Auth0's SDKs, oauth4webapi, jwks-rsa) revalidates without downloading it."""
    etag = _etag(body)
    asked = request.META.get("HTTP_IF_NONE_MATCH")
    if asked is not None and _matches(asked, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = CACHE_CONTROL
    response["ETag"] = etag
    return response


def _matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header[:4096].split(","))


@require_safe
def openid_configuration(request: HttpRequest) -> HttpResponse:
    issuer = issuer_for(request)
    body = _documents.get(issuer)
    if body is None:
        if len(_documents) >= _MAX_DOCUMENTS:  # issuers derived from Host headers: keep it bounded
            _documents.clear()
        body = _documents[issuer] = json.dumps(_document(issuer)).encode()
    return _prepared(request, body)


def _document(issuer: str) -> dict[str, Any]:
    flows = authflows_settings.FLOWS
    response_types = ["code"]
    grant_types = ["authorization_code", "refresh_token"]
    if "implicit" in flows:
        response_types += ["token", "id_token", "id_token token"]
        grant_types.append("implicit")
    if "client_credentials" in flows:
        grant_types.append("client_credentials")
    if "device" in flows:
        grant_types.append("urn:ietf:params:oauth:grant-type:device_code")
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": endpoint(issuer, "authorize"),
        "token_endpoint": endpoint(issuer, "token"),
        "userinfo_endpoint": endpoint(issuer, "userinfo"),
        "jwks_uri": endpoint(issuer, "jwks"),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": response_types,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGS),  # PS256: FAPI 2.0 applications
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(client_keys.ALGS),  # RFC 8414 §2
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "acr",
            "aud",
            "auth_time",
            "email",
            "email_verified",
            "exp",
            "family_name",
            "given_name",
            "iat",
            "iss",
            "name",
            "nickname",
            "nonce",
            "preferred_username",
            "sid",
            "sub",
            "updated_at",
        ],
        # OIDC Core §6, RFC 9101: request objects signed with the keys an application registered; other
        # applications get request_not_supported. request_uri: only PAR's (RFC 9126), none fetched by reference.
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": list(client_keys.ALGS),
        "request_uri_parameter_supported": False,
        "require_pushed_authorization_requests": False,  # RFC 9126 §5: per application
        "claims_parameter_supported": True,  # OIDC Core §5.5, for the ID token and /userinfo
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),  # RFC 9449 §5.1
        # OIDC Back-Channel Logout 1.0 §2.1: logout tokens, and they carry sid.
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
    for prefix in ("revocation", "introspection"):  # RFC 8414 §2: they authenticate clients as the token endpoint
        doc[f"{prefix}_endpoint_auth_methods_supported"] = AUTH_METHODS
        doc[f"{prefix}_endpoint_auth_signing_alg_values_supported"] = list(client_keys.ALGS)
    for name, key in [
        ("revoke", "revocation_endpoint"),
        ("introspect", "introspection_endpoint"),
        ("device_code", "device_authorization_endpoint"),
        ("logout", "end_session_endpoint"),
        ("par", "pushed_authorization_request_endpoint"),
    ]:
        try:
            doc[key] = endpoint(issuer, name)
        except NoReverseMatch:  # that endpoint is not mounted (yet)
            continue
    return doc


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    # The body is re-read within ACTIVE_KEY_TTL and re-encoded when the key set changes.
    return _prepared(request, published_jwks_body())
