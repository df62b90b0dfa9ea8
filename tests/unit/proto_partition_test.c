/*
 * Key partitioning: FNV-1a 32 against the published test vectors (the
 * values every other client must reproduce), stability and spread.
 */
#include <stdio.h>
#include <string.h>

#include "evl_test.h"
#include "partition.h"

Test(partition, fnv1a32_vectors)
{
	/* From the FNV reference test suite (fnv_test_str, FNV1A_32). */
	cr_assert_eq(evlp_fnv1a32("", 0), 0x811c9dc5u);
	cr_assert_eq(evlp_fnv1a32("a", 1), 0xe40c292cu);
	cr_assert_eq(evlp_fnv1a32("foobar", 6), 0xbf9cf968u);
	cr_assert_eq(evlp_fnv1a32("\0", 1), 0x050c5d1fu);
}

Test(partition, key_to_partition)
{
	/* The worked example in PROTOCOL.md, "Partitioning". */
	cr_assert_eq(evlp_partition_for_key("foobar", 6, 16), 0xbf9cf968u % 16);
	cr_assert_eq(evlp_partition_for_key("foobar", 6, 16), 8);
	cr_assert_eq(evlp_partition_for_key("", 0, 3), 0x811c9dc5u % 3);
	cr_assert_eq(evlp_partition_for_key("anything", 8, 1), 0);
	cr_assert_eq(evlp_partition_for_key("anything", 8, 0), 0);
	cr_assert_eq(evlp_partition_for_key(NULL, 0, 7), 0x811c9dc5u % 7);
}

Test(partition, bytes_not_strings)
{
	/* Bytes after a NUL count: keys are bytes. */
	cr_assert_neq(evlp_fnv1a32("a\0b", 3), evlp_fnv1a32("a", 1));
}

Test(partition, spreads_keys)
{
	enum { P = 8, N = 8000 };
	unsigned hits[P] = { 0 };
	char     key[32];
	for (int i = 0; i < N; i++) {
		int      n = snprintf(key, sizeof(key), "order-%d", i);
		uint32_t p = evlp_partition_for_key(key, (size_t) n, P);
		cr_assert_lt(p, P);
		cr_assert_eq(p, evlp_partition_for_key(key, (size_t) n, P));
		hits[p]++;
	}
	for (int p = 0; p < P; p++)
		cr_assert(hits[p] > N / P / 2 && hits[p] < N / P * 2,
		    "partition %d got %u of %d", p, hits[p], N);
}
