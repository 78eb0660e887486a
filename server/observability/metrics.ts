import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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
  recordsDeadLettered: new Counter({
    name: "volley_kafka_records_dead_lettered_total",
    help: "Kafka records sent to a dead-letter topic",
    labelNames: ["group", "topic"],
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
  deductionBatchSeconds: new Histogram({
    name: "volley_deduction_batch_seconds",
    help: "Time to debit one batch of CDRs: the Postgres transaction and the Redis snapshot",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
};
