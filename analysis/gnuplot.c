/* gnuplot: quoting for scripts and running gnuplot (see gnuplot.h). */
#include "gnuplot.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define GNUPLOT_PATH_MAX 4096
#define GNUPLOT_POLL_NS 20000000L /* 20 ms between looks at a gnuplot with a timeout */

void gnuplot_put_quoted(FILE *out, const char *text) {
    fputc('\'', out);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '\'') fputs("''", out);
        else fputc(*p < 0x20 ? ' ' : *p, out);
    }
    fputc('\'', out);
}

void gnuplot_put_terminal(FILE *out, const char *size, bool svg) {
    if (svg) {
        fprintf(out, "set terminal svg size %s dynamic noenhanced background rgb 'white'\n", size);
        return;
    }
    fputs("if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n", out);
    fprintf(out, "  set terminal pngcairo size %s noenhanced\n} else {\n", size);
    fprintf(out, "  set terminal png size %s noenhanced\n}\n", size);
}

bool gnuplot_found(void) {
    const char *path = getenv("PATH");
    if (path == NULL) return false;
    char candidate[GNUPLOT_PATH_MAX];
    for (const char *dir = path;;) {
        const char *end = strchr(dir, ':');
        size_t len = end == NULL ? strlen(dir) : (size_t)(end - dir);
        int n = len == 0 ? snprintf(candidate, sizeof candidate, "./%s", GNUPLOT_PROGRAM) /* empty: cwd */
                         : snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, dir, GNUPLOT_PROGRAM);
        if (n > 0 && (size_t)n < sizeof candidate && access(candidate, X_OK) == 0) return true;
        if (end == NULL) return false;
        dir = end + 1;
    }
}

/* "cd 'DIR'", the -e command that puts gnuplot in dir; false when it does
 * not fit. */
static bool gnuplot_cd_command(const char *dir, char *out, size_t cap) {
    FILE *text = fmemopen(out, cap, "w");
    if (text == NULL) return false;
    fputs("cd ", text);
    gnuplot_put_quoted(text, dir);
    bool fits = fputc('\0', text) != EOF && fflush(text) == 0 && ftell(text) < (long)cap;
    fclose(text);
    return fits && memchr(out, '\0', cap) != NULL;
}

static double gnuplot_now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits for pid, killing it after timeout_s (0: never); its wait status,
 * or a GNUPLOT_ code. */
static int gnuplot_wait(pid_t pid, unsigned timeout_s, int *status) {
    double deadline = gnuplot_now_s() + timeout_s;
    for (;;) {
        pid_t got = waitpid(pid, status, timeout_s == 0 ? 0 : WNOHANG);
        if (got == pid) return 0;
        if (got < 0 && errno != EINTR) return GNUPLOT_NOT_STARTED;
        if (got == 0 && gnuplot_now_s() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            return GNUPLOT_TIMED_OUT;
        }
        if (got == 0) {
            struct timespec pause = {.tv_sec = 0, .tv_nsec = GNUPLOT_POLL_NS};
            nanosleep(&pause, NULL);
        }
    }
}

int gnuplot_run(const char *dir, const char *script, const char *log_path, unsigned timeout_s) {
    assert(script != NULL && log_path != NULL);
    if (!gnuplot_found()) return GNUPLOT_NOT_FOUND;
    char cd[GNUPLOT_PATH_MAX * 2 + 16];
    if (dir != NULL && !gnuplot_cd_command(dir, cd, sizeof cd)) return GNUPLOT_NOT_STARTED;
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0) return GNUPLOT_NOT_STARTED;
    int rc = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    char *with_dir[] = {GNUPLOT_PROGRAM, "-e", cd, (char *)script, NULL};
    char *without_dir[] = {GNUPLOT_PROGRAM, (char *)script, NULL};
    pid_t pid;
    if (rc == 0) rc = posix_spawnp(&pid, GNUPLOT_PROGRAM, &actions, NULL, dir != NULL ? with_dir : without_dir, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return GNUPLOT_NOT_STARTED;
    int status = 0;
    int waited = gnuplot_wait(pid, timeout_s, &status);
    if (waited != 0) return waited;
    return WIFEXITED(status) ? WEXITSTATUS(status) : GNUPLOT_KILLED;
}
