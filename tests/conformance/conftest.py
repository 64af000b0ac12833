"""One live https server per OIDF plan, each module's outcome, and docs/conformance.md at the end of a full run."""
from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

from ..live import LiveServer
from ..sessions.receiver import Receiver
from . import fapi, report
from .flows import OP, Client, happy
from .oidf import Module
from .plans import VARIANTS

GRANTS = {"implicit": "authorization_code,implicit,refresh_token"}
_outcomes: dict[tuple[str, str], tuple[str, str]] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "module(name): the OIDF conformance module (its testName) a test reproduces")


class Servers:
    """Starts a plan's server on first use (``get``) and stops them all at the end of the session."""

    def __init__(self) -> None:
        import trustme

        self._dir = tempfile.mkdtemp(prefix="authflows-conformance-")
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca_file = str(Path(self._dir) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        cert.private_key_pem.write_to_path(str(Path(self._dir) / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(Path(self._dir) / "cert.pem"))
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(str(Path(self._dir) / "cert.pem"), append=True)
        self.tls = (str(Path(self._dir) / "cert.pem"), str(Path(self._dir) / "key.pem"), self.ca_file)
        self.live: dict[str, LiveServer] = {}
        self._locks: dict[str, threading.Lock] = {}
        self.ops: dict[str, OP] = {}
        self.receivers: list[Receiver] = []

    def start_all(self, plans: set[str]) -> None:
        """Migrating and seeding takes most of a server's start: the plans' servers start side by side."""
        with ThreadPoolExecutor(max_workers=len(plans) or 1) as pool:
            for future in [pool.submit(self.get, plan) for plan in sorted(plans)]:
                future.result()

    def get(self, plan: str) -> OP:
        with self._locks.setdefault(plan, threading.Lock()):
            return self._get(plan)

    def _get(self, plan: str) -> OP:
        if plan not in self.ops:
            # The back-channel plan: the task worker beside the server, and each client's receiver (a loopback
            # http.server in this process, where the OIDF suite serves /backchannel_logout itself).
            live = LiveServer(gunicorn=True, workers=1, threads=4, tls=self.tls, worker=plan == "backchannel")
            self.live[plan] = live
            live.start()
            if plan.startswith("fapi2"):
                self.ops[plan] = self._fapi(plan, live)
                return self.ops[plan]
            clients = {}
            receivers = {name: Receiver().__enter__() for name in ("client1", "client2")} if plan == "backchannel" else {}
            self.receivers.extend(receivers.values())
            for name in ("client1", "client2"):
                redirect = f"{live.url}/conformance/{plan}/{name}/callback"
                logout = f"{live.url}/conformance/{plan}/{name}/post_logout_redirect"
                app = live.manage_json("authflows", "apps", "create", "--name", f"conformance {plan} {name}",
                                       "--type", "regular", "--grants",
                                       GRANTS.get(plan, "authorization_code,refresh_token"),
                                       "--callbacks", redirect, "--logout-urls", logout,
                                       *(["--backchannel-logout-uri", receivers[name].url,
                                          "--backchannel-logout-session-required"] if receivers else []))
                clients[name] = Client(app["client_id"], app["client_secret"], redirect, logout)
            self.ops[plan] = OP(plan, live.url, self.ca_file, clients)
            self.ops[plan].prepared["receivers"] = receivers
        return self.ops[plan]

    def _fapi(self, plan: str, live: LiveServer) -> OP:
        """The FAPI 2.0 plans' two static clients (client, client2): `authflows apps create --fapi` with their public
        keys (ES256 and RSA), regular web apps for the code flow, m2m for the client credentials profile."""
        clients, fapi_clients = {}, {}
        for name in ("client1", "client2"):
            keys = fapi.new_keys()
            key_file = Path(self._dir) / f"{plan}-{name}.jwks.json"
            key_file.write_text(fapi.public_jwks(keys))
            redirect = f"{live.url}/conformance/{plan}/{name}/callback"
            if plan == "fapi2-ccg":
                kind = ["--type", "m2m", "--api", fapi.API, "--scopes", "read:messages"]
            else:
                kind = ["--type", "regular", "--callbacks", redirect]
            app = live.manage_json("authflows", "apps", "create", "--name", f"conformance {plan} {name}", *kind,
                                   "--fapi", "--jwk-file", str(key_file))
            clients[name] = Client(app["client_id"], None, redirect)
            fapi_clients[name] = fapi.FapiClient(app["client_id"], redirect, keys)
        op = OP(plan, live.url, self.ca_file, clients)
        op.prepared["fapi"] = fapi_clients
        return op

    def stop(self) -> None:
        for live in self.live.values():
            live.stop()
        for receiver in self.receivers:
            receiver.__exit__()


@pytest.fixture(scope="session")
def servers(request: pytest.FixtureRequest) -> Iterator[Servers]:
    s = Servers()
    plans = {VARIANTS[item.callspec.params["variant_id"]].plan for item in request.session.items
             if item.get_closest_marker("module") is not None and hasattr(item, "callspec")}
    try:
        s.start_all(plans)
    except BaseException:
        s.stop()
        raise
    yield s
    s.stop()


@pytest.fixture
def variant_id(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def mod(request: pytest.FixtureRequest, variant_id: str) -> Module:
    return Module(request.node.get_closest_marker("module").args[0], VARIANTS[variant_id])


@pytest.fixture
def op(servers: Servers, mod: Module) -> OP:
    op = servers.get(mod.variant.plan)
    if mod.variant.plan == "fapi2" and "expiring" not in op.prepared:
        op.prepared["expiring"] = _fapi_expiring_first_half(op, mod.variant)
    if mod.variant.plan.startswith("fapi2"):
        return op
    if mod.variant.response_type == "code" and "codereuse-30seconds" not in op.prepared:
        op.prepared["codereuse-30seconds"] = _codereuse_first_half(op, mod.variant)
    return op


def _codereuse_first_half(op: OP, variant: Any) -> dict[str, Any]:
    """oidcc-codereuse-30seconds up to its 30-second wait, started with the plan so that the wait overlaps the
    other modules (the module then waits whatever is left of the 30 seconds before reusing the code)."""
    first = Module("oidcc-codereuse-30seconds", variant)
    try:
        flow = happy(first, op)
    except AssertionError as exc:
        return {"module": first, "flow": None, "error": str(exc)}
    return {"module": first, "flow": flow, "redeemed_at": time.time()}


def _fapi_expiring_first_half(op: OP, variant: Any) -> dict[str, Any]:
    """The two FAPI modules that wait for something to expire (a code: 60 s at most for a FAPI application; a
    request_uri: PAR's expires_in), started with the plan so that the waits overlap the other modules."""
    out: dict[str, Any] = {}
    client = op.prepared["fapi"]["client1"]
    try:
        flow = fapi.Fapi(Module("fapi2-security-profile-final-par-attempt-to-use-expired-request_uri", variant), op,
                         client)
        flow.auth_params()
        resp = flow.par()
        out["par"] = (flow, resp.json(), time.time())
        coded = fapi.Fapi(Module("fapi2-security-profile-final-ensure-token-endpoint-fails-with-expired-auth-code",
                                 variant), op, client)
        coded.auth_params()
        coded.push()
        coded.browse()
        out["code"] = (coded, coded.code(), time.time())
    except AssertionError as exc:
        out["error"] = str(exc)
    return out


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """callAndContinueOnFailure: the conditions that failed without stopping fail the module at its end."""
    result = yield
    module = getattr(item, "funcargs", {}).get("mod")
    if isinstance(module, Module) and module.failures:
        raise AssertionError("OIDF FAILURE: " + "; ".join(module.failures))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[Any]:
    rep = yield
    marker = item.get_closest_marker("module")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None:
        return rep
    key = (callspec.params["variant_id"], marker.args[0])
    module = getattr(item, "funcargs", {}).get("mod")
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        _outcomes[key] = ("N/A", reason.removeprefix("Skipped: "))
    elif rep.failed:
        detail = "; ".join(module.failures) if isinstance(module, Module) and module.failures else ""
        if not detail and call.excinfo is not None:
            detail = f"{call.excinfo.typename}: {str(call.excinfo.value).splitlines()[0][:300]}"
        _outcomes[key] = ("FAIL", detail)
    elif rep.when == "call":
        warnings = module.warnings if isinstance(module, Module) else []
        _outcomes[key] = ("WARNING", "; ".join(warnings)) if warnings else ("PASS", "")
    return rep


def pytest_sessionfinish(session: pytest.Session) -> None:
    report.write_if_complete(_outcomes)
