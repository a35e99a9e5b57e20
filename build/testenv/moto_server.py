"""moto's server, fixed for long concurrent test runs.

1. DynamoDB requests are serialized. moto's DynamoDB backend is not thread-safe:
   TransactWriteItems deep-copies a table while other request threads write to it, which
   fails with a 500 or lets two conflicting "atomic" transactions both apply. Real
   DynamoDB serializes conflicting writes; one lock around DynamoDB requests gives the
   emulator the same guarantee. Every other service (SQS long polls above all) stays
   concurrent.
2. Model instances are not tracked. moto appends every model object it ever creates
   (each SQS message, each DynamoDB item and every deep copy of it) to a class-level list
   used only by /moto-api/reset, which the tests never call: a fleet test grew the
   server past 20 GB.
3. TransactWriteItems backs up each table once, not once per item: it deep-copied the
   whole table for every one of up to 100 items.

Usage: moto_server.py HOST PORT
"""
import copy
import os
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.core.common_models import BaseModel

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def _untracked_new(cls, *args, **kwargs):
    return object.__new__(cls)


def _patch() -> None:
    BaseModel.__new__ = staticmethod(_untracked_new)

    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        backups = {}

        class OncePerTable:
            @staticmethod
            def deepcopy(x, memo=None):
                if not isinstance(x, dynamodb_models.Table):
                    return copy.deepcopy(x, memo)
                if id(x) not in backups:
                    backups[id(x)] = copy.deepcopy(x)
                return backups[id(x)]

        # Safe to swap the module's name: DynamoDB requests run one at a time (the lock).
        dynamodb_models.copy = OncePerTable
        try:
            return original(self, transact_items)
        finally:
            dynamodb_models.copy = copy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    _patch()
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
