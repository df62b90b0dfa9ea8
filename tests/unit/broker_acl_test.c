/*
 * broker_acl_test.c -- the access-control engine (broker/acl.c) without
 * a broker: globs, deny winning, the "*" principal, operation sets,
 * superusers, the anonymous user, add/remove semantics, rule checks,
 * rules reloaded from a store, and the cost of one check with a few
 * hundred rules (printed, and bounded loosely so a regression to
 * something quadratic fails).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "alloc.h"
#include "dispatch.h"
#include "evl_test.h"
#include "storage_testutil.h"

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

static struct evld_acl *
engine(const char *supers)
{
	struct evld_acl *a;
	const char      *why;
	evl_assert_ok(evld_acl_alloc(&a, NULL, supers, &why));
	return a;
}

static void
add(struct evld_acl *a, const char *principal, uint8_t res,
    const char *pattern, uint8_t ops, uint8_t effect)
{
	evls_acl_rule r = rule(principal, res, pattern, ops, effect);
	evl_assert_ok(evld_acl_add(a, &r));
}

Test(acl_glob, stars_and_questions)
{
	cr_assert(evld_acl_glob("*", "orders"));
	cr_assert(evld_acl_glob("orders-*", "orders-"));
	cr_assert(evld_acl_glob("orders-*", "orders-eu"));
	cr_assert_not(evld_acl_glob("orders-*", "orders"));
	cr_assert(evld_acl_glob("orders", "orders"));
	cr_assert_not(evld_acl_glob("orders", "orders2"));
	cr_assert_not(evld_acl_glob("orders", "order"));
	cr_assert(evld_acl_glob("o?ders", "orders"));
	cr_assert_not(evld_acl_glob("o?ders", "oders"));
	cr_assert(evld_acl_glob("*.audit", "billing.audit"));
	cr_assert_not(evld_acl_glob("*.audit", "billing.audit2"));
	cr_assert(evld_acl_glob("a*b*c", "a-x-b-y-b-c"));
	cr_assert_not(evld_acl_glob("a*b*c", "a-x-c-b"));
	cr_assert(evld_acl_glob("**x", "yyx"));
	cr_assert(evld_acl_glob("*-?", "a-b-c"));
	cr_assert_not(evld_acl_glob("?", ""));
	/* No classes: brackets are ordinary bytes. */
	cr_assert_not(evld_acl_glob("[ab]", "a"));
}

Test(acl_engine, nothing_allowed_without_rules)
{
	struct evld_acl *a = engine(NULL);
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders", EVLD_ACL_READ));
	evld_acl_free(a);
}

Test(acl_engine, allow_matches_user_type_pattern_and_op)
{
	struct evld_acl *a = engine(NULL);
	add(a, "bob", EVLP_RES_TOPIC, "orders-*",
	    EVLP_ACL_READ | EVLP_ACL_DESCRIBE, EVLP_ACL_ALLOW);
	cr_assert(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-eu", EVLD_ACL_READ));
	cr_assert(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-eu", EVLD_ACL_DESCRIBE));
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-eu", EVLD_ACL_WRITE));
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "payments", EVLD_ACL_READ));
	cr_assert_not(evld_acl_allows(
	    a, "alice", EVLD_RES_TOPIC, "orders-eu", EVLD_ACL_READ));
	/* Another resource type with the same name. */
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_GROUP, "orders-eu", EVLD_ACL_READ));
	evld_acl_free(a);
}

Test(acl_engine, deny_wins_whatever_the_order)
{
	struct evld_acl *a = engine(NULL);
	add(a, "bob", EVLP_RES_TOPIC, "orders-secret", EVLP_ACL_READ,
	    EVLP_ACL_DENY);
	add(a, "*", EVLP_RES_TOPIC, "*", EVLP_ACL_ALL, EVLP_ACL_ALLOW);
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-secret", EVLD_ACL_READ));
	cr_assert(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-secret", EVLD_ACL_WRITE));
	cr_assert(evld_acl_allows(
	    a, "carol", EVLD_RES_TOPIC, "orders-secret", EVLD_ACL_READ));
	/* A deny for everyone beats a user's own allow. */
	add(a, "*", EVLP_RES_TOPIC, "orders-*", EVLP_ACL_DELETE, EVLP_ACL_DENY);
	add(a, "carol", EVLP_RES_TOPIC, "orders-1", EVLP_ACL_DELETE,
	    EVLP_ACL_ALLOW);
	cr_assert_not(evld_acl_allows(
	    a, "carol", EVLD_RES_TOPIC, "orders-1", EVLD_ACL_DELETE));
	evld_acl_free(a);
}

Test(acl_engine, all_operations)
{
	static const enum evld_acl_op ops[] = { EVLD_ACL_READ, EVLD_ACL_WRITE,
		EVLD_ACL_CREATE, EVLD_ACL_DELETE, EVLD_ACL_DESCRIBE,
		EVLD_ACL_ALTER };
	struct evld_acl *a = engine(NULL);
	add(a, "ops", EVLP_RES_GROUP, "*", EVLP_ACL_ALL, EVLP_ACL_ALLOW);
	for (size_t i = 0; i < 6; i++) {
		cr_assert(evld_acl_allows(
		    a, "ops", EVLD_RES_GROUP, "billing", ops[i]));
		cr_assert_not(evld_acl_allows(
		    a, "ops", EVLD_RES_TOPIC, "billing", ops[i]));
	}
	evld_acl_free(a);
}

Test(acl_engine, superusers_and_anonymous)
{
	struct evld_acl *a = engine("root,admin@corp");
	add(a, "*", EVLP_RES_TOPIC, "*", EVLP_ACL_ALL, EVLP_ACL_DENY);
	cr_assert(evld_acl_superuser(a, "root"));
	cr_assert(evld_acl_superuser(a, "admin@corp"));
	cr_assert_not(evld_acl_superuser(a, "admin"));
	/* A deny for everyone does not stop a superuser... */
	cr_assert(evld_acl_allows(
	    a, "admin@corp", EVLD_RES_TOPIC, "x", EVLD_ACL_DELETE));
	cr_assert(evld_acl_allows(
	    a, "root", EVLD_RES_CLUSTER, EVLD_CLUSTER_NAME, EVLD_ACL_ALTER));
	/* ...and "*" is no way in for the anonymous user. */
	add(a, "*", EVLP_RES_GROUP, "*", EVLP_ACL_ALL, EVLP_ACL_ALLOW);
	cr_assert_not(
	    evld_acl_allows(a, "", EVLD_RES_GROUP, "g", EVLD_ACL_READ));
	cr_assert(
	    evld_acl_allows(a, "bob", EVLD_RES_GROUP, "g", EVLD_ACL_READ));
	evld_acl_free(a);
}

Test(acl_engine, bad_superusers)
{
	struct evld_acl *a = NULL;
	const char      *why;
	evl_assert_err(evld_acl_alloc(&a, NULL, "root,,x", &why), EVL_EINVAL);
	cr_assert_not_null(why);
	evl_assert_err(evld_acl_alloc(&a, NULL, "ro ot", &why), EVL_EINVAL);
	cr_assert_null(a);
}

Test(acl_engine, add_merges_remove_subtracts)
{
	struct evld_acl *a = engine(NULL);
	evls_acl_rule   *v;
	size_t           n;
	add(a, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_READ, EVLP_ACL_ALLOW);
	add(a, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_WRITE, EVLP_ACL_ALLOW);
	add(a, "bob", EVLP_RES_TOPIC, "t", EVLP_ACL_WRITE, EVLP_ACL_DENY);
	cr_assert_eq(evld_acl_count(a), 2);
	evl_assert_ok(evld_acl_list(a, "", 0, "", &v, &n));
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].effect, EVLP_ACL_ALLOW);
	cr_assert_eq(v[0].ops, EVLP_ACL_READ | EVLP_ACL_WRITE);
	evlp_free(v);

	evls_acl_rule r = rule("bob", EVLP_RES_TOPIC, "t", EVLP_ACL_READ,
	    EVLP_ACL_ALLOW);
	evl_assert_ok(evld_acl_remove(a, &r));
	evl_assert_err(evld_acl_remove(a, &r), EVL_ENOTFOUND);
	cr_assert_not(
	    evld_acl_allows(a, "bob", EVLD_RES_TOPIC, "t", EVLD_ACL_READ));
	r.ops = EVLP_ACL_WRITE;
	r.effect = EVLP_ACL_DENY;
	evl_assert_ok(evld_acl_remove(a, &r));
	cr_assert_eq(evld_acl_count(a), 1);
	/* The deny gone, the remaining allow works. */
	cr_assert(
	    evld_acl_allows(a, "bob", EVLD_RES_TOPIC, "t", EVLD_ACL_WRITE));
	r = rule("nobody", EVLP_RES_TOPIC, "t", EVLP_ACL_WRITE, 0);
	evl_assert_err(evld_acl_remove(a, &r), EVL_ENOTFOUND);
	evld_acl_free(a);
}

Test(acl_engine, list_filters)
{
	struct evld_acl *a = engine(NULL);
	evls_acl_rule   *v;
	size_t           n;
	add(a, "bob", EVLP_RES_TOPIC, "b", EVLP_ACL_READ, EVLP_ACL_ALLOW);
	add(a, "bob", EVLP_RES_TOPIC, "a", EVLP_ACL_READ, EVLP_ACL_ALLOW);
	add(a, "ann", EVLP_RES_GROUP, "a", EVLP_ACL_READ, EVLP_ACL_ALLOW);
	add(a, "*", EVLP_RES_CLUSTER, "*", EVLP_ACL_DESCRIBE, EVLP_ACL_ALLOW);
	evl_assert_ok(evld_acl_list(a, "bob", 0, "", &v, &n));
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].pattern, "a"); /* sorted */
	evlp_free(v);
	evl_assert_ok(evld_acl_list(a, "", EVLP_RES_GROUP, "", &v, &n));
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].principal, "ann");
	evlp_free(v);
	evl_assert_ok(evld_acl_list(a, "", 0, "a", &v, &n));
	cr_assert_eq(n, 2);
	evlp_free(v);
	evl_assert_ok(evld_acl_list(a, "nobody", 0, "", &v, &n));
	cr_assert_eq(n, 0);
	evlp_free(v);
	evld_acl_free(a);
}

static evlp_acl_rule
wire(const char *principal, uint8_t res, const char *pattern)
{
	evlp_acl_rule m = { { (const uint8_t *) principal, strlen(principal) },
		res, { (const uint8_t *) pattern, strlen(pattern) },
		EVLP_ACL_READ, EVLP_ACL_ALLOW };
	return m;
}

Test(acl_engine, rule_check)
{
	evls_acl_rule out;
	const char   *why;
	evlp_acl_rule m = wire("bob", EVLP_RES_TOPIC, "orders-*");
	evl_assert_ok(evld_acl_rule_check(&m, &out, &why));
	cr_assert_str_eq(out.principal, "bob");
	cr_assert_str_eq(out.pattern, "orders-*");
	m = wire("*", EVLP_RES_GROUP, "?");
	evl_assert_ok(evld_acl_rule_check(&m, &out, &why));
	m = wire("*", EVLP_RES_CLUSTER, "*");
	evl_assert_ok(evld_acl_rule_check(&m, &out, &why));

	static const struct {
		const char *p;
		uint8_t     res;
		const char *pat;
	} bad[] = {
		{ "", EVLP_RES_TOPIC, "t" },
		{ "b b", EVLP_RES_TOPIC, "t" },
		{ "bob*", EVLP_RES_TOPIC, "t" },
		{ "bob", EVLP_RES_TOPIC, "" },
		{ "bob", EVLP_RES_TOPIC, "a/b" },
		{ "bob", EVLP_RES_TOPIC, "[ab]" },
		{ "bob", EVLP_RES_CLUSTER, "prod" },
		{ "bob", EVLP_RES_CLUSTER, "**" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		m   = wire(bad[i].p, bad[i].res, bad[i].pat);
		evl_assert_err(evld_acl_rule_check(&m, &out, &why), EVL_EINVAL);
		cr_assert_not_null(why, "rule %zu", i);
	}
	char long_user[EVLD_USER_MAX + 2];
	memset(long_user, 'u', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	m = wire(long_user, EVLP_RES_TOPIC, "t");
	evl_assert_err(evld_acl_rule_check(&m, &out, &why), EVL_EINVAL);
}

Test(acl_engine, rules_survive_in_the_store)
{
	char            *dir = tu_mkdtemp();
	evls_store      *s   = tu_open(dir, EVLS_FSYNC_NEVER);
	struct evld_acl *a;
	const char      *why;
	evl_assert_ok(evld_acl_alloc(&a, s, NULL, &why));
	add(a, "bob", EVLP_RES_TOPIC, "orders-*", EVLP_ACL_WRITE,
	    EVLP_ACL_ALLOW);
	add(a, "bob", EVLP_RES_TOPIC, "orders-x", EVLP_ACL_WRITE,
	    EVLP_ACL_DENY);
	add(a, "tmp", EVLP_RES_GROUP, "g", EVLP_ACL_READ, EVLP_ACL_ALLOW);
	evls_acl_rule r = rule("tmp", EVLP_RES_GROUP, "g", EVLP_ACL_READ, 0);
	evl_assert_ok(evld_acl_remove(a, &r));
	evld_acl_free(a);
	evls_store_close(s);

	s = tu_open(dir, EVLS_FSYNC_NEVER);
	evl_assert_ok(evld_acl_alloc(&a, s, NULL, &why));
	cr_assert_eq(evld_acl_count(a), 2);
	cr_assert(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-1", EVLD_ACL_WRITE));
	cr_assert_not(evld_acl_allows(
	    a, "bob", EVLD_RES_TOPIC, "orders-x", EVLD_ACL_WRITE));
	cr_assert_not(
	    evld_acl_allows(a, "tmp", EVLD_RES_GROUP, "g", EVLD_ACL_READ));
	evld_acl_free(a);
	evls_store_close(s);
	tu_rmdir(dir);
}

/*
 * The cost of one check: 300 rules for 100 users (three each, one a
 * glob), the checked user's allow near the end, so the scan walks all
 * of them.  Prints ns/check; fails only above 50 us, far beyond any
 * sane result even under the sanitizers, so it cannot flap but still
 * catches an accidental blow-up.
 */
Test(acl_engine, cost_of_a_check)
{
	struct evld_acl *a = engine(NULL);
	char             user[32], pat[64];
	for (int u = 0; u < 100; u++) {
		snprintf(user, sizeof(user), "user%03d", u);
		snprintf(pat, sizeof(pat), "svc%03d-*", u);
		add(a, user, EVLP_RES_TOPIC, pat, EVLP_ACL_READ | EVLP_ACL_WRITE,
		    EVLP_ACL_ALLOW);
		snprintf(pat, sizeof(pat), "svc%03d-audit", u);
		add(a, user, EVLP_RES_TOPIC, pat, EVLP_ACL_WRITE, EVLP_ACL_DENY);
		snprintf(pat, sizeof(pat), "grp%03d", u);
		add(a, user, EVLP_RES_GROUP, pat, EVLP_ACL_READ, EVLP_ACL_ALLOW);
	}
	cr_assert_eq(evld_acl_count(a), 300);
	const int       iters = 200000;
	struct timespec t0, t1;
	int             ok = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < iters; i++)
		ok += evld_acl_allows(a, "user099", EVLD_RES_TOPIC,
		    "svc099-orders", EVLD_ACL_WRITE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(ok, iters);
	double ns = ((double) (t1.tv_sec - t0.tv_sec) * 1e9 +
	                (double) (t1.tv_nsec - t0.tv_nsec)) /
	    iters;
	fprintf(stderr, "acl: %.0f ns per check with 300 rules\n", ns);
	cr_assert_lt(ns, 50000.0);
	evld_acl_free(a);
}
