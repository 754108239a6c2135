package dev.fence.syncfile;

import dev.fence.core.FenceStatus;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a {@link SyncFile}, the kernel's {@code struct sync_file_info}
 * ({@code SYNC_IOC_FILE_INFO}).
 *
 * <p>{@code status} aggregates the members the way the kernel does: it starts as
 * {@link FenceStatus#SIGNALED} and the first member (in {@link #fences()} order) that is not
 * signalled cleanly decides it. So it is {@code SIGNALED} only when every member has signalled
 * without error, {@code PENDING} when some member is pending and no earlier member failed, and
 * {@code ERROR} when a member failed and no earlier member is pending.
 *
 * @param name the file's name ({@link SyncFile#name()})
 * @param status the aggregated status
 * @param fences the member fences after flattening containers; unmodifiable
 */
public record SyncFileInfo(String name, FenceStatus status, List<FenceInfo> fences) {

    /**
     * Checks the components and copies the list.
     *
     * @param name the file's name
     * @param status the aggregated status
     * @param fences the members
     * @throws NullPointerException if any component or member is null
     */
    public SyncFileInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        fences = List.copyOf(Objects.requireNonNull(fences, "fences"));
    }

    /**
     * How many member fences have {@code status}, like the selftests'
     * {@code sync_fence_count_with_status()}.
     *
     * @param status the status to count
     * @return the number of members with that status
     * @throws NullPointerException if {@code status} is null
     */
    public int count(FenceStatus status) {
        Objects.requireNonNull(status, "status");
        int n = 0;
        for (FenceInfo f : fences) {
            if (f.status() == status) {
                n++;
            }
        }
        return n;
    }
}
