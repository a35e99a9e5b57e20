"""moto's server with DynamoDB requests serialized.

moto's DynamoDB backend is not thread-safe: TransactWriteItems deep-copies a table while
other request threads write to it, which fails with a 500 or lets two conflicting
"atomic" transactions both apply. Real DynamoDB serializes conflicting writes; one lock
around DynamoDB requests gives the emulator the same guarantee. Every other service
(SQS long polls above all) stays concurrent.

Usage: moto_server.py HOST PORT
"""
import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                # Flask builds the whole response inside this call; only the bytes are
                # sent after it (keep the iterable intact: werkzeug needs its close()).
                return app(environ, start_response)
        return app(environ, start_response)

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
