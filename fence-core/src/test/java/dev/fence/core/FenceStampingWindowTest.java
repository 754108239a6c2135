package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.TestSupport.CountingCallback;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The stamping window of {@link Fence#signal()}: the winner stores SIGNALED with SIGNALING still
 * set, reads the clock, writes the timestamp and clears SIGNALING with a second store (Fence's
 * overview). A real signaller stays in that window for a clock read only, far too short for a
 * test to hold it there, so these tests play the winner: they claim a fresh fence and store the
 * window's state word themselves (a private lookup of {@code state} and {@code timestamp}, the
 * stores signal0 makes), hold it as long as they need, and end it as signal0 does. Against a
 * held window, deterministically: the queries, the waits and addCallback() go on (they must not
 * wait for the clock read); timestamp(), a losing signal and the reference-count updates wait
 * for the second store and nobody else writes the state meanwhile; after it, each returns what
 * the contract says. jcstress (FenceTests.ClockReadAfterSignaledIsAwaited,
 * ReleaseDuringClockRead, RetainDuringClockRead) races the real window.
 */
class FenceStampingWindowTest {

    /** Fence's private state word (FenceSignalStackOverflowTest reads it too). */
    static final VarHandle STATE;
    private static final VarHandle TIMESTAMP;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(Fence.class,
                    MethodHandles.lookup());
            STATE = l.findVarHandle(Fence.class, "state", int.class);
            TIMESTAMP = l.findVarHandle(Fence.class, "timestamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A timestamp no clock read of this run returns by chance. */
    private static final long STAMP = 0x5eed_0000_0000_0029L;

    /** How long a call that must wait is given to (wrongly) return before the window ends. */
    private static final long HOLD_MILLIS = 200;

    /**
     * Claims {@code f} (the signal CAS) and publishes SIGNALED with SIGNALING still set, as
     * signal() does before its clock read.
     *
     * @return the word the window ends with (SIGNALED set, SIGNALING clear)
     */
    private static int openWindow(Fence f) {
        int s = (int) STATE.getVolatile(f);
        assertEquals(0, s & (Fence.SIGNALED | Fence.SIGNALING | Fence.LOCKED), "not pending");
        assertTrue(STATE.compareAndSet(f, s, s | Fence.SIGNALING), "the claim");
        STATE.setRelease(f, s | Fence.SIGNALED | Fence.SIGNALING);
        return s | Fence.SIGNALED;
    }

    /** Writes the timestamp and clears SIGNALING, as signal() does after its clock read. */
    private static void closeWindow(Fence f, int signaled) {
        TIMESTAMP.set(f, STAMP);
        STATE.setRelease(f, signaled);
    }

    @Test
    void queriesWaitsAndAddCallbackGoOnWhileTheStampIsWritten() throws Exception {
        Fence f = mockFence();
        RuntimeException err = new IllegalStateException("test: the winner's error");
        f.setError(err); // the error a signal(err) winner writes before its first store
        int signaled = openWindow(f);
        int held = signaled | Fence.SIGNALING;
        CountingCallback cb = new CountingCallback();
        // In another thread, so that a call that wrongly waits for the stamp is abandoned
        // (the window is still held then) and the test fails instead of hanging.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertTrue(f.isSignaled(), "isSignaled()");
            assertSame(FenceStatus.ERROR, f.status(), "status()");
            assertSame(err, f.error(), "error()");
            assertTrue(f.describe().endsWith("signalled with error " + err), f.describe());
            assertFalse(f.addCallback(cb), "addCallback() on a signalled fence");
            assertFalse(f.removeCallback(cb), "removeCallback()");
            assertFalse(f.hasCallbacks(), "hasCallbacks()");
            f.enableSignaling();
            assertThrows(IllegalStateException.class, () -> f.setError(err), "setError()");
            f.await();
            f.awaitUninterruptibly();
            assertTrue(f.await(1, TimeUnit.SECONDS), "await(timeout)");
            assertTrue(f.awaitNanos(0L) > 0L, "awaitNanos(0)");
            assertTrue(f.signalWon() && f.signaledBit());
            assertEquals(1, f.refCnt(), "refCnt()");
        }, "a query, wait or addCallback() waited for the timestamp");
        assertEquals(held, (int) STATE.getVolatile(f), "a call wrote the state in the window");
        assertEquals(0, cb.runs(), "a refused callback ran");
        closeWindow(f, signaled);
        assertEquals(STAMP, f.timestamp());
    }

    @Test
    void timestampALosingSignalAndReferenceUpdatesWaitForTheStamp() throws Exception {
        Fence f = mockFence();
        f.retain(); // 2: the releaser's release is not the last
        int signaled = openWindow(f);
        int held = signaled | Fence.SIGNALING;
        List<String> names = new ArrayList<>();
        List<Supplier<Object>> calls = new ArrayList<>();
        names.add("timestamp()");
        calls.add(f::timestamp);
        // A losing signal returns by itself (no timestamp() after it, which would wait anyway).
        names.add("signal()");
        calls.add(f::signal);
        names.add("signal(ts)");
        calls.add(() -> f.signal(1L));
        names.add("signal(err)");
        calls.add(() -> f.signal(new IllegalStateException("late")));
        names.add("retain()");
        calls.add(() -> f.retain() == f);
        names.add("tryRetain()");
        calls.add(f::tryRetain);
        names.add("release()");
        calls.add(f::release);
        int n = calls.size();
        AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            Supplier<Object> call = calls.get(i);
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    results.set(k, call.get());
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    results.set(k, e);
                }
            }, "window-" + names.get(i));
            threads[i].start();
        }
        // The window is held: none of them may return, nor change the state (the second store
        // would overwrite that change). A call that does not wait returns within microseconds
        // of its start; give each time to start and run.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOLD_MILLIS);
        List<String> early = new ArrayList<>();
        while (early.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
            for (int i = 0; i < n; i++) {
                if (results.get(i) != null) {
                    early.add(names.get(i) + " -> " + results.get(i));
                }
            }
        }
        int seen = (int) STATE.getVolatile(f);
        closeWindow(f, signaled);
        for (Thread t : threads) {
            TestSupport.join(t);
        }
        assertTrue(early.isEmpty(), "returned before the timestamp was written: " + early);
        assertEquals(held, seen, "the state was written by another thread in the window");
        assertNull(failure.get(), () -> "a call threw: " + failure.get());
        assertEquals(STAMP, results.get(0), "timestamp() returned the stamp");
        for (int i = 1; i < 4; i++) {
            assertEquals(Boolean.FALSE, results.get(i), names.get(i) + " lost");
        }
        assertEquals(STAMP, f.timestamp(), "the losers wrote no timestamp");
        assertNull(f.error(), "nor an error");
        assertEquals(Boolean.TRUE, results.get(4), "retain()");
        assertEquals(Boolean.TRUE, results.get(5), "tryRetain()");
        assertEquals(Boolean.FALSE, results.get(6), "release() of one of 2 references");
        assertEquals(3, f.refCnt(), "2 + retain + tryRetain - release: no update lost");
        assertEquals(signaled + Fence.REF_ONE, (int) STATE.getVolatile(f), "the final word");
    }
}
