"""/authorize (RFC 6749 §3.1, OIDC Core §3.1.2): login, prompt, max_age, consent and response modes."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauthlib.oauth2.rfc6749 import errors

from ... import audit
from ...conf import authflows_settings
from ...dpop import is_thumbprint
from ...issuer import issuer_for
from ...models import Consent
from .. import audience, client_auth, logins, oidc_request, par
from ..consent import record_consent
from ..context import context
from ..core import BodyError, form_pairs, get_authorization_core
from ..flows.implicit import unsupported_response_type
from ..limits import parameter_problem, query_problem
from ..oidc_request import LOGIN_STAMP, RequestParameterError
from ..request_object import RequestObjectError, parameters as request_object_parameters
from ..responses import RESPONSE_MODES, deliver, split_response
from ..sensitive import keep_out_of_reports
from ..session import current, logged_in_since, session_info
from .frames import no_framing

SCOPE_LABELS = {
    "openid": "Know who you are",
    "profile": "See your name and username",
    "email": "See your email address",
    "offline_access": "Stay signed in when you are away (refresh tokens)",
}


REQUEST_URI_SPENT = "The request_uri is unknown, expired, already used, or was pushed by another client."
FAPI_RESPONSE_TYPE = "This application uses the FAPI 2.0 Security Profile: response_type must be code."

#: Parameters checked before oauthlib sees the request: until they are, there is nowhere to redirect to.
_CHECKED_FIRST = frozenset({"client_id", "redirect_uri"})


def _with_redirect(error: errors.OAuth2Error, found: errors.OAuth2Error) -> errors.OAuth2Error:
    error.redirect_uri = getattr(found, "redirect_uri", None)
    return error


class AuthorizeError(Exception):
    """An error that goes back to the client at its (validated) redirect URI."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(description)
        self.error, self.description = error, description


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator([csrf_exempt, no_framing], name="dispatch")  # see post(): the consent form keeps its CSRF check
class AuthorizeView(View):
    """The authorization endpoint.

    Consent page context: ``application``, ``api`` (or None), ``scopes`` (list of (value, words)),
    ``user``, ``form_action``, ``prompt_consent``. Error page context: ``error``, ``description``.
    """

    template_name = "authflows/consent.html"
    error_template_name = "authflows/error.html"
    http_method_names = ["get", "post"]

    params: QueryDict
    claims: dict[str, Any] | None = None
    #: Where the parameters came from: "par" (RFC 9126), "jar" (a verified request object, RFC 9101) or None.
    origin: str | None = None

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.handle(request, decision=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        """Our consent form posts to ``/authorize?<the request>`` and is CSRF-protected. A POST without a
        query is an authorization request sent as a form (OIDC Core §3.1.2.1, which the OP MUST support):
        an RP posts it cross-site, so it has no CSRF token, and it is handled as the same GET would be."""
        if not request.META.get("QUERY_STRING"):
            if (request.content_type or "").lower() not in ("application/x-www-form-urlencoded", "multipart/form-data"):
                return self.error_page(
                    request,
                    "invalid_request",
                    "A POSTed authorization request must be application/x-www-form-urlencoded.",
                )
            try:
                pairs = form_pairs(request)
            except BodyError as exc:
                return self.error_page(request, "invalid_request", str(exc))
            return self.handle(request, decision=None, posted=pairs)
        return csrf_protect(self.consent_decision)(request)

    def consent_decision(self, request: HttpRequest) -> HttpResponse:
        decision = "allow" if "allow" in request.POST else "deny" if "deny" in request.POST else None
        if decision is None:
            return self.error_page(request, "invalid_request", "Choose Allow or Deny.")
        return self.handle(request, decision=decision)

    # -- the steps -------------------------------------------------------------------------------
    def handle(
        self, request: HttpRequest, decision: str | None, posted: list[tuple[str, str]] | None = None
    ) -> HttpResponse:
        pairs = posted if posted is not None else [(k, v) for k, values in request.GET.lists() for v in values]
        pairs, refused = self.resolve_request(request, pairs)
        if refused is not None:
            return refused
        self.params = QueryDict(mutable=True)
        for key, value in pairs:
            self.params.appendlist(key, value)
        # RFC 6749 §4.1.2.1: while client_id and redirect_uri are unchecked, errors are shown, not redirected.
        unreadable = (query_problem(request.META.get("QUERY_STRING", "")) if posted is None else None) or (
            parameter_problem(pairs, only=_CHECKED_FIRST)
        )
        if unreadable or any("\x00" in k or "\x00" in v or len(v) > 4096 for k, v in pairs):
            return self.error_page(request, "invalid_request", unreadable or "A parameter is malformed or too long.")
        # Too long to look up or store: refused once the redirect URI is known to be the client's.
        too_long = parameter_problem(pairs)
        # A malformed claims value would stop oauthlib before it knows the redirect URI: it is refused below.
        oauth_pairs, self.claims, malformed = oidc_request.for_oauthlib(pairs)
        core = get_authorization_core()
        try:
            scopes, credentials = core.validate(request, oauth_pairs)
            # OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID Connect request, whatever is registered.
            if "openid" in scopes and "redirect_uri" not in self.params:
                return self.error_page(
                    request, "invalid_request", "redirect_uri is required in an OpenID Connect authentication request."
                )
            problem = too_long or malformed
            if (
                not problem and credentials["request"].client.par_required and (self.origin != par.PUSHED)
            ):  # RFC 9126 §6
                problem = "This application must push its authorization requests to /oauth/par first."
            if not problem and credentials["request"].client.fapi and credentials["response_type"] != "code":
                invalid: errors.OAuth2Error = errors.UnsupportedResponseTypeError(
                    description=FAPI_RESPONSE_TYPE
                )  # FAPI 2.0 §5.3.2.2
                invalid.redirect_uri = credentials["redirect_uri"]  # validated by oauthlib just above
                raise invalid
            if problem:
                invalid = errors.InvalidRequestError(description=problem)
                invalid.redirect_uri = credentials["redirect_uri"]  # validated by oauthlib just above
                raise invalid
            if not audience.one_api(pairs):
                invalid = errors.CustomOAuth2Error("invalid_target", audience.ONE_API)
                invalid.redirect_uri = credentials["redirect_uri"]  # validated by oauthlib just above
                raise invalid
        except FatalClientError as exc:
            err = exc.oauthlib_error
            return self.error_page(request, err.error, err.description)
        except (OAuthToolkitError, errors.OAuth2Error) as exc:
            err = exc.oauthlib_error if isinstance(exc, OAuthToolkitError) else exc
            unsupported = [(name, error) for name, error in oidc_request.UNSUPPORTED.items() if name in self.params]
            if too_long or malformed:  # whatever else oauthlib found, this is the first thing wrong with it
                err = _with_redirect(errors.InvalidRequestError(description=too_long or malformed), err)
            elif unsupported and getattr(err, "redirect_uri", None):
                # OIDC Core §6: what oauthlib misses (a nonce, a state) may be inside the request object we do
                # not read, so the object is the first thing to refuse once the redirect URI is known.
                name, code = unsupported[0]
                err = _with_redirect(
                    errors.CustomOAuth2Error(code, f"The {name} parameter is not supported by this server."), err
                )
            return self.redirect_oauth_error(request, err)
        oauth_request = credentials.pop("request")
        client = oauth_request.client
        redirect_uri = credentials["redirect_uri"]
        mode = self.response_mode(request, credentials["response_type"])
        state = credentials.get("state")
        try:
            api = audience.api_for(oauth_request)
            self.check_request(request, credentials, mode)
            if posted is not None:  # valid: on as the same GET, which brings the session cookie (SameSite=Lax)
                return HttpResponseRedirect(core.request_uri(request, pairs), status=303)
            hinted = self.hinted_subject(request)
            login = self.require_login(request, credentials)
            if login is not None:
                return login
            if hinted is not None and hinted != authflows_settings.ADAPTER().get_subject(request.user):
                # OIDC Core §3.1.2.1: the hinted End-User is not the one logged in.
                raise AuthorizeError("login_required", "The id_token_hint names another user than the one logged in.")
            if decision is None and self.needs_consent(request, client, api, scopes):
                if "none" in self.prompts(request):
                    raise AuthorizeError("consent_required", "The user has not consented to this application.")
                return self.consent_page(request, client, api, scopes)
            reference = self.params.get(par.REFERENCE) if self.origin == par.PUSHED else None
            if reference is not None and not par.consume(reference):  # RFC 9126 §4: the one completion it gets
                raise AuthorizeError("invalid_request_uri", REQUEST_URI_SPENT)
            if decision == "deny":
                raise AuthorizeError("access_denied", "The user refused the authorization request.")
            if decision == "allow":
                self.record_consent(request, client, api, scopes)
            credentials["resource"] = [api.identifier] if api else []
            ctx = context(request)  # what the oauthlib request of the next line carries to the validator
            ctx.session, ctx.redirect_uri_sent = session_info(request), "redirect_uri" in self.params
            location = core.authorize(request, oauth_pairs, scopes, credentials)
        except AuthorizeError as exc:
            return self.redirect_error(request, redirect_uri, mode, state, exc.error, exc.description)
        except errors.OAuth2Error as exc:
            return self.redirect_error(
                request, redirect_uri, mode, state, exc.error or "invalid_request", exc.description
            )
        params = [(k, v) for k, v in split_response(location, redirect_uri) if k != "iss"]
        error = dict(params).get("error")
        if not error:  # the application now holds a code or tokens of this session (OIDC BCL 1.0 §2.5)
            logins.add_application(session_info(request).get("sid"), client)
        audit.event(
            "authorization_refused" if error else "authorization_granted",
            client_id=client.client_id,
            user_id=request.user.pk,
            response_type=credentials["response_type"],
            error=error,
            audience=api.identifier if api else None,
            scope=" ".join(scopes),
        )
        params.append(("iss", issuer_for(request)))  # RFC 9207
        return deliver(request, redirect_uri, params, mode)

    def resolve_request(
        self,
        request: HttpRequest,
        pairs: list[tuple[str, str]],
    ) -> tuple[list[tuple[str, str]], HttpResponse | None]:
        """A pushed request_uri (RFC 9126 §4) or a request object of a client with keys (RFC 9101 §5) becomes
        the parameters it carries, and only those, stamped (see :mod:`..par`) for the login and consent round
        trips. Other request_uri values, and request objects of clients without keys, are refused as before."""
        found = dict(pairs)
        client_id = found.get("client_id", "")
        if par.is_pushed_uri(found.get("request_uri", "")):
            stored = par.peek(found["request_uri"], client_id)
            if stored is None:  # RFC 9126 §4: one-time use, bound to the client that pushed it
                return pairs, self.error_page(request, "invalid_request_uri", REQUEST_URI_SPENT)
            # Spent when the authorization completes (FAPI 2.0 SP §5.3.2.2): its reference travels, stamped.
            reference = found["request_uri"][len(par.URN_PREFIX) :]
            self.origin, pairs = par.PUSHED, [(k, v) for k, v in stored if k != par.REFERENCE]
            pairs.append((par.REFERENCE, reference))
        elif "request" in found:
            app = client_auth.lookup(client_id[:200])
            if app is None or not app.has_keys:
                return pairs, None  # request_not_supported, below
            try:
                pairs = request_object_parameters(app, found["request"], client_id, issuer_for(request))
            except RequestObjectError as exc:
                return pairs, self.error_page(request, exc.error, exc.description)
            self.origin = par.SIGNED
        else:
            try:
                self.origin = par.stamped(pairs)
            except ValueError as exc:
                return pairs, self.error_page(request, "invalid_request", str(exc))
            return pairs, None
        return pairs + [(par.STAMP, par.stamp(pairs, self.origin))], None

    def prompts(self, request: HttpRequest) -> set[str]:
        return set(self.params.get("prompt", "").split())

    def response_mode(self, request: HttpRequest, response_type: str) -> str:
        implicit = set(response_type.split()) & {"token", "id_token"}
        return self.params.get("response_mode") or ("fragment" if implicit else "query")

    def hinted_subject(self, request: HttpRequest) -> str | None:
        hint = self.params.get("id_token_hint")
        if not hint:
            return None
        try:
            return oidc_request.hinted_subject(hint, issuer_for(request))
        except RequestParameterError as exc:
            raise AuthorizeError("invalid_request", str(exc)) from None

    def check_request(self, request: HttpRequest, credentials: dict[str, Any], mode: str) -> None:
        response_type = credentials["response_type"]
        if mode not in RESPONSE_MODES:
            raise AuthorizeError("invalid_request", f"Unsupported response_mode {mode!r}.")
        if mode == "query" and set(response_type.split()) & {"token", "id_token"}:
            # RFC 9700 §2.5: tokens never travel in a URL query.
            raise AuthorizeError("invalid_request", "response_mode=query is not allowed with this response_type.")
        prompts = self.prompts(request)
        if prompts - oidc_request.PROMPTS:
            raise AuthorizeError("invalid_request", "prompt must be none, login, consent or select_account.")
        if "none" in prompts and len(prompts) > 1:
            raise AuthorizeError("invalid_request", "prompt=none cannot be combined with other values.")
        max_age = self.params.get("max_age")
        if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
            raise AuthorizeError("invalid_request", "max_age must be a non-negative integer.")
        for name, error in oidc_request.UNSUPPORTED.items():
            if name in self.params:
                raise AuthorizeError(error, f"The {name} parameter is not supported by this server.")
        if "dpop_jkt" in self.params and not is_thumbprint(self.params["dpop_jkt"]):  # RFC 9449 §10
            raise AuthorizeError("invalid_request", "dpop_jkt must be the base64url SHA-256 thumbprint of a key.")
        acr = oidc_request.acr_problem(self.claims)
        if acr:
            raise AuthorizeError("access_denied", acr)

    def require_login(self, request: HttpRequest, credentials: dict[str, Any]) -> HttpResponse | None:
        """Redirect to the login page when there is no session, ``prompt=login`` or ``select_account``, or
        ``max_age`` passed (OIDC Core §3.1.2.1). The request comes back without them but with a signed stamp
        of this moment, and goes on only once the session's login is newer than the stamp: opening that URL
        with the old session sends the user to the login page again."""
        current(request)  # a session ended elsewhere (the account page, the admin) is not reused
        prompts = self.prompts(request)
        auth_time = session_info(request).get("auth_time")
        max_age = self.params.get("max_age")
        stamp = oidc_request.stamped_at(self.params.get(LOGIN_STAMP)) if LOGIN_STAMP in self.params else None
        if LOGIN_STAMP in self.params:  # a login was asked for: only one newer than the stamp will do
            if stamp is not None and logged_in_since(request, stamp):
                return None
        else:
            fresh = auth_time is not None and (max_age is None or time.time() - auth_time <= int(max_age))
            if request.user.is_authenticated and fresh and not prompts & {"login", "select_account"}:
                return None
        if "none" in prompts:
            raise AuthorizeError("login_required", "The user is not logged in.")
        query = self.params.copy()
        if "prompt" in query:  # asked once: after the login the request goes on without it
            rest = " ".join(sorted(prompts - {"login", "select_account"}))
            if rest:
                query["prompt"] = rest
            else:
                del query["prompt"]
        if "max_age" in query:
            del query["max_age"]  # satisfied by the login that is about to happen, which the stamp requires
        if request.user.is_authenticated or LOGIN_STAMP in query:  # without a session any login will be newer
            query[LOGIN_STAMP] = oidc_request.login_stamp()
        next_url = f"{request.path}?{query.urlencode()}"
        response = redirect_to_login(next_url)
        hint = self.params.get("login_hint")
        if hint:
            response["Location"] += "&" + urlencode({"login_hint": hint[:150]})
        return response

    def needs_consent(self, request: HttpRequest, client: Any, api: Any, scopes: list[str]) -> bool:
        if "consent" in self.prompts(request):
            return True
        if not client.first_party:
            return True
        consent = Consent.objects.filter(
            user=request.user, application=client, audience=api.identifier if api else ""
        ).first()
        return consent is None or not consent.covers(set(scopes))

    def record_consent(self, request: HttpRequest, client: Any, api: Any, scopes: list[str]) -> None:
        record_consent(request.user, client, api.identifier if api else "", scopes, sender=type(self))

    # -- pages and redirects ---------------------------------------------------------------------
    def consent_page(self, request: HttpRequest, client: Any, api: Any, scopes: list[str]) -> HttpResponse:
        described = [(s, SCOPE_LABELS.get(s) or (api.describe_scope(s) if api else s)) for s in scopes]
        context = {
            "application": client,
            "api": api,
            "scopes": described,
            "user": request.user,
            "form_action": f"{request.path}?{self.params.urlencode()}",
        }
        return TemplateResponse(request, self.template_name, context)

    def error_page(self, request: HttpRequest, error: str, description: str | None) -> HttpResponse:
        audit.event(
            "authorization_refused",
            client_id=str(self.param("client_id"))[:100] or None,
            error=error,
            reason=description,
            redirect="none",
        )
        return TemplateResponse(
            request, self.error_template_name, {"error": error, "description": description}, status=400
        )

    def redirect_error(
        self, request: HttpRequest, redirect_uri: str, mode: str, state: str | None, error: str, description: str | None
    ) -> HttpResponse:
        audit.event(
            "authorization_refused",
            client_id=str(self.param("client_id"))[:100] or None,
            user_id=getattr(request.user, "pk", None),
            error=error,
            reason=description,
        )
        if mode not in RESPONSE_MODES:
            mode = "query"
        params = [("error", error)]
        if description:
            params.append(("error_description", description))
        if state:
            params.append(("state", state))
        params.append(("iss", issuer_for(request)))
        return deliver(request, redirect_uri, params, mode)

    def redirect_oauth_error(self, request: HttpRequest, err: errors.OAuth2Error) -> HttpResponse:
        """A non-fatal error found while validating: the redirect URI was already checked by oauthlib."""
        redirect_uri = getattr(err, "redirect_uri", None)
        description, error = err.description, err.error or "invalid_request"
        if error == "unsupported_response_type":  # oauthlib says nothing: name the type and those served
            description = unsupported_response_type(self.param("response_type"))
        if not redirect_uri:
            return self.error_page(request, error, description)
        response_type = self.param("response_type") or "code"
        return self.redirect_error(
            request,
            redirect_uri,
            self.response_mode(request, response_type),
            self.param("state") or None,
            error,
            description,
        )

    def param(self, name: str) -> str:
        params = getattr(self, "params", None)  # unset when the request was refused before it was read
        return str(params.get(name, "")) if params is not None else ""
