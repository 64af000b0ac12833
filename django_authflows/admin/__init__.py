"""Admin screens on a par with Auth0's dashboard, in Django's own admin: applications, APIs, signing keys,
and the records the flows keep. Django's autodiscovery imports this package; each module registers its
ModelAdmins (replacing DOT's, which oauth2_provider registers first)."""

from __future__ import annotations

from . import apis, applications, keys, operations, sessions  # noqa: F401  (registration happens on import)
