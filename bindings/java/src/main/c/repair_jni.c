/* ---- RepairPlan (binlog_repair_plan): a plan is read-only once made; its strings stay the plan's until it is
 * freed, and are copied into Java as each segment and step is read. Compiled as a part of binlog_jni.c (its
 * last line includes this file), whose helpers it uses. */

#include "io_libbinlog_RepairPlan.h"

JNI(jlong, RepairPlan, nativeOpen, jbyteArray path, jbyteArray name, jboolean salvage, jbyteArray backupDir) {
    char *s[3]; /* no name: the one log of the directory; no backup dir: beside each file */
    if (c_strings(env, s, 3, (jbyteArray[]){path, name, backupDir},
                  (const char *[]){"path", "log name", "backup dir"}, 1) != 0) {
        return 0;
    }
    binlog_repair_plan *p = NULL;
    check(env, binlog_repair_plan_open(s[0], s[1], salvage, s[2], &p));
    free_all(s, 3);
    return (jlong)(intptr_t)p;
}

JNI(jint, RepairPlan, nativeSegments, jlong h) {
    size_t n = 0;
    check(env, binlog_repair_plan_segments((binlog_repair_plan *)(intptr_t)h, &n));
    return (jint)n;
}

/* Segment i: {action, damaged, steps} into nums, {path, why} returned as bytes. */
JNI(jobjectArray, RepairPlan, nativeSegment, jlong h, jint i, jlongArray nums) {
    binlog_repair_segment s;
    if (check(env, binlog_repair_plan_segment((binlog_repair_plan *)(intptr_t)h, (size_t)i, &s)) != 0) {
        return NULL;
    }
    jlong v[3] = {(jlong)s.action, s.damaged, (jlong)s.steps};
    binlog_iovec str[2] = {{(const uint8_t *)s.path, strlen(s.path)}, {(const uint8_t *)s.why, strlen(s.why)}};
    return set_longs(env, nums, v, 3) != 0 ? NULL : byte_arrays(env, str, 2, "binlog_repair_plan_segment");
}

/* Step j of segment i: its kind into nums[0], {message} returned as bytes. */
JNI(jobjectArray, RepairPlan, nativeStep, jlong h, jint i, jint j, jlongArray nums) {
    binlog_repair_step st;
    if (check(env, binlog_repair_plan_step((binlog_repair_plan *)(intptr_t)h, (size_t)i, (size_t)j, &st)) != 0) {
        return NULL;
    }
    jlong v[1] = {(jlong)st.kind};
    binlog_iovec str[1] = {{(const uint8_t *)st.message, strlen(st.message)}};
    return set_longs(env, nums, v, 1) != 0 ? NULL : byte_arrays(env, str, 1, "binlog_repair_plan_step");
}

/* Applies the plan: {segments, changed, left_damaged, errors} into out. */
JNI(void, RepairPlan, nativeApply, jlong h, jlongArray out) {
    binlog_repair_summary s;
    if (check(env, binlog_repair_apply((binlog_repair_plan *)(intptr_t)h, &s)) == 0) {
        jlong v[4] = {(jlong)s.segments, (jlong)s.changed, (jlong)s.left_damaged, (jlong)s.errors};
        set_longs(env, out, v, 4);
    }
}

FREE_FN(RepairPlan, nativeFree, binlog_repair_plan_free, binlog_repair_plan)

JNI(void, RepairPlan, nativeAcceptGap, jbyteArray dir, jbyteArray name, jlong from, jlong to, jbyteArray reason) {
    char *s[3];
    if (c_strings(env, s, 3, (jbyteArray[]){dir, name, reason}, (const char *[]){"dir", "log name", "reason"}, 3) !=
        0) {
        return;
    }
    check(env, binlog_repair_accept_gap(s[0], s[1], (uint64_t)from, (uint64_t)to, s[2]));
    free_all(s, 3);
}
