package dev.fence.bench.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.SignallingSection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pipeline demo with the libraries' debug checks on ({@code -Ddev.fence.debug=true}; this
 * module's pom runs the {@code debug} group in its own JVM with that property). The demo is how
 * the docs say the three libraries fit together, so it must not wait or take a reservation lock
 * inside a fence callback, a signalling section or an open CPU access: any such check throws in
 * a stage thread and shows up as an error and a short frame count.
 */
@Tag("debug")
class PipelineDemoDebugChecksTest {

    @BeforeAll
    @SuppressWarnings("try") // the section is opened for its effect
    static void debugModeIsOn() {
        assertTrue(Boolean.getBoolean("dev.fence.debug"),
                "this group must run with -Ddev.fence.debug=true");
        try (SignallingSection s = SignallingSection.begin()) {
            assertTrue(SignallingSection.active(), "the debug checks are really on");
        }
    }

    @Test
    void demoRunsCleanWithDebugChecks() throws Exception {
        PipelineDemo.Config c = new PipelineDemo.Config(60, 300, 2, 2, 6, 3, 4096, 20, 200, 2,
                true);
        PipelineDemo.Stats s = PipelineDemo.run(c, null);
        assertTrue(s.errors().isEmpty(), s::table);
        assertEquals(300, s.frames(), s::table);
        assertEquals(300, s.verified(), s::table);
        assertEquals(0, s.callbackFailures(), s::table);
        assertTrue(s.ok(), s::table);
    }
}
