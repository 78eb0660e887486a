import type { ICustomPartitioner } from "kafkajs";

// Kafka's default key placement (Java client: murmur2 of the key bytes,
// positive, modulo the partition count), in 32-bit integer arithmetic.
// kafkajs's own murmur2 emulates 64-bit longs for the same result and was
// ~2% of bulk-proc's CPU (every status event is keyed); tests pin it to
// kafkajs's output.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(key: Buffer | string): number {
  const data = typeof key === "string" ? Buffer.from(key) : key;
  const length = data.length;
  let h = SEED ^ length;
  const tail = length & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[tail + 2]! << 16;
    // falls through
    case 2:
      h ^= data[tail + 1]! << 8;
    // falls through
    case 1:
      h ^= data[tail]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition a record with this key goes to, as every Kafka client's default partitioner places it. */
export function partitionOfKey(key: Buffer | string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/**
 * kafkajs's DefaultPartitioner with the fast murmur2: an explicit partition
 * wins, then the key's hash, then round robin over partitions with a leader.
 */
export const defaultPartitioner: ICustomPartitioner = () => {
  let counter = Math.floor(Math.random() * 0x7fffffff);
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return partitionOfKey(message.key, partitionMetadata.length);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    counter = (counter + 1) & 0x7fffffff;
    return available.length > 0
      ? available[counter % available.length]!.partitionId
      : counter % partitionMetadata.length;
  };
};
