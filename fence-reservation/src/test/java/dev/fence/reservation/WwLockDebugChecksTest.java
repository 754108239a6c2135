package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.CallbackDeferral;
import dev.fence.core.Fence;
import dev.fence.core.SignallingSection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debug checks ({@code -Ddev.fence.debug=true}; this module's pom runs the {@code debug} group in
 * its own JVM with that property) on {@link WwMutex} locks: a lock that may block, taken inside a
 * {@link SignallingSection}, a fence callback or a {@link CallbackDeferral}, is reported whether
 * or not the mutex is free, as the kernel's lockdep reports a {@code dma_resv} lock in a
 * signalling section. Non-blocking {@code tryLock} stays allowed.
 */
@Tag("debug")
@SuppressWarnings("try") // sections are opened for their effect, not referenced
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WwLockDebugChecksTest {

    @BeforeAll
    static void debugModeIsOn() {
        assertTrue(Boolean.getBoolean("dev.fence.debug"),
                "this group must run with -Ddev.fence.debug=true");
    }

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** Runs {@code body} inside a callback of a fresh fence and returns what it threw. */
    private static Throwable insideCallback(ThrowingBody body) {
        Fence trigger = fresh();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        trigger.onSignal(x -> {
            try {
                body.run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        trigger.signal();
        trigger.release();
        return thrown.get();
    }

    private interface ThrowingBody {
        void run() throws Exception;
    }

    private static void assertRefused(Throwable t, String where) {
        assertNotNull(t, "the lock was allowed");
        assertInstanceOf(IllegalStateException.class, t);
        assertTrue(t.getMessage().contains("WwMutex[") && t.getMessage().contains(where),
                t.getMessage());
    }

    @Test
    void contextLockOfAFreeMutexInsideASectionThrows() throws Exception {
        WwClass cls = WwClass.waitDie("debug");
        WwMutex m = new WwMutex(cls, "m");
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            try (SignallingSection s = SignallingSection.begin()) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> m.lock(ctx));
                assertRefused(e, "SignallingSection");
                assertThrows(IllegalStateException.class, () -> m.lockInterruptible(ctx));
                assertThrows(IllegalStateException.class, () -> m.lockSlow(ctx));
                assertThrows(IllegalStateException.class, () -> m.lockSlowInterruptible(ctx));
                assertThrows(IllegalStateException.class, m::lock);
                assertThrows(IllegalStateException.class, m::lockInterruptible);
                assertFalse(m.isLocked(), "a refused lock takes nothing");
                assertTrue(m.tryLock(ctx), "tryLock never blocks and stays allowed");
                m.unlock();
                assertTrue(m.tryLock(), "so does the context-free tryLock");
                m.unlock();
            }
            assertTrue(m.lock(ctx), "after the section the context locks as usual");
            m.unlock();
        }
    }

    /**
     * A context's lock of a mutex it already holds returns {@code false} at once and cannot
     * block, so it is not reported (the kernel returns {@code -EALREADY} before lockdep records
     * an acquisition).
     */
    @Test
    void relockByTheHoldingContextInsideASectionIsNotReported() throws Exception {
        WwClass cls = WwClass.waitDie("debug");
        WwMutex m = new WwMutex(cls, "m");
        try (WwAcquireContext ctx = new WwAcquireContext(cls)) {
            assertTrue(m.lock(ctx));
            try (SignallingSection s = SignallingSection.begin()) {
                assertFalse(m.lock(ctx), "already held: -EALREADY, no report");
                assertFalse(m.lockInterruptible(ctx));
            }
            m.unlock();
        }
    }

    @Test
    void plainLockInsideACallbackThrows() {
        WwMutex m = new WwMutex(WwClass.woundWait("debug"), "m");
        assertRefused(insideCallback(m::lock), "callback");
        assertFalse(m.isLocked());
        m.lock(); // outside: fine
        m.unlock();
    }

    @Test
    void reservationLockInsideADeferralThrows() {
        Reservation resv = new Reservation();
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertRefused(assertThrows(IllegalStateException.class, resv::lock), "Deferral");
        }
        assertFalse(resv.isLocked());
        resv.lock();
        resv.unlock();
    }

    @Test
    void execContextLockAllInsideACallbackThrowsAndLeavesNothingLocked() {
        Reservation a = new Reservation();
        Reservation b = new Reservation();
        Throwable t = insideCallback(() -> {
            try (ExecContext exec = ExecContext.create()) {
                exec.lockAll(x -> {
                    x.lock(a);
                    x.lock(b);
                });
            }
        });
        assertRefused(t, "callback");
        assertFalse(a.isLocked());
        assertFalse(b.isLocked());
    }

    @Test
    void sharedBufferAccessAndImportInsideASectionThrow() throws Exception {
        SharedBuffer buf = SharedBuffer.allocate(16);
        Fence job = fresh();
        try (SignallingSection s = SignallingSection.begin()) {
            assertRefused(assertThrows(IllegalStateException.class,
                    () -> buf.beginCpuAccess(SharedBuffer.Direction.READ)), "SignallingSection");
            assertRefused(assertThrows(IllegalStateException.class,
                    () -> buf.importFence(job, SharedBuffer.Direction.WRITE)),
                    "SignallingSection");
        }
        assertEquals(0, buf.reservation().fences(Usage.BOOKKEEP).size(),
                "the refused import added nothing");
        buf.beginCpuAccess(SharedBuffer.Direction.READ); // outside: fine
        buf.endCpuAccess(SharedBuffer.Direction.READ);
        job.signal();
        job.release();
    }
}
