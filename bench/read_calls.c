/* The C ABI's three ways to read a segment, through libbinlog.so, compared
   (docs/PERFORMANCE.md, "Reads, CPU a record"): `read_calls MODE SIZE N
   FILE` reads the sealed segment FILE (written first, N records of SIZE
   bytes, if it does not exist) with MODE 0 `binlog_reader_next`, 1
   `binlog_reader_next_batch` or 2 `binlog_reader_next_mapped` (batches of
   1024 records, a 1 MiB buffer), and prints the thread CPU time a record
   in ns. The reader is opened before and freed after `read_all`, so under
   `valgrind --tool=callgrind --toggle-collect=read_all` the instructions
   counted are the reads' and the caller's loop's (bench/read_calls.sh). */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define CK(x) do { if ((x) != BINLOG_OK) { fprintf(stderr, "%s: %s\n", #x, binlog_last_error()); exit(1); } } while (0)
enum { BATCH = 1024, BUF = 1 << 20 };
static struct binlog_batch_record copied[BATCH];
static struct binlog_mapped_record mapped[BATCH];
static uint8_t buf[BUF];

/* Reads every record of `r` with `mode` to the end; returns the count, the
   payload bytes' sum in `*bytes` (so that no read is optimized away). */
__attribute__((noinline)) size_t read_all(struct binlog_reader *r, int mode, size_t *bytes) {
  size_t n = 0, sum = 0, got, map_len;
  const uint8_t *map;
  binlog_result rc;
  for (;;) {
    if (mode == 0) {
      struct binlog_record rec;
      if ((rc = binlog_reader_next(r, &rec)) != BINLOG_OK) break;
      sum += rec.payload_len, n++;
    } else if (mode == 1) {
      if ((rc = binlog_reader_next_batch(r, buf, BUF, copied, BATCH, 0, &got)) != BINLOG_OK) break;
      for (size_t i = 0; i < got; i++) sum += copied[i].payload_len;
      n += got;
    } else {
      rc = binlog_reader_next_mapped(r, buf, BUF, mapped, BATCH, 0, &got, &map, &map_len);
      if (rc != BINLOG_OK) break;
      for (size_t i = 0; i < got; i++) sum += mapped[i].payload_len;
      n += got;
    }
  }
  if (rc != BINLOG_END) { fprintf(stderr, "read: %s\n", binlog_last_error()); exit(1); }
  *bytes = sum;
  return n;
}

/* Writes N records of SIZE bytes to a temporary name, then renames it to
   `path`: a run that fails leaves no segment a later run would take. */
static void write_segment(const char *path, size_t size, size_t n) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) { fprintf(stderr, "path too long\n"); exit(2); }
  uint8_t *p = malloc(size ? size : 1);
  if (p == NULL) { perror("malloc"); exit(1); }
  memset(p, 0x5a, size);
  struct binlog_writer *w;
  unlink(tmp);
  CK(binlog_writer_open(tmp, NULL, &w));
  for (size_t i = 0; i < n; i++) CK(binlog_writer_write(w, (const uint8_t *)"bench", 5, p, size, NULL));
  CK(binlog_writer_close(w));
  binlog_writer_free(w);
  free(p);
  if (rename(tmp, path) != 0) { perror(path); exit(1); }
}

int main(int argc, char **argv) {
  char *end1, *end2;
  size_t size = argc == 5 ? strtoul(argv[2], &end1, 10) : 0, n = argc == 5 ? strtoul(argv[3], &end2, 10) : 0;
  int mode = argc == 5 && strlen(argv[1]) == 1 ? argv[1][0] - '0' : -1;
  if (mode < 0 || mode > 2 || *end1 || *end2 || n == 0) {
    fprintf(stderr, "usage: read_calls MODE(0|1|2) SIZE N(>0) FILE\n");
    return 2;
  }
  if (access(argv[4], F_OK) != 0) write_segment(argv[4], size, n);
  struct binlog_reader *r;
  CK(binlog_reader_open(argv[4], &r));
  struct timespec a, b;
  size_t bytes;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  size_t got = read_all(r, mode, &bytes);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  binlog_reader_free(r);
  if (got != n || bytes != n * size) {
    fprintf(stderr, "%s: %zu records of %zu bytes in all, not %zu of %zu bytes each\n", argv[4], got, bytes, n, size);
    return 1;
  }
  printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
