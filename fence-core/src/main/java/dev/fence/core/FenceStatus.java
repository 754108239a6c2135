package dev.fence.core;

/**
 * The three states {@link Fence#status()} reports, mirroring the kernel's
 * {@code dma_fence_get_status()} return values (0, 1, negative error).
 */
public enum FenceStatus {
    /** Not yet signalled. */
    PENDING,
    /** Signalled without an error. */
    SIGNALED,
    /** Signalled with an error; {@link Fence#error()} returns it. */
    ERROR
}
