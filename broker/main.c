/*
 * main.c -- evlogd: argv -> evld_config -> evld_broker_run; nothing else.
 */
#include <stdio.h>

#include "broker.h"
#include "config.h"

int
main(int argc, char **argv)
{
	struct evld_config cfg;
	char               err[512];
	int                status;

	evld_config_init(&cfg);
	if (evld_config_parse(&cfg, argc, argv, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "evlogd: %s\n", err);
		fprintf(stderr, "Try 'evlogd --help'.\n");
		return 2;
	}
	switch (cfg.action) {
	case EVLD_CONFIG_HELP:
		evld_config_usage(stdout);
		status = 0;
		break;
	case EVLD_CONFIG_VERSION:
		printf("evlogd %s\n", EVLD_VERSION);
		status = 0;
		break;
	default:
		status = evld_broker_run(&cfg);
		break;
	}
	evld_config_fini(&cfg);
	return status;
}
