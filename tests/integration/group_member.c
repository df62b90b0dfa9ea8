/*
 * group_member.c -- a group consumer as its own process, for tests that
 * kill a member with SIGKILL (client_group_test.c).  A forked copy of a
 * test cannot be one: Criterion's worker already runs NNG threads, which
 * a fork does not carry over.
 *
 * usage: group_member URL GROUP TOPIC SESSION_MS
 * Prints "ID PARTITION" per record (the value is the decimal id),
 * flushed at once; auto-commits every 100 ms; runs until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evlog/evlog.h>

int
main(int argc, char **argv)
{
	evl_client       *c;
	evl_consumer     *k;
	evl_client_opts   co;
	evl_consumer_opts o;
	if (argc != 5) {
		fprintf(stderr, "usage: group_member URL GROUP TOPIC SESSION_MS\n");
		return 2;
	}
	const char *topics[] = { argv[3] };
	evl_client_opts_init(&co);
	co.url = argv[1];
	if (evl_client_open(&c, &co) != 0)
		return 1;
	evl_consumer_opts_init(&o);
	o.session_timeout_ms = (uint32_t) strtoul(argv[4], NULL, 10);
	o.auto_commit_ms     = 100;
	o.max_wait_ms        = 100;
	if (evl_consumer_open(&k, c, argv[2], topics, 1, &o) != 0)
		return 1;
	for (;;) {
		const evl_record *r;
		char              v[16] = { 0 };
		if (evl_consumer_poll(k, &r, 100) != 0)
			continue;
		memcpy(v, r->value,
		    r->value_len < sizeof(v) - 1 ? r->value_len : sizeof(v) - 1);
		printf("%s %u\n", v, (unsigned) r->partition);
		fflush(stdout);
	}
}
