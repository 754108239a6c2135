package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * deallocate() of a fence signalled where its callbacks are only queued (a deferral, or inside a
 * callback) comes after those callbacks, as the kernel's "signal(f); put(f)" guarantees. Before
 * the twentieth session the release that followed the signal deallocated at once and the queued
 * callbacks ran on a deallocated (perhaps pooled and reused) fence; all three tests failed.
 */
@SuppressWarnings("try")
class FenceDeferredReleaseTest {

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

    /**
     * The kernel idiom "dma_fence_signal(f); dma_fence_put(f);": signal runs the callbacks, so
     * ops->release comes after them. Inside a CallbackDeferral the signal only queues f's
     * callbacks; the release that follows must not deallocate f before they run.
     */
    @Test
    void signalThenLastReleaseInsideADeferralDeallocatesAfterTheCallbacks() {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Logged(log);
        f.onSignal(x -> log.add("callback"));
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            f.signal();
            f.release();
        }
        assertEquals(List.of("callback", "deallocate"), log);
    }

    /** The same from inside a running callback (a cascade): signal a fence, drop its last ref. */
    @Test
    void signalThenLastReleaseInsideACallbackDeallocatesAfterTheCallbacks() {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Logged(log);
        f.onSignal(x -> log.add("callback"));
        Fence trigger = Fence.create(Fence.allocateContexts(1), 1);
        trigger.onSignal(x -> {
            f.signal();
            f.release();
        });
        trigger.signal();
        assertEquals(List.of("callback", "deallocate"), log);
    }

    /**
     * Cross-thread form: thread T holds a reference while it signals inside a deferral (as the
     * kernel requires of a signaller), then drops it; thread U drops the last one before T's
     * deferral closes. deallocate() must still come after f's callbacks, which are still queued.
     */
    @Test
    void lastReleaseByAnotherThreadWhileTheCallbacksAreDeferredWaitsForThem() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        Fence f = new Logged(log);
        f.retain(); // T's reference; the first one is U's
        f.onSignal(x -> log.add("callback"));
        CountDownLatch signalled = new CountDownLatch(1);
        CountDownLatch uDone = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (CallbackDeferral d = CallbackDeferral.begin()) {
                f.signal();
                f.release();
                signalled.countDown();
                uDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        signalled.await();
        f.release(); // U: the last reference, as far as the holders know
        uDone.countDown();
        TestSupport.join(t);
        assertEquals(List.of("callback", "deallocate"), log);
    }
}
