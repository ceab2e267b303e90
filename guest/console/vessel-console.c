/*
 * vessel-console: gives a container process a real controlling terminal.
 *
 * crun allocates the container's pty itself (process.terminal = true, so the
 * process gets it as its controlling terminal: job control works) and hands
 * the master end to whoever listens on --console-socket, as SCM_RIGHTS.
 * Node cannot receive file descriptors, so the agent runs this helper on a
 * pty of its own (node-pty) instead:
 *
 *   vessel-console SOCKET CRUN ARGS...      (ARGS include --console-socket SOCKET)
 *
 * It listens on SOCKET, runs crun, receives the master, then relays bytes
 * between its own terminal (raw mode) and the master, copies its window size
 * to the master at start and on every SIGWINCH (the agent resizes its pty),
 * and exits with crun's status (128 + n for a signal) once crun has exited
 * and the container's side of the terminal is closed.
 *
 * Built statically by the image builder (guest/build/console.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t winch = 1;
static volatile sig_atomic_t child_done = 0;

static void on_winch(int sig) { (void)sig; winch = 1; }
static void on_chld(int sig) { (void)sig; child_done = 1; }

static int status_of(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;
}

static int receive_fd(int conn) {
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
  char name[4096];
  /* crun sends the pty's name as data; a larger buffer avoids truncating the message. */
  iov.iov_base = name;
  iov.iov_len = sizeof(name);
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof(fd));
      return fd;
    }
  }
  errno = EPROTO;
  return -1;
}

static int write_all(int fd, const char *p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { struct pollfd pf = { .fd = fd, .events = POLLOUT }; poll(&pf, 1, 100); continue; }
      return -1;
    }
    p += w;
    n -= w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: vessel-console SOCKET CRUN ARGS...\n");
    return 125;
  }
  const char *path = argv[1];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path)) { fprintf(stderr, "vessel-console: socket path too long\n"); return 125; }
  strcpy(addr.sun_path, path);
  unlink(path);
  int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lsock, 1) < 0) {
    perror("vessel-console: console socket");
    return 125;
  }

  struct sigaction sa = { 0 };
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);

  pid_t child = fork();
  if (child < 0) { perror("vessel-console: fork"); return 125; }
  if (child == 0) {
    signal(SIGWINCH, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    execv(argv[2], argv + 2);
    perror("vessel-console: exec");
    _exit(127);
  }

  /* Wait for crun to hand over the master, or to fail first. */
  int master = -1;
  int status = 0;
  int reaped = 0;
  for (;;) {
    struct pollfd pf = { .fd = lsock, .events = POLLIN };
    int r = poll(&pf, 1, 200);
    if (r > 0) {
      int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        master = receive_fd(conn);
        close(conn);
        if (master >= 0) break;
      }
    }
    if (waitpid(child, &status, WNOHANG) == child) { reaped = 1; break; }
  }
  close(lsock);
  unlink(path);
  if (master < 0) return reaped ? status_of(status) : 125;

  struct termios saved, raw;
  int have_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (have_tty) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }

  char buf[65536];
  int in_open = 1;
  for (;;) {
    if (winch) {
      winch = 0;
      struct winsize ws;
      if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    }
    if (!reaped && child_done && waitpid(child, &status, WNOHANG) == child) reaped = 1;
    struct pollfd pf[2] = { { .fd = master, .events = POLLIN }, { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
    int r = poll(pf, 2, reaped ? 50 : 500);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pf[0].revents & POLLIN) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n > 0) { if (write_all(STDOUT_FILENO, buf, n) < 0) break; continue; }
      if (n < 0 && errno == EINTR) continue;
      break; /* EIO: every slave end is closed */
    }
    if (pf[0].revents & (POLLHUP | POLLERR)) break;
    if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n > 0) write_all(master, buf, n);
      else if (n == 0 || errno != EINTR) in_open = 0;
    }
    /* crun is gone and nothing is left to read: done. */
    if (reaped && r == 0) break;
  }
  if (!reaped) waitpid(child, &status, 0);
  if (have_tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return status_of(status);
}
