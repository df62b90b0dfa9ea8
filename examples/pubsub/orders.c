/*
 * orders -- the publishing side of the pub/sub example: an order service
 * that places N orders and publishes one OrderPlaced event per order to
 * the `orders` topic (created with 4 partitions if missing).
 *
 *   orders [-b URL] [N]
 *
 * Each event is keyed by its order id, so every event of one order lands
 * on one partition, in order; its value is a small JSON document and its
 * `type` header names the event, so consumers can route without parsing.
 * The batching producer sends them; the program exits 0 only when every
 * event is acknowledged by the broker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evlog/evlog.h>

static void
on_delivery(void *arg, const evl_delivery *d)
{
	int *failed = arg;
	if (d->err != 0) {
		fprintf(stderr, "orders: event not stored: %s\n",
		    evl_strerror(d->err));
		(*failed)++;
	}
}

int
main(int argc, char **argv)
{
	evl_client_opts   co;
	evl_producer_opts po;
	evl_client       *c;
	evl_producer     *p;
	evl_topic_config  tc;
	long              n = 10;
	int               failed = 0, rv, ai = 1;

	evl_client_opts_init(&co);
	if (argc > 2 && strcmp(argv[1], "-b") == 0) {
		co.url = argv[2];
		ai     = 3;
	}
	if (ai < argc && (n = strtol(argv[ai], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: orders [-b URL] [N]\n");
		return 2;
	}
	if ((rv = evl_client_open(&c, &co)) != 0) {
		fprintf(stderr, "orders: cannot connect: %s\n", evl_strerror(rv));
		return 1;
	}
	evl_topic_config_init(&tc);
	tc.partitions = 4;
	rv = evl_topic_create(c, "orders", &tc);
	if (rv != 0 && rv != EVL_ETOPICEXISTS) {
		fprintf(stderr, "orders: cannot create the topic: %s\n",
		    evl_strerror(rv));
		evl_client_close(c);
		return 1;
	}
	evl_producer_opts_init(&po);
	po.on_delivery     = on_delivery;
	po.on_delivery_arg = &failed;
	if ((rv = evl_producer_open(&p, c, &po)) != 0) {
		fprintf(stderr, "orders: %s\n", evl_strerror(rv));
		evl_client_close(c);
		return 1;
	}
	const evl_header type = { "type", 4, "OrderPlaced", 11 };
	for (long i = 1; i <= n && rv == 0; i++) {
		char        id[32], value[160];
		evl_message m;
		snprintf(id, sizeof(id), "order-%ld", i);
		int len = snprintf(value, sizeof(value),
		    "{\"order_id\":\"%s\",\"customer\":\"customer-%ld\","
		    "\"items\":%ld,\"total_cents\":%ld}",
		    id, i % 17, 1 + i % 5, 1000 + (i * 37) % 9000);
		memset(&m, 0, sizeof(m));
		m.topic        = "orders";
		m.partition    = EVL_PARTITION_ANY; /* by key */
		m.key          = id;
		m.key_len      = strlen(id);
		m.value        = value;
		m.value_len    = (size_t) len;
		m.headers      = &type;
		m.header_count = 1;
		rv             = evl_produce(p, &m);
	}
	if (rv == 0)
		rv = evl_producer_flush(p, 30000);
	evl_producer_close(p);
	evl_client_close(c);
	if (rv != 0 || failed > 0) {
		fprintf(stderr, "orders: publishing failed: %s\n",
		    evl_strerror(rv ? rv : EVL_EIO));
		return 1;
	}
	printf("orders: placed %ld orders\n", n);
	return 0;
}
