/*
 * Protected mode (broker/protected.c): which listener URLs and --http
 * addresses count as loopback-only, and evld_protected_check over whole
 * configurations: refused without users, allowed with --users,
 * --tls-client-user or --insecure, and a message that names the
 * listener and both ways out.  The end-to-end refusal (evlogd exits
 * non-zero before listening) is in tests/integration/broker_raw_test.c.
 */
#include <string.h>

#include "config.h"
#include "evl_test.h"
#include "protected.h"

Test(protected, local_urls)
{
	static const char *const local[] = { "tcp://127.0.0.1:7470",
		"tcp://127.0.0.1:0", "tcp://127.1.2.3:7470", "tcp4://127.0.0.1:1",
		"tcp://[::1]:7470", "tcp6://[::1]:7470",
		"tcp://[::ffff:127.0.0.1]:7470", "tcp://localhost:7470",
		"tcp://LOCALHOST:7470", "tls+tcp://127.0.0.1:7480",
		"tls+tcp://localhost:0", "ws://127.0.0.1:7490/evlog",
		"wss://[::1]:7491/x", "ipc:///tmp/evlog.sock",
		"abstract://evlog", "inproc://evlog" };
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		cr_assert(evld_url_is_local(local[i]), "%s", local[i]);
}

Test(protected, remote_urls)
{
	static const char *const remote[] = { "tcp://0.0.0.0:7470",
		"tcp://:7470", "tcp://[::]:7470", "tcp://192.168.1.10:7470",
		"tcp://10.0.0.1:7470", "tcp://[2001:db8::1]:7470",
		"tcp://evlog.example.com:7470", "tcp://localhost.evil.com:1",
		"tcp://128.0.0.1:7470", "tcp://[::2]:7470",
		"tls+tcp://0.0.0.0:7480", "ws://0.0.0.0:7490/evlog",
		"ws://:7490/evlog", "wss://example.com:443/e", "not a url",
		"" };
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		cr_assert(!evld_url_is_local(remote[i]), "%s", remote[i]);
}

Test(protected, http_addresses)
{
	cr_assert(evld_hostport_is_local("127.0.0.1:7471"));
	cr_assert(evld_hostport_is_local("127.9.9.9:0"));
	cr_assert(evld_hostport_is_local("[::1]:7471"));
	cr_assert(evld_hostport_is_local("localhost:7471"));
	cr_assert(!evld_hostport_is_local("0.0.0.0:7471"));
	cr_assert(!evld_hostport_is_local("[::]:7471"));
	cr_assert(!evld_hostport_is_local(":7471"));
	cr_assert(!evld_hostport_is_local("192.0.2.1:7471"));
	cr_assert(!evld_hostport_is_local("7471"));
}

/* A configuration with the given listeners and http, nothing else. */
static void
cfg_make(struct evld_config *c, char **listen, size_t n, char *http)
{
	evld_config_init(c);
	c->listen  = listen;
	c->nlisten = n;
	c->http    = http;
}

Test(protected, refuses_without_users)
{
	struct evld_config c;
	char *listen[] = { "tcp://127.0.0.1:7470", "tcp://0.0.0.0:7470" };
	char  err[768];

	cfg_make(&c, listen, 2, "127.0.0.1:7471");
	evl_assert_err(evld_protected_check(&c, err, sizeof(err)), EVL_EINVAL);
	cr_assert(strstr(err, "tcp://0.0.0.0:7470") != NULL, "%s", err);
	cr_assert(strstr(err, "not loopback-only") != NULL, "%s", err);
	cr_assert(strstr(err, "--users") != NULL, "%s", err);
	cr_assert(strstr(err, "--insecure") != NULL, "%s", err);
	cr_assert(strstr(err, "EVLOG_INSECURE=1") != NULL, "%s", err);

	/* Each way out. */
	c.insecure = true;
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
	cr_assert_str_eq(err, "");
	c.insecure   = false;
	c.users_file = "users";
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
	c.users_file      = NULL;
	c.tls_client_user = "svc";
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
}

Test(protected, loopback_only_starts)
{
	struct evld_config c;
	char *listen[] = { "tcp://127.0.0.1:7470", "ipc:///tmp/x.sock",
		"inproc://x", "tls+tcp://[::1]:7480" };
	char  err[768];

	cfg_make(&c, listen, 4, "127.0.0.1:7471");
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
	c.http = NULL; /* --http off */
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
}

Test(protected, http_needs_a_token_or_insecure)
{
	struct evld_config c;
	char *listen[] = { "tcp://127.0.0.1:7470" };
	char  err[768];

	cfg_make(&c, listen, 1, "0.0.0.0:7471");
	evl_assert_err(evld_protected_check(&c, err, sizeof(err)), EVL_EINVAL);
	cr_assert(strstr(err, "http on 0.0.0.0:7471") != NULL, "%s", err);
	cr_assert(strstr(err, "--http-token") != NULL, "%s", err);
	cr_assert(strstr(err, "--insecure") != NULL, "%s", err);
	/* Users do not guard /metrics: still refused. */
	c.users_file = "users";
	evl_assert_err(evld_protected_check(&c, err, sizeof(err)), EVL_EINVAL);
	c.http_token = "t";
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
	c.http_token = NULL;
	c.users_file = NULL;
	c.insecure   = true;
	evl_assert_ok(evld_protected_check(&c, err, sizeof(err)));
}
