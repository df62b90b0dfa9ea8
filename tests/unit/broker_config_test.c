/*
 * evld_config: defaults, each layer alone, precedence between file,
 * environment and flags, listener replacement, and the error messages
 * (which must name the option and where it came from).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "evl_test.h"

#define MAXARGS 32

/* Parses with argv = { "evlogd", args... } and env (NULL-terminated). */
static int
parse(struct evld_config *c, const char *const *args, const char *const *env,
    char *err, size_t errlen)
{
	char *argv[MAXARGS];
	char *envp[MAXARGS];
	int   argc = 0;
	int   n    = 0;

	argv[argc++] = "evlogd";
	for (; args != NULL && *args != NULL; args++)
		argv[argc++] = (char *) *args;
	argv[argc] = NULL;
	for (; env != NULL && *env != NULL; env++)
		envp[n++] = (char *) *env;
	envp[n] = NULL;
	return evld_config_parse(c, argc, argv, envp, err, errlen);
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define ENV(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Writes text to a fresh temporary file; returns its path (static). */
static const char *
conf_file(const char *text)
{
	static char path[64];
	int         fd;

	strcpy(path, "/tmp/evld_config_XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	return path;
}

static struct evld_config c;
static char               err[256];

static void
setup(void)
{
	evld_config_init(&c);
	err[0] = '\0';
}

static void
teardown(void)
{
	evld_config_fini(&c);
}

/* Expects EVL_EINVAL with every needle in the message. */
#define assert_fails(rv, ...)                                             \
	do {                                                              \
		evl_assert_err((rv), EVL_EINVAL);                         \
		const char *needles_[] = { __VA_ARGS__ };                 \
		for (size_t i_ = 0;                                       \
		     i_ < sizeof(needles_) / sizeof(needles_[0]); i_++)   \
			cr_assert(strstr(err, needles_[i_]) != NULL,      \
			    "\"%s\" not in error \"%s\"", needles_[i_],   \
			    err);                                         \
		cr_assert(strchr(err, '\n') == NULL, "not one line: %s",  \
		    err);                                                 \
	} while (0)

TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults)
{
	evl_assert_ok(parse(&c, NULL, NULL, err, sizeof(err)));
	cr_assert_eq(c.action, EVLD_CONFIG_RUN);
	cr_assert_str_eq(c.data_dir, "./evlog-data");
	cr_assert_eq(c.nlisten, 1);
	cr_assert_str_eq(c.listen[0], "tcp://127.0.0.1:7470");
	cr_assert_str_eq(c.http, "127.0.0.1:7471");
	cr_assert_eq(c.fsync, EVLD_FSYNC_INTERVAL);
	cr_assert_eq(c.fsync_interval_ms, 1000);
	cr_assert_null(c.tls_cert);
	cr_assert_null(c.config_file);
	cr_assert_eq(c.tls_client_auth, EVLD_TLS_AUTH_NONE);
	cr_assert_not(c.auto_create_topics);
	cr_assert_eq(c.default_partitions, 1);
	cr_assert_eq(c.max_message_bytes, 16u << 20);
	cr_assert_eq(c.max_parked_fetches, 1024);
	cr_assert_eq(c.max_outstanding, 256);
	cr_assert_eq(c.retention_check_interval_ms, 60000);
	cr_assert_eq(c.log_level, EVLD_LOG_WARN);
	cr_assert_str_eq(evld_fsync_name(c.fsync), "interval");
}

Test(config, every_flag)
{
	evl_assert_ok(parse(&c,
	    ARGS("--data", "/var/lib/evlog", "--listen", "tcp://0.0.0.0:1",
	        "--listen=ipc:///tmp/evlog.sock", "--http", "[::1]:0",
	        "--fsync=always", "--fsync-interval", "250", "--tls-cert",
	        "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem",
	        "--tls-client-auth", "required", "--auto-create-topics",
	        "--default-partitions", "8", "--max-message-bytes", "1m",
	        "--max-parked-fetches", "5", "--max-outstanding=7",
	        "--retention-check-interval", "1000", "--log-level", "debug"),
	    NULL, err, sizeof(err)));
	cr_assert_str_eq(c.data_dir, "/var/lib/evlog");
	cr_assert_eq(c.nlisten, 2);
	cr_assert_str_eq(c.listen[0], "tcp://0.0.0.0:1");
	cr_assert_str_eq(c.listen[1], "ipc:///tmp/evlog.sock");
	cr_assert_str_eq(c.http, "[::1]:0");
	cr_assert_eq(c.fsync, EVLD_FSYNC_ALWAYS);
	cr_assert_eq(c.fsync_interval_ms, 250);
	cr_assert_str_eq(c.tls_cert, "c.pem");
	cr_assert_str_eq(c.tls_key, "k.pem");
	cr_assert_str_eq(c.tls_ca, "ca.pem");
	cr_assert_eq(c.tls_client_auth, EVLD_TLS_AUTH_REQUIRED);
	cr_assert(c.auto_create_topics);
	cr_assert_eq(c.default_partitions, 8);
	cr_assert_eq(c.max_message_bytes, 1u << 20);
	cr_assert_eq(c.max_parked_fetches, 5);
	cr_assert_eq(c.max_outstanding, 7);
	cr_assert_eq(c.retention_check_interval_ms, 1000);
	cr_assert_eq(c.log_level, EVLD_LOG_DEBUG);
}

Test(config, help_and_version_win_and_skip_validation)
{
	evl_assert_ok(parse(&c, ARGS("--fsync", "bogus", "--help"), NULL, err,
	    sizeof(err)));
	cr_assert_eq(c.action, EVLD_CONFIG_HELP);
	evl_assert_ok(parse(&c, ARGS("-V"), NULL, err, sizeof(err)));
	cr_assert_eq(c.action, EVLD_CONFIG_VERSION);
	evl_assert_ok(parse(&c, ARGS("--version", "-h"), NULL, err,
	    sizeof(err)));
	cr_assert_eq(c.action, EVLD_CONFIG_HELP);
	/* --help's file is not read. */
	evl_assert_ok(parse(&c, ARGS("--config", "/nonexistent", "--help"),
	    NULL, err, sizeof(err)));
	/* A value that looks like --help is a value, not a flag. */
	evl_assert_ok(parse(&c, ARGS("--data", "--help"), NULL, err,
	    sizeof(err)));
	cr_assert_eq(c.action, EVLD_CONFIG_RUN);
	cr_assert_str_eq(c.data_dir, "--help");
}

Test(config, environment)
{
	evl_assert_ok(parse(&c, NULL,
	    ENV("PATH=/bin", "EVLOG_DATA=/d", "EVLOG_FSYNC=never",
	        "EVLOG_FSYNC_INTERVAL=5", "EVLOG_AUTO_CREATE_TOPICS=true",
	        "EVLOG_LISTEN=tcp://127.0.0.1:1, inproc://x",
	        "EVLOG_HTTP=off", "EVLOG_MAX_MESSAGE_BYTES=64k",
	        "EVLOG_UNKNOWN_THING=1", "EVLOG_LOG_LEVEL=info"),
	    err, sizeof(err)));
	cr_assert_str_eq(c.data_dir, "/d");
	cr_assert_eq(c.fsync, EVLD_FSYNC_NEVER);
	cr_assert_eq(c.fsync_interval_ms, 5);
	cr_assert(c.auto_create_topics);
	cr_assert_eq(c.nlisten, 2);
	cr_assert_str_eq(c.listen[0], "tcp://127.0.0.1:1");
	cr_assert_str_eq(c.listen[1], "inproc://x");
	cr_assert_null(c.http);
	cr_assert_eq(c.max_message_bytes, 64u << 10);
	cr_assert_eq(c.log_level, EVLD_LOG_INFO);
}

Test(config, booleans)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[]  = { "0", "false", "no", "off" };
	char                     var[64];

	for (size_t i = 0; i < 4; i++) {
		snprintf(var, sizeof(var), "EVLOG_AUTO_CREATE_TOPICS=%s", yes[i]);
		evl_assert_ok(parse(&c, NULL, ENV(var), err, sizeof(err)));
		cr_assert(c.auto_create_topics, "%s", var);
		snprintf(var, sizeof(var), "EVLOG_AUTO_CREATE_TOPICS=%s", no[i]);
		evl_assert_ok(parse(&c, NULL, ENV(var), err, sizeof(err)));
		cr_assert_not(c.auto_create_topics, "%s", var);
	}
	/* A flag beats the environment, either way. */
	evl_assert_ok(parse(&c, ARGS("--auto-create-topics=false"),
	    ENV("EVLOG_AUTO_CREATE_TOPICS=1"), err, sizeof(err)));
	cr_assert_not(c.auto_create_topics);
	assert_fails(parse(&c, NULL, ENV("EVLOG_AUTO_CREATE_TOPICS=maybe"),
	                 err, sizeof(err)),
	    "EVLOG_AUTO_CREATE_TOPICS", "maybe");
}

Test(config, file)
{
	const char *path = conf_file("# evlogd configuration\n"
				     "\n"
				     "data = /srv/evlog\n"
				     "  fsync=always  \n"
				     "listen = tcp://127.0.0.1:1\n"
				     "listen = tcp://127.0.0.1:2\n"
				     "max_outstanding = 9\n"
				     "auto-create-topics = yes\n"
				     "http = off\r\n");

	evl_assert_ok(parse(&c, ARGS("--config", path), NULL, err,
	    sizeof(err)));
	cr_assert_str_eq(c.config_file, path);
	cr_assert_str_eq(c.data_dir, "/srv/evlog");
	cr_assert_eq(c.fsync, EVLD_FSYNC_ALWAYS);
	cr_assert_eq(c.nlisten, 2);
	cr_assert_str_eq(c.listen[0], "tcp://127.0.0.1:1");
	cr_assert_str_eq(c.listen[1], "tcp://127.0.0.1:2");
	cr_assert_eq(c.max_outstanding, 9);
	cr_assert(c.auto_create_topics);
	cr_assert_null(c.http);
	unlink(path);
}

Test(config, precedence_flag_over_env_over_file)
{
	const char *path = conf_file("fsync = always\n"
				     "data = /file\n"
				     "max-outstanding = 1\n"
				     "log-level = error\n");
	char        cfg[96];

	snprintf(cfg, sizeof(cfg), "EVLOG_CONFIG=%s", path);

	/* File alone. */
	evl_assert_ok(parse(&c, NULL, ENV(cfg), err, sizeof(err)));
	cr_assert_str_eq(c.config_file, path);
	cr_assert_eq(c.fsync, EVLD_FSYNC_ALWAYS);
	cr_assert_str_eq(c.data_dir, "/file");
	cr_assert_eq(c.log_level, EVLD_LOG_ERROR);

	/* The environment beats the file... */
	evl_assert_ok(parse(&c, NULL,
	    ENV(cfg, "EVLOG_FSYNC=never", "EVLOG_DATA=/env"), err,
	    sizeof(err)));
	cr_assert_eq(c.fsync, EVLD_FSYNC_NEVER);
	cr_assert_str_eq(c.data_dir, "/env");
	cr_assert_eq(c.max_outstanding, 1); /* untouched: from the file */

	/* ...and flags beat both, in any order on the command line. */
	evl_assert_ok(parse(&c, ARGS("--fsync", "interval", "--config", path),
	    ENV("EVLOG_FSYNC=never", "EVLOG_DATA=/env"), err, sizeof(err)));
	cr_assert_eq(c.fsync, EVLD_FSYNC_INTERVAL);
	cr_assert_str_eq(c.data_dir, "/env");
	cr_assert_eq(c.max_outstanding, 1);

	/* Within a layer, the last word wins. */
	evl_assert_ok(parse(&c, ARGS("--fsync", "never", "--fsync", "always"),
	    NULL, err, sizeof(err)));
	cr_assert_eq(c.fsync, EVLD_FSYNC_ALWAYS);
	unlink(path);
}

Test(config, config_flag_beats_evlog_config)
{
	const char *a = conf_file("data = /a\n");
	char        first[64];
	char        var[96];

	strcpy(first, a);
	const char *b = conf_file("data = /b\n");
	snprintf(var, sizeof(var), "EVLOG_CONFIG=%s", first);
	evl_assert_ok(parse(&c, ARGS("--config", b), ENV(var), err,
	    sizeof(err)));
	cr_assert_str_eq(c.data_dir, "/b");
	cr_assert_str_eq(c.config_file, b);
	unlink(first);
	unlink(b);
}

Test(config, listen_replaced_by_each_higher_layer)
{
	const char *path = conf_file("listen = tcp://127.0.0.1:1\n"
				     "listen = tcp://127.0.0.1:2\n");
	char        cfg[96];

	snprintf(cfg, sizeof(cfg), "EVLOG_CONFIG=%s", path);

	/* The environment replaces the file's two. */
	evl_assert_ok(parse(&c, NULL, ENV(cfg, "EVLOG_LISTEN=inproc://e"),
	    err, sizeof(err)));
	cr_assert_eq(c.nlisten, 1);
	cr_assert_str_eq(c.listen[0], "inproc://e");

	/* Flags replace env and file, and repeat among themselves. */
	evl_assert_ok(parse(&c,
	    ARGS("--listen", "inproc://f1", "--data", "x", "--listen",
	        "inproc://f2"),
	    ENV(cfg, "EVLOG_LISTEN=inproc://e"), err, sizeof(err)));
	cr_assert_eq(c.nlisten, 2);
	cr_assert_str_eq(c.listen[0], "inproc://f1");
	cr_assert_str_eq(c.listen[1], "inproc://f2");

	/* Without env or flags, the file's list stands. */
	evl_assert_ok(parse(&c, NULL, ENV(cfg), err, sizeof(err)));
	cr_assert_eq(c.nlisten, 2);
	cr_assert_str_eq(c.listen[1], "tcp://127.0.0.1:2");
	unlink(path);
}

Test(config, bad_values_name_option_and_source)
{
	assert_fails(parse(&c, ARGS("--fsync", "sometimes"), NULL, err,
	                 sizeof(err)),
	    "--fsync", "sometimes", "always|interval|never");
	assert_fails(parse(&c, NULL, ENV("EVLOG_FSYNC=sometimes"), err,
	                 sizeof(err)),
	    "EVLOG_FSYNC", "sometimes");

	const char *path = conf_file("data = /x\n\n# ok so far\n"
				     "fsync = sometimes\n");
	char        where[96];
	snprintf(where, sizeof(where), "%s:4: fsync", path);
	assert_fails(parse(&c, ARGS("--config", path), NULL, err, sizeof(err)),
	    where, "sometimes");
	unlink(path);

	assert_fails(parse(&c, ARGS("--default-partitions", "0"), NULL, err,
	                 sizeof(err)),
	    "--default-partitions", "\"0\"", "1 to 65535");
	assert_fails(parse(&c, ARGS("--max-outstanding", "-1"), NULL, err,
	                 sizeof(err)),
	    "--max-outstanding");
	assert_fails(parse(&c, ARGS("--fsync-interval", "10ms"), NULL, err,
	                 sizeof(err)),
	    "--fsync-interval", "10ms");
	assert_fails(parse(&c, ARGS("--max-parked-fetches",
	                           "99999999999999999999999"),
	                 NULL, err, sizeof(err)),
	    "--max-parked-fetches");
	assert_fails(parse(&c, ARGS("--max-message-bytes", "2g"), NULL, err,
	                 sizeof(err)),
	    "--max-message-bytes", "2g");
	assert_fails(parse(&c, ARGS("--max-message-bytes", "1x"), NULL, err,
	                 sizeof(err)),
	    "--max-message-bytes");
	assert_fails(parse(&c, ARGS("--log-level", "loud"), NULL, err,
	                 sizeof(err)),
	    "--log-level", "error|warn|info|debug");
	assert_fails(parse(&c, ARGS("--tls-client-auth", "maybe"), NULL, err,
	                 sizeof(err)),
	    "--tls-client-auth");
	assert_fails(parse(&c, ARGS("--data", ""), NULL, err, sizeof(err)),
	    "--data", "empty");
	assert_fails(parse(&c, NULL, ENV("EVLOG_LISTEN=tcp://127.0.0.1:1,,"),
	                 err, sizeof(err)),
	    "EVLOG_LISTEN", "empty");
}

Test(config, listen_and_http_syntax)
{
	assert_fails(parse(&c, ARGS("--listen", "127.0.0.1:7470"), NULL, err,
	                 sizeof(err)),
	    "--listen", "127.0.0.1:7470");
	assert_fails(parse(&c, ARGS("--listen", "udp://127.0.0.1:1"), NULL,
	                 err, sizeof(err)),
	    "--listen", "unsupported scheme");
	evl_assert_ok(parse(&c,
	    ARGS("--listen", "ws://127.0.0.1:0/evlog", "--listen",
	        "tcp6://[::1]:0"),
	    NULL, err, sizeof(err)));

	static const char *const bad[] = { "7471", ":7471", "host:", "host:x",
		"host:65536", "::1:80", "[::1:80", "host:123456" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_fails(parse(&c, ARGS("--http", bad[i]), NULL, err,
		                 sizeof(err)),
		    "--http", bad[i]);
	evl_assert_ok(parse(&c, ARGS("--http", "localhost:65535"), NULL, err,
	    sizeof(err)));
	cr_assert_str_eq(c.http, "localhost:65535");
	evl_assert_ok(parse(&c, ARGS("--http", "off"), NULL, err,
	    sizeof(err)));
	cr_assert_null(c.http);
	/* A flag turns back on what the environment turned off. */
	evl_assert_ok(parse(&c, ARGS("--http", "0.0.0.0:9"),
	    ENV("EVLOG_HTTP=off"), err, sizeof(err)));
	cr_assert_str_eq(c.http, "0.0.0.0:9");
}

Test(config, unknown_options_and_keys)
{
	assert_fails(parse(&c, ARGS("--fsnyc", "always"), NULL, err,
	                 sizeof(err)),
	    "unknown option", "--fsnyc");
	assert_fails(parse(&c, ARGS("--fsnyc=always"), NULL, err, sizeof(err)),
	    "unknown option", "--fsnyc");
	assert_fails(parse(&c, ARGS("serve"), NULL, err, sizeof(err)),
	    "unexpected argument", "serve");
	assert_fails(parse(&c, ARGS("-x"), NULL, err, sizeof(err)), "-x");
	assert_fails(parse(&c, ARGS("--data"), NULL, err, sizeof(err)),
	    "--data", "missing value");
	assert_fails(parse(&c, ARGS("--help=1"), NULL, err, sizeof(err)),
	    "--help");

	const char *path = conf_file("data = /x\nretention = 5\n");
	char        where[96];
	snprintf(where, sizeof(where), "%s:2", path);
	assert_fails(parse(&c, ARGS("--config", path), NULL, err, sizeof(err)),
	    where, "unknown key", "retention");
	unlink(path);

	path = conf_file("config = /etc/other.conf\n");
	assert_fails(parse(&c, ARGS("--config", path), NULL, err, sizeof(err)),
	    "unknown key", "config");
	unlink(path);

	path = conf_file("just some words\n");
	assert_fails(parse(&c, ARGS("--config", path), NULL, err, sizeof(err)),
	    ":1", "name = value");
	unlink(path);

	assert_fails(parse(&c, ARGS("--config", "/nonexistent/evlog.conf"),
	                 NULL, err, sizeof(err)),
	    "--config", "/nonexistent/evlog.conf");
	assert_fails(parse(&c, NULL, ENV("EVLOG_CONFIG=/nonexistent/e.conf"),
	                 err, sizeof(err)),
	    "EVLOG_CONFIG", "/nonexistent/e.conf");
}

Test(config, tls_cross_checks)
{
	assert_fails(parse(&c, ARGS("--listen", "tls+tcp://127.0.0.1:0"),
	                 NULL, err, sizeof(err)),
	    "tls+tcp://127.0.0.1:0", "--tls-cert");
	assert_fails(parse(&c, ARGS("--tls-cert", "c.pem"), NULL, err,
	                 sizeof(err)),
	    "--tls-key");
	assert_fails(parse(&c,
	                 ARGS("--listen", "wss://127.0.0.1:0", "--tls-cert",
	                     "c.pem", "--tls-key", "k.pem",
	                     "--tls-client-auth", "optional"),
	                 NULL, err, sizeof(err)),
	    "--tls-ca");
	evl_assert_ok(parse(&c,
	    ARGS("--listen", "tls+tcp://127.0.0.1:0", "--tls-cert", "c.pem",
	        "--tls-key", "k.pem"),
	    NULL, err, sizeof(err)));
	cr_assert_str_eq(c.listen[0], "tls+tcp://127.0.0.1:0");
}

Test(config, failure_leaves_struct_unchanged)
{
	evl_assert_ok(parse(&c, ARGS("--data", "/keep", "--fsync", "never"),
	    NULL, err, sizeof(err)));
	evl_assert_err(parse(&c,
	                   ARGS("--data", "/other", "--listen", "inproc://a",
	                       "--fsync", "bogus"),
	                   NULL, err, sizeof(err)),
	    EVL_EINVAL);
	cr_assert_str_eq(c.data_dir, "/keep");
	cr_assert_eq(c.fsync, EVLD_FSYNC_NEVER);
	cr_assert_eq(c.nlisten, 1);
	cr_assert_str_eq(c.listen[0], "tcp://127.0.0.1:7470");
	/* A tiny or absent error buffer is fine. */
	char small[8];
	evl_assert_err(parse(&c, ARGS("--fsync", "bogus"), NULL, small,
	                   sizeof(small)),
	    EVL_EINVAL);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	evl_assert_err(parse(&c, ARGS("--fsync", "bogus"), NULL, NULL, 0),
	    EVL_EINVAL);
}

Test(config, process_environment_when_envp_is_null)
{
	char *argv[] = { "evlogd", NULL };

	setenv("EVLOG_DEFAULT_PARTITIONS", "3", 1);
	evl_assert_ok(evld_config_parse(&c, 1, argv, NULL, err, sizeof(err)));
	cr_assert_eq(c.default_partitions, 3);
	unsetenv("EVLOG_DEFAULT_PARTITIONS");
}

Test(config, usage_lists_every_option)
{
	static const char *const names[] = { "--data", "--listen", "--http",
		"--fsync ", "--fsync-interval", "--tls-cert", "--tls-key",
		"--tls-ca", "--tls-client-auth", "--auto-create-topics",
		"--default-partitions", "--max-message-bytes",
		"--max-parked-fetches", "--max-outstanding",
		"--retention-check-interval", "--log-level", "--config",
		"--help", "--version", "EVLOG_" };
	char  *text = NULL;
	size_t len  = 0;
	FILE  *f    = open_memstream(&text, &len);

	cr_assert_not_null(f);
	evld_config_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_assert(strstr(text, names[i]) != NULL, "%s missing",
		    names[i]);
	free(text);
}

Test(config, fini_then_reuse)
{
	evl_assert_ok(parse(&c, ARGS("--listen", "inproc://a"), NULL, err,
	    sizeof(err)));
	evld_config_fini(&c);
	cr_assert_null(c.data_dir);
	cr_assert_eq(c.nlisten, 0);
	evl_assert_ok(parse(&c, NULL, NULL, err, sizeof(err)));
	cr_assert_eq(c.nlisten, 1);
}

/* ---- quotas ---------------------------------------------------------- */

Test(config, quota_defaults_and_rules)
{
	evl_assert_ok(parse(&c, NULL, NULL, err, sizeof(err)));
	cr_assert_eq(c.quota_produce_bytes, 0);
	cr_assert_eq(c.quota_fetch_bytes, 0);
	cr_assert_eq(c.nquotas, 0);

	evl_assert_ok(parse(&c,
	    ARGS("--quota-produce-bytes", "1m", "--quota-fetch-bytes=4096",
	        "--quota", "alice:produce=2k,fetch=0", "--quota",
	        ":fetch=8m"),
	    NULL, err, sizeof(err)));
	cr_assert_eq(c.quota_produce_bytes, 1u << 20);
	cr_assert_eq(c.quota_fetch_bytes, 4096);
	cr_assert_eq(c.nquotas, 2);
	cr_assert_str_eq(c.quotas[0].user, "alice");
	cr_assert(c.quotas[0].has_produce && c.quotas[0].has_fetch);
	cr_assert_eq(c.quotas[0].produce, 2048);
	cr_assert_eq(c.quotas[0].fetch, 0);
	cr_assert_str_eq(c.quotas[1].user, ""); /* anonymous */
	cr_assert_not(c.quotas[1].has_produce);
	cr_assert_eq(c.quotas[1].fetch, 8u << 20);
}

Test(config, quota_layers_replace_like_listen)
{
	const char *path = conf_file("quota = a:produce=1k\n"
	                             "quota = b:produce=2k\n");
	evl_assert_ok(parse(&c, ARGS("--config", path), NULL, err,
	    sizeof(err)));
	cr_assert_eq(c.nquotas, 2);
	evld_config_fini(&c);
	evl_assert_ok(parse(&c, ARGS("--config", path),
	    ENV("EVLOG_QUOTA=c:fetch=1k; d:produce=3k,fetch=4k"), err,
	    sizeof(err)));
	cr_assert_eq(c.nquotas, 2);
	cr_assert_str_eq(c.quotas[0].user, "c");
	cr_assert_str_eq(c.quotas[1].user, "d");
	cr_assert_eq(c.quotas[1].fetch, 4096);
	evl_assert_ok(parse(&c, ARGS("--config", path, "--quota", "e:fetch=1"),
	    ENV("EVLOG_QUOTA=c:fetch=1k"), err, sizeof(err)));
	cr_assert_eq(c.nquotas, 1);
	cr_assert_str_eq(c.quotas[0].user, "e");
	unlink(path);
}

Test(config, quota_bad_values)
{
	assert_fails(parse(&c, ARGS("--quota", "alice"), NULL, err,
	                 sizeof(err)),
	    "--quota", "USER:produce=N,fetch=N");
	assert_fails(parse(&c, ARGS("--quota", "alice:"), NULL, err,
	                 sizeof(err)),
	    "--quota");
	assert_fails(parse(&c, ARGS("--quota", "al ice:produce=1"), NULL, err,
	                 sizeof(err)),
	    "--quota", "invalid user");
	assert_fails(parse(&c, ARGS("--quota", "a:produce=1,produce=2"), NULL,
	                 err, sizeof(err)),
	    "--quota", "produce given twice");
	assert_fails(parse(&c, ARGS("--quota", "a:read=1"), NULL, err,
	                 sizeof(err)),
	    "--quota", "unknown quota \"read\"");
	assert_fails(parse(&c, ARGS("--quota", "a:fetch=1x"), NULL, err,
	                 sizeof(err)),
	    "--quota", "invalid fetch rate \"1x\"");
	assert_fails(parse(&c, ARGS("--quota", "a:fetch=2g", "--quota",
	                     "a:produce=1"),
	                 NULL, err, sizeof(err)),
	    "--quota", "a second quota for user \"a\"");
	assert_fails(parse(&c, ARGS("--quota-produce-bytes", "-1"), NULL, err,
	                 sizeof(err)),
	    "--quota-produce-bytes", "invalid value \"-1\"");
	assert_fails(parse(&c, ARGS("--quota-fetch-bytes", "2048g"), NULL, err,
	                 sizeof(err)),
	    "--quota-fetch-bytes");
	assert_fails(parse(&c, NULL, ENV("EVLOG_QUOTA=a:produce=1;b"), err,
	                 sizeof(err)),
	    "EVLOG_QUOTA");
	/* Nothing half-parsed stays behind. */
	cr_assert_eq(c.nquotas, 0);
	cr_assert_null(c.quotas);
}

/* Part C (issue 8): protected mode, the HTTP token and the limits. */
Test(config, security_defaults)
{
	evl_assert_ok(parse(&c, NULL, NULL, err, sizeof(err)));
	cr_assert_not(c.insecure);
	cr_assert_null(c.http_token);
	cr_assert_eq(c.max_connections, 10000);
	cr_assert_eq(c.max_topics, 10000);
	cr_assert_eq(c.max_partitions, 1024);
	cr_assert_eq(c.max_record_bytes, 1u << 20);
	cr_assert_eq(c.max_groups, 10000);
}

Test(config, security_options)
{
	evl_assert_ok(parse(&c,
	    ARGS("--insecure", "--max-connections", "5", "--max-topics", "6",
	        "--max-partitions", "7", "--max-record-bytes", "8k",
	        "--max-groups", "9"),
	    ENV("EVLOG_HTTP_TOKEN=s3cret"), err, sizeof(err)));
	cr_assert(c.insecure);
	cr_assert_str_eq(c.http_token, "s3cret");
	cr_assert_eq(c.max_connections, 5);
	cr_assert_eq(c.max_topics, 6);
	cr_assert_eq(c.max_partitions, 7);
	cr_assert_eq(c.max_record_bytes, 8u << 10);
	cr_assert_eq(c.max_groups, 9);

	evl_assert_ok(parse(&c, NULL, ENV("EVLOG_INSECURE=1"), err,
	    sizeof(err)));
	cr_assert(c.insecure);
	evl_assert_ok(parse(&c, ARGS("--insecure=false"),
	    ENV("EVLOG_INSECURE=1"), err, sizeof(err)));
	cr_assert_not(c.insecure);

	assert_fails(parse(&c, ARGS("--max-connections", "0"), NULL, err,
	                 sizeof(err)),
	    "--max-connections", "0");
	assert_fails(parse(&c, ARGS("--max-partitions", "65536"), NULL, err,
	                 sizeof(err)),
	    "--max-partitions");
}

Test(config, record_bytes_below_message_bytes)
{
	/* Set both: the record limit must be the smaller. */
	assert_fails(parse(&c,
	                 ARGS("--max-record-bytes", "1m",
	                     "--max-message-bytes", "1m"),
	                 NULL, err, sizeof(err)),
	    "max-record-bytes", "--max-message-bytes");
	/* Only the message limit lowered: the record default follows. */
	evl_assert_ok(parse(&c, ARGS("--max-message-bytes", "256k"), NULL, err,
	    sizeof(err)));
	cr_assert_eq(c.max_record_bytes, 128u << 10);
	evl_assert_ok(parse(&c,
	    ARGS("--max-message-bytes", "256k", "--max-record-bytes", "200k"),
	    NULL, err, sizeof(err)));
	cr_assert_eq(c.max_record_bytes, 200u << 10);
}

Test(config, default_partitions_within_max_partitions)
{
	assert_fails(parse(&c,
	                 ARGS("--max-partitions", "4", "--default-partitions",
	                     "5"),
	                 NULL, err, sizeof(err)),
	    "default-partitions", "--max-partitions (4)");
	evl_assert_ok(parse(&c,
	    ARGS("--max-partitions", "4", "--default-partitions", "4"), NULL,
	    err, sizeof(err)));
}

/* Access control: --superusers, EVLOG_SUPERUSERS; flags win. */
Test(config, superusers)
{
	evl_assert_ok(parse(&c, ARGS("--superusers", "admin,ops@corp"), NULL,
	    err, sizeof(err)));
	cr_assert_str_eq(c.superusers, "admin,ops@corp");
	evld_config_fini(&c);
	evl_assert_ok(parse(&c, NULL, ENV("EVLOG_SUPERUSERS=root"), err,
	    sizeof(err)));
	cr_assert_str_eq(c.superusers, "root");
	evld_config_fini(&c);
	evl_assert_ok(parse(&c, ARGS("--superusers", "admin"),
	    ENV("EVLOG_SUPERUSERS=root"), err, sizeof(err)));
	cr_assert_str_eq(c.superusers, "admin");
	evld_config_fini(&c);
	evl_assert_ok(parse(&c, NULL, NULL, err, sizeof(err)));
	cr_assert_null(c.superusers);
}
