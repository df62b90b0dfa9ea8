/*
 * dispatch.h -- one request's life inside the broker, and the opcode ->
 * handler table.
 *
 * The server (server.c) owns a pool of REP contexts; each embeds one
 * struct evld_req, preallocated and reused, so the request path does not
 * allocate beyond NNG's messages.  For each message received the server
 * calls evld_req_decode (frame), then evld_req_handle (the op's handler),
 * then evld_req_finish (the response frame), and sends r->resp.
 *
 * A handler returns:
 *   0           the response body is in r->resp (begun with
 *               evld_resp_begin or evld_resp_reuse);
 *   an evl_err  the request failed; r->detail and r->errmsg, if set, go
 *               into the error body;
 *   EVLD_ASYNC  the handler took the request away (an append queued to
 *               the store's writer, a parked fetch): it calls
 *               evld_req_done later, from any thread, and neither it nor
 *               the server touches r until then.
 *
 * Error responses reuse the request message, so answering an error never
 * needs an allocation.
 */
#ifndef EVLD_DISPATCH_H
#define EVLD_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "buf.h"
#include "frame.h"
#include "metrics.h"
#include "store.h"
#include "waiters.h"

/* Topic names are [A-Za-z0-9._-]{1,249} (DESIGN.md, "Data model"). */
#define EVLD_NAME_MAX 249

/* User (principal) names: 1..64 bytes of [A-Za-z0-9._@-]. */
#define EVLD_USER_MAX 64

/* A handler's "answered later" return; not an evl_err. */
#define EVLD_ASYNC (-1)

/* Fetches of up to this many partitions park without allocating. */
#define EVLD_FETCH_INLINE 8

struct evld_broker;
struct evld_req;
struct evld_quota_user;

typedef int (*evld_handler_fn)(struct evld_req *r);

struct evld_req {
	struct evld_broker         *b;    /* borrowed; NULL in unit tests */
	struct evld_broker_metrics *bm;   /* borrowed; may be NULL */
	void                       *sctx; /* the server's context */

	evlp_frame frame; /* the request's; op and id are echoed */
	evlp_view  body;  /* into msg */
	nng_msg   *msg;   /* the request (owned) or NULL once reused */
	nng_msg   *resp;  /* the response being built (owned) */
	size_t     resp_at; /* where the frame header starts in resp */

	uint32_t    pipe;      /* the pipe's id */
	bool        pipe_held; /* counted in the pipe's outstanding */
	int64_t     detail;    /* error body detail */
	const char *errmsg;    /* error body message (static) or NULL */
	char        errbuf[256]; /* room for an errmsg built per request */

	/* Who sent it: the principal bound to the pipe (PROTOCOL.md §9),
	 * copied in by the server before the handler runs, so a pipe that
	 * closes meanwhile cannot pull it away.  "" = anonymous, which is
	 * every request when authentication is off. */
	char user[EVLD_USER_MAX + 1];

	/* Called on an NNG thread when a parked request wakes (fired or
	 * its sleep ended); returns like a handler. */
	int (*resume)(struct evld_req *r);

	/* produce */
	evls_append app;
	char        topic[EVLD_NAME_MAX + 1];
	uint64_t    submit_us;
	uint32_t    records;

	/* fetch */
	struct evld_waiter      waiter;
	bool                    parked; /* holds a parked-fetch slot */
	uint32_t                park_ms;
	struct evld_wait_entry  wait_inline[EVLD_FETCH_INLINE];
	struct evld_wait_entry *wait_heap; /* grown on demand, kept */
	size_t                  wait_cap;

	/* group join (group.c); under the coordinator's lock */
	bool join_parked;   /* sleeping until the rebalance completes */
	bool join_answered; /* r->resp or join_rv is the answer */
	int  join_rv;
	char join_group[EVLD_NAME_MAX + 1];
	char join_member[64]; /* EVLD_MEMBER_MAX + 1 */

	/* quotas: the user's entry (quota.h), set by produce and fetch
	 * when they start, kept for a parked fetch's charge on answer. */
	struct evld_quota_user *quota;
};

/* evld_req_init prepares a context's request; evld_req_fini frees what
 * it keeps between requests (messages, the wait entries). */
void evld_req_init(struct evld_req *r, struct evld_broker *b,
    struct evld_broker_metrics *bm, void *sctx);
void evld_req_fini(struct evld_req *r);

/*
 * evld_req_decode takes ownership of msg and decodes its frame into
 * r->frame and r->body.  On failure the error is returned and r->frame
 * holds what to echo: garbage that is not even an evlog frame (short, bad
 * magic) is answered EVL_EPROTO with op 0 and id 0; a frame with the
 * magic but a bad length, reserved bits, or the response flag set echoes
 * its op and id.  (We answer rather than close the pipe: the REQ peer
 * then gets an error instead of waiting for its resend timer.)
 */
int evld_req_decode(struct evld_req *r, nng_msg *msg);

/*
 * evld_req_handle counts the request in the metrics and runs its handler.
 * EVL_EUNKNOWNOP for a code that is no operation, EVL_ENOTSUP for an
 * operation this broker does not implement yet.
 */
int evld_req_handle(struct evld_req *r);

/*
 * evld_req_finish turns rv (0 or an evl_err) into the response: for 0 it
 * fills the frame header in front of the body the handler wrote; else it
 * replaces any body with an error body.  Afterwards r->resp is the whole
 * message to send (owned by r) and the request message is released.  It
 * cannot fail: when even the error response cannot be allocated,
 * r->resp is NULL and the server closes the pipe.
 */
void evld_req_finish(struct evld_req *r, int rv);

/* The handler for op, or NULL; *err says why (EVL_EUNKNOWNOP or
 * EVL_ENOTSUP). */
evld_handler_fn evld_dispatch_lookup(int op, int *err);

/*
 * Response building.  evld_resp_begin allocates r->resp with room for the
 * header; evld_resp_reuse turns the request message into it instead (the
 * request's views become invalid).  Errors: EVL_ENOMEM.
 */
int evld_resp_begin(struct evld_req *r, size_t reserve);
int evld_resp_reuse(struct evld_req *r);

/* Grows m by n bytes and returns where they start, or NULL (ENOMEM). */
uint8_t *evld_msg_grow(nng_msg *m, size_t n);

/*
 * EVLD_PUT(m, rv, ENC) runs ENC, an encoder call writing through the
 * evlp_wr *w in scope, twice: once into a zero-capacity writer to measure
 * it, then into exactly that much room appended to message m.  rv gets 0
 * or the encoder's error (EVL_EINVAL) or EVL_ENOMEM; on error m's length
 * is unchanged.
 */
#define EVLD_PUT(m, rv, ENC)                                              \
	do {                                                              \
		evlp_wr  w_;                                              \
		evlp_wr *w = &w_;                                         \
		uint8_t *p_;                                              \
		size_t   n_;                                              \
		evlp_wr_init(w, NULL, 0);                                 \
		ENC;                                                      \
		if (w->err != 0 && w->err != EVL_ETOOBIG) {               \
			(rv) = w->err;                                    \
			break;                                            \
		}                                                         \
		n_ = w->len;                                              \
		if ((p_ = evld_msg_grow((m), n_)) == NULL) {              \
			(rv) = EVL_ENOMEM;                                \
			break;                                            \
		}                                                         \
		evlp_wr_init(w, p_, n_);                                  \
		ENC;                                                      \
		(rv) = w->err;                                            \
		if ((rv) != 0)                                            \
			nng_msg_chop((m), n_);                            \
	} while (0)

/*
 * evld_name_copy copies a topic name view into out as a C string and
 * checks it: 1..249 bytes of [A-Za-z0-9._-].  Errors: EVL_EBADNAME.
 */
int evld_name_copy(char out[EVLD_NAME_MAX + 1], evlp_view v);

/* evld_str_copy copies any string of 1..EVLD_NAME_MAX bytes without NUL
 * (group names).  Errors: EVL_EBADNAME. */
int evld_str_copy(char out[EVLD_NAME_MAX + 1], evlp_view v);

/* Monotonic microseconds, for latencies. */
uint64_t evld_now_us(void);

/* Handlers (handle_*.c). */
int evld_handle_ping(struct evld_req *r);
int evld_handle_produce(struct evld_req *r);
int evld_handle_fetch(struct evld_req *r);
int evld_handle_list_offsets(struct evld_req *r);
int evld_handle_list_topics(struct evld_req *r);
int evld_handle_create_topic(struct evld_req *r);
int evld_handle_describe_topic(struct evld_req *r);
int evld_handle_alter_topic(struct evld_req *r);
int evld_handle_delete_topic(struct evld_req *r);
int evld_handle_commit_offsets(struct evld_req *r);
int evld_handle_fetch_offsets(struct evld_req *r);
int evld_handle_read_stream(struct evld_req *r);
int evld_handle_stream_info(struct evld_req *r);
int evld_handle_delete_stream(struct evld_req *r);

/* Authentication handlers (handle_auth.c). */
int evld_handle_auth_start(struct evld_req *r);
int evld_handle_auth_finish(struct evld_req *r);

/* Group membership handlers (handle_group.c). */
int evld_handle_join_group(struct evld_req *r);
int evld_handle_heartbeat(struct evld_req *r);
int evld_handle_leave_group(struct evld_req *r);
int evld_handle_list_groups(struct evld_req *r);
int evld_handle_describe_group(struct evld_req *r);
int evld_handle_delete_group(struct evld_req *r);

/* Access-control handlers (handle_acl.c). */
int evld_handle_acl_add(struct evld_req *r);
int evld_handle_acl_remove(struct evld_req *r);
int evld_handle_acl_list(struct evld_req *r);

#endif /* EVLD_DISPATCH_H */
