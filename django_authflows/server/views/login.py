"""The login page: Django's LoginView with our template, ``login_hint`` and brute-force limits."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.views import LoginView as DjangoLoginView
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator

from ... import audit, ratelimit
from ...models import Application
from ..context import client_ip
from ..sensitive import keep_out_of_reports
from .frames import no_framing


def _username_key(request: HttpRequest) -> str:
    """The username as the authentication backend compares it (Django's ``UsernameField`` applies NFKC,
    so "ａlice" is "alice"), case-folded so that case variants share one counter; with the IP
    (see ``post``)."""  # noqa: RUF002 (the fullwidth letter is the example)
    username = unicodedata.normalize("NFKC", str(request.POST.get("username", ""))[:150]).strip().casefold()
    return f"{username}\n{client_ip(request)}"


def requesting_application(next_url: str) -> Application | None:
    """The registered application named by the client_id of an /authorize URL (``next``, already checked to
    stay on this site by Django's LoginView); only its name is shown, never the input itself."""
    parts = urlsplit(next_url or "")
    if parts.path != reverse("authflows:authorize"):
        return None
    client_id = (parse_qs(parts.query).get("client_id") or [""])[0]
    if not client_id or len(client_id) > 100:
        return None
    return Application.objects.filter(client_id=client_id).only("name").first()


@keep_out_of_reports  # codes, secrets, verifiers, passwords and tokens
@method_decorator(no_framing, name="dispatch")
class LoginView(DjangoLoginView):
    """Context: Django's ``form`` (fields ``username`` and ``password``), ``next``, ``site_name``.
    ``authflows/locked.html`` (context ``retry_after``) answers 429 once a username or an IP has failed
    too often; it reads the same whether or not the user exists."""

    template_name = "authflows/login.html"
    locked_template_name = "authflows/locked.html"
    redirect_authenticated_user = False  # prompt=login and max_age must be able to ask again

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        hint = self.request.GET.get("login_hint")
        if hint:
            initial["username"] = hint[:150]
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Adds ``application``: the application whose /authorize request ``next`` carries (or None)."""
        context = super().get_context_data(**kwargs)
        context["application"] = requesting_application(self.get_redirect_url())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """As Auth0's brute-force protection: a block per (username, IP) pair, and a limit per IP across
        usernames, so that nobody can lock a user out from another address. Each attempt is counted before
        the password is checked (one atomic increment per counter), so parallel guesses cannot all pass;
        a successful login gives its attempt back."""
        self._attempt = [("login_username", _username_key(request)), ("login_ip", client_ip(request))]
        states = [ratelimit.hit(name, key) for name, key in self._attempt]
        for (name, _key), state in zip(self._attempt, states, strict=True):
            if state.count > state.limit:
                audit.event("login_locked", limit=name, ip=client_ip(request))
                response = TemplateResponse(
                    request, self.locked_template_name, {"retry_after": state.retry_after}, status=429
                )
                response["Retry-After"] = str(state.retry_after)
                return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if self.request.method == "POST":
            audit.event("login_failed", ip=client_ip(self.request))
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        username_limit, ip_limit = self._attempt
        ratelimit.reset(*username_limit)
        ratelimit.give_back(*ip_limit)
        response = super().form_valid(form)
        audit.event("login_succeeded", user_id=self.request.user.pk, ip=client_ip(self.request))
        return response
