"""The reference pages cannot drift from the code: every check id, setting, signal, adapter method and CLI
subcommand and option the code defines is on its page."""
from __future__ import annotations

import argparse
import inspect
import re

from django.core.management import load_command_class
from django.dispatch import Signal

from django_authflows import adapter, checks, conf, signals

from .guides import DOCS


def page(name: str) -> str:
    return (DOCS / name).read_text()


def test_every_system_check_id_is_listed() -> None:
    ids = set(re.findall(r'id="(authflows\.[EW]\d{3})"', inspect.getsource(checks)))
    assert len(ids) >= 12, ids
    text = page("reference/checks.md")
    listed = set(re.findall(r"^\| `(authflows\.[EW]\d{3})`", text, re.M))
    assert ids == listed, f"missing: {sorted(ids - listed)}, not in the code: {sorted(listed - ids)}"


def test_every_setting_is_listed_with_its_default() -> None:
    text = page("settings.md")
    keys = [name for name, value in vars(conf.AuthflowsSettings).items() if isinstance(value, property)]
    assert len(keys) >= 15, keys
    section = text[text.index("## AUTHFLOWS"):text.index("### LIFETIMES")]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", section, re.M))
    assert set(keys) <= set(rows), f"AUTHFLOWS keys missing from docs/settings.md: {sorted(set(keys) - set(rows))}"
    assert set(rows) <= set(keys), f"docs/settings.md lists keys the code does not read: {sorted(set(rows) - set(keys))}"
    # the nested dicts: every name with its default value
    for table in (conf.DEFAULT_LIFETIMES, conf.DEFAULT_RATE_LIMITS):
        for name, default in table.items():
            shown = str(default).replace(" ", "")
            row = re.search(rf"^\| `{name}` \| `([^`]+)`", text, re.M)
            assert row, f"{name} is missing from docs/settings.md"
            assert row.group(1).replace(" ", "") == shown, f"{name}: the page says {row.group(1)}, the code {default}"
    backchannel = re.search(r"^\| `BACKCHANNEL_LOGOUT` \| `(\{.+?\})`", text, re.M)
    assert backchannel and eval(backchannel.group(1)) == conf.DEFAULT_BACKCHANNEL  # noqa: S307 (a literal)
    flows = re.search(r"^\| `FLOWS` \| `(\[.+?\])`", text, re.M)
    assert flows and set(eval(flows.group(1))) == conf.DEFAULT_FLOWS  # noqa: S307 (a literal)


def test_every_signal_is_listed() -> None:
    defined = {name for name, value in vars(signals).items() if isinstance(value, Signal)}
    assert len(defined) >= 5, defined
    listed = set(re.findall(r"^\| `(\w+)` \|", page("reference/signals.md"), re.M))
    assert defined == listed, f"missing: {sorted(defined - listed)}, not in the code: {sorted(listed - defined)}"


def test_every_adapter_method_is_described() -> None:
    methods = {name for name, _ in inspect.getmembers(adapter.DefaultAdapter, inspect.isfunction)
               if not name.startswith("_")}
    listed = set(re.findall(r"^\| `(\w+)\(", page("reference/adapter.md"), re.M))
    assert methods == listed, f"missing: {sorted(methods - listed)}, not in the code: {sorted(listed - methods)}"
    assert "django_authflows.adapter.DefaultAdapter" in page("settings.md")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(subcommand path, option strings) for every leaf of `manage.py authflows`."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        options = {s for a in parser._actions for s in a.option_strings if s.startswith("--")}
        yield prefix, options
        return
    for name, sub in subs[0].choices.items():
        yield from _commands(sub, (*prefix, name))


def test_every_cli_subcommand_and_option_is_listed() -> None:
    command = load_command_class("django_authflows", "authflows")
    parser = command.create_parser("manage.py", "authflows")
    text = page("reference/cli.md")
    django_options = {s for a in parser._actions for s in a.option_strings}
    leaves = list(_commands(parser))
    assert len(leaves) >= 20, leaves
    for path, options in leaves:
        assert f"authflows {' '.join(path)}" in text, f"`authflows {' '.join(path)}` is missing from the CLI reference"
        for option in sorted(options - django_options):
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), f"{option} of `authflows {' '.join(path)}` is missing from the CLI reference"
