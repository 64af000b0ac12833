"""A real back-channel logout receiver: an http.server on a free loopback port, in a thread."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class Receiver:
    """``with Receiver(status=200) as r: r.url``; ``r.tokens`` lists the logout tokens POSTed, ``r.delay``
    makes each answer wait (a slow RP)."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                receiver.posts.append({"content_type": self.headers.get("Content-Type"), "form": parse_qs(body),
                                       "at": time.time()})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"

    @property
    def tokens(self) -> list[str]:
        return [p["form"]["logout_token"][0] for p in self.posts if "logout_token" in p["form"]]

    def wait_for(self, count: int, timeout: float) -> list[str]:
        deadline = time.time() + timeout
        while len(self.posts) < count and time.time() < deadline:
            time.sleep(0.05)
        return self.tokens

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
