package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SyncFile#toString()} and {@link SyncObj#toString()} describe their fence through the
 * library's safe description: a driver's {@code describe()} override that throws is shown as its
 * class and the failure. Before, the override's exception escaped {@code toString()}, which
 * loggers and debuggers call.
 */
@Timeout(10)
class SyncDescribeThrowingTest {

    /** A driver fence whose describe() override throws. */
    static final class BadDescribe extends Fence {
        BadDescribe() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        public String describe() {
            throw new IllegalStateException("expected test failure: describe() throws");
        }
    }

    @Test
    void syncFileToStringShowsAThrowingOverrideAsItsClass() {
        BadDescribe bad = new BadDescribe();
        SyncFile file = SyncFile.create(bad);
        try {
            String s = file.toString();
            assertTrue(s.startsWith("SyncFile["), s);
            assertTrue(s.contains(BadDescribe.class.getName() + " (describe() threw"), s);
        } finally {
            bad.signal();
            file.close();
        }
    }

    @Test
    void syncObjToStringShowsAThrowingOverrideAsItsClass() {
        BadDescribe bad = new BadDescribe();
        SyncObj obj = SyncObj.create();
        try {
            obj.replaceFence(bad);
            String s = obj.toString();
            assertTrue(s.startsWith("SyncObj["), s);
            assertTrue(s.contains(BadDescribe.class.getName() + " (describe() threw"), s);
        } finally {
            bad.signal();
            obj.reset();
        }
    }
}
