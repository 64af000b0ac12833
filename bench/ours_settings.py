"""The example project's settings, unchanged except for the rate limits.

The benchmark drives one client as fast as it can; AUTHFLOWS['RATE_LIMITS'] (600 token requests per
client per minute, 20 failed authentications per client per minute, ...) would answer almost every
request with 429 and measure the limiter instead of the endpoint. The limiter still runs on every
request (its counters are read and written), only its thresholds are out of reach."""
from example_project.settings import *  # noqa: F401,F403
from example_project.settings import AUTHFLOWS as _AUTHFLOWS

from django_authflows.conf import DEFAULT_RATE_LIMITS

AUTHFLOWS = {**_AUTHFLOWS, "RATE_LIMITS": {name: (10**9, window) for name, (_n, window) in DEFAULT_RATE_LIMITS.items()}}
