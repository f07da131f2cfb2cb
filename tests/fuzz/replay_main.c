/*
 * replay_main: runs a libFuzzer target over a corpus without libFuzzer, so
 * that make test replays every saved input with the ordinary (and the
 * sanitizer) build. Arguments are files or folders of inputs.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REPLAY_INPUT_MAX = 1 << 22 };

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *data = malloc(REPLAY_INPUT_MAX);
    if (data == NULL) {
        fclose(f);
        return -1;
    }
    size_t n = fread(data, 1, REPLAY_INPUT_MAX, f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

static int replay_path(const char *path, unsigned *count) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such corpus %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *dir = opendir(path);
    if (dir == NULL) return -1;
    struct dirent *entry;
    int rc = 0;
    while ((entry = readdir(dir)) != NULL && rc == 0) {
        if (entry->d_name[0] == '.') continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        rc = replay_path(child, count);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv) {
    unsigned count = 0;
    for (int i = 1; i < argc; i++) {
        if (replay_path(argv[i], &count) != 0) return 1;
    }
    /* An empty input must be survivable too. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    printf("replayed %u inputs\n", count);
    return 0;
}
