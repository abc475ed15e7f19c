/* The lean library's cost in instructions (docs/INSTALL.md): 200,000
   records of 200 bytes written to a log compressed at level 3 as it rolls
   (16 MiB segments), then read back; counted by running `lean_cost DIR`
   under `valgrind --tool=callgrind`. */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define CK(x) do { if ((x) != BINLOG_OK) { fprintf(stderr, "%s: %s\n", #x, binlog_last_error()); exit(1); } } while (0)
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: lean_cost DIR\n"); return 2; }
  const char *dir = argv[1];
  struct binlog_options *o = NULL;
  CK(binlog_options_new(&o));
  CK(binlog_options_set_max_segment_bytes(o, 16u << 20));
  CK(binlog_options_set_compression(o, true, 0, 3, 0));
  struct binlog_writer *w = NULL;
  CK(binlog_writer_open_log(dir, "z", o, &w));
  uint8_t p[200];
  for (int i = 0; i < 200000; i++) {
    for (int j = 0; j < 200; j++) p[j] = (uint8_t)((i * 7 + j) % 61 + 32);
    uint64_t seq;
    CK(binlog_writer_write(w, (const uint8_t *)"t", 1, p, sizeof p, &seq));
  }
  CK(binlog_writer_close(w));
  binlog_writer_free(w);
  binlog_options_free(o);
  struct binlog_reader *r = NULL;
  CK(binlog_reader_open_log(dir, "z", &r));
  struct binlog_record rec;
  long n = 0;
  binlog_result rc;
  while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) n++;
  if (rc != BINLOG_END || n != 200000) { fprintf(stderr, "read %ld (%d)\n", n, rc); return 1; }
  binlog_reader_free(r);
  printf("%ld records\n", n);
  return 0;
}
