package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A {@link CallbackDeferral} opened inside a callback and closed only after that callback has
 * returned (kept in a field, closed later by the same thread). The callback runner has already
 * run everything queued and reset the thread's depth; the late close must not drive the depth
 * below zero. Before the fix it did: the thread's next signal then took the "callbacks are only
 * queued" path, which holds a reference until they run, but ran them at once and never dropped
 * it, so the fence's last {@code release()} never reached {@code deallocate()}. Closed inside a
 * later callback, it ended that callback's own deferral, and fences the callback signalled ran
 * their callbacks nested inside it.
 */
@SuppressWarnings("try")
class CallbackDeferralOutlivedTest {

    private static final class Logged extends Fence {
        final List<String> log;

        Logged(List<String> log) {
            super(Fence.allocateContexts(1), 1);
            this.log = log;
        }

        @Override
        protected void deallocate() {
            log.add("deallocate");
        }
    }

    @Test
    void aDeferralClosedAfterItsCallbackReturnedLeavesTheThreadAsItWas() {
        AtomicReference<CallbackDeferral> leaked = new AtomicReference<>();
        Fence trigger = Fence.create(Fence.allocateContexts(1), 1);
        trigger.onSignal(x -> leaked.set(CallbackDeferral.begin()));
        trigger.signal();
        leaked.get().close(); // late: its callback has returned

        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Logged(log);
        f.onSignal(x -> log.add("callback"));
        f.signal();
        assertEquals(List.of("callback"), log, "callbacks run at once outside any deferral");
        assertEquals(1, f.refCnt(), "no reference held for callbacks that already ran");
        f.release();
        assertEquals(List.of("callback", "deallocate"), log);

        // And a deferral opened now defers as documented.
        List<String> log2 = Collections.synchronizedList(new ArrayList<>());
        Fence g = new Logged(log2);
        g.onSignal(x -> log2.add("callback"));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            g.signal();
            assertEquals(List.of(), log2, "held back until the close");
        }
        assertEquals(List.of("callback"), log2);
    }

    /**
     * The late close lands inside a later callback run, at depth 1: it must not end that run's
     * deferral of the fences its callback signals (they would run nested, inside the callback).
     */
    @Test
    void aLateCloseInsideAnotherCallbackDoesNotEndThatCallbacksDeferral() {
        AtomicReference<CallbackDeferral> leaked = new AtomicReference<>();
        Fence first = Fence.create(Fence.allocateContexts(1), 1);
        first.onSignal(x -> leaked.set(CallbackDeferral.begin()));
        first.signal();

        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence g = Fence.create(Fence.allocateContexts(1), 1);
        g.onSignal(x -> log.add("g's callback"));
        Fence second = Fence.create(Fence.allocateContexts(1), 1);
        second.onSignal(x -> {
            leaked.get().close();
            g.signal();
            log.add("the signalling callback returns");
        });
        second.signal();
        assertEquals(List.of("the signalling callback returns", "g's callback"), log);
    }
}
