/*
 * vessel-shutrd: shut down the reading side of the socket on stdin.
 *
 * When the host's reader of a process's output is gone for good (the user's
 * `vessel exec … | head` has closed its pipe), the agent ends that output as
 * a closed pipe would: the process's writes fail with EPIPE and raise
 * SIGPIPE. Closing the agent's end of the socket does not do that: a unix
 * socket closed with unread bytes queued resets its peer, whose writes then
 * fail with ECONNRESET and no signal, so a shell loop of `echo` would carry on
 * for ever. shutdown(SHUT_RD) does (net/unix/af_unix.c: the peer is marked
 * SEND_SHUTDOWN). One difference from a pipe remains: a write that was
 * blocked for room at that moment fails with EPIPE alone (the kernel's
 * socket allocation path sends no signal); the writes after it raise
 * SIGPIPE. node has no call for shutdown(SHUT_RD).
 *
 * The socket is this process's stdin (the agent's end, inherited). Exit 0 on
 * success, 2 on an error.
 */
#include <stdio.h>
#include <sys/socket.h>

int main(void) {
  if (shutdown(0, SHUT_RD) < 0) {
    perror("vessel-shutrd: shutdown");
    return 2;
  }
  return 0;
}
