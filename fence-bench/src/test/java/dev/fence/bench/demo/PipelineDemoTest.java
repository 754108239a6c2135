package dev.fence.bench.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PipelineDemoTest {

    private static PipelineDemo.Config small(double seconds, long frames) {
        return new PipelineDemo.Config(seconds, frames, 2, 2, 6, 3, 4096, 20, 200, true);
    }

    @Test
    void twoSecondRunMovesFramesWithoutCorruptionOrLostSignals() throws Exception {
        PipelineDemo.Stats s = PipelineDemo.run(small(2, 0), null);
        assertTrue(s.frames() > 0, s::table);
        assertEquals(0, s.corrupted(), s::table);
        assertEquals(0, s.duplicates(), s::table);
        assertEquals(0, s.missing(), s::table);
        assertEquals(0, s.tileErrors(), s::table);
        assertEquals(0, s.callbackFailures(), s::table);
        assertEquals(s.frames(), s.verified(), s::table);
        assertTrue(s.errors().isEmpty(), s::table);
        assertTrue(s.fencesCreated() >= 2 * s.frames(), s::table); // a GPU and a blit fence each
        assertEquals(s.fencesCreated(), s.fencesSignalled(), s::table);
        assertTrue(s.transactions() >= 2 * s.frames(), s::table);
        assertTrue(s.ok(), s::table);
        assertTrue(s.table().contains("RESULT: OK"), s::table);
    }

    @Test
    void frameLimitStopsAfterExactlyThatManyFrames() throws Exception {
        PipelineDemo.Stats s = PipelineDemo.run(small(60, 300), null);
        assertEquals(300, s.frames(), s::table);
        assertEquals(300, s.verified(), s::table);
        assertEquals(600, s.fencesCreated(), s::table);
        assertEquals(600, s.fencesSignalled(), s::table);
        assertTrue(s.ok(), s::table);
    }

    @Test
    void parsesFlagsAndRejectsBadOnes() {
        PipelineDemo.Config c = PipelineDemo.Config.parse("--seconds", "2.5", "--workers", "3",
                "--compositors", "4", "--pool", "8", "--gpu-latency-us", "5:50", "--quiet");
        assertEquals(2.5, c.seconds());
        assertEquals(3, c.workers());
        assertEquals(4, c.compositors());
        assertEquals(8, c.pool());
        assertEquals(5, c.gpuMinMicros());
        assertEquals(50, c.gpuMaxMicros());
        assertTrue(c.quiet());
        assertFalse(PipelineDemo.Config.parse().quiet());
        assertEquals(1000, PipelineDemo.Config.parse("--frames", "1000").maxFrames());
        assertThrows(IllegalArgumentException.class,
                () -> PipelineDemo.Config.parse("--bogus", "1"));
        assertThrows(IllegalArgumentException.class,
                () -> PipelineDemo.Config.parse("--workers", "0"));
        assertThrows(IllegalArgumentException.class, () -> PipelineDemo.Config.parse("--seconds"));
    }
}
