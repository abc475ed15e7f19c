package io.libbinlog;

/** Receives records from {@link Reader#visitNext} / {@link Reader#visitAll} without a payload copy. */
@FunctionalInterface
public interface RecordVisitor {
    /** Called on the reading thread; {@code view} and its payload are valid only until this returns. */
    void visit(RecordView view);
}
