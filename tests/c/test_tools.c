/*
 * test_tools.c - proves that the tools see individual zmm blocks: AddressSanitizer (this program is
 * built with it, so the heap poisons freed blocks) and valgrind memcheck (running the uninstrumented
 * build/vg_target). Each deliberate use-after-free or overflow must be reported; correct use must not.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "zmm_heap.h"
#include "zmm_test.h"

#if defined(__SANITIZE_ADDRESS__)
# define TT_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TT_ASAN 1
# endif
#endif

/* Runs fn in a child with stderr captured into buf; returns the wait status. */
static int run_captured(void (*fn)(void), char *buf, size_t len)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0) {
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < len && (n = read(fds[0], buf + got, len - 1 - got)) > 0) {
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static zmm_storage_t g_st;
static zmm_heap_t *g_h;

static void setup(void)
{
	zmm_storage_init(&g_st, zmm_storage_lookup("mmap_anon"), 256 * 1024, 1);
	g_h = zmm_heap_create(&g_st, NULL, NULL);
}

static void scenario_clean(void)
{
	char *p;
	setup();
	p = zmm_heap_alloc(g_h, 40);
	memset(p, 1, 40);
	p = zmm_heap_realloc(g_h, p, 3000);
	memset(p, 2, 3000);
	zmm_heap_free(g_h, p);
}

static void scenario_uaf(void)
{
	char *p;
	setup();
	p = zmm_heap_alloc(g_h, 40);
	zmm_heap_free(g_h, p);
	((volatile char *)p)[3] = 7;
}

static void scenario_overflow(void)
{
	char *p;
	setup();
	p = zmm_heap_alloc(g_h, 10);
	((volatile char *)p)[10] = 1;
}

ZMM_TEST(t_asan_sees_blocks)
{
#ifdef TT_ASAN
	static char buf[16384];
	int st = run_captured(scenario_clean, buf, sizeof(buf));
	ZMM_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_captured(scenario_uaf, buf, sizeof(buf));
	ZMM_CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	ZMM_CHECK(strstr(buf, "use-after-poison") != NULL);
	st = run_captured(scenario_overflow, buf, sizeof(buf));
	ZMM_CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	ZMM_CHECK(strstr(buf, "use-after-poison") != NULL || strstr(buf, "heap-buffer-overflow") != NULL);
#else
	printf("t_asan_sees_blocks: not built with ASan, nothing to prove\n");
#endif
}

/* Runs build/vg_target MODE under memcheck; returns its exit code, output in buf. */
static int memcheck(const char *mode, char *buf, size_t len)
{
	char cmd[512];
	FILE *f;
	size_t got;
	int st;

	snprintf(cmd, sizeof(cmd), "env -u LD_PRELOAD -u ASAN_OPTIONS valgrind -q --error-exitcode=9 "
	         "build/vg_target %s 2>&1", mode);
	f = popen(cmd, "r");
	if (f == NULL) {
		return -1;
	}
	got = fread(buf, 1, len - 1, f);
	buf[got] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

ZMM_TEST(t_memcheck_sees_blocks)
{
	static char buf[65536];
	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		printf("t_memcheck_sees_blocks: valgrind is not installed\n");
		ZMM_CHECK(0);
		return;
	}
	ZMM_CHECK_EQ(memcheck("none", buf, sizeof(buf)), 0);
	ZMM_CHECK(strstr(buf, "Invalid") == NULL);
	ZMM_CHECK_EQ(memcheck("uaf", buf, sizeof(buf)), 9);
	ZMM_CHECK(strstr(buf, "Invalid write of size 1") != NULL);
	ZMM_CHECK_EQ(memcheck("overflow", buf, sizeof(buf)), 9);
	ZMM_CHECK(strstr(buf, "Invalid write of size 1") != NULL);
	ZMM_CHECK_EQ(memcheck("uaf-large", buf, sizeof(buf)), 9);
	ZMM_CHECK(strstr(buf, "Invalid write of size 1") != NULL);
	ZMM_CHECK_EQ(memcheck("limit-uaf", buf, sizeof(buf)), 9);
	ZMM_CHECK(strstr(buf, "Invalid write of size 1") != NULL);
}

ZMM_TEST_MAIN(ZMM_T(t_asan_sees_blocks), ZMM_T(t_memcheck_sees_blocks))
