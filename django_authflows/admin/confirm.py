"""An intermediate "Are you sure?" page for destructive admin actions, like Django's delete confirmation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

TEMPLATE = "admin/authflows/confirm.html"


def confirmed(request: HttpRequest) -> bool:
    """True once the person has pressed "Yes, I'm sure" on the page :func:`confirm` rendered."""
    return request.method == "POST" and request.POST.get("post") == "yes"


def confirm(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    question: str,
    objects: Iterable[Any],
    consequences: Iterable[str] = (),
    action: str | None = None,
    submit: str | StrPromise = _("Yes, I’m sure"),
    cancel_url: str | None = None,
    describe: Callable[[Any], str] = str,
) -> TemplateResponse:
    """Render the confirmation page. With ``action`` it posts back to the changelist as an admin action
    (the selected ids ride along, as on Django's "delete selected" page); without, to the same URL.
    ``describe`` labels each object (``str`` by default)."""
    opts = modeladmin.model._meta
    rows = [{"pk": obj.pk, "label": describe(obj)} for obj in objects]
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "question": question,
        "objects": rows,
        "consequences": list(consequences),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "submit": submit,
        "cancel_url": cancel_url
        or reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=modeladmin.admin_site.name),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, TEMPLATE, context)
