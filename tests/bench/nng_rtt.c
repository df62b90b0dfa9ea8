/*
 * evl-nng-rtt -- the floor under evlog's latency: the round trip of a
 * 100-byte message over NNG REQ/REP on loopback TCP, with no evlog code
 * on either side (a REP echo thread and a REQ client in one process), at
 * a paced 10,000 requests a second.  evlog's end-to-end latency is about
 * two of these (docs/PERFORMANCE.md, "What limits us").
 *
 * Below it, the same paced round trip over a plain loopback TCP socket
 * between two threads (blocking read and write): what the kernel costs,
 * so that the difference is what NNG's threads cost.  Each line also
 * gives the context switches of the whole process per round trip
 * (getrusage): on a virtual machine where waking a thread is dear, they
 * are most of the time.
 *
 * Usage: evl-nng-rtt [COUNT]   (default 10000)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_BYTES 100
#define PACE_US   100.0 /* 10,000 a second */

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

static long
switches(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return u.ru_nvcsw + u.ru_nivcsw;
}

/* Sleeps until start + i * PACE_US, as the latency benchmark paces. */
static void
pace(double start, int i)
{
	double due = start + i * PACE_US, t0 = now_us();
	if (due > t0) {
		struct timespec ts = { 0, (long) ((due - t0) * 1e3) };
		nanosleep(&ts, NULL);
	}
}

static void
report(const char *what, double *v, int n, long sw)
{
	qsort(v, (size_t) n, sizeof(double), cmp);
	printf("%s, %d B, %d requests: p50 %.0f us, p99 %.0f us, "
	       "p99.9 %.0f us, %.1f context switches each\n",
	    what, MSG_BYTES, n, v[n / 2], v[(size_t) (n * 0.99)],
	    v[(size_t) (n * 0.999)], (double) sw / n);
}

static void *
nng_echo(void *arg)
{
	nng_msg *m;
	(void) arg;
	while (nng_recvmsg(rep, &m, 0) == 0)
		if (nng_sendmsg(rep, m, 0) != 0)
			nng_msg_free(m);
	return NULL;
}

static bool
nng_run(int n, double *v)
{
	nng_socket   req;
	nng_listener l;
	pthread_t    t;
	char         url[64];
	int          port;
	if (nng_rep0_open(&rep) != 0 ||
	    nng_listen(rep, "tcp://127.0.0.1:0", &l, 0) != 0) {
		fprintf(stderr, "evl-nng-rtt: setup failed\n");
		return false;
	}
	nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	pthread_create(&t, NULL, nng_echo, NULL);
	if (nng_req0_open(&req) != 0 || nng_dial(req, url, NULL, 0) != 0) {
		fprintf(stderr, "evl-nng-rtt: dial failed\n");
		return false;
	}
	long   sw    = switches();
	double start = now_us();
	for (int i = 0; i < n; i++) {
		nng_msg *m;
		pace(start, i);
		double t0 = now_us();
		if (nng_msg_alloc(&m, MSG_BYTES) != 0 ||
		    nng_sendmsg(req, m, 0) != 0 || nng_recvmsg(req, &m, 0) != 0) {
			fprintf(stderr, "evl-nng-rtt: request failed\n");
			return false;
		}
		nng_msg_free(m);
		v[i] = now_us() - t0;
	}
	/* The pacing sleeps are one switch each; count only the rest. */
	report("nng req/rep round trip", v, n, switches() - sw - n);
	nng_close(req);
	nng_close(rep);
	pthread_join(t, NULL);
	return true;
}

/* Reads exactly len bytes; false at end of stream or on an error. */
static bool
read_full(int fd, char *p, size_t len)
{
	while (len > 0) {
		ssize_t k = read(fd, p, len);
		if (k <= 0)
			return false;
		p += k;
		len -= (size_t) k;
	}
	return true;
}

static void *
tcp_echo(void *arg)
{
	int  lfd = *(int *) arg, one = 1;
	char b[MSG_BYTES];
	int  fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read_full(fd, b, sizeof(b)))
		if (write(fd, b, sizeof(b)) != (ssize_t) sizeof(b))
			break;
	close(fd);
	return NULL;
}

static bool
tcp_run(int n, double *v)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t          alen = sizeof(a);
	pthread_t          t;
	char               b[MSG_BYTES] = { 0 };
	int                one = 1, lfd, fd;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *) &a, sizeof(a)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *) &a, &alen) != 0 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		fprintf(stderr, "evl-nng-rtt: tcp setup failed\n");
		return false;
	}
	pthread_create(&t, NULL, tcp_echo, &lfd);
	if (connect(fd, (struct sockaddr *) &a, sizeof(a)) != 0) {
		fprintf(stderr, "evl-nng-rtt: tcp connect failed\n");
		return false;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	long   sw    = switches();
	double start = now_us();
	for (int i = 0; i < n; i++) {
		pace(start, i);
		double t0 = now_us();
		if (write(fd, b, sizeof(b)) != (ssize_t) sizeof(b) ||
		    !read_full(fd, b, sizeof(b))) {
			fprintf(stderr, "evl-nng-rtt: tcp round trip failed\n");
			return false;
		}
		v[i] = now_us() - t0;
	}
	report("tcp round trip (the kernel alone)", v, n, switches() - sw - n);
	close(fd);
	pthread_join(t, NULL);
	close(lfd);
	return true;
}

int
main(int argc, char **argv)
{
	int     n = argc > 1 ? atoi(argv[1]) : 10000;
	double *v = malloc(sizeof(double) * (size_t) (n > 0 ? n : 1));
	if (n <= 0 || v == NULL) {
		fprintf(stderr, "usage: evl-nng-rtt [COUNT]\n");
		return 2;
	}
	bool ok = nng_run(n, v) && tcp_run(n, v);
	free(v);
	return ok ? 0 : 1;
}
