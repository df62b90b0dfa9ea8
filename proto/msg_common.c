/*
 * msg_common.c -- the bodies every op shares: the error body, the topic
 * settings list, PING, empty bodies, and the list walker the other
 * msg_*.c files use (msg_impl.h).  Layouts are in PROTOCOL.md.
 */
#include "msg_impl.h"

void
evlp_list_take(evlp_rd *r, uint32_t count, size_t min_size,
    evlp_entry_read_fn read, void *scratch, evlp_rd *list)
{
	*list = *r;
	if (count > evlp_rd_left(r) / min_size) {
		evlp_rd_fail(r, EVL_EPROTO);
	} else {
		for (uint32_t i = 0; i < count && r->err == 0; i++)
			read(r, scratch);
	}
	if (r->err) {
		evlp_rd_init(list, NULL, 0);
		return;
	}
	list->end = r->p;
}

int
evlp_empty_decode(evlp_view body)
{
	return body.len == 0 ? 0 : EVL_EPROTO;
}

/* str message, i64 detail */
void
evlp_error_body_encode(evlp_wr *w, const evlp_error_body *m)
{
	evlp_wr_str(w, m->message.p, m->message.len);
	evlp_wr_i64(w, m->detail);
}

int
evlp_error_body_decode(evlp_view body, evlp_error_body *m)
{
	evlp_rd         r;
	evlp_error_body x;
	evlp_rd_init(&r, body.p, body.len);
	x.message = evlp_rd_str(&r);
	x.detail  = evlp_rd_i64(&r);
	int rv    = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* u16 count, then count times (u16 id, i64 value), ids strictly
 * increasing.  The order makes the encoding canonical and rules out a
 * setting given twice with two values. */
#define SETTING_SIZE 10

void
evlp_settings_encode(evlp_wr *w, const evlp_settings *s)
{
	uint16_t n = 0;
	for (int id = 1; id <= EVLP_SET_MAX_; id++)
		if (evlp_settings_has(s, (enum evlp_setting) id))
			n++;
	evlp_wr_u16(w, n);
	for (int id = 1; id <= EVLP_SET_MAX_; id++) {
		if (!evlp_settings_has(s, (enum evlp_setting) id))
			continue;
		evlp_wr_u16(w, (uint16_t) id);
		evlp_wr_i64(w, s->value[id]);
	}
}

void
evlp_settings_read(evlp_rd *r, evlp_settings *s)
{
	memset(s, 0, sizeof(*s));
	uint16_t n = evlp_rd_u16(r);
	if (n > evlp_rd_left(r) / SETTING_SIZE) {
		evlp_rd_fail(r, EVL_EPROTO);
		return;
	}
	long prev = -1;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t id = evlp_rd_u16(r);
		int64_t  v  = evlp_rd_i64(r);
		if (r->err)
			return;
		if ((long) id <= prev) {
			evlp_rd_fail(r, EVL_EPROTO);
			return;
		}
		prev = id;
		if (id >= 1 && id <= EVLP_SET_MAX_)
			evlp_settings_set(s, (enum evlp_setting) id, v);
		else
			s->unknown++;
	}
}

/* u16 protocol_version, str broker_version */
void
evlp_ping_resp_encode(evlp_wr *w, const evlp_ping_resp *m)
{
	evlp_wr_u16(w, m->protocol_version);
	evlp_wr_str(w, m->broker_version.p, m->broker_version.len);
}

int
evlp_ping_resp_decode(evlp_view body, evlp_ping_resp *m)
{
	evlp_rd        r;
	evlp_ping_resp x;
	evlp_rd_init(&r, body.p, body.len);
	x.protocol_version = evlp_rd_u16(&r);
	x.broker_version   = evlp_rd_str(&r);
	int rv             = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}
