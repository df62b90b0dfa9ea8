/*
 * evl-nng-rtt -- the floor under evlog's latency: the round trip of a
 * 100-byte message over NNG REQ/REP on loopback TCP, with no evlog code
 * on either side (a REP echo thread and a REQ client in one process), at
 * a paced 10,000 requests a second.  evlog's end-to-end latency is about
 * two of these (docs/PERFORMANCE.md, "What limits us").
 *
 * Usage: evl-nng-rtt [COUNT]   (default 10000)
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static nng_socket rep;

static double
now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static void *
echo(void *arg)
{
	nng_msg *m;
	(void) arg;
	while (nng_recvmsg(rep, &m, 0) == 0)
		if (nng_sendmsg(rep, m, 0) != 0)
			nng_msg_free(m);
	return NULL;
}

int
main(int argc, char **argv)
{
	nng_socket   req;
	nng_listener l;
	pthread_t    t;
	char         url[64];
	int          n = argc > 1 ? atoi(argv[1]) : 10000;
	double      *v = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	if (n <= 0 || v == NULL || nng_rep0_open(&rep) != 0 ||
	    nng_listen(rep, "tcp://127.0.0.1:0", &l, 0) != 0) {
		fprintf(stderr, "evl-nng-rtt: setup failed\n");
		return 1;
	}
	int port;
	nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	pthread_create(&t, NULL, echo, NULL);
	if (nng_req0_open(&req) != 0 || nng_dial(req, url, NULL, 0) != 0) {
		fprintf(stderr, "evl-nng-rtt: dial failed\n");
		return 1;
	}
	double start = now_us();
	for (int i = 0; i < n; i++) {
		/* paced at 10,000/s, as the latency benchmark */
		double due = start + i * 100.0, t0 = now_us();
		if (due > t0) {
			struct timespec ts = { 0, (long) ((due - t0) * 1e3) };
			nanosleep(&ts, NULL);
		}
		nng_msg *m;
		t0 = now_us();
		if (nng_msg_alloc(&m, 100) != 0 || nng_sendmsg(req, m, 0) != 0 ||
		    nng_recvmsg(req, &m, 0) != 0) {
			fprintf(stderr, "evl-nng-rtt: request failed\n");
			return 1;
		}
		nng_msg_free(m);
		v[i] = now_us() - t0;
	}
	qsort(v, (size_t) n, sizeof(double), cmp);
	printf("nng req/rep round trip, 100 B, %d requests: p50 %.0f us, "
	       "p99 %.0f us, p99.9 %.0f us\n",
	    n, v[n / 2], v[(size_t) (n * 0.99)], v[(size_t) (n * 0.999)]);
	nng_close(req);
	nng_close(rep);
	pthread_join(t, NULL);
	free(v);
	return 0;
}
