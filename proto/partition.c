/*
 * partition.c -- FNV-1a key partitioning (partition.h).  FNV-1a is chosen
 * for being a few lines in any language with no tables or seeds to agree
 * on, not for strength: keys are not adversarial here, and a skewed key
 * space skews partitions whatever the hash.
 */
#include "partition.h"

#define FNV32_BASIS 2166136261u
#define FNV32_PRIME 16777619u

uint32_t
evlp_fnv1a32(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t       h = FNV32_BASIS;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV32_PRIME;
	}
	return h;
}

uint32_t
evlp_partition_for_key(const void *key, size_t len, uint32_t partitions)
{
	if (partitions == 0)
		return 0;
	return evlp_fnv1a32(key, len) % partitions;
}
