/*
 * JNI glue between io.libbinlog (Java) and libbinlog's C ABI (binlog.h).
 *
 * Rules kept throughout:
 *  - Java owns lifetimes and locking: a handle passed here is live and not used concurrently with its close/free (the
 *    Java classes guarantee it).
 *  - Every libbinlog failure becomes a pending io.libbinlog.BinlogException carrying the result code and
 *    binlog_last_error(), read first thing after the failing call, on the same thread.
 *  - Every JNI call that can fail is checked; after an exception is pending we release what we hold and return at once
 *    without further JNI calls (other than the release functions, which are allowed).
 *  - Strings cross as byte arrays (UTF-8 or file-name bytes), never as modified UTF-8.
 *  - Nothing calls back from C into Java code except constructors of exceptions.
 */
#include <jni.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <binlog.h>

#include "io_libbinlog_Binlog.h"
#include "io_libbinlog_Options.h"
#include "io_libbinlog_BinlogReader.h"
#include "io_libbinlog_StagingBuffer.h"
#include "io_libbinlog_BinlogWriter.h"
#include "io_libbinlog_BinlogMergedReader.h"
#include "io_libbinlog_HandleCalls.h"
#include "io_libbinlog_Shipper.h"
#include "io_libbinlog_Verify.h"

/* A native method of class io.libbinlog.<cls>: JNIEnv *env, then the Java parameters (if any). */
#define JNI(ret, cls, name, ...)                                                                  \
    JNIEXPORT ret JNICALL Java_io_libbinlog_##cls##_##name(JNIEnv *env __attribute__((unused)), \
                                                           jclass cls_ __attribute__((unused)), ##__VA_ARGS__)
/* A nativeFree(long h) that hands the handle to `fn` (which accepts NULL). */
#define FREE_FN(cls, name, fn, type) \
    JNI(void, cls, name, jlong h) { fn((type *)(intptr_t)h); }
/* The live `type` (writer, reader, merged_reader) behind handle h as v, else CLOSED thrown and `fail` returned
 * (Java never passes 0). */
#define LIVE(type, v, h, fail)                                          \
    binlog_##type *v = (binlog_##type *)(intptr_t)(h);                  \
    if (v == NULL) {                                                    \
        throw_code(env, BINLOG_ERR_CLOSED, "binlog_" #type " is closed"); \
        return fail;                                                    \
    }

/* Heap payloads up to this size are copied to the stack instead of pinned. */
#define STACK_COPY_MAX 16384
/* Type names up to this size are copied to the stack. */
#define TYPE_STACK_MAX 256

/* Options.Opt's ordinals. */
enum { OPT_LOG_NAME, OPT_CONTENT_TYPE, OPT_PARAM, OPT_MAX_RECORD_SIZE, OPT_BUFFER_SIZE, OPT_DURABILITY,
       OPT_SYNC_WAIT_SPIN_US, OPT_FLUSH_DELAY_US, OPT_FIRST_SEQ, OPT_SEGMENT_NO, OPT_CREATED_NS, OPT_SPARSE_INTERVAL,
       OPT_MAX_SEGMENT_BYTES, OPT_MAX_SEGMENT_RECORDS, OPT_PERIOD, OPT_RETENTION, OPT_RETENTION_SHIPPED,
       OPT_SEAL_IN_BACKGROUND, OPT_COMPRESSION, OPT_TYPE_COPIES };

/* Calls of BinlogWriter.nativeCall and BinlogReader.nativeCall (their constants). */
enum { W_FLUSH, W_SYNC, W_ROLL, W_NEXT_SEQ, W_DURABLE_SEQ, W_CALLBACK_FAILURES, W_DROPPED_UNSHIPPED };
enum { R_SEEK_SEQ, R_SEEK_TIME, R_SKIP_DAMAGED, R_DECODE_THREADS, R_GAP_COUNT };
/* How BinlogReader.nativeOpen opens (its constants). */
enum { OPEN_SEGMENT, OPEN_SALVAGE, OPEN_LOG, OPEN_GLOB, OPEN_LOG_TIERED };

/* ---- Cached classes and exception helpers */

/* Classes JNI_OnLoad finds, as global references: their names, and where each goes. The references keep this
 * library's class loader, so the library is never unloaded (no JNI_OnUnload to release them). */
static jclass cls_binlog_exception, cls_illegal_argument, cls_null_pointer, cls_out_of_memory, cls_bytes, cls_object;
static jmethodID of_binlog_exception; /* static IOException of(int, byte[], byte[], long, int) */
static const char *const class_names[] = {"io/libbinlog/BinlogException", "java/lang/IllegalArgumentException",
                                          "java/lang/NullPointerException", "java/lang/OutOfMemoryError", "[B",
                                          "java/lang/Object"};
static jclass *const all_classes[] = {&cls_binlog_exception, &cls_illegal_argument, &cls_null_pointer,
                                      &cls_out_of_memory, &cls_bytes, &cls_object};
#define CLASSES (sizeof all_classes / sizeof all_classes[0])

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved __attribute__((unused))) {
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    for (size_t i = 0; i < CLASSES; i++) {
        jclass local = (*env)->FindClass(env, class_names[i]);
        *all_classes[i] = local == NULL ? NULL : (jclass)(*env)->NewGlobalRef(env, local);
        if (*all_classes[i] == NULL) {
            return JNI_ERR;
        }
        (*env)->DeleteLocalRef(env, local);
    }
    of_binlog_exception =
        (*env)->GetStaticMethodID(env, cls_binlog_exception, "of", "(I[B[BJI)Ljava/io/IOException;");
    return of_binlog_exception == NULL ? JNI_ERR : JNI_VERSION_1_8;
}

static int pending(JNIEnv *env) {
    return (*env)->ExceptionCheck(env) == JNI_TRUE;
}

/* A new byte[] holding [p, p+n) (at most 2^31-1 bytes); NULL with an exception pending on failure. */
static jbyteArray new_bytes(JNIEnv *env, const void *p, size_t n) {
    jsize len = n > (size_t)INT32_MAX ? INT32_MAX : (jsize)n;
    jbyteArray a = (*env)->NewByteArray(env, len);
    if (a != NULL && len > 0) {
        (*env)->SetByteArrayRegion(env, a, 0, len, (const jbyte *)p);
        if (pending(env)) {
            (*env)->DeleteLocalRef(env, a);
            return NULL;
        }
    }
    return a;
}

/* Throws BinlogException.of(code, msg, path, offset, os_code): the BinlogException subclass or java.nio.file
 * exception the code and path call for. Keeps an exception that is already pending. Its local references go when the
 * native method returns, as it does next. */
static void throw_binlog(JNIEnv *env, jint code, const char *msg, const char *path, jlong offset, jint os_code) {
    if (pending(env)) {
        return;
    }
    msg = msg != NULL ? msg : "";
    jbyteArray m = new_bytes(env, msg, strlen(msg));
    jbyteArray p = m == NULL || path == NULL ? NULL : new_bytes(env, path, strlen(path));
    if (m == NULL || (path != NULL && p == NULL)) {
        return; /* OutOfMemoryError pending */
    }
    jobject ex = (*env)->CallStaticObjectMethod(env, cls_binlog_exception, of_binlog_exception, code, m, p, offset,
                                                os_code);
    if (ex != NULL && !pending(env)) {
        (*env)->Throw(env, (jthrowable)ex);
    }
}

/* 0 if a libbinlog call succeeded, else -1 with an exception thrown carrying the file, offset and errno the library
 * recorded. Must run before any other libbinlog call on this thread: binlog_last_error*() are per thread, of the last
 * failing call. */
static int check(JNIEnv *env, binlog_result rc) {
    if (rc == BINLOG_OK) {
        return 0;
    }
    uint64_t off;
    jlong offset = binlog_last_error_offset(&off) && off <= (uint64_t)INT64_MAX ? (jlong)off : -1;
    const char *path = binlog_last_error_path();
    throw_binlog(env, (jint)rc, binlog_last_error(), path != NULL && path[0] != '\0' ? path : NULL, offset,
                 (jint)binlog_last_error_os_code());
    return -1;
}

static void throw_code(JNIEnv *env, binlog_result rc, const char *msg) {
    throw_binlog(env, (jint)rc, msg, NULL, -1, 0);
}

static void throw_class(JNIEnv *env, jclass cls, const char *msg) {
    if (!pending(env)) {
        (*env)->ThrowNew(env, cls, msg);
    }
}

static void throw_iae(JNIEnv *env, const char *msg) { throw_class(env, cls_illegal_argument, msg); }
static void throw_npe(JNIEnv *env, const char *msg) { throw_class(env, cls_null_pointer, msg); }
static void throw_oom(JNIEnv *env, const char *msg) { throw_class(env, cls_out_of_memory, msg); }

static void *xmalloc(JNIEnv *env, size_t n, const char *what) {
    void *p = malloc(n == 0 ? 1 : n);
    if (p == NULL) {
        throw_oom(env, what);
    }
    return p;
}

/* What a call that yields a u64 returns to Java: the value, or 0 with an exception thrown. */
static jlong u64_or_throw(JNIEnv *env, binlog_result rc, uint64_t v) {
    return check(env, rc) != 0 ? 0 : (jlong)v;
}

/* A handle an open call made, for Java: 0 with an exception thrown if it failed or gave none. */
static jlong opened(JNIEnv *env, binlog_result rc, void *handle, const char *fn) {
    if (check(env, rc) != 0) {
        return 0;
    }
    if (handle == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, fn);
    }
    return (jlong)(intptr_t)handle;
}

/* ---- Argument helpers */

/* A byte[] copied to a new NUL-terminated C string; NULL (exception pending) on failure. */
static char *c_string(JNIEnv *env, jbyteArray a, const char *what) {
    if (a == NULL) {
        throw_npe(env, what);
        return NULL;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    char *s = xmalloc(env, (size_t)n + 1, what);
    if (s != NULL) {
        (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)s);
    }
    if (s == NULL || pending(env) || memchr(s, '\0', (size_t)n) != NULL) {
        free(s);
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "string argument contains a NUL byte"); /* unless one is pending */
        return NULL;
    }
    s[n] = '\0';
    return s;
}

static void free_all(char **s, int n) {
    for (int i = 0; i < n; i++) {
        free(s[i]);
    }
}

/* The n byte[] of `a` as C strings in s (NULL for a null a[i] from index `nullable` on); 0, or -1
 * with an exception pending and nothing left to free. */
static int c_strings(JNIEnv *env, char **s, int n, const jbyteArray *a, const char *const *what, int nullable) {
    memset(s, 0, (size_t)n * sizeof *s);
    for (int i = 0; i < n; i++) {
        if ((a[i] != NULL || i < nullable) && (s[i] = c_string(env, a[i], what[i])) == NULL) {
            free_all(s, i);
            return -1;
        }
    }
    return 0;
}

/* A primitive array (elements of `size` bytes) copied to C memory, its length in *n: into `stack` if it fits in
 * `stack_len` bytes, else malloc'd (to free unless it is `stack`). NULL for a NULL array (*n 0), and NULL with an
 * exception pending on failure or if one was pending already. */
static void *copy_array(JNIEnv *env, jarray a, size_t size, void *stack, size_t stack_len, jsize *n) {
    *n = 0;
    if (a == NULL || pending(env)) {
        return NULL;
    }
    jsize len = (*env)->GetArrayLength(env, a);
    size_t bytes = (size_t)len * size;
    void *p = stack != NULL && bytes <= stack_len ? stack : xmalloc(env, bytes, "array copy");
    void *elems = p == NULL ? NULL : (*env)->GetPrimitiveArrayCritical(env, a, NULL);
    if (elems == NULL) {
        if (p != stack) {
            free(p);
        }
        throw_oom(env, "GetPrimitiveArrayCritical failed"); /* kept if xmalloc threw */
        return NULL;
    }
    memcpy(p, elems, bytes);
    (*env)->ReleasePrimitiveArrayCritical(env, a, elems, JNI_ABORT);
    *n = len;
    return p;
}

/* Strings laid end to end (Strings.Packed): the bytes copied to C memory, and each string in iov. */
struct packed {
    uint8_t *bytes;
    binlog_iovec *iov;
    jsize n;
};

/* Frees p's memory and empties it (a second free is harmless). */
static void packed_free(struct packed *p) {
    free(p->bytes);
    free(p->iov);
    memset(p, 0, sizeof *p);
}

/* Loads `bytes` split by `lens` (null: no strings) into p, checking that the lengths cover the bytes
 * exactly; -1 with an exception pending (IllegalArgumentException `what` if they do not). */
static int packed_load(JNIEnv *env, jbyteArray bytes, jintArray lens, struct packed *p, const char *what) {
    memset(p, 0, sizeof *p);
    if (lens != NULL && bytes == NULL) {
        throw_npe(env, what);
        return -1;
    }
    jsize blen = 0;
    size_t off = 0;
    p->bytes = copy_array(env, bytes, 1, NULL, 0, &blen);
    jint *l = copy_array(env, lens, sizeof(jint), NULL, 0, &p->n);
    int failed = pending(env) || (p->iov = xmalloc(env, (size_t)p->n * sizeof *p->iov, what)) == NULL;
    for (jsize i = 0; !failed && i < p->n; i++) {
        failed = l[i] < 0 || (size_t)l[i] > (size_t)blen - off;
        p->iov[i].base = p->bytes + off;
        p->iov[i].len = failed ? 0 : (size_t)l[i];
        off += p->iov[i].len;
    }
    free(l);
    if (failed || off != (size_t)blen) {
        throw_iae(env, what); /* kept if another exception is pending */
        packed_free(p);
        return -1;
    }
    return 0;
}

/* Metadata: key, value, key, value ... packed; as a binlog_meta array (malloc'd). */
struct meta_args {
    struct packed p;
    binlog_meta *meta;
    size_t count;
};

static void meta_free(struct meta_args *m) {
    packed_free(&m->p);
    free(m->meta);
}

static int meta_load(JNIEnv *env, jbyteArray meta_bytes, jintArray meta_lens, struct meta_args *m) {
    memset(m, 0, sizeof *m);
    if (meta_lens == NULL) {
        return 0;
    }
    if (packed_load(env, meta_bytes, meta_lens, &m->p, "malformed metadata") != 0 || m->p.n % 2 != 0 ||
        (m->meta = xmalloc(env, (size_t)m->p.n / 2 * sizeof(binlog_meta), "metadata")) == NULL) {
        throw_iae(env, "malformed metadata"); /* kept if another exception is pending */
        meta_free(m);
        return -1;
    }
    m->count = (size_t)m->p.n / 2;
    for (size_t i = 0; i < m->count; i++) {
        const binlog_iovec *kv = &m->p.iov[2 * i];
        m->meta[i] = (binlog_meta){.key = kv[0].base, .key_len = kv[0].len, .value = kv[1].base,
                                   .value_len = kv[1].len};
    }
    return 0;
}

/* A direct buffer's address and capacity; NULL address allowed only for capacity 0. -1 with an exception pending. */
static int direct_buffer(JNIEnv *env, jobject buf, const char *what, uint8_t **addr, size_t *len) {
    if (buf == NULL) {
        throw_npe(env, what);
        return -1;
    }
    uint8_t *base = (*env)->GetDirectBufferAddress(env, buf);
    jlong cap = (*env)->GetDirectBufferCapacity(env, buf);
    if (pending(env)) {
        return -1;
    }
    if (cap < 0 || (base == NULL && cap > 0)) {
        throw_iae(env, "not a direct ByteBuffer (or direct buffer access is unsupported)");
        return -1;
    }
    *addr = base;
    *len = (size_t)cap;
    return 0;
}

/* Sets out[i] = v and drops the local reference. -1 with an exception pending on failure. */
static int set_out(JNIEnv *env, jobjectArray out, jsize i, jobject v) {
    (*env)->SetObjectArrayElement(env, out, i, v);
    if (v != NULL) {
        (*env)->DeleteLocalRef(env, v);
    }
    return pending(env) ? -1 : 0;
}

/* n longs from v into the Java array out (at least n long); -1 with an exception pending. */
static int set_longs(JNIEnv *env, jlongArray out, const jlong *v, jsize n) {
    if (out == NULL || (*env)->GetArrayLength(env, out) < n) {
        throw_iae(env, "output array too short");
        return -1;
    }
    (*env)->SetLongArrayRegion(env, out, 0, n, v);
    return pending(env) ? -1 : 0;
}

/* ---- Binlog */

JNI(jstring, Binlog, version) {
    const char *v = binlog_version();
    if (v == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_version() returned NULL");
        return NULL;
    }
    return (*env)->NewStringUTF(env, v); /* ASCII, so modified UTF-8 is exact */
}

JNI(jint, Binlog, formatMajor) { return BINLOG_FORMAT_MAJOR; }

/* ---- Options */

FREE_FN(Options, nativeFree, binlog_options_free, binlog_options)

/* Applies setting `which` with values a, b, c (of a string setting: indexes in str) to o; -1 with an exception
 * pending. */
static int set_option(JNIEnv *env, binlog_options *o, const struct packed *str, jlong which, jlong a, jlong b,
                      jlong c) {
    /* Unsigned C parameters refuse negative Java values rather than wrap them; the compression level (b) is signed. */
    if (which != OPT_CREATED_NS && (a < 0 || (which != OPT_COMPRESSION && b < 0) || c < 0)) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "option value must not be negative");
        return -1;
    }
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b, uc = (uint64_t)c;
    /* Settings whose C parameter is narrower than 64 bits (compression: its level, b), named for a refusal: past
     * it a value would wrap, maybe into an accepted one (the library checks its own limits below that). */
    static const char *const narrow[] = {
        [OPT_BUFFER_SIZE] = "buffer_size", [OPT_DURABILITY] = "durability mode", [OPT_PERIOD] = "period",
        [OPT_SYNC_WAIT_SPIN_US] = "sync_wait_spin_us", [OPT_SPARSE_INTERVAL] = "sparse_interval",
        [OPT_COMPRESSION] = "compression level", [OPT_TYPE_COPIES] = "compression_type_copies"};
    uint64_t max_a = which == OPT_BUFFER_SIZE ? SIZE_MAX : UINT32_MAX;
    if (which >= 0 && which < (jlong)(sizeof narrow / sizeof *narrow) && narrow[which] != NULL &&
        (which == OPT_COMPRESSION ? b < INT32_MIN || b > INT32_MAX : ua > max_a)) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s out of range for its C parameter", narrow[which]);
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, msg);
        return -1;
    }
    if (which <= OPT_PARAM && (ua >= (uint64_t)str->n || (which == OPT_PARAM && ub >= (uint64_t)str->n))) {
        throw_iae(env, "option string index out of range");
        return -1;
    }
#define STR(i) str->iov[i].base, str->iov[i].len
    binlog_result rc;
    switch (which) {
    case OPT_LOG_NAME: rc = binlog_options_set_log_name(o, STR(ua)); break;
    case OPT_CONTENT_TYPE: rc = binlog_options_set_content_type(o, STR(ua)); break;
    case OPT_PARAM: rc = binlog_options_add_param(o, STR(ua), STR(ub)); break;
    case OPT_MAX_RECORD_SIZE: rc = binlog_options_set_max_record_size(o, ua); break;
    case OPT_BUFFER_SIZE: rc = binlog_options_set_buffer_size(o, (size_t)ua); break;
    case OPT_DURABILITY: rc = binlog_options_set_durability(o, (uint32_t)ua, ub); break;
    case OPT_SYNC_WAIT_SPIN_US: rc = binlog_options_set_sync_wait_spin_us(o, (uint32_t)ua); break;
    case OPT_FLUSH_DELAY_US:
        /* Options.FLUSH_WHEN_FULL (Long.MAX_VALUE) is the C ABI's UINT64_MAX. */
        rc = binlog_options_set_flush_delay_us(o, a == INT64_MAX ? UINT64_MAX : ua);
        break;
    case OPT_FIRST_SEQ: rc = binlog_options_set_first_seq(o, ua); break;
    case OPT_SEGMENT_NO: rc = binlog_options_set_segment_no(o, ua); break;
    case OPT_CREATED_NS: rc = binlog_options_set_created_ns(o, (int64_t)a); break;
    case OPT_SPARSE_INTERVAL: rc = binlog_options_set_sparse_interval(o, (uint32_t)ua); break;
    case OPT_MAX_SEGMENT_BYTES: rc = binlog_options_set_max_segment_bytes(o, ua); break;
    case OPT_MAX_SEGMENT_RECORDS: rc = binlog_options_set_max_segment_records(o, ua); break;
    case OPT_PERIOD: rc = binlog_options_set_period(o, (uint32_t)ua); break;
    case OPT_RETENTION: rc = binlog_options_set_retention(o, ua, ub, uc); break;
    case OPT_RETENTION_SHIPPED:
        rc = binlog_options_set_retention_until_shipped(o, a != 0);
        if (rc == BINLOG_OK) rc = binlog_options_set_retention_hard_max_bytes(o, ub);
        break;
    case OPT_SEAL_IN_BACKGROUND: rc = binlog_options_set_seal_in_background(o, a != 0); break;
    case OPT_COMPRESSION: rc = binlog_options_set_compression(o, true, ua, (int32_t)b, uc); break;
    case OPT_TYPE_COPIES: rc = binlog_options_set_compression_type_copies(o, (uint32_t)ua); break;
    default:
        throw_iae(env, "unknown option selector");
        return -1;
    }
    return check(env, rc);
}

/* A new binlog_options with `settings` (which, a, b, c per setting; strings packed in str_bytes and str_lens)
 * applied in order; 0 with an exception thrown. */
JNI(jlong, Options, nativeBuild, jbyteArray str_bytes, jintArray str_lens, jlongArray settings) {
    binlog_options *o = NULL;
    binlog_result rc = binlog_options_new(&o);
    if (opened(env, rc, o, "binlog_options_new returned no options") == 0) {
        return 0;
    }
    struct packed str;
    jsize n = 0;
    packed_load(env, str_bytes, str_lens, &str, "malformed option strings");
    jlong *v = copy_array(env, settings, sizeof(jlong), NULL, 0, &n);
    int failed = pending(env);
    for (jsize i = 0; !failed && i + 3 < n; i += 4) {
        failed = set_option(env, o, &str, v[i], v[i + 1], v[i + 2], v[i + 3]) != 0;
    }
    free(v);
    packed_free(&str);
    if (failed) {
        binlog_options_free(o);
        return 0;
    }
    return (jlong)(intptr_t)o;
}

/* ---- Writer */

/* binlog_writer_open (name null) or binlog_writer_open_log. */
JNI(jlong, BinlogWriter, nativeOpen, jbyteArray path, jbyteArray name, jlong opts) {
    char *s[2];
    if (c_strings(env, s, 2, (jbyteArray[]){path, name}, (const char *[]){"path", "name"}, 1) != 0) {
        return 0;
    }
    binlog_writer *w = NULL;
    binlog_options *o = (binlog_options *)(intptr_t)opts;
    binlog_result rc = s[1] == NULL ? binlog_writer_open(s[0], o, &w) : binlog_writer_open_log(s[0], s[1], o, &w);
    free_all(s, 2);
    return opened(env, rc, w, "binlog_writer_open returned no writer");
}

/* Writes one record: plain binlog_writer_write without metadata and timestamp, else write_entry. */
static binlog_result write_one(binlog_writer *w, const char *type, size_t type_len, const uint8_t *payload,
                               size_t len, const struct meta_args *m, jlong ts, uint64_t *seq) {
    if (m->count == 0 && ts == (jlong)BINLOG_TIME_NOW) {
        return binlog_writer_write(w, (const uint8_t *)type, type_len, payload, len, seq);
    }
    binlog_entry e = {.type_name = (const uint8_t *)type, .type_len = type_len, .meta = m->meta,
                      .meta_count = m->count, .payload = payload, .payload_len = len, .timestamp_ns = (int64_t)ts};
    return binlog_writer_write_entry(w, &e, seq);
}

/* Where [off, off+len) of `data` is for a write: in place in a direct buffer; else from a byte[] copied into `stack` if
 * it fits, pinned if `pin` (*critical set: release it after the write, calling nothing of the JVM's meanwhile), or
 * copied to malloc'd *copy (to free) when a write may wait for an fdatasync, since a pinned array would hold off the
 * garbage collector meanwhile. Called after every other JNI call of the write. NULL with an exception pending. */
static const uint8_t *payload_at(JNIEnv *env, jobject data, jboolean direct, jboolean pin, jint off, jlong len,
                                 uint8_t *stack, size_t stack_len, uint8_t **copy, void **critical) {
    *copy = NULL;
    *critical = NULL;
    if (data == NULL) {
        throw_npe(env, "payload");
        return NULL;
    }
    if (len < 0 || len > INT32_MAX || off < 0 ||
        (!direct && off + len > (jlong)(*env)->GetArrayLength(env, (jarray)data))) {
        throw_iae(env, "payload range outside the array or too large");
        return NULL;
    }
    if (direct) {
        uint8_t *base;
        size_t cap;
        if (direct_buffer(env, data, "buffer", &base, &cap) != 0) {
            return NULL;
        }
        if ((uint64_t)off + (uint64_t)len > cap) {
            throw_iae(env, "range outside the direct ByteBuffer");
            return NULL;
        }
        /* An empty direct buffer may have no address (FileChannel.map of 0 bytes): it is still a valid, empty range. */
        static const uint8_t empty_range[1];
        return base == NULL ? empty_range : base + off;
    }
    if ((size_t)len > stack_len && pin) {
        if ((*critical = (*env)->GetPrimitiveArrayCritical(env, (jarray)data, NULL)) == NULL) {
            throw_oom(env, "GetPrimitiveArrayCritical failed");
        }
        return *critical == NULL ? NULL : (const uint8_t *)*critical + off;
    }
    uint8_t *p = stack != NULL && (size_t)len <= stack_len ? stack : (*copy = xmalloc(env, (size_t)len, "copy"));
    if (p != NULL) {
        (*env)->GetByteArrayRegion(env, (jbyteArray)data, off, (jsize)len, (jbyte *)p);
    }
    return p == NULL || pending(env) ? NULL : p;
}

/* Writes the record [off, off+len) of `data` (a direct buffer, or a byte[]: see payload_at);
 * metadata packed as Strings.Packed, or none. */
JNI(jlong, BinlogWriter, nativeWrite, jlong h, jbyteArray type, jobject data, jboolean direct, jint off, jint len,
    jbyteArray meta_bytes, jintArray meta_lens, jlong ts, jboolean pin) {
    LIVE(writer, w, h, 0)
    if (type == NULL) {
        throw_npe(env, "type");
        return 0;
    }
    char type_stack[TYPE_STACK_MAX];
    jsize type_len;
    struct meta_args m;
    char *t = copy_array(env, type, 1, type_stack, sizeof type_stack, &type_len);
    if (t == NULL || meta_load(env, meta_bytes, meta_lens, &m) != 0) {
        if (t != type_stack) {
            free(t);
        }
        return 0;
    }
    uint8_t stack[STACK_COPY_MAX], *copy;
    void *critical;
    uint64_t seq = 0;
    const uint8_t *p = payload_at(env, data, direct, pin, off, len, stack, sizeof stack, &copy, &critical);
    if (p != NULL) {
        binlog_result rc = write_one(w, t, (size_t)type_len, p, (size_t)len, &m, ts, &seq);
        if (critical != NULL) {
            (*env)->ReleasePrimitiveArrayCritical(env, (jarray)data, critical, JNI_ABORT);
        }
        check(env, rc);
    }
    free(copy);
    meta_free(&m);
    if (t != type_stack) {
        free(t);
    }
    return (jlong)seq;
}

/* A record the calling thread staged in its own native memory (StagingBuffer.java): the type name, then the payload,
 * from address. Its arguments are numbers alone, so nothing here calls into the JVM unless the write fails. */
JNI(jlong, BinlogWriter, nativeWriteStaged, jlong h, jlong address, jint type_len, jint len, jlong ts) {
    LIVE(writer, w, h, 0)
    const uint8_t *base = (const uint8_t *)(intptr_t)address;
    struct meta_args none = {0};
    uint64_t seq = 0;
    binlog_result rc =
        write_one(w, (const char *)base, (size_t)type_len, base + type_len, (size_t)len, &none, ts, &seq);
    return u64_or_throw(env, rc, seq);
}

JNI(jlong, StagingBuffer, nativeAddress, jobject memory) {
    uint8_t *base = NULL;
    size_t cap;
    direct_buffer(env, memory, "memory", &base, &cap);
    return (jlong)(intptr_t)base;
}

/* The arrays of a batch write, copied to C memory (see nativeWriteBatch). */
struct batch_args {
    struct packed types;
    jint *tidx, *lens;
    jlong *ts;
    jsize nidx, n, nts;
};

static void batch_args_free(struct batch_args *b) {
    packed_free(&b->types);
    free(b->tidx);
    free(b->lens);
    free(b->ts);
}

/* Copies and checks the arrays of a batch of `count` records; the sum of their lengths in *total. */
static int batch_args_load(JNIEnv *env, struct batch_args *b, jbyteArray type_bytes, jintArray type_lens,
                           jintArray type_index, jintArray lengths, jint count, jlongArray timestamps,
                           uint64_t *total) {
    memset(b, 0, sizeof *b);
    packed_load(env, type_bytes, type_lens, &b->types, "malformed type names");
    b->tidx = copy_array(env, type_index, sizeof(jint), NULL, 0, &b->nidx);
    b->lens = copy_array(env, lengths, sizeof(jint), NULL, 0, &b->n);
    b->ts = copy_array(env, timestamps, sizeof(jlong), NULL, 0, &b->nts);
    if (pending(env)) {
        return -1;
    }
    if (b->types.n < 1) {
        throw_iae(env, "malformed type names");
        return -1;
    }
    /* The records are the first `count` lengths; the Java side has
     * checked how long the other arrays must be, here they must cover them. */
    if (count < 0 || count > b->n) {
        throw_iae(env, "record count outside the lengths array");
        return -1;
    }
    b->n = count;
    if ((type_index != NULL && b->nidx < b->n) || (timestamps != NULL && b->nts < b->n)) {
        throw_iae(env, "types / timestamps do not match the record count");
        return -1;
    }
    *total = 0;
    for (jsize i = 0; i < b->n; i++) {
        if (b->lens[i] < 0) {
            throw_iae(env, "negative record length");
            return -1;
        }
        if (b->tidx != NULL && (b->tidx[i] < 0 || b->tidx[i] >= b->types.n)) {
            throw_iae(env, "type index out of range");
            return -1;
        }
        *total += (uint64_t)b->lens[i];
    }
    return 0;
}

JNI(jlong, BinlogWriter, nativeWriteBatch, jlong h, jbyteArray type_bytes, jintArray type_lens,
    jintArray type_index, jobject data, jboolean direct, jint pos, jintArray lengths, jint count,
    jlongArray timestamps, jboolean pin) {
    LIVE(writer, w, h, 0)
    if (type_bytes == NULL || type_lens == NULL || data == NULL || lengths == NULL) {
        throw_npe(env, "batch argument");
        return 0;
    }
    jlong result = 0;
    struct batch_args b;
    uint64_t total = 0;
    binlog_entry *entries = NULL;
    uint8_t *copy = NULL;
    void *critical = NULL;
    const uint8_t *base;
    if (batch_args_load(env, &b, type_bytes, type_lens, type_index, lengths, count, timestamps, &total) != 0 ||
        (entries = xmalloc(env, (size_t)b.n * sizeof(binlog_entry), "batch entries")) == NULL ||
        (base = payload_at(env, data, direct, pin, pos, (jlong)total, NULL, 0, &copy, &critical)) == NULL) {
        goto out;
    }
    size_t off = 0;
    for (jsize i = 0; i < b.n; i++) {
        const binlog_iovec *t = &b.types.iov[b.tidx != NULL ? b.tidx[i] : 0]; /* same pointer per type: checked once */
        entries[i] = (binlog_entry){.type_name = t->base, .type_len = t->len, .payload = base + off,
                                    .payload_len = (size_t)b.lens[i],
                                    .timestamp_ns = b.ts != NULL ? (int64_t)b.ts[i] : BINLOG_TIME_NOW};
        off += (size_t)b.lens[i];
    }
    uint64_t first = 0;
    binlog_result rc = binlog_writer_write_batch(w, entries, (size_t)b.n, &first);
    if (critical != NULL) {
        (*env)->ReleasePrimitiveArrayCritical(env, (jarray)data, critical, JNI_ABORT);
    }
    result = u64_or_throw(env, rc, first);
out:
    free(copy);
    free(entries);
    batch_args_free(&b);
    return result;
}

/* The writer's call `which` (W_*): an action (0) or a u64 getter; 0 with an exception thrown. */
JNI(jlong, BinlogWriter, nativeCall, jlong h, jint which) {
    LIVE(writer, w, h, 0)
    uint64_t v = 0;
    binlog_result rc;
    switch (which) {
    case W_FLUSH: rc = binlog_writer_flush(w); break;
    case W_SYNC: rc = binlog_writer_sync(w); break;
    case W_ROLL: rc = binlog_writer_roll(w); break;
    case W_NEXT_SEQ: rc = binlog_writer_next_seq(w, &v); break;
    case W_DURABLE_SEQ: rc = binlog_writer_durable_seq(w, &v); break;
    case W_CALLBACK_FAILURES: rc = binlog_writer_callback_failures(w, &v); break;
    case W_DROPPED_UNSHIPPED: rc = binlog_writer_dropped_unshipped(w, &v); break;
    default:
        throw_iae(env, "unknown writer call");
        return 0;
    }
    return u64_or_throw(env, rc, v);
}

JNI(jbyteArray, BinlogWriter, nativePollSealed, jlong h, jlongArray info) {
    LIVE(writer, w, h, NULL)
    binlog_segment_info si = {0};
    binlog_result rc = binlog_writer_poll_sealed(w, &si);
    if (rc == BINLOG_END || check(env, rc) != 0) {
        return NULL;
    }
    if (si.path == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_writer_poll_sealed returned no path");
        return NULL;
    }
    /* si.path is valid until the next poll; Java serializes polls, and we copy now. */
    jlong v[5] = {(jlong)si.event, (jlong)si.segment_no, (jlong)si.first_seq, (jlong)si.record_count,
                  (jlong)si.bytes};
    return set_longs(env, info, v, 5) != 0 ? NULL : new_bytes(env, si.path, strlen(si.path));
}

/* Closes (seals) without freeing: Java then polls the segments the close sealed, and frees with nativeFree. */
JNI(void, BinlogWriter, nativeClose, jlong h) {
    check(env, binlog_writer_close((binlog_writer *)(intptr_t)h));
}

FREE_FN(BinlogWriter, nativeFree, binlog_writer_free, binlog_writer) /* closes first if needed */

/* ---- Reader */

/* Opens a reader `how` (OPEN_*) with the strings a, b, c it takes (path; dir and name or pattern;
 * dir, name and remote; a tiered reader retries failed requests for retry_timeout_ms, 0: the default). */
JNI(jlong, BinlogReader, nativeOpen, jint how, jbyteArray a, jbyteArray b, jbyteArray c, jlong retry_timeout_ms) {
    int n = how == OPEN_LOG_TIERED ? 3 : how >= OPEN_LOG ? 2 : 1;
    const char *what[3] = {n == 1 ? "path" : "dir", how == OPEN_GLOB ? "pattern" : "name", "remote"};
    char *s[3];
    if (c_strings(env, s, n, (jbyteArray[]){a, b, c}, what, n) != 0) {
        return 0;
    }
    binlog_reader *r = NULL;
    binlog_result rc;
    switch (how) {
    case OPEN_SEGMENT: rc = binlog_reader_open(s[0], &r); break;
    case OPEN_SALVAGE: rc = binlog_reader_open_salvage(s[0], &r); break;
    case OPEN_LOG: rc = binlog_reader_open_log(s[0], s[1], &r); break;
    case OPEN_GLOB: rc = binlog_reader_open_glob(s[0], s[1], &r); break;
    case OPEN_LOG_TIERED:
        rc = retry_timeout_ms > 0 ? binlog_reader_open_log_tiered_timeout(s[0], s[1], s[2], (uint64_t)retry_timeout_ms, &r)
                                  : binlog_reader_open_log_tiered(s[0], s[1], s[2], &r);
        break;
    default:
        free_all(s, n);
        throw_iae(env, "unknown way to open");
        return 0;
    }
    free_all(s, n);
    return opened(env, rc, r, "open returned no reader");
}

/* ---- Reader: batches (binlog_reader_next_mapped into RecordBatch's buffers: positions of payloads in the
 * library's mapping, or copies in the data buffer; RecordBatch.java reads the descriptors, never the format) */

_Static_assert(sizeof(binlog_mapped_record) == 56, "RecordBatch.DESCRIPTOR_BYTES");
_Static_assert(offsetof(binlog_mapped_record, offset) == 16, "RecordBatch.OFFSET");
_Static_assert(offsetof(binlog_mapped_record, payload_off) == 24, "RecordBatch.PAYLOAD_OFF");
_Static_assert(offsetof(binlog_mapped_record, payload_len) == 32, "RecordBatch.PAYLOAD_LEN");
_Static_assert(offsetof(binlog_mapped_record, mapped) == 36, "RecordBatch.MAPPED");
_Static_assert(offsetof(binlog_mapped_record, type_off) == 40, "RecordBatch.TYPE_OFF");
_Static_assert(offsetof(binlog_mapped_record, meta_count) == 52, "RecordBatch.META_COUNT");
_Static_assert(sizeof(binlog_batch_meta) == 16, "RecordBatch.META_ENTRY_BYTES");

/* Fills RecordBatch's buffers: `records` holds `cap` descriptors, then the mapping's address and length (two 8-byte
 * words, 0 when no payload is mapped). Returns the count, 0 at END, -1 with an exception pending. */
JNI(jint, BinlogReader, nativeNextBatch, jlong h, jlong wait_ms, jobject data, jobject records, jint cap) {
    LIVE(reader, r, h, -1)
    uint8_t *buf, *recs_addr;
    size_t buf_len, recs_len;
    if (direct_buffer(env, data, "data buffer", &buf, &buf_len) != 0 ||
        direct_buffer(env, records, "records buffer", &recs_addr, &recs_len) != 0) {
        return -1;
    }
    if (cap < 0 || recs_len < 16 || (size_t)cap > (recs_len - 16) / sizeof(binlog_mapped_record) ||
        (uintptr_t)recs_addr % 8 != 0) {
        throw_iae(env, "records buffer: too small for cap, or not 8-byte aligned");
        return -1;
    }
    binlog_mapped_record *out = (binlog_mapped_record *)(void *)recs_addr;
    uint64_t *mapping = (uint64_t *)(void *)(recs_addr + (size_t)cap * sizeof *out);
    size_t count = 0, len = 0;
    const uint8_t *base = NULL;
    binlog_result rc = binlog_reader_next_mapped(r, buf, buf_len, out, (size_t)cap,
                                                 wait_ms > 0 ? (uint64_t)wait_ms : 0, &count, &base, &len);
    if (rc == BINLOG_END) {
        return 0;
    }
    if (check(env, rc) != 0) {
        return -1;
    }
    mapping[0] = (uint64_t)(uintptr_t)base;
    mapping[1] = (uint64_t)len;
    return (jint)count;
}

/* A direct buffer over [addr, addr + len) of the mapping the last batch pointed into, kept mapped by a binlog_mapping
 * whose address goes to handle[0] (Java frees it once the buffer is unreachable). */
JNI(jobject, BinlogReader, nativeKeepMapping, jlong h, jlong addr, jlong len, jlongArray handle) {
    LIVE(reader, r, h, NULL)
    binlog_mapping *m = NULL;
    if (check(env, binlog_reader_keep_mapping(r, &m)) != 0) {
        return NULL;
    }
    jobject b = (*env)->NewDirectByteBuffer(env, (void *)(intptr_t)addr, len);
    jlong v = (jlong)(intptr_t)m;
    if (b == NULL || set_longs(env, handle, &v, 1) != 0) {
        binlog_mapping_free(m);
        if (!pending(env)) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "NewDirectByteBuffer is not supported by this JVM");
        }
        return NULL;
    }
    return b;
}

FREE_FN(BinlogReader, nativeFreeMapping, binlog_mapping_free, binlog_mapping)

/* The reader's call `which` (R_*) with argument v: an action (0) or a u64 getter; 0 with an exception thrown. */
JNI(jlong, BinlogReader, nativeCall, jlong h, jint which, jlong v) {
    LIVE(reader, r, h, 0)
    uint64_t got = 0;
    binlog_result rc;
    switch (which) {
    case R_SEEK_SEQ: rc = binlog_reader_seek_seq(r, (uint64_t)v); break;
    case R_SEEK_TIME: rc = binlog_reader_seek_time(r, (int64_t)v); break;
    case R_SKIP_DAMAGED: rc = binlog_reader_skip_damaged(r, v != 0); break;
    case R_DECODE_THREADS:
        if (v < 0 || v > UINT32_MAX) {
            throw_iae(env, "decodeThreads: a negative count, or one past 2^32-1");
            return 0;
        }
        rc = binlog_reader_decode_threads(r, (uint32_t)v);
        break;
    case R_GAP_COUNT: rc = binlog_reader_gap_count(r, &got); break;
    default:
        throw_iae(env, "unknown reader call");
        return 0;
    }
    return u64_or_throw(env, rc, got);
}

JNI(void, BinlogReader, nativeFilterTypes, jlong h, jbyteArray type_bytes, jintArray type_lens) {
    LIVE(reader, r, h, )
    struct packed p;
    if (packed_load(env, type_bytes, type_lens, &p, "malformed type names") == 0) {
        check(env, binlog_reader_filter_types(r, p.n > 0 ? p.iov : NULL, (size_t)p.n));
        packed_free(&p);
    }
}

/* A new byte[][] of the n strings s; NULL with an exception pending. `call` names the library call that gave
 * them, for a NULL string. */
static jobjectArray byte_arrays(JNIEnv *env, const binlog_iovec *s, size_t n, const char *call) {
    if (n > (size_t)INT32_MAX) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "too many strings for a Java array");
        return NULL;
    }
    jobjectArray out = (*env)->NewObjectArray(env, (jsize)n, cls_bytes, NULL);
    for (size_t i = 0; out != NULL && i < n; i++) {
        if (s[i].len > 0 && s[i].base == NULL) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s returned a NULL string", call);
            throw_code(env, BINLOG_ERR_NULL_POINTER, msg);
            return NULL;
        }
        jbyteArray b = new_bytes(env, s[i].base, s[i].len);
        if (b == NULL || set_out(env, out, (jsize)i, b) != 0) {
            return NULL;
        }
    }
    return out;
}

/* {long[] nums, byte[][] paths, byte[][] logs (null if `logs` is NULL)}: the n rows of `width` numbers in v, each
 * row's path and log name; NULL with an exception pending on failure. */
static jobjectArray nums_and_paths(JNIEnv *env, const jlong *v, size_t width, const binlog_iovec *paths,
                                   const binlog_iovec *logs, size_t n, const char *call) {
    jobjectArray p = byte_arrays(env, paths, n, call);
    jobjectArray l = p == NULL || logs == NULL ? NULL : byte_arrays(env, logs, n, call);
    jlongArray nums = p == NULL || (logs != NULL && l == NULL) ? NULL : (*env)->NewLongArray(env, (jsize)(n * width));
    jobjectArray out = nums == NULL ? NULL : (*env)->NewObjectArray(env, 3, cls_object, NULL);
    if (out == NULL) {
        return NULL;
    }
    (*env)->SetLongArrayRegion(env, nums, 0, (jsize)(n * width), v);
    return set_out(env, out, 0, nums) != 0 || set_out(env, out, 1, p) != 0 || set_out(env, out, 2, l) != 0 ? NULL : out;
}

/* The numbers of one gap in a nativeProblems' long[]: reason, then a has-flag (0 or 1) and a value for offset,
 * from_seq and to_seq (Gap.NUMS); of a damage: offset, resume_offset, from_seq, to_seq (Damage.NUMS). */
#define GAP_NUMS 7
#define DAMAGE_NUMS 4

/* Copies the gaps (binlog_gap) or damaged regions (binlog_damage2) of reader h, or of merged reader h with each
 * one's log name into `logs`, into `rows`; NULL rows and logs with cap 0 ask for the count. */
static binlog_result problems_of(void *h, int merged, int damages, void *rows, binlog_iovec *logs, size_t cap,
                                 size_t *count) {
    if (merged) {
        return damages ? binlog_merged_reader_damages(h, rows, logs, cap, count)
                       : binlog_merged_reader_gaps(h, rows, logs, cap, count);
    }
    return damages ? binlog_reader_damages2(h, rows, cap, count) : binlog_reader_gaps(h, rows, cap, count);
}

/* The gaps or damaged regions (damages) a reader (binlog_reader_gaps, _damages2) or merged reader h
 * (binlog_merged_reader_gaps, _damages, with each one's log name) met, as {long[] nums, byte[][] paths} (GAP_NUMS or
 * DAMAGE_NUMS numbers and one path, a file or object URL, each), and byte[][] logs of a merged reader; NULL with an
 * exception pending on failure. */
JNI(jobjectArray, HandleCalls, nativeProblems, jlong handle, jboolean merged, jboolean damages) {
    void *h = (void *)(intptr_t)handle;
    const char *call = merged ? (damages ? "binlog_merged_reader_damages" : "binlog_merged_reader_gaps")
                              : (damages ? "binlog_reader_damages2" : "binlog_reader_gaps");
    if (h == NULL) {
        throw_code(env, BINLOG_ERR_CLOSED, "reader is closed"); /* as LIVE: Java never passes 0 */
        return NULL;
    }
    size_t n = 0, got = 0, width = damages ? DAMAGE_NUMS : GAP_NUMS;
    if (check(env, problems_of(h, merged, damages, NULL, NULL, 0, &n)) != 0) {
        return NULL;
    }
    if (n > (size_t)INT32_MAX / GAP_NUMS) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "too many gaps or damaged regions");
        return NULL;
    }
    void *rows = xmalloc(env, n * (damages ? sizeof(binlog_damage2) : sizeof(binlog_gap)), call);
    jlong *v = rows == NULL ? NULL : xmalloc(env, n * width * sizeof *v, call);
    binlog_iovec *paths = v == NULL ? NULL : xmalloc(env, n * sizeof *paths, call);
    binlog_iovec *logs = paths == NULL || !merged ? NULL : xmalloc(env, n * sizeof *logs, call);
    jobjectArray out = NULL;
    if (paths == NULL || (merged && logs == NULL) ||
        check(env, problems_of(h, merged, damages, rows, logs, n, &got)) != 0) {
        goto done;
    }
    n = got < n ? got : n;
    for (size_t i = 0; i < n; i++) {
        jlong *row = v + i * width;
        if (damages) {
            const binlog_damage2 *d = (const binlog_damage2 *)rows + i;
            jlong nums[DAMAGE_NUMS] = {(jlong)d->offset, (jlong)d->resume_offset, (jlong)d->from_seq,
                                       (jlong)d->to_seq};
            memcpy(row, nums, sizeof nums);
            paths[i] = (binlog_iovec){d->path, d->path_len};
        } else {
            const binlog_gap *g = (const binlog_gap *)rows + i;
            jlong nums[GAP_NUMS] = {(jlong)g->reason,    g->has_offset,   (jlong)g->offset, g->has_from_seq,
                                    (jlong)g->from_seq, g->has_to_seq, (jlong)g->to_seq};
            memcpy(row, nums, sizeof nums);
            paths[i] = (binlog_iovec){g->path, g->path_len};
        }
    }
    out = nums_and_paths(env, v, width, paths, logs, n, call);
done:
    free(rows);
    free(v);
    free(paths);
    free(logs);
    return out;
}

JNI(void, BinlogReader, nativeTail, jlong h, jlongArray out) {
    LIVE(reader, r, h, )
    binlog_tail t = {0};
    if (check(env, binlog_reader_tail(r, &t)) == 0) {
        jlong v[3] = {(jlong)t.kind, (jlong)t.offset, (jlong)t.len};
        set_longs(env, out, v, 3);
    }
}

/* A new byte[][] of the n strings of s, then each key and value of the count entries of meta (a header's
 * parameters, a record's metadata); NULL with an exception pending. `call` names the library call that gave them. */
static jobjectArray strings_and_meta(JNIEnv *env, const binlog_iovec *s, size_t n, const binlog_meta *meta,
                                     size_t count, const char *call) {
    if ((count > 0 && meta == NULL) || count > ((size_t)INT32_MAX - n) / 2) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s returned a NULL or huge list", call);
        throw_code(env, BINLOG_ERR_NULL_POINTER, msg);
        return NULL;
    }
    binlog_iovec *all = xmalloc(env, (n + 2 * count) * sizeof *all, call);
    if (all == NULL) {
        return NULL;
    }
    memcpy(all, s, n * sizeof *s);
    for (size_t i = 0; i < count; i++) {
        all[n + 2 * i] = (binlog_iovec){meta[i].key, meta[i].key_len};
        all[n + 2 * i + 1] = (binlog_iovec){meta[i].value, meta[i].value_len};
    }
    jobjectArray out = byte_arrays(env, all, n + 2 * count, call);
    free(all);
    return out;
}

/* binlog_reader_header, copied into Java before returning: the strings and the parameter array point into the reader
 * only until it moves to another segment, is closed, or header is called again. nums gets major, minor, created_ns,
 * segment_no, first_seq; the byte[][] returned the log name, content type, writer, then each parameter's key and value
 * (UTF-8 as stored). The call does not move the reader, so a record kept stays valid. */
JNI(jobjectArray, BinlogReader, nativeHeader, jlong h, jlongArray nums) {
    LIVE(reader, r, h, NULL)
    binlog_header hd = {0};
    if (check(env, binlog_reader_header(r, &hd)) != 0) {
        return NULL;
    }
    jlong v[5] = {(jlong)hd.major, (jlong)hd.minor, (jlong)hd.created_ns, (jlong)hd.segment_no, (jlong)hd.first_seq};
    binlog_iovec s[3] = {{hd.log_name, hd.log_name_len}, {hd.content_type, hd.content_type_len},
                         {hd.writer, hd.writer_len}};
    return set_longs(env, nums, v, 5) != 0
               ? NULL
               : strings_and_meta(env, s, 3, hd.params, hd.param_count, "binlog_reader_header");
}

JNI(void, BinlogReader, nativeCloseFree, jlong h) {
    binlog_reader *r = (binlog_reader *)(intptr_t)h;
    check(env, binlog_reader_close(r));
    binlog_reader_free(r);
}

FREE_FN(BinlogReader, nativeFree, binlog_reader_free, binlog_reader)

/* ---- LogSegment (Binlog.nativeList) */

/* Numbers per file in Binlog.nativeList's long[]. */
#define LIST_FIELDS 11

/* Fills v with file i of list as LIST_FIELDS numbers, and its path. */
static binlog_result list_fields(const binlog_segment_list *list, size_t i, jlong *v, binlog_iovec *path) {
    binlog_listed_segment s;
    bool compressed = false;
    uint64_t original = 0;
    binlog_result rc = binlog_segment_list_get(list, i, &s);
    if (rc == BINLOG_OK && (rc = binlog_segment_list_get_compression(list, i, &compressed, &original)) == BINLOG_OK) {
        *path = (binlog_iovec){(const uint8_t *)s.path, strlen(s.path)};
        jlong f[LIST_FIELDS] = {(jlong)s.segment_no, (jlong)s.state,     s.salvaged,     (jlong)s.salvaged_offset,
                                s.has_first_seq,     (jlong)s.first_seq, s.has_last_seq, (jlong)s.last_seq,
                                (jlong)s.bytes,      compressed,         (jlong)original};
        memcpy(v, f, sizeof f);
    }
    return rc;
}

/* binlog_log_list_segments, copied into Java as {long[] nums, byte[][] paths}: LIST_FIELDS numbers per file
 * (segment_no, state, salvaged, salvaged_offset, has_first_seq, first_seq, has_last_seq, last_seq, bytes, compressed,
 * original bytes) and its path. */
JNI(jobjectArray, Binlog, nativeList, jbyteArray dir, jbyteArray name) {
    char *s[2];
    if (c_strings(env, s, 2, (jbyteArray[]){dir, name}, (const char *[]){"dir", "name"}, 2) != 0) {
        return NULL;
    }
    binlog_segment_list *list = NULL;
    binlog_result rc = binlog_log_list_segments(s[0], s[1], &list);
    free_all(s, 2);
    if (check(env, rc) != 0) {
        return NULL;
    }
    size_t n = 0;
    rc = binlog_segment_list_count(list, &n);
    jlong *v = rc == BINLOG_OK ? xmalloc(env, n * LIST_FIELDS * sizeof *v, "list") : NULL;
    binlog_iovec *paths = v == NULL ? NULL : xmalloc(env, n * sizeof *paths, "list");
    for (size_t i = 0; paths != NULL && rc == BINLOG_OK && i < n; i++) {
        rc = list_fields(list, i, v + i * LIST_FIELDS, &paths[i]);
    }
    jobjectArray out = NULL;
    if (check(env, rc) == 0 && paths != NULL) {
        out = nums_and_paths(env, v, LIST_FIELDS, paths, NULL, n, "binlog_segment_list_get");
    }
    free(v);
    free(paths);
    binlog_segment_list_free(list);
    return out;
}

/* ---- Shipper (binlog_shipper) */

/* The strings of Shipper.Options.strings() (null where unset), then its numbers (Shipper.Options.nums()). */
enum { SHIP_URL, SHIP_ENDPOINT, SHIP_REGION, SHIP_ACCESS_KEY, SHIP_SECRET, SHIP_STRINGS };
enum { SHIP_VIRTUAL_HOSTED, SHIP_KEEP_LOCAL, SHIP_MULTIPART, SHIP_RETRY_MS, SHIP_KEEP_COUNT, SHIP_NUMS = 7 };

/* The binlog_ship_options the Java options describe: a number -1 (0 for the multipart threshold and retry timeout,
 * all three for the remote retention) leaves the library's default. NULL with an exception pending. */
static binlog_ship_options *ship_options(JNIEnv *env, jobjectArray strings, jlongArray nums) {
    jbyteArray a[SHIP_STRINGS];
    char *s[SHIP_STRINGS];
    jlong v[SHIP_NUMS];
    if (strings == NULL || nums == NULL || (*env)->GetArrayLength(env, strings) != SHIP_STRINGS ||
        (*env)->GetArrayLength(env, nums) != SHIP_NUMS) {
        throw_iae(env, "malformed ship options");
        return NULL;
    }
    for (int i = 0; i < SHIP_STRINGS; i++) {
        a[i] = (jbyteArray)(*env)->GetObjectArrayElement(env, strings, i);
    }
    (*env)->GetLongArrayRegion(env, nums, 0, SHIP_NUMS, v);
    if (pending(env) || c_strings(env, s, SHIP_STRINGS, a,
                                  (const char *[]){"url", "endpoint", "region", "access key id", "secret access key"},
                                  0) != 0) {
        return NULL;
    }
    binlog_ship_options *o = NULL;
    const jlong *keep = v + SHIP_KEEP_COUNT; /* count, bytes, age ns */
    binlog_result rc = binlog_ship_options_new(&o);
    if (rc == BINLOG_OK && s[SHIP_URL] != NULL) rc = binlog_ship_options_set_url(o, s[SHIP_URL]);
    if (rc == BINLOG_OK && s[SHIP_ENDPOINT] != NULL) rc = binlog_ship_options_set_endpoint(o, s[SHIP_ENDPOINT]);
    if (rc == BINLOG_OK && s[SHIP_REGION] != NULL) rc = binlog_ship_options_set_region(o, s[SHIP_REGION]);
    if (rc == BINLOG_OK && (s[SHIP_ACCESS_KEY] != NULL || s[SHIP_SECRET] != NULL))
        rc = binlog_ship_options_set_credentials(o, s[SHIP_ACCESS_KEY], s[SHIP_SECRET]);
    if (rc == BINLOG_OK && v[SHIP_VIRTUAL_HOSTED]) rc = binlog_ship_options_set_path_style(o, false);
    if (rc == BINLOG_OK && v[SHIP_KEEP_LOCAL] >= 0)
        rc = binlog_ship_options_set_keep_local(o, (uint64_t)v[SHIP_KEEP_LOCAL]);
    if (rc == BINLOG_OK && v[SHIP_MULTIPART] > 0)
        rc = binlog_ship_options_set_multipart_threshold(o, (uint64_t)v[SHIP_MULTIPART]);
    if (rc == BINLOG_OK && v[SHIP_RETRY_MS] > 0)
        rc = binlog_ship_options_set_retry_timeout(o, (uint64_t)v[SHIP_RETRY_MS]);
    if (rc == BINLOG_OK && (keep[0] >= 0 || keep[1] >= 0 || keep[2] >= 0)) /* -1, unset, is C's UINT64_MAX */
        rc = binlog_ship_options_set_remote_retention(o, (uint64_t)keep[0], (uint64_t)keep[1], (uint64_t)keep[2]);
    free_all(s, SHIP_STRINGS);
    if (check(env, rc) != 0) {
        binlog_ship_options_free(o);
        return NULL;
    }
    return o;
}

JNI(jlong, Shipper, nativeOpen, jbyteArray dir, jbyteArray name, jobjectArray strings, jlongArray nums) {
    char *s[2];
    if (c_strings(env, s, 2, (jbyteArray[]){dir, name}, (const char *[]){"dir", "name"}, 2) != 0) {
        return 0;
    }
    binlog_ship_options *o = ship_options(env, strings, nums);
    binlog_shipper *shipper = NULL;
    if (o != NULL) {
        check(env, binlog_shipper_open(s[0], s[1], o, &shipper));
    }
    binlog_ship_options_free(o);
    free_all(s, 2);
    return (jlong)(intptr_t)shipper;
}

JNI(void, Shipper, nativeShipOnce, jlong h, jlongArray out) {
    binlog_ship_report r;
    if (check(env, binlog_shipper_ship_once((binlog_shipper *)(intptr_t)h, &r)) == 0) {
        jlong v[3] = {(jlong)r.uploaded, (jlong)r.already_uploaded, (jlong)r.removed_local};
        set_longs(env, out, v, 3);
    }
}

JNI(void, Shipper, nativePrune, jbyteArray name, jobjectArray strings, jlongArray nums, jboolean dry_run,
    jlongArray out) {
    char *s[1];
    if (c_strings(env, s, 1, (jbyteArray[]){name}, (const char *[]){"name"}, 1) != 0) {
        return;
    }
    binlog_ship_options *o = ship_options(env, strings, nums);
    binlog_prune_report r;
    if (o != NULL && check(env, binlog_remote_prune(o, s[0], dry_run, &r)) == 0) {
        jlong through = r.pruned_through == UINT64_MAX ? -1 : (jlong)r.pruned_through;
        jlong v[4] = {(jlong)r.deleted, (jlong)r.finished, (jlong)r.kept, through};
        set_longs(env, out, v, 4);
    }
    binlog_ship_options_free(o);
    free_all(s, 1);
}

FREE_FN(Shipper, nativeFree, binlog_shipper_free, binlog_shipper)

/* ---- Verify (binlog_verify): the calls take turns (Verify.java's lock), as the C handle asks; a finding's
 * strings are copied before the lock is left. */

/* Longs per finding in nativeNext's output (see Verify.java). */
#define FINDING_FIELDS 9

JNI(jlong, Verify, nativeOpen, jbyteArray path, jbyteArray name) {
    char *s[2]; /* no name: the one log of the directory */
    if (c_strings(env, s, 2, (jbyteArray[]){path, name}, (const char *[]){"path", "log name"}, 1) != 0) {
        return 0;
    }
    binlog_verify *v = NULL;
    check(env, binlog_verify_open(s[0], s[1], &v));
    free_all(s, 2);
    return (jlong)(intptr_t)v;
}

/* The next finding: its FINDING_FIELDS numbers (kind, has_offset, offset, len, has_seq, from_seq,
 * to_seq, repair, damage) into nums, and {location, message} returned as bytes; null at the end. */
JNI(jobjectArray, Verify, nativeNext, jlong h, jlongArray nums) {
    binlog_finding f;
    binlog_result rc = binlog_verify_next((binlog_verify *)(intptr_t)h, &f);
    if (rc == BINLOG_END || check(env, rc) != 0) {
        return NULL;
    }
    jlong v[FINDING_FIELDS] = {(jlong)f.kind, f.has_offset, (jlong)f.offset, (jlong)f.len, f.has_seq,
                               (jlong)f.from_seq, (jlong)f.to_seq, (jlong)f.repair, f.damage};
    binlog_iovec s[2] = {{(const uint8_t *)f.location, strlen(f.location)},
                         {(const uint8_t *)f.message, strlen(f.message)}};
    return set_longs(env, nums, v, FINDING_FIELDS) != 0 ? NULL : byte_arrays(env, s, 2, "binlog_verify_next");
}

JNI(void, Verify, nativeCounts, jlong h, jlongArray out) {
    uint64_t segments = 0, records = 0;
    if (check(env, binlog_verify_counts((binlog_verify *)(intptr_t)h, &segments, &records)) == 0) {
        jlong v[2] = {(jlong)segments, (jlong)records};
        set_longs(env, out, v, 2);
    }
}

FREE_FN(Verify, nativeFree, binlog_verify_free, binlog_verify)

/* The library's name of a finding kind (kind true) or repair action, or null for a number that is none
 * (binlog_finding_kind_name, binlog_repair_action_name). */
JNI(jstring, Verify, nativeName, jboolean kind, jint code) {
    const char *name = kind ? binlog_finding_kind_name((uint32_t)code) : binlog_repair_action_name((uint32_t)code);
    return name == NULL ? NULL : (*env)->NewStringUTF(env, name); /* ASCII */
}

/* ---- BinlogMergedReader */

JNI(jlong, BinlogMergedReader, nativeOpen, jbyteArray dir, jbyteArray remote, jbyteArray pattern) {
    char *s[3];
    if (c_strings(env, s, 3, (jbyteArray[]){dir, remote, pattern}, (const char *[]){"dir", "remote", "pattern"}, 0) !=
        0) {
        return 0;
    }
    binlog_merged_reader *r = NULL;
    binlog_result rc = binlog_merged_reader_open(s[0], s[1], s[2], &r);
    free_all(s, 3);
    return opened(env, rc, r, "binlog_merged_reader_open");
}

JNI(void, BinlogMergedReader, nativeTimeWindow, jlong h, jlong from_ns, jlong to_ns) {
    LIVE(merged_reader, r, h, )
    check(env, binlog_merged_reader_time_window(r, from_ns, to_ns));
}

JNI(void, BinlogMergedReader, nativeSkipDamaged, jlong h, jboolean skip) {
    LIVE(merged_reader, r, h, )
    check(env, binlog_merged_reader_skip_damaged(r, skip));
}

/* The next record (binlog_merged_reader_next, or _next_wait up to wait_ms when not negative): {seq, timestamp_ns,
 * offset} into nums, and byte[][] {log, type, payload, then each metadata key and value} returned; null at the end. */
JNI(jobjectArray, BinlogMergedReader, nativeNext, jlong h, jlong wait_ms, jlongArray nums) {
    LIVE(merged_reader, r, h, NULL)
    binlog_record rec;
    const uint8_t *log = NULL;
    size_t log_len = 0;
    binlog_result rc = wait_ms < 0 ? binlog_merged_reader_next(r, &rec, &log, &log_len)
                                   : binlog_merged_reader_next_wait(r, (uint64_t)wait_ms, &rec, &log, &log_len);
    if (rc == BINLOG_END || check(env, rc) != 0) {
        return NULL;
    }
    jlong v[3] = {(jlong)rec.seq, rec.timestamp_ns, (jlong)rec.offset};
    binlog_iovec s[3] = {{log, log_len}, {rec.type_name, rec.type_len}, {rec.payload, rec.payload_len}};
    return set_longs(env, nums, v, 3) != 0
               ? NULL
               : strings_and_meta(env, s, 3, rec.meta, rec.meta_count, "binlog_merged_reader_next");
}

FREE_FN(BinlogMergedReader, nativeFree, binlog_merged_reader_free, binlog_merged_reader)

/* RepairPlan (binlog_repair_plan): its glue, with the helpers above. */
#include "repair_jni.c"
