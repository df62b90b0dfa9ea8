/*
 * dispatch.c -- frame in, handler, frame out (dispatch.h).
 *
 * The table maps every opcode of ops.h to its handler; an op that exists
 * but has no handler answers EVL_ENOTSUP, and a code that is no op
 * EVL_EUNKNOWNOP.
 */
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "dispatch.h"
#include "msg.h"
#include "ops.h"

static const evld_handler_fn handlers[256] = {
	[EVLP_OP_PING]           = evld_handle_ping,
	[EVLP_OP_PRODUCE]        = evld_handle_produce,
	[EVLP_OP_FETCH]          = evld_handle_fetch,
	[EVLP_OP_LIST_OFFSETS]   = evld_handle_list_offsets,
	[EVLP_OP_LIST_TOPICS]    = evld_handle_list_topics,
	[EVLP_OP_CREATE_TOPIC]   = evld_handle_create_topic,
	[EVLP_OP_DESCRIBE_TOPIC] = evld_handle_describe_topic,
	[EVLP_OP_ALTER_TOPIC]    = evld_handle_alter_topic,
	[EVLP_OP_DELETE_TOPIC]   = evld_handle_delete_topic,
	[EVLP_OP_COMMIT_OFFSETS] = evld_handle_commit_offsets,
	[EVLP_OP_FETCH_OFFSETS]  = evld_handle_fetch_offsets,
	/* consumer groups */
	[EVLP_OP_JOIN_GROUP]     = evld_handle_join_group,
	[EVLP_OP_HEARTBEAT]      = evld_handle_heartbeat,
	[EVLP_OP_LEAVE_GROUP]    = evld_handle_leave_group,
	[EVLP_OP_LIST_GROUPS]    = evld_handle_list_groups,
	[EVLP_OP_DESCRIBE_GROUP] = evld_handle_describe_group,
	[EVLP_OP_DELETE_GROUP]   = evld_handle_delete_group,
	/* authentication */
	[EVLP_OP_AUTH_START]     = evld_handle_auth_start,
	[EVLP_OP_AUTH_FINISH]    = evld_handle_auth_finish,
	/* per-key streams */
	[EVLP_OP_READ_STREAM]    = evld_handle_read_stream,
	[EVLP_OP_STREAM_INFO]    = evld_handle_stream_info,
	[EVLP_OP_DELETE_STREAM]  = evld_handle_delete_stream,
	/* access control */
	[EVLP_OP_ACL_ADD]        = evld_handle_acl_add,
	[EVLP_OP_ACL_REMOVE]     = evld_handle_acl_remove,
	[EVLP_OP_ACL_LIST]       = evld_handle_acl_list,
};

evld_handler_fn
evld_dispatch_lookup(int op, int *err)
{
	if (op < 0 || op > 255 || evlp_op_name(op) == NULL) {
		*err = EVL_EUNKNOWNOP;
		return NULL;
	}
	if (handlers[op] == NULL) {
		*err = EVL_ENOTSUP;
		return NULL;
	}
	*err = 0;
	return handlers[op];
}

uint64_t
evld_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

void
evld_req_init(struct evld_req *r, struct evld_broker *b,
    struct evld_broker_metrics *bm, void *sctx)
{
	memset(r, 0, sizeof(*r));
	r->b    = b;
	r->bm   = bm;
	r->sctx = sctx;
}

void
evld_req_fini(struct evld_req *r)
{
	if (r->msg != NULL)
		nng_msg_free(r->msg);
	if (r->resp != NULL)
		nng_msg_free(r->resp);
	evlp_free(r->wait_heap);
	r->msg       = NULL;
	r->resp      = NULL;
	r->wait_heap = NULL;
	r->wait_cap  = 0;
}

uint8_t *
evld_msg_grow(nng_msg *m, size_t n)
{
	size_t at = nng_msg_len(m);
	if (nng_msg_realloc(m, at + n) != 0)
		return NULL;
	return (uint8_t *) nng_msg_body(m) + at;
}

int
evld_resp_begin(struct evld_req *r, size_t reserve)
{
	if (r->resp != NULL) {
		nng_msg_free(r->resp);
		r->resp = NULL;
	}
	if (nng_msg_alloc(&r->resp, EVLP_FRAME_SIZE) != 0)
		return EVL_ENOMEM;
	/* A hint: a failed reserve only means reallocations later. */
	if (reserve > 0)
		(void) nng_msg_reserve(r->resp, EVLP_FRAME_SIZE + reserve);
	r->resp_at = 0;
	return 0;
}

int
evld_resp_reuse(struct evld_req *r)
{
	if (r->msg == NULL)
		return evld_resp_begin(r, 0);
	if (r->resp != NULL)
		nng_msg_free(r->resp);
	r->resp = r->msg;
	r->msg  = NULL;
	r->body.p   = NULL;
	r->body.len = 0;
	/* Shrinking keeps the capacity: no allocation. */
	nng_msg_clear(r->resp);
	if (nng_msg_realloc(r->resp, EVLP_FRAME_SIZE) != 0) {
		nng_msg_free(r->resp);
		r->resp = NULL;
		return EVL_ENOMEM;
	}
	r->resp_at = 0;
	return 0;
}

int
evld_req_decode(struct evld_req *r, nng_msg *msg)
{
	const uint8_t *p   = nng_msg_body(msg);
	size_t         len = nng_msg_len(msg);
	int            rv;

	r->msg       = msg;
	r->resp      = NULL;
	r->detail    = 0;
	r->errmsg    = NULL;
	r->user[0]   = '\0';
	r->resume    = NULL;
	r->body.p    = NULL;
	r->body.len  = 0;
	memset(&r->frame, 0, sizeof(r->frame));
	r->frame.version = EVLP_VERSION;

	rv = evlp_frame_decode(p, len, &r->frame, &r->body);
	if (rv == 0) {
		if (r->frame.flags & EVLP_FLAG_RESPONSE) {
			r->errmsg = "a response sent as a request";
			r->frame.status = 0;
			return EVL_EPROTO;
		}
		return 0;
	}
	/* Echo op and id when the bytes are at least an evlog frame; for
	 * anything else op and id are 0 (documented in PROTOCOL.md). */
	memset(&r->frame, 0, sizeof(r->frame));
	r->frame.version = EVLP_VERSION;
	if (len >= EVLP_FRAME_SIZE && evlp_get_u16(p) == EVLP_MAGIC) {
		r->frame.op = p[3];
		r->frame.id = evlp_get_u32(p + 8);
	}
	r->errmsg = rv == EVL_EVERSION ? "this broker speaks protocol version 1"
	                               : "malformed frame";
	return rv;
}

int
evld_req_handle(struct evld_req *r)
{
	int             err;
	evld_handler_fn h = evld_dispatch_lookup(r->frame.op, &err);
	if (r->bm != NULL)
		evld_broker_metrics_request(r->bm, r->frame.op);
	if (h == NULL)
		return err;
	return h(r);
}

void
evld_req_finish(struct evld_req *r, int rv)
{
	evlp_frame f = r->frame;
	uint8_t   *hdr;

	if (rv != 0) {
		evlp_error_body eb;
		const char     *msg = r->errmsg ? r->errmsg : evl_strerror(rv);
		int             erv = 0;
		if (r->bm != NULL)
			evld_broker_metrics_error(r->bm, r->frame.op, rv);
		/* Prefer the request's message: no allocation. */
		if (r->msg != NULL) {
			if (evld_resp_reuse(r) != 0)
				goto fail;
		} else if (r->resp != NULL) {
			nng_msg_clear(r->resp);
			if (nng_msg_realloc(r->resp, EVLP_FRAME_SIZE) != 0)
				goto fail;
			r->resp_at = 0;
		} else if (evld_resp_begin(r, 0) != 0) {
			goto fail;
		}
		eb.message.p   = (const uint8_t *) msg;
		eb.message.len = strlen(msg);
		eb.detail      = r->detail;
		EVLD_PUT(r->resp, erv, evlp_error_body_encode(w, &eb));
		if (erv != 0)
			goto fail;
		f.status = (uint16_t) rv;
	} else {
		f.status = 0;
	}
	if (r->msg != NULL) {
		nng_msg_free(r->msg);
		r->msg = NULL;
	}
	if (r->resp == NULL)
		goto fail;
	f.version     = EVLP_VERSION;
	f.flags       = EVLP_FLAG_RESPONSE;
	f.body_length = (uint32_t) (nng_msg_len(r->resp) - EVLP_FRAME_SIZE);
	hdr           = (uint8_t *) nng_msg_body(r->resp) + r->resp_at;
	evlp_frame_encode(hdr, &f);
	return;

fail:
	if (r->msg != NULL)
		nng_msg_free(r->msg);
	if (r->resp != NULL)
		nng_msg_free(r->resp);
	r->msg  = NULL;
	r->resp = NULL;
}

static bool
name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int
evld_name_copy(char out[EVLD_NAME_MAX + 1], evlp_view v)
{
	if (v.len == 0 || v.len > EVLD_NAME_MAX)
		return EVL_EBADNAME;
	for (size_t i = 0; i < v.len; i++) {
		if (!name_char(v.p[i]))
			return EVL_EBADNAME;
	}
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

int
evld_str_copy(char out[EVLD_NAME_MAX + 1], evlp_view v)
{
	if (v.len == 0 || v.len > EVLD_NAME_MAX ||
	    memchr(v.p, '\0', v.len) != NULL)
		return EVL_EBADNAME;
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}
