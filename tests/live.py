"""A real example-project server in a subprocess, on a free loopback port, stopped by its test."""
from __future__ import annotations

import json
import os
import random
import ssl
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port free now. The server binds it only seconds later (after migrate and seed), so with
    ``AUTHFLOWS_TEST_PORTS=LOW-HIGH`` it comes from that band: `make test` gives each of its two lanes a band
    of its own, below the kernel's ephemeral range, so the other lane's servers and sockets never take it."""
    band = os.environ.get("AUTHFLOWS_TEST_PORTS")
    if band:
        low, high = (int(part) for part in band.split("-"))
        for _ in range(500):
            port = random.randint(low, high)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:  # taken (or in TIME_WAIT): another
                    continue
                return port
        raise RuntimeError(f"no free port in AUTHFLOWS_TEST_PORTS={band}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``with LiveServer() as server: server.url, server.manage("authflows", ...)``.

    Runs ``manage.py runserver`` (or gunicorn with ``workers``) on its own SQLite database, or on the
    PostgreSQL/Redis given through ``env`` (DATABASE_URL, REDIS_URL)."""

    def __init__(self, env: dict[str, str] | None = None, *, seed: bool = True, gunicorn: bool = False,
                 workers: int = 2, threads: int = 1, database_dir: str | None = None,
                 tls: tuple[str, str, str] | None = None, worker: bool = False) -> None:
        # tls: (certfile, keyfile, CA file) serves https through gunicorn (the issuer becomes https too).
        self.port = free_port()
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._tmp = database_dir or tempfile.mkdtemp(prefix="authflows-live-")
        self._own_tmp = database_dir is None
        self.env = {**os.environ, "SQLITE_PATH": str(Path(self._tmp) / "db.sqlite3"),
                    "AUTHFLOWS_ISSUER": self.url + "/", "EXAMPLE_API_AUDIENCE": "https://api.example.test/",
                    "DJANGO_SETTINGS_MODULE": "example_project.settings", "PYTHONUNBUFFERED": "1",
                    **(env or {})}
        self.seed, self.gunicorn, self.workers, self.threads = seed, gunicorn, workers, threads
        self.process: subprocess.Popen[bytes] | None = None
        # worker: the task worker beside the server, as `make demo` runs it (back-channel logouts).
        self.worker, self.worker_process = worker, None
        self.log_path = Path(self._tmp) / "server.log"

    def manage(self, *args: str, check: bool = True) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage_json(self, *args: str) -> Any:
        return json.loads(self.manage(*args, "--json"))

    def start(self) -> "LiveServer":
        self.manage("migrate", "--noinput", "-v0")
        if self.seed:
            self.manage("seed_demo", "--base-url", self.url)
        if self.gunicorn:
            cmd = [sys.executable, "-m", "gunicorn", "example_project.wsgi", "-b", f"127.0.0.1:{self.port}",
                   "-w", str(self.workers), "--threads", str(self.threads), "--access-logfile", "-"]
            if self.tls:
                cmd += ["--certfile", self.tls[0], "--keyfile", self.tls[1]]
        else:
            if self.tls:
                raise ValueError("tls needs gunicorn=True")
            cmd = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        if self.worker:
            self.worker_process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
                cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        tls_context = ssl.create_default_context(cafile=self.tls[2]) if self.tls else None
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log())
            try:
                urllib.request.urlopen(self.url + "/.well-known/openid-configuration", timeout=2,
                                       context=tls_context).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start:\n" + self.log())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.worker_process is not None and self.worker_process.poll() is None:
            self.worker_process.terminate()
            try:
                self.worker_process.wait(10)
            except subprocess.TimeoutExpired:
                self.worker_process.kill()
                self.worker_process.wait(5)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if hasattr(self, "_log"):
            self._log.close()
        if self._own_tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "LiveServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()
