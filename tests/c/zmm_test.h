/*
 * zmm_test.h - a minimal test harness for the plain-C tests (no dependencies).
 *
 * A test file defines test functions with ZMM_TEST(name) and lists them in ZMM_TEST_MAIN(...).
 * ZMM_CHECK(cond) records a failure with file and line and goes on; ZMM_REQUIRE(cond) ends the
 * current test. The program prints one line per failed check, then
 * "<program>: N passed, N failed" (tests, not checks), and exits 1 if any test failed.
 */
#ifndef ZMM_TEST_H
#define ZMM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*zmm_test_fn)(void);
typedef struct { const char *name; zmm_test_fn fn; } zmm_test_case;

static int zmm_test_failed_checks;    /* failures in the running test */
static const char *zmm_test_current;  /* name of the running test */

#define ZMM_TEST(name) static void name(void)

#define ZMM_CHECK(cond) do { \
	if (!(cond)) { \
		zmm_test_failed_checks++; \
		fprintf(stderr, "FAIL %s: %s:%d: %s\n", zmm_test_current, __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define ZMM_CHECK_EQ(a, b) do { \
	unsigned long long zmm_a_ = (unsigned long long)(a), zmm_b_ = (unsigned long long)(b); \
	if (zmm_a_ != zmm_b_) { \
		zmm_test_failed_checks++; \
		fprintf(stderr, "FAIL %s: %s:%d: %s == %s (%llu != %llu)\n", zmm_test_current, \
		        __FILE__, __LINE__, #a, #b, zmm_a_, zmm_b_); \
	} \
} while (0)

#define ZMM_REQUIRE(cond) do { \
	if (!(cond)) { \
		zmm_test_failed_checks++; \
		fprintf(stderr, "FAIL %s: %s:%d: %s (stopping this test)\n", zmm_test_current, \
		        __FILE__, __LINE__, #cond); \
		return; \
	} \
} while (0)

static int zmm_test_run(const char *prog, const zmm_test_case *cases, size_t n, const char *only)
{
	size_t i, passed = 0, failed = 0;
	for (i = 0; i < n; i++) {
		if (only && strcmp(only, cases[i].name) != 0) {
			continue;
		}
		zmm_test_current = cases[i].name;
		zmm_test_failed_checks = 0;
		cases[i].fn();
		if (zmm_test_failed_checks) {
			failed++;
			fprintf(stderr, "not ok %s\n", cases[i].name);
		} else {
			passed++;
		}
	}
	printf("%s: %zu passed, %zu failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

#define ZMM_T(fn) { #fn, fn }
#define ZMM_TEST_MAIN(...) \
	int main(int argc, char **argv) { \
		static const zmm_test_case cases[] = { __VA_ARGS__ }; \
		const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]; \
		return zmm_test_run(prog, cases, sizeof(cases) / sizeof(cases[0]), argc > 1 ? argv[1] : NULL); \
	}

#endif /* ZMM_TEST_H */
