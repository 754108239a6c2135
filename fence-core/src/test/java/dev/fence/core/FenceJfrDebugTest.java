package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code dev.fence.Wait} event of waits that the debug checks refuse. */
@Tag("debug")
@SuppressWarnings("try") // the section is opened for its effect, not referenced
class FenceJfrDebugTest {

    /**
     * A wait refused inside a signalling section never blocks, so it records no Wait, for
     * awaitAny as for await(). Before, awaitAny began its event before the debug check and
     * committed a Wait for the refused call.
     */
    @Test
    @Timeout(10)
    void refusedAwaitAnyRecordsNoWait() throws Exception {
        Fence a = mockFence();
        Fence b = mockFence();
        List<RecordedEvent> waits = FenceJfrTest.waitsDuring(a.context(), () -> {
            try (SignallingSection s = SignallingSection.begin()) {
                assertThrows(IllegalStateException.class,
                        () -> Fences.awaitAny(10, TimeUnit.SECONDS, a, b));
                assertThrows(IllegalStateException.class, () -> a.await(10, TimeUnit.SECONDS));
            }
        });
        assertTrue(waits.isEmpty(), () -> "Wait event for a refused wait: " + waits);
    }
}
