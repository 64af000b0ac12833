"""django_authflows.compat: every private DOT / oauthlib hook we depend on still exists, with the parameters we use,
and every one we use is registered there."""
from __future__ import annotations

import ast
import importlib
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from oauthlib.oauth2.rfc6749.request_validator import RequestValidator

import django_authflows
from django_authflows.compat import CHECKED_AGAINST, HOOKS, Hook

PACKAGE = Path(django_authflows.__file__).parent


def resolve(target: str):
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def parameters(function) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(function).parameters if name != "self")


def library_object(hook: Hook):
    owner = resolve(hook.owner)
    return owner(RequestValidator()) if hook.instance else owner


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: f"{h.owner.rpartition(':')[2]}.{h.name}")
def test_the_hook_exists_in_the_installed_library(hook):
    owner = resolve(hook.owner)
    if hook.set_in is not None:
        source = inspect.getsource(getattr(owner, hook.set_in))
        assert f".{hook.name} =" in source, f"{hook.owner}.{hook.set_in} no longer sets request.{hook.name}"
        return
    found = getattr(library_object(hook), hook.name, None)
    assert found is not None, f"{hook.owner} has no {hook.name} any more (used by {hook.where})"
    if hook.params is not None:
        assert parameters(found) == hook.params, f"{hook.owner}.{hook.name} changed its parameters"


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: f"{h.where}.{h.name}")
def test_the_register_names_where_we_use_the_hook(hook):
    """An entry whose use is gone is removed from the register, so that the register stays the full truth."""
    ours = resolve(hook.where)
    if hook.use == "override":
        assert hook.name in vars(ours), f"{hook.where} no longer overrides {hook.name}"
        if hook.params is not None:
            assert parameters(vars(ours)[hook.name]) == hook.params
    else:
        assert re.search(rf"\b{hook.name}\b", inspect.getsource(ours)), f"{hook.where} no longer uses {hook.name}"


def private_names_in_package() -> set[str]:
    """Names like ``_x`` (not dunders) that the package defines as methods or reads/writes as attributes."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
            else:
                continue
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def test_every_private_library_name_we_use_is_registered():
    from oauth2_provider.oauth2_backends import OAuthLibCore
    from oauth2_provider.oauth2_validators import OAuth2Validator
    from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant, RefreshTokenGrant
    from oauthlib.openid import Server

    server = Server(RequestValidator())
    library = set()
    for obj in (OAuth2Validator, OAuthLibCore, RequestValidator, server, AuthorizationCodeGrant, RefreshTokenGrant,
                server.openid_connect_auth, server.openid_connect_auth.proxy_target):
        library |= {name for name in dir(obj) if name.startswith("_") and not name.startswith("__")}
    used = private_names_in_package() & library
    assert used, "the scan found none of the hooks we know of: it is broken"
    assert used <= {hook.name for hook in HOOKS}, f"register these in django_authflows/compat.py: {used}"


@pytest.mark.parametrize("distribution", sorted(CHECKED_AGAINST))
def test_the_installed_release_line_is_the_one_checked(distribution):
    """A new minor release may move any private hook: re-read them all, then update CHECKED_AGAINST."""
    installed = version(distribution).split(".")[:2]
    assert installed == CHECKED_AGAINST[distribution].split(".")[:2], (
        f"{distribution} {version(distribution)} is installed; compat.HOOKS was checked against "
        f"{CHECKED_AGAINST[distribution]}")
