// vessel-tapfd: the two things Node cannot do for QEMU networking.
//
//   vessel-tapfd exec [--netns PATH] [--tap NAME | --tapdev DEV]... -- PROGRAM ARGS...
//     Enter the network namespace PATH, open each existing tap NAME
//     (TUNSETIFF: IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), or each macvtap character
//     device DEV, as fds 3, 4, ... in order, then exec PROGRAM (QEMU) inside
//     the namespace with those fds open.
//
//   vessel-tapfd sendfd --netns PATH --tap NAME --socket QMP --fdname ID
//     Enter PATH, open tap NAME, connect to QEMU's QMP socket and hand the
//     fd over with `getfd` (SCM_RIGHTS). QEMU keeps named fds per monitor,
//     across client connections, so the driver's own QMP session can use
//     it next (netdev_add fd=ID). Prints QEMU's reply; exit 0 on success.
//
// Node has no ioctl(2) and no SCM_RIGHTS, hence this file. It is compiled on
// first use (core/hypervisor/qemu/tapfd.ts); keep it small.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_TAPS 16
#define FIRST_FD 3

static void die(const char *what, const char *arg) {
  fprintf(stderr, "vessel-tapfd: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: vessel-tapfd exec [--netns PATH] [--tap NAME]... -- PROGRAM ARGS...\n"
                  "       vessel-tapfd sendfd --netns PATH --tap NAME --socket QMP --fdname ID\n");
  exit(2);
}

static void enter_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("cannot open network namespace", path);
  if (setns(fd, CLONE_NEWNET) != 0) die("cannot enter network namespace", path);
  close(fd);
}

static int open_tapdev(const char *path) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) die("cannot open macvtap device", path);
  return fd;
}

static int open_tap(const char *name) {
  struct ifreq ifr;
  if (strlen(name) >= IFNAMSIZ) {
    errno = ENAMETOOLONG;
    die("tap name too long", name);
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) die("cannot open", "/dev/net/tun");
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) die("cannot attach to tap", name);
  return fd;
}

/** Reads one line (up to \n) from fd into buf; returns its length, -1 on EOF. */
static int read_line(int fd, char *buf, size_t size) {
  size_t n = 0;
  while (n + 1 < size) {
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    if (c == '\n') break;
    buf[n++] = c;
  }
  buf[n] = '\0';
  return (int)n;
}

/** Reads lines until a command reply (skips asynchronous events). */
static int read_reply(int fd, char *buf, size_t size) {
  for (;;) {
    if (read_line(fd, buf, size) < 0) return -1;
    if (strstr(buf, "\"return\"") || strstr(buf, "\"error\"")) return 0;
  }
}

static void send_all(int fd, const char *s, int passfd) {
  struct iovec iov = { .iov_base = (void *)s, .iov_len = strlen(s) };
  struct msghdr msg;
  char control[CMSG_SPACE(sizeof(int))];
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (passfd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
  }
  if (sendmsg(fd, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len) die("cannot write to", "QMP");
}

static int valid_id(const char *s) {
  if (!*s || strlen(s) > 64) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

static int cmd_sendfd(int argc, char **argv) {
  const char *netns = NULL, *tap = NULL, *tapdev = NULL, *sock = NULL, *fdname = NULL;
  for (int i = 0; i < argc; i++) {
    if (i + 1 >= argc) usage();
    if (!strcmp(argv[i], "--netns")) netns = argv[++i];
    else if (!strcmp(argv[i], "--tap")) tap = argv[++i];
    else if (!strcmp(argv[i], "--tapdev")) tapdev = argv[++i];
    else if (!strcmp(argv[i], "--socket")) sock = argv[++i];
    else if (!strcmp(argv[i], "--fdname")) fdname = argv[++i];
    else usage();
  }
  if ((!tap && !tapdev) || !sock || !fdname) usage();
  if (!valid_id(fdname)) {
    fprintf(stderr, "vessel-tapfd: invalid fd name %s\n", fdname);
    return 2;
  }
  if (netns) enter_netns(netns);
  int tapfd = tapdev ? open_tapdev(tapdev) : open_tap(tap);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(sock) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    die("socket path too long", sock);
  }
  strcpy(addr.sun_path, sock);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket", NULL);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) die("cannot connect to", sock);
  char line[4096];
  if (read_line(s, line, sizeof line) < 0) die("no QMP greeting on", sock);
  send_all(s, "{\"execute\":\"qmp_capabilities\"}\n", -1);
  if (read_reply(s, line, sizeof line) < 0 || !strstr(line, "\"return\"")) {
    fprintf(stderr, "vessel-tapfd: qmp_capabilities failed: %s\n", line);
    return 1;
  }
  char cmd[256];
  snprintf(cmd, sizeof cmd, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"%s\"}}\n", fdname);
  send_all(s, cmd, tapfd);
  if (read_reply(s, line, sizeof line) < 0) die("no reply to getfd on", sock);
  printf("%s\n", line);
  return strstr(line, "\"return\"") ? 0 : 1;
}

static int cmd_exec(int argc, char **argv) {
  const char *netns = NULL;
  const char *taps[MAX_TAPS];
  int isdev[MAX_TAPS];
  int ntaps = 0, i = 0;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (i + 1 >= argc) usage();
    if (!strcmp(argv[i], "--netns")) netns = argv[++i];
    else if (!strcmp(argv[i], "--tap") || !strcmp(argv[i], "--tapdev")) {
      if (ntaps == MAX_TAPS) usage();
      isdev[ntaps] = !strcmp(argv[i], "--tapdev");
      taps[ntaps++] = argv[++i];
    } else usage();
  }
  if (i >= argc) usage();
  if (netns) enter_netns(netns);
  // Open every tap first (above the target range), then move them down, so
  // an opened fd never lands on a slot another one needs.
  int fds[MAX_TAPS];
  for (int t = 0; t < ntaps; t++) {
    int fd = isdev[t] ? open_tapdev(taps[t]) : open_tap(taps[t]);
    fds[t] = fcntl(fd, F_DUPFD_CLOEXEC, FIRST_FD + MAX_TAPS);
    if (fds[t] < 0) die("dup", taps[t]);
    close(fd);
  }
  for (int t = 0; t < ntaps; t++) {
    if (dup2(fds[t], FIRST_FD + t) < 0) die("dup2", taps[t]);  // dup2 clears FD_CLOEXEC
    close(fds[t]);
  }
  execvp(argv[i], &argv[i]);
  die("cannot run", argv[i]);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  if (!strcmp(argv[1], "exec")) return cmd_exec(argc - 2, argv + 2);
  if (!strcmp(argv[1], "sendfd")) return cmd_sendfd(argc - 2, argv + 2);
  usage();
  return 2;
}
