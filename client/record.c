/*
 * record.c -- a decoded record as the application sees it (client_int.h).
 *
 * Readers and group consumers hand out one evl_record at a time, pointing
 * into the fetch response they hold; only the header array is theirs,
 * grown as needed and reused from record to record.
 */
#include "alloc.h"
#include "client_int.h"

int
evlc_record_fill(evl_record *rec, evlc_hdrs *hb, const evlp_record *er,
    const char *topic, uint32_t partition)
{
	if (er->header_count > hb->cap) {
		size_t      n = er->header_count < 8 ? 8 : er->header_count;
		evl_header *h = evlp_realloc(hb->v, n * sizeof(*h));
		if (h == NULL)
			return EVL_ENOMEM;
		hb->v   = h;
		hb->cap = n;
	}
	evlp_rd     hr;
	evlp_header h;
	size_t      i = 0;
	evlp_rd_init(&hr, er->headers.p, er->headers.len);
	while (i < er->header_count && evlp_header_next(&hr, &h)) {
		hb->v[i].name      = (const char *) h.name.p;
		hb->v[i].name_len  = h.name.len;
		hb->v[i].value     = h.value.p;
		hb->v[i].value_len = h.value.len;
		i++;
	}
	rec->topic              = topic;
	rec->partition          = partition;
	rec->offset             = er->offset;
	rec->timestamp          = er->append_time;
	rec->producer_timestamp = er->timestamp;
	rec->key                = er->has_key ? er->key.p : NULL;
	rec->key_len            = er->has_key ? er->key.len : 0;
	rec->value              = er->has_value ? er->value.p : NULL;
	rec->value_len          = er->has_value ? er->value.len : 0;
	rec->headers            = i ? hb->v : NULL;
	rec->header_count       = i;
	return 0;
}

void
evlc_hdrs_free(evlc_hdrs *hb)
{
	evlp_free(hb->v);
	hb->v   = NULL;
	hb->cap = 0;
}
