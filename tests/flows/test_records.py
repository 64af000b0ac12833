"""django_authflows.server.records: ``save_new`` writes the row ``save()`` writes, and ``FirstRow`` returns
what ``.first()`` returns, on SQLite and PostgreSQL (this directory runs on both), with the ORM taking over
where they cannot."""
from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value, signals
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from django_authflows.models import TokenFamily
from django_authflows.server import records

pytestmark = pytest.mark.django_db
#: Fields that differ between two rows made one after the other.
PER_ROW = {"id", "token", "token_checksum", "created", "updated", "family", "token_family"}


def grant_for(app: Any, user: Any, code: str = "code-1", **kwargs: Any) -> Any:
    kwargs.setdefault("expires", timezone.now() + datetime.timedelta(seconds=60))
    return Grant.objects.create(
        application=app, user=user, code=code, redirect_uri="https://client.example.test/callback",
        scope="openid profile", code_challenge="c" * 43, code_challenge_method="S256", **kwargs)


EXPIRES = datetime.datetime(2031, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)


def access_token(app: Any, user: Any, value: str) -> Any:
    record = AccessToken(user=user, scope="openid", expires=EXPIRES,
                         application=app, resource=["https://api.example.test/"])
    record.token = value  # the checksum is the field's own (TokenChecksumField.pre_save)
    return record


def row(model: Any, pk: int) -> dict[str, Any]:
    return {k: v for k, v in model.objects.filter(pk=pk).values()[0].items() if k not in PER_ROW}


def test_save_new_writes_the_row_save_writes(make_client, user):
    app = make_client("regular")
    by_save, by_plan = access_token(app, user, "a" * 40), access_token(app, user, "b" * 40)
    by_save.save()
    before = timezone.now()
    records.save_new(by_plan)
    assert by_plan.pk is not None and by_plan.pk != by_save.pk
    assert by_plan._state.adding is False and by_plan._state.db == "default"
    assert row(AccessToken, by_plan.pk) == row(AccessToken, by_save.pk)
    assert AccessToken.objects.get(pk=by_plan.pk).expires == EXPIRES
    stored = AccessToken.objects.get(pk=by_plan.pk)
    assert stored.created >= before and stored.updated >= before  # auto_now_add and auto_now, as save() sets
    assert (stored.token, stored.token_checksum) == ("b" * 40, hashlib.sha256(b"b" * 40).hexdigest())

    refresh = [RefreshToken(user=user, application=app, access_token=t, token_family=uuid.uuid4(), resource=[])
               for t in (by_save, by_plan)]
    refresh[0].token, refresh[1].token = "r1", "r2"
    refresh[0].save()
    records.save_new(refresh[1])
    assert row(RefreshToken, refresh[1].pk) | {"access_token_id": 0} == row(RefreshToken, refresh[0].pk) | {
        "access_token_id": 0}
    family = TokenFamily(family=refresh[1].token_family, application=app, user=user, audience="aud",
                         scope="openid offline_access", session={"sid": "x", "n": [1, 2]}, dpop_jkt="j" * 43)
    records.save_new(family)
    stored_family = TokenFamily.objects.get(pk=family.pk)
    assert (stored_family.session, stored_family.family, stored_family.scope) == (
        {"sid": "x", "n": [1, 2]}, refresh[1].token_family, "openid offline_access")


def test_save_new_is_one_insert(make_client, user):
    app = make_client("regular")
    record = access_token(app, user, "c" * 40)
    with CaptureQueriesContext(connection) as captured:
        records.save_new(record)
    statements = [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO"), statements


def test_save_new_leaves_it_to_save_when_a_receiver_listens(make_client, user):
    app = make_client("regular")
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append((instance, created))

    signals.post_save.connect(receiver, sender=AccessToken)
    try:
        record = access_token(app, user, "d" * 40)
        records.save_new(record)
    finally:
        signals.post_save.disconnect(receiver, sender=AccessToken)
    assert seen == [(record, True)]
    assert AccessToken.objects.filter(pk=record.pk).exists()


def test_save_new_marks_the_transaction_as_save_does(make_client, user):
    """A failed INSERT inside atomic() leaves the block unusable until it is rolled back, as save() leaves
    it: the caller cannot carry on as if the row existed."""
    app = make_client("regular")
    family = uuid.uuid4()
    records.save_new(TokenFamily(family=family, application=app, user=user))
    for insert in (lambda obj: obj.save(), records.save_new):
        with pytest.raises(IntegrityError), transaction.atomic():
            try:
                insert(TokenFamily(family=family, application=app, user=user))  # family is unique
            finally:
                assert connection.needs_rollback
    assert TokenFamily.objects.filter(family=family).count() == 1


def test_save_new_refuses_an_unsaved_related_object_as_save_does(make_client, user):
    app = make_client("regular")
    unsaved = access_token(app, user, "e" * 40)
    refresh = RefreshToken(user=user, application=app, access_token=unsaved, token="r3")
    with pytest.raises(ValueError, match="unsaved related object"):
        records.save_new(refresh)


GRANT_BY_CODE = records.FirstRow(lambda model, code: model.objects.select_related("user").filter(code=code)
                                 .order_by("pk"), "code")
REFRESH_BY_CHECKSUM = records.FirstRow(
    lambda model, checksum: model.objects.filter(token_checksum=checksum).select_related("access_token", "user")
    .order_by(F("revoked").desc(nulls_first=True)), "token_checksum")


@pytest.mark.parametrize("code", ["code-1", "it's \"quoted\" %s %(x)s ; --", "ümlaut-☃"])
def test_first_row_returns_what_first_returns(make_client, user, code):
    app = make_client("regular")
    grant = grant_for(app, user, code, nonce="n-1", claims='{"a": 1}')
    grant_for(app, user, "another-code")
    with CaptureQueriesContext(connection) as captured:
        found = GRANT_BY_CODE.first(Grant, code)
        assert found.user.username == "alice"  # select_related: no second query
    assert len(captured) == 1
    orm = Grant.objects.select_related("user").filter(code=code).first()
    assert found == orm == grant
    fields = [f.attname for f in Grant._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert found.expires.tzinfo is not None and found.expires == orm.expires  # the database's converters
    assert [getattr(found.user, f.attname) for f in found.user._meta.concrete_fields] == [
        getattr(orm.user, f.attname) for f in orm.user._meta.concrete_fields]
    assert found._state.adding is False and found._state.db == "default"
    assert GRANT_BY_CODE.first(Grant, code + "x") is None
    assert GRANT_BY_CODE.first(Grant, "") is None
    assert GRANT_BY_CODE.plans[(Grant, "default")] is not None


def test_first_row_with_a_missing_related_row_and_the_order(make_client, user):
    app = make_client("regular")
    checksum = hashlib.sha256(b"r-1").hexdigest()
    revoked = RefreshToken.objects.create(user=user, application=app, access_token=None, token="r-1",
                                          revoked=timezone.now())
    assert REFRESH_BY_CHECKSUM.first(RefreshToken, checksum) == revoked
    live = RefreshToken.objects.create(user=user, application=app, access_token=None, token="r-1")
    with CaptureQueriesContext(connection) as captured:
        found = REFRESH_BY_CHECKSUM.first(RefreshToken, checksum)
        assert found.access_token is None and found.user == user
    assert len(captured) == 1
    assert found == live  # the live one first, as the ORM orders them
    assert found.revoked is None
    assert REFRESH_BY_CHECKSUM.plans[(RefreshToken, "default")] is not None


def test_first_row_by_a_uuid_column(make_client, user):
    """The value goes in as the column's field prepares it (a UUID: hex text on SQLite, a uuid on PostgreSQL)."""
    app = make_client("regular")
    families = [TokenFamily.objects.create(family=uuid.uuid4(), application=app, user=user) for _ in range(2)]
    by_family = records.FirstRow(lambda model, value: model.objects.filter(family=value).order_by("pk"), "family")
    assert by_family.first(TokenFamily, families[1].family) == families[1]
    assert by_family.first(TokenFamily, families[0].family) == families[0]
    assert by_family.first(TokenFamily, uuid.uuid4()) is None
    assert by_family.plans[(TokenFamily, "default")] is not None  # compiled, not left to the ORM
    assert by_family.first(TokenFamily, None) is None  # IS NULL has no parameter: the ORM's


def test_first_row_leaves_a_query_it_cannot_run_to_the_orm(make_client, user):
    """A query whose parameters are not the value alone (here a second condition) is read the ORM way, with
    the same answer."""
    app = make_client("regular")
    grant = grant_for(app, user, "code-9")
    by_code_and_scope = records.FirstRow(
        lambda model, code: model.objects.filter(code=code, scope="openid profile").order_by("pk"), "code")
    assert by_code_and_scope.first(Grant, "code-9") == grant
    assert by_code_and_scope.first(Grant, "code-10") is None
    assert by_code_and_scope.plans == {(Grant, "default"): None}


def test_save_new_makes_no_plan_from_an_expression(make_client, user):
    """A value that is an expression writes its own SQL into the INSERT: that row is saved the ORM way, and
    the next rows are not written through its statement (here they would come out lower case)."""
    app = make_client("regular")
    records._insert_plans.clear()
    first = TokenFamily(family=uuid.uuid4(), application=app, user=user, audience=Lower(Value("Expr-AUD")))
    records.save_new(first)
    assert TokenFamily.objects.get(pk=first.pk).audience == "expr-aud"
    later = TokenFamily(family=uuid.uuid4(), application=app, user=user, audience="Mixed-Case")
    with CaptureQueriesContext(connection) as captured:
        records.save_new(later)
    assert TokenFamily.objects.get(pk=later.pk).audience == "Mixed-Case"
    assert [q["sql"][:6] for q in captured if "SAVEPOINT" not in q["sql"]] == ["INSERT"]
    assert records._insert_plans[(TokenFamily, "default")] is not None


def test_save_new_takes_a_key_set_after_the_related_object_was_saved(make_client, user):
    """As save(): a related object assigned unsaved and saved afterwards gives its key to the row."""
    app = make_client("regular")
    token = access_token(app, user, "f" * 40)
    refresh = RefreshToken(user=user, application=app, access_token=token, token="r-late")
    records.save_new(token)
    records.save_new(refresh)
    assert RefreshToken.objects.get(pk=refresh.pk).access_token_id == token.pk


def test_update_claims_once_and_writes_what_update_writes(make_client, user):
    app = make_client("regular")
    claim = records.Update()
    grants = [grant_for(app, user, f"code-{n}") for n in range(3)]
    redeemed = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    # the ORM's own update, to compare with
    assert Grant.objects.filter(pk=grants[0].pk, expires=grants[0].expires).update(
        expires=redeemed, claims='{"it\'s": "orm"}') == 1
    for grant in grants[1:]:
        with CaptureQueriesContext(connection) as captured:
            assert claim.run(Grant, {"pk": grant.pk, "expires": grant.expires},
                             {"expires": redeemed, "claims": '{"it\'s": "orm"}'}) == 1
        assert [q["sql"][:6] for q in captured if "SAVEPOINT" not in q["sql"]] == ["UPDATE"]
        # the condition no longer holds: nothing is claimed twice
        assert claim.run(Grant, {"pk": grant.pk, "expires": grant.expires}, {"expires": redeemed}) == 0
    rows = [Grant.objects.filter(pk=g.pk).values("expires", "claims")[0] for g in grants]
    assert rows[0] == rows[1] == rows[2] == {"expires": redeemed, "claims": '{"it\'s": "orm"}'}
    # one plan per set of columns, each compiled (None would mean left to the ORM)
    assert len(claim.plans) == 2 and all(sql.startswith("UPDATE") for sql in claim.plans.values())


def test_update_with_an_is_null_condition(make_client, user):
    app = make_client("regular")
    claim = records.Update()
    tokens = [RefreshToken.objects.create(user=user, application=app, token=f"r-{n}") for n in range(2)]
    now = timezone.now()
    assert claim.run(RefreshToken, {"pk": tokens[0].pk, "revoked": None}, {"revoked": now, "updated": now}) == 1
    assert claim.run(RefreshToken, {"pk": tokens[0].pk, "revoked": None}, {"revoked": now, "updated": now}) == 0
    assert RefreshToken.objects.get(pk=tokens[0].pk).revoked == now
    assert RefreshToken.objects.get(pk=tokens[1].pk).revoked is None  # only the named row
    # the same statement with a value instead of NULL is another plan, not the IS NULL one
    assert claim.run(RefreshToken, {"pk": tokens[0].pk, "revoked": now}, {"updated": now}) == 1
    assert len(claim.plans) == 2 and None not in claim.plans.values()
