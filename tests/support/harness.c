/*
 * harness.c -- the test harness (harness.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "batch.h"
#include "harness.h"
#include "msg.h"
#include "ops.h"

uint64_t
evlt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

bool
evlt_wait_until(bool (*cond)(void *arg), void *arg, uint32_t timeout_ms)
{
	uint64_t until = evlt_now_ms() + timeout_ms;
	for (;;) {
		if (cond(arg))
			return true;
		if (evlt_now_ms() >= until)
			return false;
		/* Polling a condition, not synchronizing on time. */
		nng_msleep(1);
	}
}

int
evlt_tmpdir(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");
	if (t == NULL || t[0] == '\0')
		t = "/tmp";
	if ((size_t) snprintf(buf, len, "%s/evlt-XXXXXX", t) >= len)
		return -1;
	return mkdtemp(buf) != NULL ? 0 : -1;
}

void
evlt_rmrf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR           *d = opendir(path);
		struct dirent *e;
		while (d != NULL && (e = readdir(d)) != NULL) {
			char sub[1024];
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			evlt_rmrf(sub);
		}
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

int
evlt_broker_start(
    struct evlt_broker *tb, const char *data_dir, const char *const *args)
{
	char *argv[64];
	char *envp[] = { NULL };
	char  err[256];
	int   argc = 0, rv;
	bool  listen = false;

	memset(tb, 0, sizeof(*tb));
	if (evlt_tmpdir(tb->dir, sizeof(tb->dir)) != 0)
		return EVL_EIO;
	if (data_dir != NULL)
		snprintf(tb->data, sizeof(tb->data), "%s", data_dir);
	else
		snprintf(tb->data, sizeof(tb->data), "%s/data", tb->dir);
	for (size_t i = 0; args != NULL && args[i] != NULL; i++)
		if (strcmp(args[i], "--listen") == 0)
			listen = true;

	argv[argc++] = "evlogd";
	argv[argc++] = "--data";
	argv[argc++] = tb->data;
	argv[argc++] = "--http";
	argv[argc++] = "off";
	if (!listen) {
		argv[argc++] = "--listen";
		argv[argc++] = "tcp://127.0.0.1:0";
	}
	for (size_t i = 0; args != NULL && args[i] != NULL && argc < 63; i++)
		argv[argc++] = (char *) args[i];
	argv[argc] = NULL;

	evld_config_init(&tb->cfg);
	rv = evld_config_parse(&tb->cfg, argc, argv, envp, err, sizeof(err));
	if (rv != 0) {
		fprintf(stderr, "harness: config: %s\n", err);
		evlt_rmrf(tb->dir);
		return rv;
	}
	if ((rv = evld_broker_start(&tb->b, &tb->cfg)) != 0) {
		evld_config_fini(&tb->cfg);
		evlt_rmrf(tb->dir);
		return rv;
	}
	tb->url = evld_broker_url(tb->b, 0);
	return 0;
}

void
evlt_broker_stop(struct evlt_broker *tb, bool keep)
{
	if (tb->b != NULL)
		evld_broker_stop(tb->b);
	tb->b   = NULL;
	tb->url = NULL;
	evld_config_fini(&tb->cfg);
	if (!keep && tb->dir[0] != '\0')
		evlt_rmrf(tb->dir);
}

int
evlt_req_open(
    nng_socket *s, const char *url, uint32_t timeout_ms, const char *tls_ca)
{
	nng_dialer      d;
	nng_tls_config *tls = NULL;
	int             rv;

	if ((rv = nng_req0_open(s)) != 0)
		return rv;
	nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, (nng_duration) timeout_ms);
	nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, (nng_duration) timeout_ms);
	nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 0);
	if ((rv = nng_dialer_create(&d, *s, url)) != 0)
		goto fail;
	(void) nng_dialer_set_size(d, NNG_OPT_RECVMAXSZ, 0);
	if (tls_ca != NULL) {
		if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0 ||
		    (rv = nng_tls_config_ca_file(tls, tls_ca)) != 0 ||
		    (rv = nng_tls_config_server_name(tls, "localhost")) != 0 ||
		    (rv = nng_tls_config_auth_mode(
		         tls, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
		    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0)
			goto fail;
		nng_tls_config_free(tls); /* the dialer holds a reference */
		tls = NULL;
	}
	if ((rv = nng_dialer_start(d, 0)) != 0)
		goto fail;
	return 0;
fail:
	if (tls != NULL)
		nng_tls_config_free(tls);
	nng_close(*s);
	return rv;
}

void
evlt_resp_free(evlt_resp *r)
{
	if (r->msg != NULL)
		nng_msg_free(r->msg);
	memset(r, 0, sizeof(*r));
}

int
evlt_call_raw(nng_socket s, const void *bytes, size_t len, nng_msg **out)
{
	nng_msg *m;
	int      rv;
	if ((rv = nng_msg_alloc(&m, 0)) != 0)
		return rv;
	if (len > 0 && (rv = nng_msg_append(m, bytes, len)) != 0) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_sendmsg(s, m, 0)) != 0) {
		nng_msg_free(m);
		return rv;
	}
	return nng_recvmsg(s, out, 0);
}

int
evlt_call(nng_socket s, uint8_t op, uint32_t id, const void *body,
    size_t len, evlt_resp *out)
{
	nng_msg   *m;
	evlp_frame f = { EVLP_VERSION, op, 0, 0, id, (uint32_t) len };
	uint8_t    hdr[EVLP_FRAME_SIZE];
	int        rv;

	memset(out, 0, sizeof(*out));
	evlp_frame_encode(hdr, &f);
	if ((rv = nng_msg_alloc(&m, 0)) != 0)
		return rv;
	if ((rv = nng_msg_append(m, hdr, sizeof(hdr))) != 0 ||
	    (len > 0 && (rv = nng_msg_append(m, body, len)) != 0)) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_sendmsg(s, m, 0)) != 0) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_recvmsg(s, &out->msg, 0)) != 0)
		return rv;
	if (evlp_frame_decode(nng_msg_body(out->msg), nng_msg_len(out->msg),
	        &out->frame, &out->body) != 0 ||
	    !(out->frame.flags & EVLP_FLAG_RESPONSE) ||
	    out->frame.op != op || out->frame.id != id) {
		evlt_resp_free(out);
		return -1;
	}
	return 0;
}

const char *
evlt_errmsg(const evlt_resp *r, char *buf, size_t len)
{
	evlp_error_body eb;
	buf[0] = '\0';
	if (r->frame.status != 0 && evlp_error_body_decode(r->body, &eb) == 0)
		snprintf(buf, len, "%.*s", (int) eb.message.len,
		    (const char *) eb.message.p);
	return buf;
}

size_t
evlt_batch(void *buf, size_t cap, uint32_t n, size_t value_len)
{
	evlp_batch_builder b;
	uint8_t            value[4096];
	size_t             size;

	if (value_len > sizeof(value))
		return 0;
	evlp_batch_build_init(&b, buf, cap);
	for (uint32_t i = 0; i < n; i++) {
		char           key[16];
		evlp_record_in rec;
		memset(value, (int) (i & 0xff), value_len);
		snprintf(key, sizeof(key), "k%u", i);
		memset(&rec, 0, sizeof(rec));
		rec.key       = key;
		rec.key_len   = strlen(key);
		rec.value     = value;
		rec.value_len = value_len;
		rec.timestamp = 1;
		if (evlp_batch_build_add(&b, &rec) != 0)
			return 0;
	}
	if (evlp_batch_build_finish(&b, &size) != 0)
		return 0;
	return size;
}

size_t
evlt_produce_body(void *buf, size_t cap, const char *topic,
    uint32_t partition, uint8_t acks, const void *batch, size_t batch_len)
{
	evlp_wr          w;
	evlp_produce_req m;
	m.topic.p          = (const uint8_t *) topic;
	m.topic.len        = strlen(topic);
	m.partition        = partition;
	m.acks             = acks;
	m.expected_version = EVLP_VERSION_ANY;
	m.timeout_ms       = 10000;
	m.batch.p          = batch;
	m.batch.len        = batch_len;
	evlp_wr_init(&w, buf, cap);
	evlp_produce_req_encode(&w, &m);
	return w.err ? 0 : w.len;
}

size_t
evlt_fetch_body(void *buf, size_t cap, uint32_t max_wait_ms,
    uint32_t max_bytes, const char *topic, uint32_t partition,
    uint64_t offset, uint32_t part_max_bytes)
{
	evlp_wr         w;
	evlp_fetch_part p;
	p.topic.p   = (const uint8_t *) topic;
	p.topic.len = strlen(topic);
	p.partition = partition;
	p.offset    = offset;
	p.max_bytes = part_max_bytes;
	evlp_wr_init(&w, buf, cap);
	evlp_fetch_req_encode(&w, max_wait_ms, max_bytes, 1);
	evlp_fetch_part_encode(&w, &p);
	return w.err ? 0 : w.len;
}

size_t
evlt_create_topic_body(
    void *buf, size_t cap, const char *topic, uint32_t partitions)
{
	evlp_wr        w;
	evlp_topic_req m;
	memset(&m, 0, sizeof(m));
	m.name.p     = (const uint8_t *) topic;
	m.name.len   = strlen(topic);
	m.partitions = partitions;
	evlp_wr_init(&w, buf, cap);
	evlp_topic_req_encode(&w, &m);
	return w.err ? 0 : w.len;
}

int
evlt_create_topic(nng_socket s, const char *topic, uint32_t partitions)
{
	uint8_t   body[512];
	evlt_resp r;
	size_t    n = evlt_create_topic_body(body, sizeof(body), topic, partitions);
	int       status;
	if (n == 0 || evlt_call(s, EVLP_OP_CREATE_TOPIC, 1, body, n, &r) != 0)
		return -1;
	status = r.frame.status;
	evlt_resp_free(&r);
	return status;
}

int
evlt_produce(nng_socket s, const char *topic, uint32_t partition,
    uint8_t acks, uint32_t n, size_t value_len, uint64_t *base)
{
	size_t    cap   = 64 + (size_t) n * (value_len + 32);
	uint8_t  *batch = malloc(cap);
	uint8_t  *body  = malloc(cap + 512);
	size_t    blen, len;
	evlt_resp r;
	int       status = -1;

	if (batch == NULL || body == NULL)
		goto out;
	if ((blen = evlt_batch(batch, cap, n, value_len)) == 0)
		goto out;
	len = evlt_produce_body(body, cap + 512, topic, partition, acks, batch, blen);
	if (len == 0 || evlt_call(s, EVLP_OP_PRODUCE, 2, body, len, &r) != 0)
		goto out;
	status = r.frame.status;
	if (status == 0 && base != NULL) {
		evlp_produce_resp pr;
		if (evlp_produce_resp_decode(r.body, &pr) != 0)
			status = -1;
		else
			*base = pr.base_offset;
	}
	evlt_resp_free(&r);
out:
	free(batch);
	free(body);
	return status;
}

int
evlt_fetch(nng_socket s, const char *topic, uint32_t partition,
    uint64_t offset, uint32_t max_wait_ms, uint32_t max_bytes,
    evlt_fetch_result *out)
{
	uint8_t              body[512];
	evlt_resp            r;
	evlp_fetch_resp      fr;
	evlp_fetch_resp_part p;
	size_t               n;

	memset(out, 0, sizeof(*out));
	n = evlt_fetch_body(body, sizeof(body), max_wait_ms, max_bytes, topic,
	    partition, offset, max_bytes);
	if (n == 0 || evlt_call(s, EVLP_OP_FETCH, 3, body, n, &r) != 0)
		return -1;
	out->status = r.frame.status;
	if (out->status != 0) {
		evlt_resp_free(&r);
		return 0;
	}
	if (evlp_fetch_resp_decode(r.body, &fr) != 0 || fr.count != 1 ||
	    !evlp_fetch_resp_next(&fr, &p)) {
		evlt_resp_free(&r);
		return -1;
	}
	out->error        = p.error;
	out->first_offset = p.first_offset;
	out->next_offset  = p.next_offset;
	out->bytes        = p.batches.len;
	evlp_rd        rd;
	evlp_view      batch;
	evlp_batch_hdr hdr;
	evlp_rd_init(&rd, p.batches.p, p.batches.len);
	while (evlp_batches_next(&rd, &batch, &hdr)) {
		out->batches++;
		out->records += hdr.count;
	}
	evlt_resp_free(&r);
	return rd.err ? -1 : 0;
}

int64_t
evlt_head(nng_socket s, const char *topic, uint32_t partition)
{
	uint8_t            body[512];
	evlp_wr            w;
	evlp_offset_query  q;
	evlp_list_offsets  lo;
	evlp_offset_answer a;
	evlt_resp          r;
	int64_t            head = -1;

	q.topic.p   = (const uint8_t *) topic;
	q.topic.len = strlen(topic);
	q.partition = partition;
	q.timestamp = EVLP_TIME_LATEST;
	evlp_wr_init(&w, body, sizeof(body));
	evlp_list_offsets_encode(&w, 1);
	evlp_offset_query_encode(&w, &q);
	if (w.err ||
	    evlt_call(s, EVLP_OP_LIST_OFFSETS, 4, body, w.len, &r) != 0)
		return -1;
	if (r.frame.status == 0 &&
	    evlp_list_offsets_resp_decode(r.body, &lo) == 0 &&
	    evlp_list_offsets_resp_next(&lo, &a) && a.error == 0)
		head = (int64_t) a.offset;
	evlt_resp_free(&r);
	return head;
}
