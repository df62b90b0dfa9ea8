/*
 * metrics.c -- see metrics.h.
 *
 * Families and their series are singly linked lists in registration
 * order, guarded by the registry mutex; series never move or go away
 * before evld_metrics_free, which is what lets the request path keep raw
 * pointers to them and update without a lock.  A series stores its label
 * set already rendered and escaped (op="produce"), so rendering is
 * string concatenation and registration's duplicate check is a strcmp.
 *
 * Rendering goes through the same writer the collectors use: every
 * family, static or emitted, becomes one group with its own text buffer,
 * and the groups are concatenated at the end.  That is what keeps the
 * samples of a family together when collectors interleave them.
 */
#include <evlog/evlog.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "metrics.h"

#define MAX_BOUNDS 32

struct evld_histogram {
	const uint64_t  *bounds; /* the family's */
	size_t           nbounds;
	_Atomic uint64_t sum_us;
	_Atomic uint64_t buckets[]; /* nbounds + 1, not cumulative */
};

struct series {
	struct series *next;
	char          *labels; /* rendered, escaped; "" for none */
	union {
		evld_counter    c;
		evld_gauge      g;
		evld_histogram *h;
	} u;
};

struct family {
	struct family        *next;
	char                 *name;
	char                 *help;
	enum evld_metric_type type;
	char                 *label_names; /* "op,error"; "" for none */
	uint64_t              bounds[MAX_BOUNDS];
	size_t                nbounds;
	struct series        *series;
	struct series       **series_tail;
};

struct collector {
	struct collector       *next;
	evld_metrics_collect_fn fn;
	void                   *arg;
};

struct evld_metrics {
	pthread_mutex_t   mtx;
	struct family    *families;
	struct family   **families_tail;
	struct collector *collectors;
};

/* A growable string; an allocation failure is sticky (err). */
struct sbuf {
	char  *p;
	size_t len;
	size_t cap;
	int    err;
};

static void
sb_reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char  *p;

	if (b->err != 0 || b->len + n + 1 <= b->cap)
		return;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = evlp_realloc(b->p, cap)) == NULL) {
		b->err = EVL_ENOMEM;
		return;
	}
	b->p   = p;
	b->cap = cap;
}

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->err != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void
sb_u64(struct sbuf *b, uint64_t v)
{
	char num[24];
	int  n = snprintf(num, sizeof(num), "%llu", (unsigned long long) v);
	sb_put(b, num, (size_t) n);
}

static void
sb_i64(struct sbuf *b, int64_t v)
{
	char num[24];
	int  n = snprintf(num, sizeof(num), "%lld", (long long) v);
	sb_put(b, num, (size_t) n);
}

/* Microseconds as exact decimal seconds: 50 -> 0.00005, 2000000 -> 2. */
static void
sb_seconds(struct sbuf *b, uint64_t us)
{
	char     frac[8];
	unsigned f = (unsigned) (us % 1000000);
	int      n;

	sb_u64(b, us / 1000000);
	if (f == 0)
		return;
	n = snprintf(frac, sizeof(frac), ".%06u", f);
	while (frac[n - 1] == '0')
		n--;
	sb_put(b, frac, (size_t) n);
}

/* Escapes for HELP text (\ and newline) or label values (also "). */
static void
sb_escaped(struct sbuf *b, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			sb_puts(b, "\\\\");
		else if (*s == '\n')
			sb_puts(b, "\\n");
		else if (*s == '"' && quote)
			sb_puts(b, "\\\"");
		else
			sb_put(b, s, 1);
	}
}

static void
sb_free(struct sbuf *b)
{
	evlp_free(b->p);
	b->p   = NULL;
	b->len = b->cap = 0;
}

static bool
name_ok(const char *s, bool metric)
{
	if (metric && strncmp(s, "evlog_", 6) != 0)
		return false;
	if (!metric && strncmp(s, "__", 2) == 0)
		return false; /* reserved by Prometheus */
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	        *s == '_'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' ||
		        (metric && *s == ':')))
			return false;
	return true;
}

/*
 * labels_render turns { "op", "produce", NULL } into names "op" and
 * text op="produce".  Both sbufs must be empty; on error the caller
 * frees them.  A histogram may not use the label "le".
 */
static int
labels_render(const char *const *labels, bool histogram, struct sbuf *names,
    struct sbuf *text)
{
	sb_puts(names, "");
	sb_puts(text, "");
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2) {
		if (labels[i + 1] == NULL || !name_ok(labels[i], false) ||
		    (histogram && strcmp(labels[i], "le") == 0))
			return EVL_EINVAL;
		if (i > 0) {
			sb_puts(names, ",");
			sb_puts(text, ",");
		}
		sb_puts(names, labels[i]);
		sb_puts(text, labels[i]);
		sb_puts(text, "=\"");
		sb_escaped(text, labels[i + 1], true);
		sb_puts(text, "\"");
	}
	return names->err != 0 ? names->err : text->err;
}

int
evld_metrics_alloc(evld_metrics **out)
{
	evld_metrics *m;

	if (EVLP_ALLOC_STRUCT(m) == NULL)
		return EVL_ENOMEM;
	if (pthread_mutex_init(&m->mtx, NULL) != 0) {
		evlp_free(m);
		return EVL_ENOMEM;
	}
	m->families_tail = &m->families;
	*out             = m;
	return 0;
}

static void
family_free(struct family *f)
{
	struct series *s;

	while ((s = f->series) != NULL) {
		f->series = s->next;
		if (f->type == EVLD_METRIC_HISTOGRAM)
			evlp_free(s->u.h);
		evlp_free(s->labels);
		evlp_free(s);
	}
	evlp_free(f->name);
	evlp_free(f->help);
	evlp_free(f->label_names);
	evlp_free(f);
}

void
evld_metrics_free(evld_metrics *m)
{
	struct family    *f;
	struct collector *c;

	if (m == NULL)
		return;
	while ((f = m->families) != NULL) {
		m->families = f->next;
		family_free(f);
	}
	while ((c = m->collectors) != NULL) {
		m->collectors = c->next;
		evlp_free(c);
	}
	pthread_mutex_destroy(&m->mtx);
	evlp_free(m);
}

/* Finds or creates the family; call with m->mtx held. */
static int
family_get(evld_metrics *m, struct family **out, const char *name,
    const char *help, enum evld_metric_type type, const char *label_names,
    const uint64_t *bounds, size_t nbounds)
{
	struct family *f;

	for (f = m->families; f != NULL; f = f->next) {
		if (strcmp(f->name, name) != 0)
			continue;
		if (f->type != type || strcmp(f->help, help) != 0 ||
		    strcmp(f->label_names, label_names) != 0 ||
		    f->nbounds != nbounds ||
		    (nbounds > 0 &&
		        memcmp(f->bounds, bounds, nbounds * sizeof(*bounds)) !=
		            0))
			return EVL_EINVAL;
		*out = f;
		return 0;
	}
	if (EVLP_ALLOC_STRUCT(f) == NULL)
		return EVL_ENOMEM;
	f->type        = type;
	f->series_tail = &f->series;
	f->nbounds     = nbounds;
	if (nbounds > 0)
		memcpy(f->bounds, bounds, nbounds * sizeof(*bounds));
	if ((f->name = evlp_strdup(name)) == NULL ||
	    (f->help = evlp_strdup(help)) == NULL ||
	    (f->label_names = evlp_strdup(label_names)) == NULL) {
		family_free(f);
		return EVL_ENOMEM;
	}
	*m->families_tail = f;
	m->families_tail  = &f->next;
	*out              = f;
	return 0;
}

/* Finds or creates one series of a family; call with m->mtx held. */
static int
series_get(struct family *f, struct series **out, const char *labels)
{
	struct series *s;

	for (s = f->series; s != NULL; s = s->next) {
		if (strcmp(s->labels, labels) == 0) {
			*out = s;
			return 0;
		}
	}
	if (EVLP_ALLOC_STRUCT(s) == NULL)
		return EVL_ENOMEM;
	if ((s->labels = evlp_strdup(labels)) == NULL)
		goto fail;
	if (f->type == EVLD_METRIC_HISTOGRAM) {
		size_t sz = sizeof(*s->u.h) +
		    (f->nbounds + 1) * sizeof(s->u.h->buckets[0]);
		if ((s->u.h = evlp_zalloc(sz)) == NULL)
			goto fail;
		s->u.h->bounds  = f->bounds;
		s->u.h->nbounds = f->nbounds;
	}
	*f->series_tail = s;
	f->series_tail  = &s->next;
	*out            = s;
	return 0;
fail:
	evlp_free(s->labels);
	evlp_free(s);
	return EVL_ENOMEM;
}

static int
metric_register(evld_metrics *m, struct series **out, const char *name,
    const char *help, enum evld_metric_type type, const char *const *labels,
    const uint64_t *bounds, size_t nbounds)
{
	struct sbuf    names = { 0 };
	struct sbuf    text  = { 0 };
	struct family *f;
	struct series *s;
	int            rv;

	if (!name_ok(name, true) || help == NULL)
		return EVL_EINVAL;
	rv = labels_render(
	    labels, type == EVLD_METRIC_HISTOGRAM, &names, &text);
	if (rv == 0) {
		pthread_mutex_lock(&m->mtx);
		rv = family_get(
		    m, &f, name, help, type, names.p, bounds, nbounds);
		if (rv == 0)
			rv = series_get(f, &s, text.p);
		pthread_mutex_unlock(&m->mtx);
	}
	sb_free(&names);
	sb_free(&text);
	if (rv == 0)
		*out = s;
	return rv;
}

int
evld_metrics_counter(evld_metrics *m, evld_counter **out, const char *name,
    const char *help, const char *const *labels)
{
	struct series *s;
	int            rv = metric_register(
            m, &s, name, help, EVLD_METRIC_COUNTER, labels, NULL, 0);
	if (rv == 0)
		*out = &s->u.c;
	return rv;
}

int
evld_metrics_gauge(evld_metrics *m, evld_gauge **out, const char *name,
    const char *help, const char *const *labels)
{
	struct series *s;
	int            rv = metric_register(
            m, &s, name, help, EVLD_METRIC_GAUGE, labels, NULL, 0);
	if (rv == 0)
		*out = &s->u.g;
	return rv;
}

int
evld_metrics_histogram(evld_metrics *m, evld_histogram **out,
    const char *name, const char *help, const char *const *labels,
    const uint64_t *bounds_us, size_t nbounds)
{
	static const uint64_t latency[] = { EVLD_LATENCY_BUCKETS_US };
	struct series        *s;
	int                   rv;

	if (bounds_us == NULL) {
		bounds_us = latency;
		nbounds   = sizeof(latency) / sizeof(latency[0]);
	}
	if (nbounds == 0 || nbounds > MAX_BOUNDS)
		return EVL_EINVAL;
	for (size_t i = 1; i < nbounds; i++)
		if (bounds_us[i] <= bounds_us[i - 1])
			return EVL_EINVAL;
	rv = metric_register(m, &s, name, help, EVLD_METRIC_HISTOGRAM, labels,
	    bounds_us, nbounds);
	if (rv == 0)
		*out = s->u.h;
	return rv;
}

void
evld_histogram_observe(evld_histogram *h, uint64_t us)
{
	size_t i = 0;

	if (h == NULL)
		return;
	while (i < h->nbounds && us > h->bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

int
evld_metrics_collector_add(
    evld_metrics *m, evld_metrics_collect_fn fn, void *arg)
{
	struct collector *c, **tail;

	if (EVLP_ALLOC_STRUCT(c) == NULL)
		return EVL_ENOMEM;
	c->fn  = fn;
	c->arg = arg;
	pthread_mutex_lock(&m->mtx);
	for (tail = &m->collectors; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	pthread_mutex_unlock(&m->mtx);
	return 0;
}

int
evld_metrics_collector_remove(
    evld_metrics *m, evld_metrics_collect_fn fn, void *arg)
{
	struct collector *c = NULL, **pp;

	pthread_mutex_lock(&m->mtx);
	for (pp = &m->collectors; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->fn == fn && (*pp)->arg == arg) {
			c   = *pp;
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&m->mtx);
	evlp_free(c);
	return c != NULL ? 0 : EVL_ENOTFOUND;
}

/* One family's group in the output: its header and its sample lines. */
struct group {
	struct group         *next;
	char                 *name;
	char                 *help;
	enum evld_metric_type type;
	struct sbuf           body;
};

struct evld_metrics_writer {
	struct group  *groups;
	struct group **tail;
	struct group  *cur; /* selected family, NULL: none */
	int            err; /* EVL_ENOMEM, fails the render */
};

static int
writer_nomem(evld_metrics_writer *w)
{
	w->err = EVL_ENOMEM;
	w->cur = NULL;
	return EVL_ENOMEM;
}

static int
writer_family(evld_metrics_writer *w, const char *name, const char *help,
    enum evld_metric_type type)
{
	struct group *g;

	w->cur = NULL;
	if (!name_ok(name, true) || help == NULL)
		return EVL_EINVAL;
	for (g = w->groups; g != NULL; g = g->next) {
		if (strcmp(g->name, name) == 0) {
			if (g->type != type)
				return EVL_EINVAL;
			w->cur = g;
			return 0;
		}
	}
	if (EVLP_ALLOC_STRUCT(g) == NULL)
		return writer_nomem(w);
	g->type = type;
	if ((g->name = evlp_strdup(name)) == NULL ||
	    (g->help = evlp_strdup(help)) == NULL) {
		evlp_free(g->name);
		evlp_free(g);
		return writer_nomem(w);
	}
	*w->tail = g;
	w->tail  = &g->next;
	w->cur   = g;
	return 0;
}

int
evld_metrics_write_family(evld_metrics_writer *w, const char *name,
    const char *help, enum evld_metric_type type)
{
	if (type != EVLD_METRIC_COUNTER && type != EVLD_METRIC_GAUGE) {
		w->cur = NULL;
		return EVL_EINVAL;
	}
	return writer_family(w, name, help, type);
}

/* Starts a sample line: name{labels} with an optional extra label. */
static void
sample_start(struct sbuf *b, const char *name, const char *suffix,
    const char *labels, const char *le_label, uint64_t le_us, bool inf)
{
	sb_puts(b, name);
	sb_puts(b, suffix);
	if (labels[0] == '\0' && le_label == NULL) {
		sb_puts(b, " ");
		return;
	}
	sb_puts(b, "{");
	sb_puts(b, labels);
	if (le_label != NULL) {
		if (labels[0] != '\0')
			sb_puts(b, ",");
		sb_puts(b, "le=\"");
		if (inf)
			sb_puts(b, "+Inf");
		else
			sb_seconds(b, le_us);
		sb_puts(b, "\"");
	}
	sb_puts(b, "} ");
}

/* How write_sample renders its value. */
enum sample_kind { SAMPLE_U64, SAMPLE_I64, SAMPLE_SECONDS };

static int
write_sample(evld_metrics_writer *w, const char *const *labels,
    enum sample_kind kind, uint64_t u, int64_t i)
{
	struct sbuf names = { 0 };
	struct sbuf text  = { 0 };
	struct sbuf *b;
	int          rv;

	if (w->err != 0)
		return w->err;
	if (w->cur == NULL)
		return EVL_EINVAL;
	rv = labels_render(labels, false, &names, &text);
	if (rv == 0) {
		b = &w->cur->body;
		sample_start(b, w->cur->name, "", text.p, NULL, 0, false);
		if (kind == SAMPLE_I64)
			sb_i64(b, i);
		else if (kind == SAMPLE_SECONDS)
			sb_seconds(b, u);
		else
			sb_u64(b, u);
		sb_puts(b, "\n");
		if (b->err != 0)
			rv = writer_nomem(w);
	} else if (rv == EVL_ENOMEM) {
		writer_nomem(w);
	}
	sb_free(&names);
	sb_free(&text);
	return rv;
}

int
evld_metrics_write_u64(
    evld_metrics_writer *w, const char *const *labels, uint64_t v)
{
	return write_sample(w, labels, SAMPLE_U64, v, 0);
}

int
evld_metrics_write_i64(
    evld_metrics_writer *w, const char *const *labels, int64_t v)
{
	return write_sample(w, labels, SAMPLE_I64, 0, v);
}

/* quotas: throttle time is a counter of seconds, rendered exactly. */
int
evld_metrics_write_seconds(
    evld_metrics_writer *w, const char *const *labels, uint64_t us)
{
	return write_sample(w, labels, SAMPLE_SECONDS, us, 0);
}

static void
histogram_render(struct sbuf *b, const char *name, struct series *s)
{
	evld_histogram *h     = s->u.h;
	uint64_t        total = 0;

	/* _count is the sum of the buckets as read here, so that the +Inf
	 * bucket always equals it even while observations race the read. */
	for (size_t i = 0; i <= h->nbounds; i++) {
		total += atomic_load_explicit(
		    &h->buckets[i], memory_order_relaxed);
		sample_start(b, name, "_bucket", s->labels, "le",
		    i < h->nbounds ? h->bounds[i] : 0, i == h->nbounds);
		sb_u64(b, total);
		sb_puts(b, "\n");
	}
	sample_start(b, name, "_sum", s->labels, NULL, 0, false);
	sb_seconds(b, atomic_load_explicit(&h->sum_us, memory_order_relaxed));
	sb_puts(b, "\n");
	sample_start(b, name, "_count", s->labels, NULL, 0, false);
	sb_u64(b, total);
	sb_puts(b, "\n");
}

/* Renders the registered families into w; call with m->mtx held. */
static void
registry_render(evld_metrics *m, evld_metrics_writer *w)
{
	for (struct family *f = m->families; f != NULL; f = f->next) {
		if (writer_family(w, f->name, f->help, f->type) != 0)
			return; /* only ENOMEM: names were checked */
		struct sbuf *b = &w->cur->body;
		for (struct series *s = f->series; s != NULL; s = s->next) {
			if (f->type == EVLD_METRIC_HISTOGRAM) {
				histogram_render(b, f->name, s);
				continue;
			}
			sample_start(b, f->name, "", s->labels, NULL, 0, false);
			if (f->type == EVLD_METRIC_COUNTER)
				sb_u64(b, evld_counter_get(&s->u.c));
			else
				sb_i64(b, evld_gauge_get(&s->u.g));
			sb_puts(b, "\n");
		}
		if (b->err != 0) {
			writer_nomem(w);
			return;
		}
	}
}

static const char *const type_names[] = { "counter", "gauge", "histogram" };

int
evld_metrics_render(evld_metrics *m, char **out, size_t *len)
{
	evld_metrics_writer w   = { NULL, NULL, NULL, 0 };
	struct sbuf         all = { 0 };
	struct group       *g;

	w.tail = &w.groups;
	pthread_mutex_lock(&m->mtx);
	registry_render(m, &w);
	for (struct collector *c = m->collectors; c != NULL && w.err == 0;
	     c = c->next) {
		w.cur = NULL;
		c->fn(c->arg, &w);
	}
	pthread_mutex_unlock(&m->mtx);

	sb_puts(&all, "");
	while ((g = w.groups) != NULL) {
		w.groups = g->next;
		if (g->body.len > 0) {
			sb_puts(&all, "# HELP ");
			sb_puts(&all, g->name);
			sb_puts(&all, " ");
			sb_escaped(&all, g->help, false);
			sb_puts(&all, "\n# TYPE ");
			sb_puts(&all, g->name);
			sb_puts(&all, " ");
			sb_puts(&all, type_names[g->type]);
			sb_puts(&all, "\n");
			sb_put(&all, g->body.p, g->body.len);
		}
		sb_free(&g->body);
		evlp_free(g->name);
		evlp_free(g->help);
		evlp_free(g);
	}
	if (w.err != 0 || all.err != 0) {
		sb_free(&all);
		return EVL_ENOMEM;
	}
	*out = all.p;
	*len = all.len;
	return 0;
}

/* The standard set. */

int
evld_broker_metrics_init(struct evld_broker_metrics *bm, evld_metrics *m,
    const char *(*op_name)(int op))
{
	static const char *const dir_in[]  = { "direction", "in", NULL };
	static const char *const dir_out[] = { "direction", "out", NULL };
	size_t                   rows      = 1;
	int                      rv;

	memset(bm, 0, sizeof(*bm));
	bm->m       = m;
	bm->op_name = op_name;
	for (int op = 0; op < EVLD_METRICS_MAX_OP; op++) {
		const char *name = op_name(op);
		const char *labels[] = { "op", name, NULL };

		if (name == NULL)
			continue;
		if (rows > UINT8_MAX)
			return EVL_EINVAL;
		bm->op_row[op] = (uint8_t) rows++;
		if ((rv = evld_metrics_counter(m, &bm->requests[op],
		         "evlog_requests_total",
		         "Requests received, by operation.", labels)) != 0)
			return rv;
	}
	if ((rv = evld_metrics_counter(m, &bm->records_in,
	         "evlog_records_total",
	         "Records appended (in) and served to readers (out).",
	         dir_in)) != 0 ||
	    (rv = evld_metrics_counter(m, &bm->records_out,
	         "evlog_records_total",
	         "Records appended (in) and served to readers (out).",
	         dir_out)) != 0 ||
	    (rv = evld_metrics_counter(m, &bm->bytes_in, "evlog_bytes_total",
	         "Record batch bytes appended (in) and served (out).",
	         dir_in)) != 0 ||
	    (rv = evld_metrics_counter(m, &bm->bytes_out, "evlog_bytes_total",
	         "Record batch bytes appended (in) and served (out).",
	         dir_out)) != 0 ||
	    (rv = evld_metrics_gauge(m, &bm->fetch_waiters,
	         "evlog_fetch_waiters",
	         "Long-poll fetches parked, waiting for records.", NULL)) !=
	        0 ||
	    (rv = evld_metrics_counter(m, &bm->retention_records,
	         "evlog_retention_removed_records_total",
	         "Records removed by retention.", NULL)) != 0 ||
	    (rv = evld_metrics_counter(m, &bm->retention_bytes,
	         "evlog_retention_removed_bytes_total",
	         "Bytes removed by retention.", NULL)) != 0 ||
	    (rv = evld_metrics_histogram(m, &bm->store_write,
	         "evlog_store_write_seconds",
	         "Time to write one group of appends to the store.", NULL,
	         NULL, 0)) != 0)
		return rv;
	/* Access control: evlog_denied_total{op} and evlog_acl_rules. */
	static const char *const acl_ops[] = { "read", "write", "create",
		"delete", "describe", "alter" };
	for (unsigned i = 0; i < 6; i++) {
		const char *labels[] = { "op", acl_ops[i], NULL };
		if ((rv = evld_metrics_counter(m, &bm->denied[i],
		         "evlog_denied_total",
		         "Requests denied by access control, by operation.",
		         labels)) != 0)
			return rv;
	}
	if ((rv = evld_metrics_gauge(m, &bm->acl_rules, "evlog_acl_rules",
	         "Access-control rules in force.", NULL)) != 0)
		return rv;
	/* Authentication (security, part A). */
	{
		static const char *const ok[]     = { "result", "ok", NULL };
		static const char *const failed[] = { "result", "failed", NULL };
		if ((rv = evld_metrics_counter(m, &bm->auth_ok,
		         "evlog_auth_total",
		         "Authentications, by result (SCRAM logins and "
		         "certificate-mapped connections).",
		         ok)) != 0 ||
		    (rv = evld_metrics_counter(m, &bm->auth_failed,
		         "evlog_auth_total",
		         "Authentications, by result (SCRAM logins and "
		         "certificate-mapped connections).",
		         failed)) != 0)
			return rv;
	}
	/* Part C (issue 8): connections and limits. */
	if ((rv = evld_metrics_gauge(m, &bm->connections, "evlog_connections",
	         "Client connections (pipes) open.", NULL)) != 0)
		return rv;
	for (size_t i = 0; i < EVLD_METRICS_LIMITS; i++) {
		/* The order of enum evld_limit (limit.h). */
		static const char *const names[EVLD_METRICS_LIMITS] = {
			"connections", "topics", "partitions", "record_bytes",
			"groups" };
		const char *labels[] = { "limit", names[i], NULL };
		if ((rv = evld_metrics_counter(m, &bm->limit_hits[i],
		         "evlog_limit_hits_total",
		         "Connections and requests refused by a --max-* limit.",
		         labels)) != 0)
			return rv;
	}
	bm->errors = evlp_zalloc(rows * sizeof(*bm->errors));
	return bm->errors != NULL ? 0 : EVL_ENOMEM;
}

void
evld_broker_metrics_fini(struct evld_broker_metrics *bm)
{
	evlp_free((void *) bm->errors);
	bm->errors = NULL;
}

void
evld_broker_metrics_denied(struct evld_broker_metrics *bm, unsigned op)
{
	for (unsigned i = 0; i < 6; i++)
		if (op == 1u << i)
			evld_counter_inc(bm->denied[i]);
}

static evld_counter *
error_register(struct evld_broker_metrics *bm, int op, int err)
{
	const char   *name = NULL;
	evld_counter *c;

	if ((unsigned) op < EVLD_METRICS_MAX_OP && bm->op_row[op] != 0)
		name = bm->op_name(op);
	const char *labels[] = { "op", name != NULL ? name : "unknown",
		"error", evl_errname(err), NULL };
	if (evld_metrics_counter(bm->m, &c, "evlog_request_errors_total",
	        "Requests that failed, by operation and error.",
	        labels) != 0)
		return NULL; /* out of memory: this error goes uncounted */
	return c;
}

void
evld_broker_metrics_error(struct evld_broker_metrics *bm, int op, int err)
{
	size_t                    row = 0;
	_Atomic(evld_counter *) *slot;
	evld_counter             *c;

	if (err < 0 || err >= EVLD_METRICS_MAX_ERR) {
		/* Not cached: rare by construction (not in EVL_ERRORS). */
		evld_counter_inc(error_register(bm, op, err));
		return;
	}
	if ((unsigned) op < EVLD_METRICS_MAX_OP)
		row = bm->op_row[op];
	slot = &bm->errors[row][err];
	c    = atomic_load_explicit(slot, memory_order_acquire);
	if (c == NULL) {
		/* Two threads may both register: registration is
		 * idempotent, so they store the same pointer. */
		c = error_register(bm, op, err);
		atomic_store_explicit(slot, c, memory_order_release);
	}
	evld_counter_inc(c);
}
