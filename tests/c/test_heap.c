/*
 * test_heap.c - unit tests for the zmm heap (zmm_heap.c): every allocation path, every detected
 * misuse, the hooks and every function of zmm_heap.h.
 *
 * Every test runs once per storage provider (malloc, mmap_anon, mmap_zero), each in a child process;
 * ZMM_TEST_STORAGE=name restricts the run to one provider, argv[1] to one test, and
 * ZMM_TEST_NOFORK=1 runs the tests in-process. The tests observe the heap through its
 * public statistics and through the block layout that zmm_heap.h documents (LP64): a block is a
 * 16-byte header {size|flags, prev_size|flags} followed by the payload; segments start with
 * ZMM_HEAP_SEGMENT_HDR_SIZE bytes of header and end with a 16-byte guard.
 */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zmm_heap.h"
#include "zmm_storage.h"
#include "zmm_test.h"

#define KB      ((size_t)1024)
#define SEG64   (64 * KB)
#define SEG256  (256 * KB)
#define SEGHDR  ((size_t)ZMM_HEAP_SEGMENT_HDR_SIZE)
#define HDR     ((size_t)ZMM_HEAP_HDR_SIZE)
#define GUARD   ((size_t)16)
#define SEG_OVERHEAD (SEGHDR + GUARD)
#define CACHE_DEF ((size_t)ZMM_HEAP_CACHE_DEFAULT)
#define NOLIM   ZMM_HEAP_NO_LIMIT

static const char *g_storage = "malloc";

/* Under AddressSanitizer the heap poisons block headers, free blocks and the bytes after each
 * request (unless built with ZMM_NO_ANNOTATIONS), and then realloc always moves the block. The tests
 * read and damage headers through the raw accessors below, which ASan does not instrument, and
 * expect the in-place realloc paths only when the heap does not annotate. */
#if defined(__SANITIZE_ADDRESS__)
# define TEST_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TEST_ASAN 1
# endif
#endif
#ifdef TEST_ASAN
# define NOASAN __attribute__((no_sanitize_address, noinline))
#else
# define NOASAN __attribute__((noinline))
#endif
#if defined(TEST_ASAN) && !defined(ZMM_NO_ANNOTATIONS)
# define HEAP_ANNOTATED 1
#else
# define HEAP_ANNOTATED 0
#endif
#ifdef ZMM_NO_ANNOTATIONS
# define PROG_NAME "test_heap_noann"
#else
# define PROG_NAME "test_heap"
#endif

NOASAN static size_t raw_word(const void *a) { return *(const volatile size_t *)a; }
NOASAN static void raw_set_word(void *a, size_t v) { *(volatile size_t *)a = v; }
NOASAN static void raw_xor(void *a, unsigned char v) { *(volatile unsigned char *)a ^= v; }
NOASAN static void raw_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;
	while (n--) {
		*d++ = *s++;
	}
}

/* ------------------------------------------------------------------------------------------------
 * Layout helpers
 * ---------------------------------------------------------------------------------------------- */

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }
/* The true size of a request as documented (LP64, no protection). */
static size_t tsize(size_t n) { return n <= 16 ? 32 : align8(n + 16); }
/* The same with protection on. */
static size_t tsize_prot(size_t n)
{
	size_t t = align8(n + 16 + ZMM_HEAP_PROTECTION_EXTRA);
	return t < 32 ? 32 : t;
}
static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }
/* The size recorded in the header of the block whose payload is p. */
static size_t blk(const void *p) { return raw_word((const char *)p - 16) & ~(size_t)7; }
/* The segment holding p (NULL if none). */
static char *segof(zmm_storage_t *st, const void *p) { return (char *)zmm_storage_find(st, p); }
/* The usable size of a fresh standard segment. */
static size_t usable(size_t seg) { return seg - SEG_OVERHEAD; }
/* The largest request that still fits a standard segment. */
static size_t max_nonhuge(size_t seg) { return usable(seg) - HDR; }
/* The segment size a huge request gets. */
static size_t huge_seg(size_t seg, size_t n) { return round_up(tsize(n) + SEG_OVERHEAD, seg); }

static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;
	size_t i;
	for (i = 0; i < n; i++) {
		c[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8) * 13u + 1u);
	}
}

static int verify(const void *p, size_t n, unsigned seed)
{
	const unsigned char *c = p;
	size_t i;
	for (i = 0; i < n; i++) {
		if (c[i] != (unsigned char)(seed * 131u + i * 7u + (i >> 8) * 13u + 1u)) {
			fprintf(stderr, "  pattern mismatch at byte %zu of %zu (seed %u)\n", i, n, seed);
			return 0;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------------------------------------
 * Hooks
 * ---------------------------------------------------------------------------------------------- */

typedef struct hook_log {
	/* error hook */
	int      errors;
	int      fatal;
	zmm_heap_error_t last;            /* strings point into op/msg below */
	char     op[32];
	char     msg[1024];
	jmp_buf *jb;                      /* armed: a fatal error longjmps here */
	/* limit hook */
	int      limit_calls;
	zmm_heap_limit_action_t limit_answer;
	size_t   limit_request, limit_needed, limit_cached, limit_check_errors, limit_real_size;
	/* oom hook */
	int      oom_calls;
	size_t   oom_request, oom_needed, oom_check_errors;
} hook_log;

static size_t heap_check(const zmm_heap_t *h);

static void hook_error(void *ctx, zmm_heap_t *heap, const zmm_heap_error_t *e)
{
	hook_log *l = ctx;
	(void)heap;
	l->errors++;
	l->last = *e;
	snprintf(l->op, sizeof l->op, "%s", e->operation ? e->operation : "(null)");
	snprintf(l->msg, sizeof l->msg, "%s", e->message ? e->message : "(null)");
	l->last.operation = l->op;
	l->last.message = l->msg;
	if (e->fatal) {
		l->fatal++;
		fprintf(stderr, "  %s: fatal heap error (kind %d): %s\n", zmm_test_current, (int)e->kind, l->msg);
		if (l->jb) {
			longjmp(*l->jb, 1);
		}
	}
}

static zmm_heap_limit_action_t hook_limit(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	hook_log *l = ctx;
	zmm_heap_summary_t s;
	l->limit_calls++;
	l->limit_request = request;
	l->limit_needed = needed;
	zmm_heap_summary(heap, &s);
	l->limit_cached = s.cached;
	l->limit_real_size = s.real_size;
	l->limit_check_errors = heap_check(heap);
	return l->limit_answer;
}

static void hook_oom(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	hook_log *l = ctx;
	l->oom_calls++;
	l->oom_request = request;
	l->oom_needed = needed;
	l->oom_check_errors = heap_check(heap);
}

/* ------------------------------------------------------------------------------------------------
 * Fixture: one storage of g_storage's provider, one heap, hooks that log.
 * ---------------------------------------------------------------------------------------------- */

typedef struct fx {
	zmm_storage_t    st;
	int              st_ok;
	zmm_heap_t      *h;
	hook_log         log;
	zmm_heap_hooks_t hooks;
} fx;

static int fx_storage(fx *f, size_t seg, size_t pool)
{
	const zmm_storage_handlers_t *hd;
	memset(f, 0, sizeof *f);
	f->hooks.ctx = &f->log;
	f->hooks.error = hook_error;
	f->hooks.limit = hook_limit;
	f->hooks.oom = hook_oom;
	f->log.limit_answer = ZMM_LIMIT_FAIL;
	hd = zmm_storage_lookup(g_storage);
	if (hd == NULL) {
		fprintf(stderr, "  unknown storage %s\n", g_storage);
		return -1;
	}
	if (zmm_storage_init(&f->st, hd, seg, pool) != 0) {
		fprintf(stderr, "  zmm_storage_init(%s, %zu) failed\n", g_storage, seg);
		return -1;
	}
	f->st_ok = 1;
	return 0;
}

static zmm_heap_t *fx_heap(fx *f, size_t cache, int prot, size_t limit)
{
	zmm_heap_options_t o;
	zmm_heap_options_default(&o);
	o.cache_limit = cache;
	o.protection = prot;
	o.limit = limit;
	o.refill = 0;       /* one block per miss: the exact layouts below; t_refill covers refills */
	o.size_classes = 0; /* exact sizes: the layouts below; t_medium_classes covers the classes */
	return zmm_heap_create(&f->st, &o, &f->hooks);
}

static int fx_open(fx *f, size_t seg, size_t pool, size_t cache, int prot)
{
	if (fx_storage(f, seg, pool) != 0) {
		return -1;
	}
	f->h = fx_heap(f, cache, prot, NOLIM);
	return f->h ? 0 : -1;
}

static void fx_close(fx *f)
{
	if (f->h) {
		zmm_heap_destroy(f->h);
		f->h = NULL;
	}
	if (f->st_ok) {
		ZMM_CHECK_EQ(f->st.segments, 0);
		zmm_storage_destroy(&f->st);
		f->st_ok = 0;
	}
}

static zmm_heap_summary_t S(const zmm_heap_t *h)
{
	zmm_heap_summary_t s;
	memset(&s, 0, sizeof s);
	zmm_heap_summary(h, &s);
	return s;
}

/* The end of a test that freed everything: once the cache is flushed, no segment may be left. */
static void fx_close_empty(fx *f)
{
	zmm_heap_flush_cache(f->h);
	ZMM_CHECK_EQ(S(f->h).segments, 0);
	fx_close(f);
}


static zmm_heap_counters_t C(const zmm_heap_t *h)
{
	zmm_heap_counters_t c;
	memset(&c, 0, sizeof c);
	zmm_heap_counters(h, &c);
	return c;
}

/* zmm_heap_check messages */
#define MAX_MSGS 16
typedef struct msgs {
	size_t n;
	char   m[MAX_MSGS][512];
} msgs;

static void msgs_cb(void *ctx, const char *message)
{
	msgs *b = ctx;
	if (b->n < MAX_MSGS) {
		snprintf(b->m[b->n], sizeof b->m[0], "%s", message ? message : "(null)");
	}
	b->n++;
}

/* Runs zmm_heap_check and prints what it found; returns the error count. */
static size_t heap_check(const zmm_heap_t *h)
{
	msgs b;
	zmm_heap_check_result_t r;
	size_t n, i;
	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);
	n = zmm_heap_check(h, msgs_cb, &b, &r);
	if (n != 0) {
		fprintf(stderr, "  zmm_heap_check: %zu error(s) (%zu segments, %zu blocks)\n", n, r.segments, r.blocks);
		for (i = 0; i < b.n && i < MAX_MSGS; i++) {
			fprintf(stderr, "    %s\n", b.m[i]);
		}
	}
	if (r.errors != n) {
		fprintf(stderr, "  zmm_heap_check: out->errors %zu != return %zu\n", r.errors, n);
		n += 1000;
	}
	return n;
}

#define CHECK_OK(h) ZMM_CHECK_EQ(heap_check(h), 0)

/* Full stats of one heap; the caller frees. */
static int stats(const zmm_heap_t *h, zmm_heap_stats_t *st)
{
	memset(st, 0, sizeof *st);
	return zmm_heap_stats(h, st, 0);
}

/* The large class entry with min_size m, or NULL. */
static const zmm_large_stats_t *large_class(const zmm_heap_stats_t *st, size_t m)
{
	size_t i;
	for (i = 0; i < st->large_classes && i < ZMM_HEAP_NUM_BUCKETS; i++) {
		if (st->large[i].min_size == m) {
			return &st->large[i];
		}
	}
	return NULL;
}

static size_t large_free_blocks(const zmm_heap_stats_t *st, size_t m)
{
	const zmm_large_stats_t *c = large_class(st, m);
	return c ? c->free_blocks : 0;
}

/* Row 0 of the stats (the newest segment). */
static zmm_segment_stats_t row0(const zmm_heap_t *h)
{
	zmm_heap_stats_t st;
	zmm_segment_stats_t r;
	memset(&r, 0, sizeof r);
	if (stats(h, &st) == 0 && st.segment_count > 0) {
		r = st.segments[0];
	}
	zmm_heap_stats_free(&st);
	return r;
}

/* Whether s contains the decimal or hex spelling of v. */
static int mentions(const char *s, size_t v)
{
	char d[32], x[32], X[32];
	snprintf(d, sizeof d, "%zu", v);
	snprintf(x, sizeof x, "0x%zx", v);
	snprintf(X, sizeof X, "0x%zX", v);
	return strstr(s, d) != NULL || strstr(s, x) != NULL || strstr(s, X) != NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Options, introspection
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_options_and_introspection)
{
	fx f;
	zmm_heap_options_t o;
	const zmm_heap_options_t *go;
	zmm_heap_summary_t s;
	zmm_heap_t *h2;

	memset(&o, 0x5a, sizeof o);
	zmm_heap_options_default(&o);
	ZMM_CHECK_EQ(o.cache_limit, CACHE_DEF);
	ZMM_CHECK_EQ(o.protection, 0);
	ZMM_CHECK_EQ(o.limit, NOLIM);
	ZMM_CHECK_EQ(o.refill, 1);
	ZMM_CHECK_EQ(o.size_classes, 1);
	ZMM_CHECK_EQ(ZMM_HEAP_MAX_SMALL_REQUEST, 520);
	ZMM_CHECK_EQ(ZMM_HEAP_MAX_SMALL_BLOCK, 544);
	ZMM_CHECK_EQ(ZMM_HEAP_MIN_BLOCK, 32);
	ZMM_CHECK_EQ(SEGHDR % 16, 0);

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	/* NULL options and hooks: defaults */
	f.h = zmm_heap_create(&f.st, NULL, NULL);
	ZMM_REQUIRE(f.h != NULL);
	ZMM_CHECK(zmm_heap_storage(f.h) == &f.st);
	go = zmm_heap_get_options(f.h);
	ZMM_REQUIRE(go != NULL);
	ZMM_CHECK_EQ(go->cache_limit, CACHE_DEF);
	ZMM_CHECK_EQ(go->protection, 0);
	ZMM_CHECK_EQ(go->limit, NOLIM);
	s = S(f.h);
	ZMM_CHECK_EQ(s.size, 0);
	ZMM_CHECK_EQ(s.real_size, 0);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.segment_size, SEG256);
	ZMM_CHECK_EQ(s.cache_limit, CACHE_DEF);
	ZMM_CHECK_EQ(s.limit, NOLIM);
	ZMM_CHECK_EQ(s.protection, 0);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 0);
	CHECK_OK(f.h);

	/* explicit options are reflected */
	h2 = fx_heap(&f, 4096, 1, 10 * SEG256);
	ZMM_REQUIRE(h2 != NULL);
	go = zmm_heap_get_options(h2);
	ZMM_CHECK_EQ(go->cache_limit, 4096);
	ZMM_CHECK_EQ(go->protection, 1);
	ZMM_CHECK_EQ(go->limit, 10 * SEG256);
	s = S(h2);
	ZMM_CHECK_EQ(s.cache_limit, 4096);
	ZMM_CHECK_EQ(s.protection, 1);
	ZMM_CHECK_EQ(s.limit, 10 * SEG256);
	zmm_heap_set_limit(h2, 3 * SEG256);
	ZMM_CHECK_EQ(S(h2).limit, 3 * SEG256);
	zmm_heap_set_limit(h2, NOLIM);
	ZMM_CHECK_EQ(S(h2).limit, NOLIM);
	CHECK_OK(h2);
	zmm_heap_destroy(h2);

	/* destroy with live blocks gives every segment back */
	{
		void *p = zmm_heap_alloc(f.h, 100), *q = zmm_heap_alloc(f.h, 1 << 20);
		ZMM_CHECK(p != NULL && q != NULL);
		ZMM_CHECK_EQ(f.st.segments, 2);
	}
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Size classes
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_size_classes)
{
	fx f;
	zmm_heap_t *hp;
	size_t n;
	static const size_t reqs[] = { 0, 1, 8, 16, 17, 24, 25, 100, 512, 513, 519, 520, 521, 1000, 4096 };
	void *ptr[sizeof reqs / sizeof reqs[0]];
	size_t i;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	hp = fx_heap(&f, 0, 1, NOLIM);
	ZMM_REQUIRE(hp != NULL);

	/* the documented boundaries */
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 0), 32);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 1), 32);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 8), 32);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 16), 32);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 17), 40);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 24), 40);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 25), 48);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 520), 536);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 521), 544);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(32), 0);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(40), 1);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(48), 2);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(528), 62);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(536), 63);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(544), -1);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(552), -1);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(SEG256), -1);
	ZMM_CHECK_EQ(zmm_heap_bucket_index((size_t)1 << 40), -1);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(f.h, ZMM_HEAP_MAX_SMALL_REQUEST)), 63);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(f.h, ZMM_HEAP_MAX_SMALL_REQUEST + 1)), -1);

	/* every request up to well past the small limit */
	for (n = 0; n <= 2000; n++) {
		size_t t = zmm_heap_true_size(f.h, n);
		int b = zmm_heap_bucket_index(t);
		if (t != tsize(n)) {
			ZMM_CHECK_EQ(t, tsize(n));
			break;
		}
		if (b != (n <= 520 ? (int)(t / 8 - 4) : -1)) {
			ZMM_CHECK_EQ(b, (n <= 520 ? (int)(t / 8 - 4) : -1));
			break;
		}
	}
	/* every block size a bucket can have */
	for (n = 32; n < 544; n += 8) {
		ZMM_CHECK_EQ(zmm_heap_bucket_index(n), (int)(n / 8 - 4));
	}
	/* big sizes */
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, SEG256), SEG256 + 16);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, (size_t)1 << 30), ((size_t)1 << 30) + 16);

	/* protection: + ZMM_HEAP_PROTECTION_EXTRA, small requests up to 496 */
	for (n = 0; n <= 2000; n++) {
		size_t t = zmm_heap_true_size(hp, n);
		if (t != tsize_prot(n)) {
			ZMM_CHECK_EQ(t, tsize_prot(n));
			break;
		}
	}
	ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(hp, 496)), 63);
	ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(hp, 497)), -1);

	/* physical sizes: blocks carved one after another from a fresh segment (cache off) */
	for (i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		ptr[i] = zmm_heap_alloc(f.h, reqs[i]);
		ZMM_REQUIRE(ptr[i] != NULL);
		ZMM_CHECK(((uintptr_t)ptr[i] & 7) == 0);
		ZMM_CHECK_EQ(blk(ptr[i]), tsize(reqs[i]));
		ZMM_CHECK(zmm_heap_block_size(f.h, ptr[i]) >= reqs[i]);
		if (i == 0) {
			ZMM_CHECK_EQ((char *)ptr[0] - segof(&f.st, ptr[0]), SEGHDR + HDR);
		} else {
			ZMM_CHECK_EQ((char *)ptr[i] - (char *)ptr[i - 1], tsize(reqs[i - 1]));
		}
		fill(ptr[i], reqs[i], (unsigned)i);
	}
	for (i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		ZMM_CHECK(verify(ptr[i], reqs[i], (unsigned)i));
		ZMM_CHECK_EQ(zmm_heap_free(f.h, ptr[i]), ZMM_FREE_OK);
	}
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	zmm_heap_destroy(hp);
	fx_close(&f);
}

ZMM_TEST(t_bucket_stats)
{
	fx f;
	zmm_heap_stats_t st;
	size_t i;
	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	for (i = 0; i < ZMM_HEAP_NUM_BUCKETS; i++) {
		size_t bs = 32 + 8 * i;
		ZMM_CHECK_EQ(st.buckets[i].block_size, bs);
		ZMM_CHECK_EQ(st.buckets[i].max_request, bs - 16);
		ZMM_CHECK_EQ(st.buckets[i].min_request, i == 0 ? 0 : bs - 23);
		ZMM_CHECK_EQ(st.buckets[i].free_blocks, 0);
		ZMM_CHECK_EQ(st.buckets[i].cached_blocks, 0);
		/* the bounds map back to the bucket */
		ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(f.h, st.buckets[i].min_request)), (int)i);
		ZMM_CHECK_EQ(zmm_heap_bucket_index(zmm_heap_true_size(f.h, st.buckets[i].max_request)), (int)i);
	}
	ZMM_CHECK_EQ(st.segment_count, 0);
	ZMM_CHECK_EQ(st.free_blocks, 0);
	ZMM_CHECK(st.large_classes <= ZMM_HEAP_NUM_BUCKETS);
	/* classes are powers of two up to the segment size, increasing */
	for (i = 0; i < st.large_classes; i++) {
		ZMM_CHECK((st.large[i].min_size & (st.large[i].min_size - 1)) == 0);
		ZMM_CHECK(st.large[i].min_size <= SEG256);
		if (i > 0) {
			ZMM_CHECK_EQ(st.large[i].min_size, 2 * st.large[i - 1].min_size);
		}
	}
	ZMM_CHECK(large_class(&st, 1024) != NULL);
	ZMM_CHECK(large_class(&st, SEG256 / 2) != NULL);
	zmm_heap_stats_free(&st);

	/* limited stats: summary and counters only */
	ZMM_CHECK(zmm_heap_alloc(f.h, 10) != NULL);
	ZMM_REQUIRE(zmm_heap_stats(f.h, &st, 1) == 0);
	ZMM_CHECK_EQ(st.summary.segments, 1);
	ZMM_CHECK_EQ(st.counters.allocs, 1);
	ZMM_CHECK_EQ(st.segment_count, 0);
	ZMM_CHECK(st.segments == NULL);
	zmm_heap_stats_free(&st);
	fx_close(&f);
}

/* Requests at the edge of the segment size. */
ZMM_TEST(t_segment_size_edges)
{
	fx f;
	size_t seg = SEG64, nmax = max_nonhuge(SEG64);
	void *p, *q;
	zmm_heap_summary_t s;
	zmm_heap_counters_t c;
	zmm_heap_stats_t st;

	ZMM_REQUIRE(fx_open(&f, seg, 0, 0, 0) == 0);
	ZMM_CHECK_EQ(nmax, 65456);

	/* the largest request that fits a standard segment fills it exactly */
	p = zmm_heap_alloc(f.h, nmax);
	ZMM_REQUIRE(p != NULL);
	fill(p, nmax, 1);
	s = S(f.h);
	ZMM_CHECK_EQ(C(f.h).huge_allocs, 0);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.real_size, seg);
	ZMM_CHECK_EQ(s.size, usable(seg));
	ZMM_CHECK_EQ(s.free_bytes, 0);
	ZMM_CHECK_EQ(s.rest_blocks, 0);
	ZMM_CHECK_EQ(blk(p), usable(seg));
	ZMM_CHECK_EQ((char *)p - segof(&f.st, p), SEGHDR + HDR);
	CHECK_OK(f.h);

	/* one more byte is huge: a segment of its own, rounded up, the tail in the rest list */
	q = zmm_heap_alloc(f.h, nmax + 1);
	ZMM_REQUIRE(q != NULL);
	fill(q, nmax + 1, 2);
	s = S(f.h);
	c = C(f.h);
	ZMM_CHECK_EQ(c.huge_allocs, 1);
	ZMM_CHECK_EQ(s.segments, 2);
	ZMM_CHECK_EQ(s.real_size, seg + 2 * seg);
	ZMM_CHECK_EQ(blk(q), tsize(nmax + 1));
	ZMM_CHECK_EQ(s.rest_blocks, 1);
	ZMM_CHECK_EQ(s.rest_bytes, 2 * seg - SEG_OVERHEAD - tsize(nmax + 1));
	ZMM_CHECK_EQ(zmm_storage_find(&f.st, q)->size, 2 * seg);
	CHECK_OK(f.h);
	ZMM_CHECK(verify(p, nmax, 1));
	ZMM_CHECK(verify(q, nmax + 1, 2));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);

	/* 8 bytes short of a full segment: the 8-byte remainder stays with the block */
	p = zmm_heap_alloc(f.h, nmax - 8);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(blk(p), usable(seg));
	ZMM_CHECK_EQ(S(f.h).size, usable(seg));
	ZMM_CHECK_EQ(S(f.h).free_bytes, 0);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);

	/* 32 bytes short: the remainder is a minimum free block in bucket 0 */
	p = zmm_heap_alloc(f.h, nmax - 32);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(blk(p), usable(seg) - 32);
	ZMM_CHECK_EQ(S(f.h).free_bytes, 32);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.buckets[0].free_blocks, 1);
	ZMM_CHECK_EQ(st.free_blocks, 1);
	zmm_heap_stats_free(&st);
	ZMM_CHECK_EQ(blk((char *)p + blk(p)), 32);
	CHECK_OK(f.h);
	/* a 0-byte request takes exactly that block */
	q = zmm_heap_alloc(f.h, 0);
	ZMM_CHECK(q == (char *)p + blk(p));
	ZMM_CHECK_EQ(S(f.h).free_bytes, 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);

	/* a huge request whose segment is filled exactly leaves no tail */
	p = zmm_heap_alloc(f.h, 2 * seg - SEG_OVERHEAD - HDR);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(S(f.h).real_size, 2 * seg);
	ZMM_CHECK_EQ(S(f.h).rest_blocks, 0);
	ZMM_CHECK_EQ(S(f.h).free_bytes, 0);
	ZMM_CHECK_EQ(blk(p), 2 * seg - SEG_OVERHEAD);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).real_size, 0);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Split and coalesce
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_split_coalesce)
{
	fx f;
	char *P[10];
	size_t T = tsize(1000), R, i;
	zmm_segment_stats_t r;
	zmm_heap_summary_t s;
	char *q;
	size_t size0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	for (i = 0; i < 10; i++) {
		P[i] = zmm_heap_alloc(f.h, 1000);
		ZMM_REQUIRE(P[i] != NULL);
		fill(P[i], 1000, (unsigned)i);
		if (i) {
			ZMM_CHECK(P[i] == P[i - 1] + T);
		}
	}
	R = usable(SEG256) - 10 * T;
	ZMM_CHECK_EQ(blk(P[9] + T), R);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 11);
	ZMM_CHECK_EQ(r.free_blocks, 1);
	ZMM_CHECK_EQ(r.size, SEG256);
	ZMM_CHECK_EQ(r.used, 10 * T);
	ZMM_CHECK_EQ(r.free, R);
	ZMM_CHECK_EQ(r.overhead, SEG_OVERHEAD);
	ZMM_CHECK_EQ(r.largest_free_block, R);

	/* no free neighbour */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[1]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[1]), T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 11);
	ZMM_CHECK_EQ(r.free_blocks, 2);
	ZMM_CHECK_EQ(S(f.h).free_bytes, R + T);
	CHECK_OK(f.h);

	/* free previous neighbour */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[2]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[1]), 2 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 10);
	ZMM_CHECK_EQ(r.free_blocks, 2);
	CHECK_OK(f.h);

	/* free next neighbour */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[5]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[4]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[4]), 2 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 9);
	ZMM_CHECK_EQ(r.free_blocks, 3);
	CHECK_OK(f.h);

	/* both neighbours free */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[3]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[1]), 5 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 7);
	ZMM_CHECK_EQ(r.free_blocks, 2);
	ZMM_CHECK_EQ(r.free, R + 5 * T);
	ZMM_CHECK_EQ(S(f.h).free_bytes, R + 5 * T);
	CHECK_OK(f.h);

	/* next neighbour is the segment's tail */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[9]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[9]), R + T);
	/* first block of the segment, next free */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[0]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[0]), 6 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 5);
	ZMM_CHECK_EQ(r.free_blocks, 2);
	ZMM_CHECK_EQ(r.largest_free_block, R + T);
	ZMM_CHECK_EQ(S(f.h).largest_free_block, R + T);
	ZMM_CHECK(verify(P[6], 1000, 6) && verify(P[7], 1000, 7) && verify(P[8], 1000, 8));
	CHECK_OK(f.h);

	/* split: the best fit (6T) is cut, the tail stays free */
	s = S(f.h);
	size0 = s.size;
	q = zmm_heap_alloc(f.h, 1000);
	ZMM_CHECK(q == P[0]);
	ZMM_CHECK_EQ(blk(P[0]), T);
	ZMM_CHECK_EQ(blk(P[1]), 5 * T);
	ZMM_CHECK_EQ(S(f.h).size, size0 + T);
	/* a remainder below 32 bytes is not split off: the whole block is handed out and counted */
	q = zmm_heap_alloc(f.h, 5 * T - 24 - 16);
	ZMM_CHECK(q == P[1]);
	ZMM_CHECK_EQ(blk(P[1]), 5 * T);
	ZMM_CHECK_EQ(S(f.h).size, size0 + 6 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 6);
	ZMM_CHECK_EQ(r.free_blocks, 1);
	CHECK_OK(f.h);

	/* a run of frees that ends merging both sides into the tail */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[6]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[7]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[6]), 2 * T);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[8]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(P[6]), usable(SEG256) - 6 * T);
	r = row0(f.h);
	ZMM_CHECK_EQ(r.blocks, 3);
	ZMM_CHECK_EQ(r.free_blocks, 1);
	CHECK_OK(f.h);

	/* freeing the last two blocks empties the segment: it goes back at once */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[1]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, P[0]), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.real_size, 0);
	ZMM_CHECK_EQ(s.size, 0);
	ZMM_CHECK_EQ(s.free_bytes, 0);
	ZMM_CHECK_EQ(C(f.h).segments_released, 1);
	ZMM_CHECK_EQ(f.st.segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* Small free lists: FIFO, smallest non-empty bucket, split of a small block. */
ZMM_TEST(t_small_lists)
{
	fx f;
	char *a, *b, *c, *s1, *s2, *s3, *q;
	zmm_heap_stats_t st;
	zmm_heap_counters_t c0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	a = zmm_heap_alloc(f.h, 100);
	s1 = zmm_heap_alloc(f.h, 8);
	b = zmm_heap_alloc(f.h, 100);
	s2 = zmm_heap_alloc(f.h, 8);
	c = zmm_heap_alloc(f.h, 100);
	s3 = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && b && c && s1 && s2 && s3);
	ZMM_CHECK(s1 == a + 120 && b == s1 + 32 && s3 == c + 120);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.buckets[11].free_blocks, 3);
	ZMM_CHECK_EQ(st.buckets[11].cached_blocks, 0);
	ZMM_CHECK_EQ(st.free_blocks, 4); /* + the segment's tail */
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);

	/* FIFO: oldest first */
	c0 = C(f.h);
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == a);
	ZMM_CHECK(zmm_heap_alloc(f.h, 97) == b);
	ZMM_CHECK(zmm_heap_alloc(f.h, 104) == c);
	ZMM_CHECK_EQ(C(f.h).small_list_hits - c0.small_list_hits, 3);
	ZMM_CHECK_EQ(C(f.h).large_search_hits - c0.large_search_hits, 0);

	/* a smaller request takes the smallest non-empty bucket above it and splits it */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	c0 = C(f.h);
	q = zmm_heap_alloc(f.h, 50); /* 72 of 120: a 48-byte remainder */
	ZMM_CHECK(q == a);
	ZMM_CHECK_EQ(blk(a), 72);
	ZMM_CHECK_EQ(blk(a + 72), 48);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.buckets[11].free_blocks, 0);
	ZMM_CHECK_EQ(st.buckets[2].free_blocks, 1);
	zmm_heap_stats_free(&st);
	/* the 48-byte block serves a 40-byte request whole (an 8-byte remainder cannot be split) */
	q = zmm_heap_alloc(f.h, 24);
	ZMM_CHECK(q == a + 72);
	ZMM_CHECK_EQ(blk(q), 48);
	ZMM_CHECK_EQ(C(f.h).small_list_hits - c0.small_list_hits, 2);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	/* a freed small block merges with a free small neighbour */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(blk(a), 120);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s1), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s2), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s3), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Large blocks: trie best fit
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_trie_best_fit)
{
	/* free large blocks of these requests, separated by used 32-byte spacers */
	static const size_t F[] = { 2040, 2984, 2584, 3488, 2088, 2984, 2032, 1520, 4984, 5984, 4080 };
	enum { NF = sizeof F / sizeof F[0] };
	/* requests and the F index they must get (-1: the segment's tail; -2: either 3000 sibling) */
	static const struct { size_t n; int want; } Q[] = {
		{ 2088, 4 },   /* exact */
		{ 2048, 2 },   /* 2064: smallest >= is 2600 */
		{ 2032, 6 },   /* exact 2048 (class boundary) */
		{ 2984, -2 },  /* one of two same-size siblings */
		{ 2984, -2 },  /* the other */
		{ 2984, 3 },   /* no 3000 left: 3504 */
		{ 3584, 10 },  /* nothing >= 3600 in [2048,4096): the minimum of the next class */
		{ 1584, 0 },   /* 1600: the 1536 in its class is too small: 2056 from the next class */
		{ 1520, 7 },   /* exact */
		{ 4984, 8 },   /* exact 5000 */
		{ 4484, 9 },   /* 4500: 6000 */
		{ 6984, -1 },  /* 7000: only the tail fits */
	};
	fx f;
	char *sp[NF + 1], *fb[NF], *got, *tail;
	size_t i, sum = 0;
	int sib_seen[2] = { 0, 0 };
	zmm_heap_stats_t st;
	zmm_heap_counters_t c0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	for (i = 0; i < NF; i++) {
		sp[i] = zmm_heap_alloc(f.h, 8);
		fb[i] = zmm_heap_alloc(f.h, F[i]);
		ZMM_REQUIRE(sp[i] && fb[i]);
		ZMM_CHECK(fb[i] == sp[i] + 32);
		sum += tsize(F[i]) + 32;
	}
	sp[NF] = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(sp[NF] != NULL);
	tail = sp[NF] + 32;
	sum += 32;
	ZMM_CHECK_EQ(blk(tail), usable(SEG256) - sum);
	for (i = 0; i < NF; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, fb[i]), ZMM_FREE_OK);
		ZMM_CHECK_EQ(blk(fb[i]), tsize(F[i]));
	}
	CHECK_OK(f.h);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(large_free_blocks(&st, 1024), 1);
	ZMM_CHECK_EQ(large_free_blocks(&st, 2048), 7);
	ZMM_CHECK_EQ(large_free_blocks(&st, 4096), 3);
	ZMM_CHECK_EQ(large_free_blocks(&st, 131072), 1);
	ZMM_CHECK(large_class(&st, 2048) && large_class(&st, 2048)->free_bytes == 2056 + 3000 + 2600 + 3504 + 2104 + 3000 + 2048);
	ZMM_CHECK_EQ(st.free_blocks, NF + 1);
	zmm_heap_stats_free(&st);

	c0 = C(f.h);
	for (i = 0; i < sizeof Q / sizeof Q[0]; i++) {
		got = zmm_heap_alloc(f.h, Q[i].n);
		ZMM_REQUIRE(got != NULL);
		if (Q[i].want == -1) {
			if (got != tail) {
				fprintf(stderr, "  query %zu (%zu): expected the tail\n", i, Q[i].n);
			}
			ZMM_CHECK(got == tail);
		} else if (Q[i].want == -2) {
			int k = got == fb[1] ? 0 : got == fb[5] ? 1 : -1;
			ZMM_CHECK(k >= 0);
			if (k >= 0) {
				ZMM_CHECK(!sib_seen[k]);
				sib_seen[k] = 1;
			}
		} else {
			if (got != fb[Q[i].want]) {
				size_t j;
				for (j = 0; j < NF && got != fb[j]; j++) {
				}
				fprintf(stderr, "  query %zu (%zu): expected F[%d] (%zu), got F[%d]\n", i, Q[i].n, Q[i].want,
				        tsize(F[Q[i].want]), j < NF ? (int)j : -1);
			}
			ZMM_CHECK(got == fb[Q[i].want]);
		}
		fill(got, Q[i].n, (unsigned)(100 + i));
		CHECK_OK(f.h);
	}
	ZMM_CHECK(sib_seen[0] && sib_seen[1]);
	ZMM_CHECK_EQ(C(f.h).large_search_hits - c0.large_search_hits, sizeof Q / sizeof Q[0]);
	/* everything back: one segment released */
	zmm_heap_destroy(f.h);
	f.h = NULL;
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Rest list
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_rest_list)
{
	fx f;
	size_t seg = SEG64, n = 100000, hs = huge_seg(SEG64, 100000), tail = hs - SEG_OVERHEAD - tsize(100000);
	char *p, *q;
	zmm_heap_summary_t s;
	zmm_heap_stats_t st;
	zmm_heap_counters_t c;

	ZMM_REQUIRE(fx_open(&f, seg, 0, 0, 0) == 0);
	ZMM_CHECK_EQ(hs, 2 * seg);
	ZMM_CHECK_EQ(tail, 30992);
	p = zmm_heap_alloc(f.h, n);
	ZMM_REQUIRE(p != NULL);
	fill(p, n, 7);
	s = S(f.h);
	c = C(f.h);
	ZMM_CHECK_EQ(c.huge_allocs, 1);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.real_size, hs);
	ZMM_CHECK_EQ(s.size, tsize(n));
	ZMM_CHECK_EQ(s.rest_blocks, 1);
	ZMM_CHECK_EQ(s.rest_bytes, tail);
	ZMM_CHECK_EQ(s.free_bytes, tail);
	ZMM_CHECK_EQ(blk(p + tsize(n)), tail);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.free_blocks, 1);
	ZMM_CHECK_EQ(large_free_blocks(&st, 16384), 0); /* the rest list is not in the trie */
	ZMM_CHECK_EQ(st.segment_count, 1);
	ZMM_CHECK(st.segment_count == 1 && st.segments[0].size == hs && st.segments[0].free == tail);
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);

	/* far from the limit the rest list is not searched: a new segment is made */
	q = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(segof(&f.st, q) != segof(&f.st, p));
	ZMM_CHECK_EQ(S(f.h).segments, 2);
	ZMM_CHECK_EQ(C(f.h).rest_hits, 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 1);

	/* near the limit it is: the tail serves the request */
	zmm_heap_set_limit(f.h, S(f.h).real_size);
	q = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(q == p + tsize(n));
	ZMM_CHECK_EQ(C(f.h).rest_hits, 1);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(f.log.limit_calls, 0);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	zmm_heap_set_limit(f.h, NOLIM);
	CHECK_OK(f.h);

	/* freeing the huge block merges its tail and returns the segment */
	ZMM_CHECK(verify(p, n, 7));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.rest_blocks, 0);
	ZMM_CHECK_EQ(s.rest_bytes, 0);
	ZMM_CHECK_EQ(s.free_bytes, 0);
	ZMM_CHECK_EQ(s.real_size, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

ZMM_TEST(t_rest_list_cap)
{
	enum { N = 20 };
	fx f;
	size_t n = 100000, tail = huge_seg(SEG64, 100000) - SEG_OVERHEAD - tsize(100000), i;
	char *p[N], *q;
	zmm_heap_summary_t s;
	zmm_heap_stats_t st;
	int k, found = -1;

	ZMM_REQUIRE(fx_open(&f, SEG64, 0, 0, 0) == 0);
	for (i = 0; i < N; i++) {
		p[i] = zmm_heap_alloc(f.h, n);
		ZMM_REQUIRE(p[i] != NULL);
		s = S(f.h);
		ZMM_CHECK_EQ(s.rest_blocks, i + 1 < ZMM_HEAP_MAX_REST_BLOCKS ? i + 1 : ZMM_HEAP_MAX_REST_BLOCKS);
		ZMM_CHECK_EQ(s.rest_bytes, (i + 1 < ZMM_HEAP_MAX_REST_BLOCKS ? i + 1 : ZMM_HEAP_MAX_REST_BLOCKS) * tail);
		ZMM_CHECK_EQ(s.free_bytes, (i + 1) * tail);
	}
	ZMM_CHECK_EQ(C(f.h).huge_allocs, N);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(large_free_blocks(&st, 16384), N - ZMM_HEAP_MAX_REST_BLOCKS);
	ZMM_CHECK(large_class(&st, 16384) && large_class(&st, 16384)->free_bytes == (N - ZMM_HEAP_MAX_REST_BLOCKS) * tail);
	ZMM_CHECK_EQ(st.free_blocks, N);
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);

	/* the evicted tails are the oldest ones; they serve ordinary requests */
	q = zmm_heap_alloc(f.h, 30000);
	ZMM_REQUIRE(q != NULL);
	for (k = 0; k < N; k++) {
		if (q == p[k] + tsize(n)) {
			found = k;
		}
	}
	ZMM_CHECK(found >= 0 && found < N - ZMM_HEAP_MAX_REST_BLOCKS);
	ZMM_CHECK_EQ(S(f.h).segments, N);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);

	for (i = 0; i < N; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
		CHECK_OK(f.h);
	}
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.rest_blocks, 0);
	ZMM_CHECK_EQ(s.rest_bytes, 0);
	ZMM_CHECK_EQ(s.free_bytes, 0);
	ZMM_CHECK_EQ(C(f.h).segments_released, N);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Cache
 * ---------------------------------------------------------------------------------------------- */

/* A small miss carves a batch of blocks of its size: one handed out, the rest cached (refill). Only
 * outside general mode: the ASan build annotates, so there the miss takes one block like PHP 5. */
/* A heap with options o on f's storage: a first small allocation leaves nothing in the cache. */
static void check_one_block_per_miss(fx *f, const zmm_heap_options_t *o)
{
	f->h = zmm_heap_create(&f->st, o, &f->hooks);
	ZMM_REQUIRE(f->h != NULL);
	ZMM_REQUIRE(zmm_heap_alloc(f->h, 100) != NULL);
	ZMM_CHECK_EQ(S(f->h).cached_blocks, 0);
	CHECK_OK(f->h);
	zmm_heap_destroy(f->h);
	f->h = NULL;
}

ZMM_TEST(t_refill)
{
	fx f;
	zmm_heap_options_t o;
	zmm_heap_summary_t s;
	zmm_heap_counters_t k;
	char *p, *q[40];
	size_t i, batch;
#ifdef ZMM_NO_ANNOTATIONS
	const int active = 1;
#else
	const int active = 0;
#endif

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	zmm_heap_options_default(&o);
	ZMM_CHECK_EQ(o.refill, 1);
	f.h = zmm_heap_create(&f.st, &o, &f.hooks);
	ZMM_REQUIRE(f.h != NULL);

	/* 100 bytes -> 120-byte blocks: 4096 / 120 = 34, capped at 32 */
	batch = active ? 32 : 1;
	p = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p != NULL);
	s = S(f.h);
	k = C(f.h);
	ZMM_CHECK_EQ(s.cached_blocks, batch - 1);
	ZMM_CHECK_EQ(s.cached, (batch - 1) * 120);
	ZMM_CHECK_EQ(s.size, batch * 120);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 120);
	ZMM_CHECK_EQ(k.cache_refills, batch - 1);
	ZMM_CHECK_EQ(k.cache_misses, 1);
	ZMM_CHECK_EQ(k.allocs, 1);
	ZMM_CHECK_EQ(k.frees, 0);                   /* refills are not frees */
	CHECK_OK(f.h);

	/* the spares are hits, each a live block of its own */
	for (i = 0; i < batch - 1; i++) {
		q[i] = zmm_heap_alloc(f.h, 100);
		ZMM_REQUIRE(q[i] != NULL);
		ZMM_CHECK_EQ(blk(q[i]), 120);
		ZMM_CHECK(q[i] >= p + 120 && q[i] < p + batch * 120);
		memset(q[i], 0x33, 100);
	}
	k = C(f.h);
	ZMM_CHECK_EQ(k.cache_hits, batch - 1);
	ZMM_CHECK_EQ(k.cache_misses, 1);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), batch * 120);
	CHECK_OK(f.h);
	/* the next miss carves the next batch, twice as big (slow start: 8192 / 120 = 68, capped at
	 * 64), and the one after twice again (16384 / 120 = 136, capped at 128), and no more */
	q[batch - 1] = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(q[batch - 1] != NULL);
	ZMM_CHECK_EQ(C(f.h).cache_misses, 2);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, active ? 63 : 0);
	if (active) {
		char *r[64 + 128 + 128];
		size_t m = 0;
		while (m < 63) {
			r[m++] = zmm_heap_alloc(f.h, 100);
		}
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
		r[m++] = zmm_heap_alloc(f.h, 100);
		ZMM_CHECK_EQ(C(f.h).cache_misses, 3);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 127);
		while (m < 63 + 128) {
			r[m++] = zmm_heap_alloc(f.h, 100);
		}
		r[m++] = zmm_heap_alloc(f.h, 100);
		ZMM_CHECK_EQ(C(f.h).cache_misses, 4);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 127);
		CHECK_OK(f.h);
		for (i = 0; i < m; i++) {
			ZMM_REQUIRE(r[i] != NULL);
			ZMM_CHECK_EQ(zmm_heap_free(f.h, r[i]), ZMM_FREE_OK);
		}
		CHECK_OK(f.h);
	}

	/* freeing and flushing merges everything back: the segment is released */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	for (i = 0; i < batch; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, q[i]), ZMM_FREE_OK);
	}
	/* a carved spare is a cached block: freeing it again is reported, not obeyed */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q[0]), ZMM_FREE_INVALID);
	CHECK_OK(f.h);
	zmm_heap_flush_cache(f.h);
	s = S(f.h);
	ZMM_CHECK_EQ(s.size, 0);
	ZMM_CHECK_EQ(s.cached_blocks, 0);
	ZMM_CHECK_EQ(s.segments, 0);
	CHECK_OK(f.h);
	if (active) {
		/* a flush keeps the grown batch; a reset starts every list at one batch again */
		p = zmm_heap_alloc(f.h, 100);
		ZMM_REQUIRE(p != NULL);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 127);
		zmm_heap_reset(f.h, 0);
		p = zmm_heap_alloc(f.h, 100);
		ZMM_REQUIRE(p != NULL);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 31);
		CHECK_OK(f.h);
		zmm_heap_reset(f.h, 0);
	}
	zmm_heap_destroy(f.h);

	/* the cache cap bounds the batch: 500 bytes hold 4 spares of 120 */
	o.cache_limit = 500;
	f.h = zmm_heap_create(&f.st, &o, &f.hooks);
	ZMM_REQUIRE(f.h != NULL);
	p = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, active ? 4 : 0);
	ZMM_CHECK(S(f.h).cached <= 500);
	CHECK_OK(f.h);
	zmm_heap_destroy(f.h);

	/* refill off, cache off, protection on: one block per miss */
	o.cache_limit = CACHE_DEF;
	o.refill = 0;
	check_one_block_per_miss(&f, &o);
	o.refill = 1;
	o.cache_limit = 0;
	check_one_block_per_miss(&f, &o);
	o.cache_limit = CACHE_DEF;
	o.protection = 1;
	check_one_block_per_miss(&f, &o);
	fx_close(&f);
}

/* The designated victim: a refill's tail stays out of the lists and the next miss of another size
 * carves from it without a search; a merge takes it back (free_unlink); a large request and a new
 * segment first give it back to the lists; the check and the stats count it as a large free block. */
ZMM_TEST(t_victim)
{
	fx f;
	zmm_heap_options_t o;
	zmm_heap_stats_t st;
	char *a, *b, *c, *big, *q[40];
	size_t i, free_before;
#ifdef ZMM_NO_ANNOTATIONS
	const int active = 1;
#else
	const int active = 0;           /* annotated: no refill, so no victim; the results still hold */
#endif

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	zmm_heap_options_default(&o);
	f.h = zmm_heap_create(&f.st, &o, &f.hooks);
	ZMM_REQUIRE(f.h != NULL);

	a = zmm_heap_alloc(f.h, 100);                  /* a new segment: 32 x 120 carved, the tail is the victim */
	ZMM_REQUIRE(a != NULL);
	CHECK_OK(f.h);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.free_blocks, 1);               /* the victim, counted in its large class */
	free_before = S(f.h).free_bytes;
	ZMM_CHECK_EQ(S(f.h).largest_free_block, free_before);
	zmm_heap_stats_free(&st);

	b = zmm_heap_alloc(f.h, 200);                  /* another size: carved from the victim */
	ZMM_REQUIRE(b != NULL);
	ZMM_CHECK_EQ(C(f.h).victim_hits, active ? 1 : 0);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	if (active) {
		ZMM_CHECK((char *)b > a);                  /* right after a's batch */
		ZMM_CHECK_EQ(C(f.h).large_search_hits, 0);
	}
	CHECK_OK(f.h);

	/* a large request that only the victim can hold: the victim goes back to the lists, no new segment */
	big = zmm_heap_alloc(f.h, 200000);
	ZMM_REQUIRE(big != NULL);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	CHECK_OK(f.h);

	/* small misses again: a new victim from the tail of the large block's split */
	c = zmm_heap_alloc(f.h, 300);
	ZMM_REQUIRE(c != NULL);
	CHECK_OK(f.h);
	/* freeing the large block merges it with its free neighbours, the victim among them */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, big), ZMM_FREE_OK);
	CHECK_OK(f.h);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.segment_count, 1);
	zmm_heap_stats_free(&st);

	/* empty the heap: every batch is freed and flushed, the segment goes back */
	for (i = 0; i < 40; i++) {
		q[i] = zmm_heap_alloc(f.h, 16 + 8 * i);
		ZMM_REQUIRE(q[i] != NULL);
	}
	CHECK_OK(f.h);
	for (i = 0; i < 40; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, q[i]), ZMM_FREE_OK);
	}
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	zmm_heap_flush_cache(f.h);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).size, 0);
	CHECK_OK(f.h);

	/* a reset forgets the victim */
	a = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a != NULL);
	zmm_heap_reset(f.h, 1);
	CHECK_OK(f.h);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.free_blocks, 1);               /* the kept segment's one free block */
	zmm_heap_stats_free(&st);
	a = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a != NULL);
	CHECK_OK(f.h);
	zmm_heap_reset(f.h, 0);
	fx_close_empty(&f);
}

ZMM_TEST(t_cache_hit_miss)
{
	fx f;
	char *a, *b, *x, *y, *sp;
	zmm_heap_summary_t s;
	zmm_heap_stats_t st;
	zmm_segment_stats_t r0, r1;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	a = zmm_heap_alloc(f.h, 100);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && sp);
	ZMM_CHECK_EQ(C(f.h).cache_misses, 2);
	ZMM_CHECK_EQ(C(f.h).cache_hits, 0);
	r0 = row0(f.h);

	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.cached, 120);
	ZMM_CHECK_EQ(s.cached_blocks, 1);
	ZMM_CHECK_EQ(s.size, 120 + 32);            /* cached blocks stay counted */
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 32);
	ZMM_CHECK_EQ(blk(a), 120);                 /* stays used: no merging */
	r1 = row0(f.h);
	ZMM_CHECK_EQ(r1.blocks, r0.blocks);
	ZMM_CHECK_EQ(r1.free_blocks, r0.free_blocks);
	ZMM_CHECK_EQ(r1.used, r0.used);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.buckets[11].cached_blocks, 1);
	ZMM_CHECK_EQ(st.buckets[11].free_blocks, 0);
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);

	/* hit */
	b = zmm_heap_alloc(f.h, 97);
	ZMM_CHECK(b == a);
	s = S(f.h);
	ZMM_CHECK_EQ(s.cached, 0);
	ZMM_CHECK_EQ(s.cached_blocks, 0);
	ZMM_CHECK_EQ(s.size, 152);
	ZMM_CHECK_EQ(C(f.h).cache_hits, 1);
	ZMM_CHECK_EQ(C(f.h).cache_misses, 2);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.buckets[11].cache_hits, 1);
	ZMM_CHECK_EQ(st.buckets[11].cache_misses, 1);
	ZMM_CHECK_EQ(st.buckets[0].cache_misses, 1);
	zmm_heap_stats_free(&st);

	/* LIFO */
	x = zmm_heap_alloc(f.h, 100);
	y = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(x && y);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, x), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, y), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 2);
	/* another bucket misses even though the cache holds blocks */
	{
		uint64_t m = C(f.h).cache_misses;
		char *z = zmm_heap_alloc(f.h, 200);
		ZMM_REQUIRE(z != NULL);
		ZMM_CHECK(z != x && z != y);
		ZMM_CHECK_EQ(C(f.h).cache_misses, m + 1);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, z), ZMM_FREE_OK);
	}
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == y);
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == x);
	/* large blocks never enter the cache */
	{
		char *L = zmm_heap_alloc(f.h, 600);
		size_t cb = S(f.h).cached_blocks;
		ZMM_REQUIRE(L != NULL);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, L), ZMM_FREE_OK);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, cb);
	}
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, x), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, y), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	/* cached blocks keep the segment */
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK(zmm_heap_flush_cache(f.h) > 0);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).size, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

ZMM_TEST(t_cache_cap_and_disable)
{
	fx f;
	char *p[4], *sp[4];
	size_t i, size0;
	zmm_heap_summary_t s;
	zmm_heap_t *h0;

	/* cap 256: blocks enter while cached < cap, so 3 x 120 get in and the 4th is freed for real */
	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 256, 0) == 0);
	for (i = 0; i < 4; i++) {
		p[i] = zmm_heap_alloc(f.h, 100);
		sp[i] = zmm_heap_alloc(f.h, 8);
		ZMM_REQUIRE(p[i] && sp[i]);
	}
	size0 = S(f.h).size;
	for (i = 0; i < 4; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
	}
	s = S(f.h);
	ZMM_CHECK_EQ(s.cached_blocks, 3);
	ZMM_CHECK_EQ(s.cached, 360);
	ZMM_CHECK_EQ(s.size, size0 - 120);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), size0 - 480);
	{
		zmm_heap_stats_t st;
		ZMM_REQUIRE(stats(f.h, &st) == 0);
		ZMM_CHECK_EQ(st.buckets[11].cached_blocks, 3);
		ZMM_CHECK_EQ(st.buckets[11].free_blocks, 1);
		zmm_heap_stats_free(&st);
	}
	CHECK_OK(f.h);
	/* the really freed one is reused from the free list after the cache is drained */
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == p[2]);
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == p[1]);
	ZMM_CHECK(zmm_heap_alloc(f.h, 100) == p[0]);
	{
		uint64_t h = C(f.h).small_list_hits;
		ZMM_CHECK(zmm_heap_alloc(f.h, 100) == p[3]);
		ZMM_CHECK_EQ(C(f.h).small_list_hits, h + 1);
	}
	CHECK_OK(f.h);
	zmm_heap_destroy(f.h);

	/* cache_limit 0: no caching at all */
	f.h = h0 = fx_heap(&f, 0, 0, NOLIM);
	ZMM_REQUIRE(h0 != NULL);
	ZMM_CHECK_EQ(S(h0).cache_limit, 0);
	for (i = 0; i < 4; i++) {
		p[i] = zmm_heap_alloc(h0, 100);
		sp[i] = zmm_heap_alloc(h0, 8);
		ZMM_REQUIRE(p[i] && sp[i]);
	}
	size0 = S(h0).size;
	for (i = 0; i < 4; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(h0, p[i]), ZMM_FREE_OK);
		ZMM_CHECK_EQ(S(h0).cached, 0);
	}
	ZMM_CHECK_EQ(S(h0).cached_blocks, 0);
	ZMM_CHECK_EQ(S(h0).size, size0 - 480);
	ZMM_CHECK_EQ(zmm_heap_flush_cache(h0), 0);
	ZMM_CHECK(zmm_heap_alloc(h0, 100) == p[0]); /* FIFO free list, not a LIFO cache */
	ZMM_CHECK_EQ(C(h0).cache_hits, 0);
	CHECK_OK(h0);
	fx_close(&f);
}

ZMM_TEST(t_cache_flush_and_set_limit)
{
	fx f;
	char *p[6], *sp;
	size_t i, size0, usage0;
	zmm_heap_summary_t s;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	for (i = 0; i < 6; i++) {
		p[i] = zmm_heap_alloc(f.h, 100);
		ZMM_REQUIRE(p[i] != NULL);
	}
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(sp != NULL);
	for (i = 0; i < 6; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
	}
	s = S(f.h);
	size0 = s.size;
	usage0 = zmm_heap_usage(f.h);
	ZMM_CHECK_EQ(s.cached, 720);
	ZMM_CHECK_EQ(usage0, 32);

	/* a smaller cap flushes what no longer fits */
	zmm_heap_set_cache_limit(f.h, 250);
	s = S(f.h);
	ZMM_CHECK_EQ(s.cache_limit, 250);
	ZMM_CHECK(s.cached <= 250);
	ZMM_CHECK_EQ(s.cached, s.cached_blocks * 120);
	ZMM_CHECK_EQ(s.size, size0 - (720 - s.cached));
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), usage0);
	ZMM_CHECK_EQ(zmm_heap_get_options(f.h)->cache_limit, 250);
	CHECK_OK(f.h);

	/* flush returns what it took out; size goes down with it, usage does not move */
	{
		size_t cached = S(f.h).cached;
		size_t before = S(f.h).size;
		ZMM_CHECK_EQ(zmm_heap_flush_cache(f.h), cached);
		s = S(f.h);
		ZMM_CHECK_EQ(s.cached, 0);
		ZMM_CHECK_EQ(s.cached_blocks, 0);
		ZMM_CHECK_EQ(s.size, before - cached);
		ZMM_CHECK_EQ(zmm_heap_usage(f.h), usage0);
		ZMM_CHECK_EQ(zmm_heap_flush_cache(f.h), 0);
	}
	/* the flushed blocks merged: p[0..5] is one free block again */
	ZMM_CHECK_EQ(blk(p[0]), 720);
	CHECK_OK(f.h);

	/* a larger cap takes blocks again */
	zmm_heap_set_cache_limit(f.h, 100000);
	p[0] = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p[0] != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p[0]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	/* cap 0 turns it off and flushes */
	zmm_heap_set_cache_limit(f.h, 0);
	ZMM_CHECK_EQ(S(f.h).cached, 0);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	ZMM_CHECK_EQ(S(f.h).cache_limit, 0);
	p[0] = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p[0] != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p[0]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Huge blocks
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_huge_blocks)
{
	fx f;
	size_t n = (size_t)1 << 20, hs = huge_seg(SEG256, (size_t)1 << 20);
	char *p, *q, *small;
	zmm_heap_summary_t s;
	zmm_heap_stats_t st;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	ZMM_CHECK_EQ(hs, 1310720);
	small = zmm_heap_alloc(f.h, 10);
	ZMM_REQUIRE(small != NULL);
	p = zmm_heap_alloc(f.h, n);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ((char *)p - segof(&f.st, p), SEGHDR + HDR);
	ZMM_CHECK(segof(&f.st, p) != segof(&f.st, small));
	ZMM_CHECK_EQ(zmm_storage_find(&f.st, p)->size, hs);
	ZMM_CHECK(zmm_storage_find(&f.st, p + n - 1) == zmm_storage_find(&f.st, p));
	memset(p, 0xab, n);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 2);
	ZMM_CHECK_EQ(s.real_size, SEG256 + hs);
	ZMM_CHECK_EQ(s.rest_blocks, 1);
	ZMM_CHECK_EQ(s.rest_bytes, hs - SEG_OVERHEAD - tsize(n));
	ZMM_CHECK_EQ(C(f.h).huge_allocs, 1);
	ZMM_CHECK(zmm_heap_block_size(f.h, p) >= n);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.segment_count, 2);
	/* newest first */
	ZMM_CHECK(st.segment_count == 2 && st.segments[0].size == hs && st.segments[1].size == SEG256);
	ZMM_CHECK(st.segment_count == 2 && st.segments[0].used == tsize(n) && st.segments[0].blocks == 2);
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);
	q = zmm_heap_alloc(f.h, 3 * n);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK_EQ(C(f.h).huge_allocs, 2);
	ZMM_CHECK_EQ(S(f.h).segments, 3);
	memset(q, 0xcd, 3 * n);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);

	/* freed at once */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.real_size, SEG256);
	ZMM_CHECK_EQ(s.rest_blocks, 0);
	ZMM_CHECK_EQ(C(f.h).segments_released, 2);
	ZMM_CHECK(s.real_peak >= SEG256 + hs + huge_seg(SEG256, 3 * n));
	ZMM_CHECK(zmm_heap_owner(&f.st, p) == NULL);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, small), ZMM_FREE_OK);
	ZMM_CHECK(zmm_heap_flush_cache(f.h) == 32);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Realloc
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_realloc_shrink)
{
	fx f;
	char *p, *sp, *q;
	size_t size0;

	if (HEAP_ANNOTATED) {
		return; /* realloc always moves here: t_realloc_annotated; the _noann build covers this path */
	}

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	p = zmm_heap_alloc(f.h, 4000);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && sp);
	fill(p, 4000, 3);
	size0 = S(f.h).size;

	/* shrink in place, the 3000-byte remainder split off */
	q = zmm_heap_realloc(f.h, p, 1000);
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 1000, 3));
	ZMM_CHECK_EQ(blk(p), 1016);
	ZMM_CHECK_EQ(blk(p + 1016), 3000);
	ZMM_CHECK_EQ(S(f.h).size, size0 - 3000);
	ZMM_CHECK_EQ(C(f.h).reallocs, 1);
	ZMM_CHECK(zmm_heap_block_size(f.h, p) >= 1000);
	CHECK_OK(f.h);

	/* a remainder below 32 bytes is kept */
	q = zmm_heap_realloc(f.h, p, 990);
	ZMM_CHECK(q == p);
	ZMM_CHECK_EQ(blk(p), 1016);
	ZMM_CHECK_EQ(S(f.h).size, size0 - 3000);
	ZMM_CHECK(verify(p, 990, 3));
	/* same size */
	q = zmm_heap_realloc(f.h, p, 1000);
	ZMM_CHECK(q == p);
	ZMM_CHECK_EQ(blk(p), 1016);
	CHECK_OK(f.h);

	/* the remainder merges with a free next block */
	q = zmm_heap_realloc(f.h, p, 500);
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 500, 3));
	ZMM_CHECK_EQ(blk(p), 520);
	ZMM_CHECK_EQ(blk(p + 520), 3496);
	ZMM_CHECK_EQ(S(f.h).size, size0 - 3496);
	{
		zmm_segment_stats_t r = row0(f.h);
		ZMM_CHECK_EQ(r.blocks, 4);
		ZMM_CHECK_EQ(r.free_blocks, 2);
	}
	CHECK_OK(f.h);
	/* the freed space is reused */
	q = zmm_heap_alloc(f.h, 3480);
	ZMM_CHECK(q == p + 520);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);

	/* a large block shrunk to a small size */
	q = zmm_heap_realloc(f.h, p, 10);
	ZMM_CHECK(q == p);
	ZMM_CHECK_EQ(blk(p), 32);
	ZMM_CHECK(verify(p, 10, 3));
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_realloc_grow_in_place)
{
	fx f;
	char *p, *n1, *sp, *q;
	size_t size0;
	zmm_heap_counters_t c0;

	if (HEAP_ANNOTATED) {
		return; /* realloc always moves here: t_realloc_annotated; the _noann build covers this path */
	}

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	p = zmm_heap_alloc(f.h, 500);   /* 520 */
	n1 = zmm_heap_alloc(f.h, 3480); /* 3496 */
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && n1 && sp);
	ZMM_CHECK(n1 == p + 520);
	fill(p, 500, 4);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, n1), ZMM_FREE_OK);
	size0 = S(f.h).size;
	c0 = C(f.h);

	/* into the free next block, remainder split off */
	q = zmm_heap_realloc(f.h, p, 2000);
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 500, 4));
	ZMM_CHECK_EQ(blk(p), 2016);
	ZMM_CHECK_EQ(blk(p + 2016), 2000);
	ZMM_CHECK_EQ(S(f.h).size, size0 + 1496);
	ZMM_CHECK(S(f.h).peak >= S(f.h).size);
	ZMM_CHECK_EQ(C(f.h).reallocs, c0.reallocs + 1);
	ZMM_CHECK_EQ(C(f.h).allocs, c0.allocs);
	CHECK_OK(f.h);
	fill(p, 2000, 5);

	/* absorbing the whole next block when the remainder would be below 32 bytes */
	q = zmm_heap_realloc(f.h, p, 3992); /* 4008 of 4016 */
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 2000, 5));
	ZMM_CHECK_EQ(blk(p), 4016);
	ZMM_CHECK(sp == p + 4016);
	ZMM_CHECK_EQ(S(f.h).size, size0 + 3496);
	{
		zmm_segment_stats_t r = row0(f.h);
		ZMM_CHECK_EQ(r.blocks, 3);
		ZMM_CHECK_EQ(r.free_blocks, 1);
	}
	CHECK_OK(f.h);

	/* into the segment's tail */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	p = sp;
	fill(p, 8, 6);
	q = zmm_heap_realloc(f.h, p, 50000);
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 8, 6));
	ZMM_CHECK_EQ(blk(p), tsize(50000));
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	memset(p, 1, 50000);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_realloc_huge_storage)
{
	fx f;
	char *p, *q;
	size_t n1 = 100000, n2 = 200000, n3 = 1000000;
	zmm_heap_summary_t s;
	zmm_heap_counters_t c0;

	if (HEAP_ANNOTATED) {
		return; /* realloc always moves here: t_realloc_annotated; the _noann build covers this path */
	}

	ZMM_REQUIRE(fx_open(&f, SEG64, 0, 0, 0) == 0);
	p = zmm_heap_alloc(f.h, n1);
	ZMM_REQUIRE(p != NULL);
	fill(p, n1, 8);
	c0 = C(f.h);
	ZMM_CHECK_EQ(c0.segments_allocated, 1);

	/* grow: the segment itself is resized by storage */
	q = zmm_heap_realloc(f.h, p, n2);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, n1, 8));
	ZMM_CHECK_EQ((char *)q - segof(&f.st, q), SEGHDR + HDR);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.real_size, huge_seg(SEG64, n2));
	ZMM_CHECK_EQ(zmm_storage_find(&f.st, q)->size, huge_seg(SEG64, n2));
	ZMM_CHECK_EQ(C(f.h).segments_allocated, 1); /* not alloc + copy + free */
	ZMM_CHECK_EQ(C(f.h).reallocs, c0.reallocs + 1);
	ZMM_CHECK_EQ(blk(q), tsize(n2));
	ZMM_CHECK_EQ(s.size, tsize(n2));
	ZMM_CHECK_EQ(s.rest_blocks, 1);
	ZMM_CHECK_EQ(s.rest_bytes, huge_seg(SEG64, n2) - SEG_OVERHEAD - tsize(n2));
	ZMM_CHECK(s.real_peak >= s.real_size);
	CHECK_OK(f.h);
	fill(q, n2, 9);

	/* again, much bigger */
	p = zmm_heap_realloc(f.h, q, n3);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK(verify(p, n2, 9));
	ZMM_CHECK_EQ(S(f.h).real_size, huge_seg(SEG64, n3));
	ZMM_CHECK_EQ(C(f.h).segments_allocated, 1);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	CHECK_OK(f.h);
	fill(p, n3, 10);

	/* shrink keeps the data */
	q = zmm_heap_realloc(f.h, p, n1);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, n1, 10));
	ZMM_CHECK(S(f.h).real_size <= huge_seg(SEG64, n3));
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).real_size, 0);

	/* a standard-segment block that fills its segment grows to huge by storage as well */
	p = zmm_heap_alloc(f.h, max_nonhuge(SEG64));
	ZMM_REQUIRE(p != NULL);
	fill(p, max_nonhuge(SEG64), 11);
	q = zmm_heap_realloc(f.h, p, 3 * SEG64);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, max_nonhuge(SEG64), 11));
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(S(f.h).real_size, huge_seg(SEG64, 3 * SEG64));
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_realloc_move)
{
	fx f;
	char *p, *sp, *q, *r;
	size_t size0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	p = zmm_heap_alloc(f.h, 1000);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && sp);
	fill(p, 1000, 12);
	size0 = S(f.h).size;
	q = zmm_heap_realloc(f.h, p, 5000);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(q != p);
	ZMM_CHECK(q == sp + 32);
	ZMM_CHECK(verify(q, 1000, 12));
	ZMM_CHECK_EQ(S(f.h).size, size0 - 1016 + 5016);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p), 0); /* the old block is free */
	ZMM_CHECK_EQ(blk(p), 1016);
	CHECK_OK(f.h);
	/* small to small with no room: moves as well */
	r = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(r != NULL);
	fill(r, 100, 13);
	q = zmm_heap_realloc(f.h, q, 20000); /* q is followed by the segment's tail: grows in place */
	ZMM_REQUIRE(q != NULL);
	fill(q, 20000, 14);
	p = zmm_heap_realloc(f.h, r, 300); /* r sits in the old 1016 block, followed by free space: in place */
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK(verify(p, 100, 13));
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

/* With ASan annotations on, every realloc of a live block moves it (so that ASan sees the exact
 * requested size); data is kept and the old block is gone. */
ZMM_TEST(t_realloc_annotated)
{
	fx f;
	char *p, *q;
	static const size_t steps[] = { 4000, 1000, 990, 500, 2000, 10, 100000, 300000, 50 };
	size_t i, prev;

	if (!HEAP_ANNOTATED) {
		return;
	}
	ZMM_REQUIRE(fx_open(&f, SEG64, 2, 0, 0) == 0);
	p = zmm_heap_alloc(f.h, steps[0]);
	ZMM_REQUIRE(p != NULL);
	fill(p, steps[0], 70);
	prev = steps[0];
	for (i = 1; i < sizeof steps / sizeof steps[0]; i++) {
		size_t keep = prev < steps[i] ? prev : steps[i];
		q = zmm_heap_realloc(f.h, p, steps[i]);
		ZMM_REQUIRE(q != NULL);
		ZMM_CHECK(q != p);
		ZMM_CHECK(verify(q, keep, 70));
		ZMM_CHECK(zmm_heap_block_size(f.h, q) >= steps[i]);
		CHECK_OK(f.h);
		fill(q, steps[i], 70);
		p = q;
		prev = steps[i];
	}
	ZMM_CHECK_EQ(C(f.h).reallocs, sizeof steps / sizeof steps[0] - 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_realloc_misc)
{
	fx f;
	char *p, *a, *q, *sp;
	zmm_heap_counters_t c0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	/* realloc(NULL) is alloc */
	c0 = C(f.h);
	p = zmm_heap_realloc(f.h, NULL, 100);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(C(f.h).allocs, c0.allocs + 1);
	ZMM_CHECK_EQ(C(f.h).reallocs, c0.reallocs);
	ZMM_CHECK_EQ(blk(p), 120);
	/* to 0: a minimum block */
	fill(p, 100, 15);
	q = zmm_heap_realloc(f.h, p, 0);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK_EQ(blk(q), 32);
	ZMM_CHECK(verify(q, 0, 15));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	CHECK_OK(f.h);
	zmm_heap_flush_cache(f.h);

	/* grow to a small size whose bucket has a cached block: data kept wherever it lands */
	a = zmm_heap_alloc(f.h, 200);
	p = zmm_heap_alloc(f.h, 100);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && p && sp);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	fill(p, 100, 16);
	q = zmm_heap_realloc(f.h, p, 200);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, 100, 16));
	ZMM_CHECK(zmm_heap_block_size(f.h, q) >= 200);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 216 + 32);
	if (q == a) {
		/* PHP 5's swap: the old block went into the cache */
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
		ZMM_CHECK_EQ(S(f.h).cached, 120);
	}
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	zmm_heap_flush_cache(f.h);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).size, 0);
	fx_close(&f);
}

/* The realloc fast path (fast mode: the build without annotations; the annotated build takes the
 * general path, which must give the same results): a new size in the block's own bucket keeps the
 * block; growing into a bucket with a cached block swaps the two. */
ZMM_TEST(t_realloc_fast)
{
	fx f;
	char *p, *q, *a, *sp;
	zmm_heap_counters_t c0, c1;
	zmm_heap_summary_t s0;
#ifdef ZMM_NO_ANNOTATIONS
	const int fast = 1;
#else
	const int fast = 0;             /* annotations on: every realloc moves, so only the data is checked */
#endif

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	p = zmm_heap_alloc(f.h, 100);                  /* a 120-byte block: requests 97-104 */
	ZMM_REQUIRE(p != NULL);
	fill(p, 100, 21);
	c0 = C(f.h);
	s0 = S(f.h);
	q = zmm_heap_realloc(f.h, p, 104);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(q == p || !fast);
	p = zmm_heap_realloc(f.h, q, 97);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK(p == q || !fast);
	ZMM_CHECK(verify(p, 97, 21));
	ZMM_CHECK_EQ(blk(p), 120);
	c1 = C(f.h);
	ZMM_CHECK_EQ(c1.reallocs, c0.reallocs + 2);
	if (fast) {
		ZMM_CHECK_EQ(c1.allocs, c0.allocs);
		ZMM_CHECK_EQ(c1.frees, c0.frees);
		ZMM_CHECK_EQ(S(f.h).size, s0.size);
	}
	CHECK_OK(f.h);

	/* swap: the 216-byte block of a is cached; p grows into it and its own block is cached */
	a = zmm_heap_alloc(f.h, 200);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && sp);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	c0 = C(f.h);
	s0 = S(f.h);
	q = zmm_heap_realloc(f.h, p, 195);                 /* requests 193-200: a 216-byte block */
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, 97, 21));
	ZMM_CHECK_EQ(blk(q), 216);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 216 + 32);
	c1 = C(f.h);
	ZMM_CHECK_EQ(c1.reallocs, c0.reallocs + 1);
	if (fast) {
		ZMM_CHECK(q == a);
		ZMM_CHECK_EQ(c1.cache_hits, c0.cache_hits + 1);
		ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
		ZMM_CHECK_EQ(S(f.h).cached, 120);
		ZMM_CHECK_EQ(S(f.h).size, s0.size);
		/* the old block is cached: a free of it is reported, not obeyed */
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_INVALID);
		ZMM_CHECK_EQ(f.log.last.kind, ZMM_ERROR_CACHED_FREE);
	}
	CHECK_OK(f.h);
	/* a shrink into a bucket whose cache holds a block swaps too, and caches the bigger block */
	a = zmm_heap_alloc(f.h, 150);                      /* a 168-byte block, cached next */
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	p = zmm_heap_realloc(f.h, q, 150);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK(verify(p, 97, 21));
	ZMM_CHECK_EQ(blk(p), 168);
	if (fast) {
		ZMM_CHECK(p == a);
		ZMM_CHECK_EQ(S(f.h).cached, 120 + 216);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_INVALID);  /* q's block is cached */
	}
	CHECK_OK(f.h);
	q = p;
	/* a bucket with an empty cache goes the general way (split in place, data kept) */
	p = zmm_heap_realloc(f.h, q, 40);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK(verify(p, 40, 21));
	ZMM_CHECK_EQ(blk(p), 56);
	q = zmm_heap_realloc(f.h, p, 400);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, 40, 21));
	ZMM_CHECK_EQ(blk(q), 416);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	fx_close_empty(&f);
}

/* Runs fn(storage, mode, n) in a forked child, so that a fatal heap error, a crash or a sanitizer
 * report stays there, and checks that it exited with 0. what describes the case for the failure
 * message; the codes say what went wrong (40/41: setup, 42: not reported, 43: wrong kind or state;
 * 1: a sanitizer stopped it). */
static void check_in_child(int (*fn)(const char *storage, int mode, size_t n), int mode, size_t n, const char *what)
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	ZMM_REQUIRE(pid >= 0);
	if (pid == 0) {
		_exit(fn(g_storage, mode, n));
	}
	ZMM_REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "  %s: child %s %d (40/41: setup, 42: not reported, 43: wrong kind or state; 1: a sanitizer stopped it)\n",
		        what, WIFEXITED(status) ? "exited with" : "killed by signal",
		        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	ZMM_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The rest-tail fast path: a block at the head of its own huge segment grows into the rest tail
 * behind it. The tail moves forward and stays in the rest list; a tail too small to split is
 * absorbed by the general path, and after that storage grows the segment. Damaged tail links are
 * reported by the general path, never followed. */
ZMM_TEST(t_realloc_grow_rest)
{
	fx f;
	char *p, *q;
	size_t size0, rest0, seg0;
	zmm_heap_counters_t c0;

	if (HEAP_ANNOTATED) {
		return; /* realloc always moves here: t_realloc_annotated */
	}
	ZMM_REQUIRE(fx_open(&f, SEG64, 2, CACHE_DEF, 0) == 0);
	p = zmm_heap_alloc(f.h, 100000);              /* a 128 KiB segment: the tail goes to the rest list */
	ZMM_REQUIRE(p != NULL);
	fill(p, 100000, 7);
	ZMM_CHECK_EQ(S(f.h).rest_blocks, 1);
	rest0 = S(f.h).rest_bytes;
	size0 = S(f.h).size;
	seg0 = S(f.h).real_size;
	ZMM_CHECK_EQ(rest0, 128 * KB - ZMM_HEAP_SEGMENT_HDR_SIZE - tsize(100000) - 16);
	c0 = C(f.h);
	q = zmm_heap_realloc(f.h, p, 110000);
	ZMM_CHECK(q == p);
	ZMM_CHECK(verify(p, 100000, 7));
	ZMM_CHECK_EQ(blk(p), tsize(110000));
	ZMM_CHECK_EQ(S(f.h).rest_blocks, 1);
	ZMM_CHECK_EQ(S(f.h).rest_bytes, rest0 - (tsize(110000) - tsize(100000)));
	ZMM_CHECK_EQ(S(f.h).size, size0 + (tsize(110000) - tsize(100000)));
	ZMM_CHECK_EQ(S(f.h).real_size, seg0);
	ZMM_CHECK(S(f.h).peak >= S(f.h).size);
	ZMM_CHECK_EQ(C(f.h).reallocs, c0.reallocs + 1);
	ZMM_CHECK_EQ(C(f.h).allocs, c0.allocs);
	CHECK_OK(f.h);
	fill(p, 110000, 8);
	/* a tail that would drop below the smallest block: the general path absorbs it whole */
	q = zmm_heap_realloc(f.h, p, 128 * KB - ZMM_HEAP_SEGMENT_HDR_SIZE - 16 - 16 - 24);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, 110000, 8));
	CHECK_OK(f.h);
	p = q;
	q = zmm_heap_realloc(f.h, p, 200000);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(verify(q, 110000, 8));
	ZMM_CHECK_EQ(S(f.h).real_size, 256 * KB);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

static int rest_links_child(const char *storage, int mode, size_t n)
{
	fx f;
	char *p;
	jmp_buf jb;

	(void)mode; (void)n;
	g_storage = storage;
	if (fx_open(&f, SEG64, 2, CACHE_DEF, 0) != 0) {
		return 40;
	}
	p = zmm_heap_alloc(f.h, 100000);
	if (p == NULL || S(f.h).rest_blocks != 1) {
		return 41;
	}
	raw_set_word(p + tsize(100000) - 16 + 16, 0);   /* the tail's list links (a use after free) */
	raw_set_word(p + tsize(100000) - 16 + 24, 0);
	f.log.jb = &jb;
	if (setjmp(jb) == 0) {
		(void)zmm_heap_realloc(f.h, p, 110000);
	}
	if (f.log.errors == 0) {
		return 42;
	}
	return f.log.last.kind == ZMM_ERROR_CORRUPTED ? 0 : 43;
}

ZMM_TEST(t_robust_rest_links)
{
	if (HEAP_ANNOTATED) {
		return; /* realloc moves without touching the tail here */
	}
	check_in_child(rest_links_child, 0, 0, "realloc into a rest tail with zeroed links");
}

/* A 16-byte overflow of a small block overwrites the next block's header, whose second word repeats
 * the overflowing block's size. Freeing the block that overflowed must report it (the cache push
 * compares that tag with the size word) and leave the block alone, and so must realloc; with the
 * header repaired the frees go through. */
ZMM_TEST(t_robust_overflow_tag)
{
	fx f;
	char *a, *b, *c;
	int e0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	a = zmm_heap_alloc(f.h, 100);                 /* 120-byte blocks, back to back */
	b = zmm_heap_alloc(f.h, 100);
	c = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a && b && c && b == a + 120 && c == b + 120);
	e0 = f.log.errors;
	raw_set_word(a + 104, 0x4141414141414141ULL); /* a 16-byte overflow of a: b's size word ... */
	raw_set_word(a + 112, 0x4141414141414141ULL); /* ... and b's prev tag, which repeats a's size */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_INVALID);
	ZMM_CHECK_EQ(f.log.errors, e0 + 1);
	ZMM_CHECK_EQ(f.log.last.kind, ZMM_ERROR_HEADER_DAMAGED);
	ZMM_CHECK(strstr(f.log.msg, "next block's tag 0x4141414141414141") != NULL);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 200) != NULL);  /* reported, and a fresh block is returned */
	ZMM_CHECK_EQ(f.log.errors, e0 + 2);
	ZMM_CHECK_EQ(f.log.last.kind, ZMM_ERROR_HEADER_DAMAGED);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 104) != a || HEAP_ANNOTATED);  /* same bucket: not kept as is */
	ZMM_CHECK_EQ(f.log.errors, e0 + 3);
	raw_set_word(a + 104, 120 | 1);               /* repaired */
	raw_set_word(a + 112, 120 | 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(f.log.errors, e0 + 3);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	zmm_heap_destroy(f.h);      /* the fresh blocks of the reported reallocs are still live */
	f.h = NULL;
	fx_close(&f);
}

/* A header overwritten with a size below the smallest block (a stray write of a small integer):
 * free (whose cache push decodes the size word) and realloc (fast path) must report it, never use
 * the size as a cache index. mode 0: free, 1: realloc. */
static int tiny_header_child(const char *storage, int mode, size_t word)
{
	fx f;
	char *a, *b, *c;
	jmp_buf jb;
	volatile int reported = 0;

	g_storage = storage;
	if (fx_open(&f, SEG256, 2, CACHE_DEF, 0) != 0) {
		return 40;
	}
	a = zmm_heap_alloc(f.h, 100);
	b = zmm_heap_alloc(f.h, 100);
	c = zmm_heap_alloc(f.h, 100);
	if (!a || !b || !c) {
		return 41;
	}
	raw_set_word(b - 16, word);
	f.log.jb = &jb;
	if (setjmp(jb) == 0) {
		if (mode == 0) {
			(void)zmm_heap_free(f.h, b);
		} else {
			(void)zmm_heap_realloc(f.h, b, 200);
		}
	}
	reported = f.log.errors;
	if (reported == 0) {
		return 42;
	}
	return S(f.h).cached_blocks == 0 ? 0 : 43;
}

ZMM_TEST(t_robust_tiny_header)
{
	static const size_t words[] = { 1, 9, 17, 25 };   /* USED with size 0, 8, 16, 24 */
	char what[64];
	size_t w;
	int mode;
	for (mode = 0; mode < 2; mode++) {
		for (w = 0; w < sizeof words / sizeof words[0]; w++) {
			snprintf(what, sizeof what, "%s of a block with header %zu", mode ? "realloc" : "free", words[w]);
			check_in_child(tiny_header_child, mode, words[w], what);
		}
	}
}

/* ------------------------------------------------------------------------------------------------
 * Segment release, counters
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_segment_release)
{
	enum { N = 3000 };
	fx f;
	static char *p[N];
	size_t i, j;
	unsigned long long rng = 12345;
	zmm_heap_summary_t s;
	zmm_heap_counters_t c;

	ZMM_REQUIRE(fx_open(&f, SEG64, 2, CACHE_DEF, 0) == 0);
	for (i = 0; i < N; i++) {
		size_t n;
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t)(rng >> 33) % (i % 10 == 0 ? 5000 : 400);
		p[i] = zmm_heap_alloc(f.h, n);
		ZMM_REQUIRE(p[i] != NULL);
		fill(p[i], n < 8 ? n : 8, (unsigned)i);
	}
	ZMM_CHECK(S(f.h).segments > 3);
	CHECK_OK(f.h);
	/* shuffle and free */
	for (i = N - 1; i > 0; i--) {
		char *t;
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (size_t)(rng >> 33) % (i + 1);
		t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	for (i = 0; i < N; i++) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
		if (i % 500 == 0) {
			CHECK_OK(f.h);
		}
	}
	/* what is left is the cache */
	s = S(f.h);
	ZMM_CHECK_EQ(s.size, s.cached);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 0);
	zmm_heap_flush_cache(f.h);
	s = S(f.h);
	c = C(f.h);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.real_size, 0);
	ZMM_CHECK_EQ(s.size, 0);
	ZMM_CHECK_EQ(s.free_bytes, 0);
	ZMM_CHECK_EQ(s.rest_blocks, 0);
	ZMM_CHECK(s.peak_segments > 3);
	ZMM_CHECK_EQ(c.segments_released, c.segments_allocated);
	ZMM_CHECK_EQ(c.allocs, N);
	ZMM_CHECK_EQ(c.frees, N);
	ZMM_CHECK_EQ(f.st.segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

ZMM_TEST(t_counters)
{
	fx f;
	char *a, *b, *c, *x, *y, *z, *hu, *q;
	zmm_heap_counters_t k, k0;
	zmm_heap_t *h0;
	int local;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	k = C(f.h);
	ZMM_CHECK(k.allocs == 0 && k.frees == 0 && k.reallocs == 0 && k.segments_allocated == 0);
	a = zmm_heap_alloc(f.h, 100);
	k = C(f.h);
	ZMM_CHECK_EQ(k.allocs, 1);
	ZMM_CHECK_EQ(k.cache_misses, 1);
	ZMM_CHECK_EQ(k.segments_allocated, 1);
	ZMM_CHECK_EQ(k.large_search_hits, 0); /* carved from the new segment */
	b = zmm_heap_alloc(f.h, 100);
	k = C(f.h);
	ZMM_CHECK_EQ(k.allocs, 2);
	ZMM_CHECK_EQ(k.cache_misses, 2);
	ZMM_CHECK_EQ(k.large_search_hits, 1); /* from the segment's tail */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(C(f.h).frees, 1);
	c = zmm_heap_alloc(f.h, 100);
	k = C(f.h);
	ZMM_CHECK(c == a);
	ZMM_CHECK_EQ(k.cache_hits, 1);
	ZMM_CHECK_EQ(k.allocs, 3);
	ZMM_CHECK_EQ(k.small_list_hits, 0);
	/* free(NULL) counts nothing */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, NULL), ZMM_FREE_OK);
	ZMM_CHECK_EQ(C(f.h).frees, 1);
	/* foreign pointer: nothing done, nothing counted */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, &local), ZMM_FREE_FOREIGN);
	ZMM_CHECK_EQ(C(f.h).frees, 1);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 0);
	ZMM_CHECK_EQ(f.log.errors, 0);
	/* realloc counts once; a move may add its own alloc and free */
	k0 = C(f.h);
	q = zmm_heap_realloc(f.h, c, 50);
	ZMM_REQUIRE(q != NULL);
	k = C(f.h);
	ZMM_CHECK_EQ(k.reallocs, k0.reallocs + 1);
	if (q == c) {
		ZMM_CHECK_EQ(k.allocs, k0.allocs);
		ZMM_CHECK_EQ(k.frees, k0.frees);
	} else {
		ZMM_CHECK(k.allocs - k0.allocs <= 1);
		ZMM_CHECK_EQ(k.frees - k0.frees, k.allocs - k0.allocs);
	}
	c = q;
	k0 = C(f.h);
	ZMM_CHECK(zmm_heap_realloc(f.h, NULL, 10) != NULL);
	ZMM_CHECK_EQ(C(f.h).reallocs, k0.reallocs);
	ZMM_CHECK_EQ(C(f.h).allocs, k0.allocs + 1);
	/* huge */
	k0 = C(f.h);
	hu = zmm_heap_alloc(f.h, 2 * SEG256);
	ZMM_REQUIRE(hu != NULL);
	k = C(f.h);
	ZMM_CHECK_EQ(k.huge_allocs, 1);
	ZMM_CHECK_EQ(k.segments_allocated, k0.segments_allocated + 1);
	ZMM_CHECK_EQ(k.allocs, k0.allocs + 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, hu), ZMM_FREE_OK);
	ZMM_CHECK_EQ(C(f.h).segments_released, k0.segments_released + 1);
	ZMM_CHECK_EQ(C(f.h).frees, k0.frees + 1);
	/* invalid free: counted as invalid, not as a free */
	k0 = C(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b + 8), ZMM_FREE_INVALID);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 1);
	ZMM_CHECK_EQ(C(f.h).frees, k0.frees);
	ZMM_CHECK_EQ(C(f.h).corruptions, 0);
	ZMM_CHECK_EQ(f.log.errors, 1);
	CHECK_OK(f.h);

	/* small list and large search hits in a heap without cache */
	h0 = fx_heap(&f, 0, 0, NOLIM);
	ZMM_REQUIRE(h0 != NULL);
	x = zmm_heap_alloc(h0, 100);
	y = zmm_heap_alloc(h0, 100);
	z = zmm_heap_alloc(h0, 100);
	ZMM_REQUIRE(x && y && z);
	ZMM_CHECK_EQ(C(h0).large_search_hits, 2);
	ZMM_CHECK_EQ(zmm_heap_free(h0, y), ZMM_FREE_OK);
	ZMM_CHECK(zmm_heap_alloc(h0, 100) == y);
	k = C(h0);
	ZMM_CHECK_EQ(k.small_list_hits, 1);
	ZMM_CHECK_EQ(k.large_search_hits, 2);
	ZMM_CHECK_EQ(k.cache_hits, 0);
	ZMM_CHECK(zmm_heap_alloc(h0, 1000) != NULL);
	ZMM_CHECK_EQ(C(h0).large_search_hits, 3);
	ZMM_CHECK_EQ(C(h0).allocs, 5);
	ZMM_CHECK_EQ(C(h0).frees, 1);
	ZMM_CHECK_EQ(C(h0).huge_allocs, 0);
	CHECK_OK(h0);
	zmm_heap_destroy(h0);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Misuse: each is reported with the right kind, ignored, and the heap stays usable
 * ---------------------------------------------------------------------------------------------- */

#define EXPECT_ERROR(f, n0, kind_, op_) do { \
	ZMM_CHECK_EQ((f).log.errors, (n0) + 1); \
	ZMM_CHECK_EQ((f).log.last.kind, (kind_)); \
	ZMM_CHECK_EQ((f).log.last.fatal, 0); \
	ZMM_CHECK(strcmp((f).log.op, (op_)) == 0); \
	ZMM_CHECK((f).log.msg[0] != '\0' && strcmp((f).log.msg, "(null)") != 0); \
} while (0)

/* Alloc/free still work and the heap is consistent. */
static void still_works(zmm_heap_t *h)
{
	void *a = zmm_heap_alloc(h, 100), *b = zmm_heap_alloc(h, 3000);
	ZMM_CHECK(a != NULL && b != NULL);
	if (a) {
		fill(a, 100, 1);
	}
	if (b) {
		fill(b, 3000, 2);
	}
	ZMM_CHECK(a == NULL || verify(a, 100, 1));
	ZMM_CHECK(b == NULL || verify(b, 3000, 2));
	ZMM_CHECK_EQ(zmm_heap_free(h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(h, b), ZMM_FREE_OK);
	CHECK_OK(h);
}

ZMM_TEST(t_err_double_free)
{
	fx f;
	char *p, *sp, *s, *q;
	int e0;
	jmp_buf jb;
	size_t size0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"a double free was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	p = zmm_heap_alloc(f.h, 1000);
	sp = zmm_heap_alloc(f.h, 8);
	q = zmm_heap_alloc(f.h, 100);
	s = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && sp && q && s);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	size0 = S(f.h).size;
	e0 = f.log.errors;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_INVALID);
	EXPECT_ERROR(f, e0, ZMM_ERROR_DOUBLE_FREE, "free");
	ZMM_CHECK(f.log.last.ptr == p);
	ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p - segof(&f.st, p)));
	ZMM_CHECK_EQ(f.log.last.segment_size, SEG256);
	ZMM_CHECK_EQ(f.log.last.block_size, 1016);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 1);
	ZMM_CHECK_EQ(C(f.h).frees, 1);
	ZMM_CHECK_EQ(S(f.h).size, size0);
	CHECK_OK(f.h);

	/* a small block freed twice */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	e0 = f.log.errors;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_INVALID);
	EXPECT_ERROR(f, e0, ZMM_ERROR_DOUBLE_FREE, "free");
	ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(q - segof(&f.st, q)));
	ZMM_CHECK_EQ(f.log.last.block_size, 120);
	CHECK_OK(f.h);

	/* the block was merged into its free neighbour: still reported, never freed twice */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK); /* p and sp merge */
	e0 = f.log.errors;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_INVALID);
	ZMM_CHECK_EQ(f.log.errors, e0 + 1);
	ZMM_CHECK(f.log.last.kind == ZMM_ERROR_DOUBLE_FREE || f.log.last.kind == ZMM_ERROR_INTERIOR_POINTER);
	ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(sp - segof(&f.st, sp)));
	CHECK_OK(f.h);
	still_works(f.h);
	f.log.jb = NULL;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_err_cached_free)
{
	fx f;
	char *p, *q, *r;
	int e0;
	jmp_buf jb;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"freeing a cached block was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	p = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	e0 = f.log.errors;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_INVALID);
	EXPECT_ERROR(f, e0, ZMM_ERROR_CACHED_FREE, "free");
	ZMM_CHECK(f.log.last.ptr == p);
	ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p - segof(&f.st, p)));
	ZMM_CHECK_EQ(f.log.last.block_size, 120);
	ZMM_CHECK_EQ(f.log.last.segment_size, SEG256);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(S(f.h).cached, 120);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 1);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p), 0);
	CHECK_OK(f.h);
	/* the cache holds it once: two allocations give two blocks */
	q = zmm_heap_alloc(f.h, 100);
	r = zmm_heap_alloc(f.h, 100);
	ZMM_CHECK(q == p);
	ZMM_CHECK(r != NULL && r != p);
	/* realloc of a cached block */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, r), ZMM_FREE_OK);
	e0 = f.log.errors;
	q = zmm_heap_realloc(f.h, r, 300);
	EXPECT_ERROR(f, e0, ZMM_ERROR_CACHED_FREE, "realloc");
	ZMM_CHECK(q != NULL && q != r);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	CHECK_OK(f.h);
	still_works(f.h);
	f.log.jb = NULL;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	fx_close_empty(&f);
}

ZMM_TEST(t_err_interior_pointer)
{
	fx f;
	char *p, *seg, *q;
	int e0;
	jmp_buf jb;
	static const size_t offs[] = { 8, 16, 24, 1, 7, 500 };
	size_t i, size0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"an interior pointer was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	p = zmm_heap_alloc(f.h, 1000);
	ZMM_REQUIRE(p != NULL);
	fill(p, 1000, 20);
	seg = segof(&f.st, p);
	size0 = S(f.h).size;
	for (i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		e0 = f.log.errors;
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p + offs[i]), ZMM_FREE_INVALID);
		EXPECT_ERROR(f, e0, ZMM_ERROR_INTERIOR_POINTER, "free");
		ZMM_CHECK(f.log.last.ptr == p + offs[i]);
		ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p + offs[i] - seg));
		ZMM_CHECK_EQ(f.log.last.segment_size, SEG256);
		ZMM_CHECK(f.log.last.block_size == 0 || f.log.last.block_size == 1016);
		ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p + offs[i]), 0);
	}
	/* the segment header, the block header, the free tail, the guard */
	{
		char *cand[4];
		cand[0] = seg + 8;
		cand[1] = p - 8;
		cand[2] = p + 1016 + 64;
		cand[3] = seg + SEG256 - 8;
		for (i = 0; i < 4; i++) {
			e0 = f.log.errors;
			ZMM_CHECK_EQ(zmm_heap_free(f.h, cand[i]), ZMM_FREE_INVALID);
			ZMM_CHECK_EQ(f.log.errors, e0 + 1);
			ZMM_CHECK(f.log.last.kind == ZMM_ERROR_INTERIOR_POINTER || f.log.last.kind == ZMM_ERROR_DOUBLE_FREE);
			ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(cand[i] - seg));
		}
	}
	ZMM_CHECK_EQ(C(f.h).invalid_frees, sizeof offs / sizeof offs[0] + 4);
	ZMM_CHECK_EQ(S(f.h).size, size0);
	ZMM_CHECK(verify(p, 1000, 20));
	CHECK_OK(f.h);
	/* realloc of an interior pointer: reported, a fresh block, p untouched */
	e0 = f.log.errors;
	q = zmm_heap_realloc(f.h, p + 8, 50);
	EXPECT_ERROR(f, e0, ZMM_ERROR_INTERIOR_POINTER, "realloc");
	ZMM_CHECK(q != NULL && q != p);
	ZMM_CHECK(verify(p, 1000, 20));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	still_works(f.h);
	f.log.jb = NULL;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	fx_close_empty(&f);
}

ZMM_TEST(t_err_realloc_freed)
{
	fx f;
	char *p, *sp, *q;
	int e0;
	jmp_buf jb;
	size_t size0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"realloc of a freed block was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	p = zmm_heap_alloc(f.h, 1000);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && sp);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	size0 = S(f.h).size;
	e0 = f.log.errors;
	q = zmm_heap_realloc(f.h, p, 200);
	EXPECT_ERROR(f, e0, ZMM_ERROR_DOUBLE_FREE, "realloc");
	ZMM_CHECK(f.log.last.ptr == p);
	ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p - segof(&f.st, p)));
	ZMM_CHECK_EQ(f.log.last.block_size, 1016);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 1);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(zmm_heap_block_size(f.h, q) >= 200);
	ZMM_CHECK_EQ(S(f.h).size, size0 + tsize(200));
	CHECK_OK(f.h);
	fill(q, 200, 21);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).size, size0);
	still_works(f.h);
	f.log.jb = NULL;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_err_foreign)
{
	fx f;
	static char outside[4096];
	char *heapmem, *q;
	int e0;
	jmp_buf jb;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"a foreign pointer was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	heapmem = malloc(64);
	ZMM_REQUIRE(heapmem != NULL);
	ZMM_CHECK(zmm_heap_alloc(f.h, 10) != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, outside + 64), ZMM_FREE_FOREIGN);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, heapmem), ZMM_FREE_FOREIGN);
	ZMM_CHECK_EQ(f.log.errors, 0);
	ZMM_CHECK_EQ(C(f.h).invalid_frees, 0);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, outside), 0);
	ZMM_CHECK(zmm_heap_owner(&f.st, outside) == NULL);
	/* realloc of a foreign pointer is reported and gives a fresh block */
	e0 = f.log.errors;
	q = zmm_heap_realloc(f.h, outside + 64, 100);
	EXPECT_ERROR(f, e0, ZMM_ERROR_FOREIGN_POINTER, "realloc");
	ZMM_CHECK(f.log.last.ptr == outside + 64);
	ZMM_CHECK_EQ(f.log.last.segment_size, 0);
	ZMM_CHECK(q != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	CHECK_OK(f.h);
	still_works(f.h);
	free(heapmem);
	f.log.jb = NULL;
	fx_close(&f);
}

/* An overwritten block header is reported as HEADER_DAMAGED: a garbage size word (caught by the
 * boundary tags and the start bitmap, with or without protection) and, with protection, a forged but
 * self-consistent size word (caught by the cookie). damaged_bytes is the header size. */
ZMM_TEST(t_err_header_damaged)
{
	fx f;
	volatile int prot, kind;
	jmp_buf jb;

	for (prot = 0; prot <= 1; prot++) {
		ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, prot) == 0);
		for (kind = 0; kind < 2 + prot; kind++) {
			/* kind 0: size word of a small block; 1: of a large block; 2: forged size + tag (prot) */
			volatile size_t n = kind == 0 ? 100 : 3000;
			size_t size0, m;
			char *p, *sp, *q;
			unsigned char saved[16], saved2[8];
			char *volatile forged_tag = NULL;
			volatile int e0;
			int rc;
			msgs b;
			zmm_heap_check_result_t cr;

			p = zmm_heap_alloc(f.h, n);
			sp = zmm_heap_alloc(f.h, 8);
			ZMM_REQUIRE(p && sp);
			ZMM_CHECK_EQ(blk(p), prot ? tsize_prot(n) : tsize(n));
			fill(p, n, 30);
			size0 = S(f.h).size;
			raw_copy(saved, p - 16, 16);
			if (kind < 2) {
				raw_xor(p - 16, 0x40);     /* size +- 64 */
				raw_xor(p - 11, 0x01);     /* size + 2^40 */
			} else {
				/* shrink the size word to 2016 and write the matching tag inside the payload */
				forged_tag = p - 16 + 2016 + 8;
				raw_copy(saved2, forged_tag, 8);
				raw_set_word(p - 16, 2016 | 1);
				raw_set_word(forged_tag, 2016 | 1);
			}
			/* zmm_heap_check sees it and does not call the error hook */
			e0 = f.log.errors;
			memset(&b, 0, sizeof b);
			ZMM_CHECK(zmm_heap_check(f.h, msgs_cb, &b, &cr) >= 1);
			ZMM_CHECK_EQ(f.log.errors, e0);

			f.log.jb = &jb;
			if (setjmp(jb) == 0) {
				rc = zmm_heap_free(f.h, p);
				ZMM_CHECK_EQ(rc, ZMM_FREE_INVALID);
				EXPECT_ERROR(f, e0, ZMM_ERROR_HEADER_DAMAGED, "free");
				ZMM_CHECK(f.log.last.ptr == p);
				ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p - segof(&f.st, p)));
				ZMM_CHECK_EQ(f.log.last.segment_size, SEG256);
				ZMM_CHECK_EQ(f.log.last.damaged_bytes, HDR);
				ZMM_CHECK(C(f.h).corruptions >= 1);
				ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p), 0);
				/* realloc of it is refused the same way and gives a fresh block */
				e0 = f.log.errors;
				q = zmm_heap_realloc(f.h, p, n + 100);
				EXPECT_ERROR(f, e0, ZMM_ERROR_HEADER_DAMAGED, "realloc");
				ZMM_CHECK(q != NULL && q != p);
				if (q) {
					ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
				}
			} else {
				ZMM_CHECK(!"header damage was fatal");
			}
			f.log.jb = NULL;
			/* restore: the block is intact again and can be freed */
			raw_copy(p - 16, saved, 16);
			if (forged_tag) {
				raw_copy(forged_tag, saved2, 8);
			}
			ZMM_CHECK_EQ(S(f.h).size, size0);
			CHECK_OK(f.h);
			ZMM_CHECK(verify(p, n, 30));
			m = zmm_heap_block_size(f.h, p);
			ZMM_CHECK(m >= n && m <= blk(p) - HDR);
			ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
			ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
			still_works(f.h);
			ZMM_CHECK_EQ(S(f.h).segments, 0);
		}
		fx_close(&f);
	}
}

/* Protection: bytes written past the requested size are reported as OVERFLOW with the number of
 * damaged canary bytes. The block itself is intact (its header is fine): the free either goes ahead
 * or is refused; either way the heap stays consistent. */
ZMM_TEST(t_err_canary_overrun)
{
	static const size_t sizes[] = { 0, 13, 100, 496, 497, 3000 };
	fx f;
	size_t k;
	jmp_buf jb;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 1) == 0);
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char *p, *p2, *sp, *q;
		size_t n = sizes[k];
		volatile int e0;
		int rc;

		p = zmm_heap_alloc(f.h, n);
		p2 = zmm_heap_alloc(f.h, n);
		sp = zmm_heap_alloc(f.h, 8);
		ZMM_REQUIRE(p && p2 && sp);
		fill(p, n, 31);
		fill(p2, n, 32);
		CHECK_OK(f.h);
		/* a 3-byte overrun */
		raw_xor(p + n, 0xff);
		raw_xor(p + n + 1, 0x0f);
		raw_xor(p + n + 2, 0x80);
		e0 = f.log.errors;
		ZMM_CHECK(heap_check(f.h) >= 1);
		ZMM_CHECK_EQ(f.log.errors, e0);
		f.log.jb = &jb;
		if (setjmp(jb) == 0) {
			rc = zmm_heap_free(f.h, p);
			EXPECT_ERROR(f, e0, ZMM_ERROR_OVERFLOW, "free");
			ZMM_CHECK(f.log.last.ptr == p);
			ZMM_CHECK_EQ(f.log.last.damaged_bytes, 3);
			ZMM_CHECK_EQ(f.log.last.segment_offset, (size_t)(p - segof(&f.st, p)));
			ZMM_CHECK_EQ(f.log.last.segment_size, SEG256);
			ZMM_CHECK_EQ(f.log.last.block_size, tsize_prot(n));
			ZMM_CHECK(C(f.h).corruptions >= 1);
			if (rc == ZMM_FREE_INVALID) {
				/* refused: still live; repair and free */
				raw_xor(p + n, 0xff);
				raw_xor(p + n + 1, 0x0f);
				raw_xor(p + n + 2, 0x80);
				ZMM_CHECK(verify(p, n, 31));
				ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
			} else {
				ZMM_CHECK_EQ(rc, ZMM_FREE_OK);
				ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p), 0);
			}
			CHECK_OK(f.h);
			/* realloc of an overrun block: reported too; the data still arrives */
			raw_xor(p2 + n, 0x5a);
			e0 = f.log.errors;
			q = zmm_heap_realloc(f.h, p2, n + 1000);
			EXPECT_ERROR(f, e0, ZMM_ERROR_OVERFLOW, "realloc");
			ZMM_CHECK_EQ(f.log.last.damaged_bytes, 1);
			ZMM_REQUIRE(q != NULL);
			if (q != p2) {
				ZMM_CHECK(verify(q, n, 32));
				ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
			} else {
				ZMM_CHECK(verify(q, n, 32));
				ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
			}
			CHECK_OK(f.h);
		} else {
			ZMM_CHECK(!"a canary overrun was fatal");
		}
		f.log.jb = NULL;
		ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
		still_works(f.h);
	}
	fx_close_empty(&f);
}

/* zmm_heap.h: damaged_bytes of an OVERFLOW is the number of canary bytes that differ. */
ZMM_TEST(t_err_canary_damaged_count)
{
	fx f;
	char *p;
	int e0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 1) == 0);
	p = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(p != NULL);
	raw_xor(p + 100 + 2, 0x11); /* one byte, two bytes past the end */
	e0 = f.log.errors;
	(void)zmm_heap_free(f.h, p);
	ZMM_CHECK_EQ(f.log.errors, e0 + 1);
	ZMM_CHECK_EQ(f.log.last.kind, ZMM_ERROR_OVERFLOW);
	ZMM_CHECK_EQ(f.log.last.damaged_bytes, 1);
	if (zmm_heap_block_size(f.h, p) != 0) {
		raw_xor(p + 100 + 2, 0x11);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	}
	CHECK_OK(f.h);
	fx_close(&f);
}

/* Protection on, ordinary use: no false alarms, documented sizes. */
ZMM_TEST(t_protection_smoke)
{
	fx f;
	char *p[40];
	size_t i, n;
	ZMM_REQUIRE(fx_open(&f, SEG64, 2, 0, 1) == 0);
	ZMM_CHECK_EQ(S(f.h).protection, 1);
	for (i = 0; i < 40; i++) {
		n = i * 37 % 700;
		p[i] = zmm_heap_alloc(f.h, n);
		ZMM_REQUIRE(p[i] != NULL);
		ZMM_CHECK_EQ(blk(p[i]), tsize_prot(n));
		ZMM_CHECK(zmm_heap_block_size(f.h, p[i]) >= n);
		if (i) {
			ZMM_CHECK(p[i] == p[i - 1] + tsize_prot((i - 1) * 37 % 700));
		}
		fill(p[i], n, (unsigned)i);
	}
	CHECK_OK(f.h);
	for (i = 0; i < 40; i += 2) {
		n = i * 37 % 700;
		p[i] = zmm_heap_realloc(f.h, p[i], n * 3 + 1);
		ZMM_REQUIRE(p[i] != NULL);
		ZMM_CHECK(verify(p[i], n, (unsigned)i));
		fill(p[i], n * 3 + 1, (unsigned)i);
	}
	CHECK_OK(f.h);
	for (i = 0; i < 40; i++) {
		n = i % 2 ? i * 37 % 700 : (i * 37 % 700) * 3 + 1;
		ZMM_CHECK(verify(p[i], n, (unsigned)i));
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
	}
	/* a huge block with protection */
	p[0] = zmm_heap_alloc(f.h, 3 * SEG64);
	ZMM_REQUIRE(p[0] != NULL);
	fill(p[0], 3 * SEG64, 3);
	p[0] = zmm_heap_realloc(f.h, p[0], 5 * SEG64);
	ZMM_REQUIRE(p[0] != NULL);
	ZMM_CHECK(verify(p[0], 3 * SEG64, 3));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p[0]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(f.log.errors, 0);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Limit and OOM hooks
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_limit_hook_fail)
{
	fx f;
	char *a, *b, *c, *d, *e;
	zmm_heap_summary_t s;
	zmm_heap_counters_t k;

	ZMM_REQUIRE(fx_storage(&f, SEG64, 0) == 0);
	f.h = fx_heap(&f, CACHE_DEF, 0, 2 * SEG64);
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 60000);
	b = zmm_heap_alloc(f.h, 60000);
	c = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a && b && c);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(f.log.limit_calls, 0);

	f.log.limit_answer = ZMM_LIMIT_FAIL;
	d = zmm_heap_alloc(f.h, 60000);
	ZMM_CHECK(d == NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 1);
	ZMM_CHECK_EQ(f.log.limit_request, 60000);
	ZMM_CHECK_EQ(f.log.limit_needed, SEG64);
	ZMM_CHECK_EQ(f.log.limit_cached, 0);         /* flushed before the hook */
	ZMM_CHECK_EQ(f.log.limit_check_errors, 0);   /* consistent inside the hook */
	ZMM_CHECK_EQ(f.log.limit_real_size, 2 * SEG64);
	ZMM_CHECK_EQ(f.log.oom_calls, 0);
	s = S(f.h);
	k = C(f.h);
	ZMM_CHECK_EQ(s.segments, 2);
	ZMM_CHECK_EQ(s.real_size, 2 * SEG64);
	ZMM_CHECK_EQ(k.segments_allocated, 2);
	ZMM_CHECK_EQ(k.limit_refusals, 1);
	ZMM_CHECK_EQ(k.allocs, 3);
	ZMM_CHECK_EQ(f.st.segments, 2);
	ZMM_CHECK_EQ(s.size, 2 * tsize(60000));
	CHECK_OK(f.h);

	/* a huge request: needed is its whole segment */
	e = zmm_heap_alloc(f.h, 200000);
	ZMM_CHECK(e == NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 2);
	ZMM_CHECK_EQ(f.log.limit_request, 200000);
	ZMM_CHECK_EQ(f.log.limit_needed, huge_seg(SEG64, 200000));
	ZMM_CHECK_EQ(C(f.h).huge_allocs, 0);
	/* realloc beyond the limit: NULL, the block stays */
	fill(a, 60000, 40);
	e = zmm_heap_realloc(f.h, a, 200000);
	ZMM_CHECK(e == NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 3);
	ZMM_CHECK(verify(a, 60000, 40));
	ZMM_CHECK(zmm_heap_block_size(f.h, a) >= 60000);
	ZMM_CHECK_EQ(S(f.h).segments, 2);
	ZMM_CHECK_EQ(C(f.h).limit_refusals, 3);
	CHECK_OK(f.h);
	/* small requests that fit the held segments need no new memory */
	c = zmm_heap_alloc(f.h, 1000);
	ZMM_CHECK(c != NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 3);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	/* raising the limit lets it through */
	zmm_heap_set_limit(f.h, 3 * SEG64);
	d = zmm_heap_alloc(f.h, 60000);
	ZMM_CHECK(d != NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 3);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, d), ZMM_FREE_OK);
	zmm_heap_flush_cache(f.h);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(f.st.segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

ZMM_TEST(t_limit_hook_proceed)
{
	fx f;
	char *a, *b, *d, *e;
	ZMM_REQUIRE(fx_storage(&f, SEG64, 0) == 0);
	f.h = fx_heap(&f, CACHE_DEF, 0, SEG64);
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 60000);
	ZMM_REQUIRE(a != NULL);
	f.log.limit_answer = ZMM_LIMIT_PROCEED;
	b = zmm_heap_alloc(f.h, 60000);
	ZMM_CHECK(b != NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 1);
	ZMM_CHECK_EQ(S(f.h).real_size, 2 * SEG64);
	ZMM_CHECK(S(f.h).real_size > S(f.h).limit);
	ZMM_CHECK_EQ(C(f.h).limit_refusals, 0);
	d = zmm_heap_alloc(f.h, 300000);
	ZMM_CHECK(d != NULL);
	ZMM_CHECK_EQ(f.log.limit_calls, 2);
	if (d) {
		memset(d, 3, 300000);
	}
	e = zmm_heap_realloc(f.h, d, 600000);
	ZMM_CHECK(e != NULL);
	ZMM_CHECK(f.log.limit_calls >= 2);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, e), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

ZMM_TEST(t_limit_no_hook_and_overflow)
{
	fx f;
	zmm_heap_options_t o;
	char *a, *b;
	size_t big[] = { (size_t)-1, (size_t)-1 - 8, (size_t)-1 - 4096, (size_t)-1 / 2, (size_t)1 << 62 };
	size_t i;
	int calls;

	ZMM_REQUIRE(fx_storage(&f, SEG64, 0) == 0);
	zmm_heap_options_default(&o);
	o.limit = SEG64;
	f.h = zmm_heap_create(&f.st, &o, NULL); /* no hooks: the limit fails */
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 60000);
	ZMM_REQUIRE(a != NULL);
	b = zmm_heap_alloc(f.h, 60000);
	ZMM_CHECK(b == NULL);
	ZMM_CHECK_EQ(C(f.h).limit_refusals, 1);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	zmm_heap_destroy(f.h);

	/* requests whose size wraps around: NULL, never a small block */
	f.h = fx_heap(&f, CACHE_DEF, 0, 64 * SEG64);
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a != NULL);
	for (i = 0; i < sizeof big / sizeof big[0]; i++) {
		calls = f.log.limit_calls + f.log.oom_calls;
		b = zmm_heap_alloc(f.h, big[i]);
		ZMM_CHECK(b == NULL);
		ZMM_CHECK(f.log.limit_calls + f.log.oom_calls > calls);
		b = zmm_heap_realloc(f.h, a, big[i]);
		ZMM_CHECK(b == NULL);
		ZMM_CHECK(zmm_heap_block_size(f.h, a) >= 100);
	}
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(f.st.segments, 1);
	ZMM_CHECK_EQ(f.log.errors, 0);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	fx_close(&f);
}

ZMM_TEST(t_oom_hook)
{
	fx f;
	char *a, *b, *c, *p, *q;
	zmm_heap_summary_t s;

	ZMM_REQUIRE(fx_open(&f, SEG64, 0, CACHE_DEF, 0) == 0);
	/* the very first segment fails */
	f.st.fail_countdown = 1;
	a = zmm_heap_alloc(f.h, 100);
	ZMM_CHECK(a == NULL);
	ZMM_CHECK_EQ(f.log.oom_calls, 1);
	ZMM_CHECK_EQ(f.log.oom_request, 100);
	ZMM_CHECK_EQ(f.log.oom_needed, SEG64);
	ZMM_CHECK_EQ(f.log.oom_check_errors, 0);
	s = S(f.h);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.real_size, 0);
	ZMM_CHECK_EQ(s.size, 0);
	ZMM_CHECK_EQ(C(f.h).allocs, 0);
	ZMM_CHECK_EQ(C(f.h).segments_allocated, 0);
	ZMM_CHECK(f.st.counters.os_failures >= 1);
	CHECK_OK(f.h);
	f.st.fail_countdown = 0;

	/* later it works */
	a = zmm_heap_alloc(f.h, 100);
	b = zmm_heap_alloc(f.h, 60000);
	ZMM_REQUIRE(a && b);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	/* a second segment fails: the first one is untouched */
	fill(b, 60000, 50);
	f.st.fail_countdown = 1;
	c = zmm_heap_alloc(f.h, 60000);
	ZMM_CHECK(c == NULL);
	ZMM_CHECK_EQ(f.log.oom_calls, 2);
	ZMM_CHECK_EQ(f.log.oom_request, 60000);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK(verify(b, 60000, 50));
	CHECK_OK(f.h);
	/* a huge one fails */
	f.st.fail_countdown = 1;
	c = zmm_heap_alloc(f.h, 1000000);
	ZMM_CHECK(c == NULL);
	ZMM_CHECK_EQ(f.log.oom_calls, 3);
	ZMM_CHECK_EQ(f.log.oom_needed, huge_seg(SEG64, 1000000));
	ZMM_CHECK_EQ(C(f.h).huge_allocs, 0);
	CHECK_OK(f.h);
	f.st.fail_countdown = 0;

	/* storage realloc of a huge block fails: NULL (b stays valid) or a correct move */
	p = zmm_heap_alloc(f.h, 100000);
	ZMM_REQUIRE(p != NULL);
	fill(p, 100000, 51);
	f.st.fail_countdown = 1;
	q = zmm_heap_realloc(f.h, p, 400000);
	f.st.fail_countdown = 0;
	if (q == NULL) {
		ZMM_CHECK_EQ(f.log.oom_calls, 4);
		ZMM_CHECK(verify(p, 100000, 51));
		ZMM_CHECK(zmm_heap_block_size(f.h, p) >= 100000);
		q = p;
	} else {
		ZMM_CHECK(verify(q, 100000, 51));
	}
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(f.log.limit_calls, 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	zmm_heap_flush_cache(f.h);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(f.st.segments, 0);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Reset, gc, peak, usage, block size
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_reset_keep)
{
	static const size_t keeps[] = { 0, 1, 3 };
	size_t ki;
	for (ki = 0; ki < 3; ki++) {
		fx f;
		size_t keep = keeps[ki], i;
		char *p;
		zmm_heap_summary_t s;
		zmm_heap_counters_t c0, c1;
		zmm_heap_stats_t st;
		uint64_t os0, pool0;

		ZMM_REQUIRE(fx_open(&f, SEG64, 4, CACHE_DEF, 0) == 0);
		for (i = 0; i < 5; i++) {
			ZMM_REQUIRE(zmm_heap_alloc(f.h, 60000) != NULL);
			p = zmm_heap_alloc(f.h, 100);
			ZMM_REQUIRE(p != NULL);
			ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
		}
		ZMM_REQUIRE(zmm_heap_alloc(f.h, 200000) != NULL);
		s = S(f.h);
		ZMM_CHECK_EQ(s.segments, 6);
		ZMM_CHECK(s.cached > 0);
		c0 = C(f.h);

		zmm_heap_reset(f.h, keep);
		s = S(f.h);
		c1 = C(f.h);
		ZMM_CHECK_EQ(s.segments, keep);
		ZMM_CHECK_EQ(s.real_size, keep * SEG64);
		ZMM_CHECK_EQ(s.real_peak, keep * SEG64);
		ZMM_CHECK_EQ(s.size, 0);
		ZMM_CHECK_EQ(s.peak, 0);
		ZMM_CHECK_EQ(s.cached, 0);
		ZMM_CHECK_EQ(s.cached_blocks, 0);
		ZMM_CHECK_EQ(s.rest_blocks, 0);
		ZMM_CHECK_EQ(s.rest_bytes, 0);
		ZMM_CHECK_EQ(s.free_bytes, keep * usable(SEG64));
		ZMM_CHECK_EQ(zmm_heap_usage(f.h), 0);
		ZMM_CHECK_EQ(c1.allocs, c0.allocs);
		ZMM_CHECK_EQ(c1.frees, c0.frees);
		ZMM_CHECK_EQ(c1.segments_released, c0.segments_released + 6 - keep);
		ZMM_CHECK_EQ(f.st.segments, keep);
		ZMM_REQUIRE(stats(f.h, &st) == 0);
		ZMM_CHECK_EQ(st.segment_count, keep);
		for (i = 0; i < st.segment_count; i++) {
			ZMM_CHECK_EQ(st.segments[i].size, SEG64);
			ZMM_CHECK_EQ(st.segments[i].blocks, 1);
			ZMM_CHECK_EQ(st.segments[i].free_blocks, 1);
			ZMM_CHECK_EQ(st.segments[i].free, usable(SEG64));
			ZMM_CHECK_EQ(st.segments[i].used, 0);
		}
		for (i = 0; i < ZMM_HEAP_NUM_BUCKETS; i++) {
			ZMM_CHECK_EQ(st.buckets[i].cached_blocks, 0);
		}
		ZMM_CHECK_EQ(st.free_blocks, keep);
		zmm_heap_stats_free(&st);
		CHECK_OK(f.h);

		/* the kept segments serve the next allocations without storage calls */
		os0 = f.st.counters.os_allocs;
		pool0 = f.st.counters.pool_hits;
		for (i = 0; i < keep; i++) {
			p = zmm_heap_alloc(f.h, max_nonhuge(SEG64));
			ZMM_CHECK(p != NULL);
			ZMM_CHECK_EQ((char *)p - segof(&f.st, p), SEGHDR + HDR);
		}
		ZMM_CHECK_EQ(C(f.h).segments_allocated, c1.segments_allocated);
		ZMM_CHECK_EQ(f.st.counters.os_allocs, os0);
		ZMM_CHECK_EQ(f.st.counters.pool_hits, pool0);
		ZMM_CHECK_EQ(S(f.h).free_bytes, 0);
		p = zmm_heap_alloc(f.h, 10);
		ZMM_CHECK(p != NULL);
		ZMM_CHECK_EQ(C(f.h).segments_allocated, c1.segments_allocated + 1);
		ZMM_CHECK_EQ(S(f.h).peak, keep * usable(SEG64) + 32);
		CHECK_OK(f.h);

		/* reset again with nothing to keep */
		zmm_heap_reset(f.h, 0);
		ZMM_CHECK_EQ(S(f.h).segments, 0);
		ZMM_CHECK_EQ(S(f.h).real_size, 0);
		ZMM_CHECK_EQ(f.st.segments, 0);
		CHECK_OK(f.h);
		still_works(f.h);
		fx_close(&f);
	}
}

ZMM_TEST(t_gc)
{
	fx f;
	char *a, *b;
	size_t r;

	ZMM_REQUIRE(fx_open(&f, SEG64, 2, CACHE_DEF, 0) == 0);
	ZMM_CHECK_EQ(zmm_heap_gc(f.h), 0);
	a = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	/* the flush empties the segment, which passes through the pool and is released: one segment's
	 * worth of memory is no longer held (not counted twice) */
	r = zmm_heap_gc(f.h);
	ZMM_CHECK_EQ(r, SEG64);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	ZMM_CHECK_EQ(S(f.h).real_size, 0);
	ZMM_CHECK_EQ(S(f.h).cached, 0);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&f.st), 0);
	ZMM_CHECK_EQ(zmm_heap_gc(f.h), 0);
	/* a segment emptied earlier sits in the pool: gc releases it */
	a = zmm_heap_alloc(f.h, 100);
	b = zmm_heap_alloc(f.h, 200000);
	ZMM_REQUIRE(a && b);
	zmm_heap_set_cache_limit(f.h, 0);
	ZMM_CHECK_EQ(S(f.h).cached, 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&f.st), SEG64);
	r = zmm_heap_gc(f.h);
	ZMM_CHECK_EQ(r, SEG64);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&f.st), 0);
	/* both at once: a cached block whose flush empties a segment, and a pooled segment */
	zmm_heap_set_cache_limit(f.h, CACHE_DEF);
	a = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(a != NULL);
	{
		char *c = zmm_heap_alloc(f.h, 100), *d;
		ZMM_REQUIRE(c != NULL);
		d = zmm_heap_alloc(f.h, max_nonhuge(SEG64)); /* a segment of its own */
		ZMM_REQUIRE(d != NULL);
		ZMM_CHECK(segof(&f.st, d) != segof(&f.st, a));
		zmm_heap_set_cache_limit(f.h, 0);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, d), ZMM_FREE_OK);  /* into the pool */
		zmm_heap_set_cache_limit(f.h, CACHE_DEF);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);  /* cached */
		ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);  /* cached */
		ZMM_CHECK_EQ(zmm_storage_pool_bytes(&f.st), SEG64);
		r = zmm_heap_gc(f.h);
		ZMM_CHECK_EQ(r, 2 * SEG64);
		ZMM_CHECK_EQ(zmm_storage_pool_bytes(&f.st), 0);
		ZMM_CHECK_EQ(S(f.h).segments, 1);
	}
	/* live data is untouched */
	ZMM_CHECK(zmm_heap_block_size(f.h, b) >= 200000);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	fx_close(&f);
}

ZMM_TEST(t_reset_peak_usage)
{
	fx f;
	char *sp, *a, *c;
	zmm_heap_summary_t s;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	sp = zmm_heap_alloc(f.h, 8);
	a = zmm_heap_alloc(f.h, 50000);
	c = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(sp && a && c);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 32 + tsize(50000) + 120);
	ZMM_CHECK_EQ(S(f.h).peak, 32 + tsize(50000) + 120);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.size, 32 + 120);
	ZMM_CHECK_EQ(s.cached, 120);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), s.size - s.cached);
	ZMM_CHECK_EQ(s.peak, 32 + tsize(50000) + 120);
	ZMM_CHECK_EQ(s.real_peak, SEG256);

	/* a huge block raises real_peak; after it is gone reset_peak brings both down */
	a = zmm_heap_alloc(f.h, 1 << 20);
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.real_size, SEG256);
	ZMM_CHECK_EQ(s.real_peak, SEG256 + huge_seg(SEG256, 1 << 20));
	ZMM_CHECK_EQ(s.peak_segments, 2);
	zmm_heap_reset_peak(f.h);
	s = S(f.h);
	ZMM_CHECK_EQ(s.peak, s.size - s.cached);
	ZMM_CHECK_EQ(s.peak, 32);
	ZMM_CHECK_EQ(s.real_peak, s.real_size);
	/* a cache hit does not move the peak... */
	c = zmm_heap_alloc(f.h, 100);
	ZMM_CHECK_EQ(S(f.h).peak, 32);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 152);
	/* ...new memory does */
	a = zmm_heap_alloc(f.h, 1000);
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(S(f.h).peak, 152 + 1016);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 152 + 1016);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_usage(f.h), 0);
	fx_close_empty(&f);
}

ZMM_TEST(t_block_size)
{
	fx f;
	char *p, *q, *L, *sp;
	size_t n;
	int local = 0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	for (n = 0; n < 700; n += 13) {
		p = zmm_heap_alloc(f.h, n);
		ZMM_REQUIRE(p != NULL);
		ZMM_CHECK(zmm_heap_block_size(f.h, p) >= n);
		ZMM_CHECK(zmm_heap_block_size(f.h, p) <= blk(p) - HDR);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	}
	p = zmm_heap_alloc(f.h, 100);
	L = zmm_heap_alloc(f.h, 5000);
	sp = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(p && L && sp);
	ZMM_CHECK(zmm_heap_block_size(f.h, L) >= 5000);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p + 8), 0);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, &local), 0);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, NULL), 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, p), 0); /* cached */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, L), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, L), 0); /* free */
	q = zmm_heap_alloc(f.h, 1 << 20);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(zmm_heap_block_size(f.h, q) >= (1 << 20));
	ZMM_CHECK_EQ(zmm_heap_free(f.h, q), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, q), 0); /* segment gone */
	ZMM_CHECK_EQ(f.log.errors, 0);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sp), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Two heaps on one storage
 * ---------------------------------------------------------------------------------------------- */

ZMM_TEST(t_owner_two_heaps)
{
	fx f;
	zmm_heap_t *A, *B;
	char *pa, *pb, *pb2, *q, *r;
	size_t ua, ub;
	int local = 0;

	ZMM_REQUIRE(fx_storage(&f, SEG64, 2) == 0);
	A = fx_heap(&f, CACHE_DEF, 0, NOLIM);
	B = fx_heap(&f, CACHE_DEF, 0, NOLIM);
	ZMM_REQUIRE(A && B);
	pa = zmm_heap_alloc(A, 100);
	pb = zmm_heap_alloc(B, 100);
	ZMM_REQUIRE(pa && pb);
	ZMM_CHECK(zmm_heap_owner(&f.st, pa) == A);
	ZMM_CHECK(zmm_heap_owner(&f.st, pb) == B);
	ZMM_CHECK(zmm_heap_owner(&f.st, pb + 50) == B);
	ZMM_CHECK(zmm_heap_owner(&f.st, &local) == NULL);
	ZMM_CHECK(zmm_heap_owner(&f.st, NULL) == NULL);
	ZMM_CHECK(segof(&f.st, pa) != segof(&f.st, pb));
	ZMM_CHECK_EQ(f.st.segments, 2);

	/* B's block freed through A goes back to B */
	ua = zmm_heap_usage(A);
	ub = zmm_heap_usage(B);
	ZMM_CHECK_EQ(zmm_heap_free(A, pb), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_usage(A), ua);
	ZMM_CHECK_EQ(zmm_heap_usage(B), ub - 120);
	ZMM_CHECK_EQ(S(A).cached_blocks, 0);
	ZMM_CHECK_EQ(S(A).size, 120);
	CHECK_OK(A);
	CHECK_OK(B);
	/* B can reuse it */
	ZMM_CHECK(zmm_heap_alloc(B, 100) == pb);

	/* realloc across heaps: the new block is A's, the old one is freed in B */
	pb2 = zmm_heap_alloc(B, 3000);
	ZMM_REQUIRE(pb2 != NULL);
	fill(pb2, 3000, 60);
	ub = zmm_heap_usage(B);
	q = zmm_heap_realloc(A, pb2, 5000);
	ZMM_REQUIRE(q != NULL);
	ZMM_CHECK(zmm_heap_owner(&f.st, q) == A);
	ZMM_CHECK(verify(q, 3000, 60));
	ZMM_CHECK_EQ(zmm_heap_usage(B), ub - tsize(3000));
	ZMM_CHECK_EQ(zmm_heap_usage(A), ua + tsize(5000));
	/* and the other way, shrinking */
	r = zmm_heap_realloc(B, q, 100);
	ZMM_REQUIRE(r != NULL);
	ZMM_CHECK(zmm_heap_owner(&f.st, r) == B);
	ZMM_CHECK(verify(r, 100, 60));
	ZMM_CHECK_EQ(zmm_heap_usage(A), ua);
	CHECK_OK(A);
	CHECK_OK(B);
	/* misuse through the other heap is still reported */
	{
		int e0 = f.log.errors;
		ZMM_CHECK_EQ(zmm_heap_free(A, r + 8), ZMM_FREE_INVALID);
		ZMM_CHECK_EQ(f.log.errors, e0 + 1);
		ZMM_CHECK_EQ(f.log.last.kind, ZMM_ERROR_INTERIOR_POINTER);
	}
	ZMM_CHECK_EQ(zmm_heap_free(B, r), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(B, pb), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(B, pa), ZMM_FREE_OK);
	zmm_heap_flush_cache(A);
	zmm_heap_flush_cache(B);
	ZMM_CHECK_EQ(S(A).segments, 0);
	ZMM_CHECK_EQ(S(B).segments, 0);
	ZMM_CHECK_EQ(f.st.segments, 0);
	/* destroying one heap leaves the other's segments alone */
	pa = zmm_heap_alloc(A, 10);
	pb = zmm_heap_alloc(B, 10);
	ZMM_REQUIRE(pa && pb);
	fill(pb, 10, 61);
	zmm_heap_destroy(A);
	ZMM_CHECK_EQ(f.st.segments, 1);
	ZMM_CHECK(zmm_heap_owner(&f.st, pb) == B);
	ZMM_CHECK(verify(pb, 10, 61));
	CHECK_OK(B);
	zmm_heap_destroy(B);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * zmm_heap_check on deliberately broken heaps
 * ---------------------------------------------------------------------------------------------- */

static int any_mentions(const msgs *b, const size_t *vals, size_t nv)
{
	size_t i, j;
	for (i = 0; i < b->n && i < MAX_MSGS; i++) {
		for (j = 0; j < nv; j++) {
			if (mentions(b->m[i], vals[j])) {
				return 1;
			}
		}
	}
	return 0;
}

ZMM_TEST(t_check_reports_damage)
{
	fx f;
	char *s1, *p, *s2, *seg, *s3, *s4;
	size_t saved[2], e, off, vals[4];
	msgs b;
	zmm_heap_check_result_t r;
	int errors0;

	ZMM_REQUIRE(fx_open(&f, SEG256, 2, 0, 0) == 0);
	s1 = zmm_heap_alloc(f.h, 1000);
	p = zmm_heap_alloc(f.h, 1000);
	s2 = zmm_heap_alloc(f.h, 1000);
	ZMM_REQUIRE(s1 && p && s2);
	seg = segof(&f.st, p);
	off = (size_t)(p - HDR - seg); /* 1064 */
	ZMM_CHECK_EQ(off, SEGHDR + 1016);

	/* a healthy heap: zero problems, counts reported */
	memset(&r, 0, sizeof r);
	ZMM_CHECK_EQ(zmm_heap_check(f.h, NULL, NULL, &r), 0);
	ZMM_CHECK_EQ(r.segments, 1);
	ZMM_CHECK_EQ(r.blocks, 4);
	ZMM_CHECK_EQ(r.errors, 0);

	ZMM_CHECK_EQ(zmm_heap_free(f.h, p), ZMM_FREE_OK); /* a free large block between two used ones */
	CHECK_OK(f.h);
	errors0 = f.log.errors;

	/* 1. the size in the free block's header (walking then lands on s2's neighbour) */
	raw_copy(saved, p - HDR, sizeof saved);
	raw_set_word(p - HDR, raw_word(p - HDR) + 1016); /* keeps the flag bits */
	memset(&b, 0, sizeof b);
	e = zmm_heap_check(f.h, msgs_cb, &b, &r);
	ZMM_CHECK(e >= 1);
	ZMM_CHECK_EQ(r.errors, e);
	ZMM_CHECK_EQ(b.n, e);
	vals[0] = off;
	vals[1] = off + HDR;
	vals[2] = off + 1016;
	vals[3] = off + 2032;
	ZMM_CHECK(any_mentions(&b, vals, 4));
	if (b.n) {
		fprintf(stderr, "  (check said: %s)\n", b.m[0]);
	}
	raw_copy(p - HDR, saved, sizeof saved);
	CHECK_OK(f.h);

	/* 2. the boundary tag (prev size) in the next block's header */
	raw_copy(saved, s2 - HDR, sizeof saved);
	raw_set_word(s2 - 8, raw_word(s2 - 8) + 64);
	memset(&b, 0, sizeof b);
	e = zmm_heap_check(f.h, msgs_cb, &b, &r);
	ZMM_CHECK(e >= 1);
	vals[0] = off;
	vals[1] = off + HDR;
	vals[2] = off + 1016;
	vals[3] = off + 1016 + HDR;
	ZMM_CHECK(any_mentions(&b, vals, 4));
	raw_copy(s2 - HDR, saved, sizeof saved);
	CHECK_OK(f.h);

	/* 3. the free-list links of a small free block: point them at a used block */
	s3 = zmm_heap_alloc(f.h, 100); /* lands in p's old space */
	s4 = zmm_heap_alloc(f.h, 100);
	ZMM_REQUIRE(s3 && s4);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s3), ZMM_FREE_OK); /* between used p-remainder? s3 prev is s1, next s4 */
	CHECK_OK(f.h);
	{
		unsigned char savedl[16];
		raw_copy(savedl, s3, sizeof savedl);
		raw_set_word(s3, (size_t)(uintptr_t)(s4 - HDR));
		raw_set_word(s3 + 8, (size_t)(uintptr_t)(s4 - HDR));
		memset(s4, 0, 100);
		memset(&b, 0, sizeof b);
		e = zmm_heap_check(f.h, msgs_cb, &b, &r);
		ZMM_CHECK(e >= 1);
		if (b.n) {
			fprintf(stderr, "  (check said: %s)\n", b.m[0]);
		}
		raw_copy(s3, savedl, sizeof savedl);
	}
	CHECK_OK(f.h);

	/* check never calls the error hook and changes nothing */
	ZMM_CHECK_EQ(f.log.errors, errors0);
	still_works(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s4), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s1), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, s2), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).segments, 0);
	fx_close(&f);
}

/* Without protection, an 8-byte overflow that zeroes the next block's size word (its prev tag, which
 * the overflowing block's own liveness check reads, stays intact). Freeing the overflowing block must
 * not follow the damaged neighbour's "free list links" (user data): it must report the damage
 * (HEADER_DAMAGED or CORRUPTED, fatal allowed) instead of crashing. Run in a child process. */
static int neighbour_damage_child(const char *storage, int cache, size_t victim_n)
{
	fx f;
	char *a, *b, *c;
	jmp_buf jb;
	volatile int reported = 0, kind = 0;

	g_storage = storage;
	if (fx_open(&f, SEG256, 2, cache ? CACHE_DEF : 0, 0) != 0) {
		return 40;
	}
	a = zmm_heap_alloc(f.h, 1000);
	b = zmm_heap_alloc(f.h, victim_n);
	c = zmm_heap_alloc(f.h, 100);
	if (!a || !b || !c || b != a + 1016) {
		return 41;
	}
	memset(b, 0, victim_n);          /* the victim's data: zero "links" */
	raw_set_word(b - 16, 0);         /* the overflow: 8 zero bytes over b's size word */
	f.log.jb = &jb;
	if (setjmp(jb) == 0) {
		(void)zmm_heap_free(f.h, a);
	}
	reported = f.log.errors;
	kind = (int)f.log.last.kind;
	if (reported == 0) {
		return 42;                   /* silently accepted */
	}
	if (kind != ZMM_ERROR_HEADER_DAMAGED && kind != ZMM_ERROR_CORRUPTED) {
		return 43;
	}
	return 0;                        /* leaks are expected after a fatal error: _exit, no LSan */
}

ZMM_TEST(t_robust_next_header_damaged)
{
	static const size_t victims[] = { 100, 3000 };
	char what[64];
	size_t v;
	for (v = 0; v < 2; v++) {
		snprintf(what, sizeof what, "victim of %zu bytes", victims[v]);
		check_in_child(neighbour_damage_child, 0, victims[v], what);
	}
}

/* A use-after-free write zeroes the free-list links of a freed block (16 bytes at its payload).
 * zmm_heap_check must report it without crashing; an alloc that takes the block and a free that
 * merges with it must report CORRUPTED (fatal allowed) rather than dereference the zeroed links.
 * mode 0: zmm_heap_check; 1: free of the previous neighbour; 2: alloc of the same size. */
static int uaf_child(const char *storage, int mode, size_t n)
{
	fx f;
	char *a, *b, *c;
	jmp_buf jb;
	size_t e;

	g_storage = storage;
	if (fx_open(&f, SEG256, 2, 0, 0) != 0) {
		return 40;
	}
	a = zmm_heap_alloc(f.h, n);
	b = zmm_heap_alloc(f.h, n);
	c = zmm_heap_alloc(f.h, n);
	if (!a || !b || !c || zmm_heap_free(f.h, b) != ZMM_FREE_OK) {
		return 41;
	}
	raw_set_word(b, 0);               /* the stale write: two zero words */
	raw_set_word(b + 8, 0);
	f.log.jb = &jb;
	if (setjmp(jb) == 0) {
		if (mode == 0) {
			zmm_heap_check_result_t r;
			e = zmm_heap_check(f.h, NULL, NULL, &r);
			return e >= 1 && f.log.errors == 0 ? 0 : 42;
		} else if (mode == 1) {
			(void)zmm_heap_free(f.h, a);
		} else {
			(void)zmm_heap_alloc(f.h, n);
		}
	}
	if (f.log.errors == 0) {
		return mode == 2 ? 0 : 42;    /* an alloc may skip the damaged block; it must not crash */
	}
	return f.log.last.kind == ZMM_ERROR_CORRUPTED || f.log.last.kind == ZMM_ERROR_HEADER_DAMAGED ? 0 : 43;
}

ZMM_TEST(t_robust_uaf_links)
{
	static const char *const how[] = { "zmm_heap_check", "free of the neighbour", "alloc" };
	static const size_t sizes[] = { 100, 3000 };
	char what[96];
	int mode;
	size_t k;
	for (k = 0; k < 2; k++) {
		for (mode = 0; mode < 3; mode++) {
			snprintf(what, sizeof what, "zeroed links of a free %zu-byte block, %s", sizes[k], how[mode]);
			check_in_child(uaf_child, mode, sizes[k], what);
		}
	}
}

/* Stats rows agree with the summary. */
ZMM_TEST(t_stats_rows)
{
	fx f;
	zmm_heap_stats_t st;
	zmm_heap_summary_t s;
	char *p[50];
	size_t i, real = 0, used = 0, fr = 0, fb = 0, nfree = 0;

	ZMM_REQUIRE(fx_open(&f, SEG64, 2, CACHE_DEF, 0) == 0);
	for (i = 0; i < 50; i++) {
		p[i] = zmm_heap_alloc(f.h, (i * 7919) % 30000);
		ZMM_REQUIRE(p[i] != NULL);
	}
	for (i = 0; i < 50; i += 3) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
	}
	p[0] = zmm_heap_alloc(f.h, 500000);
	ZMM_REQUIRE(p[0] != NULL);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	s = S(f.h);
	ZMM_CHECK_EQ(st.segment_count, s.segments);
	ZMM_CHECK_EQ(st.summary.segments, s.segments);
	ZMM_CHECK_EQ(st.summary.size, s.size);
	ZMM_CHECK_EQ(st.counters.allocs, C(f.h).allocs);
	for (i = 0; i < st.segment_count; i++) {
		zmm_segment_stats_t *r = &st.segments[i];
		ZMM_CHECK_EQ(r->used + r->free + r->overhead, r->size);
		ZMM_CHECK_EQ(r->overhead, SEG_OVERHEAD);
		ZMM_CHECK(r->free_blocks <= r->blocks);
		ZMM_CHECK(r->largest_free_block <= r->free);
		real += r->size;
		used += r->used;
		fr += r->free;
		nfree += r->free_blocks;
	}
	ZMM_CHECK(st.segment_count > 0 && st.segments[0].size == huge_seg(SEG64, 500000));
	for (i = 0; i < ZMM_HEAP_NUM_BUCKETS; i++) {
		fb += st.buckets[i].free_blocks;
	}
	for (i = 0; i < st.large_classes; i++) {
		fb += st.large[i].free_blocks;
	}
	fb += s.rest_blocks;
	ZMM_CHECK_EQ(real, s.real_size);
	ZMM_CHECK_EQ(used, s.size);
	ZMM_CHECK_EQ(fr, s.free_bytes);
	ZMM_CHECK_EQ(nfree, st.free_blocks);
	ZMM_CHECK_EQ(fb, st.free_blocks);
	{
		size_t largest = 0;
		for (i = 0; i < st.segment_count; i++) {
			if (st.segments[i].largest_free_block > largest) {
				largest = st.segments[i].largest_free_block;
			}
		}
		ZMM_CHECK_EQ(s.largest_free_block, largest);
	}
	zmm_heap_stats_free(&st);
	CHECK_OK(f.h);
	fx_close(&f);
}

/* ------------------------------------------------------------------------------------------------
 * Medium size classes (the size_classes option)
 * ---------------------------------------------------------------------------------------------- */

/* Annotated builds (ASan) run the general paths: block_size reports the requested bytes, every
 * realloc moves and misses take one block. */
#ifdef ZMM_NO_ANNOTATIONS
# define FAST_PATHS 1
#else
# define FAST_PATHS 0
#endif

/* A heap on f's storage with size classes on (the default). */
static zmm_heap_t *fx_heap_classes(fx *f, size_t cache, int prot, int refill)
{
	zmm_heap_options_t o;
	zmm_heap_options_default(&o);
	ZMM_CHECK_EQ(o.size_classes, 1);
	o.cache_limit = cache;
	o.protection = prot;
	o.refill = refill;
	return zmm_heap_create(&f->st, &o, &f->hooks);
}

/* Requests of 521..32768 bytes round up to 18 classes whose freed blocks the cache keeps; a block of
 * another size in that range (an unsplittable remainder) is freed for real; protection moves the
 * ranges, size_classes 0 turns them off; the stats rows describe the classes. */
ZMM_TEST(t_medium_classes)
{
	static const size_t payload[ZMM_HEAP_NUM_CLASSES] = { 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072,
	                                                     4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768 };
	fx f;
	char *a, *b, *c, *sep, *big;
	zmm_heap_stats_t st;
	zmm_heap_summary_t s;
	uint64_t hits, misses;
	size_t i, e0;
	jmp_buf jb;

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 0, 0);
	ZMM_REQUIRE(f.h != NULL);

	/* the rounding: each class takes the requests above the previous one */
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 520), 536);           /* still small */
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 521), 656);
	for (i = 0; i < ZMM_HEAP_NUM_CLASSES; i++) {
		ZMM_CHECK_EQ(zmm_heap_class_block((unsigned)i), payload[i] + 16);
		ZMM_CHECK_EQ(zmm_heap_true_size(f.h, payload[i]), payload[i] + 16);
		if (i > 0) {
			ZMM_CHECK_EQ(zmm_heap_true_size(f.h, payload[i - 1] + 1), payload[i] + 16);
		}
	}
	ZMM_CHECK_EQ(zmm_heap_class_block(ZMM_HEAP_NUM_CLASSES), 0);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 3073), 4112);         /* a whole page, as Zend MM rounds it */
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 32769), 32792);       /* above the classes: exact again */
	ZMM_CHECK_EQ(ZMM_HEAP_MAX_CLASS_BLOCK, 32784);

	/* alloc, free into the class's cache, hit */
	a = zmm_heap_alloc(f.h, 600);
	sep = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && sep);
	ZMM_CHECK_EQ(blk(a), 656);
	ZMM_CHECK_EQ(zmm_heap_block_size(f.h, a), FAST_PATHS ? 640 : 600);
	misses = C(f.h).cache_misses;
	hits = C(f.h).cache_hits;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	s = S(f.h);
	ZMM_CHECK_EQ(s.cached_blocks, 1);
	ZMM_CHECK_EQ(s.cached, 656);
	ZMM_CHECK_EQ(blk(a), 656);                                 /* stays used: no merging */
	CHECK_OK(f.h);
	b = zmm_heap_alloc(f.h, 640);                              /* same class, other size */
	ZMM_CHECK(b == a);
	ZMM_CHECK_EQ(C(f.h).cache_hits, hits + 1);
	ZMM_CHECK_EQ(C(f.h).cache_misses, misses);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	/* another class misses even though the cache holds a medium block */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	c = zmm_heap_alloc(f.h, 700);
	ZMM_REQUIRE(c != NULL);
	ZMM_CHECK(c != a);
	ZMM_CHECK_EQ(blk(c), 784);
	ZMM_CHECK_EQ(C(f.h).cache_misses, misses + 1);

	/* a cached medium block freed again is reported as such */
	f.log.jb = &jb;
	if (setjmp(jb) != 0) {
		ZMM_CHECK(!"freeing a cached medium block was fatal");
		f.log.jb = NULL;
		fx_close(&f);
		return;
	}
	e0 = f.log.errors;
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_INVALID);
	EXPECT_ERROR(f, e0, ZMM_ERROR_CACHED_FREE, "free");
	ZMM_CHECK_EQ(f.log.last.block_size, 656);
	f.log.jb = NULL;
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);

	/* a block of a non-class size in the class range is freed for real: a 32800-byte hole taken by a
	 * request of the last class (32784-byte blocks) keeps its 16 spare bytes */
	big = zmm_heap_alloc(f.h, 32784);
	b = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(big && b);
	ZMM_CHECK_EQ(blk(big), 32800);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, big), ZMM_FREE_OK);        /* not a class size: not cached */
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(raw_word(big - 16) & 7, 0);                   /* FREE */
	ZMM_CHECK(zmm_heap_alloc(f.h, 32000) == big);              /* best fit */
	ZMM_CHECK_EQ(blk(big), 32800);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, big), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(raw_word(big - 16) & 7, 0);
	CHECK_OK(f.h);

	/* stats rows */
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.class_count, ZMM_HEAP_NUM_CLASSES);
	ZMM_CHECK_EQ(st.classes[0].block_size, 656);
	ZMM_CHECK_EQ(st.classes[0].min_request, 521);
	ZMM_CHECK_EQ(st.classes[0].max_request, 640);
	ZMM_CHECK_EQ(st.classes[0].cached_blocks, 1);
	ZMM_CHECK_EQ(st.classes[0].cache_hits, 1);
	ZMM_CHECK_EQ(st.classes[0].cache_misses, 1);
	ZMM_CHECK_EQ(st.classes[1].cache_misses, 1);
	ZMM_CHECK_EQ(st.classes[9].block_size, 3088);
	ZMM_CHECK_EQ(st.classes[9].min_request, 2561);
	ZMM_CHECK_EQ(st.classes[9].max_request, 3072);
	ZMM_CHECK_EQ(st.classes[10].block_size, 4112);
	ZMM_CHECK_EQ(st.classes[10].min_request, 3073);
	ZMM_CHECK_EQ(st.classes[10].max_request, 4096);
	ZMM_CHECK_EQ(st.classes[17].block_size, 32784);
	ZMM_CHECK_EQ(st.classes[17].min_request, 28673);
	ZMM_CHECK_EQ(st.classes[17].max_request, 32768);
	ZMM_CHECK_EQ(st.classes[17].cache_misses, 1);
	ZMM_CHECK_EQ(st.classes[3].cached_blocks, 0);
	zmm_heap_stats_free(&st);

	/* the flush merges medium blocks like small ones; everything goes back */
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 4);
	ZMM_CHECK_EQ(zmm_heap_flush_cache(f.h), 656 + 784 + 32 + 32);
	CHECK_OK(f.h);
	fx_close_empty(&f);

	/* protection: the extra bytes count towards the class */
	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 1, 0);
	ZMM_REQUIRE(f.h != NULL);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 496), 536);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 497), 656);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 3048), 3088);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 3049), 4112);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 32744), 32784);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 32745), 32792);
	a = zmm_heap_alloc(f.h, 3000);
	ZMM_REQUIRE(a != NULL);
	memset(a, 'p', 3000);
	ZMM_CHECK_EQ(blk(a), 3088);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK(zmm_heap_alloc(f.h, 2600) == a);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.classes[0].min_request, 497);
	ZMM_CHECK_EQ(st.classes[9].max_request, 3048);
	ZMM_CHECK_EQ(st.classes[17].max_request, 32744);
	zmm_heap_stats_free(&st);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);

	/* off: exact sizes, nothing medium cached, no class rows */
	ZMM_REQUIRE(fx_open(&f, SEG256, 2, CACHE_DEF, 0) == 0);
	ZMM_CHECK_EQ(zmm_heap_get_options(f.h)->size_classes, 0);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 521), 544);
	a = zmm_heap_alloc(f.h, 600);
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(blk(a), 616);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	ZMM_REQUIRE(stats(f.h, &st) == 0);
	ZMM_CHECK_EQ(st.class_count, 0);
	zmm_heap_stats_free(&st);
	fx_close_empty(&f);
}

/* A heap with size classes and the cache on, holding c, a 784-byte class block whose first 700
 * bytes are 'm', and sep, an 8-byte block behind it. Returns 0, or -1 (checks failed). */
static int fx_classes_784(fx *f, char **c, char **sep)
{
	if (fx_storage(f, SEG256, 2) != 0 || (f->h = fx_heap_classes(f, CACHE_DEF, 0, 0)) == NULL) {
		return -1;
	}
	*c = zmm_heap_alloc(f->h, 700);
	*sep = zmm_heap_alloc(f->h, 8);
	if (*c == NULL || *sep == NULL) {
		return -1;
	}
	memset(*c, 'm', 700);
	return 0;
}

/* Realloc with classes: within a class nothing moves; a shrink across classes moves to a block of
 * the smaller class (swapped with a cached one, or newly made) and caches the old block, unless a
 * limit could refuse the new block, then it splits in place; a growth into a class whose cache holds
 * a block swaps with it (contents kept, the old block cached). */
ZMM_TEST(t_medium_realloc)
{
	fx f;
	char *a, *b, *c, *d, *sep;
	zmm_heap_counters_t c0, c1;

	ZMM_REQUIRE(fx_classes_784(&f, &c, &sep) == 0);
	if (!FAST_PATHS) {
		/* annotated: every realloc moves (t_realloc_annotated); the contents still follow */
		b = zmm_heap_realloc(f.h, c, 2000);
		ZMM_REQUIRE(b != NULL);
		ZMM_CHECK_EQ(blk(b), 2064);
		ZMM_CHECK_EQ(b[699], 'm');
		ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
		CHECK_OK(f.h);
		fx_close_empty(&f);
		return;
	}
	ZMM_CHECK(zmm_heap_realloc(f.h, c, 768) == c);             /* same class */
	ZMM_CHECK_EQ(blk(c), 784);
	c0 = C(f.h);
	d = zmm_heap_realloc(f.h, c, 620);                         /* 784 -> a new 656, c's block cached */
	ZMM_REQUIRE(d != NULL);
	ZMM_CHECK(d != c);
	ZMM_CHECK_EQ(blk(d), 656);
	ZMM_CHECK_EQ(d[0], 'm');
	ZMM_CHECK_EQ(d[619], 'm');
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	ZMM_CHECK_EQ(S(f.h).cached, 784);
	c1 = C(f.h);
	ZMM_CHECK_EQ(c1.reallocs, c0.reallocs + 1);
	ZMM_CHECK_EQ(c1.allocs, c0.allocs + 1);                    /* a move: one alloc and one free */
	ZMM_CHECK_EQ(c1.frees, c0.frees + 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_INVALID);     /* c is in the cache now */
	CHECK_OK(f.h);
	a = zmm_heap_alloc(f.h, 1000);                             /* 1040, cached next */
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	b = zmm_heap_realloc(f.h, d, 1010);                        /* 656 -> the cached 1040 */
	ZMM_CHECK(b == a);
	ZMM_CHECK_EQ(blk(b), 1040);
	ZMM_CHECK_EQ(b[0], 'm');
	ZMM_CHECK_EQ(b[619], 'm');
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 2);                     /* c's and d's blocks */
	ZMM_CHECK_EQ(S(f.h).cached, 784 + 656);
	c0 = C(f.h);
	a = zmm_heap_realloc(f.h, b, 700);                         /* 1040 -> the cached 784 (c's): a swap */
	ZMM_CHECK(a == c);
	ZMM_CHECK_EQ(blk(a), 784);
	ZMM_CHECK_EQ(a[0], 'm');
	ZMM_CHECK_EQ(a[619], 'm');
	ZMM_CHECK_EQ(S(f.h).cached, 1040 + 656);
	c1 = C(f.h);
	ZMM_CHECK_EQ(c1.reallocs, c0.reallocs + 1);
	ZMM_CHECK_EQ(c1.allocs, c0.allocs + 1);                    /* counted as a cache hit and a push */
	ZMM_CHECK_EQ(c1.frees, c0.frees + 1);
	CHECK_OK(f.h);
	/* small -> medium swaps too (the inline realloc path) */
	ZMM_CHECK(zmm_heap_realloc(f.h, sep, 600) == d);
	ZMM_CHECK_EQ(S(f.h).cached, 1040 + 32);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, d), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);

	/* under a limit that a new segment would pass, a shrink across classes splits in place: a
	 * shrink must not fail on the limit */
	ZMM_REQUIRE(fx_classes_784(&f, &c, &sep) == 0);
	zmm_heap_set_limit(f.h, S(f.h).real_size);
	ZMM_CHECK(zmm_heap_realloc(f.h, c, 620) == c);             /* 784 -> 656 + a 128-byte free tail */
	ZMM_CHECK_EQ(blk(c), 656);
	ZMM_CHECK_EQ(c[619], 'm');
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	CHECK_OK(f.h);
	zmm_heap_set_limit(f.h, ZMM_HEAP_NO_LIMIT);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);

	/* a block of no class's size in the medium range (a 544-byte hole taken by a 528-byte small
	 * request) keeps every size it holds, though the class of its usable size would not fit */
	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, 0, 0, 0);                        /* no cache: the holes stay put */
	ZMM_REQUIRE(f.h != NULL);
	{
		/* six 520-byte small blocks freed next to each other merge into a 3120-byte hole */
		char *six[6];
		int k;
		for (k = 0; k < 6; k++) {
			six[k] = zmm_heap_alloc(f.h, 504);
			ZMM_REQUIRE(six[k] != NULL);
		}
		ZMM_CHECK(six[5] == six[0] + 5 * 520);
		sep = zmm_heap_alloc(f.h, 8);
		ZMM_REQUIRE(sep != NULL);
		for (k = 0; k < 6; k++) {
			ZMM_CHECK_EQ(zmm_heap_free(f.h, six[k]), ZMM_FREE_OK);
		}
		a = six[0];
	}
	ZMM_CHECK_EQ(blk(a), 3120);
	c = zmm_heap_alloc(f.h, 2560);                             /* 2576 out of the 3120 hole: 544 left */
	ZMM_CHECK(c == a);
	b = zmm_heap_alloc(f.h, 512);                              /* 528 out of the 544 hole: all of it */
	ZMM_REQUIRE(b != NULL);
	ZMM_CHECK(b == c + 2576);
	ZMM_CHECK_EQ(blk(b), 544);
	ZMM_CHECK_EQ(zmm_heap_true_size(f.h, 528), 656);
	ZMM_CHECK(zmm_heap_realloc(f.h, b, 528) == b);             /* fits: kept */
	ZMM_CHECK_EQ(blk(b), 544);
	ZMM_CHECK(zmm_heap_realloc(f.h, b, 400) == b);             /* shrinks in place */
	ZMM_CHECK_EQ(blk(b), 416);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, c), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);
}

/* Before the heap grows by a standard segment, the medium classes give their cached blocks back: a
 * segment full of cached 3088-byte blocks merges back into room for a 100000-byte request. */
ZMM_TEST(t_medium_flush)
{
	fx f;
	char *p[100], *big;
	size_t n = 0, i;

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 0, 0);
	ZMM_REQUIRE(f.h != NULL);
	while (n < 100) {
		p[n] = zmm_heap_alloc(f.h, 3000);
		ZMM_REQUIRE(p[n] != NULL);
		if (S(f.h).segments > 1) {
			ZMM_CHECK_EQ(zmm_heap_free(f.h, p[n]), ZMM_FREE_OK);
			break;
		}
		n++;
	}
	ZMM_CHECK_EQ(n, (SEG256 - SEGHDR - HDR) / 3088);
	ZMM_CHECK_EQ(C(f.h).medium_flushes, 0);
	ZMM_REQUIRE(zmm_heap_flush_cache(f.h) == 3088);        /* the block of the second segment */
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	for (i = 1; i < n; i++) {                                 /* p[0] keeps the segment */
		ZMM_CHECK_EQ(zmm_heap_free(f.h, p[i]), ZMM_FREE_OK);
	}
	ZMM_CHECK_EQ(S(f.h).cached_blocks, n - 1);
	ZMM_CHECK_EQ(S(f.h).free_bytes, SEG256 - SEGHDR - HDR - n * 3088);
	CHECK_OK(f.h);
	/* no free block fits: the medium cache is flushed, merges, and the request fits */
	big = zmm_heap_alloc(f.h, 100000);
	ZMM_REQUIRE(big != NULL);
	ZMM_CHECK_EQ(C(f.h).medium_flushes, 1);
	ZMM_CHECK_EQ(S(f.h).segments, 1);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	ZMM_CHECK_EQ(C(f.h).segments_allocated, 2);
	CHECK_OK(f.h);
	/* nothing medium cached: the next segment comes without a flush */
	p[1] = zmm_heap_alloc(f.h, 200000);
	ZMM_REQUIRE(p[1] != NULL);
	ZMM_CHECK_EQ(S(f.h).segments, 2);
	ZMM_CHECK_EQ(C(f.h).medium_flushes, 1);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p[1]), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, big), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, p[0]), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);
}

/* With size classes, large blocks (above the classes) are resized in 4 KiB steps: growing in place takes whole steps,
 * a new size that the block fits with less than a step to spare keeps it (the fast path; annotated
 * builds move every realloc instead). */
ZMM_TEST(t_large_realloc_steps)
{
	fx f;
	char *a, *b, *h;

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 0, 0);
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 37768);
	ZMM_REQUIRE(a != NULL);
	ZMM_CHECK_EQ(blk(a), 37784);                               /* allocations stay exact */
	memset(a, 'g', 37768);
	if (!FAST_PATHS) {
		b = zmm_heap_realloc(f.h, a, 37868);
		ZMM_REQUIRE(b != NULL);
		ZMM_CHECK_EQ(b[37767], 'g');
		ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
		CHECK_OK(f.h);
		fx_close_empty(&f);
		return;
	}
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 37868) == a);           /* grows into the free space ... */
	ZMM_CHECK_EQ(blk(a), 40960);                               /* ... by whole steps */
	ZMM_CHECK_EQ(S(f.h).size, 40960);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 38768) == a);           /* fits, 2176 spare: kept */
	ZMM_CHECK_EQ(blk(a), 40960);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 40944) == a);           /* exactly */
	ZMM_CHECK_EQ(blk(a), 40960);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 40945) == a);
	ZMM_CHECK_EQ(blk(a), 45056);
	ZMM_CHECK_EQ(C(f.h).reallocs, 4);
	ZMM_CHECK(zmm_heap_realloc(f.h, a, 36768) == a);           /* a step or more spare: shrinks */
	ZMM_CHECK_EQ(blk(a), 36784);
	ZMM_CHECK_EQ(a[36767], 'g');
	CHECK_OK(f.h);
	/* the head of a huge segment grows into its rest tail by steps too */
	h = zmm_heap_alloc(f.h, 300000);
	ZMM_REQUIRE(h != NULL);
	ZMM_CHECK_EQ(blk(h), 300016);
	ZMM_CHECK(zmm_heap_realloc(f.h, h, 300100) == h);
	ZMM_CHECK_EQ(blk(h), 303104);
	ZMM_CHECK_EQ(S(f.h).rest_bytes, 2 * SEG256 - SEGHDR - HDR - 303104);
	ZMM_CHECK(zmm_heap_realloc(f.h, h, 303000) == h);
	ZMM_CHECK_EQ(blk(h), 303104);
	CHECK_OK(f.h);
	/* an overflowing size is refused, not kept */
	ZMM_CHECK(zmm_heap_realloc(f.h, h, (size_t)-8) == NULL);
	ZMM_CHECK_EQ(blk(h), 303104);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, h), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);
}

/* The block size of cache list idx: a small bucket's, or a medium class's. */
static size_t list_block(unsigned idx)
{
	return idx < ZMM_HEAP_NUM_BUCKETS ? ZMM_HEAP_BUCKET_BLOCK(idx) : zmm_heap_class_block(idx - ZMM_HEAP_NUM_BUCKETS);
}

/* Every request up to the largest class gets a cache list whose block holds it (header included),
 * and no more than the next smaller list's block would: the tables zmm_heap_library_init fills, for
 * any header size and bucket count. */
ZMM_TEST(t_request_table)
{
	size_t r, bad = 0, loose = 0;

	zmm_heap_library_init();
	for (r = 0; r <= ZMM_HEAP_MAX_CLASS_REQUEST; r++) {
		unsigned idx = zmm_heap_list_of_request[(r + ZMM_HEAP_ALIGNMENT - 1) / ZMM_HEAP_ALIGNMENT];
		size_t need = (r + ZMM_HEAP_HDR_SIZE + ZMM_HEAP_ALIGNMENT - 1) & ~(size_t)(ZMM_HEAP_ALIGNMENT - 1), blk, below;
		if (need < ZMM_HEAP_MIN_BLOCK) {
			need = ZMM_HEAP_MIN_BLOCK;
		}
		ZMM_REQUIRE(idx < ZMM_HEAP_CACHE_LISTS);
		blk = list_block(idx);
		below = idx == 0 ? 0 : list_block(idx - 1);
		bad += blk < need;
		loose += below >= need;
		/* and the block table maps the block back to its list */
		ZMM_CHECK_EQ(zmm_heap_list_of_block[blk / ZMM_HEAP_ALIGNMENT - ZMM_HEAP_MIN_BLOCK / ZMM_HEAP_ALIGNMENT], idx);
	}
	ZMM_CHECK_EQ(bad, 0);
	ZMM_CHECK_EQ(loose, 0);
}

/* The page classes (3073..32768 bytes, whole 4 KiB pages): a freed block is cached and served again;
 * a shrink splits the block in place to the smaller class's size (no copy) and frees the tail; a
 * block shrunk that way is a class block, cached when freed. */
ZMM_TEST(t_page_classes)
{
	fx f;
	char *a, *b, *sep;
	size_t size0, i;

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 0, 0);
	ZMM_REQUIRE(f.h != NULL);
	a = zmm_heap_alloc(f.h, 16384);
	sep = zmm_heap_alloc(f.h, 8);
	ZMM_REQUIRE(a && sep);
	ZMM_CHECK_EQ(blk(a), 16400);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 1);
	b = zmm_heap_alloc(f.h, 12289);                            /* same class: the cached block */
	ZMM_CHECK(b == a);
	for (i = 0; i < 12289; i++) {
		b[i] = (char)('a' + i % 23);
	}
	if (!FAST_PATHS) {
		ZMM_CHECK_EQ(zmm_heap_free(f.h, b), ZMM_FREE_OK);
		ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
		CHECK_OK(f.h);
		fx_close_empty(&f);
		return;
	}
	size0 = S(f.h).size;
	ZMM_CHECK(zmm_heap_realloc(f.h, b, 5000) == b);            /* 16400 -> 8208 in place */
	ZMM_CHECK_EQ(blk(b), 8208);
	ZMM_CHECK_EQ(S(f.h).size, size0 - 8192);
	ZMM_CHECK_EQ(raw_word(b + 8192) & 7, 0);                   /* the tail: FREE */
	for (i = 0; i < 5000 && b[i] == (char)('a' + i % 23); i++) {
	}
	ZMM_CHECK_EQ(i, 5000);
	ZMM_CHECK(zmm_heap_realloc(f.h, b, 100) == b);             /* to a small size: in place too */
	ZMM_CHECK_EQ(blk(b), 120);
	a = zmm_heap_realloc(f.h, b, 8000);                        /* and back up: contents follow */
	ZMM_REQUIRE(a != NULL);
	for (i = 0; i < 100 && a[i] == (char)('a' + i % 23); i++) {
	}
	ZMM_CHECK_EQ(i, 100);
	CHECK_OK(f.h);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, a), ZMM_FREE_OK);
	ZMM_CHECK_EQ(zmm_heap_free(f.h, sep), ZMM_FREE_OK);
	CHECK_OK(f.h);
	fx_close_empty(&f);
}

/* With refill, a medium miss carves up to 4096 bytes of its class at once. */
ZMM_TEST(t_medium_refill)
{
	fx f;
	char *p;
	size_t i;

	ZMM_REQUIRE(fx_storage(&f, SEG256, 2) == 0);
	f.h = fx_heap_classes(&f, CACHE_DEF, 0, 1);
	ZMM_REQUIRE(f.h != NULL);
	p = zmm_heap_alloc(f.h, 600);                              /* 4096 / 656 = 6 blocks */
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, FAST_PATHS ? 5 : 0);
	ZMM_CHECK_EQ(C(f.h).cache_refills, FAST_PATHS ? 5 : 0);
	for (i = 0; FAST_PATHS && i < 5; i++) {                    /* the batch follows p */
		char *q = zmm_heap_alloc(f.h, 530);
		ZMM_CHECK(q > p && q < p + 6 * 656 && (size_t)(q - p) % 656 == 0);
	}
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	p = zmm_heap_alloc(f.h, 3000);                             /* 4096 / 3088: one block */
	ZMM_REQUIRE(p != NULL);
	ZMM_CHECK_EQ(S(f.h).cached_blocks, 0);
	CHECK_OK(f.h);
	zmm_heap_reset(f.h, 0);
	fx_close(&f);
}

static const zmm_test_case cases[] = {
	ZMM_T(t_options_and_introspection),
	ZMM_T(t_size_classes),
	ZMM_T(t_bucket_stats),
	ZMM_T(t_segment_size_edges),
	ZMM_T(t_split_coalesce),
	ZMM_T(t_small_lists),
	ZMM_T(t_trie_best_fit),
	ZMM_T(t_rest_list),
	ZMM_T(t_rest_list_cap),
	ZMM_T(t_cache_hit_miss),
	ZMM_T(t_refill),
	ZMM_T(t_victim),
	ZMM_T(t_medium_classes),
	ZMM_T(t_medium_realloc),
	ZMM_T(t_medium_refill),
	ZMM_T(t_medium_flush),
	ZMM_T(t_large_realloc_steps),
	ZMM_T(t_request_table),
	ZMM_T(t_page_classes),
	ZMM_T(t_cache_cap_and_disable),
	ZMM_T(t_cache_flush_and_set_limit),
	ZMM_T(t_huge_blocks),
	ZMM_T(t_realloc_shrink),
	ZMM_T(t_realloc_grow_in_place),
	ZMM_T(t_realloc_huge_storage),
	ZMM_T(t_realloc_move),
	ZMM_T(t_realloc_annotated),
	ZMM_T(t_realloc_misc),
	ZMM_T(t_realloc_fast),
	ZMM_T(t_realloc_grow_rest),
	ZMM_T(t_robust_rest_links),
	ZMM_T(t_robust_overflow_tag),
	ZMM_T(t_robust_tiny_header),
	ZMM_T(t_segment_release),
	ZMM_T(t_counters),
	ZMM_T(t_err_double_free),
	ZMM_T(t_err_cached_free),
	ZMM_T(t_err_interior_pointer),
	ZMM_T(t_err_realloc_freed),
	ZMM_T(t_err_foreign),
	ZMM_T(t_err_header_damaged),
	ZMM_T(t_err_canary_overrun),
	ZMM_T(t_err_canary_damaged_count),
	ZMM_T(t_protection_smoke),
	ZMM_T(t_limit_hook_fail),
	ZMM_T(t_limit_hook_proceed),
	ZMM_T(t_limit_no_hook_and_overflow),
	ZMM_T(t_oom_hook),
	ZMM_T(t_reset_keep),
	ZMM_T(t_gc),
	ZMM_T(t_reset_peak_usage),
	ZMM_T(t_block_size),
	ZMM_T(t_owner_two_heaps),
	ZMM_T(t_check_reports_damage),
	ZMM_T(t_robust_next_header_damaged),
	ZMM_T(t_robust_uaf_links),
	ZMM_T(t_stats_rows),
};

/* Runs each test in a child process so that a crash, a sanitizer report or a leak (LSan runs when the
 * child exits) fails that test only; ZMM_TEST_NOFORK=1 runs them in-process (for a debugger). */
static int run_isolated(const char *prog, const zmm_test_case *tc, size_t n, const char *only)
{
	size_t i, passed = 0, failed = 0;
	for (i = 0; i < n; i++) {
		pid_t pid;
		int status = 0;
		if (only && strcmp(only, tc[i].name) != 0) {
			continue;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			zmm_test_current = tc[i].name;
			zmm_test_failed_checks = 0;
			tc[i].fn();
			fflush(NULL);
			exit(zmm_test_failed_checks ? 1 : 0);
		}
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			continue;
		}
		failed++;
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "not ok %s (killed by signal %d)\n", tc[i].name, WTERMSIG(status));
		} else if (WEXITSTATUS(status) != 1) {
			fprintf(stderr, "not ok %s (exit status %d: a sanitizer report or a leak)\n", tc[i].name,
			        WEXITSTATUS(status));
		} else {
			fprintf(stderr, "not ok %s\n", tc[i].name);
		}
	}
	printf("%s: %zu passed, %zu failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const char *const storages[] = { "malloc", "mmap_anon", "mmap_zero" };
	const char *only_storage = getenv("ZMM_TEST_STORAGE");
	const char *nofork = getenv("ZMM_TEST_NOFORK");
	const char *only = argc > 1 ? argv[1] : NULL;
	char prog[64];
	size_t i;
	int rc = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < sizeof storages / sizeof storages[0]; i++) {
		if (only_storage && *only_storage && strcmp(only_storage, storages[i]) != 0) {
			continue;
		}
		g_storage = storages[i];
		snprintf(prog, sizeof prog, PROG_NAME "[%s]", storages[i]);
		if (nofork && *nofork && strcmp(nofork, "0") != 0) {
			rc |= zmm_test_run(prog, cases, sizeof cases / sizeof cases[0], only);
		} else {
			rc |= run_isolated(prog, cases, sizeof cases / sizeof cases[0], only);
		}
	}
	return rc;
}
