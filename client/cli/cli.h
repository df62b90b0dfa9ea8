/*
 * cli.h -- what the `evlog` commands share: global options, the broker
 * connection, exit statuses and the way errors are reported.
 *
 * The CLI is a user of libevlog like any other: it includes only
 * <evlog/evlog.h>.  Exit statuses: 0 done, 1 runtime error (one line on
 * stderr starting "evlog: "), 2 usage error, 3 version conflict.  Data
 * goes to stdout,
 * everything else to stderr.
 */
#ifndef EVLOG_CLI_CLI_H
#define EVLOG_CLI_CLI_H

#include <signal.h>
#include <stdint.h>

#include <evlog/evlog.h>

#include "buf.h"
#include "opts.h"

#define CLI_EXIT_OK    0
#define CLI_EXIT_ERR   1
#define CLI_EXIT_USAGE 2
/* An expected version did not match (produce --expect-version, stream
 * delete): the current version is on stderr. */
#define CLI_EXIT_CONFLICT 3

#define CLI_DEFAULT_BROKER "tcp://127.0.0.1:7470"

/* Option ids: commands use 1..999; these are shared by every command. */
enum {
	CLI_ID_HELP = 1000,
	CLI_ID_VERSION,
	CLI_ID_BROKER,
	CLI_ID_TIMEOUT,
	CLI_ID_TLS_CA,
	CLI_ID_TLS_CERT,
	CLI_ID_TLS_KEY,
	CLI_ID_TLS_SERVER_NAME,
	CLI_ID_USER,
};

typedef struct cli_global {
	const char *url;        /* -b; NULL: EVLOG_BROKER, else default */
	uint32_t    timeout_ms; /* --timeout; 0: the library's defaults */
	const char *tls_ca;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_server_name;
	const char *user; /* -u; NULL: EVLOG_USER, else no login */
} cli_global;

/* -h/--help, --version, -b/--broker, --timeout, --tls-*, -u/--user. */
extern const cli_opt cli_global_opts[];

/* The text describing cli_global_opts, for every command's --help. */
extern const char cli_global_help[];

/*
 * Applies a global option (any id >= CLI_ID_BROKER) parsed while reading
 * cmd's arguments.  Returns 0, or CLI_EXIT_USAGE after printing why.
 */
int cli_global_apply(cli_global *g, int id, const char *arg, const char *cmd);

/* The URL the CLI will dial: -b, else $EVLOG_BROKER, else the default. */
const char *cli_broker_url(const cli_global *g);

/* Connects (and logs in with -u / EVLOG_USER: the password from
 * EVLOG_PASSWORD, else cli_password_prompt); on failure prints
 * "evlog: cannot connect to URL: ..." and returns CLI_EXIT_ERR.  Caller
 * frees with evl_client_close. */
int cli_connect(const cli_global *g, evl_client **out);

/*
 * cli_password_prompt asks for user's password on /dev/tty with echo
 * off, when standard input is a terminal (password.c).  Returns a
 * NUL-terminated copy (caller wipes and frees with cli_password_free),
 * or NULL after printing why (not a terminal, nothing read).
 */
char *cli_password_prompt(const char *user);
void  cli_password_free(char *pw);

/* Prints "evlog: CMD: MESSAGE" and a pointer to --help; returns
 * CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "evlog: MESSAGE: <strerror rv> (<detail>)", the detail being
 * evl_client_errmsg(c) when it adds something; returns CLI_EXIT_ERR.
 * c may be NULL. */
int cli_fail(evl_client *c, int rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints "evlog: MESSAGE" to stderr (a status line, not an error). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flushes stdout; on a write error prints it and returns CLI_EXIT_ERR. */
int cli_flush_stdout(void);

/* Writes b to stdout, frees it, and flushes (cli_flush_stdout). */
int cli_write_stdout(cli_buf *b);

/* Monotonic and wall-clock milliseconds. */
uint64_t cli_mono_ms(void);
int64_t  cli_wall_ms(void);

/* The commands; argv[first..argc) are the arguments after the command
 * word(s).  Each returns an exit status. */
int cli_topics_main(cli_global *g, int argc, char **argv, int first);
int cli_produce_main(cli_global *g, int argc, char **argv, int first);
int cli_tail_main(cli_global *g, int argc, char **argv, int first);
int cli_groups_main(cli_global *g, int argc, char **argv, int first);

int cli_stream_main(cli_global *g, int argc, char **argv, int first);
int cli_acl_main(cli_global *g, int argc, char **argv, int first);

/* An expected version: any, no_stream, exists or N >= 0 (EVL_VERSION_*
 * or N).  0 or -1 (stream.c). */
int cli_parse_expect(const char *s, int64_t *out);

/* Prints "evlog: WHAT 'KEY': version conflict: the current version is
 * N" (or none) and returns CLI_EXIT_CONFLICT (stream.c). */
int cli_conflict(const char *what, const char *key, int64_t current);

/* Following commands (tail -f, stream read -f) stop at SIGINT or SIGTERM:
 * cli_catch_stop_signals makes them set cli_stop, which their loops
 * check, so they flush, commit and exit 0 instead of dying (global.c). */
extern volatile sig_atomic_t cli_stop;
void cli_catch_stop_signals(void);

#endif /* EVLOG_CLI_CLI_H */
