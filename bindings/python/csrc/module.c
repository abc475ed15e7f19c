/* The module binlog._fast (fast.h says why it exists). */
#include "fast.h"

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "binlog._fast",
    "The binding's per-record paths in C (append, a read batch's records).",
    -1, NULL, NULL, NULL, NULL, NULL,
};

/* Adds `type` (a new reference, or NULL) to `m` as `name`. */
static int add_type(PyObject *m, const char *name, PyObject *type) {
    if (type == NULL || PyModule_AddObject(m, name, type) < 0) {
        Py_XDECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__fast(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL || add_type(m, "Batch", binlog_fast_batch_type()) < 0 ||
        add_type(m, "Record", binlog_fast_record_type()) < 0 ||
        add_type(m, "_WriterCore", binlog_fast_writer_core_type()) < 0) {
        Py_XDECREF(m);
        return NULL;
    }
    return m;
}
