/*
 * Crash test: a child process appends with fsync ALWAYS and reports each
 * acknowledged batch (base offset, count) down a pipe; the parent kills it
 * with SIGKILL after a random number of acknowledgements, reopens the
 * store, and checks that every acknowledged record is there at its offset
 * and that offsets are dense.  Three rounds on one store, so recovery
 * also runs on a store that recovered before.
 */
#include "storage_testutil.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define CHILD_THREADS 2
#define DEADLINE_MS   60000

typedef struct ack {
	uint64_t base;
	uint64_t count;
} ack;

static int child_fd;

static void *
child_appender(void *arg)
{
	evls_store *s = arg;
	for (uint32_t i = 0;; i++) {
		uint32_t    n = 1 + i % 50;
		size_t      len;
		evls_append a = { .topic = "t", .partition = 0 };
		a.batch       = tu_batch(n, 100, i, &len);
		a.len         = len;
		if (evls_append_wait(s, &a) != 0)
			_exit(3);
		ack k = { a.base_offset, n };
		/* 16 bytes: atomic on a pipe. */
		if (write(child_fd, &k, sizeof(k)) != sizeof(k))
			_exit(4);
		evlp_free(a.batch);
	}
	return NULL;
}

static void
child_main(const char *dir, int fd)
{
	evls_options o;
	evls_store  *s;
	pthread_t    th[CHILD_THREADS];
	evls_options_init(&o);
	o.dir    = dir;
	o.fsync  = EVLS_FSYNC_ALWAYS;
	child_fd = fd;
	if (evls_store_open(&s, &o) != 0)
		_exit(2);
	for (int i = 0; i < CHILD_THREADS; i++)
		pthread_create(&th[i], NULL, child_appender, s);
	for (;;)
		pause(); /* until SIGKILL */
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads one ack, waiting until the deadline; false at EOF. */
static bool
read_ack(int fd, ack *k, int64_t deadline)
{
	size_t got = 0;
	while (got < sizeof(*k)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t       left = deadline - now_ms();
		cr_assert_gt(left, 0, "no acknowledgement before the deadline");
		cr_assert_geq(poll(&p, 1, (int) left), 0);
		ssize_t r = read(fd, (char *) k + got, sizeof(*k) - got);
		if (r == 0)
			return false;
		if (r > 0)
			got += (size_t) r;
	}
	return true;
}

typedef struct seen {
	uint64_t *bases;
	uint64_t *counts;
	size_t    n, cap;
} seen;

static int
collect_sink(void *arg, const uint8_t *b, size_t len)
{
	seen          *sn = arg;
	evlp_batch_hdr h;
	evl_assert_ok(evlp_batch_check(b, len, &h));
	if (sn->n == sn->cap) {
		sn->cap    = sn->cap ? 2 * sn->cap : 1024;
		sn->bases  = realloc(sn->bases, sizeof(uint64_t) * sn->cap);
		sn->counts = realloc(sn->counts, sizeof(uint64_t) * sn->cap);
	}
	sn->bases[sn->n]  = h.base_offset;
	sn->counts[sn->n] = h.count;
	sn->n++;
	return 0;
}

/* Finds the stored batch that starts at base (bases are sorted). */
static ssize_t
find_base(const seen *sn, uint64_t base)
{
	size_t lo = 0, hi = sn->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sn->bases[mid] < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sn->n && sn->bases[lo] == base ? (ssize_t) lo : -1;
}

static void
one_round(const char *dir, unsigned round)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_main(dir, fds[1]);
	}
	close(fds[1]);

	srand((unsigned) getpid() * 31 + round);
	size_t   want = 20 + (size_t) (rand() % 300);
	size_t   cap  = 4096, n = 0;
	ack     *acks = malloc(sizeof(ack) * cap);
	int64_t  deadline = now_ms() + DEADLINE_MS;
	while (n < want) {
		cr_assert(read_ack(fds[0], &acks[n], deadline),
		    "child exited early");
		n++;
	}
	kill(pid, SIGKILL);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "child died on its own (status %d)", status);
	/* Acks written before the kill are still in the pipe. */
	for (;;) {
		if (n == cap) {
			cap *= 2;
			acks = realloc(acks, sizeof(ack) * cap);
		}
		if (!read_ack(fds[0], &acks[n], deadline))
			break;
		n++;
	}
	close(fds[0]);

	evls_store *s  = tu_open(dir, EVLS_FSYNC_ALWAYS);
	seen        sn = { 0 };
	evls_partition_info info;
	evl_assert_ok(
	    evls_read(s, "t", 0, 0, SIZE_MAX, collect_sink, &sn, &info));
	/* Dense from 0 up to the head. */
	uint64_t next = 0;
	for (size_t i = 0; i < sn.n; i++) {
		cr_assert_eq(sn.bases[i], next, "gap or overlap at %llu",
		    (unsigned long long) next);
		next += sn.counts[i];
	}
	cr_assert_eq(next, info.next_offset);
	for (size_t i = 0; i < n; i++) {
		ssize_t at = find_base(&sn, acks[i].base);
		cr_assert_geq(at, 0, "acknowledged batch at %llu lost",
		    (unsigned long long) acks[i].base);
		cr_assert_eq(sn.counts[at], acks[i].count);
	}
	evls_store_close(s);
	free(sn.bases);
	free(sn.counts);
	free(acks);
}

Test(crash, sigkill_loses_no_acknowledged_record, .timeout = 300)
{
	char       *dir = tu_mkdtemp();
	evls_store *s   = tu_open(dir, EVLS_FSYNC_ALWAYS);
	tu_create(s, "t", 1);
	evls_store_close(s);
	for (unsigned round = 0; round < 3; round++)
		one_round(dir, round);
	tu_rmdir(dir);
}
