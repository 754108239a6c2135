package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import org.junit.jupiter.api.Test;

/**
 * Names reported by sync_file (drivers/dma-buf/sync_file.c, v6.17): sync_file_get_name formats
 * {@code "%s-%s%llu-%lld"} (seqno signed) from dma_fence_driver_name/_timeline_name, and
 * sync_fill_fence_info uses the same accessors, which since v6.17 answer
 * {@code "detached-driver"} / {@code "signaled-timeline"} once the fence has signalled
 * (drivers/dma-buf/dma-fence.c). Here the derived name prints the seqno unsigned, and a
 * signalled fence keeps its own names (there is no driver module to unload): both documented
 * differences (docs/syncfile.md), pinned by these tests.
 */
class SyncFileNameTest {

    @Test
    void derivedNamePrintsTheSeqnoUnsigned() {
        long ctx = Fence.allocateContexts(1);
        Fence f = Fence.create(ctx, -1L); // seqno 2^64-1, e.g. a chain point above 2^63
        try (SyncFile sf = SyncFile.create(f)) {
            assertEquals(f.driverName() + "-" + f.timelineName() + Long.toUnsignedString(ctx)
                    + "-18446744073709551615", sf.name()); // the kernel: "--1"
        }
    }

    @Test
    void fileInfoKeepsTheNamesOfASignalledFence() {
        Timeline tl = Timeline.create("tl");
        Fence f = tl.fenceAt(1);
        try (SyncFile sf = SyncFile.create(f)) {
            assertEquals("tl", sf.info().fences().get(0).timelineName());
            tl.advance(1);
            FenceInfo fi = sf.info().fences().get(0);
            assertEquals("tl", fi.timelineName());        // the kernel: "signaled-timeline"
            assertEquals(f.driverName(), fi.driverName()); // the kernel: "detached-driver"
        }
    }
}
