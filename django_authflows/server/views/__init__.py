"""Server views, one module per endpoint family."""
