package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * SyncFile.channel() must run the driver's hooks, and the callbacks a hook's "already done" runs,
 * outside its channel lock. Before the twentieth session it called {@code addCallback} under the
 * lock, which ran the enable-signalling hook and, when the hook found the work done, signalled
 * the fence and ran its callbacks there. A callback that closed the file re-entered the
 * (reentrant) lock and freed the half-made pipe, and channel() then failed with a
 * NullPointerException; a hook that takes a driver lock deadlocked against a close() made under
 * that lock. Both tests failed on that code.
 */
class SyncFileChannelHookTest {

    /** A driver fence whose enable hook takes a while and then reports the work done. */
    static final class SlowDoneOnEnable extends Fence {
        final CountDownLatch inHook = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);

        SlowDoneOnEnable() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean enableSignalingHook() {
            inHook.countDown();
            try {
                proceed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false; // already completed: the fence is signalled at once
        }
    }

    @Test
    void aCallbackThatClosesTheFileWhileChannelEnablesSignalling() throws Exception {
        SlowDoneOnEnable f = new SlowDoneOnEnable();
        SyncFile file = SyncFile.create(f);
        FutureTask<Object> channel = new FutureTask<>(file::channel);
        Thread t = new Thread(channel, "channel");
        t.setDaemon(true);
        t.start();
        assertTrue(f.inHook.await(10, TimeUnit.SECONDS));
        // A consumer elsewhere: "close the file once the fence is done". Signalling is already
        // enabled (claimed by channel()'s addCallback), so this only queues the callback.
        f.onSignal(x -> file.close());
        f.proceed.countDown();
        Throwable thrown = null;
        try {
            channel.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            thrown = e.getCause();
        }
        assertTrue(file.isClosed());
        assertFalse(thrown instanceof NullPointerException,
                "channel() failed with " + thrown + " (expected a channel or BadHandleException)");
    }

    /**
     * The same lock, as a deadlock. Kernel-style driver: its enable hook takes the driver's lock
     * (the kernel calls enable_signaling under fence->lock, the driver's lock), and its
     * completion path signals fences while holding that lock (dma_fence_signal_locked). A
     * consumer closes the file when another fence of the driver signals. channel() holds the
     * file's channel lock while the hook waits for the driver lock; the completion thread holds
     * the driver lock and its callback's close() waits for the channel lock: neither returns.
     */
    @Test
    void enableHookUnderTheChannelLockDeadlocksWithACloseUnderTheDriverLock() throws Exception {
        ReentrantLock driverLock = new ReentrantLock();
        Fence f = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                driverLock.lock(); // arm the interrupt under the driver's lock
                try {
                    return true;
                } finally {
                    driverLock.unlock();
                }
            }
        };
        Fence other = new Fence(Fence.allocateContexts(1), 1) {
            @Override
            protected boolean enableSignalingHook() {
                return true;
            }
        };
        SyncFile file = SyncFile.create(f);
        other.onSignal(x -> file.close()); // "when that job is done, drop this handle"

        CountDownLatch completionHoldsLock = new CountDownLatch(1);
        CountDownLatch signalNow = new CountDownLatch(1);
        Thread b = new Thread(() -> {
            driverLock.lock(); // the completion path runs under the driver's lock
            try {
                completionHoldsLock.countDown();
                signalNow.await(10, TimeUnit.SECONDS);
                other.signal(); // dma_fence_signal_locked: callbacks run under the driver lock
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                driverLock.unlock();
            }
        }, "completion");
        b.setDaemon(true);
        b.start();
        assertTrue(completionHoldsLock.await(10, TimeUnit.SECONDS));
        FutureTask<Object> channel = new FutureTask<>(file::channel);
        Thread a = new Thread(channel, "channel");
        a.setDaemon(true);
        a.start();
        TestSupport.awaitParked(a); // inside the hook, waiting for the driver lock
        signalNow.countDown();
        b.join(2000);
        boolean deadlocked = b.isAlive() && a.isAlive();
        assertFalse(deadlocked, "channel() and close() deadlocked: channel thread "
                + a.getState() + ", completion thread " + b.getState());
    }
}
