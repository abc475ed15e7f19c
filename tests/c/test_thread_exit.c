#define _XOPEN_SOURCE 700 /* pthread keys */
/* Calls from a thread that is exiting: a pthread key's destructor runs
 * after the library's thread-local last-error message is gone. A failing
 * call there still returns its code (the message is lost, not the
 * process), and binlog_last_error() returns a string, not a crash. This
 * aborted the process before. */
#include <binlog.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

static pthread_key_t key;
static binlog_result from_destructor = BINLOG_OK;
static int message_is_a_string;
static int destructor_ran;

static void at_thread_exit(void *arg) {
    (void)arg;
    from_destructor = binlog_writer_flush(NULL);
    const char *msg = binlog_last_error();
    message_is_a_string = msg != NULL && strlen(msg) < 4096;
    destructor_ran = 1;
}

static void *thread_main(void *arg) {
    pthread_setspecific(key, arg);
    /* A failure while the thread is alive sets its message as usual. */
    CHECK_RC(binlog_writer_flush(NULL), BINLOG_ERR_NULL_POINTER);
    CHECK_CONTAINS(binlog_last_error(), "NULL");
    return NULL;
}

int main(void) {
    pthread_t t;
    REQUIRE(pthread_key_create(&key, at_thread_exit) == 0);
    REQUIRE(pthread_create(&t, NULL, thread_main, &key) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK(destructor_ran);
    CHECK_EQ_U(from_destructor, BINLOG_ERR_NULL_POINTER);
    CHECK(message_is_a_string);
    pthread_key_delete(key);
    return (int)check_summary();
}
