/*
 * Key layouts (storage/keys.h): byte order is numeric order, decoders
 * refuse wrong sizes, names are checked.
 */
#include <string.h>

#include "evl_test.h"
#include "keys.h"

Test(keys, log_key_order_and_round_trip)
{
	uint8_t  a[EVLS_LOGKEY_SIZE], b[EVLS_LOGKEY_SIZE];
	uint64_t seq;
	uint32_t tid, part;
	evls_key_log(a, 255, 7, 3);
	evls_key_log(b, 256, 1, 0);
	cr_assert(memcmp(a, b, sizeof(a)) < 0);
	cr_assert(evls_key_log_decode(b, sizeof(b), &seq, &tid, &part));
	cr_assert_eq(seq, 256);
	cr_assert_eq(tid, 1);
	cr_assert_eq(part, 0);
	cr_assert_not(evls_key_log_decode(b, sizeof(b) - 1, &seq, &tid, &part));
}

Test(keys, index_keys_sort_by_last_offset)
{
	uint8_t  a[EVLS_IDXKEY_SIZE], b[EVLS_IDXKEY_SIZE], v[EVLS_IDXVAL_SIZE];
	evls_idx x = { 999, 42, 0, 12345, 1700000000000 }, y;
	evls_key_idx(a, 1, 2, 999);
	evls_key_idx(b, 1, 2, 1000);
	cr_assert(memcmp(a, b, sizeof(a)) < 0);
	evls_key_idx(b, 1, 3, 0);
	cr_assert(memcmp(a, b, sizeof(a)) < 0, "partitions stay apart");
	evls_val_idx(v, &x);
	cr_assert(evls_idx_decode(a, sizeof(a), v, sizeof(v), &y));
	cr_assert_eq(y.last_offset, 999);
	cr_assert_eq(y.seq, 42);
	cr_assert_eq(y.bytes, 12345);
	cr_assert_eq(y.append_time, 1700000000000);
	cr_assert_not(evls_idx_decode(a, sizeof(a), v, sizeof(v) - 1, &y));
	/* base above last is not a batch */
	x.base_offset = 1000;
	evls_val_idx(v, &x);
	cr_assert_not(evls_idx_decode(a, sizeof(a), v, sizeof(v), &y));
}

Test(keys, counters_round_trip)
{
	uint8_t       k[EVLS_PARTKEY_SIZE], v[EVLS_PARTVAL_SIZE];
	evls_counters c = { 10, 20, 300, -5 }, d;
	uint32_t      tid, part;
	evls_key_part(k, 9, 4);
	cr_assert(evls_key_part_decode(k, sizeof(k), &tid, &part));
	cr_assert_eq(tid, 9);
	cr_assert_eq(part, 4);
	evls_val_part(v, &c);
	cr_assert(evls_val_part_decode(v, sizeof(v), &d));
	cr_assert_eq(d.first_offset, 10);
	cr_assert_eq(d.next_offset, 20);
	cr_assert_eq(d.bytes, 300);
	cr_assert_eq(d.last_time, -5);
	c.first_offset = 21; /* first past next */
	evls_val_part(v, &c);
	cr_assert_not(evls_val_part_decode(v, sizeof(v), &d));
}

Test(keys, group_keys_keep_groups_apart)
{
	uint8_t a[EVLS_GROUPKEY_MAX], b[EVLS_GROUPKEY_MAX];
	size_t  al = evls_key_group(a, "ab", true, 0xffffffffu, 0xffffffffu);
	size_t  bl = evls_key_group(b, "ab.", false, 0, 0);
	cr_assert_eq(al, 1 + 2 + 1 + 8);
	cr_assert_eq(bl, 1 + 3 + 1);
	/* Every key of "ab" sorts before every key of "ab." */
	cr_assert(memcmp(a, b, al < bl ? al : bl) < 0);
}

Test(keys, names)
{
	char long_ok[EVLS_NAME_MAX + 1], too_long[EVLS_NAME_MAX + 2];
	memset(long_ok, 'a', EVLS_NAME_MAX);
	long_ok[EVLS_NAME_MAX] = '\0';
	memset(too_long, 'a', EVLS_NAME_MAX + 1);
	too_long[EVLS_NAME_MAX + 1] = '\0';
	cr_assert(evls_name_valid("orders.v1_EU-2"));
	cr_assert(evls_name_valid(long_ok));
	cr_assert_not(evls_name_valid(too_long));
	cr_assert_not(evls_name_valid(""));
	cr_assert_not(evls_name_valid(NULL));
	cr_assert_not(evls_name_valid("a b"));
	cr_assert_not(evls_name_valid("a/b"));
	cr_assert_not(evls_name_valid("caf\xc3\xa9"));
}
