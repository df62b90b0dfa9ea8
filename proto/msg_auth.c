/*
 * msg_auth.c -- AUTH_START and AUTH_FINISH bodies, which carry SCRAM
 * messages (RFC 5802/7677) as opaque bytes: the exchange itself belongs
 * to the broker and client, so proto only frames it.  Layouts are in
 * PROTOCOL.md ("Authentication").
 */
#include "msg_impl.h"

/* AUTH_START request: str mechanism, bytes data */
void
evlp_auth_start_encode(evlp_wr *w, const evlp_auth_msg *m)
{
	evlp_wr_str(w, m->mechanism.p, m->mechanism.len);
	evlp_wr_bytes(w, m->data.p, m->data.len);
}

int
evlp_auth_start_decode(evlp_view body, evlp_auth_msg *m)
{
	evlp_rd       r;
	evlp_auth_msg x;
	evlp_rd_init(&r, body.p, body.len);
	x.mechanism = evlp_rd_str(&r);
	x.data      = evlp_rd_bytes(&r);
	int rv      = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* AUTH_START response, AUTH_FINISH request and response: bytes data */
void
evlp_auth_data_encode(evlp_wr *w, const evlp_auth_msg *m)
{
	evlp_wr_bytes(w, m->data.p, m->data.len);
}

int
evlp_auth_data_decode(evlp_view body, evlp_auth_msg *m)
{
	evlp_rd       r;
	evlp_auth_msg x;
	evlp_rd_init(&r, body.p, body.len);
	x.mechanism.p   = NULL;
	x.mechanism.len = 0;
	x.data          = evlp_rd_bytes(&r);
	int rv          = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}
