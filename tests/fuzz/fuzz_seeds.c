/*
 * fuzz_seeds -- writes the seed corpus under tests/fuzz/corpus/: one valid
 * frame per request op for fuzz_frame, one valid body per response
 * decoder for fuzz_responses (first byte = decoder index, the order of
 * fuzz_responses.c's table), and a few batches for fuzz_batch.  Seeds
 * start the fuzzer inside every decoder instead of at the magic number.
 * The output is committed; rerun after a format change:
 *   fuzz_seeds tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "frame.h"
#include "msg.h"
#include "ops.h"

#define V(s) ((evlp_view) { (const uint8_t *) (s), sizeof(s) - 1 })

static const char *root;
static uint8_t     buf[8192];
static uint8_t     batch[1024];
static size_t      batch_len;

static void
put(const char *target, const char *name, const void *p, size_t n)
{
	char  path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
make_batch(void)
{
	evlp_batch_builder b;
	evlp_header        h[1] = { { V("trace"), V("abc") } };
	evlp_record_in r0 = { .key = "order-1", .key_len = 7, .value = "{}",
		.value_len = 2, .timestamp = 1700000000000 };
	evlp_record_in r1 = { .value = "second", .value_len = 6,
		.headers = h, .header_count = 1, .timestamp = 1700000000007 };
	evlp_record_in r2 = { .key = "order-1", .key_len = 7,
		.timestamp = 1699999999000, .attributes = EVLP_REC_SNAPSHOT };
	evlp_batch_build_init(&b, batch, sizeof(batch));
	evlp_batch_build_producer(&b, 42, 1, 100);
	if (evlp_batch_build_add(&b, &r0) || evlp_batch_build_add(&b, &r1) ||
	    evlp_batch_build_add(&b, &r2) ||
	    evlp_batch_build_finish(&b, &batch_len)) {
		fprintf(stderr, "fuzz_seeds: batch\n");
		exit(1);
	}
	evlp_batch_stamp(batch, 1000, 1700000000500);
}

/* A request frame around the body in w. */
static void
request(int op, const char *name, evlp_wr *w)
{
	uint8_t    frame[sizeof(buf) + EVLP_FRAME_SIZE];
	evlp_frame f = { EVLP_VERSION, (uint8_t) op, 0, 0, 7,
		(uint32_t) w->len };
	if (w->err) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", name,
		    evl_strerror(w->err));
		exit(1);
	}
	evlp_frame_encode(frame, &f);
	memcpy(frame + EVLP_FRAME_SIZE, w->buf, w->len);
	put("fuzz_frame", name, frame, EVLP_FRAME_SIZE + w->len);
}

/* The body in w after its decoder index. */
static void
response(int index, const char *name, evlp_wr *w)
{
	uint8_t out[sizeof(buf) + 1];
	if (w->err) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", name,
		    evl_strerror(w->err));
		exit(1);
	}
	out[0] = (uint8_t) index;
	memcpy(out + 1, w->buf, w->len);
	put("fuzz_responses", name, out, w->len + 1);
}

static evlp_wr *
fresh(evlp_wr *w)
{
	evlp_wr_init(w, buf, sizeof(buf));
	return w;
}

static void
requests(void)
{
	evlp_wr       w;
	evlp_settings s = { 0 };
	evlp_settings_set(&s, EVLP_SET_RETENTION_MS, 86400000);
	evlp_settings_set(&s, EVLP_SET_KEY_INDEX, 1);

	request(EVLP_OP_PING, "ping", fresh(&w));
	evlp_produce_req_encode(fresh(&w),
	    &(evlp_produce_req) { V("orders"), 1, EVLP_ACKS_WRITTEN,
	        EVLP_VERSION_ANY, 5000, { batch, batch_len } });
	request(EVLP_OP_PRODUCE, "produce", &w);
	evlp_fetch_req_encode(fresh(&w), 30000, 1 << 20, 2);
	evlp_fetch_part_encode(
	    &w, &(evlp_fetch_part) { V("orders"), 0, 1000, 65536 });
	evlp_fetch_part_encode(
	    &w, &(evlp_fetch_part) { V("audit"), 3, 0, 65536 });
	request(EVLP_OP_FETCH, "fetch", &w);
	evlp_list_offsets_encode(fresh(&w), 2);
	evlp_offset_query_encode(
	    &w, &(evlp_offset_query) { V("orders"), 0, EVLP_TIME_LATEST });
	evlp_offset_query_encode(
	    &w, &(evlp_offset_query) { V("orders"), 1, 1700000000000 });
	request(EVLP_OP_LIST_OFFSETS, "list_offsets", &w);
	evlp_name_req_encode(fresh(&w), &(evlp_name_req) { V("ord*") });
	request(EVLP_OP_LIST_TOPICS, "list_topics", &w);
	evlp_topic_req_encode(
	    fresh(&w), &(evlp_topic_req) { V("orders"), 8, s });
	request(EVLP_OP_CREATE_TOPIC, "create_topic", &w);
	evlp_name_req_encode(fresh(&w), &(evlp_name_req) { V("orders") });
	request(EVLP_OP_DESCRIBE_TOPIC, "describe_topic", &w);
	evlp_commit_req_encode(fresh(&w), V("billing"), 3, V("m-1"), 1);
	evlp_commit_entry_encode(
	    &w, &(evlp_commit_entry) { V("orders"), 0, 1003, V("") });
	request(EVLP_OP_COMMIT_OFFSETS, "commit_offsets", &w);
	evlp_fetch_offsets_req_encode(fresh(&w), V("billing"), 1);
	evlp_topic_partition_encode(
	    &w, &(evlp_topic_partition) { V("orders"), 0 });
	request(EVLP_OP_FETCH_OFFSETS, "fetch_offsets", &w);
	evlp_join_req_encode(fresh(&w),
	    &(evlp_join_req) { .group = V("billing"), .member = V(""),
	        .client_id = V("svc"), .session_timeout_ms = 10000,
	        .rebalance_timeout_ms = 30000, .count = 2 });
	evlp_subscription_encode(
	    &w, &(evlp_subscription) { EVLP_SUB_TOPIC, V("orders") });
	evlp_subscription_encode(
	    &w, &(evlp_subscription) { EVLP_SUB_GLOB, V("audit.*") });
	request(EVLP_OP_JOIN_GROUP, "join_group", &w);
	evlp_member_req_encode(
	    fresh(&w), &(evlp_member_req) { V("billing"), V("m-1"), 3 });
	request(EVLP_OP_HEARTBEAT, "heartbeat", &w);
	evlp_auth_start_encode(fresh(&w),
	    &(evlp_auth_msg) { V("SCRAM-SHA-256"), V("n,,n=u,r=abc") });
	request(EVLP_OP_AUTH_START, "auth_start", &w);
	evlp_auth_data_encode(
	    fresh(&w), &(evlp_auth_msg) { V(""), V("c=biws,r=abc,p=x") });
	request(EVLP_OP_AUTH_FINISH, "auth_finish", &w);
	evlp_acl_rule_encode(fresh(&w),
	    &(evlp_acl_rule) { V("bob"), EVLP_RES_TOPIC, V("orders-*"),
	        EVLP_ACL_WRITE, EVLP_ACL_ALLOW });
	request(EVLP_OP_ACL_ADD, "acl_add", &w);
	evlp_acl_filter_encode(fresh(&w),
	    &(evlp_acl_filter) { V("bob"), EVLP_RES_TOPIC, V("") });
	request(EVLP_OP_ACL_LIST, "acl_list", &w);
	evlp_read_stream_req_encode(fresh(&w),
	    &(evlp_read_stream_req) { V("acct"), V("acct-42"), 3, 0, 100,
	        65536, 500 });
	request(EVLP_OP_READ_STREAM, "read_stream", &w);
	evlp_stream_info_req_encode(
	    fresh(&w), &(evlp_stream_req) { V("acct"), V("acct-42"), -1, 0 });
	request(EVLP_OP_STREAM_INFO, "stream_info", &w);
	evlp_delete_stream_req_encode(
	    fresh(&w), &(evlp_stream_req) { V("acct"), V("acct-42"), 7, 1 });
	request(EVLP_OP_DELETE_STREAM, "delete_stream", &w);
}

static void
responses(void)
{
	evlp_wr          w;
	evlp_topic_entry t = { V("orders"), 2, { 0 } };
	evlp_settings_set(&t.settings, EVLP_SET_RETENTION_BYTES, -1);

	evlp_error_body_encode(fresh(&w),
	    &(evlp_error_body) { V("unknown topic \"x\""), 0 });
	response(0, "error_body", &w);
	evlp_ping_resp_encode(
	    fresh(&w), &(evlp_ping_resp) { 1, V("evlogd 0.1.0") });
	response(1, "ping", &w);
	evlp_produce_resp_encode(
	    fresh(&w), &(evlp_produce_resp) { 1000, 1700000000500, 3, -1 });
	response(2, "produce", &w);
	evlp_fetch_resp_encode(fresh(&w), 2);
	evlp_fetch_resp_part_encode(&w,
	    &(evlp_fetch_resp_part) { V("orders"), 0, 0, 0, 1003,
	        { batch, batch_len } });
	evlp_fetch_resp_part_encode(&w,
	    &(evlp_fetch_resp_part) { V("audit"), 3, EVL_ENOPART, 0, 0,
	        { NULL, 0 } });
	response(3, "fetch", &w);
	evlp_list_offsets_encode(fresh(&w), 1);
	evlp_offset_answer_encode(
	    &w, &(evlp_offset_answer) { V("orders"), 0, 0, 1003 });
	response(4, "list_offsets", &w);
	evlp_topic_list_encode(fresh(&w), 1);
	evlp_topic_entry_encode(&w, &t);
	response(5, "topic_list", &w);
	evlp_topic_desc_encode(fresh(&w), &t, 1);
	evlp_partition_state_encode(
	    &w, &(evlp_partition_state) { 0, 0, 1003, 1003, 65536 });
	response(6, "topic_desc", &w);
	evlp_commit_resp_encode(fresh(&w), 1);
	evlp_commit_result_encode(
	    &w, &(evlp_offset_entry) { V("orders"), 0, 0, 0, V("") });
	response(7, "commit", &w);
	evlp_fetch_offsets_resp_encode(fresh(&w), 1);
	evlp_offset_entry_encode(
	    &w, &(evlp_offset_entry) { V("orders"), 0, 0, 1003, V("m") });
	response(8, "fetch_offsets", &w);
	evlp_join_resp_encode(
	    fresh(&w), &(evlp_join_resp) { 3, V("m-1"), 3000, 1, { 0 } });
	evlp_topic_partition_encode(
	    &w, &(evlp_topic_partition) { V("orders"), 0 });
	response(9, "join", &w);
	evlp_group_list_encode(fresh(&w), 1);
	evlp_group_entry_encode(
	    &w, &(evlp_group_entry) { V("billing"), V("stable"), 1 });
	response(10, "group_list", &w);
	evlp_group_desc_encode(fresh(&w), V("billing"), V("stable"), 3, 1);
	evlp_group_member_encode(
	    &w, &(evlp_group_member) { V("m-1"), V("svc"), 1, { 0 } });
	evlp_topic_partition_encode(
	    &w, &(evlp_topic_partition) { V("orders"), 0 });
	evlp_group_desc_partitions_encode(&w, 1);
	evlp_group_partition_encode(&w,
	    &(evlp_group_partition) { V("orders"), 0, V("m-1"), 1003, 1003 });
	response(11, "group_desc", &w);
	evlp_auth_data_encode(
	    fresh(&w), &(evlp_auth_msg) { V(""), V("r=abc,s=c2FsdA==,i=4096") });
	response(12, "auth", &w);
	static const uint8_t hdrs[] = { 1, 'a', 1, '1' };
	evlp_read_stream_resp_encode(fresh(&w),
	    &(evlp_read_stream_resp) { 2, 9, 0, -1, 2, { 0 } });
	evlp_stream_record_encode(&w,
	    &(evlp_stream_record) { 8, 1000, 1700000000000, 0,
	        EVLP_REC_SNAPSHOT, true, V("state"), 1,
	        { hdrs, sizeof(hdrs) } });
	evlp_stream_record_encode(&w,
	    &(evlp_stream_record) { 9, 1001, 1700000000000, 0, 0, false,
	        V(""), 0, V("") });
	response(13, "read_stream", &w);
	evlp_stream_info_resp_encode(fresh(&w),
	    &(evlp_stream_info_resp) { 2, 9, 0, 8, 1001, 0 });
	response(14, "stream_info", &w);
	evlp_acl_list_encode(fresh(&w), 2);
	evlp_acl_rule_encode(&w,
	    &(evlp_acl_rule) { V("bob"), EVLP_RES_TOPIC, V("orders-*"),
	        EVLP_ACL_READ | EVLP_ACL_DESCRIBE, EVLP_ACL_ALLOW });
	evlp_acl_rule_encode(&w,
	    &(evlp_acl_rule) { V("*"), EVLP_RES_CLUSTER, V("*"), EVLP_ACL_ALL,
	        EVLP_ACL_DENY });
	response(15, "acl_list", &w);
}

static void
batches(void)
{
	uint8_t two[sizeof(batch) * 2];
	put("fuzz_batch", "batch", batch, batch_len);
	memcpy(two, batch, batch_len);
	memcpy(two + batch_len, batch, batch_len);
	put("fuzz_batch", "two_batches", two, 2 * batch_len);

	evlp_batch_builder b;
	evlp_record_in     r = { .value = "v", .value_len = 1 };
	size_t             n;
	evlp_batch_build_init(&b, two, sizeof(two));
	if (evlp_batch_build_add(&b, &r) || evlp_batch_build_finish(&b, &n)) {
		fprintf(stderr, "fuzz_seeds: small batch\n");
		exit(1);
	}
	put("fuzz_batch", "one_record", two, n);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
		return 2;
	}
	root = argv[1];
	make_batch();
	requests();
	responses();
	batches();
	return 0;
}
