import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// One registry per process; every process serves it on /metrics.
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "volley_" });

export const metrics = {
  recordsConsumed: new Counter({
    name: "volley_kafka_records_consumed_total",
    help: "Kafka records consumed and committed",
    labelNames: ["group", "topic"],
    registers: [registry],
  }),
  itemsConsumed: new Counter({
    name: "volley_kafka_items_consumed_total",
    help: "Items the consumed and committed records carried (a packed record carries several CDRs or status events)",
    labelNames: ["group", "topic"],
    registers: [registry],
  }),
  recordsDeadLettered: new Counter({
    name: "volley_kafka_records_dead_lettered_total",
    help: "Kafka records sent to a dead-letter topic",
    labelNames: ["group", "topic"],
    registers: [registry],
  }),
  transientRetries: new Counter({
    name: "volley_kafka_transient_retries_total",
    help: "Chunks retried in place after a transient failure (database, Redis or Kafka away, rebuild running)",
    labelNames: ["group"],
    registers: [registry],
  }),
  batchSeconds: new Histogram({
    name: "volley_kafka_batch_seconds",
    help: "Time to process one consumed chunk, effects and commit included",
    labelNames: ["group", "topic"],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  validatorOutcomes: new Counter({
    name: "volley_validator_outcomes_total",
    help: "Messages validated, by resulting status and reason code",
    labelNames: ["status", "reason"],
    registers: [registry],
  }),
  statusesWritten: new Counter({
    name: "volley_statuses_written_total",
    help: "Message rows created or moved forward by the status writer",
    registers: [registry],
  }),
  messagesPublished: new Counter({
    name: "volley_messages_published_total",
    help: "Messages published to bulk-topic by campaign launches",
    registers: [registry],
  }),
  cdrsApplied: new Counter({
    name: "volley_deduction_cdrs_applied_total",
    help: "CDRs newly debited from prepaid accounts (replays not counted)",
    registers: [registry],
  }),
  amountDebited: new Counter({
    name: "volley_deduction_amount_debited_total",
    help: "Minor units debited from prepaid accounts, by currency",
    labelNames: ["currency"],
    registers: [registry],
  }),
  inboundMessages: new Counter({
    name: "volley_inbound_messages_total",
    help: "Handsets' replies stored by the inbound worker, by keyword (none, OPT_OUT, OPT_IN, HELP) and whether a client matched",
    labelNames: ["keyword", "matched"],
    registers: [registry],
  }),
  webhookCalls: new Counter({
    name: "volley_webhook_calls_total",
    help: "Delivery webhook calls by outcome: delivered (2xx), retry (will be tried again), failed (attempts exhausted or no URL)",
    labelNames: ["outcome"],
    registers: [registry],
  }),
  refunds: new Counter({
    name: "volley_refunds_total",
    help: "Finally failed messages newly refunded (replays not counted), by lane",
    labelNames: ["lane"],
    registers: [registry],
  }),
  deductionBatchSeconds: new Histogram({
    name: "volley_deduction_batch_seconds",
    help: "Time to debit one batch of CDRs: the Postgres transaction and the Redis snapshot",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  smppSubmitted: new Counter({
    name: "volley_smpp_submitted_total",
    help: "submit_sm parts accepted by the provider (submit_sm_resp ESME_ROK)",
    labelNames: ["provider"],
    registers: [registry],
  }),
  orphanedSubmits: new Counter({
    name: "volley_delivery_orphaned_submits_total",
    help: "Messages found SUBMITTING (their worker died or lost the partition), by what their write fence said: taken (never written, submitted again), written or missing (left UNCONFIRMED)",
    labelNames: ["fence"],
    registers: [registry],
  }),
  smppThrottled: new Counter({
    name: "volley_smpp_throttled_total",
    help: "submit_sm parts answered ESME_RTHROTTLED (retried after a backoff)",
    labelNames: ["provider"],
    registers: [registry],
  }),
  smppErrors: new Counter({
    name: "volley_smpp_errors_total",
    help: "Messages that failed to submit, by reason (ESME_* status, TIMEOUT, DISCONNECTED, …)",
    labelNames: ["provider", "reason"],
    registers: [registry],
  }),
  smppWindowInUse: new Gauge({
    name: "volley_smpp_window_in_use",
    help: "submit_sm awaiting their submit_sm_resp",
    labelNames: ["provider"],
    registers: [registry],
  }),
  smppBound: new Gauge({
    name: "volley_smpp_bound",
    help: "The provider's SMPP sessions bound now (0 while none is)",
    labelNames: ["provider"],
    registers: [registry],
  }),
  sendsParked: new Counter({
    name: "volley_delivery_parked_total",
    help: "Messages parked because no provider on their route could take them (all down, throttling without end)",
    labelNames: ["reason"],
    registers: [registry],
  }),
  sendsUnparked: new Counter({
    name: "volley_delivery_unparked_total",
    help: "Parked messages put back on their send topic",
    registers: [registry],
  }),
  smppReceipts: new Counter({
    name: "volley_smpp_receipts_total",
    help: "Delivery receipts received, by final status",
    labelNames: ["provider", "status"],
    registers: [registry],
  }),
  httpProviderRequests: new Counter({
    name: "volley_http_provider_requests_total",
    help: "HTTP provider requests by outcome (accepted, throttled, or the failure reason: HTTP_<status>, TIMEOUT, …)",
    labelNames: ["provider", "outcome"],
    registers: [registry],
  }),
  httpProviderInFlight: new Gauge({
    name: "volley_http_provider_in_flight",
    help: "HTTP provider requests awaiting their response",
    labelNames: ["provider"],
    registers: [registry],
  }),
  httpProviderReceipts: new Counter({
    name: "volley_http_provider_receipts_total",
    help: "Delivery receipts received on HTTP providers' webhooks, by final status",
    labelNames: ["provider", "status"],
    registers: [registry],
  }),
  smscSubmits: new Counter({
    name: "volley_smsc_submits_total",
    help: "SMSC simulator: submit_sm received, by outcome (accepted, throttled, rejected, refused)",
    labelNames: ["outcome"],
    registers: [registry],
  }),
  smscReceiptsSent: new Counter({
    name: "volley_smsc_receipts_sent_total",
    help: "SMSC simulator: delivery receipts sent",
    registers: [registry],
  }),
  smscSessions: new Gauge({
    name: "volley_smsc_bound_sessions",
    help: "SMSC simulator: bound sessions",
    registers: [registry],
  }),
};
