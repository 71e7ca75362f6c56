/*
 * test_storage.c - tests of the storage layer (zmm_storage.c): providers, alignment, the registry,
 * segment alloc/realloc/free, the pool, compaction, fault injection and counters.
 *
 * Most tests run once per provider ("malloc", "mmap_anon", "mmap_zero"); the test names carry the
 * provider. A few use small custom provider tables to see what the storage layer asks of a
 * provider, or to feed it memory at chosen addresses.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
# define _GNU_SOURCE 1 /* MAP_ANONYMOUS, MAP_FIXED_NOREPLACE under -std=c99 */
#endif

#include "zmm_storage.h"
#include "zmm_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
# define MAP_ANONYMOUS MAP_ANON
#endif

#define KB ((size_t)1024)
#define MB ((size_t)1024 * 1024)

/* mmap providers shrink by unmapping and, with Linux's mremap, grow without copying. */
#if defined(__linux__) && !defined(ZMM_NO_MREMAP)
# define HAVE_MREMAP_GROW 1
#else
# define HAVE_MREMAP_GROW 0
#endif

/*** helpers ***/

static int is_mmap_provider(const char *name)
{
	return strncmp(name, "mmap_", 5) == 0;
}

static int start(zmm_storage_t *s, const char *name, size_t seg_size, size_t pool_limit)
{
	const zmm_storage_handlers_t *h = zmm_storage_lookup(name);

	if (h == NULL) {
		return -1;
	}
	memset(s, 0xa5, sizeof(*s));
	return zmm_storage_init(s, h, seg_size, pool_limit);
}

static unsigned log2_of(size_t v)
{
	unsigned n = 0;
	while (((size_t)1 << n) < v) {
		n++;
	}
	return n;
}

static size_t expected_top_len(unsigned shift)
{
	int bits = ZMM_REGISTRY_ADDRESS_BITS - (int)shift - ZMM_REGISTRY_LEAF_BITS;
	return bits > 0 ? (size_t)1 << bits : 1;
}

static int is_aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static unsigned char pattern_byte(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131u + seed) ^ (i >> 9));
}

/* Fills [from, to) of seg with a pattern (the header is left alone). */
static void fill(zmm_segment_t *seg, size_t from, size_t to, unsigned seed)
{
	unsigned char *p = (unsigned char *)seg;
	size_t i;
	for (i = from; i < to; i++) {
		p[i] = pattern_byte(i, seed);
	}
}

static int pattern_ok(const zmm_segment_t *seg, size_t from, size_t to, unsigned seed)
{
	const unsigned char *p = (const unsigned char *)seg;
	size_t i;
	for (i = from; i < to; i++) {
		if (p[i] != pattern_byte(i, seed)) {
			return 0;
		}
	}
	return 1;
}

/* Every unit of [base, base + size) resolves to want, checked at the unit start, middle and end, and
 * its registry entry copies want's owner, starts and size. */
static int units_map_to(const zmm_storage_t *s, const void *base, size_t size, const zmm_segment_t *want)
{
	const char *b = base;
	size_t off;
	for (off = 0; off < size; off += s->alignment) {
		const zmm_registry_entry_t *e = zmm_storage_entry(s, b + off);
		if (zmm_storage_find(s, b + off) != want
		    || zmm_storage_find(s, b + off + s->alignment / 2) != want
		    || zmm_storage_find(s, b + off + s->alignment - 1) != want) {
			return 0;
		}
		if (want != NULL && (e == NULL || e->owner != want->owner || e->starts != want->starts || e->size != want->size)) {
			return 0;
		}
	}
	return 1;
}

/* After a resize from [old, old + old_size) to seg: each old unit resolves to seg if seg now covers
 * it, else to nothing; each unit of seg resolves to seg; one past seg's end resolves to nothing. */
static int registry_after_resize(const zmm_storage_t *s, const void *old, size_t old_size, const zmm_segment_t *seg)
{
	const char *o = old, *n = (const char *)seg;
	size_t off;
	for (off = 0; off < old_size; off += s->alignment) {
		const zmm_segment_t *want = (o + off >= n && o + off < n + seg->size) ? seg : NULL;
		if (zmm_storage_find(s, o + off) != want || zmm_storage_find(s, o + off + s->alignment - 1) != want) {
			return 0;
		}
	}
	return units_map_to(s, seg, seg->size, seg) && zmm_storage_find(s, n + seg->size) == NULL;
}

static int header_clear(const zmm_segment_t *seg)
{
	return seg->next == NULL && seg->prev == NULL && seg->owner == NULL && seg->starts == NULL
	       && seg->starts_len == 0;
}

static void dirty_header(zmm_segment_t *seg)
{
	seg->next = seg;
	seg->prev = seg;
	seg->owner = (void *)seg;
	seg->starts = (uint64_t *)(void *)seg;
	seg->starts_len = 77;
}

#ifdef MAP_FIXED_NOREPLACE
/* Maps len bytes exactly at addr if nothing is there; NULL otherwise. */
static void *map_exactly(void *addr, size_t len, int prot)
{
	void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		return NULL;
	}
	if (p != addr) { /* old kernels take the flag as a hint */
		munmap(p, len);
		return NULL;
	}
	return p;
}
#endif

/* True if no page of [addr, addr + len) is mapped. */
static int unmapped(const void *addr, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off;
	unsigned char vec;
	for (off = 0; off < len; off += page) {
		if (mincore((void *)((uintptr_t)addr + off), page, (void *)&vec) == 0 || errno != ENOMEM) {
			return 0;
		}
	}
	return 1;
}

/*** provider-independent tests ***/

ZMM_TEST(names_and_default)
{
	char buf[128], small[10];

	ZMM_CHECK(strcmp(zmm_storage_names(buf, sizeof(buf)), "'malloc', 'mmap_anon', 'mmap_zero'") == 0);
	ZMM_CHECK(zmm_storage_names(buf, sizeof(buf)) == buf);
	/* truncation: always terminated, never past len */
	memset(small, 'x', sizeof(small));
	zmm_storage_names(small, sizeof(small));
	ZMM_CHECK(small[sizeof(small) - 1] == '\0');
	ZMM_CHECK(strcmp(small, "'malloc',") == 0);
	small[0] = 'q';
	zmm_storage_names(small, 0);
	ZMM_CHECK(small[0] == 'q');
	zmm_storage_names(small, 1);
	ZMM_CHECK(small[0] == '\0');

	ZMM_CHECK(strcmp(zmm_storage_default_name(), "mmap_anon") == 0);
	ZMM_CHECK(zmm_storage_lookup(zmm_storage_default_name()) != NULL);
}

ZMM_TEST(lookup_unknown)
{
	ZMM_CHECK(zmm_storage_lookup("unknown") == NULL);
	ZMM_CHECK(zmm_storage_lookup("") == NULL);
	ZMM_CHECK(zmm_storage_lookup("win32") == NULL); /* Windows only */
	ZMM_CHECK(zmm_storage_lookup("mmap") == NULL);
	ZMM_CHECK(zmm_storage_lookup("mmap_anon ") == NULL);
	ZMM_CHECK(zmm_storage_lookup("MALLOC") == NULL);
	/* the order is PHP 5's: malloc, mmap_anon, mmap_zero, distinct tables */
	ZMM_CHECK(zmm_storage_lookup("malloc") != zmm_storage_lookup("mmap_anon"));
	ZMM_CHECK(zmm_storage_lookup("mmap_anon") != zmm_storage_lookup("mmap_zero"));
}

/*** per-provider checks ***/

static void check_lookup(const char *name)
{
	const zmm_storage_handlers_t *h = zmm_storage_lookup(name);
	char buf[128], quoted[32], longer[32], shorter[32];
	size_t i;

	ZMM_REQUIRE(h != NULL);
	ZMM_CHECK(strcmp(h->name, name) == 0);
	ZMM_CHECK(h->alloc != NULL && h->realloc != NULL && h->free != NULL);
	ZMM_CHECK(zmm_storage_lookup(name) == h);

	snprintf(quoted, sizeof(quoted), "'%s'", name);
	ZMM_CHECK(strstr(zmm_storage_names(buf, sizeof(buf)), quoted) != NULL);

	snprintf(longer, sizeof(longer), "%sx", name);
	ZMM_CHECK(zmm_storage_lookup(longer) == NULL);
	snprintf(shorter, sizeof(shorter), "%.*s", (int)strlen(name) - 1, name);
	ZMM_CHECK(zmm_storage_lookup(shorter) == NULL);
	for (i = 0; name[i]; i++) {
		longer[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	}
	longer[i] = '\0';
	ZMM_CHECK(zmm_storage_lookup(longer) == NULL);
}

static void check_init_sizes(const char *name)
{
	static const size_t bad[] = { 0, 3 << 16, 32 * KB, 64 * MB, 64 * KB + 1, 96 * KB, 64 * KB - 1, (size_t)-1 };
	const zmm_storage_handlers_t *h = zmm_storage_lookup(name);
	zmm_storage_t s;
	size_t i, size;

	ZMM_REQUIRE(h != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ZMM_CHECK(zmm_storage_init(&s, h, bad[i], 1) == -1);
		ZMM_CHECK(errno == EINVAL);
	}
	errno = 0;
	ZMM_CHECK(zmm_storage_init(&s, NULL, 256 * KB, 1) == -1);
	ZMM_CHECK(errno == EINVAL);

	for (size = ZMM_SEGMENT_SIZE_MIN; size <= ZMM_SEGMENT_SIZE_MAX; size *= 2) {
		zmm_segment_t *seg;

		ZMM_REQUIRE(start(&s, name, size, 3) == 0);
		ZMM_CHECK(s.handlers == h);
		ZMM_CHECK_EQ(s.alignment, size);
		ZMM_CHECK_EQ(s.shift, log2_of(size));
		ZMM_CHECK(s.registry != NULL);
		ZMM_CHECK_EQ(s.registry_top_len, expected_top_len(s.shift));
		ZMM_CHECK(s.pool == NULL);
		ZMM_CHECK_EQ(s.pool_count, 0);
		ZMM_CHECK_EQ(s.pool_limit, 3);
		ZMM_CHECK_EQ(s.segments, 0);
		ZMM_CHECK_EQ(s.bytes, 0);
		ZMM_CHECK_EQ(s.fail_countdown, 0);
		ZMM_CHECK_EQ(s.counters.os_allocs + s.counters.os_frees + s.counters.os_reallocs
		             + s.counters.os_remaps + s.counters.os_failures + s.counters.pool_hits
		             + s.counters.pool_puts, 0);

		seg = zmm_storage_segment_alloc(&s, size);
		ZMM_REQUIRE(seg != NULL);
		ZMM_CHECK(is_aligned(seg, size));
		ZMM_CHECK_EQ(seg->size, size);
		ZMM_CHECK(zmm_storage_find(&s, (char *)seg + size - 1) == seg);
		((char *)seg)[size - 1] = 1; /* all of it is writable */
		zmm_storage_segment_free(&s, seg);
		zmm_storage_destroy(&s);
		ZMM_CHECK(s.registry == NULL);
		ZMM_CHECK(s.pool == NULL && s.pool_count == 0);
		ZMM_CHECK(zmm_storage_find(&s, seg) == NULL);
	}
}

static void check_alloc(const char *name)
{
	static const size_t units[] = { 1, 3, 1, 8 };
	zmm_segment_t *segs[4];
	zmm_storage_t s;
	size_t a = 256 * KB, i, total = 0;
	uint64_t allocs;

	ZMM_REQUIRE(start(&s, name, a, 0) == 0);
	for (i = 0; i < 4; i++) {
		size_t size = units[i] * a;
		segs[i] = zmm_storage_segment_alloc(&s, size);
		ZMM_REQUIRE(segs[i] != NULL);
		total += size;
		ZMM_CHECK(is_aligned(segs[i], a));
		ZMM_CHECK_EQ(segs[i]->size, size);
		ZMM_CHECK(header_clear(segs[i]));
		ZMM_CHECK_EQ(s.segments, i + 1);
		ZMM_CHECK_EQ(s.bytes, total);
		ZMM_CHECK_EQ(s.counters.os_allocs, i + 1);
		memset((char *)segs[i] + sizeof(zmm_segment_t), (int)i + 1, size - sizeof(zmm_segment_t));
	}
	/* segments do not overlap: each still holds its own bytes */
	for (i = 0; i < 4; i++) {
		unsigned char *p = (unsigned char *)segs[i];
		ZMM_CHECK(p[sizeof(zmm_segment_t)] == i + 1 && p[segs[i]->size - 1] == i + 1);
		ZMM_CHECK(units_map_to(&s, segs[i], segs[i]->size, segs[i]));
	}

	/* bad sizes: EINVAL, no provider call */
	allocs = s.counters.os_allocs;
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, 0) == NULL && errno == EINVAL);
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a + 1) == NULL && errno == EINVAL);
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a / 2) == NULL && errno == EINVAL);
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, 3 * a - 4096) == NULL && errno == EINVAL);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs);
	ZMM_CHECK_EQ(s.counters.os_failures, 0);
	ZMM_CHECK_EQ(s.segments, 4);

	for (i = 0; i < 4; i++) {
		zmm_storage_segment_free(&s, segs[i]);
	}
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	ZMM_CHECK_EQ(s.counters.os_frees, 4);
	zmm_storage_segment_free(&s, NULL); /* no-op */
	ZMM_CHECK_EQ(s.counters.os_frees, 4);
	zmm_storage_destroy(&s);
}

static int a_global;

static void check_find(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *seg;
	char *base;
	int local = 0;
	void *heap_mem = malloc(64);

	ZMM_REQUIRE(heap_mem != NULL);
	if (start(&s, name, a, 0) != 0) {
		free(heap_mem);
		ZMM_REQUIRE(0);
	}
	seg = zmm_storage_segment_alloc(&s, a);
	if (seg == NULL) {
		free(heap_mem);
		zmm_storage_destroy(&s);
		ZMM_REQUIRE(0);
	}
	base = (char *)seg;
	ZMM_CHECK(zmm_storage_find(&s, base) == seg);
	ZMM_CHECK(zmm_storage_find(&s, base + 12345) == seg);
	ZMM_CHECK(zmm_storage_find(&s, base + a - 1) == seg);
	ZMM_CHECK(zmm_storage_find(&s, base + a) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, base - 1) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, &local) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, heap_mem) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, NULL) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, (void *)-1) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, (void *)(UINTPTR_MAX >> 1)) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, &a_global) == NULL);

	zmm_storage_segment_free(&s, seg);
	ZMM_CHECK(zmm_storage_find(&s, base) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, base + 12345) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, base + a - 1) == NULL);
	zmm_storage_destroy(&s);
	free(heap_mem);
}

static void check_huge(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB, i;
	zmm_segment_t *h1, *h2, *std;
	char *b1, *b2;

	ZMM_REQUIRE(start(&s, name, a, 4) == 0);
	h1 = zmm_storage_segment_alloc(&s, 5 * a);
	std = zmm_storage_segment_alloc(&s, a);
	h2 = zmm_storage_segment_alloc(&s, 33 * a);
	ZMM_REQUIRE(h1 != NULL && h2 != NULL && std != NULL);
	b1 = (char *)h1;
	b2 = (char *)h2;
	for (i = 0; i < 5; i++) {
		ZMM_CHECK(zmm_storage_find(&s, b1 + i * a) == h1);
		ZMM_CHECK(zmm_storage_find(&s, b1 + i * a + a / 2) == h1);
		ZMM_CHECK(zmm_storage_find(&s, b1 + i * a + a - 1) == h1);
	}
	ZMM_CHECK(zmm_storage_find(&s, b1 + 5 * a) != h1);
	ZMM_CHECK(units_map_to(&s, h2, 33 * a, h2));
	ZMM_CHECK(units_map_to(&s, std, a, std));
	ZMM_CHECK_EQ(s.segments, 3);
	ZMM_CHECK_EQ(s.bytes, 39 * a);
	memset(b2 + sizeof(zmm_segment_t), 0x5a, 33 * a - sizeof(zmm_segment_t));

	/* segments above ZMM_STORAGE_POOL_MAX_UNITS units never go to the pool */
	zmm_storage_segment_free(&s, h1);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);
	ZMM_CHECK(units_map_to(&s, b1, 5 * a, NULL));
	ZMM_CHECK(units_map_to(&s, h2, 33 * a, h2));
	zmm_storage_segment_free(&s, h2);
	ZMM_CHECK(units_map_to(&s, b2, 33 * a, NULL));
	ZMM_CHECK(zmm_storage_find(&s, std) == std);
	zmm_storage_segment_free(&s, std);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	zmm_storage_destroy(&s);
}

static void check_realloc(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB, hdr = sizeof(zmm_segment_t);
	zmm_segment_t *seg, *g, *r, *same;
	void *old;

	ZMM_REQUIRE(start(&s, name, a, 0) == 0);
	seg = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_REQUIRE(seg != NULL);
	seg->owner = (void *)&s;
	seg->starts_len = 4242;
	fill(seg, hdr, 2 * a, 1);

	/* grow 2 -> 5 units */
	old = seg;
	g = zmm_storage_segment_realloc(&s, seg, 5 * a);
	ZMM_REQUIRE(g != NULL);
	ZMM_CHECK(is_aligned(g, a));
	ZMM_CHECK_EQ(g->size, 5 * a);
	ZMM_CHECK(g->owner == (void *)&s && g->starts_len == 4242);
	ZMM_CHECK(pattern_ok(g, hdr, 2 * a, 1));
	fill(g, 2 * a, 5 * a, 2);
	ZMM_CHECK(registry_after_resize(&s, old, 2 * a, g));
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.bytes, 5 * a);
	ZMM_CHECK_EQ(s.counters.os_reallocs, 1);
	ZMM_CHECK_EQ(s.counters.os_remaps, is_mmap_provider(name) && HAVE_MREMAP_GROW ? 1 : 0);

	/* shrink 5 -> 2 units: mmap shrinks in place by unmapping the tail */
	old = g;
	r = zmm_storage_segment_realloc(&s, g, 2 * a);
	ZMM_REQUIRE(r != NULL);
	ZMM_CHECK_EQ(r->size, 2 * a);
	ZMM_CHECK(r->owner == (void *)&s && r->starts_len == 4242);
	ZMM_CHECK(pattern_ok(r, hdr, 2 * a, 1));
	ZMM_CHECK(registry_after_resize(&s, old, 5 * a, r));
	ZMM_CHECK_EQ(s.bytes, 2 * a);
	ZMM_CHECK_EQ(s.counters.os_reallocs, 2);
	if (is_mmap_provider(name)) {
		ZMM_CHECK(r == old);
		ZMM_CHECK(unmapped((char *)r + 2 * a, 3 * a));
		ZMM_CHECK_EQ(s.counters.os_remaps, HAVE_MREMAP_GROW ? 2 : 1);
	} else {
		ZMM_CHECK_EQ(s.counters.os_remaps, 0);
	}

	/* the same size: no provider call */
	same = zmm_storage_segment_realloc(&s, r, 2 * a);
	ZMM_CHECK(same == r);
	ZMM_CHECK_EQ(s.counters.os_reallocs, 2);

	/* bad sizes: EINVAL, segment untouched */
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_realloc(&s, r, 2 * a + 8) == NULL && errno == EINVAL);
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_realloc(&s, r, 0) == NULL && errno == EINVAL);
	ZMM_CHECK_EQ(r->size, 2 * a);
	ZMM_CHECK(units_map_to(&s, r, 2 * a, r));
#if UINTPTR_MAX > 0xffffffffu
	/* more than the registry's address space: ENOMEM before any provider call */
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_realloc(&s, r, ((s.registry_top_len << ZMM_REGISTRY_LEAF_BITS) << s.shift) + a) == NULL);
	ZMM_CHECK(errno == ENOMEM);
	ZMM_CHECK_EQ(s.counters.os_failures, 0);
	ZMM_CHECK_EQ(r->size, 2 * a);
	ZMM_CHECK(units_map_to(&s, r, 2 * a, r));
#endif

	/* down to one unit, then free: a standard segment again (pool_limit 0: to the provider) */
	old = r;
	r = zmm_storage_segment_realloc(&s, r, a);
	ZMM_REQUIRE(r != NULL);
	ZMM_CHECK(pattern_ok(r, hdr, a, 1));
	ZMM_CHECK(registry_after_resize(&s, old, 2 * a, r));
	zmm_storage_segment_free(&s, r);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	ZMM_CHECK(zmm_storage_find(&s, r) == NULL);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);

	/* realloc(NULL) allocates */
	r = zmm_storage_segment_realloc(&s, NULL, 2 * a);
	ZMM_REQUIRE(r != NULL);
	ZMM_CHECK_EQ(r->size, 2 * a);
	ZMM_CHECK(units_map_to(&s, r, 2 * a, r));
	zmm_storage_segment_free(&s, r);
	zmm_storage_destroy(&s);
}

/* Grow in place when the range after the segment is free, and move (pages, not bytes, with
 * mremap) when it is not. Uses MAP_FIXED_NOREPLACE to probe or block the range. */
static void check_realloc_placement(const char *name)
{
#ifdef MAP_FIXED_NOREPLACE
	zmm_storage_t s;
	size_t a = 64 * KB, hdr = sizeof(zmm_segment_t), page = (size_t)sysconf(_SC_PAGESIZE);
	zmm_segment_t *seg, *g, *held[8];
	void *probe, *blocker;
	uint64_t remaps;
	size_t tries;

	ZMM_REQUIRE(start(&s, name, a, 0) == 0);

	/* blocked: must move */
	seg = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(seg != NULL);
	fill(seg, hdr, a, 3);
	blocker = map_exactly((char *)seg + a, page, PROT_NONE); /* NULL: something else is there already */
	remaps = s.counters.os_remaps;
	g = zmm_storage_segment_realloc(&s, seg, 4 * a);
	if (blocker != NULL) {
		munmap(blocker, page);
	}
	ZMM_REQUIRE(g != NULL);
	ZMM_CHECK(g != seg);
	ZMM_CHECK(is_aligned(g, a));
	ZMM_CHECK(pattern_ok(g, hdr, a, 3));
	fill(g, a, 4 * a, 4);
	ZMM_CHECK(registry_after_resize(&s, seg, a, g));
	ZMM_CHECK(unmapped(seg, a) || !is_mmap_provider(name)); /* mmap: the old range went back to the OS */
	ZMM_CHECK_EQ(s.counters.os_remaps, remaps + (is_mmap_provider(name) && HAVE_MREMAP_GROW ? 1 : 0));
	zmm_storage_segment_free(&s, g);

	/* free range after it: mmap with mremap grows in place. mmap places new mappings top-down,
	 * so make room above the segment by freeing a larger one mapped just before it; holes left
	 * by earlier mappings may take the segment instead: keep those and try again. */
	probe = NULL;
	for (tries = 0; tries < 8 && probe == NULL; tries++) {
		g = zmm_storage_segment_alloc(&s, 4 * a);
		seg = zmm_storage_segment_alloc(&s, a);
		ZMM_REQUIRE(g != NULL && seg != NULL);
		zmm_storage_segment_free(&s, g);
		probe = map_exactly((char *)seg + a, 3 * a, PROT_NONE);
		if (probe == NULL) {
			held[tries] = seg;
		}
	}
	if (probe != NULL) {
		munmap(probe, 3 * a);
		fill(seg, hdr, a, 5);
		remaps = s.counters.os_remaps;
		g = zmm_storage_segment_realloc(&s, seg, 4 * a);
		ZMM_REQUIRE(g != NULL);
		if (is_mmap_provider(name) && HAVE_MREMAP_GROW) {
			ZMM_CHECK(g == seg);
			ZMM_CHECK_EQ(s.counters.os_remaps, remaps + 1);
		}
		ZMM_CHECK(pattern_ok(g, hdr, a, 5));
		fill(g, a, 4 * a, 6);
		ZMM_CHECK(registry_after_resize(&s, seg, a, g));
		zmm_storage_segment_free(&s, g);
		tries--; /* the last try's segment is not in held */
	} else {
		/* expected for malloc (its arena is reserved); mmap should have found room */
		ZMM_CHECK(!is_mmap_provider(name));
	}
	while (tries-- > 0) {
		zmm_storage_segment_free(&s, held[tries]);
	}
	ZMM_CHECK_EQ(s.segments, 0);
	zmm_storage_destroy(&s);
#else
	(void)name;
	fprintf(stderr, "note: no MAP_FIXED_NOREPLACE, realloc placement not checked\n");
#endif
}

static void check_pool(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *x, *y, *z, *h;
	uint64_t allocs;

	ZMM_REQUIRE(start(&s, name, a, 1) == 0);
	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	dirty_header(x);
	allocs = s.counters.os_allocs;
	zmm_storage_segment_free(&s, x);
	ZMM_CHECK_EQ(s.pool_count, 1);
	ZMM_CHECK(s.pool == x);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), a);
	ZMM_CHECK_EQ(s.counters.pool_puts, 1);
	ZMM_CHECK_EQ(s.counters.os_frees, 0);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	ZMM_CHECK(zmm_storage_find(&s, x) == NULL); /* pooled segments are not live */
	ZMM_CHECK(zmm_storage_find(&s, (char *)x + a - 1) == NULL);

	y = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(y != NULL);
	ZMM_CHECK(y == x);
	ZMM_CHECK_EQ(y->size, a);
	ZMM_CHECK(header_clear(y));
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK(s.pool == NULL);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), 0);
	ZMM_CHECK(zmm_storage_find(&s, y) == y);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.bytes, a);

	/* empty pool: the provider is asked */
	z = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(z != NULL);
	ZMM_CHECK(z != y);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs + 1);
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);

	/* a request of another size never takes a pooled segment */
	zmm_storage_segment_free(&s, y);
	ZMM_CHECK_EQ(s.pool_count, 1);
	h = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_REQUIRE(h != NULL);
	ZMM_CHECK_EQ(s.pool_count, 1);
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs + 2);

	/* pool full (limit 1 unit): the next segment goes to the provider, a two-unit one too */
	zmm_storage_segment_free(&s, z);
	ZMM_CHECK_EQ(s.pool_count, 1);
	ZMM_CHECK_EQ(s.counters.pool_puts, 2);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);
	zmm_storage_segment_free(&s, h);
	ZMM_CHECK_EQ(s.counters.os_frees, 2);
	ZMM_CHECK_EQ(s.pool_count, 1);

	/* destroy releases the pool */
	zmm_storage_destroy(&s);
	ZMM_CHECK_EQ(s.counters.os_frees, 3);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK(s.pool == NULL);
}

/* Small multi-unit segments are pooled by units and handed out again only for their own size. */
static void check_pool_units(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *one, *two, *big, *p;
	uint64_t allocs;

	ZMM_REQUIRE(start(&s, name, a, 3) == 0);
	one = zmm_storage_segment_alloc(&s, a);
	two = zmm_storage_segment_alloc(&s, 2 * a);
	big = zmm_storage_segment_alloc(&s, (ZMM_STORAGE_POOL_MAX_UNITS + 1) * a);
	ZMM_REQUIRE(one != NULL && two != NULL && big != NULL);
	allocs = s.counters.os_allocs;

	zmm_storage_segment_free(&s, two);
	ZMM_CHECK_EQ(s.pool_count, 1);
	ZMM_CHECK_EQ(s.pool_units, 2);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), 2 * a);
	ZMM_CHECK(zmm_storage_find(&s, (char *)two + a) == NULL);
	zmm_storage_segment_free(&s, one);
	ZMM_CHECK_EQ(s.pool_count, 2);
	ZMM_CHECK_EQ(s.pool_units, 3);
	/* too many units: to the provider */
	zmm_storage_segment_free(&s, big);
	ZMM_CHECK_EQ(s.pool_count, 2);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);

	/* the two-unit request gets the two-unit segment, though a one-unit segment is newer */
	p = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_CHECK(p == two);
	ZMM_CHECK_EQ(p->size, 2 * a);
	ZMM_CHECK(header_clear(p));
	ZMM_CHECK(zmm_storage_find(&s, (char *)p + 2 * a - 1) == p);
	ZMM_CHECK_EQ(s.pool_units, 1);
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs);
	/* a three-unit request finds nothing of its size */
	big = zmm_storage_segment_alloc(&s, 3 * a);
	ZMM_REQUIRE(big != NULL);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs + 1);
	ZMM_CHECK_EQ(s.pool_count, 1);

	/* compact gives back every size */
	zmm_storage_segment_free(&s, p);
	ZMM_CHECK_EQ(s.pool_units, 3);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), 3 * a);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK_EQ(s.pool_units, 0);
	zmm_storage_segment_free(&s, big);
	zmm_storage_destroy(&s);
}

/* zmm_storage_reserve fills the pool up to count segments of one size, within the pool limit, and
 * the next allocations of that size are pool hits without a provider call. */
static void check_pool_reserve(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *x, *y, *z;
	uint64_t allocs;

	ZMM_REQUIRE(start(&s, name, a, 4) == 0);
	ZMM_CHECK_EQ(zmm_storage_reserve(&s, a, 2), 2);
	ZMM_CHECK_EQ(s.pool_count, 2);
	ZMM_CHECK_EQ(s.pool_units, 2);
	ZMM_CHECK_EQ(s.counters.pool_reserved, 2);
	ZMM_CHECK_EQ(s.counters.os_allocs, 2);
	ZMM_CHECK_EQ(s.segments, 0);                   /* pooled, not handed out, not registered */
	ZMM_CHECK_EQ(s.bytes, 0);
	ZMM_CHECK(zmm_storage_find(&s, s.pool) == NULL);
	/* enough already: nothing more */
	ZMM_CHECK_EQ(zmm_storage_reserve(&s, a, 2), 2);
	ZMM_CHECK_EQ(s.counters.os_allocs, 2);
	/* the pool limit (4 units) bounds it: one more two-unit segment fits, a second does not */
	ZMM_CHECK_EQ(zmm_storage_reserve(&s, 2 * a, 2), 1);
	ZMM_CHECK_EQ(s.pool_units, 4);
	ZMM_CHECK_EQ(s.counters.os_allocs, 3);
	/* sizes the pool never keeps, and bad sizes */
	ZMM_CHECK_EQ(zmm_storage_reserve(&s, (ZMM_STORAGE_POOL_MAX_UNITS + 1) * a, 1), 0);
	ZMM_CHECK_EQ(zmm_storage_reserve(&s, a + 8, 1), 0);
	ZMM_CHECK_EQ(s.counters.os_allocs, 3);

	allocs = s.counters.os_allocs;
	x = zmm_storage_segment_alloc(&s, a);
	y = zmm_storage_segment_alloc(&s, a);
	z = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_REQUIRE(x && y && z);
	ZMM_CHECK_EQ(s.counters.os_allocs, allocs);
	ZMM_CHECK_EQ(s.counters.pool_hits, 3);
	ZMM_CHECK(header_clear(x) && header_clear(z));
	ZMM_CHECK(zmm_storage_find(&s, (char *)z + 2 * a - 1) == z);
	memset((char *)x + sizeof(zmm_segment_t), 0x11, a - sizeof(zmm_segment_t));
	zmm_storage_segment_free(&s, x);
	zmm_storage_segment_free(&s, y);
	zmm_storage_segment_free(&s, z);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), 4 * a);
	zmm_storage_destroy(&s);
}

static void check_pool_zero(const char *name)
{
	zmm_storage_t s;
	size_t a = 128 * KB;
	zmm_segment_t *x, *y;

	ZMM_REQUIRE(start(&s, name, a, 0) == 0);
	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	zmm_storage_segment_free(&s, x);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK(s.pool == NULL);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), 0);
	ZMM_CHECK_EQ(s.counters.pool_puts, 0);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);
	y = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(y != NULL);
	ZMM_CHECK_EQ(s.counters.os_allocs, 2);
	ZMM_CHECK_EQ(s.counters.pool_hits, 0);
	zmm_storage_segment_free(&s, y);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), 0);
	zmm_storage_destroy(&s);
	ZMM_CHECK_EQ(s.counters.os_frees, 2);
}

static void check_compact(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB, i;
	zmm_segment_t *segs[5], *again;

	ZMM_REQUIRE(start(&s, name, a, 4) == 0);
	for (i = 0; i < 5; i++) {
		segs[i] = zmm_storage_segment_alloc(&s, a);
		ZMM_REQUIRE(segs[i] != NULL);
	}
	for (i = 0; i < 5; i++) {
		zmm_storage_segment_free(&s, segs[i]);
	}
	ZMM_CHECK_EQ(s.pool_count, 4);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), 4 * a);
	ZMM_CHECK_EQ(s.counters.pool_puts, 4);
	ZMM_CHECK_EQ(s.counters.os_frees, 1);

	ZMM_CHECK_EQ(zmm_storage_compact(&s), 4 * a);
	ZMM_CHECK_EQ(s.pool_count, 0);
	ZMM_CHECK(s.pool == NULL);
	ZMM_CHECK_EQ(zmm_storage_pool_bytes(&s), 0);
	ZMM_CHECK_EQ(s.counters.os_frees, 5);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), 0);
	ZMM_CHECK_EQ(s.counters.os_frees, 5);

	again = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(again != NULL);
	ZMM_CHECK_EQ(s.counters.os_allocs, 6);
	ZMM_CHECK_EQ(s.counters.pool_hits, 0);
	zmm_storage_segment_free(&s, again);
	zmm_storage_destroy(&s);
}

static void check_faults(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB, hdr = sizeof(zmm_segment_t);
	zmm_segment_t *x, *y, *z, *w, *seg, *r;

	ZMM_REQUIRE(start(&s, name, a, 0) == 0);
	/* the third provider call fails, the fourth works again */
	s.fail_countdown = 3;
	x = zmm_storage_segment_alloc(&s, a);
	y = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_CHECK(x != NULL && y != NULL);
	ZMM_CHECK_EQ(s.fail_countdown, 1);
	errno = 0;
	z = zmm_storage_segment_alloc(&s, a);
	ZMM_CHECK(z == NULL);
	ZMM_CHECK(errno == ENOMEM);
	ZMM_CHECK_EQ(s.fail_countdown, 0);
	ZMM_CHECK_EQ(s.counters.os_failures, 1);
	ZMM_CHECK_EQ(s.counters.os_allocs, 2);
	ZMM_CHECK_EQ(s.segments, 2);
	ZMM_CHECK_EQ(s.bytes, 3 * a);
	w = zmm_storage_segment_alloc(&s, a);
	ZMM_CHECK(w != NULL);
	ZMM_CHECK_EQ(s.counters.os_failures, 1);
	ZMM_CHECK(zmm_storage_find(&s, w) == w && zmm_storage_find(&s, x) == x && zmm_storage_find(&s, y) == y);
	zmm_storage_segment_free(&s, x);
	zmm_storage_segment_free(&s, y);
	zmm_storage_segment_free(&s, w);

	/* a failed grow leaves the segment as it was, registered */
	seg = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_REQUIRE(seg != NULL);
	seg->owner = (void *)&s;
	zmm_storage_segment_publish(&s, seg);
	fill(seg, hdr, 2 * a, 7);
	s.fail_countdown = 1;
	errno = 0;
	r = zmm_storage_segment_realloc(&s, seg, 6 * a);
	ZMM_CHECK(r == NULL);
	ZMM_CHECK(errno == ENOMEM);
	ZMM_CHECK_EQ(seg->size, 2 * a);
	ZMM_CHECK(seg->owner == (void *)&s);
	ZMM_CHECK(pattern_ok(seg, hdr, 2 * a, 7));
	ZMM_CHECK(units_map_to(&s, seg, 2 * a, seg));
	ZMM_CHECK(zmm_storage_find(&s, (char *)seg + 2 * a) == NULL);
	ZMM_CHECK_EQ(s.bytes, 2 * a);
	ZMM_CHECK_EQ(s.segments, 1);
	ZMM_CHECK_EQ(s.counters.os_reallocs, 0);
	ZMM_CHECK_EQ(s.counters.os_failures, 2);

	/* and so does a failed shrink */
	s.fail_countdown = 1;
	r = zmm_storage_segment_realloc(&s, seg, a);
	ZMM_CHECK(r == NULL);
	ZMM_CHECK_EQ(seg->size, 2 * a);
	ZMM_CHECK(pattern_ok(seg, hdr, 2 * a, 7));
	ZMM_CHECK(units_map_to(&s, seg, 2 * a, seg));
	ZMM_CHECK_EQ(s.counters.os_failures, 3);

	/* off again: the same realloc works */
	ZMM_CHECK_EQ(s.fail_countdown, 0);
	r = zmm_storage_segment_realloc(&s, seg, 6 * a);
	ZMM_REQUIRE(r != NULL);
	ZMM_CHECK(pattern_ok(r, hdr, 2 * a, 7));
	ZMM_CHECK(units_map_to(&s, r, 6 * a, r));
	ZMM_CHECK_EQ(s.counters.os_reallocs, 1);

	/* a realloc counts as one attempt: countdown 2 lets one through */
	s.fail_countdown = 2;
	seg = zmm_storage_segment_realloc(&s, r, 3 * a);
	ZMM_REQUIRE(seg != NULL);
	ZMM_CHECK(zmm_storage_segment_realloc(&s, seg, 5 * a) == NULL);
	ZMM_CHECK_EQ(seg->size, 3 * a);
	ZMM_CHECK(units_map_to(&s, seg, 3 * a, seg));
	zmm_storage_segment_free(&s, seg);
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	zmm_storage_destroy(&s);

	/* pool hits are not provider calls */
	ZMM_REQUIRE(start(&s, name, a, 1) == 0);
	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	zmm_storage_segment_free(&s, x);
	s.fail_countdown = 1;
	y = zmm_storage_segment_alloc(&s, a);
	ZMM_CHECK(y == x);
	ZMM_CHECK_EQ(s.fail_countdown, 1);
	ZMM_CHECK_EQ(s.counters.os_failures, 0);
	z = zmm_storage_segment_alloc(&s, a);
	ZMM_CHECK(z == NULL);
	ZMM_CHECK_EQ(s.counters.os_failures, 1);
	ZMM_CHECK_EQ(s.fail_countdown, 0);
	ZMM_CHECK(zmm_storage_find(&s, y) == y);
	zmm_storage_segment_free(&s, y);
	zmm_storage_destroy(&s);
}

static void check_counters(const char *name)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *x, *h, *x2;

	ZMM_REQUIRE(start(&s, name, a, 1) == 0);
	x = zmm_storage_segment_alloc(&s, a);           /* os_allocs 1 */
	h = zmm_storage_segment_alloc(&s, 3 * a);       /* os_allocs 2 */
	ZMM_REQUIRE(x != NULL && h != NULL);
	h = zmm_storage_segment_realloc(&s, h, 4 * a);  /* os_reallocs 1 */
	ZMM_REQUIRE(h != NULL);
	zmm_storage_segment_free(&s, x);                /* pool_puts 1 */
	x2 = zmm_storage_segment_alloc(&s, a);          /* pool_hits 1 */
	ZMM_REQUIRE(x2 != NULL);
	zmm_storage_segment_free(&s, h);                /* os_frees 1 */
	s.fail_countdown = 1;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a) == NULL); /* os_failures 1 */
	zmm_storage_segment_free(&s, x2);               /* pool_puts 2 */
	ZMM_CHECK_EQ(s.segments, 0);
	ZMM_CHECK_EQ(s.bytes, 0);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), a);       /* os_frees 2 */

	ZMM_CHECK_EQ(s.counters.os_allocs, 2);
	ZMM_CHECK_EQ(s.counters.os_frees, 2);
	ZMM_CHECK_EQ(s.counters.os_reallocs, 1);
	ZMM_CHECK_EQ(s.counters.os_remaps, is_mmap_provider(name) && HAVE_MREMAP_GROW ? 1 : 0);
	ZMM_CHECK_EQ(s.counters.os_failures, 1);
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);
	ZMM_CHECK_EQ(s.counters.pool_puts, 2);
	zmm_storage_destroy(&s);
	ZMM_CHECK_EQ(s.counters.os_frees, 2);
}

/* Two storages do not see each other's segments. */
static void check_two_storages(const char *name)
{
	zmm_storage_t s1, s2;
	zmm_segment_t *x, *y;

	ZMM_REQUIRE(start(&s1, name, 64 * KB, 1) == 0);
	if (start(&s2, name, 2 * MB, 1) != 0) {
		zmm_storage_destroy(&s1);
		ZMM_REQUIRE(0);
	}
	x = zmm_storage_segment_alloc(&s1, 64 * KB);
	y = zmm_storage_segment_alloc(&s2, 2 * MB);
	ZMM_CHECK(x != NULL && y != NULL);
	if (x != NULL && y != NULL) {
		ZMM_CHECK(zmm_storage_find(&s1, x) == x && zmm_storage_find(&s2, x) == NULL);
		ZMM_CHECK(zmm_storage_find(&s2, y) == y && zmm_storage_find(&s1, y) == NULL);
		ZMM_CHECK(is_aligned(y, 2 * MB));
		ZMM_CHECK(zmm_storage_find(&s2, (char *)y + 2 * MB - 1) == y);
	}
	zmm_storage_segment_free(&s1, x);
	zmm_storage_segment_free(&s2, y);
	zmm_storage_destroy(&s1);
	zmm_storage_destroy(&s2);
}

#define PROVIDER_TESTS(p) \
	ZMM_TEST(lookup_##p) { check_lookup(#p); } \
	ZMM_TEST(init_sizes_##p) { check_init_sizes(#p); } \
	ZMM_TEST(alloc_##p) { check_alloc(#p); } \
	ZMM_TEST(find_##p) { check_find(#p); } \
	ZMM_TEST(huge_##p) { check_huge(#p); } \
	ZMM_TEST(realloc_##p) { check_realloc(#p); } \
	ZMM_TEST(realloc_placement_##p) { check_realloc_placement(#p); } \
	ZMM_TEST(pool_##p) { check_pool(#p); } \
	ZMM_TEST(pool_zero_##p) { check_pool_zero(#p); } \
	ZMM_TEST(pool_units_##p) { check_pool_units(#p); } \
	ZMM_TEST(pool_reserve_##p) { check_pool_reserve(#p); } \
	ZMM_TEST(compact_##p) { check_compact(#p); } \
	ZMM_TEST(faults_##p) { check_faults(#p); } \
	ZMM_TEST(counters_##p) { check_counters(#p); } \
	ZMM_TEST(two_storages_##p) { check_two_storages(#p); }

#define PROVIDER_CASES(p) \
	ZMM_T(lookup_##p), ZMM_T(init_sizes_##p), ZMM_T(alloc_##p), ZMM_T(find_##p), ZMM_T(huge_##p), \
	ZMM_T(realloc_##p), ZMM_T(realloc_placement_##p), ZMM_T(pool_##p), ZMM_T(pool_zero_##p), ZMM_T(pool_units_##p), \
	ZMM_T(pool_reserve_##p), \
	ZMM_T(compact_##p), ZMM_T(faults_##p), ZMM_T(counters_##p), ZMM_T(two_storages_##p),

PROVIDER_TESTS(malloc)
PROVIDER_TESTS(mmap_anon)
PROVIDER_TESTS(mmap_zero)

/*** mmap_zero's descriptor ***/

ZMM_TEST(mmap_zero_fd)
{
	zmm_storage_t s;
	struct rlimit saved, low;
	int fd, probe, rc, err;

	ZMM_REQUIRE(start(&s, "mmap_zero", 64 * KB, 0) == 0);
	fd = (int)(intptr_t)s.data;
	ZMM_CHECK(fcntl(fd, F_GETFD) != -1);
	zmm_storage_destroy(&s);
	errno = 0;
	ZMM_CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* dtor closed it */

	/* init fails when /dev/zero cannot be opened: allow no further descriptor */
	probe = open("/dev/null", O_RDONLY);
	ZMM_REQUIRE(probe >= 0);
	close(probe);
	ZMM_REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
	low = saved;
	low.rlim_cur = (rlim_t)probe; /* every descriptor below the lowest free one is in use */
	ZMM_REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	errno = 0;
	rc = zmm_storage_init(&s, zmm_storage_lookup("mmap_zero"), 64 * KB, 0);
	err = errno;
	setrlimit(RLIMIT_NOFILE, &saved);
	ZMM_CHECK(rc == -1);
	ZMM_CHECK(err == EMFILE);
	if (rc == 0) {
		zmm_storage_destroy(&s);
	}
}

/*** custom providers: what the storage layer asks of a provider ***/

static struct {
	int inits, dtors, compacts, allocs, reallocs, frees;
	void *last_freed;
	int init_result;
} calls;

static const zmm_storage_handlers_t *anon(void)
{
	return zmm_storage_lookup("mmap_anon");
}

static int counting_init(zmm_storage_t *s)
{
	calls.inits++;
	if (calls.init_result != 0) {
		errno = EACCES;
		return -1;
	}
	return anon()->init(s);
}

static void counting_dtor(zmm_storage_t *s)
{
	calls.dtors++;
	anon()->dtor(s);
}

static void counting_compact(zmm_storage_t *s)
{
	(void)s;
	calls.compacts++;
}

static void *counting_alloc(zmm_storage_t *s, size_t size)
{
	calls.allocs++;
	return anon()->alloc(s, size);
}

static void *counting_realloc(zmm_storage_t *s, void *mem, size_t old_size, size_t new_size)
{
	calls.reallocs++;
	return anon()->realloc(s, mem, old_size, new_size);
}

static void counting_free(zmm_storage_t *s, void *mem, size_t size)
{
	calls.frees++;
	calls.last_freed = mem;
	anon()->free(s, mem, size);
}

static const zmm_storage_handlers_t counting_handlers = {
	"counting", counting_init, counting_dtor, counting_compact, counting_alloc, counting_realloc, counting_free
};

ZMM_TEST(provider_calls)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	zmm_segment_t *x, *y;

	memset(&calls, 0, sizeof(calls));
	calls.init_result = -1;
	errno = 0;
	ZMM_CHECK(zmm_storage_init(&s, &counting_handlers, a, 1) == -1);
	ZMM_CHECK(errno == EACCES);
	ZMM_CHECK_EQ(calls.inits, 1);
	ZMM_CHECK_EQ(calls.dtors, 0);
	ZMM_CHECK(zmm_storage_init(&s, &counting_handlers, 3 * a, 1) == -1); /* rejected before init */
	ZMM_CHECK_EQ(calls.inits, 1);

	calls.init_result = 0;
	ZMM_REQUIRE(zmm_storage_init(&s, &counting_handlers, a, 1) == 0);
	ZMM_CHECK_EQ(calls.inits, 2);
	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	ZMM_CHECK_EQ(calls.allocs, 1);
	zmm_storage_segment_free(&s, x);
	ZMM_CHECK_EQ(calls.frees, 0); /* pooled */
	y = zmm_storage_segment_alloc(&s, a);
	ZMM_CHECK(y == x);
	ZMM_CHECK_EQ(calls.allocs, 1); /* pool hit: no provider call */
	s.fail_countdown = 1;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a) == NULL);
	ZMM_CHECK_EQ(calls.allocs, 1); /* an injected fault does not reach the provider */
	s.fail_countdown = 1;
	ZMM_CHECK(zmm_storage_segment_realloc(&s, y, 2 * a) == NULL);
	ZMM_CHECK_EQ(calls.reallocs, 0);
	y = zmm_storage_segment_realloc(&s, y, 2 * a);
	ZMM_REQUIRE(y != NULL);
	ZMM_CHECK_EQ(calls.reallocs, 1);
	zmm_storage_segment_free(&s, y); /* huge: to the provider */
	ZMM_CHECK_EQ(calls.frees, 1);
	ZMM_CHECK(calls.last_freed == y);

	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	zmm_storage_segment_free(&s, x);
	ZMM_CHECK_EQ(zmm_storage_compact(&s), a);
	ZMM_CHECK_EQ(calls.compacts, 1);
	ZMM_CHECK_EQ(calls.frees, 2);
	ZMM_CHECK(calls.last_freed == x);

	x = zmm_storage_segment_alloc(&s, a);
	ZMM_REQUIRE(x != NULL);
	zmm_storage_segment_free(&s, x);
	zmm_storage_destroy(&s);
	ZMM_CHECK_EQ(calls.dtors, 1);
	ZMM_CHECK_EQ(calls.frees, 3); /* the pool went back at destroy */
	ZMM_CHECK(calls.last_freed == x);
}

/* A provider that hands out a fixed address (real or not), to check what the storage layer
 * refuses and how the registry handles chosen placements. */
static void *fixed_mem;
static void *fixed_target; /* where fixed_realloc moves a segment; NULL: it fails */

static void *fixed_alloc(zmm_storage_t *s, size_t size)
{
	(void)s;
	(void)size;
	calls.allocs++;
	return fixed_mem;
}

static void *fixed_realloc(zmm_storage_t *s, void *mem, size_t old_size, size_t new_size)
{
	(void)s;
	calls.reallocs++;
	if (fixed_target == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(fixed_target, mem, old_size < new_size ? old_size : new_size);
	return fixed_target;
}

static void fixed_free(zmm_storage_t *s, void *mem, size_t size)
{
	(void)s;
	(void)size;
	calls.frees++;
	calls.last_freed = mem;
}

static const zmm_storage_handlers_t fixed_handlers = {
	"fixed", NULL, NULL, NULL, fixed_alloc, fixed_realloc, fixed_free
};

ZMM_TEST(refuses_bad_placement)
{
	zmm_storage_t s;
	size_t a = 64 * KB;
	char *real;

	memset(&calls, 0, sizeof(calls));
	fixed_target = NULL;
	ZMM_REQUIRE(zmm_storage_init(&s, &fixed_handlers, a, 0) == 0);
	real = mmap(NULL, 4 * a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ZMM_REQUIRE(real != MAP_FAILED);

	/* misaligned */
	fixed_mem = (char *)(((uintptr_t)real + a - 1) & ~(uintptr_t)(a - 1)) + 4096;
	errno = 0;
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a) == NULL);
	ZMM_CHECK(errno == ENOMEM);
	ZMM_CHECK(calls.last_freed == fixed_mem);
	ZMM_CHECK(zmm_storage_find(&s, fixed_mem) == NULL);

	/* beyond the registry's address range (never touched: it is not mapped) */
	fixed_mem = (void *)((uintptr_t)s.registry_top_len << (ZMM_REGISTRY_LEAF_BITS + s.shift));
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a) == NULL);
	ZMM_CHECK(calls.last_freed == fixed_mem);
	ZMM_CHECK_EQ(calls.allocs, 2);
	ZMM_CHECK_EQ(calls.frees, 2);
	ZMM_CHECK_EQ(s.counters.os_failures, 2);
	ZMM_CHECK_EQ(s.counters.os_allocs, 0);
	ZMM_CHECK_EQ(s.segments, 0);

	/* a good one works, and the provider's failed realloc leaves it registered */
	fixed_mem = (char *)(((uintptr_t)real + a - 1) & ~(uintptr_t)(a - 1));
	ZMM_CHECK(zmm_storage_segment_alloc(&s, a) == fixed_mem);
	ZMM_CHECK(zmm_storage_segment_realloc(&s, fixed_mem, 2 * a) == NULL);
	ZMM_CHECK(zmm_storage_find(&s, fixed_mem) == fixed_mem);
	ZMM_CHECK(zmm_storage_find(&s, (char *)fixed_mem + a) == NULL);
	ZMM_CHECK_EQ(s.counters.os_failures, 3);
	zmm_storage_segment_free(&s, fixed_mem);
	ZMM_CHECK(zmm_storage_find(&s, fixed_mem) == NULL);
	zmm_storage_destroy(&s);
	munmap(real, 4 * a);
}

/* The registry entries copy the header fields the free path reads: at registration, after
 * zmm_storage_segment_publish (every unit of a multi-unit segment), across a resize, and a pooled
 * segment handed out again starts with a clear header and clear copies. */
ZMM_TEST(registry_entry_copies)
{
	zmm_storage_t s;
	size_t a = 64 * KB, u;
	uint64_t bits[4] = { 0, 0, 0, 0 };
	zmm_segment_t *seg, *g, *again;
	const zmm_registry_entry_t *e;

	ZMM_REQUIRE(zmm_storage_init(&s, zmm_storage_lookup("mmap_anon"), a, 8) == 0);
	seg = zmm_storage_segment_alloc(&s, 3 * a);
	ZMM_REQUIRE(seg != NULL);
	e = zmm_storage_entry(&s, (char *)seg + a + 5);
	ZMM_CHECK(e != NULL && e->seg == seg && e->owner == NULL && e->starts == NULL && e->size == 3 * a);
	ZMM_CHECK(zmm_storage_entry(&s, (char *)seg + 3 * a) == NULL);
	ZMM_CHECK(zmm_storage_entry(&s, (char *)seg - 1) == NULL);

	/* the heap sets owner and starts, then publishes: until then the copies are the old ones */
	seg->owner = &s;
	seg->starts = bits;
	ZMM_CHECK(zmm_storage_entry(&s, seg)->owner == NULL);
	zmm_storage_segment_publish(&s, seg);
	for (u = 0; u < 3; u++) {
		e = zmm_storage_entry(&s, (char *)seg + u * a + a - 1);
		ZMM_CHECK(e != NULL && e->seg == seg && e->owner == (void *)&s && e->starts == bits && e->size == 3 * a);
	}

	/* a resize copies the new size into every unit, the ones that stay too */
	g = zmm_storage_segment_realloc(&s, seg, 4 * a);
	ZMM_REQUIRE(g != NULL);
	ZMM_CHECK(units_map_to(&s, g, 4 * a, g));
	ZMM_CHECK_EQ(zmm_storage_entry(&s, g)->size, 4 * a);
	g = zmm_storage_segment_realloc(&s, g, 2 * a);
	ZMM_REQUIRE(g != NULL);
	ZMM_CHECK(units_map_to(&s, g, 2 * a, g));
	ZMM_CHECK_EQ(zmm_storage_entry(&s, (char *)g + a)->size, 2 * a);
	ZMM_CHECK(zmm_storage_entry(&s, (char *)g + 2 * a) == NULL);

	/* pooled and handed out again: the old owner and bitmap are not copied back; publishing a
	 * segment that is not registered does nothing */
	zmm_storage_segment_free(&s, g);
	ZMM_CHECK(zmm_storage_entry(&s, g) == NULL);
	zmm_storage_segment_publish(&s, g);
	ZMM_CHECK(zmm_storage_entry(&s, g) == NULL);
	again = zmm_storage_segment_alloc(&s, 2 * a);
	ZMM_REQUIRE(again != NULL);
	ZMM_CHECK_EQ(s.counters.pool_hits, 1);
	e = zmm_storage_entry(&s, again);
	ZMM_CHECK(e != NULL && e->seg == again && e->owner == NULL && e->starts == NULL && e->size == 2 * a);
	zmm_storage_segment_free(&s, again);
	zmm_storage_destroy(&s);
}

/* A segment straddling a registry leaf boundary resolves on both sides, also after a realloc
 * moves it across another leaf boundary (the new leaves come from the reserved spares). */
ZMM_TEST(registry_leaf_boundary)
{
#if defined(MAP_FIXED_NOREPLACE) && UINTPTR_MAX > 0xffffffffu
	static const uintptr_t candidates[] = {
		0x500000000000u, 0x510000000000u, 0x380000000000u, 0x2a0000000000u, 0x520000000000u, 0x390000000000u
	};
	zmm_storage_t s;
	size_t a = 64 * KB, i, found = 0, hdr = sizeof(zmm_segment_t);
	uintptr_t leaf_span = (uintptr_t)a << ZMM_REGISTRY_LEAF_BITS, boundary[2] = { 0, 0 };
	char *mem[2] = { NULL, NULL };
	zmm_segment_t *seg, *moved;

	/* two ranges of 4 units, each with its second unit starting a leaf */
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && found < 2; i++) {
		mem[found] = map_exactly((void *)(candidates[i] - a), 4 * a, PROT_READ | PROT_WRITE);
		if (mem[found] != NULL) {
			boundary[found++] = candidates[i];
		}
	}
	if (found < 2) {
		fprintf(stderr, "note: no free ranges at leaf boundaries, not checked\n");
		for (i = 0; i < found; i++) {
			munmap(mem[i], 4 * a);
		}
		return;
	}
	ZMM_CHECK(boundary[0] % leaf_span == 0 && boundary[1] % leaf_span == 0);
	memset(&calls, 0, sizeof(calls));
	fixed_mem = mem[0];
	fixed_target = mem[1];
	if (zmm_storage_init(&s, &fixed_handlers, a, 0) != 0) {
		munmap(mem[0], 4 * a);
		munmap(mem[1], 4 * a);
		ZMM_REQUIRE(0);
	}
	seg = zmm_storage_segment_alloc(&s, 3 * a);
	ZMM_CHECK(seg == (zmm_segment_t *)mem[0]);
	if (seg != NULL) {
		uintptr_t lo = ((uintptr_t)mem[0] >> s.shift) >> ZMM_REGISTRY_LEAF_BITS;
		ZMM_CHECK(s.registry[lo] != NULL && s.registry[lo + 1] != NULL && s.registry[lo] != s.registry[lo + 1]);
		ZMM_CHECK(units_map_to(&s, mem[0], 3 * a, seg));
		ZMM_CHECK(zmm_storage_find(&s, (void *)(boundary[0] - 1)) == seg);
		ZMM_CHECK(zmm_storage_find(&s, (void *)boundary[0]) == seg);
		ZMM_CHECK(zmm_storage_find(&s, mem[0] + 3 * a) == NULL);
		ZMM_CHECK(zmm_storage_find(&s, mem[0] - 1) == NULL);
		fill(seg, hdr, 3 * a, 9);

		moved = zmm_storage_segment_realloc(&s, seg, 4 * a);
		ZMM_CHECK(moved == (zmm_segment_t *)mem[1]);
		if (moved != NULL) {
			ZMM_CHECK_EQ(moved->size, 4 * a);
			ZMM_CHECK(pattern_ok(moved, hdr, 3 * a, 9));
			ZMM_CHECK(registry_after_resize(&s, mem[0], 3 * a, moved));
			ZMM_CHECK(zmm_storage_find(&s, (void *)boundary[1]) == moved);
			seg = moved;
		}
		zmm_storage_segment_free(&s, seg);
		ZMM_CHECK(units_map_to(&s, mem[0], 4 * a, NULL));
		ZMM_CHECK(units_map_to(&s, mem[1], 4 * a, NULL));
	}
	zmm_storage_destroy(&s); /* frees all four leaves (LeakSanitizer would tell) */
	fixed_target = NULL;
	munmap(mem[0], 4 * a);
	munmap(mem[1], 4 * a);
#endif
}

ZMM_TEST_MAIN(
	ZMM_T(names_and_default),
	ZMM_T(lookup_unknown),
	PROVIDER_CASES(malloc)
	PROVIDER_CASES(mmap_anon)
	PROVIDER_CASES(mmap_zero)
	ZMM_T(mmap_zero_fd),
	ZMM_T(provider_calls),
	ZMM_T(refuses_bad_placement),
	ZMM_T(registry_entry_copies),
	ZMM_T(registry_leaf_boundary)
)
