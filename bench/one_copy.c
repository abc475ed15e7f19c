/* Figure a's question, without the library: can a design that copies each
 * record once beat one that copies it into a buffer and then write(2)s the
 * buffer (two copies)? Puts 256 MiB of 600 B records into a new file each
 * way, ROUNDS times interleaved, and prints the median process CPU and wall
 * time of each way and its ratio to the first (docs/PERFORMANCE.md, "a: one
 * copy fewer"):
 *
 *   write(2)      1 MiB write(2)s of a buffer filled once: the baseline of
 *                 figure a, the kernel's copy alone
 *   buffer+write  each record memcpy'd into a 1 MiB buffer, written when
 *                 full: two copies, on one thread (the library does the
 *                 write on a second one)
 *   mmap          the file fallocated and mapped, each record memcpy'd into
 *                 the mapping: one copy, and a page fault a 4 KiB page
 *   mmap+populate the same, each 2 MiB populated first
 *                 (MADV_POPULATE_WRITE): the faults in one call
 *   writev        each batch of 256 records written straight from the
 *                 caller's memory, a 26-byte header and the payload each
 *                 an iovec: one copy, by the kernel
 *
 *   one_copy FILE [ROUNDS (7)]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define MIB (1u << 20)
#define TOTAL (256u * MIB)
#define REC 600
#define HEADER 26
#define BATCH 256
#define WAYS 5

static const char *const NAMES[WAYS] = {"write(2)", "buffer+write", "mmap", "mmap+populate", "writev"};
static uint8_t src[MIB], buf[MIB];

static double now(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void put(int fd, const void *p, size_t n) {
    if (write(fd, p, n) != (ssize_t)n) die("write");
}

static void way_write(int fd) {
    memcpy(buf, src, MIB);
    for (size_t off = 0; off < TOTAL; off += MIB) put(fd, buf, MIB);
}

static void way_buffer(int fd) {
    size_t used = 0;
    for (size_t off = 0; off + REC <= TOTAL; off += REC) {
        if (used + REC > MIB) put(fd, buf, used), used = 0;
        memcpy(buf + used, src + off % (MIB - REC), REC);
        used += REC;
    }
    put(fd, buf, used);
}

static void way_mmap(int fd, int populate) {
    if (fallocate(fd, 0, 0, TOTAL) != 0) die("fallocate");
    uint8_t *m = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) die("mmap");
    size_t populated = 0;
    for (size_t off = 0; off + REC <= TOTAL; off += REC) {
        if (populate && off + REC > populated) {
            if (madvise(m + populated, 2 * MIB, MADV_POPULATE_WRITE) != 0) die("madvise");
            populated += 2 * MIB;
        }
        memcpy(m + off, src + off % (MIB - REC), REC);
    }
    munmap(m, TOTAL);
}

static void way_writev(int fd) {
    static uint8_t headers[BATCH][HEADER];
    struct iovec iov[2 * BATCH];
    for (size_t off = 0; off + REC <= TOTAL;) {
        int k = 0;
        for (; k < BATCH && off + REC <= TOTAL; k++, off += REC) {
            memset(headers[k], k, HEADER);
            iov[2 * k] = (struct iovec){headers[k], HEADER};
            iov[2 * k + 1] = (struct iovec){src + off % (MIB - REC), REC - HEADER};
        }
        if (writev(fd, iov, 2 * k) != (ssize_t)k * REC) die("writev");
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: one_copy FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (rounds < 1 || rounds > 64) rounds = 7;
    for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)(i * 7 + 1);
    double cpu[WAYS][64], wall[WAYS][64];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < WAYS; k++) {
            int w = (k + r) % WAYS; /* each way first in turn */
            unlink(argv[1]);
            double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
            int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) die(argv[1]);
            if (w == 0) way_write(fd);
            if (w == 1) way_buffer(fd);
            if (w == 2 || w == 3) way_mmap(fd, w == 3);
            if (w == 4) way_writev(fd);
            close(fd);
            cpu[w][r] = now(CLOCK_PROCESS_CPUTIME_ID) - c0, wall[w][r] = now(CLOCK_MONOTONIC) - w0;
        }
    }
    unlink(argv[1]);
    double base = 0;
    for (int w = 0; w < WAYS; w++) {
        qsort(cpu[w], (size_t)rounds, sizeof(double), cmp);
        qsort(wall[w], (size_t)rounds, sizeof(double), cmp);
        double c = cpu[w][rounds / 2], t = wall[w][rounds / 2];
        if (w == 0) base = c;
        printf("%-14s CPU %6.1f ms (%.2fx of write(2)'s speed)  wall %6.1f ms\n", NAMES[w], c * 1e3, base / c, t * 1e3);
    }
    return 0;
}
