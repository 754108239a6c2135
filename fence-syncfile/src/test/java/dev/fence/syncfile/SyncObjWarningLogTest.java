package dev.fence.syncfile;

import static dev.fence.syncfile.SyncObj.WAIT_AVAILABLE;
import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.fence.core.Fence;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The warnings {@link SyncObj} logs while it hands fences to point waiters: a logger that
 * throws must not lose the other waiters dequeued in the same install, nor the install itself.
 * The tests redirect {@code System.err}, which the test binding (slf4j-simple) writes to.
 */
class SyncObjWarningLogTest {

    /** An appender that is down: every write throws. */
    private static PrintStream brokenStream() {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                throw new IllegalStateException("appender down");
            }

            @Override
            public void write(byte[] b, int off, int len) {
                throw new IllegalStateException("appender down");
            }
        }, true, StandardCharsets.UTF_8);
    }

    private static void withBrokenErr(Runnable body) {
        PrintStream saved = System.err;
        System.setErr(brokenStream());
        try {
            body.run();
        } finally {
            System.setErr(saved);
        }
    }

    /**
     * Two notifications on the same point, the first throwing. Its warning used to escape from
     * {@code replaceFence} with the logger's exception: the second notification, already
     * dequeued, was never run, and the caller saw "appender down" from an install that had
     * happened.
     */
    @Test
    void throwingNotificationDoesNotLoseTheNextOneWhenTheLoggerThrows() {
        SyncObj obj = SyncObj.create();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        obj.onPoint(0, WAIT_AVAILABLE, () -> {
            first.incrementAndGet();
            throw new IllegalStateException("notification failed");
        });
        obj.onPoint(0, WAIT_AVAILABLE, second::incrementAndGet);
        Fence f = fresh();
        withBrokenErr(() -> obj.replaceFence(f));
        assertEquals(1, first.get(), "the first notification ran");
        assertEquals(1, second.get(), "the second notification ran");
        Fence held = obj.fence();
        assertSame(f, held, "the object holds the fence");
        held.release();
        obj.reset();
        assertEquals(1, f.refCnt(), "only the birth reference is left");
        f.release();
    }

    /**
     * The reference a waiter's delivery takes overflows, which is logged. With the logger
     * throwing, the dequeued waiter used to be lost and {@code replaceFence} threw.
     */
    @Test
    void overflowedDeliveryReferenceStillDeliversWhenTheLoggerThrows() {
        SyncObj obj = SyncObj.create();
        AtomicInteger told = new AtomicInteger();
        obj.onPoint(0, WAIT_AVAILABLE, told::incrementAndGet);
        Fence f = fresh();
        int taken = TestSupport.retainUntilFull(f);
        f.release(); // one short of full: replaceFence's reference fits, the waiter's does not
        taken--;
        withBrokenErr(() -> obj.replaceFence(f));
        assertEquals(1, told.get(), "the waiter was told");
        obj.reset(); // gives back the object's reference
        for (int i = 0; i < taken; i++) {
            f.release();
        }
        assertEquals(1, f.refCnt(), "every reference given back but the birth one");
        f.release();
    }
}
