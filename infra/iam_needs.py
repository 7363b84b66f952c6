"""The IAM actions each Lambda function needs, derived from the adapters it wires and the methods it calls.

The source of truth for template.yaml's per-function roles: tests/infra/test_iam.py translates the template and
fails on any action a function's role grants beyond this, or lacks; tests/infra/test_iam.py also records the AWS
operations each chat-log and queue method really makes under moto and checks them against the maps below.
Change an adapter's AWS calls, or what a function calls, here first.
"""

from dataclasses import dataclass, field

# mnemoscope.adapters.aws.dynamodb_chat_log.DynamoDbChatLog, per method. A transaction needs the actions inside it
# (PutItem, ConditionCheckItem); there is no IAM action for TransactWriteItems itself.
CHAT_LOG: dict[str, frozenset[str]] = {
    "append": frozenset(
        {"dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"}
    ),
    "pending": frozenset({"dynamodb:GetItem", "dynamodb:Query"}),
    "recent": frozenset({"dynamodb:Query"}),
    "get_messages": frozenset({"dynamodb:BatchGetItem"}),
    "state": frozenset({"dynamodb:GetItem"}),
    # settles released quarantined turns (Query + conditional DeleteItem) before it moves the watermark
    "advance_watermark": frozenset({"dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:DeleteItem"}),
    "mark_reflected": frozenset({"dynamodb:UpdateItem"}),
    "scopes_due_for_reflection": frozenset({"dynamodb:Query"}),  # on the reflect-due index only
    "scopes_with_pending": frozenset({"dynamodb:Query"}),  # on the pending index only
    "delete_scope": frozenset({"dynamodb:Query", "dynamodb:BatchWriteItem"}),
    "list_turns": frozenset({"dynamodb:Query", "dynamodb:GetItem"}),
    "save_failure": frozenset({"dynamodb:UpdateItem"}),
    "quarantine": frozenset({"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"}),
    "release_quarantine": frozenset({"dynamodb:Query", "dynamodb:UpdateItem"}),
}
# mnemoscope.adapters.aws.dynamodb_memory_records.DynamoDbMemoryRecords, per method (the memory table and its
# index). A batch put is a transaction of conditional Puts: authorised as PutItem per item.
MEMORY_RECORDS: dict[str, frozenset[str]] = {
    "put": frozenset({"dynamodb:PutItem"}),
    "get_many": frozenset({"dynamodb:BatchGetItem"}),
    "list": frozenset({"dynamodb:Query"}),
    "delete": frozenset({"dynamodb:DeleteItem"}),
    "delete_scope": frozenset({"dynamodb:Query", "dynamodb:BatchWriteItem"}),
    "scan": frozenset({"dynamodb:Scan"}),
}
# mnemoscope.adapters.aws.sqs_job_queue.SqsJobQueue
JOB_QUEUE: dict[str, frozenset[str]] = {"enqueue": frozenset({"sqs:SendMessage"})}
# Lambda's SQS event source mapping polls with the function's role.
SQS_EVENT_SOURCE = frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"})
# mnemoscope.adapters.aws.opensearch_index over the serverless collection (SigV4 "aoss") or a managed domain.
SEARCH_COLLECTION = frozenset({"aoss:APIAccessAll"})
SEARCH_DOMAIN = frozenset({"es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"})
# mnemoscope.wiring._secret: the model API keys (Powertools parameters -> Secrets Manager).
MODEL_SECRETS = frozenset({"secretsmanager:GetSecretValue"})
# mnemoscope.adapters.models.bedrock_chat (Converse) and bedrock_embedder (InvokeModel): Converse is authorised as
# bedrock:InvokeModel. Granted on the chosen model (and inference profile) ARNs only; tests/infra/test_iam.py checks
# the resources too.
BEDROCK_MODELS = frozenset({"bedrock:InvokeModel"})
# mnemoscope.adapters.aws.eventbridge_memory_events.EventBridgeMemoryEvents.publish, on the stack's one bus: the
# functions that write memories (MemoryEventBus != none).
MEMORY_EVENTS = frozenset({"events:PutEvents"})
# mnemoscope.adapters.aws.dynamodb_event_outbox.DynamoDbEventOutbox, per method (its own table).
EVENT_OUTBOX: dict[str, frozenset[str]] = {
    "hold": frozenset({"dynamodb:BatchWriteItem"}),
    "release": frozenset({"dynamodb:BatchWriteItem"}),
    "held": frozenset({"dynamodb:Scan"}),
}
# Every function writes its logs to its own log group (LoggingConfig), which the stack creates.
LOGS = frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})
# The Lambda runtime's X-Ray daemon, only with EnableTracing=true.
TRACING = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})


@dataclass(frozen=True)
class Uses:
    """What one function touches."""

    chat_log: frozenset[str] = frozenset()
    job_queue: frozenset[str] = frozenset()
    sqs_event_source: bool = False
    memory_index: bool = False
    memory_records: frozenset[str] = frozenset()
    # calls the chat model and the embedder: an API key from Secrets Manager, or Bedrock through IAM
    models: bool = False
    publishes_memory_events: bool = False  # writes memories (create, supersede, delete, forget) or relays events
    event_outbox: frozenset[str] = frozenset()
    chat_log_indexes: frozenset[str] = field(default_factory=frozenset)


FUNCTIONS: dict[str, Uses] = {
    # routes: ingest (append), search + chat (state, recent, append), memories (lineage: get_messages; forget:
    # delete_scope), consolidate/reflect on demand (enqueue), export (list_turns) and import (append, then the turns'
    # states: advance_watermark, quarantine, release_quarantine); the index and the models.
    "ApiFunction": Uses(
        chat_log=frozenset(
            {
                "append",
                "recent",
                "state",
                "get_messages",
                "delete_scope",
                "list_turns",
                "release_quarantine",
                "advance_watermark",
                "quarantine",
            }
        ),
        job_queue=frozenset({"enqueue"}),
        memory_index=True,
        memory_records=frozenset({"put", "get_many", "list", "delete", "delete_scope"}),
        models=True,
        publishes_memory_events=True,
        event_outbox=frozenset({"hold", "release"}),
    ),
    # the job runner: consolidation (pending, advance_watermark, and a poison turn's failure streak and quarantine),
    # reflection (recent, mark_reflected), a follow-up job when more turns wait (enqueue); the index and the models.
    "ConsolidateFunction": Uses(
        chat_log=frozenset(
            {"pending", "state", "advance_watermark", "recent", "mark_reflected", "save_failure", "quarantine"}
        ),
        job_queue=frozenset({"enqueue"}),
        sqs_event_source=True,
        memory_index=True,
        memory_records=frozenset({"put", "get_many", "list"}),
        models=True,
        publishes_memory_events=True,
        event_outbox=frozenset({"hold", "release"}),
    ),
    # the sweep: two sparse indexes, then jobs; and the one-off {"action": "reindex"}, which reads every memory
    # record and rewrites the search projection. No model, no chat-table writes.
    "ReflectFunction": Uses(
        chat_log=frozenset({"scopes_due_for_reflection", "scopes_with_pending"}),
        job_queue=frozenset({"enqueue"}),
        chat_log_indexes=frozenset({"reflect-due", "pending"}),
        memory_index=True,
        memory_records=frozenset({"scan", "get_many"}),
        # the event relay: what the outbox still holds, checked against the records, published, released
        publishes_memory_events=True,
        event_outbox=frozenset({"held", "release"}),
    ),
}


def needed_actions(
    function: str,
    *,
    tracing: bool,
    secrets: bool,
    collection: bool,
    bedrock: bool = False,
    events: bool = True,
) -> frozenset[str]:
    """The actions `function`'s role must grant for one set of stack parameters."""
    uses = FUNCTIONS[function]
    actions = set(LOGS) | _table_actions(uses)
    if uses.sqs_event_source:
        actions |= SQS_EVENT_SOURCE
    if uses.memory_index:
        actions |= SEARCH_COLLECTION if collection else SEARCH_DOMAIN
    if uses.models and secrets:
        actions |= MODEL_SECRETS
    if uses.models and bedrock:
        actions |= BEDROCK_MODELS
    if uses.publishes_memory_events and events:
        actions |= MEMORY_EVENTS
        for method in uses.event_outbox:
            actions |= EVENT_OUTBOX[method]
    if tracing:
        actions |= TRACING
    return frozenset(actions)


def _table_actions(uses: Uses) -> set[str]:
    """The chat log's, the job queue's and the memory records' actions, per adapter method used."""
    actions: set[str] = set()
    for method in uses.chat_log:
        actions |= CHAT_LOG[method]
    for method in uses.job_queue:
        actions |= JOB_QUEUE[method]
    for method in uses.memory_records:
        actions |= MEMORY_RECORDS[method]
    return actions
