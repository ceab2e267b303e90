/*
 * vessel-portwait: wait, without using CPU, until the host side of a
 * virtio-serial port is connected again.
 *
 * The guest agent keeps its port open for the VM's life (closing it makes the
 * kernel discard what the host already sent). While no host is connected a
 * read returns 0 at once, and poll() reports POLLHUP at once, so neither can
 * block; the agent used to re-read every 20 ms, which costs an idle TCG VM
 * about a seventh of a host core. The port's wait queue is woken when the
 * host opens or closes its end (drivers/char/virtio_console.c,
 * handle_control_message, VIRTIO_CONSOLE_PORT_OPEN) and when data arrives, so
 * an edge-triggered epoll on the port blocks until one of those happens.
 *
 * The port is this process's stdin (inherited from the agent: no second open,
 * which the driver refuses). Exit 0 when the host is connected (poll shows no
 * POLLHUP), 2 on an error. It dies with the agent (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 2; /* the agent is already gone */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("vessel-portwait: epoll_create1");
    return 2;
  }
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLET, .data = { .fd = 0 } };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
    perror("vessel-portwait: epoll_ctl");
    return 2;
  }
  for (;;) {
    /* Checked after the epoll registration: a connect from here on wakes the wait below. */
    struct pollfd p = { .fd = 0, .events = POLLIN };
    if (poll(&p, 1, 0) < 0) {
      if (errno == EINTR) continue;
      perror("vessel-portwait: poll");
      return 2;
    }
    if (p.revents & POLLNVAL) return 2;
    if (!(p.revents & POLLHUP)) return 0;
    /* The first wait returns at once (the registration's own edge); later ones on a change of the port. */
    struct epoll_event out;
    if (epoll_wait(ep, &out, 1, -1) < 0 && errno != EINTR) {
      perror("vessel-portwait: epoll_wait");
      return 2;
    }
  }
}
