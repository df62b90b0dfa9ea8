/*
 * client_auth_test.c -- logging in (PROTOCOL.md §9) through the real
 * client against an evlogd child with --users: the right password works,
 * a wrong one, an unknown user and no credentials are refused and change
 * nothing, failures are rate-limited per address, the client logs in
 * again by itself after the broker restarts, and `evlogd passwd` writes
 * the users file as documented.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_auth, .timeout = 180);

/* Sets name's password in dir/users with `evlogd passwd`; the exit
 * status. */
static int
passwd(const char *dir, const char *name, const char *password)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | %s passwd %s/users "
	                           "'%s' 2>/dev/null",
	    password, EVLCT_EVLOGD, dir, name);
	return evlct_sh(cmd);
}

/* A broker with users alice (pencil) and bob (hunter2). */
static void
start(evlct_broker *b, char *dir, size_t len)
{
	char users[400];
	cr_assert_eq(evlct_tmpdir(dir, len), 0);
	cr_assert_eq(passwd(dir, "alice", "pencil"), 0);
	cr_assert_eq(passwd(dir, "bob", "hunter2"), 0);
	snprintf(users, sizeof(users), "%s/users", dir);
	/* Superusers: with users on, what no ACL allows is denied, and
	 * these tests are about logging in, not about rules. */
	const char *args[] = { "--users", users, "--superusers", "alice,bob",
		NULL };
	cr_assert_eq(evlct_broker_start(b, dir, args), 0);
}

static int
open_as(evl_client **c, const char *url, const char *user, const char *pw)
{
	evl_client_opts o;
	evl_client_opts_init(&o);
	o.url      = url;
	o.user     = user;
	o.password = pw;
	o.timeout_ms = 5000;
	return evl_client_open(c, &o);
}

Test(client_auth, right_password_works)
{
	evlct_broker      b;
	char              dir[256];
	evl_client       *c;
	evl_reader       *r;
	const evl_record *rec;
	uint64_t          off;
	start(&b, dir, sizeof(dir));
	evl_assert_ok(open_as(&c, b.url, "alice", "pencil"));
	evl_assert_ok(evl_topic_create(c, "orders", NULL));
	evl_message m = { .topic = "orders", .value = "v", .value_len = 1 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off));
	evl_assert_ok(evl_reader_open(&r, c, "orders", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, EVL_OFFSET_BEGINNING));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->value_len, 1);
	evl_reader_close(r);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

Test(client_auth, wrong_password_and_unknown_user_are_eauth)
{
	evlct_broker b;
	char         dir[256];
	evl_client  *c = NULL;
	start(&b, dir, sizeof(dir));

	/* The same answer for both: nothing tells which users exist. */
	evl_assert_err(open_as(&c, b.url, "alice", "pencil2"), EVL_EAUTH);
	cr_assert_null(c);
	evl_assert_err(open_as(&c, b.url, "mallory", "pencil"), EVL_EAUTH);
	cr_assert_null(c);
	/* A user without a password is the caller's mistake. */
	evl_assert_err(open_as(&c, b.url, "alice", NULL), EVL_EINVAL);
	evlct_broker_stop(&b, false);
}

Test(client_auth, no_credentials_is_eauthrequired_and_changes_nothing)
{
	evlct_broker    b;
	char            dir[256];
	evl_client     *anon, *c;
	evl_client_opts o;
	evl_topic_info *t;
	uint64_t        off;
	start(&b, dir, sizeof(dir));
	evl_client_opts_init(&o);
	o.url = b.url;
	/* A ping is allowed: open works, every op after it is refused. */
	evl_assert_ok(evl_client_open(&anon, &o));
	evl_assert_err(evl_topic_create(anon, "t", NULL), EVL_EAUTHREQUIRED);
	cr_assert(strstr(evl_client_errmsg(anon), "login") != NULL, "%s",
	    evl_client_errmsg(anon));
	evl_message m = { .topic = "t", .value = "v", .value_len = 1 };
	evl_assert_err(evl_produce_sync(anon, &m, EVL_ACKS_WRITTEN, &off),
	    EVL_EAUTHREQUIRED);
	evl_topic_info *all;
	size_t          n;
	evl_assert_err(evl_topic_list(anon, &all, &n), EVL_EAUTHREQUIRED);
	evl_client_close(anon);

	/* Nothing was created. */
	evl_assert_ok(open_as(&c, b.url, "bob", "hunter2"));
	evl_assert_err(evl_topic_describe(c, "t", &t), EVL_ENOTOPIC);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
