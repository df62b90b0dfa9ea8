/*
 * subcmd.c -- see subcmd.h.
 */
#include <stdio.h>
#include <string.h>

#include "subcmd.h"

void
cli_sub_init(cli_sub *s, const char *cmd, const cli_opt *own,
    const char *help, int maxpos, int argc, char **argv, int first)
{
	s->tables[0] = own;
	s->tables[1] = cli_global_opts;
	s->tables[2] = NULL;
	s->help      = help;
	s->sub       = NULL;
	s->npos      = 0;
	s->maxpos    = maxpos < CLI_SUB_MAXPOS ? maxpos : CLI_SUB_MAXPOS;
	snprintf(s->cmd, sizeof(s->cmd), "%s", cmd);
	cli_getopt_init(&s->p, argc, argv, first, s->tables);
}

int
cli_sub_next(cli_sub *s, cli_global *g, const char **arg, int *status)
{
	int id;

	while ((id = cli_getopt_next(&s->p, arg)) != CLI_OPT_END) {
		if (id == CLI_OPT_ERR) {
			*status = cli_usage(s->cmd, "%s", s->p.err);
			return CLI_SUB_EXIT;
		}
		if (id == CLI_ID_HELP) {
			printf(s->help, cli_global_help);
			*status = -1;
			return CLI_SUB_EXIT;
		}
		if (id == CLI_OPT_POS && s->sub == NULL) {
			s->sub = *arg;
			/* Messages name the subcommand from now on. */
			size_t n = strlen(s->cmd);
			snprintf(s->cmd + n, sizeof(s->cmd) - n, " %.20s", *arg);
			continue;
		}
		if (id == CLI_OPT_POS) {
			if (s->npos == s->maxpos) {
				*status = cli_usage(
				    s->cmd, "unexpected argument '%s'", *arg);
				return CLI_SUB_EXIT;
			}
			s->pos[s->npos++] = *arg;
			continue;
		}
		if (id >= CLI_ID_BROKER) {
			if ((*status = cli_global_apply(g, id, *arg, s->cmd)) != 0)
				return CLI_SUB_EXIT;
			continue;
		}
		return id;
	}
	return CLI_OPT_END;
}
