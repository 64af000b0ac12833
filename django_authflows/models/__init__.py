"""Models: the swapped DOT Application, APIs and client grants, signing keys, consent."""

from __future__ import annotations

from .api import Api, ClientGrant
from .application import Application
from .consent import Consent
from .device import DeviceGrant
from .family import TokenFamily
from .generation import RegistryGeneration
from .keys import SigningKey
from .session import BackchannelDelivery, LoginSession, SessionApplication

__all__ = [
    "Api",
    "Application",
    "BackchannelDelivery",
    "ClientGrant",
    "Consent",
    "DeviceGrant",
    "LoginSession",
    "RegistryGeneration",
    "SessionApplication",
    "SigningKey",
    "TokenFamily",
]
