package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The registered (epoll-like) form of {@link SyncPoller}. */
class SyncPollerSelectTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    private static List<Object> attachments(SyncPoller p) {
        List<Object> out = new ArrayList<>();
        for (SyncPoller.Key k : p.readyKeys()) {
            out.add(k.attachment());
        }
        return out;
    }

    @Test
    void readyKeysInSignalOrderAndLevelTriggered() throws Exception {
        Fence a = fresh();
        Fence b = fresh();
        Fence c = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a);
                SyncFile fb = SyncFile.create(b); SyncFile fc = SyncFile.create(c)) {
            p.register(fa, "a");
            SyncPoller.Key kb = p.register(fb, "b");
            p.register(fc, "c");
            assertEquals(0, p.selectNow());
            assertEquals(0, p.select(10, TimeUnit.MILLISECONDS));
            c.signal();
            b.signal(new IllegalStateException("boom"));
            assertEquals(2, p.select(1, TimeUnit.SECONDS));
            assertEquals(List.of("c", "b"), attachments(p));
            assertEquals(FenceStatus.ERROR, kb.status());
            // level-triggered: still ready, nothing new
            assertEquals(2, p.selectNow());
            assertEquals(List.of("c", "b"), attachments(p));
            kb.cancel();
            assertFalse(kb.isValid());
            assertEquals(1, p.selectNow());
            assertEquals(List.of("c"), attachments(p));
            a.signal();
            assertEquals(2, p.selectNow());
            assertEquals(List.of("c", "a"), attachments(p));
        }
    }

    @Test
    void alreadySignalledFileIsReadyAtOnce() throws Exception {
        Fence a = fresh();
        a.signal();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a)) {
            SyncPoller.Key k = p.register(fa, 7);
            assertEquals(1, p.select(0, TimeUnit.SECONDS));
            assertSame(k, p.readyKeys().get(0));
            assertSame(fa, k.file());
        }
    }

    @Test
    void keyHoldsItsOwnReferenceAndCancelDropsIt() throws Exception {
        Fence a = fresh();
        SyncFile fa = SyncFile.create(a); // the file takes its own reference
        a.release(); // the creator's: the file is now the only holder
        assertEquals(1, a.refCnt());
        SyncPoller p = SyncPoller.open();
        SyncPoller.Key k = p.register(fa, null);
        assertEquals(2, a.refCnt());
        fa.close();
        assertEquals(1, a.refCnt());
        a.signal(); // still delivered: the key's reference keeps the fence alive
        assertEquals(1, p.select(1, TimeUnit.SECONDS));
        assertEquals(FenceStatus.SIGNALED, k.status());
        k.cancel();
        k.cancel(); // idempotent
        assertEquals(0, a.refCnt());
        assertThrows(IllegalStateException.class, k::status);
        assertEquals(0, p.selectNow());
        p.close();
    }

    @Test
    void cancelBeforeSignalRemovesTheNode() throws Exception {
        Fence a = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a)) {
            SyncPoller.Key k = p.register(fa, null);
            k.cancel();
            a.signal();
            assertEquals(0, p.selectNow());
            assertEquals(2, a.refCnt()); // the creator's and the file's
        }
    }

    @Test
    void selectWakesOnSignalFromAnotherThread() throws Exception {
        Fence a = fresh();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a)) {
            p.register(fa, "a");
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Thread> selector = new AtomicReference<>();
            Future<Integer> r = ex.submit(() -> {
                selector.set(Thread.currentThread());
                entered.countDown();
                return p.select(30, TimeUnit.SECONDS);
            });
            entered.await();
            TestSupport.awaitParked(selector.get()); // the signal wakes a parked select
            a.signal();
            assertEquals(1, r.get(10, TimeUnit.SECONDS));
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void timeoutIsHonoured() throws Exception {
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(fresh())) {
            p.register(fa, null);
            long t0 = System.nanoTime();
            assertEquals(0, p.select(40, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40));
        }
    }

    @Test
    void keysCancelledBeforeCollectionDoNotEndTheWait() throws Exception {
        Fence a = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a);
                SyncFile fb = SyncFile.create(fresh())) {
            SyncPoller.Key ka = p.register(fa, null);
            p.register(fb, null);
            a.signal(); // pushes ka
            ka.cancel(); // before any select collected it
            long t0 = System.nanoTime();
            assertEquals(0, p.select(40, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(40));
        }
    }

    @Test
    void emptyPollerSelectTimesOut() throws Exception {
        try (SyncPoller p = SyncPoller.open()) {
            assertEquals(0, p.select(5, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void wakeupReturnsTheSelectInProgressOrTheNextOne() throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(fresh())) {
            p.register(fa, null);
            p.wakeup(); // before: the next select returns at once
            long t0 = System.nanoTime();
            assertEquals(0, p.select(30, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
            // consumed: the one after waits its timeout
            assertEquals(0, p.select(5, TimeUnit.MILLISECONDS));
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Thread> selector = new AtomicReference<>();
            Future<Integer> r = ex.submit(() -> {
                selector.set(Thread.currentThread());
                entered.countDown();
                return p.select(30, TimeUnit.SECONDS);
            });
            entered.await();
            TestSupport.awaitParked(selector.get()); // the wakeup reaches a parked select
            p.wakeup();
            assertEquals(0, r.get(10, TimeUnit.SECONDS));
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void interruptWhileWaitingThrowsAndLeavesNoClaim() throws Exception {
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(fresh())) {
            p.register(fa, null);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> p.select(30, TimeUnit.SECONDS));
            assertFalse(Thread.interrupted());
            assertEquals(0, p.selectNow()); // the selector claim was released
        }
    }

    @Test
    void readyResultWinsOverInterruptAndKeepsTheStatus() throws Exception {
        Fence a = fresh();
        a.signal();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a)) {
            p.register(fa, null);
            Thread.currentThread().interrupt();
            assertEquals(1, p.select(30, TimeUnit.SECONDS));
            assertTrue(Thread.interrupted());
        }
    }

    @Test
    void concurrentSelectIsAnErrorNotAHang() throws Exception {
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(fresh())) {
            p.register(fa, null);
            AtomicReference<Object> result = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    result.set(p.select(30, TimeUnit.SECONDS));
                } catch (InterruptedException | RuntimeException e) {
                    result.set(e);
                }
            });
            t.start();
            // wait until the other thread is parked inside select (it holds the claim)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (LockSupport.getBlocker(t) != p && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertSame(p, LockSupport.getBlocker(t));
            IllegalStateException e = assertThrows(IllegalStateException.class, p::selectNow);
            assertTrue(e.getMessage().contains("another thread"), e.getMessage());
            p.wakeup();
            t.join(10_000);
            assertEquals(0, result.get());
        }
    }

    @Test
    void closeCancelsEveryKeyAndReleasesASelectInProgress() throws Exception {
        Fence a = fresh();
        Fence b = fresh();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        SyncFile fa = SyncFile.create(a);
        SyncFile fb = SyncFile.create(b);
        try {
            SyncPoller p = SyncPoller.open();
            SyncPoller.Key ka = p.register(fa, null);
            SyncPoller.Key kb = p.register(fb, null);
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Thread> selector = new AtomicReference<>();
            Future<Integer> r = ex.submit(() -> {
                selector.set(Thread.currentThread());
                entered.countDown();
                return p.select(30, TimeUnit.SECONDS);
            });
            entered.await();
            TestSupport.awaitParked(selector.get()); // close() wakes a parked select
            p.close();
            r.get(10, TimeUnit.SECONDS); // returned, whatever the count
            assertFalse(p.isOpen());
            assertFalse(ka.isValid());
            assertFalse(kb.isValid());
            assertEquals(2, a.refCnt()); // the creator's and the file's: the keys' are gone
            assertEquals(2, b.refCnt());
            assertThrows(IllegalStateException.class, p::selectNow);
            assertThrows(IllegalStateException.class, () -> p.select(1, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, () -> p.register(fa, null));
            p.close(); // idempotent
        } finally {
            ex.shutdownNow();
            fa.close();
            fb.close();
        }
    }

    @Test
    void cancelsAnywhereInTheLiveSetThenCloseCancelsExactlyTheRest() throws Exception {
        // Keys are kept in an intrusive list: cancelling the newest, a middle and the oldest key
        // unlinks each end and the middle; close() must then find exactly the others.
        Fence[] fs = new Fence[6];
        SyncFile[] files = new SyncFile[fs.length];
        SyncPoller.Key[] keys = new SyncPoller.Key[fs.length];
        SyncPoller p = SyncPoller.open();
        for (int i = 0; i < fs.length; i++) {
            fs[i] = fresh();
            files[i] = SyncFile.create(fs[i]);
            keys[i] = p.register(files[i], i);
        }
        assertEquals("SyncPoller[6 keys]", p.toString());
        for (Fence f : fs) {
            f.signal();
        }
        assertEquals(6, p.selectNow());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), attachments(p));
        keys[5].cancel(); // the list's head (newest)
        keys[2].cancel(); // a middle one
        keys[0].cancel(); // the tail (oldest)
        assertEquals("SyncPoller[3 keys]", p.toString());
        assertEquals(3, p.selectNow()); // compacted in place, order kept
        assertEquals(List.of(1, 3, 4), attachments(p));
        for (int i : new int[] {0, 2, 5}) {
            assertEquals(2, fs[i].refCnt(),
                    "the creator's and the file's: key " + i + "'s is gone");
        }
        p.close();
        assertEquals("SyncPoller[closed]", p.toString());
        for (int i = 0; i < fs.length; i++) {
            assertFalse(keys[i].isValid(), "key " + i);
            assertEquals(2, fs[i].refCnt(), "key " + i + " released exactly once");
            files[i].close();
        }
    }

    @Test
    void aDeallocateRunByCloseMayCancelAnotherKey() throws Exception {
        // The fence is freed by the key's release during close(); its deallocate hook cancels a
        // second key of the same poller from inside close(), which must neither deadlock nor
        // release that key twice.
        AtomicReference<SyncPoller.Key> other = new AtomicReference<>();
        Fence last = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                other.get().cancel();
            }
        };
        Fence b = fresh();
        SyncPoller p = SyncPoller.open();
        SyncFile fa = SyncFile.create(last);
        last.release(); // the file's reference is the only one left
        SyncFile fb = SyncFile.create(b);
        SyncPoller.Key ka = p.register(fa, null);
        other.set(p.register(fb, null));
        fa.close(); // now the key holds the last reference on 'last'
        p.close();
        assertFalse(ka.isValid());
        assertFalse(other.get().isValid());
        assertEquals(0, last.refCnt());
        assertEquals(2, b.refCnt()); // the creator's and the file's
        fb.close();
    }

    @Test
    void cancelFromInsideAFenceCallbackIsSafe() throws Exception {
        Fence a = fresh();
        try (SyncPoller p = SyncPoller.open(); SyncFile fa = SyncFile.create(a)) {
            AtomicReference<SyncPoller.Key> key = new AtomicReference<>();
            a.onSignal(f -> key.get().cancel());
            key.set(p.register(fa, null));
            a.signal();
            assertFalse(key.get().isValid());
            assertEquals(0, p.selectNow());
        }
    }

    @Test
    void badInput() throws Exception {
        try (SyncPoller p = SyncPoller.open()) {
            assertThrows(NullPointerException.class, () -> p.register(null, null));
            assertThrows(NullPointerException.class, () -> p.select(1, null));
            assertThrows(IllegalArgumentException.class, () -> p.select(-1, TimeUnit.SECONDS));
            SyncFile closed = SyncFile.create(fresh());
            closed.close();
            assertThrows(BadHandleException.class, () -> p.register(closed, null));
            assertThrows(UnsupportedOperationException.class, () -> p.readyKeys().clear());
        }
    }

    @Test
    void manyFilesSignalledFromManyThreadsAreEachReportedOnce() throws Exception {
        int n = 2000;
        Fence[] fences = new Fence[n];
        SyncFile[] files = new SyncFile[n];
        try (SyncPoller p = SyncPoller.open()) {
            for (int i = 0; i < n; i++) {
                fences[i] = fresh();
                files[i] = SyncFile.create(fences[i]);
                p.register(files[i], i);
            }
            ExecutorService ex = Executors.newFixedThreadPool(4);
            Thread selector = Thread.currentThread();
            AtomicInteger gaveUp = new AtomicInteger(); // signallers that never saw it parked
            boolean[] seen = new boolean[n];
            int total = 0;
            try {
                for (int t = 0; t < 4; t++) {
                    int first = t;
                    ex.execute(() -> {
                        // start once the selector is parked in its first select, so that at
                        // least that select must be woken by a signal; bounded, so that a
                        // selector that never parks fails the test instead of leaving these
                        // threads spinning
                        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (LockSupport.getBlocker(selector) == null) {
                            if (System.nanoTime() - until > 0) {
                                gaveUp.incrementAndGet();
                                break;
                            }
                            Thread.onSpinWait();
                        }
                        for (int i = first; i < n; i += 4) {
                            fences[i].signal();
                        }
                    });
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (total < n && System.nanoTime() < deadline) {
                    // Every select must end because a key became ready, never by its timeout
                    // (up to 10 s): one that a lost wake-up left parked beside ready keys fails
                    // the test, where the old 1 s selects in a loop only came back late and
                    // collected them.
                    long timeout = Math.min(deadline - System.nanoTime(),
                            TimeUnit.SECONDS.toNanos(10));
                    long t0 = System.nanoTime();
                    int got = p.select(Math.max(timeout, 1L), TimeUnit.NANOSECONDS);
                    long took = System.nanoTime() - t0;
                    assertTrue(got > 0 && took < timeout, "select returned " + got + " after "
                            + TimeUnit.NANOSECONDS.toMillis(took) + " ms with " + total + " of "
                            + n + " reported: a signal's wake-up was lost");
                    for (SyncPoller.Key k : p.readyKeys()) {
                        int i = (Integer) k.attachment();
                        assertFalse(seen[i], "reported twice: " + i);
                        seen[i] = true;
                        total++;
                        k.cancel();
                    }
                }
                ex.shutdown();
                assertTrue(ex.awaitTermination(10, TimeUnit.SECONDS));
            } finally {
                // An assertion that failed above must not leave the signallers running (on the
                // way here without one, shutdown() and awaitTermination() have ended them).
                ex.shutdownNow();
            }
            assertEquals(0, gaveUp.get(), "signallers that started without the selector parked");
            assertEquals(n, total);
            assertEquals(0, p.selectNow());
        } finally {
            // Close every file whether or not an assertion failed, so that a failing run does
            // not leave 2,000 open files (each holding a reference on its fence) behind in the
            // JVM that runs the other tests. (They hold no OS descriptor: a file opens its pipe
            // only for channel(), which this test never calls.) After the poller's close, as a
            // caller's try-with-resources orders them; null past a creation that threw.
            for (SyncFile f : files) {
                if (f != null) {
                    f.close();
                }
            }
        }
    }
}
