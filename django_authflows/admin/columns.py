"""Compact date columns for the admin's lists, so that a list with its filters fits a 1280 px screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..server.flows.authorization_code import REDEEMED


def short(value: Any) -> str:
    """``2025-03-04 17:05`` in the current time zone (the full date and time stay on the change page)."""
    return "-" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def date_column(field: str, label: Any) -> Callable[[Any], str]:
    @admin.display(description=label, ordering=field)
    def column(obj: Any) -> str:
        return short(getattr(obj, field))

    column.__name__ = f"{field}_short"
    return column


@admin.display(description=_("expires"), ordering="expires")
def code_expiry(obj: Any) -> str:
    """An authorization code redeemed at the token endpoint is marked expires=REDEEMED (2000-01-01): "used"."""
    return str(_("used")) if obj.expires == REDEEMED else short(obj.expires)


CREATED = date_column("created", _("created"))
EXPIRES = date_column("expires", _("expires"))
