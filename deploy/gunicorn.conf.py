"""gunicorn's settings in production (deploy/systemd/tracker.service) and in the load test
(bench/load/run.py), so that what is documented is what is load-tested.

The bind address comes from the command line: a Unix socket behind nginx in production,
a TCP port on 127.0.0.1 in the load test.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 10
# Longer than nginx keeps an idle upstream connection (deploy/nginx: keepalive_timeout 5s),
# so gunicorn never closes a connection nginx is about to reuse.
keepalive = 10
# Access lines come from nginx; the app's own key=value log goes to stderr (journald).
accesslog = None
errorlog = "-"


def child_exit(server, worker):
    """With several workers the metrics page sums every worker's counts from files in
    PROMETHEUS_MULTIPROC_DIR; a worker that has gone must be marked so (prometheus_client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
