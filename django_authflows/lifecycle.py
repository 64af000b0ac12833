"""Users and applications that are gone lose access at once (RFC 9700 §4.14, RFC 7009 §2.1).

Their codes, device grants and refresh tokens are refused where they are redeemed (the flows check
``user.is_active``, so a deactivation made around the ORM holds too); what this module adds is the
deny-listing of live access tokens, which APIs validate without a query and would otherwise accept
until they expire."""

from __future__ import annotations

from typing import Any

_WAS_ACTIVE = "_authflows_was_active"
_PASSWORD_CHANGED = "_authflows_password_changed"


def user_is_active(user: Any) -> bool:
    """What the flows ask before redeeming a code, device grant or refresh token for ``user``."""
    return user is not None and getattr(user, "is_active", True) is not False


def _user_pre_save(sender: Any, instance: Any, update_fields: Any = None, raw: bool = False, **kwargs: Any) -> None:
    """Remember whether the row was active, only when this save may turn it inactive (a login's
    ``save(update_fields=["last_login"])`` costs nothing), and whether its password was set: Django's
    ``set_password`` keeps the raw value in ``_password`` until the save (a login's hash upgrade clears it)."""
    if not raw and instance.pk is not None and getattr(instance, "_password", None) is not None:
        setattr(instance, _PASSWORD_CHANGED, True)
    if raw or instance.pk is None or getattr(instance, "is_active", True) is not False:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was = sender._default_manager.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    setattr(instance, _WAS_ACTIVE, bool(was))


def _user_post_save(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    from .signals import user_sessions_invalidated

    if instance.__dict__.pop(_WAS_ACTIVE, False):  # deactivated by this save
        revoke_user_access_tokens(instance)
        user_sessions_invalidated.send(sender=sender, user=instance, reason="deactivated")
    if instance.__dict__.pop(_PASSWORD_CHANGED, False):  # as Auth0: a new password signs out every session
        user_sessions_invalidated.send(sender=sender, user=instance, reason="password_changed")


def revoke_user_access_tokens(user: Any) -> int:
    """Deny-list and delete a user's live access tokens."""
    from oauth2_provider.models import get_access_token_model

    from . import audit
    from .revocation import revoke_access_tokens

    revoked = revoke_access_tokens(get_access_token_model().objects.filter(user=user))
    audit.event("user_access_revoked", user_id=user.pk, access_tokens=revoked)
    return revoked


def _user_pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """The cascade deletes the rows (codes, device grants, refresh and access tokens): deny-list the
    access tokens first, while they can still be read."""
    from oauth2_provider.models import get_access_token_model

    from .revocation import denylist

    denylist(get_access_token_model().objects.filter(user=instance).only("pk", "expires", "token_checksum"))


def _application_pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An application deleted (admin, CLI or ORM): its access tokens stop working at every API at once."""
    from oauth2_provider.models import get_access_token_model

    from . import audit
    from .revocation import denylist

    rows = list(get_access_token_model().objects.filter(application=instance).only("pk", "expires", "token_checksum"))
    denylist(rows)
    audit.event("application_access_revoked", client_id=instance.client_id, access_tokens=len(rows))


def connect() -> None:
    from django.conf import settings
    from django.db.models.signals import post_save, pre_delete, pre_save
    from oauth2_provider.models import get_application_model

    user_model = settings.AUTH_USER_MODEL
    pre_save.connect(_user_pre_save, sender=user_model, dispatch_uid="authflows_user_pre_save")
    post_save.connect(_user_post_save, sender=user_model, dispatch_uid="authflows_user_post_save")
    pre_delete.connect(_user_pre_delete, sender=user_model, dispatch_uid="authflows_user_pre_delete")
    pre_delete.connect(
        _application_pre_delete, sender=get_application_model(), dispatch_uid="authflows_application_pre_delete"
    )
