/*
 * peer_common.h -- what the peer benchmark programs (redis_bench.c,
 * nats_bench.c) share with each other, kept to the shape of evlog-bench's
 * output so peers.sh reads one format: the same workloads (produce N
 * random payloads, consume them from the beginning, latency at a fixed
 * rate with the send time in the first 8 payload bytes), a short table and
 * a last JSON line {"op","records","seconds","records_per_s","mb_per_s"
 * [,"p50_us","p99_us","p999_us"]}.  Header-only: each peer program is
 * one file built by peers.sh with the peer's client library.
 */
#ifndef PEER_COMMON_H
#define PEER_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t
peer_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static inline void
peer_sleep_until(uint64_t ns)
{
	struct timespec ts = { (time_t) (ns / 1000000000u),
		(long) (ns % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

/* 256 KiB of random bytes (in cache, as evlog-bench's); record i's
 * payload starts at a different place. */
#define PEER_POOL ((size_t) 256 << 10)
static uint8_t *peer_pool;

static inline void
peer_payload_init(size_t size)
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t) time(NULL);
	size_t   n = PEER_POOL + size;
	if ((peer_pool = malloc(n)) == NULL)
		abort();
	for (size_t i = 0; i < n; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(peer_pool + i, &s, n - i < 8 ? n - i : 8);
	}
}

static inline const uint8_t *
peer_payload(uint64_t i)
{
	return peer_pool + (size_t) ((i * 7919u) % PEER_POOL);
}

/* Latency samples, every one kept (a latency run is rate x seconds). */
typedef struct peer_samples {
	uint64_t *v;
	size_t    n, cap;
} peer_samples;

static inline void
peer_sample(peer_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 65536;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			abort();
	}
	s->v[s->n++] = ns;
}

static int
peer_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static inline double
peer_quantile_us(peer_samples *s, double q)
{
	if (s->n == 0)
		return 0;
	size_t i = (size_t) (q * (double) s->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > s->n)
		i = s->n;
	return (double) s->v[i - 1] / 1e3;
}

static inline void
peer_report(const char *peer, const char *op, uint64_t records,
    uint64_t bytes, double secs, peer_samples *lat)
{
	double rps = (double) records / secs, mb = (double) bytes / secs / 1e6;
	printf("%s %s\n  %-12s %llu\n  %-12s %.3f\n  %-12s %.0f\n  %-12s "
	       "%.1f\n",
	    peer, op, "records", (unsigned long long) records, "seconds", secs,
	    "records/s", rps, "MB/s", mb);
	if (lat) {
		qsort(lat->v, lat->n, sizeof(*lat->v), peer_cmp);
		printf("  %-12s %.1f\n  %-12s %.1f\n  %-12s %.1f\n", "p50 us",
		    peer_quantile_us(lat, 0.5), "p99 us",
		    peer_quantile_us(lat, 0.99), "p99.9 us",
		    peer_quantile_us(lat, 0.999));
	}
	printf("{\"op\":\"%s\",\"records\":%llu,\"seconds\":%.6f,"
	       "\"records_per_s\":%.1f,\"mb_per_s\":%.3f",
	    op, (unsigned long long) records, secs, rps, mb);
	if (lat)
		printf(",\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f",
		    peer_quantile_us(lat, 0.5), peer_quantile_us(lat, 0.99),
		    peer_quantile_us(lat, 0.999));
	printf("}\n");
	fflush(stdout);
}

/* "--name value" pairs after the command; unknown names are errors. */
static inline const char *
peer_opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i += 2)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

static inline uint64_t
peer_num(int argc, char **argv, const char *name, uint64_t def)
{
	const char *s = peer_opt(argc, argv, name, NULL);
	char       *end;
	if (s == NULL)
		return def;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "%s: not a number: %s\n", name, s);
		exit(2);
	}
	return v;
}

#endif /* PEER_COMMON_H */
