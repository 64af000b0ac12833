"""gunicorn settings for both servers of the benchmark (``-c python:bench.gunicorn_conf``).

With DEBUG off Django sends 5xx tracebacks only to ``mail_admins``; the benchmark wants every server
error in the server's log, with the request, so each worker adds a stderr handler to
``django.request`` once Django is configured. Nothing else changes: no access log (it would cost
both servers a write per request)."""
import logging
import sys

accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 120
graceful_timeout = 5


def post_worker_init(worker):
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("BENCH-SERVER-ERROR %(asctime)s %(name)s %(message)s"))
    logging.getLogger("django.request").addHandler(handler)
    logging.getLogger("django.server").addHandler(handler)
control_socket_disable = True  # gunicorn >= 25; older versions ignore it
