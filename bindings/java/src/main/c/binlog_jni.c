/*
 * JNI glue between io.libbinlog (Java) and libbinlog's C ABI (binlog.h).
 *
 * Rules kept throughout:
 *  - Java owns lifetimes and locking: a handle passed here is live and not
 *    used concurrently with its close/free (the Java classes guarantee it).
 *  - Every libbinlog failure becomes a pending io.libbinlog.BinlogException
 *    carrying the result code and binlog_last_error(), read first thing
 *    after the failing call, on the same thread.
 *  - Every JNI call that can fail is checked; after an exception is pending
 *    we release what we hold and return at once without further JNI calls
 *    (other than the release functions, which are allowed).
 *  - Strings cross as byte arrays (UTF-8 or file-name bytes), never as
 *    modified UTF-8.
 *  - Nothing calls back from C into Java code except constructors of
 *    exceptions.
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

#define UNUSED(x) (void)(x)

/* Heap payloads up to this size are copied to the stack instead of pinned. */
#define STACK_COPY_MAX 16384
/* Type names up to this size are copied to the stack. */
#define TYPE_CACHE_MAX 256

/* Selectors shared with Options.java. */
enum {
    OPT_LOG_NAME = 0,
    OPT_CONTENT_TYPE = 1,
    OPT_ADD_PARAM = 2,
    OPT_MAX_RECORD_SIZE = 10,
    OPT_BUFFER_SIZE = 11,
    OPT_DURABILITY = 12,
    OPT_FIRST_SEQ = 13,
    OPT_SEGMENT_NO = 14,
    OPT_CREATED_NS = 15,
    OPT_SPARSE_INTERVAL = 16,
    OPT_MAX_SEGMENT_BYTES = 17,
    OPT_MAX_SEGMENT_RECORDS = 18,
    OPT_PERIOD = 19,
    OPT_RETENTION = 20,
    OPT_SYNC_WAIT_SPIN_US = 21,
    OPT_SEAL_IN_BACKGROUND = 22,
    OPT_FLUSH_DELAY_US = 23,
    OPT_COMPRESSION = 24,
    OPT_RETENTION_SHIPPED = 25,
    OPT_TYPE_COPIES = 26,
};

/* --------------------------------------------------------------------------
 * Cached classes and exception helpers
 * ------------------------------------------------------------------------ */

static jclass cls_binlog_exception;
static jmethodID of_binlog_exception; /* static IOException of(int, byte[], byte[], long, int) */
static jclass cls_illegal_argument;
static jclass cls_null_pointer;
static jclass cls_out_of_memory;

static jclass global_class(JNIEnv *env, const char *name) {
    jclass local = (*env)->FindClass(env, name);
    if (local == NULL) {
        return NULL;
    }
    jclass global = (jclass)(*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    UNUSED(reserved);
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    cls_binlog_exception = global_class(env, "io/libbinlog/BinlogException");
    if (cls_binlog_exception == NULL) {
        return JNI_ERR;
    }
    of_binlog_exception =
        (*env)->GetStaticMethodID(env, cls_binlog_exception, "of", "(I[B[BJI)Ljava/io/IOException;");
    if (of_binlog_exception == NULL) {
        return JNI_ERR;
    }
    cls_illegal_argument = global_class(env, "java/lang/IllegalArgumentException");
    cls_null_pointer = global_class(env, "java/lang/NullPointerException");
    cls_out_of_memory = global_class(env, "java/lang/OutOfMemoryError");
    if (cls_illegal_argument == NULL || cls_null_pointer == NULL || cls_out_of_memory == NULL) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_8;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
    UNUSED(reserved);
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
        return;
    }
    jclass *all[] = {&cls_binlog_exception, &cls_illegal_argument, &cls_null_pointer, &cls_out_of_memory};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (*all[i] != NULL) {
            (*env)->DeleteGlobalRef(env, *all[i]);
            *all[i] = NULL;
        }
    }
}

static int pending(JNIEnv *env) {
    return (*env)->ExceptionCheck(env) == JNI_TRUE;
}

/* A new byte[] holding the C string s (NULL: a null array); 0 unless an exception is pending. */
static int c_bytes(JNIEnv *env, const char *s, jbyteArray *out) {
    *out = NULL;
    if (s == NULL) {
        return 0;
    }
    size_t len = strlen(s);
    jsize n = len > (size_t)INT32_MAX ? INT32_MAX : (jsize)len;
    *out = (*env)->NewByteArray(env, n);
    if (*out != NULL && n > 0) {
        (*env)->SetByteArrayRegion(env, *out, 0, n, (const jbyte *)s);
    }
    return pending(env) ? -1 : 0;
}

/*
 * Throws BinlogException.of(code, msg, path, offset, os_code): the
 * BinlogException subclass or NoSuchFileException the code and path call for.
 * Keeps an exception that is already pending.
 */
static void throw_binlog(JNIEnv *env, jint code, const char *msg, const char *path, jlong offset, jint os_code) {
    if (pending(env)) {
        return;
    }
    jbyteArray m, p = NULL;
    if (c_bytes(env, msg != NULL ? msg : "", &m) != 0 || c_bytes(env, path, &p) != 0) {
        return; /* OutOfMemoryError pending */
    }
    jobject ex = (*env)->CallStaticObjectMethod(env, cls_binlog_exception, of_binlog_exception, code, m, p, offset,
                                                os_code);
    (*env)->DeleteLocalRef(env, m);
    if (p != NULL) {
        (*env)->DeleteLocalRef(env, p);
    }
    if (ex != NULL && !pending(env)) {
        (*env)->Throw(env, (jthrowable)ex);
    }
    if (ex != NULL) {
        (*env)->DeleteLocalRef(env, ex);
    }
}

/*
 * Turns a failed libbinlog call into an exception with the file, offset and
 * errno the library recorded. Must run before any other libbinlog call on
 * this thread: binlog_last_error*() are per thread and describe the last
 * failing call.
 */
static void throw_result(JNIEnv *env, binlog_result rc) {
    uint64_t off;
    jlong offset = binlog_last_error_offset(&off) && off <= (uint64_t)INT64_MAX ? (jlong)off : -1;
    const char *path = binlog_last_error_path();
    throw_binlog(env, (jint)rc, binlog_last_error(), path != NULL && path[0] != '\0' ? path : NULL, offset,
                 (jint)binlog_last_error_os_code());
}

/* Throws for a failed call (rc not BINLOG_OK); 0 if it succeeded. */
static int check(JNIEnv *env, binlog_result rc) {
    if (rc == BINLOG_OK) {
        return 0;
    }
    throw_result(env, rc);
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

/* --------------------------------------------------------------------------
 * Argument helpers
 * ------------------------------------------------------------------------ */

/* A byte[] copied to a new NUL-terminated C string; NULL (exception pending) on failure. */
static char *c_string(JNIEnv *env, jbyteArray a, const char *what) {
    if (a == NULL) {
        throw_npe(env, what);
        return NULL;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    char *s = xmalloc(env, (size_t)n + 1, what);
    if (s == NULL) {
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)s);
    if (pending(env)) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    if (memchr(s, '\0', (size_t)n) != NULL) {
        free(s);
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "string argument contains a NUL byte");
        return NULL;
    }
    return s;
}

/*
 * A byte[] copied to C memory: into `stack` when it fits in `stack_len`, else
 * malloc'd (*heap set, to free). NULL array = (NULL, 0). Returns 0 on
 * success, -1 with an exception pending.
 */
static int copy_bytes(JNIEnv *env, jbyteArray a, char *stack, size_t stack_len, char **out, size_t *out_len,
                      char **heap) {
    *heap = NULL;
    *out = NULL;
    *out_len = 0;
    if (a == NULL) {
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    char *p = stack;
    if ((size_t)n > stack_len) {
        p = *heap = xmalloc(env, (size_t)n, "byte array copy");
        if (p == NULL) {
            return -1;
        }
    }
    (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)p);
    if (pending(env)) {
        free(*heap);
        *heap = NULL;
        return -1;
    }
    *out = p;
    *out_len = (size_t)n;
    return 0;
}

/* An int[] copied to malloc'd memory (*out, *count); NULL array = (NULL, 0). */
static int copy_ints(JNIEnv *env, jintArray a, jint **out, jsize *count) {
    *out = NULL;
    *count = 0;
    if (a == NULL) {
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    jint *p = xmalloc(env, (size_t)n * sizeof(jint), "int array copy");
    if (p == NULL) {
        return -1;
    }
    (*env)->GetIntArrayRegion(env, a, 0, n, p);
    if (pending(env)) {
        free(p);
        return -1;
    }
    *out = p;
    *count = n;
    return 0;
}

static int copy_longs(JNIEnv *env, jlongArray a, jlong **out, jsize *count) {
    *out = NULL;
    *count = 0;
    if (a == NULL) {
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, a);
    jlong *p = xmalloc(env, (size_t)n * sizeof(jlong), "long array copy");
    if (p == NULL) {
        return -1;
    }
    (*env)->GetLongArrayRegion(env, a, 0, n, p);
    if (pending(env)) {
        free(p);
        return -1;
    }
    *out = p;
    *count = n;
    return 0;
}

/*
 * Strings laid end to end in `bytes` with `lens` (as Strings.Packed) turned
 * into `count` (pointer, length) pairs stored through `set`. Checks that the
 * lengths are not negative and add up to exactly bytes_len.
 */
static int check_packed(JNIEnv *env, const jint *lens, jsize count, size_t bytes_len, const char *what) {
    size_t total = 0;
    for (jsize i = 0; i < count; i++) {
        if (lens[i] < 0) {
            throw_iae(env, what);
            return -1;
        }
        total += (size_t)lens[i];
    }
    if (total != bytes_len) {
        throw_iae(env, what);
        return -1;
    }
    return 0;
}

/* Metadata: key, value, key, value ... packed; builds a binlog_meta array (malloc'd). */
struct meta_args {
    char *bytes_heap;
    jint *lens;
    binlog_meta *meta;
    size_t count;
};

static void meta_free(struct meta_args *m) {
    free(m->bytes_heap);
    free(m->lens);
    free(m->meta);
}

static int meta_load(JNIEnv *env, jbyteArray meta_bytes, jintArray meta_lens, struct meta_args *m) {
    memset(m, 0, sizeof *m);
    if (meta_lens == NULL) {
        return 0;
    }
    if (meta_bytes == NULL) {
        throw_npe(env, "metadata bytes");
        return -1;
    }
    char *bytes;
    size_t bytes_len;
    jsize nlens;
    if (copy_bytes(env, meta_bytes, NULL, 0, &bytes, &bytes_len, &m->bytes_heap) != 0) {
        return -1;
    }
    if (copy_ints(env, meta_lens, &m->lens, &nlens) != 0) {
        meta_free(m);
        return -1;
    }
    if (nlens % 2 != 0 || check_packed(env, m->lens, nlens, bytes_len, "malformed metadata") != 0) {
        throw_iae(env, "malformed metadata");
        meta_free(m);
        return -1;
    }
    m->count = (size_t)nlens / 2;
    m->meta = xmalloc(env, m->count * sizeof(binlog_meta), "metadata");
    if (m->meta == NULL) {
        meta_free(m);
        return -1;
    }
    size_t off = 0;
    for (size_t i = 0; i < m->count; i++) {
        m->meta[i].key = (const uint8_t *)bytes + off;
        m->meta[i].key_len = (size_t)m->lens[2 * i];
        off += (size_t)m->lens[2 * i];
        m->meta[i].value = (const uint8_t *)bytes + off;
        m->meta[i].value_len = (size_t)m->lens[2 * i + 1];
        off += (size_t)m->lens[2 * i + 1];
    }
    return 0;
}

/* The direct buffer's address, checked to hold [pos, pos+len). NULL with an exception pending. */
static uint8_t *direct_range(JNIEnv *env, jobject buf, jint pos, jint len) {
    if (buf == NULL) {
        throw_npe(env, "buffer");
        return NULL;
    }
    uint8_t *base = (*env)->GetDirectBufferAddress(env, buf);
    jlong cap = (*env)->GetDirectBufferCapacity(env, buf);
    if (pending(env)) {
        return NULL;
    }
    if (cap < 0 || (base == NULL && cap > 0)) {
        throw_iae(env, "not a direct ByteBuffer (or direct buffer access is unsupported)");
        return NULL;
    }
    if (pos < 0 || len < 0 || (jlong)pos + (jlong)len > cap) {
        throw_iae(env, "range outside the direct ByteBuffer");
        return NULL;
    }
    if (base == NULL) {
        /* An empty direct buffer may have no address (FileChannel.map of 0
         * bytes): it is still a valid, empty range. */
        static uint8_t empty_range[1];
        return empty_range;
    }
    return base + pos;
}

/* --------------------------------------------------------------------------
 * Binlog
 * ------------------------------------------------------------------------ */

JNIEXPORT jstring JNICALL Java_io_libbinlog_Binlog_nativeVersion(JNIEnv *env, jclass cls) {
    UNUSED(cls);
    const char *v = binlog_version();
    if (v == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_version() returned NULL");
        return NULL;
    }
    return (*env)->NewStringUTF(env, v); /* ASCII, so modified UTF-8 is exact */
}

JNIEXPORT jint JNICALL Java_io_libbinlog_Binlog_nativeFormatMajor(JNIEnv *env, jclass cls) {
    UNUSED(env);
    UNUSED(cls);
    return BINLOG_FORMAT_MAJOR;
}

/* --------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static binlog_options *opts_of(jlong h) { return (binlog_options *)(intptr_t)h; }

JNIEXPORT jlong JNICALL Java_io_libbinlog_Options_nativeNew(JNIEnv *env, jclass cls) {
    UNUSED(cls);
    binlog_options *o = NULL;
    binlog_result rc = binlog_options_new(&o);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return 0;
    }
    if (o == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_options_new returned no options");
        return 0;
    }
    return (jlong)(intptr_t)o;
}

JNIEXPORT void JNICALL Java_io_libbinlog_Options_nativeFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(env);
    UNUSED(cls);
    binlog_options_free(opts_of(h));
}

JNIEXPORT void JNICALL Java_io_libbinlog_Options_nativeSetBytes(JNIEnv *env, jclass cls, jlong h, jint which,
                                                                jbyteArray a, jbyteArray b) {
    UNUSED(cls);
    binlog_options *o = opts_of(h);
    if (o == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "options handle is NULL");
        return;
    }
    if (a == NULL || (which == OPT_ADD_PARAM && b == NULL)) {
        throw_npe(env, "option value");
        return;
    }
    char sa[256], sb[256];
    char *pa, *pb, *ha, *hb;
    size_t la, lb;
    if (copy_bytes(env, a, sa, sizeof sa, &pa, &la, &ha) != 0) {
        return;
    }
    if (copy_bytes(env, b, sb, sizeof sb, &pb, &lb, &hb) != 0) {
        free(ha);
        return;
    }
    binlog_result rc;
    switch (which) {
    case OPT_LOG_NAME:
        rc = binlog_options_set_log_name(o, (const uint8_t *)pa, la);
        break;
    case OPT_CONTENT_TYPE:
        rc = binlog_options_set_content_type(o, (const uint8_t *)pa, la);
        break;
    case OPT_ADD_PARAM:
        rc = binlog_options_add_param(o, (const uint8_t *)pa, la, (const uint8_t *)pb, lb);
        break;
    default:
        free(ha);
        free(hb);
        throw_iae(env, "unknown option selector");
        return;
    }
    check(env, rc);
    free(ha);
    free(hb);
}

JNIEXPORT void JNICALL Java_io_libbinlog_Options_nativeSetLong(JNIEnv *env, jclass cls, jlong h, jint which,
                                                               jlong a, jlong b, jlong c) {
    UNUSED(cls);
    binlog_options *o = opts_of(h);
    if (o == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "options handle is NULL");
        return;
    }
    /* Unsigned C parameters refuse negative Java values rather than wrap
     * them; the compression level (b) is signed. */
    int is_signed = which == OPT_CREATED_NS;
    int b_signed = which == OPT_COMPRESSION;
    if (!is_signed && (a < 0 || (!b_signed && b < 0) || c < 0)) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "option value must not be negative");
        return;
    }
    binlog_result rc;
    switch (which) {
    case OPT_MAX_RECORD_SIZE:
        rc = binlog_options_set_max_record_size(o, (uint64_t)a);
        break;
    case OPT_BUFFER_SIZE:
        if ((uint64_t)a > SIZE_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "buffer size too large");
            return;
        }
        rc = binlog_options_set_buffer_size(o, (size_t)a);
        break;
    case OPT_DURABILITY:
        if (a > UINT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "unknown durability mode");
            return;
        }
        rc = binlog_options_set_durability(o, (uint32_t)a, (uint64_t)b);
        break;
    case OPT_SYNC_WAIT_SPIN_US:
        /* Past uint32_t it would wrap, maybe into an accepted value; the
         * library checks its own 10000 us limit below that. */
        if (a > UINT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "sync_wait_spin above 2^32-1 us");
            return;
        }
        rc = binlog_options_set_sync_wait_spin_us(o, (uint32_t)a);
        break;
    case OPT_FLUSH_DELAY_US:
        /* Options.FLUSH_WHEN_FULL (Long.MAX_VALUE) is the C ABI's UINT64_MAX. */
        rc = binlog_options_set_flush_delay_us(o, a == INT64_MAX ? UINT64_MAX : (uint64_t)a);
        break;
    case OPT_FIRST_SEQ:
        rc = binlog_options_set_first_seq(o, (uint64_t)a);
        break;
    case OPT_SEGMENT_NO:
        rc = binlog_options_set_segment_no(o, (uint64_t)a);
        break;
    case OPT_CREATED_NS:
        rc = binlog_options_set_created_ns(o, (int64_t)a);
        break;
    case OPT_SPARSE_INTERVAL:
        if (a > UINT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "sparse interval above 2^32-1");
            return;
        }
        rc = binlog_options_set_sparse_interval(o, (uint32_t)a);
        break;
    case OPT_MAX_SEGMENT_BYTES:
        rc = binlog_options_set_max_segment_bytes(o, (uint64_t)a);
        break;
    case OPT_MAX_SEGMENT_RECORDS:
        rc = binlog_options_set_max_segment_records(o, (uint64_t)a);
        break;
    case OPT_PERIOD:
        if (a > UINT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "unknown period");
            return;
        }
        rc = binlog_options_set_period(o, (uint32_t)a);
        break;
    case OPT_RETENTION:
        rc = binlog_options_set_retention(o, (uint64_t)a, (uint64_t)b, (uint64_t)c);
        break;
    case OPT_SEAL_IN_BACKGROUND:
        rc = binlog_options_set_seal_in_background(o, a != 0);
        break;
    case OPT_COMPRESSION:
        if (b < INT32_MIN || b > INT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "compression level outside int32");
            return;
        }
        rc = binlog_options_set_compression(o, true, (uint64_t)a, (int32_t)b, (uint64_t)c);
        break;
    case OPT_TYPE_COPIES:
        if (a > UINT32_MAX) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "type copies' share above 1000 per mille");
            return;
        }
        rc = binlog_options_set_compression_type_copies(o, (uint32_t)a);
        break;
    case OPT_RETENTION_SHIPPED:
        rc = binlog_options_set_retention_until_shipped(o, a != 0);
        if (rc == BINLOG_OK) rc = binlog_options_set_retention_hard_max_bytes(o, (uint64_t)b);
        break;
    default:
        throw_iae(env, "unknown option selector");
        return;
    }
    check(env, rc);
}

/* --------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

/* The writer behind a handle; NULL (CLOSED pending) for 0, which Java never passes. */
static binlog_writer *writer_of(JNIEnv *env, jlong h) {
    binlog_writer *w = (binlog_writer *)(intptr_t)h;
    if (w == NULL) {
        throw_code(env, BINLOG_ERR_CLOSED, "writer is closed");
    }
    return w;
}

static jlong opened_writer(JNIEnv *env, binlog_result rc, binlog_writer *w, const char *fn) {
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return 0;
    }
    if (w == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, fn);
        return 0;
    }
    return (jlong)(intptr_t)w;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeOpen(JNIEnv *env, jclass cls, jbyteArray path,
                                                           jlong opts) {
    UNUSED(cls);
    char *p = c_string(env, path, "path");
    if (p == NULL) {
        return 0;
    }
    binlog_writer *w = NULL;
    binlog_result rc = binlog_writer_open(p, opts_of(opts), &w);
    jlong h = opened_writer(env, rc, w, "binlog_writer_open returned no writer");
    free(p);
    return h;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeOpenLog(JNIEnv *env, jclass cls, jbyteArray dir,
                                                              jbyteArray name, jlong opts) {
    UNUSED(cls);
    char *d = c_string(env, dir, "dir");
    if (d == NULL) {
        return 0;
    }
    char *n = c_string(env, name, "name");
    if (n == NULL) {
        free(d);
        return 0;
    }
    binlog_writer *w = NULL;
    binlog_result rc = binlog_writer_open_log(d, n, opts_of(opts), &w);
    jlong h = opened_writer(env, rc, w, "binlog_writer_open_log returned no writer");
    free(d);
    free(n);
    return h;
}

/* What a call that yields a u64 returns to Java: the value, or 0 with an exception thrown. */
static jlong u64_or_throw(JNIEnv *env, binlog_result rc, uint64_t v) {
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return 0;
    }
    return (jlong)v;
}

/* Writes one record: plain binlog_writer_write without metadata and timestamp, else write_entry. */
static binlog_result write_one(binlog_writer *w, const char *type, size_t type_len, const uint8_t *payload,
                               size_t len, const struct meta_args *m, jlong ts, uint64_t *seq) {
    if (m->count == 0 && ts == (jlong)BINLOG_TIME_NOW) {
        return binlog_writer_write(w, (const uint8_t *)type, type_len, payload, len, seq);
    }
    binlog_entry e;
    memset(&e, 0, sizeof e);
    e.type_name = (const uint8_t *)type;
    e.type_len = type_len;
    e.meta = m->meta;
    e.meta_count = m->count;
    e.payload = payload;
    e.payload_len = len;
    e.timestamp_ns = (int64_t)ts;
    return binlog_writer_write_entry(w, &e, seq);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeWriteArray(JNIEnv *env, jclass cls, jlong h,
                                                                 jbyteArray type, jbyteArray data, jint off,
                                                                 jint len, jbyteArray meta_bytes,
                                                                 jintArray meta_lens, jlong ts, jboolean pin) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return 0;
    }
    if (type == NULL || data == NULL) {
        throw_npe(env, type == NULL ? "type" : "payload");
        return 0;
    }
    jsize n = (*env)->GetArrayLength(env, data);
    if (off < 0 || len < 0 || (jlong)off + (jlong)len > (jlong)n) {
        throw_iae(env, "payload range outside the array");
        return 0;
    }
    char tstack[TYPE_CACHE_MAX];
    char *t, *theap;
    size_t tlen;
    if (copy_bytes(env, type, tstack, sizeof tstack, &t, &tlen, &theap) != 0) {
        return 0;
    }
    struct meta_args m;
    if (meta_load(env, meta_bytes, meta_lens, &m) != 0) {
        free(theap);
        return 0;
    }

    uint64_t seq = 0;
    binlog_result rc;
    if (len <= STACK_COPY_MAX) {
        /* Small: one copy to the stack; no pinning, no GC interaction. */
        uint8_t buf[STACK_COPY_MAX];
        (*env)->GetByteArrayRegion(env, data, off, len, (jbyte *)buf);
        if (pending(env)) {
            meta_free(&m);
            free(theap);
            return 0;
        }
        rc = write_one(w, t, tlen, buf, (size_t)len, &m, ts, &seq);
    } else if (pin) {
        /* Large: pinned in place. No JNI call until the release. */
        uint8_t *base = (*env)->GetPrimitiveArrayCritical(env, data, NULL);
        if (base == NULL) {
            meta_free(&m);
            free(theap);
            throw_oom(env, "GetPrimitiveArrayCritical failed");
            return 0;
        }
        rc = write_one(w, t, tlen, base + off, (size_t)len, &m, ts, &seq);
        (*env)->ReleasePrimitiveArrayCritical(env, data, base, JNI_ABORT);
    } else {
        /* Large, and the write may wait for an fdatasync: copied, since a
         * pinned array would hold off the garbage collector meanwhile. */
        uint8_t *copy = xmalloc(env, (size_t)len, "payload copy");
        if (copy == NULL) {
            meta_free(&m);
            free(theap);
            return 0;
        }
        (*env)->GetByteArrayRegion(env, data, off, len, (jbyte *)copy);
        if (pending(env)) {
            free(copy);
            meta_free(&m);
            free(theap);
            return 0;
        }
        rc = write_one(w, t, tlen, copy, (size_t)len, &m, ts, &seq);
        free(copy);
    }
    check(env, rc);
    meta_free(&m);
    free(theap);
    return (jlong)seq;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeWriteDirect(JNIEnv *env, jclass cls, jlong h,
                                                                  jbyteArray type, jobject data, jint pos,
                                                                  jint len, jbyteArray meta_bytes,
                                                                  jintArray meta_lens, jlong ts) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return 0;
    }
    if (type == NULL) {
        throw_npe(env, "type");
        return 0;
    }
    const uint8_t *payload = direct_range(env, data, pos, len);
    if (payload == NULL) {
        return 0;
    }
    char tstack[TYPE_CACHE_MAX];
    char *t, *theap;
    size_t tlen;
    if (copy_bytes(env, type, tstack, sizeof tstack, &t, &tlen, &theap) != 0) {
        return 0;
    }
    struct meta_args m;
    if (meta_load(env, meta_bytes, meta_lens, &m) != 0) {
        free(theap);
        return 0;
    }
    uint64_t seq = 0;
    check(env, write_one(w, t, tlen, payload, (size_t)len, &m, ts, &seq));
    meta_free(&m);
    free(theap);
    return (jlong)seq;
}

/* A record the calling thread staged in its own native memory
 * (StagingBuffer.java): the type name, then the payload, from address. Its
 * arguments are numbers alone, so nothing here calls into the JVM unless the
 * write fails. */
JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeWriteStaged(JNIEnv *env, jclass cls, jlong h, jlong address,
                                                                  jint type_len, jint len, jlong ts) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return 0;
    }
    const uint8_t *base = (const uint8_t *)(intptr_t)address;
    struct meta_args none = {0};
    uint64_t seq = 0;
    binlog_result rc =
        write_one(w, (const char *)base, (size_t)type_len, base + type_len, (size_t)len, &none, ts, &seq);
    return u64_or_throw(env, rc, seq);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_StagingBuffer_nativeAddress(JNIEnv *env, jclass cls, jobject memory) {
    UNUSED(cls);
    void *base = (*env)->GetDirectBufferAddress(env, memory);
    if (base == NULL && !pending(env)) {
        throw_iae(env, "not a direct ByteBuffer (or direct buffer access is unsupported)");
    }
    return (jlong)(intptr_t)base;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeWriteBatch(JNIEnv *env, jclass cls, jlong h,
                                                                 jbyteArray type_bytes, jintArray type_lens,
                                                                 jintArray type_index, jobject data,
                                                                 jboolean direct, jint pos, jintArray lengths,
                                                                 jint count, jlongArray timestamps, jboolean pin) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return 0;
    }
    if (type_bytes == NULL || type_lens == NULL || data == NULL || lengths == NULL) {
        throw_npe(env, "batch argument");
        return 0;
    }

    jlong result = 0;
    char *types = NULL, *types_heap = NULL;
    size_t types_len = 0;
    jint *tlens = NULL, *tidx = NULL, *lens = NULL;
    jlong *ts = NULL;
    jsize ntypes = 0, nidx = 0, n = 0, nts = 0;
    size_t *toff = NULL;
    binlog_entry *entries = NULL;
    uint8_t *copy = NULL; /* the heap array's bytes, when not pinned */

    if (copy_bytes(env, type_bytes, NULL, 0, &types, &types_len, &types_heap) != 0 ||
        copy_ints(env, type_lens, &tlens, &ntypes) != 0 || copy_ints(env, type_index, &tidx, &nidx) != 0 ||
        copy_ints(env, lengths, &lens, &n) != 0 || copy_longs(env, timestamps, &ts, &nts) != 0) {
        goto out;
    }
    if (ntypes < 1 || check_packed(env, tlens, ntypes, types_len, "malformed type names") != 0) {
        throw_iae(env, "malformed type names");
        goto out;
    }
    /* The records are the first `count` lengths; the Java side has
     * checked how long the other arrays must be, here they must cover them. */
    if (count < 0 || count > n) {
        throw_iae(env, "record count outside the lengths array");
        goto out;
    }
    n = count;
    if ((type_index != NULL && nidx < n) || (timestamps != NULL && nts < n)) {
        throw_iae(env, "types / timestamps do not match the record count");
        goto out;
    }
    toff = xmalloc(env, (size_t)ntypes * sizeof(size_t), "type offsets");
    if (toff == NULL) {
        goto out;
    }
    for (jsize i = 0, off = 0; i < ntypes; off += tlens[i], i++) {
        toff[i] = (size_t)off;
    }
    uint64_t total = 0;
    for (jsize i = 0; i < n; i++) {
        if (lens[i] < 0) {
            throw_iae(env, "negative record length");
            goto out;
        }
        if (tidx != NULL && (tidx[i] < 0 || tidx[i] >= ntypes)) {
            throw_iae(env, "type index out of range");
            goto out;
        }
        total += (uint64_t)lens[i];
    }
    entries = xmalloc(env, (size_t)n * sizeof(binlog_entry), "batch entries");
    if (entries == NULL) {
        goto out;
    }

    /* Locate the payload bytes; the heap array is pinned last, after every other JNI call. */
    const uint8_t *base;
    uint8_t *critical = NULL;
    if (direct) {
        if (total > (uint64_t)INT32_MAX) {
            throw_iae(env, "batch larger than a ByteBuffer");
            goto out;
        }
        base = direct_range(env, data, pos, (jint)total);
        if (base == NULL) {
            goto out;
        }
    } else {
        jsize alen = (*env)->GetArrayLength(env, (jarray)data);
        if (pos < 0 || (uint64_t)pos + total > (uint64_t)alen) {
            throw_iae(env, "batch lengths run past the array");
            goto out;
        }
        if (pin) {
            critical = (*env)->GetPrimitiveArrayCritical(env, (jarray)data, NULL);
            if (critical == NULL) {
                throw_oom(env, "GetPrimitiveArrayCritical failed");
                goto out;
            }
            base = critical + pos;
        } else {
            /* The write may wait for an fdatasync: copied, not pinned (a
             * pinned array holds off the garbage collector meanwhile). */
            copy = xmalloc(env, total > 0 ? (size_t)total : 1, "batch copy");
            if (copy == NULL) {
                goto out;
            }
            (*env)->GetByteArrayRegion(env, (jbyteArray)data, pos, (jsize)total, (jbyte *)copy);
            if (pending(env)) {
                goto out;
            }
            base = copy;
        }
    }

    size_t off = 0;
    for (jsize i = 0; i < n; i++) {
        jint ti = tidx != NULL ? tidx[i] : 0;
        binlog_entry *e = &entries[i];
        memset(e, 0, sizeof *e);
        e->type_name = (const uint8_t *)types + toff[ti]; /* same pointer per type: validated once */
        e->type_len = (size_t)tlens[ti];
        e->payload = base + off;
        e->payload_len = (size_t)lens[i];
        e->timestamp_ns = ts != NULL ? (int64_t)ts[i] : BINLOG_TIME_NOW;
        off += (size_t)lens[i];
    }
    uint64_t first = 0;
    binlog_result rc = binlog_writer_write_batch(w, entries, (size_t)n, &first);
    if (critical != NULL) {
        (*env)->ReleasePrimitiveArrayCritical(env, (jarray)data, critical, JNI_ABORT);
    }
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        goto out;
    }
    result = (jlong)first;

out:
    free(copy);
    free(entries);
    free(toff);
    free(ts);
    free(lens);
    free(tidx);
    free(tlens);
    free(types_heap);
    return result;
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogWriter_nativeFlush(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return;
    }
    check(env, binlog_writer_flush(w));
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogWriter_nativeSync(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return;
    }
    check(env, binlog_writer_sync(w));
}

/* A writer's u64 getter (`binlog_writer_next_seq` and the like) for Java:
 * its value, or 0 with an exception thrown. */
static jlong writer_u64(JNIEnv *env, jlong h, binlog_result (*get)(const binlog_writer *, uint64_t *)) {
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return 0;
    }
    uint64_t v = 0;
    binlog_result rc = get(w, &v); /* before v is read: argument order is unspecified */
    return u64_or_throw(env, rc, v);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeNextSeq(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    return writer_u64(env, h, binlog_writer_next_seq);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeDurableSeq(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    return writer_u64(env, h, binlog_writer_durable_seq);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeCallbackFailures(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    return writer_u64(env, h, binlog_writer_callback_failures);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogWriter_nativeDroppedUnshipped(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    return writer_u64(env, h, binlog_writer_dropped_unshipped);
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogWriter_nativeRoll(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return;
    }
    check(env, binlog_writer_roll(w));
}

JNIEXPORT jbyteArray JNICALL Java_io_libbinlog_BinlogWriter_nativePollSealed(JNIEnv *env, jclass cls, jlong h,
                                                                      jlongArray info) {
    UNUSED(cls);
    binlog_writer *w = writer_of(env, h);
    if (w == NULL) {
        return NULL;
    }
    if (info == NULL || (*env)->GetArrayLength(env, info) < 5) {
        throw_iae(env, "info needs 5 slots");
        return NULL;
    }
    binlog_segment_info si;
    memset(&si, 0, sizeof si);
    binlog_result rc = binlog_writer_poll_sealed(w, &si);
    if (rc == BINLOG_END) {
        return NULL;
    }
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return NULL;
    }
    if (si.path == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_writer_poll_sealed returned no path");
        return NULL;
    }
    /* si.path is valid until the next poll; Java serializes polls, and we copy now. */
    jlong v[5] = {(jlong)si.event, (jlong)si.segment_no, (jlong)si.first_seq, (jlong)si.record_count,
                  (jlong)si.bytes};
    (*env)->SetLongArrayRegion(env, info, 0, 5, v);
    if (pending(env)) {
        return NULL;
    }
    size_t plen = strlen(si.path);
    if (plen > (size_t)INT32_MAX) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "segment path too long");
        return NULL;
    }
    jbyteArray path = (*env)->NewByteArray(env, (jsize)plen);
    if (path == NULL) {
        return NULL;
    }
    (*env)->SetByteArrayRegion(env, path, 0, (jsize)plen, (const jbyte *)si.path);
    if (pending(env)) {
        return NULL;
    }
    return path;
}

/* Closes (seals) without freeing: Java then polls the segments the close
 * sealed, and frees with nativeFree. */
JNIEXPORT void JNICALL Java_io_libbinlog_BinlogWriter_nativeClose(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_writer *w = (binlog_writer *)(intptr_t)h;
    if (w == NULL) {
        return;
    }
    check(env, binlog_writer_close(w));
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogWriter_nativeFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(env);
    UNUSED(cls);
    binlog_writer_free((binlog_writer *)(intptr_t)h); /* closes first if needed; NULL accepted */
}

/* --------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

/* The Java handle of a reader is its binlog_reader. */
static binlog_reader *reader_of(JNIEnv *env, jlong h) {
    binlog_reader *r = (binlog_reader *)(intptr_t)h;
    if (r == NULL) {
        throw_code(env, BINLOG_ERR_CLOSED, "reader is closed");
    }
    return r;
}

static jlong opened_reader(JNIEnv *env, binlog_result rc, binlog_reader *r, const char *fn) {
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return 0;
    }
    if (r == NULL) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, fn);
        return 0;
    }
    return (jlong)(intptr_t)r;
}

typedef binlog_result (*open1_fn)(const char *, binlog_reader **);

static jlong open_reader1(JNIEnv *env, jbyteArray path, open1_fn fn) {
    char *p = c_string(env, path, "path");
    if (p == NULL) {
        return 0;
    }
    binlog_reader *r = NULL;
    binlog_result rc = fn(p, &r);
    jlong h = opened_reader(env, rc, r, "open returned no reader");
    free(p);
    return h;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpen(JNIEnv *env, jclass cls, jbyteArray path) {
    UNUSED(cls);
    return open_reader1(env, path, binlog_reader_open);
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpenSalvage(JNIEnv *env, jclass cls, jbyteArray path) {
    UNUSED(cls);
    return open_reader1(env, path, binlog_reader_open_salvage);
}

typedef binlog_result (*open2_fn)(const char *, const char *, binlog_reader **);

static jlong open_reader2(JNIEnv *env, jbyteArray a, jbyteArray b, open2_fn fn, const char *what) {
    char *sa = c_string(env, a, "dir");
    if (sa == NULL) {
        return 0;
    }
    char *sb = c_string(env, b, what);
    if (sb == NULL) {
        free(sa);
        return 0;
    }
    binlog_reader *r = NULL;
    binlog_result rc = fn(sa, sb, &r);
    jlong h = opened_reader(env, rc, r, "open returned no reader");
    free(sa);
    free(sb);
    return h;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpenLog(JNIEnv *env, jclass cls, jbyteArray dir,
                                                              jbyteArray name) {
    UNUSED(cls);
    return open_reader2(env, dir, name, binlog_reader_open_log, "name");
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpenGlob(JNIEnv *env, jclass cls, jbyteArray dir,
                                                               jbyteArray pattern) {
    UNUSED(cls);
    return open_reader2(env, dir, pattern, binlog_reader_open_glob, "pattern");
}

/* A tiered reader of the log's local segments and those shipped to `remote`, failed requests retried
 * for retry_timeout_ms (0: the library's default, binlog_reader_open_log_tiered). */
static jlong open_log_tiered(JNIEnv *env, jbyteArray dir, jbyteArray name, jbyteArray remote,
                             jlong retry_timeout_ms) {
    char *d = c_string(env, dir, "dir");
    char *n = d != NULL ? c_string(env, name, "name") : NULL;
    char *u = n != NULL ? c_string(env, remote, "remote") : NULL;
    jlong h = 0;
    if (u != NULL) {
        binlog_reader *r = NULL;
        binlog_result rc = retry_timeout_ms > 0
                               ? binlog_reader_open_log_tiered_timeout(d, n, u, (uint64_t)retry_timeout_ms, &r)
                               : binlog_reader_open_log_tiered(d, n, u, &r);
        h = opened_reader(env, rc, r, "binlog_reader_open_log_tiered returned no reader");
    }
    free(d);
    free(n);
    free(u);
    return h;
}

/* binlog_reader_open_log_tiered: the log's local segments and those shipped to `remote`. */
JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpenLogTiered(JNIEnv *env, jclass cls, jbyteArray dir,
                                                                    jbyteArray name, jbyteArray remote) {
    UNUSED(cls);
    return open_log_tiered(env, dir, name, remote, 0);
}

/* binlog_reader_open_log_tiered_timeout: as nativeOpenLogTiered, retrying failed requests for retry_timeout_ms. */
JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeOpenLogTieredTimeout(JNIEnv *env, jclass cls,
                                                                           jbyteArray dir, jbyteArray name,
                                                                           jbyteArray remote,
                                                                           jlong retry_timeout_ms) {
    UNUSED(cls);
    return open_log_tiered(env, dir, name, remote, retry_timeout_ms);
}

/* A new byte[] holding [p, p+n); NULL with an exception pending on failure. */
static jbyteArray new_bytes(JNIEnv *env, const uint8_t *p, size_t n) {
    jbyteArray a = (*env)->NewByteArray(env, (jsize)n);
    if (a == NULL) {
        return NULL;
    }
    if (n > 0) {
        (*env)->SetByteArrayRegion(env, a, 0, (jsize)n, (const jbyte *)p);
        if (pending(env)) {
            (*env)->DeleteLocalRef(env, a);
            return NULL;
        }
    }
    return a;
}

/* Sets out[i] = v and drops the local reference. -1 with an exception pending on failure. */
static int set_out(JNIEnv *env, jobjectArray out, jsize i, jobject v) {
    (*env)->SetObjectArrayElement(env, out, i, v);
    if (v != NULL) {
        (*env)->DeleteLocalRef(env, v);
    }
    return pending(env) ? -1 : 0;
}

/* --------------------------------------------------------------------------
 * Reader: batches (binlog_reader_next_mapped into RecordBatch's buffers:
 * positions of payloads in the library's mapping, or copies in the data
 * buffer; RecordBatch.java reads the descriptors, never the format)
 * ------------------------------------------------------------------------ */

_Static_assert(sizeof(binlog_mapped_record) == 56, "RecordBatch.DESCRIPTOR_BYTES");
_Static_assert(offsetof(binlog_mapped_record, offset) == 16, "RecordBatch.OFFSET");
_Static_assert(offsetof(binlog_mapped_record, payload_off) == 24, "RecordBatch.PAYLOAD_OFF");
_Static_assert(offsetof(binlog_mapped_record, payload_len) == 32, "RecordBatch.PAYLOAD_LEN");
_Static_assert(offsetof(binlog_mapped_record, mapped) == 36, "RecordBatch.MAPPED");
_Static_assert(offsetof(binlog_mapped_record, type_off) == 40, "RecordBatch.TYPE_OFF");
_Static_assert(offsetof(binlog_mapped_record, meta_count) == 52, "RecordBatch.META_COUNT");
_Static_assert(sizeof(binlog_batch_meta) == 16, "RecordBatch.META_ENTRY_BYTES");

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

/*
 * Fills RecordBatch's buffers: `records` holds `cap` descriptors, then the
 * mapping's address and length (two 8-byte words, 0 when no payload is
 * mapped). Returns the count, 0 at END, -1 with an exception pending.
 */
JNIEXPORT jint JNICALL Java_io_libbinlog_BinlogReader_nativeNextBatch(JNIEnv *env, jclass cls, jlong h, jlong wait_ms,
                                                               jobject data, jobject records, jint cap) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    uint8_t *buf, *recs_addr;
    size_t buf_len, recs_len;
    if (r == NULL || direct_buffer(env, data, "data buffer", &buf, &buf_len) != 0 ||
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
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return -1;
    }
    mapping[0] = (uint64_t)(uintptr_t)base;
    mapping[1] = (uint64_t)len;
    return (jint)count;
}

/*
 * A direct buffer over [addr, addr + len) of the mapping the last batch
 * pointed into, kept mapped by a binlog_mapping whose address goes to
 * handle[0] (Java frees it once the buffer is unreachable).
 */
JNIEXPORT jobject JNICALL Java_io_libbinlog_BinlogReader_nativeKeepMapping(JNIEnv *env, jclass cls, jlong h, jlong addr,
                                                                    jlong len, jlongArray handle) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    binlog_mapping *m = NULL;
    if (r == NULL) {
        return NULL;
    }
    binlog_result rc = binlog_reader_keep_mapping(r, &m);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return NULL;
    }
    jobject b = (*env)->NewDirectByteBuffer(env, (void *)(intptr_t)addr, len);
    jlong v = (jlong)(intptr_t)m;
    if (b != NULL) {
        (*env)->SetLongArrayRegion(env, handle, 0, 1, &v);
    }
    if (b == NULL || pending(env)) {
        binlog_mapping_free(m);
        if (!pending(env)) {
            throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "NewDirectByteBuffer is not supported by this JVM");
        }
        return NULL;
    }
    return b;
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeFreeMapping(JNIEnv *env, jclass cls, jlong m) {
    UNUSED(env);
    UNUSED(cls);
    binlog_mapping_free((binlog_mapping *)(intptr_t)m);
}

/* binlog_reader_seek_time to `v` if `time`, else binlog_reader_seek_seq. */
JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeSeek(JNIEnv *env, jclass cls, jlong h, jlong v, jboolean time) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r != NULL) {
        check(env, time ? binlog_reader_seek_time(r, (int64_t)v) : binlog_reader_seek_seq(r, (uint64_t)v));
    }
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeFilterTypes(JNIEnv *env, jclass cls, jlong h,
                                                                 jbyteArray type_bytes, jintArray type_lens) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return;
    }
    char *bytes = NULL, *heap = NULL;
    size_t bytes_len = 0;
    jint *lens = NULL;
    jsize n = 0;
    binlog_iovec *iov = NULL;
    if (copy_bytes(env, type_bytes, NULL, 0, &bytes, &bytes_len, &heap) != 0 ||
        copy_ints(env, type_lens, &lens, &n) != 0) {
        goto out;
    }
    if (check_packed(env, lens, n, bytes_len, "malformed type names") != 0) {
        goto out;
    }
    iov = xmalloc(env, (size_t)n * sizeof(binlog_iovec), "type list");
    if (iov == NULL) {
        goto out;
    }
    size_t off = 0;
    for (jsize i = 0; i < n; i++) {
        iov[i].base = (const uint8_t *)bytes + off;
        iov[i].len = (size_t)lens[i];
        off += (size_t)lens[i];
    }
    check(env, binlog_reader_filter_types(r, n > 0 ? iov : NULL, (size_t)n));
out:
    free(iov);
    free(lens);
    free(heap);
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeDecodeThreads(JNIEnv *env, jclass cls, jlong h,
                                                                      jint threads) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return;
    }
    if (threads < 0) {
        throw_iae(env, "negative decode threads");
        return;
    }
    check(env, binlog_reader_decode_threads(r, (uint32_t)threads));
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_BinlogReader_nativeGapCount(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return 0;
    }
    uint64_t v = 0;
    binlog_result rc = binlog_reader_gap_count(r, &v);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return 0;
    }
    return (jlong)v;
}

/* The path of one row of Reader.nativeGaps or Reader.nativeDamages. */
typedef struct {
    const uint8_t *bytes;
    size_t len;
} row_path;

/* {long[] nums, byte[][] paths}, as Reader.gaps and Reader.damages take
 * them: the n rows of `width` numbers in v, and each row's path (`call`
 * names the library call that gave them); NULL, with an exception
 * pending, on failure. */
static jobjectArray nums_and_paths(JNIEnv *env, const jlong *v, size_t width, const row_path *rows,
                                   size_t n, const char *call) {
    jclass bytes_class = (*env)->FindClass(env, "[B");
    jclass object_class = bytes_class == NULL ? NULL : (*env)->FindClass(env, "java/lang/Object");
    jobjectArray paths = object_class == NULL ? NULL : (*env)->NewObjectArray(env, (jsize)n, bytes_class, NULL);
    jlongArray nums = paths == NULL ? NULL : (*env)->NewLongArray(env, (jsize)(n * width));
    if (nums == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].len > 0 && rows[i].bytes == NULL) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s returned a NULL path", call);
            throw_code(env, BINLOG_ERR_NULL_POINTER, msg);
            return NULL;
        }
        jbyteArray p = new_bytes(env, rows[i].bytes, rows[i].len);
        if (p == NULL) {
            return NULL;
        }
        (*env)->SetObjectArrayElement(env, paths, (jsize)i, p);
        (*env)->DeleteLocalRef(env, p);
    }
    (*env)->SetLongArrayRegion(env, nums, 0, (jsize)(n * width), v);
    jobjectArray out = (*env)->NewObjectArray(env, 2, object_class, NULL);
    if (out != NULL) {
        (*env)->SetObjectArrayElement(env, out, 0, nums);
        (*env)->SetObjectArrayElement(env, out, 1, paths);
    }
    return out;
}

/* The numbers of one gap in Reader.nativeGaps' long[]: reason, then a
 * has-flag (0 or 1) and a value for offset, from_seq and to_seq. */
#define GAP_NUMS 7

/* Every gap the reader met (binlog_reader_gaps), as {long[] nums, byte[][]
 * paths}: GAP_NUMS numbers and one path per gap. */
JNIEXPORT jobjectArray JNICALL Java_io_libbinlog_BinlogReader_nativeGaps(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return NULL;
    }
    size_t n = 0;
    binlog_result rc = binlog_reader_gaps(r, NULL, 0, &n);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return NULL;
    }
    if (n > (size_t)INT32_MAX / GAP_NUMS) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "too many gaps");
        return NULL;
    }
    binlog_gap *gaps = xmalloc(env, n * sizeof *gaps, "gaps");
    jlong *v = xmalloc(env, n * GAP_NUMS * sizeof *v, "gap numbers");
    row_path *rows = xmalloc(env, n * sizeof *rows, "gap paths");
    jobjectArray out = NULL;
    if (gaps == NULL || v == NULL || rows == NULL) {
        goto done;
    }
    size_t got = 0;
    rc = binlog_reader_gaps(r, gaps, n, &got);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        goto done;
    }
    n = got < n ? got : n;
    for (size_t i = 0; i < n; i++) {
        const binlog_gap *g = &gaps[i];
        jlong row[GAP_NUMS] = {(jlong)g->reason,    g->has_offset,          (jlong)g->offset, g->has_from_seq,
                               (jlong)g->from_seq, g->has_to_seq, (jlong)g->to_seq};
        memcpy(v + i * GAP_NUMS, row, sizeof row);
        rows[i] = (row_path){g->path, g->path_len};
    }
    out = nums_and_paths(env, v, GAP_NUMS, rows, n, "binlog_reader_gaps");
done:
    free(gaps);
    free(v);
    free(rows);
    return out;
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeSkipDamaged(JNIEnv *env, jclass cls, jlong h,
                                                                    jboolean skip) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return;
    }
    check(env, binlog_reader_skip_damaged(r, skip == JNI_TRUE));
}

/* Every damaged region the reader skipped (binlog_reader_damages2), as
 * {long[] nums, byte[][] paths}: offset, resume_offset, from_seq and
 * to_seq, and the file or object URL, of each. */
JNIEXPORT jobjectArray JNICALL Java_io_libbinlog_BinlogReader_nativeDamages(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return NULL;
    }
    size_t n = 0;
    binlog_result rc = binlog_reader_damages2(r, NULL, 0, &n);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return NULL;
    }
    if (n > (size_t)INT32_MAX / 4) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "too many damaged regions");
        return NULL;
    }
    binlog_damage2 *d = xmalloc(env, n * sizeof *d, "damages");
    jlong *v = xmalloc(env, n * 4 * sizeof *v, "damage numbers");
    row_path *rows = xmalloc(env, n * sizeof *rows, "damage paths");
    jobjectArray out = NULL;
    if (d == NULL || v == NULL || rows == NULL) {
        goto done;
    }
    size_t got = 0;
    rc = binlog_reader_damages2(r, d, n, &got);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        goto done;
    }
    n = got < n ? got : n;
    for (size_t i = 0; i < n; i++) {
        jlong row[4] = {(jlong)d[i].offset, (jlong)d[i].resume_offset, (jlong)d[i].from_seq, (jlong)d[i].to_seq};
        memcpy(v + i * 4, row, sizeof row);
        rows[i] = (row_path){d[i].path, d[i].path_len};
    }
    out = nums_and_paths(env, v, 4, rows, n, "binlog_reader_damages2");
done:
    free(d);
    free(v);
    free(rows);
    return out;
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeTail(JNIEnv *env, jclass cls, jlong h, jlongArray out) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return;
    }
    if (out == NULL || (*env)->GetArrayLength(env, out) < 3) {
        throw_iae(env, "tail needs 3 slots");
        return;
    }
    binlog_tail t;
    memset(&t, 0, sizeof t);
    binlog_result rc = binlog_reader_tail(r, &t);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return;
    }
    jlong v[3] = {(jlong)t.kind, (jlong)t.offset, (jlong)t.len};
    (*env)->SetLongArrayRegion(env, out, 0, 3, v);
}

/*
 * binlog_reader_header, copied into Java before returning: the strings and
 * the parameter array point into the reader only until it moves to another
 * segment, is closed, or header is called again. nums gets major, minor,
 * created_ns, segment_no, first_seq; strs[0] a byte[] with log name, content
 * type, writer, then each parameter's key and value end to end (UTF-8 as
 * stored), strs[1] an int[] of their lengths (3 + 2 * param_count).
 * The call does not move the reader, so a record kept in rec stays valid.
 */
JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeHeader(JNIEnv *env, jclass cls, jlong h, jlongArray nums,
                                                            jobjectArray strs) {
    UNUSED(cls);
    binlog_reader *r = reader_of(env, h);
    if (r == NULL) {
        return;
    }
    if (nums == NULL || strs == NULL) {
        throw_npe(env, "header arrays");
        return;
    }
    if ((*env)->GetArrayLength(env, nums) < 5 || (*env)->GetArrayLength(env, strs) < 2) {
        throw_iae(env, "header arrays too short");
        return;
    }
    binlog_header hd;
    memset(&hd, 0, sizeof hd);
    binlog_result rc = binlog_reader_header(r, &hd);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return;
    }
    if ((hd.log_name_len > 0 && hd.log_name == NULL) || (hd.content_type_len > 0 && hd.content_type == NULL) ||
        (hd.writer_len > 0 && hd.writer == NULL) || (hd.param_count > 0 && hd.params == NULL)) {
        throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_reader_header returned a NULL field");
        return;
    }
    if (hd.param_count > ((size_t)INT32_MAX - 3) / 2) {
        throw_code(env, BINLOG_ERR_INVALID_ARGUMENT, "too many header parameters");
        return;
    }
    size_t n = 3 + 2 * hd.param_count;
    const uint8_t **ptrs = xmalloc(env, n * sizeof *ptrs, "header strings");
    jint *lens = xmalloc(env, n * sizeof *lens, "header string lengths");
    jbyteArray blob = NULL;
    jintArray jlens = NULL;
    if (ptrs == NULL || lens == NULL) {
        goto out;
    }
    const uint8_t *fixed_p[3] = {hd.log_name, hd.content_type, hd.writer};
    size_t fixed_n[3] = {hd.log_name_len, hd.content_type_len, hd.writer_len};
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p;
        size_t len;
        if (i < 3) {
            p = fixed_p[i];
            len = fixed_n[i];
        } else {
            const binlog_meta *m = &hd.params[(i - 3) / 2];
            int is_key = (i - 3) % 2 == 0;
            p = is_key ? m->key : m->value;
            len = is_key ? m->key_len : m->value_len;
            if (len > 0 && p == NULL) {
                throw_code(env, BINLOG_ERR_NULL_POINTER, "binlog_reader_header returned a NULL parameter field");
                goto out;
            }
        }
        if (len > (size_t)INT32_MAX - 8 - total) {
            throw_code(env, BINLOG_ERR_RECORD_TOO_LARGE, "segment header larger than a Java array");
            goto out;
        }
        ptrs[i] = p;
        lens[i] = (jint)len;
        total += len;
    }
    blob = (*env)->NewByteArray(env, (jsize)total);
    if (blob == NULL) {
        goto out;
    }
    jsize off = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > 0) {
            (*env)->SetByteArrayRegion(env, blob, off, lens[i], (const jbyte *)ptrs[i]);
            if (pending(env)) {
                goto out;
            }
        }
        off += lens[i];
    }
    jlens = (*env)->NewIntArray(env, (jsize)n);
    if (jlens == NULL) {
        goto out;
    }
    (*env)->SetIntArrayRegion(env, jlens, 0, (jsize)n, lens);
    if (pending(env)) {
        goto out;
    }
    jlong v[5] = {(jlong)hd.major, (jlong)hd.minor, (jlong)hd.created_ns, (jlong)hd.segment_no,
                  (jlong)hd.first_seq};
    (*env)->SetLongArrayRegion(env, nums, 0, 5, v);
    if (pending(env)) {
        goto out;
    }
    (*env)->SetObjectArrayElement(env, strs, 0, blob);
    if (!pending(env)) {
        (*env)->SetObjectArrayElement(env, strs, 1, jlens);
    }
out:
    if (blob != NULL) {
        (*env)->DeleteLocalRef(env, blob);
    }
    if (jlens != NULL) {
        (*env)->DeleteLocalRef(env, jlens);
    }
    free(ptrs);
    free(lens);
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeCloseFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(cls);
    binlog_reader *r = (binlog_reader *)(intptr_t)h;
    check(env, binlog_reader_close(r));
    binlog_reader_free(r);
}

JNIEXPORT void JNICALL Java_io_libbinlog_BinlogReader_nativeFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(env);
    UNUSED(cls);
    binlog_reader_free((binlog_reader *)(intptr_t)h);
}

/* --------------------------------------------------------------------------
 * LogSegment
 * ------------------------------------------------------------------------ */

/* Longs per file in LogSegment.nativeList's out[1]. */
#define LIST_FIELDS 12

/* Fills v with file i of list as LIST_FIELDS longs; its path's length first. */
static binlog_result list_fields(const binlog_segment_list *list, size_t i, jlong *v, const char **path) {
    binlog_listed_segment s;
    binlog_result rc = binlog_segment_list_get(list, i, &s);
    if (rc != BINLOG_OK) {
        return rc;
    }
    bool compressed = false;
    uint64_t original = 0;
    rc = binlog_segment_list_get_compression(list, i, &compressed, &original);
    if (rc != BINLOG_OK) {
        return rc;
    }
    *path = s.path;
    jlong f[LIST_FIELDS] = {(jlong)strlen(s.path), (jlong)s.segment_no,  (jlong)s.state,
                            s.salvaged,           (jlong)s.salvaged_offset, s.has_first_seq,
                            (jlong)s.first_seq,   s.has_last_seq,        (jlong)s.last_seq,
                            (jlong)s.bytes,       compressed,            (jlong)original};
    memcpy(v, f, sizeof f);
    return BINLOG_OK;
}

/* Publishes n files' paths (end to end, total bytes) and fields in out[0] and out[1]. */
static void publish_list(JNIEnv *env, jobjectArray out, const char *paths, size_t total, const jlong *v,
                         size_t n) {
    jbyteArray b = new_bytes(env, (const uint8_t *)paths, total);
    if (b == NULL || set_out(env, out, 0, b) != 0) {
        return;
    }
    jlongArray l = (*env)->NewLongArray(env, (jsize)(n * LIST_FIELDS));
    if (l == NULL) {
        return;
    }
    (*env)->SetLongArrayRegion(env, l, 0, (jsize)(n * LIST_FIELDS), v);
    if (!pending(env)) {
        set_out(env, out, 1, l);
    }
}

/* Copies list into out (see nativeList); an exception pending on failure. */
static void copy_list(JNIEnv *env, const binlog_segment_list *list, jobjectArray out) {
    size_t n = 0;
    binlog_result rc = binlog_segment_list_count(list, &n);
    jlong *v = rc == BINLOG_OK ? xmalloc(env, n * LIST_FIELDS * sizeof(jlong), "list") : NULL;
    const char **p = v != NULL ? xmalloc(env, n * sizeof *p, "list") : NULL;
    size_t total = 0;
    for (size_t i = 0; p != NULL && rc == BINLOG_OK && i < n; i++) {
        rc = list_fields(list, i, v + i * LIST_FIELDS, &p[i]);
        total += rc == BINLOG_OK ? (size_t)v[i * LIST_FIELDS] : 0;
    }
    char *paths = p != NULL && rc == BINLOG_OK ? xmalloc(env, total, "list") : NULL;
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
    } else if (paths != NULL) {
        for (size_t i = 0, at = 0; i < n; at += (size_t)v[i * LIST_FIELDS], i++) {
            memcpy(paths + at, p[i], (size_t)v[i * LIST_FIELDS]);
        }
        publish_list(env, out, paths, total, v, n);
    }
    free(v);
    free(p);
    free(paths);
}

/*
 * binlog_log_list_segments, copied into Java: out[0] gets a byte[] with
 * every file's path end to end, out[1] a long[] of LIST_FIELDS per file:
 * path length, segment_no, state, salvaged, salvaged_offset, has_first_seq,
 * first_seq, has_last_seq, last_seq, bytes, compressed, original bytes.
 */
JNIEXPORT void JNICALL Java_io_libbinlog_LogSegment_nativeList(JNIEnv *env, jclass cls, jbyteArray dir,
                                                              jbyteArray name, jobjectArray out) {
    UNUSED(cls);
    if (out == NULL || (*env)->GetArrayLength(env, out) < 2) {
        throw_iae(env, "list needs 2 slots");
        return;
    }
    char *sd = c_string(env, dir, "dir");
    if (sd == NULL) {
        return;
    }
    char *sn = c_string(env, name, "name");
    if (sn == NULL) {
        free(sd);
        return;
    }
    binlog_segment_list *list = NULL;
    binlog_result rc = binlog_log_list_segments(sd, sn, &list);
    free(sd);
    free(sn);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return;
    }
    copy_list(env, list, out);
    binlog_segment_list_free(list);
}

/* --------------------------------------------------------------------------
 * Shipper (binlog_shipper)
 * ------------------------------------------------------------------------ */

/* The string options of Shipper.Options, in the order of its strings(). */
enum { SHIP_URL, SHIP_ENDPOINT, SHIP_REGION, SHIP_ACCESS_KEY, SHIP_SECRET, SHIP_STRINGS };

/* Frees the strings ship_strings copied. */
static void ship_strings_free(char **s) {
    for (int i = 0; i < SHIP_STRINGS; i++) {
        free(s[i]);
    }
}

/* Copies the byte[][] of Shipper.Options into s (NULL where unset);
 * returns 0, or -1 with an exception pending (nothing left to free). */
static int ship_strings(JNIEnv *env, jobjectArray a, char **s) {
    memset(s, 0, SHIP_STRINGS * sizeof *s);
    if (a == NULL || (*env)->GetArrayLength(env, a) != SHIP_STRINGS) {
        throw_iae(env, "ship options: malformed strings");
        return -1;
    }
    for (int i = 0; i < SHIP_STRINGS; i++) {
        jbyteArray b = (jbyteArray)(*env)->GetObjectArrayElement(env, a, i);
        if (b != NULL) {
            s[i] = c_string(env, b, "ship option");
            (*env)->DeleteLocalRef(env, b);
            if (s[i] == NULL) {
                ship_strings_free(s);
                return -1;
            }
        }
    }
    return 0;
}

/* Sets the remote retention of `o` from Java's {count, bytes, age ns} (-1: unset); BINLOG_OK
 * without touching `o` if none is set. */
static binlog_result set_remote_retention(JNIEnv *env, binlog_ship_options *o, jlongArray retention) {
    jlong v[3] = {-1, -1, -1};
    if (retention != NULL) (*env)->GetLongArrayRegion(env, retention, 0, 3, v);
    if (v[0] < 0 && v[1] < 0 && v[2] < 0) return BINLOG_OK;
    uint64_t u[3];
    for (int i = 0; i < 3; i++) u[i] = v[i] < 0 ? UINT64_MAX : (uint64_t)v[i];
    return binlog_ship_options_set_remote_retention(o, u[0], u[1], u[2]);
}

/* The binlog_ship_options the Java options describe; NULL with an exception thrown. */
static binlog_ship_options *ship_options(JNIEnv *env, char **s, jboolean virtual_hosted, jlong keep_local,
                                         jlong multipart_threshold, jlong retry_timeout_ms, jlongArray retention) {
    binlog_ship_options *o = NULL;
    binlog_result rc = binlog_ship_options_new(&o);
    if (rc == BINLOG_OK && s[SHIP_URL] != NULL) rc = binlog_ship_options_set_url(o, s[SHIP_URL]);
    if (rc == BINLOG_OK && s[SHIP_ENDPOINT] != NULL) rc = binlog_ship_options_set_endpoint(o, s[SHIP_ENDPOINT]);
    if (rc == BINLOG_OK && s[SHIP_REGION] != NULL) rc = binlog_ship_options_set_region(o, s[SHIP_REGION]);
    if (rc == BINLOG_OK && (s[SHIP_ACCESS_KEY] != NULL || s[SHIP_SECRET] != NULL))
        rc = binlog_ship_options_set_credentials(o, s[SHIP_ACCESS_KEY], s[SHIP_SECRET]);
    if (rc == BINLOG_OK && virtual_hosted) rc = binlog_ship_options_set_path_style(o, false);
    if (rc == BINLOG_OK && keep_local >= 0) rc = binlog_ship_options_set_keep_local(o, (uint64_t)keep_local);
    if (rc == BINLOG_OK && multipart_threshold > 0)
        rc = binlog_ship_options_set_multipart_threshold(o, (uint64_t)multipart_threshold);
    if (rc == BINLOG_OK && retry_timeout_ms > 0)
        rc = binlog_ship_options_set_retry_timeout(o, (uint64_t)retry_timeout_ms);
    if (rc == BINLOG_OK) rc = set_remote_retention(env, o, retention);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        binlog_ship_options_free(o);
        return NULL;
    }
    return o;
}

JNIEXPORT jlong JNICALL Java_io_libbinlog_Shipper_nativeOpen(JNIEnv *env, jclass cls, jbyteArray dir,
                                                            jbyteArray name, jobjectArray strings,
                                                            jboolean virtual_hosted, jlong keep_local,
                                                            jlong multipart_threshold,
                                                            jlong retry_timeout_ms, jlongArray retention) {
    UNUSED(cls);
    char *s[SHIP_STRINGS];
    if (ship_strings(env, strings, s) != 0) {
        return 0;
    }
    char *d = c_string(env, dir, "dir");
    char *n = d != NULL ? c_string(env, name, "name") : NULL;
    binlog_ship_options *o = n != NULL ? ship_options(env, s, virtual_hosted, keep_local, multipart_threshold,
                                                      retry_timeout_ms, retention)
                                   : NULL;
    binlog_shipper *shipper = NULL;
    if (o != NULL) {
        check(env, binlog_shipper_open(d, n, o, &shipper));
    }
    binlog_ship_options_free(o);
    free(d);
    free(n);
    ship_strings_free(s);
    return (jlong)(intptr_t)shipper;
}

JNIEXPORT void JNICALL Java_io_libbinlog_Shipper_nativeShipOnce(JNIEnv *env, jclass cls, jlong h,
                                                               jlongArray out) {
    UNUSED(cls);
    binlog_ship_report r;
    binlog_result rc = binlog_shipper_ship_once((binlog_shipper *)(intptr_t)h, &r);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return;
    }
    jlong v[3] = {(jlong)r.uploaded, (jlong)r.already_uploaded, (jlong)r.removed_local};
    (*env)->SetLongArrayRegion(env, out, 0, 3, v);
}

JNIEXPORT void JNICALL Java_io_libbinlog_Shipper_nativePrune(JNIEnv *env, jclass cls, jbyteArray name,
                                                             jobjectArray strings, jboolean virtual_hosted,
                                                             jlongArray retention, jboolean dry_run,
                                                             jlongArray out) {
    UNUSED(cls);
    char *s[SHIP_STRINGS];
    if (ship_strings(env, strings, s) != 0) {
        return;
    }
    char *n = c_string(env, name, "name");
    binlog_ship_options *o = n != NULL ? ship_options(env, s, virtual_hosted, -1, 0, retention) : NULL;
    binlog_prune_report r;
    if (o != NULL && check(env, binlog_remote_prune(o, n, dry_run, &r)) == 0) {
        jlong through = r.pruned_through == UINT64_MAX ? -1 : (jlong)r.pruned_through;
        jlong v[4] = {(jlong)r.deleted, (jlong)r.finished, (jlong)r.kept, through};
        (*env)->SetLongArrayRegion(env, out, 0, 4, v);
    }
    binlog_ship_options_free(o);
    free(n);
    ship_strings_free(s);
}

JNIEXPORT void JNICALL Java_io_libbinlog_Shipper_nativeFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(env);
    UNUSED(cls);
    binlog_shipper_free((binlog_shipper *)(intptr_t)h); /* NULL accepted */
}

/* --------------------------------------------------------------------------
 * Verify (binlog_verify): the calls take turns (Verify.java's lock), as the
 * C handle asks; a finding's strings are copied before the lock is left.
 * ------------------------------------------------------------------------ */

/* Longs per finding in nativeNext's output (see Verify.java). */
#define FINDING_FIELDS 9

JNIEXPORT jlong JNICALL Java_io_libbinlog_Verify_nativeOpen(JNIEnv *env, jclass cls, jbyteArray path,
                                                           jbyteArray name) {
    UNUSED(cls);
    char *p = c_string(env, path, "path");
    if (p == NULL) {
        return 0;
    }
    char *n = NULL; /* NULL: the one log of the directory */
    if (name != NULL && (n = c_string(env, name, "log name")) == NULL) {
        free(p);
        return 0;
    }
    binlog_verify *v = NULL;
    check(env, binlog_verify_open(p, n, &v));
    free(p);
    free(n);
    return (jlong)(intptr_t)v;
}

/* The next finding into nums (FINDING_FIELDS longs: kind, has_offset,
 * offset, len, has_seq, from_seq, to_seq, repair, damage) and strs (the
 * location's and the message's bytes); false at the end. */
JNIEXPORT jboolean JNICALL Java_io_libbinlog_Verify_nativeNext(JNIEnv *env, jclass cls, jlong h, jlongArray nums,
                                                              jobjectArray strs) {
    UNUSED(cls);
    binlog_finding f;
    binlog_result rc = binlog_verify_next((binlog_verify *)(intptr_t)h, &f);
    if (rc == BINLOG_END) {
        return JNI_FALSE;
    }
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return JNI_FALSE;
    }
    jlong v[FINDING_FIELDS] = {(jlong)f.kind, f.has_offset, (jlong)f.offset, (jlong)f.len, f.has_seq,
                               (jlong)f.from_seq, (jlong)f.to_seq, (jlong)f.repair, f.damage};
    (*env)->SetLongArrayRegion(env, nums, 0, FINDING_FIELDS, v);
    if (pending(env)) {
        return JNI_FALSE;
    }
    const char *s[2] = {f.location, f.message};
    for (jsize i = 0; i < 2; i++) {
        jbyteArray b = new_bytes(env, (const uint8_t *)s[i], strlen(s[i]));
        if (b == NULL || set_out(env, strs, i, b) != 0) {
            return JNI_FALSE;
        }
    }
    return JNI_TRUE;
}

JNIEXPORT void JNICALL Java_io_libbinlog_Verify_nativeCounts(JNIEnv *env, jclass cls, jlong h, jlongArray out) {
    UNUSED(cls);
    uint64_t segments = 0, records = 0;
    binlog_result rc = binlog_verify_counts((binlog_verify *)(intptr_t)h, &segments, &records);
    if (rc != BINLOG_OK) {
        throw_result(env, rc);
        return;
    }
    jlong v[2] = {(jlong)segments, (jlong)records};
    (*env)->SetLongArrayRegion(env, out, 0, 2, v);
}

JNIEXPORT void JNICALL Java_io_libbinlog_Verify_nativeFree(JNIEnv *env, jclass cls, jlong h) {
    UNUSED(env);
    UNUSED(cls);
    binlog_verify_free((binlog_verify *)(intptr_t)h); /* NULL accepted */
}

/* The library's name of a finding kind (kind true) or repair action, or
 * null for a number that is none (binlog_finding_kind_name,
 * binlog_repair_action_name). */
JNIEXPORT jstring JNICALL Java_io_libbinlog_Verify_nativeName(JNIEnv *env, jclass cls, jboolean kind, jint code) {
    UNUSED(cls);
    const char *name = kind ? binlog_finding_kind_name((uint32_t)code) : binlog_repair_action_name((uint32_t)code);
    return name == NULL ? NULL : (*env)->NewStringUTF(env, name); /* ASCII */
}
