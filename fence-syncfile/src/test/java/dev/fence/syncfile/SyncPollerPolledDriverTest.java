package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A driver fence that reports completion only when polled ({@link Fence#pollSignaled},
 * "a hardware seqno, say"), whose work has already completed when the file is watched. The
 * kernel's sync_file_poll() returns {@code dma_fence_is_signaled(fence) ? EPOLLIN : 0}, which
 * asks the driver, on every poll(2) and on EPOLL_CTL_ADD; SyncFile.poll(0), SyncPoller.poll and
 * Fence.await ask it too. The registered poller and the Selector channel only queue a callback
 * (addCallback does not poll); before the twentieth session the finished file was never
 * reported, as nobody ever signalled it (both tests failed). Now both ask the driver once the
 * callback is queued.
 */
class SyncPollerPolledDriverTest {

    @Test
    void registerReportsAFileWhoseDriverFenceIsAlreadyDone() throws Exception {
        SyncDriverFenceTest.Polled f = new SyncDriverFenceTest.Polled();
        f.done = true; // the hardware finished before anyone looked
        try (SyncPoller p = SyncPoller.open(); SyncFile file = SyncFile.create(f)) {
            SyncPoller.Key k = p.register(file, "done");
            int n = p.select(300, TimeUnit.MILLISECONDS);
            // what every other way of asking says about the same file
            boolean polled = file.poll(0, TimeUnit.SECONDS);
            assertTrue(polled);
            assertEquals(1, n, "SyncFile.poll(0) says ready, but select() timed out: the key"
                    + " was never reported (valid=" + k.isValid() + ")");
        }
    }

    @Test
    void channelOfAFileWhoseDriverFenceIsAlreadyDoneIsReadable() throws Exception {
        SyncDriverFenceTest.Polled f = new SyncDriverFenceTest.Polled();
        f.done = true;
        try (Selector sel = Selector.open(); SyncFile file = SyncFile.create(f)) {
            SelectionKey key = file.channel().register(sel, SelectionKey.OP_READ);
            int n = sel.select(300);
            assertTrue(file.poll(0, TimeUnit.SECONDS));
            assertEquals(1, n, "the channel of a finished file never turned readable");
            assertTrue(sel.selectedKeys().contains(key));
        }
    }
}
