/*
 * The users file (broker/users.c) and the authenticator's failure limit
 * and unknown-user credentials (broker/auth.c): every kind of bad line
 * is refused with its line number, passwd keeps what it should, and the
 * lockout follows the documented numbers.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "evl_test.h"
#include "harness.h"
#include "users.h"

static char dir[256], path[300];

static void
setup(void)
{
	cr_assert_eq(evlt_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/users", dir);
}

static void
teardown(void)
{
	evlt_rmrf(dir);
}

TestSuite(users, .init = setup, .fini = teardown);

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* A valid line for name (password "pw"). */
static void
line_for(const char *name, char *out, size_t cap)
{
	char  err[256];
	char  tmp[320];
	FILE *f;
	snprintf(tmp, sizeof(tmp), "%s/one", dir);
	remove(tmp);
	evl_assert_ok(evld_users_passwd(tmp, name, "pw", 2, 4096, err,
	    sizeof(err)));
	f = fopen(tmp, "r");
	cr_assert_not_null(fgets(out, (int) cap, f));
	fclose(f);
}

static int
load(char *err, size_t len)
{
	struct evld_users u;
	int               rv = evld_users_load(&u, path, err, len);
	if (rv == 0)
		evld_users_fini(&u);
	return rv;
}

Test(users, names)
{
	cr_assert(evld_user_name_ok("alice"));
	cr_assert(evld_user_name_ok("svc.orders-1_x@corp"));
	cr_assert(!evld_user_name_ok(""));
	cr_assert(!evld_user_name_ok("a b"));
	cr_assert(!evld_user_name_ok("a:b"));
	cr_assert(!evld_user_name_ok("a,b"));
	char n[70];
	memset(n, 'a', 64);
	n[64] = '\0';
	cr_assert(evld_user_name_ok(n));
	n[64] = 'a';
	n[65] = '\0';
	cr_assert(!evld_user_name_ok(n));
}

Test(users, load_and_find)
{
	char              a[300], b[300], text[1024], err[256];
	struct evld_users u;
	line_for("alice", a, sizeof(a));
	line_for("bob", b, sizeof(b));
	snprintf(text, sizeof(text), "# users\n\n   \n%s%s", a, b);
	write_file(text);
	evl_assert_ok(evld_users_load(&u, path, err, sizeof(err)));
	cr_assert_eq(u.n, 2);
	cr_assert_not_null(evld_users_find(&u, "alice"));
	cr_assert_not_null(evld_users_find(&u, "bob"));
	cr_assert_null(evld_users_find(&u, "carol"));
	cr_assert_eq(evld_users_find(&u, "alice")->cred.iterations, 4096);
	cr_assert_eq(evld_users_find(&u, "alice")->cred.salt_len, 16);
	evld_users_fini(&u);
}

Test(users, bad_lines_name_their_line)
{
	char        a[300], text[1024], err[256];
	const char *bad[] = {
		"alice\n",
		"alice:SCRAM-SHA-1:4096:AAAA:AAAA:AAAA\n",
		"bad name:SCRAM-SHA-256:4096:AAAA:AAAA:AAAA\n",
		"carol:SCRAM-SHA-256:100:AAAA:AAAA:AAAA\n",
		"carol:SCRAM-SHA-256:4096x:AAAA:AAAA:AAAA\n",
		"carol:SCRAM-SHA-256:4096:!!!!:AAAA:AAAA\n",
		"carol:SCRAM-SHA-256:4096:AAAA:AAAA:AAAA\n", /* short keys */
		"carol:SCRAM-SHA-256:4096:AAAA:AAAA:AAAA:extra\n",
	};
	line_for("alice", a, sizeof(a));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "# c\n%s%s", a, bad[i]);
		write_file(text);
		evl_assert_err(load(err, sizeof(err)), EVL_EINVAL);
		cr_assert(strstr(err, ", line 3:") != NULL, "%zu: %s", i, err);
		cr_assert(strstr(err, path) != NULL, "%s", err);
	}
	/* The same user twice. */
	snprintf(text, sizeof(text), "%s%s", a, a);
	write_file(text);
	evl_assert_err(load(err, sizeof(err)), EVL_EINVAL);
	cr_assert(strstr(err, "line 2: the user is named twice"), "%s", err);
	/* CRLF line ends are fine. */
	a[strlen(a) - 1] = '\0';
	snprintf(text, sizeof(text), "%s\r\n", a);
	write_file(text);
	evl_assert_ok(load(err, sizeof(err)));
	/* A missing file. */
	remove(path);
	evl_assert_err(load(err, sizeof(err)), EVL_EINVAL);
	cr_assert(strstr(err, "cannot read the users file") != NULL, "%s", err);
}

Test(users, passwd_refuses_garbled_file_and_bad_name)
{
	char        err[256], text[256];
	struct stat st;
	write_file("garbage\n");
	evl_assert_err(evld_users_passwd(path, "alice", "pw", 2, 4096, err,
	                   sizeof(err)),
	    EVL_EINVAL);
	cr_assert(strstr(err, "line 1") != NULL, "%s", err);
	evl_assert_err(evld_users_passwd(path, "a b", "pw", 2, 4096, err,
	                   sizeof(err)),
	    EVL_EBADNAME);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(fgets(text, sizeof(text), f));
	fclose(f);
	cr_assert_str_eq(text, "garbage\n");
	/* A file without a final newline gets one before the new line. */
	remove(path);
	write_file("# no newline");
	evl_assert_ok(evld_users_passwd(path, "alice", "pw", 2, 4096, err,
	    sizeof(err)));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	evl_assert_ok(load(err, sizeof(err)));
}

Test(auth, unknown_users_get_stable_fake_credentials)
{
	struct evld_auth a;
	evlp_scram_cred  c1, c2, c3;
	bool             known = true;
	char             err[256];
	evl_assert_ok(evld_auth_init(&a, NULL, err, sizeof(err)));
	evld_auth_cred(&a, "mallory", &c1, &known);
	cr_assert(!known);
	evld_auth_cred(&a, "mallory", &c2, &known);
	evld_auth_cred(&a, "trudy", &c3, &known);
	cr_assert_eq(c1.salt_len, 16);
	cr_assert_eq(c1.iterations, 4096);
	cr_assert(memcmp(c1.salt, c2.salt, 16) == 0);
	cr_assert(memcmp(c1.salt, c3.salt, 16) != 0);
	evld_auth_fini(&a);
}

Test(auth, lockout_numbers)
{
	struct evld_auth a;
	char             err[256];
	uint64_t         t = 1000000;
	evl_assert_ok(evld_auth_init(&a, NULL, err, sizeof(err)));
	/* Four failures: not yet. */
	for (int i = 0; i < 4; i++)
		evld_auth_failure(&a, "10.0.0.1", t + (uint64_t) i * 1000);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t + 4000), 0);
	/* The fifth within the minute: 1 s, for this address only. */
	evld_auth_failure(&a, "10.0.0.1", t + 4000);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t + 4000), 1000);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.2", t + 4000), 0);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t + 5000), 0);
	/* Five more: 2 s, then 4 s... */
	t += 10000;
	for (int i = 0; i < 5; i++)
		evld_auth_failure(&a, "10.0.0.1", t);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t), 2000);
	t += 10000;
	for (int i = 0; i < 5; i++)
		evld_auth_failure(&a, "10.0.0.1", t);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t), 4000);
	/* ...capped at 60 s. */
	for (int k = 0; k < 10; k++) {
		t += 100000;
		for (int i = 0; i < 5; i++)
			evld_auth_failure(&a, "10.0.0.1", t);
	}
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t), 60000);
	/* Failures spread over more than a minute never lock. */
	for (int i = 0; i < 10; i++)
		evld_auth_failure(&a, "10.0.0.3", t + (uint64_t) i * 61000);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.3", t + 9 * 61000), 0);
	/* Ten quiet minutes: forgiven, the back-off starts over. */
	t += 60000 + EVLD_AUTH_FORGET_MS + 1;
	for (int i = 0; i < 5; i++)
		evld_auth_failure(&a, "10.0.0.1", t);
	cr_assert_eq(evld_auth_locked_ms(&a, "10.0.0.1", t), 1000);
	evld_auth_fini(&a);
}

Test(auth, table_full_drops_the_idlest)
{
	struct evld_auth a;
	char             err[256], peer[32];
	evl_assert_ok(evld_auth_init(&a, NULL, err, sizeof(err)));
	for (int i = 0; i < 5; i++)
		evld_auth_failure(&a, "victim", 10);
	for (int i = 0; i < EVLD_AUTH_PEERS + 10; i++) {
		snprintf(peer, sizeof(peer), "p%d", i);
		evld_auth_failure(&a, peer, 100 + (uint64_t) i);
	}
	/* The oldest row went first; the newest are kept. */
	cr_assert_eq(evld_auth_locked_ms(&a, "victim", 20), 0);
	snprintf(peer, sizeof(peer), "p%d", EVLD_AUTH_PEERS + 9);
	evld_auth_failure(&a, peer, 5000);
	evld_auth_failure(&a, peer, 5000);
	evld_auth_failure(&a, peer, 5000);
	evld_auth_failure(&a, peer, 5000);
	cr_assert_gt(evld_auth_locked_ms(&a, peer, 5000), 0);
	evld_auth_fini(&a);
}

Test(users, reload_keeps_old_users_on_a_bad_file)
{
	struct evld_auth a;
	evlp_scram_cred  c;
	bool             known;
	char             err[256], la[300], lc[300], text[700];
	line_for("alice", la, sizeof(la));
	line_for("carol", lc, sizeof(lc));
	write_file(la);
	evl_assert_ok(evld_auth_init(&a, path, err, sizeof(err)));
	evld_auth_cred(&a, "alice", &c, &known);
	cr_assert(known);
	/* Garbled: refused, alice stays. */
	snprintf(text, sizeof(text), "%sgarbage\n", lc);
	write_file(text);
	evl_assert_err(evld_auth_reload(&a, path, err, sizeof(err)), EVL_EINVAL);
	cr_assert(strstr(err, "line 2") != NULL, "%s", err);
	evld_auth_cred(&a, "alice", &c, &known);
	cr_assert(known);
	evld_auth_cred(&a, "carol", &c, &known);
	cr_assert(!known);
	/* Valid: replaced. */
	write_file(lc);
	evl_assert_ok(evld_auth_reload(&a, path, err, sizeof(err)));
	evld_auth_cred(&a, "alice", &c, &known);
	cr_assert(!known);
	evld_auth_cred(&a, "carol", &c, &known);
	cr_assert(known);
	evld_auth_fini(&a);
}
