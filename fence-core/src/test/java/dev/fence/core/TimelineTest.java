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
import org.junit.jupiter.api.Test;

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
        a1.onSignal(f -> {
            inA.countDown();
            awaitQuietly(inB);
            b.signalUpTo(2); // stage A completing releases stage B's next point
        });
        b1.onSignal(f -> {
            inB.countDown();
            awaitQuietly(inA);
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
        assertFalse(ta.isAlive() || tb.isAlive(), "deadlock between the two timelines' signal locks");
        assertTrue(a2.isSignaled() && b2.isSignaled());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
