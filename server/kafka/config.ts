import type { Env } from "../env";
import type { KafkaConfig } from "./client";

export function kafkaConfig(env: Env): KafkaConfig {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    defaultPartitions: env.KAFKA_DEFAULT_PARTITIONS,
    partitionOverrides: env.KAFKA_TOPIC_PARTITIONS,
  };
}

/** The deployed name of a topic (prefix + base name). */
export function topicName(env: Pick<Env, "KAFKA_TOPIC_PREFIX">, base: string): string {
  return env.KAFKA_TOPIC_PREFIX + base;
}
