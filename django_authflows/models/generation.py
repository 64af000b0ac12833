"""The registry's generation, kept in the database when the default cache is per process."""

from __future__ import annotations

from django.db import models


class RegistryGeneration(models.Model):
    """One row (pk 1): a new random value each time an application, API or client grant changes. Read
    once per request by every process whose cache is not shared (see ``registry``)."""

    value = models.CharField(max_length=32)

    class Meta:
        verbose_name = "registry generation"

    def __str__(self) -> str:
        return self.value
