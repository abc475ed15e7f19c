/*
 * libbinlog benchmark (not a test): `make bench` runs `bench target/bench.json`.
 *
 * Every comparison runs its variants interleaved (baseline, candidate,
 * baseline, candidate, ... after one discarded warm-up round) and reports the
 * MEDIAN of the per-round ratios plus the median absolute figures, because
 * these machines are small and noisy. Files go to <dir of the JSON>/bench-tmp
 * (on the repository's filesystem) and are removed after every run.
 *
 * Exit status: 0 even when a target is missed; 1 on an API or system error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <binlog.h>

/* ---- Sizes (all runs together stay well under ~6 minutes on 2 cores) ---- */
#define ROUNDS       11                /* measured rounds per comparison (>= 7) */
#define MIB          (1u << 20)
#define POOL_BYTES   (2u * MIB)        /* random payload source */
/* a. bulk write */
#define A_RECORD     600
#define A_TOTAL      (256u * MIB)      /* payload bytes per run */
#define A_BATCH      256
#ifndef A_PIPE_DEPTH
#define A_PIPE_DEPTH 2 /* the ceiling's buffers in flight (the probe's best) */
#endif
/* b. small records */
#define B_RECORD     32
#define B_COUNT      4000000           /* records per run */
#define B_BATCH      1024
/* c./d. durable */
#define C_RECORD     600
#define C_COUNT      2000              /* records per run */
#define D_THREADS    8
#define D_SPIN_US    200               /* binlog_options_set_sync_wait_spin_us for d_spin */
/* e. scan */
#define E_RECORD     600
#define E_FILE_BYTES (512u * MIB)      /* approximate segment size */
#define E_BATCH      256
#define E_BUFFER     (2 * MIB)         /* whole 2 MiB writes: the page cache keeps 2 MiB folios */

/* The writer buffer of a, b and g: BENCH_BUFFER_KIB, or 0 (the library's
 * default). */
static size_t a_buffer(void) {
    const char *kib = getenv("BENCH_BUFFER_KIB");
    return kib && *kib ? (size_t)strtoul(kib, NULL, 10) * 1024 : 0;
}
#define A_BUFFER a_buffer()
static const char *buffer_name(void) {
    static char name[32];
    if (!A_BUFFER) return "the default";
    snprintf(name, sizeof name, "a %zu KiB", A_BUFFER / 1024);
    return name;
}
/* e's writer buffer: E_BUFFER, or BENCH_E_BUFFER_KIB to compare others. */
static size_t e_buffer(void) {
    const char *kib = getenv("BENCH_E_BUFFER_KIB");
    return kib && *kib ? (size_t)strtoul(kib, NULL, 10) * 1024 : E_BUFFER;
}
/* f. writer memory */
#define F_SMALL      10000000
#define F_LARGE      50000000
#define F_BATCH      1024

/* ---- Errors ------------------------------------------------------------- */
#define CHECK(call)                                                                  \
    do {                                                                             \
        binlog_result rc_ = (call);                                                  \
        if (rc_ != BINLOG_OK) {                                                      \
            fprintf(stderr, "bench: %s:%d: %s returned %u: %s\n", __FILE__, __LINE__, \
                    #call, (unsigned)rc_, binlog_last_error());                      \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static void die_sys(const char *what, const char *path) {
    fprintf(stderr, "bench: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

/* ---- Shared state ------------------------------------------------------- */
static char tmpdir[4096];
static uint8_t *pool; /* POOL_BYTES + 4096 pseudo-random bytes */

static const char *tmp_path(const char *name) {
    static char buf[8][4200];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static void remove_file(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT) die_sys("unlink", path);
}

/* Removes the files of `dir` and `dir` itself. */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return;
        die_sys("opendir", dir);
    }
    struct dirent *e;
    char p[4400];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove_file(p);
    }
    closedir(d);
    if (rmdir(dir) != 0) die_sys("rmdir", dir);
}

static void write_all(int fd, const void *buf, size_t len, const char *path) {
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die_sys("write", path);
        p += n;
        len -= (size_t)n;
    }
}

/* The flush delay of a, b and g's writers: BENCH_FLUSH_DELAY_US (A/B runs,
 * e.g. 18446744073709551615 for "only when the buffer fills"), else the
 * library's default. */
static void set_flush_delay(binlog_options *o) {
    const char *us = getenv("BENCH_FLUSH_DELAY_US");
    if (us && *us) CHECK(binlog_options_set_flush_delay_us(o, strtoull(us, NULL, 10)));
}

/* The secret key a's signed variant signs with (binlog_keys_new), and the
 * writer open_writer opens next signs with it while `signing` is set. */
static char signing_key[4096];
static int signing;

static binlog_writer *open_writer(const char *path, uint32_t durability, size_t buffer) {
    binlog_options *o;
    binlog_writer *w;
    CHECK(binlog_options_new(&o));
    CHECK(binlog_options_set_durability(o, durability, 0));
    if (signing) CHECK(binlog_options_set_signing_key(o, signing_key));
    if (buffer) CHECK(binlog_options_set_buffer_size(o, buffer));
    set_flush_delay(o);
    CHECK(binlog_writer_open(path, o, &w));
    binlog_options_free(o);
    return w;
}

static void close_writer(binlog_writer *w) {
    CHECK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* ---- Statistics and figures --------------------------------------------- */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double s[64];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* What a figure's target applies to. */
enum target_on { VALUE_AT_LEAST, RATIO_AT_LEAST, RATIO_AT_MOST, VALUE_AT_MOST };

struct figure {
    const char *name, *unit, *what, *baseline_what;
    double value, baseline, ratio, target;
    enum target_on on;
    int met;
};
static struct figure figures[32];
static int nfigures;

static int target_met(enum target_on on, double value, double ratio, double target) {
    if (on == VALUE_AT_MOST) return value <= target;
    return on == VALUE_AT_LEAST ? value >= target : on == RATIO_AT_LEAST ? ratio >= target : ratio <= target;
}

/* A number for the tables: no exponents, a few significant digits. */
static const char *num(double v) {
    static char buf[16][32];
    static int k;
    char *p = buf[k++ % 16];
    double a = v < 0 ? -v : v;
    snprintf(p, sizeof buf[0], a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", v);
    return p;
}

static const char *target_text(const struct figure *f) {
    static char buf[8][64];
    static int k;
    char *p = buf[k++ % 8];
    if (f->on == VALUE_AT_LEAST || f->on == VALUE_AT_MOST)
        snprintf(p, sizeof buf[0], "value %s %g %s", f->on == VALUE_AT_LEAST ? ">=" : "<=", f->target, f->unit);
    else
        snprintf(p, sizeof buf[0], "ratio %s %g", f->on == RATIO_AT_LEAST ? ">=" : "<=", f->target);
    return p;
}

static void add_figure(const char *name, const char *unit, const char *what, double value,
                       const char *baseline_what, double baseline, double ratio,
                       enum target_on on, double target) {
    if (nfigures == (int)(sizeof figures / sizeof figures[0])) {
        fprintf(stderr, "bench: more than %d figures\n", nfigures);
        exit(1);
    }
    struct figure *f = &figures[nfigures++];
    *f = (struct figure){name, unit, what, baseline_what, value, baseline, ratio, target, on,
                         target_met(on, value, ratio, target)};
    printf("  %-16s %9s %-5s | %s %s %s | ratio %.3f | target %s: %s\n", name, num(value), unit,
           baseline_what, num(baseline), unit, ratio, target_text(f), f->met ? "met" : "MISSED");
    fflush(stdout);
}

/* Supporting numbers (not targets), written to the JSON under "details". */
static struct { const char *name; double value; } extras[64];
static int nextras;
static void add_extra(const char *name, double value) {
    if (nextras == (int)(sizeof extras / sizeof extras[0])) {
        fprintf(stderr, "bench: more than %d details\n", nextras);
        exit(1);
    }
    extras[nextras].name = name;
    extras[nextras++].value = value;
}

/* Runs variant functions interleaved: one discarded warm-up round, then
 * ROUNDS rounds of v0 v1 ... v(n-1); secs[v][r] gets each run's time. */
typedef double (*run_fn)(void *arg);
static void interleave(int n, run_fn *fns, void **args, double secs[][ROUNDS]) {
    for (int v = 0; v < n; v++) fns[v](args[v]);
    for (int r = 0; r < ROUNDS; r++)
        for (int v = 0; v < n; v++) secs[v][r] = fns[v](args[v]);
}

/* Median over rounds of work/secs[v], and of the per-round ratio
 * (work_v/secs_v) / (work_b/secs_b). */
static double med_rate(double work, const double *secs) {
    double r[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) r[i] = work / secs[i];
    return median(r, ROUNDS);
}
static double med_ratio(double work_v, const double *secs_v, double work_b, const double *secs_b) {
    double r[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) r[i] = (work_v / secs_v[i]) / (work_b / secs_b[i]);
    return median(r, ROUNDS);
}

/* ---- a. 600-byte records, durability NONE, vs write(2) ------------------ */
static const size_t a_records = A_TOTAL / A_RECORD;
/* Each run of run_a_binlog's variants (0 single, 1 batches, 2 signed
 * batches), [0] the warm-up: the time binlog_writer_close took, and the
 * process's CPU (both threads): a signed run takes no less than half its CPU
 * on two cores, which bounds a_signed_mb_s (`a_signed_two_core_bound`). */
static double a_close_secs[3][ROUNDS + 1], a_cpu_secs[3][ROUNDS + 1];
static int a_runs[3];
static double cpu_secs(void);

static double run_a_write2(void *arg) {
    (void)arg;
    const char *path = tmp_path("a-write2.dat");
    size_t total = a_records * A_RECORD;
    double t0 = now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die_sys("open", path);
    for (size_t off = 0; off < total; off += MIB) {
        size_t n = total - off < MIB ? total - off : MIB;
        write_all(fd, pool + (off / MIB % 2) * 4096, n, path);
    }
    if (close(fd) != 0) die_sys("close", path);
    double t = now() - t0;
    remove_file(path);
    return t;
}

/* arg: NULL single writes, 1 batches, 2 batches of a signed writer. */
static double run_a_binlog(void *arg) {
    int variant = (int)(intptr_t)arg, batch = variant > 0;
    const char *path = tmp_path("a-binlog.binlog");
    binlog_entry entries[A_BATCH];
    double t0 = now(), cpu0 = cpu_secs();
    signing = variant == 2;
    binlog_writer *w = open_writer(path, BINLOG_DURABILITY_NONE, A_BUFFER);
    signing = 0;
    if (batch) {
        for (size_t i = 0; i < a_records;) {
            size_t n = 0;
            for (; n < A_BATCH && i < a_records; n++, i++)
                entries[n] = (binlog_entry){.type_name = u8("tick"), .type_len = 4,
                                            .payload = pool + i * A_RECORD % MIB,
                                            .payload_len = A_RECORD, .timestamp_ns = BINLOG_TIME_NOW};
            CHECK(binlog_writer_write_batch(w, entries, n, NULL));
        }
    } else {
        for (size_t i = 0; i < a_records; i++)
            CHECK(binlog_writer_write(w, u8("tick"), 4, pool + i * A_RECORD % MIB, A_RECORD, NULL));
    }
    double tc = now();
    close_writer(w);
    double t1 = now();
    int run = a_runs[variant]++ % (ROUNDS + 1);
    a_close_secs[variant][run] = t1 - tc;
    a_cpu_secs[variant][run] = cpu_secs() - cpu0;
    remove_file(path);
    return t1 - t0;
}

/* The ceiling of a buffered design on this host (context, not a target):
 * the ideal two-thread pipeline. The caller memcpy's each 600-byte record
 * into a ring of A_PIPE_DEPTH 1 MiB buffers (a record may span two, so
 * every write is a whole buffer at an aligned offset, as the baseline's
 * and the library's are); a second thread write(2)s each full buffer. No
 * frames, no CRCs, no index, no seal: what any design that copies records
 * into a buffer and writes it from another thread can reach against the
 * same raw write(2). A second variant writes 2 MiB buffers: whole 2 MiB
 * folios in the page cache, which e's reads through the index need and the
 * library's pairing makes (with 1 MiB buffers). Each side spins up to
 * A_PIPE_SPIN_US for the other,
 * then sleeps on a futex (pure spinning collapses when other work shares
 * the CPUs). */
#ifndef A_PIPE_SPIN_US
#define A_PIPE_SPIN_US 20
#endif

/* A counter one thread advances and the other waits on. */
struct pipe_counter {
    _Atomic uint32_t value;
    _Atomic uint32_t sleeping; /* the waiter is in (or entering) FUTEX_WAIT */
};

static void counter_set(struct pipe_counter *c, uint32_t v) {
    atomic_store(&c->value, v);
    if (atomic_load(&c->sleeping)) syscall(SYS_futex, &c->value, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits until the counter reaches `at_least`; returns its value. */
static uint32_t counter_wait(struct pipe_counter *c, uint32_t at_least) {
    double spin_until = now() + A_PIPE_SPIN_US * 1e-6;
    uint32_t v;
    while ((v = atomic_load(&c->value)) < at_least) {
        if (now() < spin_until) continue;
        atomic_store(&c->sleeping, 1);
        if (atomic_load(&c->value) == v) syscall(SYS_futex, &c->value, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
        atomic_store(&c->sleeping, 0);
    }
    return v;
}

static struct {
    uint8_t *buf[A_PIPE_DEPTH];
    size_t len[A_PIPE_DEPTH]; /* 0: no buffer follows */
    size_t unit;              /* bytes a buffer holds: MIB or 2 * MIB */
    struct pipe_counter filled, written; /* buffers handed off / written so far */
    int fd;
    const char *path;
} pipe_ring;

static void *pipe_writer(void *arg) {
    (void)arg;
    for (uint32_t i = 0;; i++) {
        counter_wait(&pipe_ring.filled, i + 1);
        size_t len = pipe_ring.len[i % A_PIPE_DEPTH];
        if (len == 0) return NULL;
        write_all(pipe_ring.fd, pipe_ring.buf[i % A_PIPE_DEPTH], len, pipe_ring.path);
        counter_set(&pipe_ring.written, i + 1);
    }
}

/* Hands buffer `i` (of `len` bytes, 0 for the end) to the writer and waits
 * until buffer i + 1's slot is free. */
static void pipe_hand_off(uint32_t i, size_t len) {
    pipe_ring.len[i % A_PIPE_DEPTH] = len;
    counter_set(&pipe_ring.filled, i + 1);
    if (len && i + 2 > A_PIPE_DEPTH) counter_wait(&pipe_ring.written, i + 2 - A_PIPE_DEPTH);
}

/* `arg` is the buffers' size in MiB (1 or 2). */
static double run_a_pipeline(void *arg) {
    pipe_ring.unit = (size_t)arg * MIB;
    pipe_ring.path = tmp_path("a-pipeline.dat");
    atomic_store(&pipe_ring.filled.value, 0);
    atomic_store(&pipe_ring.written.value, 0);
    double t0 = now();
    pipe_ring.fd = open(pipe_ring.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (pipe_ring.fd < 0) die_sys("open", pipe_ring.path);
    pthread_t t;
    if ((errno = pthread_create(&t, NULL, pipe_writer, NULL)) != 0) die_sys("pthread_create", NULL);
    uint32_t i = 0;
    size_t fill = 0;
    for (size_t r = 0; r < a_records; r++) {
        const uint8_t *rec = pool + r * A_RECORD % MIB;
        for (size_t copied = 0; copied < A_RECORD;) {
            size_t room = pipe_ring.unit - fill;
            size_t n = A_RECORD - copied < room ? A_RECORD - copied : room;
            memcpy(pipe_ring.buf[i % A_PIPE_DEPTH] + fill, rec + copied, n);
            copied += n;
            fill += n;
            if (fill == pipe_ring.unit) pipe_hand_off(i++, fill), fill = 0;
        }
    }
    if (fill) pipe_hand_off(i++, fill);
    pipe_hand_off(i, 0);
    pthread_join(t, NULL);
    if (close(pipe_ring.fd) != 0) die_sys("close", pipe_ring.path);
    double secs = now() - t0;
    remove_file(pipe_ring.path);
    return secs;
}

static void pipe_ring_alloc(void) {
    for (int k = 0; k < A_PIPE_DEPTH; k++) {
        pipe_ring.buf[k] = aligned_alloc(4096, 2 * MIB);
        if (!pipe_ring.buf[k]) die_sys("aligned_alloc", NULL);
        memset(pipe_ring.buf[k], 0, 2 * MIB);
    }
}

/* A signed segment of a's size, verified against its key (every record's
 * CRC, the digest of its bytes, the signature) through the C API, against
 * reading the same file with 1 MiB preads; both from the page cache. */
static const char *verify_path;
static double run_verify_signed(void *arg) {
    (void)arg;
    char pub[4200];
    snprintf(pub, sizeof pub, "%s.pub", signing_key);
    double t0 = now();
    binlog_verify *v;
    binlog_finding f;
    CHECK(binlog_verify_open(verify_path, NULL, &v));
    CHECK(binlog_verify_trust(v, pub));
    binlog_result r;
    while ((r = binlog_verify_next(v, &f)) == BINLOG_OK)
        if (f.damage) fprintf(stderr, "bench: signed segment damaged: %s\n", f.message), exit(1);
    CHECK(r == BINLOG_END ? BINLOG_OK : r);
    binlog_verify_free(v);
    return now() - t0;
}

static double run_read_file(void *arg) {
    (void)arg;
    static uint8_t buf[MIB];
    double t0 = now();
    int fd = open(verify_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_sys("open", verify_path);
    for (off_t at = 0;; at += MIB) {
        ssize_t n = pread(fd, buf, MIB, at);
        if (n < 0) die_sys("pread", verify_path);
        if (n == 0) break;
    }
    close(fd);
    return now() - t0;
}

static void bench_verify_signed(void) {
    verify_path = tmp_path("verify-signed.binlog");
    signing = 1;
    binlog_writer *w = open_writer(verify_path, BINLOG_DURABILITY_NONE, A_BUFFER);
    signing = 0;
    for (size_t i = 0; i < a_records; i++)
        CHECK(binlog_writer_write(w, u8("tick"), 4, pool + i * A_RECORD % MIB, A_RECORD, NULL));
    close_writer(w);
    struct stat st;
    if (stat(verify_path, &st) != 0) die_sys("stat", verify_path);
    double mb = st.st_size / 1e6;
    run_fn fns[2] = {run_read_file, run_verify_signed};
    void *args[2] = {NULL, NULL};
    double secs[2][ROUNDS];
    interleave(2, fns, args, secs);
    add_figure("verify_signed_mb_s", "MB/s", "verify of a signed segment against its key, MB/s of file",
               med_rate(mb, secs[1]), "pread 1 MiB", med_rate(mb, secs[0]),
               med_ratio(mb, secs[1], mb, secs[0]), VALUE_AT_LEAST, 1000);
    remove_file(verify_path);
}

static void bench_a(void) {
    printf("\na. %d-byte records, durability NONE, %s buffer, %.0f MB of payload per run,\n"
           "   timed from open to close (seal) inclusive; baseline write(2) of the same bytes in 1 MiB chunks\n",
           A_RECORD, buffer_name(), a_records * A_RECORD / 1e6);
    pipe_ring_alloc();
    snprintf(signing_key, sizeof signing_key, "%s", tmp_path("a.key"));
    remove_file(signing_key);
    remove_file(tmp_path("a.key.pub"));
    CHECK(binlog_keys_new(signing_key));
    run_fn fns[6] = {run_a_write2, run_a_binlog, run_a_binlog, run_a_pipeline, run_a_pipeline, run_a_binlog};
    void *args[6] = {NULL, (void *)1, NULL, (void *)1, (void *)2, (void *)2};
    double secs[6][ROUNDS];
    interleave(6, fns, args, secs);
    double mb = a_records * A_RECORD / 1e6;
    double base = med_rate(mb, secs[0]);
    add_figure("a_batch_mb_s", "MB/s", "write_batch (256/batch), MB/s of payload", med_rate(mb, secs[1]),
               "write(2)", base, med_ratio(mb, secs[1], mb, secs[0]), RATIO_AT_LEAST, 0.9);
    add_figure("a_single_mb_s", "MB/s", "binlog_writer_write, MB/s of payload", med_rate(mb, secs[2]),
               "write(2)", base, med_ratio(mb, secs[2], mb, secs[0]), RATIO_AT_LEAST, 0.9);
    add_figure("a_signed_mb_s", "MB/s", "write_batch signed (digest + Ed25519 seal), MB/s of payload",
               med_rate(mb, secs[5]), "unsigned write_batch", med_rate(mb, secs[1]),
               med_ratio(mb, secs[5], mb, secs[1]), RATIO_AT_LEAST, 0.9);
    double bound[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) bound[r] = secs[1][r] / (a_cpu_secs[2][r + 1] / 2);
    printf("  A signed run's CPU (both threads): %.1f ms against %.1f unsigned; spread evenly over two\n"
           "  cores it would run at %.3f of unsigned (a_signed_two_core_bound).\n",
           median(&a_cpu_secs[2][1], ROUNDS) * 1e3, median(&a_cpu_secs[1][1], ROUNDS) * 1e3,
           median(bound, ROUNDS));
    add_extra("a_signed_cpu_ms", median(&a_cpu_secs[2][1], ROUNDS) * 1e3);
    add_extra("a_batch_cpu_ms", median(&a_cpu_secs[1][1], ROUNDS) * 1e3);
    add_extra("a_signed_two_core_bound", median(bound, ROUNDS));
    bench_verify_signed();
    /* Where the time goes: close (flush + seal + its fdatasync) vs the rest. */
    double cb = median(&a_close_secs[1][1], ROUNDS), cs = median(&a_close_secs[0][1], ROUNDS);
    double open_to_last_write[2][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        open_to_last_write[1][r] = secs[1][r] - a_close_secs[1][r + 1];
        open_to_last_write[0][r] = secs[2][r] - a_close_secs[0][r + 1];
    }
    double rb = med_ratio(mb, open_to_last_write[1], mb, secs[0]), rs = med_ratio(mb, open_to_last_write[0], mb, secs[0]);
    printf("  binlog_writer_close takes %.1f ms (batch) / %.1f ms (single) of each run; write(2) runs take %.1f ms\n"
           "  in all. Without close the ratio would be %.3f (batch) / %.3f (single).\n",
           cb * 1e3, cs * 1e3, median(secs[0], ROUNDS) * 1e3, rb, rs);
    add_extra("a_batch_close_ms", cb * 1e3);
    add_extra("a_single_close_ms", cs * 1e3);
    add_extra("a_write2_run_ms", median(secs[0], ROUNDS) * 1e3);
    add_extra("a_batch_ratio_without_close", rb);
    add_extra("a_single_ratio_without_close", rs);
    /* The ceiling: what the ideal buffered pipeline makes of the same write(2). */
    double ceiling = med_ratio(mb, secs[3], mb, secs[0]);
    double of_b = med_ratio(mb, secs[1], mb, secs[3]), of_s = med_ratio(mb, secs[2], mb, secs[3]);
    double ceiling2 = med_ratio(mb, secs[4], mb, secs[0]);
    printf("  a_pipe_ceiling (context, not a target): the ideal buffered pipeline (memcpy into %d 1 MiB\n"
           "  buffers, write(2) on a second thread, no CRC or frames) makes %.0f MB/s, %.3f of write(2);\n"
           "  libbinlog makes %.3f (batch) / %.3f (single) of it. With 2 MiB buffers (2 MiB writes, the\n"
           "  folios e's index reads need, as the library's pairs): %.0f MB/s, %.3f of write(2).\n",
           A_PIPE_DEPTH, med_rate(mb, secs[3]), ceiling, of_b, of_s, med_rate(mb, secs[4]), ceiling2);
    add_extra("a_pipe_ceiling", ceiling);
    add_extra("a_pipe_mb_s", med_rate(mb, secs[3]));
    add_extra("a_batch_of_pipe_ceiling", of_b);
    add_extra("a_single_of_pipe_ceiling", of_s);
    add_extra("a_pipe_2mib_ceiling", ceiling2);
}

/* ---- b. 32-byte records: records/s ---------------------------------------- */
static double b_close_secs;

static double run_b_memcpy(void *arg) {
    (void)arg;
    const char *path = tmp_path("b-write2.dat");
    uint8_t *buf = malloc(MIB);
    if (!buf) die_sys("malloc", NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die_sys("open", path);
    double t0 = now();
    size_t fill = 0;
    for (size_t i = 0; i < B_COUNT; i++) {
        memcpy(buf + fill, pool + i * B_RECORD % MIB, B_RECORD);
        fill += B_RECORD;
        if (fill == MIB) {
            write_all(fd, buf, fill, path);
            fill = 0;
        }
    }
    if (fill) write_all(fd, buf, fill, path);
    double t = now() - t0;
    close(fd);
    free(buf);
    remove_file(path);
    return t;
}

/* b's records' type "t" declared as protobuf `b.T` in the writer's options
 * (a FileDescriptorSet: file { package "b", message_type { name "T" } }). */
static void declare_schema(binlog_writer **w, const char *path) {
    static const uint8_t set[] = {0x0a, 0x08, 0x12, 0x01, 'b', 0x22, 0x03, 0x0a, 0x01, 'T'};
    binlog_type_schema s = {u8("t"), 1, u8("protobuf"), 8, u8("protobuf"), 8, u8("b.T"), 3, set, 10};
    binlog_options *o;
    CHECK(binlog_options_new(&o));
    if (A_BUFFER) CHECK(binlog_options_set_buffer_size(o, A_BUFFER));
    set_flush_delay(o);
    CHECK(binlog_options_add_type_schema(o, &s));
    CHECK(binlog_writer_open(path, o, w));
    binlog_options_free(o);
}

/* arg: NULL one record a call, 1 batches, 2 one a call of a type with a
 * schema. */
static double run_b_binlog(void *arg) {
    int batch = arg == (void *)1;
    const char *path = tmp_path("b-binlog.binlog");
    static binlog_entry entries[B_BATCH];
    binlog_writer *w;
    if (arg == (void *)2) declare_schema(&w, path);
    else w = open_writer(path, BINLOG_DURABILITY_NONE, A_BUFFER);
    double t0 = now();
    if (batch) {
        for (size_t i = 0; i < B_COUNT;) {
            size_t n = 0;
            for (; n < B_BATCH && i < B_COUNT; n++, i++)
                entries[n] = (binlog_entry){.type_name = u8("t"), .type_len = 1,
                                            .payload = pool + i * B_RECORD % MIB,
                                            .payload_len = B_RECORD, .timestamp_ns = BINLOG_TIME_NOW};
            CHECK(binlog_writer_write_batch(w, entries, n, NULL));
        }
    } else {
        for (size_t i = 0; i < B_COUNT; i++)
            CHECK(binlog_writer_write(w, u8("t"), 1, pool + i * B_RECORD % MIB, B_RECORD, NULL));
    }
    CHECK(binlog_writer_flush(w));
    double t = now() - t0;
    double tc = now();
    close_writer(w);
    b_close_secs = now() - tc;
    remove_file(path);
    return t;
}

static void bench_b(void) {
    printf("\nb. %d-byte records on one thread, %d per run, durability NONE, %s buffer, timed up to the\n"
           "   final binlog_writer_flush (close is timed in a); baseline memcpy into 1 MiB + write(2) per MiB\n",
           B_RECORD, B_COUNT, buffer_name());
    run_fn fns[4] = {run_b_memcpy, run_b_binlog, run_b_binlog, run_b_binlog};
    void *args[4] = {NULL, NULL, (void *)1, (void *)2};
    double secs[4][ROUNDS];
    interleave(4, fns, args, secs);
    double m = B_COUNT / 1e6, base = med_rate(m, secs[0]);
    add_figure("b_single_mrec_s", "M/s", "binlog_writer_write, M records/s", med_rate(m, secs[1]),
               "memcpy+write(2)", base, med_ratio(m, secs[1], m, secs[0]), VALUE_AT_LEAST, 20);
    add_figure("b_batch_mrec_s", "M/s", "write_batch (1024/batch), M records/s", med_rate(m, secs[2]),
               "memcpy+write(2)", base, med_ratio(m, secs[2], m, secs[0]), VALUE_AT_LEAST, 20);
    /* A schema lives in the header: a record of its type costs the same. */
    add_figure("b_schema_mrec_s", "M/s", "binlog_writer_write of a type with a schema, M records/s",
               med_rate(m, secs[3]), "without schema", med_rate(m, secs[1]),
               med_ratio(m, secs[3], m, secs[1]), RATIO_AT_LEAST, 0.95);
    printf("  (last close of a %d-record segment: %.1f ms)\n", B_COUNT, b_close_secs * 1e3);
    add_extra("b_close_ms", b_close_secs * 1e3);
}

/* ---- c./d. durable writes and group commit -------------------------------- */
static double run_c_dsync(void *arg) {
    (void)arg;
    const char *path = tmp_path("c-dsync.dat");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DSYNC, 0644);
    if (fd < 0) die_sys("open", path);
    double t0 = now();
    for (size_t i = 0; i < C_COUNT; i++) write_all(fd, pool + i * C_RECORD % MIB, C_RECORD, path);
    double t = now() - t0;
    close(fd);
    remove_file(path);
    return t;
}

static double cpu_secs(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) die_sys("getrusage", NULL);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

/* One thread's share of a durable run: put(ctx, i) for i in [first, first + count). */
typedef void (*put_fn)(void *ctx, size_t i);
struct share {
    put_fn put;
    void *ctx;
    pthread_barrier_t *start;
    size_t first, count;
};

static void *share_run(void *arg) {
    struct share *t = arg;
    pthread_barrier_wait(t->start);
    for (size_t i = t->first; i < t->first + t->count; i++) t->put(t->ctx, i);
    return NULL;
}

/* Splits C_COUNT / n * n records over n threads released together; returns
 * the time from their release to the last join, and in *cpu_us the CPU
 * time of all threads per record. */
static double run_shares(int n, put_fn put, void *ctx, double *cpu_us) {
    pthread_t tid[D_THREADS];
    struct share th[D_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    for (int k = 0; k < n; k++) {
        th[k] = (struct share){put, ctx, &start, (size_t)k * C_COUNT / n, C_COUNT / n};
        if (pthread_create(&tid[k], NULL, share_run, &th[k]) != 0) die_sys("pthread_create", NULL);
    }
    pthread_barrier_wait(&start);
    double t0 = now(), cpu0 = cpu_secs();
    for (int k = 0; k < n; k++) pthread_join(tid[k], NULL);
    double t = now() - t0;
    *cpu_us = (cpu_secs() - cpu0) * 1e6 / (double)(C_COUNT / n * n);
    pthread_barrier_destroy(&start);
    return t;
}

static void binlog_put(void *w, size_t i) {
    CHECK(binlog_writer_write(w, u8("tick"), 4, pool + i * C_RECORD % MIB, C_RECORD, NULL));
}

/* arg: number of threads (1 = the single-thread durable figure), plus
 * D_SPIN for waiters that yield D_SPIN_US before they sleep, or D_LOG for a
 * rolling log (binlog_writer_open_log; it does not roll in a run). */
#define D_SPIN 0x100
#define D_LOG 0x200
/* CPU time (all threads) per record of each 8-thread run: [spin][warm-up + rounds]. */
static double d_cpu_us[2][ROUNDS + 1];
static int d_cpu_runs[2];

static double run_c_binlog(void *arg) {
    int nthreads = (int)(intptr_t)arg & 0xff;
    int log = ((intptr_t)arg & D_LOG) != 0;
    const char *path = tmp_path(log ? "d-log" : "c-binlog.binlog");
    binlog_writer *w;
    binlog_options *o;
    CHECK(binlog_options_new(&o));
    CHECK(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_RECORD, 0));
    if ((intptr_t)arg & D_SPIN) CHECK(binlog_options_set_sync_wait_spin_us(o, D_SPIN_US));
    if (log) {
        remove_tree(path);
        CHECK(binlog_writer_open_log(path, "d", o, &w));
    } else {
        CHECK(binlog_writer_open(path, o, &w));
    }
    binlog_options_free(o);
    double t;
    if (nthreads == 1) {
        double t0 = now();
        for (size_t i = 0; i < C_COUNT; i++) binlog_put(w, i);
        t = now() - t0;
    } else {
        double cpu_us;
        t = run_shares(nthreads, binlog_put, w, &cpu_us);
        int spin = ((intptr_t)arg & D_SPIN) != 0;
        if (!log && d_cpu_runs[spin] <= ROUNDS) d_cpu_us[spin][d_cpu_runs[spin]++] = cpu_us;
    }
    uint64_t next;
    CHECK(binlog_writer_next_seq(w, &next));
    if (next != (uint64_t)C_COUNT / nthreads * nthreads) {
        fprintf(stderr, "bench: durable run wrote %llu records\n", (unsigned long long)next);
        exit(1);
    }
    close_writer(w);
    if (log)
        remove_tree(path);
    else
        remove_file(path);
    return t;
}

/* The textbook group commit in plain C, for what this machine allows: each
 * thread write(2)s its record under a mutex, then either runs the
 * fdatasync (if none is running) or waits on a condition variable for the
 * one that covers it. arg: number of threads. */
struct raw_group {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd, syncing;
    uint64_t written, synced;
    const char *path;
};

static void raw_group_put(void *ctx, size_t i) {
    struct raw_group *g = ctx;
    pthread_mutex_lock(&g->mu);
    write_all(g->fd, pool + i * C_RECORD % MIB, C_RECORD, g->path);
    uint64_t mine = ++g->written;
    while (g->synced < mine) {
        if (g->syncing) {
            pthread_cond_wait(&g->cv, &g->mu);
            continue;
        }
        g->syncing = 1;
        uint64_t upto = g->written;
        pthread_mutex_unlock(&g->mu);
        if (fdatasync(g->fd) != 0) die_sys("fdatasync", g->path);
        pthread_mutex_lock(&g->mu);
        g->synced = upto;
        g->syncing = 0;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
}

static double run_raw_group(void *arg) {
    int nthreads = (int)(intptr_t)arg;
    struct raw_group g = {.path = tmp_path("d-raw.dat")};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.fd = open(g.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (g.fd < 0) die_sys("open", g.path);
    double cpu_us;
    double t = run_shares(nthreads, raw_group_put, &g, &cpu_us);
    close(g.fd);
    remove_file(g.path);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);
    return t;
}

static void bench_cd(void) {
    printf("\nc. durability EVERY_RECORD, %d-byte records, %d per run (write calls timed); baseline write(2) O_DSYNC\n"
           "d. group commit: %d threads share one EVERY_RECORD writer, %d records each; baseline c's 1-thread figure;\n"
           "   d_spin: the same with binlog_options_set_sync_wait_spin_us(%d) (waiters yield, then sleep);\n"
           "   d_log: the same 8 threads writing to a rolling log (binlog_writer_open_log)\n",
           C_RECORD, C_COUNT, D_THREADS, C_COUNT / D_THREADS, D_SPIN_US);
    run_fn fns[7] = {run_c_dsync, run_c_binlog, run_c_binlog, run_raw_group, run_raw_group, run_c_binlog, run_c_binlog};
    void *args[7] = {NULL,
                     (void *)(intptr_t)1,
                     (void *)(intptr_t)D_THREADS,
                     (void *)(intptr_t)1,
                     (void *)(intptr_t)D_THREADS,
                     (void *)(intptr_t)(D_THREADS | D_SPIN),
                     (void *)(intptr_t)(D_THREADS | D_LOG)};
    double secs[7][ROUNDS];
    interleave(7, fns, args, secs);
    double n = C_COUNT, nd = C_COUNT / D_THREADS * D_THREADS;
    add_figure("c_durable_rec_s", "rec/s", "EVERY_RECORD, 1 thread, records/s", med_rate(n, secs[1]),
               "write(2) O_DSYNC", med_rate(n, secs[0]), med_ratio(n, secs[1], n, secs[0]), RATIO_AT_LEAST, 0.9);
    add_figure("d_group_rec_s", "rec/s", "EVERY_RECORD, 8 threads, records/s", med_rate(nd, secs[2]),
               "1 thread", med_rate(n, secs[1]), med_ratio(nd, secs[2], n, secs[1]), RATIO_AT_LEAST, 5);
    /* The same with waiters yielding before they sleep (an option: it costs
     * CPU time while waiting, so it is off by default). */
    add_figure("d_spin_rec_s", "rec/s", "EVERY_RECORD, 8 threads, sync_wait_spin_us 200, records/s",
               med_rate(nd, secs[5]), "1 thread", med_rate(n, secs[1]), med_ratio(nd, secs[5], n, secs[1]),
               RATIO_AT_LEAST, 5);
    double cpu_sleep = median(d_cpu_us[0] + 1, ROUNDS), cpu_spin = median(d_cpu_us[1] + 1, ROUNDS);
    printf("  %-16s %9s %-5s | CPU time per record, all threads: %.1f us sleeping, %.1f us spinning\n", "", "", "",
           cpu_sleep, cpu_spin);
    add_extra("d_cpu_us_per_rec", cpu_sleep);
    add_extra("d_spin_cpu_us_per_rec", cpu_spin);
    /* Not a target: a rolling log's writers share fdatasyncs as a segment's do. */
    double log_gain = med_ratio(nd, secs[6], n, secs[1]);
    printf("  %-16s %9s %-5s | 1 thread %s rec/s | ratio %.3f: the same 8 threads through a rolling log\n", "d_log_group",
           num(med_rate(nd, secs[6])), "rec/s", num(med_rate(n, secs[1])), log_gain);
    add_extra("d_log_group_rec_s", med_rate(nd, secs[6]));
    add_extra("d_log_group_ratio", log_gain);
    /* Not a target: the same ratio for the textbook C group commit above,
     * and binlog's 8-thread figure against that one's. */
    double raw_gain = med_ratio(nd, secs[4], n, secs[3]);
    double vs_raw = med_ratio(nd, secs[2], nd, secs[4]);
    printf("  %-16s %9s %-5s | 1 thread %s rec/s | ratio %.3f: what a plain mutex/condvar group commit gets\n"
           "  %-16s %9s %-5s   here; binlog's 8 threads do %.2fx its records/s\n",
           "d_raw_group", num(med_rate(nd, secs[4])), "rec/s", num(med_rate(n, secs[3])), raw_gain, "", "", "",
           vs_raw);
    add_extra("d_raw_group_rec_s", med_rate(nd, secs[4]));
    add_extra("d_raw_single_rec_s", med_rate(n, secs[3]));
    add_extra("d_raw_group_ratio", raw_gain);
    add_extra("d_binlog_vs_raw_group", vs_raw);
}

/* d under load: the same 8 durable threads while D_BUSY other processes
 * keep the CPUs busy (busy loops, forked for each run). A waiting thread
 * that yields its CPU here hands it to a busy loop for a time slice; the
 * baseline is the textbook mutex/condvar group commit above under the same
 * load, which never yields. Not a target: it shows that no waiting mode
 * collapses when the CPUs are shared (yielding leaders did 2,000 records/s
 * here against the textbook's 20,000). */
#define D_BUSY 2
static pid_t busy_pids[D_BUSY];

static void busy_start(void) {
    for (int i = 0; i < D_BUSY; i++) {
        pid_t pid = fork();
        if (pid < 0) die_sys("fork", "busy loop");
        if (pid == 0) {
            alarm(120); /* never outlives a stuck benchmark */
            for (volatile unsigned long n = 0;; n++) {
            }
        }
        busy_pids[i] = pid;
    }
}

static void busy_stop(void) {
    for (int i = 0; i < D_BUSY; i++) {
        kill(busy_pids[i], SIGKILL);
        waitpid(busy_pids[i], NULL, 0);
    }
}

static double run_busy_binlog(void *arg) {
    busy_start();
    double t = run_c_binlog(arg);
    busy_stop();
    return t;
}

static double run_busy_raw_group(void *arg) {
    busy_start();
    double t = run_raw_group(arg);
    busy_stop();
    return t;
}

static void bench_d_busy(void) {
    printf("\nd_busy. the 8 durable threads of d while %d busy-loop processes share the CPUs; baseline the\n"
           "   plain mutex/condvar group commit of d_raw_group under the same load (not a target)\n",
           D_BUSY);
    run_fn fns[3] = {run_busy_raw_group, run_busy_binlog, run_busy_binlog};
    void *args[3] = {(void *)(intptr_t)D_THREADS, (void *)(intptr_t)D_THREADS,
                     (void *)(intptr_t)(D_THREADS | D_SPIN)};
    double secs[3][ROUNDS];
    interleave(3, fns, args, secs);
    double nd = C_COUNT / D_THREADS * D_THREADS;
    double raw = med_rate(nd, secs[0]);
    double sleep_ratio = med_ratio(nd, secs[1], nd, secs[0]), spin_ratio = med_ratio(nd, secs[2], nd, secs[0]);
    printf("  %-16s %9s %-5s | plain group commit %s rec/s | ratio %.3f\n", "d_busy", num(med_rate(nd, secs[1])),
           "rec/s", num(raw), sleep_ratio);
    printf("  %-16s %9s %-5s | plain group commit %s rec/s | ratio %.3f (sync_wait_spin_us %d)\n", "d_busy_spin",
           num(med_rate(nd, secs[2])), "rec/s", num(raw), spin_ratio, D_SPIN_US);
    add_extra("d_busy_rec_s", med_rate(nd, secs[1]));
    add_extra("d_busy_spin_rec_s", med_rate(nd, secs[2]));
    add_extra("d_busy_raw_group_rec_s", raw);
    add_extra("d_busy_ratio", sleep_ratio);
    add_extra("d_busy_spin_ratio", spin_ratio);
}

/* ---- e. full scan and filtered read --------------------------------------- */
static char e_path[4200];
/* The same records written with the library's default buffer. */
static char e_path_default[4200];
static double e_file_bytes;
static uint64_t e_records, e_audits;
/* Where the "audit" records are: the floor run preads exactly these. */
static uint64_t *e_audit_off, *e_audit_len;
static const char *const E_TYPES[4] = {"order", "trade", "quote", "audit"};

static int e_type(uint64_t i) {
    unsigned k = (unsigned)(i % 100);
    return k < 60 ? 0 : k < 85 ? 1 : k < 99 ? 2 : 3; /* audit: 1% */
}

/* Finds each audit record's offset and frame length (up to the next
 * record's offset) with one full scan. */
static void e_locate_audits(void) {
    e_audit_off = malloc(e_audits * sizeof *e_audit_off);
    e_audit_len = malloc(e_audits * sizeof *e_audit_len);
    if (!e_audit_off || !e_audit_len) die_sys("malloc", NULL);
    binlog_reader *r;
    CHECK(binlog_reader_open(e_path, &r));
    binlog_record rec;
    binlog_result rc;
    uint64_t k = 0;
    int prev_audit = 0;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        if (prev_audit) e_audit_len[k - 1] = rec.offset - e_audit_off[k - 1];
        prev_audit = rec.type_len == 5 && memcmp(rec.type_name, "audit", 5) == 0;
        if (prev_audit) {
            if (k == e_audits) break;
            e_audit_off[k++] = rec.offset;
        }
    }
    if (rc != BINLOG_OK && rc != BINLOG_END) CHECK(rc);
    if (k != e_audits || prev_audit) {
        fprintf(stderr, "bench: located %llu audit records of %llu\n", (unsigned long long)k,
                (unsigned long long)e_audits);
        exit(1);
    }
    CHECK(binlog_reader_close(r));
    binlog_reader_free(r);
}

/* Writes e's segment at `path` with a `buffer`-byte writer buffer (0: the
 * default); returns the number of records. */
static uint64_t e_write(const char *path, size_t buffer) {
    remove_file(path);
    binlog_writer *w = open_writer(path, BINLOG_DURABILITY_NONE, buffer);
    binlog_entry entries[E_BATCH];
    uint64_t n = E_FILE_BYTES / (E_RECORD + 26); /* 26 bytes of framing per record */
    for (uint64_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < E_BATCH && i < n; k++, i++) {
            int t = e_type(i);
            entries[k] = (binlog_entry){.type_name = u8(E_TYPES[t]), .type_len = strlen(E_TYPES[t]),
                                        .payload = pool + i * E_RECORD % MIB, .payload_len = E_RECORD,
                                        .timestamp_ns = BINLOG_TIME_NOW};
        }
        CHECK(binlog_writer_write_batch(w, entries, k, NULL));
    }
    close_writer(w);
    return n;
}

static void e_prepare(void) {
    snprintf(e_path, sizeof e_path, "%s", tmp_path("e-scan.binlog"));
    snprintf(e_path_default, sizeof e_path_default, "%s", tmp_path("e-scan-default.binlog"));
    e_records = e_write(e_path, e_buffer());
    e_write(e_path_default, 0);
    e_audits = 0;
    for (uint64_t i = 0; i < e_records; i++) e_audits += e_type(i) == 3;
    struct stat st;
    if (stat(e_path, &st) != 0) die_sys("stat", e_path);
    e_file_bytes = (double)st.st_size;
    e_locate_audits();
}

static double run_e_read2(void *arg) {
    (void)arg;
    static uint8_t *buf;
    if (!buf && !(buf = malloc(MIB))) die_sys("malloc", NULL);
    double t0 = now();
    int fd = open(e_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_sys("open", e_path);
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, MIB)) > 0) total += (size_t)n;
    if (n < 0) die_sys("read", e_path);
    close(fd);
    double t = now() - t0;
    if ((double)total != e_file_bytes) {
        fprintf(stderr, "bench: read %zu bytes of %s\n", total, e_path);
        exit(1);
    }
    return t;
}

/* Copies of e's segment written with write(2)s of 2 MiB, 64 KiB, 4 KiB, and
 * in 64 MiB regions of each in turn: fresh files, the page cache keeps
 * folios of the writes' size (docs/PERFORMANCE.md, figure e), which decide
 * whether the filtered read is cheaper through the mapping or with pread. */
enum { E_COPIES = 4 };
static const size_t E_COPY_UNIT[E_COPIES] = {2 * MIB, 64 * 1024, 4096, 0};
static const char *const E_COPY_NAME[E_COPIES] = {"2mib", "64kib", "4kib", "mixed"};
static char e_copy_path[E_COPIES][4200];

static void e_copy(const char *to, size_t unit) {
    static uint8_t *buf;
    if (!buf && !(buf = malloc(2 * MIB))) die_sys("malloc", NULL);
    remove_file(to);
    int in = open(e_path, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) die_sys("open", in < 0 ? e_path : to);
    ssize_t n;
    for (off_t at = 0;; at += n) {
        size_t u = unit ? unit : E_COPY_UNIT[(size_t)at / (64 * MIB) % 3];
        if ((n = pread(in, buf, u, at)) <= 0) break;
        if (write(out, buf, (size_t)n) != n) die_sys("write", to);
    }
    if (n < 0) die_sys("pread", e_path);
    close(in);
    if (close(out) != 0) die_sys("close", to);
}

/* e's files: the segment (0) or a copy (1 + its index). */
static const char *e_file(int k) { return k ? e_copy_path[k - 1] : e_path; }

/* This thread's CPU time: the copies' reads are compared by it (one
 * thread, nothing waited for), wall time moves with the load. */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A baseline for the filtered read: one raw pread per audit record of
 * exactly its bytes, offsets known in advance, nothing checked. Open to
 * close is timed (a copy's: CPU time); O_NOATIME as the reader uses. arg:
 * the file, as `e_file`. */
static double run_e_pread_floor(void *arg) {
    int k = (int)(intptr_t)arg;
    double (*clock)(void) = k ? cpu_now : now;
    static uint8_t buf[64 * 1024];
    double t0 = clock();
    int fd = open(e_file(k), O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd < 0) die_sys("open", e_file(k));
    uint64_t sum = 0;
    for (uint64_t i = 0; i < e_audits; i++) {
        size_t len = e_audit_len[i] < sizeof buf ? e_audit_len[i] : sizeof buf;
        if (pread(fd, buf, len, (off_t)e_audit_off[i]) != (ssize_t)len) die_sys("pread", e_file(k));
        sum += buf[len - 1];
    }
    close(fd);
    double t = clock() - t0;
    if (sum == UINT64_MAX) printf("%llu\n", (unsigned long long)sum); /* keep the reads */
    return t;
}

/* The share of `path`'s bytes the page cache holds in 2 MiB folios, or -1
 * where the frame numbers cannot be read (not root): figure e's filtered
 * read is cheap through such folios only (docs/PERFORMANCE.md, figure e;
 * bench/folios.py prints the whole histogram). Reads /proc/self/pagemap
 * and /proc/kpageflags for each page of a mapping of the file. */
static double e_2mib_folio_share(const char *path) {
    enum { PAGE = 4096, PMD_PAGES = 512 };
    int fd = open(path, O_RDONLY | O_CLOEXEC), pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC),
        kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
    struct stat st;
    double share = -1;
    if (fd < 0 || pm < 0 || kf < 0 || fstat(fd, &st) != 0 || st.st_size == 0) goto out;
    size_t pages = ((size_t)st.st_size + PAGE - 1) / PAGE, in_2mib = 0, run = 0;
    volatile uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) goto out;
    for (size_t i = 0; i < pages; i++) (void)m[i * PAGE];
    for (size_t i = 0; i <= pages; i++) {
        uint64_t entry = 0, flags = 0;
        if (i < pages && pread(pm, &entry, 8, (off_t)(((uintptr_t)m / PAGE + i) * 8)) != 8) break;
        uint64_t frame = entry & ((1ull << 55) - 1);
        if (i < pages && (frame == 0 || pread(kf, &flags, 8, (off_t)(frame * 8)) != 8)) break;
        if (i < pages && (flags & (1ull << 16)) && run) { /* KPF_COMPOUND_TAIL */
            run++;
            continue;
        }
        if (run == PMD_PAGES) in_2mib += run;
        run = 1;
        if (i == pages) share = (double)in_2mib / (double)pages;
    }
    munmap((void *)m, (size_t)st.st_size);
out:
    if (fd >= 0) close(fd);
    if (pm >= 0) close(pm);
    if (kf >= 0) close(kf);
    return share;
}

/* arg: E_ALL or E_AUDIT (only "audit"), plus E_DEFAULT for the segment
 * written with the default buffer, or E_COPY times 1 + a copy's index.
 * Open to free is timed (a copy's: CPU time). */
enum { E_ALL = 0, E_AUDIT = 1, E_DEFAULT = 2, E_COPY = 4 };
static double run_e_binlog(void *arg) {
    int how = (int)(intptr_t)arg, audit = how & E_AUDIT, copy = how / E_COPY;
    double (*clock)(void) = copy ? cpu_now : now;
    double t0 = clock();
    binlog_reader *r;
    CHECK(binlog_reader_open(how & E_DEFAULT ? e_path_default : e_file(copy), &r));
    if (audit) {
        binlog_iovec want = {u8("audit"), 5};
        CHECK(binlog_reader_filter_types(r, &want, 1));
    }
    binlog_record rec;
    binlog_result rc;
    uint64_t count = 0;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) count++;
    if (rc != BINLOG_END) CHECK(rc);
    CHECK(binlog_reader_close(r));
    binlog_reader_free(r);
    double t = clock() - t0;
    if (count != (audit ? e_audits : e_records)) {
        fprintf(stderr, "bench: read %llu records, expected %llu\n", (unsigned long long)count,
                (unsigned long long)(audit ? e_audits : e_records));
        exit(1);
    }
    return t;
}

static void bench_e(void) {
    e_prepare();
    /* The folios the writer left (before the reads, which may read evicted pages in again). */
    double in_2mib[2 + E_COPIES] = {e_2mib_folio_share(e_path), e_2mib_folio_share(e_path_default)};
    for (int k = 0; k < E_COPIES; k++) {
        snprintf(e_copy_path[k], sizeof e_copy_path[k], "%s", tmp_path(E_COPY_NAME[k]));
        e_copy(e_copy_path[k], E_COPY_UNIT[k]);
        in_2mib[2 + k] = e_2mib_folio_share(e_copy_path[k]);
    }
    sync();
    run_e_read2(NULL); /* into the page cache */
    printf("\ne. scan of a sealed %.0f MB segment (%llu records of %d bytes, written with a %zu KiB buffer, in the\n"
           "   page cache), open to free timed; baseline read(2) in 1 MiB chunks; then only \"audit\" (%llu records,\n"
           "   1%%) via filter_types, in it and in the same records written with the default buffer; then in\n"
           "   copies of the segment in 2 MiB, 64 KiB and 4 KiB folios and mixed, against one raw pread a record\n",
           e_file_bytes / 1e6, (unsigned long long)e_records, E_RECORD, e_buffer() / 1024,
           (unsigned long long)e_audits);
    enum { E_RUNS = 6 + 2 * E_COPIES };
    run_fn fns[E_RUNS] = {run_e_read2, run_e_binlog, run_e_binlog, run_e_pread_floor, run_e_binlog, run_e_binlog};
    void *args[E_RUNS] = {NULL, (void *)E_ALL, (void *)E_AUDIT, NULL, (void *)E_DEFAULT, (void *)(E_DEFAULT | E_AUDIT)};
    for (int k = 0; k < E_COPIES; k++) {
        fns[6 + 2 * k] = run_e_binlog, args[6 + 2 * k] = (void *)(intptr_t)(E_COPY * (k + 1) | E_AUDIT);
        fns[7 + 2 * k] = run_e_pread_floor, args[7 + 2 * k] = (void *)(intptr_t)(k + 1);
    }
    double secs[E_RUNS][ROUNDS];
    interleave(E_RUNS, fns, args, secs);
    double gb = e_file_bytes / 1e9;
    add_figure("e_scan_gb_s", "GB/s", "binlog_reader_next full scan, GB/s of file", med_rate(gb, secs[1]),
               "read(2)", med_rate(gb, secs[0]), med_ratio(gb, secs[1], gb, secs[0]), VALUE_AT_LEAST, 4);
    double ms_f[ROUNDS], ms_s[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) ms_f[i] = secs[2][i] * 1e3, ms_s[i] = secs[1][i] * 1e3;
    /* ratio = speedup = scan time / filtered time, per round */
    add_figure("e_filter_ms", "ms", "filter_types(\"audit\") read time", median(ms_f, ROUNDS), "full scan",
               median(ms_s, ROUNDS), med_ratio(1, secs[2], 1, secs[1]), RATIO_AT_LEAST, 20);
    /* The same for the segment written with the default buffer, against
     * its own full scan: smaller writes leave smaller folios. */
    double ms_fd[ROUNDS], ms_sd[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) ms_fd[i] = secs[5][i] * 1e3, ms_sd[i] = secs[4][i] * 1e3;
    add_figure("e_filter_default_ms", "ms", "the same, segment written with the default buffer",
               median(ms_fd, ROUNDS), "its full scan", median(ms_sd, ROUNDS), med_ratio(1, secs[5], 1, secs[4]),
               RATIO_AT_LEAST, 20);
    /* A reader that did nothing but one pread per wanted record would reach
     * `floor_speedup`; the filtered read must be as fast, whatever the
     * folios (the copies: CPU time). */
    double ms_p[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) ms_p[i] = secs[3][i] * 1e3;
    double floor_speedup = med_ratio(1, secs[3], 1, secs[1]);
    add_figure("e_filter_vs_pread", "ms", "the filtered read against one raw pread a record", median(ms_f, ROUNDS),
               "raw preads", median(ms_p, ROUNDS), med_ratio(1, secs[2], 1, secs[3]), RATIO_AT_LEAST, 1);
    static char names[E_COPIES][40];
    double worst = 0;
    for (int k = 0; k < E_COPIES; k++) {
        double vs = med_ratio(1, secs[6 + 2 * k], 1, secs[7 + 2 * k]);
        worst = k == 0 || vs < worst ? vs : worst;
        snprintf(names[k], sizeof names[k], "e_filter_vs_pread_%s", E_COPY_NAME[k]);
        printf("  %-24s %.3f | filter_types %s ms of CPU, raw preads %s ms; the copy %.1f%% in 2 MiB folios\n",
               names[k], vs, num(median(secs[6 + 2 * k], ROUNDS) * 1e3), num(median(secs[7 + 2 * k], ROUNDS) * 1e3),
               in_2mib[2 + k] * 100);
        add_extra(names[k], vs);
    }
    add_figure("e_filter_vs_pread_any", "", "the worst of those ratios in the four copies", worst, "", 1, worst,
               RATIO_AT_LEAST, 1);
    printf("  %-16s %9s %-5s   one raw pread a record is %.1fx faster than the full scan\n", "", "", "",
           floor_speedup);
    add_extra("e_pread_ms", median(ms_p, ROUNDS));
    add_extra("e_pread_speedup", floor_speedup);
    add_extra("e_file_mb", e_file_bytes / 1e6);
    add_extra("e_records", (double)e_records);
    add_extra("e_audit_records", (double)e_audits);
    add_extra("e_file_in_2mib_folios", in_2mib[0]);
    add_extra("e_default_file_in_2mib_folios", in_2mib[1]);
    static char shares[E_COPIES][48];
    for (int k = 0; k < E_COPIES; k++) {
        snprintf(shares[k], sizeof shares[k], "e_%s_copy_in_2mib_folios", E_COPY_NAME[k]);
        add_extra(shares[k], in_2mib[2 + k]);
        remove_file(e_copy_path[k]);
    }
    remove_file(e_path);
    remove_file(e_path_default);
    free(e_audit_off);
    free(e_audit_len);
}

/* ---- j. consumers -------------------------------------------------------- */
/* A consumer is a log reader that commits its position: it reads at the
 * speed of a plain log reader, and a commit is one small write and one
 * fdatasync of its file. */
#define J_RECORDS 2000000
#define J_RECORD 64
#define J_COMMITS 200
static char j_dir[4096];

static void j_prepare(void) {
    snprintf(j_dir, sizeof j_dir, "%s", tmp_path("consumer-log"));
    if (mkdir(j_dir, 0755) != 0) die_sys("mkdir", j_dir);
    binlog_options *o;
    CHECK(binlog_options_new(&o));
    CHECK(binlog_options_set_max_segment_bytes(o, 64u << 20));
    binlog_writer *w;
    CHECK(binlog_writer_open_log(j_dir, "orders", o, &w));
    binlog_options_free(o);
    for (uint64_t i = 0; i < J_RECORDS; i++) {
        CHECK(binlog_writer_write(w, u8("order"), 5, pool + (i * 61) % POOL_BYTES, J_RECORD, NULL));
    }
    close_writer(w);
}

/* Reads the log to its end: as consumer "bench" (from the first record,
 * committing at the end) if `arg`, else with a plain log reader. */
static double run_j_read(void *arg) {
    int consumer = arg != NULL;
    double t0 = now();
    binlog_reader *r;
    if (consumer) {
        CHECK(binlog_consumer_open(j_dir, "orders", "bench", NULL, BINLOG_START_FIRST, 0, 0, &r));
        CHECK(binlog_reader_seek_seq(r, 0));
    } else {
        CHECK(binlog_reader_open_log(j_dir, "orders", &r));
    }
    binlog_record rec;
    binlog_result rc;
    uint64_t count = 0;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) count++;
    if (rc != BINLOG_END) CHECK(rc);
    if (consumer) CHECK(binlog_consumer_commit(r));
    binlog_reader_free(r);
    double t = now() - t0;
    if (count != J_RECORDS) {
        fprintf(stderr, "bench: j read %llu records, expected %d\n", (unsigned long long)count, J_RECORDS);
        exit(1);
    }
    return t;
}

/* J_COMMITS commits of consumer "commits", a record read before each; or,
 * as the baseline, as many pwrite(2)s of 64 bytes and fdatasync(2)s of a
 * file of the same directory. */
static double run_j_commits(void *arg) {
    double t0 = now();
    if (arg == NULL) {
        const char *p = tmp_path("consumer-log/raw-commit");
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        if (fd < 0) die_sys("open", p);
        for (int i = 0; i < J_COMMITS; i++) {
            if (pwrite(fd, pool + i, 64, (i % 2) * 65536) != 64) die_sys("pwrite", p);
            if (fdatasync(fd) != 0) die_sys("fdatasync", p);
        }
        close(fd);
        return now() - t0;
    }
    binlog_reader *r;
    CHECK(binlog_consumer_open(j_dir, "orders", "commits", NULL, BINLOG_START_FIRST, 0, 0, &r));
    binlog_record rec;
    for (int i = 0; i < J_COMMITS; i++) {
        CHECK(binlog_reader_next(r, &rec));
        CHECK(binlog_consumer_commit(r));
    }
    binlog_reader_free(r);
    return now() - t0;
}

static void bench_j(void) {
    j_prepare();
    run_j_read(NULL); /* into the page cache */
    printf("\nj. a consumer of a log of %d records of %d bytes (in the page cache) read to its end and committed,\n"
           "   against a plain log reader; and %d commits (one record read before each), against as many\n"
           "   pwrite(2)s of 64 bytes each followed by fdatasync(2) in the same directory\n",
           J_RECORDS, J_RECORD, J_COMMITS);
    run_fn fns[4] = {run_j_read, run_j_read, run_j_commits, run_j_commits};
    void *args[4] = {NULL, (void *)1, NULL, (void *)1};
    double secs[4][ROUNDS];
    interleave(4, fns, args, secs);
    double m = J_RECORDS / 1e6;
    add_figure("j_consumer_read_mrec_s", "Mrec/s", "a consumer's reads, M records/s", med_rate(m, secs[1]),
               "plain log reader", med_rate(m, secs[0]), med_ratio(m, secs[1], m, secs[0]), RATIO_AT_LEAST,
               0.95);
    add_figure("j_commits_s", "commits/s", "binlog_consumer_commit, commits/s", med_rate(J_COMMITS, secs[3]),
               "pwrite+fdatasync", med_rate(J_COMMITS, secs[2]), med_ratio(J_COMMITS, secs[3], J_COMMITS, secs[2]),
               RATIO_AT_LEAST, 0.8);
    remove_tree(j_dir);
}

/* ---- f. writer memory ------------------------------------------------------ */
struct f_result {
    int ok;
    long start_kb, peak_kb;
    double secs;
};

static struct f_result f_child(uint64_t count) {
    int fds[2];
    if (pipe(fds) != 0) die_sys("pipe", NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) die_sys("fork", NULL);
    if (pid == 0) {
        close(fds[0]);
        struct f_result res = {0};
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        res.start_kb = ru.ru_maxrss;
        const char *path = tmp_path("f-memory.binlog");
        remove_file(path);
        double t0 = now();
        binlog_writer *w = open_writer(path, BINLOG_DURABILITY_NONE, 0);
        static binlog_entry entries[F_BATCH];
        for (uint64_t i = 0; i < count;) {
            size_t n = 0;
            for (; n < F_BATCH && i < count; n++, i++)
                entries[n] = (binlog_entry){.type_name = u8("t"), .type_len = 1,
                                            .payload = pool + i * B_RECORD % MIB,
                                            .payload_len = B_RECORD, .timestamp_ns = BINLOG_TIME_NOW};
            CHECK(binlog_writer_write_batch(w, entries, n, NULL));
        }
        close_writer(w);
        res.secs = now() - t0;
        getrusage(RUSAGE_SELF, &ru);
        res.peak_kb = ru.ru_maxrss;
        res.ok = 1;
        remove_file(path);
        if (write(fds[1], &res, sizeof res) != (ssize_t)sizeof res) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    struct f_result res = {0};
    ssize_t n = read(fds[0], &res, sizeof res);
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0) die_sys("waitpid", NULL);
    if (n != (ssize_t)sizeof res || !res.ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: memory child for %llu records failed\n", (unsigned long long)count);
        exit(1);
    }
    remove_file(tmp_path("f-memory.binlog"));
    return res;
}

static void bench_f(void) {
    printf("\nf. writer peak RSS in a forked child (ru_maxrss), %d-byte records, write_batch of %d, durability NONE\n",
           B_RECORD, F_BATCH);
    struct f_result s = f_child(F_SMALL), l = f_child(F_LARGE);
    printf("  %d M records: peak %.1f MB (child started at %.1f MB), %.1f s\n", F_SMALL / 1000000,
           s.peak_kb / 1024.0, s.start_kb / 1024.0, s.secs);
    printf("  %d M records: peak %.1f MB (child started at %.1f MB), %.1f s\n", F_LARGE / 1000000,
           l.peak_kb / 1024.0, l.start_kb / 1024.0, l.secs);
    add_extra("f_10M_peak_rss_mb", s.peak_kb / 1024.0);
    add_extra("f_50M_peak_rss_mb", l.peak_kb / 1024.0);
    add_extra("f_child_start_rss_mb", l.start_kb / 1024.0);
    add_extra("f_10M_secs", s.secs);
    add_extra("f_50M_secs", l.secs);
    add_figure("f_peak_rss_mb", "MB", "peak RSS writing 50 M records", l.peak_kb / 1024.0, "10 M records",
               s.peak_kb / 1024.0, (double)l.peak_kb / (double)s.peak_kb, RATIO_AT_MOST, 1.1);
}

/* ---- g./h. rolling logs (binlog_writer_open_log, binlog_reader_next_wait) -- */
/* g. the cost of rolling: the same bytes through a log that rolls every
 *    64 MiB vs one segment writer. h. follower latency: record write time
 *    (CLOCK_MONOTONIC, in the payload) to receipt by a next_wait follower. */
#define G_RECORD       600
#define G_TOTAL        (512u * MIB)    /* payload bytes per run */
#define G_ROLL         (64u * MIB)     /* binlog_options_set_max_segment_bytes */
#define G_BATCH        256
#define H_RECORDS      5000            /* records per run */
#define H_INTERVAL_NS  200000          /* one record every 200 us */
#define H_ROLL_RECORDS 1000            /* the follower crosses 4 rolls per run */

static unsigned count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) die_sys("opendir", dir);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static const size_t g_records = G_TOTAL / G_RECORD;
static unsigned g_segments; /* segment files of the last rolling run */
static int g_seals;         /* segments sealed so far in this run */
static double g_roll_ms[ROUNDS + 1], g_batch_us[ROUNDS + 1]; /* per rolling run */
static int g_roll_idx;
/* Per run of each rolling variant (1: seal on the writer's path, 2: on the
 * background thread): the mean of the run's R slowest batches minus its
 * median batch, R = the run's rolls. Where the seal is written elsewhere a
 * roll's batch is not necessarily among the slowest, so this measures what
 * rolling adds to the worst batches, wherever it lands. */
static double g_worst_ms[3][ROUNDS + 1];
static int g_worst_idx[3];
static double g_batch_s[G_TOTAL / G_RECORD / G_BATCH + 2];

static int32_t g_on_segment(void *user, const binlog_segment_info *info) {
    (void)user;
    g_seals += info->event == BINLOG_SEGMENT_SEALED;
    return 0;
}

/* arg NULL: one segment writer; else a log rolling every G_ROLL bytes,
 * sealing on the writer's path (1) or the background thread (2). Open to
 * close (seal) timed, as in a. */
static double run_g(void *arg) {
    int variant = (int)(intptr_t)arg, rolling = variant != 0;
    const char *dir = tmp_path("g-log"), *path = tmp_path("g-segment.binlog");
    /* A run killed earlier (Ctrl-C) leaves its log: start from nothing. */
    remove_tree(dir);
    remove_file(path);
    binlog_options *o;
    CHECK(binlog_options_new(&o));
    CHECK(binlog_options_set_durability(o, BINLOG_DURABILITY_NONE, 0));
    if (A_BUFFER) CHECK(binlog_options_set_buffer_size(o, A_BUFFER));
    set_flush_delay(o);
    if (rolling) CHECK(binlog_options_set_max_segment_bytes(o, G_ROLL));
    if (variant == 2) CHECK(binlog_options_set_seal_in_background(o, true));
    binlog_entry entries[G_BATCH];
    binlog_writer *w;
    double t0 = now();
    if (rolling)
        CHECK(binlog_writer_open_log(dir, "g", o, &w));
    else
        CHECK(binlog_writer_open(path, o, &w));
    /* Where a rolling run's extra time goes: batches that rolled vs the rest. */
    double rolled_s = 0, plain_s = 0;
    int rolls = 0, plain = 0;
    size_t batches = 0;
    g_seals = 0;
    if (rolling) CHECK(binlog_writer_on_segment(w, g_on_segment, NULL));
    for (size_t i = 0; i < g_records;) {
        size_t n = 0;
        for (; n < G_BATCH && i < g_records; n++, i++)
            entries[n] = (binlog_entry){.type_name = u8("tick"), .type_len = 4,
                                        .payload = pool + i * G_RECORD % MIB,
                                        .payload_len = G_RECORD, .timestamp_ns = BINLOG_TIME_NOW};
        int seals = g_seals;
        double tb = now();
        CHECK(binlog_writer_write_batch(w, entries, n, NULL));
        tb = now() - tb;
        g_batch_s[batches++] = tb;
        if (g_seals != seals)
            rolled_s += tb, rolls += g_seals - seals;
        else
            plain_s += tb, plain++;
    }
    uint64_t next;
    CHECK(binlog_writer_next_seq(w, &next));
    close_writer(w);
    double t = now() - t0;
    binlog_options_free(o);
    if (next != g_records) {
        fprintf(stderr, "bench: g wrote %llu records\n", (unsigned long long)next);
        exit(1);
    }
    if (rolling) {
        g_segments = count_files(dir) - 1; /* and the manifest */
        if (variant == 1) {
            double batch = plain ? plain_s / plain : 0;
            g_roll_ms[g_roll_idx % (ROUNDS + 1)] = rolls ? (rolled_s - rolls * batch) / rolls * 1e3 : 0;
            g_batch_us[g_roll_idx++ % (ROUNDS + 1)] = batch * 1e6;
        }
        /* Every segment but the last was rolled away from. */
        size_t r = g_segments > 1 ? g_segments - 1 : 0;
        qsort(g_batch_s, batches, sizeof g_batch_s[0], cmp_double);
        double worst = 0;
        for (size_t k = 0; k < r && k < batches; k++) worst += g_batch_s[batches - 1 - k];
        double extra = r ? (worst / (double)r - g_batch_s[batches / 2]) * 1e3 : 0;
        g_worst_ms[variant][g_worst_idx[variant]++ % (ROUNDS + 1)] = extra;
        remove_tree(dir);
    } else {
        remove_file(path);
    }
    return t;
}

static void bench_g(void) {
    printf("\ng. rolling log: %d-byte records, write_batch of %d, durability NONE, %s buffer, %.0f MB of payload\n"
           "   per run, open to close timed; a log rolling every %u MiB vs one segment (binlog_writer_open)\n",
           G_RECORD, G_BATCH, buffer_name(), g_records * G_RECORD / 1e6, G_ROLL / MIB);
    run_fn fns[3] = {run_g, run_g, run_g};
    void *args[3] = {NULL, (void *)1, (void *)2};
    double secs[3][ROUNDS];
    interleave(3, fns, args, secs);
    double mb = g_records * G_RECORD / 1e6;
    add_figure("g_roll_mb_s", "MB/s", "log rolling every 64 MiB, MB/s of payload", med_rate(mb, secs[1]),
               "one segment", med_rate(mb, secs[0]), med_ratio(mb, secs[1], mb, secs[0]), RATIO_AT_LEAST, 0.95);
    double roll_ms = median(&g_roll_ms[1], ROUNDS), batch_us = median(&g_batch_us[1], ROUNDS);
    printf("  %u segments per rolling run; median run %.0f ms (rolling) vs %.0f ms (one segment); a batch that\n"
           "  rolls takes %.2f ms more than the others (%.0f us): seal and new segment (the manifest is\n  replaced by the log's background thread)\n",
           g_segments, median(secs[1], ROUNDS) * 1e3, median(secs[0], ROUNDS) * 1e3, roll_ms, batch_us);
    double worst_sync = median(&g_worst_ms[1][1], ROUNDS), worst_bg = median(&g_worst_ms[2][1], ROUNDS);
    printf("  with binlog_options_set_seal_in_background: median run %.0f ms, %.2fx one segment's MB/s;\n"
           "  a run's R slowest batches (R = its rolls) take on average %.2f ms more than its median batch,\n"
           "  against %.2f ms sealing on the writer's path\n",
           median(secs[2], ROUNDS) * 1e3, med_ratio(mb, secs[2], mb, secs[0]), worst_bg, worst_sync);
    add_extra("g_bg_seal_ratio", med_ratio(mb, secs[2], mb, secs[0]));
    add_extra("g_worst_batches_extra_ms", worst_sync);
    add_extra("g_bg_seal_worst_batches_extra_ms", worst_bg);
    add_extra("g_roll_ms_each", roll_ms);
    add_extra("g_segments_per_run", g_segments);
    add_extra("g_roll_run_ms", median(secs[1], ROUNDS) * 1e3);
    add_extra("g_segment_run_ms", median(secs[0], ROUNDS) * 1e3);
}

/* h: one run's writer and follower threads. */
struct h_run {
    int use_pipe;
    int fds[2];
    binlog_writer *w;
    binlog_reader *r;
    pthread_barrier_t start;
    double lat_us[H_RECORDS];
    uint64_t retried; /* next_wait errors retried (see the printout) */
};

static int64_t mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Writes H_RECORDS timestamps, one every H_INTERVAL_NS on an absolute
 * schedule; each record is flushed (or written to the pipe) at once. */
static void *h_writer(void *arg) {
    struct h_run *h = arg;
    pthread_barrier_wait(&h->start);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int i = 0; i < H_RECORDS; i++) {
        int64_t ts = mono_ns();
        if (h->use_pipe) {
            write_all(h->fds[1], &ts, sizeof ts, "pipe");
        } else {
            CHECK(binlog_writer_write(h->w, u8("lat"), 3, (const uint8_t *)&ts, sizeof ts, NULL));
            CHECK(binlog_writer_flush(h->w));
        }
        next.tv_nsec += H_INTERVAL_NS;
        if (next.tv_nsec >= 1000000000) next.tv_sec++, next.tv_nsec -= 1000000000;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    }
    return NULL;
}

/* Receives the H_RECORDS timestamps and records each one's latency. */
static void *h_follower(void *arg) {
    struct h_run *h = arg;
    pthread_barrier_wait(&h->start);
    for (int i = 0; i < H_RECORDS;) {
        int64_t ts;
        if (h->use_pipe) {
            size_t got = 0;
            while (got < sizeof ts) {
                ssize_t n = read(h->fds[0], (char *)&ts + got, sizeof ts - got);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) die_sys("read", "pipe");
                got += (size_t)n;
            }
        } else {
            binlog_record rec;
            binlog_result rc = binlog_reader_next_wait(h->r, 2000, &rec);
            if (rc == BINLOG_ERR_TRUNCATED) { /* a segment seen before its header: retry */
                h->retried++;
                continue;
            }
            if (rc == BINLOG_END) {
                fprintf(stderr, "bench: h follower waited 2 s for record %d\n", i);
                exit(1);
            }
            CHECK(rc);
            if (rec.seq != (uint64_t)i || rec.payload_len != sizeof ts) {
                fprintf(stderr, "bench: h follower read seq %llu, expected %d\n", (unsigned long long)rec.seq, i);
                exit(1);
            }
            memcpy(&ts, rec.payload, sizeof ts);
        }
        h->lat_us[i++] = (double)(mono_ns() - ts) / 1e3;
    }
    return NULL;
}

static double h_p99[2][ROUNDS + 1], h_max[2][ROUNDS + 1];
static int h_idx[2];
static uint64_t h_retried;

/* arg NULL: a pipe (a follower blocked in read(2)); else a rolling log and
 * a binlog_reader_next_wait follower. Returns the run's median latency in
 * seconds (a "time", so med_ratio works as for the other figures). */
static double run_h(void *arg) {
    static struct h_run h; /* large: not on the stack */
    memset(&h, 0, sizeof h);
    h.use_pipe = arg == NULL;
    const char *dir = tmp_path("h-log");
    if (h.use_pipe) {
        if (pipe(h.fds) != 0) die_sys("pipe", NULL);
    } else {
        binlog_options *o;
        CHECK(binlog_options_new(&o));
        CHECK(binlog_options_set_max_segment_records(o, H_ROLL_RECORDS));
        CHECK(binlog_writer_open_log(dir, "h", o, &h.w));
        binlog_options_free(o);
        CHECK(binlog_reader_open_log(dir, "h", &h.r));
    }
    pthread_barrier_init(&h.start, NULL, 2);
    pthread_t tw, tf;
    if (pthread_create(&tf, NULL, h_follower, &h) != 0 || pthread_create(&tw, NULL, h_writer, &h) != 0)
        die_sys("pthread_create", NULL);
    pthread_join(tw, NULL);
    pthread_join(tf, NULL);
    pthread_barrier_destroy(&h.start);
    if (h.use_pipe) {
        close(h.fds[0]);
        close(h.fds[1]);
    } else {
        CHECK(binlog_reader_close(h.r));
        binlog_reader_free(h.r);
        close_writer(h.w);
        remove_tree(dir);
        h_retried += h.retried;
    }
    qsort(h.lat_us, H_RECORDS, sizeof h.lat_us[0], cmp_double);
    int v = !h.use_pipe, k = h_idx[v]++ % (ROUNDS + 1); /* [0] = warm-up */
    h_p99[v][k] = h.lat_us[H_RECORDS * 99 / 100];
    h_max[v][k] = h.lat_us[H_RECORDS - 1];
    return h.lat_us[H_RECORDS / 2] / 1e6;
}

static double h_p50_us, h_p99_us, h_pipe_p50_us, h_pipe_p99_us, h_max_us;

static void bench_h(void) {
    printf("\nh. follower latency: a writer thread writes+flushes one record (its CLOCK_MONOTONIC time) every %d us,\n"
           "   %d per run, to a log rolling every %d records; a follower thread in binlog_reader_next_wait takes\n"
           "   receipt time - write time; baseline the same through a pipe (a follower blocked in read(2))\n",
           H_INTERVAL_NS / 1000, H_RECORDS, H_ROLL_RECORDS);
    run_fn fns[2] = {run_h, run_h};
    void *args[2] = {NULL, (void *)1};
    double secs[2][ROUNDS];
    interleave(2, fns, args, secs);
    double us[2][ROUNDS];
    for (int v = 0; v < 2; v++)
        for (int r = 0; r < ROUNDS; r++) us[v][r] = secs[v][r] * 1e6;
    h_p50_us = median(us[1], ROUNDS), h_pipe_p50_us = median(us[0], ROUNDS);
    h_p99_us = median(&h_p99[1][1], ROUNDS), h_pipe_p99_us = median(&h_p99[0][1], ROUNDS);
    h_max_us = 0;
    for (int r = 1; r <= ROUNDS; r++) h_max_us = h_max[1][r] > h_max_us ? h_max[1][r] : h_max_us;
    /* ratio = binlog latency / pipe latency, per round */
    add_figure("h_follow_p50_us", "us", "next_wait follower latency, median", h_p50_us, "pipe read(2)",
               h_pipe_p50_us, med_ratio(1, secs[0], 1, secs[1]), VALUE_AT_MOST, 1000);
    printf("  p99 %s us (pipe %s us); worst single record %s us over %d runs\n", num(h_p99_us), num(h_pipe_p99_us),
           num(h_max_us), ROUNDS);
    if (h_retried)
        printf("  WARNING: next_wait returned BINLOG_ERR_TRUNCATED %llu times (a new segment seen before its header\n"
               "  was written: a library bug); the follower retried\n", (unsigned long long)h_retried);
    add_extra("h_follow_p99_us", h_p99_us);
    add_extra("h_pipe_p99_us", h_pipe_p99_us);
    add_extra("h_follow_max_us", h_max_us);
    add_extra("h_follow_truncated_retries", (double)h_retried);
}

/* h_idle: the CPU time a follower spends waiting at the end of a log in
 * binlog_reader_next_wait with nothing written (1 s), at the end of a log of
 * H_IDLE_SEGMENTS segments against a log of one: a follower must not read
 * the whole directory on every poll (it did: 52% of a CPU at 2,000
 * segments, against 5% at one). Not a target. */
#define H_IDLE_SEGMENTS 2000
#define H_IDLE_ROUNDS 3

static double thread_cpu_s(void) {
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* Percent of a CPU an idle follower uses at the end of a log of `segments`. */
static double idle_follower_pct(int segments) {
    const char *dir = tmp_path("h-idle");
    remove_tree(dir);
    binlog_writer *w;
    CHECK(binlog_writer_open_log(dir, "idle", NULL, &w));
    for (int i = 0; i < segments; i++) {
        CHECK(binlog_writer_write(w, u8("t"), 1, pool, 16, NULL));
        if (i + 1 < segments) CHECK(binlog_writer_roll(w));
    }
    CHECK(binlog_writer_flush(w));
    binlog_reader *r;
    CHECK(binlog_reader_open_log(dir, "idle", &r));
    binlog_record rec;
    for (int i = 0; i < segments; i++) CHECK(binlog_reader_next_wait(r, 1000, &rec));
    double c0 = thread_cpu_s(), t0 = now();
    binlog_result rc = binlog_reader_next_wait(r, 1000, &rec);
    double pct = (thread_cpu_s() - c0) / (now() - t0) * 100;
    if (rc != BINLOG_END) {
        fprintf(stderr, "bench: idle follower got %d, not BINLOG_END\n", (int)rc);
        exit(1);
    }
    CHECK(binlog_reader_close(r));
    binlog_reader_free(r);
    close_writer(w);
    remove_tree(dir);
    return pct;
}

static void bench_h_idle(void) {
    double one[H_IDLE_ROUNDS], many[H_IDLE_ROUNDS];
    for (int i = 0; i < H_IDLE_ROUNDS; i++) {
        one[i] = idle_follower_pct(1);
        many[i] = idle_follower_pct(H_IDLE_SEGMENTS);
    }
    double p1 = median(one, H_IDLE_ROUNDS), pm = median(many, H_IDLE_ROUNDS);
    printf("  idle follower (next_wait, nothing written for 1 s): %.1f%% of a CPU at the end of a log of %d\n"
           "  segments, %.1f%% with one segment (medians of %d)\n",
           pm, H_IDLE_SEGMENTS, p1, H_IDLE_ROUNDS);
    add_extra("h_idle_cpu_pct", pm);
    add_extra("h_idle_cpu_pct_one_segment", p1);
}

static int is_log_figure(const struct figure *f) {
    return strncmp(f->name, "g_", 2) == 0 || strncmp(f->name, "h_", 2) == 0;
}

/* The rolling-log section of the summary (figures g and h). */
static void summary_log(void) {
    printf("\nrolling logs\n");
    for (int i = 0; i < nfigures; i++) {
        const struct figure *f = &figures[i];
        if (!is_log_figure(f)) continue;
        printf("%-16s %10s %-6s %10s %-17s %7.3f  %-19s %s\n", f->name, num(f->value), f->unit, num(f->baseline),
               f->baseline_what, f->ratio, target_text(f), f->met ? "yes" : "NO");
        if (strcmp(f->name, "h_follow_p50_us") == 0)
            printf("%-16s %10s %-6s %10s %-17s\n", "  (p99)", num(h_p99_us), "us", num(h_pipe_p99_us), "pipe read(2)");
    }
}

/* ---- Machine, summary, JSON ------------------------------------------------ */
static char cpu_model[256] = "unknown", kernel[256] = "unknown";
static long ncpu;

static void machine(void) {
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v += 1 + (v[1] == ' ');
                v[strcspn(v, "\n")] = 0;
                snprintf(cpu_model, sizeof cpu_model, "%s", v);
            }
            break;
        }
    }
    if (f) fclose(f);
    struct utsname u;
    if (uname(&u) == 0) snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    printf("libbinlog %s benchmark\nmachine: %ld CPUs, %s, %s\ntemp dir: %s, %d measured rounds per comparison "
           "(+1 warm-up), medians reported\n",
           binlog_version(), ncpu, cpu_model, kernel, tmpdir, ROUNDS);
}

static int cmp_figure(const void *a, const void *b) {
    return strcmp(((const struct figure *)a)->name, ((const struct figure *)b)->name);
}

static void summary(void) {
    qsort(figures, (size_t)nfigures, sizeof figures[0], cmp_figure); /* a..f */
    printf("\nsummary (medians of %d interleaved rounds)\n", ROUNDS);
    printf("%-16s %10s %-6s %10s %-17s %7s  %-19s %s\n", "figure", "value", "unit", "baseline", "(baseline is)",
           "ratio", "target", "met");
    for (int i = 0; i < nfigures; i++) {
        const struct figure *f = &figures[i];
        if (is_log_figure(f)) continue; /* in their own section: summary_log */
        printf("%-16s %10s %-6s %10s %-17s %7.3f  %-19s %s\n", f->name, num(f->value), f->unit, num(f->baseline),
               f->baseline_what, f->ratio, target_text(f), f->met ? "yes" : "NO");
    }
}

/* A JSON string literal of s (into a rotating static buffer). */
static const char *json_str(const char *s) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8], *o = p;
    *o++ = '"';
    for (; *s && o < p + sizeof buf[0] - 8; s++) {
        if (*s == '"' || *s == '\\') *o++ = '\\';
        *o++ = (unsigned char)*s < 0x20 ? ' ' : *s;
    }
    *o++ = '"';
    *o = 0;
    return p;
}

static void write_json(const char *path, double elapsed) {
    FILE *f = fopen(path, "w");
    if (!f) die_sys("create", path);
    fprintf(f, "{\n  \"machine\": {\"nproc\": %ld, \"cpu\": %s, \"kernel\": %s, \"library\": %s},\n", ncpu,
            json_str(cpu_model), json_str(kernel), json_str(binlog_version()));
    fprintf(f, "  \"rounds\": %d,\n  \"elapsed_s\": %.1f,\n  \"figures\": {\n", ROUNDS, elapsed);
    for (int i = 0; i < nfigures; i++) {
        const struct figure *g = &figures[i];
        fprintf(f,
                "    %s: {\"value\": %.6g, \"unit\": %s, \"what\": %s, \"baseline\": %.6g, "
                "\"baseline_what\": %s, \"ratio\": %.6g, \"target\": %s, \"met\": %s}%s\n",
                json_str(g->name), g->value, json_str(g->unit), json_str(g->what), g->baseline,
                json_str(g->baseline_what), g->ratio, json_str(target_text(g)), g->met ? "true" : "false",
                i + 1 < nfigures ? "," : "");
    }
    fprintf(f, "  },\n  \"details\": {\n");
    for (int i = 0; i < nextras; i++)
        fprintf(f, "    %s: %.6g%s\n", json_str(extras[i].name), extras[i].value, i + 1 < nextras ? "," : "");
    fprintf(f, "  }\n}\n");
    if (fclose(f) != 0) die_sys("write", path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <output.json>\n", argv[0]);
        return 2;
    }
    double t_start = now();
    /* Temp dir next to the JSON file (target/bench-tmp for make bench). */
    const char *slash = strrchr(argv[1], '/');
    if (slash)
        snprintf(tmpdir, sizeof tmpdir, "%.*s/bench-tmp", (int)(slash - argv[1]), argv[1]);
    else
        snprintf(tmpdir, sizeof tmpdir, "bench-tmp");
    if (mkdir(tmpdir, 0755) != 0 && errno != EEXIST) die_sys("mkdir", tmpdir);

    pool = malloc(POOL_BYTES + 4096);
    if (!pool) die_sys("malloc", NULL);
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64 */
    for (size_t i = 0; i < POOL_BYTES + 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pool[i] = (uint8_t)x;
    }

    machine();
    /* BENCH_ONLY=a,e (letters) runs a subset, for iterating on one figure. */
    const char *only = getenv("BENCH_ONLY");
#define WANT(c) (only == NULL || strchr(only, c) != NULL)
    /* sync(2) between figures: the previous one's dirty pages would
     * otherwise be written back during the next (f leaves gigabytes),
     * taking CPU from whichever variant runs then. */
    if (WANT('f')) bench_f(), sync(); /* first, while this process is small: a forked child starts with its parent's RSS */
    if (WANT('a')) bench_a(), sync();
    if (WANT('b')) bench_b(), sync();
    if (WANT('c') || WANT('d')) bench_cd(), sync();
    if (WANT('d')) bench_d_busy(), sync();
    if (WANT('e')) bench_e(), sync();
    if (WANT('g')) bench_g(), sync();
    if (WANT('h')) bench_h(), bench_h_idle();
    if (WANT('j')) bench_j(), sync();
#undef WANT
    double elapsed = now() - t_start;
    summary();
    summary_log();
    write_json(argv[1], elapsed);
    printf("\nwrote %s; total time %.0f s\n", argv[1], elapsed);
    rmdir(tmpdir);
    free(pool);
    return 0;
}
