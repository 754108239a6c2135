package dev.fence.syncfile;

import static dev.fence.syncfile.TestSupport.fresh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.SignallingSection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Debug checks ({@code -Ddev.fence.debug=true}; this module's pom runs the {@code debug} group in
 * its own JVM with that property) on {@link SyncObj#await} and {@link SyncPoller#select}: like
 * a fence's own waits, and like the kernel's lockdep assertion on WAIT_FOR_SUBMIT, a wait that
 * would block inside a {@link SignallingSection} or a fence callback is reported instead of
 * parking.
 */
@Tag("debug")
@SuppressWarnings("try") // sections are opened for their effect, not referenced
class SyncObjDebugChecksTest {

    @BeforeAll
    static void debugModeIsOn() {
        assertTrue(Boolean.getBoolean("dev.fence.debug"),
                "this group must run with -Ddev.fence.debug=true");
    }

    private static int await(SyncObj obj, long point, int flags, long millis)
            throws InterruptedException {
        return SyncObj.await(new SyncObj[] {obj}, new long[] {point}, flags, millis,
                TimeUnit.MILLISECONDS);
    }

    @Test
    void awaitOnAPendingPointInsideASectionThrows() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence f = fresh();
        obj.addPoint(1, f);
        try (SignallingSection s = SignallingSection.begin()) {
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> await(obj, 1, 0, 20_000));
            assertTrue(e.getMessage().contains("SignallingSection"), e.getMessage());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10),
                    "reported at once, not after the 20 s timeout");
        }
        f.signal();
        assertEquals(1, obj.query());
    }

    @Test
    void awaitForSubmitInsideACallbackThrows() throws Exception {
        SyncObj obj = SyncObj.create();
        Fence trigger = fresh();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        trigger.onSignal(x -> {
            try {
                await(obj, 1, SyncObj.WAIT_FOR_SUBMIT, 2_000);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        trigger.signal();
        assertNotNull(thrown.get(), "the wait for submission inside a callback was allowed");
        assertTrue(thrown.get() instanceof IllegalStateException, thrown.get().toString());
        assertEquals(0, obj.waiterCount(), "a rejected wait leaves no submit waiter queued");
    }

    @Test
    void readyOrZeroTimeoutWaitsInsideASectionAreFine() throws Exception {
        SyncObj obj = SyncObj.create();
        obj.signal(1);
        SyncObj empty = SyncObj.create();
        try (SignallingSection s = SignallingSection.begin()) {
            assertEquals(0, await(obj, 1, 0, 2_000));
            assertEquals(0, await(obj, 1, SyncObj.WAIT_FOR_SUBMIT, 2_000));
            assertEquals(-1, await(empty, 1, SyncObj.WAIT_FOR_SUBMIT, 0),
                    "a zero timeout only checks");
        }
    }

    @Test
    void pollerSelectOnPendingFilesInsideASectionThrowsButReadyOrZeroTimeoutIsFine()
            throws Exception {
        Fence f = fresh();
        try (SyncFile file = SyncFile.create(f); SyncPoller poller = SyncPoller.open()) {
            poller.register(file, "a");
            try (SignallingSection s = SignallingSection.begin()) {
                long start = System.nanoTime();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> poller.select(20_000, TimeUnit.MILLISECONDS));
                assertTrue(e.getMessage().contains("SignallingSection"), e.getMessage());
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10),
                        "reported at once, not after the 20 s timeout");
                assertEquals(0, poller.select(0, TimeUnit.MILLISECONDS),
                        "a zero timeout only checks");
            }
            f.signal();
            try (SignallingSection s = SignallingSection.begin()) {
                assertEquals(1, poller.select(2_000, TimeUnit.MILLISECONDS), "ready: no wait");
            }
        }
    }

    @Test
    void pollerSelectInsideACallbackThrowsAndTheSelectorIsReleased() throws Exception {
        Fence pending = fresh();
        Fence trigger = fresh();
        try (SyncFile file = SyncFile.create(pending); SyncPoller poller = SyncPoller.open()) {
            poller.register(file, "a");
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            trigger.onSignal(x -> {
                try {
                    poller.select(2_000, TimeUnit.MILLISECONDS);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            trigger.signal();
            assertTrue(thrown.get() instanceof IllegalStateException,
                    String.valueOf(thrown.get()));
            pending.signal();
            assertEquals(1, poller.select(2_000, TimeUnit.MILLISECONDS),
                    "the rejected select gave the poller back");
        }
    }
}
