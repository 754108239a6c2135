package dev.fence.core;

import static dev.fence.core.TestSupport.awaitParkedOn;
import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Waits in a JVM that sees one processor (surefire's {@code one-cpu} execution runs this class
 * with {@code -XX:ActiveProcessorCount=1}): spinning is off there ({@code SPIN_NANOS} is 0), so
 * a wait has no per-thread spin state and goes straight to parking. The spin budget's probe
 * (twenty-seventh session) read that state unconditionally, and every wait that parked threw a
 * NullPointerException on one CPU (found by jcstress's termination tests, whose forks are pinned
 * to one CPU).
 */
@Tag("onecpu")
@Timeout(30)
class OneCpuWaitTest {

    @Test
    void theJvmSeesOneCpuAndSpinningIsOff() {
        assertEquals(1, Runtime.getRuntime().availableProcessors(),
                "run by the one-cpu surefire execution");
        assertEquals(0L, Fence.SPIN_NANOS);
    }

    @Test
    void parkedWaitsOfEveryKindReturn() throws Exception {
        for (int round = 0; round < 20; round++) {
            Fence f = mockFence();
            AtomicInteger returned = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() -> {
                try {
                    f.await();
                    returned.incrementAndGet();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, "untimed"));
            threads.add(new Thread(() -> {
                f.awaitUninterruptibly();
                returned.incrementAndGet();
            }, "uninterruptible"));
            threads.add(new Thread(() -> {
                try {
                    if (f.awaitNanos(60_000_000_000L) > 0L) {
                        returned.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, "timed"));
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                awaitParkedOn(t, f); // three parked waiters: the signal hands them to a batch
            }
            assertTrue(f.signal());
            for (Thread t : threads) {
                TestSupport.join(t);
            }
            assertEquals(3, returned.get());
            int r = round;
            TestSupport.awaitCondition("woken count back at 0 after round " + r,
                    () -> Fence.WAKING.get() == 0);
        }
    }

    @Test
    void timeoutsAndInterruptsEndParkedWaits() throws Exception {
        Fence f = mockFence();
        assertTrue(f.awaitNanos(1_000_000L) <= 0L, "a pending fence times out");
        Thread t = new Thread(() -> assertThrows(InterruptedException.class, f::await),
                "interrupted");
        t.start();
        awaitParkedOn(t, f);
        t.interrupt();
        TestSupport.join(t);
        assertTrue(!f.hasCallbacks(), "the interrupted waiter unlinked its node");
    }
}
