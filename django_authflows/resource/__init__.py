"""Resource server: validates bearer access tokens locally. Imports neither server/ nor contrib/."""
