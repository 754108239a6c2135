package dev.fence.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The probe's contract, not its figure: a positive round trip, no thread left behind. */
class CrossCpuProbeTest {

    @Test
    void measuresAPositiveRoundTripAndLeavesNoEchoThreadRunning() throws Exception {
        long ns = CrossCpuProbe.roundTripNanos(300); // few trips: fine even on a busy machine
        assertTrue(ns > 0, "round trip " + ns + " ns");
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertTrue(!t.getName().equals("cross-cpu-echo") || !t.isAlive(),
                    "the echo thread outlived the measurement");
        }
    }

    @Test
    void refusesFewerTripsThanRounds() {
        assertThrows(IllegalArgumentException.class, () -> CrossCpuProbe.main(new String[] {"2"}));
        assertThrows(IllegalArgumentException.class, () -> CrossCpuProbe.roundTripNanos(0));
    }
}
