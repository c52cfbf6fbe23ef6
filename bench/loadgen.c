/*
 * loadgen: the independent load generator and backend of tunnel's benchmark.
 *
 * Written in C on OpenSSL so that the client and the backend never share the
 * runtime under test (Node). One binary plays every role:
 *
 *   loadgen freeport                          print a free loopback TCP port
 *   loadgen serve PORT [CERT KEY]             backend: plain, or TLS when CERT/KEY are given
 *   loadgen bulk  PORT tls|plain up|down CONNS BYTES
 *   loadgen hs    PORT 1.2|1.3 full|resume CONNS SECONDS
 *   loadgen lat   PORT tls|plain COUNT
 *   loadgen idle  PORT COUNT                  hold COUNT TLS connections until stdin closes
 *
 * Every client connection starts with a 9-byte header (command byte plus a
 * big-endian 64-bit length) inside the stream (so inside TLS when there is
 * TLS); the proxy carries it through untouched and the backend obeys it:
 *   'U' n  read n bytes, answer one byte          (upload)
 *   'D' n  write n bytes                          (download)
 *   'E' 0  echo everything back                   (latency ping-pong)
 *   'P' 0  answer one byte                        (handshake runs: proves the path, collects TLS 1.3 tickets)
 *   'H' 0  say nothing, hold until EOF            (idle connections)
 * Results are printed as one line of key=value pairs for bench/run.sh.
 * Everything is on 127.0.0.1. Build: cc -O2 -pthread -o loadgen loadgen.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

typedef struct {
  int fd;
  SSL *ssl;
} conn_t;

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, errno ? strerror(errno) : "failed");
  ERR_print_errors_fp(stderr);
  exit(2);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- I/O over plain or TLS; all return -1 on error or EOF where noted ---- */

static long cread(conn_t *c, void *buf, size_t len) {
  if (c->ssl == NULL) {
    for (;;) {
      ssize_t n = read(c->fd, buf, len);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  int n = SSL_read(c->ssl, buf, (int)len);
  return n > 0 ? n : (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
}

static int cwrite_all(conn_t *c, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    long n;
    if (c->ssl == NULL) {
      n = write(c->fd, p, len);
      if (n < 0 && errno == EINTR) continue;
    } else {
      n = SSL_write(c->ssl, p, (int)len);
    }
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int cread_full(conn_t *c, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    long n = cread(c, p, len);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static void cclose(conn_t *c) {
  if (c->ssl != NULL) SSL_free(c->ssl);
  if (c->fd >= 0) close(c->fd);
  c->ssl = NULL;
  c->fd = -1;
}

static int send_header(conn_t *c, char cmd, uint64_t n) {
  unsigned char h[9];
  h[0] = (unsigned char)cmd;
  for (int i = 0; i < 8; i++) h[1 + i] = (unsigned char)(n >> (56 - 8 * i));
  return cwrite_all(c, h, 9);
}

static int tcp_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int tcp_listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  return ntohs(a.sin_port);
}

/* ---- client TLS ---- */

static SSL_CTX *client_ctx(const char *version) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL) die("SSL_CTX_new");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  /* Sessions are kept by hand (SSL_get1_session) so resumption is explicit. */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (version != NULL && strcmp(version, "1.2") == 0) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  } else {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  }
  return ctx;
}

/* Connects and, with ctx, handshakes (resuming session when given). Returns fd -1 on failure. */
static conn_t open_conn(int port, SSL_CTX *ctx, SSL_SESSION *session) {
  conn_t c = {.fd = tcp_connect(port), .ssl = NULL};
  if (c.fd < 0 || ctx == NULL) return c;
  c.ssl = SSL_new(ctx);
  SSL_set_fd(c.ssl, c.fd);
  if (session != NULL) SSL_set_session(c.ssl, session);
  if (SSL_connect(c.ssl) != 1) {
    ERR_clear_error();
    cclose(&c);
  }
  return c;
}

/* ---- backend ---- */

static SSL_CTX *server_ctx;
static char *zeros;

static void *serve_one(void *arg) {
  conn_t c = {.fd = (int)(intptr_t)arg, .ssl = NULL};
  char *buf = malloc(CHUNK);
  unsigned char h[9];
  if (server_ctx != NULL) {
    c.ssl = SSL_new(server_ctx);
    SSL_set_fd(c.ssl, c.fd);
    if (SSL_accept(c.ssl) != 1) goto out;
  }
  if (cread_full(&c, h, 9) < 0) goto out;
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n = (n << 8) | h[1 + i];
  switch (h[0]) {
  case 'U':
    while (n > 0) {
      long r = cread(&c, buf, n < CHUNK ? n : CHUNK);
      if (r <= 0) goto out;
      n -= (uint64_t)r;
    }
    if (cwrite_all(&c, "k", 1) < 0) goto out;
    break;
  case 'D':
    while (n > 0) {
      size_t w = n < CHUNK ? n : CHUNK;
      if (cwrite_all(&c, zeros, w) < 0) goto out;
      n -= w;
    }
    break;
  case 'E':
    for (;;) {
      long r = cread(&c, buf, CHUNK);
      if (r <= 0 || cwrite_all(&c, buf, (size_t)r) < 0) goto out;
    }
  case 'P':
    if (cwrite_all(&c, "k", 1) < 0) goto out;
    break;
  default:
    break;
  }
  while (cread(&c, buf, CHUNK) > 0) {
  }
out:
  ERR_clear_error();
  free(buf);
  cclose(&c);
  return NULL;
}

static int cmd_serve(int argc, char **argv) {
  int port = atoi(argv[2]);
  if (argc >= 5) {
    server_ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(server_ctx, argv[3]) != 1) die("certificate");
    if (SSL_CTX_use_PrivateKey_file(server_ctx, argv[4], SSL_FILETYPE_PEM) != 1) die("private key");
    SSL_CTX_set_mode(server_ctx, SSL_MODE_RELEASE_BUFFERS);
  }
  zeros = calloc(1, CHUNK);
  int lfd = tcp_listen(port);
  printf("PORT %d\n", bound_port(lfd));
  fflush(stdout);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        usleep(10000);
        continue;
      }
      die("accept");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    if (pthread_create(&t, &attr, serve_one, (void *)(intptr_t)fd) != 0) close(fd);
  }
  return 0;
}

/* ---- bulk ---- */

typedef struct {
  int port;
  SSL_CTX *ctx;
  int upload;
  uint64_t bytes;
  int ok;
} bulk_arg_t;

static void *bulk_one(void *p) {
  bulk_arg_t *a = p;
  conn_t c = open_conn(a->port, a->ctx, NULL);
  char *buf = calloc(1, CHUNK);
  if (c.fd < 0) goto out;
  if (send_header(&c, a->upload ? 'U' : 'D', a->bytes) < 0) goto out;
  uint64_t n = a->bytes;
  if (a->upload) {
    while (n > 0) {
      size_t w = n < CHUNK ? n : CHUNK;
      if (cwrite_all(&c, buf, w) < 0) goto out;
      n -= w;
    }
    if (cread_full(&c, buf, 1) < 0) goto out;
  } else {
    while (n > 0) {
      long r = cread(&c, buf, n < CHUNK ? n : CHUNK);
      if (r <= 0) goto out;
      n -= (uint64_t)r;
    }
  }
  a->ok = 1;
out:
  free(buf);
  cclose(&c);
  return NULL;
}

static int cmd_bulk(int argc, char **argv) {
  if (argc < 7) return 1;
  int port = atoi(argv[2]);
  SSL_CTX *ctx = strcmp(argv[3], "tls") == 0 ? client_ctx("1.3") : NULL;
  int upload = strcmp(argv[4], "up") == 0;
  int conns = atoi(argv[5]);
  uint64_t total = strtoull(argv[6], NULL, 10);
  bulk_arg_t args[64];
  pthread_t threads[64];
  if (conns < 1 || conns > 64) return 1;
  double c0 = cpu_self(), t0 = now();
  for (int i = 0; i < conns; i++) {
    args[i] = (bulk_arg_t){.port = port, .ctx = ctx, .upload = upload, .bytes = total / conns};
    pthread_create(&threads[i], NULL, bulk_one, &args[i]);
  }
  int ok = 0;
  for (int i = 0; i < conns; i++) {
    pthread_join(threads[i], NULL);
    ok += args[i].ok;
  }
  double secs = now() - t0, cpu = cpu_self() - c0;
  uint64_t moved = (total / conns) * (uint64_t)conns;
  printf("ok=%d bytes=%llu secs=%.4f mbps=%.2f client_cpu=%.4f\n", ok == conns, (unsigned long long)moved, secs, moved / secs / 1e6, cpu);
  return ok == conns ? 0 : 3;
}

/* ---- handshakes ---- */

typedef struct {
  int port;
  SSL_CTX *ctx;
  int resume;
  double deadline;
  long done, reused, failed;
  char params[96];
} hs_arg_t;

static void *hs_one(void *p) {
  hs_arg_t *a = p;
  SSL_SESSION *session = NULL;
  char b;
  while (now() < a->deadline) {
    conn_t c = open_conn(a->port, a->ctx, a->resume ? session : NULL);
    if (c.fd < 0 || send_header(&c, 'P', 0) < 0 || cread_full(&c, &b, 1) < 0) {
      a->failed++;
      cclose(&c);
      if (a->failed > 1000) break;
      continue;
    }
    a->done++;
    if (SSL_session_reused(c.ssl)) a->reused++;
    if (a->params[0] == 0) {
      const char *group = SSL_group_to_name(c.ssl, SSL_get_negotiated_group(c.ssl));
      snprintf(a->params, sizeof a->params, "%s/%s/%s", SSL_get_version(c.ssl), SSL_get_cipher_name(c.ssl), group ? group : "-");
    }
    if (a->resume) {
      /* The newest session: TLS 1.3 tickets arrived before the 'P' answer, so they are in it. */
      SSL_SESSION *next = SSL_get1_session(c.ssl);
      if (next != NULL) {
        if (session != NULL) SSL_SESSION_free(session);
        session = next;
      }
    }
    SSL_shutdown(c.ssl);
    cclose(&c);
  }
  if (session != NULL) SSL_SESSION_free(session);
  return NULL;
}

static int cmd_hs(int argc, char **argv) {
  if (argc < 7) return 1;
  int port = atoi(argv[2]);
  SSL_CTX *ctx = client_ctx(argv[3]);
  int resume = strcmp(argv[4], "resume") == 0;
  int conns = atoi(argv[5]);
  double seconds = atof(argv[6]);
  hs_arg_t args[64];
  pthread_t threads[64];
  if (conns < 1 || conns > 64) return 1;
  double c0 = cpu_self(), t0 = now();
  for (int i = 0; i < conns; i++) {
    args[i] = (hs_arg_t){.port = port, .ctx = ctx, .resume = resume, .deadline = t0 + seconds};
    pthread_create(&threads[i], NULL, hs_one, &args[i]);
  }
  long done = 0, reused = 0, failed = 0;
  for (int i = 0; i < conns; i++) {
    pthread_join(threads[i], NULL);
    done += args[i].done;
    reused += args[i].reused;
    failed += args[i].failed;
  }
  double secs = now() - t0, cpu = cpu_self() - c0;
  printf("ok=%d count=%ld reused=%ld failed=%ld secs=%.4f rate=%.1f client_cpu=%.4f tls=%s\n", done > 0 && failed == 0, done, reused, failed,
         secs, done / secs, cpu, args[0].params[0] ? args[0].params : "-");
  return done > 0 ? 0 : 3;
}

/* ---- latency ---- */

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static int cmd_lat(int argc, char **argv) {
  if (argc < 5) return 1;
  int port = atoi(argv[2]);
  SSL_CTX *ctx = strcmp(argv[3], "tls") == 0 ? client_ctx("1.3") : NULL;
  int count = atoi(argv[4]);
  if (count < 10) return 1;
  conn_t c = open_conn(port, ctx, NULL);
  if (c.fd < 0 || send_header(&c, 'E', 0) < 0) die("connect");
  char out[64], in[64];
  memset(out, 'x', sizeof out);
  double *samples = malloc(sizeof(double) * (size_t)count);
  for (int i = -200; i < count; i++) { /* 200 warm-up round trips */
    double t0 = now();
    if (cwrite_all(&c, out, sizeof out) < 0 || cread_full(&c, in, sizeof in) < 0) die("ping-pong");
    if (i >= 0) samples[i] = (now() - t0) * 1e6;
  }
  qsort(samples, (size_t)count, sizeof(double), cmp_double);
  printf("ok=1 count=%d p50_us=%.1f p99_us=%.1f\n", count, samples[count / 2], samples[(int)(count * 0.99)]);
  cclose(&c);
  return 0;
}

/* ---- idle ---- */

typedef struct {
  int port, count, opened;
  SSL_CTX *ctx;
  conn_t *conns;
} idle_arg_t;

static void *idle_one(void *p) {
  idle_arg_t *a = p;
  for (int i = 0; i < a->count; i++) {
    conn_t c = open_conn(a->port, a->ctx, NULL);
    if (c.fd < 0 || send_header(&c, 'H', 0) < 0) {
      cclose(&c);
      continue;
    }
    a->conns[a->opened++] = c;
  }
  return NULL;
}

static int cmd_idle(int argc, char **argv) {
  if (argc < 4) return 1;
  int port = atoi(argv[2]);
  int count = atoi(argv[3]);
  SSL_CTX *ctx = client_ctx("1.3");
  enum { THREADS = 4 };
  idle_arg_t args[THREADS];
  pthread_t threads[THREADS];
  double t0 = now();
  for (int i = 0; i < THREADS; i++) {
    int n = count / THREADS + (i < count % THREADS);
    args[i] = (idle_arg_t){.port = port, .count = n, .ctx = ctx, .conns = calloc((size_t)n, sizeof(conn_t))};
    pthread_create(&threads[i], NULL, idle_one, &args[i]);
  }
  int opened = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    opened += args[i].opened;
  }
  printf("ready opened=%d secs=%.2f\n", opened, now() - t0);
  fflush(stdout);
  char b[64];
  while (read(0, b, sizeof b) > 0) {
  }
  return 0;
}

static int cmd_freeport(void) {
  int fd = tcp_listen(0);
  printf("%d\n", bound_port(fd));
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && strcmp(argv[1], "freeport") == 0) return cmd_freeport();
  int rc = 1;
  if (argc >= 3) {
    if (strcmp(argv[1], "serve") == 0) rc = cmd_serve(argc, argv);
    else if (strcmp(argv[1], "bulk") == 0) rc = cmd_bulk(argc, argv);
    else if (strcmp(argv[1], "hs") == 0) rc = cmd_hs(argc, argv);
    else if (strcmp(argv[1], "lat") == 0) rc = cmd_lat(argc, argv);
    else if (strcmp(argv[1], "idle") == 0) rc = cmd_idle(argc, argv);
  }
  if (rc == 1) fprintf(stderr, "usage: see the comment at the top of bench/loadgen.c\n");
  return rc;
}
