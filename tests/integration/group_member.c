/*
 * group_member.c -- a group consumer as its own process, for tests that
 * kill a member with SIGKILL (client_group_test.c).  A forked copy of a
 * test cannot be one: Criterion's worker already runs NNG threads, which
 * a fork does not carry over.
 *
 * usage: group_member URL GROUP TOPIC SESSION_MS [sync]
 * Prints "ID PARTITION" per record (the value is the decimal id),
 * flushed at once; auto-commits every 100 ms; runs until killed.  With
 * "sync" it commits itself after every poll instead (a record or a
 * timeout) and in on_revoke, and reports each failed commit on stderr as
 * "commit failed: EVL_NAME", so a test can see a fenced commit: a member
 * woken after its session ended either commits from its loop or, when
 * its heartbeat saw the news first, from on_revoke before rejoining.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evlog/evlog.h>

static void
report(int rv)
{
	if (rv != 0) {
		fprintf(stderr, "commit failed: %s\n", evl_errname(rv));
		fflush(stderr);
	}
}

/* Losing partitions: commit first (which a fenced member cannot). */
static void
on_revoke(void *arg, evl_consumer *k, const evl_topic_partition *p, size_t n)
{
	(void) arg;
	(void) p;
	(void) n;
	report(evl_consumer_commit(k));
}

int
main(int argc, char **argv)
{
	evl_client       *c;
	evl_consumer     *k;
	evl_client_opts   co;
	evl_consumer_opts o;
	if (argc != 5 && !(argc == 6 && strcmp(argv[5], "sync") == 0)) {
		fprintf(stderr,
		    "usage: group_member URL GROUP TOPIC SESSION_MS [sync]\n");
		return 2;
	}
	int sync = argc == 6;
	const char *topics[] = { argv[3] };
	evl_client_opts_init(&co);
	co.url = argv[1];
	if (evl_client_open(&c, &co) != 0)
		return 1;
	evl_consumer_opts_init(&o);
	o.session_timeout_ms = (uint32_t) strtoul(argv[4], NULL, 10);
	o.auto_commit_ms     = sync ? 0 : 100;
	if (sync)
		o.on_revoke = on_revoke;
	o.max_wait_ms        = 100;
	if (evl_consumer_open(&k, c, argv[2], topics, 1, &o) != 0)
		return 1;
	for (;;) {
		const evl_record *r;
		char              v[16] = { 0 };
		int               rv = evl_consumer_poll(k, &r, 100);
		if (sync && (rv == 0 || rv == EVL_ETIMEDOUT))
			report(evl_consumer_commit(k));
		if (rv != 0)
			continue;
		memcpy(v, r->value,
		    r->value_len < sizeof(v) - 1 ? r->value_len : sizeof(v) - 1);
		printf("%s %u\n", v, (unsigned) r->partition);
		fflush(stdout);
	}
}
