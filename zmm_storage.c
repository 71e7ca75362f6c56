/*
 * zmm_storage.c - segment providers, the segment registry and the segment pool (see zmm_storage.h)
 *
 * Design
 *
 * Providers. A provider is one zmm_storage_handlers_t table of raw calls on plain memory, after PHP
 * 5's storage managers: "malloc" (posix_memalign, _aligned_malloc on Windows), "mmap_anon" (anonymous private mmap),
 * "mmap_zero" (private mmap of /dev/zero, whose fd init opens into storage->data and dtor closes)
 * and, on Windows only, "win32" (VirtualAlloc). Unlike PHP 5, every provider call that returns
 * memory returns it aligned to storage->alignment (the segment size), so that the segment holding
 * an address can be found by shifting the address; the raw calls do not count, do not fault-inject
 * and know nothing of the registry. The providers' own realloc avoids copying where the OS allows:
 * mmap shrinks by unmapping the tail and, on Linux, grows with mremap, first in place and else by
 * moving the pages into a freshly reserved aligned range (MREMAP_FIXED); only when that is not
 * possible are the bytes copied. Such no-copy resizes are the only thing a provider counts
 * (counters.os_remaps).
 *
 * Alignment. mmap only promises page alignment, so an aligned mapping is made by mapping
 * size + alignment - pagesize bytes and unmapping the unaligned head and the tail. posix_memalign
 * aligns directly, but realloc() would lose the alignment, so the malloc provider resizes by
 * allocating anew and copying. win32 reserves an over-sized range, releases it and re-reserves the
 * aligned part at once (retrying if another thread raced in), else keeps the over-sized
 * reservation and commits only its aligned part.
 *
 * Registry. A two-level table maps every alignment-sized unit of address space covered by a live
 * segment to an entry with that segment's base, so that zmm_storage_find (an inline in the header)
 * resolves any interior pointer, also of multi-unit huge segments, without reading the memory at
 * the address. The entry also copies the header fields the free path reads (zmm_registry_entry_t).
 * The top level covers ZMM_REGISTRY_ADDRESS_BITS of address space and is mapped with MAP_NORESERVE
 * (calloc on Windows), so that its untouched pages cost nothing; leaves of
 * 1 << ZMM_REGISTRY_LEAF_BITS entries are allocated on first use and kept until
 * zmm_storage_destroy. Two slots past the ends that zmm_storage_find indexes are used privately:
 * registry[registry_top_len] heads a list of all leaves, linked through each leaf's extra slot
 * leaf[LEAF_LEN], so that destroy frees them without scanning the top level. Registering never
 * fails silently: the leaves a range needs are allocated before any entry is written, and a
 * segment that cannot be registered is not handed out. For realloc, where the new address is
 * only known after the provider moved the memory, enough spare leaves for any placement of the
 * new range are reserved before the provider is called, so that a resized segment can always be
 * registered and a failure leaves the old segment as it was. Memory a provider returns
 * unaligned or outside the registry's address range is refused like a failed allocation (our
 * providers never do; from a realloc, where the old segment is already gone, it aborts).
 *
 * Pool. Released segments of at most ZMM_STORAGE_POOL_MAX_UNITS units are kept, unregistered, in a
 * LIFO list linked through the segment header's next field, up to pool_limit units in all, and
 * handed out again (same size only) before the provider is asked. Small multi-unit segments are
 * pooled because PHP makes one such block in every request (the 256 KiB VM stack page needs two
 * units at the default size): without them each request would map and unmap it.
 * zmm_storage_compact and zmm_storage_destroy give them back.
 *
 * Counting and fault injection happen in the segment layer around each provider call
 * (provider_alloc, provider_realloc, provider_free), so they cover any provider table.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
# define _GNU_SOURCE 1 /* mremap, MREMAP_*, MAP_ANONYMOUS, posix_memalign even under -std=c99 */
#endif

#include "zmm_storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
# include <malloc.h>                /* malloc_trim */
#endif

#ifdef _WIN32
# include <malloc.h>
# include <windows.h>
#else
# include <fcntl.h>
# include <sys/mman.h>
# include <unistd.h>
#endif

/*** platform ***/

#ifndef _WIN32
# if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#  define MAP_ANONYMOUS MAP_ANON
# endif
# ifndef MAP_NORESERVE
#  define MAP_NORESERVE 0
# endif
# ifndef MAP_FAILED
#  define MAP_FAILED ((void *)-1)
# endif
# ifndef O_CLOEXEC
#  define O_CLOEXEC 0
# endif
/* Linux's mremap (NetBSD's has other arguments); -DZMM_NO_MREMAP forces the copying fallback. */
# if defined(__linux__) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED) && !defined(ZMM_NO_MREMAP)
#  define ZMM_HAVE_MREMAP 1
# endif
#endif

#define LEAF_LEN  ((size_t)1 << ZMM_REGISTRY_LEAF_BITS)
#define LEAF_MASK ((uintptr_t)LEAF_LEN - 1)

typedef zmm_registry_entry_t zmm_leaf_entry_t;

#ifndef _WIN32
static size_t page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (size_t)page : 4096;
}
#endif

static uintptr_t align_up(uintptr_t addr, size_t alignment)
{
	return (addr + (alignment - 1)) & ~(uintptr_t)(alignment - 1);
}

/* The first address at or after p aligned to alignment (a power of two). */
static char *align_ptr(char *p, size_t alignment)
{
	return p + (align_up((uintptr_t)p, alignment) - (uintptr_t)p);
}

/* True if [mem, mem + size) lies wholly inside the address range the registry covers. */
static int range_ok(const zmm_storage_t *storage, const void *mem, size_t size)
{
	uintptr_t first = (uintptr_t)mem;
	uintptr_t last = first + (size - 1);

	if (size == 0 || last < first) {
		return 0;
	}
	return ((last >> storage->shift) >> ZMM_REGISTRY_LEAF_BITS) < storage->registry_top_len;
}

/*** malloc provider ***/

static int malloc_init(zmm_storage_t *storage)
{
	storage->data = NULL;
	return 0;
}

static void malloc_dtor(zmm_storage_t *storage)
{
	(void)storage;
}

static void malloc_compact(zmm_storage_t *storage)
{
	(void)storage;
#ifdef __GLIBC__
	/* freed segments stay in glibc's heap; hand what it can back to the OS (zmm_gc()) */
	malloc_trim(0);
#endif
}

/* posix_memalign, or the CRT's _aligned_malloc (whose blocks need _aligned_free) on Windows. */
static void *aligned_malloc(size_t size, size_t alignment)
{
	void *mem = NULL;
#ifdef _WIN32
	mem = _aligned_malloc(size, alignment);
	if (mem == NULL) {
		errno = ENOMEM;
	}
#else
	int rc = posix_memalign(&mem, alignment, size);

	if (rc != 0) {
		errno = rc;
		return NULL;
	}
#endif
	return mem;
}

static void aligned_free(void *mem)
{
#ifdef _WIN32
	_aligned_free(mem);
#else
	free(mem);
#endif
}

static void *malloc_alloc(zmm_storage_t *storage, size_t size)
{
	void *mem = aligned_malloc(size, storage->alignment);

	if (mem != NULL && !range_ok(storage, mem, size)) {
		aligned_free(mem);
		errno = ENOMEM;
		return NULL;
	}
	return mem;
}

/* realloc() would not keep the alignment: allocate aligned, copy, free. */
static void *malloc_realloc(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size)
{
	void *fresh = malloc_alloc(storage, new_size);

	if (fresh == NULL) {
		return NULL;
	}
	memcpy(fresh, mem, old_size < new_size ? old_size : new_size);
	aligned_free(mem);
	return fresh;
}

static void malloc_free(zmm_storage_t *storage, void *mem, size_t size)
{
	(void)storage;
	(void)size;
	aligned_free(mem);
}

static const zmm_storage_handlers_t malloc_handlers = {
	"malloc", malloc_init, malloc_dtor, malloc_compact, malloc_alloc, malloc_realloc, malloc_free
};

/*** mmap helpers (mmap_anon, mmap_zero) ***/

#ifndef _WIN32

/* Maps size bytes aligned to storage->alignment: over-map, then unmap the unaligned head and the
 * tail. flags/fd select anonymous or /dev/zero mappings. */
static void *map_aligned(zmm_storage_t *storage, size_t size, int flags, int fd)
{
	size_t page = page_size();
	size_t extra = storage->alignment > page ? storage->alignment - page : 0;
	char *raw, *mem;
	size_t head;

	if (size > SIZE_MAX - extra) {
		errno = ENOMEM;
		return NULL;
	}
	raw = mmap(NULL, size + extra, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (raw == MAP_FAILED) {
		return NULL;
	}
	mem = align_ptr(raw, storage->alignment);
	head = (size_t)(mem - raw);
	if (head != 0) {
		munmap(raw, head);
	}
	if (extra - head != 0) {
		munmap(mem + size, extra - head);
	}
	if (!range_ok(storage, mem, size)) {
		munmap(mem, size);
		errno = ENOMEM;
		return NULL;
	}
	return mem;
}

/* Resizes a mapping: shrink by unmapping the tail; grow with mremap in place, else by moving the
 * pages into a fresh aligned range; copy only when mremap is missing or refuses. */
static void *map_resize(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size,
                        int flags, int fd)
{
	char *fresh;

	if (new_size == old_size) {
		return mem;
	}
	if (new_size < old_size) {
		if (munmap((char *)mem + new_size, old_size - new_size) != 0) {
			return NULL;
		}
		storage->counters.os_remaps++;
		return mem;
	}
#ifdef ZMM_HAVE_MREMAP
	if (range_ok(storage, mem, new_size) && mremap(mem, old_size, new_size, 0) != MAP_FAILED) {
		storage->counters.os_remaps++;
		return mem;
	}
	fresh = map_aligned(storage, new_size, flags, fd);
	if (fresh == NULL) {
		return NULL;
	}
	if (mremap(mem, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, fresh) != MAP_FAILED) {
		storage->counters.os_remaps++;
		return fresh;
	}
	/* The kernel may already have unmapped the target range before refusing: map afresh. */
	munmap(fresh, new_size);
#endif
	fresh = map_aligned(storage, new_size, flags, fd);
	if (fresh == NULL) {
		return NULL;
	}
	memcpy(fresh, mem, old_size);
	munmap(mem, old_size);
	return fresh;
}

static void map_free(zmm_storage_t *storage, void *mem, size_t size)
{
	(void)storage;
	munmap(mem, size);
}

static int map_dummy_init(zmm_storage_t *storage)
{
	storage->data = NULL;
	return 0;
}

static void map_dummy(zmm_storage_t *storage)
{
	(void)storage;
}

#endif /* !_WIN32 */

/*** mmap_anon provider ***/

#if !defined(_WIN32) && defined(MAP_ANONYMOUS)
# define ZMM_HAVE_MMAP_ANON 1

static void *anon_alloc(zmm_storage_t *storage, size_t size)
{
	return map_aligned(storage, size, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static void *anon_realloc(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size)
{
	return map_resize(storage, mem, old_size, new_size, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static const zmm_storage_handlers_t mmap_anon_handlers = {
	"mmap_anon", map_dummy_init, map_dummy, map_dummy, anon_alloc, anon_realloc, map_free
};

#endif

/*** mmap_zero provider ***/

#ifndef _WIN32
# define ZMM_HAVE_MMAP_ZERO 1

/* storage->data holds the /dev/zero descriptor. */
static int zero_fd(const zmm_storage_t *storage)
{
	return (int)(intptr_t)storage->data;
}

static int zero_init(zmm_storage_t *storage)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		return -1;
	}
	storage->data = (void *)(intptr_t)fd;
	return 0;
}

static void zero_dtor(zmm_storage_t *storage)
{
	close(zero_fd(storage));
	storage->data = NULL;
}

static void *zero_alloc(zmm_storage_t *storage, size_t size)
{
	return map_aligned(storage, size, MAP_PRIVATE, zero_fd(storage));
}

static void *zero_realloc(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size)
{
	return map_resize(storage, mem, old_size, new_size, MAP_PRIVATE, zero_fd(storage));
}

static const zmm_storage_handlers_t mmap_zero_handlers = {
	"mmap_zero", zero_init, zero_dtor, map_dummy, zero_alloc, zero_realloc, map_free
};

#endif

/*** win32 provider ***/

#ifdef _WIN32

static int win32_init(zmm_storage_t *storage)
{
	storage->data = NULL;
	return 0;
}

static void win32_dummy(zmm_storage_t *storage)
{
	(void)storage;
}

/* Reserve-and-trim: reserve an over-sized range to learn where an aligned one fits, release it and
 * reserve exactly the aligned part (another thread may take it in between: retry). Last resort:
 * keep an over-sized reservation and commit only its aligned part (win32_free releases the whole
 * reservation through VirtualQuery's AllocationBase). */
static void *win32_alloc(zmm_storage_t *storage, size_t size)
{
	size_t alignment = storage->alignment;
	char *raw, *mem;
	int tries;

	if (size > SIZE_MAX - alignment) {
		errno = ENOMEM;
		return NULL;
	}
	for (tries = 0; tries < 8; tries++) {
		raw = VirtualAlloc(NULL, size + alignment, MEM_RESERVE, PAGE_NOACCESS);
		if (raw == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		mem = align_ptr(raw, alignment);
		VirtualFree(raw, 0, MEM_RELEASE);
		mem = VirtualAlloc(mem, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
		if (mem != NULL) {
			if (!range_ok(storage, mem, size)) {
				VirtualFree(mem, 0, MEM_RELEASE);
				errno = ENOMEM;
				return NULL;
			}
			return mem;
		}
	}
	raw = VirtualAlloc(NULL, size + alignment, MEM_RESERVE, PAGE_NOACCESS);
	if (raw == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	mem = align_ptr(raw, alignment);
	if (!range_ok(storage, mem, size) || VirtualAlloc(mem, size, MEM_COMMIT, PAGE_READWRITE) == NULL) {
		VirtualFree(raw, 0, MEM_RELEASE);
		errno = ENOMEM;
		return NULL;
	}
	return mem;
}

static void win32_free(zmm_storage_t *storage, void *mem, size_t size)
{
	MEMORY_BASIC_INFORMATION info;

	(void)storage;
	(void)size;
	if (VirtualQuery(mem, &info, sizeof(info)) != 0) {
		VirtualFree(info.AllocationBase, 0, MEM_RELEASE);
	}
}

/* Shrink decommits the tail (the reservation stays until free). Grow recommits in place when the
 * range after the segment is still reserved by the same allocation, else allocates and copies. */
static void *win32_realloc(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size)
{
	MEMORY_BASIC_INFORMATION base_info, tail_info;
	char *tail = (char *)mem + old_size;
	void *fresh;

	if (new_size == old_size) {
		return mem;
	}
	if (new_size < old_size) {
		if (!VirtualFree((char *)mem + new_size, old_size - new_size, MEM_DECOMMIT)) {
			errno = ENOMEM;
			return NULL;
		}
		storage->counters.os_remaps++;
		return mem;
	}
	if (VirtualQuery(mem, &base_info, sizeof(base_info)) != 0
	    && VirtualQuery(tail, &tail_info, sizeof(tail_info)) != 0
	    && tail_info.State == MEM_RESERVE
	    && tail_info.AllocationBase == base_info.AllocationBase
	    && tail_info.RegionSize >= new_size - old_size
	    && range_ok(storage, mem, new_size)
	    && VirtualAlloc(tail, new_size - old_size, MEM_COMMIT, PAGE_READWRITE) != NULL) {
		storage->counters.os_remaps++;
		return mem;
	}
	fresh = win32_alloc(storage, new_size);
	if (fresh == NULL) {
		return NULL;
	}
	memcpy(fresh, mem, old_size);
	win32_free(storage, mem, old_size);
	return fresh;
}

static const zmm_storage_handlers_t win32_handlers = {
	"win32", win32_init, win32_dummy, win32_dummy, win32_alloc, win32_realloc, win32_free
};

#endif /* _WIN32 */

/*** provider table ***/

/* Lookup order, as PHP 5's table. */
static const zmm_storage_handlers_t *const providers[] = {
#ifdef _WIN32
	&win32_handlers,
#endif
	&malloc_handlers,
#ifdef ZMM_HAVE_MMAP_ANON
	&mmap_anon_handlers,
#endif
#ifdef ZMM_HAVE_MMAP_ZERO
	&mmap_zero_handlers,
#endif
};

#define PROVIDER_COUNT (sizeof(providers) / sizeof(providers[0]))

const zmm_storage_handlers_t *zmm_storage_lookup(const char *name)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	for (i = 0; i < PROVIDER_COUNT; i++) {
		if (strcmp(providers[i]->name, name) == 0) {
			return providers[i];
		}
	}
	return NULL;
}

const char *zmm_storage_names(char *buf, size_t len)
{
	size_t i, used = 0;

	if (buf == NULL || len == 0) {
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < PROVIDER_COUNT && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s'%s'", i ? ", " : "", providers[i]->name);
		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

const char *zmm_storage_default_name(void)
{
#ifdef _WIN32
	return "win32";
#else
	return "mmap_anon";
#endif
}

/*** provider calls: counting and fault injection ***/

/* A provider result is usable if aligned and inside the registry's range. */
static int placement_ok(const zmm_storage_t *storage, const void *mem, size_t size)
{
	return ((uintptr_t)mem & (storage->alignment - 1)) == 0 && range_ok(storage, mem, size);
}

/* Fault injection: true when this provider call is the one that must fail. */
static int fault_now(zmm_storage_t *storage)
{
	if (storage->fail_countdown == 0) {
		return 0;
	}
	return --storage->fail_countdown == 0;
}

static void *provider_alloc(zmm_storage_t *storage, size_t size)
{
	void *mem;

	if (fault_now(storage)) {
		storage->counters.os_failures++;
		errno = ENOMEM;
		return NULL;
	}
	mem = storage->handlers->alloc(storage, size);
	if (mem != NULL && !placement_ok(storage, mem, size)) {
		/* a provider broke its contract: refuse the memory like a failed allocation */
		storage->handlers->free(storage, mem, size);
		mem = NULL;
		errno = ENOMEM;
	}
	if (mem == NULL) {
		storage->counters.os_failures++;
		return NULL;
	}
	storage->counters.os_allocs++;
	return mem;
}

static void *provider_realloc(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size)
{
	void *fresh;

	if (fault_now(storage)) {
		storage->counters.os_failures++;
		errno = ENOMEM;
		return NULL;
	}
	fresh = storage->handlers->realloc(storage, mem, old_size, new_size);
	if (fresh == NULL) {
		storage->counters.os_failures++;
		return NULL;
	}
	storage->counters.os_reallocs++;
	return fresh;
}

static void provider_free(zmm_storage_t *storage, void *mem, size_t size)
{
	storage->handlers->free(storage, mem, size);
	storage->counters.os_frees++;
}

/*** registry ***/

/* Leaves carry one extra slot past LEAF_LEN: the link of the leaf list (in the registry, or of a
 * spare list while reserved). */
static zmm_leaf_entry_t **leaf_next(zmm_leaf_entry_t *leaf)
{
	return (zmm_leaf_entry_t **)(void *)&leaf[LEAF_LEN];
}

static zmm_leaf_entry_t **leaf_list_head(zmm_storage_t *storage)
{
	return (zmm_leaf_entry_t **)(void *)&storage->registry[storage->registry_top_len];
}

static void leaves_release(zmm_leaf_entry_t **list)
{
	while (*list != NULL) {
		zmm_leaf_entry_t *leaf = *list;
		*list = *leaf_next(leaf);
		free(leaf);
	}
}

/* Adds n leaves to *list; on failure frees the whole list and returns -1 (errno ENOMEM). Spares
 * are zeroed only when registry_fill puts them to use: most realloc spares are never used. */
static int leaves_reserve(zmm_leaf_entry_t **list, size_t n)
{
	while (n-- > 0) {
		zmm_leaf_entry_t *leaf = malloc((LEAF_LEN + 1) * sizeof(*leaf));
		if (leaf == NULL) {
			leaves_release(list);
			errno = ENOMEM;
			return -1;
		}
		*leaf_next(leaf) = *list;
		*list = leaf;
	}
	return 0;
}

/* Leaves that registering [mem, mem + size) would have to create. The range must be in range_ok. */
static size_t leaves_missing(const zmm_storage_t *storage, const void *mem, size_t size)
{
	uintptr_t first = ((uintptr_t)mem >> storage->shift) >> ZMM_REGISTRY_LEAF_BITS;
	uintptr_t last = (((uintptr_t)mem + size - 1) >> storage->shift) >> ZMM_REGISTRY_LEAF_BITS;
	size_t missing = 0;
	uintptr_t top;

	for (top = first; top <= last; top++) {
		missing += storage->registry[top] == NULL;
	}
	return missing;
}

/* Most leaves a range of size bytes can touch, wherever it is placed. */
static size_t leaves_span_max(const zmm_storage_t *storage, size_t size)
{
	size_t units = size >> storage->shift;
	return ((units - 1) >> ZMM_REGISTRY_LEAF_BITS) + 2;
}

/* Points every unit of [mem, mem + size) at seg, with copies of its header's owner, starts and size.
 * Missing leaves are taken from *spares, which must hold enough (see leaves_missing); seg NULL
 * clears, which never needs a leaf. */
static void registry_fill(zmm_storage_t *storage, const void *mem, size_t size, zmm_segment_t *seg,
                          zmm_leaf_entry_t **spares)
{
	uintptr_t key = (uintptr_t)mem >> storage->shift;
	uintptr_t last = ((uintptr_t)mem + size - 1) >> storage->shift;
	zmm_leaf_entry_t entry = { NULL, NULL, NULL, 0 };

	if (seg != NULL) {
		entry.seg = seg;
		entry.owner = seg->owner;
		entry.starts = seg->starts;
		entry.size = seg->size;
	}
	for (; key <= last; key++) {
		uintptr_t top = key >> ZMM_REGISTRY_LEAF_BITS;
		zmm_leaf_entry_t *leaf = storage->registry[top];

		if (leaf == NULL) {
			if (seg == NULL) {
				continue;
			}
			leaf = *spares;
			*spares = *leaf_next(leaf);
			memset(leaf, 0, LEAF_LEN * sizeof(*leaf));
			*leaf_next(leaf) = *leaf_list_head(storage);
			*leaf_list_head(storage) = leaf;
			storage->registry[top] = leaf;
		}
		leaf[key & LEAF_MASK] = entry;
	}
}

void zmm_storage_segment_publish(zmm_storage_t *storage, zmm_segment_t *seg)
{
	if (zmm_storage_find(storage, seg) != seg) {
		return;                                 /* not registered (pooled or freed): nothing to copy to */
	}
	registry_fill(storage, seg, seg->size, seg, NULL); /* registered: every leaf exists */
}

static int registry_create(zmm_storage_t *storage)
{
	int bits = ZMM_REGISTRY_ADDRESS_BITS - (int)storage->shift - ZMM_REGISTRY_LEAF_BITS;
	size_t len = bits > 0 ? (size_t)1 << bits : 1;
	size_t bytes = (len + 1) * sizeof(void *); /* + the leaf list head */
	void **top;

#if defined(_WIN32) || !defined(MAP_ANONYMOUS)
	top = calloc(len + 1, sizeof(void *));
	if (top == NULL) {
		errno = ENOMEM;
		return -1;
	}
	(void)bytes;
#else
	bytes = align_up(bytes, page_size());
	top = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (top == MAP_FAILED) {
		return -1;
	}
#endif
	storage->registry = top;
	storage->registry_top_len = len;
	return 0;
}

static void registry_destroy(zmm_storage_t *storage)
{
	if (storage->registry == NULL) {
		return;
	}
	leaves_release(leaf_list_head(storage));
#if defined(_WIN32) || !defined(MAP_ANONYMOUS)
	free(storage->registry);
#else
	munmap(storage->registry, align_up((storage->registry_top_len + 1) * sizeof(void *), page_size()));
#endif
	storage->registry = NULL;
	storage->registry_top_len = 0;
}

/*** pool ***/

/* Takes the newest pooled segment of size bytes (any size: 0), or NULL. */
static zmm_segment_t *pool_take(zmm_storage_t *storage, size_t size)
{
	zmm_segment_t **slot = &storage->pool, *seg;

	while ((seg = *slot) != NULL && size != 0 && seg->size != size) {
		slot = &seg->next;
	}
	if (seg != NULL) {
		*slot = seg->next;
		storage->pool_count--;
		storage->pool_units -= seg->size >> storage->shift;
	}
	return seg;
}

/* Keeps seg (seg->size intact) if it is small enough and the pool has room for its units. */
static int pool_put(zmm_storage_t *storage, zmm_segment_t *seg)
{
	size_t units = seg->size >> storage->shift;

	if (units > ZMM_STORAGE_POOL_MAX_UNITS || storage->pool_units + units > storage->pool_limit) {
		return 0;
	}
	seg->next = storage->pool;
	storage->pool = seg;
	storage->pool_count++;
	storage->pool_units += units;
	return 1;
}

/* Gives every pooled segment back to the provider; returns the bytes released. */
static size_t pool_release(zmm_storage_t *storage)
{
	size_t released = 0;
	zmm_segment_t *seg;

	while ((seg = pool_take(storage, 0)) != NULL) {
		size_t size = seg->size;
		provider_free(storage, seg, size);
		released += size;
	}
	return released;
}

size_t zmm_storage_pool_bytes(const zmm_storage_t *storage)
{
	return storage->pool_units << storage->shift;
}

size_t zmm_storage_compact(zmm_storage_t *storage)
{
	size_t released = pool_release(storage);

	if (storage->handlers->compact != NULL) {
		storage->handlers->compact(storage);
	}
	return released;
}

/*** segments ***/

static int size_ok(const zmm_storage_t *storage, size_t size)
{
	return size != 0 && (size & (storage->alignment - 1)) == 0;
}

zmm_segment_t *zmm_storage_segment_alloc(zmm_storage_t *storage, size_t size)
{
	zmm_leaf_entry_t *spares = NULL;
	zmm_segment_t *seg = NULL;
	int pooled = 0;

	if (!size_ok(storage, size)) {
		errno = EINVAL;
		return NULL;
	}
	if ((size >> storage->shift) <= ZMM_STORAGE_POOL_MAX_UNITS) {
		seg = pool_take(storage, size);
		pooled = seg != NULL;
	}
	if (seg == NULL) {
		seg = provider_alloc(storage, size);
		if (seg == NULL) {
			return NULL;
		}
	}
	if (leaves_reserve(&spares, leaves_missing(storage, seg, size)) != 0) {
		if (!pooled || !pool_put(storage, seg)) {
			provider_free(storage, seg, size);
		}
		errno = ENOMEM;
		return NULL;
	}
	memset(seg, 0, sizeof(*seg));
	seg->size = size;
	registry_fill(storage, seg, size, seg, &spares);
	if (pooled) {
		storage->counters.pool_hits++;
	}
	storage->segments++;
	storage->bytes += size;
	return seg;
}

size_t zmm_storage_reserve(zmm_storage_t *storage, size_t size, size_t count)
{
	size_t have = 0, units = size >> storage->shift;
	const zmm_segment_t *p;

	if (!size_ok(storage, size) || units > ZMM_STORAGE_POOL_MAX_UNITS) {
		return 0;
	}
	for (p = storage->pool; p != NULL; p = p->next) {
		have += p->size == size;
	}
	while (have < count && storage->pool_units + units <= storage->pool_limit) {
		zmm_segment_t *seg = provider_alloc(storage, size);
		if (seg == NULL) {
			break;
		}
		seg->size = size;
		if (!pool_put(storage, seg)) {
			provider_free(storage, seg, size);
			break;
		}
		storage->counters.pool_reserved++;
		have++;
	}
	return have;
}

zmm_segment_t *zmm_storage_segment_realloc(zmm_storage_t *storage, zmm_segment_t *seg, size_t new_size)
{
	zmm_leaf_entry_t *spares = NULL;
	size_t old_size;
	zmm_segment_t *fresh;

	if (seg == NULL) {
		return zmm_storage_segment_alloc(storage, new_size);
	}
	if (!size_ok(storage, new_size)) {
		errno = EINVAL;
		return NULL;
	}
	old_size = seg->size;
	if (new_size == old_size) {
		return seg;
	}
	if ((new_size >> storage->shift) > (storage->registry_top_len << ZMM_REGISTRY_LEAF_BITS)) {
		errno = ENOMEM; /* larger than the address space the registry covers */
		return NULL;
	}
	/* Reserve leaves for any placement first: after the provider call nothing may fail. */
	if (leaves_reserve(&spares, leaves_span_max(storage, new_size)) != 0) {
		return NULL;
	}
	fresh = provider_realloc(storage, seg, old_size, new_size);
	if (fresh == NULL) {
		leaves_release(&spares);
		return NULL;
	}
	if (!placement_ok(storage, fresh, new_size)) {
		/* A custom provider broke the contract (ours cannot): the old segment is gone and the new
		 * one cannot be registered, so no answer is safe. */
		abort();
	}
	/* every unit, also the ones that stay: their entries copy the size */
	fresh->size = new_size;
	if (fresh == seg) {
		if (new_size < old_size) {
			registry_fill(storage, (char *)seg + new_size, old_size - new_size, NULL, NULL);
		}
	} else {
		registry_fill(storage, seg, old_size, NULL, NULL);
	}
	registry_fill(storage, fresh, new_size, fresh, &spares);
	leaves_release(&spares);
	storage->bytes = storage->bytes - old_size + new_size;
	return fresh;
}

void zmm_storage_segment_free(zmm_storage_t *storage, zmm_segment_t *seg)
{
	size_t size;

	if (seg == NULL) {
		return;
	}
	size = seg->size;
	registry_fill(storage, seg, size, NULL, NULL);
	storage->segments--;
	storage->bytes -= size;
	if (pool_put(storage, seg)) {
		storage->counters.pool_puts++;
	} else {
		provider_free(storage, seg, size);
	}
}

/*** init and destroy ***/

int zmm_storage_init(zmm_storage_t *storage, const zmm_storage_handlers_t *handlers,
                     size_t segment_size, size_t pool_limit)
{
	unsigned shift = 0;

	if (storage == NULL || handlers == NULL
	    || segment_size < ZMM_SEGMENT_SIZE_MIN || segment_size > ZMM_SEGMENT_SIZE_MAX
	    || (segment_size & (segment_size - 1)) != 0) {
		errno = EINVAL;
		return -1;
	}
	while (((size_t)1 << shift) < segment_size) {
		shift++;
	}
	memset(storage, 0, sizeof(*storage));
	storage->handlers = handlers;
	storage->alignment = segment_size;
	storage->shift = shift;
	storage->pool_limit = pool_limit;
	if (handlers->init != NULL && handlers->init(storage) != 0) {
		return -1;
	}
	if (registry_create(storage) != 0) {
		int saved = errno;
		if (handlers->dtor != NULL) {
			handlers->dtor(storage);
		}
		errno = saved;
		return -1;
	}
	return 0;
}

void zmm_storage_destroy(zmm_storage_t *storage)
{
	pool_release(storage);
	registry_destroy(storage);
	if (storage->handlers->dtor != NULL) {
		storage->handlers->dtor(storage);
	}
}
