/*
 * client_int.h -- what the libevlog sources share; not part of evlog.h.
 *
 * One evl_client is one NNG REQ socket with one dialer.  Every request
 * runs on its own nng_ctx, so requests pipeline over the one connection:
 * synchronous calls borrow a context (with its aio) from a small pool,
 * and the producer keeps one context per partition for its asynchronous
 * sends.
 *
 * Resends.  NNG's REQ re-sends a request after NNG_OPT_REQ_RESENDTIME, and
 * immediately on a new pipe after the old one closed, while that time is
 * finite; for us that duplicates produces and parks a second long poll.
 * We set it to NNG_DURATION_INFINITE on the socket before any context is
 * opened (contexts copy the socket's value when opened, req0_ctx_init:
 * "ctx->retry = s->retry") and on each context again.  With the resend
 * time infinite, req0_pipe_close in NNG 1.5.2 does not queue the request
 * for the next pipe: for each context that had sent on the closing pipe
 * it runs "if (ctx->retry <= 0) { ... nni_aio_finish_error(aio,
 * NNG_ECONNRESET); req0_ctx_reset(ctx); } else { ... ctx->conn_reset =
 * true; }", i.e. a waiting receive fails with NNG_ECONNRESET and a
 * receive posted later fails with it too (req0_ctx_recv checks
 * conn_reset).  A request that was never handed to a pipe simply waits in
 * the send queue for the next one, bounded by the aio's timeout.  So a
 * request cut by a reconnect fails with EVL_ECONNRESET, and the request
 * loop below re-sends idempotent requests (ping, fetch, metadata, admin
 * reads) itself; produce batches are re-sent by the producer (see the
 * duplicate window in producer.c).
 */
#ifndef EVLC_CLIENT_INT_H
#define EVLC_CLIENT_INT_H

#include <evlog/evlog.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "frame.h"

/* Largest response we accept from a broker (NNG_OPT_RECVMAXSZ): bounds
 * what a peer can make us allocate.  Fetches ask for less. */
#define EVLC_RECV_MAX ((size_t) 64 << 20)
/* Room left in a response for everything but record batches. */
#define EVLC_RESP_SLACK ((size_t) 64 << 10)

/* A context and its aio, pooled for synchronous requests. */
typedef struct evlc_chan {
	nng_ctx           ctx;
	nng_aio          *aio;
	struct evlc_chan *next;
} evlc_chan;

/* Cached topic metadata: partition count, fetched once per topic. */
typedef struct evlc_meta {
	struct evlc_meta *next;
	uint32_t          partitions;
	char              name[];
} evlc_meta;

/* The handles a client keeps to close them, in the order it closes
 * them: a consumer commits and leaves its group, a producer flushes. */
enum evlc_kind { EVLC_CONSUMER, EVLC_PRODUCER, EVLC_READER, EVLC_KINDS };

struct evl_client {
	nng_socket      sock;
	nng_dialer      dialer;
	nng_tls_config *tls;
	char           *url;
	uint32_t        timeout_ms;
	uint32_t        connect_timeout_ms;
	atomic_int      pipes;   /* connected pipes, from pipe events */
	atomic_uint     next_id; /* frame ids */

	pthread_mutex_t mu; /* guards everything below */
	evlc_chan      *idle;  /* pooled contexts */
	evlc_meta      *metas; /* topic metadata cache */
	/* Open consumers, producers and readers (void * to each), closed
	 * by evl_client_close. */
	void  **open[EVLC_KINDS];
	size_t  nopen[EVLC_KINDS];
	char            errmsg[512];

	/* Authentication (auth.c).  user and password are owned copies, or
	 * NULL.  amu serialises the exchanges; auth_pipe (under amu) is the
	 * pipe the last login succeeded on, cur_pipe the pipe up now (one
	 * dialer: at most one).  The auth thread logs in again when kicked
	 * (a new pipe, or a producer refused EVL_EAUTHREQUIRED); its flags
	 * are under mu, with acv. */
	char           *user;
	char           *password;
	pthread_mutex_t amu;
	uint32_t        auth_pipe;
	atomic_uint     cur_pipe;
	pthread_cond_t  acv;
	pthread_t       auth_thread;
	bool            auth_thread_started;
	bool            auth_kicked;
	bool            auth_stop;
};

/* Writes a request body; may run twice (once to measure). */
typedef void (*evlc_encode_fn)(evlp_wr *w, const void *arg);

/* Request flags for evlc_call. */
#define EVLC_IDEMPOTENT 0x1u /* may be re-sent after a reconnect */
#define EVLC_NOAUTH     0x2u /* an AUTH_* step: no login on refusal */

/* A decoded response; release with evlc_resp_fini. */
typedef struct evlc_resp {
	nng_msg  *msg;
	evlp_view body;
	int64_t   detail; /* a broker error's detail (the error body's) */
	uint32_t  pipe;   /* the pipe the answer came on (0: none) */
} evlc_resp;

/* Milliseconds on a monotonic clock. */
uint64_t evlc_now_ms(void);

/* Maps an NNG error to an evl_err. */
int evlc_nng_err(int rv);

/* Records a failure detail on c (printf-like) and returns err. */
int evlc_fail(evl_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clears c's error message (a call is starting). */
void evlc_clear_err(evl_client *c);

/*
 * evlc_msg_build encodes a request frame of op with enc(arg) as body into
 * a new message; caller frees it with nng_msg_free (or hands it to NNG).
 * EVL_ENOMEM, or the encoder's error (EVL_EINVAL for a too-long string).
 */
int evlc_msg_build(
    nng_msg **out, uint8_t op, uint32_t id, evlc_encode_fn enc, const void *arg);

/*
 * evlc_resp_check decodes the frame of a response to (op, id).  A status
 * other than EVL_OK is returned after its error body's message is copied
 * to c's errmsg; *detail gets the error body's detail (may be NULL).  On
 * 0, *body views the response body inside msg.
 */
int evlc_resp_check(evl_client *c, nng_msg *msg, uint8_t op, uint32_t id,
    evlp_view *body, int64_t *detail);

/*
 * evlc_call sends one request and waits for its answer, within the
 * client timeout plus extra_ms (a long poll's wait).  Idempotent requests
 * are re-sent after EVL_ECONNRESET, EVL_EBUSY and EVL_ESHUTDOWN while
 * time is left; every request is re-sent after EVL_ETHROTTLED (a quota:
 * the broker did nothing), after waiting the detail's milliseconds, and
 * one throttled past the deadline waits until the deadline before it
 * returns EVL_ETHROTTLED.  On 0, resp holds the response (caller
 * releases with evlc_resp_fini).  A broker error status is returned as is, with its
 * message in c's errmsg.
 */
int evlc_call(evl_client *c, uint8_t op, evlc_encode_fn enc, const void *arg,
    uint32_t extra_ms, unsigned flags, evlc_resp *resp);
void evlc_resp_fini(evlc_resp *resp);

/* Sets the resend time infinite on a context (see the top of the file). */
int evlc_ctx_open(evl_client *c, nng_ctx *ctx);

/*
 * evlc_topic_partitions gives the partition count of a topic, from the
 * cache or else one DESCRIBE_TOPIC (cached after).  EVL_ENOTOPIC.
 */
int  evlc_topic_partitions(evl_client *c, const char *topic, uint32_t *n);
/* Drops a topic from the metadata cache (after delete or alter). */
void evlc_meta_forget(evl_client *c, const char *topic);

/* Registration of the handles evl_client_close closes. */
int  evlc_register(evl_client *c, void *h, enum evlc_kind kind);
void evlc_unregister(evl_client *c, void *h, enum evlc_kind kind);

/* ---- authentication (auth.c) ---- */

/*
 * evlc_auth_open copies o's credentials into c, logs in on the
 * connection and starts the auth thread.  Nothing to do without a user.
 * Errors: see evl_client_open.  On failure evlc_auth_close still runs.
 */
int evlc_auth_open(evl_client *c, const evl_client_opts *o);

/*
 * evlc_auth_ensure logs in unless the current pipe is logged in already,
 * one exchange at a time for all threads.  0 without credentials.
 * Errors: those of evl_client_open's login.
 */
int evlc_auth_ensure(evl_client *c);

/* Asks the auth thread to log in again (from NNG callbacks, which must
 * not block); false when c has no credentials. */
bool evlc_auth_kick(evl_client *c);

/* The pipe events: tracks cur_pipe and kicks on a new pipe. */
void evlc_auth_pipe_event(evl_client *c, nng_pipe p, nng_pipe_ev ev);

/* Stops the auth thread (call after nng_close: a login in progress then
 * fails at once) and wipes the credentials. */
void evlc_auth_close(evl_client *c);

/* ---- consumer groups (group_admin.c, consumer.c) ---- */

/* A COMMIT_OFFSETS request: n entries as parallel arrays (borrowed). */
typedef struct evlc_commit_arg {
	const char  *group;
	int32_t      generation;
	const char  *member;
	size_t       n;
	const char **topics;
	uint32_t    *partitions;
	int64_t     *offsets;
} evlc_commit_arg;

void evlc_commit_encode(evlp_wr *w, const void *arg);
/* Sends a commit; per-entry errors into errs (n of them, may be NULL).
 * Returns the request's error, else the first entry's. */
int evlc_commit_call(evl_client *c, const evlc_commit_arg *a, int *errs);

/* The header array behind the records a reader or consumer hands out,
 * reused from record to record (record.c). */
typedef struct evlc_hdrs {
	evl_header *v;
	size_t      cap;
} evlc_hdrs;

/* Fills rec from a decoded record of topic/partition: rec points into
 * the response er came from, its headers into hb.  0 or EVL_ENOMEM. */
int evlc_record_fill(evl_record *rec, evlc_hdrs *hb, const evlp_record *er,
    const char *topic, uint32_t partition);
void evlc_hdrs_free(evlc_hdrs *hb);

#endif /* EVLC_CLIENT_INT_H */
