"""Servers on PostgreSQL and Redis (as the machine runs them) or on SQLite, for races across processes."""
from __future__ import annotations

import socket
import uuid

import pytest

from ..live import LiveServer

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh PostgreSQL database, dropped afterwards."""
    if not reachable(PG):
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = "authflows_" + uuid.uuid4().hex[:12]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_url():
    if not reachable(REDIS):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    db = 9
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=db)
    client.flushdb()
    yield f"redis://127.0.0.1:6379/{db}"
    client.flushdb()


@pytest.fixture(params=["sqlite", "postgres"])
def race_server(request):
    """gunicorn, 2 processes x 4 threads, on SQLite (the embedded default) or PostgreSQL."""
    env = {}
    if request.param == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    with LiveServer(env, gunicorn=True, workers=2, threads=4) as live:
        yield live
