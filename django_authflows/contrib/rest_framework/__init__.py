"""Django REST framework glue: authentication, permissions and decorators over resource.bearer."""
