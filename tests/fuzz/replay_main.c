/*
 * tests/fuzz/replay_main.c - runs fuzz_heap.c's LLVMFuzzerTestOneInput on files, without libFuzzer,
 * so that a machine with only gcc can replay the corpus and crash reproducers:
 *
 *   cc -g -O1 -fsanitize=address,undefined -I. tests/fuzz/fuzz_heap.c tests/fuzz/replay_main.c \
 *      zmm_heap.c zmm_storage.c -o fuzz_replay
 *   ./fuzz_replay tests/fuzz/corpus/ tests/fuzz/crashes/crash-...
 *
 * Arguments are files or directories (every regular file in a directory, one level). A failing input
 * aborts the process (the harness prints what went wrong first); the name of the input being run is
 * printed before it starts when ZMM_FUZZ_VERBOSE is set, and always on stderr just before a run so a
 * crash can be attributed. Exit 0 when every input passed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *nb;
			cap = cap ? cap * 2 : 4096;
			nb = (unsigned char *)realloc(buf, cap);
			if (nb == NULL) {
				fclose(fp);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (n == 0) break;
		len += n;
	}
	fclose(fp);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, runs = 0, errors = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			errors++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k, n = scandir(argv[i], &names, NULL, alphasort);
			if (n < 0) {
				perror(argv[i]);
				errors++;
				continue;
			}
			for (k = 0; k < n; k++) {
				char path[4096];
				struct stat fs;
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				if (names[k]->d_name[0] != '.' && stat(path, &fs) == 0 && S_ISREG(fs.st_mode)) {
					if (run_file(path) != 0) errors++; else runs++;
				}
				free(names[k]);
			}
			free(names);
		} else {
			if (run_file(argv[i]) != 0) errors++; else runs++;
		}
	}
	printf("replay: %d input(s) passed, %d unreadable\n", runs, errors);
	return errors ? 1 : 0;
}
