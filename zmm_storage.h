/*
 * zmm_storage.h - segment providers for the zmm heap (plain C, no engine headers)
 *
 * The storage layer hands out *segments*: large, segment-size aligned ranges of memory that the heap
 * (zmm_heap.c) carves into blocks. Every segment starts with a zmm_segment_t header. The storage layer
 * also keeps the registry that answers "which segment holds this address?" in O(1) without reading
 * the memory at that address (zmm_storage_find), and a small pool of released small segments so
 * that a heap that empties and refills a segment does not call the OS every time.
 *
 * Providers (PHP 5's ZEND_MM_MEM_TYPE names): "malloc", "mmap_anon", "mmap_zero" and, on Windows
 * only, "win32". Each is one zmm_storage_handlers_t table.
 */
#ifndef ZMM_STORAGE_H
#define ZMM_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Segment size limits: any power of two in [ZMM_SEGMENT_SIZE_MIN, ZMM_SEGMENT_SIZE_MAX]. */
#define ZMM_SEGMENT_SIZE_MIN     ((size_t)64 * 1024)
#define ZMM_SEGMENT_SIZE_MAX     ((size_t)32 * 1024 * 1024)
#define ZMM_SEGMENT_SIZE_DEFAULT ((size_t)256 * 1024)
/* Largest segment the pool keeps, in units of the segment size. */
#define ZMM_STORAGE_POOL_MAX_UNITS 4

typedef struct zmm_segment zmm_segment_t;
typedef struct zmm_storage zmm_storage_t;

/* The header at the start of every segment. The heap owns every field except size. */
struct zmm_segment {
	size_t         size;       /* bytes in the segment, header included; a multiple of the segment size */
	zmm_segment_t *next;       /* next segment in the owning heap's list (heap-managed) */
	zmm_segment_t *prev;       /* previous segment in the owning heap's list (heap-managed) */
	void          *owner;      /* the heap that carves blocks from this segment (heap-managed) */
	uint64_t      *starts;     /* heap-managed side bitmap: one bit per 8 bytes, set where a block starts */
	size_t         starts_len; /* bytes allocated for starts (heap-managed) */
};

/* One provider. The raw calls work on plain memory; zmm_storage_segment_* below add alignment,
 * the registry and the pool on top. Every call that returns memory returns it aligned to
 * storage->alignment, or NULL with errno set. */
typedef struct zmm_storage_handlers {
	const char *name;                                   /* "malloc", "mmap_anon", "mmap_zero", "win32" */
	int   (*init)(zmm_storage_t *storage);              /* 0 on success, -1 on failure (errno set) */
	void  (*dtor)(zmm_storage_t *storage);              /* undo init */
	void  (*compact)(zmm_storage_t *storage);           /* give unused provider memory back to the OS */
	void *(*alloc)(zmm_storage_t *storage, size_t size);                  /* size: multiple of alignment */
	void *(*realloc)(zmm_storage_t *storage, void *mem, size_t old_size, size_t new_size); /* may move */
	void  (*free)(zmm_storage_t *storage, void *mem, size_t size);
} zmm_storage_handlers_t;

/* OS traffic and registry counters; cheap plain increments. */
typedef struct zmm_storage_counters {
	uint64_t os_allocs;        /* provider alloc calls that succeeded (mmap/malloc/HeapAlloc) */
	uint64_t os_frees;         /* provider free calls (munmap/free/HeapFree) */
	uint64_t os_reallocs;      /* provider realloc calls that succeeded */
	uint64_t os_remaps;        /* of those, resized in place or moved without copying (mremap) */
	uint64_t os_failures;      /* provider calls that returned NULL */
	uint64_t pool_hits;        /* segment requests served from the pool */
	uint64_t pool_puts;        /* released segments kept in the pool instead of going to the OS */
	uint64_t pool_reserved;    /* segments taken from the provider straight into the pool (zmm_storage_reserve) */
} zmm_storage_counters_t;

struct zmm_storage {
	const zmm_storage_handlers_t *handlers; /* the provider */
	void          *data;                    /* provider private data (fd, win32 heap handle) */
	size_t         alignment;               /* segment size: every segment is aligned to it and a multiple of it */
	unsigned       shift;                   /* log2(alignment) */
	void         **registry;                /* two-level table: address >> shift -> zmm_registry_entry_t */
	size_t         registry_top_len;        /* entries in the top level */
	zmm_segment_t *pool;                    /* released segments kept for reuse (linked via next) */
	size_t         pool_count;              /* segments in the pool */
	size_t         pool_units;              /* their size in units of alignment */
	size_t         pool_limit;              /* most units the pool keeps */
	size_t         segments;                /* live segments (not counting the pool) */
	size_t         bytes;                   /* bytes in live segments (not counting the pool) */
	zmm_storage_counters_t counters;        /* OS traffic counters */
	unsigned long  fail_countdown;          /* fault injection: fail the Nth provider alloc/realloc (0 = off) */
};

/* Looks up a provider by name. Returns NULL for an unknown name. */
const zmm_storage_handlers_t *zmm_storage_lookup(const char *name);

/* Writes the supported provider names into buf as "'malloc', 'mmap_anon', ..." (for error
 * messages). Returns buf. */
const char *zmm_storage_names(char *buf, size_t len);

/* The default provider name for this platform: "win32" on Windows, "mmap_anon" elsewhere. */
const char *zmm_storage_default_name(void);

/* Initialises storage with a provider and a segment size (a power of two in
 * [ZMM_SEGMENT_SIZE_MIN, ZMM_SEGMENT_SIZE_MAX]). pool_limit is how many units (of the segment
 * size) of released segments of at most ZMM_STORAGE_POOL_MAX_UNITS units are kept mapped for reuse. Returns 0, or -1 on failure (bad segment size, provider
 * init failed, registry could not be allocated); errno tells why. */
int zmm_storage_init(zmm_storage_t *storage, const zmm_storage_handlers_t *handlers,
                     size_t segment_size, size_t pool_limit);

/* Releases the pool and the registry and calls the provider's dtor. Live segments must have been
 * freed first (their memory is not touched). */
void zmm_storage_destroy(zmm_storage_t *storage);

/* Allocates a segment of size bytes (a multiple of the segment size), registers it and writes
 * seg->size. The other header fields are zeroed. A pooled segment of the same size is used
 * first. Returns NULL if the provider fails. */
zmm_segment_t *zmm_storage_segment_alloc(zmm_storage_t *storage, size_t size);

/* Resizes a segment to new_size (a multiple of the segment size), preserving
 * min(old, new) bytes, and updates the registry. May move the segment. Returns the segment, or
 * NULL if the provider fails (the old segment is then unchanged and still registered). */
zmm_segment_t *zmm_storage_segment_realloc(zmm_storage_t *storage, zmm_segment_t *seg, size_t new_size);

/* Unregisters a segment and gives it back: into the pool if it has at most
 * ZMM_STORAGE_POOL_MAX_UNITS units and the pool has room for them, else to the provider. */
void zmm_storage_segment_free(zmm_storage_t *storage, zmm_segment_t *seg);

/* Lets the registry's entries for seg copy the header fields the free path reads (owner, starts, size)
 * again, after the heap changed seg->owner or seg->starts. Every unit of seg is rewritten. Does
 * nothing for a segment that is not registered (pooled or freed). */
void zmm_storage_segment_publish(zmm_storage_t *storage, zmm_segment_t *seg);

/* One registry entry: the segment covering a unit of address space, and a copy of the header fields
 * the hot paths need, so that a free reads the registry's cache line instead of the segment header.
 * (Every segment header is segment-size aligned, so all of them share one set of an 8-way L1 cache:
 * with more than a few segments in use, a free that reads its header misses.) The copies are
 * written when the segment is registered, resized or published; zmm_heap_check compares them. */
typedef struct zmm_registry_entry {
	zmm_segment_t *seg;        /* the segment's base, or NULL: no live segment here */
	void          *owner;      /* copy of seg->owner */
	uint64_t      *starts;     /* copy of seg->starts */
	size_t         size;       /* copy of seg->size */
} zmm_registry_entry_t;

/* Registry layout: key = (uintptr_t)ptr >> storage->shift; registry[key >> ZMM_REGISTRY_LEAF_BITS]
 * is NULL or a leaf of (1 << ZMM_REGISTRY_LEAF_BITS) entries indexed by the low bits of key. Every
 * unit of alignment bytes covered by a live segment has an entry for that segment. The top level
 * covers ZMM_REGISTRY_ADDRESS_BITS of address space; anything above is never a segment. */
#define ZMM_REGISTRY_LEAF_BITS    11
#if UINTPTR_MAX > 0xffffffffu
# define ZMM_REGISTRY_ADDRESS_BITS 48
#else
# define ZMM_REGISTRY_ADDRESS_BITS 32
#endif

/* Returns the registry entry of the live segment whose address range contains ptr, or NULL if ptr is
 * not inside any live segment of this storage. O(1); reads only the registry, never the memory at
 * ptr. */
static inline const zmm_registry_entry_t *zmm_storage_entry(const zmm_storage_t *storage, const void *ptr)
{
	uintptr_t key = (uintptr_t)ptr >> storage->shift;
	uintptr_t top = key >> ZMM_REGISTRY_LEAF_BITS;
	const zmm_registry_entry_t *leaf, *e;

	if (top >= storage->registry_top_len) {
		return NULL;
	}
	leaf = (const zmm_registry_entry_t *)storage->registry[top];
	if (leaf == NULL) {
		return NULL;
	}
	e = &leaf[key & (((uintptr_t)1 << ZMM_REGISTRY_LEAF_BITS) - 1)];
	return e->seg != NULL ? e : NULL;
}

/* Returns the segment whose address range contains ptr, or NULL if ptr is not inside any live
 * segment of this storage. O(1); reads only the registry, never the memory at ptr. */
static inline zmm_segment_t *zmm_storage_find(const zmm_storage_t *storage, const void *ptr)
{
	const zmm_registry_entry_t *e = zmm_storage_entry(storage, ptr);
	return e != NULL ? e->seg : NULL;
}

/* Frees the pool's segments to the provider and calls the provider's compact. Returns the bytes
 * released. */
size_t zmm_storage_compact(zmm_storage_t *storage);

/* Bytes held in the pool. */
size_t zmm_storage_pool_bytes(const zmm_storage_t *storage);

/* Makes the pool hold at least count segments of size bytes (at most ZMM_STORAGE_POOL_MAX_UNITS
 * units each), as far as the pool limit allows, taking the missing ones from the provider now so
 * that a later zmm_storage_segment_alloc of that size makes no system call. Returns how many such
 * segments the pool holds (fewer than count when the limit or the provider said no). */
size_t zmm_storage_reserve(zmm_storage_t *storage, size_t size, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* ZMM_STORAGE_H */
