package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.fence.core.Fence;
import dev.fence.core.FenceCallback;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A key can be seen (and cancelled) before {@code register} has linked it into the poller's live
 * list: register asks the driver ({@code isSignaled}) before linking, and a driver fence found
 * done there signals at once, so the key's node pushes the key, and a select (another thread's,
 * or here a callback's) lists it, and its owner may cancel it. The cancel finds the key unlinked
 * and does nothing to the list; register then linked the cancelled key anyway, so the poller kept
 * it (and its file and attachment) as a live key until closed.
 */
class SyncPollerRegisterCancelTest {

    /** A driver fence done when polled; its first poll queues {@code behind} after the key. */
    static final class Hooked extends Fence {
        volatile boolean done;
        FenceCallback behind;

        Hooked() {
            super(Fence.allocateContexts(1), 1);
        }

        @Override
        protected boolean pollSignaled() {
            FenceCallback b = behind;
            if (done && b != null) {
                behind = null;
                addCallback(b); // queued behind the key's node, so it runs after the push
            }
            return done;
        }
    }

    @Test
    @Timeout(10)
    void aKeyCancelledBeforeRegisterReturnsLeavesTheLiveList() {
        Hooked f = new Hooked();
        try (SyncPoller p = SyncPoller.open(); SyncFile file = SyncFile.create(f)) {
            List<SyncPoller.Key> seen = new ArrayList<>();
            f.behind = new FenceCallback() {
                @Override
                protected void onSignaled(Fence fence) {
                    // what a selecting thread does between the push and the link
                    p.selectNow();
                    for (SyncPoller.Key k : p.readyKeys()) {
                        seen.add(k);
                        k.cancel();
                    }
                }
            };
            f.done = true;
            SyncPoller.Key k = p.register(file, "attachment");
            assertEquals(List.of(k), seen,
                    "the setup did not list the key before register returned");
            assertFalse(k.isValid());
            assertEquals(2, f.refCnt(),
                    "the key's reference was dropped (the birth one and the file's are left)");
            assertEquals("SyncPoller[0 keys]", p.toString(),
                    "the cancelled key is still in the poller's live list");
        }
    }
}
