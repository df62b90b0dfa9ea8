/*
 * redis_bench.c -- the evlog-bench workloads against Redis Streams, for
 * tests/bench/peers.sh.
 *
 *   redis_bench produce --port P --records N --size B [--pipeline W]
 *   redis_bench consume --port P --records N
 *   redis_bench latency --port P --rate R --seconds S [--size B]
 *
 * produce: XADD bench * d <payload>, pipelined as redis-benchmark -P
 * does, with the next W commands written before the previous W replies
 * are read so Redis never waits on us.  consume: XREAD COUNT 1000 from
 * 0-0 on.  latency: XADD paced at R per second on one connection, and
 * XREAD BLOCK on another (a thread) timing each entry from before its
 * XADD to its arrival.  Output as evlog-bench's (peer_common.h).
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "peer_common.h"

static redisContext *
connect_or_die(const char *host, int port)
{
	redisContext *c = redisConnect(host, port);
	if (c == NULL || c->err) {
		fprintf(stderr, "redis_bench: connect %s:%d: %s\n", host, port,
		    c ? c->errstr : "out of memory");
		exit(1);
	}
	return c;
}

static void
reply_ok(redisContext *c, redisReply *r, const char *what)
{
	if (r == NULL) {
		fprintf(stderr, "redis_bench: %s: %s\n", what, c->errstr);
		exit(1);
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "redis_bench: %s: %s\n", what, r->str);
		exit(1);
	}
}

static void
produce(redisContext *c, uint64_t n, size_t size, uint64_t window)
{
	uint64_t sent = 0, got = 0, t0 = peer_now_ns();
	while (got < n) {
		/* Keep up to two windows in flight: write the next while
		 * the previous one's replies come back. */
		while (sent < n && sent - got < 2 * window) {
			redisAppendCommand(c, "XADD bench * d %b",
			    peer_payload(sent), size);
			sent++;
		}
		uint64_t until = got + window < sent ? got + window : sent;
		for (; got < until; got++) {
			redisReply *r;
			if (redisGetReply(c, (void **) &r) != REDIS_OK)
				r = NULL;
			reply_ok(c, r, "XADD");
			freeReplyObject(r);
		}
	}
	peer_report("redis", "produce", n, n * size,
	    (double) (peer_now_ns() - t0) / 1e9, NULL);
}

/* Counts the entries of an XREAD reply into *n and *bytes; copies the
 * last id to last.  Returns the number of entries. */
static size_t
walk(redisReply *r, uint64_t *bytes, char *last, size_t cap)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return 0;
	redisReply *entries = r->element[0]->element[1];
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *e  = entries->element[i];
		redisReply *fv = e->element[1];
		*bytes += fv->element[1]->len;
	}
	if (entries->elements > 0)
		snprintf(last, cap, "%s",
		    entries->element[entries->elements - 1]->element[0]->str);
	return entries->elements;
}

static void
consume(redisContext *c, uint64_t n)
{
	char     last[64] = "0-0";
	uint64_t got = 0, bytes = 0, t0 = peer_now_ns();
	while (got < n) {
		redisReply *r = redisCommand(c,
		    "XREAD COUNT 1000 STREAMS bench %s", last);
		reply_ok(c, r, "XREAD");
		size_t k = walk(r, &bytes, last, sizeof(last));
		freeReplyObject(r);
		if (k == 0) {
			fprintf(stderr, "redis_bench: only %llu entries\n",
			    (unsigned long long) got);
			exit(1);
		}
		got += k;
	}
	peer_report("redis", "consume", got, bytes,
	    (double) (peer_now_ns() - t0) / 1e9, NULL);
}

typedef struct follower {
	redisContext *c;
	uint64_t      want;
	peer_samples  lat;
} follower;

static void *
follow(void *arg)
{
	follower *f       = arg;
	char      last[64] = "0-0";
	uint64_t  got      = 0;
	while (got < f->want) {
		redisReply *r = redisCommand(f->c,
		    "XREAD COUNT 1000 BLOCK 5000 STREAMS lat %s", last);
		reply_ok(f->c, r, "XREAD BLOCK");
		uint64_t now = peer_now_ns(), sent;
		if (r->type == REDIS_REPLY_ARRAY) {
			redisReply *entries = r->element[0]->element[1];
			for (size_t i = 0; i < entries->elements; i++) {
				redisReply *v =
				    entries->element[i]->element[1]->element[1];
				memcpy(&sent, v->str, sizeof(sent));
				peer_sample(&f->lat, now - sent);
			}
			got += entries->elements;
			snprintf(last, sizeof(last), "%s",
			    entries->element[entries->elements - 1]
			        ->element[0]
			        ->str);
		} else {
			fprintf(stderr, "redis_bench: follower timed out\n");
			exit(1);
		}
		freeReplyObject(r);
	}
	return NULL;
}

static void
latency(redisContext *c, redisContext *fc, uint64_t rate, uint64_t secs,
    size_t size)
{
	follower  f = { .c = fc, .want = rate * secs };
	pthread_t t;
	uint8_t  *buf = malloc(size);
	freeReplyObject(redisCommand(c, "DEL lat"));
	pthread_create(&t, NULL, follow, &f);
	uint64_t t0 = peer_now_ns();
	for (uint64_t i = 0; i < f.want; i++) {
		peer_sleep_until(t0 + i * 1000000000u / rate);
		memcpy(buf + 8, peer_payload(i), size - 8);
		uint64_t now = peer_now_ns();
		memcpy(buf, &now, 8);
		redisReply *r = redisCommand(c, "XADD lat * d %b", buf, size);
		reply_ok(c, r, "XADD");
		freeReplyObject(r);
	}
	double s = (double) (peer_now_ns() - t0) / 1e9;
	pthread_join(t, NULL);
	peer_report("redis", "latency", f.want, f.want * size, s, &f.lat);
	free(buf);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: redis_bench produce|consume|latency "
		                "--port P ...\n");
		return 2;
	}
	const char   *host = peer_opt(argc, argv, "--host", "127.0.0.1");
	int           port = (int) peer_num(argc, argv, "--port", 6379);
	uint64_t      n    = peer_num(argc, argv, "--records", 1000000);
	size_t        size = peer_num(argc, argv, "--size", 100);
	redisContext *c    = connect_or_die(host, port);
	peer_payload_init(size);
	if (strcmp(argv[1], "produce") == 0)
		produce(c, n, size, peer_num(argc, argv, "--pipeline", 1000));
	else if (strcmp(argv[1], "consume") == 0)
		consume(c, n);
	else if (strcmp(argv[1], "latency") == 0 && size >= 8)
		latency(c, connect_or_die(host, port),
		    peer_num(argc, argv, "--rate", 10000),
		    peer_num(argc, argv, "--seconds", 10), size);
	else {
		fprintf(stderr, "redis_bench: bad command\n");
		return 2;
	}
	redisFree(c);
	return 0;
}
