/*
 * vessel-spawner: starts processes in a running container without a
 * `crun exec` start-up per process (issue 10, item 4).
 *
 *   vessel-spawner INIT_PID CGROUP_DIR
 *
 * One per container, started by the agent (guest/agent/spawner.ts) in the
 * guest's own namespaces. At start it opens INIT_PID's namespaces
 * (/proc/PID/ns/{mnt,net,ipc,uts,cgroup}: those that differ from its own) and
 * joins its pid (and time) namespace for its children, so every fork lands in
 * the container's pid namespace as a child of this process (which reaps it).
 * For each request the child then does what `crun exec` does to its process
 * (crun's libcrun_join_process + exec_process_entrypoint): setsid, join the
 * container's cgroup, setns into the namespaces, rlimits, environment (HOME
 * from the container's /etc/passwd when unset), chdir, PATH look-up of the
 * program, setgroups, bounding set drop, KEEPCAPS + setresgid + setresuid,
 * capset (effective/permitted/inheritable), ambient set, no_new_privs, umask,
 * default signal dispositions and mask, execve. What it does not do (TTYs,
 * seccomp, AppArmor/SELinux, user namespaces, personality, scheduler): the
 * agent sends those to `crun exec`.
 *
 * Protocol. Requests on stdin, one frame each: a 4-byte little-endian payload
 * length (at most MAX_FRAME), then key\0value\0 pairs:
 *   tok N        request token (decimal, required, > 0)
 *   io PATH      the agent's unix socket for stdio (required): the spawner
 *                connects three times, writes "TOK FD\n" on each, and gives
 *                the child those sockets as fd 0, 1, 2 (no byte relayed here)
 *   uid N, gid N (required)      group N (repeated: additional gids)
 *   bnd/eff/prm/inh/amb HEX      capability sets as 64-bit masks (required)
 *   nnp 0|1      no_new_privs     umask OCTAL (optional)
 *   rlimit "RES SOFT HARD" (repeated; decimal)
 *   cwd PATH (required)  env K=V (repeated)  arg A (repeated, at least one)
 * Replies on stdout, one line each:
 *   S TOK PID          started (PID in the guest's pid namespace)
 *   F TOK MESSAGE      this request failed; nothing runs
 *   X TOK STATUS SIG   the process ended (exit status, or the signal that killed it)
 *   E MESSAGE          a frame that could not be read as a request
 *   R PID              (first line) ready; or E MESSAGE and exit when the
 *                      container's namespaces cannot be opened or joined
 * A bad frame is answered and skipped (an oversized one is read and dropped,
 * never held); a frame cut short by end of input ends the spawner with an E
 * line. End of input (the agent went away) ends it too.
 *
 * Built statically by the image builder (guest/build/spawner.ts).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define MAX_FRAME (1024 * 1024)
#define MAX_ARGS 4096
#define MAX_ENV 4096
#define MAX_GROUPS 256
#define MAX_RLIMITS 32
#define MAX_CHILDREN 4096

struct ns { const char *name; int type; int fd; };
static struct ns nss[] = {
  { "mnt", CLONE_NEWNS, -1 }, { "net", CLONE_NEWNET, -1 }, { "ipc", CLONE_NEWIPC, -1 },
  { "uts", CLONE_NEWUTS, -1 }, { "cgroup", CLONE_NEWCGROUP, -1 },
};
#define NNS (sizeof nss / sizeof nss[0])

static char cgroup_procs[4096];
/* The container's cgroup directory: children are created in it (clone3 CLONE_INTO_CGROUP). -1: join by cgroup.procs. */
static int cgroup_dir_fd = -1;

/* clone3's arguments (linux/sched.h; spelled out here: glibc's <sched.h> clashes with the kernel header). */
struct vessel_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define VESSEL_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/*
 * fork() straight into the container's cgroup. Joining it afterwards by
 * writing cgroup.procs takes the cgroup threadgroup lock for writing, which
 * waits for an RCU grace period: tens of ms per exec under TCG. Sets *joined
 * when the child starts in the cgroup; falls back to fork() (a kernel before
 * 5.7, or a cgroup directory that is not one, as in the host unit test).
 */
static pid_t fork_into_cgroup(int *joined) {
  *joined = 0;
  if (cgroup_dir_fd >= 0) {
    struct vessel_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = VESSEL_CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cgroup_dir_fd;
    long pid = syscall(SYS_clone3, &a, sizeof a);
    if (pid >= 0) {
      *joined = 1;
      return (pid_t)pid;
    }
    if (errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EBADF && errno != EOPNOTSUPP) return -1;
    close(cgroup_dir_fd);
    cgroup_dir_fd = -1;
  }
  return fork();
}
static int cap_last = 40;

struct child { pid_t pid; unsigned long long tok; };
static struct child children[MAX_CHILDREN];
static size_t nchildren;

struct req {
  unsigned long long tok;
  const char *io, *cwd;
  long long uid, gid;
  int have_umask; unsigned umask_v;
  int nnp;
  int have_caps;
  unsigned long long caps[5]; /* bnd eff prm inh amb */
  gid_t groups[MAX_GROUPS]; size_t ngroups;
  struct { int res; struct rlimit lim; } rl[MAX_RLIMITS]; size_t nrl;
  char *argv[MAX_ARGS + 1]; size_t nargs;
  char *envp[MAX_ENV + 2]; size_t nenv;
};

static void reply(const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  for (int i = 0; i < n; i++) if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  line[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(1, line + off, (size_t)(n - off));
    if (w < 0) { if (errno == EINTR) continue; _exit(3); }
    off += (int)w;
  }
}

/* Reads exactly n bytes; returns bytes read (< n only at end of input). */
static size_t read_full(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0) { if (errno == EINTR) continue; return got; }
    if (r == 0) return got;
    got += (size_t)r;
  }
  return got;
}

static int parse_u64(const char *s, int base, unsigned long long max, unsigned long long *out) {
  if (!*s || (base == 10 && !isdigit((unsigned char)*s)) || (base == 16 && !isxdigit((unsigned char)*s))) return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, base);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

/* Parses a frame's key/value pairs into r; on error writes a message to err. */
static int parse_req(char *p, size_t len, struct req *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  r->uid = r->gid = -1;
  r->nnp = -1;
  int seen_caps = 0;
  size_t off = 0;
  while (off < len) {
    char *key = p + off;
    char *kend = memchr(key, '\0', len - off);
    if (!kend) { snprintf(err, errlen, "field name not NUL-terminated at byte %zu", off); return -1; }
    off = (size_t)(kend - p) + 1;
    if (off >= len) { snprintf(err, errlen, "field %.40s has no value", key); return -1; }
    char *val = p + off;
    char *vend = memchr(val, '\0', len - off);
    if (!vend) { snprintf(err, errlen, "value of %.40s not NUL-terminated", key); return -1; }
    off = (size_t)(vend - p) + 1;
    unsigned long long v;
    if (!strcmp(key, "tok")) {
      if (r->tok || parse_u64(val, 10, 1ULL << 53, &v) || v == 0) { snprintf(err, errlen, "bad or repeated tok"); return -1; }
      r->tok = v;
    } else if (!strcmp(key, "io")) {
      if (r->io || !*val || strlen(val) >= sizeof(((struct sockaddr_un *)0)->sun_path)) { snprintf(err, errlen, "bad or repeated io path"); return -1; }
      r->io = val;
    } else if (!strcmp(key, "cwd")) {
      if (r->cwd || val[0] != '/') { snprintf(err, errlen, "cwd must be one absolute path"); return -1; }
      r->cwd = val;
    } else if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
      long long *dst = key[0] == 'u' ? &r->uid : &r->gid;
      if (*dst >= 0 || parse_u64(val, 10, 0xfffffffeULL, &v)) { snprintf(err, errlen, "bad or repeated %s", key); return -1; }
      *dst = (long long)v;
    } else if (!strcmp(key, "group")) {
      if (r->ngroups >= MAX_GROUPS || parse_u64(val, 10, 0xfffffffeULL, &v)) { snprintf(err, errlen, "bad group or more than %d", MAX_GROUPS); return -1; }
      r->groups[r->ngroups++] = (gid_t)v;
    } else if (!strcmp(key, "bnd") || !strcmp(key, "eff") || !strcmp(key, "prm") || !strcmp(key, "inh") || !strcmp(key, "amb")) {
      static const char *names[5] = { "bnd", "eff", "prm", "inh", "amb" };
      int i = 0;
      while (strcmp(names[i], key)) i++;
      if ((seen_caps & (1 << i)) || parse_u64(val, 16, ~0ULL, &v)) { snprintf(err, errlen, "bad or repeated %s", key); return -1; }
      seen_caps |= 1 << i;
      r->caps[i] = v;
    } else if (!strcmp(key, "nnp")) {
      if (r->nnp >= 0 || (strcmp(val, "0") && strcmp(val, "1"))) { snprintf(err, errlen, "nnp must be 0 or 1"); return -1; }
      r->nnp = val[0] == '1';
    } else if (!strcmp(key, "umask")) {
      if (r->have_umask || parse_u64(val, 8, 0777, &v)) { snprintf(err, errlen, "bad or repeated umask"); return -1; }
      r->have_umask = 1;
      r->umask_v = (unsigned)v;
    } else if (!strcmp(key, "rlimit")) {
      unsigned long long res, soft, hard;
      char a[24], b[24], c[24];
      if (r->nrl >= MAX_RLIMITS || sscanf(val, "%23s %23s %23s", a, b, c) != 3 || parse_u64(a, 10, 64, &res)
          || parse_u64(b, 10, ~0ULL, &soft) || parse_u64(c, 10, ~0ULL, &hard) || soft > hard) {
        snprintf(err, errlen, "bad rlimit \"%.60s\" (RES SOFT HARD, soft <= hard)", val);
        return -1;
      }
      r->rl[r->nrl].res = (int)res;
      r->rl[r->nrl].lim.rlim_cur = (rlim_t)soft;
      r->rl[r->nrl].lim.rlim_max = (rlim_t)hard;
      r->nrl++;
    } else if (!strcmp(key, "env")) {
      if (r->nenv >= MAX_ENV || !strchr(val, '=') || val[0] == '=') { snprintf(err, errlen, "bad env entry or more than %d", MAX_ENV); return -1; }
      r->envp[r->nenv++] = val;
    } else if (!strcmp(key, "arg")) {
      if (r->nargs >= MAX_ARGS) { snprintf(err, errlen, "more than %d args", MAX_ARGS); return -1; }
      r->argv[r->nargs++] = val;
    } else {
      snprintf(err, errlen, "unknown field %.40s", key);
      return -1;
    }
  }
  const char *missing = !r->tok ? "tok" : !r->io ? "io" : !r->cwd ? "cwd" : r->uid < 0 ? "uid" : r->gid < 0 ? "gid"
    : seen_caps != 0x1f ? "a capability set (bnd, eff, prm, inh, amb)" : r->nnp < 0 ? "nnp" : !r->nargs ? "arg" : NULL;
  if (missing) { snprintf(err, errlen, "missing field %s", missing); return -1; }
  r->argv[r->nargs] = NULL;
  r->envp[r->nenv] = NULL;
  return 0;
}

static int connect_io(const char *path, unsigned long long tok, int which) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
  char hdr[48];
  int n = snprintf(hdr, sizeof hdr, "%llu %d\n", tok, which);
  if (write(fd, hdr, (size_t)n) != n) { int e = errno; close(fd); errno = e ? e : EIO; return -1; }
  return fd;
}

/* In the child: report `what: errno` on the error pipe and exit 127. */
static void die(int errfd, const char *fmt, ...) {
  int e = errno;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (e) n += snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(e));
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  if (write(errfd, msg, (size_t)n) < 0) { /* nothing more to do */ }
  _exit(127);
}

static const char *env_get(struct req *r, const char *name) {
  size_t l = strlen(name);
  for (size_t i = 0; i < r->nenv; i++) if (!strncmp(r->envp[i], name, l) && r->envp[i][l] == '=') return r->envp[i] + l + 1;
  return NULL;
}

/* HOME of uid from the container's /etc/passwd, as crun's set_home_env; "/" when none. */
static void add_home(struct req *r, uid_t uid, char *buf, size_t buflen) {
  const char *home = "/";
  FILE *f = fopen("/etc/passwd", "re");
  static char line[4096];
  if (f) {
    while (fgets(line, sizeof line, f)) {
      char *fields[7];
      int nf = 0;
      char *s = line;
      line[strcspn(line, "\n")] = '\0';
      while (nf < 7) { fields[nf++] = s; s = strchr(s, ':'); if (!s) break; *s++ = '\0'; }
      unsigned long long u;
      if (nf >= 6 && !parse_u64(fields[2], 10, 0xffffffffULL, &u) && u == uid) { home = fields[5]; break; }
    }
    fclose(f);
  }
  snprintf(buf, buflen, "HOME=%s", home);
  r->envp[r->nenv++] = buf;
  r->envp[r->nenv] = NULL;
}

static int exec_ok(const char *p) {
  struct stat st;
  if (stat(p, &st) < 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EACCES;
  if (access(p, X_OK) < 0) return -errno;
  return 0;
}

/* The program's path as crun's find_executable finds it (PATH of the new environment). */
static char *find_program(struct req *r, const char *cwd, int errfd) {
  static char found[8192];
  const char *prog = r->argv[0];
  if (!*prog) { errno = ENOENT; die(errfd, "cannot find `` in $PATH"); }
  if (prog[0] != '/' && strchr(prog, '/')) {
    int w = snprintf(found, sizeof found, "/%s/%s", cwd, prog);
    if (w < 0 || (size_t)w >= sizeof found) { errno = ENAMETOOLONG; die(errfd, "exec `%s`", prog); }
    prog = found;
  }
  if (prog[0] == '/') {
    int e = exec_ok(prog);
    if (e) { errno = -e; die(errfd, "exec `%s`", prog); }
    return (char *)prog;
  }
  const char *path = env_get(r, "PATH");
  if (!path) { errno = ENOENT; die(errfd, "executable file `%s` not found in $PATH", prog); }
  int last = -ENOENT;
  for (const char *it = path;;) {
    const char *end = strchr(it, ':');
    size_t l = end ? (size_t)(end - it) : strlen(it);
    int w = l == 0 ? snprintf(found, sizeof found, "./%s", prog) : snprintf(found, sizeof found, "%.*s/%s", (int)l, it, prog);
    int e = w > 0 && (size_t)w < sizeof found ? exec_ok(found) : -ENAMETOOLONG;
    if (e == 0) return found;
    if (e != -ENOENT) last = e;
    if (!end) break;
    it = end + 1;
  }
  errno = -last;
  die(errfd, "executable file `%s` not found in $PATH", prog);
  return NULL;
}

static void run_child(struct req *r, int io[3], int errfd, int in_cgroup) {
  /* Default signal dispositions and an empty mask, as a fresh process has. */
  sigset_t none;
  sigemptyset(&none);
  for (int s = 1; s < NSIG; s++) if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);

  if (setsid() < 0) die(errfd, "setsid");
  if (!in_cgroup) {
    int cg = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
    if (cg < 0) die(errfd, "open %s", cgroup_procs);
    if (write(cg, "0", 1) != 1) die(errfd, "join cgroup %s", cgroup_procs);
    close(cg);
  }
  for (size_t i = 0; i < NNS; i++) if (nss[i].fd >= 0 && setns(nss[i].fd, nss[i].type) < 0) die(errfd, "setns %s", nss[i].name);
  for (size_t i = 0; i < r->nrl; i++) if (setrlimit(r->rl[i].res, &r->rl[i].lim) < 0) die(errfd, "setrlimit %d", r->rl[i].res);

  static char home[4200];
  if (!env_get(r, "HOME")) add_home(r, (uid_t)r->uid, home, sizeof home);
  int chdir_done = chdir(r->cwd) == 0;
  char *prog = find_program(r, r->cwd, errfd);

  if (setgroups(r->ngroups, r->groups) < 0) die(errfd, "setgroups");
  for (int c = 0; c <= cap_last; c++)
    if (!(r->caps[0] & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) die(errfd, "prctl drop bounding");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die(errfd, "prctl set KEEPCAPS");
  if (setresgid((gid_t)r->gid, (gid_t)r->gid, (gid_t)r->gid) < 0) die(errfd, "setresgid to `%lld`", r->gid);
  if (setresuid((uid_t)r->uid, (uid_t)r->uid, (uid_t)r->uid) < 0) die(errfd, "setresuid to `%lld`", r->uid);
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(r->caps[1] >> (32 * i));
    data[i].permitted = (uint32_t)(r->caps[2] >> (32 * i));
    data[i].inheritable = (uint32_t)(r->caps[3] >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) die(errfd, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM) die(errfd, "prctl reset ambient");
  for (int c = 0; c <= cap_last; c++)
    if ((r->caps[4] & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EINVAL && errno != EPERM) die(errfd, "prctl ambient raise");
  if (r->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(errfd, "prctl set no new privs");
  if (!chdir_done && chdir(r->cwd) < 0) die(errfd, "chdir `%s`", r->cwd);
  if (r->have_umask) umask(r->umask_v);

  for (int i = 0; i < 3; i++) if (dup2(io[i], i) < 0) die(errfd, "dup2");
  execve(prog, r->argv, r->envp);
  die(errfd, "exec `%s`", prog);
}

/* Runs one request; replies S or F. */
static void spawn_one(struct req *r) {
  if (nchildren >= MAX_CHILDREN) { reply("F %llu more than %d processes running", r->tok, MAX_CHILDREN); return; }
  int io[3] = { -1, -1, -1 };
  for (int i = 0; i < 3; i++) {
    io[i] = connect_io(r->io, r->tok, i);
    if (io[i] < 0) {
      reply("F %llu cannot connect to %s: %s", r->tok, r->io, strerror(errno));
      for (int j = 0; j < i; j++) close(io[j]);
      return;
    }
  }
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0) { reply("F %llu pipe: %s", r->tok, strerror(errno)); goto out; }
  int in_cgroup;
  pid_t pid = fork_into_cgroup(&in_cgroup);
  if (pid < 0) { reply("F %llu fork: %s", r->tok, strerror(errno)); close(ep[0]); close(ep[1]); goto out; }
  if (pid == 0) {
    close(ep[0]);
    run_child(r, io, ep[1], in_cgroup);
    _exit(127);
  }
  close(ep[1]);
  char msg[1100];
  size_t n = read_full(ep[0], msg, sizeof msg - 1);
  close(ep[0]);
  if (n > 0) {
    msg[n] = '\0';
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    reply("F %llu %s", r->tok, msg);
  } else {
    children[nchildren].pid = pid;
    children[nchildren].tok = r->tok;
    nchildren++;
    reply("S %llu %d", r->tok, (int)pid);
  }
out:
  for (int i = 0; i < 3; i++) close(io[i]);
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (size_t i = 0; i < nchildren; i++) {
      if (children[i].pid != pid) continue;
      if (WIFSIGNALED(st)) reply("X %llu %d %d", children[i].tok, 128 + WTERMSIG(st), WTERMSIG(st));
      else reply("X %llu %d 0", children[i].tok, WEXITSTATUS(st));
      children[i] = children[--nchildren];
      break;
    }
  }
}

static int same_ns(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static int open_namespaces(const char *pid) {
  char p[128], self[128];
  for (size_t i = 0; i < NNS; i++) {
    snprintf(p, sizeof p, "/proc/%s/ns/%s", pid, nss[i].name);
    snprintf(self, sizeof self, "/proc/self/ns/%s", nss[i].name);
    if (access(p, F_OK) < 0 && errno == ENOENT && access(self, F_OK) < 0) continue; /* kernel without it */
    if (same_ns(p, self)) continue;
    nss[i].fd = open(p, O_RDONLY | O_CLOEXEC);
    if (nss[i].fd < 0) { reply("E cannot open %s: %s", p, strerror(errno)); return -1; }
  }
  snprintf(p, sizeof p, "/proc/%s/ns/user", pid);
  if (access(p, F_OK) == 0 && !same_ns(p, "/proc/self/ns/user")) { reply("E the container has its own user namespace: not supported (use crun exec)"); return -1; }
  static const struct { const char *name, *self; int type; } kids[] = {
    { "pid", "/proc/self/ns/pid_for_children", CLONE_NEWPID },
    { "time", "/proc/self/ns/time_for_children", CLONE_NEWTIME },
  };
  for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++) {
    snprintf(p, sizeof p, "/proc/%s/ns/%s", pid, kids[i].name);
    if (access(p, F_OK) < 0 || same_ns(p, kids[i].self)) continue;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, kids[i].type) < 0) { reply("E cannot join %s: %s", p, strerror(errno)); return -1; }
    close(fd);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: vessel-spawner INIT_PID CGROUP_DIR\n"); return 2; }
  unsigned long long pid;
  if (parse_u64(argv[1], 10, 0x7fffffff, &pid) || pid == 0) { reply("E bad init pid %.40s", argv[1]); return 2; }
  if (argv[2][0] != '/' || snprintf(cgroup_procs, sizeof cgroup_procs, "%s/cgroup.procs", argv[2]) >= (int)sizeof cgroup_procs) { reply("E bad cgroup dir"); return 2; }
  cgroup_dir_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) { if (fscanf(f, "%d", &cap_last) != 1 || cap_last < 0 || cap_last > 63) cap_last = 40; fclose(f); }
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) { reply("E signalfd: %s", strerror(errno)); return 2; }
  if (open_namespaces(argv[1]) < 0) return 2;
  reply("R %d", (int)getpid());

  static char buf[MAX_FRAME];
  for (;;) {
    struct pollfd pf[2] = { { .fd = 0, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
    if (poll(pf, 2, -1) < 0) { if (errno == EINTR) continue; return 3; }
    if (pf[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {}
      reap();
    }
    if (!pf[0].revents) continue;
    unsigned char lenb[4];
    size_t got = read_full(0, lenb, 4);
    if (got == 0) return 0; /* the agent closed the channel */
    if (got < 4) { reply("E truncated frame: %zu of 4 length bytes", got); return 1; }
    size_t len = (size_t)lenb[0] | (size_t)lenb[1] << 8 | (size_t)lenb[2] << 16 | (size_t)lenb[3] << 24;
    if (len > MAX_FRAME) {
      reply("E frame of %zu bytes is over the %d-byte limit: dropped", len, MAX_FRAME);
      for (size_t left = len; left > 0;) {
        size_t want = left < sizeof buf ? left : sizeof buf;
        size_t n = read_full(0, buf, want);
        if (n < want) { reply("E truncated frame: input ended inside an oversized frame"); return 1; }
        left -= n;
      }
      continue;
    }
    got = read_full(0, buf, len);
    if (got < len) { reply("E truncated frame: %zu of %zu payload bytes", got, len); return 1; }
    static struct req r;
    char err[256];
    if (parse_req(buf, len, &r, err, sizeof err) < 0) {
      if (r.tok) reply("F %llu bad request: %s", r.tok, err);
      else reply("E bad request: %s", err);
      continue;
    }
    spawn_one(&r);
  }
}
