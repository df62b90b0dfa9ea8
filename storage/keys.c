/*
 * keys.c -- encoders and decoders for the layouts tabled in keys.h.  Every
 * decoder checks sizes first: a short or long key or value read back from
 * disk is reported, never read past.
 */
#include "keys.h"

#include <string.h>

#include "endian.h"

void
evls_key_log(uint8_t k[EVLS_LOGKEY_SIZE], uint64_t seq, uint32_t tid,
    uint32_t part)
{
	evlp_put_u64(k, seq);
	evlp_put_u32(k + 8, tid);
	evlp_put_u32(k + 12, part);
}

bool
evls_key_log_decode(const void *k, size_t len, uint64_t *seq, uint32_t *tid,
    uint32_t *part)
{
	const uint8_t *p = k;
	if (len != EVLS_LOGKEY_SIZE)
		return false;
	*seq  = evlp_get_u64(p);
	*tid  = evlp_get_u32(p + 8);
	*part = evlp_get_u32(p + 12);
	return true;
}

void
evls_key_seq(uint8_t k[EVLS_SEQ_SIZE], uint64_t seq)
{
	evlp_put_u64(k, seq);
}

void
evls_key_singleton(uint8_t k[2], uint8_t id)
{
	k[0] = EVLS_KEY_SINGLETON;
	k[1] = id;
}

size_t
evls_key_topic(uint8_t *k, const char *name)
{
	size_t n = strlen(name);
	k[0]     = EVLS_KEY_TOPIC;
	memcpy(k + 1, name, n);
	return n + 1;
}

void
evls_key_deleting(uint8_t k[5], uint32_t tid)
{
	k[0] = EVLS_KEY_DELETING;
	evlp_put_u32(k + 1, tid);
}

void
evls_key_part(uint8_t k[EVLS_PARTKEY_SIZE], uint32_t tid, uint32_t part)
{
	k[0] = EVLS_KEY_PART;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
}

bool
evls_key_part_decode(const void *k, size_t len, uint32_t *tid, uint32_t *part)
{
	const uint8_t *p = k;
	if (len != EVLS_PARTKEY_SIZE || p[0] != EVLS_KEY_PART)
		return false;
	*tid  = evlp_get_u32(p + 1);
	*part = evlp_get_u32(p + 5);
	return true;
}

void
evls_val_part(uint8_t v[EVLS_PARTVAL_SIZE], const evls_counters *c)
{
	evlp_put_u64(v, c->first_offset);
	evlp_put_u64(v + 8, c->next_offset);
	evlp_put_u64(v + 16, c->bytes);
	evlp_put_u64(v + 24, (uint64_t) c->last_time);
}

bool
evls_val_part_decode(const void *v, size_t len, evls_counters *c)
{
	const uint8_t *p = v;
	if (len != EVLS_PARTVAL_SIZE)
		return false;
	c->first_offset = evlp_get_u64(p);
	c->next_offset  = evlp_get_u64(p + 8);
	c->bytes        = evlp_get_u64(p + 16);
	c->last_time    = (int64_t) evlp_get_u64(p + 24);
	return c->first_offset <= c->next_offset;
}

void
evls_key_idx(uint8_t k[EVLS_IDXKEY_SIZE], uint32_t tid, uint32_t part,
    uint64_t last_offset)
{
	k[0] = EVLS_KEY_INDEX;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
	evlp_put_u64(k + 9, last_offset);
}

void
evls_val_idx(uint8_t v[EVLS_IDXVAL_SIZE], const evls_idx *x)
{
	evlp_put_u64(v, x->seq);
	evlp_put_u64(v + 8, x->base_offset);
	evlp_put_u32(v + 16, x->bytes);
	evlp_put_u64(v + 20, (uint64_t) x->append_time);
}

bool
evls_idx_decode(
    const void *k, size_t klen, const void *v, size_t vlen, evls_idx *x)
{
	const uint8_t *kp = k, *vp = v;
	if (klen != EVLS_IDXKEY_SIZE || vlen != EVLS_IDXVAL_SIZE ||
	    kp[0] != EVLS_KEY_INDEX)
		return false;
	x->last_offset = evlp_get_u64(kp + 9);
	x->seq         = evlp_get_u64(vp);
	x->base_offset = evlp_get_u64(vp + 8);
	x->bytes       = evlp_get_u32(vp + 16);
	x->append_time = (int64_t) evlp_get_u64(vp + 20);
	return x->base_offset <= x->last_offset;
}

size_t
evls_key_group(
    uint8_t *k, const char *group, bool with_tp, uint32_t tid, uint32_t part)
{
	size_t n = strlen(group);
	k[0]     = EVLS_KEY_GROUP;
	memcpy(k + 1, group, n);
	k[n + 1] = 0;
	if (!with_tp)
		return n + 2;
	evlp_put_u32(k + n + 2, tid);
	evlp_put_u32(k + n + 6, part);
	return n + 10;
}

bool
evls_name_valid(const char *name)
{
	size_t n = 0;
	if (name == NULL)
		return false;
	for (const char *c = name; *c; c++, n++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		    *c == '-';
		if (!ok || n >= EVLS_NAME_MAX)
			return false;
	}
	return n >= 1;
}

size_t
evls_key_head(uint8_t *k, uint32_t tid, const void *key, size_t klen)
{
	k[0] = EVLS_KEY_HEAD;
	evlp_put_u32(k + 1, tid);
	memcpy(k + 5, key, klen);
	return 5 + klen;
}

void
evls_val_head(uint8_t v[EVLS_HEADVAL_SIZE], const evls_head *h)
{
	evlp_put_u64(v, h->next_version);
	evlp_put_u64(v + 8, h->first_version);
	evlp_put_u64(v + 16, (uint64_t) h->snapshot);
	evlp_put_u64(v + 24, h->last_offset);
	v[32] = h->flags;
}

bool
evls_val_head_decode(const void *v, size_t len, evls_head *h)
{
	const uint8_t *p = v;
	if (len != EVLS_HEADVAL_SIZE)
		return false;
	h->next_version  = evlp_get_u64(p);
	h->first_version = evlp_get_u64(p + 8);
	h->snapshot      = (int64_t) evlp_get_u64(p + 16);
	h->last_offset   = evlp_get_u64(p + 24);
	h->flags         = p[32];
	return h->first_version <= h->next_version;
}

size_t
evls_key_version(
    uint8_t *k, uint32_t tid, const void *key, size_t klen, uint64_t v)
{
	k[0] = EVLS_KEY_VERSION;
	evlp_put_u32(k + 1, tid);
	evlp_put_u16(k + 5, (uint16_t) klen);
	memcpy(k + 7, key, klen);
	evlp_put_u64(k + 7 + klen, v);
	return 15 + klen;
}

bool
evls_key_version_decode(
    const void *k, size_t len, size_t plen, uint64_t *version)
{
	if (len != plen + 8)
		return false;
	*version = evlp_get_u64((const uint8_t *) k + plen);
	return true;
}

void
evls_key_pstate(uint8_t k[EVLS_PSKEY_SIZE], uint32_t tid, uint32_t part,
    int64_t producer_id)
{
	k[0] = EVLS_KEY_PRODUCER;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
	evlp_put_u64(k + 9, (uint64_t) producer_id);
}

void
evls_val_pstate(uint8_t v[EVLS_PSVAL_SIZE], const evls_pstate *p)
{
	evlp_put_u16(v, (uint16_t) p->epoch);
	evlp_put_u32(v + 2, (uint32_t) p->base_sequence);
	evlp_put_u32(v + 6, p->count);
	evlp_put_u64(v + 10, p->base_offset);
	evlp_put_u64(v + 18, (uint64_t) p->append_time);
	evlp_put_u64(v + 26, (uint64_t) p->version);
}

size_t
evls_key_id(uint8_t *k, uint32_t tid, uint32_t part, const void *id, size_t n)
{
	k[0] = EVLS_KEY_ID;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
	memcpy(k + EVLS_IDPFX_SIZE, id, n);
	return EVLS_IDPFX_SIZE + n;
}

void
evls_val_id(uint8_t v[EVLS_IDVAL_SIZE], uint64_t offset, int64_t time)
{
	evlp_put_u64(v, offset);
	evlp_put_u64(v + 8, (uint64_t) time);
}

bool
evls_val_id_decode(const void *v, size_t len, uint64_t *offset, int64_t *time)
{
	const uint8_t *b = v;
	if (len != EVLS_IDVAL_SIZE)
		return false;
	*offset = evlp_get_u64(b);
	*time   = (int64_t) evlp_get_u64(b + 8);
	return true;
}

size_t
evls_key_idtime(uint8_t *k, uint32_t tid, uint32_t part, int64_t time,
    const void *id, size_t n)
{
	k[0] = EVLS_KEY_IDTIME;
	evlp_put_u32(k + 1, tid);
	evlp_put_u32(k + 5, part);
	/* Broker times are >= 0, so unsigned big-endian sorts them. */
	evlp_put_u64(k + EVLS_IDPFX_SIZE, (uint64_t) time);
	memcpy(k + EVLS_IDPFX_SIZE + 8, id, n);
	return EVLS_IDPFX_SIZE + 8 + n;
}

bool
evls_val_pstate_decode(const void *v, size_t len, evls_pstate *p)
{
	const uint8_t *b = v;
	if (len != EVLS_PSVAL_SIZE)
		return false;
	p->epoch         = (int16_t) evlp_get_u16(b);
	p->base_sequence = (int32_t) evlp_get_u32(b + 2);
	p->count         = evlp_get_u32(b + 6);
	p->base_offset   = evlp_get_u64(b + 10);
	p->append_time   = (int64_t) evlp_get_u64(b + 18);
	p->version       = (int64_t) evlp_get_u64(b + 26);
	return true;
}
