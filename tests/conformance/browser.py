"""A browser made of a requests session: follows redirects, reads pages as HTML, logs in and consents."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

USERNAME, PASSWORD = "demo", "demo-password-123"  # example_project/demo/seed.py
RP_ORIGIN = "https://rp.conformance.test"  # where the OIDF suite's pages would live


@dataclass
class Form:
    action: str
    method: str
    enctype: str | None
    inputs: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, value)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def fields(self) -> dict[str, str]:
        return {name: value for kind, name, value in self.inputs if name and kind not in ("submit", "button")}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), (a.get("method") or "get").lower(), a.get("enctype")))
        elif tag == "input" and self.forms:
            self.forms[-1].inputs.append((a.get("type", "text").lower(), a.get("name", ""), a.get("value", "")))
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


@dataclass
class Callback:
    """What reached the client's redirect_uri: a redirect (query/fragment) or an auto-submitted form."""

    via: str  # "redirect" | "form_post"
    url: str
    method: str = "GET"
    content_type: str | None = None
    form: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.url.split("?")[0].split("#")[0]

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def fragment(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).fragment, keep_blank_values=True))


@dataclass
class Page:
    """A page the OP showed instead of sending the browser back."""

    status: int
    url: str
    text: str
    kind: str  # "login" | "consent" | "page"


class Browser:
    """One user agent (its own cookie jar). ``go`` follows the OP until the browser leaves for one of ``stop_at``."""

    def __init__(self, ca: str | bool, *, stop_at: list[str]) -> None:
        self.session = requests.Session()
        self.session.verify = ca
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (requests#3829)
        # A fresh connection per request: gunicorn closes an idle keep-alive connection after 2 s, and the
        # modules that wait about that long (max-age-1) would otherwise race it on a pooled connection
        # (RemoteDisconnected), which a browser retries silently and requests does not.
        self.session.headers["Connection"] = "close"
        self.stop_at = stop_at
        self.login_pages = 0
        self.can_login = True
        self.decision = "allow"  # the consent button the user presses ("deny": the user rejects)

    def _leaves(self, url: str) -> bool:
        return any(url == p or url.startswith(p + "?") or url.startswith(p + "#") for p in self.stop_at)

    def go(self, url: str, method: str = "GET", data: dict[str, Any] | None = None) -> Callback | Page:
        return self._page(self.session.request(method, url, data=data, allow_redirects=False, timeout=30))

    def _page(self, resp: requests.Response) -> Callback | Page:
        for _ in range(20):
            if resp.is_redirect:
                target = urljoin(resp.url, resp.headers["Location"])
                if self._leaves(target):
                    return Callback("redirect", target)
                resp = self.session.get(target, allow_redirects=False, timeout=30)
                continue
            forms = parse_forms(resp.text) if "html" in resp.headers.get("Content-Type", "") else []
            login = next((f for f in forms if any(k == "password" for k, _, _ in f.inputs)), None)
            if login is not None:
                self.login_pages += 1
                if not self.can_login:
                    return Page(resp.status_code, resp.url, resp.text, "login")
                resp = self._submit(resp.url, login, {"username": USERNAME, "password": PASSWORD})
                continue
            consent = next((f for f in forms if any(n == "allow" for n, _ in f.buttons)), None)
            if consent is not None:
                resp = self._submit(resp.url, consent, {self.decision: "1"})
                continue
            posted = next((f for f in forms if self._leaves(urljoin(resp.url, f.action))), None)
            if posted is not None:  # response_mode=form_post: what the auto-submitting page would send
                return Callback("form_post", urljoin(resp.url, posted.action), posted.method.upper(),
                                posted.enctype or "application/x-www-form-urlencoded", posted.fields())
            return Page(resp.status_code, resp.url, resp.text, "page")
        raise AssertionError("more than 20 steps at the OP")

    def _submit(self, page_url: str, form: Form, extra: dict[str, str]) -> requests.Response:
        target = urljoin(page_url, form.action or page_url)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page_url))
        # A browser sends Referer and Origin with a same-origin form POST (Django's CSRF check over https).
        headers = {"Referer": page_url, "Origin": origin}
        return self.session.request(form.method.upper(), target, data={**form.fields(), **extra},
                                    headers=headers, allow_redirects=False, timeout=30)

    def post_form(self, url: str, data: dict[str, Any]) -> Callback | Page:
        """An HTML form POST to the OP from a page of the client (a cross-site form: no CSRF token)."""
        resp = self.session.post(url, data=data, allow_redirects=False, timeout=30,
                                 headers={"Origin": RP_ORIGIN, "Referer": RP_ORIGIN + "/start"})
        return self._page(resp)
