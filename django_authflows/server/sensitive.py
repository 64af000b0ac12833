"""Secrets, codes, verifiers, passwords and tokens stay out of Django's error reports (admin e-mails, Sentry)."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

#: ``@method_decorator(KEEP_OUT_OF_REPORTS, name="dispatch")``: every POST parameter is shown as stars, and so
#: is every local variable of the view and of every function it calls (Django applies the nearest enclosing
#: ``sensitive_variables`` to the frames below it: DOT's and oauthlib's frames hold the raw body too).
KEEP_OUT_OF_REPORTS = [sensitive_post_parameters(), sensitive_variables()]


def keep_out_of_reports(view_class: type) -> type:
    """Class decorator form of :data:`KEEP_OUT_OF_REPORTS`."""
    return method_decorator(KEEP_OUT_OF_REPORTS, name="dispatch")(view_class)
