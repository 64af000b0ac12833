"""Fixtures of the session and back-channel logout tests."""
from __future__ import annotations

import pytest

from ..flows.conftest import spa_tokens  # noqa: F401  (the SPA's first token response)


@pytest.fixture
def enqueued():
    """The delivery ids handed to the task backend (tests/settings.py: the dummy backend, which runs nothing)."""
    from django_authflows.compat import task  # noqa: F401  (the framework in use)
    from django_authflows.server.backchannel import deliver

    backend = deliver.get_backend()
    backend.results.clear()
    yield lambda: [r.args[0] for r in backend.results]
    backend.results.clear()
