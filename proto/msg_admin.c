/*
 * msg_admin.c -- topic administration bodies: CREATE/ALTER_TOPIC, the
 * name-only requests, LIST_TOPICS and DESCRIBE_TOPIC responses.
 * Layouts are in PROTOCOL.md ("Topic administration").
 */
#include "msg_impl.h"

/* A topic entry: str name, u32 partitions, settings (u16 count ...). */
#define TOPIC_ENTRY_MIN (EVLP_STR_MIN + 4 + 2)
/* u32 partition, u64 first_offset, u64 next_offset, u64 records,
 * u64 bytes */
#define PARTITION_STATE_SIZE (4 + 8 + 8 + 8 + 8)

static void
topic_write(evlp_wr *w, evlp_view name, uint32_t partitions,
    const evlp_settings *s)
{
	evlp_wr_str(w, name.p, name.len);
	evlp_wr_u32(w, partitions);
	evlp_settings_encode(w, s);
}

static void
topic_entry_read(evlp_rd *r, void *out)
{
	evlp_topic_entry *e = out;
	e->name             = evlp_rd_str(r);
	e->partitions       = evlp_rd_u32(r);
	evlp_settings_read(r, &e->settings);
}

/* CREATE_TOPIC / ALTER_TOPIC: the same layout as a topic entry. */
void
evlp_topic_req_encode(evlp_wr *w, const evlp_topic_req *m)
{
	topic_write(w, m->name, m->partitions, &m->settings);
}

int
evlp_topic_req_decode(evlp_view body, evlp_topic_req *m)
{
	evlp_rd          r;
	evlp_topic_entry e;
	evlp_rd_init(&r, body.p, body.len);
	topic_entry_read(&r, &e);
	int rv = evlp_rd_finish(&r);
	if (rv == 0) {
		m->name       = e.name;
		m->partitions = e.partitions;
		m->settings   = e.settings;
	}
	return rv;
}

/* str name */
void
evlp_name_req_encode(evlp_wr *w, const evlp_name_req *m)
{
	evlp_wr_str(w, m->name.p, m->name.len);
}

int
evlp_name_req_decode(evlp_view body, evlp_name_req *m)
{
	evlp_rd       r;
	evlp_name_req x;
	evlp_rd_init(&r, body.p, body.len);
	x.name = evlp_rd_str(&r);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

/* LIST_TOPICS response: u32 count, then count topic entries. */
void
evlp_topic_list_encode(evlp_wr *w, uint32_t count)
{
	evlp_wr_u32(w, count);
}

void
evlp_topic_entry_encode(evlp_wr *w, const evlp_topic_entry *e)
{
	topic_write(w, e->name, e->partitions, &e->settings);
}

int
evlp_topic_list_decode(evlp_view body, evlp_topic_list *m)
{
	evlp_rd          r;
	evlp_topic_list  x;
	evlp_topic_entry scratch;
	evlp_rd_init(&r, body.p, body.len);
	x.count = evlp_rd_u32(&r);
	evlp_list_take(&r, x.count, TOPIC_ENTRY_MIN, topic_entry_read,
	    &scratch, &x.entries_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_topic_list_next(evlp_topic_list *m, evlp_topic_entry *e)
{
	return evlp_list_next(&m->entries_, topic_entry_read, e);
}

/* DESCRIBE_TOPIC response: a topic entry, u32 count, then count partition
 * states. */
void
evlp_topic_desc_encode(evlp_wr *w, const evlp_topic_entry *t, uint32_t count)
{
	evlp_topic_entry_encode(w, t);
	evlp_wr_u32(w, count);
}

void
evlp_partition_state_encode(evlp_wr *w, const evlp_partition_state *p)
{
	evlp_wr_u32(w, p->partition);
	evlp_wr_u64(w, p->first_offset);
	evlp_wr_u64(w, p->next_offset);
	evlp_wr_u64(w, p->records);
	evlp_wr_u64(w, p->bytes);
}

static void
partition_state_read(evlp_rd *r, void *out)
{
	evlp_partition_state *p = out;
	p->partition            = evlp_rd_u32(r);
	p->first_offset         = evlp_rd_u64(r);
	p->next_offset          = evlp_rd_u64(r);
	p->records              = evlp_rd_u64(r);
	p->bytes                = evlp_rd_u64(r);
}

int
evlp_topic_desc_decode(evlp_view body, evlp_topic_desc *m)
{
	evlp_rd              r;
	evlp_topic_desc      x;
	evlp_partition_state scratch;
	evlp_rd_init(&r, body.p, body.len);
	topic_entry_read(&r, &x.topic);
	x.count = evlp_rd_u32(&r);
	evlp_list_take(&r, x.count, PARTITION_STATE_SIZE, partition_state_read,
	    &scratch, &x.parts_);
	int rv = evlp_rd_finish(&r);
	if (rv == 0)
		*m = x;
	return rv;
}

bool
evlp_topic_desc_next(evlp_topic_desc *m, evlp_partition_state *p)
{
	return evlp_list_next(&m->parts_, partition_state_read, p);
}
