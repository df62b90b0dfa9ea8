/*
 * nats_bench.c -- the evlog-bench workloads against NATS JetStream, for
 * tests/bench/peers.sh.
 *
 *   nats_bench produce --url U --records N --size B [--window W]
 *   nats_bench consume --url U --records N
 *   nats_bench latency --url U --rate R --seconds S [--size B]
 *
 * The stream BENCH (file storage, the server's defaults otherwise, which
 * means no fsync on acknowledgement) holds subjects bench.>.  produce:
 * js_PublishAsync to bench.p with at most W unacknowledged, then waits
 * for every ack.  consume: a pull consumer on bench.p fetching 1000 at a
 * time, acking the last of each batch (AckAll).  latency: publishes to
 * bench.lat paced at R per second while a pull consumer (a thread)
 * fetches and times each message from before its publish.  Output as
 * evlog-bench's (peer_common.h).
 */
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>

#include "peer_common.h"

static void
check(natsStatus s, jsErrCode jerr, const char *what)
{
	if (s != NATS_OK) {
		fprintf(stderr, "nats_bench: %s: %s (js error %d)\n", what,
		    natsStatus_GetText(s), (int) jerr);
		nats_PrintLastErrorStack(stderr);
		exit(1);
	}
}

static atomic_ullong pub_errors;

static void
pub_err(jsCtx *js, jsPubAckErr *e, void *closure)
{
	(void) js;
	(void) e;
	(void) closure;
	atomic_fetch_add(&pub_errors, 1);
}

static jsCtx *
js_open(natsConnection *nc, int64_t window)
{
	jsOptions      o;
	jsCtx         *js;
	jsStreamConfig sc;
	jsErrCode      jerr = 0;
	const char    *subjects[] = { "bench.>" };
	jsOptions_Init(&o);
	o.PublishAsync.MaxPending = window;
	o.PublishAsync.ErrHandler = pub_err;
	check(natsConnection_JetStream(&js, nc, &o), 0, "JetStream context");
	jsStreamConfig_Init(&sc);
	sc.Name        = "BENCH";
	sc.Subjects    = subjects;
	sc.SubjectsLen = 1;
	sc.Storage     = js_FileStorage;
	natsStatus s   = js_AddStream(NULL, js, &sc, NULL, &jerr);
	if (s != NATS_OK && jerr != JSStreamNameExistErr)
		check(s, jerr, "add stream BENCH");
	return js;
}

static void
produce(jsCtx *js, uint64_t n, size_t size)
{
	uint64_t t0 = peer_now_ns();
	for (uint64_t i = 0; i < n; i++)
		check(js_PublishAsync(js, "bench.p", peer_payload(i), (int) size,
		          NULL),
		    0, "publish");
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = 600000;
	check(js_PublishAsyncComplete(js, &po), 0, "wait for the acks");
	double s = (double) (peer_now_ns() - t0) / 1e9;
	if (atomic_load(&pub_errors) > 0) {
		fprintf(stderr, "nats_bench: %llu publishes failed\n",
		    (unsigned long long) atomic_load(&pub_errors));
		exit(1);
	}
	peer_report("nats", "produce", n, n * size, s, NULL);
}

static natsSubscription *
pull(jsCtx *js, const char *subject, const char *durable)
{
	natsSubscription *sub;
	jsSubOptions      so;
	jsErrCode         jerr = 0;
	jsSubOptions_Init(&so);
	so.Config.AckPolicy     = js_AckAll;
	so.Config.MaxAckPending = 1000000;
	check(js_PullSubscribe(&sub, js, subject, durable, NULL, &so, &jerr),
	    jerr, "pull subscribe");
	return sub;
}

static void
consume(jsCtx *js, uint64_t n)
{
	natsSubscription *sub = pull(js, "bench.p", "reader");
	uint64_t          got = 0, bytes = 0, t0 = peer_now_ns();
	while (got < n) {
		natsMsgList l;
		jsErrCode   jerr = 0;
		check(natsSubscription_Fetch(&l, sub, 1000, 5000, &jerr), jerr,
		    "fetch");
		for (int i = 0; i < l.Count; i++)
			bytes += (uint64_t) natsMsg_GetDataLength(l.Msgs[i]);
		got += (uint64_t) l.Count;
		if (l.Count > 0)
			natsMsg_Ack(l.Msgs[l.Count - 1], NULL);
		natsMsgList_Destroy(&l);
	}
	double s = (double) (peer_now_ns() - t0) / 1e9;
	peer_report("nats", "consume", got, bytes, s, NULL);
	natsSubscription_Destroy(sub);
}

typedef struct follower {
	natsSubscription *sub;
	uint64_t          want;
	peer_samples      lat;
} follower;

static void *
follow(void *arg)
{
	follower *f   = arg;
	uint64_t  got = 0;
	while (got < f->want) {
		natsMsgList l;
		jsErrCode   jerr = 0;
		natsStatus  s = natsSubscription_Fetch(&l, f->sub, 1000, 1000,
		     &jerr);
		if (s == NATS_TIMEOUT)
			continue;
		check(s, jerr, "fetch");
		uint64_t now = peer_now_ns(), sent;
		for (int i = 0; i < l.Count; i++) {
			memcpy(&sent, natsMsg_GetData(l.Msgs[i]), 8);
			peer_sample(&f->lat, now - sent);
		}
		got += (uint64_t) l.Count;
		if (l.Count > 0)
			natsMsg_Ack(l.Msgs[l.Count - 1], NULL);
		natsMsgList_Destroy(&l);
	}
	return NULL;
}

static void
latency(jsCtx *js, uint64_t rate, uint64_t secs, size_t size)
{
	follower  f   = { .sub = pull(js, "bench.lat", "follower"),
		   .want = rate * secs };
	pthread_t t;
	char     *buf = malloc(size);
	pthread_create(&t, NULL, follow, &f);
	uint64_t t0 = peer_now_ns();
	for (uint64_t i = 0; i < f.want; i++) {
		peer_sleep_until(t0 + i * 1000000000u / rate);
		memcpy(buf + 8, peer_payload(i), size - 8);
		uint64_t now = peer_now_ns();
		memcpy(buf, &now, 8);
		check(js_PublishAsync(js, "bench.lat", buf, (int) size, NULL), 0,
		    "publish");
	}
	double s = (double) (peer_now_ns() - t0) / 1e9;
	pthread_join(t, NULL);
	peer_report("nats", "latency", f.want, f.want * size, s, &f.lat);
	natsSubscription_Destroy(f.sub);
	free(buf);
}

int
main(int argc, char **argv)
{
	natsConnection *nc;
	if (argc < 2) {
		fprintf(stderr, "usage: nats_bench produce|consume|latency "
		                "--url U ...\n");
		return 2;
	}
	const char *url  = peer_opt(argc, argv, "--url", NATS_DEFAULT_URL);
	uint64_t    n    = peer_num(argc, argv, "--records", 1000000);
	size_t      size = peer_num(argc, argv, "--size", 100);
	check(natsConnection_ConnectTo(&nc, url), 0, "connect");
	jsCtx *js = js_open(nc, (int64_t) peer_num(argc, argv, "--window",
	                            4096));
	peer_payload_init(size);
	if (strcmp(argv[1], "produce") == 0)
		produce(js, n, size);
	else if (strcmp(argv[1], "consume") == 0)
		consume(js, n);
	else if (strcmp(argv[1], "latency") == 0 && size >= 8)
		latency(js, peer_num(argc, argv, "--rate", 10000),
		    peer_num(argc, argv, "--seconds", 10), size);
	else {
		fprintf(stderr, "nats_bench: bad command\n");
		return 2;
	}
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return 0;
}
