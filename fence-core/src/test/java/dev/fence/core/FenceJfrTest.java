package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JFR events {@code dev.fence.Wait} and {@code dev.fence.Signal}. */
class FenceJfrTest {

    @Test
    void blockingWaitAndSignalAreRecorded() throws Exception {
        Path file = Files.createTempFile("fence-jfr", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("dev.fence.Wait").withThreshold(Duration.ZERO);
            rec.enable("dev.fence.Signal").withThreshold(Duration.ZERO);
            rec.start();

            Fence f = mockFence();
            Thread waiter = new Thread(f::awaitUninterruptibly, "jfr-waiter");
            waiter.start();
            TestSupport.awaitCondition("waiter parked", f::hasCallbacks);
            Thread.sleep(5); // a delay only, so the wait has a visible duration
            f.signal();
            TestSupport.join(waiter);

            Fence timedOut = mockFence();
            assertFalse(timedOut.await(2, TimeUnit.MILLISECONDS));

            rec.stop();
            rec.dump(file);

            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<RecordedEvent> waits = events.stream()
                    .filter(e -> e.getEventType().getName().equals("dev.fence.Wait"))
                    .collect(Collectors.toList());
            assertTrue(waits.stream().anyMatch(e -> e.getLong("context") == f.context()
                            && e.getBoolean("signalled") && e.getInt("fences") == 1
                            && e.getDuration().toNanos() > 0),
                    () -> "no Wait event with a duration for the signalled fence: " + waits);
            assertTrue(waits.stream().anyMatch(e -> e.getLong("context") == timedOut.context()
                            && !e.getBoolean("signalled")),
                    () -> "no Wait event for the timed-out wait: " + waits);
            assertTrue(events.stream().anyMatch(
                            e -> e.getEventType().getName().equals("dev.fence.Signal")
                            && e.getLong("context") == f.context() && e.getInt("callbacks") >= 1),
                    "no Signal event with the waiter's callback");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A wait that never blocks records no Wait event, as for a single fence: here awaitAny's
     * registration enables the second fence, whose driver then reports it done, so the call
     * returns without parking.
     */
    @Test
    void awaitAnyThatNeverBlocksRecordsNoWait() throws Exception {
        Path file = Files.createTempFile("fence-jfr", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("dev.fence.Wait").withThreshold(Duration.ZERO);
            rec.start();
            Fence pending = mockFence();
            Fence doneOnEnable = new Fence(Fence.allocateContexts(1), 1) {
                @Override
                protected boolean enableSignalingHook() {
                    return false; // the hardware had finished: signalled on enable
                }

                @Override
                public String driverName() {
                    return "test";
                }

                @Override
                public String timelineName() {
                    return "done-on-enable";
                }
            };
            assertEquals(1, Fences.awaitAny(1, TimeUnit.SECONDS, pending, doneOnEnable));
            rec.stop();
            rec.dump(file);
            List<RecordedEvent> waits = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.fence.Wait")
                            && e.getLong("context") == pending.context())
                    .collect(Collectors.toList());
            assertTrue(waits.isEmpty(), () -> "Wait event for a wait that never blocked: " + waits);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** What a body did while a recording of {@code dev.fence.Wait} ran. */
    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} under a recording and returns the Wait events for {@code context}. */
    static List<RecordedEvent> waitsDuring(long context, Body body) throws Exception {
        Path file = Files.createTempFile("fence-jfr", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("dev.fence.Wait").withThreshold(Duration.ZERO);
            rec.start();
            body.run();
            rec.stop();
            rec.dump(file);
            return RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.fence.Wait")
                            && e.getLong("context") == context)
                    .collect(Collectors.toList());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * An awaitAny called with the interrupt status set throws without parking, as await() does,
     * and so records no Wait: the event is committed only when a thread blocked. Before, awaitAny
     * began its event before looking at the interrupt and committed a Wait ("not signalled") for
     * a call that never blocked, where await() records none.
     */
    @Test
    @Timeout(10)
    void awaitAnyInterruptedBeforeBlockingRecordsNoWait() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        List<RecordedEvent> waits = waitsDuring(a.context(), () -> {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> Fences.awaitAny(10, TimeUnit.SECONDS, a, b));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> a.await(10, TimeUnit.SECONDS));
        });
        assertFalse(Thread.interrupted());
        assertTrue(waits.isEmpty(), () -> "Wait event for a wait that never blocked: " + waits);
    }
}
