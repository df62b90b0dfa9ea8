/*
 * client_transport_test.c -- libevlog over every transport (tcp, ipc, ws,
 * tls+tcp), and what it does when the broker is down, goes away, or comes
 * back: clear errors within the timeout, never a hang, and re-dialing by
 * itself (a parked long poll survives a broker restart).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <evlog/evlog.h>

#include "client_util.h"
#include "evl_test.h"

TestSuite(client_transport, .timeout = 120);

/* Opens a client on url, creates a topic, produces one record and reads
 * it back. */
static void
round_trip(const evl_client_opts *o, const char *topic)
{
	evl_client       *c;
	evl_reader       *r;
	const evl_record *rec;
	uint64_t          off;
	evl_assert_ok(evl_client_open(&c, o));
	evl_assert_ok(evl_topic_create(c, topic, NULL));
	evl_message m = { .topic = topic,
		.partition       = 0,
		.key             = "k",
		.key_len         = 1,
		.value           = "hello",
		.value_len       = 5 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off));
	cr_assert_eq(off, 0);
	evl_assert_ok(evl_reader_open(&r, c, topic, NULL));
	evl_assert_ok(evl_reader_seek(r, 0, EVL_OFFSET_BEGINNING));
	evl_assert_ok(evl_reader_next(r, &rec, 5000));
	cr_assert_eq(rec->value_len, 5);
	cr_assert_eq(memcmp(rec->value, "hello", 5), 0);
	evl_reader_close(r);
	evl_client_close(c);
}

Test(client_transport, tcp_ipc_ws)
{
	evlct_broker    b;
	evl_client_opts o;
	char            dir[256], ipc[320];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(ipc, sizeof(ipc), "ipc://%s/evlogd.sock", dir);
	const char *args[] = { "--listen", "tcp://127.0.0.1:0", "--listen",
		ipc, "--listen", "ws://127.0.0.1:0/evlog", NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);
	cr_assert_eq(b.nurls, 3);
	const char *topics[] = { "t-tcp", "t-ipc", "t-ws" };
	for (int i = 0; i < 3; i++) {
		evl_client_opts_init(&o);
		o.url = b.urls[i];
		round_trip(&o, topics[i]);
	}
	/* A large fetch over ws: more than its 1 MiB default message
	 * limit. */
	evl_client   *c;
	evl_producer *p;
	evl_client_opts_init(&o);
	o.url = b.urls[2];
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_ok(evl_producer_open(&p, c, NULL));
	static char big[200000];
	memset(big, 'b', sizeof(big));
	evl_message m = { .topic = "t-ws",
		.partition       = 0,
		.value           = big,
		.value_len       = sizeof(big) };
	for (int i = 0; i < 8; i++)
		evl_assert_ok(evl_produce(p, &m));
	evl_assert_ok(evl_producer_flush(p, 10000));
	evl_producer_close(p);
	evl_reader       *r;
	evl_reader_opts   ro;
	const evl_record *rec;
	evl_reader_opts_init(&ro);
	ro.max_bytes = 4 << 20;
	evl_assert_ok(evl_reader_open(&r, c, "t-ws", &ro));
	evl_assert_ok(evl_reader_seek(r, 0, 1));
	for (int i = 0; i < 8; i++) {
		evl_assert_ok(evl_reader_next(r, &rec, 5000));
		cr_assert_eq(rec->value_len, sizeof(big));
	}
	evl_reader_close(r);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}

Test(client_transport, tls)
{
	evlct_broker    b;
	evl_client_opts o;
	char            dir[256], cmd[1024], cert[300], key[300];
	cr_assert_eq(evlct_tmpdir(dir, sizeof(dir)), 0);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
	    "-keyout '%s' -out '%s' >/dev/null 2>&1",
	    key, cert);
	cr_assert_eq(evlct_sh(cmd), 0, "openssl failed");
	const char *args[] = { "--listen", "tls+tcp://127.0.0.1:0",
		"--tls-cert", cert, "--tls-key", key, NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);
	evl_client_opts_init(&o);
	o.url             = b.url;
	o.tls_ca_file     = cert;
	o.tls_server_name = "localhost";
	round_trip(&o, "t-tls");

	/* A wrong server name fails verification: an error within the
	 * connect timeout, not a hang. */
	evl_client *c;
	o.tls_server_name    = "not-the-broker";
	o.connect_timeout_ms = 1000;
	uint64_t t0          = evlct_now_ms();
	int      rv          = evl_client_open(&c, &o);
	cr_assert_neq(rv, 0);
	cr_assert_lt(evlct_now_ms() - t0, 3000);
	/* TLS files on a plain URL are a mistake, said at once. */
	o.url = "tcp://127.0.0.1:1";
	evl_assert_err(evl_client_open(&c, &o), EVL_EINVAL);
	evlct_broker_stop(&b, false);
}

Test(client_transport, broker_down)
{
	evlct_broker    b;
	evl_client_opts o;
	evl_client     *c;
	char            url[256];
	/* A port that was just a broker's and is closed now. */
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(url, sizeof(url), "%s", b.url);
	evlct_broker_stop(&b, false);

	evl_client_opts_init(&o);
	o.url                = url;
	o.connect_timeout_ms = 500;
	uint64_t t0          = evlct_now_ms();
	evl_assert_err(evl_client_open(&c, &o), EVL_ECONNREFUSED);
	uint64_t took = evlct_now_ms() - t0;
	cr_assert_geq(took, 400);
	cr_assert_lt(took, 1500, "took %" PRIu64 " ms", took);

	o.url = "nonsense://x";
	evl_assert_err(evl_client_open(&c, &o), EVL_EINVAL);
}

/* A reader parked in a long poll while the broker dies and comes back. */
struct parked {
	evl_client *c;
	atomic_int  state; /* 1 waiting, 2 done */
	int         err;
	uint64_t    offset;
};

static void *
parked_main(void *arg)
{
	struct parked    *pk = arg;
	evl_reader       *r  = NULL;
	const evl_record *rec;
	if ((pk->err = evl_reader_open(&r, pk->c, "t", NULL)) == 0 &&
	    (pk->err = evl_reader_seek(r, 0, 1)) == 0) {
		atomic_store(&pk->state, 1);
		if ((pk->err = evl_reader_next(r, &rec, 20000)) == 0)
			pk->offset = rec->offset;
	}
	if (r)
		evl_reader_close(r);
	atomic_store(&pk->state, 2);
	return NULL;
}

static bool
is_waiting(void *arg)
{
	return atomic_load(&((struct parked *) arg)->state) >= 1;
}

static bool
is_done(void *arg)
{
	return atomic_load(&((struct parked *) arg)->state) == 2;
}

Test(client_transport, broker_restart)
{
	evlct_broker    b;
	evl_client_opts o;
	evl_client     *c, *rc;
	char            dir[256], listen[256];
	uint64_t        t0;
	cr_assert_eq(evlct_broker_start(&b, NULL, NULL), 0);
	snprintf(dir, sizeof(dir), "%s", b.dir);
	snprintf(listen, sizeof(listen), "%s", b.url);
	evl_client_opts_init(&o);
	o.url        = listen;
	o.timeout_ms = 1000;
	evl_assert_ok(evl_client_open(&c, &o));
	evl_assert_ok(evl_client_open(&rc, &o));
	evl_assert_ok(evl_topic_create(c, "t", NULL));
	evl_message m = { .topic = "t",
		.partition       = 0,
		.value           = "a",
		.value_len       = 1 };
	evl_assert_ok(evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, NULL));

	struct parked pk = { .c = rc };
	pthread_t     th;
	pthread_create(&th, NULL, parked_main, &pk);
	cr_assert(evlct_wait_until(is_waiting, &pk, 10000));

	/* Broker gone: requests fail within the timeout. */
	evlct_broker_kill(&b, SIGKILL);
	evl_topic_info *list;
	size_t          n;
	t0     = evlct_now_ms();
	int rv = evl_topic_list(c, &list, &n);
	cr_assert(rv == EVL_ECONNREFUSED || rv == EVL_ETIMEDOUT ||
	        rv == EVL_ECONNRESET,
	    "%s", evl_errname(rv));
	cr_assert_lt(evlct_now_ms() - t0, 2500);
	cr_assert_str_neq(evl_client_errmsg(c), "");

	/* Back on the same port and data: the clients re-dial by
	 * themselves; the parked fetch was cut (EVL_ECONNRESET), re-sent,
	 * and now sees the new record. */
	const char *args[] = { "--listen", listen, NULL };
	cr_assert_eq(evlct_broker_start(&b, dir, args), 0);
	m.value = "b";
	uint64_t off = 0;
	for (int i = 0; i < 50; i++) {
		/* The first tries may meet the old connection's end. */
		rv = evl_produce_sync(c, &m, EVL_ACKS_WRITTEN, &off);
		if (rv == 0)
			break;
		cr_assert(rv == EVL_ECONNREFUSED || rv == EVL_ETIMEDOUT ||
		        rv == EVL_ECONNRESET,
		    "%s", evl_errname(rv));
	}
	evl_assert_ok(rv);
	cr_assert_eq(off, 1);
	cr_assert(evlct_wait_until(is_done, &pk, 20000));
	pthread_join(th, NULL);
	cr_assert_eq(pk.err, 0, "parked reader: %s", evl_errname(pk.err));
	cr_assert_eq(pk.offset, 1);
	evl_client_close(rc);
	evl_client_close(c);
	evlct_broker_stop(&b, false);
}
