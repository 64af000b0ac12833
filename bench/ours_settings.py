"""The example project's settings, unchanged except for the rate limits (and, in the production class, a
key prefix of its own in Redis).

The benchmark drives one client as fast as it can; AUTHFLOWS['RATE_LIMITS'] (600 token requests per
client per minute, 20 failed authentications per client per minute, ...) would answer almost every
request with 429 and measure the limiter instead of the endpoint. The limiter still runs on every
request (its counters are read and written), only its thresholds are out of reach.

With ``REDIS_URL`` the example project uses django-redis as its cache; ``BENCH_REDIS_PREFIX`` gives the
run's keys a prefix of their own, so that the run cleans only its own keys."""
import os

from example_project.settings import *  # noqa: F401,F403
from example_project.settings import AUTHFLOWS as _AUTHFLOWS

from django_authflows.conf import DEFAULT_RATE_LIMITS

AUTHFLOWS = {**_AUTHFLOWS, "RATE_LIMITS": {name: (10**9, window) for name, (_n, window) in DEFAULT_RATE_LIMITS.items()}}
if os.environ.get("REDIS_URL") and os.environ.get("BENCH_REDIS_PREFIX"):
    from example_project.settings import CACHES as _CACHES

    CACHES = {"default": {**_CACHES["default"], "KEY_PREFIX": os.environ["BENCH_REDIS_PREFIX"]}}
