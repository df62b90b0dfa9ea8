/*
 * bench_main.c -- evlog-bench: parse the command line, run the command.
 * See bench.h for what each command measures and what it prints.
 */
#include <signal.h>

#include "bench.h"

int
main(int argc, char **argv)
{
	evlb_args a;
	int       rv = evlb_args_parse(&a, argc, argv);
	if (rv < 0)
		return EVLB_EXIT_OK; /* --help */
	if (rv != 0)
		return rv;
	/* A broker that goes away must fail a request, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	switch (a.op) {
	case EVLB_PRODUCE:
		return evlb_produce_main(&a);
	case EVLB_CONSUME:
		return evlb_consume_main(&a);
	case EVLB_LATENCY:
		return evlb_latency_main(&a);
	}
	return EVLB_EXIT_FAIL;
}
