"""The read-only quickstart panel of an application's page: the issuer, the client_id and a minimal
snippet for its type (curl for m2m, an authorize URL with PKCE for spa/native, authlib for regular)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpRequest
from django.utils.translation import gettext as _

from .. import presets
from ..conf import authflows_settings
from ..issuer import endpoint, issuer_for
from ..models import Api, Application

PKCE_SHELL = """\
# PKCE (RFC 7636): a new code_verifier for every login; send only its S256 challenge.
code_verifier=$(openssl rand -base64 48 | tr -d '=+/\\n' | cut -c1-64)
code_challenge=$(printf %s "$code_verifier" | openssl dgst -binary -sha256 \\
  | openssl base64 -A | tr '+/' '-_' | tr -d '=')"""

AUTHLIB = """\
# settings.py: the secret comes from the environment, never from the repository.
AUTHLIB_OAUTH_CLIENTS = {{
    "authflows": {{
        "client_id": "{client_id}",
        "client_secret": os.environ["AUTHFLOWS_CLIENT_SECRET"],
    }}
}}

# views.py (pip install authlib requests)
from authlib.integrations.django_client import OAuth

oauth = OAuth()
oauth.register(
    "authflows",
    server_metadata_url="{metadata}",
    client_kwargs={{"scope": "{scope}", "code_challenge_method": "S256"}},
)

def login(request):
    return oauth.authflows.authorize_redirect(request, "{callback}"{audience})

def callback(request):
    token = oauth.authflows.authorize_access_token(request)  # token["userinfo"]: the ID token's claims
"""


def _audience(app: Application) -> str | None:
    grant = app.client_grants.select_related("api").order_by("api__name").first()
    if grant is not None:
        return grant.api.identifier
    default = authflows_settings.DEFAULT_AUDIENCE or authflows_settings.AUDIENCE
    if default:
        return default
    api = Api.objects.order_by("name").first()
    return api.identifier if api else None


def _scope(app: Application) -> str:
    scope = "openid profile email"
    return scope + " offline_access" if app.has_grant(presets.REFRESH_TOKEN) else scope


def _m2m(app: Application, issuer: str, audience: str | None) -> list[dict[str, str]]:
    curl = (
        f"curl --request POST \\\n  --url {endpoint(issuer, 'token')} \\\n"
        f"  --user '{app.client_id}:YOUR_CLIENT_SECRET' \\\n"
        f"  --data grant_type=client_credentials \\\n  --data audience={audience or 'YOUR_API_IDENTIFIER'}"
    )
    call = 'curl --header "Authorization: Bearer $ACCESS_TOKEN" https://your-api.example/...'
    return [{"label": _("Get an access token"), "code": curl}, {"label": _("Call your API"), "code": call}]


def _public(app: Application, issuer: str, audience: str | None) -> list[dict[str, str]]:
    callback = app.redirect_uri_list[0] if app.redirect_uri_list else "YOUR_CALLBACK_URL"
    snippets = []
    if app.has_grant(presets.AUTHORIZATION_CODE):
        params = {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": callback,
            "scope": _scope(app),
            **({"audience": audience} if audience else {}),
            "state": "STATE",
        }
        url = endpoint(issuer, "authorize") + "?" + urlencode(params, quote_via=quote, safe=":/")
        url += "&code_challenge=$code_challenge&code_challenge_method=S256"
        exchange = (
            f"curl --request POST --url {endpoint(issuer, 'token')} \\\n"
            f"  --data grant_type=authorization_code --data client_id={app.client_id} \\\n"
            f"  --data code_verifier=$code_verifier --data code=CODE_FROM_THE_CALLBACK \\\n"
            f"  --data-urlencode redirect_uri={callback}"
        )
        snippets += [
            {"label": _("1. Make a PKCE pair"), "code": PKCE_SHELL},
            {"label": _("2. Send the browser to this authorize URL"), "code": f'"{url}"'},
            {"label": _("3. Exchange the code at the token endpoint"), "code": exchange},
        ]
    if app.has_grant(presets.DEVICE_CODE):
        device = (
            f"curl --request POST --url {endpoint(issuer, 'device_code')} \\\n"
            f"  --data client_id={app.client_id} --data 'scope={_scope(app)}'"
            + (f" \\\n  --data audience={audience}" if audience else "")
        )
        snippets.append({"label": _("Device flow: ask for a user code"), "code": device})
    return snippets


def _regular(app: Application, issuer: str, audience: str | None) -> list[dict[str, str]]:
    code = AUTHLIB.format(
        client_id=app.client_id,
        metadata=endpoint(issuer, "openid-configuration"),
        scope=_scope(app),
        callback=app.redirect_uri_list[0] if app.redirect_uri_list else "YOUR_CALLBACK_URL",
        audience=f', audience="{audience}"' if audience else "",
    )
    return [{"label": _("authlib's Django client"), "code": code}]


def quickstart(app: Application, request: HttpRequest) -> dict[str, Any]:
    """Context for ``admin/authflows/application/quickstart.html``."""
    issuer = issuer_for(request)
    audience = _audience(app)
    build = {presets.M2M: _m2m, presets.REGULAR: _regular}.get(app.app_type, _public)
    client_grants = list(app.client_grants.select_related("api").order_by("api__name"))
    return {
        "type": app.preset.label,
        "issuer": issuer,
        "client_id": app.client_id,
        "audience": audience,
        "snippets": build(app, issuer, audience),
        "client_grants": client_grants,
        "needs_grant": app.app_type == presets.M2M and not client_grants,
    }
