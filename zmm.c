/*
 * zmm.c - engine glue: installs the zmm heap as PHP's request heap
 *
 * Copyright (c) 2026 The zmm developers. MIT licence (see LICENSE).
 *
 * This is the only file of the extension that includes engine headers. zmm_storage.c (segments
 * from the OS) and zmm_heap.c (PHP 5's block/bucket/cache allocator) are plain C libraries; this
 * file wires them into PHP 8.2+ through zend_mm_set_custom_handlers() and takes over what a custom
 * heap switches off in the engine (see docs and shared notes "php82-custom-heap"):
 *
 *  - Installation. MINIT installs on the main thread's engine heap; in ZTS every other thread
 *    installs at its first RINIT. zmm stays off when zmm.enable=0, when USE_ZEND_ALLOC=0, when it
 *    was loaded with dl(), or when another custom heap is already installed.
 *
 *  - Uninstallation. The engine keeps freeing blocks after module shutdown (zend_shutdown() calls
 *    virtual_cwd_deactivate() after the modules are gone; php-fpm's master allocates outside any
 *    request), so a heap that uninstalls at MSHUTDOWN hands live zmm blocks to ZendMM, which
 *    crashes. zmm therefore pins its shared object (it is never unmapped) and keeps its handlers
 *    and state until zend_mm_shutdown(full) passes the engine heap itself to _free at process or
 *    thread end: only then it restores the previous handlers, releases its memory and lets the
 *    engine finish its own full shutdown. The per-thread state is malloc'd, not kept in the
 *    module globals, which TSRM frees earlier. If pinning is impossible zmm uninstalls at
 *    MSHUTDOWN/GSHUTDOWN instead.
 *
 *  - Request reclaim with two epochs. The engine keeps freeing request blocks after RSHUTDOWN and
 *    after post_deactivate (SAPI data, stream hashes, arena, interned strings), and 8.2 gives no
 *    hook after shutdown_memory_manager(). So zmm runs two heaps A and B on one storage: at
 *    post_deactivate new allocations switch to the other (empty) heap, late frees of old blocks
 *    still reach their owner through the segment registry, and the old heap is reset at the next
 *    RINIT, when the engine treats all memory of the previous request as dead.
 *
 *  - Foreign pointers (allocated natively before we were installed) are forwarded to the previous
 *    handlers or to the native heap. zend_mm_shutdown(full) calls _free(heap) at thread or process
 *    end: that is the heap dying, never a block.
 *
 *  - memory_get_usage(), memory_get_peak_usage(), memory_reset_peak_usage(), gc_mem_caches() and
 *    the memory_limit INI entry are redirected to the zmm heap while it is active.
 *
 *  - memory_limit errors: the heap calls our limit hook before it takes a segment that would
 *    bring it above the limit. With the delayed-OOM API of patched 8.2 builds the error is recorded
 *    and raised by the engine at its next safe point; otherwise the classic bailout is used.
 */

#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1    /* dladdr() */
#endif

#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef PHP_WIN32
# include <unistd.h>
# include <dlfcn.h>
#endif

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "zend_alloc.h"
#include "zend_ini.h"

#include "php_zmm.h"
#include "zmm_arginfo.h"

ZEND_DECLARE_MODULE_GLOBALS(zmm)

/* This thread's allocator (NULL: zmm is not installed here). The handlers read it: they get no
 * context from the engine. */
ZEND_TLS zmm_state_t *zmm_state = NULL;

/*****************************************************************************************************/
/* Process-wide state (set up and torn down on the main thread only)                                 */
/*****************************************************************************************************/

/* Why zmm is off for the whole process (NULL: not off). Threads may still be off for their own
 * reasons; those are in ZMM_G(inactive_reason). */
static const char *zmm_process_off_reason = NULL;

/* The engine functions whose handlers we swap while zmm is active. */
enum { ZMM_FN_USAGE, ZMM_FN_PEAK, ZMM_FN_RESET_PEAK, ZMM_FN_GC, ZMM_FN_COUNT };
static const char *const zmm_fn_names[ZMM_FN_COUNT] = {
	"memory_get_usage", "memory_get_peak_usage", "memory_reset_peak_usage", "gc_mem_caches"
};
static zif_handler zmm_fn_orig[ZMM_FN_COUNT];     /* original handlers (NULL: not swapped) */

/* The memory_limit INI entry's original on_modify (OnChangeMemoryLimit). */
static int (*zmm_orig_memory_limit_mh)(zend_ini_entry *, zend_string *, void *, void *, void *, int) = NULL;
static bool zmm_memory_limit_wrapped = false;

/* The shared object is pinned: it stays mapped after the engine unloads it, so the handlers may
 * stay installed until the engine heap shuts down. */
static bool zmm_pinned = false;

/* Environment variable warnings are given once per process, not once per thread. */
static bool zmm_env_warned_type = false;
static bool zmm_env_warned_size = false;

static void *zmm_malloc(size_t size);
static void  zmm_free(void *ptr);
static void  zmm_free_shutdown(void *ptr);
static void  zmm_fast_shutdown_end(zmm_state_t *st);
static void  zmm_set_heap_limit(zmm_state_t *st, zmm_heap_t *heap, size_t limit);
static void *zmm_realloc(void *ptr, size_t size);
#ifdef ZMM_DEBUG
static void zmm_debug_forget(zmm_state_t *st);
static void zmm_debug_end_of_request(zmm_state_t *st);
#endif

/* zmm serves this thread's requests (installed, and the module is not shutting down). */
static inline bool zmm_active(void)
{
	return zmm_state != NULL && !zmm_state->module_down;
}

/*****************************************************************************************************/
/* Small helpers                                                                                     */
/*****************************************************************************************************/

/* Parses "<digits>[k|m|g]" (surrounding blanks allowed) as PHP 5's zend_atoi did for
 * ZEND_MM_SEG_SIZE, but strictly: nothing else may follow. Returns false on syntax errors and
 * overflow. */
static bool zmm_parse_size(const char *s, size_t len, size_t *out)
{
	const char *end = s + len;
	size_t value = 0, factor = 1;
	bool digits = false;

	while (s < end && (*s == ' ' || *s == '\t')) {
		s++;
	}
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) {
		end--;
	}
	if (s < end && *s == '+') {
		s++;
	}
	while (s < end && *s >= '0' && *s <= '9') {
		size_t d = (size_t)(*s - '0');
		if (value > (SIZE_MAX - d) / 10) {
			return false;
		}
		value = value * 10 + d;
		digits = true;
		s++;
	}
	if (!digits) {
		return false;
	}
	while (s < end && (*s == ' ' || *s == '\t')) {
		s++;
	}
	if (s < end) {
		switch (*s) {
			case 'k': case 'K': factor = (size_t)1 << 10; break;
			case 'm': case 'M': factor = (size_t)1 << 20; break;
			case 'g': case 'G': factor = (size_t)1 << 30; break;
			default: return false;
		}
		s++;
		if (s != end) {
			return false;
		}
	}
	if (value > SIZE_MAX / factor) {
		return false;
	}
	*out = value * factor;
	return true;
}

/* Parses a boolean INI value the way php.ini writes them. "" is false (php.ini turns Off into ""). */
static bool zmm_parse_bool(const zend_string *v, bool *out)
{
	const char *s = ZSTR_VAL(v);

	if (ZSTR_LEN(v) == 0 || zend_string_equals_literal(v, "0")
	 || !strcasecmp(s, "off") || !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "none")) {
		*out = false;
		return true;
	}
	if (zend_string_equals_literal(v, "1")
	 || !strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcasecmp(s, "true")) {
		*out = true;
		return true;
	}
	return false;
}

static bool zmm_is_pow2(size_t v)
{
	return v && !(v & (v - 1));
}

static bool zmm_valid_segment_size(size_t v)
{
	return zmm_is_pow2(v) && v >= ZMM_SEGMENT_SIZE_MIN && v <= ZMM_SEGMENT_SIZE_MAX;
}

/* The value was configured in php.ini, -d or the SAPI (not just the built-in default). */
static bool zmm_ini_configured(const zend_ini_entry *entry)
{
	return zend_get_configuration_directive(entry->name) != NULL;
}

/* PG(memory_limit) as a heap limit. */
static size_t zmm_limit_from_pg(void)
{
	return PG(memory_limit) < 0 ? ZMM_HEAP_NO_LIMIT : (size_t)PG(memory_limit);
}

static inline zend_long zmm_clamp(uint64_t v)
{
	return v > (uint64_t)ZEND_LONG_MAX ? ZEND_LONG_MAX : (zend_long)v;
}

/* Bytes in the current heap's segments (memory_get_usage(true)). */
static size_t zmm_real_size(const zmm_heap_t *heap)
{
	return zmm_heap_real_size(heap);
}

/*****************************************************************************************************/
/* INI                                                                                               */
/*****************************************************************************************************/

#define ZMM_SEGMENT_SIZE_EXPECTED "a power of two from 64K to 32M (e.g. 256K, 1M)"

/* The boolean settings: parses new_value into *dst, or warns (naming the setting, the accepted
 * values and the default that stays in force) and fails. */
static zend_result zmm_ini_bool(const zend_ini_entry *entry, const zend_string *new_value, bool *dst, int def)
{
	bool v;
	if (!new_value || !zmm_parse_bool(new_value, &v)) {
		zend_error(E_WARNING, "%s: invalid value '%s'; expected a boolean (1/0, On/Off, yes/no, true/false); using the default %d",
			ZSTR_VAL(entry->name), new_value ? ZSTR_VAL(new_value) : "", def);
		return FAILURE;
	}
	*dst = v;
	return SUCCESS;
}

static PHP_INI_MH(OnUpdateZmmEnable)
{
	return zmm_ini_bool(entry, new_value, &ZMM_G(enable), 1);
}

static PHP_INI_MH(OnUpdateZmmProtection)
{
	return zmm_ini_bool(entry, new_value, &ZMM_G(protection), 0);
}

static PHP_INI_MH(OnUpdateZmmSizeClasses)
{
	return zmm_ini_bool(entry, new_value, &ZMM_G(size_classes), 1);
}

static PHP_INI_MH(OnUpdateZmmFastShutdown)
{
	return zmm_ini_bool(entry, new_value, &ZMM_G(fast_shutdown), 1);
}

static PHP_INI_MH(OnUpdateZmmStorage)
{
	const zmm_storage_handlers_t *h;
	char names[256];
	const char *env;

	if (new_value && ZSTR_LEN(new_value) == 0) {
		h = zmm_storage_lookup(zmm_storage_default_name());   /* "zmm.storage=" means the default */
	} else {
		h = new_value ? zmm_storage_lookup(ZSTR_VAL(new_value)) : NULL;
	}
	if (h != NULL) {
		ZMM_G(storage_type) = h;
		if (stage == ZEND_INI_STAGE_STARTUP && !zmm_ini_configured(entry)
		 && (env = getenv("ZEND_MM_MEM_TYPE")) != NULL && *env) {
			const zmm_storage_handlers_t *eh = zmm_storage_lookup(env);
			if (eh) {
				ZMM_G(storage_type) = eh;
			} else if (!zmm_env_warned_type) {
				zmm_env_warned_type = true;
				zend_error(E_WARNING, "ZEND_MM_MEM_TYPE: invalid value '%s'; expected one of %s; using the default '%s'",
					env, zmm_storage_names(names, sizeof(names)), zmm_storage_default_name());
			}
		}
		return SUCCESS;
	}
	zend_error(E_WARNING, "%s: invalid value '%s'; expected one of %s; using the default '%s'",
		ZSTR_VAL(entry->name), new_value ? ZSTR_VAL(new_value) : "",
		zmm_storage_names(names, sizeof(names)), zmm_storage_default_name());
	return FAILURE;
}

static PHP_INI_MH(OnUpdateZmmSegmentSize)
{
	size_t v;
	const char *env;

	if (new_value && zmm_parse_size(ZSTR_VAL(new_value), ZSTR_LEN(new_value), &v) && zmm_valid_segment_size(v)) {
		ZMM_G(segment_size) = v;
		if (stage == ZEND_INI_STAGE_STARTUP && !zmm_ini_configured(entry)
		 && (env = getenv("ZEND_MM_SEG_SIZE")) != NULL && *env) {
			size_t ev;
			if (zmm_parse_size(env, strlen(env), &ev) && zmm_valid_segment_size(ev)) {
				ZMM_G(segment_size) = ev;
			} else if (!zmm_env_warned_size) {
				zmm_env_warned_size = true;
				zend_error(E_WARNING, "ZEND_MM_SEG_SIZE: invalid value '%s'; expected " ZMM_SEGMENT_SIZE_EXPECTED "; using the default 256K", env);
			}
		}
		return SUCCESS;
	}
	zend_error(E_WARNING, "%s: invalid value '%s'; expected " ZMM_SEGMENT_SIZE_EXPECTED "; using the default 256K",
		ZSTR_VAL(entry->name), new_value ? ZSTR_VAL(new_value) : "");
	return FAILURE;
}

static PHP_INI_MH(OnUpdateZmmCacheSize)
{
	size_t v;
	if (new_value && zmm_parse_size(ZSTR_VAL(new_value), ZSTR_LEN(new_value), &v)) {
		ZMM_G(cache_size) = v;
		return SUCCESS;
	}
	zend_error(E_WARNING, "%s: invalid value '%s'; expected a size in bytes >= 0 (K/M/G suffixes allowed, 0 = off); using the default 64M",
		ZSTR_VAL(entry->name), new_value ? ZSTR_VAL(new_value) : "");
	return FAILURE;
}

static PHP_INI_MH(OnUpdateZmmKeepSegments)
{
	size_t v;
	/* a plain integer: no suffix */
	if (new_value && ZSTR_LEN(new_value) > 0 && strspn(ZSTR_VAL(new_value), "0123456789 \t") == ZSTR_LEN(new_value)
	 && zmm_parse_size(ZSTR_VAL(new_value), ZSTR_LEN(new_value), &v) && v <= (size_t)ZEND_LONG_MAX) {
		ZMM_G(keep_segments) = v;
		return SUCCESS;
	}
	zend_error(E_WARNING, "%s: invalid value '%s'; expected an integer >= 0; using the default 4",
		ZSTR_VAL(entry->name), new_value ? ZSTR_VAL(new_value) : "");
	return FAILURE;
}

#ifdef PHP_WIN32
# define ZMM_STORAGE_DEFAULT "win32"
#else
# define ZMM_STORAGE_DEFAULT "mmap_anon"
#endif

PHP_INI_BEGIN()
	PHP_INI_ENTRY_EX("zmm.enable",        "1",    PHP_INI_SYSTEM, OnUpdateZmmEnable, zend_ini_boolean_displayer_cb)
	PHP_INI_ENTRY("zmm.storage",  ZMM_STORAGE_DEFAULT, PHP_INI_SYSTEM, OnUpdateZmmStorage)
	PHP_INI_ENTRY("zmm.segment_size",     "256K", PHP_INI_SYSTEM, OnUpdateZmmSegmentSize)
	PHP_INI_ENTRY("zmm.cache_size",       "64M", PHP_INI_SYSTEM, OnUpdateZmmCacheSize)
	PHP_INI_ENTRY_EX("zmm.protection",    "0",    PHP_INI_SYSTEM, OnUpdateZmmProtection, zend_ini_boolean_displayer_cb)
	PHP_INI_ENTRY("zmm.keep_segments",    "4",    PHP_INI_SYSTEM, OnUpdateZmmKeepSegments)
	PHP_INI_ENTRY_EX("zmm.size_classes",  "1",    PHP_INI_SYSTEM, OnUpdateZmmSizeClasses, zend_ini_boolean_displayer_cb)
	PHP_INI_ENTRY_EX("zmm.fast_shutdown", "1",    PHP_INI_SYSTEM, OnUpdateZmmFastShutdown, zend_ini_boolean_displayer_cb)
PHP_INI_END()

/*****************************************************************************************************/
/* Heap hooks: memory_limit, storage failure, misuse/corruption                                      */
/*****************************************************************************************************/

/* An allocation error is being reported or waits to be reported: allocations must keep working. */
static bool zmm_error_pending(const zmm_state_t *st)
{
#ifdef HAVE_ZMM_DELAYED_OOM
	return zend_alloc_in_memory_limit_error_reporting() || ZEND_HAS_OOM() || st->in_error;
#else
	return st->in_error;
#endif
}

/* The hard cap on real_size. memory_hard_limit_percent (patched builds; >= 100) sets it; without it
 * zmm still stops at twice the limit while an error is pending, so that a C loop that allocates
 * before the engine reaches a safe point cannot grow without bound. *configured tells whether the
 * INI setting gave it. */
static size_t zmm_hard_cap(size_t limit, bool *configured)
{
	zend_long pct = zend_ini_long("memory_hard_limit_percent", sizeof("memory_hard_limit_percent") - 1, 0);

	*configured = false;
	if (limit == ZMM_HEAP_NO_LIMIT) {
		return ZMM_HEAP_NO_LIMIT;
	}
	if (pct >= 100) {
		*configured = true;
		if (limit <= SIZE_MAX / (size_t)pct) {
			return limit * (size_t)pct / 100;
		}
		if (limit / 100 > SIZE_MAX / (size_t)pct) {
			return ZMM_HEAP_NO_LIMIT;
		}
		return limit / 100 * (size_t)pct;
	}
	return limit > SIZE_MAX / 2 ? ZMM_HEAP_NO_LIMIT : limit * 2;
}

/* Like the native allocator: print the hard limit error with the current location and leave at
 * once (no shutdown functions: the process is over its hard budget). */
static ZEND_COLD ZEND_NORETURN void zmm_hard_limit_exit(size_t cap, size_t request)
{
	const char *file = "Unknown";
	uint32_t line = 0;
	zend_string *f = NULL;

	if (zend_is_executing()) {
		f = zend_get_executed_filename_ex();
		if (f) {
			line = zend_get_executed_lineno();
		}
	} else if (zend_is_compiling()) {
		f = zend_get_compiled_filename();
		if (f) {
			line = zend_get_compiled_lineno();
		}
	}
	if (f) {
		file = ZSTR_VAL(f);
	}
	fprintf(stderr, "Hard memory limit of %zu bytes exhausted (tried to allocate %zu bytes) in %s on line %u\n",
		cap, request, file, line);
	fflush(stderr);
	_exit(137);
}

#ifndef HAVE_ZMM_DELAYED_OOM
/* Classic path (upstream PHP): raise E_ERROR once, with the guard set so that the allocations made
 * while reporting succeed, then bail out to the request's catch point. */
# define ZMM_RAISE_FATAL(st, ...) do { \
		(st)->in_error = true; \
		zend_try { \
			zend_error_noreturn(E_ERROR, __VA_ARGS__); \
		} zend_catch { \
		} zend_end_try(); \
		(st)->in_error = false; \
		zend_bailout(); \
	} while (0)
#endif

static zmm_heap_limit_action_t zmm_limit_hook(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	zmm_state_t *st = ctx;
	zmm_heap_summary_t s;
	size_t cap;
	bool cap_configured;

	bool ended = heap == st->discard;

	if (ended) {
		/* the fast shutdown's limit: the heap must grow, so free for real again */
		zmm_fast_shutdown_end(st);
	}
	zmm_heap_summary(heap, &s);
	if (ended && (s.limit == ZMM_HEAP_NO_LIMIT || (needed <= s.limit && s.real_size <= s.limit - needed))) {
		return ZMM_LIMIT_PROCEED;                /* within the heap's own limit, or it has none */
	}
	if (heap == st->dropped_heap && st->dropped_bytes != 0 && s.limit != ZMM_HEAP_NO_LIMIT) {
		/* the blocks the fast shutdown dropped would have held it (the heap takes whole segments,
		 * so their bytes count rounded up to a segment): not a memory_limit error */
		size_t seg = st->storage.alignment;
		size_t room = s.limit + ((st->dropped_bytes + seg - 1) & ~(seg - 1));
		if (room > s.limit && needed <= room && s.real_size <= room - needed) {
			return ZMM_LIMIT_PROCEED;
		}
	}
	cap = zmm_hard_cap(s.limit, &cap_configured);

	if (zmm_error_pending(st)) {
		/* grace while the error is on its way; stop only at the hard cap */
		if (cap != ZMM_HEAP_NO_LIMIT && (needed > cap || s.real_size > cap - needed)) {
			zmm_hard_limit_exit(cap, request);
		}
		return ZMM_LIMIT_PROCEED;
	}

	st->limit_errors++;
#ifdef HAVE_ZMM_DELAYED_OOM
	zend_mm_delayed_error_or_panic(true, "Allowed memory size of %zu bytes exhausted (tried to allocate %zu bytes)",
		s.limit, request);
	if (zend_mm_is_fallible()) {
		return ZMM_LIMIT_FAIL;   /* the error is recorded: the caller gets NULL, then the fatal error */
	}
	if (cap_configured && (needed > cap || s.real_size > cap - needed)) {
		zmm_hard_limit_exit(cap, request);
	}
	return ZMM_LIMIT_PROCEED;    /* the engine raises the recorded error at its next safe point */
#else
	(void)cap_configured;
	ZMM_RAISE_FATAL(st, "Allowed memory size of %zu bytes exhausted (tried to allocate %zu bytes)", s.limit, request);
	return ZMM_LIMIT_FAIL;
#endif
}

static void zmm_oom_hook(void *ctx, zmm_heap_t *heap, size_t request, size_t needed)
{
	zmm_state_t *st = ctx;

	(void)st;
	(void)needed;
#ifdef HAVE_ZMM_DELAYED_OOM
	/* records only if nothing is pending; zmm_alloc_failed() decides between NULL, retry and panic */
	if (!ZEND_HAS_OOM() && !zend_alloc_in_memory_limit_error_reporting()) {
		zend_mm_delayed_error_or_panic(true, "Out of memory (allocated %zu) (tried to allocate %zu bytes)",
			zmm_real_size(heap), request);
	}
#else
	if (!st->in_error) {
		ZMM_RAISE_FATAL(st, "Out of memory (allocated %zu) (tried to allocate %zu bytes)", zmm_real_size(heap), request);
	}
#endif
}

static void zmm_error_hook(void *ctx, zmm_heap_t *heap, const zmm_heap_error_t *error)
{
	zmm_state_t *st = ctx;

	(void)heap;
	if (error->fatal) {
		fprintf(stderr, "zmm: heap corrupted: %s\n", error->message);
		fflush(stderr);
		abort();
	}
	if (st->in_request && !st->in_error_hook && !zmm_error_pending(st)) {
		st->in_error_hook = true;
		zend_error(E_WARNING, "zmm: %s", error->message);
		st->in_error_hook = false;
	} else {
		fprintf(stderr, "zmm: %s\n", error->message);
		fflush(stderr);
	}
}


/*****************************************************************************************************/
/* Installation                                                                                      */
/*****************************************************************************************************/

static bool zmm_handlers_are_ours(zend_mm_heap *heap)
{
	void *(*m)(size_t) = NULL;
	void (*f)(void *) = NULL;
	void *(*r)(void *, size_t) = NULL;

	if (!heap) {
		return false;
	}
	zend_mm_get_custom_handlers(heap, &m, &f, &r);
	return m == zmm_malloc && (f == zmm_free || f == zmm_free_shutdown) && r == zmm_realloc;
}

/* Keeps the shared object mapped for the rest of the process, so that the handlers may stay
 * installed after the engine unloads the module. */
static bool zmm_pin_module(void)
{
#if !defined(COMPILE_DL_ZMM)
	return true;    /* built into PHP */
#elif defined(PHP_WIN32)
	HMODULE h;
	return GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
	                          (LPCSTR)(void *)&zmm_module_entry, &h) != 0;
#elif defined(RTLD_NODELETE) && defined(RTLD_NOLOAD)
	Dl_info info;
	if (dladdr((void *)&zmm_module_entry, &info) == 0 || info.dli_fname == NULL) {
		return false;
	}
	/* one more reference, never dropped, and NODELETE: dlclose() leaves the object mapped */
	return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
#else
	return false;
#endif
}

/* Installs zmm on the calling thread's engine heap. Returns true if zmm is active afterwards;
 * otherwise ZMM_G(inactive_reason) says why. */
static bool zmm_install(void)
{
	zend_zmm_globals *g = ZEND_MODULE_GLOBALS_BULK(zmm);
	zend_mm_heap *native = zend_mm_get_heap();
	const zmm_storage_handlers_t *type;
	zmm_heap_options_t opts;
	zmm_heap_hooks_t hooks;
	zmm_state_t *st;
	const char *env;
	int i;

	if (zmm_state) {
		return true;
	}
	if (zmm_process_off_reason) {
		g->inactive_reason = zmm_process_off_reason;
		return false;
	}
	if (!g->enable) {
		g->inactive_reason = "disabled by zmm.enable=0";
		return false;
	}
	env = getenv("USE_ZEND_ALLOC");
	if (env && env[0] == '0' && env[1] == '\0') {
		g->inactive_reason = "disabled because USE_ZEND_ALLOC=0";
		return false;
	}
	if (!native) {
		g->inactive_reason = "the engine has no heap";
		return false;
	}
	if (!is_zend_mm()) {
		g->inactive_reason = "another custom heap is already installed";
		return false;
	}

	st = calloc(1, sizeof(*st));
	if (!st) {
		g->inactive_reason = "out of memory";
		return false;
	}
	type = g->storage_type ? g->storage_type : zmm_storage_lookup(zmm_storage_default_name());
	/* Two heaps alternate as request epochs and the old one is reset only after the new one has
	 * started, so the pool must cover keep_segments for each of them, or every request that uses
	 * keep_segments maps one segment and unmaps another; plus room for one small multi-unit
	 * segment, such as the one holding the engine's 256 KiB VM stack page in every request. */
	if (zmm_storage_init(&st->storage, type, g->segment_size,
	                     2 * g->keep_segments + ZMM_STORAGE_POOL_MAX_UNITS) != 0) {
		free(st);
		g->inactive_reason = "the storage could not be initialised";
		return false;
	}
	zmm_heap_options_default(&opts);
	opts.cache_limit = g->cache_size;
	opts.protection = g->protection ? 1 : 0;
	opts.size_classes = g->size_classes ? 1 : 0;
	opts.limit = zmm_limit_from_pg();
	hooks.ctx = st;
	hooks.limit = zmm_limit_hook;
	hooks.oom = zmm_oom_hook;
	hooks.error = zmm_error_hook;
	for (i = 0; i < 2; i++) {
		st->heaps[i] = zmm_heap_create(&st->storage, &opts, &hooks);
		if (!st->heaps[i]) {
			if (i == 1) {
				zmm_heap_destroy(st->heaps[0]);
			}
			zmm_storage_destroy(&st->storage);
			free(st);
			g->inactive_reason = "the heaps could not be created";
			return false;
		}
	}
	st->cur = st->heaps[0];
	st->native_heap = native;
	zend_mm_get_custom_handlers(native, &st->prev_malloc, &st->prev_free, &st->prev_realloc);

	zmm_state = st;
	g->state = st;
	g->inactive_reason = NULL;
	zend_mm_set_custom_handlers(native, zmm_malloc, zmm_free, zmm_realloc);
	return true;
}

/* Puts the previous handlers back on st's engine heap and releases st with all its memory.
 * Returns false (and keeps everything) if another allocator has installed on top of us and may
 * still forward to us. st may belong to another, idle thread. */
static bool zmm_uninstall(zmm_state_t *st)
{
	int i;

	if (!zmm_handlers_are_ours(st->native_heap)) {
		st->module_down = true;
		return false;
	}
	if (st->prev_malloc || st->prev_free || st->prev_realloc) {
		zend_mm_set_custom_handlers(st->native_heap, st->prev_malloc, st->prev_free, st->prev_realloc);
	} else {
		zend_mm_set_custom_handlers(st->native_heap, NULL, NULL, NULL);
	}
#ifdef ZMM_DEBUG
	zmm_debug_forget(st);
#endif
	for (i = 0; i < 2; i++) {
		zmm_heap_destroy(st->heaps[i]);
	}
	zmm_storage_destroy(&st->storage);
	free(st);
	return true;
}

/* The module (MSHUTDOWN) or this thread's globals (GSHUTDOWN) are going away. With the module
 * pinned, the handlers stay installed until the engine heap shuts down; otherwise uninstall now.
 * Returns true if st was released. */
static bool zmm_module_down(zmm_state_t *st)
{
	st->in_request = false;
	st->module_down = true;
	return !zmm_pinned && zmm_uninstall(st);
}

/* zend_mm_shutdown(heap, full) passed the engine heap itself to _free: the thread or process is
 * ending. Give the heap back to its owner and let the engine finish the shutdown we interrupted.
 * Nothing of the module globals is touched: TSRM may have freed them already. */
static ZEND_COLD void zmm_engine_heap_dying(void)
{
	zmm_state_t *st = zmm_state;
	zend_mm_heap *native = st->native_heap;

	if (!zmm_uninstall(st)) {
		return;   /* another allocator on top forwarded its heap to us: nothing we may free */
	}
	zmm_state = NULL;
	zend_mm_shutdown(native, true, true);
}

/*****************************************************************************************************/
/* The handlers                                                                                      */
/*****************************************************************************************************/

/* An allocation returned NULL: the limit hook refused it (fallible caller) or storage failed. */
static ZEND_COLD void *zmm_alloc_failed(void *ptr, size_t size, bool is_realloc)
{
#ifdef HAVE_ZMM_DELAYED_OOM
	void *p;

	if (zend_mm_is_fallible()) {
		if (!ZEND_HAS_OOM() && !zend_alloc_in_memory_limit_error_reporting()) {
			/* never hand out NULL without a recorded error */
			zend_mm_delayed_error_or_panic(true, "Out of memory (allocated %zu) (tried to allocate %zu bytes)",
				zmm_real_size(zmm_state->cur), size);
		}
		return NULL;
	}
	/* Infallible caller: the error is recorded; the engine needs memory until its safe point.
	 * Try once more (a transient or injected storage failure), then give up like the native
	 * allocator does when the OS has no memory. */
	p = is_realloc ? zmm_heap_realloc(zmm_state->cur, ptr, size) : zmm_heap_alloc(zmm_state->cur, size);
	if (p) {
		return p;
	}
	zend_mm_delayed_error_or_panic(false, "Out of memory (allocated %zu) (tried to allocate %zu bytes)",
		zmm_real_size(zmm_state->cur), size);
	abort();
#else
	/* The hooks bail out; NULL here means the error could not even be reported. */
	(void)ptr;
	(void)size;
	(void)is_realloc;
	fprintf(stderr, "Out of memory\n");
	fflush(stderr);
	exit(1);
#endif
}

/* Everything but a cache hit. */
static zend_never_inline void *zmm_malloc_miss(size_t size)
{
	void *p = zmm_heap_alloc(zmm_state->cur, size);
	if (EXPECTED(p != NULL)) {
		return p;
	}
	return zmm_alloc_failed(NULL, size, false);
}

/* The hot handlers inline the heap's cache pop and push (zmm_heap.h) and leave the rest to a tail
 * call, so a hit needs no stack frame. */
static void *zmm_malloc(size_t size)
{
	void *p = zmm_heap_cache_pop(zmm_state->cur, size);
	if (EXPECTED(p != NULL)) {
		return p;
	}
	return zmm_malloc_miss(size);
}

static ZEND_COLD void zmm_free_foreign(void *ptr)
{
	zmm_state_t *st = zmm_state;

	if (ptr == (void *)st->native_heap) {
		zmm_engine_heap_dying();
		return;
	}
	st->foreign_frees++;
	if (st->prev_free) {
		st->prev_free(ptr);
	} else {
		zend_mm_free(st->native_heap, ptr);
	}
}

/* Everything but a cache push: NULL, foreign pointers (e NULL), large blocks, a full cache, invalid
 * pointers. The registry was read once, by zmm_free. */
static zend_never_inline void zmm_free_other(const zmm_registry_entry_t *e, void *ptr)
{
	if (e == NULL) {
		if (ptr != NULL) {
			zmm_free_foreign(ptr);
		}
		return;
	}
	/* ZMM_FREE_INVALID: reported through the error hook and ignored */
	(void)zmm_heap_free_at(e->seg, ptr);
}

static void zmm_free(void *ptr)
{
	const zmm_registry_entry_t *e = zmm_storage_entry(&zmm_state->storage, ptr);

	if (EXPECTED(e != NULL) && EXPECTED(zmm_heap_cache_push(e, ptr))) {
		return;
	}
	zmm_free_other(e, ptr);
}

/* The free handler of the fast shutdown (zmm_fast_shutdown_begin): a block of the heap that served
 * the request is left as it is, because the next RINIT resets that heap anyway, as ZendMM's fast
 * shutdown lets the engine skip the frees; everything else is freed as usual. */
static void zmm_free_shutdown(void *ptr)
{
	zmm_state_t *st = zmm_state;
	const zmm_registry_entry_t *e = zmm_storage_entry(&st->storage, ptr);

	/* only in standard segments: a multi-unit segment can empty and go back to the pool now, where
	 * the next request, which starts before the reset, finds it (the one that holds the engine's
	 * 256 KiB VM stack page). Not validated, to keep this path cheap (ZendMM makes no call at all):
	 * the size word is read only to count the bytes, bounded by the segment. */
	if (EXPECTED(e != NULL) && e->owner == (void *)st->discard && st->discard != NULL
	    && EXPECTED(e->size == st->storage.alignment)
	    && EXPECTED((size_t)((char *)ptr - (char *)e->seg) >= ZMM_HEAP_SEGMENT_HDR_SIZE + ZMM_HEAP_HDR_SIZE)) {
		size_t bs = *(const size_t *)(const void *)((char *)ptr - ZMM_HEAP_HDR_SIZE) & ~(size_t)(ZMM_HEAP_ALIGNMENT - 1);
		st->shutdown_frees++;
		st->dropped_bytes += bs < e->size ? bs : e->size;
		return;
	}
	if (EXPECTED(e != NULL) && EXPECTED(zmm_heap_cache_push(e, ptr))) {
		return;
	}
	zmm_free_other(e, ptr);
}

static ZEND_COLD void *zmm_realloc_foreign(void *ptr, size_t size)
{
	zmm_state_t *st = zmm_state;

	st->foreign_frees++;
	if (st->prev_realloc) {
		return st->prev_realloc(ptr, size);
	}
	return zend_mm_realloc(st->native_heap, ptr, size);
}

static void *zmm_realloc(void *ptr, size_t size)
{
	const zmm_registry_entry_t *e;
	void *p;

	if (ptr == NULL) {
		return zmm_malloc(size);                /* the inline cache pop */
	}
	e = zmm_storage_entry(&zmm_state->storage, ptr);
	if (UNEXPECTED(e == NULL || e->owner == NULL)) {
		return zmm_realloc_foreign(ptr, size);
	}
	p = zmm_heap_realloc_at(zmm_state->cur, e, ptr, size);
	if (EXPECTED(p != NULL)) {
		return p;
	}
	return zmm_alloc_failed(ptr, size, true);
}

/*****************************************************************************************************/
/* Engine functions taken over while zmm is active                                                   */
/*****************************************************************************************************/

static ZEND_NAMED_FUNCTION(zmm_memory_get_usage)
{
	bool real_usage = false;

	if (!zmm_active()) {
		zmm_fn_orig[ZMM_FN_USAGE](INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(real_usage)
	ZEND_PARSE_PARAMETERS_END();

	if (real_usage) {
		RETURN_LONG((zend_long)zmm_real_size(zmm_state->cur));
	}
	RETURN_LONG((zend_long)zmm_heap_usage(zmm_state->cur));
}

static ZEND_NAMED_FUNCTION(zmm_memory_get_peak_usage)
{
	bool real_usage = false;
	zmm_heap_summary_t s;

	if (!zmm_active()) {
		zmm_fn_orig[ZMM_FN_PEAK](INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(real_usage)
	ZEND_PARSE_PARAMETERS_END();

	zmm_heap_summary(zmm_state->cur, &s);
	RETURN_LONG((zend_long)(real_usage ? s.real_peak : s.peak));
}

static ZEND_NAMED_FUNCTION(zmm_memory_reset_peak_usage)
{
	if (!zmm_active()) {
		zmm_fn_orig[ZMM_FN_RESET_PEAK](INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	ZEND_PARSE_PARAMETERS_NONE();
	zmm_heap_reset_peak(zmm_state->cur);
}

static ZEND_NAMED_FUNCTION(zmm_gc_mem_caches)
{
	if (!zmm_active()) {
		zmm_fn_orig[ZMM_FN_GC](INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_LONG(zmm_clamp(zmm_heap_gc(zmm_state->cur)));
}

static const zif_handler zmm_fn_ours[ZMM_FN_COUNT] = {
	zmm_memory_get_usage, zmm_memory_get_peak_usage, zmm_memory_reset_peak_usage, zmm_gc_mem_caches
};

static void zmm_swap_functions(bool install)
{
	int i;

	for (i = 0; i < ZMM_FN_COUNT; i++) {
		zend_function *fn = zend_hash_str_find_ptr(CG(function_table), zmm_fn_names[i], strlen(zmm_fn_names[i]));
		if (!fn || fn->type != ZEND_INTERNAL_FUNCTION) {
			continue;
		}
		if (install && !zmm_fn_orig[i]) {
			zmm_fn_orig[i] = fn->internal_function.handler;
			fn->internal_function.handler = zmm_fn_ours[i];
		} else if (!install && zmm_fn_orig[i]) {
			if (fn->internal_function.handler == zmm_fn_ours[i]) {
				fn->internal_function.handler = zmm_fn_orig[i];
			}
			zmm_fn_orig[i] = NULL;
		}
	}
}

/*****************************************************************************************************/
/* memory_limit                                                                                      */
/*****************************************************************************************************/

/* Wraps main.c's OnChangeMemoryLimit. The native version compares with the engine heap's frozen
 * real_size and stores the limit where a custom heap never looks; with zmm active the limit goes to
 * PG(memory_limit) and the current zmm heap instead. */
static PHP_INI_MH(zmm_on_change_memory_limit)
{
	size_t value;

	if (!zmm_active()) {
		return zmm_orig_memory_limit_mh(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
	}
	if (new_value) {
		value = zend_ini_parse_uquantity_warn(new_value, entry->name);
	} else {
		value = Z_L(1) << 30;   /* effectively no limit, as main.c does */
	}
	if (stage != ZEND_INI_STAGE_DEACTIVATE && value != (size_t)-1) {
		size_t real = zmm_real_size(zmm_state->cur);
		if (value < real) {
			/* as main.c; at deactivation the limit is restored whatever the usage */
			zend_error(E_WARNING, "Failed to set memory limit to %zd bytes (Current memory usage is %zd bytes)",
				value, real);
			return FAILURE;
		}
	}
	PG(memory_limit) = value;
	zmm_set_heap_limit(zmm_state, zmm_state->cur, zmm_limit_from_pg());
	return SUCCESS;
}

static void zmm_wrap_memory_limit(bool install)
{
	zend_ini_entry *entry = zend_hash_str_find_ptr(EG(ini_directives), "memory_limit", sizeof("memory_limit") - 1);

	if (!entry) {
		return;
	}
	if (install && !zmm_memory_limit_wrapped && entry->on_modify) {
		zmm_orig_memory_limit_mh = entry->on_modify;
		entry->on_modify = zmm_on_change_memory_limit;
		zmm_memory_limit_wrapped = true;
	} else if (!install && zmm_memory_limit_wrapped) {
		if (entry->on_modify == zmm_on_change_memory_limit) {
			entry->on_modify = zmm_orig_memory_limit_mh;
		}
		zmm_memory_limit_wrapped = false;
	}
}

/*****************************************************************************************************/
/* Module lifecycle                                                                                  */
/*****************************************************************************************************/

static PHP_GINIT_FUNCTION(zmm)
{
#if defined(ZTS) && defined(COMPILE_DL_ZMM)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	memset(zmm_globals, 0, sizeof(*zmm_globals));
	zmm_globals->enable = true;
	zmm_globals->segment_size = ZMM_SEGMENT_SIZE_DEFAULT;
	zmm_globals->cache_size = ZMM_HEAP_CACHE_DEFAULT;
	zmm_globals->keep_segments = 4;   /* php-fpm soak: 0.79 of native's rate with 1, 0.91 with 4 (+1.5 MiB per worker) */
	zmm_globals->size_classes = true;
	zmm_globals->fast_shutdown = true;
	zmm_globals->inactive_reason = "not started";
}

static PHP_GSHUTDOWN_FUNCTION(zmm)
{
	/* A thread's globals go away (in ZTS possibly run by the main thread for an idle thread). The
	 * state outlives them; the thread uninstalls when its engine heap shuts down. */
	zmm_state_t *st = zmm_globals->state;

	zmm_globals->state = NULL;
	if (st && !st->module_down && zmm_module_down(st) && st == zmm_state) {
		zmm_state = NULL;
	}
}

/*****************************************************************************************************/
/* Fast shutdown                                                                                     */
/*****************************************************************************************************/

/* With ZendMM, the engine skips freeing most of a request's memory at its end ("fast shutdown":
 * the global symbol table, the objects' storage, the functions and classes), because the heap is
 * reset anyway. With any custom heap is_zend_mm() is false, so the engine frees all of it through
 * the handlers: 2 800 frees per request of tests/soak/www/normal.php that native does not make.
 * zmm resets the request's heap at the next RINIT too, so those frees need not be done either.
 *
 * zmm's RSHUTDOWN, which runs before the RSHUTDOWN of every module registered before zmm
 * (shutdown handlers run in reverse order of registration), installs zmm_free_shutdown: a live
 * block in a standard segment of the heap that served the request is left as it is, until RINIT
 * restores zmm_free and resets that heap. Everything else is freed as usual: blocks of the other
 * heap (made after post_deactivate), blocks in multi-unit segments (such a segment can then empty
 * and go back to the pool, where the next request, which starts before the reset, finds it: the
 * one holding the engine's 256 KiB VM stack page), and foreign pointers. The dropped frees are not
 * validated (ZendMM's fast shutdown makes no call at all): a double or invalid free of a block in a
 * standard segment goes unreported in that window; zmm.fast_shutdown=0 checks them.
 *
 * Freed memory is not reused meanwhile, so the work that still allocates (other modules'
 * RSHUTDOWN, such as a session write) could make the heap grow. While the fast shutdown lasts the
 * heap's limit is its current size: the first segment it needs goes through the limit hook, which
 * ends the fast shutdown (all later frees are done) and restores the limit. The heap may then pass
 * its limit by the bytes of the blocks that were dropped (rounded up to a segment), which their
 * frees would have made available: without that, a request that ends near memory_limit could fail
 * in a shutdown that fits.
 * Off with zmm.fast_shutdown=0, and with zmm.protection=1: every free is then done and validated. */

static void zmm_fast_shutdown_begin(zmm_state_t *st)
{
	zmm_heap_summary_t s;

	if (st->discard || !ZMM_G(fast_shutdown) || zmm_heap_get_options(st->cur)->protection
	    || !zmm_handlers_are_ours(st->native_heap)) {
		return;
	}
	/* the heap's limit becomes its current size, so that the limit hook tells us (and ends this)
	 * before the heap takes a segment */
	zmm_heap_summary(st->cur, &s);
	st->discard = st->cur;
	st->discard_saved_limit = s.limit;
	st->dropped_heap = st->cur;
	st->dropped_bytes = 0;
	zmm_heap_set_limit(st->cur, s.real_size < s.limit ? s.real_size : s.limit);
	zend_mm_set_custom_handlers(st->native_heap, zmm_malloc, zmm_free_shutdown, zmm_realloc);
}

/* Back to the validated free and the heap's own limit: RINIT (before the discarded heap is reset),
 * or the heap needs a new segment. */
static void zmm_fast_shutdown_end(zmm_state_t *st)
{
	if (st->discard == NULL) {
		return;
	}
	if (zmm_handlers_are_ours(st->native_heap)) {
		zend_mm_set_custom_handlers(st->native_heap, zmm_malloc, zmm_free, zmm_realloc);
	}
	zmm_heap_set_limit(st->discard, st->discard_saved_limit);
	st->discard = NULL;
}

/* The heap whose frees the last fast shutdown dropped is about to be reset (RINIT, or a switch
 * without a request in between): back to the validated free and its own limit, and no allowance. */
static void zmm_fast_shutdown_forget(zmm_state_t *st)
{
	zmm_fast_shutdown_end(st);
	st->dropped_heap = NULL;
	st->dropped_bytes = 0;
}

/* Sets the limit of heap, which may be the one whose frees the fast shutdown drops: then the limit
 * applies when the fast shutdown ends. */
static void zmm_set_heap_limit(zmm_state_t *st, zmm_heap_t *heap, size_t limit)
{
	if (heap == st->discard) {
		st->discard_saved_limit = limit;
		return;
	}
	zmm_heap_set_limit(heap, limit);
}

static PHP_MINIT_FUNCTION(zmm)
{
	const char *env;

	zmm_heap_library_init();                    /* before any thread creates a heap */
	REGISTER_INI_ENTRIES();

	if (type == MODULE_TEMPORARY) {
		/* dl(): the module would be unloaded at the end of this request with blocks still live */
		zmm_process_off_reason = "loaded with dl(); load zmm at startup (extension=zmm)";
	} else if (!ZMM_G(enable)) {
		zmm_process_off_reason = "disabled by zmm.enable=0";
	} else if ((env = getenv("USE_ZEND_ALLOC")) != NULL && env[0] == '0' && env[1] == '\0') {
		zmm_process_off_reason = "disabled because USE_ZEND_ALLOC=0";
	}
	if (zmm_process_off_reason) {
		ZMM_G(inactive_reason) = zmm_process_off_reason;
		return SUCCESS;
	}

	if (zmm_install()) {
		zmm_pinned = zmm_pin_module();
		zmm_swap_functions(true);
		zmm_wrap_memory_limit(true);
	} else {
#ifndef ZTS
		zmm_process_off_reason = ZMM_G(inactive_reason);
#else
		/* the main thread could not install; other threads may (swap anyway: handlers fall back) */
		zmm_pinned = zmm_pin_module();
		zmm_swap_functions(true);
		zmm_wrap_memory_limit(true);
#endif
	}
	return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(zmm)
{
	zend_zmm_globals *g = ZEND_MODULE_GLOBALS_BULK(zmm);

	if (g->state) {
		zmm_state_t *st = g->state;
		g->state = NULL;
		if (zmm_module_down(st)) {
			zmm_state = NULL;
		}
	}
	g->inactive_reason = "the module was shut down";
	zmm_swap_functions(false);
	zmm_wrap_memory_limit(false);
	UNREGISTER_INI_ENTRIES();
	return SUCCESS;
}

static PHP_RINIT_FUNCTION(zmm)
{
	zmm_state_t *st;

#if defined(ZTS) && defined(COMPILE_DL_ZMM)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
#ifdef ZTS
	if (!zmm_state && !zmm_process_off_reason) {
		zmm_install();   /* this thread's first request */
	}
#endif
	st = zmm_state;
	if (!st || st->module_down) {
		return SUCCESS;
	}
	zmm_fast_shutdown_forget(st);              /* its heap is reset below */
	if (st->reclaim) {
		/* the previous request's epoch: the engine is done with every block in it */
		zmm_heap_reset(st->reclaim, 0);
		st->reclaim = NULL;
	}
	st->requests++;
	st->in_request = true;
	st->in_error = false;
	st->in_error_hook = false;
	zmm_heap_set_limit(st->cur, zmm_limit_from_pg());
	return SUCCESS;
}

static PHP_RSHUTDOWN_FUNCTION(zmm)
{
	zmm_state_t *st = zmm_state;

	if (st && !st->module_down && st->in_request) {
		zmm_fast_shutdown_begin(st);
	}
	return SUCCESS;
}

static ZEND_MODULE_POST_ZEND_DEACTIVATE_D(zmm)
{
	zmm_state_t *st = zmm_state;
	zmm_heap_t *old, *next;

	if (!st || st->module_down) {
		return SUCCESS;
	}
	st->in_request = false;
	old = st->cur;
	next = (old == st->heaps[0]) ? st->heaps[1] : st->heaps[0];
	if (st->reclaim == next) {
		/* no RINIT since the last switch (a request that failed to start): next holds only blocks
		 * of an epoch that ended two switches ago */
		zmm_fast_shutdown_forget(st);          /* next was the heap of the last fast shutdown, if any */
		zmm_heap_reset(next, 0);
	}
#ifdef ZMM_DEBUG
	zmm_debug_end_of_request(st);
#endif
	/* The first switch hands the requests to a heap that has never had segments, and old's go back
	 * to the pool only at the next RINIT: the pool gets keep_segments standard segments for it
	 * now, so that no request after the first maps a segment for its small working set. */
	if (!st->reserved) {
		st->reserved = true;
		zmm_storage_reserve(&st->storage, st->storage.alignment, ZMM_G(keep_segments));
	}
	/* New allocations go to the empty heap; late frees still reach old through its segments. */
	st->cur = next;
	st->reclaim = old;
	zmm_heap_set_limit(next, zmm_limit_from_pg());
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(zmm)
{
	zend_zmm_globals *g = ZEND_MODULE_GLOBALS_BULK(zmm);
	zmm_state_t *st = zmm_active() ? zmm_state : NULL;
	char buf[256];

	php_info_print_table_start();
	php_info_print_table_header(2, "zmm support", "enabled");
	php_info_print_table_row(2, "Version", PHP_ZMM_VERSION);
	if (st) {
		php_info_print_table_row(2, "Active", "yes");
	} else {
		snprintf(buf, sizeof(buf), "no (%s)", g->inactive_reason ? g->inactive_reason : "unknown reason");
		php_info_print_table_row(2, "Active", buf);
	}
	php_info_print_table_row(2, "Storage", g->storage_type ? g->storage_type->name : zmm_storage_default_name());
	snprintf(buf, sizeof(buf), "%zu", st ? st->storage.alignment : g->segment_size);
	php_info_print_table_row(2, "Segment size", buf);
	snprintf(buf, sizeof(buf), "%zu", g->cache_size);
	php_info_print_table_row(2, "Cache size", buf);
	php_info_print_table_row(2, "Protection", g->protection ? "on" : "off");
	if (g->size_classes) {
		size_t extra = g->protection ? ZMM_HEAP_PROTECTION_EXTRA : 0;
		snprintf(buf, sizeof(buf), "on (requests of %zu to %zu bytes)", (size_t)ZMM_HEAP_MAX_SMALL_REQUEST + 1 - extra,
		         (size_t)ZMM_HEAP_MAX_CLASS_REQUEST - extra);
	}
	php_info_print_table_row(2, "Medium size classes", g->size_classes ? buf : "off (exact sizes)");
	php_info_print_table_row(2, "Fast shutdown", !g->fast_shutdown ? "off (every end-of-request free is done)"
		: g->protection ? "off (protection validates every free)" : "on (end-of-request frees left to the reset)");
	snprintf(buf, sizeof(buf), "%zu", st ? st->storage.segments + st->storage.pool_count : (size_t)0);
	php_info_print_table_row(2, "Segments held", buf);
#ifdef HAVE_ZMM_DELAYED_OOM
	php_info_print_table_row(2, "Out-of-memory errors", "delayed (engine safe point)");
#else
	php_info_print_table_row(2, "Out-of-memory errors", "immediate (bailout)");
#endif
#ifdef ZMM_DEBUG
	php_info_print_table_row(2, "Debug build", "yes");
#endif
	php_info_print_table_end();

	DISPLAY_INI_ENTRIES();
}

/*****************************************************************************************************/
/* Userland functions                                                                                */
/*****************************************************************************************************/

/* zmm is this thread's active heap. */
PHP_FUNCTION(zmm_enabled)
{
	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_BOOL(zmm_active() && zmm_handlers_are_ours(zend_mm_get_heap()));
}

/* Flushes the cache and returns what storage no longer holds (also what gc_mem_caches() does). */
PHP_FUNCTION(zmm_gc)
{
	ZEND_PARSE_PARAMETERS_NONE();
	if (!zmm_active()) {
		RETURN_LONG(0);
	}
	RETURN_LONG(zmm_clamp(zmm_heap_gc(zmm_state->cur)));
}

/* Messages zmm_heap_check() reports, kept in malloc'd memory until the walk is over. */
typedef struct zmm_check_msgs {
	char  **msg;
	size_t  count;
	size_t  cap;
	size_t  dropped;
} zmm_check_msgs;

#define ZMM_CHECK_MAX_MESSAGES 1000

static void zmm_check_cb(void *ctx, const char *message)
{
	zmm_check_msgs *m = ctx;
	char *copy;

	if (m->count == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		char **n;
		if (cap > ZMM_CHECK_MAX_MESSAGES || (n = realloc(m->msg, cap * sizeof(char *))) == NULL) {
			m->dropped++;
			return;
		}
		m->msg = n;
		m->cap = cap;
	}
	copy = strdup(message);
	if (!copy) {
		m->dropped++;
		return;
	}
	m->msg[m->count++] = copy;
}

/* Walks both heaps (the current epoch and the previous one) and reports what is inconsistent. */
PHP_FUNCTION(zmm_check_heap)
{
	zmm_check_msgs msgs = {NULL, 0, 0, 0};
	size_t segments = 0, blocks = 0, errors = 0, i;
	zval list;

	ZEND_PARSE_PARAMETERS_NONE();

	if (zmm_active()) {
		for (i = 0; i < 2; i++) {
			zmm_heap_check_result_t r = {0, 0, 0};
			errors += zmm_heap_check(zmm_state->heaps[i], zmm_check_cb, &msgs, &r);
			segments += r.segments;
			blocks += r.blocks;
		}
	}

	/* the walk is over: now it is safe to allocate */
	array_init_size(return_value, 4);
	add_assoc_bool(return_value, "ok", errors == 0);
	add_assoc_long(return_value, "segments", (zend_long)segments);
	add_assoc_long(return_value, "blocks", (zend_long)blocks);
	array_init_size(&list, (uint32_t)msgs.count);
	for (i = 0; i < msgs.count; i++) {
		add_next_index_string(&list, msgs.msg[i]);
		free(msgs.msg[i]);
	}
	if (msgs.dropped) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%zu more problems not listed", msgs.dropped);
		add_next_index_string(&list, buf);
	}
	free(msgs.msg);
	add_assoc_zval(return_value, "errors", &list);
}

/* One row of zmm_stats()'s buckets (with_free: the bucket's free list) or classes (whose free
 * blocks are in the large classes). */
static void zmm_add_list_row(zval *list, size_t i, const zmm_bucket_stats_t *b, bool with_free)
{
	zval row;

	array_init_size(&row, 9);
	add_assoc_long(&row, "index", (zend_long)i);
	add_assoc_long(&row, "block_size", (zend_long)b->block_size);
	add_assoc_long(&row, "min_request", (zend_long)b->min_request);
	add_assoc_long(&row, "max_request", (zend_long)b->max_request);
	if (with_free) {
		add_assoc_long(&row, "free_blocks", (zend_long)b->free_blocks);
	}
	add_assoc_long(&row, "cached_blocks", (zend_long)b->cached_blocks);
	add_assoc_long(&row, "allocs", zmm_clamp(b->cache_hits + b->cache_misses));
	add_assoc_long(&row, "cache_hits", zmm_clamp(b->cache_hits));
	add_assoc_long(&row, "cache_misses", zmm_clamp(b->cache_misses));
	add_next_index_zval(list, &row);
}

/* Statistics. The snapshot of the current heap is taken before anything is allocated for the
 * result, so memory.used equals memory_get_usage() at the call. Counters are the sum over both
 * epoch heaps (they count since the heaps were created); memory, cache, segments, buckets, classes, large
 * classes, rest and fragmentation describe the current heap only, which serves this request. */
PHP_FUNCTION(zmm_stats)
{
	bool limited = false;
	zmm_state_t *zs;
	zmm_heap_stats_t st;
	zmm_heap_counters_t other;
	zmm_heap_t *other_heap;
	bool have_rows;
	zval memory, counters, cache, segments, list, buckets, classes, large, rest, frag, row;
	size_t i;
	double pct;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_BOOL(limited)
	ZEND_PARSE_PARAMETERS_END();

	if (!zmm_active()) {
		RETURN_FALSE;
	}
	zs = zmm_state;

	/* C snapshot first: no heap allocation happens until both are taken */
	memset(&st, 0, sizeof(st));
	have_rows = zmm_heap_stats(zs->cur, &st, limited ? 1 : 0) == 0;
	other_heap = (zs->cur == zs->heaps[0]) ? zs->heaps[1] : zs->heaps[0];
	memset(&other, 0, sizeof(other));
	if (other_heap) {
		zmm_heap_counters(other_heap, &other);
	}

	array_init_size(return_value, 12);
	add_assoc_bool(return_value, "active", 1);
	add_assoc_string(return_value, "storage", (char *)zs->storage.handlers->name);
	add_assoc_long(return_value, "segment_size", (zend_long)zs->storage.alignment);

	array_init_size(&memory, 6);
	add_assoc_long(&memory, "used", (zend_long)(st.summary.size - st.summary.cached));
	add_assoc_long(&memory, "real", (zend_long)st.summary.real_size);
	add_assoc_long(&memory, "peak", (zend_long)st.summary.peak);
	add_assoc_long(&memory, "real_peak", (zend_long)st.summary.real_peak);
	{
		/* during the fast shutdown the heap's own limit is set aside */
		size_t limit = zs->discard == zs->cur ? zs->discard_saved_limit : st.summary.limit;
		add_assoc_long(&memory, "limit", limit == ZMM_HEAP_NO_LIMIT ? -1 : (zend_long)limit);
	}
	add_assoc_long(&memory, "cached", (zend_long)st.summary.cached);
	add_assoc_zval(return_value, "memory", &memory);

	array_init_size(&counters, 14);
	add_assoc_long(&counters, "allocs", zmm_clamp(st.counters.allocs + other.allocs));
	add_assoc_long(&counters, "frees", zmm_clamp(st.counters.frees + other.frees));
	add_assoc_long(&counters, "reallocs", zmm_clamp(st.counters.reallocs + other.reallocs));
	add_assoc_long(&counters, "huge_allocs", zmm_clamp(st.counters.huge_allocs + other.huge_allocs));
	add_assoc_long(&counters, "foreign_frees", zmm_clamp(zs->foreign_frees));
	add_assoc_long(&counters, "shutdown_frees", zmm_clamp(zs->shutdown_frees));
	add_assoc_long(&counters, "segments_allocated", zmm_clamp(st.counters.segments_allocated + other.segments_allocated));
	add_assoc_long(&counters, "segments_released", zmm_clamp(st.counters.segments_released + other.segments_released));
	add_assoc_long(&counters, "cache_hits", zmm_clamp(st.counters.cache_hits + other.cache_hits));
	add_assoc_long(&counters, "cache_misses", zmm_clamp(st.counters.cache_misses + other.cache_misses));
	add_assoc_long(&counters, "cache_refills", zmm_clamp(st.counters.cache_refills + other.cache_refills));
	add_assoc_long(&counters, "medium_flushes", zmm_clamp(st.counters.medium_flushes + other.medium_flushes));
	add_assoc_long(&counters, "limit_errors", zmm_clamp(zs->limit_errors));
	add_assoc_long(&counters, "requests", zmm_clamp(zs->requests));
	add_assoc_zval(return_value, "counters", &counters);

	array_init_size(&cache, 3);
	add_assoc_long(&cache, "bytes", (zend_long)st.summary.cached);
	add_assoc_long(&cache, "limit", (zend_long)st.summary.cache_limit);
	add_assoc_long(&cache, "blocks", (zend_long)st.summary.cached_blocks);
	add_assoc_zval(return_value, "cache", &cache);

	array_init_size(&segments, 7);
	add_assoc_long(&segments, "count", (zend_long)st.summary.segments);
	add_assoc_long(&segments, "peak_count", (zend_long)st.summary.peak_segments);
	add_assoc_long(&segments, "free_bytes", (zend_long)st.summary.free_bytes);
	add_assoc_long(&segments, "largest_free_block", (zend_long)st.summary.largest_free_block);
	add_assoc_long(&segments, "pool_bytes", (zend_long)zmm_storage_pool_bytes(&zs->storage));
	add_assoc_long(&segments, "pool_limit", (zend_long)(zs->storage.pool_limit * zs->storage.alignment));
	if (!limited) {
		array_init_size(&list, have_rows ? (uint32_t)st.segment_count : 0);
		for (i = 0; have_rows && i < st.segment_count; i++) {
			const zmm_segment_stats_t *s = &st.segments[i];
			array_init_size(&row, 5);
			add_assoc_long(&row, "size", (zend_long)s->size);
			add_assoc_long(&row, "used", (zend_long)s->used);
			add_assoc_long(&row, "free", (zend_long)s->free);
			add_assoc_long(&row, "free_blocks", (zend_long)s->free_blocks);
			add_assoc_long(&row, "largest_free_block", (zend_long)s->largest_free_block);
			add_next_index_zval(&list, &row);
		}
		add_assoc_zval(&segments, "list", &list);
	}
	add_assoc_zval(return_value, "segments", &segments);

	if (!limited) {
		array_init_size(&buckets, ZMM_HEAP_NUM_BUCKETS);
		for (i = 0; i < ZMM_HEAP_NUM_BUCKETS; i++) {
			zmm_add_list_row(&buckets, i, &st.buckets[i], true);
		}
		add_assoc_zval(return_value, "buckets", &buckets);

		array_init_size(&classes, (uint32_t)st.class_count);
		for (i = 0; i < st.class_count && i < ZMM_HEAP_NUM_CLASSES; i++) {
			zmm_add_list_row(&classes, i, &st.classes[i], false);
		}
		add_assoc_zval(return_value, "classes", &classes);

		array_init_size(&large, (uint32_t)st.large_classes);
		for (i = 0; i < st.large_classes && i < ZMM_HEAP_NUM_BUCKETS; i++) {
			const zmm_large_stats_t *l = &st.large[i];
			array_init_size(&row, 3);
			add_assoc_long(&row, "min_size", (zend_long)l->min_size);
			add_assoc_long(&row, "free_blocks", (zend_long)l->free_blocks);
			add_assoc_long(&row, "free_bytes", (zend_long)l->free_bytes);
			add_next_index_zval(&large, &row);
		}
		add_assoc_zval(return_value, "large", &large);
	}

	array_init_size(&rest, 2);
	add_assoc_long(&rest, "free_blocks", (zend_long)st.summary.rest_blocks);
	add_assoc_long(&rest, "free_bytes", (zend_long)st.summary.rest_bytes);
	add_assoc_zval(return_value, "rest", &rest);

	array_init_size(&frag, 3);
	add_assoc_long(&frag, "free_bytes", (zend_long)st.summary.free_bytes);
	add_assoc_long(&frag, "largest_free_block", (zend_long)st.summary.largest_free_block);
	pct = 0.0;
	if (st.summary.free_bytes > 0) {
		pct = (double)(st.summary.free_bytes - st.summary.largest_free_block) * 100.0 / (double)st.summary.free_bytes;
	}
	add_assoc_double(&frag, "percentage", pct);
	add_assoc_zval(return_value, "fragmentation", &frag);

	zmm_heap_stats_free(&st);
}

#ifdef ZMM_DEBUG
/*****************************************************************************************************/
/* Test hooks (--enable-zmm-debug only)                                                              */
/*****************************************************************************************************/

/* Forgets the damage bookkeeping (the heap it refers to was reset or destroyed). */
static void zmm_debug_forget(zmm_state_t *st)
{
	st->dbg_addr = NULL;
	free(st->dbg_live);
	st->dbg_live = NULL;
	st->dbg_live_count = 0;
}

/* Undoes damage a test left in place, before the heaps switch roles at the end of the request. */
static void zmm_debug_end_of_request(zmm_state_t *st)
{
	size_t i;

	if (st->dbg_addr && memcmp(st->dbg_addr, st->dbg_written, st->dbg_len) == 0) {
		memcpy(st->dbg_addr, st->dbg_saved, st->dbg_len);
		for (i = 0; i < st->dbg_live_count; i++) {
			zmm_heap_free(st->cur, st->dbg_live[i]);
		}
	}
	zmm_debug_forget(st);
}

/* Overwrites len bytes at addr (len <= ZMM_DEBUG_SAVE_MAX), remembering the original. */
static void zmm_debug_damage(unsigned char *addr, const void *bytes, size_t len)
{
	memcpy(zmm_state->dbg_saved, addr, len);
	memcpy(addr, bytes, len);
	memcpy(zmm_state->dbg_written, addr, len);
	zmm_state->dbg_addr = addr;
	zmm_state->dbg_len = len;
}

/* Frees the blocks zmm_debug_corrupt() kept live. Those of the idle heap bypass its cache, so that
 * its segment empties and goes back to storage as if nothing had happened. */
static void zmm_debug_release_live(zmm_heap_t *heap)
{
	zmm_heap_t *idle = (heap == zmm_state->heaps[0]) ? zmm_state->heaps[1] : zmm_state->heaps[0];
	size_t cache = zmm_heap_get_options(idle)->cache_limit;
	size_t i;

	zmm_heap_set_cache_limit(idle, 0);
	for (i = 0; i < zmm_state->dbg_live_count; i++) {
		zmm_heap_free(heap, zmm_state->dbg_live[i]);
	}
	zmm_heap_set_cache_limit(idle, cache);
	free(zmm_state->dbg_live);
	zmm_state->dbg_live = NULL;
	zmm_state->dbg_live_count = 0;
}

static bool zmm_debug_in(unsigned char *const *v, size_t n, const unsigned char *p)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (v[i] == p) {
			return true;
		}
	}
	return false;
}

/* Makes a free block sit in the list of the largest small bucket of heap with a newer free block in
 * front of it (so that its prev link is one the check verifies) and three older ones behind it.
 * Every one of them lies between two live blocks allocated here, so nothing merges with them while
 * the damage is in place; those blocks stay live until zmm_debug_repair(). The caller passes the idle
 * epoch heap: it serves no allocation during the request, and its fresh segment gives adjacent
 * blocks. Returns the header address of the block to damage, or NULL. */
static unsigned char *zmm_debug_isolated_free_block(zmm_heap_t *heap)
{
	enum { MAX_BLOCKS = 256, BATCH = 32, PICK = 5 };
	unsigned char **blk;
	unsigned char *pick[PICK];
	size_t req = ZMM_HEAP_MAX_SMALL_REQUEST, ts, cache, n = 0, npick = 0, i, j, k;
	size_t hdr;
	unsigned char *victim, *newer, *newer_next;

	while (req > ZMM_HEAP_ALIGNMENT
	    && zmm_heap_bucket_index(zmm_heap_true_size(heap, req)) != (int)ZMM_HEAP_NUM_BUCKETS - 1) {
		req -= ZMM_HEAP_ALIGNMENT;
	}
	ts = zmm_heap_true_size(heap, req);
	blk = malloc(MAX_BLOCKS * sizeof(*blk));
	if (!blk) {
		return NULL;
	}
	/* allocate until PICK blocks have both physical neighbours among ours and none of them touch */
	while (npick < PICK && n < MAX_BLOCKS) {
		for (k = 0; k < BATCH && n < MAX_BLOCKS; k++) {
			unsigned char *p = zmm_heap_alloc(heap, req);
			if (!p) {
				break;
			}
			blk[n++] = p;
		}
		if (k < BATCH && n < MAX_BLOCKS) {
			break;   /* out of memory */
		}
		npick = 0;
		for (i = 0; i < n && npick < PICK; i++) {
			unsigned char *p = blk[i];
			if (!zmm_debug_in(blk, n, p - ts) || !zmm_debug_in(blk, n, p + ts)) {
				continue;
			}
			for (j = 0; j < npick; j++) {
				if (pick[j] == p - ts || pick[j] == p + ts) {
					break;
				}
			}
			if (j == npick) {
				pick[npick++] = p;
			}
		}
	}
	if (npick < PICK) {
		for (i = 0; i < n; i++) {
			zmm_heap_free(heap, blk[i]);
		}
		free(blk);
		return NULL;
	}

	/* free the picked ones, oldest first, with the cache out of the way (it keeps blocks USED) */
	cache = zmm_heap_get_options(heap)->cache_limit;
	zmm_heap_set_cache_limit(heap, 0);
	for (i = 0; i < PICK; i++) {
		zmm_heap_free(heap, pick[i]);
	}
	zmm_heap_set_cache_limit(heap, cache);
	for (i = 0, j = 0; i < n; i++) {
		if (!zmm_debug_in(pick, PICK, blk[i])) {
			blk[j++] = blk[i];
		}
	}
	zmm_state->dbg_live = (void **)blk;
	zmm_state->dbg_live_count = j;

	/* free block: [size|type][prev][prev_free][next_free]...; the list runs newest -> oldest via
	 * next_free, and the check verifies x->next_free->prev_free == x */
	victim = pick[PICK - 2] - ZMM_HEAP_HDR_SIZE;
	newer = pick[PICK - 1] - ZMM_HEAP_HDR_SIZE;
	memcpy(&hdr, victim, sizeof(hdr));
	if ((hdr & ~(size_t)7) != ts || (hdr & 3) != 0) {
		return NULL;
	}
	memcpy(&newer_next, newer + ZMM_HEAP_HDR_SIZE + sizeof(void *), sizeof(newer_next));
	if (newer_next != victim) {
		return NULL;
	}
	return victim;
}

/* Damages the heap in a reversible way so that a test can see zmm_check_heap() find it:
 *  "header":    flips bits in the size field of the header of a live block zmm allocated itself
 *               (not the type bits, so that its neighbours never try to merge with it);
 *  "free_link": points the prev link of a free block of the largest small bucket at the block
 *               itself (a pointer that stays safe to follow), in the idle epoch heap.
 * Damage still in place at the end of the request is undone then. */
PHP_FUNCTION(zmm_debug_corrupt)
{
	zend_string *what;
	zmm_heap_t *heap;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(what)
	ZEND_PARSE_PARAMETERS_END();

	if (!zend_string_equals_literal(what, "header") && !zend_string_equals_literal(what, "free_link")) {
		zend_argument_value_error(1, "must be \"header\" or \"free_link\"");
		RETURN_THROWS();
	}
	if (!zmm_active() || zmm_state->dbg_addr) {
		RETURN_FALSE;
	}
	heap = zmm_state->cur;

	if (zend_string_equals_literal(what, "header")) {
		unsigned char *p = zmm_heap_alloc(heap, 40);
		size_t word;
		if (!p) {
			RETURN_FALSE;
		}
		zmm_state->dbg_live = malloc(sizeof(void *));
		if (!zmm_state->dbg_live) {
			zmm_heap_free(heap, p);
			RETURN_FALSE;
		}
		zmm_state->dbg_live[0] = p;
		zmm_state->dbg_live_count = 1;
		/* the size|type word is the first word of the boundary-tag header */
		memcpy(&word, p - ZMM_HEAP_HDR_SIZE, sizeof(word));
		word ^= (size_t)0x50;
		zmm_debug_damage(p - ZMM_HEAP_HDR_SIZE, &word, sizeof(word));
		RETURN_TRUE;
	} else {
		/* the idle epoch heap: empty during the request, and nothing allocates from it */
		zmm_heap_t *idle = (heap == zmm_state->heaps[0]) ? zmm_state->heaps[1] : zmm_state->heaps[0];
		unsigned char *victim = zmm_debug_isolated_free_block(idle);
		if (!victim) {
			zmm_debug_release_live(heap);
			RETURN_FALSE;
		}
		zmm_debug_damage(victim + ZMM_HEAP_HDR_SIZE, &victim, sizeof(victim));
		RETURN_TRUE;
	}
}

/* Puts back what zmm_debug_corrupt() changed, if it is still there, and frees the blocks it held. */
PHP_FUNCTION(zmm_debug_repair)
{
	bool ok = false;

	ZEND_PARSE_PARAMETERS_NONE();

	if (!zmm_active() || !zmm_state->dbg_addr) {
		RETURN_FALSE;
	}
	if (memcmp(zmm_state->dbg_addr, zmm_state->dbg_written, zmm_state->dbg_len) == 0) {
		memcpy(zmm_state->dbg_addr, zmm_state->dbg_saved, zmm_state->dbg_len);
		ok = true;
	}
	zmm_state->dbg_addr = NULL;
	if (ok) {
		zmm_debug_release_live(zmm_state->cur);
	} else {
		/* something else changed those bytes: leave the blocks alone */
		free(zmm_state->dbg_live);
		zmm_state->dbg_live = NULL;
		zmm_state->dbg_live_count = 0;
	}
	RETURN_BOOL(ok);
}

/* Makes the nth next provider allocation of this thread's storage fail (0: off). */
PHP_FUNCTION(zmm_debug_fail_storage)
{
	zend_long nth;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_LONG(nth)
	ZEND_PARSE_PARAMETERS_END();

	if (nth < 0) {
		zend_argument_value_error(1, "must be greater than or equal to 0");
		RETURN_THROWS();
	}
	if (zmm_active()) {
		zmm_state->storage.fail_countdown = (unsigned long)nth;
	}
}
#endif /* ZMM_DEBUG */

/*****************************************************************************************************/
/* Module entry                                                                                      */
/*****************************************************************************************************/

zend_module_entry zmm_module_entry = {
	STANDARD_MODULE_HEADER,
	"zmm",
	ext_functions,
	PHP_MINIT(zmm),
	PHP_MSHUTDOWN(zmm),
	PHP_RINIT(zmm),
	PHP_RSHUTDOWN(zmm),
	PHP_MINFO(zmm),
	PHP_ZMM_VERSION,
	PHP_MODULE_GLOBALS(zmm),
	PHP_GINIT(zmm),
	PHP_GSHUTDOWN(zmm),
	ZEND_MODULE_POST_ZEND_DEACTIVATE_N(zmm),
	STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_ZMM
# ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
# endif
ZEND_GET_MODULE(zmm)
#endif
