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
4. ECS RunTask accepts a Fargate task definition whose memory is set for the task only
   (as AWS does): moto added up the containers' memory and failed with a 500 when a
   container had none. The task's own memory stands in for such a container.
5. UpdateAutoScalingGroup keeps a group's MixedInstancesPolicy when the call does not
   give one (as AWS does): moto dropped it, and with it the group's launch template.
6. Under IAM enforcement, SQS GetQueueUrl is checked against the named queue's ARN (as
   AWS does): moto looked for a QueueUrl the call does not have and checked "*", which
   no policy scoped to a queue allows.
7. Under IAM enforcement, DynamoDB transactions are authorized item by item (PutItem,
   UpdateItem, DeleteItem, ConditionCheckItem; GetItem), as AWS does: IAM has no
   TransactWriteItems action, and moto checked one, which no task policy names. Likewise
   SQS's batch calls need the single calls' actions (SendMessage for SendMessageBatch ...).
8. Under IAM enforcement, Lambda's REST calls are not refused for a signature moto
   computes wrongly for them (every call, even an administrator's, got
   SignatureDoesNotMatch); their actions are still authorized.
9. POST /_thub/stepfunctions/execution {"executionArn", "status", "output", "error",
   "cause"} ends an execution: with its interpreter off, moto leaves every execution
   RUNNING, and a test that plays the state machine itself (cloud/deploy/harness)
   records the outcome here, so DescribeExecution tells what a user would see. An
   execution that has ended already (StopExecution made it ABORTED) keeps its outcome,
   as on AWS: the route answers 409 and changes nothing.
10. Fn::Sub with a variable map keeps "$$" (Step Functions' context object, as in
   "$$.Execution.Id"), as AWS does: moto substituted the map with string.Template, which
   turned "$$" into "$".
11. Auto Scaling CompleteLifecycleAction (moto has none; nor does it hold instances in
   Terminating:Wait): the group must exist; each completion is kept and listed by
   GET /_thub/autoscaling/lifecycle-actions (JSON [{"group","hook","instance","result"}])
   for the harness, which plays the wait. Under IAM enforcement it is authorized on the
   group's ARN, as AWS does.

12. SQS calls on a queue's messages are atomic, as on AWS. moto checks that a message is
   visible and marks it received in separate steps, and counts receives with "+= 1",
   without a lock: two concurrent ReceiveMessage calls could both take one message, each
   told it was its first receive (a fleet test saw one job copied by two workers, each in
   its "first delivery"). DeleteMessage rebuilt the message list while SendMessage
   appended to the old one, which could drop a sent message. One lock orders them; a
   long poll waits outside it.
13. CloudFormation requests are serialized. moto builds a stack's resources lazily: reading
   a resource that is not built yet builds it. A DescribeStackResources (or DescribeStacks
   resolving outputs) in another request thread while CreateStack runs built resources a
   second time: an image task's state machine named one Lambda function and the stack
   another (e2e saw "function ... is not stack ...'s"). On AWS a stack's resources exist
   once; one lock around CloudFormation calls gives the emulator the same.

Usage: moto_server.py HOST PORT
"""
import copy
import json
import os
import sys
import threading
import time

import moto.autoscaling.models as autoscaling_models
import moto.autoscaling.responses as autoscaling_responses
import moto.cloudformation.parsing as cfn_parsing
import string
import types
import moto.dynamodb.models as dynamodb_models
import moto.ecs.models as ecs_models
import moto.iam.access_control as access_control
import moto.sqs.models as sqs_models
import moto.sqs.responses as sqs_responses
from moto.sqs.exceptions import QueueDoesNotExist
from moto.core.common_models import BaseModel
from moto.autoscaling.exceptions import ValidationError as AutoScalingValidationError
from moto.core.responses import EmptyResult
from moto.core.utils import utcnow
from moto.stepfunctions.models import stepfunctions_backends

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

    backend = ecs_models.EC2ContainerServiceBackend
    requirements = backend._calculate_task_resource_requirements

    class TaskMemory:
        """A task definition whose containers without memory get the task's."""

        def __init__(self, td):
            task_memory = int(td.memory or 0) if str(td.memory or "").isdigit() else 0
            keys = ("Memory", "MemoryReservation", "memory", "memoryReservation")
            self.container_definitions = [
                cd if any(k in cd for k in keys) else dict(cd, memory=task_memory)
                for cd in td.container_definitions
            ]

    backend._calculate_task_resource_requirements = staticmethod(
        lambda td: requirements(TaskMemory(td))
    )

    group_update = autoscaling_models.FakeAutoScalingGroup.update

    def update(self, *args, **kwargs):
        kept = self.mixed_instances_policy
        group_update(self, *args, **kwargs)
        if kwargs.get("mixed_instances_policy") is None:
            self.mixed_instances_policy = kept

    autoscaling_models.FakeAutoScalingGroup.update = update

    resource = sqs_responses.SQSResponse._determine_resource

    def determine_resource(self):
        name = self._get_param("QueueName")
        if name and not self._get_param("QueueUrl"):
            try:
                return self.sqs_backend.get_queue(name).queue_arn
            except QueueDoesNotExist:
                return "*"
        return resource(self)

    sqs_responses.SQSResponse._determine_resource = determine_resource
    _serialize_sqs()

    permitted = access_control.IAMRequestBase.check_action_permitted
    item_actions = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}

    batches = {"sqs:SendMessageBatch": "sqs:SendMessage", "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
               "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}

    def check_action_permitted(self, resource):
        if self._action in batches:
            whole, self._action = self._action, batches[self._action]
            try:
                return permitted(self, resource)
            finally:
                self._action = whole
        if self._action not in ("dynamodb:TransactWriteItems", "dynamodb:TransactGetItems"):
            return permitted(self, resource)
        body = self._body.decode() if isinstance(self._body, bytes) else self._body
        items = json.loads(body or "{}").get("TransactItems", [])
        whole = self._action
        try:
            for item in items:
                for kind in item:
                    self._action = "dynamodb:" + item_actions.get(kind, kind)
                    permitted(self, resource)
        finally:
            self._action = whole

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted

    signature = access_control.IAMRequestBase.check_signature

    def check_signature(self):
        if self._service != "lambda":
            signature(self)

    access_control.IAMRequestBase.check_signature = check_signature

    class SubTemplate(string.Template):
        def safe_substitute(self, mapping=None, /, **kws):
            kept = string.Template(self.template.replace("$$", "\x00"))
            return kept.safe_substitute(mapping or {}, **kws).replace("\x00", "$$")

    cfn_parsing.string = types.SimpleNamespace(Template=SubTemplate)

    def complete_lifecycle_action(self):
        name = self._get_param("AutoScalingGroupName")
        if name not in self.autoscaling_backend.autoscaling_groups:
            raise AutoScalingValidationError(f"Group {name} not found")
        with lifecycle_lock:
            lifecycle_actions.append({"group": name, "hook": self._get_param("LifecycleHookName"),
                                      "instance": self._get_param("InstanceId"),
                                      "result": self._get_param("LifecycleActionResult")})
        return EmptyResult()

    autoscaling_responses.AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action

    def determine_group(self):
        group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName") or "")
        if self._get_action() == "CompleteLifecycleAction" and group is not None:
            return group.arn
        return "*"

    autoscaling_responses.AutoScalingResponse._determine_resource = determine_group


def _serialize_sqs() -> None:
    """Fix 12: one lock around the SQS backend's message calls; long polls wait outside."""
    backend = sqs_models.SQSBackend
    lock = threading.RLock()  # re-entrant: batch calls call the single ones

    def locked(method):
        def call(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)
        return call

    for name in ("send_message", "send_message_batch", "delete_message", "delete_message_batch",
                 "change_message_visibility", "change_message_visibility_batch", "purge_queue"):
        setattr(backend, name, locked(getattr(backend, name)))

    receive = backend.receive_message

    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                        message_attribute_names=None):
        end = time.monotonic() + (wait_seconds_timeout or 0)
        while True:
            with lock:
                got = receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
            left = end - time.monotonic()
            if got or left <= 0:
                return got
            # Wakes when a message is sent (or one is visible already but was taken by
            # another receive: then poll again shortly).
            self.get_queue(queue_name).wait_for_messages(min(left, 1))
            time.sleep(min(max(end - time.monotonic(), 0), 0.02))

    backend.receive_message = receive_message


lifecycle_actions = []
lifecycle_lock = threading.Lock()


def list_lifecycle_actions(start_response):
    """Route 11: the lifecycle actions completed so far."""
    with lifecycle_lock:
        body = json.dumps(lifecycle_actions).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def end_execution(environ, start_response):
    """Route 9: set an execution's outcome."""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}")
        arn = body["executionArn"]
        _, partition, _, region, account, _ = arn.split(":", 5)
        execution = stepfunctions_backends[account][region].describe_execution(arn)
        status = body["status"]
        if status not in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"):
            raise ValueError(f"status {status!r}: SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
        if execution.status != "RUNNING":
            start_response("409 Conflict", [("Content-Type", "text/plain")])
            return [f"execution {arn} has ended already: {execution.status}\n".encode()]
        execution.status = status
        execution.stop_date = utcnow()
        execution.output = body.get("output")
        execution.error = body.get("error")
        execution.cause = body.get("cause")
    except Exception as e:  # a test's mistake: say what it was
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [f"{type(e).__name__}: {e}\n".encode()]
    start_response("204 No Content", [])
    return [b""]


def main() -> None:
    _patch()
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()
    cfn_lock = threading.Lock()

    def serialized(environ, start_response):
        if environ.get("PATH_INFO") == "/_thub/stepfunctions/execution" and environ.get("REQUEST_METHOD") == "POST":
            return end_execution(environ, start_response)
        if environ.get("PATH_INFO") == "/_thub/autoscaling/lifecycle-actions" and environ.get("REQUEST_METHOD") == "GET":
            return list_lifecycle_actions(start_response)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                # Flask builds the whole response inside this call; only the bytes are
                # sent after it (keep the iterable intact: werkzeug needs its close()).
                return app(environ, start_response)
        if "/cloudformation/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            with cfn_lock:
                return app(environ, start_response)
        return app(environ, start_response)

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
