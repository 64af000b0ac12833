"""Device Authorization Grant (RFC 8628): codes, the device endpoint, polling and the /activate pages."""
