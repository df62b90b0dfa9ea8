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

/* A broker with users alice (pencil) and bob (hunter2). */
static void
start(evlct_broker *b, char *dir, size_t len)
{
	char users[400];
	cr_assert_eq(evlct_tmpdir(dir, len), 0);
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil"), 0);
	cr_assert_eq(evlct_passwd(dir, "bob", "hunter2"), 0);
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

/* ---- re-login after a reconnect -------------------------------------- */

struct counts {
	atomic_uint ok;
	atomic_uint failed;
	atomic_int  first_err;
};

static void
on_delivery(void *arg, const evl_delivery *d)
{
	struct counts *k = arg;
	if (d->err == 0) {
		atomic_fetch_add(&k->ok, 1);
	} else {
		int zero = 0;
		atomic_fetch_add(&k->failed, 1);
		atomic_compare_exchange_strong(&k->first_err, &zero, d->err);
	}
}

struct feeder {
	evl_producer *p;
	atomic_bool   stop;
	atomic_uint   sent;
	int           err;
};

/* Produces one record at a time until told to stop; evl_produce only
 * queues, so the broker going away does not fail it. */
static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	char           v[32];
	while (!atomic_load(&f->stop)) {
		unsigned i = atomic_load(&f->sent);
		int      n = snprintf(v, sizeof(v), "r%u", i);
		evl_message m = { .topic = "t", .value = v, .value_len = (size_t) n };
		if ((f->err = evl_produce(f->p, &m)) != 0)
			break;
		atomic_fetch_add(&f->sent, 1);
		/* Keep the queue short: at most 200 in flight. */
		if (i % 200 == 199 && (f->err = evl_producer_flush(f->p, 30000)) != 0)
			break;
	}
	return NULL;
}

struct at_least {
	atomic_uint *v;
	unsigned     n;
};

static bool
reached(void *arg)
{
	struct at_least *a = arg;
	return atomic_load(a->v) >= a->n;
}

Test(client_auth, relogin_after_broker_restart)
{
	evlct_broker      b;
	char              dir[256], listen[256], users[400];
	evl_client       *c;
	evl_producer     *p;
	evl_reader       *r;
	const evl_record *rec;
	struct counts     k = { 0 };
	struct feeder     f = { 0 };
	pthread_t         th;
	start(&b, dir, sizeof(dir));
	snprintf(listen, sizeof(listen), "%s", b.url);
	snprintf(users, sizeof(users), "%s/users", dir);
	evl_assert_ok(open_as(&c, listen, "alice", "pencil"));
	evl_assert_ok(evl_topic_create(c, "t", NULL));

	evl_producer_opts po;
	evl_producer_opts_init(&po);
	po.idempotent      = 1;
	po.on_delivery     = on_delivery;
	po.on_delivery_arg = &k;
	evl_assert_ok(evl_producer_open(&p, c, &po));
	/* A reader that has read before the restart and reads on after. */
	evl_assert_ok(evl_reader_open(&r, c, "t", NULL));
	evl_assert_ok(evl_reader_seek(r, 0, EVL_OFFSET_BEGINNING));

	f.p = p;
	pthread_create(&th, NULL, feeder_main, &f);
	struct at_least before = { &k.ok, 300 };
	cr_assert(evlct_wait_until(reached, &before, 30000));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));

	/* The broker dies and comes back on the same port, data and users:
	 * every new connection starts unauthenticated. */
	evlct_broker_kill(&b, SIGKILL);
	const char *args[] = { "--listen", listen, "--users", users,
		"--superusers", "alice,bob", NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);
	struct at_least after = { &k.ok, atomic_load(&k.ok) + 300 };
	cr_assert(evlct_wait_until(reached, &after, 60000));
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	evl_assert_ok(f.err);
	evl_assert_ok(evl_producer_flush(p, 30000));
	cr_assert_eq(atomic_load(&k.failed), 0, "first delivery error %s",
	    evl_errname(atomic_load(&k.first_err)));
	cr_assert_eq(atomic_load(&k.ok), atomic_load(&f.sent));

	/* Synchronous calls and the reader go on too: every record, once
	 * (the producer is idempotent), in order. */
	evl_topic_info *t;
	evl_assert_ok(evl_topic_describe(c, "t", &t));
	cr_assert_eq(t->partitions[0].next_offset, atomic_load(&f.sent));
	evl_topic_info_free(t, 1);
	unsigned n = 1;
	while (n < atomic_load(&f.sent)) {
		evl_assert_ok(evl_reader_next(r, &rec, 10000));
		char want[32];
		snprintf(want, sizeof(want), "r%u", n);
		cr_assert_eq(rec->value_len, strlen(want));
		cr_assert(memcmp(rec->value, want, rec->value_len) == 0);
		n++;
	}
	evl_reader_close(r);
	evl_producer_close(p);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- the failure limit ------------------------------------------------ */

struct login {
	const char *url;
	int         rv;
};

static bool
login_ok(void *arg)
{
	struct login *l = arg;
	evl_client   *c;
	l->rv = open_as(&c, l->url, "alice", "pencil");
	if (l->rv == 0)
		evl_client_close(c);
	return l->rv != EVL_ETHROTTLED;
}

Test(client_auth, failures_are_rate_limited)
{
	evlct_broker b;
	char         dir[256];
	evl_client  *c = NULL;
	start(&b, dir, sizeof(dir));
	/* Five failures within a minute lock this address out... */
	for (int i = 0; i < 5; i++)
		evl_assert_err(open_as(&c, b.url, "alice", "wrong"), EVL_EAUTH);
	/* ...even for the right password... */
	uint64_t t0 = evlct_now_ms();
	evl_assert_err(open_as(&c, b.url, "alice", "pencil"), EVL_ETHROTTLED);
	evl_assert_err(open_as(&c, b.url, "bob", "hunter2"), EVL_ETHROTTLED);
	/* ...for a second (the first lockout), then logins work again. */
	struct login l = { b.url, -1 };
	cr_assert(evlct_wait_until(login_ok, &l, 10000));
	evl_assert_ok(l.rv);
	cr_assert_geq(evlct_now_ms() - t0, 500);
	/* The next five failures lock it out again (for longer). */
	for (int i = 0; i < 5; i++)
		evl_assert_err(open_as(&c, b.url, "mallory", "x"), EVL_EAUTH);
	evl_assert_err(open_as(&c, b.url, "alice", "pencil"), EVL_ETHROTTLED);
	evlct_broker_stop(&b, false);
}

/* ---- evlogd passwd and the users file ---------------------------------- */

/* The whole file into buf (NUL-terminated); its length or -1. */
static long
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long) n;
}

static int
count_lines_starting(const char *buf, const char *prefix)
{
	int         n = 0;
	size_t      pl = strlen(prefix);
	const char *p  = buf;
	while (*p) {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

Test(client_auth, passwd_creates_replaces_and_refuses)
{
	char        dir[256], path[400], before[4096], after[4096], cmd[1024];
	struct stat st;
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/users", dir);

	/* Creates the file, mode 0600, one line, no password in it. */
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil"), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_gt(slurp(path, before, sizeof(before)), 0);
	cr_assert_eq(count_lines_starting(before, "alice:SCRAM-SHA-256:4096:"), 1);
	cr_assert_null(strstr(before, "pencil"));

	/* A comment and a second user survive a replacement. */
	FILE *f = fopen(path, "a");
	fputs("# the admins\n", f);
	fclose(f);
	cr_assert_eq(evlct_passwd(dir, "bob", "hunter2"), 0);
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil2"), 0);
	cr_assert_gt(slurp(path, after, sizeof(after)), 0);
	cr_assert_eq(count_lines_starting(after, "alice:"), 1);
	cr_assert_eq(count_lines_starting(after, "bob:"), 1);
	cr_assert_eq(count_lines_starting(after, "# the admins"), 1);
	cr_assert(strncmp(after, before, strlen("alice:SCRAM-SHA-256:4096:")) == 0);
	cr_assert(strcmp(after, before) != 0, "alice's line did not change");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	/* A bad name and an empty password are refused, the file kept. */
	cr_assert_eq(evlct_passwd(dir, "not a name", "x"), 2);
	cr_assert_eq(evlct_passwd(dir, "a:b", "x"), 2);
	snprintf(cmd, sizeof(cmd), "printf '\\n' | %s passwd %s carol 2>/dev/null",
	    EVLCT_EVLOGD, path);
	cr_assert_eq(evlct_sh(cmd), 1);
	cr_assert_gt(slurp(path, before, sizeof(before)), 0);
	cr_assert_str_eq(before, after);

	/* On a terminal it prompts (script(1) gives it one). */
	snprintf(cmd, sizeof(cmd),
	    "printf 'pw4dave\\n' | script -qec '%s passwd %s dave' /dev/null "
	    "| grep -q 'Password:'",
	    EVLCT_EVLOGD, path);
	cr_assert_eq(evlct_sh(cmd), 0);

	/* The new password logs in, the old one does not. */
	evlct_broker b;
	evl_client  *c;
	const char  *args[] = { "--users", path, NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);
	evl_assert_ok(open_as(&c, b.url, "alice", "pencil2"));
	evl_client_close(c);
	evl_assert_err(open_as(&c, b.url, "alice", "pencil"), EVL_EAUTH);
	evl_assert_ok(open_as(&c, b.url, "bob", "hunter2"));
	evl_client_close(c);
	evl_assert_ok(open_as(&c, b.url, "dave", "pw4dave"));
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

Test(client_auth, bad_users_file_refuses_start)
{
	char dir[256], path[400], cmd[2048];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/users", dir);
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil"), 0);
	FILE *f = fopen(path, "a");
	fputs("bob:SCRAM-SHA-256:4096:not-base64:x:y\n", f);
	fclose(f);
	/* Exit status 1, and the message names the file and the line. */
	snprintf(cmd, sizeof(cmd),
	    "out=$(%s --data %s/data --listen tcp://127.0.0.1:0 --http off "
	    "--users %s 2>&1); st=$?; [ $st -eq 1 ] && "
	    "printf '%%s' \"$out\" | grep -q 'users file %s, line 2: bad salt'",
	    EVLCT_EVLOGD, dir, path, path);
	cr_assert_eq(evlct_sh(cmd), 0);
	/* A missing file too. */
	snprintf(cmd, sizeof(cmd),
	    "out=$(%s --data %s/data --listen tcp://127.0.0.1:0 --http off "
	    "--users %s/nope 2>&1); st=$?; [ $st -eq 1 ] && "
	    "printf '%%s' \"$out\" | grep -q 'cannot read the users file "
	    "%s/nope'",
	    EVLCT_EVLOGD, dir, dir, dir);
	cr_assert_eq(evlct_sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	evlct_sh(cmd);
}

/* ---- --tls-client-user --------------------------------------------------- */

Test(client_auth, tls_client_user_maps_verified_certificates)
{
	char dir[256], cmd[4096], users[400];
	char ca[300], cakey[300], srv[300], srvkey[300], cli[300], clikey[300];
	char other[300], otherkey[300];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
#define P(buf, name) snprintf(buf, sizeof(buf), "%s/" name, dir)
	P(ca, "ca.pem");
	P(cakey, "ca.key");
	P(srv, "srv.pem");
	P(srvkey, "srv.key");
	P(cli, "cli.pem");
	P(clikey, "cli.key");
	P(other, "other.pem");
	P(otherkey, "other.key");
#undef P
	/* A CA; a server and a client certificate it signs; a client
	 * certificate signed by nobody the broker trusts. */
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && ( "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ca "
	    "-keyout ca.key -out ca.pem && "
	    "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
	    "-keyout srv.key -out srv.csr && "
	    "printf 'subjectAltName=DNS:localhost\\n' > srv.ext && "
	    "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 1 -extfile srv.ext -out srv.pem && "
	    "openssl req -newkey rsa:2048 -nodes -subj /CN=svc "
	    "-keyout cli.key -out cli.csr && "
	    "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 1 -out cli.pem && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=svc "
	    "-keyout other.key -out other.pem"
	    " ) >/dev/null 2>&1",
	    dir);
	cr_assert_eq(evlct_sh(cmd), 0, "openssl failed");
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil"), 0);
	snprintf(users, sizeof(users), "%s/users", dir);

	evlct_broker b;
	const char  *args[] = { "--listen", "tls+tcp://127.0.0.1:0",
		"--tls-cert", srv, "--tls-key", srvkey, "--tls-ca", ca,
		"--tls-client-auth", "optional", "--tls-client-user", "svc",
		"--users", users, "--superusers", "svc,alice", NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);

	evl_client_opts o;
	evl_client     *c;
	evl_client_opts_init(&o);
	o.url             = b.url;
	o.tls_ca_file     = ca;
	o.tls_server_name = "localhost";

	/* No certificate, no login: refused. */
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_err(evl_topic_create(c, "t", NULL), EVL_EAUTHREQUIRED);
	evl_client_close(c);

	/* A certificate from another CA is not verified: refused too. */
	o.tls_cert_file = other;
	o.tls_key_file  = otherkey;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_err(evl_topic_create(c, "t", NULL), EVL_EAUTHREQUIRED);
	evl_client_close(c);

	/* The CA's client certificate is user svc, with no password. */
	o.tls_cert_file = cli;
	o.tls_key_file  = clikey;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_ok(evl_topic_create(c, "t", NULL));
	evl_client_close(c);

	/* Without a certificate, a password login still works. */
	o.tls_cert_file = NULL;
	o.tls_key_file  = NULL;
	o.user          = "alice";
	o.password      = "pencil";
	evl_assert_ok(evl_client_open(&c, &o));
	evl_topic_info *t;
	evl_assert_ok(evl_topic_describe(c, "t", &t));
	evl_topic_info_free(t, 1);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

/* ---- SIGHUP re-reads the users file ---------------------------------------- */

struct login_as {
	const char *url, *user, *pw;
};

static bool
can_login(void *arg)
{
	struct login_as *l = arg;
	evl_client      *c;
	if (open_as(&c, l->url, l->user, l->pw) != 0)
		return false;
	evl_client_close(c);
	return true;
}

Test(client_auth, sighup_reloads_users)
{
	evlct_broker b;
	char         dir[256];
	evl_client  *c, *kept;
	start(&b, dir, sizeof(dir));
	evl_assert_ok(open_as(&kept, b.url, "bob", "hunter2"));
	evl_assert_err(open_as(&c, b.url, "carol", "s3cret"), EVL_EAUTH);

	/* A new user, a changed password; then SIGHUP. */
	cr_assert_eq(evlct_passwd(dir, "carol", "s3cret"), 0);
	cr_assert_eq(evlct_passwd(dir, "alice", "pencil2"), 0);
	kill(b.pid, SIGHUP);
	struct login_as carol = { b.url, "carol", "s3cret" };
	cr_assert(evlct_wait_until(can_login, &carol, 10000));
	evl_assert_ok(open_as(&c, b.url, "alice", "pencil2"));
	evl_client_close(c);
	evl_assert_err(open_as(&c, b.url, "alice", "pencil"), EVL_EAUTH);

	/* A connection logged in before keeps working.  (A garbled file
	 * on reload: broker_users_test, auth.reload_keeps_old_users.) */
	evl_assert_ok(evl_topic_create(kept, "t", NULL));
	evl_client_close(kept);
	evlct_broker_stop(&b, false);
}
