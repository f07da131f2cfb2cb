/* scratch: a test's folder and scenario file. See scratch.h. */
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int scratch_create(scratch *s, const char *name, const char *scenario_text) {
    snprintf(s->dir, sizeof s->dir, "/tmp/swarmlab-test-%s-%ld", name, (long)getpid());
    snprintf(s->scenario_path, sizeof s->scenario_path, "%s.yaml", s->dir);
    FILE *f = fopen(s->scenario_path, "w");
    if (f == NULL) return -1;
    fputs(scenario_text, f);
    return fclose(f) == 0 ? 0 : -1;
}

int scratch_remove(const scratch *s) {
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s' '%s'", s->dir, s->scenario_path);
    return system(command) == 0 ? 0 : -1;
}

int scratch_read(const scratch *s, const char *name, char *text, size_t cap) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    size_t n = fread(text, 1, cap - 1, f);
    fclose(f);
    text[n] = '\0';
    return 0;
}
