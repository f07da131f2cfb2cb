/* testbed_net: namespaces, links and qdiscs of the testbed. See testbed_net.h. */
#define _GNU_SOURCE
#include "testbed_net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NET_OUTPUT_MAX 65536
#define NET_ARGS_MAX 40
#define NET_SWEEP_MAX 1024 /* names looked at in one sweep */
#define NET_KILL_WAIT_MS 2000

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The path of tool (ip, tc) in the usual folders; NULL when absent. */
static const char *tool_path(const char *tool) {
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    static char found[2][64];
    int slot = strcmp(tool, "ip") == 0 ? 0 : 1;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(found[slot], sizeof found[slot], "%s/%s", dirs[i], tool);
        if (access(found[slot], X_OK) == 0) return found[slot];
    }
    return NULL;
}

/* Runs argv (argv[0] a tool name) and waits at most TESTBED_EXEC_TIMEOUT_MS;
 * what it prints (standard output and error) goes to out. Returns its exit
 * status, or -1 when it could not run or did not finish in time. */
static int run_tool(const char *const *argv, char *out, size_t cap) {
    if (cap > 0) out[0] = '\0';
    const char *path = tool_path(argv[0]);
    if (path == NULL) {
        snprintf(out, cap, "%s: not found", argv[0]);
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, STDIN_FILENO);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    long deadline = now_ms() + TESTBED_EXEC_TIMEOUT_MS;
    bool timed_out = false;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int ready = poll(&p, 1, (int)left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        char chunk[4096];
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        size_t take = (size_t)got;
        if (cap > 0 && len + 1 < cap) {
            if (take > cap - 1 - len) take = cap - 1 - len;
            memcpy(out + len, chunk, take);
            len += take;
            out[len] = '\0';
        }
    }
    close(fds[0]);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* run_tool that must succeed; err gets the command and what it said. */
static int must(const char *const *argv, char *err, size_t err_cap) {
    static char output[NET_OUTPUT_MAX];
    int rc = run_tool(argv, output, sizeof output);
    if (rc == 0) return 0;
    char command[512] = "";
    size_t len = 0;
    for (size_t i = 0; argv[i] != NULL && len + 2 < sizeof command; i++)
        len += (size_t)snprintf(command + len, sizeof command - len, "%s%s", i ? " " : "", argv[i]);
    size_t out_len = strlen(output);
    while (out_len > 0 && (output[out_len - 1] == '\n' || output[out_len - 1] == ' ')) output[--out_len] = '\0';
    snprintf(err, err_cap, "testbed: `%s` failed (%s%d): %s", command, rc < 0 ? "no exit, " : "exit ", rc, output);
    return -1;
}

int testbed_net_available(char *why, size_t why_cap) {
    if (geteuid() != 0) {
        snprintf(why, why_cap, "the testbed needs root (network namespaces, veth, tc)");
        return -1;
    }
    if (tool_path("ip") == NULL || tool_path("tc") == NULL) {
        snprintf(why, why_cap, "the testbed needs ip and tc (Debian: apt-get install iproute2)");
        return -1;
    }
    /* CAP_NET_ADMIN: try to make and delete a namespace of our own. */
    char name[TESTBED_NAME_MAX];
    snprintf(name, sizeof name, "%s%d-probe", TESTBED_PREFIX, (int)getpid());
    char output[1024];
    const char *add[] = {"ip", "netns", "add", name, NULL};
    if (run_tool(add, output, sizeof output) != 0) {
        snprintf(why, why_cap, "cannot make a network namespace (no CAP_NET_ADMIN?): %s", output);
        return -1;
    }
    const char *del[] = {"ip", "netns", "del", name, NULL};
    run_tool(del, output, sizeof output);
    return 0;
}

void testbed_net_ns_name(pid_t owner, uint32_t host, char *out, size_t cap) {
    snprintf(out, cap, "%s%d-n%u", TESTBED_PREFIX, (int)owner, host);
}

void testbed_net_core_name(pid_t owner, char *out, size_t cap) {
    snprintf(out, cap, "%s%d-core", TESTBED_PREFIX, (int)owner);
}

void testbed_net_address(uint32_t host, char *out, size_t cap) {
    uint32_t n = host + 1;
    snprintf(out, cap, "10.77.%u.%u", (n >> 8) & 255, n & 255);
}

/* The pid in a name "swl<pid>..." (its digits end at a non-digit); 0 when
 * the name is not ours. */
static pid_t owner_of(const char *name) {
    size_t p = strlen(TESTBED_PREFIX);
    if (strncmp(name, TESTBED_PREFIX, p) != 0) return 0;
    const char *digits = name + p;
    long pid = 0;
    size_t i = 0;
    for (; digits[i] >= '0' && digits[i] <= '9' && i < 10; i++) pid = pid * 10 + (digits[i] - '0');
    if (i == 0 || pid <= 0 || pid > 0x7fffffff) return 0;
    char next = digits[i];
    if (next != '-' && next != 'h' && next != 'b') return 0;
    return (pid_t)pid;
}

static bool owner_alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

/* Kills what runs in namespace name (ip netns pids), then waits a bounded time. */
static void kill_in_namespace(const char *name) {
    static char output[NET_OUTPUT_MAX];
    const char *argv[] = {"ip", "netns", "pids", name, NULL};
    if (run_tool(argv, output, sizeof output) != 0) return;
    pid_t pids[256];
    size_t count = 0;
    for (char *line = strtok(output, "\n"); line != NULL && count < 256; line = strtok(NULL, "\n")) {
        long pid = strtol(line, NULL, 10);
        if (pid > 1 && pid != getpid()) pids[count++] = (pid_t)pid;
    }
    for (size_t i = 0; i < count; i++) kill(pids[i], SIGKILL);
    long deadline = now_ms() + NET_KILL_WAIT_MS;
    for (size_t i = 0; i < count; i++)
        while (kill(pids[i], 0) == 0 && now_ms() < deadline) {
            waitpid(pids[i], NULL, WNOHANG); /* ours, when a previous run of this process left it */
            usleep(10000);
        }
}

int testbed_net_sweep(void) {
    static char output[NET_OUTPUT_MAX];
    int removed = 0;
    const char *list[] = {"ip", "netns", "list", NULL};
    if (run_tool(list, output, sizeof output) == 0) {
        char names[NET_SWEEP_MAX][TESTBED_NAME_MAX];
        size_t count = 0;
        for (char *line = strtok(output, "\n"); line != NULL && count < NET_SWEEP_MAX; line = strtok(NULL, "\n")) {
            char name[TESTBED_NAME_MAX];
            if (sscanf(line, "%31s", name) != 1) continue;
            pid_t owner = owner_of(name);
            if (owner == 0 || owner_alive(owner)) continue;
            memcpy(names[count++], name, sizeof name);
        }
        for (size_t i = 0; i < count; i++) {
            kill_in_namespace(names[i]);
            const char *del[] = {"ip", "netns", "del", names[i], NULL};
            char ignored[512];
            if (run_tool(del, ignored, sizeof ignored) == 0) removed++;
        }
    }
    /* Links in our own namespace: the testbed makes none, but a leftover
     * of an interrupted setup is removed all the same. */
    const char *links[] = {"ip", "-o", "link", "show", NULL};
    if (run_tool(links, output, sizeof output) == 0) {
        char names[256][TESTBED_NAME_MAX];
        size_t count = 0;
        for (char *line = strtok(output, "\n"); line != NULL && count < 256; line = strtok(NULL, "\n")) {
            char name[TESTBED_NAME_MAX];
            if (sscanf(line, "%*d: %31[^:@ ]", name) != 1) continue;
            pid_t owner = owner_of(name);
            if (owner == 0 || owner_alive(owner)) continue;
            memcpy(names[count++], name, sizeof name);
        }
        for (size_t i = 0; i < count; i++) {
            const char *del[] = {"ip", "link", "del", names[i], NULL};
            char ignored[512];
            if (run_tool(del, ignored, sizeof ignored) == 0) removed++;
        }
    }
    return removed;
}

int testbed_net_create_core(pid_t owner, char *err, size_t err_cap) {
    char core[TESTBED_NAME_MAX], bridge[TESTBED_NAME_MAX];
    testbed_net_core_name(owner, core, sizeof core);
    snprintf(bridge, sizeof bridge, "%s%dbr", TESTBED_PREFIX, (int)owner);
    const char *add[] = {"ip", "netns", "add", core, NULL};
    const char *br[] = {"ip", "-n", core, "link", "add", bridge, "type", "bridge", NULL};
    const char *up[] = {"ip", "-n", core, "link", "set", bridge, "up", NULL};
    if (must(add, err, err_cap) != 0 || must(br, err, err_cap) != 0 || must(up, err, err_cap) != 0) return -1;
    return 0;
}

/* tc ... netem [delay D [J]] [loss P%] [rate R] limit N, as argument words. */
static void netem_args(const char **argv, size_t *n, char text[][32], uint64_t delay_ns, uint64_t jitter_ns,
                       double loss, uint64_t rate_bps) {
    size_t t = 0;
    argv[(*n)++] = "netem";
    if (delay_ns > 0 || jitter_ns > 0) {
        argv[(*n)++] = "delay";
        snprintf(text[t], 32, "%lluus", (unsigned long long)((delay_ns + 500) / 1000));
        argv[(*n)++] = text[t++];
        if (jitter_ns > 0) {
            snprintf(text[t], 32, "%lluus", (unsigned long long)((jitter_ns + 500) / 1000));
            argv[(*n)++] = text[t++];
        }
    }
    if (loss > 0) {
        argv[(*n)++] = "loss";
        snprintf(text[t], 32, "%.6f%%", loss * 100);
        argv[(*n)++] = text[t++];
    }
    if (rate_bps > 0) {
        argv[(*n)++] = "rate";
        snprintf(text[t], 32, "%llubit", (unsigned long long)rate_bps);
        argv[(*n)++] = text[t++];
    }
    argv[(*n)++] = "limit";
    argv[(*n)++] = "100000";
    argv[*n] = NULL;
}

int testbed_net_create_host(pid_t owner, uint32_t host, const testbed_shaping *shaping, char *err,
                            size_t err_cap) {
    char ns[TESTBED_NAME_MAX], core[TESTBED_NAME_MAX], bridge[TESTBED_NAME_MAX], veth[TESTBED_NAME_MAX];
    char address[32], cidr[40];
    testbed_net_ns_name(owner, host, ns, sizeof ns);
    testbed_net_core_name(owner, core, sizeof core);
    snprintf(bridge, sizeof bridge, "%s%dbr", TESTBED_PREFIX, (int)owner);
    snprintf(veth, sizeof veth, "%s%dh%u", TESTBED_PREFIX, (int)owner, host);
    if (strlen(veth) > 15) {
        snprintf(err, err_cap, "testbed: link name %s longer than 15 bytes", veth);
        return -1;
    }
    testbed_net_address(host, address, sizeof address);
    snprintf(cidr, sizeof cidr, "%s/16", address);
    const char *add[] = {"ip", "netns", "add", ns, NULL};
    const char *pair[] = {"ip", "-n", core, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns, NULL};
    const char *master[] = {"ip", "-n", core, "link", "set", veth, "master", bridge, "up", NULL};
    const char *addr[] = {"ip", "-n", ns, "addr", "add", cidr, "dev", "eth0", NULL};
    const char *eth_up[] = {"ip", "-n", ns, "link", "set", "eth0", "up", NULL};
    const char *lo_up[] = {"ip", "-n", ns, "link", "set", "lo", "up", NULL};
    const char *const *steps[] = {add, pair, master, addr, eth_up, lo_up};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (must(steps[i], err, err_cap) != 0) return -1;
    const char *argv[NET_ARGS_MAX];
    char text[4][32];
    size_t n = 0;
    if (shaping->delay_ns > 0 || shaping->jitter_ns > 0 || shaping->loss > 0 || shaping->up_bps > 0) {
        const char *head[] = {"tc", "-n", ns, "qdisc", "add", "dev", "eth0", "root"};
        for (n = 0; n < sizeof head / sizeof head[0]; n++) argv[n] = head[n];
        netem_args(argv, &n, text, shaping->delay_ns, shaping->jitter_ns, shaping->loss, shaping->up_bps);
        if (must(argv, err, err_cap) != 0) {
            if (strstr(err, "kind is unknown") != NULL) {
                size_t len = strlen(err);
                snprintf(err + len, err_cap - len, " (this kernel has no sch_netem: use --links tun, the default)");
            }
            return -1;
        }
    }
    if (shaping->down_bps > 0) {
        const char *head[] = {"tc", "-n", core, "qdisc", "add", "dev", veth, "root"};
        for (n = 0; n < sizeof head / sizeof head[0]; n++) argv[n] = head[n];
        netem_args(argv, &n, text, 0, 0, 0, shaping->down_bps);
        if (must(argv, err, err_cap) != 0) return -1;
    }
    return 0;
}

void testbed_net_destroy(pid_t owner, uint32_t host_count) {
    char name[TESTBED_NAME_MAX], ignored[512];
    for (uint32_t i = 0; i <= host_count; i++) {
        if (i < host_count)
            testbed_net_ns_name(owner, i, name, sizeof name);
        else
            testbed_net_core_name(owner, name, sizeof name);
        struct stat st;
        char path[96];
        snprintf(path, sizeof path, "/run/netns/%s", name);
        if (stat(path, &st) != 0) continue;
        kill_in_namespace(name);
        const char *del[] = {"ip", "netns", "del", name, NULL};
        run_tool(del, ignored, sizeof ignored);
    }
}

pid_t testbed_net_spawn(pid_t owner, uint32_t host, char *const argv[], const char *stdout_path,
                        const char *stderr_path, char *err, size_t err_cap) {
    char ns[TESTBED_NAME_MAX], path[96];
    testbed_net_ns_name(owner, host, ns, sizeof ns);
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) {
        snprintf(err, err_cap, "testbed: %s: %s", path, strerror(errno));
        return -1;
    }
    int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int errfd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0 || errfd < 0) {
        snprintf(err, err_cap, "testbed: %s: %s", out < 0 ? stdout_path : stderr_path, strerror(errno));
        close(ns_fd);
        if (out >= 0) close(out);
        if (errfd >= 0) close(errfd);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        /* The testbed's own signal handling is not the daemon's. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char hostname[32];
        snprintf(hostname, sizeof hostname, "node%u", host);
        if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(125);
        if (unshare(CLONE_NEWUTS) != 0 || sethostname(hostname, strlen(hostname)) != 0) _exit(124);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(errfd, STDERR_FILENO) < 0)
            _exit(123);
        setpgid(0, 0); /* a Ctrl-C at the terminal reaches the testbed, which stops the daemons itself */
        execv(argv[0], argv);
        _exit(127);
    }
    int saved = errno;
    close(ns_fd);
    close(out);
    close(errfd);
    if (pid < 0) {
        snprintf(err, err_cap, "testbed: fork: %s", strerror(saved));
        return -1;
    }
    return pid;
}

/* Opens a TUN device named eth0 inside namespace ns (we step in and back
 * out); the descriptor, non-blocking, or -1. */
static int tun_in_namespace(const char *ns, char *err, size_t err_cap) {
    char path[96];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int there = open(path, O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) != 0) {
        snprintf(err, err_cap, "testbed: entering %s: %s", ns, strerror(errno));
    } else {
        fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "eth0");
        if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) {
            snprintf(err, err_cap, "testbed: a TUN device in %s: %s", ns, strerror(errno));
            if (fd >= 0) close(fd);
            fd = -1;
        }
        if (setns(home, CLONE_NEWNET) != 0) {
            /* We cannot get back: nothing after this may run in the wrong namespace. */
            fprintf(stderr, "testbed: cannot return to our own network namespace: %s\n", strerror(errno));
            abort();
        }
    }
    if (home >= 0) close(home);
    if (there >= 0) close(there);
    return fd;
}

int testbed_net_create_host_tun(pid_t owner, uint32_t host, int *tun_fd, char *err, size_t err_cap) {
    char ns[TESTBED_NAME_MAX], address[32], cidr[40];
    testbed_net_ns_name(owner, host, ns, sizeof ns);
    testbed_net_address(host, address, sizeof address);
    snprintf(cidr, sizeof cidr, "%s/16", address);
    const char *add[] = {"ip", "netns", "add", ns, NULL};
    if (must(add, err, err_cap) != 0) return -1;
    *tun_fd = tun_in_namespace(ns, err, err_cap);
    if (*tun_fd < 0) return -1;
    const char *addr[] = {"ip", "-n", ns, "addr", "add", cidr, "dev", "eth0", NULL};
    const char *eth_up[] = {"ip", "-n", ns, "link", "set", "eth0", "up", NULL};
    const char *lo_up[] = {"ip", "-n", ns, "link", "set", "lo", "up", NULL};
    const char *const *steps[] = {addr, eth_up, lo_up};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (must(steps[i], err, err_cap) != 0) return -1;
    return 0;
}
