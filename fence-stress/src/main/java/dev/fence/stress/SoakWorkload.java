package dev.fence.stress;

import java.util.SplittableRandom;

/**
 * One family of operations the {@link Soak} mixes (fence-core fences, containers and timelines;
 * fence-syncfile; fence-reservation), each registered in {@link Soak#workloads}.
 *
 * <p>Implementations are shared by every worker thread and must be thread-safe. They check their
 * invariants as they go and report breaches through {@link SoakContext#violation(String)}.
 */
interface SoakWorkload {

    /**
     * A short name for the report.
     *
     * @return the name
     */
    String name();

    /**
     * Runs one randomly chosen operation. Called concurrently from every worker; the worker's
     * interrupt status may be set at any moment by the fault injector.
     *
     * @param ctx the run's context
     * @param rnd this worker's random source
     * @throws InterruptedException if a wait was interrupted (counted, not a violation)
     */
    void step(SoakContext ctx, SplittableRandom rnd) throws InterruptedException;

    /**
     * Called once, after every worker and the fault injector have stopped: bring every object
     * to a terminal state (signal, release) and check the end-of-run invariants.
     *
     * @param ctx the run's context
     */
    void finish(SoakContext ctx);

    /**
     * A one-line summary of this workload's counters for the final report.
     *
     * @return the summary
     */
    String summary();
}
