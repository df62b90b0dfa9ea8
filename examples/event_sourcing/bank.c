/*
 * bank.c -- an event-sourced bank account on evlog's per-key streams.
 *
 * Topic "account" (created with --streams) holds one stream per account:
 * its key is the account id, its events are text values
 *
 *   opened                  the account exists, balance 0
 *   deposited N             balance + N
 *   withdrew N              balance - N
 *   snapshot N              the balance was N here (a snapshot event)
 *
 * The state (open?, balance) is never stored: it is rebuilt by reading
 * the stream -- from its newest snapshot on.  Every command is one
 * evl_stream_update: load the stream, decide, append with the version it
 * loaded; a concurrent append makes that fail with EVL_EWRONGVERSION and
 * the command loads again and decides again.  So two processes
 * withdrawing from one account at once can never overdraw it: the second
 * decision is always made on a state that includes the first.
 *
 *   evl-bank [-b URL] open ACCOUNT
 *   evl-bank [-b URL] deposit ACCOUNT AMOUNT
 *   evl-bank [-b URL] withdraw ACCOUNT AMOUNT [--repeat N]
 *   evl-bank [-b URL] balance ACCOUNT
 *   evl-bank [-b URL] history ACCOUNT
 *   evl-bank [-b URL] snapshot ACCOUNT
 *
 * Exit status: 0 done, 1 error, 2 usage, 4 refused (unknown account,
 * account exists, insufficient funds).  withdraw --repeat N tries N
 * withdrawals and prints how many succeeded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evlog/evlog.h>

#define TOPIC "account"

/* The application's refusals, returned through evl_stream_update. */
enum {
	REFUSED_NO_ACCOUNT = 1000,
	REFUSED_EXISTS,
	REFUSED_FUNDS,
	BAD_EVENT,
};

typedef enum { CMD_OPEN, CMD_DEPOSIT, CMD_WITHDRAW, CMD_SNAPSHOT } cmd_kind;

/* The aggregate: its state, and the command being decided. */
typedef struct account {
	int       open;
	int64_t   balance;
	cmd_kind  cmd;
	int64_t   amount;
	char      buf[64];
	evl_event ev;
} account;

static void
account_reset(void *arg)
{
	account *a = arg;
	a->open = 0;
	a->balance = 0;
}

/* Folds one event into the state. */
static int
account_apply(void *arg, const evl_stream_event *e)
{
	account  *a = arg;
	char      text[64];
	long long n;
	if (e->value == NULL || e->value_len >= sizeof(text))
		return BAD_EVENT;
	memcpy(text, e->value, e->value_len);
	text[e->value_len] = '\0';
	if (strcmp(text, "opened") == 0) {
		a->open = 1;
	} else if (sscanf(text, "deposited %lld", &n) == 1) {
		a->balance += n;
	} else if (sscanf(text, "withdrew %lld", &n) == 1) {
		a->balance -= n;
	} else if (sscanf(text, "snapshot %lld", &n) == 1) {
		a->open = 1;
		a->balance = n;
	} else {
		return BAD_EVENT;
	}
	return 0;
}

/* Decides the command on the state: the events to append, or a
 * refusal. */
static int
account_decide(void *arg, int64_t version, const evl_event **events, size_t *n)
{
	account *a = arg;
	(void) version;
	*n = 0;
	switch (a->cmd) {
	case CMD_OPEN:
		if (a->open)
			return REFUSED_EXISTS;
		snprintf(a->buf, sizeof(a->buf), "opened");
		break;
	case CMD_DEPOSIT:
		if (!a->open)
			return REFUSED_NO_ACCOUNT;
		snprintf(
		    a->buf, sizeof(a->buf), "deposited %" PRId64, a->amount);
		break;
	case CMD_WITHDRAW:
		if (!a->open)
			return REFUSED_NO_ACCOUNT;
		if (a->balance < a->amount)
			return REFUSED_FUNDS; /* no overdraft */
		snprintf(
		    a->buf, sizeof(a->buf), "withdrew %" PRId64, a->amount);
		break;
	case CMD_SNAPSHOT:
		if (!a->open)
			return REFUSED_NO_ACCOUNT;
		snprintf(
		    a->buf, sizeof(a->buf), "snapshot %" PRId64, a->balance);
		break;
	}
	memset(&a->ev, 0, sizeof(a->ev));
	a->ev.value = a->buf;
	a->ev.value_len = strlen(a->buf);
	a->ev.snapshot = a->cmd == CMD_SNAPSHOT;
	*events = &a->ev;
	*n = 1;
	return 0;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: evl-bank [-b URL] open|deposit|withdraw|balance|history|"
	    "snapshot ACCOUNT [AMOUNT] [--repeat N]\n");
	return 2;
}

static int
refused(int rv, const char *id)
{
	switch (rv) {
	case REFUSED_NO_ACCOUNT:
		fprintf(stderr, "evl-bank: %s: no such account\n", id);
		return 4;
	case REFUSED_EXISTS:
		fprintf(stderr, "evl-bank: %s: account exists\n", id);
		return 4;
	case REFUSED_FUNDS:
		fprintf(stderr, "evl-bank: %s: insufficient funds\n", id);
		return 4;
	case BAD_EVENT:
		fprintf(stderr, "evl-bank: %s: an event I do not understand\n",
		    id);
		return 1;
	default:
		fprintf(stderr, "evl-bank: %s: %s\n", id, evl_strerror(rv));
		return 1;
	}
}

static evl_aggregate
aggregate_of(account *a)
{
	evl_aggregate agg = { account_reset, account_apply, account_decide, a,
		1 /* from the newest snapshot */ };
	return agg;
}

/* One command as one update; 0 or an exit status. */
static int
run(evl_client *c, const char *id, cmd_kind cmd, int64_t amount)
{
	account       a = { .cmd = cmd, .amount = amount };
	evl_aggregate agg = aggregate_of(&a);
	/* Many processes on one account conflict often: retry enough. */
	int rv = evl_stream_update(c, TOPIC, id, strlen(id), &agg, 1000, NULL);
	return rv == 0 ? 0 : refused(rv, id);
}

static int
balance(evl_client *c, const char *id)
{
	account              a = { 0 };
	evl_stream_page     *p;
	evl_stream_read_opts o;
	int                  rv;

	/* Read-only: load the state, no update. */
	evl_stream_read_opts_init(&o);
	o.from_version = EVL_STREAM_FROM_SNAPSHOT;
	for (;;) {
		if ((rv = evl_stream_read(c, TOPIC, id, strlen(id), &o, &p))
		    != 0)
			return refused(rv, id);
		for (size_t i = 0; i < p->count && rv == 0; i++)
			rv = account_apply(&a, &p->events[i]);
		int64_t last = p->count ? p->events[p->count - 1].version : -1;
		int     done = p->count == 0 || last >= p->version;
		evl_stream_page_free(p);
		if (rv != 0)
			return refused(rv, id);
		if (done)
			break;
		o.from_version = last + 1;
	}
	if (!a.open)
		return refused(REFUSED_NO_ACCOUNT, id);
	printf("%" PRId64 "\n", a.balance);
	return 0;
}

static int
history(evl_client *c, const char *id)
{
	evl_stream_read_opts o;
	evl_stream_page     *p;
	int                  rv;
	evl_stream_read_opts_init(&o);
	for (;;) {
		if ((rv = evl_stream_read(c, TOPIC, id, strlen(id), &o, &p))
		    != 0)
			return refused(rv, id);
		for (size_t i = 0; i < p->count; i++)
			printf("%" PRId64 " %.*s\n", p->events[i].version,
			    (int) p->events[i].value_len,
			    (const char *) p->events[i].value);
		int64_t last = p->count ? p->events[p->count - 1].version : -1;
		int     done = p->count == 0 || last >= p->version;
		evl_stream_page_free(p);
		if (done)
			break;
		o.from_version = last + 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char     *url = NULL, *cmd, *id;
	int64_t         amount = 0;
	long            repeat = 1;
	int             i = 1, rv;
	evl_client_opts co;
	evl_client     *c;

	if (i + 1 < argc && strcmp(argv[i], "-b") == 0) {
		url = argv[i + 1];
		i += 2;
	}
	if (argc - i < 2)
		return usage();
	cmd = argv[i++];
	id = argv[i++];
	int need_amount
	    = strcmp(cmd, "deposit") == 0 || strcmp(cmd, "withdraw") == 0;
	if (need_amount) {
		char *end;
		if (i >= argc)
			return usage();
		amount = strtoll(argv[i++], &end, 10);
		if (*end != '\0' || amount <= 0)
			return usage();
	}
	if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0
	    && strcmp(cmd, "withdraw") == 0) {
		repeat = strtol(argv[i + 1], NULL, 10);
		i += 2;
		if (repeat <= 0)
			return usage();
	}
	if (i != argc)
		return usage();

	evl_client_opts_init(&co);
	co.url = url;
	if ((rv = evl_client_open(&c, &co)) != 0) {
		fprintf(stderr, "evl-bank: cannot connect: %s\n",
		    evl_strerror(rv));
		return 1;
	}
	/* The category topic, made on first use (a key index: streams). */
	evl_topic_config cfg;
	evl_topic_config_init(&cfg);
	cfg.partitions = 4;
	cfg.key_index = 1;
	rv = evl_topic_create(c, TOPIC, &cfg);
	if (rv != 0 && rv != EVL_ETOPICEXISTS) {
		evl_client_close(c);
		return refused(rv, TOPIC);
	}

	if (strcmp(cmd, "open") == 0)
		rv = run(c, id, CMD_OPEN, 0);
	else if (strcmp(cmd, "deposit") == 0)
		rv = run(c, id, CMD_DEPOSIT, amount);
	else if (strcmp(cmd, "snapshot") == 0)
		rv = run(c, id, CMD_SNAPSHOT, 0);
	else if (strcmp(cmd, "balance") == 0)
		rv = balance(c, id);
	else if (strcmp(cmd, "history") == 0)
		rv = history(c, id);
	else if (strcmp(cmd, "withdraw") == 0 && repeat == 1)
		rv = run(c, id, CMD_WITHDRAW, amount);
	else if (strcmp(cmd, "withdraw") == 0) {
		long ok = 0;
		rv = 0;
		for (long k = 0; k < repeat && (rv == 0 || rv == 4); k++) {
			account a = { .cmd = CMD_WITHDRAW, .amount = amount };
			evl_aggregate agg = aggregate_of(&a);
			int           e = evl_stream_update(
			              c, TOPIC, id, strlen(id), &agg, 1000, NULL);
			if (e == 0)
				ok++;
			else if (e != REFUSED_FUNDS)
				rv = refused(e, id);
		}
		printf("%ld\n", ok);
	} else {
		rv = usage();
	}
	evl_client_close(c);
	return rv;
}
