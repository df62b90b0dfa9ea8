/*
 * partition.h -- the key-to-partition function every evlog client uses.
 *
 * Same key, same partition, same order: that promise only holds if every
 * client, in every language, hashes a key the same way, so the function
 * is part of the protocol (PROTOCOL.md, "Partitioning"): 32-bit FNV-1a of
 * the key bytes, modulo the partition count.  Lives in proto so that the
 * client and the broker (which may route keyless produces or check a
 * stream's partition) share one implementation.
 */
#ifndef EVLP_PARTITION_H
#define EVLP_PARTITION_H

#include <stddef.h>
#include <stdint.h>

/* 32-bit FNV-1a of len bytes (offset basis 2166136261, prime 16777619). */
uint32_t evlp_fnv1a32(const void *p, size_t len);

/* evlp_fnv1a32(key, len) % partitions; 0 when partitions is 0, so a
 * caller's bad count never divides by zero. */
uint32_t evlp_partition_for_key(
    const void *key, size_t len, uint32_t partitions);

#endif /* EVLP_PARTITION_H */
