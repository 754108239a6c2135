package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Timeline}: values, issue order, in-order signalling. */
class TimelineTest {

    @Test
    void valueStartsAtZeroAndNextIssuesIncreasingSeqnos() {
        Timeline tl = Timeline.create("ring");
        assertEquals(0, tl.value());
        assertEquals("ring", tl.name());
        Fence a = tl.next();
        Fence b = tl.next();
        assertEquals(1, a.seqno());
        assertEquals(2, b.seqno());
        assertEquals(tl.context(), a.context());
        assertEquals(tl.context(), b.context());
        assertEquals("ring", a.timelineName());
        assertEquals("timeline", a.driverName());
        assertFalse(a.isSignaled());
    }

    @Test
    void nextIsMaxIssuedPlusOne() {
        Timeline tl = Timeline.create("t");
        tl.fenceAt(10);
        assertEquals(11, tl.next().seqno());
        tl.fenceAt(3); // lower than issued: does not lower the maximum
        assertEquals(12, tl.next().seqno());
    }

    @Test
    void fenceAtIsBornSignalledWhenPassed() {
        Timeline tl = Timeline.create("t");
        tl.advance(5);
        assertEquals(5, tl.value());
        assertTrue(tl.fenceAt(5).isSignaled());
        assertTrue(tl.fenceAt(0).isSignaled());
        assertTrue(tl.fenceAt(1).isSignaled());
        Fence six = tl.fenceAt(6);
        assertFalse(six.isSignaled());
        Fence seven = tl.next();
        assertEquals(7, seven.seqno());
        assertFalse(seven.isSignaled());
        Fence dup = tl.fenceAt(6);
        tl.signalUpTo(6);
        assertTrue(six.isSignaled());
        assertTrue(dup.isSignaled(), "several fences may share a value");
    }

    @Test
    void signalUpToSignalsInSeqnoOrder() {
        Timeline tl = Timeline.create("t");
        List<Long> values = new ArrayList<>();
        for (long v = 1; v <= 50; v++) {
            values.add(v);
        }
        Collections.shuffle(values, new Random(7));
        List<Long> order = new ArrayList<>();
        List<Fence> fences = new ArrayList<>();
        for (long v : values) {
            Fence f = tl.fenceAt(v);
            fences.add(f);
            f.onSignal(x -> order.add(x.seqno()));
        }
        tl.signalUpTo(20);
        assertEquals(20, tl.value());
        assertEquals(20, order.size());
        for (int i = 0; i < order.size(); i++) {
            assertEquals(i + 1, order.get(i).longValue(), "in seqno order");
        }
        for (Fence f : fences) {
            assertEquals(f.seqno() <= 20, f.isSignaled());
        }
        tl.signalUpTo(10); // lower: nothing changes
        assertEquals(20, tl.value());
        tl.advance(30);
        assertEquals(50, tl.value());
        assertEquals(50, order.size());
        for (int i = 0; i < order.size(); i++) {
            assertEquals(i + 1, order.get(i).longValue());
        }
    }

    @Test
    void advanceByZeroChangesNothing() {
        Timeline tl = Timeline.create("t");
        Fence f = tl.next();
        tl.advance(0);
        assertEquals(0, tl.value());
        assertFalse(f.isSignaled());
        tl.advance(1);
        assertTrue(f.isSignaled());
    }

    @Test
    void callbacksMayUseTheTimeline() {
        Timeline tl = Timeline.create("t");
        Fence first = tl.next();
        List<Fence> made = new ArrayList<>();
        first.onSignal(x -> {
            made.add(tl.next());     // issue from a callback
            tl.signalUpTo(3);        // and signal further (re-entrant)
        });
        tl.signalUpTo(1);
        assertEquals(3, tl.value());
        assertEquals(1, made.size());
        assertTrue(made.get(0).isSignaled());
    }

    @Test
    void signalledPointsKeepNoLaterPointReachable() {
        Timeline tl = Timeline.create("t");
        List<Fence> points = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            points.add(tl.next());
        }
        points.add(tl.fenceAt(3)); // out of order: lives in the heap, merged into the batch
        tl.signalUpTo(5); // a partial take: 1-5 and the second 3, while 6-8 stay pending
        tl.signalUpTo(8); // a whole-list take
        for (Fence p : points) {
            assertTrue(p.isSignaled(), p.describe());
            assertEquals(null, link(p), "a signalled point must not link to a later one");
        }
    }

    @Test
    void pointsIssuedWhileTheWholeListIsSignallingStayInOrder() {
        Timeline tl = Timeline.create("t");
        List<Long> order = new ArrayList<>();
        List<Fence> late = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tl.next().onSignal(f -> {
                order.add(f.seqno());
                if (f.seqno() == 2) { // during the signalling of the list taken whole
                    for (int k = 0; k < 3; k++) {
                        Fence p = tl.next(); // seqnos 5, 6, 7
                        late.add(p);
                        p.onSignal(g -> order.add(g.seqno()));
                    }
                    // the value is past 4 but 3 has not signalled: 4 must wait for its turn
                    Fence at4 = tl.fenceAt(4);
                    late.add(at4);
                    at4.onSignal(g -> order.add(-g.seqno()));
                    tl.signalUpTo(6); // re-entrant: the running call signals 5 and 6
                }
            });
        }
        long failures = Fences.callbackFailures();
        tl.signalUpTo(4);
        // the in-order point 4 first (list first on a tie), then fenceAt(4), then 5 and 6
        assertEquals(List.of(1L, 2L, 3L, 4L, -4L, 5L, 6L), order);
        assertEquals(failures, Fences.callbackFailures());
        assertTrue(late.get(1).isSignaled());
        assertFalse(late.get(2).isSignaled(), "7 is above the value");
        tl.advance(1);
        assertEquals(List.of(1L, 2L, 3L, 4L, -4L, 5L, 6L, 7L), order);
    }

    @Test
    void fenceAtTheNewestSeqnoSignalsWithItAndBeforeLaterOnes() {
        Timeline tl = Timeline.create("t");
        Fence p1 = tl.next();
        Fence same = tl.fenceAt(1); // equal to the newest seqno: kept out of the in-order list
        Fence p2 = tl.next();
        List<Long> order = new ArrayList<>();
        for (Fence f : new Fence[] {p2, same, p1}) {
            f.onSignal(x -> order.add(x.seqno()));
        }
        tl.signalUpTo(1);
        assertTrue(p1.isSignaled() && same.isSignaled());
        assertFalse(p2.isSignaled());
        tl.signalUpTo(2);
        assertEquals(List.of(1L, 1L, 2L), order);
    }

    @Test
    void pointsIssuedBehindAValueAheadOfThemAreBornSignalledAndNotKept() {
        Timeline tl = Timeline.create("t");
        tl.signalUpTo(1000); // the value runs ahead of anything issued
        List<Fence> points = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Fence p = tl.next();
            assertTrue(p.isSignaled(), "born signalled: " + p.describe());
            points.add(p);
        }
        Fence above = tl.next();
        assertEquals(1001, above.seqno());
        assertFalse(above.isSignaled());
        for (Fence p : points.subList(0, points.size() - 1)) {
            // the last may still be the signaller's cursor; none before it may keep a link
            assertEquals(null, link(p), "born-signalled points must not pile up in the list");
        }
        tl.advance(1);
        assertTrue(above.isSignaled());
    }

    /**
     * Producers (next() and fenceAt() both in and out of order) race signallers; every callback
     * queued on a pending fence must run exactly once, in seqno order, and nothing may stay
     * pending at or below the final value.
     */
    @Test
    void concurrentProducersAndSignallersKeepOrderAndLoseNothing() throws Exception {
        // The interleavings named above, summed over the rounds: callbacks that ran before the
        // final signalUpTo (signalled while producers ran), and fenceAt points below the newest
        // seqno, pending when issued (the heap path), that a racing signaller then signalled.
        int ranDuringRuns = 0;
        int heapPointsSignalledDuringRuns = 0;
        for (int round = 0; round < 20; round++) {
            Timeline tl = Timeline.create("t");
            int perProducer = 2_000;
            List<Long> ran = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger queued = new AtomicInteger();
            List<List<Fence>> issued = new ArrayList<>();
            List<Fence> heapPending = new ArrayList<>(); // producer 1's; read after the join
            List<Thread> threads = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int k = 0; k < 2; k++) {
                List<Fence> mine = new ArrayList<>();
                issued.add(mine);
                int id = k;
                threads.add(new Thread(() -> {
                    awaitQuietly(start);
                    Random rnd = new Random(id);
                    for (int i = 0; i < perProducer; i++) {
                        Fence f;
                        if (id == 1 && rnd.nextInt(4) == 0) {
                            long at = Math.max(0, tl.value() + rnd.nextInt(8) - 2);
                            boolean below = at <= tl.tail.seqno(); // tail only rises
                            f = tl.fenceAt(at);
                            if (below && !f.isSignaled()) {
                                heapPending.add(f);
                            }
                        } else {
                            f = tl.next();
                        }
                        mine.add(f);
                        if (f.addCallback(new FenceCallback() {
                            @Override
                            protected void onSignaled(Fence fence) {
                                ran.add(fence.seqno());
                            }
                        })) {
                            queued.incrementAndGet();
                        }
                    }
                }));
            }
            for (int k = 0; k < 2; k++) {
                int id = k;
                threads.add(new Thread(() -> {
                    awaitQuietly(start);
                    Random rnd = new Random(100 + id);
                    for (int i = 0; i < perProducer; i++) {
                        if (id == 0) {
                            tl.signalUpTo(tl.value() + rnd.nextInt(3));
                        } else {
                            tl.advance(rnd.nextInt(2));
                        }
                        if ((i & 63) == 0) {
                            Thread.yield();
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.setDaemon(true);
                t.start();
            }
            start.countDown();
            for (Thread t : threads) {
                t.join(30_000);
                assertFalse(t.isAlive(), "a producer or signaller hung");
            }
            long max = 0;
            for (List<Fence> mine : issued) {
                for (Fence f : mine) {
                    max = Math.max(max, f.seqno());
                }
            }
            long before = tl.value();
            ranDuringRuns += ran.size();
            for (Fence f : heapPending) {
                if (f.seqno() <= before) {
                    heapPointsSignalledDuringRuns++;
                }
            }
            for (List<Fence> mine : issued) {
                for (Fence f : mine) {
                    if (f.seqno() <= before) {
                        assertTrue(f.isSignaled(),
                                "left pending at or below the value: " + f.describe());
                    }
                }
            }
            tl.signalUpTo(max);
            for (List<Fence> mine : issued) {
                for (Fence f : mine) {
                    assertTrue(f.isSignaled(), f.describe());
                }
            }
            assertEquals(queued.get(), ran.size(), "each queued callback runs exactly once");
            for (int i = 1; i < ran.size(); i++) {
                assertTrue(ran.get(i - 1) <= ran.get(i), "callbacks out of seqno order at " + i);
            }
        }
        assertTrue(ranDuringRuns > 0, "no callback ran while the producers were running");
        assertTrue(heapPointsSignalledDuringRuns > 0, "no pending fenceAt point below the newest"
                + " seqno was signalled while the producers were running");
    }

    @Test
    void distinctTimelinesHaveDistinctContexts() {
        assertTrue(Timeline.create("a").context() != Timeline.create("b").context());
    }

    @Test
    void pollDuringSignalUpToKeepsSeqnoOrder() {
        Timeline tl = Timeline.create("t");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        List<Long> order = new ArrayList<>();
        p1.onSignal(f -> {
            order.add(f.seqno());
            p3.isSignaled(); // any thread polling point 3 while signalUpTo(3) is under way
        });
        p2.onSignal(f -> order.add(f.seqno()));
        p3.onSignal(f -> order.add(f.seqno()));
        tl.signalUpTo(3);
        assertEquals(List.of(1L, 2L, 3L), order);
    }

    @Test
    void pointNeverSignalsBeforeTheValueReachesIt() {
        Timeline tl = Timeline.create("t");
        Fence p1 = tl.next();
        Fence p2 = tl.next();
        Fence p3 = tl.next();
        List<String> bad = new ArrayList<>();
        for (Fence p : new Fence[] {p1, p2, p3}) {
            p.onSignal(f -> {
                if (tl.value() < f.seqno()) {
                    bad.add(f.describe());
                }
                p3.isSignaled();
            });
        }
        tl.signalUpTo(2);
        assertFalse(p3.isSignaled(), "polling must not signal a point the value has not reached");
        tl.signalUpTo(3);
        assertTrue(p3.isSignaled());
        assertEquals(List.of(), bad);
    }

    @Test
    void crossTimelineCallbacksDoNotDeadlock() throws Exception {
        Timeline a = Timeline.create("a");
        Timeline b = Timeline.create("b");
        Fence a1 = a.next();
        Fence a2 = a.next();
        Fence b1 = b.next();
        Fence b2 = b.next();
        CountDownLatch inA = new CountDownLatch(1);
        CountDownLatch inB = new CountDownLatch(1);
        // each callback records whether it saw the other one running: the case under test is
        // both signalling threads inside a callback at once, each then signalling the other's
        // timeline (without the overlap, the test would pass without testing anything)
        AtomicBoolean aSawB = new AtomicBoolean();
        AtomicBoolean bSawA = new AtomicBoolean();
        a1.onSignal(f -> {
            inA.countDown();
            aSawB.set(awaitQuietly(inB));
            b.signalUpTo(2); // stage A completing releases stage B's next point
        });
        b1.onSignal(f -> {
            inB.countDown();
            bSawA.set(awaitQuietly(inA));
            a.signalUpTo(2);
        });
        Thread ta = new Thread(() -> a.signalUpTo(1), "timeline-a");
        Thread tb = new Thread(() -> b.signalUpTo(1), "timeline-b");
        ta.setDaemon(true);
        tb.setDaemon(true);
        ta.start();
        tb.start();
        ta.join(5_000);
        tb.join(5_000);
        assertFalse(ta.isAlive() || tb.isAlive(),
                "deadlock between the two timelines' signal locks");
        assertTrue(aSawB.get() && bSawA.get(), "the two callbacks never ran at the same time");
        assertTrue(a2.isSignaled() && b2.isSignaled());
    }

    /** The in-order link a timeline point keeps (same package: no reflection needed). */
    private static Fence link(Fence point) {
        return ((Timeline.Point) point).next;
    }

    /** Waits up to 5 s for {@code latch}; whether it opened (a callback cannot throw it). */
    private static boolean awaitQuietly(CountDownLatch latch) {
        try {
            return latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A fence issued from a callback while the drain that runs it has not reached the fence's
     * seqno must not be born signalled (it would overtake the lower points still pending); one at
     * a seqno the drain has passed is. Failed before: fenceAt(5) issued while point 1 signalled
     * came back signalled with points 2 to 4 pending.
     */
    @Test
    void pointsIssuedFromACallbackDuringADrainKeepSeqnoOrder() {
        Timeline tl = Timeline.create("t");
        List<Fence> points = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            points.add(tl.next());
        }
        List<String> seen = new ArrayList<>();
        List<Long> order = new ArrayList<>();
        points.get(0).onSignal(x -> {
            Fence f5 = tl.fenceAt(5);
            seen.add("f5=" + f5.isSignaled() + " p2=" + points.get(1).isSignaled());
            f5.onSignal(g -> order.add(-g.seqno()));
        });
        points.get(2).onSignal(x -> {
            Fence f2 = tl.fenceAt(2); // passed: 2 has signalled, 3 is signalling
            seen.add("f2=" + f2.isSignaled());
        });
        for (int i = 3; i < 6; i++) {
            points.get(i).onSignal(g -> order.add(g.seqno()));
        }
        tl.signalUpTo(10);
        assertEquals(List.of("f5=false p2=false", "f2=true"), seen);
        assertEquals(List.of(4L, 5L, -5L, 6L), order);
    }

    /**
     * After the value once ran ahead of the issued points, next() checks the value itself; from
     * a callback of a drain that has not reached the new seqno it must leave the point to that
     * drain. Failed before: the new point came back signalled with points 3 and 4 pending.
     */
    @Test
    void nextFromACallbackAfterARunAheadWaitsForItsTurn() {
        Timeline tl = Timeline.create("t");
        tl.signalUpTo(1); // runs ahead of everything issued: producers check the value now
        assertTrue(tl.next().isSignaled());
        List<Fence> points = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            points.add(tl.next()); // 2, 3, 4
        }
        List<String> seen = new ArrayList<>();
        points.get(0).onSignal(x -> {
            Fence f5 = tl.next();
            seen.add("f5=" + f5.isSignaled() + " p3=" + points.get(1).isSignaled());
        });
        tl.signalUpTo(10);
        assertEquals(List.of("f5=false p3=false"), seen);
    }

    @Test
    void nextFromACallbackBeforeARunAheadWaitsForItsTurn() {
        Timeline tl = Timeline.create("t");
        List<Fence> points = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            points.add(tl.next());
        }
        List<String> seen = new ArrayList<>();
        points.get(0).onSignal(x -> {
            Fence f4 = tl.next();
            seen.add("f4=" + f4.isSignaled() + " p2=" + points.get(1).isSignaled());
        });
        tl.signalUpTo(10);
        assertEquals(List.of("f4=false p2=false"), seen);
    }

    /**
     * A signaller inside a CallbackDeferral signals point 1 at once but only queues its
     * callbacks. Before the eighteenth session it then gave up the drainer role, and another
     * thread's signalUpTo(2) ran point 2's callbacks before point 1's ([2, 1]). Now the drainer
     * keeps the role until its queued callbacks have run, and point 2 follows them.
     */
    @Test
    @SuppressWarnings("try") // the deferral is only opened and closed
    void signallerInsideADeferralKeepsCallbackOrderAcrossThreads() throws Exception {
        Timeline tl = Timeline.create("deferred");
        Fence f1 = tl.next();
        Fence f2 = tl.next();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        f1.onSignal(f -> order.add(1));
        f2.onSignal(f -> order.add(2));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            tl.signalUpTo(1);
            assertTrue(f1.isSignaled(), "signalled at once, callbacks held back");
            Thread u = new Thread(() -> tl.signalUpTo(2), "other signaller");
            u.start();
            u.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(u.isAlive());
            assertEquals(List.of(), order, "a callback ran inside the deferral");
            assertEquals(2, tl.value());
        }
        assertEquals(List.of(1, 2), order);
        assertTrue(f2.isSignaled());
    }

    /**
     * The same with the signaller inside a fence callback instead of a deferral. Then another
     * thread's signal wakes a waiter parked on a later point. That wait used to be 10 s with the
     * signal sent at once (mostly before the wait parked), and a timed wait whose timeout runs
     * out still reports a fence signalled meanwhile, so a waiter never woken passed 10 s late; it
     * is now 60 s under a 10 s {@code @Timeout}, signalled once the waiter is parked on it.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void signallerInsideACallbackKeepsCallbackOrderAcrossThreads() throws Exception {
        Timeline tl = Timeline.create("from-callback");
        Fence f1 = tl.next();
        Fence f2 = tl.next();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        f1.onSignal(f -> order.add(1));
        f2.onSignal(f -> order.add(2));
        Fence job = Fence.create(Fence.allocateContexts(1), 1);
        AtomicInteger otherDone = new AtomicInteger();
        job.onSignal(f -> {
            tl.signalUpTo(1);
            Thread u = new Thread(() -> {
                tl.signalUpTo(2);
                otherDone.incrementAndGet();
            }, "other signaller");
            u.start();
            try {
                // The other signal lands inside this callback.
                u.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        job.signal();
        assertEquals(1, otherDone.get());
        assertEquals(List.of(1, 2), order);
        // and the timeline keeps working for everyone afterwards
        Fence f3 = tl.next();
        Thread waiter = Thread.currentThread();
        Thread w = new Thread(() -> {
            TestSupport.awaitParkedOn(waiter, f3);
            tl.signalUpTo(3);
        });
        w.setDaemon(true);
        w.start();
        assertTrue(f3.await(60, TimeUnit.SECONDS));
        TestSupport.join(w);
    }
}
