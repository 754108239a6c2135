package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node that reaches a fence after its last release (a waiter still spinning when the
 * reference went) while callbacks queued before the release are pending. The releasing thread
 * owes those callbacks their forced signal and calls deallocate() after them. Before this test
 * the late node's thread signalled the fence itself and ran the earlier callbacks, and the
 * releasing thread, finding the fence signalled, called deallocate() at once: before or while
 * they ran. The interleaving is pinned through the releasing thread's describe() (the name hook
 * blocks until the late node has arrived); a stress probe of a spinning waiter racing the
 * release hit the same order about once in 20000 runs.
 */
@Timeout(20)
class LateNodeVsLastReleaseTest {

    /** Blocks the releasing thread in describe() until told to go on. */
    static final class PausingFence extends Fence {
        final AtomicBoolean deallocated = new AtomicBoolean();
        final AtomicInteger deallocations = new AtomicInteger();
        final CountDownLatch releaserDescribing = new CountDownLatch(1);
        final CountDownLatch goOn = new CountDownLatch(1);
        volatile Thread releaser;

        PausingFence() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        public String timelineName() {
            if (Thread.currentThread() == releaser && releaserDescribing.getCount() > 0) {
                releaserDescribing.countDown();
                try {
                    assertTrue(goOn.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return "pausing";
        }

        @Override
        protected void deallocate() {
            deallocations.incrementAndGet();
            deallocated.set(true);
        }
    }

    @Test
    void callbacksQueuedBeforeTheLastReleaseRunBeforeDeallocateWhenALateNodeArrives()
            throws InterruptedException {
        PausingFence f = new PausingFence();
        CountDownLatch releaseReturned = new CountDownLatch(1);
        CountDownLatch earlyStarted = new CountDownLatch(1);
        AtomicReference<Boolean> deallocatedWhenEarlyEnded = new AtomicReference<>();
        AtomicInteger earlyRuns = new AtomicInteger();
        Thread releaser = new Thread(() -> {
            f.release();
            releaseReturned.countDown();
        }, "releaser");
        f.releaser = releaser;
        // Queued while the fence is alive: its owner may count on running before deallocate().
        f.onSignal(x -> {
            earlyRuns.incrementAndGet();
            earlyStarted.countDown();
            if (Thread.currentThread() != releaser) {
                // Run by another thread: give the releaser the chance to deallocate meanwhile.
                try {
                    releaseReturned.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            deallocatedWhenEarlyEnded.set(f.deallocated.get());
        });
        AtomicReference<Throwable> lateError = new AtomicReference<>();
        AtomicBoolean lateAdded = new AtomicBoolean();
        FenceCallback late = new FenceCallback() {
            @Override
            protected void onSignaled(Fence fence) {
                lateError.set(fence.error());
            }
        };

        releaser.start();
        assertTrue(f.releaserDescribing.await(10, TimeUnit.SECONDS));
        // The releaser has dropped the last reference, seen the queued callback and is about to
        // signal: now a late node arrives.
        Thread lateThread = new Thread(() -> lateAdded.set(f.addCallback(late)), "late");
        lateThread.start();
        TestSupport.awaitCondition("the late node arrived",
                () -> earlyStarted.getCount() == 0 || !lateThread.isAlive());
        f.goOn.countDown();
        TestSupport.join(releaser);
        TestSupport.join(lateThread);

        assertEquals(1, earlyRuns.get());
        assertEquals(Boolean.FALSE, deallocatedWhenEarlyEnded.get(),
                "deallocate() ran before the callback queued before the last release had ended");
        assertEquals(1, f.deallocations.get());
        assertInstanceOf(FenceReleasedException.class, f.error());
        if (lateAdded.get()) {
            assertSame(f.error(), lateError.get(), "the queued late node did not run");
        } else {
            assertNull(lateError.get());
        }
        assertFalse(late.isQueued());
    }

    /** With no node queued before the release, a late node still gets the forced signal. */
    @Test
    void aLateNodeOnAReleasedFenceWithoutCallbacksIsStillSignalled() throws InterruptedException {
        AtomicInteger deallocations = new AtomicInteger();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected void deallocate() {
                deallocations.incrementAndGet();
            }
        };
        assertTrue(f.release());
        assertEquals(1, deallocations.get());
        assertTrue(f.await(5, TimeUnit.SECONDS));
        assertInstanceOf(FenceReleasedException.class, f.error());
        assertEquals(1, deallocations.get());
    }
}
