/*
 * global.c -- the options every command accepts, the broker connection,
 * and error reporting.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const cli_opt cli_global_opts[] = {
	{ "help", 'h', false, CLI_ID_HELP },
	{ "broker", 'b', true, CLI_ID_BROKER },
	{ "timeout", 0, true, CLI_ID_TIMEOUT },
	{ "tls-ca", 0, true, CLI_ID_TLS_CA },
	{ "tls-cert", 0, true, CLI_ID_TLS_CERT },
	{ "tls-key", 0, true, CLI_ID_TLS_KEY },
	{ "tls-server-name", 0, true, CLI_ID_TLS_SERVER_NAME },
	{ "user", 'u', true, CLI_ID_USER },
	{ NULL, 0, false, 0 },
};

const char cli_global_help[]
    = "Global options (before or after the command):\n"
      "  -b, --broker URL        broker to use (default: $EVLOG_BROKER, else\n"
      "                          " CLI_DEFAULT_BROKER ")\n"
      "      --timeout MS        bound on connecting and on each request\n"
      "      --tls-ca FILE       CA certificate(s) to verify a tls+tcp:// "
      "broker\n"
      "      --tls-cert FILE     client certificate (tls+tcp://)\n"
      "      --tls-key FILE      client private key (tls+tcp://)\n"
      "      --tls-server-name NAME  name to verify the broker's certificate "
      "against\n"
      "  -u, --user NAME         log in as NAME (default: $EVLOG_USER); the\n"
      "                          password from $EVLOG_PASSWORD, else asked\n"
      "                          for on the terminal\n"
      "  -h, --help              this help\n";

int
cli_global_apply(cli_global *g, int id, const char *arg, const char *cmd)
{
	switch (id) {
	case CLI_ID_BROKER:
		if (*arg == '\0')
			return cli_usage(cmd, "-b needs a broker URL");
		g->url = arg;
		return 0;
	case CLI_ID_TIMEOUT:
		if (cli_parse_u32(arg, &g->timeout_ms) != 0
		    || g->timeout_ms == 0)
			return cli_usage(cmd,
			    "--timeout: '%s' is not a number of milliseconds "
			    "(1 or more)",
			    arg);
		return 0;
	case CLI_ID_TLS_CA:
		g->tls_ca = arg;
		return 0;
	case CLI_ID_TLS_CERT:
		g->tls_cert = arg;
		return 0;
	case CLI_ID_TLS_KEY:
		g->tls_key = arg;
		return 0;
	case CLI_ID_TLS_SERVER_NAME:
		g->tls_server_name = arg;
		return 0;
	case CLI_ID_USER:
		if (*arg == '\0')
			return cli_usage(cmd, "-u needs a user name");
		g->user = arg;
		return 0;
	default:
		return cli_usage(cmd, "unexpected option");
	}
}

const char *
cli_broker_url(const cli_global *g)
{
	const char *e = getenv("EVLOG_BROKER");
	if (g->url)
		return g->url;
	return e && *e ? e : CLI_DEFAULT_BROKER;
}

int
cli_connect(const cli_global *g, evl_client **out)
{
	evl_client_opts o;
	evl_client_opts_init(&o);
	o.url = cli_broker_url(g);
	if (g->timeout_ms) {
		o.timeout_ms = g->timeout_ms;
		o.connect_timeout_ms = g->timeout_ms;
	}
	o.tls_ca_file = g->tls_ca;
	o.tls_cert_file = g->tls_cert;
	o.tls_key_file = g->tls_key;
	o.tls_server_name = g->tls_server_name;

	/* A login: the user from -u or EVLOG_USER, the password from
	 * EVLOG_PASSWORD or the terminal (never an argument: argv is
	 * visible to every user of the machine). */
	const char *user = g->user;
	const char *eu = getenv("EVLOG_USER");
	char       *asked = NULL;
	if (user == NULL && eu != NULL && *eu != '\0')
		user = eu;
	if (user != NULL) {
		const char *pw = getenv("EVLOG_PASSWORD");
		if (pw == NULL) {
			if ((asked = cli_password_prompt(user)) == NULL)
				return CLI_EXIT_ERR;
			pw = asked;
		}
		o.user = user;
		o.password = pw;
	}
	int rv = evl_client_open(out, &o);
	/* The library keeps its own copy. */
	cli_password_free(asked);
	if (rv != 0) {
		/* The library's message says why a login failed; for a
		 * connection that never came up, the URL says where. */
		/* A failed open leaves no client to ask for details:
		 * say here what each login error means. */
		if (rv == EVL_EAUTH)
			return cli_fail(NULL, rv,
			    "cannot log in to %s as %s (unknown user or wrong "
			    "password)", o.url, user);
		if (rv == EVL_ETHROTTLED)
			return cli_fail(NULL, rv,
			    "cannot log in to %s as %s (too many failed logins "
			    "from this address: try again later)", o.url, user);
		if (rv == EVL_ENOTSUP && user != NULL)
			return cli_fail(NULL, rv,
			    "cannot log in to %s as %s (the broker has "
			    "authentication off)", o.url, user);
		return cli_fail(NULL, rv, "cannot connect to %s", o.url);
	}
	return 0;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("evlog: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'evlog%s%s --help'.\n", cmd ? " " : "",
	    cmd ? cmd : "");
	return CLI_EXIT_USAGE;
}

int
cli_fail(evl_client *c, int rv, const char *fmt, ...)
{
	va_list     ap;
	const char *msg = evl_strerror(rv);
	const char *detail = c ? evl_client_errmsg(c) : "";
	fputs("evlog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", msg);
	/* The library's detail often restates the error; add it only when
	 * it says more. */
	if (detail && *detail && strcmp(detail, msg) != 0)
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
	return CLI_EXIT_ERR;
}

void
cli_note(const char *fmt, ...)
{
	va_list ap;
	fputs("evlog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "evlog: writing to standard output: %s\n",
	    strerror(errno));
	return CLI_EXIT_ERR;
}

int
cli_write_stdout(cli_buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	cli_buf_fini(b);
	return cli_flush_stdout();
}

uint64_t
cli_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

int64_t
cli_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

volatile sig_atomic_t cli_stop;

static void
on_stop_signal(int sig)
{
	(void) sig;
	cli_stop = 1;
}

void
cli_catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
