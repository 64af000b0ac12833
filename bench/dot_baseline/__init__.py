"""The baseline: stock django-oauth-toolkit wired as its documentation shows (tutorial + DRF + OIDC)."""
