/*
 * bench_args.c -- evlog-bench's command line, parsed with the CLI's
 * option walker (client/cli/opts.c) so the forms are the same as
 * `evlog`'s: --name VALUE, --name=VALUE, -b URL.
 *
 * Every command rejects what it would ignore: an option another command
 * takes is an error here, not silently dropped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "opts.h"

static const char usage_text[]
    = "Usage:\n"
      "  evlog-bench produce -b URL --topic T --records N --size BYTES\n"
      "      [--topics N] [--partitions N] [--producers K] [--batch N]\n"
      "      [--linger MS] [--acks none|written|fsync]\n"
      "  evlog-bench consume -b URL --topic T --records N [--group G]\n"
      "  evlog-bench latency -b URL --topic T --rate R --seconds S\n"
      "      [--size BYTES] [--partitions N] [--batch N] [--linger MS]\n"
      "      [--acks none|written|fsync]\n"
      "\n"
      "Measures an evlog broker through libevlog.  produce writes\n"
      "--records random payloads in total over --producers connections\n"
      "(and over --topics topics named T-0 .. T-(N-1)); consume reads\n"
      "--records records of T from the beginning (with --group, as a\n"
      "member of consumer group G, which commits what it read at the end;\n"
      "a group with committed offsets starts from them); latency\n"
      "produces --rate records a second for --seconds while a reader\n"
      "follows the topic, and times each record from the produce call to\n"
      "the reader.\n"
      "Missing topics are created with --partitions partitions (default "
      "1).\n"
      "\n"
      "Common options:\n"
      "  -b, --broker URL   broker (default $EVLOG_BROKER, else\n"
      "                     tcp://127.0.0.1:7470)\n"
      "      --timeout MS   each request, and how long a reader waits for\n"
      "                     a record before giving up (default 10000)\n"
      "  -q, --quiet        no progress on stderr\n"
      "  -h, --help         this help\n"
      "\n"
      "Producing: --batch is the most records in one batch (default: the\n"
      "producer's 1 MiB batches); --linger how long a batch waits to fill\n"
      "(default 5 ms, latency 0); --acks what a produce waits for\n"
      "(default written).\n"
      "\n"
      "Output: a table, then one JSON line: op, records, seconds,\n"
      "records_per_s, mb_per_s (10^6 payload bytes), and where latency is\n"
      "measured p50_us, p99_us, p999_us.\n"
      "Exit status: 0 done, 1 the run failed, 2 usage error.\n";

enum {
	OPT_HELP = 1,
	OPT_BROKER,
	OPT_TOPIC,
	OPT_TOPICS,
	OPT_PARTITIONS,
	OPT_RECORDS,
	OPT_SIZE,
	OPT_PRODUCERS,
	OPT_BATCH,
	OPT_LINGER,
	OPT_ACKS,
	OPT_RATE,
	OPT_SECONDS,
	OPT_TIMEOUT,
	OPT_QUIET,
	OPT_GROUP,
};

static const cli_opt all_opts[] = {
	{ "help", 'h', false, OPT_HELP },
	{ "broker", 'b', true, OPT_BROKER },
	{ "topic", 0, true, OPT_TOPIC },
	{ "topics", 0, true, OPT_TOPICS },
	{ "partitions", 0, true, OPT_PARTITIONS },
	{ "records", 0, true, OPT_RECORDS },
	{ "size", 0, true, OPT_SIZE },
	{ "producers", 0, true, OPT_PRODUCERS },
	{ "batch", 0, true, OPT_BATCH },
	{ "linger", 0, true, OPT_LINGER },
	{ "acks", 0, true, OPT_ACKS },
	{ "rate", 0, true, OPT_RATE },
	{ "seconds", 0, true, OPT_SECONDS },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "quiet", 'q', false, OPT_QUIET },
	{ "group", 'g', true, OPT_GROUP },
	{ NULL, 0, false, 0 },
};

/* Which options each command takes (bit per option id). */
#define BIT(o) (1u << (o))
#define COMMON                                                             \
	(BIT(OPT_HELP) | BIT(OPT_BROKER) | BIT(OPT_TOPIC) | BIT(OPT_TIMEOUT) | \
	    BIT(OPT_QUIET))
static const unsigned takes[] = {
	[EVLB_PRODUCE] = COMMON | BIT(OPT_TOPICS) | BIT(OPT_PARTITIONS) |
	    BIT(OPT_RECORDS) | BIT(OPT_SIZE) | BIT(OPT_PRODUCERS) |
	    BIT(OPT_BATCH) | BIT(OPT_LINGER) | BIT(OPT_ACKS),
	[EVLB_CONSUME] = COMMON | BIT(OPT_RECORDS) | BIT(OPT_GROUP),
	[EVLB_LATENCY] = COMMON | BIT(OPT_PARTITIONS) | BIT(OPT_SIZE) |
	    BIT(OPT_BATCH) | BIT(OPT_LINGER) | BIT(OPT_ACKS) | BIT(OPT_RATE) |
	    BIT(OPT_SECONDS),
};
static const char *const op_names[] = { "produce", "consume", "latency" };

/* Largest payload: a batch must fit in the broker's 16 MiB default
 * message with room for the request around it. */
#define MAX_SIZE ((uint64_t) 15 << 20)

static int
usage(const char *fmt, ...)
{
	va_list ap;
	fputs("evlog-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(evlog-bench --help for usage)\n", stderr);
	return EVLB_EXIT_USAGE;
}

static int
number(const char *name, const char *s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	if (cli_parse_u64(s, max, out) != 0 || *out < min)
		return usage("--%s: '%s' is not a number from %llu to %llu",
		    name, s, (unsigned long long) min,
		    (unsigned long long) max);
	return 0;
}

int
evlb_args_parse(evlb_args *a, int argc, char **argv)
{
	static const cli_opt *const tables[] = { all_opts, NULL };
	cli_getopt  p;
	const char *arg;
	int         id, rv;
	uint64_t    v;
	bool        have_records = false, have_size = false;

	memset(a, 0, sizeof(*a));
	a->topics     = 1;
	a->partitions = 1;
	a->producers  = 1;
	a->linger_ms  = -1;
	a->acks       = EVL_ACKS_WRITTEN;
	a->size       = 100;
	a->timeout_ms = 10000;

	if (argc < 2)
		return usage("no command given (produce, consume, latency)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return -1;
	}
	if (strcmp(argv[1], "produce") == 0)
		a->op = EVLB_PRODUCE;
	else if (strcmp(argv[1], "consume") == 0)
		a->op = EVLB_CONSUME;
	else if (strcmp(argv[1], "latency") == 0)
		a->op = EVLB_LATENCY;
	else
		return usage("unknown command '%s' (produce, consume, latency)",
		    argv[1]);

	cli_getopt_init(&p, argc, argv, 2, tables);
	while ((id = cli_getopt_next(&p, &arg)) != CLI_OPT_END) {
		if (id == CLI_OPT_ERR)
			return usage("%s", p.err);
		if (id == CLI_OPT_POS)
			return usage("unexpected argument '%s'", arg);
		if (!(takes[a->op] & BIT(id)))
			return usage("%s does not take --%s",
			    op_names[a->op], all_opts[id - 1].name);
		rv = 0;
		switch (id) {
		case OPT_HELP:
			fputs(usage_text, stdout);
			return -1;
		case OPT_BROKER:
			a->url = arg;
			break;
		case OPT_TOPIC:
			if (*arg == '\0')
				return usage("--topic must not be empty");
			a->topic = arg;
			break;
		case OPT_TOPICS:
			rv = number("topics", arg, 1, 100000, &v);
			a->topics = (uint32_t) v;
			break;
		case OPT_PARTITIONS:
			rv = number("partitions", arg, 1, 65535, &v);
			a->partitions = (uint32_t) v;
			break;
		case OPT_RECORDS:
			rv = number("records", arg, 1, UINT64_MAX / 2,
			    &a->records);
			have_records = true;
			break;
		case OPT_SIZE:
			rv = number("size", arg, 1, MAX_SIZE, &a->size);
			have_size = true;
			break;
		case OPT_PRODUCERS:
			rv = number("producers", arg, 1, 1024, &v);
			a->producers = (uint32_t) v;
			break;
		case OPT_BATCH:
			rv = number("batch", arg, 1, 1000000, &v);
			a->batch = (uint32_t) v;
			break;
		case OPT_LINGER:
			rv = number("linger", arg, 0, 60000, &v);
			a->linger_ms = (int64_t) v;
			break;
		case OPT_ACKS:
			if (strcmp(arg, "none") == 0)
				a->acks = EVL_ACKS_NONE;
			else if (strcmp(arg, "written") == 0)
				a->acks = EVL_ACKS_WRITTEN;
			else if (strcmp(arg, "fsync") == 0)
				a->acks = EVL_ACKS_FSYNC;
			else
				return usage("--acks: '%s' is not none, "
				             "written or fsync",
				    arg);
			break;
		case OPT_RATE:
			rv = number("rate", arg, 1, 10000000, &a->rate);
			break;
		case OPT_SECONDS:
			rv = number("seconds", arg, 1, 86400, &a->seconds);
			break;
		case OPT_TIMEOUT:
			rv = number("timeout", arg, 1, 3600000, &v);
			a->timeout_ms = (uint32_t) v;
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_GROUP:
			if (*arg == '\0')
				return usage("--group must not be empty");
			a->group = arg;
			break;
		}
		if (rv != 0)
			return rv;
	}
	if (a->topic == NULL)
		return usage("%s: --topic is required", op_names[a->op]);
	switch (a->op) {
	case EVLB_PRODUCE:
		if (!have_records || !have_size)
			return usage("produce: --records and --size are "
			             "required");
		if (a->records < a->producers)
			return usage("produce: fewer --records (%llu) than "
			             "--producers (%u)",
			    (unsigned long long) a->records, a->producers);
		break;
	case EVLB_CONSUME:
		if (!have_records)
			return usage("consume: --records is required");
		break;
	case EVLB_LATENCY:
		if (a->rate == 0 || a->seconds == 0)
			return usage("latency: --rate and --seconds are "
			             "required");
		/* The send time travels in the payload's first 8 bytes. */
		if (a->size < 8)
			return usage("latency: --size must be at least 8");
		a->records = a->rate * a->seconds;
		break;
	}
	return 0;
}
