package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.fence.core.TestSupport.CountingCallback;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link FenceArray} all/any semantics (DESIGN.md settled details). */
class FenceArrayTest {

    @Test
    void emptyAllIsBornSignalled() {
        FenceArray a = FenceArray.all();
        assertTrue(a.isSignaled());
        assertNull(a.error());
        assertFalse(a.addCallback(new CountingCallback()));
        assertEquals(List.of(), a.fences());
    }

    @Test
    void allSignalsWhenEveryMemberHas() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        Fence f3 = mockFence();
        FenceArray a = FenceArray.all(f1, f2, f3);
        assertEquals(List.of(f1, f2, f3), a.fences());
        CountingCallback cb = new CountingCallback();
        assertTrue(a.addCallback(cb));
        f2.signal();
        f1.signal();
        assertFalse(a.isSignaled());
        assertEquals(0, cb.runs());
        f3.signal();
        assertTrue(a.isSignaled());
        assertEquals(1, cb.runs());
        assertNull(a.error());
    }

    @Test
    void fencesListIsACopyAndUnmodifiable() {
        Fence f1 = mockFence();
        Fence[] in = {f1};
        FenceArray a = FenceArray.all(in);
        in[0] = mockFence();
        assertSame(f1, a.fences().get(0));
        assertThrows(UnsupportedOperationException.class, () -> a.fences().add(f1));
    }

    @Test
    void allCarriesTheFirstMemberError() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        Fence f3 = mockFence();
        FenceArray a = FenceArray.all(f1, f2, f3);
        a.enableSignaling();
        RuntimeException e2 = new RuntimeException("e2");
        RuntimeException e1 = new RuntimeException("e1");
        f2.signal(e2);
        assertFalse(a.isSignaled(), "an error does not end an all-array early");
        f1.signal(e1);
        f3.signal();
        assertEquals(FenceStatus.ERROR, a.status());
        assertSame(e2, a.error(), "the first error observed wins");
    }

    @Test
    void allPolledCarriesMemberError() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a = FenceArray.all(f1, f2);
        RuntimeException e = new RuntimeException("e");
        f1.signal();
        f2.signal(e);
        assertFalse(a.signalingEnabled());
        assertTrue(a.isSignaled(), "lazily polled");
        assertSame(e, a.error());
    }

    @Test
    void allWithSignalledMembersAtEnable() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        f1.signal();
        f2.signal();
        FenceArray a = FenceArray.all(f1, f2);
        CountingCallback cb = new CountingCallback();
        assertFalse(a.addCallback(cb), "every member has signalled: -ENOENT");
        assertTrue(a.isSignaled());
        assertEquals(0, cb.runs());
    }

    @Test
    void anySignalsOnFirstMemberWithItsOutcome() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a = FenceArray.any(f1, f2);
        assertTrue(a.signalOnAny());
        CountingCallback cb = new CountingCallback();
        assertTrue(a.addCallback(cb));
        RuntimeException e = new RuntimeException("member failed");
        f2.signal(e);
        assertTrue(a.isSignaled());
        assertEquals(1, cb.runs());
        assertSame(e, a.error(), "carries the deciding member's error");
        f1.signal();
        assertEquals(1, cb.runs());
        assertSame(e, a.error());
        assertFalse(f1.hasCallbacks());
    }

    @Test
    void anySuccessThenErrorIsSuccess() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a = FenceArray.any(f1, f2);
        a.enableSignaling();
        f1.signal();
        f2.signal(new RuntimeException("late"));
        assertEquals(FenceStatus.SIGNALED, a.status());
        assertNull(a.error());
        assertFalse(f2.hasCallbacks(), "an any-array stops watching the rest");
    }

    @Test
    void anyWithAlreadySignalledMemberSignalsAtOnce() {
        Fence pending = mockFence();
        Fence done = mockFence();
        done.signal();
        FenceArray polled = FenceArray.any(pending, done);
        assertTrue(polled.isSignaled(), "polling sees the signalled member");

        FenceArray enabled = FenceArray.any(pending, done);
        CountingCallback cb = new CountingCallback();
        assertFalse(enabled.addCallback(cb), "signals as soon as signalling is enabled");
        assertTrue(enabled.isSignaled());
        assertFalse(pending.hasCallbacks(), "nothing left watching the pending member");
    }

    @Test
    void lazyPollingDoesNotEnableMembers() {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a = FenceArray.all(f1, f2);
        assertFalse(a.isSignaled());
        assertFalse(f1.hasCallbacks(), "no member callbacks until signalling is enabled");
        assertFalse(a.signalingEnabled());
        f1.signal();
        assertFalse(a.isSignaled());
        f2.signal();
        assertTrue(a.isSignaled());
        assertFalse(a.signalingEnabled());
    }

    @Test
    void explicitContextAndNames() {
        Fence f = mockFence();
        FenceArray a = FenceArray.of(1234L, 9L, false, f);
        assertEquals(1234L, a.context());
        assertEquals(9L, a.seqno());
        assertEquals("fence_array", a.driverName());
        assertEquals("unbound", a.timelineName());
        assertTrue(FenceArray.all().context() != FenceArray.all().context(), "fresh contexts");
    }

    /**
     * A thread parked in an untimed wait on an array is woken by the members' signals. The signals
     * come once the thread is parked on the array (not merely once its node is queued, when it
     * may still be spinning and would see the signal without any wake-up).
     */
    @Test
    void arrayWaitersAreWoken() throws Exception {
        Fence f1 = mockFence();
        Fence f2 = mockFence();
        FenceArray a = FenceArray.all(f1, f2);
        Thread t = new Thread(a::awaitUninterruptibly, "array-waiter");
        t.setDaemon(true);
        t.start();
        TestSupport.awaitParkedOn(t, a);
        f1.signal();
        f2.signal();
        TestSupport.join(t);
        assertTrue(a.isSignaled());
    }

    @Test
    void firedAnyArrayLeavesNothingOnPendingMembersWhenItFiresDuringEnable() throws Exception {
        // f1 signals (on another thread) while the array is still installing its member callbacks:
        // from inside f2's enable hook, i.e. after f2's node is claimed but before it is linked.
        Fence f1 = mockFence();
        Fence f3 = mockFence();
        Fence f2 = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                Thread t = new Thread(f1::signal, "member-signaller");
                t.start();
                try {
                    TestSupport.join(t);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return true;
            }
        };
        FenceArray any = FenceArray.any(f1, f2, f3);
        any.enableSignaling();
        assertTrue(any.isSignaled());
        assertFalse(f2.hasCallbacks(), "the fired any-array still watches pending member f2");
        assertFalse(f3.hasCallbacks(), "the fired any-array still watches pending member f3");
    }

    /**
     * The two threads' waits for each other are bounded and fail with a message; the
     * {@code @Timeout} (a separate thread: a spinning test thread ignores interrupts) is only the
     * last resort, above those bounds.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void firedAnyArrayLeavesNothingOnPendingMembersUnderRaces() throws Exception {
        Fence forever = mockFence(); // e.g. a shutdown fence raced against every job
        Thread signaller;
        int rounds = 20_000;
        Fence[] jobs = new Fence[rounds];
        for (int i = 0; i < rounds; i++) {
            jobs[i] = mockFence();
        }
        // The race: a job signals while its array is still installing callbacks on the members
        // after it. Left to chance it almost never happens (an enable is shorter than a
        // cross-thread hand-off, and the enabling thread soon runs ahead: 0 or 1 time in 20,000
        // rounds here), so the two go in step: the enabler starts on array i once the signaller
        // is watching job i, and the signaller signals job i as soon as the array has claimed it
        // (enable-signalling set, with its node being linked), while the array goes on to six
        // more long-lived members (`others`) after `forever`. The signaller marks the job just
        // after its signal() returned (ended); a job marked by the time its array's enable
        // returned was signalled, callbacks and all, while that enable ran (the job was claimed,
        // so the enable had begun). A mark set before signal() would also count a signal that
        // came only after the enable, e.g. one that had to wait for it.
        Fence[] others = new Fence[6];
        for (int k = 0; k < others.length; k++) {
            others[k] = mockFence();
        }
        AtomicInteger watching = new AtomicInteger(-1);
        AtomicIntegerArray ended = new AtomicIntegerArray(rounds);
        // Each side's step is bounded (PATIENCE_NANOS from the step's start): a job never
        // claimed, or a signal() that never returns, fails the test with a message instead of
        // leaving both threads spinning. The signaller reports why it gave up (or what it threw)
        // here; the test thread checks it while it waits and after the join.
        AtomicReference<String> signallerFailure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean(); // the test thread gave up: stop at once
        long patienceSeconds = TimeUnit.NANOSECONDS.toSeconds(TestSupport.PATIENCE_NANOS);
        signaller = new Thread(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    watching.set(i);
                    long deadline = System.nanoTime() + TestSupport.PATIENCE_NANOS;
                    while (!jobs[i].signalingEnabled()) {
                        if (stop.get()) {
                            return;
                        }
                        if (System.nanoTime() - deadline > 0) {
                            signallerFailure.set("job " + i + " was never claimed by its"
                                    + " array's enableSignaling() (the signaller gave up after "
                                    + patienceSeconds + " s)");
                            return;
                        }
                        Thread.onSpinWait();
                    }
                    jobs[i].signal();
                    ended.set(i, 1);
                }
            } catch (Throwable e) {
                signallerFailure.set("signaller threw: " + e);
            }
        }, "job-signaller");
        FenceArray[] arrays = new FenceArray[rounds];
        for (int i = 0; i < rounds; i++) {
            Fence[] members = new Fence[2 + others.length];
            members[0] = jobs[i];
            members[1] = forever;
            System.arraycopy(others, 0, members, 2, others.length);
            arrays[i] = FenceArray.any(members);
        }
        signaller.setDaemon(true);
        signaller.start();
        int inside = 0;
        try {
            for (int i = 0; i < rounds; i++) {
                // a second longer than the signaller's bound, so that a signaller that gave up
                // says why (its report is the clearer message)
                long deadline = System.nanoTime() + TestSupport.PATIENCE_NANOS
                        + TimeUnit.SECONDS.toNanos(1);
                while (watching.get() != i) {
                    String why = signallerFailure.get();
                    if (why != null) {
                        fail("round " + i + ": " + why);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        fail("round " + i + ": the signaller did not start watching job " + i
                                + " within " + (patienceSeconds + 1) + " s" + (i == 0 ? ""
                                        : " (job " + (i - 1) + "'s signal() never returned?)"));
                    }
                    Thread.onSpinWait();
                }
                arrays[i].enableSignaling();
                if (ended.get(i) == 1) {
                    inside++;
                }
            }
        } catch (Throwable e) {
            stop.set(true); // only when giving up: the signaller may still be in its last round
            throw e;
        }
        TestSupport.join(signaller);
        assertNull(signallerFailure.get(), "the signaller gave up");
        for (FenceArray a : arrays) {
            assertTrue(a.isSignaled());
        }
        assertFalse(forever.hasCallbacks(), "fired any-arrays pile up on the long-lived member");
        for (Fence o : others) {
            assertFalse(o.hasCallbacks(), "fired any-arrays pile up on a long-lived member");
        }
        assertTrue(inside > 0, "no job signalled while its array's enableSignaling() ran,"
                + " in " + rounds + " rounds: the race this test is named for never happened");
    }
}
