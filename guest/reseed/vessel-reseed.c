/*
 * vessel-reseed: give the guest kernel host entropy and reseed its CRNG.
 *
 * A clone of a VM template (or a fork of a checkpoint) starts with exactly
 * the RNG state of its template: every clone would hand out the same
 * /dev/urandom bytes. Writing to /dev/urandom only mixes bytes into the input
 * pool; crediting them needs RNDADDENTROPY and using them at once needs
 * RNDRESEEDCRNG, both ioctls Node cannot make. Reads up to 4096 bytes of
 * entropy from stdin, credits 8 bits per byte, reseeds. Exit 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_BYTES 4096

int main(void) {
  struct {
    struct rand_pool_info info;
    unsigned char buf[MAX_BYTES];
  } req;
  size_t n = 0;
  while (n < MAX_BYTES) {
    ssize_t got = read(0, req.buf + n, MAX_BYTES - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      perror("vessel-reseed: read");
      return 1;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (n < 16) {
    fprintf(stderr, "vessel-reseed: need at least 16 bytes of entropy, got %zu\n", n);
    return 2;
  }
  int fd = open("/dev/random", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    perror("vessel-reseed: open /dev/random");
    return 1;
  }
  req.info.entropy_count = (int)(n * 8);
  req.info.buf_size = (int)n;
  if (ioctl(fd, RNDADDENTROPY, &req.info) != 0) {
    perror("vessel-reseed: RNDADDENTROPY");
    return 1;
  }
  if (ioctl(fd, RNDRESEEDCRNG) != 0) {
    perror("vessel-reseed: RNDRESEEDCRNG");
    return 1;
  }
  memset(&req, 0, sizeof req);
  close(fd);
  return 0;
}
