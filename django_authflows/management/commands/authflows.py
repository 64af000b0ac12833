"""``manage.py authflows apps|apis|grants|keys|demo ...``: thin subcommands over the service layer."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ... import apis as api_service, applications as app_service, client_jwks, presets
from ...models import Api, Application, ClientGrant, SigningKey

#: Where ``make demo`` serves by default; ``authflows demo`` talks to it when nothing else names a server.
DEFAULT_DEMO_BASE = "http://127.0.0.1:8000/"


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _read_jwk_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(client_jwks.MAX_JWKS_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None


def app_payload(app: Application, secret: str | None = None, *, show_secret: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "client_id": app.client_id,
        "name": app.name,
        "type": app.app_type,
        "grant_types": list(app.grant_types),
        "callbacks": app.redirect_uri_list,
        "allowed_origins": app.origin_list,
        "allowed_logout_urls": app.logout_url_list,
        "token_endpoint_auth_method": app.auth_method,
        "jwks_uri": app.jwks_uri or None,
        "jwks": app.jwks or None,  # public keys only (the admin and the CLI refuse private ones)
        "require_pushed_authorization_requests": app.require_pushed_authorization_requests,
        "is_first_party": app.first_party,
        "pkce_required": app.pkce_required,
        "require_dpop": app.require_dpop,
        "fapi": app.fapi,
        "backchannel_logout_uri": app.backchannel_logout_uri,
        "backchannel_logout_session_required": app.backchannel_logout_session_required,
        "refresh_tokens_end_with_session": app.refresh_tokens_end_with_session,
    }
    if show_secret:
        payload["client_secret"] = secret
    return payload


class Command(BaseCommand):
    help = "Manage applications, APIs, client grants and signing keys (like the Auth0 CLI)."

    def add_arguments(self, parser: CommandParser) -> None:
        groups = parser.add_subparsers(dest="group", required=True, parser_class=_sub(parser))
        apps = groups.add_parser("apps", help="applications (clients)").add_subparsers(dest="action", required=True)
        create = apps.add_parser("create")
        create.add_argument("--name", required=True)
        create.add_argument("--type", required=True, choices=list(presets.PRESETS))
        create.add_argument("--grants")
        create.add_argument("--callbacks")
        create.add_argument("--origins")
        create.add_argument("--logout-urls")
        create.add_argument("--api", help="m2m: create a client grant for this API identifier")
        create.add_argument("--scopes", help="m2m: the client grant's scopes")
        create.add_argument("--third-party", action="store_true")
        create.add_argument(
            "--require-dpop",
            action="store_true",
            help="issue tokens only to token requests with a DPoP proof (RFC 9449)",
        )
        create.add_argument("--backchannel-logout-uri", help="OIDC Back-Channel Logout: where logout tokens go")
        create.add_argument("--backchannel-logout-session-required", action="store_true")
        create.add_argument("--refresh-tokens-end-with-session", action="store_true")
        create.add_argument(
            "--auth-method", choices=list(presets.AUTH_METHODS), help="token endpoint auth method (default: the type's)"
        )
        create.add_argument("--jwks-uri", default="", help="private_key_jwt / request objects: the public key set URL")
        create.add_argument("--jwk-file", help="a file holding the PUBLIC JWK or JWK Set (never a private key)")
        create.add_argument("--require-par", action="store_true", help="refuse requests not pushed to /oauth/par")
        create.add_argument(
            "--fapi",
            action="store_true",
            help="FAPI 2.0 Security Profile mode: PAR, PKCE S256, DPoP required, private_key_jwt with PS256/ES256 "
            "(confidential types; give --jwk-file or --jwks-uri), code flow only, PS256 ID tokens",
        )
        for name in ("show", "delete", "rotate-secret"):
            apps.add_parser(name).add_argument("client_id")
        apps.add_parser("list")

        apis = groups.add_parser("apis", help="APIs (audiences)").add_subparsers(dest="action", required=True)
        create = apis.add_parser("create")
        create.add_argument("--name", required=True)
        create.add_argument("--identifier", required=True)
        create.add_argument("--scopes", default="")
        create.add_argument("--token-lifetime", type=int)
        create.add_argument("--signing-alg", default="RS256", choices=["RS256", "ES256", "EdDSA"])
        create.add_argument("--no-offline-access", action="store_true")
        for name in ("show", "delete"):
            apis.add_parser(name).add_argument("identifier")
        apis.add_parser("list")

        grants = groups.add_parser("grants", help="client grants (m2m app -> API)").add_subparsers(
            dest="action", required=True
        )
        create = grants.add_parser("create")
        create.add_argument("--client-id", required=True)
        create.add_argument("--api", required=True)
        create.add_argument("--scopes", default="")
        delete = grants.add_parser("delete")
        delete.add_argument("--client-id", required=True)
        delete.add_argument("--api", required=True)
        grants.add_parser("list")

        keys = groups.add_parser("keys", help="signing keys").add_subparsers(dest="action", required=True)
        keys.add_parser("list")
        rotate = keys.add_parser("rotate")
        rotate.add_argument("--alg", default=None)
        rotate.add_argument("--prepare", action="store_true", help="only publish a next key")
        keys.add_parser("retire").add_argument("kid")
        keys.add_parser("delete", help="remove a compromised key at once").add_argument("kid")

        groups.add_parser("cleanup", help="delete expired codes, grants and tokens (cron-safe)").add_argument(
            "--json", action="store_true", help="print one JSON object"
        )

        move = groups.add_parser("import-dot", help="move a django-oauth-toolkit project's applications onto ours")
        move.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")
        move.add_argument("--json", action="store_true", help="print one JSON object")

        demo = groups.add_parser("demo", help="example clients").add_subparsers(dest="action", required=True)
        device = demo.add_parser("device", help="act as a device (RFC 8628) and call the API")
        device.add_argument("--client-id", required=True)
        device.add_argument("--scope", default="openid profile offline_access read:messages")
        m2m = demo.add_parser("m2m", help="get a client-credentials token and call the API")
        m2m.add_argument("--client-id", required=True)
        m2m.add_argument("--client-secret", required=True)
        dpop = demo.add_parser(
            "dpop",
            help="get a DPoP-bound client-credentials token (RFC 9449) and call the API "
            "with a proof; then show the same token refused as a Bearer token",
        )
        dpop.add_argument("--client-id", required=True)
        dpop_auth = dpop.add_mutually_exclusive_group(required=True)
        dpop_auth.add_argument("--key-file", help="the client's PRIVATE JWK, for private_key_jwt")
        dpop_auth.add_argument("--client-secret")
        for sub_parser in (device, m2m, dpop):
            sub_parser.add_argument("--audience", default=None, help="the API identifier (default: settings)")
            sub_parser.add_argument(
                "--base-url",
                default=None,
                help=(
                    "the server (default: AUTHFLOWS['ISSUER'], else settings.AUTHFLOWS_DEMO_BASE_URL, the server "
                    f"the demo was seeded for, else {DEFAULT_DEMO_BASE})"
                ),
            )
            sub_parser.add_argument("--api-url", default=None, help="default: BASE/api/private-scoped")

        for sub in (apps, apis, grants, keys, demo):
            for action_parser in sub.choices.values():
                action_parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["group"] == "cleanup":
            from ...cleanup import cleanup

            self.emit(cleanup(), {"json": options.get("json", False)})
            return
        if options["group"] == "import-dot":
            from ...management.import_dot import report

            report(self, options)
            return
        method = getattr(self, f"{options['group']}_{options['action'].replace('-', '_')}")
        try:
            method(options)
        except Application.DoesNotExist:
            raise CommandError(
                f"No application with client_id {options.get('client_id')!r} (`authflows apps list` shows them)."
            ) from None
        except Api.DoesNotExist:
            wanted = options.get("identifier") or options.get("api")
            raise CommandError(f"No API with identifier {wanted!r} (`authflows apis list` shows them).") from None
        except ClientGrant.DoesNotExist:
            raise CommandError(
                f"No client grant for {options.get('client_id')!r} on {options.get('api')!r} "
                "(`authflows grants list` shows them)."
            ) from None
        except SigningKey.DoesNotExist:
            raise CommandError(f"No signing key with kid {options.get('kid')!r} (`authflows keys list`).") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    # -- output ----------------------------------------------------------------------------------
    def emit(
        self, payload: dict[str, Any], options: dict[str, Any], table: list[tuple[str, ...]] | None = None
    ) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(payload, indent=2, sort_keys=False))
            return
        rows = table if table is not None else [(k, _text(v)) for k, v in payload.items()]
        width = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))] if rows else []
        for row in rows:
            self.stdout.write("  ".join(str(c).ljust(w) for c, w in zip(row, width, strict=False)).rstrip())

    # -- apps ------------------------------------------------------------------------------------
    def apps_create(self, o: dict[str, Any]) -> None:
        with transaction.atomic():
            app, secret = app_service.create_application(
                o["type"],
                name=o["name"],
                grants=_csv(o["grants"]) or None,
                callbacks=_csv(o["callbacks"]),
                origins=_csv(o["origins"]),
                logout_urls=_csv(o["logout_urls"]),
                first_party=not o["third_party"],
                require_dpop=o["require_dpop"],
                backchannel_logout_uri=o["backchannel_logout_uri"] or "",
                backchannel_logout_session_required=o["backchannel_logout_session_required"],
                refresh_tokens_end_with_session=o["refresh_tokens_end_with_session"],
                auth_method=o["auth_method"],
                jwks=_read_jwk_file(o["jwk_file"]),
                jwks_uri=o["jwks_uri"],
                require_par=o["require_par"],
                fapi=o["fapi"],
            )
            if o["api"]:
                api_service.create_client_grant(app, Api.objects.get(identifier=o["api"]), _csv(o["scopes"]))
        payload = app_payload(app, secret, show_secret=True)
        if o["api"]:
            payload["client_grant"] = {"audience": o["api"], "scopes": _csv(o["scopes"])}
        self.emit(payload, o)
        if secret and not o["json"]:
            self.stderr.write("The client secret is shown once; it is stored hashed and cannot be shown again.")

    def apps_list(self, o: dict[str, Any]) -> None:
        apps = Application.objects.order_by("name")
        self.emit(
            {"applications": [app_payload(a) for a in apps]},
            o,
            [("CLIENT ID", "TYPE", "NAME", "GRANTS")]
            + [(a.client_id, a.app_type, a.name, ",".join(a.grant_types)) for a in apps],
        )

    def apps_show(self, o: dict[str, Any]) -> None:
        self.emit(app_payload(Application.objects.get(client_id=o["client_id"])), o)

    def apps_delete(self, o: dict[str, Any]) -> None:
        app = Application.objects.get(client_id=o["client_id"])
        app.delete()
        self.emit({"client_id": o["client_id"], "deleted": True}, o)

    def apps_rotate_secret(self, o: dict[str, Any]) -> None:
        app = Application.objects.get(client_id=o["client_id"])
        secret = app_service.rotate_secret(app)
        self.emit({"client_id": app.client_id, "client_secret": secret}, o)

    # -- apis ------------------------------------------------------------------------------------
    def apis_create(self, o: dict[str, Any]) -> None:
        api = api_service.create_api(
            name=o["name"],
            identifier=o["identifier"],
            scopes=o["scopes"],
            token_lifetime=o["token_lifetime"],
            signing_alg=o["signing_alg"],
            allow_offline_access=not o["no_offline_access"],
        )
        self.emit(api_service.api_payload(api), o)

    def apis_list(self, o: dict[str, Any]) -> None:
        apis = Api.objects.all()
        self.emit(
            {"apis": [api_service.api_payload(a) for a in apis]},
            o,
            [("IDENTIFIER", "NAME", "SCOPES")] + [(a.identifier, a.name, ",".join(a.scope_values)) for a in apis],
        )

    def apis_show(self, o: dict[str, Any]) -> None:
        self.emit(api_service.api_payload(Api.objects.get(identifier=o["identifier"])), o)

    def apis_delete(self, o: dict[str, Any]) -> None:
        Api.objects.get(identifier=o["identifier"]).delete()
        self.emit({"identifier": o["identifier"], "deleted": True}, o)

    # -- grants ----------------------------------------------------------------------------------
    def grants_create(self, o: dict[str, Any]) -> None:
        grant = api_service.create_client_grant(
            Application.objects.get(client_id=o["client_id"]), Api.objects.get(identifier=o["api"]), _csv(o["scopes"])
        )
        self.emit(api_service.grant_payload(grant), o)

    def grants_delete(self, o: dict[str, Any]) -> None:
        ClientGrant.objects.get(application__client_id=o["client_id"], api__identifier=o["api"]).delete()
        self.emit({"client_id": o["client_id"], "audience": o["api"], "deleted": True}, o)

    def grants_list(self, o: dict[str, Any]) -> None:
        grants = ClientGrant.objects.select_related("application", "api")
        self.emit(
            {"client_grants": [api_service.grant_payload(g) for g in grants]},
            o,
            [("CLIENT ID", "AUDIENCE", "SCOPES")]
            + [(g.application.client_id, g.api.identifier, ",".join(g.scopes)) for g in grants],
        )

    # -- keys ------------------------------------------------------------------------------------
    def keys_list(self, o: dict[str, Any]) -> None:
        from ...server.keys import active_key

        active_key()
        keys = SigningKey.objects.all()
        rows = [
            {
                "kid": k.kid,
                "alg": k.alg,
                "state": k.state,
                "created": k.created.isoformat(),
                "activated": k.activated.isoformat() if k.activated else None,
                "retired": k.retired.isoformat() if k.retired else None,
            }
            for k in keys
        ]
        self.emit(
            {"keys": rows},
            o,
            [("KID", "ALG", "STATE", "CREATED")] + [(r["kid"], r["alg"], r["state"], r["created"]) for r in rows],
        )

    def keys_rotate(self, o: dict[str, Any]) -> None:
        from ...server import keys

        key = keys.prepare_next(o["alg"]) if o["prepare"] else keys.rotate(o["alg"])
        self.emit({"kid": key.kid, "alg": key.alg, "state": key.state}, o)

    def keys_delete(self, o: dict[str, Any]) -> None:
        from ...server import keys

        keys.delete(o["kid"])
        self.emit({"kid": o["kid"], "deleted": True}, o)

    def keys_retire(self, o: dict[str, Any]) -> None:
        from ...server import keys

        key = keys.retire(o["kid"])
        self.emit({"kid": key.kid, "alg": key.alg, "state": key.state}, o)

    # -- demo ------------------------------------------------------------------------------------
    def _demo_base(self, o: dict[str, Any]) -> tuple[str, str, str | None]:
        from django.conf import settings

        from ...conf import authflows_settings

        base = (
            o["base_url"]
            or authflows_settings.ISSUER
            or getattr(settings, "AUTHFLOWS_DEMO_BASE_URL", None)
            or DEFAULT_DEMO_BASE
        ).rstrip("/") + "/"
        aud = o["audience"] or authflows_settings.AUDIENCE or getattr(settings, "EXAMPLE_API_AUDIENCE", None)
        return base, o["api_url"] or base + "api/private-scoped", aud

    def _demo_result(self, token: dict[str, Any], api_url: str, o: dict[str, Any]) -> None:
        from ..demo_clients import call_api, decode

        status, body = call_api(api_url, token["access_token"])
        payload = {
            "access_token_claims": decode(token["access_token"]),
            "id_token_claims": decode(token["id_token"]) if "id_token" in token else None,
            "refresh_token_issued": "refresh_token" in token,
            "api": {"url": api_url, "status": status, "body": body},
        }
        self.emit(payload, {**o, "json": True})

    def demo_device(self, o: dict[str, Any]) -> None:
        from ..demo_clients import run_device

        base, api_url, aud = self._demo_base(o)
        say = self.stderr.write if o["json"] else self.stdout.write
        try:
            token = run_device(base, o["client_id"], scope=o["scope"], audience=aud, out=say)
            say("Approved. Tokens (decoded) and the API's answer:")
            self._demo_result(token, api_url, o)
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from None

    def demo_m2m(self, o: dict[str, Any]) -> None:
        from ..demo_clients import run_m2m

        base, api_url, aud = self._demo_base(o)
        if not aud:
            raise CommandError("Give --audience (the API identifier).")
        try:
            token = run_m2m(base, o["client_id"], o["client_secret"], audience=aud)
            self._demo_result(token, api_url, o)
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from None

    def demo_dpop(self, o: dict[str, Any]) -> None:
        from ..demo_clients import run_dpop

        base, api_url, aud = self._demo_base(o)
        if not aud:
            raise CommandError("Give --audience (the API identifier).")
        say = self.stderr.write if o["json"] else self.stdout.write
        try:
            result = run_dpop(
                base,
                o["client_id"],
                audience=aud,
                api_url=api_url,
                key_file=o["key_file"],
                client_secret=o["client_secret"],
                out=say,
            )
        except (RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if o["json"]:
            self.emit(result, o)
            return
        jkt = (result["cnf"] or {}).get("jkt")
        say(f"Token type:  {result['token_type']}")
        say(
            f"cnf.jkt:     {jkt}"
            + ("  (the proof key's thumbprint: the token is bound to it)" if jkt == result["proof_key_jkt"] else "")
        )
        api = result["api"]
        say(f"API with Authorization: DPoP + a proof: {api['status']}")
        say(json.dumps(api["body"], indent=2) if not isinstance(api["body"], str) else api["body"])
        bearer = result["as_bearer"]
        say(f"Same token as a plain Bearer token: {bearer['status']}  WWW-Authenticate: {bearer['www_authenticate']}")
        if api["status"] != 200 or bearer["status"] != 401 or jkt != result["proof_key_jkt"]:
            raise CommandError("DPoP did not behave as RFC 9449 says (see above).")


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None else str(value)


def _sub(parent: ArgumentParser) -> type[ArgumentParser]:
    """Subparsers that report errors as CommandError, like the command's own parser."""
    base = type(parent)

    class SubParser(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("called_from_command_line", getattr(parent, "called_from_command_line", None))
            super().__init__(*args, **kwargs)

    return SubParser
