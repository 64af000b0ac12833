"""Raw HTTP/1.1 over a plain socket (RFC 9112): bytes exactly as written, nothing normalised or re-encoded."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from ..live import LiveServer

DEMO_KEY = b"dev-only-insecure-key-change-me"  # example_project's development SECRET_KEY


def demo_secret(client_id: str) -> str:
    """The client secret seed_demo gives ``client_id`` in a live server on the development SECRET_KEY."""
    return hmac.new(DEMO_KEY, b"demo-secret:" + client_id.encode(), hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}

    def json(self) -> Any:
        return json.loads(self.body)


def request_bytes(method: str, target: bytes | str, *, port: int, headers: list[tuple[str, bytes | str]] = (),
                  body: bytes | None = None, content_length: int | None = None) -> bytes:
    """One request, ``Connection: close``. ``content_length`` None: the body's length (when there is one);
    pass a header ``Transfer-Encoding`` yourself to send a chunked body."""
    def b(value: bytes | str) -> bytes:
        return value if isinstance(value, bytes) else value.encode("latin-1")

    lines = [b(method) + b" " + b(target) + b" HTTP/1.1", b"Host: 127.0.0.1:" + str(port).encode(),
             b"Connection: close"]
    lines += [b(k) + b": " + b(v) for k, v in headers]
    chunked = any(k.lower() == "transfer-encoding" for k, _ in headers)
    if content_length is None and body is not None and not chunked:
        content_length = len(body)
    if content_length is not None:
        lines.append(b"Content-Length: " + str(content_length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def exchange(port: int, data: bytes, timeout: float = 20.0) -> Answer:
    """Write ``data``, half-close (so a short body ends instead of waiting), read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # broken pipe, reset, not connected
            pass  # the server answered (and closed) before reading everything: read its answer
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return parse_answer(b"".join(chunks))


def parse_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not match:
        raise AssertionError(f"not an HTTP answer: {raw[:200]!r}")
    headers = [tuple(s.strip() for s in line.split(":", 1)) for line in lines[1:] if ":" in line]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = dechunk(body)
    return Answer(int(match.group(1)), headers, body)  # type: ignore[arg-type]


def dechunk(body: bytes) -> bytes:
    out = []
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(body[:size])
        body = body[size + 2:]
    return b"".join(out)


@dataclass
class Session:
    """A browser's cookies, kept from answer to answer."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, target: bytes | str, headers: list[tuple[str, bytes | str]] = (),
             body: bytes | None = None, **kwargs: Any) -> Answer:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers = [*headers, *([("Cookie", cookie)] if cookie else [])]
        answer = exchange(self.port, request_bytes(method, target, port=self.port, headers=all_headers,
                                                   body=body, **kwargs))
        self.cookies.update(answer.cookies())
        return answer

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def log_in(server: LiveServer, username: str, password: str) -> Session:
    """The login form, over the socket: a session cookie and the CSRF token that goes with it."""
    session = Session(server.port)
    page = session.send("GET", "/login")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token, page.body[:500]
    form = f"csrfmiddlewaretoken={token.group(1).decode()}&username={username}&password={password}&next=/"
    answer = session.send("POST", "/login", [("Content-Type", "application/x-www-form-urlencoded")],
                          form.encode())
    assert answer.status == 302 and "sessionid" in session.cookies, (answer.status, answer.body[:500])
    return session
