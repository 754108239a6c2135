package dev.fence.reservation;

import java.util.Objects;

/**
 * How a fence in a {@link Reservation} uses the object, the kernel's {@code enum dma_resv_usage}.
 * The constants are totally ordered, KERNEL &lt; WRITE &lt; READ &lt; BOOKKEEP, and asking a
 * reservation for a usage returns every fence whose usage is at most that one: asking for
 * {@link #READ} returns the KERNEL, WRITE and READ fences.
 *
 * <p>Fences may be promoted (a BOOKKEEP fence re-added as READ) but are never degraded: adding a
 * fence of the same context with a weaker usage keeps the stronger entry, and the new fence is
 * appended beside it (unless it takes the slot of a signalled entry).
 */
public enum Usage {
    /** Memory management by the library or driver itself (moves, clears): always waited for. */
    KERNEL,
    /** An implicitly synchronized writer: later readers and writers wait for it. */
    WRITE,
    /** An implicitly synchronized reader: later writers wait for it. */
    READ,
    /**
     * Not part of implicit synchronization (preemption fences, page-table updates, explicitly
     * synchronized work): only waited for by whoever asks for BOOKKEEP, such as memory management
     * that must wait for everything.
     */
    BOOKKEEP;

    /**
     * The usage a new access must wait for, the kernel's {@code dma_resv_usage_rw}: a writer must
     * wait for every reader and writer ({@link #READ}), a reader only for writers
     * ({@link #WRITE}). (It looks inverted; it is not.)
     *
     * @param write whether the new access writes
     * @return {@link #READ} for a writer, {@link #WRITE} for a reader
     */
    public static Usage forAccess(boolean write) {
        return write ? READ : WRITE;
    }

    /**
     * Whether a fence of this usage is returned when asking for {@code query}.
     *
     * @param query the usage asked for
     * @return {@code this <= query}
     * @throws NullPointerException if {@code query} is null
     */
    public boolean includedIn(Usage query) {
        return compareTo(Objects.requireNonNull(query, "query")) <= 0;
    }
}
