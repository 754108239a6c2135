package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pins what docs/core.md and {@link CallbackDeferral} say about containers: a plain fence's
 * parked waiters are woken at the signal, inside a deferral, but a container signals from its
 * member callbacks, which the deferral holds back. So a thread parked on an enabled
 * {@link FenceArray} or on a {@link FenceChain} link whose fence the deferral's thread signals
 * stays parked (the container has not signalled) until the deferral closes.
 */
@SuppressWarnings("try")
@Timeout(10)
class ContainerDeferredWakeTest {

    private static Thread waiter(Fence f, CountDownLatch returned) {
        Thread t = new Thread(() -> {
            f.awaitUninterruptibly();
            returned.countDown();
        }, "container-waiter");
        t.start();
        return t;
    }

    @Test
    void aWaiterOnAnArrayIsWokenOnlyWhenTheDeferralCloses() throws Exception {
        Fence m = mockFence();
        FenceArray array = FenceArray.all(m);
        CountDownLatch returned = new CountDownLatch(1);
        Thread t = waiter(array, returned);
        TestSupport.awaitParkedOn(t, array);
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(m.signal());
            assertTrue(m.isSignaled());
            // The array's member callback is held back: the array is pending, even to a poll.
            assertFalse(array.isSignaled());
            assertEquals(1, returned.getCount());
            assertTrue(array.hasCallbacks(), "the waiter is still queued on the array");
        }
        assertTrue(array.isSignaled());
        TestSupport.join(t);
        assertEquals(0, returned.getCount());
    }

    @Test
    void aWaiterOnAChainLinkIsWokenOnlyWhenTheDeferralCloses() throws Exception {
        Fence f = mockFence();
        FenceChain link = FenceChain.link(null, f, 1);
        CountDownLatch returned = new CountDownLatch(1);
        Thread t = waiter(link, returned);
        TestSupport.awaitParkedOn(t, link);
        try (CallbackDeferral d = CallbackDeferral.begin()) {
            assertTrue(f.signal());
            // The link's callback on f is held back; nobody polls the link, so it has not
            // signalled and its waiter is still queued.
            assertFalse(link.signaledBit());
            assertEquals(1, returned.getCount());
            assertTrue(link.hasCallbacks(), "the waiter is still queued on the link");
        }
        assertTrue(link.signaledBit());
        TestSupport.join(t);
        assertEquals(0, returned.getCount());
    }
}
