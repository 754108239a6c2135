package dev.fence.syncfile;

import dev.fence.core.FenceStatus;
import java.util.Objects;

/**
 * One fence inside a {@link SyncFile}, as reported by {@link SyncFile#info()}: the kernel's
 * {@code struct sync_fence_info}.
 *
 * @param timelineName the fence's timeline name ({@code obj_name} in the kernel)
 * @param driverName the fence's driver name
 * @param status pending, signalled, or signalled with an error
 * @param timestampNanos when it signalled, in the {@link System#nanoTime()} time base; 0 while
 *     pending (like the kernel's {@code timestamp_ns})
 */
public record FenceInfo(String timelineName, String driverName, FenceStatus status,
        long timestampNanos) {

    /**
     * Checks the components.
     *
     * @param timelineName the fence's timeline name
     * @param driverName the fence's driver name
     * @param status the fence's status
     * @param timestampNanos the signal time, 0 while pending
     * @throws NullPointerException if a name or the status is null
     */
    public FenceInfo {
        Objects.requireNonNull(timelineName, "timelineName");
        Objects.requireNonNull(driverName, "driverName");
        Objects.requireNonNull(status, "status");
    }
}
