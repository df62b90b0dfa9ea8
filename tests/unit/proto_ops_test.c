/*
 * Op names: generated from EVLP_OPS, unique, NULL for non-ops.  The
 * numbers themselves are pinned, since they are on the wire.
 */
#include <string.h>

#include "evl_test.h"
#include "ops.h"

Test(ops, names)
{
	cr_assert_str_eq(evlp_op_name(EVLP_OP_PING), "ping");
	cr_assert_str_eq(evlp_op_name(EVLP_OP_PRODUCE), "produce");
	cr_assert_str_eq(evlp_op_name(EVLP_OP_DESCRIBE_GROUP), "describe_group");
	cr_assert_str_eq(evlp_op_name(EVLP_OP_DELETE_STREAM), "delete_stream");
	cr_assert_str_eq(evlp_op_name(EVLP_OP_ACL_LIST), "acl_list");
	cr_assert_null(evlp_op_name(0));
	cr_assert_null(evlp_op_name(0x05));
	cr_assert_null(evlp_op_name(-1));
	cr_assert_null(evlp_op_name(0x1ff));
}

Test(ops, numbers_are_pinned)
{
	cr_assert_eq(EVLP_OP_PING, 0x01);
	cr_assert_eq(EVLP_OP_LIST_OFFSETS, 0x04);
	cr_assert_eq(EVLP_OP_LIST_TOPICS, 0x10);
	cr_assert_eq(EVLP_OP_DELETE_TOPIC, 0x14);
	cr_assert_eq(EVLP_OP_COMMIT_OFFSETS, 0x20);
	cr_assert_eq(EVLP_OP_DELETE_GROUP, 0x27);
	cr_assert_eq(EVLP_OP_AUTH_START, 0x30);
	cr_assert_eq(EVLP_OP_READ_STREAM, 0x40);
	cr_assert_eq(EVLP_OP_ACL_ADD, 0x50);
	cr_assert_eq(EVLP_OP_ACL_REMOVE, 0x51);
	cr_assert_eq(EVLP_OP_ACL_LIST, 0x52);
}

Test(ops, every_code_has_a_unique_name)
{
	int n = 0;
	for (int a = 0; a < 256; a++) {
		const char *na = evlp_op_name(a);
		if (na == NULL)
			continue;
		n++;
		for (int b = a + 1; b < 256; b++) {
			const char *nb = evlp_op_name(b);
			cr_assert(nb == NULL || strcmp(na, nb) != 0,
			    "ops 0x%02x and 0x%02x share \"%s\"", a, b, na);
		}
	}
	cr_assert_eq(n, 25);
}
