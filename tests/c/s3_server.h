/*
 * s3_server.h: where the S3-compatible server of a C test is.
 *
 * env(name)  the variable `name` that tests/with_s3_server.sh sets
 *            (BINLOG_TEST_S3_ENDPOINT, _BUCKET, _REGION, _ACCESS_KEY,
 *            _SECRET_KEY, _ROOT); the test stops (status 2) without it.
 *
 * server_options(prefix, keep)
 *            ship options for that server (path-style requests), to
 *            `prefix` in its bucket, keeping `keep` local segments.
 *
 * Include it after binlog.h and check.h, in one .c file per program.
 */
#ifndef BINLOG_TEST_S3_SERVER_H
#define BINLOG_TEST_S3_SERVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "binlog.h"
#include "check.h"

static inline const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "%s is not set: run this test under tests/with_s3_server.sh (make test-c)\n",
                name);
        exit(2);
    }
    return v;
}

static inline binlog_ship_options *server_options(const char *prefix, uint64_t keep) {
    binlog_ship_options *o = NULL;
    REQUIRE_OK(binlog_ship_options_new(&o));
    REQUIRE_OK(binlog_ship_options_set_bucket(o, env("BINLOG_TEST_S3_BUCKET"), prefix));
    REQUIRE_OK(binlog_ship_options_set_endpoint(o, env("BINLOG_TEST_S3_ENDPOINT")));
    REQUIRE_OK(binlog_ship_options_set_region(o, env("BINLOG_TEST_S3_REGION")));
    REQUIRE_OK(binlog_ship_options_set_credentials(o, env("BINLOG_TEST_S3_ACCESS_KEY"),
                                                   env("BINLOG_TEST_S3_SECRET_KEY")));
    REQUIRE_OK(binlog_ship_options_set_path_style(o, true));
    REQUIRE_OK(binlog_ship_options_set_keep_local(o, keep));
    return o;
}

#endif
