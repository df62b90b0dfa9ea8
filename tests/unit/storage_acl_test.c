/*
 * ACL rules in the metadata database (storage/acl.c): put, replace,
 * delete, walk in key order, and survive a reopen.
 */
#include "evl_test.h"
#include "msg.h"
#include "storage_testutil.h"

struct seen {
	evls_acl_rule v[8];
	size_t        n;
};

static int
collect(void *arg, const evls_acl_rule *r)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 8);
	s->v[s->n++] = *r;
	return 0;
}

static evls_acl_rule
rule(const char *principal, uint8_t res, const char *pattern, uint8_t ops,
    uint8_t effect)
{
	evls_acl_rule r;
	memset(&r, 0, sizeof(r));
	r.resource = res;
	r.effect   = effect;
	r.ops      = ops;
	strcpy(r.principal, principal);
	strcpy(r.pattern, pattern);
	return r;
}

Test(storage_acl, put_each_delete_reopen)
{
	char          *dir = tu_mkdtemp();
	evls_store    *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	struct seen    got = { .n = 0 };
	evls_acl_rule  a = rule("bob", EVLP_RES_TOPIC, "orders-*",
            EVLP_ACL_READ, EVLP_ACL_ALLOW);
	evls_acl_rule  b = rule("bob", EVLP_RES_TOPIC, "orders-*",
            EVLP_ACL_WRITE, EVLP_ACL_DENY);
	evls_acl_rule  c = rule("*", EVLP_RES_CLUSTER, "*", EVLP_ACL_ALL,
            EVLP_ACL_ALLOW);

	evl_assert_ok(evls_acl_put(s, &a));
	evl_assert_ok(evls_acl_put(s, &b));
	evl_assert_ok(evls_acl_put(s, &c));
	/* Same key: the operations are replaced, not added as a rule. */
	a.ops = EVLP_ACL_READ | EVLP_ACL_DESCRIBE;
	evl_assert_ok(evls_acl_put(s, &a));
	evl_assert_ok(evls_acl_each(s, collect, &got));
	cr_assert_eq(got.n, 3);
	/* Key order: topic (1) before cluster (3); allow before deny. */
	cr_assert_str_eq(got.v[0].pattern, "orders-*");
	cr_assert_eq(got.v[0].effect, EVLP_ACL_ALLOW);
	cr_assert_eq(got.v[0].ops, EVLP_ACL_READ | EVLP_ACL_DESCRIBE);
	cr_assert_eq(got.v[1].effect, EVLP_ACL_DENY);
	cr_assert_eq(got.v[2].resource, EVLP_RES_CLUSTER);
	cr_assert_str_eq(got.v[2].principal, "*");

	b.ops = 0; /* delete */
	evl_assert_ok(evls_acl_put(s, &b));
	evls_store_close(s);

	s     = tu_open(dir, EVLS_FSYNC_NEVER);
	got.n = 0;
	evl_assert_ok(evls_acl_each(s, collect, &got));
	cr_assert_eq(got.n, 2);
	cr_assert_str_eq(got.v[0].principal, "bob");
	cr_assert_eq(got.v[0].ops, EVLP_ACL_READ | EVLP_ACL_DESCRIBE);
	cr_assert_eq(got.v[1].resource, EVLP_RES_CLUSTER);
	evls_store_close(s);
	tu_rmdir(dir);
}

Test(storage_acl, empty_names_are_refused)
{
	char         *dir = tu_mkdtemp();
	evls_store   *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	evls_acl_rule r   = rule("", EVLP_RES_TOPIC, "x", 1, 0);
	struct seen   got = { .n = 0 };
	evl_assert_err(evls_acl_put(s, &r), EVL_EINVAL);
	r = rule("bob", EVLP_RES_TOPIC, "", 1, 0);
	evl_assert_err(evls_acl_put(s, &r), EVL_EINVAL);
	evl_assert_ok(evls_acl_each(s, collect, &got));
	cr_assert_eq(got.n, 0);
	evls_store_close(s);
	tu_rmdir(dir);
}
