package io.libbinlog;

import java.io.IOException;

/** Receives records from {@link BinlogReader#visitNext} / {@link BinlogReader#visitAll} without a payload copy. */
@FunctionalInterface
public interface RecordVisitor {
    /**
     * Called on the reading thread; {@code view} and its payload are valid only until this returns.
     * An exception it throws ends the visit and reaches the caller of visitNext or visitAll.
     */
    void visit(RecordView view) throws IOException;
}
