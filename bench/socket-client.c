/*
 * bench/socket-client - a lean load generator for the status socket (`check ADDRESS` lookups),
 * so that on a small machine the client takes little of the CPU the server is measured on
 * (as Postfix's smtp-source does for SMTP). bench/socket.mjs compiles it with `cc -O2` into a
 * temp dir and runs it; without a compiler it uses its Node client, which sends the same requests.
 *
 * Usage: socket-client SOCKET CLIENTS DEPTH SECONDS N [RATE]
 *   Closed loop (no RATE, or 0): CLIENTS Unix-socket connections, each with DEPTH requests in
 *   flight (the requests a burst of replies frees go out in one write), 0.5 s warm-up, then
 *   SECONDS of measurement, then the requests in flight are drained.
 *   Open loop (RATE > 0): the connections together send RATE requests per second on a fixed
 *   schedule (each connection every CLIENTS/RATE s, staggered; a 100 us timer tick sends what is
 *   due), at most DEPTH in flight per connection. Latency runs from the scheduled send time, so a
 *   request that had to wait for a free slot counts its wait (no coordinated omission). Requests: `check user<i>@d<i%997>.example.com` for random i in
 *   [0, 1.1 N); i >= N is `check nobody<i>@example.net` (10 % unknown), from the same generator
 *   as the Node client (uint32 LCG, seed 12345). Each reply must start with {"ok":true.
 * Output (stdout): one JSON object with the same fields as the Node client: clients, depth,
 * seconds, lookups, warmupLookups, perSecond, p50, p99, max (ms, per-request round trip),
 * clientCpuUsPerLookup (getrusage user+system over the whole run / all lookups).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 1024
#define RBUF 65536

struct conn {
  int fd;
  int in_flight;
  int head; /* index in sent[] of the oldest request in flight */
  int open;
  double next_send; /* open loop: when the next request is due */
  double sent[MAX_DEPTH];
  char rbuf[RBUF];
  size_t rlen;
  char *obuf; /* bytes not yet written (a short write) */
  size_t olen, ocap;
};

static uint32_t seed = 12345;
static long n_addresses;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* Same sequence as bench/socket.mjs: seed = (seed * 1103515245 + 12345) mod 2^31. */
static int request(char *out) {
  seed = (seed * 1103515245u + 12345u) & 0x7fffffffu;
  double r = (double)seed / 0x7fffffff;
  long i = (long)(r * n_addresses * 1.1);
  if (i < n_addresses) return sprintf(out, "check user%ld@d%ld.example.com\n", i, i % 997);
  return sprintf(out, "check nobody%ld@example.net\n", i);
}

static void append(struct conn *c, const char *p, size_t n) {
  if (c->olen + n > c->ocap) {
    c->ocap = (c->olen + n) * 2;
    c->obuf = realloc(c->obuf, c->ocap);
    if (!c->obuf) die("realloc");
  }
  memcpy(c->obuf + c->olen, p, n);
  c->olen += n;
}

/* Write what is buffered; returns 1 when something is left (wait for EPOLLOUT). */
static int flush(struct conn *c) {
  size_t off = 0;
  while (off < c->olen) {
    ssize_t w = write(c->fd, c->obuf + off, c->olen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      die("write");
    }
    off += (size_t)w;
  }
  memmove(c->obuf, c->obuf + off, c->olen - off);
  c->olen -= off;
  return c->olen > 0;
}

static double *lat;
static size_t nlat, caplat;

static void record(double ms) {
  if (nlat == caplat) {
    caplat = caplat ? caplat * 2 : 1 << 20;
    lat = realloc(lat, caplat * sizeof *lat);
    if (!lat) die("realloc");
  }
  lat[nlat++] = ms;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s SOCKET CLIENTS DEPTH SECONDS N [RATE]\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  int clients = atoi(argv[2]), depth = atoi(argv[3]);
  double seconds = atof(argv[4]);
  n_addresses = atol(argv[5]);
  double rate = argc == 7 ? atof(argv[6]) : 0;
  double interval = rate > 0 ? clients * 1000.0 / rate : 0; /* ms between requests of one connection */
  long late = 0; /* open loop: timer ticks at which a connection had a request due but DEPTH in flight (after warm-up) */
  if (rate < 0 || clients < 1 || depth < 1 || depth > MAX_DEPTH || seconds <= 0 || n_addresses < 1) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }

  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "socket path too long\n");
    return 2;
  }
  strcpy(sa.sun_path, path);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)clients, sizeof *conns);
  if (!conns) die("calloc");

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  double t_start = now_ms();
  double warm_end = t_start + 500, end = warm_end + seconds * 1000;
  int warm = 1;
  long done = 0, warm_done = 0;
  char req[128];

  /* Connect (blocking: a Unix-socket connect completes at once or fails), then go non-blocking. */
  for (int k = 0; k < clients; k++) {
    struct conn *c = &conns[k];
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->open = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
    double t = now_ms();
    if (rate > 0) c->next_send = t + interval * k / clients; /* staggered */
    for (int d = 0; d < depth && rate == 0; d++) {
      append(c, req, (size_t)request(req));
      c->sent[(c->head + c->in_flight++) % depth] = t;
    }
    if (flush(c)) {
      struct epoll_event ev2 = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
      epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev2);
    }
  }

  /* Open loop: a periodic tick sends what is due on every connection. */
  int tfd = -1;
  if (rate > 0) {
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) die("timerfd_create");
    struct itimerspec its = {.it_interval = {0, 100000}, .it_value = {0, 100000}};
    if (timerfd_settime(tfd, 0, &its, NULL) < 0) die("timerfd_settime");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) die("epoll_ctl");
  }

  int open = clients;
  struct epoll_event evs[256];
  while (open > 0) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    double t = now_ms();
    if (warm && t >= warm_end) {
      /* End of warm-up: what was answered so far is not measured. */
      warm = 0;
      warm_done = done;
      done = 0;
      nlat = 0;
      late = 0;
    }
    int more = t < end;
    for (int e = 0; e < n; e++) {
      struct conn *c = evs[e].data.ptr;
      if (c == NULL) {
        /* Timer tick (open loop): send every request that is due, up to DEPTH in flight. */
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN) die("read timerfd");
        for (int k = 0; k < clients; k++) {
          struct conn *q = &conns[k];
          if (!q->open) continue;
          int sent_any = 0;
          while (q->next_send <= t && q->next_send < end && q->in_flight < depth) {
            append(q, req, (size_t)request(req));
            q->sent[(q->head + q->in_flight++) % depth] = q->next_send;
            q->next_send += interval;
            sent_any = 1;
          }
          if (q->next_send <= t && q->next_send < end && q->in_flight == depth) late++;
          if (!more && q->in_flight == 0) {
            close(q->fd);
            q->open = 0;
            open--;
            continue;
          }
          if (sent_any && flush(q)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = q};
            epoll_ctl(ep, EPOLL_CTL_MOD, q->fd, &ev);
          }
        }
        continue;
      }
      if (evs[e].events & EPOLLOUT && !flush(c)) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      }
      if (!(evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {
        fprintf(stderr, "connection closed by the server (%s)\n", r < 0 ? strerror(errno) : "EOF");
        return 1;
      }
      c->rlen += (size_t)r;
      /* One reply per line; the oldest request in flight is the one answered. */
      size_t start = 0;
      char *nl;
      while ((nl = memchr(c->rbuf + start, '\n', c->rlen - start))) {
        if (strncmp(c->rbuf + start, "{\"ok\":true", 10) != 0) {
          fprintf(stderr, "bad reply: %.*s\n", (int)(nl - (c->rbuf + start)), c->rbuf + start);
          return 1;
        }
        start = (size_t)(nl - c->rbuf) + 1;
        done++;
        if (!warm) record(t - c->sent[c->head]);
        c->head = (c->head + 1) % depth;
        c->in_flight--;
        if (rate > 0) {
          /* Open loop: a freed slot sends a request that was already due (timed from when it was due). */
          if (c->next_send <= t && c->next_send < end && c->in_flight < depth) {
            append(c, req, (size_t)request(req));
            c->sent[(c->head + c->in_flight++) % depth] = c->next_send;
            c->next_send += interval;
          }
        } else if (more) {
          append(c, req, (size_t)request(req));
          c->sent[(c->head + c->in_flight++) % depth] = t;
        }
      }
      memmove(c->rbuf, c->rbuf + start, c->rlen - start);
      c->rlen -= start;
      if (c->rlen == RBUF) {
        fprintf(stderr, "reply longer than %d bytes\n", RBUF);
        return 1;
      }
      if (c->olen > 0 && flush(c)) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      }
      if (c->in_flight == 0 && c->open && (rate == 0 || !more)) {
        close(c->fd);
        c->open = 0;
        open--;
      }
    }
  }
  getrusage(RUSAGE_SELF, &ru1);

  qsort(lat, nlat, sizeof *lat, cmp);
#define Q(p) (nlat ? lat[(size_t)((p) * nlat) < nlat ? (size_t)((p) * nlat) : nlat - 1] : 0)
  double cpu_us = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                  (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  printf("{\"clients\":%d,\"depth\":%d,\"seconds\":%g,\"lookups\":%ld,\"warmupLookups\":%ld,\"perSecond\":%.0f,"
         "\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f,\"clientCpuUsPerLookup\":%.1f",
         clients, depth, seconds, done, warm_done, done / seconds, Q(0.5), Q(0.99), Q(0.999), nlat ? lat[nlat - 1] : 0,
         (done + warm_done) ? cpu_us / (double)(done + warm_done) : 0);
  if (rate > 0) printf(",\"offeredPerSecond\":%.0f,\"lateTicks\":%ld", rate, late);
  printf("}\n");
  return 0;
}
