package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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
}
