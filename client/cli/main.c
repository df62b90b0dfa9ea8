/*
 * main.c -- `evlog`: global options and command dispatch.
 *
 *   evlog [GLOBAL OPTIONS] COMMAND [OPTIONS]
 *
 * Global options may come before the command or among its options; each
 * command parses its own arguments with its table and cli_global_opts
 * together (opts.h).  The commands live in topics.c, produce.c, tail.c
 * groups.c, stream.c and acl.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef EVL_VERSION
#define EVL_VERSION "unknown"
#endif

static const char main_help[]
    = "Usage: evlog [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
      "\n"
      "The command-line client of the evlog event-log broker.\n"
      "\n"
      "Commands:\n"
      "  topics create|alter|list|describe|delete   manage topics\n"
      "  produce TOPIC [VALUE]   append records (one per line of stdin)\n"
      "  tail TOPIC              print the last records; -f to follow\n"
      "  groups list|describe|reset|delete   consumer groups\n"
      "  acl add|remove|list     access-control rules\n"
      "  stream read|version|delete TOPIC KEY\n"
      "                          one key's stream (topics made with "
      "--streams)\n"
      "  help [COMMAND]          help on a command\n"
      "\n"
      "%s"
      "  -V, --version           print the version\n"
      "\n"
      "Exit status: 0 done, 1 runtime error (a denied request too), 2\n"
      "usage error, 3 version conflict (produce --expect-version,\n"
      "stream delete).\n"
      "See 'evlog COMMAND --help' for each command's options.\n";

static int
version(void)
{
	printf("evlog %s\n", EVL_VERSION);
	return CLI_EXIT_OK;
}

static int
dispatch(cli_global *g, const char *cmd, int argc, char **argv, int first)
{
	if (strcmp(cmd, "topics") == 0 || strcmp(cmd, "topic") == 0)
		return cli_topics_main(g, argc, argv, first);
	if (strcmp(cmd, "produce") == 0)
		return cli_produce_main(g, argc, argv, first);
	if (strcmp(cmd, "tail") == 0)
		return cli_tail_main(g, argc, argv, first);
	if (strcmp(cmd, "groups") == 0 || strcmp(cmd, "group") == 0)
		return cli_groups_main(g, argc, argv, first);
	if (strcmp(cmd, "stream") == 0)
		return cli_stream_main(g, argc, argv, first);
	if (strcmp(cmd, "acl") == 0)
		return cli_acl_main(g, argc, argv, first);
	return cli_usage(NULL, "unknown command '%s'", cmd);
}

int
main(int argc, char **argv)
{
	static const cli_opt main_opts[] = {
		{ "version", 'V', false, CLI_ID_VERSION },
		{ NULL, 0, false, 0 },
	};
	static const cli_opt *const tables[]
	    = { main_opts, cli_global_opts, NULL };
	cli_global  g = { 0 };
	cli_getopt  p;
	const char *arg;
	int         id;

	cli_getopt_init(&p, argc, argv, 1, tables);
	p.stop_at_pos = true; /* the command's options are its own */
	while ((id = cli_getopt_next(&p, &arg)) != CLI_OPT_END) {
		if (id == CLI_OPT_ERR)
			return cli_usage(NULL, "%s", p.err);
		if (id == CLI_ID_HELP) {
			printf(main_help, cli_global_help);
			return CLI_EXIT_OK;
		}
		if (id == CLI_ID_VERSION)
			return version();
		int rv = cli_global_apply(&g, id, arg, NULL);
		if (rv != 0)
			return rv;
	}
	if (p.i >= argc)
		return cli_usage(NULL, "no command given");
	const char *cmd = argv[p.i];
	if (strcmp(cmd, "help") == 0) {
		/* `evlog help tail` is `evlog tail --help`. */
		if (p.i + 1 >= argc) {
			printf(main_help, cli_global_help);
			return CLI_EXIT_OK;
		}
		char *hargv[] = { argv[0], argv[p.i + 1], "--help", NULL };
		return dispatch(&g, argv[p.i + 1], 3, hargv, 2);
	}
	if (strcmp(cmd, "version") == 0)
		return version();
	return dispatch(&g, cmd, argc, argv, p.i + 1);
}
