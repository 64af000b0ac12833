"""What a person does in a browser, done with requests (for tests that need many sessions or processes)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import requests

USERNAME, PASSWORD = "demo", "demo-password-123"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login(session: requests.Session, base: str) -> None:
    page = session.get(base + "/login", timeout=10)
    response = session.post(base + "/login", data={"csrfmiddlewaretoken": _csrf(page.text), "username": USERNAME,
                                                   "password": PASSWORD}, headers={"Referer": base + "/login"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]


def consent(session: requests.Session, base: str, url: str) -> str:
    """GET an /authorize URL in a logged-in session, press Allow if asked; returns the client redirect."""
    response = session.get(url, allow_redirects=False, timeout=10)
    if response.status_code == 200 and 'name="allow"' in response.text:
        response = session.post(url, data={"csrfmiddlewaretoken": _csrf(response.text), "allow": "1"},
                                headers={"Referer": url}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def approve_device(session: requests.Session, base: str, user_code: str, decision: str = "allow") -> None:
    page = session.get(base + "/activate", timeout=10)
    confirm = session.post(base + "/activate", data={"csrfmiddlewaretoken": _csrf(page.text), "user_code": user_code},
                           headers={"Referer": base + "/activate"}, timeout=10)
    done = session.post(base + "/activate", data={"csrfmiddlewaretoken": _csrf(confirm.text), "user_code": user_code,
                                                  decision: "1"}, headers={"Referer": base + "/activate"}, timeout=10)
    assert done.status_code == 200, done.text[:500]


def absolute(base: str, location: str) -> str:
    return urljoin(base + "/", location)
