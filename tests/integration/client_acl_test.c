/*
 * client_acl_test.c -- access control end to end: an evlogd child with
 * --users and --superusers, clients that log in (PROTOCOL.md §9), rules
 * changed through evl_acl_add/remove while other clients stay
 * connected, rules surviving a restart, and `evlog acl` (the CLI).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_acl, .timeout = 180);

/* A broker with users admin (a superuser), bob and carol; dir given:
 * a restart on its data. */
static void
start(evlct_broker *b, char *dir, size_t len, bool fresh)
{
	char users[400];
	if (fresh) {
		cr_assert_eq(evlct_tmpdir(dir, len), 0);
		cr_assert_eq(evlct_passwd(dir, "admin", "root-pw"), 0);
		cr_assert_eq(evlct_passwd(dir, "bob", "bob-pw"), 0);
		cr_assert_eq(evlct_passwd(dir, "carol", "carol-pw"), 0);
	}
	snprintf(users, sizeof(users), "%s/users", dir);
	const char *args[] = { "--users", users, "--superusers", "admin",
		NULL };
	cr_assert_eq(evlct_broker_start(b, dir, args), 0);
}

static evl_client *
login(const char *url, const char *user, const char *pw)
{
	evl_client     *c;
	evl_client_opts o;
	evl_client_opts_init(&o);
	o.url        = url;
	o.user       = user;
	o.password   = pw;
	o.timeout_ms = 5000;
	int rv       = evl_client_open(&c, &o);
	cr_assert_eq(rv, 0, "login %s: %s", user, evl_strerror(rv));
	return c;
}

static int
produce(evl_client *c, const char *topic)
{
	uint64_t    off;
	evl_message m = { .topic = topic, .value = "v", .value_len = 1 };
	return evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off);
}

static int
rule(evl_client *c, bool add, const char *user, int res,
    const char *pattern, unsigned ops, int deny)
{
	evl_acl_rule r = { user, res, pattern, ops, deny };
	return add ? evl_acl_add(c, &r) : evl_acl_remove(c, &r);
}

static uint64_t
head(evl_client *c, const char *topic)
{
	uint64_t off;
	evl_assert_ok(evl_offset_for_time(c, topic, 0, EVL_TIME_LATEST, &off));
	return off;
}

Test(client_acl, rules_apply_to_connected_clients_at_once)
{
	evlct_broker b;
	char         dir[256];
	start(&b, dir, sizeof(dir), true);
	evl_client *admin = login(b.url, "admin", "root-pw");
	evl_client *bob   = login(b.url, "bob", "bob-pw");
	evl_assert_ok(evl_topic_create(admin, "orders-eu", NULL));

	/* Nothing allows bob anything yet: denied, and it says what (the
	 * client's first request is the topic's partition count). */
	evl_assert_err(produce(bob, "orders-eu"), EVL_EDENIED);
	cr_assert(strstr(evl_client_errmsg(bob),
	              "bob may not describe topic orders-eu") != NULL,
	    "%s", evl_client_errmsg(bob));
	evl_assert_ok(rule(admin, true, "bob", EVL_RES_TOPIC, "orders-*",
	    EVL_ACL_DESCRIBE, 0));
	evl_assert_err(produce(bob, "orders-eu"), EVL_EDENIED);
	cr_assert(strstr(evl_client_errmsg(bob),
	              "bob may not write topic orders-eu") != NULL,
	    "%s", evl_client_errmsg(bob));
	cr_assert_eq(head(admin, "orders-eu"), 0, "a denied produce appended");

	/* Allowed while bob stays connected: his next request passes. */
	evl_assert_ok(rule(admin, true, "bob", EVL_RES_TOPIC, "orders-*",
	    EVL_ACL_WRITE, 0));
	evl_assert_ok(produce(bob, "orders-eu"));
	cr_assert_eq(head(admin, "orders-eu"), 1);
	/* A deny for everyone wins over bob's allow, at once. */
	evl_assert_ok(
	    rule(admin, true, "*", EVL_RES_TOPIC, "*", EVL_ACL_WRITE, 1));
	evl_assert_err(produce(bob, "orders-eu"), EVL_EDENIED);
	evl_assert_ok(
	    rule(admin, false, "*", EVL_RES_TOPIC, "*", EVL_ACL_WRITE, 1));
	evl_assert_ok(produce(bob, "orders-eu"));
	/* Removed: denied again. */
	evl_assert_ok(rule(admin, false, "bob", EVL_RES_TOPIC, "orders-*",
	    EVL_ACL_WRITE, 0));
	evl_assert_err(produce(bob, "orders-eu"), EVL_EDENIED);
	cr_assert_eq(head(admin, "orders-eu"), 2);

	evl_client_close(bob);
	evl_client_close(admin);
	evlct_broker_stop(&b, false);
}

Test(client_acl, non_admins_cannot_change_rules)
{
	evlct_broker  b;
	char          dir[256];
	evl_acl_rule *v;
	size_t        n;
	start(&b, dir, sizeof(dir), true);
	evl_client *admin = login(b.url, "admin", "root-pw");
	evl_client *bob   = login(b.url, "bob", "bob-pw");
	evl_assert_err(
	    rule(bob, true, "bob", EVL_RES_TOPIC, "*", EVL_ACL_ALL, 0),
	    EVL_EDENIED);
	cr_assert(strstr(evl_client_errmsg(bob),
	              "bob may not alter the cluster") != NULL,
	    "%s", evl_client_errmsg(bob));
	evl_assert_err(evl_acl_list(bob, NULL, &v, &n), EVL_EDENIED);
	evl_assert_ok(evl_acl_list(admin, NULL, &v, &n));
	cr_assert_eq(n, 0, "bob's attempt added a rule");
	evl_acl_rules_free(v, n);
	/* alter on the cluster makes carol an admin of rules. */
	evl_assert_ok(rule(admin, true, "carol", EVL_RES_CLUSTER, "*",
	    EVL_ACL_ALTER | EVL_ACL_DESCRIBE, 0));
	evl_client *carol = login(b.url, "carol", "carol-pw");
	evl_assert_ok(
	    rule(carol, true, "bob", EVL_RES_GROUP, "g-*", EVL_ACL_READ, 0));
	evl_assert_ok(evl_acl_list(carol, NULL, &v, &n));
	cr_assert_eq(n, 2);
	evl_acl_rules_free(v, n);
	/* Malformed and missing rules: clear errors. */
	evl_assert_err(rule(carol, true, "b b", EVL_RES_TOPIC, "t",
	                   EVL_ACL_READ, 0),
	    EVL_EINVAL);
	cr_assert(strstr(evl_client_errmsg(carol), "principal") != NULL,
	    "%s", evl_client_errmsg(carol));
	evl_assert_err(rule(carol, false, "bob", EVL_RES_GROUP, "g-*",
	                   EVL_ACL_WRITE, 0),
	    EVL_ENOTFOUND);
	evl_client_close(carol);
	evl_client_close(bob);
	evl_client_close(admin);
	evlct_broker_stop(&b, false);
}

Test(client_acl, rules_survive_a_restart)
{
	evlct_broker  b;
	char          dir[256];
	evl_acl_rule  filter = { "bob", 0, NULL, 0, 0 }, *v;
	size_t        n;
	start(&b, dir, sizeof(dir), true);
	evl_client *admin = login(b.url, "admin", "root-pw");
	evl_assert_ok(evl_topic_create(admin, "t", NULL));
	/* A producer needs describe too: the client asks the topic's
	 * partition count first. */
	evl_assert_ok(rule(admin, true, "bob", EVL_RES_TOPIC, "t",
	    EVL_ACL_WRITE | EVL_ACL_DESCRIBE, 0));
	evl_assert_ok(
	    rule(admin, true, "carol", EVL_RES_TOPIC, "t", EVL_ACL_READ, 0));
	evl_client_close(admin);
	evlct_broker_stop(&b, true);

	start(&b, dir, sizeof(dir), false);
	admin           = login(b.url, "admin", "root-pw");
	evl_client *bob = login(b.url, "bob", "bob-pw");
	evl_assert_ok(produce(bob, "t"));
	evl_assert_ok(evl_acl_list(admin, &filter, &v, &n));
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].principal, "bob");
	cr_assert_eq(v[0].resource, EVL_RES_TOPIC);
	cr_assert_str_eq(v[0].pattern, "t");
	cr_assert_eq(v[0].ops, EVL_ACL_WRITE | EVL_ACL_DESCRIBE);
	cr_assert_eq(v[0].deny, 0);
	evl_acl_rules_free(v, n);
	evl_client_close(bob);
	evl_client_close(admin);
	evlct_broker_stop(&b, false);
}

/* ---- the CLI ------------------------------------------------------------ */

/* Runs `evlog -b URL ARGS...` with stdout and stderr into files under
 * dir; returns the exit status and the outputs (caller frees). */
static int
cli(const char *dir, const char *url, const char *args, char **out,
    char **err)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s -b %s %s >%s/out 2>%s/err", EVLOG_PATH,
	    url, args, dir, dir);
	int rv = evlct_sh(cmd);
	for (int i = 0; i < 2; i++) {
		char  path[400];
		char *buf = calloc(1, 65536);
		snprintf(path, sizeof(path), "%s/%s", dir, i ? "err" : "out");
		FILE *f = fopen(path, "r");
		cr_assert_not_null(f);
		size_t k = fread(buf, 1, 65535, f);
		buf[k]   = '\0';
		fclose(f);
		*(i ? err : out) = buf;
	}
	return rv;
}

Test(client_acl, cli_add_list_remove)
{
	evlct_broker b;
	char         dir[256];
	char        *out, *err;
	/* Authentication off: rules can be managed by anyone (and are
	 * not enforced), which is how a deployment prepares its rules. */
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	cr_assert_eq(evlct_broker_start(&b, dir, NULL), 0);

	cr_assert_eq(cli(dir, b.url, "acl add bob read,describe 'topic:orders-*'",
	                 &out, &err),
	    0, "%s", err);
	cr_assert(strstr(err, "added allow bob read,describe topic:orders-*"),
	    "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "acl add --deny '*' all cluster", &out,
	                 &err),
	    0, "%s", err);
	free(out), free(err);

	cr_assert_eq(cli(dir, b.url, "acl list", &out, &err), 0, "%s", err);
	cr_assert(strstr(out, "USER  EFFECT  OPERATIONS") != NULL, "%s", out);
	cr_assert(strstr(out, "bob   allow   read,describe") != NULL, "%s", out);
	cr_assert(strstr(out, "topic:orders-*") != NULL, "%s", out);
	cr_assert(strstr(out, "*     deny    all") != NULL, "%s", out);
	free(out), free(err);

	cr_assert_eq(cli(dir, b.url, "acl list --user bob --json", &out, &err),
	    0, "%s", err);
	cr_assert_str_eq(out,
	    "[{\"principal\":\"bob\",\"effect\":\"allow\",\"operations\":"
	    "[\"read\",\"describe\"],\"resource\":\"topic\",\"pattern\":"
	    "\"orders-*\"}]\n");
	free(out), free(err);

	cr_assert_eq(cli(dir, b.url, "acl remove bob read 'topic:orders-*'",
	                 &out, &err),
	    0, "%s", err);
	free(out), free(err);
	/* Not there any more: a runtime error naming it, exit 1. */
	cr_assert_eq(cli(dir, b.url, "acl remove bob read 'topic:orders-*'",
	                 &out, &err),
	    1);
	cr_assert(strstr(err, "not found") != NULL, "%s", err);
	free(out), free(err);
	/* A malformed rule the broker refuses: exit 1 with its reason. */
	cr_assert_eq(cli(dir, b.url, "acl add 'b b' read topic:x", &out, &err),
	    1);
	cr_assert(strstr(err, "principal") != NULL, "%s", err);
	free(out), free(err);
	/* Usage errors: exit 2, nothing sent. */
	cr_assert_eq(cli(dir, b.url, "acl add bob fly topic:x", &out, &err), 2);
	cr_assert(strstr(err, "OPS") != NULL, "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "acl add bob read orders", &out, &err), 2);
	cr_assert(strstr(err, "RESOURCE") != NULL, "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "acl add bob read", &out, &err), 2);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "acl list --json", &out, &err), 0);
	cr_assert(strstr(out, "\"principal\":\"bob\",\"effect\":\"allow\","
	                      "\"operations\":[\"describe\"]") != NULL,
	    "%s", out);
	free(out), free(err);
	evlct_broker_stop(&b, false);
}

/* A denied request in any command: exit 1, the broker's message on
 * stderr naming the operation and the resource. */
Test(client_acl, cli_denied_is_exit_1_with_the_reason)
{
	evlct_broker b;
	char         dir[256];
	char        *out, *err;
	start(&b, dir, sizeof(dir), true);

	setenv("EVLOG_PASSWORD", "wrong", 1);
	cr_assert_eq(cli(dir, b.url, "-u admin topics create orders-eu", &out,
	                 &err),
	    1, "a wrong password must not log in");
	free(out), free(err);
	setenv("EVLOG_PASSWORD", "root-pw", 1);
	cr_assert_eq(cli(dir, b.url, "-u admin topics create orders-eu", &out,
	                 &err),
	    0, "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url,
	                 "-u admin acl add bob describe 'topic:orders-*'", &out,
	                 &err),
	    0, "%s", err);
	free(out), free(err);

	setenv("EVLOG_PASSWORD", "bob-pw", 1);
	cr_assert_eq(cli(dir, b.url, "-u bob produce orders-eu hello", &out,
	                 &err),
	    1);
	cr_assert(strstr(err, "bob may not write topic orders-eu") != NULL,
	    "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "-u bob topics delete orders-eu", &out,
	                 &err),
	    1);
	cr_assert(strstr(err, "bob may not delete topic orders-eu") != NULL,
	    "%s", err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "-u bob acl add bob all 'topic:*'", &out,
	                 &err),
	    1);
	cr_assert(strstr(err, "bob may not alter the cluster") != NULL, "%s",
	    err);
	free(out), free(err);
	cr_assert_eq(cli(dir, b.url, "-u bob acl list", &out, &err), 1);
	cr_assert(strstr(err, "bob may not describe the cluster") != NULL,
	    "%s", err);
	free(out), free(err);
	/* What bob may describe he sees; the rest stays hidden. */
	setenv("EVLOG_PASSWORD", "root-pw", 1);
	cr_assert_eq(cli(dir, b.url, "-u admin topics create payments", &out,
	                 &err),
	    0, "%s", err);
	free(out), free(err);
	setenv("EVLOG_PASSWORD", "bob-pw", 1);
	cr_assert_eq(cli(dir, b.url, "-u bob topics list", &out, &err), 0,
	    "%s", err);
	cr_assert(strstr(out, "orders-eu") != NULL, "%s", out);
	cr_assert(strstr(out, "payments") == NULL, "%s", out);
	free(out), free(err);
	unsetenv("EVLOG_PASSWORD");
	evlct_broker_stop(&b, false);
}

/* ---- a consumer group with a glob subscription -------------------------- */

struct seen {
	bool eu, secret, payments;
};

static void
note_topic(struct seen *s, const char *topic)
{
	if (strcmp(topic, "orders-eu") == 0)
		s->eu = true;
	else if (strcmp(topic, "orders-secret") == 0)
		s->secret = true;
	else if (strcmp(topic, "payments") == 0)
		s->payments = true;
}

/* Polls k for up to ms, noting the topics of the records it returns;
 * stops early once want says so. */
static void
poll_for(evl_consumer *k, struct seen *s, uint32_t ms,
    bool (*want)(const struct seen *))
{
	uint64_t end = evlct_now_ms() + ms;
	while (evlct_now_ms() < end && !(want && want(s))) {
		const evl_record *rec;
		int               rv = evl_consumer_poll(k, &rec, 200);
		if (rv == 0)
			note_topic(s, rec->topic);
		else
			cr_assert(rv == EVL_ETIMEDOUT || rv == EVL_EREBALANCE,
			    "poll: %s", evl_strerror(rv));
	}
}

static bool
have_eu(const struct seen *s)
{
	return s->eu;
}

static bool
have_secret(const struct seen *s)
{
	return s->secret;
}

Test(client_acl, glob_subscription_gets_only_readable_topics)
{
	evlct_broker b;
	char         dir[256];
	start(&b, dir, sizeof(dir), true);
	evl_client *admin = login(b.url, "admin", "root-pw");
	static const char *const topics[] = { "orders-eu", "orders-secret",
		"payments" };
	for (size_t i = 0; i < 3; i++) {
		evl_assert_ok(evl_topic_create(admin, topics[i], NULL));
		evl_assert_ok(produce(admin, topics[i]));
	}
	evl_assert_ok(rule(admin, true, "bob", EVL_RES_TOPIC, "orders-*",
	    EVL_ACL_READ | EVL_ACL_DESCRIBE, 0));
	evl_assert_ok(rule(admin, true, "bob", EVL_RES_TOPIC, "orders-secret",
	    EVL_ACL_READ, 1));
	evl_assert_ok(
	    rule(admin, true, "bob", EVL_RES_GROUP, "g", EVL_ACL_READ, 0));

	evl_client       *bob = login(b.url, "bob", "bob-pw");
	evl_consumer     *k;
	evl_consumer_opts o;
	const char       *subs[] = { "*" };
	struct seen       s      = { false, false, false };
	evl_consumer_opts_init(&o);
	o.auto_commit_ms = 0;
	evl_assert_ok(evl_consumer_open(&k, bob, "g", subs, 1, &o));
	/* The join succeeds; only orders-eu is dealt to bob. */
	poll_for(k, &s, 20000, have_eu);
	cr_assert(s.eu, "no record from orders-eu");
	poll_for(k, &s, 1500, NULL);
	cr_assert_not(s.secret, "orders-secret was assigned despite a deny");
	cr_assert_not(s.payments, "payments was assigned without a rule");

	/* The deny goes: the group re-resolves and deals orders-secret. */
	evl_assert_ok(rule(admin, false, "bob", EVL_RES_TOPIC, "orders-secret",
	    EVL_ACL_READ, 1));
	poll_for(k, &s, 30000, have_secret);
	cr_assert(s.secret, "orders-secret not assigned after the deny went");
	cr_assert_not(s.payments);
	evl_consumer_close(k);
	evl_client_close(bob);
	evl_client_close(admin);
	evlct_broker_stop(&b, false);
}
