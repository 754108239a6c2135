package dev.fence.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * JDK 21+: ten thousand virtual threads blocked on fences are all woken, and none of them pins
 * its carrier while waiting (checked with the JFR event {@code jdk.VirtualThreadPinned}).
 */
class VirtualThreadsTest {

    static final int THREADS = 10_000;
    static final int FENCES = 100;

    /**
     * Loads the classes of every blocking path (waiter nodes, JFR events) from a platform thread.
     * The first load of a class by many virtual threads at once contends on the class loader's
     * monitor and pins once: that is the JVM's class loading, not a fence wait.
     */
    private static void warmUp() throws Exception {
        for (int mode = 0; mode < 4; mode++) {
            Fence f = Fence.create(Fence.allocateContexts(1), 1);
            Fence g = Fence.create(Fence.allocateContexts(1), 1);
            int m = mode;
            Thread t = new Thread(() -> {
                try {
                    if (m == 0) {
                        f.await();
                    } else if (m == 1) {
                        f.await(60, TimeUnit.SECONDS);
                    } else if (m == 2) {
                        Fences.awaitAny(60, TimeUnit.SECONDS, f, g);
                    } else {
                        f.awaitUninterruptibly();
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            t.start();
            TestSupport.awaitCondition("warm-up waiter parked", f::hasCallbacks);
            f.signal();
            TestSupport.join(t);
        }
        Thread.ofVirtual().start(() -> { }).join();
    }

    @Test
    void tenThousandVirtualThreadsAreWokenWithoutPinning() throws Exception {
        warmUp();
        Path file = Files.createTempFile("fence-vthreads", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            rec.start();

            Fence[] fences = new Fence[FENCES];
            for (int i = 0; i < FENCES; i++) {
                fences[i] = Fence.create(Fence.allocateContexts(1), 1);
            }
            AtomicInteger woken = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>(THREADS);
            for (int i = 0; i < THREADS; i++) {
                int k = i;
                threads.add(Thread.ofVirtual().name("vwaiter-" + i).start(() -> {
                    Fence f = fences[k % FENCES];
                    try {
                        switch (k % 4) {
                            case 0:
                                f.await();
                                break;
                            case 1:
                                assertTrue(f.await(600, TimeUnit.SECONDS), "timed await timed out");
                                break;
                            case 2: {
                                Fence g = fences[(k + 37) % FENCES];
                                int idx = Fences.awaitAny(600, TimeUnit.SECONDS, f, g);
                                assertTrue(idx == 0 || idx == 1, "awaitAny timed out");
                                f = idx == 0 ? f : g;
                                break;
                            }
                            default:
                                f.awaitUninterruptibly();
                                break;
                        }
                        assertTrue(f.isSignaled());
                        woken.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Fence f : fences) {
                TestSupport.awaitCondition("virtual waiters parked on " + f, f::hasCallbacks);
            }
            // Signal only once every waiter is parked: one that finds its fence done never
            // tests the wake-up. The timed waits' 600 s is far above the 20 s bound below, as a
            // timed-out wait still reports a fence signalled meanwhile (a lost wake-up would
            // otherwise pass, only late).
            for (Thread t : threads) {
                TestSupport.awaitCondition("virtual waiter parked: " + t,
                        () -> t.getState() == Thread.State.WAITING
                                || t.getState() == Thread.State.TIMED_WAITING);
            }
            for (Fence f : fences) {
                f.signal();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (Thread t : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                assertTrue(left > 0 && t.join(Duration.ofMillis(left)), () -> "not woken: " + t);
            }
            assertTrue(failures.isEmpty(), () -> "waiters failed: " + failures.peek());
            assertEquals(THREADS, woken.get(), "every virtual thread was woken");
            for (Fence f : fences) {
                assertFalse(f.hasCallbacks());
            }

            boolean controlExpected = Runtime.version().feature() < 24;
            if (controlExpected) {
                // Before JDK 24 parking inside a monitor pins: prove the recording sees pinning.
                Object lock = new Object();
                Thread.ofVirtual().name("deliberate-pin").start(() -> {
                    synchronized (lock) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                    }
                }).join();
            }

            rec.stop();
            rec.dump(file);
            List<RecordedEvent> pinned = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("jdk.VirtualThreadPinned"))
                    .collect(Collectors.toList());
            List<RecordedEvent> ours = pinned.stream()
                    .filter(VirtualThreadsTest::involvesFence)
                    .collect(Collectors.toList());
            assertTrue(ours.isEmpty(),
                    () -> ours.size() + " pinned events in dev.fence code: " + ours.get(0));
            if (controlExpected) {
                assertTrue(pinned.stream().anyMatch(e -> e.getThread() != null
                        && "deliberate-pin".equals(e.getThread().getJavaName())),
                        "the recording must see the deliberate pin, or this test proves nothing");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static boolean involvesFence(RecordedEvent e) {
        if (e.getStackTrace() == null) {
            return false;
        }
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            String type = f.getMethod().getType().getName();
            if (type.startsWith("dev.fence.") && !type.endsWith("Test")
                    && !type.contains("Test$")) {
                return true;
            }
        }
        return false;
    }
}
