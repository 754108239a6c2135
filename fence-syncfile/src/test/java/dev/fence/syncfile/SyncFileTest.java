package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceStatus;
import dev.fence.core.Timeline;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SyncFileTest {

    private static Fence fresh() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    @Test
    void createTakesItsOwnReferenceAndCloseReleasesItOnce() {
        Fence f = fresh();
        SyncFile sf = SyncFile.create(f);
        assertEquals(2, f.refCnt());
        sf.close();
        assertEquals(1, f.refCnt());
        sf.close(); // harmless
        assertEquals(1, f.refCnt());
        assertTrue(sf.isClosed());
    }

    @Test
    void fenceHandsOutANewReference() {
        Fence f = fresh();
        try (SyncFile sf = SyncFile.create(f)) {
            Fence got = sf.fence();
            assertSame(f, got);
            assertEquals(3, f.refCnt());
            got.release();
            assertEquals(2, f.refCnt());
        }
        assertEquals(1, f.refCnt());
    }

    @Test
    void useAfterCloseIsBadHandle() {
        SyncFile sf = SyncFile.create("x", fresh());
        sf.close();
        assertThrows(BadHandleException.class, sf::fence);
        assertThrows(BadHandleException.class, sf::name);
        assertThrows(BadHandleException.class, sf::info);
        assertThrows(BadHandleException.class, sf::status);
        assertThrows(BadHandleException.class, sf::channel);
        assertThrows(BadHandleException.class, sf::dup);
        assertThrows(BadHandleException.class, () -> sf.setDeadline(1L));
        assertThrows(BadHandleException.class, () -> sf.poll(0, TimeUnit.SECONDS));
        assertThrows(BadHandleException.class, () -> SyncFile.merge("m", sf, sf));
        assertTrue(sf.toString().contains("closed"));
    }

    @Test
    void nameIsGivenOrDerivedFromTheFence() {
        Timeline tl = Timeline.create("tl");
        Fence f = tl.fenceAt(7);
        try (SyncFile named = SyncFile.create("render", f);
                SyncFile unnamed = SyncFile.create(f)) {
            assertEquals("render", named.name());
            assertEquals("timeline-tl" + tl.context() + "-7", unnamed.name());
        }
    }

    @Test
    void mergeKeepsTheLaterFencePerContextAndDropsSignalled() {
        Timeline a = Timeline.create("a");
        Timeline b = Timeline.create("b");
        Fence a1 = a.fenceAt(1);
        Fence a3 = a.fenceAt(3);
        Fence b2 = b.fenceAt(2);
        Fence done = fresh();
        done.signal();
        try (SyncFile fa = SyncFile.create(FenceArray.all(a1, done, b2));
                SyncFile fb = SyncFile.create(a3);
                SyncFile m = SyncFile.merge("m", fa, fb)) {
            SyncFileInfo info = m.info();
            assertEquals("m", info.name());
            assertEquals(2, info.fences().size());
            assertEquals(FenceStatus.PENDING, info.status());
            assertEquals(0, info.count(FenceStatus.SIGNALED));
            // a3 (later than a1) and b2 survive
            a.signalUpTo(3);
            assertFalse(m.isSignaled());
            b.signalUpTo(2);
            assertTrue(m.isSignaled());
            assertFalse(fa.isClosed());
            assertFalse(fb.isClosed());
        }
    }

    @Test
    void mergeOfAFileWithItselfWorks() {
        Fence f = fresh();
        try (SyncFile sf = SyncFile.create(f); SyncFile m = SyncFile.merge("self", sf, sf)) {
            assertEquals(1, m.info().fences().size());
            assertSame(f, m.fence());
            f.release();
            assertEquals(3, f.refCnt()); // creator, sf, m
        }
        assertEquals(1, f.refCnt());
    }

    @Test
    void mergeOfSignalledFilesIsSignalled() {
        Fence f = fresh();
        f.signal();
        Fence g = fresh();
        g.signal();
        try (SyncFile a = SyncFile.create(f); SyncFile b = SyncFile.create(g);
                SyncFile m = SyncFile.merge("done", a, b)) {
            assertTrue(m.isSignaled());
            assertEquals(FenceStatus.SIGNALED, m.info().status());
        }
    }

    @Test
    void infoReportsMembersAndAggregatesLikeTheKernel() {
        Timeline t1 = Timeline.create("one");
        Timeline t2 = Timeline.create("two");
        Fence p1 = t1.fenceAt(1);
        Fence p2 = t2.fenceAt(1);
        Fence bad = fresh();
        try (SyncFile sf = SyncFile.create("mix", FenceArray.all(p1, p2, bad))) {
            SyncFileInfo info = sf.info();
            assertEquals(FenceStatus.PENDING, info.status());
            assertEquals("one", info.fences().get(0).timelineName());
            assertEquals("timeline", info.fences().get(0).driverName());
            assertEquals(0L, info.fences().get(0).timestampNanos());
            long before = System.nanoTime();
            t1.signalUpTo(1);
            info = sf.info();
            assertEquals(FenceStatus.SIGNALED, info.fences().get(0).status());
            assertTrue(info.fences().get(0).timestampNanos() - before >= 0);
            assertEquals(FenceStatus.PENDING, info.status());
            bad.signal(new RuntimeException("gpu hang"));
            // the first non-clean member in order decides: p2 is still pending
            assertEquals(FenceStatus.PENDING, sf.info().status());
            t2.signalUpTo(1);
            assertEquals(FenceStatus.ERROR, sf.info().status());
            assertEquals(1, sf.info().count(FenceStatus.ERROR));
            assertEquals(2, sf.info().count(FenceStatus.SIGNALED));
        }
    }

    @Test
    void pollIsLevelTriggered() throws Exception {
        Fence f = fresh();
        try (SyncFile sf = SyncFile.create(f)) {
            assertFalse(sf.poll(0, TimeUnit.MILLISECONDS));
            assertFalse(sf.poll(20, TimeUnit.MILLISECONDS));
            // The poll's timeout (60 s) exceeds the bound (10 s): a timed-out wait still reports
            // a fence signalled meanwhile, so only the bound catches a signal that never woke it;
            // the signal comes once the poll is parked, so the wake-up is what is tested.
            FutureTask<Boolean> poll = new FutureTask<>(() -> sf.poll(60, TimeUnit.SECONDS));
            Thread poller = new Thread(poll, "poller");
            poller.setDaemon(true);
            poller.start();
            TestSupport.awaitParked(poller);
            f.signal(new IllegalStateException("errors are ready too"));
            assertTrue(TestSupport.get(poll));
            for (int i = 0; i < 3; i++) {
                assertTrue(sf.poll(0, TimeUnit.SECONDS));
            }
            assertEquals(FenceStatus.ERROR, sf.status());
        }
    }

    @Test
    void pollRejectsNegativeTimeoutAndNullUnit() {
        try (SyncFile sf = SyncFile.create(fresh())) {
            assertThrows(IllegalArgumentException.class, () -> sf.poll(-1, TimeUnit.SECONDS));
            assertThrows(NullPointerException.class, () -> sf.poll(1, null));
        }
    }

    @Test
    void setDeadlineReachesTheDriverUntilSignalled() {
        AtomicLong seen = new AtomicLong();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void onDeadline(long deadlineNanos) {
                seen.set(deadlineNanos);
            }
        };
        try (SyncFile sf = SyncFile.create(f)) {
            sf.setDeadline(12345L);
            assertEquals(12345L, seen.get());
            f.signal();
            sf.setDeadline(999L);
            assertEquals(12345L, seen.get());
        }
    }

    @Test
    void dupHoldsItsOwnReference() {
        Fence f = fresh();
        SyncFile a = SyncFile.create("a", f);
        SyncFile b = a.dup();
        assertNotSame(a, b);
        assertEquals("a", b.name());
        a.close();
        assertEquals(2, f.refCnt());
        assertFalse(b.isSignaled());
        b.close();
        assertEquals(1, f.refCnt());
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> SyncFile.create(null));
        assertThrows(NullPointerException.class, () -> SyncFile.create(null, fresh()));
        assertThrows(NullPointerException.class, () -> SyncFile.create("n", null));
        try (SyncFile sf = SyncFile.create(fresh())) {
            assertThrows(NullPointerException.class, () -> SyncFile.merge(null, sf, sf));
            assertThrows(NullPointerException.class, () -> SyncFile.merge("m", null, sf));
            assertThrows(NullPointerException.class, () -> SyncFile.merge("m", sf, null));
        }
    }

    @Test
    void concurrentClosesReleaseExactlyOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            Fence f = fresh();
            SyncFile sf = SyncFile.create(f);
            CountDownLatch go = new CountDownLatch(1);
            AtomicBoolean failed = new AtomicBoolean();
            Thread[] ts = new Thread[4];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = new Thread(() -> {
                    try {
                        go.await();
                        sf.close();
                    } catch (Throwable t) {
                        failed.set(true);
                    }
                });
                ts[i].start();
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            assertFalse(failed.get());
            assertEquals(1, f.refCnt());
        }
    }

    /**
     * The race above, paced. close() decides with one getAndSet which caller releases the
     * file's reference, a window of a few instructions that threads woken by a latch (tens of
     * microseconds apart) almost never share. Here a spinning partner closes as soon as it is
     * handed the file and this thread closes a random 0-1000 ns after handing it over, so the
     * two claims meet at spread offsets in every round.
     */
    @Test
    void pacedClosesReleaseExactlyOnce() throws Exception {
        try (TestSupport.Partner partner = new TestSupport.Partner("closer")) {
            for (int round = 0; round < 10_000; round++) {
                Fence f = fresh();
                SyncFile sf = SyncFile.create(f);
                partner.start(sf::close);
                TestSupport.spinRandomly(1000);
                sf.close();
                partner.join(); // rethrows what the partner's close threw
                assertEquals(1, f.refCnt(), "round " + round + ": released twice or never");
            }
        }
    }
}
