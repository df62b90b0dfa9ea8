/*
 * subcmd.h -- the argument shape that `evlog topics`, `groups`, `stream`
 * and `acl` share: CMD SUB [ARG...] [OPTIONS].
 *
 * The first positional argument is the subcommand, up to maxpos more may
 * follow it, global options (cli_global_opts) may come anywhere and are
 * applied as they come, and --help prints the command's help.  What is
 * left for the command's own parser is its own options, one at a time.
 */
#ifndef EVLOG_CLI_SUBCMD_H
#define EVLOG_CLI_SUBCMD_H

#include "cli.h"

#define CLI_SUB_MAXPOS 3

/* cli_sub_next's "stop here": the exit status is in *status. */
#define CLI_SUB_EXIT (-3)

typedef struct cli_sub {
	cli_getopt     p;
	const cli_opt *tables[3];
	const char    *help; /* printf format taking cli_global_help */
	const char    *sub;  /* the subcommand, NULL until given */
	const char    *pos[CLI_SUB_MAXPOS]; /* the arguments after it */
	int            npos, maxpos;
	char           cmd[48]; /* "topics", then "topics create": for messages */
} cli_sub;

/* Parses argv[first..argc) as cmd's arguments, own being its options and
 * help its --help text (a printf format taking cli_global_help). */
void cli_sub_init(cli_sub *s, const char *cmd, const cli_opt *own,
    const char *help, int maxpos, int argc, char **argv, int first);

/*
 * The next of the command's own options: its id (> 0, its value in *arg
 * when it takes one), or CLI_OPT_END when argv is done, or CLI_SUB_EXIT
 * with *status set: -1 after printing the help (exit 0), else the status
 * of a usage error or a bad global option, already reported.
 */
int cli_sub_next(cli_sub *s, cli_global *g, const char **arg, int *status);

#endif /* EVLOG_CLI_SUBCMD_H */
