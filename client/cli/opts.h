/*
 * opts.h -- command-line option parsing for the CLI.
 *
 * getopt_long(3) cannot take two tables at once, and `evlog` needs that:
 * global options (-b, --timeout, ...) are accepted before or after the
 * command, mixed with the command's own.  A parser walks argv with a list
 * of tables; each call returns the next option's id, a positional
 * argument, the end, or an error with its message.
 *
 * Accepted forms: --name, --name=VALUE, --name VALUE, -x, -xVALUE,
 * -x VALUE, bundled flags (-fn5), "--" ending the options, and "-" as a
 * positional.  An option's value is taken as is even when it starts with
 * '-' (`--from -1h`).
 */
#ifndef EVLOG_CLI_OPTS_H
#define EVLOG_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cli_opt {
	const char *name;       /* long name without "--"; NULL ends a table */
	int         short_name; /* 0 = none */
	bool        has_arg;
	int         id; /* > 0 */
} cli_opt;

#define CLI_OPT_END 0    /* no more arguments */
#define CLI_OPT_POS (-1) /* *arg is a positional argument */
#define CLI_OPT_ERR (-2) /* p->err says why */

typedef struct cli_getopt {
	int         argc;
	char      **argv;
	int         i;      /* next argv index */
	const char *bundle; /* rest of a -abc group being read */
	bool        dashdash;
	bool        stop_at_pos; /* return END before the first positional */
	const cli_opt *const *tables; /* NULL-terminated */
	char                  err[160];
} cli_getopt;

/* Parses argv[first..argc). */
void cli_getopt_init(cli_getopt *p, int argc, char **argv, int first,
    const cli_opt *const *tables);

/* The next option's id (with its value in *arg when it takes one),
 * CLI_OPT_POS, CLI_OPT_END or CLI_OPT_ERR. */
int cli_getopt_next(cli_getopt *p, const char **arg);

/* Decimal integers that are all of s, within [min, max]; 0 or -1. */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
int cli_parse_u32(const char *s, uint32_t *out);

/* A byte count: N with an optional K, M, G or T (powers of 1024; an
 * optional trailing "iB" or "B"; any case), or "unlimited" (-1).  0 or
 * -1. */
int cli_parse_bytes(const char *s, int64_t *out);

#endif /* EVLOG_CLI_OPTS_H */
